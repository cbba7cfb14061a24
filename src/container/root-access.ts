// A container's root filesystem as a directory fd, for `cp` and `commit`: a running container's
// own view (through its PID 1's root: its volumes and tmpfs mounts included), a stopped one's
// overlay mounted detached (new mount API: attached nowhere, gone when the fd closes), or its
// --rootfs directory. Every path below it is then opened with RESOLVE_IN_ROOT.
import { AT_FDCWD, closeFd, openat } from "../../ffi/at";
import { O_CLOEXEC, O_DIRECTORY, O_PATH } from "../../ffi/constants";
import { errnoName } from "../../ffi/errno";
import { fsconfigCreate, fsconfigSet, fsmount, fsopen } from "../../ffi/mount-api";
import { ExitError } from "../errors";
import type { OverlayRootfs } from "../plan/rootfs";
import { clearVolatileMark } from "./start";
import { processStartTime } from "./state";
import type { ContainerInfo } from "./store";

export interface ContainerRoot {
  fd: number;
  /** How it was reached, for messages. */
  how: "running" | "overlay" | "rootfs";
  close(): void;
}

function fail(what: string, rc: number): never {
  throw new ExitError(`${what}: ${errnoName(-rc)}`, 125);
}

/** The overlay of a stopped container, mounted detached. */
function mountOverlay(ov: OverlayRootfs): number {
  const abs = (p: string) => (p.startsWith("/") ? p : `${ov.storeRoot}/${p}`);
  clearVolatileMark(ov);
  const fs = fsopen("overlay");
  if (fs < 0) fail("fsopen overlay", fs);
  try {
    // lowerdir+ (Linux 6.8) takes one layer per call; fsconfig strings are limited to 256 bytes.
    for (const l of ov.lowerdir) {
      const rc = fsconfigSet(fs, "lowerdir+", abs(l));
      if (rc < 0) fail(`fsconfig lowerdir+ ${abs(l)} (Linux 6.8 or later is needed to reach a stopped container's files)`, rc);
    }
    for (const [k, v] of [["upperdir", abs(ov.upperdir)], ["workdir", abs(ov.workdir)], ["volatile", null]] as const) {
      const rc = fsconfigSet(fs, k, v);
      if (rc < 0) fail(`fsconfig ${k}${v ? ` ${v}` : ""}`, rc);
    }
    const rc = fsconfigCreate(fs);
    if (rc < 0) fail("fsconfig create (overlay)", rc);
    const mnt = fsmount(fs);
    if (mnt < 0) fail("fsmount overlay", mnt);
    return mnt;
  } finally {
    closeFd(fs);
  }
}

export function openContainerRoot(info: ContainerInfo): ContainerRoot {
  const running = (info.status === "running" || info.status === "paused") && info.pids !== null;
  if (running) {
    const { pid, start } = info.pids!.init;
    const fd = openat(AT_FDCWD, `/proc/${pid}/root`, O_PATH | O_DIRECTORY | O_CLOEXEC);
    // The pid is checked after the open: the fd is of the container's process, not a reused pid.
    if (fd >= 0 && processStartTime(pid) === start) return { fd, how: "running", close: () => closeFd(fd) };
    if (fd >= 0) closeFd(fd);
  }
  const ov = info.config.run.overlay;
  if (ov) {
    const fd = mountOverlay(ov);
    return { fd, how: "overlay", close: () => closeFd(fd) };
  }
  const fd = openat(AT_FDCWD, info.config.rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) fail(`open ${info.config.rootfs}`, fd);
  return { fd, how: "rootfs", close: () => closeFd(fd) };
}
