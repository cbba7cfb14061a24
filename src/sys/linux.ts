// Sys over libc. A -1 from libc becomes a SysError carrying the syscall, its subject and the errno name.
import { ptr } from "bun:ffi";
import { C } from "../../ffi/libc";
import { lastErrno } from "../../ffi/errno";
import { cstr } from "../../ffi/cstring";
import { writeFd } from "../../ffi/files";
import { PR_CAPBSET_READ, SYS } from "../../ffi/constants";
import { SysError } from "../errors";
import type { Sys } from "./sys";

function check(rc: number | bigint, syscall: string, subject?: string, detail?: string): number {
  const n = Number(rc);
  if (n < 0) throw new SysError(syscall, lastErrno(), subject, detail);
  return n;
}

const F_ADD_SEALS = 1033;

export class LinuxSys implements Sys {
  memfdCreate(name: string, flags: number): number {
    return check(C.memfd_create(ptr(cstr(name)), flags), "memfd_create", name);
  }
  writeAll(fd: number, data: Uint8Array, what: string): void {
    const rc = writeFd(fd, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    if (rc < 0) throw new SysError("write", -rc, what);
  }
  addSeals(fd: number, seals: number): void {
    check(C.fcntl(fd, F_ADD_SEALS, seals), "fcntl", `F_ADD_SEALS 0x${seals.toString(16)}`);
  }
  close(fd: number): void {
    C.close(fd);
  }
  getrlimit(resource: number): { soft: bigint; hard: bigint } {
    const b = new BigUint64Array(2);
    check(C.getrlimit(resource, ptr(b)), "getrlimit", String(resource));
    return { soft: b[0]!, hard: b[1]! };
  }
  capBoundingHas(cap: number): boolean {
    return C.prctl(PR_CAPBSET_READ, cap, 0, 0, 0) === 1;
  }
  kill(pid: number, signal: number): void {
    check(C.kill(pid, signal), "kill", `${pid} with signal ${signal}`);
  }
  pidfdOpen(pid: number): number {
    return check(C.syscall(SYS.pidfd_open, pid, 0, 0, 0), "pidfd_open", String(pid));
  }
}
