// A container's life after its plan: create (directory, name, layers, volumes, config), start
// (release a created one, or launch it again), stop, kill, wait, pause, remove, and what happens
// when it exits (its restart policy, --rm). The commands in src/commands are thin over these.
import * as files from "../files";
import { C } from "../../ffi/libc";
import { SYS } from "../../ffi/constants";
import { readFd } from "../../ffi/files";
import { errnoName } from "../../ffi/errno";
import { AT_FDCWD, closeFd, openat } from "../../ffi/at";
import { removeCgroup, type CgroupHost } from "../cgroups/index";
import { ExitError } from "../errors";
import type { RunRequest } from "../cli/run-options";
import type { Sys } from "../sys/sys";
import { VolumeStore, resolveMounts } from "../volumes/store";
import { containerConfig, launch, type LaunchRequest } from "./start";
import { createContainerDir, openProcess, readConfig, selfRef, readExit, writeAtomically, writeConfig, containerDir, type ContainerConfig } from "./state";
import { ContainerStore, extraPaths, type ContainerInfo } from "./store";
import { randomName } from "./names";
import { releaseNetworkIfHeld } from "../net/record";

export interface Context {
  sys: Sys;
  root: string;
  cgroups: CgroupHost;
  /** The ctr executable monitors run as their exit command. */
  ctrPath?: string;
}

/** An image for a new container: its layers are made in the container's directory. */
export interface ImageUse {
  id: string;
  name: string;
  /** Records the container's use of the image and makes its layers, under the store's lock. */
  prepare(dir: string): void;
}

/** The container's directory, name, layers, volumes and config; undone whole if any step fails. */
export function createContainer(ctx: Context, req: RunRequest, image: ImageUse | null): ContainerConfig {
  const containers = new ContainerStore(ctx.root);
  const volumes = new VolumeStore(ctx.root);
  const o = req.options;
  const f = req.flags;
  const dir = createContainerDir(ctx.root, o.id);
  let name: string | null = null;
  try {
    if (f.name) {
      containers.claimName(f.name, o.id);
      name = f.name;
    } else {
      for (let i = 0; name === null; i++) {
        const candidate = randomName(i > 20);
        try {
          containers.claimName(candidate, o.id);
          name = candidate;
        } catch (e) {
          if (i > 40) throw e;
        }
      }
    }
    image?.prepare(dir);
    const from = f.volumesFrom.flatMap((ref) => {
      const other = readConfig(containerDir(ctx.root, containers.resolve(ref)));
      if (!other) throw new ExitError(`--volumes-from ${ref}: no such container`, 125);
      return other.mounts;
    });
    o.mounts = resolveMounts(volumes, f.mounts, { imageVolumes: req.imageVolumes, from });
    const config = containerConfig(o, ctx.cgroups, {
      name,
      image: image ? { id: image.id, name: image.name } : null,
      autoRemove: f.autoRemove,
      restart: f.restart,
      labels: f.labels,
      stopSignal: req.stopSignal,
      stopTimeout: f.stopTimeout ?? 10,
      log: f.log,
      tty: f.tty,
      interactive: f.interactive,
    });
    writeConfig(dir, config);
    return config;
  } catch (e) {
    if (name) containers.releaseName(name, o.id);
    for (const m of o.mounts ?? []) if (m.type === "volume" && m.anonymous) files.removeTree(volumes.dir(m.name));
    files.removeTree(dir);
    throw e;
  }
}

export function launchRequest(ctx: Context, config: ContainerConfig, o: { detached: boolean; interactive?: boolean; waitForStart?: boolean }): LaunchRequest {
  return {
    config,
    root: ctx.root,
    dir: containerDir(ctx.root, config.id),
    cgroups: ctx.cgroups,
    detached: o.detached,
    interactive: o.interactive ?? false,
    waitForStart: o.waitForStart ?? false,
    ctrPath: ctx.ctrPath,
  };
}

/**
 * Starts a container detached: its command runs (or, with waitForStart, waits set up for
 * `start`) when this returns; ctr can go, the monitor stays.
 */
export async function startDetached(ctx: Context, config: ContainerConfig, waitForStart = false): Promise<{ monitorPid: number; containerPid: number }> {
  const { monitor, events } = await launch(ctx.sys, launchRequest(ctx, config, { detached: true, waitForStart }), ["ignore", "ignore", "ignore"]);
  if (!events.running && !(waitForStart && events.started && !events.exited && !events.failureError())) {
    // The start failed: the monitor has stopped and tidied up; its exit code is the failure's.
    await monitor.proc.exited;
    for (let e = monitor.channel.next(false); e !== null; e = monitor.channel.next(false)) events.add(e);
    throw events.failureError() ?? new ExitError("the container's monitor ended before the command ran", 125);
  }
  // From here the monitor does not stop the container when ctr goes.
  monitor.channel.send("detach");
  monitor.proc.unref();
  return { monitorPid: events.started!.monitorPid, containerPid: events.started!.containerPid };
}

const O_RDONLY = 0;
const O_NONBLOCK = 0o4000;
const O_CLOEXEC = 0o2000000;

/** `start`: a created container's command is released; a stopped one is started again. */
export async function startContainer(ctx: Context, info: ContainerInfo): Promise<void> {
  if (info.status === "running" || info.status === "paused" || info.status === "restarting") return;
  files.unlink(extraPaths(info.dir).stopped);
  if (waitsForStart(info)) return releaseStart(info);
  await startDetached(ctx, info.config);
}

/** Whether the container's command is set up and waiting on its start FIFO (after `create`). */
export function waitsForStart(info: ContainerInfo): boolean {
  return info.status === "created" && info.pids !== null && files.exists(extraPaths(info.dir).fifo);
}

/**
 * `start -a`: the container set up and waiting (launched again that way if it ran before), so
 * that an attach is in place before its command runs; then `releaseStart`.
 */
export async function prepareStart(ctx: Context, info: ContainerInfo): Promise<void> {
  files.unlink(extraPaths(info.dir).stopped);
  if (!waitsForStart(info)) await startDetached(ctx, info.config, true);
}

/** Lets a waiting container's command run: opening the FIFO for reading releases the stage. */
export async function releaseStart(info: ContainerInfo): Promise<void> {
  const fifo = extraPaths(info.dir).fifo;
  const fd = openat(AT_FDCWD, fifo, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) throw new ExitError(`start ${info.id.slice(0, 12)}: open ${fifo}: ${errnoName(-fd)}`, 125);
  try {
    const buf = Buffer.alloc(1);
    const deadline = Date.now() + 10_000;
    for (;;) {
      const n = readFd(fd, buf);
      if (n > 0) break;
      const now = readExit(info.dir);
      if (now) throw new ExitError(`start ${info.id.slice(0, 12)}: the container exited before it was started (code ${now.exitCode})`, 125);
      if (Date.now() > deadline) throw new ExitError(`start ${info.id.slice(0, 12)}: the container did not take the start`, 125);
      await Bun.sleep(2);
    }
  } finally {
    closeFd(fd);
    files.unlink(fifo);
  }
}

/** A signal to the container's PID 1, through a pidfd of the right process (not a reused pid). */
export function signalContainer(info: ContainerInfo, signal: number): void {
  if (!info.pids || (info.status !== "running" && info.status !== "paused" && info.status !== "created")) {
    throw new ExitError(`container ${info.config.name ?? info.id.slice(0, 12)} is not running`, 1);
  }
  const pidfd = openProcess(info.pids.init);
  if (pidfd === null) throw new ExitError(`container ${info.config.name ?? info.id.slice(0, 12)} is not running`, 1);
  try {
    const rc = Number(C.syscall(SYS.pidfd_send_signal, pidfd, signal, 0, 0));
    if (rc < 0) throw new ExitError(`kill ${info.id.slice(0, 12)}: the signal could not be sent`, 125);
  } finally {
    closeFd(pidfd);
  }
}

/** Waits until the container's exit is recorded; null on timeout. */
export async function waitForExit(dir: string, timeoutMs = Infinity): Promise<ReturnType<typeof readExit>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const exit = readExit(dir);
    if (exit && !files.exists(extraPaths(dir).restarting)) return exit;
    if (!files.isDirectory(dir)) return null;
    if (Date.now() > deadline) return null;
    await Bun.sleep(20);
  }
}

/** `stop`: the stop signal, up to `timeout` seconds for it to end, then SIGKILL. */
export async function stopContainer(info: ContainerInfo, o: { timeout?: number; signal?: number } = {}): Promise<void> {
  // Stopped by the user: no restart policy brings it back.
  files.writeFile(extraPaths(info.dir).stopped, "");
  if (info.status === "paused") thaw(info);
  if (info.status !== "running" && info.status !== "paused" && info.status !== "created") return;
  try {
    signalContainer(info, o.signal ?? info.config.stopSignal);
  } catch {
    return; // already gone
  }
  const timeout = o.timeout ?? info.config.stopTimeout;
  if (timeout >= 0 && (await waitForExit(info.dir, timeout * 1000))) return;
  try {
    signalContainer(info, 9);
  } catch {
    /* it ended meanwhile */
  }
  await waitForExit(info.dir, 10_000);
}

/** `rm`: a running container only with force (killed first); -v takes its anonymous volumes too. */
export async function removeContainer(ctx: Context, info: ContainerInfo, o: { force: boolean; volumes: boolean }): Promise<void> {
  const store = new ContainerStore(ctx.root);
  const live = info.status === "running" || info.status === "paused" || info.status === "restarting" || (info.status === "created" && info.pids !== null);
  if (live && !o.force) {
    throw new ExitError(`cannot remove container ${info.config.name ?? info.id.slice(0, 12)}: it is ${info.status}; stop it first, or use rm -f`, 1);
  }
  if (live) {
    files.writeFile(extraPaths(info.dir).stopped, "");
    files.unlink(extraPaths(info.dir).restarting);
    if (info.status === "paused") thaw(info);
    try {
      signalContainer(info, 9);
    } catch {
      /* gone already */
    }
    await waitForExit(info.dir, 10_000);
  }
  if (info.pids && info.config.cgroup && !readExit(info.dir)) removeCgroup(info.config.cgroup);
  releaseNetworkIfHeld(ctx.root, info.dir);
  const unlock = store.lock();
  try {
    store.removeDir(info.id, info.config);
  } finally {
    unlock();
  }
  if (o.volumes) {
    const volumes = new VolumeStore(ctx.root);
    for (const m of info.config.mounts) if (m.type === "volume" && m.anonymous && volumes.exists(m.name)) volumes.remove(m.name, true);
  }
}

/** `pause`/`unpause`: the cgroup freezer (v2 cgroup.freeze, v1 freezer.state). */
export function freeze(info: ContainerInfo, on: boolean): void {
  const cg = info.config.cgroup;
  if (!cg) throw new ExitError("pause: the container has no cgroup", 125);
  const freezer = cg.version === "v2" ? `${cg.own[0]}/cgroup.freeze` : cg.own.find((d) => d.includes("/freezer/"))?.concat("/freezer.state");
  if (!freezer) throw new ExitError("pause: this host has no freezer controller", 125);
  const value = cg.version === "v2" ? (on ? "1" : "0") : on ? "FROZEN" : "THAWED";
  files.writeFile(freezer, value);
}

function thaw(info: ContainerInfo): void {
  try {
    freeze(info, false);
  } catch {
    /* no freezer: nothing was frozen */
  }
}

/** Whether the restart policy brings an exited container back (Docker's rules). */
export function shouldRestart(config: ContainerConfig, exitCode: number, restartCount: number, stoppedByUser: boolean): boolean {
  const p = config.restart;
  if (stoppedByUser || p.name === "no") return false;
  if (p.name === "on-failure") return exitCode !== 0 && (p.maximumRetryCount === 0 || restartCount < p.maximumRetryCount);
  return true;
}

/**
 * The monitor's exit command: a restart by the policy (after Docker's doubling delay from 100
 * ms), else removal of an --rm container. Counts and markers make each happen once.
 */
export async function containerExited(ctx: Context, id: string): Promise<void> {
  const store = new ContainerStore(ctx.root);
  const info = store.info(id);
  if (!info || !info.exit) return;
  // Its addresses and firewall rules go back at once (a restart takes new ones).
  releaseNetworkIfHeld(ctx.root, info.dir);
  const x = extraPaths(info.dir);
  if (shouldRestart(info.config, info.exit.exitCode, info.restartCount, files.exists(x.stopped))) {
    const count = info.restartCount + 1;
    writeAtomically(x.restarts, String(count));
    // Who restarts it: a reconciliation drops the mark if this process is killed meanwhile.
    files.writeFile(x.restarting, selfRef());
    try {
      await Bun.sleep(Math.min(100 * 2 ** (count - 1), 10_000));
      if (files.exists(x.stopped) || !readConfig(info.dir)) return;
      await startDetached(ctx, info.config);
    } finally {
      files.unlink(x.restarting);
    }
    return;
  }
  if (info.config.autoRemove) await removeContainer(ctx, info, { force: true, volumes: true });
}
