// Pure: (host, container id, parent, resources) → the directories and file writes of the container's
// cgroup, in order. --dry-run prints exactly this; the monitor carries it out (ops.ts).
import type { CgroupPlan } from "./schema";
import { UsageError } from "../errors";
import type { CgroupHost } from "./host";
import { parseCpuList, v1Writes, v2Writes, type Resources } from "./resources";
import { DEFAULT_DEVICE_RULES, v1DeviceWrites } from "./devices";

export type { CgroupPlan } from "./schema";

/** Controllers every container joins, when the host has them (v1: one hierarchy each; the freezer for pause). */
const V1_BASE = ["memory", "pids", "cpu", "cpuacct", "blkio", "cpuset", "freezer"];
const V2_BASE = ["memory", "pids", "cpu", "io", "cpuset"];

export function normalizeParent(parent: string): string {
  const parts = parent.split("/").filter((p) => p && p !== ".");
  if (parts.length === 0 || parts.includes("..")) throw new UsageError(`--cgroup-parent: invalid path ${JSON.stringify(parent)}`);
  return `/${parts.join("/")}`;
}

function checkSubset(list: string, host: string, flag: string): void {
  const allowed = new Set(parseCpuList(host, "host"));
  const bad = parseCpuList(list, flag).filter((c) => !allowed.has(c));
  if (bad.length) throw new UsageError(`${flag} ${list}: not available on this host (it has ${host})`);
}

export function planCgroup(host: CgroupHost, id: string, parent: string, r: Resources, opts: { privileged: boolean } = { privileged: false }): CgroupPlan {
  const writes = host.version === "v2" ? v2Writes(r) : v1Writes(r);
  for (const w of writes) {
    if (!host.controllers.includes(w.controller)) {
      throw new UsageError(`${w.flag}: the ${w.controller} controller is not available on this host (cgroup ${host.version}: ${host.controllers.join(" ")})`);
    }
  }
  if (r.cpusetCpus !== undefined) checkSubset(r.cpusetCpus, host.cpus, "--cpuset-cpus");
  if (r.cpusetMems !== undefined) checkSubset(r.cpusetMems, host.mems, "--cpuset-mems");
  const parentPath = normalizeParent(parent);
  const ancestors = parentPath.split("/").filter(Boolean).map((_, i, a) => `/${a.slice(0, i + 1).join("/")}`);

  if (host.version === "v2") {
    const root = Object.values(host.mounts)[0] ?? "/sys/fs/cgroup";
    const enable = V2_BASE.filter((c) => host.controllers.includes(c));
    const own = `${root}${parentPath}/${id}`;
    const out: CgroupPlan = { version: "v2", dirs: [], writes: [], own: [own], devices: opts.privileged ? null : [...DEFAULT_DEVICE_RULES] };
    // A child can use a controller only if every ancestor enables it in cgroup.subtree_control.
    const missingAtRoot = enable.filter((c) => !host.rootSubtree.includes(c));
    if (missingAtRoot.length) out.writes.push({ path: `${root}/cgroup.subtree_control`, value: missingAtRoot.map((c) => `+${c}`).join(" "), flag: "cgroup setup" });
    for (const a of ancestors) {
      out.dirs.push({ path: `${root}${a}`, own: false });
      out.writes.push({ path: `${root}${a}/cgroup.subtree_control`, value: enable.map((c) => `+${c}`).join(" "), flag: "cgroup setup" });
    }
    out.dirs.push({ path: own, own: true });
    for (const w of writes) out.writes.push({ path: `${own}/${w.file}`, value: w.value, flag: w.flag });
    return out;
  }

  // The devices controller confines which device nodes the container may open (devices.ts).
  const withDevices = host.controllers.includes("devices");
  const used = [...new Set([...V1_BASE.filter((c) => host.controllers.includes(c)), ...(withDevices ? ["devices"] : []), ...writes.map((w) => w.controller)])];
  // Co-mounted controllers (cpu,cpuacct) share one hierarchy: one directory for both.
  const hierarchies = [...new Set(used.map((c) => host.mounts[c]!))];
  const out: CgroupPlan = { version: "v1", dirs: [], writes: [], own: [], devices: null };
  for (const mount of hierarchies) {
    for (const a of ancestors) out.dirs.push({ path: `${mount}${a}`, own: false });
    out.dirs.push({ path: `${mount}${parentPath}/${id}`, own: true });
    out.own.push(`${mount}${parentPath}/${id}`);
  }
  const cpusetMount = host.mounts.cpuset;
  if (cpusetMount && hierarchies.includes(cpusetMount)) {
    // A new v1 cpuset starts empty and takes no tasks until cpus and mems are set, at every level.
    for (const dir of [...ancestors.map((a) => `${cpusetMount}${a}`), `${cpusetMount}${parentPath}/${id}`]) {
      out.writes.push({ path: `${dir}/cpuset.cpus`, value: host.cpus, flag: "cgroup setup" }, { path: `${dir}/cpuset.mems`, value: host.mems, flag: "cgroup setup" });
    }
  }
  for (const w of writes) out.writes.push({ path: `${host.mounts[w.controller]}${parentPath}/${id}/${w.file}`, value: w.value, flag: w.flag });
  if (withDevices) {
    for (const w of v1DeviceWrites(opts.privileged)) out.writes.push({ path: `${host.mounts.devices}${parentPath}/${id}/${w.file}`, value: w.value, flag: "devices" });
  }
  return out;
}
