// The syscall seam. Everything that changes kernel state goes through a Sys, so the code that
// applies a plan can run against the real kernel (LinuxSys) or a recorder in tests (FakeSys).

export interface Capabilities {
  effective: bigint;
  permitted: bigint;
  inheritable: bigint;
}

export interface Sys {
  unshare(flags: number): void;
  setns(fd: number, nstype: number, what: string): void;
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void;
  umount2(target: string, flags: number): void;
  pivotRoot(newRoot: string, putOld: string): void;
  sethostname(name: string): void;
  chdir(path: string): void;
  mkdir(path: string, mode: number): void;
  mknod(path: string, mode: number, major: number, minor: number): void;
  chmod(path: string, mode: number): void;
  symlink(target: string, path: string): void;
  open(path: string, flags: number, mode?: number): number;
  close(fd: number): void;
  dup3(oldfd: number, newfd: number, flags: number): void;
  fchown(fd: number, uid: number, gid: number): void;
  ioctl(fd: number, request: number, arg: Uint8Array | null, what: string): void;
  prctl(option: number, arg2: number, what: string): number;
  capBoundingDrop(cap: number): void;
  capBoundingHas(cap: number): boolean;
  capset(caps: Capabilities): void;
  setgroups(gids: number[]): void;
  setresgid(gid: number): void;
  setresuid(uid: number): void;
  setrlimit(resource: number, soft: bigint, hard: bigint, what: string): void;
  getrlimit(resource: number): { soft: bigint; hard: bigint };
  setsid(): void;
  socket(domain: number, type: number, protocol: number): number;
  closeRangeCloexec(from: number): void;
  /** Replaces the process image; returns only by throwing. */
  execve(path: string, argv: string[], env: string[]): never;
  kill(pid: number, signal: number): void;
  pidfdOpen(pid: number): number;
  pidfdGetfd(pidfd: number, targetfd: number): number;
}
