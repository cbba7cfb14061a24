// Applies the RootfsOp list: bind the rootfs, pivot into it, then build /proc, /dev, /sys and the
// masked and read-only paths from inside. A dumb loop: the order and the reasons live in plan.ts.
import { fileType } from "../ffi/files";
import { MNT_DETACH, MS, S_IFCHR } from "../ffi/constants";
import { SysError } from "./errors";
import { mountFlags, describeOp, overlayData, type RootfsOp } from "./mounts";
import type { Sys } from "./sys/sys";

export type StepLog = (message: string) => void;

/** Mount points that must be real directories: a symlink there is a planted trap (CVE-2019-16884). */
const MUST_BE_DIRECTORY = new Set(["/proc", "/sys", "/dev"]);

export function applyRootfs(sys: Sys, ops: readonly RootfsOp[], log: StepLog): void {
  let pivoted = false;
  for (const op of ops) {
    log(describeOp(op));
    switch (op.op) {
      case "mount":
        if (pivoted) ensureMountpoint(sys, op.target);
        sys.mount(op.source, op.target, op.fstype, mountFlags(op.flags), op.data);
        break;
      case "mount-overlay":
        // Relative layer paths resolve against the store root; the pivot below changes cwd again.
        sys.chdir(op.cwd);
        sys.mount("overlay", op.target, "overlay", 0, overlayData(op));
        sys.chdir("/");
        break;
      case "pivot_root":
        pivotRoot(sys, op.rootfs);
        pivoted = true;
        break;
      case "mkdir":
        if (fileType(op.path) === null) sys.mkdir(op.path, op.mode);
        break;
      case "mknod":
        sys.mknod(op.path, S_IFCHR | op.mode, op.major, op.minor);
        // mknod's mode is filtered by the umask; devices must be usable by everyone.
        sys.chmod(op.path, op.mode);
        break;
      case "symlink":
        sys.symlink(op.target, op.path);
        break;
      case "mask":
        maskPath(sys, op.path);
        break;
      case "readonly":
        readonlyPath(sys, op.path);
        break;
      case "readonly-root":
        sys.mount(null, "/", null, MS.BIND | MS.REMOUNT | MS.RDONLY, null);
        break;
    }
  }
}

/** pivot_root(".", ".") stacks the old root on top of the new one; detach it at once (runc's pivotRoot). */
function pivotRoot(sys: Sys, rootfs: string): void {
  sys.chdir(rootfs);
  sys.pivotRoot(".", ".");
  sys.umount2(".", MNT_DETACH);
  sys.chdir("/");
}

function ensureMountpoint(sys: Sys, target: string): void {
  const type = fileType(target);
  if (type === null) return mkdirAll(sys, target, 0o755);
  if (MUST_BE_DIRECTORY.has(target) && type !== "dir") {
    throw new Error(`rootfs: ${target} must be a directory, not a ${type === "symlink" ? "symlink" : "file"}`);
  }
}

/** mkdir -p, through the seam. */
export function mkdirAll(sys: Sys, path: string, mode: number): void {
  let prefix = "";
  for (const part of path.split("/").filter(Boolean)) {
    prefix += `/${part}`;
    const type = fileType(prefix);
    if (type === "dir") continue;
    if (type !== null && type !== "symlink") throw new Error(`mkdir ${path}: ${prefix} is not a directory`);
    if (type === null) sys.mkdir(prefix, mode);
  }
}

function maskPath(sys: Sys, path: string): void {
  const type = fileType(path);
  if (type === null) return; // nothing to hide
  if (type === "dir") sys.mount("tmpfs", path, "tmpfs", MS.RDONLY, "size=0");
  else sys.mount("/dev/null", path, null, MS.BIND, null);
}

function readonlyPath(sys: Sys, path: string): void {
  if (fileType(path) === null) return;
  try {
    sys.mount(path, path, null, MS.BIND | MS.REC, null);
  } catch (e) {
    if (e instanceof SysError && e.code === "ENOENT") return;
    throw e;
  }
  sys.mount(path, path, null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, null);
}
