// The one place that loads libc. Every symbol ctr calls is declared here, typed once.
// Syscalls glibc does not wrap (pivot_root, pidfd_*) go through syscall(2) with numbers from constants.ts.
import { dlopen, FFIType } from "bun:ffi";

const { i32, u32, i64, u64, ptr, void: none } = FFIType;

export const libc = dlopen("libc.so.6", {
  __errno_location: { args: [], returns: ptr },
  strerror: { args: [i32], returns: FFIType.cstring },
  syscall: { args: [i64, i64, i64, i64, i64], returns: i64 },

  // namespaces and mounts
  unshare: { args: [i32], returns: i32 },
  setns: { args: [i32, i32], returns: i32 },
  mount: { args: [ptr, ptr, ptr, u64, ptr], returns: i32 },
  umount2: { args: [ptr, i32], returns: i32 },
  sethostname: { args: [ptr, u64], returns: i32 },

  // files
  open: { args: [ptr, i32, u32], returns: i32 },
  close: { args: [i32], returns: i32 },
  dup3: { args: [i32, i32, i32], returns: i32 },
  ioctl: { args: [i32, u64, ptr], returns: i32 },
  chdir: { args: [ptr], returns: i32 },
  mkdir: { args: [ptr, u32], returns: i32 },
  mknod: { args: [ptr, u32, u64], returns: i32 },
  symlink: { args: [ptr, ptr], returns: i32 },
  fchown: { args: [i32, u32, u32], returns: i32 },
  memfd_create: { args: [ptr, u32], returns: i32 },
  read: { args: [i32, ptr, u64], returns: i64 },
  poll: { args: [ptr, u64, i32], returns: i32 },
  write: { args: [i32, ptr, u64], returns: i64 },
  chmod: { args: [ptr, u32], returns: i32 },
  access: { args: [ptr, i32], returns: i32 },
  readlink: { args: [ptr, ptr, u64], returns: i64 },
  readlinkat: { args: [i32, ptr, ptr, u64], returns: i64 },
  rmdir: { args: [ptr], returns: i32 },
  opendir: { args: [ptr], returns: ptr },
  readdir: { args: [ptr], returns: ptr },
  closedir: { args: [ptr], returns: i32 },
  statx: { args: [i32, ptr, i32, u32, ptr], returns: i32 },
  // *at calls: layer unpacking resolves every path inside one directory fd (see ffi/at.ts)
  openat: { args: [i32, ptr, i32, u32], returns: i32 },
  mkdirat: { args: [i32, ptr, u32], returns: i32 },
  mknodat: { args: [i32, ptr, u32, u64], returns: i32 },
  symlinkat: { args: [ptr, i32, ptr], returns: i32 },
  linkat: { args: [i32, ptr, i32, ptr, i32], returns: i32 },
  unlinkat: { args: [i32, ptr, i32], returns: i32 },
  renameat: { args: [i32, ptr, i32, ptr], returns: i32 },
  fchownat: { args: [i32, ptr, u32, u32, i32], returns: i32 },
  fchmodat: { args: [i32, ptr, u32, i32], returns: i32 },
  fchmod: { args: [i32, u32], returns: i32 },
  utimensat: { args: [i32, ptr, ptr, i32], returns: i32 },
  fsetxattr: { args: [i32, ptr, ptr, u64, i32], returns: i32 },
  flistxattr: { args: [i32, ptr, u64], returns: i64 },
  fgetxattr: { args: [i32, ptr, ptr, u64], returns: i64 },
  fdopendir: { args: [i32], returns: ptr },
  flock: { args: [i32, i32], returns: i32 },
  fsync: { args: [i32], returns: i32 },

  // processes and credentials
  execve: { args: [ptr, ptr, ptr], returns: i32 },
  kill: { args: [i32, i32], returns: i32 },
  setsid: { args: [], returns: i32 },
  signal: { args: [i32, ptr], returns: ptr },
  sigprocmask: { args: [i32, ptr, ptr], returns: i32 },
  prctl: { args: [i32, u64, u64, u64, u64], returns: i32 },
  capset: { args: [ptr, ptr], returns: i32 },
  getrlimit: { args: [i32, ptr], returns: i32 },
  setrlimit: { args: [i32, ptr], returns: i32 },

  // terminals and sockets
  tcgetattr: { args: [i32, ptr], returns: i32 },
  tcsetattr: { args: [i32, i32, ptr], returns: i32 },
  cfmakeraw: { args: [ptr], returns: none },
  socket: { args: [i32, i32, i32], returns: i32 },
});

export const C = libc.symbols;
