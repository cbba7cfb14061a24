// The few file operations the init stage needs, straight over libc. node:fs costs ~7 ms to load,
// and the init runs on every container start.
import { ptr } from "bun:ffi";
import { C } from "./libc";
import { lastErrno } from "./errno";
import { cstr } from "./cstring";
import { O_CLOEXEC, O_RDONLY } from "./constants";

const AT_FDCWD = -100;
const AT_SYMLINK_NOFOLLOW = 0x100;
const STATX_TYPE = 0x1;
const S_IFMT = 0o170000;

export type FileType = "dir" | "file" | "symlink" | "other";

/** lstat's file type (stat's with follow), or null if the path does not exist or cannot be reached. */
export function fileType(path: string, follow = false): FileType | null {
  const buf = new Uint8Array(256); // struct statx
  const p = cstr(path);
  if (C.statx(AT_FDCWD, ptr(p), follow ? 0 : AT_SYMLINK_NOFOLLOW, STATX_TYPE, ptr(buf)) < 0) return null;
  const mode = (buf[0x1c]! | (buf[0x1d]! << 8)) & S_IFMT;
  return mode === 0o040000 ? "dir" : mode === 0o100000 ? "file" : mode === 0o120000 ? "symlink" : "other";
}

/** Whole file as UTF-8, or null if it cannot be opened. */
export function readTextFile(path: string): string | null {
  const p = cstr(path);
  const fd = C.open(ptr(p), O_RDONLY | O_CLOEXEC, 0);
  if (fd < 0) return null;
  const chunks: Buffer[] = [];
  const buf = Buffer.allocUnsafe(65536);
  try {
    for (;;) {
      const n = Number(C.read(fd, ptr(buf), buf.length));
      if (n <= 0) break;
      chunks.push(Buffer.from(buf.subarray(0, n)));
    }
  } finally {
    C.close(fd);
  }
  return Buffer.concat(chunks).toString("utf8");
}

/** read(2) into buf; -errno on failure. */
export function readFd(fd: number, buf: Buffer): number {
  const n = Number(C.read(fd, ptr(buf), buf.length));
  return n < 0 ? -lastErrno() : n;
}

/** write(2) all of buf; -errno on failure. */
export function writeFd(fd: number, buf: Buffer): number {
  let off = 0;
  while (off < buf.length) {
    const n = Number(C.write(fd, ptr(buf, off), buf.length - off));
    if (n < 0) {
      const errno = lastErrno();
      if (errno === 4) continue; // EINTR
      return -errno;
    }
    off += n;
  }
  return off;
}

export function chmod(path: string, mode: number): boolean {
  const p = cstr(path);
  return C.chmod(ptr(p), mode) === 0;
}

export function isExecutable(path: string): boolean {
  const p = cstr(path);
  return C.access(ptr(p), 1 /* X_OK */) === 0;
}

/** readlink(2), or null. */
export function readLink(path: string): string | null {
  const p = cstr(path);
  const buf = Buffer.alloc(4096);
  const n = Number(C.readlink(ptr(p), ptr(buf), buf.length));
  return n < 0 ? null : buf.toString("utf8", 0, n);
}

/** An absolute, normalised path (like path.resolve, without loading node:path). */
export function absolutePath(p: string, cwd = process.cwd()): string {
  const parts: string[] = [];
  for (const part of (p.startsWith("/") ? p : `${cwd}/${p}`).split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") parts.pop();
    else parts.push(part);
  }
  return `/${parts.join("/")}`;
}
