// The one start path of a container, foreground or detached: plan → program → state written →
// the monitor spawned → its report read until the command runs (or a step fails, with the
// message made here from the op that failed).
import { sweepStaleCgroups, type CgroupHost } from "../cgroups/index";
import { ExitError } from "../errors";
import { isDebug, log } from "../log";
import { planContainer, type ContainerPlan, type RunOptions } from "../plan/container";
import type { OverlayRootfs } from "../plan/rootfs";
import { describeOp, failureMessage } from "../stage/describe";
import { spawnMonitor, type MonitorEvent, type MonitorProcess, type Stdio } from "../stage/monitor";
import type { MonitorFlag } from "../stage/opcodes";
import { LISTS, type Program } from "../stage/ops";
import { availableCapabilities, containerProgram } from "../stage/program";
import type { Sys } from "../sys/sys";
import { statePaths, type ContainerConfig } from "./state";
import { ContainerStore, extraPaths, writeCreator } from "./store";
import { etcFiles } from "../net/etc-files";
import type { NetSetup } from "../net/attach";
import type { NetOps } from "../stage/program";
import { readTextFile } from "../../ffi/files";
import * as files from "../files";
import { makeFifo } from "../../ffi/files";

/** A start of a container whose config is written (a first start, a restart, `start` again). */
export interface LaunchRequest {
  config: ContainerConfig;
  /** The state root and this container's directory in it. */
  root: string;
  dir: string;
  cgroups: CgroupHost;
  /** Detached: the monitor writes the log, lives on its own, and runs the exit command itself. */
  detached: boolean;
  /** Foreground only: stdin goes to the container (to its pty with -t). */
  interactive: boolean;
  /** `ctr create`: the command waits, set up, for `ctr start`. */
  waitForStart: boolean;
  /** The ctr executable the monitor's exit command runs (the running one, by default). */
  ctrPath?: string;
}

export const step = (m: string) => log.debug(`[${performance.now().toFixed(2)}ms] ${m}`);

/** The program of a start, as --dry-run prints it and as it runs. */
export function startProgram(sys: Sys, plan: ContainerPlan, req: LaunchRequest, net: NetOps | null = null): Program {
  const c = req.config;
  // A foreground --rm run hands ctr's own stdio to the container: no relay, no log to keep.
  const direct = !req.detached && c.autoRemove;
  const flags: MonitorFlag[] = req.detached ? ["setsid"] : ["foreground"];
  if (c.tty) flags.push("tty");
  else if (!direct) flags.push("pipes");
  // Foreground: ctr's stdin is relayed to the pty. Detached: a stdin kept open for `ctr attach`.
  if (req.detached ? c.interactive : c.tty && req.interactive) flags.push("stdin");
  if (isDebug()) flags.push("debug");
  const paths = statePaths(req.dir);
  return containerProgram(
    plan,
    { available: availableCapabilities((cap) => sys.capBoundingHas(cap)), cgroups: req.cgroups },
    {
      flags,
      pidfile: paths.pids,
      log: direct ? null : { path: paths.log, ...c.log },
      attachDir: req.detached ? req.dir : null,
      exitFile: paths.exit,
      // Detached: always, once the container has exited. Foreground: only if ctr is gone by then
      // (killed); otherwise ctr does what the command would.
      exitCommand: { args: [req.ctrPath ?? process.execPath, "--root", req.root, "container-exited", c.id], env: [] },
    },
    req.waitForStart ? extraPaths(req.dir).fifo : null,
    net,
  );
}

const ETC_FILES = ["hosts", "resolv.conf", "hostname"] as const;

/**
 * The network part of a start: bridge mode sets up the host's side and plans the veth (net.ts);
 * container mode joins another's namespace; every mode gets its /etc/hosts, resolv.conf and
 * hostname bound from the state directory (unless the user mounts their own there).
 */
export function networkForStart(req: LaunchRequest): { run: RunOptions; net: NetOps | null } {
  const c = req.config;
  let run = c.run;
  let net: NetSetup | null = null;
  let etc: NetSetup["etc"];
  if (run.network === "bridge") {
    // Loaded only for a bridge: netlink, nftables and the network store stay off other starts.
    const { prepareNetwork } = require("../net/attach") as typeof import("../net/attach");
    net = prepareNetwork({ root: req.root, dir: req.dir, id: c.id, name: c.name, hostname: c.hostname, net: run.net });
    etc = net.etc;
  } else if (run.network === "container") {
    const store = new ContainerStore(req.root);
    const target = store.info(store.resolve(run.net.container!), false);
    if (!target?.pids || (target.status !== "running" && target.status !== "paused")) throw new ExitError(`--network container:${run.net.container}: the container is not running`, 125);
    run = { ...run, netJoin: `/proc/${target.pids.init.pid}/ns/net` };
    // Its names and resolvers are the other container's.
    const read = (f: string) => readTextFile(`${target.dir}/${f}`);
    etc = { hosts: read("hosts") ?? "", resolvConf: read("resolv.conf") ?? "", hostname: `${c.hostname}\n` };
  } else etc = etcFiles({ hostname: c.hostname, name: c.name, net: run.net }, null, null);
  const mounts = ETC_FILES.filter((f) => !run.mounts.some((m) => m.destination === `/etc/${f}`)).map((f) => {
    files.writeFile(`${req.dir}/${f}`, f === "hosts" ? etc.hosts : f === "resolv.conf" ? etc.resolvConf : etc.hostname);
    return { type: "bind" as const, source: `${req.dir}/${f}`, destination: `/etc/${f}`, readOnly: false };
  });
  return { run: { ...run, mounts: [...run.mounts, ...mounts] }, net: net && { setup: net.setup, child: net.child } };
}

/** What the monitor reported during a start: debug lines as they come, the first failure kept. */
export class EventLog {
  exited: Extract<MonitorEvent, { type: "exited" }> | null = null;
  started: Extract<MonitorEvent, { type: "started" }> | null = null;
  running = false;
  private failure: Extract<MonitorEvent, { type: "error" }> | null = null;
  private t0: number | null = null;

  constructor(private readonly program: Program) {}

  add(e: MonitorEvent): void {
    switch (e.type) {
      case "started":
        this.started = e;
        this.t0 = e.t0;
        step(`monitor pid ${e.monitorPid}, container pid ${e.containerPid}`);
        break;
      case "done": {
        // Times from the monitor's own start: what the native side costs, op by op.
        this.t0 ??= e.ns;
        const op = this.program[LISTS[e.list] ?? "setup"][e.index];
        step(`[${e.list === 0 ? "monitor" : "stage"} +${((e.ns - this.t0) / 1e6).toFixed(2)}ms] ${op ? describeOp(op) : `op ${e.index}`}`);
        break;
      }
      case "error":
        this.failure ??= e;
        break;
      case "running":
        this.running = true;
        step("the container's command was exec'd");
        break;
      case "ready":
        break;
      case "exited":
        this.exited = e;
        break;
      case "teardown-error": {
        const op = this.program.teardown[e.index];
        log.error(`cleanup: ${op ? failureMessage(op, e.errno, 0, 0) : `op ${e.index}: errno ${e.errno}`}`);
        process.exitCode = 125;
        break;
      }
    }
  }

  /** The first failure, as the user reads it (`mount proc on /proc (...): EPERM (...)`). */
  failureError(): ExitError | null {
    const f = this.failure;
    if (!f) return null;
    const op = this.program[LISTS[f.list] ?? "setup"][f.index];
    return new ExitError(failureMessage(op, f.errno, f.exitCode, f.detail), f.exitCode);
  }
}

export interface Started {
  plan: ContainerPlan;
  program: Program;
  monitor: MonitorProcess;
  events: EventLog;
}

/**
 * Plans and starts a container and returns once its command runs (or, for create, waits for
 * `start`), or once the start has failed (then `events` holds the failure and the monitor is on
 * its way out). `stdio` is the monitor's.
 */
export async function launch(sys: Sys, req: LaunchRequest, stdio: [Stdio, Stdio, Stdio], onSpawn: (m: MonitorProcess) => void = () => {}): Promise<Started> {
  const c = req.config;
  // This process is the one starting it (a reconciliation meanwhile leaves it alone), and a start
  // begins clean: the last run's records go (a restart, `start` of an exited container).
  writeCreator(req.dir);
  const paths = statePaths(req.dir);
  for (const f of [paths.exit, paths.pids]) files.unlink(f);
  const { run, net } = networkForStart(req);
  const plan = planContainer(run, req.cgroups);
  const staleAge = Number(process.env.CTR_STALE_CGROUP_AGE ?? 10);
  // Containers of this state root are the reconciliation's; only unknown ones are looked at here.
  const known = new Set(files.readdir(`${req.root}/containers`));
  for (const dir of sweepStaleCgroups(req.cgroups, c.run.cgroupParent, staleAge, (id) => known.has(id))) log.debug(`removed stale cgroup ${dir}`);
  const program = startProgram(sys, plan, req, net);
  if (req.waitForStart) makeFifo(extraPaths(req.dir).fifo);
  if (c.run.overlay) clearVolatileMark(c.run.overlay);
  files.writeFile(extraPaths(req.dir).started, new Date().toISOString());
  step("plan and program made");
  // A signal that ends ctr before this is the start's end too: once the monitor exists it sees
  // ctr's end of fd 3 close and stops the container itself.
  const monitor = await spawnMonitor(sys, program, { id: c.id, stdio });
  onSpawn(monitor);
  step("monitor spawned");
  const events = new EventLog(program);
  for (let e = monitor.channel.next(); e !== null; e = monitor.channel.next()) {
    events.add(e);
    if (e.type === "running" || e.type === "exited" || (e.type === "ready" && req.waitForStart)) break;
  }
  return { plan, program, monitor, events };
}

/**
 * A `volatile` overlay leaves work/incompat/volatile behind, and the kernel refuses to mount that
 * upper dir again while it is there (it cannot know the last mount ended cleanly). ctr does know:
 * the container's mount is gone, so the mark goes (as containers/storage does).
 */
export function clearVolatileMark(ov: OverlayRootfs): void {
  const work = ov.workdir.startsWith("/") ? ov.workdir : `${ov.storeRoot}/${ov.workdir}`;
  files.removeTree(`${work}/work/incompat`);
}

/** The container's config as first written: what the plan and the flags decided. */
export function containerConfig(o: RunOptions, cgroups: CgroupHost, c: Omit<ContainerConfig, "id" | "created" | "rootfs" | "hostname" | "mounts" | "run" | "namespaces" | "cgroup" | "privileged" | "process">): ContainerConfig {
  const plan = planContainer(o, cgroups);
  return {
    ...c,
    id: o.id,
    created: new Date().toISOString(),
    rootfs: o.rootfs,
    hostname: o.hostname,
    mounts: o.mounts,
    run: o,
    namespaces: plan.namespaces,
    cgroup: plan.cgroup,
    privileged: plan.privileged,
    process: plan.process,
  };
}
