// `ctr exec`: a process started into a running container by a monitor of its own (foreground:
// ctr waits and relays signals; -d: it runs on alone). The monitor joins the container's PID
// namespace for its child, which is born in (or put into) the container's cgroup, joins its other
// namespaces at once through a pidfd of its PID 1, and takes a container process's credentials.
import { closeFd } from "../../ffi/at";
import { ExitError } from "../errors";
import { execProgram, availableCapabilities } from "../stage/program";
import { MONITOR_EXTRA_FD, spawnMonitor, type Stdio } from "../stage/monitor";
import type { MonitorFlag } from "../stage/opcodes";
import type { Program } from "../stage/ops";
import type { ProcessPlan } from "../plan/schema";
import type { Sys } from "../sys/sys";
import { isDebug } from "../log";
import { isTerminal, makeRaw } from "../terminal";
import { openProcess } from "./state";
import type { ContainerInfo } from "./store";
import { EventLog } from "./start";
import { forwardSignalsTo } from "./run";


export interface ExecMode {
  detach: boolean;
  /** stdin goes to the process (to its pty with -t). */
  interactive: boolean;
  privileged: boolean;
}

export function execProgramFor(sys: Sys, info: ContainerInfo, process: ProcessPlan, mode: ExecMode): Program {
  const flags: MonitorFlag[] = mode.detach ? ["setsid"] : ["foreground"];
  if (process.terminal) {
    flags.push("tty");
    if (mode.interactive && !mode.detach) flags.push("stdin");
  }
  if (isDebug()) flags.push("debug");
  return execProgram(
    {
      pidfd: MONITOR_EXTRA_FD,
      namespaces: info.config.namespaces.filter((n) => n.mode === "new").map((n) => n.type),
      cgroup: info.config.cgroup,
    },
    process,
    { available: availableCapabilities((cap) => sys.capBoundingHas(cap)), privileged: mode.privileged || info.config.privileged },
    { flags, pidfile: null, log: null, exitFile: null, exitCommand: null },
  );
}

/** A pidfd of the container's PID 1, checked to be that process (not a reused pid). */
function containerPidfd(info: ContainerInfo): number {
  const notRunning = () => new ExitError(`container ${info.config.name ?? info.id.slice(0, 12)} is not running`, 125);
  if (!info.pids || info.status !== "running") {
    if (info.status === "paused") throw new ExitError(`container ${info.config.name ?? info.id.slice(0, 12)} is paused, unpause it first`, 125);
    throw notRunning();
  }
  const fd = openProcess(info.pids.init);
  if (fd === null) throw notRunning();
  return fd;
}

/** Runs the exec; the process's exit code (foreground), or 0 once it runs (-d). */
export async function execInContainer(sys: Sys, info: ContainerInfo, process: ProcessPlan, mode: ExecMode): Promise<number> {
  const program = execProgramFor(sys, info, process, mode);
  const cleanups: (() => void)[] = [];
  let pidfd = containerPidfd(info);
  try {
    if (process.terminal && !mode.detach && isTerminal(0)) cleanups.push(makeRaw(0));
    const stdio: [Stdio, Stdio, Stdio] = mode.detach ? ["ignore", "ignore", "ignore"] : [mode.interactive ? "inherit" : "ignore", "inherit", "inherit"];
    const monitor = await spawnMonitor(sys, program, { id: info.id, stdio, extraFds: [pidfd] });
    // The monitor has its own copy now.
    closeFd(pidfd);
    pidfd = -1;
    if (!mode.detach) cleanups.push(forwardSignalsTo(monitor));
    const events = new EventLog(program);
    for (let e = monitor.channel.next(); e !== null; e = monitor.channel.next()) {
      events.add(e);
      if (e.type === "exited" || (mode.detach && e.type === "running")) break;
    }
    if (mode.detach && events.running) {
      monitor.channel.send("detach");
      monitor.proc.unref();
      return 0;
    }
    const code = await monitor.proc.exited;
    for (let e = monitor.channel.next(false); e !== null; e = monitor.channel.next(false)) events.add(e);
    const failure = events.failureError();
    if (failure) throw failure;
    if (monitor.proc.signalCode) throw new ExitError(`the exec's monitor was killed (${monitor.proc.signalCode})`, 125);
    return events.exited?.exitCode ?? code;
  } finally {
    if (pidfd >= 0) closeFd(pidfd);
    for (const c of cleanups.reverse()) c();
  }
}
