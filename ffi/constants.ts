// Kernel ABI numbers ctr needs. Values from <linux/sched.h>, <linux/mount.h>, <linux/prctl.h>,
// <asm-generic/ioctls.h>, <linux/sockios.h>. x86_64 and aarch64 only (the targets bun ships for).

export const CLONE_NEWNS = 0x00020000;
export const CLONE_NEWCGROUP = 0x02000000;
export const CLONE_NEWUTS = 0x04000000;
export const CLONE_NEWIPC = 0x08000000;
export const CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWPID = 0x20000000;
export const CLONE_NEWNET = 0x40000000;
export const CLONE_FS = 0x00000200;

export const MS = {
  RDONLY: 0x1,
  NOSUID: 0x2,
  NODEV: 0x4,
  NOEXEC: 0x8,
  SYNCHRONOUS: 0x10,
  REMOUNT: 0x20,
  MANDLOCK: 0x40,
  DIRSYNC: 0x80,
  NOSYMFOLLOW: 0x100,
  NOATIME: 0x400,
  NODIRATIME: 0x800,
  BIND: 0x1000,
  MOVE: 0x2000,
  REC: 0x4000,
  SILENT: 0x8000,
  UNBINDABLE: 0x20000,
  PRIVATE: 0x40000,
  SLAVE: 0x80000,
  SHARED: 0x100000,
  RELATIME: 0x200000,
  STRICTATIME: 0x1000000,
} as const;
export type MsFlag = keyof typeof MS;

export const MNT_DETACH = 0x2;

export const O_RDONLY = 0x0;
export const O_WRONLY = 0x1;
export const O_RDWR = 0x2;
export const O_NOCTTY = 0x100;
export const O_CLOEXEC = 0x80000;
export const O_DIRECTORY = 0x10000;
export const O_NOFOLLOW = 0x20000;
export const O_PATH = 0x200000;

/** File types in st_mode. */
export const S_IFMT = 0o170000;
export const S_IFDIR = 0o040000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

export const PR_SET_PDEATHSIG = 1;
export const PR_SET_DUMPABLE = 4;
export const PR_SET_KEEPCAPS = 8;
export const PR_CAPBSET_READ = 23;
export const PR_CAPBSET_DROP = 24;
export const PR_SET_NO_NEW_PRIVS = 38;
export const PR_CAP_AMBIENT = 47;
export const PR_CAP_AMBIENT_CLEAR_ALL = 4;

export const TIOCGWINSZ = 0x5413;
export const TIOCSWINSZ = 0x5414;
export const TIOCSCTTY = 0x540e;
export const TIOCGPTN = 0x80045430;
export const TIOCSPTLCK = 0x40045431;
export const TCSANOW = 0;

export const AF_INET = 2;
export const SOCK_DGRAM = 2;
export const SOCK_CLOEXEC = 0x80000;
export const SIOCGIFFLAGS = 0x8913;
export const SIOCSIFFLAGS = 0x8914;
export const IFF_UP = 0x1;

export const RLIMIT_NOFILE = 7;

export const CLOSE_RANGE_CLOEXEC = 1 << 2;
export const MFD_CLOEXEC = 1;

// Syscalls glibc does not wrap, called through syscall(2).
const SYSCALLS = {
  x64: { pidfd_send_signal: 424, fsopen: 430, fsconfig: 431, fsmount: 432, pidfd_open: 434, openat2: 437 },
  arm64: { pidfd_send_signal: 424, fsopen: 430, fsconfig: 431, fsmount: 432, pidfd_open: 434, openat2: 437 },
} as const;
export const SYS = SYSCALLS[process.arch === "arm64" ? "arm64" : "x64"];

export const SIGNALS: Record<string, number> = {
  SIGHUP: 1, SIGINT: 2, SIGQUIT: 3, SIGILL: 4, SIGTRAP: 5, SIGABRT: 6, SIGBUS: 7, SIGFPE: 8,
  SIGKILL: 9, SIGUSR1: 10, SIGSEGV: 11, SIGUSR2: 12, SIGPIPE: 13, SIGALRM: 14, SIGTERM: 15,
  SIGSTKFLT: 16, SIGCHLD: 17, SIGCONT: 18, SIGSTOP: 19, SIGTSTP: 20, SIGTTIN: 21, SIGTTOU: 22,
  SIGURG: 23, SIGXCPU: 24, SIGXFSZ: 25, SIGVTALRM: 26, SIGPROF: 27, SIGWINCH: 28, SIGIO: 29,
  SIGPWR: 30, SIGSYS: 31,
};
