// --dry-run: the plan as a person reads it. `--dry-run --log-level debug` adds the raw JSON.
import { describeOp } from "../mounts";
import type { InitPlan } from "./schema";
import { ruleString } from "../cgroups/devices";

export function formatPlan(plan: InitPlan): string {
  const p = plan.process;
  const lines = [
    `container ${plan.id}`,
    "namespaces:",
    ...plan.namespaces.map((n) => `  ${n.type.padEnd(7)} ${n.mode === "new" ? "new (unshare before spawning the init)" : "host (shared)"}`),
    ...plan.initUnshare.map((t) => `  ${t.padEnd(7)} new (unshare in the init, after it joins its cgroup)`),
    `hostname: ${plan.hostname ?? "(host's)"}`,
    `network: ${plan.loopback ? "own namespace, lo up" : "host"}`,
    "rootfs:",
    ...plan.rootfs.map((op) => `  ${describeOp(op)}`),
    `cgroup${plan.cgroup ? ` (${plan.cgroup.version})` : ""}:`,
    ...(plan.cgroup === null
      ? ["  (none)"]
      : [
          ...plan.cgroup.dirs.map((d) => `  mkdir ${d.path}${d.own ? "" : " (if missing)"}`),
          ...plan.cgroup.writes.map((w) => `  write ${JSON.stringify(w.value)} to ${w.path}`),
          ...(plan.cgroup.devices ? [`  attach eBPF device filter to ${plan.cgroup.own[0]}: allow ${plan.cgroup.devices.map(ruleString).join(", ")}; deny the rest`] : []),
          ...plan.cgroup.own.map((d) => `  write <init pid> to ${d}/cgroup.procs`),
        ]),
    "process:",
    `  args: ${JSON.stringify(p.args)}`,
    `  cwd: ${p.cwd}`,
    `  user: ${p.user.user}${p.user.group === null ? "" : `:${p.user.group}`}`,
    `  env: ${JSON.stringify(p.env)}`,
    `  terminal: ${p.terminal}${p.init ? ", --init reaper as PID 1" : ""}`,
    `  no_new_privs: ${p.noNewPrivileges}`,
    `  capabilities (bounding, effective, permitted): ${p.capabilities.bounding.map((c) => `CAP_${c}`).join(" ") || "(none)"}`,
    `  rlimits: ${p.rlimits.map((r) => `${r.type}=${r.soft}:${r.hard}`).join(" ") || "(inherited)"}`,
  ];
  return lines.join("\n");
}
