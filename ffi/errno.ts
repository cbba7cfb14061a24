// errno: read right after the failing call (no allocation in between) and named as the headers name it.
import { read } from "bun:ffi";
import { C } from "./libc";

export function lastErrno(): number {
  const loc = C.__errno_location();
  return loc === null ? 0 : read.i32(loc, 0);
}

const NAMES: Record<number, string> = {
  1: "EPERM", 2: "ENOENT", 3: "ESRCH", 4: "EINTR", 5: "EIO", 6: "ENXIO", 7: "E2BIG", 8: "ENOEXEC",
  9: "EBADF", 10: "ECHILD", 11: "EAGAIN", 12: "ENOMEM", 13: "EACCES", 14: "EFAULT", 15: "ENOTBLK",
  16: "EBUSY", 17: "EEXIST", 18: "EXDEV", 19: "ENODEV", 20: "ENOTDIR", 21: "EISDIR", 22: "EINVAL",
  23: "ENFILE", 24: "EMFILE", 25: "ENOTTY", 26: "ETXTBSY", 27: "EFBIG", 28: "ENOSPC", 29: "ESPIPE",
  30: "EROFS", 31: "EMLINK", 32: "EPIPE", 34: "ERANGE", 36: "ENAMETOOLONG", 38: "ENOSYS",
  39: "ENOTEMPTY", 40: "ELOOP", 95: "EOPNOTSUPP", 110: "ETIMEDOUT",
};

export function errnoName(errno: number): string {
  return NAMES[errno] ?? `errno ${errno}`;
}

export function errnoText(errno: number): string {
  return String(C.strerror(errno) ?? `errno ${errno}`);
}
