// `ctr run` in the foreground: the start (start.ts), then ctr forwards signals and waits → exit
// code. The monitor relays a -t console itself; ctr only puts the caller's terminal in raw mode
// and restores it.
import { SIGNALS } from "../../ffi/constants";
import { plannedMemoryLimit, removeCgroup } from "../cgroups/index";
import { EXIT, ExitError } from "../errors";
import { log } from "../log";
import type { MonitorProcess } from "../stage/monitor";
import { isTerminal, makeRaw } from "../terminal";
import { formatBytes } from "../units";
import { launchRequest, type Context } from "./lifecycle";
import { launch, step } from "./start";
import type { ContainerConfig } from "./state";

/** Signals a user sends to `ctr run` that belong to the container (as `docker run --sig-proxy`). */
export const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const;

/**
 * ctr's signals go to the monitor, which forwards them to the container's process. Started as
 * soon as the monitor exists: a signal to ctr is never left to its default action while a
 * container process runs. Returns the undo.
 */
export function forwardSignalsTo(monitor: MonitorProcess): () => void {
  const undo: (() => void)[] = [];
  for (const name of FORWARDED_SIGNALS) {
    const forward = () => monitor.channel.send(`signal ${SIGNALS[name]}`);
    process.on(name, forward);
    undo.push(() => process.off(name, forward));
  }
  return () => undo.forEach((u) => u());
}

export async function runForeground(ctx: Context, config: ContainerConfig, interactive: boolean): Promise<number> {
  const cleanups: (() => void)[] = [];
  try {
    if (config.tty && isTerminal(0)) cleanups.push(makeRaw(0));
    const forwardSignals = (monitor: MonitorProcess) => cleanups.push(forwardSignalsTo(monitor));
    const req = launchRequest(ctx, config, { detached: false, interactive });
    const { plan, monitor, events } = await launch(ctx.sys, req, [interactive ? "inherit" : "ignore", "inherit", "inherit"], forwardSignals);
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
