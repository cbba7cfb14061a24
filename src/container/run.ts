// `ctr run`: plan → spawn the init → hand it the plan → relay the terminal and signals → exit code.
import { SIGNALS } from "../../ffi/constants";
import { EXIT, ExitError } from "../errors";
import { isDebug, log, sinceStart } from "../log";
import { planContainer, type RunOptions } from "../plan/plan";
import { cgroupManager, sweepStaleCgroups, type CgroupHost, type CgroupManager } from "../cgroups/index";
import { spawnInit, type InitProcess } from "../process/spawn";
import type { Sys } from "../sys/sys";
import { getWinsize, setWinsize } from "../console";

/** Signals a user sends to `ctr run` that belong to the container (as `docker run --sig-proxy`). */
export const FORWARDED_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP", "SIGQUIT", "SIGUSR1", "SIGUSR2"] as const;

/**
 * `early`: an init already spawned (by `ctr run IMAGE`, so that it boots while the image store is
 * read); it waits for its plan and is killed if anything fails first.
 */
export async function runContainer(sys: Sys, options: RunOptions, interactive: boolean, cgroups: CgroupHost, early?: InitProcess): Promise<number> {
  const debug = isDebug();
  const step = (m: string) => log.debug(`[${sinceStart()}] ${m}`);
  const plan = planContainer(options, cgroups);
  step("plan computed");

  // The cgroup exists, with every limit written, before any process of the container does.
  const staleAge = Number(process.env.CTR_STALE_CGROUP_AGE ?? 10);
  for (const dir of sweepStaleCgroups(cgroups, options.cgroupParent, staleAge)) log.debug(`removed stale cgroup ${dir}`);
  step("stale cgroups swept");
  const cgroup = cgroupManager(plan.cgroup!, cgroups);
  try {
    cgroup.create();
  } catch (e) {
    removeCgroup(cgroup);
    if (early) await killInit(early);
    throw e;
  }
  step(`cgroup ${plan.cgroup!.version} created: ${plan.cgroup!.own.join(" ")}`);

  let init: InitProcess | undefined = early;
  try {
    init ??= spawnInit(sys, plan.namespaces, interactive && !options.tty ? "inherit" : "ignore", debug, step);
    // Before the plan is sent, so the init can do nothing yet: no window outside the cgroup.
    cgroup.addProcess(init.pid);
  } catch (e) {
    if (init) await killInit(init);
    removeCgroup(cgroup);
    throw e;
  }
  const cleanups: (() => void)[] = [];
  try {
    // Forwarding starts before the container can run anything: a signal to ctr is never left to
    // its default action while a container process exists (during setup it ends the init).
    for (const name of FORWARDED_SIGNALS) {
      const forward = () => {
        try {
          sys.kill(init.pid, SIGNALS[name]!);
        } catch {
          /* already gone */
        }
      };
      process.on(name, forward);
      cleanups.push(() => process.off(name, forward));
    }

    init.sync.send({ type: "plan", plan });
    let master = -1;
    for (let msg = init.sync.receive(); msg !== null; msg = init.sync.receive()) {
      if (msg.type === "log") log.debug(`[init +${msg.ms}ms] ${msg.message}`);
      else if (msg.type === "console") {
        const pidfd = sys.pidfdOpen(init.pid);
        try {
          master = sys.pidfdGetfd(pidfd, msg.fd);
        } finally {
          sys.close(pidfd);
        }
        cleanups.push(() => sys.close(master));
        init.sync.send({ type: "console-ack" });
      } else if (msg.type === "error") {
        await init.proc.exited;
        throw new ExitError(msg.message, msg.exitCode);
      }
    }
    step("init exec'd the command");

    let relay: Promise<void> = Promise.resolve();
    if (master >= 0) {
      // Only -t needs the relay (and its node:fs streams): load it only then.
      const { makeRaw, relayConsole } = await import("../terminal");
      if (process.stdin.isTTY) cleanups.push(makeRaw(0));
      const resize = () => {
        const size = getWinsize(0) ?? getWinsize(1);
        if (size) setWinsize(sys, master, size);
      };
      process.on("SIGWINCH", resize);
      cleanups.push(() => process.off("SIGWINCH", resize));
      relay = relayConsole(master, interactive);
    }

    await init.proc.exited;
    await relay;
    step("container exited");
    const { exitCode, signalCode } = init.proc;
    if (signalCode === "SIGKILL") {
      const oom = cgroup.oom();
      if (oom.killed) {
        log.error(`container killed: out of memory${oom.limit === null ? "" : ` (limit ${formatBytes(oom.limit)})`}`);
      }
    }
    if (signalCode) return 128 + (SIGNALS[signalCode] ?? 0);
    return exitCode ?? EXIT.CTR_FAILED;
  } finally {
    for (const c of cleanups.reverse()) c();
    // init.sync.fd belongs to Bun.spawn (its extra stdio socket): Bun closes it, and aborts if we did.
    if (init.proc.exitCode === null && init.proc.signalCode === null) await killInit(init);
    removeCgroup(cgroup);
    step("cgroup removed");
  }
}

export async function killInit(init: InitProcess): Promise<void> {
  init.proc.kill(9);
  await init.proc.exited;
}

/** Removal must not hide the error that got us here; a failure to remove is reported on its own. */
function removeCgroup(cgroup: CgroupManager): void {
  try {
    cgroup.remove();
  } catch (e) {
    log.error(`cleanup: ${(e as Error).message}`);
    process.exitCode = EXIT.CTR_FAILED;
  }
}

export function formatBytes(n: number): string {
  for (const [unit, size] of [["GiB", 1024 ** 3], ["MiB", 1024 ** 2], ["KiB", 1024]] as const) {
    if (n >= size) return `${+(n / size).toFixed(2)} ${unit}`;
  }
  return `${n} B`;
}
