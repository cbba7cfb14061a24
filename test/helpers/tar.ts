// Tars crafted entry by entry with ctr's own header writer, for tests that need what GNU tar will
// not write (names with .., links out of the archive, odd types).
import { TAR_END, tarHeader, tarPadding, type TarHeaderInput } from "../../src/image/tar";

export type Entry = TarHeaderInput & { data?: string | Uint8Array };

export function craftTar(entries: Entry[]): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data === undefined ? Buffer.alloc(0) : Buffer.from(e.data);
    parts.push(tarHeader({ mtime: 1700000000, ...e, size: e.type === "file" ? data.length : 0 }));
    if (e.type === "file") parts.push(data, tarPadding(data.length));
  }
  parts.push(TAR_END);
  return Buffer.concat(parts);
}
