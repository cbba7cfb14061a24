// Synchronous file operations over libc, for code on `ctr run`'s path (the image store): node:fs
// costs ~7 ms to load, on every start. Each failure is a SysError naming the call and the path.
import { ptr } from "bun:ffi";
import { C } from "../ffi/libc";
import { lastErrno } from "../ffi/errno";
import { cstr } from "../ffi/cstring";
import { AT_FDCWD, AT_REMOVEDIR, O_CREAT, O_EXCL, O_TRUNC, openat, renameat, statAt, symlinkat, unlinkat, closeFd, fsync } from "../ffi/at";
import { O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_RDONLY, O_WRONLY, S_IFDIR, S_IFMT } from "../ffi/constants";
import { readFd, writeFd } from "../ffi/files";
import { readDirFd } from "../ffi/dir";
import { SysError } from "./errors";

const O_RDWR = 0x2;

function check(rc: number, syscall: string, path: string): number {
  if (rc < 0) throw new SysError(syscall, -rc, path);
  return rc;
}

/** Whether path exists (following symlinks, as existsSync). */
export function exists(path: string): boolean {
  return statAt(AT_FDCWD, path, true) !== null;
}

export function isDirectory(path: string): boolean {
  const st = statAt(AT_FDCWD, path, true);
  return st !== null && (st.mode & S_IFMT) === S_IFDIR;
}

export function readFile(path: string): Buffer {
  const fd = check(openat(AT_FDCWD, path, O_RDONLY | O_CLOEXEC), "open", path);
  try {
    const chunks: Buffer[] = [];
    for (;;) {
      const buf = Buffer.allocUnsafe(65536);
      const n = check(readFd(fd, buf), "read", path);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
    }
    return Buffer.concat(chunks);
  } finally {
    closeFd(fd);
  }
}

/** Writes a whole file (created or truncated); `exclusive` refuses an existing one. */
export function writeFile(path: string, data: Uint8Array | string, mode = 0o644, exclusive = false): void {
  const fd = check(openat(AT_FDCWD, path, O_WRONLY | O_CREAT | (exclusive ? O_EXCL : O_TRUNC) | O_CLOEXEC, mode), "open", path);
  try {
    check(writeFd(fd, typeof data === "string" ? Buffer.from(data) : (data as Buffer)), "write", path);
  } finally {
    closeFd(fd);
  }
}

/** Opens (creating if needed) a file for writing and returns the fd: the caller closes it. */
export function openForWrite(path: string, mode: number, exclusive: boolean): number {
  return check(openat(AT_FDCWD, path, O_WRONLY | O_CREAT | (exclusive ? O_EXCL : 0) | O_CLOEXEC, mode), "open", path);
}

export function openForLock(path: string): number {
  return check(openat(AT_FDCWD, path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600), "open", path);
}

export function writeAll(fd: number, data: Uint8Array, path: string): void {
  check(writeFd(fd, data as Buffer), "write", path);
}

export function syncFd(fd: number, path: string): void {
  check(fsync(fd), "fsync", path);
}

export { closeFd };

/** mkdir; an existing directory is fine when `existOk`. */
export function mkdir(path: string, mode = 0o755, existOk = false): void {
  const p = cstr(path);
  if (C.mkdir(ptr(p), mode) === 0) return;
  const errno = lastErrno();
  if (errno === 17 /* EEXIST */ && existOk) return;
  throw new SysError("mkdir", errno, path);
}

/** mkdir -p: each missing component with `mode`. */
export function mkdirp(path: string, mode = 0o755): void {
  let prefix = "";
  for (const part of path.split("/").filter(Boolean)) {
    prefix += `/${part}`;
    if (!isDirectory(prefix)) mkdir(prefix, mode, true);
  }
}

export function chmod(path: string, mode: number): void {
  const p = cstr(path);
  if (C.chmod(ptr(p), mode) < 0) throw new SysError("chmod", lastErrno(), path);
}

export function rename(from: string, to: string): void {
  check(renameat(AT_FDCWD, from, AT_FDCWD, to), "rename", `${from} to ${to}`);
}

export function symlink(target: string, path: string): void {
  check(symlinkat(target, AT_FDCWD, path), "symlink", path);
}

/** unlink (of name in dirfd); a missing file is fine. */
export function unlink(path: string, dirfd = AT_FDCWD, what = path): void {
  const rc = unlinkat(dirfd, path);
  if (rc < 0 && rc !== -2) throw new SysError("unlink", -rc, what);
}

/** Names in a directory (without . and ..); a missing directory has none. */
export function readdir(path: string): string[] {
  const fd = openat(AT_FDCWD, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd === -2) return [];
  check(fd, "open", path);
  try {
    return readDirFd(fd).map((e) => e.name);
  } finally {
    closeFd(fd);
  }
}

export function fileSize(path: string): number {
  return statAt(AT_FDCWD, path, true)?.size ?? 0;
}

/** rm -r of name in dirfd (a file or a directory), never following symlinks; missing is fine. */
export function removeTreeAt(dirfd: number, name: string, what = name): void {
  const rc = unlinkat(dirfd, name, AT_REMOVEDIR);
  if (rc === 0 || rc === -2) return;
  if (rc === -20 /* ENOTDIR */) return unlink(name, dirfd, what);
  if (rc !== -39 /* ENOTEMPTY */) throw new SysError("rmdir", -rc, what);
  const fd = check(openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC), "open", what);
  try {
    // d_type 0 (unknown on some filesystems) goes the directory way, which handles files too.
    for (const e of readDirFd(fd)) {
      if (e.type === 4 || e.type === 0) removeTreeAt(fd, e.name, `${what}/${e.name}`);
      else unlink(e.name, fd, `${what}/${e.name}`);
    }
  } finally {
    closeFd(fd);
  }
  const again = unlinkat(dirfd, name, AT_REMOVEDIR);
  if (again < 0 && again !== -2) throw new SysError("rmdir", -again, what);
}

export function removeTree(path: string): void {
  removeTreeAt(AT_FDCWD, path);
}
