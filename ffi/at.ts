// Directory-fd-relative file calls (openat2, mkdirat, ...). Layer unpacking does every path lookup
// with openat2(RESOLVE_IN_ROOT) below one directory fd, so no tar entry can reach outside it, however
// its symlinks and `..` are arranged. Each call returns its result, or -errno.
import { ptr } from "bun:ffi";
import { C } from "./libc";
import { lastErrno } from "./errno";
import { cstr } from "./cstring";
import { SYS } from "./constants";

export const AT_FDCWD = -100;
export const AT_SYMLINK_NOFOLLOW = 0x100;
export const AT_REMOVEDIR = 0x200;
export const AT_EMPTY_PATH = 0x1000;

export const O_CREAT = 0o100;
export const O_EXCL = 0o200;
export const O_TRUNC = 0o1000;

export const RESOLVE_NO_MAGICLINKS = 0x02;
export const RESOLVE_NO_SYMLINKS = 0x04;
export const RESOLVE_IN_ROOT = 0x10;

export { S_IFMT, S_IFDIR, S_IFREG, S_IFLNK, S_IFCHR, S_IFBLK, S_IFIFO } from "./constants";

export const LOCK_SH = 1;
export const LOCK_EX = 2;
export const LOCK_NB = 4;
export const LOCK_UN = 8;

const rc = (n: number | bigint): number => {
  const v = Number(n);
  return v < 0 ? -lastErrno() : v;
};

/** openat2(2) with struct open_how { flags, mode, resolve }. */
export function openat2(dirfd: number, path: string, flags: number, mode: number, resolve: number): number {
  const how = new BigUint64Array([BigInt(flags), BigInt(mode), BigInt(resolve)]);
  const p = cstr(path);
  return rc(C.syscall(SYS.openat2, dirfd, BigInt(ptr(p)), BigInt(ptr(how)), 24));
}

export function openat(dirfd: number, path: string, flags: number, mode = 0): number {
  const p = cstr(path);
  return rc(C.openat(dirfd, ptr(p), flags, mode));
}

export function mkdirat(dirfd: number, name: string, mode: number): number {
  const p = cstr(name);
  return rc(C.mkdirat(dirfd, ptr(p), mode));
}

export function mknodat(dirfd: number, name: string, mode: number, major: number, minor: number): number {
  const p = cstr(name);
  // glibc's makedev for the 64-bit dev_t.
  const dev = (BigInt(major & 0xfff) << 8n) | (BigInt(major & ~0xfff) << 32n) | BigInt(minor & 0xff) | (BigInt(minor & ~0xff) << 12n);
  return rc(C.mknodat(dirfd, ptr(p), mode, dev));
}

export function symlinkat(target: string, dirfd: number, name: string): number {
  const t = cstr(target);
  const p = cstr(name);
  return rc(C.symlinkat(ptr(t), dirfd, ptr(p)));
}

/** readlinkat(2) of name in dirfd, or null. */
export function readlinkAt(dirfd: number, name: string): string | null {
  const p = cstr(name);
  const buf = Buffer.alloc(4096);
  const n = Number(C.readlinkat(dirfd, ptr(p), ptr(buf), buf.length));
  return n < 0 ? null : buf.toString("utf8", 0, n);
}

export function linkat(olddirfd: number, oldname: string, newdirfd: number, newname: string, flags = 0): number {
  const a = cstr(oldname);
  const b = cstr(newname);
  return rc(C.linkat(olddirfd, ptr(a), newdirfd, ptr(b), flags));
}

export function unlinkat(dirfd: number, name: string, flags = 0): number {
  const p = cstr(name);
  return rc(C.unlinkat(dirfd, ptr(p), flags));
}

export function renameat(olddirfd: number, oldname: string, newdirfd: number, newname: string): number {
  const a = cstr(oldname);
  const b = cstr(newname);
  return rc(C.renameat(olddirfd, ptr(a), newdirfd, ptr(b)));
}

export function fchownat(dirfd: number, name: string, uid: number, gid: number, flags: number): number {
  const p = cstr(name);
  return rc(C.fchownat(dirfd, ptr(p), uid, gid, flags));
}

export function fchmodat(dirfd: number, name: string, mode: number): number {
  const p = cstr(name);
  return rc(C.fchmodat(dirfd, ptr(p), mode, 0));
}

export function fchmod(fd: number, mode: number): number {
  return rc(C.fchmod(fd, mode));
}

/** Sets atime and mtime (seconds, nanoseconds) of name in dirfd, without following a symlink. */
export function utimensat(dirfd: number, name: string, sec: number, nsec = 0): number {
  const times = new BigInt64Array([BigInt(sec), BigInt(nsec), BigInt(sec), BigInt(nsec)]);
  const p = cstr(name);
  return rc(C.utimensat(dirfd, ptr(p), ptr(times), AT_SYMLINK_NOFOLLOW));
}

export function fsetxattr(fd: number, name: string, value: Uint8Array): number {
  const n = cstr(name);
  const v = value.length ? value : new Uint8Array(1);
  return rc(C.fsetxattr(fd, ptr(n), ptr(v), value.length, 0));
}

/** The xattrs of an open file as name → value (empty if none or unsupported). */
export function fgetxattrs(fd: number): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const names = Buffer.alloc(65536);
  const n = Number(C.flistxattr(fd, ptr(names), names.length));
  if (n <= 0) return out;
  for (const name of names.toString("latin1", 0, n).split("\0").filter(Boolean)) {
    const val = Buffer.alloc(65536);
    const np = cstr(name);
    const len = Number(C.fgetxattr(fd, ptr(np), ptr(val), val.length));
    if (len >= 0) out.set(name, Buffer.from(val.subarray(0, len)));
  }
  return out;
}

export function closeFd(fd: number): void {
  C.close(fd);
}

export function flock(fd: number, op: number): number {
  return rc(C.flock(fd, op));
}

export function fsync(fd: number): number {
  return rc(C.fsync(fd));
}

export interface Stat {
  mode: number;
  uid: number;
  gid: number;
  size: number;
  /** Seconds. */
  mtime: number;
  ctime: number;
  nlink: number;
  ino: bigint;
  dev: bigint;
  rdevMajor: number;
  rdevMinor: number;
}

/** statx(2) of name in dirfd (AT_EMPTY_PATH with name "" stats dirfd itself); null if it fails. */
export function statAt(dirfd: number, name: string, follow = false): Stat | null {
  const buf = new Uint8Array(256);
  const p = cstr(name);
  const flags = (follow ? 0 : AT_SYMLINK_NOFOLLOW) | (name === "" ? AT_EMPTY_PATH : 0);
  if (C.statx(dirfd, ptr(p), flags, 0xfff /* STATX_BASIC_STATS */, ptr(buf)) < 0) return null;
  const dv = new DataView(buf.buffer);
  return {
    nlink: dv.getUint32(0x10, true),
    uid: dv.getUint32(0x14, true),
    gid: dv.getUint32(0x18, true),
    mode: dv.getUint16(0x1c, true),
    ino: dv.getBigUint64(0x20, true),
    size: Number(dv.getBigUint64(0x28, true)),
    ctime: Number(dv.getBigInt64(0x60, true)), // stx_ctime.tv_sec
    mtime: Number(dv.getBigInt64(0x70, true)), // stx_mtime.tv_sec
    rdevMajor: dv.getUint32(0x80, true),
    rdevMinor: dv.getUint32(0x84, true),
    dev: (BigInt(dv.getUint32(0x88, true)) << 32n) | BigInt(dv.getUint32(0x8c, true)),
  };
}
