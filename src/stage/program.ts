// Pure: a container plan → the Program the native monitor and stage carry out (ops.ts). Every
// decision of a start is made here, in order, with its reason: which namespaces, where the process
// joins its cgroup, when capabilities drop, where the seccomp filter goes, what happens at exit.
import { CAPABILITIES, type Capability } from "../capabilities";
import { cgroupJoin, cgroupSetupOps, cgroupTeardownOps, type CgroupHost, type CgroupPlan } from "../cgroups/index";
import { cloneNamespaces, JOIN_ORDER, type NamespaceType } from "../namespaces";
import type { ContainerPlan } from "../plan/container";
import { READONLY_ROOT } from "../plan/rootfs";
import type { ProcessPlan } from "../plan/schema";
import { seccompFilter } from "../seccomp/index";
import type { MonitorFlag } from "./opcodes";
import type { ChildOp, Program, SetupOp, TeardownOp } from "./ops";

const SIGKILL = 9;
const O_PATH = 0o10000000;
const O_RDONLY = 0;
/** Where joined namespaces' fds are kept in the stage (above START_FIFO_FD's 100). */
const JOIN_FD = 101;

/** What the host allows, read by the caller (ctr's own bounding set: the container's upper bound). */
export interface HostContext {
  available: readonly Capability[];
}

/** What the monitor does besides the container: its mode, and what it writes where. */
export interface MonitorContext {
  flags: MonitorFlag[];
  pidfile: string | null;
  log: { path: string; maxBytes: number; maxFiles: number } | null;
  /** A detached container's streams, served to `ctr attach` on <attachDir>/attach.sock. */
  attachDir?: string | null;
  exitFile: string | null;
  /** Run when the container has exited and ctr is not there to clean up (detached, or ctr killed). */
  exitCommand: { args: string[]; env: string[] } | null;
}

/** The capability sets a process gets, limited to what this host lets ctr hold. */
export function grantedCapabilities(p: ProcessPlan, available: readonly Capability[], privileged: boolean): ProcessPlan["capabilities"] {
  const want = (set: readonly Capability[]) => {
    const missing = set.filter((c) => !available.includes(c));
    // --privileged means "everything this host lets ctr have"; an explicit cap must really be granted.
    if (missing.length && !privileged) {
      throw new Error(`capabilities: ${missing.map((c) => `CAP_${c}`).join(", ")} not in ctr's own bounding set on this host`);
    }
    return set.filter((c) => available.includes(c));
  };
  const c = p.capabilities;
  return { bounding: want(c.bounding), effective: want(c.effective), permitted: want(c.permitted), inheritable: want(c.inheritable) };
}

/**
 * A process's own ops, for a container's PID 1 and for exec alike: user, terminal, limits, then
 * credentials in runc's order (bounding set while CAP_SETPCAP is held; ids with KEEPCAPS so the
 * permitted set survives; then the final sets), no_new_privs, and the seccomp filter last.
 */
/** The fd the start FIFO is kept on in the stage, from before pivot_root until `start`. */
export const START_FIFO_FD = 100;

export function processOps(p: ProcessPlan, ctx: HostContext & { privileged: boolean; mkdirCwd: boolean; readOnlyRoot: boolean; startFifo?: boolean }): ChildOp[] {
  const caps = grantedCapabilities(p, ctx.available, ctx.privileged);
  const filter = seccompFilter(p.seccomp, caps.bounding);
  const seccomp: ChildOp | null = filter && { op: "seccomp", filter: filter.filter, flags: 0, summary: `${filter.profile}, ${filter.summary}` };
  // Names are looked up in the container's own /etc/passwd, so after pivot_root (or setns).
  const ops: ChildOp[] = [{ op: "user", user: p.user.user, group: p.user.group }];
  if (ctx.mkdirCwd) ops.push({ op: "mkdir-all", path: p.cwd, mode: 0o755 });
  // The read-only remount of / waits until the working directory exists.
  if (ctx.readOnlyRoot) ops.push(READONLY_ROOT);
  // Without a terminal: out of ctr's session, so a terminal's ^C reaches the container only as
  // ctr forwards it. With one: a session of its own around the pty.
  ops.push(p.terminal ? { op: "console", rows: p.consoleSize?.rows ?? 0, cols: p.consoleSize?.cols ?? 0 } : { op: "setsid" });
  for (const r of p.rlimits) ops.push({ op: "rlimit", type: r.type, resource: r.resource, soft: r.soft, hard: r.hard });
  // Without no_new_privs the kernel takes a filter only from CAP_SYS_ADMIN: load it while held.
  if (seccomp && !p.noNewPrivileges) ops.push(seccomp);
  for (const c of ctx.available) if (!caps.bounding.includes(c)) ops.push({ op: "capbset-drop", cap: c });
  ops.push(
    { op: "keepcaps", on: true },
    { op: "setgroups", gids: [] },
    { op: "setresgid" },
    { op: "setresuid" },
    { op: "keepcaps", on: false },
    // A credential change clears the parent-death signal; set it again.
    { op: "pdeathsig", signal: SIGKILL },
    // As Docker: a non-root user keeps the bounding set but holds no capabilities.
    { op: "capset", effective: caps.effective, permitted: caps.permitted, inheritable: caps.inheritable, nonRoot: { effective: [], permitted: [] } },
    { op: "ambient-clear" },
  );
  if (p.noNewPrivileges) ops.push({ op: "no-new-privs" });
  // The working directory only now, inside the container's root: no fd or path of the host's
  // can be its cwd (CVE-2024-21626), and every fd above 2 closes at exec.
  ops.push({ op: "chdir", path: p.cwd }, { op: "close-from", fd: 3 }, { op: "signals-default" });
  // `ctr create`: everything is set up; the command waits for `ctr start` (runc's exec FIFO).
  if (ctx.startFifo) ops.push({ op: "wait-fifo", fd: START_FIFO_FD });
  if (seccomp && p.noNewPrivileges) ops.push(seccomp);
  ops.push({ op: p.init ? "exec-reaper" : "exec", args: p.args, env: p.env, homeFromUser: true });
  return ops;
}

function monitorOps(m: MonitorContext): SetupOp[] {
  const ops: SetupOp[] = [{ op: "monitor", flags: m.flags, pidfile: m.pidfile }];
  if (m.log) ops.push({ op: "log", ...m.log });
  if (m.attachDir) ops.push({ op: "attach-socket", dir: m.attachDir });
  return ops;
}

function exitOps(m: MonitorContext): TeardownOp[] {
  const ops: TeardownOp[] = [];
  if (m.exitFile) ops.push({ op: "exit-file", path: m.exitFile });
  if (m.exitCommand) ops.push({ op: "exit-command", ...m.exitCommand });
  return ops;
}

/** The network's ops of a start (src/net/attach.ts): the monitor's (host side), the stage's (inside). */
export interface NetOps {
  setup: SetupOp[];
  child: ChildOp[];
}

/**
 * A container's start: cgroup first, then the clone into it, then everything inside.
 * `startFifo`: `ctr create`: the command waits, set up, until `ctr start` opens this FIFO.
 */
export function containerProgram(plan: ContainerPlan, host: HostContext & { cgroups: CgroupHost | null }, monitor: MonitorContext, startFifo: string | null = null, net: NetOps | null = null): Program {
  const setup = monitorOps(monitor);
  const join = plan.cgroup ? cgroupJoin(plan.cgroup) : { cloneInto: null, procs: [] };
  if (plan.cgroup) setup.push(...cgroupSetupOps(plan.cgroup));
  setup.push({ op: "clone", namespaces: cloneNamespaces(plan.namespaces), cgroup: join.cloneInto });
  for (const path of join.procs) setup.push({ op: "cgroup-add", path });
  // The veth pair, its peer born in the container's new network namespace.
  if (net) setup.push(...net.setup);
  setup.push({ op: "release" });

  // It waits until it is in its cgroup: nothing of it runs outside its limits.
  const child: ChildOp[] = [{ op: "wait-release" }, { op: "pdeathsig", signal: SIGKILL }];
  // Another container's namespaces (--network container:ID), opened while host paths are reachable.
  plan.namespaces.filter((n) => n.mode === "join").forEach((n, i) => {
    child.push({ op: "open", path: n.path!, flags: O_RDONLY, mode: 0, fd: JOIN_FD + i }, { op: "setns", fd: JOIN_FD + i, namespaces: [n.type], what: n.path! });
  });
  // unshare roots a cgroup namespace at the caller's cgroup: only now is that the container's.
  if (plan.namespaces.some((n) => n.type === "cgroup" && n.mode === "new")) child.push({ op: "unshare", namespaces: ["cgroup"] });
  if (plan.hostname !== null) child.push({ op: "sethostname", name: plan.hostname });
  if (plan.loopback) child.push({ op: "loopback-up" });
  if (net) child.push(...net.child);
  // Opened (without blocking: O_PATH) while host paths are still reachable.
  if (startFifo) child.push({ op: "open", path: startFifo, flags: O_PATH, mode: 0, fd: START_FIFO_FD });
  child.push(...plan.rootfs);
  child.push(...processOps(plan.process, { available: host.available, privileged: plan.privileged, mkdirCwd: true, readOnlyRoot: plan.readOnlyRoot, startFifo: startFifo !== null }));

  const teardown: TeardownOp[] = plan.cgroup && host.cgroups ? cgroupTeardownOps(plan.cgroup, host.cgroups) : [];
  teardown.push(...exitOps(monitor));
  return { setup, child, teardown };
}

/** A running container, as exec joins it. */
export interface ExecTarget {
  /** The fd number, in the monitor, of a pidfd of the container's PID 1. */
  pidfd: number;
  /** The namespaces the container has of its own (joined); the host's are kept. */
  namespaces: NamespaceType[];
  cgroup: CgroupPlan | null;
}

/**
 * A process into a running container: born in its PID namespace (the monitor joins it for its
 * children) and its cgroup (by the clone, or by pid), then into its other namespaces at once
 * (setns on the pidfd), and the same credentials and filter as a container process.
 */
export function execProgram(target: ExecTarget, p: ProcessPlan, host: HostContext & { privileged: boolean }, monitor: MonitorContext): Program {
  const setup = monitorOps(monitor);
  if (target.namespaces.includes("pid")) setup.push({ op: "join-pidns", fd: target.pidfd });
  const join = target.cgroup ? cgroupJoin(target.cgroup) : { cloneInto: null, procs: [] };
  setup.push({ op: "clone", namespaces: [], cgroup: join.cloneInto });
  for (const path of join.procs) setup.push({ op: "cgroup-add", path });
  setup.push({ op: "release" });
  const joined = JOIN_ORDER.filter((t) => t !== "pid" && t !== "user" && target.namespaces.includes(t));
  const child: ChildOp[] = [
    { op: "wait-release" },
    { op: "pdeathsig", signal: SIGKILL },
    { op: "setns", fd: target.pidfd, namespaces: joined, what: "the container's namespaces" },
    ...processOps(p, { available: host.available, privileged: host.privileged, mkdirCwd: false, readOnlyRoot: false }),
  ];
  return { setup, child, teardown: exitOps(monitor) };
}

/** The capabilities in ctr's own bounding set. */
export function availableCapabilities(has: (cap: number) => boolean): Capability[] {
  return CAPABILITIES.filter((_, i) => has(i));
}
