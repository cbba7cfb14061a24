// cgroup v2: one directory; lingering processes go with cgroup.kill; OOM kills in memory.events.
import { readTextFile, writeTextFile } from "../../ffi/files";
import { type OomInfo, PlannedCgroup, removeEmptyAncestors, removeWhenEmpty } from "./common";
import { attachDeviceFilter } from "./bpf";

export class V2Cgroup extends PlannedCgroup {
  private get dir(): string {
    return this.plan.own[0]!;
  }
  override create(): void {
    super.create();
    if (this.plan.devices) attachDeviceFilter(this.dir, this.plan.devices);
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
