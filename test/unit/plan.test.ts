// The plan and the op lists it compiles to: what the native stage and monitor will do, in order,
// checked without root.
import { describe, expect, test } from "bun:test";
import { planContainer } from "../../src/plan/container";
import { MASKED_PATHS, READONLY_PATHS } from "../../src/plan/rootfs";
import { availableCapabilities, containerProgram, execProgram, processOps } from "../../src/stage/program";
import { formatProgram } from "../../src/stage/format";
import { CAPABILITIES, DEFAULT_CAPABILITIES, capNumber } from "../../src/capabilities";
import { UsageError } from "../../src/errors";
import type { ChildOp, Program } from "../../src/stage/ops";
import { baseOptions } from "../helpers/options";
import { describeHost } from "../../src/cgroups/host";

const ALL = [...CAPABILITIES];
const monitor = { flags: ["foreground" as const], pidfile: "/s/monitor.pid", log: null, exitFile: "/s/exit.json", exitCommand: null };
const program = (over = {}, available = ALL): Program => containerProgram(planContainer(baseOptions(over)), { available, cgroups: null }, monitor);
const names = (ops: readonly { op: string }[]) => ops.map((o) => o.op);
const indexOf = (ops: readonly ChildOp[], pred: (o: ChildOp) => boolean) => ops.findIndex(pred);

describe("planContainer", () => {
  test("mount, uts, ipc, pid and net namespaces come from the clone; cgroup from the stage, after it joined its cgroup", () => {
    const plan = planContainer(baseOptions());
    expect(plan.namespaces).toEqual([
      { type: "mount", mode: "new" },
      { type: "uts", mode: "new" },
      { type: "ipc", mode: "new" },
      { type: "pid", mode: "new" },
      { type: "net", mode: "new" },
      { type: "cgroup", mode: "new" },
    ]);
    const p = program();
    expect(p.setup.find((o) => o.op === "clone")).toEqual({ op: "clone", namespaces: ["mount", "uts", "ipc", "pid", "net"], cgroup: null });
    expect(p.child.slice(0, 3)).toEqual([{ op: "wait-release" }, { op: "pdeathsig", signal: 9 }, { op: "unshare", namespaces: ["cgroup"] }]);
    expect(names(p.setup).slice(-1)).toEqual(["release"]);
  });

  test("--network host shares the host's network namespace and leaves lo alone", () => {
    const p = program({ network: "host" });
    expect(p.setup.find((o) => o.op === "clone")).toMatchObject({ namespaces: ["mount", "uts", "ipc", "pid"] });
    expect(names(p.child)).not.toContain("loopback-up");
    expect(names(program().child)).toContain("loopback-up");
  });

  test("binds the rootfs, pivots, and only then mounts /proc, /dev and /sys inside", () => {
    const ops = planContainer(baseOptions()).rootfs;
    expect(ops[0]).toEqual({ op: "mount", source: null, target: "/", fstype: null, flags: ["REC", "PRIVATE"], data: null, ensure: "none" });
    expect(ops[1]).toEqual({ op: "mount", source: "/var/lib/ctr/r", target: "/var/lib/ctr/r", fstype: null, flags: ["BIND", "REC"], data: null, ensure: "none" });
    expect(ops[2]).toEqual({ op: "pivot-root", path: "/var/lib/ctr/r" });
    const targets = ops.flatMap((o) => (o.op === "mount" ? [`${o.fstype}:${o.target}:${o.ensure}`] : []));
    expect(targets).toEqual([
      "null:/:none", "null:/var/lib/ctr/r:none", "proc:/proc:directory", "tmpfs:/dev:directory", "devpts:/dev/pts:mkdir",
      "tmpfs:/dev/shm:mkdir", "mqueue:/dev/mqueue:mkdir", "sysfs:/sys:directory",
    ]);
    const devpts = ops.find((o) => o.op === "mount" && o.fstype === "devpts");
    expect(devpts?.op === "mount" && devpts.data).toContain("newinstance");
    const sys = ops.find((o) => o.op === "mount" && o.fstype === "sysfs");
    expect(sys?.op === "mount" && sys.flags).toContain("RDONLY");
  });

  test("an image's root is an overlay mounted from the store root, with volatile", () => {
    const ops = planContainer(baseOptions({ rootfs: "/s/containers/x/merged", overlay: { storeRoot: "/s", lowerdir: ["containers/x/init", "l/AAA"], upperdir: "containers/x/upper", workdir: "containers/x/work" } })).rootfs;
    expect(ops.slice(1, 5)).toEqual([
      { op: "chdir", path: "/s" },
      { op: "mount", source: "overlay", target: "/s/containers/x/merged", fstype: "overlay", flags: [], data: "lowerdir=containers/x/init:l/AAA,upperdir=containers/x/upper,workdir=containers/x/work,volatile", ensure: "none" },
      { op: "chdir", path: "/" },
      { op: "pivot-root", path: "/s/containers/x/merged" },
    ]);
  });

  test("masks Docker's paths and makes /proc/sys and friends read-only; --privileged does neither", () => {
    const ops = planContainer(baseOptions()).rootfs;
    expect(ops.flatMap((o) => (o.op === "mask" ? [o.path] : []))).toEqual(MASKED_PATHS);
    expect(ops.flatMap((o) => (o.op === "readonly" ? [o.path] : []))).toEqual(READONLY_PATHS);
    expect(planContainer(baseOptions({ privileged: true })).rootfs.some((o) => o.op === "mask" || o.op === "readonly")).toBe(false);
  });

  test("--read-only remounts / once the working directory exists", () => {
    const ops = program({ readOnly: true, cwd: "/work" }).child;
    const remount = indexOf(ops, (o) => o.op === "mount" && o.target === "/" && o.flags.includes("RDONLY"));
    expect(remount).toBeGreaterThan(indexOf(ops, (o) => o.op === "mkdir-all" && o.path === "/work"));
    expect(remount).toBeLessThan(indexOf(ops, (o) => o.op === "exec"));
    expect(program().child.some((o) => o.op === "mount" && o.flags.includes("RDONLY") && o.target === "/")).toBe(false);
  });

  test("Docker's 14 default capabilities, no_new_privs on, inheritable empty", () => {
    const p = planContainer(baseOptions()).process;
    expect(new Set(p.capabilities.bounding)).toEqual(new Set(DEFAULT_CAPABILITIES));
    expect(p.capabilities.inheritable).toEqual([]);
    expect(p.noNewPrivileges).toBe(true);
    expect(p.seccomp).toEqual({ mode: "default" });
  });

  test("--privileged turns no_new_privs and seccomp off unless asked for explicitly", () => {
    const priv = planContainer(baseOptions({ privileged: true })).process;
    expect([priv.noNewPrivileges, priv.seccomp.mode]).toEqual([false, "unconfined"]);
    expect(planContainer(baseOptions({ privileged: true, noNewPrivileges: true })).process.noNewPrivileges).toBe(true);
    expect(planContainer(baseOptions({ noNewPrivileges: false })).process.noNewPrivileges).toBe(false);
  });

  test("an unknown capability is a usage error naming the flag", () => {
    expect(() => planContainer(baseOptions({ capAdd: ["SYS_FOO"] }))).toThrow(new UsageError('--cap-add: unknown capability "SYS_FOO"'));
  });

  test("NOFILE soft limit goes back to 1024 under the inherited hard limit; --ulimit wins", () => {
    expect(planContainer(baseOptions()).process.rlimits).toEqual([{ type: "nofile", resource: 7, soft: 1024, hard: 4096 }]);
    expect(planContainer(baseOptions({ nofileHard: 512 })).process.rlimits[0]!.soft).toBe(512);
    const mine = planContainer(baseOptions({ ulimits: [{ type: "nofile", resource: 7, soft: 10, hard: 20 }] })).process.rlimits;
    expect(mine).toEqual([{ type: "nofile", resource: 7, soft: 10, hard: 20 }]);
  });
});

describe("the process's ops", () => {
  test("bounding set dropped while CAP_SETPCAP is held, ids switched with KEEPCAPS, then caps, no_new_privs, seccomp last", () => {
    const ops = program().child;
    const at = (name: string) => names(ops).indexOf(name);
    const drops = ops.filter((o) => o.op === "capbset-drop");
    expect(drops.length).toBe(CAPABILITIES.length - 14);
    expect(names(ops).lastIndexOf("capbset-drop")).toBeLessThan(at("keepcaps"));
    expect(at("keepcaps")).toBeLessThan(at("setresuid"));
    expect(at("setgroups")).toBeLessThan(at("setresgid"));
    expect(at("setresuid")).toBeLessThan(at("capset"));
    expect(ops[at("capset")]).toMatchObject({ inheritable: [], nonRoot: { effective: [], permitted: [] } });
    expect(at("no-new-privs")).toBeLessThan(at("seccomp"));
    expect(names(ops).slice(-5)).toEqual(["chdir", "close-from", "signals-default", "seccomp", "exec"]);
    // the parent-death signal is set again after the credential change cleared it
    expect(names(ops).lastIndexOf("pdeathsig")).toBeGreaterThan(at("setresuid"));
  });

  test("without no_new_privs the filter is loaded while CAP_SYS_ADMIN is still held", () => {
    const ops = program({ noNewPrivileges: false }).child;
    expect(names(ops).indexOf("seccomp")).toBeLessThan(names(ops).indexOf("capbset-drop"));
    expect(names(ops)).not.toContain("no-new-privs");
  });

  test("a capability the host withholds is an error, except under --privileged", () => {
    const available = availableCapabilities((c) => c !== capNumber("SYS_RESOURCE"));
    expect(() => program({ capAdd: ["SYS_RESOURCE"] }, available)).toThrow("capabilities: CAP_SYS_RESOURCE not in ctr's own bounding set on this host");
    const priv = program({ privileged: true }, available);
    expect(priv.child.find((o) => o.op === "capset")).toMatchObject({ effective: available });
    expect(names(priv.child)).not.toContain("seccomp");
  });

  test("-t opens the console after the user is known (its owner); without -t a session of its own", () => {
    const tty = program({ tty: true, consoleSize: { rows: 40, cols: 120 } }).child;
    expect(tty.find((o) => o.op === "console")).toEqual({ op: "console", rows: 40, cols: 120 });
    expect(names(tty).indexOf("user")).toBeLessThan(names(tty).indexOf("console"));
    expect(names(program().child)).toContain("setsid");
  });

  test("--init replaces exec with the reaper", () => {
    expect(program({ init: true }).child.at(-1)).toMatchObject({ op: "exec-reaper", args: ["sh"] });
  });
});

describe("cgroups in the program", () => {
  const v2 = describeHost("30 1 0:26 / /sys/fs/cgroup rw - cgroup2 cgroup2 rw", (p) => (p.endsWith("cgroup.controllers") ? "cpu memory pids io cpuset" : p.endsWith("subtree_control") ? "cpu memory pids io cpuset" : "0-1"));
  const v1 = describeHost(["30 1 0:26 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory", "31 1 0:27 / /sys/fs/cgroup/pids rw - cgroup cgroup rw,pids"].join("\n"), () => "0");
  const make = (host: typeof v1) => containerProgram(planContainer(baseOptions({ resources: { memory: 64 * 1024 * 1024 } }), host), { available: ALL, cgroups: host }, monitor);

  test("v2: created with its limits and device filter, then the clone goes straight into it", () => {
    const p = make(v2);
    const own = `/sys/fs/cgroup/ctr/${"a".repeat(64)}`;
    // subtree_control of /ctr, memory.max, memory.swap.max (as much swap as memory: Docker's rule)
    expect(names(p.setup)).toEqual(["monitor", "cgroup-mkdir", "cgroup-mkdir", "cgroup-write", "cgroup-write", "cgroup-write", "cgroup-device-filter", "clone", "release"]);
    expect(p.setup.find((o) => o.op === "cgroup-write" && o.path.endsWith("memory.max"))).toMatchObject({ value: String(64 * 1024 * 1024), flag: "--memory" });
    expect(p.setup.find((o) => o.op === "clone")).toMatchObject({ cgroup: own });
    expect(p.teardown).toEqual([
      { op: "oom-count", file: `${own}/memory.events`, key: "oom_kill" },
      { op: "cgroup-kill", dir: own },
      { op: "cgroup-rmdir", dir: own },
      { op: "rmdir-if-empty", dir: "/sys/fs/cgroup/ctr" },
      { op: "exit-file", path: "/s/exit.json" },
    ]);
  });

  test("v1: the clone is placed in each hierarchy by pid, before it is released", () => {
    const p = make(v1);
    const procs = p.setup.filter((o) => o.op === "cgroup-add").map((o) => o.op === "cgroup-add" && o.path);
    expect(procs).toEqual([`/sys/fs/cgroup/memory/ctr/${"a".repeat(64)}/cgroup.procs`, `/sys/fs/cgroup/pids/ctr/${"a".repeat(64)}/cgroup.procs`]);
    expect(names(p.setup).indexOf("cgroup-add")).toBeGreaterThan(names(p.setup).indexOf("clone"));
    expect(names(p.setup).at(-1)).toBe("release");
    expect(p.teardown[0]).toEqual({ op: "oom-count", file: `/sys/fs/cgroup/memory/ctr/${"a".repeat(64)}/memory.oom_control`, key: "oom_kill" });
  });
});

describe("exec into a running container", () => {
  test("born in its pid namespace and cgroup, joins the rest at once through the pidfd, same credentials", () => {
    const plan = planContainer(baseOptions());
    const p = execProgram({ pidfd: 6, namespaces: ["mount", "uts", "ipc", "pid", "net", "cgroup"], cgroup: null }, plan.process, { available: ALL, privileged: false }, monitor);
    expect(names(p.setup)).toEqual(["monitor", "join-pidns", "clone", "release"]);
    expect(p.setup[2]).toEqual({ op: "clone", namespaces: [], cgroup: null });
    expect(p.child[2]).toEqual({ op: "setns", fd: 6, namespaces: ["ipc", "uts", "net", "cgroup", "mount"], what: "the container's namespaces" });
    expect(names(p.child)).not.toContain("mkdir-all");
    expect(names(p.child).slice(-2)).toEqual(["seccomp", "exec"]);
    expect(processOps(plan.process, { available: ALL, privileged: false, mkdirCwd: false, readOnlyRoot: false })).toEqual(p.child.slice(3));
  });
});

describe("--dry-run", () => {
  test("prints every op of the three lists, as they will run", () => {
    const plan = planContainer(baseOptions({ args: ["echo", "hi"] }));
    const text = formatProgram(plan.namespaces.length ? "a".repeat(64) : "", plan.namespaces, program({ args: ["echo", "hi"] }));
    expect(text).toContain("pid     new (CLONE_NEWPID)");
    expect(text).toContain("pivot_root /var/lib/ctr/r (old root detached)");
    expect(text).toContain("mount proc on /proc (nosuid,nodev,noexec)");
    expect(text).toContain("mask /proc/kcore");
    expect(text).toContain('exec ["echo","hi"]');
    expect(text).toContain("CAP_NET_BIND_SERVICE");
    expect(text).toContain("seccomp filter: Docker's default profile");
    expect(text).toContain("record the exit status in /s/exit.json");
  });
});
