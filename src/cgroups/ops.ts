// A container's cgroup as monitor ops: created (directories, limits, the v2 device filter) before
// the container's first process exists, joined by the clone itself where the kernel can
// (CLONE_INTO_CGROUP, v2) or by writing its pid while it waits (v1), and removed after its PID 1
// exits (OOM kills counted first, whatever lingers killed, then rmdir, ancestors ctr made if empty).
import type { SetupOp, TeardownOp } from "../stage/ops";
import { deviceProgram, encode } from "./bpf";
import { ruleString } from "./devices";
import type { CgroupHost } from "./host";
import type { CgroupPlan } from "./plan";

export function cgroupSetupOps(plan: CgroupPlan): SetupOp[] {
  const ops: SetupOp[] = plan.dirs.map((d) => ({ op: "cgroup-mkdir", path: d.path, own: d.own }));
  for (const w of plan.writes) ops.push({ op: "cgroup-write", path: w.path, value: w.value, flag: w.flag });
  if (plan.version === "v2" && plan.devices) {
    ops.push({ op: "cgroup-device-filter", dir: plan.own[0]!, program: encode(deviceProgram(plan.devices)), rules: plan.devices.map(ruleString).join(", ") });
  }
  return ops;
}

/** v2: the directory to clone into; v1: the cgroup.procs files to write the pid to. */
export function cgroupJoin(plan: CgroupPlan): { cloneInto: string | null; procs: string[] } {
  return plan.version === "v2" ? { cloneInto: plan.own[0]!, procs: [] } : { cloneInto: null, procs: plan.own.map((d) => `${d}/cgroup.procs`) };
}

export function cgroupTeardownOps(plan: CgroupPlan, host: CgroupHost): TeardownOp[] {
  const ops: TeardownOp[] = [];
  if (plan.version === "v2") {
    ops.push({ op: "oom-count", file: `${plan.own[0]}/memory.events`, key: "oom_kill" }, { op: "cgroup-kill", dir: plan.own[0]! });
  } else {
    const mem = host.mounts.memory;
    const memoryDir = mem ? plan.own.find((d) => d.startsWith(`${mem}/`)) : undefined;
    if (memoryDir) ops.push({ op: "oom-count", file: `${memoryDir}/memory.oom_control`, key: "oom_kill" });
    for (const d of plan.own) ops.push({ op: "cgroup-kill-procs", dir: d });
  }
  for (const d of plan.own) ops.push({ op: "cgroup-rmdir", dir: d });
  for (const d of [...plan.dirs].reverse()) if (!d.own) ops.push({ op: "rmdir-if-empty", dir: d.path });
  return ops;
}

/** The memory limit the plan writes, in bytes (for "out of memory (limit 32 MiB)"), or null. */
export function plannedMemoryLimit(plan: CgroupPlan): number | null {
  const w = plan.writes.find((x) => /\/memory\.(max|limit_in_bytes)$/.test(x.path));
  const n = w ? Number(w.value) : NaN;
  return Number.isFinite(n) && n > 0 ? n : null;
}
