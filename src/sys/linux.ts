// Sys over libc. A -1 from libc becomes a SysError carrying the syscall, its subject and the errno name.
import { ptr } from "bun:ffi";
import { C } from "../../ffi/libc";
import { lastErrno } from "../../ffi/errno";
import { cstr, cstrArray } from "../../ffi/cstring";
import { CLOSE_RANGE_CLOEXEC, PR_CAPBSET_DROP, PR_CAPBSET_READ, SYS } from "../../ffi/constants";
import { SysError } from "../errors";
import { mountFlagsToString } from "../mounts";
import type { Capabilities, Sys } from "./sys";

function check(rc: number | bigint, syscall: string, subject?: string, detail?: string): number {
  const n = Number(rc);
  if (n < 0) throw new SysError(syscall, lastErrno(), subject, detail);
  return n;
}

const NULL = null;

export class LinuxSys implements Sys {
  unshare(flags: number): void {
    check(C.unshare(flags), "unshare", nsFlagNames(flags));
  }
  setns(fd: number, nstype: number, what: string): void {
    check(C.setns(fd, nstype), "setns", what);
  }
  mount(source: string | null, target: string, fstype: string | null, flags: number, data: string | null): void {
    const src = source === null ? NULL : cstr(source);
    const fs = fstype === null ? NULL : cstr(fstype);
    const d = data === null ? NULL : cstr(data);
    const rc = C.mount(src && ptr(src), ptr(cstr(target)), fs && ptr(fs), flags, d && ptr(d));
    if (rc < 0) {
      const errno = lastErrno();
      const what = `${fstype ?? source ?? "none"} on ${target}`;
      const detail = [`flags=${mountFlagsToString(flags)}`, data ? `data=${data}` : ""].filter(Boolean).join(", ");
      throw new SysError("mount", errno, what, detail);
    }
  }
  umount2(target: string, flags: number): void {
    check(C.umount2(ptr(cstr(target)), flags), "umount2", target);
  }
  pivotRoot(newRoot: string, putOld: string): void {
    const a = cstr(newRoot);
    const b = cstr(putOld);
    check(C.syscall(SYS.pivot_root, BigInt(ptr(a)), BigInt(ptr(b)), 0, 0), "pivot_root", newRoot);
  }
  sethostname(name: string): void {
    const b = Buffer.from(name, "utf8");
    check(C.sethostname(ptr(b), b.length), "sethostname", JSON.stringify(name));
  }
  chdir(path: string): void {
    check(C.chdir(ptr(cstr(path))), "chdir", path);
  }
  mkdir(path: string, mode: number): void {
    check(C.mkdir(ptr(cstr(path)), mode), "mkdir", path);
  }
  mknod(path: string, mode: number, major: number, minor: number): void {
    // glibc's makedev() layout for the 64-bit dev_t.
    const dev =
      ((BigInt(major) & 0xfffn) << 8n) |
      ((BigInt(major) & ~0xfffn) << 32n) |
      (BigInt(minor) & 0xffn) |
      ((BigInt(minor) & ~0xffn) << 12n);
    check(C.mknod(ptr(cstr(path)), mode, dev), "mknod", path);
  }
  chmod(path: string, mode: number): void {
    check(C.chmod(ptr(cstr(path)), mode), "chmod", path);
  }
  symlink(target: string, path: string): void {
    check(C.symlink(ptr(cstr(target)), ptr(cstr(path))), "symlink", `${path} -> ${target}`);
  }
  open(path: string, flags: number, mode = 0): number {
    return check(C.open(ptr(cstr(path)), flags, mode), "open", path);
  }
  close(fd: number): void {
    C.close(fd);
  }
  dup3(oldfd: number, newfd: number, flags: number): void {
    check(C.dup3(oldfd, newfd, flags), "dup3", `${oldfd} to ${newfd}`);
  }
  fchown(fd: number, uid: number, gid: number): void {
    check(C.fchown(fd, uid, gid), "fchown", `fd ${fd} to ${uid}:${gid}`);
  }
  ioctl(fd: number, request: number, arg: Uint8Array | null, what: string): void {
    check(C.ioctl(fd, request, arg === null ? null : ptr(arg)), "ioctl", what);
  }
  prctl(option: number, arg2: number, what: string): number {
    return check(C.prctl(option, arg2, 0, 0, 0), "prctl", what);
  }
  capBoundingDrop(cap: number): void {
    check(C.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0), "prctl", `PR_CAPBSET_DROP ${cap}`);
  }
  capBoundingHas(cap: number): boolean {
    return C.prctl(PR_CAPBSET_READ, cap, 0, 0, 0) === 1;
  }
  capset(caps: Capabilities): void {
    // _LINUX_CAPABILITY_VERSION_3: a header {version, pid} and two {effective, permitted, inheritable} words.
    const header = new Uint32Array([0x20080522, 0]);
    const data = new Uint32Array(6);
    const lo = (v: bigint) => Number(v & 0xffffffffn);
    const hi = (v: bigint) => Number(v >> 32n);
    data.set([lo(caps.effective), lo(caps.permitted), lo(caps.inheritable)], 0);
    data.set([hi(caps.effective), hi(caps.permitted), hi(caps.inheritable)], 3);
    check(C.capset(ptr(header), ptr(data)), "capset");
  }
  setgroups(gids: number[]): void {
    const list = new Uint32Array(gids.length || 1);
    list.set(gids);
    check(C.syscall(SYS.setgroups, gids.length, BigInt(ptr(list)), 0, 0), "setgroups", `[${gids.join(",")}]`);
  }
  setresgid(gid: number): void {
    check(C.syscall(SYS.setresgid, gid, gid, gid, 0), "setresgid", String(gid));
  }
  setresuid(uid: number): void {
    check(C.syscall(SYS.setresuid, uid, uid, uid, 0), "setresuid", String(uid));
  }
  setrlimit(resource: number, soft: bigint, hard: bigint, what: string): void {
    check(C.setrlimit(resource, ptr(new BigUint64Array([soft, hard]))), "setrlimit", what);
  }
  getrlimit(resource: number): { soft: bigint; hard: bigint } {
    const b = new BigUint64Array(2);
    check(C.getrlimit(resource, ptr(b)), "getrlimit", String(resource));
    return { soft: b[0]!, hard: b[1]! };
  }
  setsid(): void {
    check(C.setsid(), "setsid");
  }
  socket(domain: number, type: number, protocol: number): number {
    return check(C.socket(domain, type, protocol), "socket");
  }
  closeRangeCloexec(from: number): void {
    check(C.syscall(SYS.close_range, from, 0xffffffff, CLOSE_RANGE_CLOEXEC, 0), "close_range", `${from}..`);
  }
  execve(path: string, argv: string[], env: string[]): never {
    const p = cstr(path);
    const a = cstrArray(argv);
    const e = cstrArray(env);
    C.execve(ptr(p), a.array, e.array);
    const errno = lastErrno();
    void [a.keep, e.keep];
    throw new SysError("execve", errno, JSON.stringify(path));
  }
  kill(pid: number, signal: number): void {
    check(C.kill(pid, signal), "kill", `${pid} with signal ${signal}`);
  }
  pidfdOpen(pid: number): number {
    return check(C.syscall(SYS.pidfd_open, pid, 0, 0, 0), "pidfd_open", String(pid));
  }
  pidfdGetfd(pidfd: number, targetfd: number): number {
    return check(C.syscall(SYS.pidfd_getfd, pidfd, targetfd, 0, 0), "pidfd_getfd", `fd ${targetfd}`);
  }
}

const NS_NAMES: [number, string][] = [
  [0x00020000, "CLONE_NEWNS"],
  [0x02000000, "CLONE_NEWCGROUP"],
  [0x04000000, "CLONE_NEWUTS"],
  [0x08000000, "CLONE_NEWIPC"],
  [0x10000000, "CLONE_NEWUSER"],
  [0x20000000, "CLONE_NEWPID"],
  [0x40000000, "CLONE_NEWNET"],
  [0x00000200, "CLONE_FS"],
];
export function nsFlagNames(flags: number): string {
  return NS_NAMES.filter(([f]) => flags & f).map(([, n]) => n).join("|") || "0";
}
