// The few file operations the init stage needs, straight over libc. node:fs costs ~7 ms to load,
// and the init runs on every container start.
import { CString, ptr, read } from "bun:ffi";
import { C } from "./libc";
import { lastErrno } from "./errno";
import { cstr } from "./cstring";
import { O_CLOEXEC, O_RDONLY, O_WRONLY } from "./constants";

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
      if (errno === 11) {
        // EAGAIN: a non-blocking pipe (Bun leaves stdout so) is full; wait for the reader.
        waitWritable(fd);
        continue;
      }
      return -errno;
    }
    off += n;
  }
  return off;
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

/** Writes text to an existing file (cgroupfs style: one write, no truncate dance); -errno on failure. */
export function writeTextFile(path: string, text: string): number {
  const p = cstr(path);
  const fd = C.open(ptr(p), O_WRONLY | O_CLOEXEC, 0);
  if (fd < 0) return -lastErrno();
  try {
    const rc = writeFd(fd, Buffer.from(text));
    return rc < 0 ? rc : 0;
  } finally {
    C.close(fd);
  }
}

/** mkdir(2); -errno on failure. */
export function makeDir(path: string, mode = 0o755): number {
  const p = cstr(path);
  return C.mkdir(ptr(p), mode) < 0 ? -lastErrno() : 0;
}

/** rmdir(2); -errno on failure. */
export function removeDir(path: string): number {
  const p = cstr(path);
  return C.rmdir(ptr(p)) < 0 ? -lastErrno() : 0;
}

/** Names of the subdirectories of a directory (without . and ..), or null if it cannot be opened. */
export function listSubdirs(path: string): string[] | null {
  const p = cstr(path);
  const dir = C.opendir(ptr(p));
  if (dir === null) return null;
  const names: string[] = [];
  try {
    for (let ent = C.readdir(dir); ent !== null; ent = C.readdir(dir)) {
      // struct dirent (glibc, 64-bit): d_ino 8, d_off 8, d_reclen 2, d_type 1, then d_name.
      if (read.u8(ent, 18) !== 4 /* DT_DIR */) continue;
      const name = new CString(ent, 19).toString();
      if (name !== "." && name !== "..") names.push(name);
    }
  } finally {
    C.closedir(dir);
  }
  return names;
}

/** Seconds since the inode last changed (statx ctime), or null. */
export function ageSeconds(path: string): number | null {
  const buf = new Uint8Array(256);
  const p = cstr(path);
  if (C.statx(AT_FDCWD, ptr(p), AT_SYMLINK_NOFOLLOW, 0x80 /* STATX_CTIME */, ptr(buf)) < 0) return null;
  const sec = Number(new DataView(buf.buffer).getBigInt64(0x60, true));
  return Date.now() / 1000 - sec;
}

/** st_rdev of a device node as major:minor (following symlinks), or null. */
export function deviceNumber(path: string): { major: number; minor: number } | null {
  const buf = new Uint8Array(256);
  const p = cstr(path);
  if (C.statx(AT_FDCWD, ptr(p), 0, STATX_TYPE, ptr(buf)) < 0) return null;
  const mode = (buf[0x1c]! | (buf[0x1d]! << 8)) & S_IFMT;
  if (mode !== 0o060000 && mode !== 0o020000) return null; // neither block nor character device
  const dv = new DataView(buf.buffer);
  return { major: dv.getUint32(0x80, true), minor: dv.getUint32(0x84, true) }; // stx_rdev_major/minor
}

/** kill(2), ignoring failure (the process may be gone already). */
export function killPid(pid: number, signal: number): void {
  C.kill(pid, signal);
}

/** Blocks until fd is writable (or in error): poll(2) for POLLOUT. */
export function waitWritable(fd: number): void {
  const pfd = new Int32Array([fd, 4 /* POLLOUT */]);
  while (C.poll(ptr(pfd), 1, -1) < 0 && lastErrno() === 4 /* EINTR */);
}

/** Blocks until fd is readable (or hung up): poll(2) with one pollfd, no timeout. */
export function waitReadable(fd: number): void {
  // struct pollfd { int fd; short events; short revents; }, POLLIN = 1
  const pfd = new Int32Array([fd, 1]);
  while (C.poll(ptr(pfd), 1, -1) < 0 && lastErrno() === 4 /* EINTR */);
}
