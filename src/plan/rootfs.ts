// Pure: the container's root filesystem as stage ops. Mount the root (a bind of --rootfs, or the
// image's overlay), pivot into it, then build /proc, /dev, /sys and the masked and read-only paths
// from inside. The order and the reason for each step live here; the stage just runs them.
import type { MsFlag } from "../../ffi/constants";
import type { ChildOp, MountEnsure } from "../stage/ops";
import type { MountSpec } from "../volumes/spec";

/** An image's root: overlay layers in the store (see src/image/store.ts). */
export interface OverlayRootfs {
  /** The store root: layer paths below are relative to it. */
  storeRoot: string;
  /** Top first: the container's init layer, then the image's layers. */
  lowerdir: string[];
  upperdir: string;
  workdir: string;
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

const S_IFCHR = 0o020000;

/** Mount points that must be real directories: a symlink there is a planted trap (CVE-2019-16884). */
const MUST_BE_DIRECTORY = new Set(["/proc", "/sys", "/dev"]);

/** A mount made after pivot_root: its mount point is created if missing, inside the container. */
const inside = (source: string | null, target: string, fstype: string | null, flags: MsFlag[], data: string | null = null): ChildOp => {
  const ensure: MountEnsure = MUST_BE_DIRECTORY.has(target) ? "directory" : "mkdir";
  return { op: "mount", source, target, fstype, flags, data, ensure };
};

export function planRootfs(o: { rootfs: string; overlay: OverlayRootfs | null; privileged: boolean; mounts: readonly MountSpec[] }): ChildOp[] {
  const ops: ChildOp[] = [
    // Nothing done in the container's mount namespace may propagate back to the host.
    { op: "mount", source: null, target: "/", fstype: null, flags: ["REC", "PRIVATE"], data: null, ensure: "none" },
  ];
  if (o.overlay) {
    // Mounted in the container's own mount namespace: it goes away with the container, so a killed
    // ctr leaves no mount behind. `volatile` skips the sync of the whole upper filesystem at
    // unmount (300 ms measured here). Layer paths are short links relative to the store root.
    const ov = o.overlay;
    const data = [`lowerdir=${ov.lowerdir.join(":")}`, `upperdir=${ov.upperdir}`, `workdir=${ov.workdir}`, "volatile"].join(",");
    ops.push(
      { op: "chdir", path: ov.storeRoot },
      { op: "mount", source: "overlay", target: o.rootfs, fstype: "overlay", flags: [], data, ensure: "none" },
      { op: "chdir", path: "/" },
    );
  } else {
    // pivot_root needs the new root to be a mount point; MS_REC keeps mounts below it.
    ops.push({ op: "mount", source: o.rootfs, target: o.rootfs, fstype: null, flags: ["BIND", "REC"], data: null, ensure: "none" });
  }
  // Host paths can only be bound before the pivot; their destinations are resolved inside the
  // new root by the stage itself (RESOLVE_IN_ROOT), never through the host's view of it.
  for (const m of o.mounts) {
    if (m.type === "tmpfs") continue;
    ops.push({ op: "bind-mount", source: m.source, rootfs: o.rootfs, destination: m.destination, readOnly: m.readOnly, populate: m.type === "volume" && m.populate });
  }
  // Pivot first, then mount inside: every later path resolves in the container's own root, so a
  // symlink planted in the rootfs (say /dev -> /host/etc) cannot send a mount onto the host.
  ops.push(
    { op: "pivot-root", path: o.rootfs },
    inside("proc", "/proc", "proc", ["NOSUID", "NODEV", "NOEXEC"]),
    inside("tmpfs", "/dev", "tmpfs", ["NOSUID", "STRICTATIME"], "mode=755,size=65536k"),
  );
  for (const d of DEFAULT_DEVICES) ops.push({ op: "mknod", path: `/dev/${d.name}`, mode: S_IFCHR | 0o666, major: d.major, minor: d.minor });
  ops.push(
    { op: "symlink", path: "/dev/fd", target: "/proc/self/fd" },
    { op: "symlink", path: "/dev/stdin", target: "/proc/self/fd/0" },
    { op: "symlink", path: "/dev/stdout", target: "/proc/self/fd/1" },
    { op: "symlink", path: "/dev/stderr", target: "/proc/self/fd/2" },
    { op: "symlink", path: "/dev/ptmx", target: "pts/ptmx" },
    { op: "mkdir", path: "/dev/pts", mode: 0o755 },
    // newinstance: the container's ptys are its own, not the host's /dev/pts.
    inside("devpts", "/dev/pts", "devpts", ["NOSUID", "NOEXEC"], "newinstance,ptmxmode=0666,mode=0620,gid=5"),
    { op: "mkdir", path: "/dev/shm", mode: 0o1777 },
    inside("shm", "/dev/shm", "tmpfs", ["NOSUID", "NODEV", "NOEXEC"], "mode=1777,size=65536k"),
    { op: "mkdir", path: "/dev/mqueue", mode: 0o755 },
    inside("mqueue", "/dev/mqueue", "mqueue", ["NOSUID", "NODEV", "NOEXEC"]),
    inside("sysfs", "/sys", "sysfs", o.privileged ? ["NOSUID", "NODEV", "NOEXEC"] : ["NOSUID", "NODEV", "NOEXEC", "RDONLY"]),
  );
  for (const m of o.mounts) if (m.type === "tmpfs") ops.push(tmpfsMount(m.destination, m.options));
  if (!o.privileged) {
    for (const p of MASKED_PATHS) ops.push({ op: "mask", path: p });
    for (const p of READONLY_PATHS) ops.push({ op: "readonly", path: p });
  }
  return ops;
}

/** --tmpfs DEST[:OPTS]: Docker's defaults (noexec, nosuid, nodev, mode 1777), then the options. */
function tmpfsMount(destination: string, options: string): ChildOp {
  const flags = new Set<MsFlag>(["NOEXEC", "NOSUID", "NODEV"]);
  const data: string[] = [];
  for (const o of options.split(",").filter(Boolean)) {
    if (o === "ro") flags.add("RDONLY");
    else if (o === "rw") flags.delete("RDONLY");
    else if (o === "exec") flags.delete("NOEXEC");
    else if (o === "suid") flags.delete("NOSUID");
    else if (o === "dev") flags.delete("NODEV");
    else if (o === "noexec" || o === "nosuid" || o === "nodev") flags.add(o.toUpperCase() as MsFlag);
    else data.push(o);
  }
  if (!data.some((d) => d.startsWith("mode="))) data.unshift("mode=1777");
  return inside("tmpfs", destination, "tmpfs", [...flags], data.join(","));
}

/** --read-only: / remounted read-only, once every mount point and the working directory exist. */
export const READONLY_ROOT: ChildOp = { op: "mount", source: null, target: "/", fstype: null, flags: ["BIND", "REMOUNT", "RDONLY"], data: null, ensure: "none" };
