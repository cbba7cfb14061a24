// The few file operations the init stage needs, straight over libc. node:fs costs ~7 ms to load,
// and the init runs on every container start.
import { ptr } from "bun:ffi";
import { C } from "./libc";
import { lastErrno } from "./errno";
import { cstr } from "./cstring";
import { O_CLOEXEC, O_DIRECTORY, O_RDONLY, O_WRONLY, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG } from "./constants";
import { AT_FDCWD, closeFd, openat, statAt } from "./at";
import { readDirFd } from "./dir";

export type FileType = "dir" | "file" | "symlink" | "other";

/** lstat's file type (stat's with follow), or null if the path does not exist or cannot be reached. */
export function fileType(path: string, follow = false): FileType | null {
  const st = statAt(AT_FDCWD, path, follow);
  if (st === null) return null;
  const mode = st.mode & S_IFMT;
  return mode === S_IFDIR ? "dir" : mode === S_IFREG ? "file" : mode === S_IFLNK ? "symlink" : "other";
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
  const fd = openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return null;
  try {
    return readDirFd(fd).filter((e) => e.type === 4 /* DT_DIR */).map((e) => e.name);
  } finally {
    closeFd(fd);
  }
}

/** Seconds since the inode last changed (statx ctime), or null. */
export function ageSeconds(path: string): number | null {
  const st = statAt(AT_FDCWD, path);
  return st === null ? null : Date.now() / 1000 - st.ctime;
}

/** st_rdev of a device node as major:minor (following symlinks), or null. */
export function deviceNumber(path: string): { major: number; minor: number } | null {
  const st = statAt(AT_FDCWD, path, true);
  const type = (st?.mode ?? 0) & S_IFMT;
  if (st === null || (type !== S_IFBLK && type !== S_IFCHR)) return null;
  return { major: st.rdevMajor, minor: st.rdevMinor };
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

/** mkfifo(2) mode 0600 (through mknodat); an existing one is replaced. */
export function makeFifo(path: string): void {
  const p = cstr(path);
  C.unlinkat(AT_FDCWD, ptr(p), 0);
  if (C.mknodat(AT_FDCWD, ptr(p), S_IFIFO | 0o600, 0n) < 0) throw new Error(`mkfifo ${path}: errno ${lastErrno()}`);
}
