// A Sys that records every call and can be told to fail one with an errno.
import { SysError } from "../../src/errors";
import type { Capabilities, Sys } from "../../src/sys/sys";

export interface Call { call: string; args: unknown[] }

const ERRNO: Record<string, number> = { EPERM: 1, ENOENT: 2, EBUSY: 16, EINVAL: 22 };

export class FakeSys implements Sys {
  calls: Call[] = [];
  private failures = new Map<string, { nth: number; errno: string }>();
  /** Capabilities the fake "host" lets ctr hold (by number); default all of 0..40. */
  bounding = new Set(Array.from({ length: 41 }, (_, i) => i));

  failOn(call: string, errno: keyof typeof ERRNO, nth = 1): this {
    this.failures.set(call, { nth, errno });
    return this;
  }
  names(): string[] {
    return this.calls.map((c) => c.call);
  }
  private rec(call: string, ...args: unknown[]): void {
    this.calls.push({ call, args });
    const f = this.failures.get(call);
    if (f && this.calls.filter((c) => c.call === call).length === f.nth) throw new SysError(call, ERRNO[f.errno]!, String(args[0] ?? ""));
  }
  unshare(flags: number) { this.rec("unshare", flags); }
  setns(fd: number, nstype: number) { this.rec("setns", fd, nstype); }
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null) { this.rec("mount", source, target, fstype, flags, data); }
  umount2(target: string, flags: number) { this.rec("umount2", target, flags); }
  pivotRoot(newRoot: string, putOld: string) { this.rec("pivotRoot", newRoot, putOld); }
  sethostname(name: string) { this.rec("sethostname", name); }
  chdir(path: string) { this.rec("chdir", path); }
  mkdir(path: string, mode: number) { this.rec("mkdir", path, mode); }
  mknod(path: string, mode: number, major: number, minor: number) { this.rec("mknod", path, mode, major, minor); }
  chmod(path: string, mode: number) { this.rec("chmod", path, mode); }
  symlink(target: string, path: string) { this.rec("symlink", target, path); }
  open(path: string, flags: number) { this.rec("open", path, flags); return 10; }
  close(fd: number) { this.rec("close", fd); }
  dup3(oldfd: number, newfd: number, flags: number) { this.rec("dup3", oldfd, newfd, flags); }
  fchown(fd: number, uid: number, gid: number) { this.rec("fchown", fd, uid, gid); }
  ioctl(fd: number, request: number, _arg: Uint8Array | null, what: string) { this.rec("ioctl", fd, request, what); }
  prctl(option: number, arg2: number, what: string) { this.rec("prctl", option, arg2, what); return 0; }
  capBoundingDrop(cap: number) { this.rec("capBoundingDrop", cap); this.bounding.delete(cap); }
  capBoundingHas(cap: number) { return this.bounding.has(cap); }
  capset(caps: Capabilities) { this.rec("capset", caps); }
  setgroups(gids: number[]) { this.rec("setgroups", gids); }
  setresgid(gid: number) { this.rec("setresgid", gid); }
  setresuid(uid: number) { this.rec("setresuid", uid); }
  setrlimit(resource: number, soft: bigint, hard: bigint) { this.rec("setrlimit", resource, soft, hard); }
  getrlimit() { return { soft: 1024n, hard: 4096n }; }
  setsid() { this.rec("setsid"); }
  socket() { this.rec("socket"); return 11; }
  closeRangeCloexec(from: number) { this.rec("closeRangeCloexec", from); }
  execve(path: string, argv: string[], env: string[]): never { this.rec("execve", path, argv, env); throw new SysError("execve", 2, path); }
  kill(pid: number, signal: number) { this.rec("kill", pid, signal); }
  pidfdOpen(pid: number) { this.rec("pidfdOpen", pid); return 12; }
  pidfdGetfd(pidfd: number, fd: number) { this.rec("pidfdGetfd", pidfd, fd); return 13; }
}
