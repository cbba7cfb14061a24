// The one place that loads libc. Every symbol ctr calls is declared here, typed once.
// Syscalls glibc does not wrap (pivot_root, pidfd_*) go through syscall(2) with numbers from constants.ts.
//
// bun:ffi compiles a trampoline for every symbol of a dlopen() call (~10 µs each), so the symbols
// come in groups, each bound the first time one of its symbols is used: `ctr run` binds the core
// group only, layer unpacking the *at group, `-t` the terminal group.
import { dlopen, FFIType } from "bun:ffi";

const { i32, u32, i64, u64, ptr, void: none } = FFIType;

const core = {
  __errno_location: { args: [], returns: ptr },
  strerror: { args: [i32], returns: FFIType.cstring },
  syscall: { args: [i64, i64, i64, i64, i64], returns: i64 },
  open: { args: [ptr, i32, u32], returns: i32 },
  openat: { args: [i32, ptr, i32, u32], returns: i32 },
  close: { args: [i32], returns: i32 },
  read: { args: [i32, ptr, u64], returns: i64 },
  write: { args: [i32, ptr, u64], returns: i64 },
  poll: { args: [ptr, u64, i32], returns: i32 },
  ioctl: { args: [i32, u64, ptr], returns: i32 },
  statx: { args: [i32, ptr, i32, u32, ptr], returns: i32 },
  mkdir: { args: [ptr, u32], returns: i32 },
  rmdir: { args: [ptr], returns: i32 },
  unlinkat: { args: [i32, ptr, i32], returns: i32 },
  renameat: { args: [i32, ptr, i32, ptr], returns: i32 },
  readlink: { args: [ptr, ptr, u64], returns: i64 },
  access: { args: [ptr, i32], returns: i32 },
  chmod: { args: [ptr, u32], returns: i32 },
  fdopendir: { args: [i32], returns: ptr },
  readdir: { args: [ptr], returns: ptr },
  closedir: { args: [ptr], returns: i32 },
  memfd_create: { args: [ptr, u32], returns: i32 },
  fcntl: { args: [i32, i32, i32], returns: i32 },
  fsync: { args: [i32], returns: i32 },
  flock: { args: [i32, i32], returns: i32 },
  kill: { args: [i32, i32], returns: i32 },
  prctl: { args: [i32, u64, u64, u64, u64], returns: i32 },
  getrlimit: { args: [i32, ptr], returns: i32 },
} as const;

// *at calls of layer unpacking: every path resolved inside one directory fd (see ffi/at.ts)
const at = {
  mkdirat: { args: [i32, ptr, u32], returns: i32 },
  mknodat: { args: [i32, ptr, u32, u64], returns: i32 },
  symlinkat: { args: [ptr, i32, ptr], returns: i32 },
  linkat: { args: [i32, ptr, i32, ptr, i32], returns: i32 },
  readlinkat: { args: [i32, ptr, ptr, u64], returns: i64 },
  fchownat: { args: [i32, ptr, u32, u32, i32], returns: i32 },
  fchmodat: { args: [i32, ptr, u32, i32], returns: i32 },
  fchmod: { args: [i32, u32], returns: i32 },
  utimensat: { args: [i32, ptr, ptr, i32], returns: i32 },
  fsetxattr: { args: [i32, ptr, ptr, u64, i32], returns: i32 },
  flistxattr: { args: [i32, ptr, u64], returns: i64 },
  fgetxattr: { args: [i32, ptr, ptr, u64], returns: i64 },
} as const;

const terminal = {
  tcgetattr: { args: [i32, ptr], returns: i32 },
  tcsetattr: { args: [i32, i32, ptr], returns: i32 },
  cfmakeraw: { args: [ptr], returns: none },
} as const;

// Sockets: rtnetlink from ctr itself (the host's links), and port checks.
const net = {
  socket: { args: [i32, i32, i32], returns: i32 },
  bind: { args: [i32, ptr, u32], returns: i32 },
  sendto: { args: [i32, ptr, u64, i32, ptr, u32], returns: i64 },
  recv: { args: [i32, ptr, u64, i32], returns: i64 },
  setsockopt: { args: [i32, i32, i32, ptr, u32], returns: i32 },
  getsockname: { args: [i32, ptr, ptr], returns: i32 },
} as const;

type Symbols = ReturnType<typeof dlopen<typeof core>>["symbols"] &
  ReturnType<typeof dlopen<typeof net>>["symbols"] &
  ReturnType<typeof dlopen<typeof at>>["symbols"] &
  ReturnType<typeof dlopen<typeof terminal>>["symbols"];

export const C = {} as Symbols;

// Each symbol starts as a getter that binds its whole group, replacing every getter of the group
// with the plain function: after the first call, a symbol is an ordinary property.
for (const group of [core, at, terminal, net]) {
  const bind = () => {
    const { symbols } = dlopen("libc.so.6", group);
    for (const [name, fn] of Object.entries(symbols)) Object.defineProperty(C, name, { value: fn, enumerable: true });
  };
  for (const name of Object.keys(group)) {
    Object.defineProperty(C, name, {
      configurable: true,
      enumerable: true,
      get() {
        bind();
        return (C as Record<string, unknown>)[name];
      },
    });
  }
}

let wideSyscall: ((n: number, a: number | bigint, b: number | bigint, c: number | bigint, d: number | bigint, e: number | bigint) => number | bigint) | null = null;

/** syscall(2) with five arguments (fsconfig needs its fifth, `aux`, to be 0). */
export function syscall5(n: number, a: number | bigint, b: number | bigint, c: number | bigint, d: number | bigint, e: number | bigint): number | bigint {
  wideSyscall ??= dlopen("libc.so.6", { syscall: { args: [i64, i64, i64, i64, i64, i64], returns: i64 } }).symbols.syscall as unknown as typeof wideSyscall;
  return wideSyscall!(n, a, b, c, d, e);
}
