// `ctr run` flags → RunOptions. Pure apart from reading --env-file and checking the rootfs, and
// every error names the flag and the value, before anything is created.
import { absolutePath, deviceNumber, fileType, readTextFile } from "../../ffi/files";
import { normalizeParent, parseResources } from "../cgroups/index";
import { parseCpuList } from "../cgroups/resources";
import * as v from "valibot";
import { UsageError } from "../errors";
import type { RunOptions } from "../plan/container";
import { DEFAULT_PATH } from "../plan/process";
import type { OverlayRootfs } from "../plan/rootfs";
import type { Rlimit, SeccompChoice } from "../plan/schema";
import { parseSeccompOption } from "../seccomp/index";
import type { ImageConfig } from "../image/schema";
import { parseUserSpec } from "../user";
import type { FlagDefs, ParsedCommandLine } from "./argv";

export const RUN_FLAGS = {
  rootfs: { type: "string", description: "Run in this root filesystem directory instead of an image (then every argument is the command)", valueHint: "DIR" },
  entrypoint: { type: "string", description: "Override the image's entrypoint (\"\" clears it)", valueHint: "CMD" },
  pull: { type: "string", description: "Pull the image: missing (the default), always or never", valueHint: "POLICY" },
  platform: { type: "string", description: "Platform of the image to pull (default: the host's)", valueHint: "OS/ARCH" },
  rm: { type: "boolean", description: "Remove the container when it exits (always the case for now)" },
  root: { type: "string", description: "State root (default $CTR_ROOT or /var/lib/ctr)", valueHint: "DIR" },
  hostname: { type: "string", description: "Container hostname (default: the short container id)", valueHint: "NAME" },
  env: { type: "string", alias: "e", multiple: true, description: "Set an environment variable (KEY=VALUE, or KEY to copy it from ctr's)", valueHint: "KEY=VALUE" },
  "env-file": { type: "string", multiple: true, description: "Read environment variables from a file", valueHint: "FILE" },
  workdir: { type: "string", alias: "w", description: "Working directory inside the container (default /)", valueHint: "DIR" },
  user: { type: "string", alias: "u", description: "User to run as: UID[:GID] or NAME[:GROUP]", valueHint: "USER[:GROUP]" },
  network: { type: "string", description: "Network: none (own namespace, loopback only; the default) or host", valueHint: "none|host" },
  tty: { type: "boolean", alias: "t", description: "Allocate a pseudo-terminal" },
  interactive: { type: "boolean", alias: "i", description: "Keep stdin open" },
  init: { type: "boolean", description: "Run a minimal init as PID 1 that reaps zombies and forwards signals" },
  "read-only": { type: "boolean", description: "Mount the root filesystem read-only" },
  privileged: { type: "boolean", description: "Give all capabilities, no masked paths, writable /sys" },
  "cap-add": { type: "string", multiple: true, description: "Add a capability (or ALL)", valueHint: "CAP" },
  "cap-drop": { type: "string", multiple: true, description: "Drop a capability (or ALL)", valueHint: "CAP" },
  "security-opt": { type: "string", multiple: true, description: "Security options: no-new-privileges[=true|false], seccomp=unconfined|PROFILE.json", valueHint: "OPT" },
  ulimit: { type: "string", multiple: true, description: "Set a resource limit: NAME=SOFT[:HARD]", valueHint: "NAME=SOFT[:HARD]" },
  memory: { type: "string", alias: "m", description: "Memory limit (b, k, m, g)", valueHint: "BYTES" },
  "memory-swap": { type: "string", description: "Memory plus swap limit; -1 for unlimited swap", valueHint: "BYTES" },
  "memory-reservation": { type: "string", description: "Memory soft limit", valueHint: "BYTES" },
  "oom-kill-disable": { type: "boolean", description: "Disable the OOM killer (cgroup v1 only)" },
  cpus: { type: "string", description: "Number of CPUs (fractional)", valueHint: "N" },
  "cpu-period": { type: "string", description: "CFS period in microseconds", valueHint: "US" },
  "cpu-quota": { type: "string", description: "CFS quota in microseconds", valueHint: "US" },
  "cpu-shares": { type: "string", alias: "c", description: "Relative CPU weight (2..262144; cpu.weight on v2)", valueHint: "N" },
  "cpuset-cpus": { type: "string", description: "CPUs to run on (0-3, 0,1)", valueHint: "LIST" },
  "cpuset-mems": { type: "string", description: "Memory nodes to use (0-3, 0,1)", valueHint: "LIST" },
  "pids-limit": { type: "string", description: "Maximum number of processes (-1 or 0: unlimited)", valueHint: "N" },
  "blkio-weight": { type: "string", description: "Block I/O weight (10..1000)", valueHint: "N" },
  "device-read-bps": { type: "string", multiple: true, description: "Read rate limit for a device", valueHint: "DEVICE:RATE" },
  "device-write-bps": { type: "string", multiple: true, description: "Write rate limit for a device", valueHint: "DEVICE:RATE" },
  "device-read-iops": { type: "string", multiple: true, description: "Read IO/s limit for a device", valueHint: "DEVICE:IOPS" },
  "device-write-iops": { type: "string", multiple: true, description: "Write IO/s limit for a device", valueHint: "DEVICE:IOPS" },
  "cgroup-parent": { type: "string", description: "Parent cgroup for the container's cgroup (default /ctr)", valueHint: "PATH" },
  "dry-run": { type: "boolean", description: "Print the plan (namespaces, mounts, cgroup writes, process) and do nothing" },
  "log-level": { type: "string", description: "debug, info, warn or error", valueHint: "LEVEL" },
} satisfies FlagDefs;

const RLIMITS: Record<string, number> = {
  cpu: 0, fsize: 1, data: 2, stack: 3, core: 4, rss: 5, nproc: 6, nofile: 7, memlock: 8, as: 9,
  locks: 10, sigpending: 11, msgqueue: 12, nice: 13, rtprio: 14, rttime: 15,
};

const RlimitValue = v.union([v.literal("unlimited"), v.pipe(v.string(), v.regex(/^\d+$/), v.transform(Number))]);

export function parseUlimit(value: string): Rlimit {
  const m = /^([a-z]+)=([^:]+)(?::(.+))?$/.exec(value);
  const type = m?.[1];
  if (!m || type === undefined || RLIMITS[type] === undefined) {
    throw new UsageError(`--ulimit: invalid value ${JSON.stringify(value)}: expected NAME=SOFT[:HARD] with NAME one of ${Object.keys(RLIMITS).join(", ")}`);
  }
  const soft = v.safeParse(RlimitValue, m[2]);
  const hard = v.safeParse(RlimitValue, m[3] ?? m[2]);
  if (!soft.success || !hard.success) throw new UsageError(`--ulimit: invalid value ${JSON.stringify(value)}: limits are numbers or "unlimited"`);
  const big = (x: number | "unlimited") => (x === "unlimited" ? Infinity : x);
  if (big(soft.output) > big(hard.output)) throw new UsageError(`--ulimit ${value}: soft limit is above the hard limit`);
  return { type, resource: RLIMITS[type]!, soft: soft.output, hard: hard.output };
}

const ENV_KEY = /^[^=\s]+$/;

/** Docker's rules: KEY=VALUE sets; a bare KEY copies ctr's own value, or is dropped if unset. */
export function parseEnvEntry(entry: string, where: string, hostEnv: Record<string, string | undefined>): string | null {
  const eq = entry.indexOf("=");
  const key = eq < 0 ? entry : entry.slice(0, eq);
  if (!ENV_KEY.test(key)) throw new UsageError(`${where}: invalid environment variable ${JSON.stringify(entry)}`);
  if (eq >= 0) return entry;
  const value = hostEnv[key];
  return value === undefined ? null : `${key}=${value}`;
}

export function readEnvFile(file: string, hostEnv: Record<string, string | undefined>): string[] {
  const text = readTextFile(file);
  if (text === null) throw new UsageError(`--env-file ${file}: cannot read the file`);
  return text.split("\n").flatMap((line, n) => {
    const trimmed = line.replace(/^\s+/, "");
    if (trimmed === "" || trimmed.startsWith("#")) return [];
    const entry = parseEnvEntry(trimmed.replace(/\r$/, ""), `--env-file ${file}:${n + 1}`, hostEnv);
    return entry === null ? [] : [entry];
  });
}

/** Later entries win, as with Docker; the result keeps first-seen order. */
export function mergeEnv(entries: string[]): string[] {
  const map = new Map<string, string>();
  for (const e of entries) map.set(e.slice(0, e.indexOf("=")), e);
  return [...map.values()];
}

export function parseSecurityOpts(values: string[]): { noNewPrivileges: boolean | null; seccomp: SeccompChoice | null } {
  let noNewPrivileges: boolean | null = null;
  let seccomp: SeccompChoice | null = null;
  for (const opt of values) {
    const nnp = /^no-new-privileges(?:[=:](true|false))?$/.exec(opt);
    const sc = /^seccomp[=:](.+)$/.exec(opt);
    if (nnp) noNewPrivileges = nnp[1] !== "false";
    else if (sc) seccomp = parseSeccompOption(sc[1]!);
    else throw new UsageError(`--security-opt: unsupported option ${JSON.stringify(opt)} (supported: no-new-privileges[=true|false], seccomp=unconfined|PROFILE.json)`);
  }
  return { noNewPrivileges, seccomp };
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

export function newContainerId(): string {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return Buffer.from(b).toString("hex");
}

export interface RunRequest {
  options: RunOptions;
  interactive: boolean;
}

/** What `ctr run IMAGE` takes from the image (the store part lives in src/image). */
export interface RunImage {
  name: string;
  config: ImageConfig["config"];
  /** The container's overlay root, for a container id. */
  rootfsFor(id: string): { rootfs: string; overlay: OverlayRootfs };
}

/** The image's process settings under the flags, as Docker merges them. */
export function imageProcess(
  config: ImageConfig["config"],
  flags: { entrypoint: string | undefined; args: string[] },
): string[] {
  // --entrypoint replaces the image's entrypoint and drops its Cmd; "" clears it.
  const entrypoint = flags.entrypoint !== undefined ? (flags.entrypoint === "" ? [] : [flags.entrypoint]) : config?.Entrypoint ?? [];
  const cmd = flags.args.length ? flags.args : flags.entrypoint !== undefined ? [] : config?.Cmd ?? [];
  return [...entrypoint, ...cmd];
}

export function buildRunRequest(
  cl: ParsedCommandLine,
  ctx: {
    hostEnv: Record<string, string | undefined>;
    nofileHard: number | "unlimited";
    consoleSize: RunOptions["consoleSize"];
    hostCpus: string;
    image?: RunImage;
  },
): RunRequest {
  const one = (k: keyof typeof RUN_FLAGS) => cl.strings[k]?.[0];
  const many = (k: keyof typeof RUN_FLAGS) => cl.strings[k] ?? [];
  const flag = (k: keyof typeof RUN_FLAGS) => cl.booleans[k] ?? false;

  const id = newContainerId();
  const image = ctx.image;
  let rootfs: string;
  let overlay: OverlayRootfs | null = null;
  let args: string[];
  if (image) {
    ({ rootfs, overlay } = image.rootfsFor(id));
    args = imageProcess(image.config, { entrypoint: one("entrypoint"), args: cl.rest.slice(1) });
    if (args.length === 0) throw new UsageError(`no command given, and the image ${image.name} names none: ctr run IMAGE CMD [ARG...]`);
  } else {
    const rootfsArg = one("rootfs");
    if (rootfsArg === undefined) throw new UsageError("no image given: ctr run [flags] IMAGE [CMD...], or --rootfs DIR CMD");
    rootfs = absolutePath(rootfsArg);
    const type = fileType(rootfs, true);
    if (type === null) throw new UsageError(`--rootfs ${rootfsArg}: no such directory`);
    if (type !== "dir") throw new UsageError(`--rootfs ${rootfsArg}: not a directory`);
    if (rootfs === "/") throw new UsageError("--rootfs /: refusing to use the host's root as a container root");
    const entrypoint = one("entrypoint");
    args = entrypoint ? [entrypoint, ...cl.rest] : cl.rest;
    if (args.length === 0) throw new UsageError("no command given: ctr run --rootfs DIR [flags] [--] CMD [ARG...]");
  }

  const hostname = one("hostname") ?? id.slice(0, 12);
  if (!HOSTNAME.test(hostname) || hostname.length > 64) throw new UsageError(`--hostname: invalid hostname ${JSON.stringify(hostname)}`);

  const network = one("network") ?? "none";
  if (network !== "none" && network !== "host") throw new UsageError(`--network: unsupported network ${JSON.stringify(network)} (supported: none, host)`);

  // An image's WorkingDir should be absolute; a relative one is taken from "/", as Docker does.
  const imageCwd = image?.config?.WorkingDir ? (image.config.WorkingDir.startsWith("/") ? image.config.WorkingDir : `/${image.config.WorkingDir}`) : "/";
  const cwd = one("workdir") ?? imageCwd;
  if (!cwd.startsWith("/")) throw new UsageError(`--workdir ${cwd}: must be an absolute path`);

  const tty = flag("tty");
  // Entries without "=" carry no value; an image may hold them, a process environment may not.
  const imageEnv = (image?.config?.Env ?? []).filter((e) => e.indexOf("=") > 0);
  const env = mergeEnv([
    ...(imageEnv.some((e) => e.startsWith("PATH=")) ? [] : [`PATH=${DEFAULT_PATH}`]),
    ...imageEnv,
    `HOSTNAME=${hostname}`,
    ...(tty ? ["TERM=xterm"] : []),
    ...many("env-file").flatMap((f) => readEnvFile(f, ctx.hostEnv)),
    ...many("env").flatMap((e) => parseEnvEntry(e, "-e", ctx.hostEnv) ?? []),
  ]);

  const ulimits = many("ulimit").map(parseUlimit);
  const resources = parseResources(
    {
      memory: one("memory"),
      memorySwap: one("memory-swap"),
      memoryReservation: one("memory-reservation"),
      oomKillDisable: flag("oom-kill-disable"),
      cpus: one("cpus"),
      cpuPeriod: one("cpu-period"),
      cpuQuota: one("cpu-quota"),
      cpuShares: one("cpu-shares"),
      cpusetCpus: one("cpuset-cpus"),
      cpusetMems: one("cpuset-mems"),
      pidsLimit: one("pids-limit"),
      blkioWeight: one("blkio-weight"),
      deviceReadBps: cl.strings["device-read-bps"],
      deviceWriteBps: cl.strings["device-write-bps"],
      deviceReadIops: cl.strings["device-read-iops"],
      deviceWriteIops: cl.strings["device-write-iops"],
    },
    {
      hostCpus: parseCpuList(ctx.hostCpus, "host").length,
      deviceNumber: (p, flag) => {
        const dev = deviceNumber(p);
        if (dev === null) throw new UsageError(`${flag}: ${p} is not a device on this host`);
        return dev;
      },
    },
  );
  const cgroupParent = normalizeParent(one("cgroup-parent") ?? "/ctr");
  const { noNewPrivileges, seccomp } = parseSecurityOpts(many("security-opt"));

  return {
    interactive: flag("interactive"),
    options: {
      id,
      rootfs,
      overlay,
      args,
      env,
      cwd,
      user: parseUserSpec(one("user") ?? (image?.config?.User || "0")),
      hostname,
      network,
      tty,
      consoleSize: tty ? ctx.consoleSize : null,
      init: flag("init"),
      readOnly: flag("read-only"),
      privileged: flag("privileged"),
      capAdd: many("cap-add"),
      capDrop: many("cap-drop"),
      noNewPrivileges,
      seccomp,
      ulimits,
      nofileHard: ctx.nofileHard,
      resources,
      cgroupParent,
    },
  };
}
