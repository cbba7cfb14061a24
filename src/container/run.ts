// `ctr run` in the foreground: plan → state directory → the monitor runs the program (cgroup,
// clone, stage, exec) → ctr forwards signals and waits → exit code. The monitor relays a -t
// console itself; ctr only puts the caller's terminal in raw mode and restores it.
import { SIGNALS } from "../../ffi/constants";
import { plannedMemoryLimit, removeCgroup, sweepStaleCgroups, type CgroupHost } from "../cgroups/index";
import { EXIT, ExitError } from "../errors";
import { isDebug, log } from "../log";
import { planContainer, type ContainerPlan, type RunOptions } from "../plan/container";
import { describeOp, failureMessage } from "../stage/describe";
import { spawnMonitor, type MonitorEvent, type MonitorProcess } from "../stage/monitor";
import type { MonitorFlag } from "../stage/opcodes";
import { LISTS, type Program } from "../stage/ops";
import { availableCapabilities, containerProgram } from "../stage/program";
import type { Sys } from "../sys/sys";
import { isTerminal, makeRaw } from "../terminal";
import { statePaths, writeConfig, type ContainerConfig } from "./state";
import { formatBytes } from "../units";

/** Signals a user sends to `ctr run` that belong to the container (as `docker run --sig-proxy`). */
export const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const;

export interface ForegroundRun {
  options: RunOptions;
  interactive: boolean;
  /** The state root and this container's directory in it (already made). */
  root: string;
  dir: string;
  image: ContainerConfig["image"];
  cgroups: CgroupHost;
}

/** The program of a foreground run, as --dry-run prints it and as it runs. */
export function foregroundProgram(sys: Sys, plan: ContainerPlan, run: Pick<ForegroundRun, "options" | "interactive" | "root" | "dir" | "cgroups">): Program {
  const flags: MonitorFlag[] = ["foreground"];
  if (run.options.tty) flags.push("tty");
  if (run.options.tty && run.interactive) flags.push("stdin");
  if (isDebug()) flags.push("debug");
  const paths = statePaths(run.dir);
  return containerProgram(plan, { available: availableCapabilities((c) => sys.capBoundingHas(c)), cgroups: run.cgroups }, {
    flags,
    pidfile: paths.pids,
    log: null,
    exitFile: paths.exit,
    // Only if ctr itself is gone when the container ends (killed): then the monitor's exit command
    // removes the container, as ctr would have.
    exitCommand: { args: [process.execPath, "--root", run.root, "container-exited", run.options.id], env: [] },
  });
}

export async function runContainer(sys: Sys, run: ForegroundRun): Promise<number> {
  const o = run.options;
  const plan = planContainer(o, run.cgroups);
  const step = (m: string) => log.debug(`[${performance.now().toFixed(2)}ms] ${m}`);
  const staleAge = Number(process.env.CTR_STALE_CGROUP_AGE ?? 10);
  for (const dir of sweepStaleCgroups(run.cgroups, o.cgroupParent, staleAge)) log.debug(`removed stale cgroup ${dir}`);
  const program = foregroundProgram(sys, plan, run);
  writeConfig(run.dir, {
    id: o.id,
    name: null,
    created: new Date().toISOString(),
    image: run.image,
    rootfs: o.rootfs,
    hostname: o.hostname,
    autoRemove: true,
    namespaces: plan.namespaces,
    cgroup: plan.cgroup,
    privileged: plan.privileged,
    process: plan.process,
  });
  step("plan, program and state written");

  const cleanups: (() => void)[] = [];
  let monitor: MonitorProcess | undefined;
  try {
    if (o.tty && isTerminal(0)) cleanups.push(makeRaw(0));
    monitor = await spawnMonitor(sys, program, { id: o.id, stdio: [run.interactive ? "inherit" : "ignore", "inherit", "inherit"] });
    const channel = monitor.channel;
    // Forwarding starts before the container can run anything: a signal to ctr is never left to
    // its default action while a container process exists.
    for (const name of FORWARDED_SIGNALS) {
      const forward = () => channel.send(`signal ${SIGNALS[name]}`);
      process.on(name, forward);
      cleanups.push(() => process.off(name, forward));
    }
    step("monitor spawned");
    const events = new EventLog(program, step);
    for (let e = channel.next(); e !== null; e = channel.next()) {
      events.add(e);
      if (e.type === "running" || e.type === "exited") break;
    }
    const code = await monitor.proc.exited;
    for (let e = channel.next(false); e !== null; e = channel.next(false)) events.add(e);
    step("container exited");
    if (monitor.proc.signalCode) {
      // The monitor was killed: its list 2 never ran.
      if (plan.cgroup) removeCgroup(plan.cgroup);
      throw new ExitError(`the container's monitor was killed (${monitor.proc.signalCode})`, EXIT.CTR_FAILED);
    }
    events.throwFailure();
    const exited = events.exited;
    if (exited && exited.oomKills > 0 && exited.signal === 9) {
      const limit = plan.cgroup ? plannedMemoryLimit(plan.cgroup) : null;
      log.error(`container killed: out of memory${limit === null ? "" : ` (limit ${formatBytes(limit)})`}`);
    }
    return exited?.exitCode ?? code;
  } finally {
    for (const c of cleanups.reverse()) c();
  }
}

/** What the monitor reported during a start: debug lines as they come, the first failure kept. */
export class EventLog {
  exited: Extract<MonitorEvent, { type: "exited" }> | null = null;
  started: Extract<MonitorEvent, { type: "started" }> | null = null;
  private failure: Extract<MonitorEvent, { type: "error" }> | null = null;
  private t0: number | null = null;

  constructor(
    private readonly program: Program,
    private readonly step: (m: string) => void,
  ) {}

  add(e: MonitorEvent): void {
    switch (e.type) {
      case "started":
        this.started = e;
        this.t0 = e.t0;
        this.step(`monitor pid ${e.monitorPid}, container pid ${e.containerPid}`);
        break;
      case "done": {
        // Times from the monitor's own start: what the native side costs, op by op.
        this.t0 ??= e.ns;
        const op = this.program[LISTS[e.list] ?? "setup"][e.index];
        this.step(`[${e.list === 0 ? "monitor" : "stage"} +${((e.ns - this.t0) / 1e6).toFixed(2)}ms] ${op ? describeOp(op) : `op ${e.index}`}`);
        break;
      }
      case "error":
        this.failure ??= e;
        break;
      case "running":
        this.step("the container's command was exec'd");
        break;
      case "exited":
        this.exited = e;
        break;
      case "teardown-error": {
        const op = this.program.teardown[e.index];
        log.error(`cleanup: ${op ? failureMessage(op, e.errno, 0, 0) : `op ${e.index}: errno ${e.errno}`}`);
        process.exitCode = EXIT.CTR_FAILED;
        break;
      }
    }
  }

  throwFailure(): void {
    const f = this.failure;
    if (!f) return;
    const op = this.program[LISTS[f.list] ?? "setup"][f.index];
    throw new ExitError(failureMessage(op, f.errno, f.exitCode, f.detail), f.exitCode);
  }
}
