// Linux namespaces: their clone flags, their /proc/<pid>/ns names, and which ones a container gets.
// Pure: the stage creates them (clone3 flags) or joins them (setns) as the op list says.
import { CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUSER, CLONE_NEWUTS } from "../ffi/constants";

export const NAMESPACE_TYPES = ["user", "mount", "uts", "ipc", "pid", "net", "cgroup"] as const;
export type NamespaceType = (typeof NAMESPACE_TYPES)[number];

export const NAMESPACES: Record<NamespaceType, { flag: number; file: string }> = {
  user: { flag: CLONE_NEWUSER, file: "user" },
  mount: { flag: CLONE_NEWNS, file: "mnt" },
  uts: { flag: CLONE_NEWUTS, file: "uts" },
  ipc: { flag: CLONE_NEWIPC, file: "ipc" },
  pid: { flag: CLONE_NEWPID, file: "pid" },
  net: { flag: CLONE_NEWNET, file: "net" },
  cgroup: { flag: CLONE_NEWCGROUP, file: "cgroup" },
};

/**
 * The order namespaces are joined in, as runc's nsexec and crun join them: the user namespace
 * first (it grants the rights to join the rest), the mount namespace last (joining it changes
 * what every later path means).
 */
export const JOIN_ORDER: readonly NamespaceType[] = ["user", "ipc", "uts", "net", "pid", "cgroup", "mount"];

export function namespaceFlags(types: readonly NamespaceType[]): number {
  return types.reduce((acc, t) => acc | NAMESPACES[t].flag, 0);
}

/** What a container has: "new" namespaces of its own, the host's ("host"), or another's ("join", by path). */
export interface NamespacePlan {
  type: NamespaceType;
  mode: "new" | "host" | "join";
  path?: string;
}

/**
 * A container's namespaces. The cgroup namespace is made by the stage itself once the monitor has
 * put it in its cgroup (unshare roots the new namespace at the caller's current cgroup), so the
 * container sees its own cgroup as "/".
 */
export function planNamespaces(o: { network: string; netJoin?: string | null }): NamespacePlan[] {
  const types: NamespaceType[] = ["mount", "uts", "ipc", "pid", "net", "cgroup"];
  return types.map((type): NamespacePlan => {
    if (type !== "net" || (o.network !== "host" && o.network !== "container")) return { type, mode: "new" };
    return o.network === "host" ? { type, mode: "host" } : { type, mode: "join", path: o.netJoin ?? "(the container's, at start)" };
  });
}

/** The namespaces the clone creates: all new ones except cgroup (see planNamespaces). */
export function cloneNamespaces(plan: readonly NamespacePlan[]): NamespaceType[] {
  return plan.filter((n) => n.mode === "new" && n.type !== "cgroup").map((n) => n.type);
}

export function describeNamespaces(types: readonly NamespaceType[]): string {
  return types.map((t) => `CLONE_NEW${t === "mount" ? "NS" : t.toUpperCase()}`).join("|") || "none";
}
