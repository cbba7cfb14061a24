// Which cgroup setup this host has. Pure parsing of /proc/self/mountinfo and a few root files,
// so unit tests describe hosts as text (crun tests read_proc_cgroup the same way).
import { readTextFile } from "../../ffi/files";

export interface CgroupHost {
  /** v2: the unified hierarchy alone (systemd's default); v1: legacy or hybrid (controllers on v1). */
  version: "v1" | "v2";
  /** v1: controller → its hierarchy's mount point; v2: every controller → the unified mount. */
  mounts: Record<string, string>;
  /** Controllers ctr may use: v2 from the root's cgroup.controllers; v1 the mounted ones. */
  controllers: string[];
  /** v2: controllers already enabled in the root's cgroup.subtree_control. */
  rootSubtree: string[];
  /** The host's CPUs and memory nodes, as cpuset lists ("0-1"). */
  cpus: string;
  mems: string;
}

export function parseCgroupMounts(mountinfo: string): { v1: Record<string, string>; v2: string | null } {
  const v1: Record<string, string> = {};
  let v2: string | null = null;
  for (const line of mountinfo.split("\n")) {
    const [pre, post] = line.split(" - ");
    if (!pre || !post) continue;
    const mountPoint = pre.split(" ")[4]!;
    const [fstype, , superOpts = ""] = post.split(" ");
    if (fstype === "cgroup2" && (v2 === null || mountPoint === "/sys/fs/cgroup")) v2 = mountPoint;
    if (fstype === "cgroup") {
      for (const opt of superOpts.split(",")) if (opt !== "rw" && opt !== "ro" && !opt.includes("=")) v1[opt] = mountPoint;
    }
  }
  return { v1, v2 };
}

export function describeHost(mountinfo: string, read: (path: string) => string | null): CgroupHost {
  const { v1, v2 } = parseCgroupMounts(mountinfo);
  const cpus = (read("/sys/devices/system/cpu/online") ?? "0").trim();
  const mems = (read("/sys/devices/system/node/online") ?? "0").trim();
  if (Object.keys(v1).length === 0 && v2 !== null) {
    const controllers = (read(`${v2}/cgroup.controllers`) ?? "").trim().split(/\s+/).filter(Boolean);
    const rootSubtree = (read(`${v2}/cgroup.subtree_control`) ?? "").trim().split(/\s+/).filter(Boolean);
    return { version: "v2", mounts: Object.fromEntries(controllers.map((c) => [c, v2])), controllers, rootSubtree, cpus, mems };
  }
  if (Object.keys(v1).length === 0) throw new Error("cgroups: no cgroup hierarchy is mounted (looked in /proc/self/mountinfo)");
  return { version: "v1", mounts: v1, controllers: Object.keys(v1), rootSubtree: [], cpus, mems };
}

export function detectCgroupHost(): CgroupHost {
  return describeHost(readTextFile("/proc/self/mountinfo") ?? "", readTextFile);
}
