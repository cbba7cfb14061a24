// A streaming tar reader and writer (POSIX ustar, PAX extended headers, GNU long names), enough
// for OCI and Docker layers. The reader is push-based and synchronous: decompressed chunks go in,
// entries and their data come out to a sink, without ever holding a whole file in memory.

export type TarEntryType = "file" | "dir" | "symlink" | "hardlink" | "char" | "block" | "fifo";

export interface TarEntry {
  name: string;
  type: TarEntryType;
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds since the epoch. */
  mtime: number;
  linkname: string;
  devmajor: number;
  devminor: number;
  /** PAX SCHILY.xattr.* records. */
  xattrs: Map<string, Buffer>;
}

export interface TarSink {
  /** A new entry; for files, its data follows through data() and then entryEnd(). */
  entry(e: TarEntry): void;
  data(chunk: Uint8Array): void;
  entryEnd(): void;
}

export class TarError extends Error {
  override name = "TarError";
}

const BLOCK = 512;
/** PAX and GNU long-name records are metadata: bound them so a crafted archive cannot eat memory. */
const MAX_META = 1 << 20;

const TYPES: Record<string, TarEntryType> = {
  "0": "file", "\0": "file", "7": "file", "1": "hardlink", "2": "symlink", "3": "char", "4": "block", "5": "dir", "6": "fifo",
};

function parseNumber(b: Uint8Array, off: number, len: number): number {
  if (b[off]! & 0x80) {
    // GNU base-256: big-endian, high bit of the first byte is the marker.
    let n = b[off]! & 0x7f;
    for (let i = 1; i < len; i++) n = n * 256 + b[off + i]!;
    return n;
  }
  let n = 0;
  let seen = false;
  for (let i = off; i < off + len; i++) {
    const c = b[i]!;
    if (c === 0) break;
    if (c === 0x20) {
      if (seen) break;
      continue;
    }
    if (c < 0x30 || c > 0x37) throw new TarError(`invalid octal number in header`);
    n = n * 8 + (c - 0x30);
    seen = true;
  }
  return n;
}

function parseString(b: Uint8Array, off: number, len: number): string {
  let end = off;
  while (end < off + len && b[end] !== 0) end++;
  return Buffer.from(b.buffer, b.byteOffset + off, end - off).toString("utf8");
}

function checksumOk(h: Uint8Array): boolean {
  const want = parseNumber(h, 148, 8);
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : h[i]!;
  return sum === want;
}

/** PAX records: "LEN key=value\n", LEN counting the whole record. */
export function parsePax(buf: Buffer): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  let off = 0;
  while (off < buf.length) {
    const sp = buf.indexOf(0x20, off);
    if (sp < 0) break;
    const len = Number(buf.toString("ascii", off, sp));
    if (!Number.isInteger(len) || len <= 0 || off + len > buf.length) throw new TarError("malformed PAX header");
    const rec = buf.subarray(sp + 1, off + len - 1);
    const eq = rec.indexOf(0x3d);
    if (eq < 0) throw new TarError("malformed PAX record");
    out.set(rec.toString("utf8", 0, eq), Buffer.from(rec.subarray(eq + 1)));
    off += len;
  }
  return out;
}

type State = "header" | "data" | "meta" | "padding" | "end";

export class TarParser {
  private state: State = "header";
  private header = new Uint8Array(BLOCK);
  private headerFill = 0;
  private remaining = 0;
  private padding = 0;
  private metaKind: "pax" | "global" | "longname" | "longlink" = "pax";
  private meta: Buffer[] = [];
  private pax = new Map<string, Buffer>();
  private globalPax = new Map<string, Buffer>();
  private longName: string | null = null;
  private longLink: string | null = null;
  private zeroBlocks = 0;
  /** Bytes of archive consumed: errors name the offset. */
  offset = 0;

  constructor(
    private readonly sink: TarSink,
    /** Refuse non-zero bytes after the end blocks (layers); a format sniff only lists names. */
    private readonly refuseTrailing = true,
  ) {}

  get ended(): boolean {
    return this.state === "end";
  }

  push(chunk: Uint8Array): void {
    let i = 0;
    while (i < chunk.length) {
      switch (this.state) {
        case "end": {
          // Zeros (tar's record padding) are fine. Anything else would be hashed into the layer's
          // digest without ever being unpacked: refused, so a digest names exactly what runs.
          const rest = chunk.subarray(i);
          const at = this.refuseTrailing ? rest.findIndex((b) => b !== 0) : -1;
          if (at >= 0) throw new TarError(`data after the end of the tar archive (a non-zero byte at offset ${this.offset + at})`);
          this.offset += rest.length;
          return;
        }
        case "header": {
          const n = Math.min(BLOCK - this.headerFill, chunk.length - i);
          this.header.set(chunk.subarray(i, i + n), this.headerFill);
          this.headerFill += n;
          i += n;
          this.offset += n;
          if (this.headerFill === BLOCK) {
            this.headerFill = 0;
            this.onHeader();
          }
          break;
        }
        case "data":
        case "meta": {
          const n = Math.min(this.remaining, chunk.length - i);
          const part = chunk.subarray(i, i + n);
          if (this.state === "data") this.sink.data(part);
          else this.meta.push(Buffer.from(part));
          this.remaining -= n;
          i += n;
          this.offset += n;
          if (this.remaining === 0) this.afterBody();
          break;
        }
        case "padding": {
          const n = Math.min(this.padding, chunk.length - i);
          this.padding -= n;
          i += n;
          this.offset += n;
          if (this.padding === 0) this.state = "header";
          break;
        }
      }
    }
  }

  /** The input ended: it must have ended on an entry boundary. */
  finish(): void {
    if (this.state === "end") return;
    if (this.state === "header" && this.headerFill === 0) return; // no end blocks: accepted, as GNU tar does
    throw new TarError(`archive truncated at byte ${this.offset}`);
  }

  private onHeader(): void {
    const h = this.header;
    if (h.every((b) => b === 0)) {
      if (++this.zeroBlocks === 2) this.state = "end";
      return;
    }
    this.zeroBlocks = 0;
    if (!checksumOk(h)) throw new TarError(`bad header checksum at byte ${this.offset - BLOCK} (not a tar archive?)`);
    const flag = String.fromCharCode(h[156]!);
    const size = parseNumber(h, 124, 12);
    if (flag === "x" || flag === "g" || flag === "L" || flag === "K") {
      if (size > MAX_META) throw new TarError(`${flag} header of ${size} bytes is too large`);
      this.metaKind = flag === "x" ? "pax" : flag === "g" ? "global" : flag === "L" ? "longname" : "longlink";
      this.meta = [];
      this.remaining = size;
      this.padding = (BLOCK - (size % BLOCK)) % BLOCK;
      this.state = "meta";
      if (size === 0) this.afterBody();
      return;
    }
    const type = TYPES[flag];
    if (type === undefined) throw new TarError(`unsupported tar entry type ${JSON.stringify(flag)} at byte ${this.offset - BLOCK}`);
    const pax = new Map([...this.globalPax, ...this.pax]);
    const ustar = parseString(h, 257, 6) === "ustar";
    const prefix = ustar ? parseString(h, 345, 155) : "";
    let name = this.longName ?? (prefix ? `${prefix}/${parseString(h, 0, 100)}` : parseString(h, 0, 100));
    let linkname = this.longLink ?? parseString(h, 157, 100);
    const num = (key: string, fallback: number) => {
      const v = pax.get(key);
      if (v === undefined) return fallback;
      const n = Number(v.toString("ascii"));
      if (!Number.isFinite(n)) throw new TarError(`invalid PAX ${key}`);
      return n;
    };
    if (pax.has("path")) name = pax.get("path")!.toString("utf8");
    if (pax.has("linkpath")) linkname = pax.get("linkpath")!.toString("utf8");
    const xattrs = new Map<string, Buffer>();
    for (const [k, v] of pax) if (k.startsWith("SCHILY.xattr.")) xattrs.set(k.slice(13), v);
    const entry: TarEntry = {
      name,
      type: type === "file" && name.endsWith("/") ? "dir" : type,
      mode: parseNumber(h, 100, 8) & 0o7777,
      uid: num("uid", parseNumber(h, 108, 8)),
      gid: num("gid", parseNumber(h, 116, 8)),
      size: type === "file" ? num("size", size) : 0,
      mtime: Math.floor(num("mtime", parseNumber(h, 136, 12))),
      linkname,
      devmajor: parseNumber(h, 329, 8),
      devminor: parseNumber(h, 337, 8),
      xattrs,
    };
    this.pax = new Map();
    this.longName = this.longLink = null;
    this.sink.entry(entry);
    // Hardlinks and others may carry a size in the header, but have no data in any tar we accept.
    const body = type === "file" ? entry.size : 0;
    this.remaining = body;
    this.padding = (BLOCK - (body % BLOCK)) % BLOCK;
    this.state = "data";
    if (body === 0) this.afterBody();
  }

  private afterBody(): void {
    if (this.state === "data") this.sink.entryEnd();
    else {
      const buf = Buffer.concat(this.meta);
      this.meta = [];
      if (this.metaKind === "pax") this.pax = parsePax(buf);
      else if (this.metaKind === "global") this.globalPax = parsePax(buf);
      else {
        const s = buf.toString("utf8").replace(/\0.*$/s, "");
        if (this.metaKind === "longname") this.longName = s;
        else this.longLink = s;
      }
    }
    this.state = this.padding > 0 ? "padding" : "header";
  }
}

// ---- writing ----

export interface TarHeaderInput {
  name: string;
  type: TarEntryType;
  mode: number;
  uid?: number;
  gid?: number;
  size?: number;
  mtime?: number;
  linkname?: string;
  devmajor?: number;
  devminor?: number;
  xattrs?: Map<string, Buffer>;
}

const FLAGS: Record<TarEntryType, string> = { file: "0", hardlink: "1", symlink: "2", char: "3", block: "4", dir: "5", fifo: "6" };

function writeOctal(h: Buffer, off: number, len: number, n: number): boolean {
  const s = Math.floor(n).toString(8);
  if (s.length > len - 1) return false;
  h.write(s.padStart(len - 1, "0"), off, "ascii");
  return true;
}

function paxRecord(key: string, value: Buffer): Buffer {
  const body = Buffer.concat([Buffer.from(` ${key}=`), value, Buffer.from("\n")]);
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return Buffer.concat([Buffer.from(String(len)), body]);
}

function rawHeader(e: TarHeaderInput, name: string, linkname: string, size: number, flag: string): Buffer {
  const h = Buffer.alloc(BLOCK);
  h.write(name, 0, 100, "utf8");
  writeOctal(h, 100, 8, e.mode & 0o7777);
  writeOctal(h, 108, 8, e.uid ?? 0);
  writeOctal(h, 116, 8, e.gid ?? 0);
  writeOctal(h, 124, 12, size);
  writeOctal(h, 136, 12, Math.max(0, e.mtime ?? 0));
  h.write(flag, 156, "ascii");
  h.write(linkname, 157, 100, "utf8");
  h.write("ustar\u000000", 257, "binary");
  writeOctal(h, 329, 8, e.devmajor ?? 0);
  writeOctal(h, 337, 8, e.devminor ?? 0);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, "0") + "\0 ", 148, "ascii");
  return h;
}

/** The header block(s) of one entry: a PAX header first when a field does not fit ustar. */
export function tarHeader(e: TarHeaderInput): Buffer {
  const size = e.type === "file" ? e.size ?? 0 : 0;
  const linkname = e.linkname ?? "";
  const records: Buffer[] = [];
  const fits = (s: string) => Buffer.byteLength(s) <= 100 && /^[\x20-\x7e]*$/.test(s);
  if (!fits(e.name)) records.push(paxRecord("path", Buffer.from(e.name)));
  if (!fits(linkname)) records.push(paxRecord("linkpath", Buffer.from(linkname)));
  if (size >= 8 ** 11) records.push(paxRecord("size", Buffer.from(String(size))));
  for (const key of ["uid", "gid"] as const) if ((e[key] ?? 0) >= 8 ** 7) records.push(paxRecord(key, Buffer.from(String(e[key]))));
  for (const [k, v] of e.xattrs ?? []) records.push(paxRecord(`SCHILY.xattr.${k}`, v));
  const main = rawHeader(e, fits(e.name) ? e.name : e.name.slice(0, 99), fits(linkname) ? linkname : "", size >= 8 ** 11 ? 0 : size, FLAGS[e.type]);
  if (records.length === 0) return main;
  const body = Buffer.concat(records);
  const paxName = `PaxHeaders/${e.name.replace(/^.*\//, "").slice(0, 80)}`;
  return Buffer.concat([rawHeader({ name: paxName, type: "file", mode: 0o644 }, paxName, "", body.length, "x"), body, Buffer.alloc((BLOCK - (body.length % BLOCK)) % BLOCK), main]);
}

export function tarPadding(size: number): Buffer {
  return Buffer.alloc((BLOCK - (size % BLOCK)) % BLOCK);
}

/** The two zero blocks that end an archive. */
export const TAR_END = Buffer.alloc(2 * BLOCK);
