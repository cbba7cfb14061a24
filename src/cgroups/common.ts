// Taking a container's cgroup down from TypeScript: only when its monitor could not (it was
// killed), and for stale cgroups of containers whose monitor and ctr were both killed. The normal
// path is the monitor's list 2 (cgroups/ops.ts).
import { killPid, readTextFile, removeDir, writeTextFile } from "../../ffi/files";
import { errnoName } from "../../ffi/errno";
import type { CgroupPlan } from "./plan";

export class CgroupError extends Error {
  override name = "CgroupError";
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

/** Kill whatever is left, rmdir the container's directories and the ancestors ctr made, if empty. */
export function removeCgroup(plan: CgroupPlan): void {
  for (const dir of plan.own) {
    // cgroup.kill (5.14+) kills every process in the subtree at once; else one by one.
    const viaKill = plan.version === "v2" && writeTextFile(`${dir}/cgroup.kill`, "1") === 0;
    removeWhenEmpty(dir, !viaKill);
  }
  for (const d of [...plan.dirs].reverse()) if (!d.own) removeDir(d.path); // ENOTEMPTY/EBUSY: in use
}
