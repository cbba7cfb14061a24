// The cgroup module: detect the host, plan a container's cgroup (pure), turn the plan into monitor
// ops, and take down what a killed monitor left. Nothing outside src/cgroups names a cgroupfs file.
import { ageSeconds, listSubdirs, readTextFile } from "../../ffi/files";
import type { CgroupHost } from "./host";
import { pidsIn, removeWhenEmpty } from "./common";

export { detectCgroupHost, type CgroupHost } from "./host";
export { planCgroup, normalizeParent, type CgroupPlan } from "./plan";
export { parseResources, type Resources, type ResourceFlags } from "./resources";
export { CgroupError, removeCgroup } from "./common";
export { cgroupJoin, cgroupSetupOps, cgroupTeardownOps, plannedMemoryLimit } from "./ops";

const CONTAINER_ID = /^[0-9a-f]{64}$/;

/**
 * A container whose monitor and ctr were both SIGKILLed leaves its cgroup behind. Its processes are
 * gone (PID 1 dies with its monitor), so such a directory is empty; remove those that have been
 * empty for a while (a fresh one may belong to a start that is just beginning). `skip`: ids whose
 * cgroup someone else answers for (a container the state root knows: its reconciliation).
 */
export function sweepStaleCgroups(host: CgroupHost, parent: string, minAgeSeconds = 10, skip: (id: string) => boolean = () => false): string[] {
  const mounts = [...new Set(Object.values(host.mounts))];
  // Every container has a directory in every hierarchy ctr uses, so one listing finds them all.
  const probe = host.mounts.memory ?? mounts[0];
  if (probe === undefined) return [];
  const removed: string[] = [];
  for (const name of listSubdirs(`${probe}${parent}`) ?? []) {
    if (!CONTAINER_ID.test(name) || skip(name)) continue;
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
