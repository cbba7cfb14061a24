// `ctr run` and `ctr create` flags, parsed and checked completely before anything is looked up,
// pulled or created: every error names the flag and the value.
import { deviceNumber, readTextFile } from "../../ffi/files";
import { normalizeParent, parseResources, type Resources } from "../cgroups/index";
import { parseCpuList } from "../cgroups/resources";
import * as v from "valibot";
import { UsageError } from "../errors";
import type { Rlimit, SeccompChoice, UserSpec } from "../plan/schema";
import { parseSeccompOption } from "../seccomp/index";
import { parseUserSpec } from "../user";
import { checkDuplicates, parseMountFlag, parseTmpfsFlag, parseVolumeFlag, type MountRequest } from "../volumes/spec";
import type { FlagDefs, ParsedCommandLine } from "./argv";
import { parseNetOptions, type NetOptions } from "../net/options";

export const RUN_FLAGS = {
  detach: { type: "boolean", alias: "d", description: "Run in the background and print the container's id" },
  name: { type: "string", description: "A name for the container (unique)", valueHint: "NAME" },
  rm: { type: "boolean", description: "Remove the container when it exits" },
  restart: { type: "string", description: "Restart policy: no, on-failure[:N], always, unless-stopped", valueHint: "POLICY" },
  label: { type: "string", alias: "l", multiple: true, description: "Set a label (KEY=VALUE)", valueHint: "KEY=VALUE" },
  "stop-signal": { type: "string", description: "Signal that stops the container (default: the image's, else SIGTERM)", valueHint: "SIGNAL" },
  "stop-timeout": { type: "string", description: "Seconds `ctr stop` waits before SIGKILL (default 10)", valueHint: "SECONDS" },
  "log-opt": { type: "string", multiple: true, description: "Log options: max-size=SIZE, max-file=N", valueHint: "OPT" },
  volume: { type: "string", alias: "v", multiple: true, description: "Bind a host path or a volume: [SRC:]DEST[:ro]", valueHint: "[SRC:]DEST[:ro]" },
  mount: { type: "string", multiple: true, description: "A mount: type=bind|volume|tmpfs,source=,target=[,readonly]", valueHint: "SPEC" },
  tmpfs: { type: "string", multiple: true, description: "A tmpfs at DEST: DEST[:size=64m,mode=1777]", valueHint: "DEST[:OPTS]" },
  "volumes-from": { type: "string", multiple: true, description: "Mount the volumes of another container", valueHint: "CONTAINER" },
  rootfs: { type: "string", description: "Run in this root filesystem directory instead of an image (then every argument is the command)", valueHint: "DIR" },
  entrypoint: { type: "string", description: "Override the image's entrypoint (\"\" clears it)", valueHint: "CMD" },
  pull: { type: "string", description: "Pull the image: missing (the default), always or never", valueHint: "POLICY" },
  platform: { type: "string", description: "Platform of the image to pull (default: the host's)", valueHint: "OS/ARCH" },
  root: { type: "string", description: "State root (default $CTR_ROOT or /var/lib/ctr)", valueHint: "DIR" },
  hostname: { type: "string", alias: "h", description: "Container hostname (default: the short container id)", valueHint: "NAME" },
  env: { type: "string", alias: "e", multiple: true, description: "Set an environment variable (KEY=VALUE, or KEY to copy it from ctr's)", valueHint: "KEY=VALUE" },
  "env-file": { type: "string", multiple: true, description: "Read environment variables from a file", valueHint: "FILE" },
  workdir: { type: "string", alias: "w", description: "Working directory inside the container (default /)", valueHint: "DIR" },
  user: { type: "string", alias: "u", description: "User to run as: UID[:GID] or NAME[:GROUP]", valueHint: "USER[:GROUP]" },
  network: { type: "string", description: "Network: bridge (the default), a network's NAME, none (loopback only), host, container:ID", valueHint: "NETWORK" },
  net: { type: "string", description: "The same as --network", valueHint: "NETWORK" },
  publish: { type: "string", alias: "p", multiple: true, description: "Publish a port: [IP:][HOST_PORT:]CONTAINER_PORT[/tcp|udp|sctp]", valueHint: "SPEC" },
  "publish-all": { type: "boolean", alias: "P", description: "Publish the image's exposed ports to free host ports" },
  ip: { type: "string", description: "IPv4 address on a user-defined network", valueHint: "IP" },
  ip6: { type: "string", description: "IPv6 address on a user-defined network", valueHint: "IP" },
  "mac-address": { type: "string", description: "MAC address of the container's interface", valueHint: "MAC" },
  "network-alias": { type: "string", multiple: true, description: "Another name for the container on its network", valueHint: "NAME" },
  dns: { type: "string", multiple: true, description: "A DNS server for the container", valueHint: "IP" },
  "dns-search": { type: "string", multiple: true, description: "A DNS search domain", valueHint: "DOMAIN" },
  "dns-option": { type: "string", multiple: true, description: "A resolver option (resolv.conf's options)", valueHint: "OPTION" },
  "add-host": { type: "string", multiple: true, description: "Add a line to /etc/hosts", valueHint: "HOST:IP" },
  tty: { type: "boolean", alias: "t", description: "Allocate a pseudo-terminal" },
  interactive: { type: "boolean", alias: "i", description: "Keep stdin open" },
  init: { type: "boolean", description: "Run a minimal init as PID 1 that reaps zombies and forwards signals" },
  "read-only": { type: "boolean", description: "Mount the root filesystem read-only" },
  privileged: { type: "boolean", description: "Give all capabilities, no masked paths, writable /sys, no seccomp" },
  "cap-add": { type: "string", multiple: true, description: "Add a capability (or ALL)", valueHint: "CAP" },
  "cap-drop": { type: "string", multiple: true, description: "Drop a capability (or ALL)", valueHint: "CAP" },
  "security-opt": { type: "string", multiple: true, description: "Security options: no-new-privileges[=true|false], seccomp=unconfined|PROFILE.json", valueHint: "OPT" },
  ulimit: { type: "string", multiple: true, description: "Set a resource limit: NAME=SOFT[:HARD]", valueHint: "NAME=SOFT[:HARD]" },
  memory: { type: "string", alias: "m", description: "Memory limit (b, k, m, g; 0 for none)", valueHint: "BYTES" },
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
  "dry-run": { type: "boolean", description: "Print the plan (every op of the start, in order) and do nothing" },
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

export type RestartPolicy = { name: "no" | "on-failure" | "always" | "unless-stopped"; maximumRetryCount: number };

export function parseRestart(value: string | undefined): RestartPolicy {
  if (value === undefined || value === "no") return { name: "no", maximumRetryCount: 0 };
  const m = /^(on-failure)(?::(\d+))?$|^(always|unless-stopped)$/.exec(value);
  if (!m) throw new UsageError(`--restart: invalid policy ${JSON.stringify(value)} (no, on-failure[:N], always, unless-stopped)`);
  if (m[3]) return { name: m[3] as RestartPolicy["name"], maximumRetryCount: 0 };
  return { name: "on-failure", maximumRetryCount: m[2] ? Number(m[2]) : 0 };
}

import { parseSignal } from "../signals";

export { parseSignal };


/** `10m` → bytes, for --log-opt max-size. */
function parseSize(value: string, what: string): number {
  const m = /^(\d+)([kmg]?)b?$/i.exec(value.trim());
  if (!m) throw new UsageError(`${what}: invalid size ${JSON.stringify(value)} (a number with k, m or g)`);
  return Number(m[1]) * ({ "": 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 } as Record<string, number>)[m[2]!.toLowerCase()]!;
}

export function parseLogOpts(values: string[]): { maxBytes: number; maxFiles: number } {
  let maxBytes = 0;
  let maxFiles = 1;
  for (const o of values) {
    const [k, val] = [o.slice(0, o.indexOf("=")), o.slice(o.indexOf("=") + 1)];
    if (k === "max-size") maxBytes = parseSize(val, "--log-opt max-size");
    else if (k === "max-file") {
      if (!/^[1-9]\d*$/.test(val)) throw new UsageError(`--log-opt max-file: expected a number from 1 on, got ${JSON.stringify(val)}`);
      maxFiles = Number(val);
    } else throw new UsageError(`--log-opt: unsupported option ${JSON.stringify(o)} (max-size=SIZE, max-file=N)`);
  }
  if (maxFiles > 1 && maxBytes === 0) throw new UsageError("--log-opt max-file needs max-size");
  return { maxBytes, maxFiles };
}

export function parseLabels(values: string[], flag = "--label"): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of values) {
    const eq = l.indexOf("=");
    const key = eq < 0 ? l : l.slice(0, eq);
    if (!key) throw new UsageError(`${flag}: invalid label ${JSON.stringify(l)}`);
    out[key] = eq < 0 ? "" : l.slice(eq + 1);
  }
  return out;
}

const HOSTNAME = /^[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/;

/** Every flag of run/create, checked: nothing here depends on the image. */
export interface RunFlags {
  detach: boolean;
  name: string | null;
  autoRemove: boolean;
  restart: RestartPolicy;
  labels: Record<string, string>;
  stopSignal: number | null;
  stopTimeout: number | null;
  log: { maxBytes: number; maxFiles: number };
  mounts: MountRequest[];
  volumesFrom: string[];
  hostname: string | null;
  network: NetOptions;
  workdir: string | null;
  user: UserSpec | null;
  /** -e and --env-file entries, in order. */
  env: string[];
  entrypoint: string | undefined;
  tty: boolean;
  interactive: boolean;
  init: boolean;
  readOnly: boolean;
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  noNewPrivileges: boolean | null;
  seccomp: SeccompChoice | null;
  ulimits: Rlimit[];
  resources: Resources;
  cgroupParent: string;
}

export function parseRunFlags(cl: ParsedCommandLine, ctx: { hostEnv: Record<string, string | undefined>; hostCpus: string }): RunFlags {
  const one = (k: keyof typeof RUN_FLAGS) => cl.strings[k]?.[0];
  const many = (k: keyof typeof RUN_FLAGS) => cl.strings[k] ?? [];
  const flag = (k: keyof typeof RUN_FLAGS) => cl.booleans[k] ?? false;

  const hostname = one("hostname") ?? null;
  if (hostname !== null && (!HOSTNAME.test(hostname) || hostname.length > 64)) throw new UsageError(`--hostname: invalid hostname ${JSON.stringify(hostname)}`);
  const network = parseNetOptions({
    network: one("network") ?? one("net"),
    ip: one("ip"),
    ip6: one("ip6"),
    mac: one("mac-address"),
    aliases: many("network-alias"),
    dns: many("dns"),
    dnsSearch: many("dns-search"),
    dnsOptions: many("dns-option"),
    addHosts: many("add-host"),
    publish: many("publish"),
    publishAll: flag("publish-all"),
  });
  const workdir = one("workdir") ?? null;
  if (workdir !== null && !workdir.startsWith("/")) throw new UsageError(`--workdir ${workdir}: must be an absolute path`);
  const name = one("name") ?? null;
  if (name !== null && !/^\/?[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw new UsageError(`--name: invalid container name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
  const restart = parseRestart(one("restart"));
  if (flag("rm") && restart.name !== "no") throw new UsageError("--rm and --restart cannot be used together");
  const stopTimeout = one("stop-timeout");
  if (stopTimeout !== undefined && !/^-?\d+$/.test(stopTimeout)) throw new UsageError(`--stop-timeout: expected seconds, got ${JSON.stringify(stopTimeout)}`);
  const stopSignal = one("stop-signal");
  const mounts = [...many("volume").map(parseVolumeFlag), ...many("mount").map(parseMountFlag), ...many("tmpfs").map(parseTmpfsFlag)];
  checkDuplicates(mounts);
  const { noNewPrivileges, seccomp } = parseSecurityOpts(many("security-opt"));
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
      deviceNumber: (p, f) => {
        const dev = deviceNumber(p);
        if (dev === null) throw new UsageError(`${f}: ${p} is not a device on this host`);
        return dev;
      },
    },
  );
  return {
    detach: flag("detach"),
    name: name?.replace(/^\//, "") ?? null,
    autoRemove: flag("rm"),
    restart,
    labels: parseLabels(many("label")),
    stopSignal: stopSignal === undefined ? null : parseSignal(stopSignal, "--stop-signal"),
    stopTimeout: stopTimeout === undefined ? null : Number(stopTimeout),
    log: parseLogOpts(many("log-opt")),
    mounts,
    volumesFrom: many("volumes-from"),
    hostname,
    network,
    workdir,
    user: one("user") === undefined ? null : parseUserSpec(one("user")!),
    env: [...many("env-file").flatMap((f) => readEnvFile(f, ctx.hostEnv)), ...many("env").flatMap((e) => parseEnvEntry(e, "-e", ctx.hostEnv) ?? [])],
    entrypoint: one("entrypoint"),
    tty: flag("tty"),
    interactive: flag("interactive"),
    init: flag("init"),
    readOnly: flag("read-only"),
    privileged: flag("privileged"),
    capAdd: many("cap-add"),
    capDrop: many("cap-drop"),
    noNewPrivileges,
    seccomp,
    ulimits: many("ulimit").map(parseUlimit),
    resources,
    cgroupParent: normalizeParent(one("cgroup-parent") ?? "/ctr"),
  };
}
