// Pure: run options → the whole container as data (namespaces, root filesystem, process, cgroup).
// stage/program.ts turns it into the op lists the native stage and monitor carry out; --dry-run
// prints those; unit tests check both without root.
import { planCgroup, type CgroupHost, type CgroupPlan, type Resources } from "../cgroups/index";
import { planNamespaces, type NamespacePlan } from "../namespaces";
import type { ChildOp } from "../stage/ops";
import { planProcess, type ProcessOptions } from "./process";
import { planRootfs, type OverlayRootfs } from "./rootfs";
import type { ProcessPlan } from "./schema";
import type { MountSpec } from "../volumes/spec";
import type { NetOptions, NetworkMode } from "../net/options";

export interface RunOptions extends ProcessOptions {
  id: string;
  /** The directory that becomes /: --rootfs, or the overlay's mount point for an image. */
  rootfs: string;
  overlay: OverlayRootfs | null;
  hostname: string;
  /** none, bridge (a network namespace of its own), host, container (another's, joined). */
  network: NetworkMode;
  /** The network as asked for (networks, addresses, ports, DNS): set up at each start. */
  net: NetOptions;
  /** container mode: the namespace to join (/proc/<pid>/ns/net), resolved at start. */
  netJoin: string | null;
  readOnly: boolean;
  resources: Resources;
  /** Where the container's cgroup goes, in each hierarchy (default /ctr). */
  cgroupParent: string;
  /** Volumes, bind mounts and tmpfs mounts, resolved (volumes/store.ts). */
  mounts: MountSpec[];
}

export interface ContainerPlan {
  id: string;
  namespaces: NamespacePlan[];
  hostname: string | null;
  /** Bring lo up (the container has a network namespace of its own). */
  loopback: boolean;
  rootfs: ChildOp[];
  /** --read-only: / is remounted read-only once the working directory exists. */
  readOnlyRoot: boolean;
  privileged: boolean;
  process: ProcessPlan;
  cgroup: CgroupPlan | null;
}

/** `cgroups`: the host's cgroup setup, or null to plan no cgroup (unit tests of other parts). */
export function planContainer(o: RunOptions, cgroups: CgroupHost | null = null): ContainerPlan {
  return {
    id: o.id,
    namespaces: planNamespaces(o),
    hostname: o.hostname,
    loopback: o.network !== "host" && o.network !== "container",
    rootfs: planRootfs(o),
    readOnlyRoot: o.readOnly,
    privileged: o.privileged,
    process: planProcess(o),
    cgroup: cgroups === null ? null : planCgroup(cgroups, o.id, o.cgroupParent, o.resources, { privileged: o.privileged }),
  };
}
