// cgroup v1: one directory per hierarchy in use; lingering processes are killed from the procs
// list; OOM kills in memory.oom_control (and memory.failcnt on old kernels).
import { readTextFile } from "../../ffi/files";
import { type OomInfo, PlannedCgroup, removeEmptyAncestors, removeWhenEmpty } from "./common";
import type { CgroupPlan } from "./plan";

export class V1Cgroup extends PlannedCgroup {
  constructor(
    plan: CgroupPlan,
    private readonly memoryDir: string | null,
  ) {
    super(plan);
  }
  oom(): OomInfo {
    if (this.memoryDir === null) return { killed: false, limit: null };
    const control = readTextFile(`${this.memoryDir}/memory.oom_control`) ?? "";
    const kills = /^oom_kill (\d+)$/m.exec(control);
    const killed = kills ? Number(kills[1]) > 0 : Number(readTextFile(`${this.memoryDir}/memory.failcnt`) ?? 0) > 0;
    const limit = Number((readTextFile(`${this.memoryDir}/memory.limit_in_bytes`) ?? "0").trim());
    // An unset v1 limit reads as a huge page-rounded number.
    return { killed, limit: limit > 0 && limit < 2 ** 60 ? limit : null };
  }
  remove(): void {
    for (const dir of this.plan.own) removeWhenEmpty(dir, true);
    removeEmptyAncestors(this.plan);
  }
}
