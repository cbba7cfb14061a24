// The new mount API (fsopen, fsconfig, fsmount): a filesystem mounted as a detached tree held by
// an fd, attached nowhere in any mount namespace. It works from a multithreaded process (no
// unshare), and it goes away when the fd is closed — a killed ctr leaves no mount behind.
import { ptr } from "bun:ffi";
import { syscall5 } from "./libc";
import { SYS } from "./constants";
import { cstr } from "./cstring";
import { lastErrno } from "./errno";

const FSOPEN_CLOEXEC = 1;
const FSMOUNT_CLOEXEC = 1;
const FSCONFIG_SET_FLAG = 0;
const FSCONFIG_SET_STRING = 1;
const FSCONFIG_CMD_CREATE = 6;

const rc = (n: number | bigint): number => {
  const v = Number(n);
  return v < 0 ? -lastErrno() : v;
};

export function fsopen(fstype: string): number {
  const t = cstr(fstype);
  return rc(syscall5(SYS.fsopen, BigInt(ptr(t)), FSOPEN_CLOEXEC, 0, 0, 0));
}

/** A string option; value null sets a flag option (`volatile`). */
export function fsconfigSet(fd: number, key: string, value: string | null): number {
  const k = cstr(key);
  if (value === null) return rc(syscall5(SYS.fsconfig, fd, FSCONFIG_SET_FLAG, BigInt(ptr(k)), 0, 0));
  const v = cstr(value);
  return rc(syscall5(SYS.fsconfig, fd, FSCONFIG_SET_STRING, BigInt(ptr(k)), BigInt(ptr(v)), 0));
}

export function fsconfigCreate(fd: number): number {
  return rc(syscall5(SYS.fsconfig, fd, FSCONFIG_CMD_CREATE, 0, 0, 0));
}

/** The mount's root as an fd (O_PATH-like; open below it with openat/openat2). */
export function fsmount(fd: number): number {
  return rc(syscall5(SYS.fsmount, fd, FSMOUNT_CLOEXEC, 0, 0, 0));
}
