// The init stage: `ctr init`, re-exec'd by the parent into the container's new namespaces (it is
// PID 1 there). It reads the plan from the sync socket, builds the container around itself and
// finally execve()s the command. Nothing it prints reaches the container's stdout: its logs and
// errors travel to the parent over the socket.
import { CLONE_NEWCGROUP, PR_SET_DUMPABLE, PR_SET_PDEATHSIG, SIGNALS } from "../../ffi/constants";
import type { Reaper } from "../../ffi/reaper";
import { applyCredentials } from "../credentials";
import { EXIT, ExitError, SysError } from "../errors";
import { loopbackUp } from "../network";
import type { InitPlan } from "../plan/schema";
import { applyRootfs, mkdirAll } from "../rootfs";
import type { Sys } from "../sys/sys";
import { LinuxSys } from "../sys/linux";
import { openConsole } from "../console";
import { resolveUserInRoot } from "../user";
import { execCommand, execUnderReaper, resetSignals } from "./exec";
import { INIT_SYNC_FD, SyncSocket } from "./sync";

export async function initMain(): Promise<never> {
  return runInit(new LinuxSys(), process.env.CTR_INIT_DEBUG === "1");
}

export async function runInit(sys: Sys, debug: boolean): Promise<never> {
  const sync = new SyncSocket(INIT_SYNC_FD);
  const log = (message: string) => {
    if (debug) sync.send({ type: "log", level: "debug", message, ms: +performance.now().toFixed(2) /* since this process started: module loading counts */ });
  };
  try {
    // If ctr dies from here on, so does the container (and with PID 1, its whole PID namespace).
    sys.prctl(PR_SET_PDEATHSIG, SIGNALS.SIGKILL!, "PR_SET_PDEATHSIG");
    // Keep the container's processes away from /proc/1/{exe,mem,fd} of this host binary (CVE-2019-5736).
    sys.prctl(PR_SET_DUMPABLE, 0, "PR_SET_DUMPABLE");
    const msg = sync.receive();
    if (msg === null) process.exit(EXIT.CTR_FAILED); // the parent is gone
    if (msg.type !== "plan") throw new Error(`sync: expected plan, got ${msg.type}`);
    const plan = msg.plan; // checked against InitPlanSchema as part of the sync message
    log("init: plan received");
    // tcc may read host files, so compile the --init reaper before pivot_root takes them away;
    // and load it only then: it is not on the plain start path.
    const reaper = plan.process.init ? (await import("../../ffi/reaper")).compileReaper() : null;
    if (reaper) log("init: reaper compiled");
    setupContainer(sys, sync, plan, reaper, log);
  } catch (e) {
    sync.send(errorMessage(e));
    process.exit(e instanceof ExitError ? e.exitCode : EXIT.CTR_FAILED);
  }
  throw new Error("unreachable");
}

function setupContainer(sys: Sys, sync: SyncSocket, plan: InitPlan, reaper: Reaper | null, log: (m: string) => void): never {
  const proc = plan.process;

  if (plan.initUnshare.includes("cgroup")) {
    sys.unshare(CLONE_NEWCGROUP);
    log("unshare CLONE_NEWCGROUP");
  }
  if (plan.hostname !== null) {
    sys.sethostname(plan.hostname);
    log(`sethostname ${plan.hostname}`);
  }
  if (plan.loopback) {
    loopbackUp(sys);
    log("network: lo up");
  }

  // The read-only remount of / waits until the working directory exists.
  const readonlyRoot = plan.rootfs.filter((op) => op.op === "readonly-root");
  applyRootfs(sys, plan.rootfs.filter((op) => op.op !== "readonly-root"), (m) => log(`rootfs: ${m}`));
  const user = resolveUserInRoot(proc.user);
  log(`user: uid=${user.uid} gid=${user.gid} home=${user.home}`);
  mkdirAll(sys, proc.cwd, 0o755);
  applyRootfs(sys, readonlyRoot, (m) => log(`rootfs: ${m}`));

  if (proc.terminal) {
    const master = openConsole(sys, proc.consoleSize, user.uid);
    sync.send({ type: "console", fd: master });
    const ack = sync.receive();
    if (ack?.type !== "console-ack") throw new Error("sync: the parent did not take the console");
    sys.close(master);
    log("console: pty ready");
  } else {
    // Out of ctr's session, so a terminal's ^C reaches the container only as ctr forwards it.
    sys.setsid();
  }

  for (const r of proc.rlimits) {
    const n = (x: number | "unlimited") => (x === "unlimited" ? 0xffffffffffffffffn : BigInt(x));
    sys.setrlimit(r.resource, n(r.soft), n(r.hard), `RLIMIT_${r.type.toUpperCase()} ${r.soft}:${r.hard}`);
  }

  const env = proc.env.some((e) => e.startsWith("HOME=")) ? proc.env : [...proc.env, `HOME=${user.home}`];
  applyCredentials(sys, proc, user, plan.privileged);
  log("credentials: capabilities, uid/gid, no_new_privs applied");
  sys.chdir(proc.cwd);

  // No fd of ctr may survive into the container (CVE-2024-21626): everything above 2 closes on exec.
  sys.closeRangeCloexec(3);
  resetSignals();
  log(`exec ${JSON.stringify(proc.args)}`);
  if (reaper !== null) return execUnderReaper(reaper, proc.args, env, () => sys.close(INIT_SYNC_FD));
  return execCommand(sys, proc.args, env);
}

function errorMessage(e: unknown) {
  const exitCode = e instanceof ExitError ? e.exitCode : EXIT.CTR_FAILED;
  if (e instanceof SysError) return { type: "error" as const, message: e.message, exitCode, syscall: e.syscall, errno: e.code };
  if (e instanceof Error) return { type: "error" as const, message: e.message, exitCode };
  return { type: "error" as const, message: String(e), exitCode };
}
