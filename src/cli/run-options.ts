// Checked run flags + the image (or --rootfs) → the RunOptions the plan is made from, with
// Docker's rules for merging an image's Entrypoint, Cmd, Env, WorkingDir, User and StopSignal.
import { absolutePath, fileType } from "../../ffi/files";
import { UsageError } from "../errors";
import type { RunOptions } from "../plan/container";
import { DEFAULT_PATH, mergeEnv } from "../plan/process";
import type { OverlayRootfs } from "../plan/rootfs";
import type { ImageConfig } from "../image/schema";
import { parseUserSpec } from "../user";
import { parseSignal, type RunFlags } from "./run-flags";
import { parseExposed } from "../net/options";

export { mergeEnv } from "../plan/process";
export { RUN_FLAGS, parseEnvEntry, parseSecurityOpts, parseUlimit } from "./run-flags";

export function newContainerId(): string {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return Buffer.from(b).toString("hex");
}

/** What `ctr run IMAGE` takes from the image (the store part lives in src/image). */
export interface RunImage {
  id: string;
  name: string;
  config: ImageConfig["config"];
  /** The container's overlay root, for a container id. */
  rootfsFor(id: string): { rootfs: string; overlay: OverlayRootfs };
}

/** The image's process settings under the flags, as Docker merges them. */
export function imageProcess(config: ImageConfig["config"], flags: { entrypoint: string | undefined; args: string[] }): string[] {
  // --entrypoint replaces the image's entrypoint and drops its Cmd; "" clears it.
  const entrypoint = flags.entrypoint !== undefined ? (flags.entrypoint === "" ? [] : [flags.entrypoint]) : config?.Entrypoint ?? [];
  const cmd = flags.args.length ? flags.args : flags.entrypoint !== undefined ? [] : config?.Cmd ?? [];
  return [...entrypoint, ...cmd];
}

/** A --rootfs directory, checked. */
export function checkRootfs(arg: string): string {
  const rootfs = absolutePath(arg);
  const type = fileType(rootfs, true);
  if (type === null) throw new UsageError(`--rootfs ${arg}: no such directory`);
  if (type !== "dir") throw new UsageError(`--rootfs ${arg}: not a directory`);
  if (rootfs === "/") throw new UsageError("--rootfs /: refusing to use the host's root as a container root");
  return rootfs;
}

export interface RunRequest {
  options: RunOptions;
  flags: RunFlags;
  /** The image's StopSignal under --stop-signal, else SIGTERM. */
  stopSignal: number;
  /** The image's Volumes: anonymous volumes unless a mount covers them. */
  imageVolumes: string[];
}

export function buildRunRequest(
  flags: RunFlags,
  ctx: {
    id?: string;
    /** --rootfs DIR (checked), or null for an image. */
    rootfs: string | null;
    image?: RunImage;
    /** The command line after the image (or everything, with --rootfs). */
    args: string[];
    nofileHard: number | "unlimited";
    consoleSize: RunOptions["consoleSize"];
  },
): RunRequest {
  const id = ctx.id ?? newContainerId();
  const image = ctx.image;
  let rootfs: string;
  let overlay: OverlayRootfs | null = null;
  let args: string[];
  if (image) {
    ({ rootfs, overlay } = image.rootfsFor(id));
    args = imageProcess(image.config, { entrypoint: flags.entrypoint, args: ctx.args });
    if (args.length === 0) throw new UsageError(`no command given, and the image ${image.name} names none: ctr run IMAGE CMD [ARG...]`);
  } else {
    if (ctx.rootfs === null) throw new UsageError("no image given: ctr run [flags] IMAGE [CMD...], or --rootfs DIR CMD");
    rootfs = ctx.rootfs;
    args = flags.entrypoint ? [flags.entrypoint, ...ctx.args] : ctx.args;
    if (args.length === 0) throw new UsageError("no command given: ctr run --rootfs DIR [flags] [--] CMD [ARG...]");
  }
  const hostname = flags.hostname ?? id.slice(0, 12);
  // An image's WorkingDir should be absolute; a relative one is taken from "/", as Docker does.
  const imageCwd = image?.config?.WorkingDir ? (image.config.WorkingDir.startsWith("/") ? image.config.WorkingDir : `/${image.config.WorkingDir}`) : "/";
  // Entries without "=" carry no value; an image may hold them, a process environment may not.
  const imageEnv = (image?.config?.Env ?? []).filter((e) => e.indexOf("=") > 0);
  const env = mergeEnv([
    ...(imageEnv.some((e) => e.startsWith("PATH=")) ? [] : [`PATH=${DEFAULT_PATH}`]),
    ...imageEnv,
    `HOSTNAME=${hostname}`,
    ...(flags.tty ? ["TERM=xterm"] : []),
    ...flags.env,
  ]);
  const imageStop = image?.config?.StopSignal;
  return {
    flags,
    stopSignal: flags.stopSignal ?? (imageStop ? parseSignal(imageStop, `the image's StopSignal`) : 15),
    imageVolumes: Object.keys(image?.config?.Volumes ?? {}),
    options: {
      id,
      rootfs,
      overlay,
      args,
      env,
      cwd: flags.workdir ?? imageCwd,
      user: flags.user ?? parseUserSpec(image?.config?.User || "0"),
      hostname,
      network: flags.network.mode,
      net: { ...flags.network, exposed: flags.network.publishAll ? parseExposed(Object.keys(image?.config?.ExposedPorts ?? {})) : [] },
      netJoin: null,
      tty: flags.tty,
      consoleSize: flags.tty ? ctx.consoleSize : null,
      init: flags.init,
      readOnly: flags.readOnly,
      privileged: flags.privileged,
      capAdd: flags.capAdd,
      capDrop: flags.capDrop,
      noNewPrivileges: flags.noNewPrivileges,
      seccomp: flags.seccomp,
      ulimits: flags.ulimits,
      nofileHard: ctx.nofileHard,
      resources: flags.resources,
      cgroupParent: flags.cgroupParent,
      mounts: [],
    },
  };
}
