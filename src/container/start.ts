// The one start path of a container, foreground or detached: plan → program → state written →
// the monitor spawned → its report read until the command runs (or a step fails, with the
// message made here from the op that failed).
import { sweepStaleCgroups, type CgroupHost } from "../cgroups/index";
import { ExitError } from "../errors";
import { isDebug, log } from "../log";
import { planContainer, type ContainerPlan, type RunOptions } from "../plan/container";
import { describeOp, failureMessage } from "../stage/describe";
import { spawnMonitor, type MonitorEvent, type MonitorProcess, type Stdio } from "../stage/monitor";
import type { MonitorFlag } from "../stage/opcodes";
import { LISTS, type Program } from "../stage/ops";
import { availableCapabilities, containerProgram } from "../stage/program";
import type { Sys } from "../sys/sys";
import { statePaths, writeConfig, type ContainerConfig } from "./state";

export interface StartRequest {
  options: RunOptions;
  interactive: boolean;
  /** The state root and this container's directory in it (already made). */
  root: string;
  dir: string;
  image: ContainerConfig["image"];
  cgroups: CgroupHost;
  name: string | null;
  autoRemove: boolean;
  /** Detached: the monitor writes the log, lives on its own, and runs the exit command itself. */
  detached: boolean;
  log: { maxBytes: number; maxFiles: number };
  /** The ctr executable the monitor's exit command runs (the running one, by default). */
  ctrPath?: string;
}

export const step = (m: string) => log.debug(`[${performance.now().toFixed(2)}ms] ${m}`);

/** The program of a start, as --dry-run prints it and as it runs. */
export function startProgram(sys: Sys, plan: ContainerPlan, req: StartRequest): Program {
  const o = req.options;
  const flags: MonitorFlag[] = req.detached ? ["pipes", "setsid"] : ["foreground"];
  if (o.tty) {
    flags.push("tty");
    if (!req.detached && req.interactive) flags.push("stdin");
  }
  if (isDebug()) flags.push("debug");
  const paths = statePaths(req.dir);
  return containerProgram(plan, { available: availableCapabilities((c) => sys.capBoundingHas(c)), cgroups: req.cgroups }, {
    flags,
    pidfile: paths.pids,
    log: req.detached ? { path: paths.log, ...req.log } : null,
    exitFile: paths.exit,
    // Detached: always, once the container has exited. Foreground: only if ctr is gone by then
    // (killed); otherwise ctr does what the command would.
    exitCommand: { args: [req.ctrPath ?? process.execPath, "--root", req.root, "container-exited", o.id], env: [] },
  });
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
 * Plans and starts a container and returns once its command runs, or once the start has failed
 * (then `events` holds the failure and the monitor is on its way out). `stdio` is the monitor's.
 */
export async function startContainer(sys: Sys, req: StartRequest, stdio: [Stdio, Stdio, Stdio], onSpawn: (m: MonitorProcess) => void = () => {}): Promise<Started> {
  const o = req.options;
  const plan = planContainer(o, req.cgroups);
  const staleAge = Number(process.env.CTR_STALE_CGROUP_AGE ?? 10);
  for (const dir of sweepStaleCgroups(req.cgroups, o.cgroupParent, staleAge)) log.debug(`removed stale cgroup ${dir}`);
  const program = startProgram(sys, plan, req);
  writeConfig(req.dir, {
    id: o.id,
    name: req.name,
    created: new Date().toISOString(),
    image: req.image,
    rootfs: o.rootfs,
    hostname: o.hostname,
    autoRemove: req.autoRemove,
    namespaces: plan.namespaces,
    cgroup: plan.cgroup,
    privileged: plan.privileged,
    process: plan.process,
  });
  step("plan, program and state written");
  // A signal that ends ctr before this is the start's end too: once the monitor exists it sees
  // ctr's end of fd 3 close and stops the container itself.
  const monitor = await spawnMonitor(sys, program, { id: o.id, stdio });
  onSpawn(monitor);
  step("monitor spawned");
  const events = new EventLog(program);
  for (let e = monitor.channel.next(); e !== null; e = monitor.channel.next()) {
    events.add(e);
    if (e.type === "running" || e.type === "exited") break;
  }
  return { plan, program, monitor, events };
}
