// Just enough ELF to find what a dynamically linked program loads: its interpreter (PT_INTERP),
// its DT_NEEDED libraries and search paths (DT_RUNPATH, DT_RPATH), resolved as ld.so does with
// the default directories and /etc/ld.so.conf. Used by `ctr image from-host`.
import * as fs from "node:fs";

export interface ElfDeps {
  interpreter: string | null;
  needed: string[];
  runpath: string[];
  rpath: string[];
}

const PT_LOAD = 1;
const PT_DYNAMIC = 2;
const PT_INTERP = 3;
const DT_NEEDED = 1n;
const DT_STRTAB = 5n;
const DT_RPATH = 15n;
const DT_RUNPATH = 29n;

/** null if the file is not a 64-bit little-endian ELF (a script, a static binary still parses). */
export function readElfDeps(bytes: Buffer): ElfDeps | null {
  if (bytes.length < 64 || bytes.readUInt32BE(0) !== 0x7f454c46 || bytes[4] !== 2 || bytes[5] !== 1) return null;
  const phoff = Number(bytes.readBigUInt64LE(0x20));
  const phentsize = bytes.readUInt16LE(0x36);
  const phnum = bytes.readUInt16LE(0x38);
  const loads: { vaddr: number; offset: number; filesz: number }[] = [];
  let interpreter: string | null = null;
  let dyn: { offset: number; size: number } | null = null;
  for (let i = 0; i < phnum; i++) {
    const o = phoff + i * phentsize;
    const type = bytes.readUInt32LE(o);
    const offset = Number(bytes.readBigUInt64LE(o + 8));
    const vaddr = Number(bytes.readBigUInt64LE(o + 16));
    const filesz = Number(bytes.readBigUInt64LE(o + 32));
    if (type === PT_LOAD) loads.push({ vaddr, offset, filesz });
    else if (type === PT_INTERP) interpreter = bytes.toString("utf8", offset, offset + filesz).replace(/\0.*$/s, "");
    else if (type === PT_DYNAMIC) dyn = { offset, size: filesz };
  }
  const deps: ElfDeps = { interpreter, needed: [], runpath: [], rpath: [] };
  if (!dyn) return deps;
  const entries: [bigint, bigint][] = [];
  for (let o = dyn.offset; o + 16 <= dyn.offset + dyn.size; o += 16) {
    const tag = bytes.readBigInt64LE(o);
    if (tag === 0n) break;
    entries.push([tag, bytes.readBigUInt64LE(o + 8)]);
  }
  const strtabAddr = Number(entries.find(([t]) => t === DT_STRTAB)?.[1] ?? 0n);
  const seg = loads.find((l) => strtabAddr >= l.vaddr && strtabAddr < l.vaddr + l.filesz);
  if (!seg) return deps;
  const strtab = strtabAddr - seg.vaddr + seg.offset;
  const str = (off: bigint) => {
    const start = strtab + Number(off);
    const end = bytes.indexOf(0, start);
    return bytes.toString("utf8", start, end < 0 ? undefined : end);
  };
  for (const [tag, val] of entries) {
    if (tag === DT_NEEDED) deps.needed.push(str(val));
    else if (tag === DT_RUNPATH) deps.runpath.push(...str(val).split(":").filter(Boolean));
    else if (tag === DT_RPATH) deps.rpath.push(...str(val).split(":").filter(Boolean));
  }
  return deps;
}

/** Library directories from /etc/ld.so.conf and its includes, then the defaults. */
export function librarySearchDirs(): string[] {
  const dirs: string[] = [];
  const readConf = (file: string, depth: number) => {
    let text = "";
    try {
      text = fs.readFileSync(file, "utf8");
    } catch {
      return;
    }
    for (const raw of text.split("\n")) {
      const line = raw.replace(/#.*/, "").trim();
      if (!line) continue;
      if (line.startsWith("include ") && depth < 4) {
        const pattern = line.slice(8).trim();
        const dir = pattern.slice(0, pattern.lastIndexOf("/"));
        const re = new RegExp(`^${pattern.slice(pattern.lastIndexOf("/") + 1).replace(/\./g, "\\.").replace(/\*/g, ".*")}$`);
        let names: string[] = [];
        try {
          names = fs.readdirSync(dir).filter((n) => re.test(n)).sort();
        } catch {
          /* no such dir */
        }
        for (const n of names) readConf(`${dir}/${n}`, depth + 1);
      } else dirs.push(line);
    }
  };
  readConf("/etc/ld.so.conf", 0);
  const multiarch = process.arch === "arm64" ? "aarch64-linux-gnu" : "x86_64-linux-gnu";
  return [...new Set([...dirs, `/lib/${multiarch}`, `/usr/lib/${multiarch}`, "/lib64", "/usr/lib64", "/lib", "/usr/lib"])];
}

/** Every file a program needs to start: itself, its interpreter, its libraries, recursively. */
export function programClosure(program: string, searchDirs = librarySearchDirs()): string[] {
  const out = new Set<string>();
  const pending = [program];
  while (pending.length) {
    const file = pending.pop()!;
    if (out.has(file)) continue;
    out.add(file);
    const deps = readElfDeps(fs.readFileSync(file));
    if (!deps) continue;
    if (deps.interpreter) pending.push(deps.interpreter);
    const origin = file.slice(0, file.lastIndexOf("/")) || "/";
    const expand = (d: string) => d.replace(/\$(ORIGIN|\{ORIGIN\})/g, origin);
    const dirs = [...(deps.runpath.length ? [] : deps.rpath.map(expand)), ...deps.runpath.map(expand), ...searchDirs];
    for (const lib of deps.needed) {
      const found = lib.includes("/") ? lib : dirs.map((d) => `${d}/${lib}`).find((p) => fs.existsSync(p));
      if (!found) throw new Error(`${program}: cannot find ${lib}, which it needs (searched ${dirs.join(", ")})`);
      pending.push(found);
    }
  }
  return [...out];
}
