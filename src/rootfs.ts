// Applies the RootfsOp list: bind the rootfs, pivot into it, then build /proc, /dev, /sys and the
// masked and read-only paths from inside. A dumb loop: the order and the reasons live in plan.ts.
import * as fs from "node:fs";
import { MNT_DETACH, MS, S_IFCHR } from "../ffi/constants";
import { SysError } from "./errors";
import { mountFlags, describeOp, type RootfsOp } from "./mounts";
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
        if (pivoted) ensureMountpoint(op.target);
        sys.mount(op.source, op.target, op.fstype, mountFlags(op.flags), op.data);
        break;
      case "pivot_root":
        pivotRoot(sys, op.rootfs);
        pivoted = true;
        break;
      case "mkdir":
        if (!exists(op.path)) sys.mkdir(op.path, op.mode);
        break;
      case "mknod":
        sys.mknod(op.path, S_IFCHR | op.mode, op.major, op.minor);
        // mknod's mode is filtered by the umask; devices must be usable by everyone.
        fs.chmodSync(op.path, op.mode);
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

function ensureMountpoint(target: string): void {
  let st: fs.Stats | undefined;
  try {
    st = fs.lstatSync(target);
  } catch {
    st = undefined;
  }
  if (st === undefined) {
    fs.mkdirSync(target, { recursive: true, mode: 0o755 });
    return;
  }
  if (MUST_BE_DIRECTORY.has(target) && !st.isDirectory()) {
    throw new Error(`rootfs: ${target} must be a directory, not a ${st.isSymbolicLink() ? "symlink" : "file"}`);
  }
}

function exists(path: string): boolean {
  try {
    fs.lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

function maskPath(sys: Sys, path: string): void {
  let st: fs.Stats;
  try {
    st = fs.lstatSync(path);
  } catch {
    return; // nothing to hide
  }
  if (st.isDirectory()) sys.mount("tmpfs", path, "tmpfs", MS.RDONLY, "size=0");
  else sys.mount("/dev/null", path, null, MS.BIND, null);
}

function readonlyPath(sys: Sys, path: string): void {
  if (!exists(path)) return;
  try {
    sys.mount(path, path, null, MS.BIND | MS.REC, null);
  } catch (e) {
    if (e instanceof SysError && e.code === "ENOENT") return;
    throw e;
  }
  sys.mount(path, path, null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV | MS.NOEXEC, null);
}
