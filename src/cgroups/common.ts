// What v1 and v2 do alike: create the planned directories, write the planned values, add a pid,
// and take directories down once they hold no process.
import { killPid, makeDir, readTextFile, removeDir, writeTextFile } from "../../ffi/files";
import { errnoName } from "../../ffi/errno";
import type { CgroupPlan } from "./plan";

export interface OomInfo {
  killed: boolean;
  /** The memory limit in bytes, when one was set. */
  limit: number | null;
}

export interface CgroupManager {
  readonly plan: CgroupPlan;
  /** mkdir and write every limit: all before the init is added, so no window runs unlimited. */
  create(): void;
  addProcess(pid: number): void;
  oom(): OomInfo;
  /** Kill whatever is left and rmdir; also the ancestors ctr made, when empty. */
  remove(): void;
}

/** What v1 and v2 do the same way; they differ in OOM accounting and removal. */
export abstract class PlannedCgroup implements CgroupManager {
  constructor(readonly plan: CgroupPlan) {}
  create(): void {
    createDirs(this.plan);
    applyWrites(this.plan);
  }
  addProcess(pid: number): void {
    addPid(this.plan.own, pid);
  }
  abstract oom(): OomInfo;
  abstract remove(): void;
}

export class CgroupError extends Error {
  override name = "CgroupError";
}

export function createDirs(plan: CgroupPlan): void {
  for (const d of plan.dirs) {
    const rc = makeDir(d.path, 0o755);
    if (rc === -17 /* EEXIST */ && !d.own) continue;
    if (rc < 0) throw new CgroupError(`mkdir ${d.path}: ${errnoName(-rc)}`);
  }
}

export function applyWrites(plan: CgroupPlan): void {
  for (const w of plan.writes) {
    const rc = writeTextFile(w.path, w.value);
    if (rc === 0) continue;
    const file = w.path.slice(w.path.lastIndexOf("/") + 1);
    if (rc === -2 /* ENOENT */) throw new CgroupError(`${w.flag}: ${file} is not available on this host (${w.path})`);
    throw new CgroupError(`${w.flag}: write ${JSON.stringify(w.value)} to ${w.path}: ${errnoName(-rc)}`);
  }
}

export function addPid(dirs: string[], pid: number): void {
  for (const dir of dirs) {
    const rc = writeTextFile(`${dir}/cgroup.procs`, String(pid));
    if (rc < 0) throw new CgroupError(`write ${pid} to ${dir}/cgroup.procs: ${errnoName(-rc)}`);
  }
}

export function pidsIn(dir: string): number[] {
  return (readTextFile(`${dir}/cgroup.procs`) ?? "").split("\n").filter(Boolean).map(Number);
}

/** rmdir, retrying while the last processes finish exiting (EBUSY); a missing dir is fine. */
export function removeWhenEmpty(dir: string, killLeft: boolean): void {
  const deadline = Date.now() + 2000;
  for (;;) {
    if (killLeft) for (const pid of pidsIn(dir)) killPid(pid, 9);
    const rc = removeDir(dir);
    if (rc === 0 || rc === -2 /* ENOENT */) return;
    if (rc !== -16 /* EBUSY */ || Date.now() > deadline) throw new CgroupError(`rmdir ${dir}: ${errnoName(-rc)}`);
    Bun.sleepSync(2);
  }
}

/** The ancestors ctr created go too, if nothing else lives there (another container may). */
export function removeEmptyAncestors(plan: CgroupPlan): void {
  for (const d of [...plan.dirs].reverse()) if (!d.own) removeDir(d.path); // ENOTEMPTY/EBUSY: in use
}
