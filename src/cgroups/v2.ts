// cgroup v2: one directory; lingering processes go with cgroup.kill; OOM kills in memory.events.
import { readTextFile, writeTextFile } from "../../ffi/files";
import { addPid, applyWrites, type CgroupManager, createDirs, type OomInfo, removeEmptyAncestors, removeWhenEmpty } from "./common";
import type { CgroupPlan } from "./plan";

export class V2Cgroup implements CgroupManager {
  constructor(readonly plan: CgroupPlan) {}
  private get dir(): string {
    return this.plan.own[0]!;
  }
  create(): void {
    createDirs(this.plan);
    applyWrites(this.plan);
  }
  addProcess(pid: number): void {
    addPid(this.plan.own, pid);
  }
  oom(): OomInfo {
    const events = readTextFile(`${this.dir}/memory.events`) ?? "";
    const killed = Number(/^oom_kill (\d+)$/m.exec(events)?.[1] ?? 0) > 0;
    const max = (readTextFile(`${this.dir}/memory.max`) ?? "max").trim();
    return { killed, limit: max === "max" ? null : Number(max) };
  }
  remove(): void {
    // cgroup.kill (5.14+) kills every process in the subtree at once; older kernels: one by one.
    const viaKill = writeTextFile(`${this.dir}/cgroup.kill`, "1") === 0;
    removeWhenEmpty(this.dir, !viaKill);
    removeEmptyAncestors(this.plan);
  }
}
