// The cgroup interface the rest of ctr uses: detect the host, plan, then create/add/oom/remove
// through the v1 or v2 implementation. Nothing outside src/cgroups writes a cgroupfs path.
import { ageSeconds, listSubdirs, readTextFile } from "../../ffi/files";
import type { CgroupManager } from "./common";
import type { CgroupHost } from "./host";
import type { CgroupPlan } from "./plan";
import { pidsIn, removeWhenEmpty } from "./common";
import { V1Cgroup } from "./v1";
import { V2Cgroup } from "./v2";

export { detectCgroupHost, type CgroupHost } from "./host";
export { planCgroup, normalizeParent, type CgroupPlan } from "./plan";
export { parseResources, type Resources, type ResourceFlags } from "./resources";
export { CgroupError, type CgroupManager, type OomInfo } from "./common";

export function cgroupManager(plan: CgroupPlan, host: CgroupHost): CgroupManager {
  if (plan.version === "v2") return new V2Cgroup(plan);
  const mem = host.mounts.memory;
  return new V1Cgroup(plan, mem ? plan.own.find((d) => d.startsWith(`${mem}/`)) ?? null : null);
}

const CONTAINER_ID = /^[0-9a-f]{64}$/;

/**
 * A ctr that was SIGKILLed could not remove its cgroup. Its processes are gone (the init dies with
 * ctr), so such a directory is empty; remove those that have been empty for a while (a fresh one
 * may belong to a ctr that is just starting).
 */
export function sweepStaleCgroups(host: CgroupHost, parent: string, minAgeSeconds = 10): string[] {
  const mounts = [...new Set(Object.values(host.mounts))];
  // Every container has a directory in every hierarchy ctr uses, so one listing finds them all.
  const probe = host.mounts.memory ?? mounts[0];
  if (probe === undefined) return [];
  const removed: string[] = [];
  for (const name of listSubdirs(`${probe}${parent}`) ?? []) {
    if (!CONTAINER_ID.test(name)) continue;
    const dir = `${probe}${parent}/${name}`;
    if (pidsIn(dir).length > 0 || (ageSeconds(dir) ?? 0) < minAgeSeconds) continue;
    for (const mount of mounts) {
      const d = `${mount}${parent}/${name}`;
      if (readTextFile(`${d}/cgroup.procs`) === null) continue;
      try {
        removeWhenEmpty(d, false);
        removed.push(d);
      } catch {
        /* in use after all */
      }
    }
  }
  return removed;
}
