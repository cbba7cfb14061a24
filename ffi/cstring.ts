// C strings and NULL-terminated string arrays. The returned `keep` array must stay referenced
// until the call that uses the pointer returns, or the GC may free the buffers under it.
import { ptr, type Pointer } from "bun:ffi";

export function cstr(s: string): Buffer {
  return Buffer.from(s + "\0", "utf8");
}

export function cstrArray(items: readonly string[]): { array: Pointer; keep: Buffer[] } {
  const keep = items.map(cstr);
  const table = new BigUint64Array(items.length + 1);
  keep.forEach((b, i) => (table[i] = BigInt(ptr(b))));
  const tableBuf = Buffer.from(table.buffer);
  keep.push(tableBuf);
  return { array: ptr(tableBuf), keep };
}
