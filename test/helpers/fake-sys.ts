// A Sys that records every call and can be told to fail one with an errno.
import { SysError } from "../../src/errors";
import type { Sys } from "../../src/sys/sys";

export interface Call { call: string; args: unknown[] }

const ERRNO: Record<string, number> = { EPERM: 1, ENOENT: 2, EBUSY: 16, EINVAL: 22 };

export class FakeSys implements Sys {
  calls: Call[] = [];
  private failures = new Map<string, { nth: number; errno: string }>();
  /** Capabilities the fake "host" lets ctr hold (by number); default all of 0..40. */
  bounding = new Set(Array.from({ length: 41 }, (_, i) => i));
  private nextFd = 10;

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
  memfdCreate(name: string, flags: number) { this.rec("memfdCreate", name, flags); return this.nextFd++; }
  writeAll(fd: number, data: Uint8Array, what: string) { this.rec("writeAll", fd, data.length, what); }
  addSeals(fd: number, seals: number) { this.rec("addSeals", fd, seals); }
  close(fd: number) { this.rec("close", fd); }
  getrlimit() { return { soft: 1024n, hard: 4096n }; }
  capBoundingHas(cap: number) { return this.bounding.has(cap); }
  kill(pid: number, signal: number) { this.rec("kill", pid, signal); }
  pidfdOpen(pid: number) { this.rec("pidfdOpen", pid); return this.nextFd++; }
}
