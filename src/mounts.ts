// Mount flags as names, and the table of option strings → flags (as crun's mount_flags.c and
// `mount -o` spell them). Pure: used by the plan, the dry-run printer and error messages.
import { MS, type MsFlag } from "../ffi/constants";

export function mountFlags(names: readonly MsFlag[]): number {
  return names.reduce((acc, n) => acc | MS[n], 0);
}

export function mountFlagsToString(flags: number): string {
  const names = (Object.keys(MS) as MsFlag[]).filter((n) => flags & MS[n]).map((n) => `MS_${n}`);
  return names.length ? names.join("|") : "0";
}

/** One step of root filesystem setup, applied in order by rootfs.ts. Paths after pivot_root are container paths. */
export type RootfsOp =
  | { op: "mount"; source: string | null; target: string; fstype: string | null; flags: MsFlag[]; data: string | null }
  /**
   * The image's root: overlayfs with the image layers below (top first), the container's own upper
   * and work dirs. Layer paths are short names relative to `cwd` (the store root), so the option
   * string stays under a page with many layers (Docker's overlay2 does the same).
   */
  | { op: "mount-overlay"; target: string; cwd: string; lowerdir: string[]; upperdir: string; workdir: string; options: string[] }
  | { op: "pivot_root"; rootfs: string }
  | { op: "mkdir"; path: string; mode: number }
  | { op: "mknod"; path: string; major: number; minor: number; mode: number }
  | { op: "symlink"; path: string; target: string }
  /** Hide a path: /dev/null over a file, an empty read-only tmpfs over a directory (runc's maskPaths). */
  | { op: "mask"; path: string }
  /** Make a path read-only: bind it onto itself, then remount read-only (runc's readonlyPaths). */
  | { op: "readonly"; path: string }
  /** Remount the container's / read-only (--read-only), after every mountpoint exists. */
  | { op: "readonly-root" };

/** The overlay mount's option string. */
export function overlayData(op: Extract<RootfsOp, { op: "mount-overlay" }>): string {
  return [`lowerdir=${op.lowerdir.join(":")}`, `upperdir=${op.upperdir}`, `workdir=${op.workdir}`, ...op.options].join(",");
}

export function describeOp(op: RootfsOp): string {
  switch (op.op) {
    case "mount": {
      const flags = op.flags.length ? op.flags.map((f) => f.toLowerCase()).join(",") : "";
      const opts = [flags, op.data ?? ""].filter(Boolean).join(",");
      return `mount ${op.fstype ?? op.source ?? "none"} on ${op.target}${opts ? ` (${opts})` : ""}`;
    }
    case "mount-overlay":
      return `mount overlay on ${op.target} (lowerdir=${op.lowerdir.join(":")},upperdir=${op.upperdir},workdir=${op.workdir}${op.options.map((o) => `,${o}`).join("")}; in ${op.cwd})`;
    case "pivot_root":
      return `pivot_root ${op.rootfs} (old root detached)`;
    case "mkdir":
      return `mkdir ${op.path} (mode ${op.mode.toString(8)})`;
    case "mknod":
      return `mknod ${op.path} c ${op.major} ${op.minor} (mode ${op.mode.toString(8)})`;
    case "symlink":
      return `symlink ${op.path} -> ${op.target}`;
    case "mask":
      return `mask ${op.path}`;
    case "readonly":
      return `read-only ${op.path}`;
    case "readonly-root":
      return "remount / read-only";
  }
}
