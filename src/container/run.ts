// `ctr run` in the foreground: the start (start.ts), then ctr forwards signals and waits → exit
// code. The monitor relays a -t console itself; ctr only puts the caller's terminal in raw mode
// and restores it. `ctr run -d`: the same start, and ctr leaves the monitor to it.
import { SIGNALS } from "../../ffi/constants";
import { plannedMemoryLimit, removeCgroup } from "../cgroups/index";
import { EXIT, ExitError } from "../errors";
import { log } from "../log";
import type { MonitorProcess } from "../stage/monitor";
import type { Sys } from "../sys/sys";
import { isTerminal, makeRaw } from "../terminal";
import { formatBytes } from "../units";
import { startContainer, step, type StartRequest } from "./start";

/** Signals a user sends to `ctr run` that belong to the container (as `docker run --sig-proxy`). */
export const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const;

export async function runContainer(sys: Sys, req: StartRequest): Promise<number> {
  const o = req.options;
  const cleanups: (() => void)[] = [];
  try {
    if (o.tty && isTerminal(0)) cleanups.push(makeRaw(0));
    // Forwarding starts as soon as the monitor exists: a signal to ctr is never left to its
    // default action while a container process does.
    const forwardSignals = (monitor: MonitorProcess) => {
      for (const name of FORWARDED_SIGNALS) {
        const forward = () => monitor.channel.send(`signal ${SIGNALS[name]}`);
        process.on(name, forward);
        cleanups.push(() => process.off(name, forward));
      }
    };
    const { plan, monitor, events } = await startContainer(sys, req, [req.interactive ? "inherit" : "ignore", "inherit", "inherit"], forwardSignals);
    const code = await monitor.proc.exited;
    for (let e = monitor.channel.next(false); e !== null; e = monitor.channel.next(false)) events.add(e);
    step("container exited");
    if (monitor.proc.signalCode) {
      // The monitor was killed: its list 2 never ran.
      if (plan.cgroup) removeCgroup(plan.cgroup);
      throw new ExitError(`the container's monitor was killed (${monitor.proc.signalCode})`, EXIT.CTR_FAILED);
    }
    const failure = events.failureError();
    if (failure) throw failure;
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

/**
 * A detached start: the monitor writes the container's output to its log, records its exit and
 * runs the exit command; ctr returns once the command runs. The monitor's own stdio is /dev/null.
 */
export async function runDetached(sys: Sys, req: StartRequest): Promise<{ monitorPid: number; containerPid: number }> {
  const { monitor, events } = await startContainer(sys, req, ["ignore", "ignore", "ignore"]);
  if (!events.running) {
    // The start failed: the monitor has stopped and tidied up; its exit code is the failure's.
    await monitor.proc.exited;
    for (let e = monitor.channel.next(false); e !== null; e = monitor.channel.next(false)) events.add(e);
    throw events.failureError() ?? new ExitError("the container's monitor ended before the command ran", EXIT.CTR_FAILED);
  }
  // From here the monitor does not stop the container when ctr goes.
  monitor.channel.send("detach");
  monitor.proc.unref();
  return { monitorPid: events.started!.monitorPid, containerPid: events.started!.containerPid };
}
