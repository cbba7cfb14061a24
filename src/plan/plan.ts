// Pure: run options → InitPlan. No I/O here, so the whole plan is unit-tested without root and
// printed as is by --dry-run. Ordering rules live here, with the reason next to each.
import type { MsFlag } from "../../ffi/constants";
import { RLIMIT_NOFILE } from "../../ffi/constants";
import { capabilitySet } from "../capabilities";
import type { RootfsOp } from "../mounts";
import type { InitPlan, NamespaceType, Rlimit, UserSpec } from "./schema";
import { planCgroup, type CgroupHost, type Resources } from "../cgroups/index";

/** An image's root: overlay layers in the store (see src/image/store.ts). */
export interface OverlayRootfs {
  /** The store root: layer paths below are relative to it. */
  storeRoot: string;
  /** Top first: the container's init layer, then the image's layers. */
  lowerdir: string[];
  upperdir: string;
  workdir: string;
}

export interface RunOptions {
  id: string;
  /** The directory that becomes /: --rootfs, or the overlay's mount point for an image. */
  rootfs: string;
  overlay: OverlayRootfs | null;
  args: string[];
  env: string[];
  cwd: string;
  user: UserSpec;
  hostname: string;
  network: "none" | "host";
  tty: boolean;
  consoleSize: { rows: number; cols: number } | null;
  init: boolean;
  readOnly: boolean;
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  /** null: the default (on, off with --privileged). */
  noNewPrivileges: boolean | null;
  ulimits: Rlimit[];
  /** Hard NOFILE limit ctr runs with; the container's soft limit is reset below Bun's raised value. */
  nofileHard: number | "unlimited";
  resources: Resources;
  /** Where the container's cgroup goes, in each hierarchy (default /ctr). */
  cgroupParent: string;
}

/** Docker's masked paths (moby oci/defaults.go): kernel data a container has no business reading. */
export const MASKED_PATHS = [
  "/proc/asound", "/proc/acpi", "/proc/interrupts", "/proc/kcore", "/proc/keys", "/proc/latency_stats",
  "/proc/timer_list", "/proc/timer_stats", "/proc/sched_debug", "/proc/scsi", "/sys/firmware",
  "/sys/devices/virtual/powercap",
];
/** Docker's read-only paths: kernel knobs that affect the whole host. */
export const READONLY_PATHS = ["/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger"];

/** The character devices every container gets (runc's default devices). */
export const DEFAULT_DEVICES = [
  { name: "null", major: 1, minor: 3 },
  { name: "zero", major: 1, minor: 5 },
  { name: "full", major: 1, minor: 7 },
  { name: "random", major: 1, minor: 8 },
  { name: "urandom", major: 1, minor: 9 },
  { name: "tty", major: 5, minor: 0 },
];

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Conventional soft NOFILE: select() breaks above 1024, and Bun raised ctr's own soft limit at start. */
export const DEFAULT_NOFILE_SOFT = 1024;

const mount = (
  source: string | null,
  target: string,
  fstype: string | null,
  flags: MsFlag[],
  data: string | null = null,
): RootfsOp => ({ op: "mount", source, target, fstype, flags, data });

export function planRootfs(o: Pick<RunOptions, "rootfs" | "privileged" | "readOnly" | "overlay">): RootfsOp[] {
  const ops: RootfsOp[] = [
    o.overlay
      ? // Mounted in the container's own mount namespace: it goes away with the container, so a
        // killed ctr leaves no mount behind. `volatile` skips the sync of the whole upper
        // filesystem at unmount (300 ms measured here); the upper dir is thrown away afterwards.
        {
          op: "mount-overlay",
          target: o.rootfs,
          cwd: o.overlay.storeRoot,
          lowerdir: o.overlay.lowerdir,
          upperdir: o.overlay.upperdir,
          workdir: o.overlay.workdir,
          options: ["volatile"],
        }
      : // pivot_root needs the new root to be a mount point; MS_REC keeps mounts below it.
        mount(o.rootfs, o.rootfs, null, ["BIND", "REC"]),
    // Pivot first, then mount inside: every later path resolves in the container's own root, so a
    // symlink planted in the rootfs (say /dev -> /host/etc) cannot send a mount onto the host.
    { op: "pivot_root", rootfs: o.rootfs },
    mount("proc", "/proc", "proc", ["NOSUID", "NODEV", "NOEXEC"]),
    mount("tmpfs", "/dev", "tmpfs", ["NOSUID", "STRICTATIME"], "mode=755,size=65536k"),
  ];
  for (const d of DEFAULT_DEVICES) ops.push({ op: "mknod", path: `/dev/${d.name}`, major: d.major, minor: d.minor, mode: 0o666 });
  ops.push(
    { op: "symlink", path: "/dev/fd", target: "/proc/self/fd" },
    { op: "symlink", path: "/dev/stdin", target: "/proc/self/fd/0" },
    { op: "symlink", path: "/dev/stdout", target: "/proc/self/fd/1" },
    { op: "symlink", path: "/dev/stderr", target: "/proc/self/fd/2" },
    { op: "symlink", path: "/dev/ptmx", target: "pts/ptmx" },
    { op: "mkdir", path: "/dev/pts", mode: 0o755 },
    // newinstance: the container's ptys are its own, not the host's /dev/pts.
    mount("devpts", "/dev/pts", "devpts", ["NOSUID", "NOEXEC"], "newinstance,ptmxmode=0666,mode=0620,gid=5"),
    { op: "mkdir", path: "/dev/shm", mode: 0o1777 },
    mount("shm", "/dev/shm", "tmpfs", ["NOSUID", "NODEV", "NOEXEC"], "mode=1777,size=65536k"),
    { op: "mkdir", path: "/dev/mqueue", mode: 0o755 },
    mount("mqueue", "/dev/mqueue", "mqueue", ["NOSUID", "NODEV", "NOEXEC"]),
    mount("sysfs", "/sys", "sysfs", o.privileged ? ["NOSUID", "NODEV", "NOEXEC"] : ["NOSUID", "NODEV", "NOEXEC", "RDONLY"]),
  );
  if (!o.privileged) {
    for (const p of MASKED_PATHS) ops.push({ op: "mask", path: p });
    for (const p of READONLY_PATHS) ops.push({ op: "readonly", path: p });
  }
  if (o.readOnly) ops.push({ op: "readonly-root" });
  return ops;
}

export function planNamespaces(o: Pick<RunOptions, "network">): InitPlan["namespaces"] {
  const all: NamespaceType[] = ["mount", "uts", "ipc", "pid", "net"];
  return all.map((type) => ({ type, mode: type === "net" && o.network === "host" ? "host" : "new" }));
}

/** `cgroups`: the host's cgroup setup, or null to plan no cgroup (unit tests of other parts). */
export function planContainer(o: RunOptions, cgroups: CgroupHost | null = null): InitPlan {
  const caps = capabilitySet({ privileged: o.privileged, add: o.capAdd, drop: o.capDrop });
  const rlimits = [...o.ulimits];
  if (!rlimits.some((r) => r.resource === RLIMIT_NOFILE)) {
    const hard = o.nofileHard;
    const soft = hard === "unlimited" ? DEFAULT_NOFILE_SOFT : Math.min(DEFAULT_NOFILE_SOFT, hard);
    rlimits.push({ type: "nofile", resource: RLIMIT_NOFILE, soft, hard });
  }
  return {
    id: o.id,
    namespaces: planNamespaces(o),
    // The cgroup namespace is made by the init itself, after the parent has moved it into the
    // container's cgroup, so that the container sees its own cgroup as "/".
    initUnshare: ["cgroup"],
    hostname: o.hostname,
    privileged: o.privileged,
    loopback: o.network !== "host",
    rootfs: planRootfs(o),
    process: {
      args: o.args,
      env: o.env,
      cwd: o.cwd,
      user: o.user,
      terminal: o.tty,
      consoleSize: o.consoleSize,
      init: o.init,
      noNewPrivileges: o.noNewPrivileges ?? !o.privileged,
      // Inheritable stays empty (CVE-2022-24769); ambient is never set.
      capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [] },
      rlimits,
    },
    cgroup: cgroups === null ? null : planCgroup(cgroups, o.id, o.cgroupParent, o.resources, { privileged: o.privileged }),
  };
}
