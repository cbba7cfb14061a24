// A container's state directory, <root>/containers/<id>/: the one source of truth about it.
//
//   config.json   what ctr decided at create (name, image, command, the plan: namespaces, cgroup,
//                 process); written once, atomically (a temp file renamed into place)
//   monitor.pid   "<monitor pid> <its start time> <PID 1> <its start time>", by the monitor
//   exit.json     {exitCode, signal, oomKilled, finishedAt}, by the monitor, once, atomically
//   upper/ work/ merged/ init/   an image's container layers (image/container-layers.ts)
//
// Start times (from /proc/<pid>/stat) tell a live process from a reused pid.
import * as v from "valibot";
import * as files from "../files";
import { C } from "../../ffi/libc";
import { SYS } from "../../ffi/constants";
import { closeFd } from "../../ffi/at";
import { readTextFile } from "../../ffi/files";
import type { CgroupPlan } from "../cgroups/schema";
import { NAMESPACE_TYPES, type NamespacePlan } from "../namespaces";
import type { ProcessPlan } from "../plan/schema";
import type { RunOptions } from "../plan/container";
import type { RestartPolicy } from "../cli/run-flags";
import type { MountSpec } from "../volumes/spec";

export const DEFAULT_ROOT = "/var/lib/ctr";

/** --root, else CTR_ROOT, else /var/lib/ctr; relative paths from the working directory. */
export function stateRoot(flag: string | undefined, env: Record<string, string | undefined> = process.env): string {
  const root = flag ?? env.CTR_ROOT ?? DEFAULT_ROOT;
  if (!root.startsWith("/")) return `${process.cwd()}/${root}`.replace(/\/+$/, "");
  return root.replace(/\/+$/, "") || "/";
}

/** What ctr decided at create, as stored (the schema is built only when a config is read back). */
export interface ContainerConfig {
  id: string;
  name: string | null;
  created: string;
  image: { id: string; name: string } | null;
  rootfs: string;
  hostname: string;
  /** Removed when it exits (--rm). */
  autoRemove: boolean;
  restart: RestartPolicy;
  labels: Record<string, string>;
  stopSignal: number;
  /** Seconds `stop` waits before SIGKILL. */
  stopTimeout: number;
  log: { maxBytes: number; maxFiles: number };
  tty: boolean;
  interactive: boolean;
  mounts: MountSpec[];
  /** Everything to plan the container again (a restart, `start` after it exited). */
  run: RunOptions;
  namespaces: NamespacePlan[];
  cgroup: CgroupPlan | null;
  privileged: boolean;
  process: ProcessPlan;
}

export interface ExitRecord {
  exitCode: number;
  signal: number;
  oomKilled: boolean;
  finishedAt: string;
}

let schemas: ReturnType<typeof buildSchemas> | null = null;
function buildSchemas() {
  const { CgroupPlanSchema } = require("../cgroups/schema") as typeof import("../cgroups/schema");
  const { ProcessPlanSchema } = require("../plan/schema") as typeof import("../plan/schema");
  const mount = v.variant("type", [
    v.object({ type: v.literal("bind"), source: v.string(), destination: v.string(), readOnly: v.boolean() }),
    v.object({ type: v.literal("volume"), name: v.string(), source: v.string(), destination: v.string(), readOnly: v.boolean(), anonymous: v.boolean(), populate: v.boolean() }),
    v.object({ type: v.literal("tmpfs"), destination: v.string(), options: v.string() }),
  ]);
  const config = v.object({
    id: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
    name: v.nullable(v.string()),
    created: v.string(),
    image: v.nullable(v.object({ id: v.string(), name: v.string() })),
    rootfs: v.string(),
    hostname: v.string(),
    autoRemove: v.boolean(),
    restart: v.object({ name: v.picklist(["no", "on-failure", "always", "unless-stopped"]), maximumRetryCount: v.number() }),
    labels: v.record(v.string(), v.string()),
    stopSignal: v.number(),
    stopTimeout: v.number(),
    log: v.object({ maxBytes: v.number(), maxFiles: v.number() }),
    tty: v.boolean(),
    interactive: v.boolean(),
    mounts: v.array(mount),
    // The run options are ctr's own output, read back whole; their parts that matter are checked.
    run: v.looseObject({ id: v.string(), rootfs: v.string(), args: v.array(v.string()), env: v.array(v.string()), mounts: v.array(mount) }),
    namespaces: v.array(v.object({ type: v.picklist(NAMESPACE_TYPES), mode: v.picklist(["new", "host"]) })),
    cgroup: v.nullable(CgroupPlanSchema),
    privileged: v.boolean(),
    process: ProcessPlanSchema,
  });
  return { config };
}
const stateSchemas = () => (schemas ??= buildSchemas());

let light: ReturnType<typeof buildLightSchemas> | null = null;
function buildLightSchemas() {
  const exit = v.object({ exitCode: v.number(), signal: v.number(), oomKilled: v.boolean(), finishedAt: v.string() });
  // What a listing reads (ps, inspect, the reconciliation): the fields it shows or acts on; the
  // rest is checked in full by whatever starts, execs into or copies from the container.
  const summary = v.looseObject({
    id: v.pipe(v.string(), v.regex(/^[0-9a-f]{64}$/)),
    name: v.nullable(v.string()),
    created: v.string(),
    image: v.nullable(v.object({ id: v.string(), name: v.string() })),
    autoRemove: v.boolean(),
    restart: v.looseObject({ name: v.string(), maximumRetryCount: v.number() }),
    labels: v.record(v.string(), v.string()),
    mounts: v.array(v.looseObject({ type: v.string(), destination: v.string() })),
    cgroup: v.nullable(v.looseObject({ version: v.picklist(["v1", "v2"]), own: v.array(v.string()) })),
    process: v.looseObject({ args: v.array(v.string()) }),
  });
  return { exit, summary };
}
const lightSchemas = () => (light ??= buildLightSchemas());

export interface ProcessRef {
  pid: number;
  start: number;
}

export const containersDir = (root: string) => `${root}/containers`;
export const containerDir = (root: string, id: string) => `${root}/containers/${id}`;

/** The paths of a container's state files. */
export function statePaths(dir: string) {
  return { config: `${dir}/config.json`, pids: `${dir}/monitor.pid`, exit: `${dir}/exit.json`, log: `${dir}/ctr.log` };
}

/**
 * Makes <root>/containers/<id> (the state root too, mode 0700, if this is its first use), holding
 * from its first moment the `creator` record (this process): made under a temporary name and
 * renamed, so no reconciliation ever sees a container directory without it.
 */
export function createContainerDir(root: string, id: string): string {
  const parent = containersDir(root);
  if (!files.isDirectory(parent)) files.mkdirp(parent, 0o700);
  const dir = containerDir(root, id);
  const tmp = `${parent}/.new-${id}`;
  files.mkdir(tmp, 0o700);
  files.writeFile(`${tmp}/creator`, selfRef());
  files.rename(tmp, dir);
  return dir;
}

/** Written to a temp name and renamed: a reader sees the whole file or none. */
export function writeAtomically(path: string, text: string): void {
  const tmp = `${path}.tmp`;
  files.writeFile(tmp, text, 0o600);
  files.rename(tmp, path);
}

export function writeConfig(dir: string, config: ContainerConfig): void {
  writeAtomically(statePaths(dir).config, JSON.stringify(config));
}

/** `full`: every field checked (to start, exec, copy); otherwise what a listing reads. */
export function readConfig(dir: string, full = true): ContainerConfig | null {
  const text = readTextFile(statePaths(dir).config);
  if (text === null) return null;
  const config = full ? stateSchemas().config : lightSchemas().summary;
  try {
    const r = v.safeParse(config, JSON.parse(text));
    return r.success ? (r.output as unknown as ContainerConfig) : null;
  } catch {
    return null;
  }
}

export function readPids(dir: string): { monitor: ProcessRef; init: ProcessRef } | null {
  const text = readTextFile(statePaths(dir).pids);
  const n = text?.trim().split(" ").map(Number);
  if (!n || n.length !== 4 || n.some((x) => !Number.isInteger(x))) return null;
  return { monitor: { pid: n[0]!, start: n[1]! }, init: { pid: n[2]!, start: n[3]! } };
}

export function readExit(dir: string): ExitRecord | null {
  const text = readTextFile(statePaths(dir).exit);
  if (text === null) return null;
  const { exit } = lightSchemas();
  try {
    const r = v.safeParse(exit, JSON.parse(text));
    return r.success ? r.output : null;
  } catch {
    return null;
  }
}

/** A process's start time from /proc (field 22), to tell a live pid from a reused one. */
export function processStartTime(pid: number): number | null {
  const stat = readTextFile(`/proc/${pid}/stat`);
  // After "(comm)", field 3 is the first: starttime (22) is the 20th.
  return stat === null ? null : Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[19]);
}

export function isAlive(p: ProcessRef): boolean {
  return processStartTime(p.pid) === p.start;
}

/** This process as a "pid start" line: who holds a marker (creator, restarting, the DNS pid file). */
export function selfRef(): string {
  return `${process.pid} ${processStartTime(process.pid) ?? 0}\n`;
}

/** A "pid start" line read back, or null. */
export function readProcessRef(path: string): ProcessRef | null {
  const n = readTextFile(path)?.trim().split(" ").map(Number);
  return n && n.length === 2 && n.every(Number.isInteger) ? { pid: n[0]!, start: n[1]! } : null;
}

/**
 * A pidfd of exactly that process: opened first, then its start time checked, so a pid reused
 * since it was recorded is never signalled or joined. null if it is gone.
 */
export function openProcess(p: ProcessRef): number | null {
  const fd = Number(C.syscall(SYS.pidfd_open, p.pid, 0, 0, 0));
  if (fd < 0) return null;
  if (processStartTime(p.pid) === p.start) return fd;
  closeFd(fd);
  return null;
}
