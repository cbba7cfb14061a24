import { describe, expect, test } from "bun:test";
import { planContainer, MASKED_PATHS, READONLY_PATHS } from "../../src/plan/plan";
import { formatPlan } from "../../src/plan/format";
import { DEFAULT_CAPABILITIES } from "../../src/capabilities";
import { UsageError } from "../../src/errors";
import { baseOptions } from "../helpers/options";


describe("planContainer", () => {
  test("creates mount, uts, ipc, pid and net namespaces, and cgroup in the init", () => {
    const plan = planContainer(baseOptions());
    expect(plan.namespaces).toEqual([
      { type: "mount", mode: "new" },
      { type: "uts", mode: "new" },
      { type: "ipc", mode: "new" },
      { type: "pid", mode: "new" },
      { type: "net", mode: "new" },
    ]);
    expect(plan.initUnshare).toEqual(["cgroup"]);
    expect(plan.loopback).toBe(true);
  });

  test("--network host shares the host's network namespace and leaves lo alone", () => {
    const plan = planContainer(baseOptions({ network: "host" }));
    expect(plan.namespaces.find((n) => n.type === "net")).toEqual({ type: "net", mode: "host" });
    expect(plan.loopback).toBe(false);
  });

  test("binds the rootfs, pivots, and only then mounts /proc, /dev and /sys inside", () => {
    const ops = planContainer(baseOptions()).rootfs;
    expect(ops[0]).toEqual({ op: "mount", source: "/var/lib/ctr/r", target: "/var/lib/ctr/r", fstype: null, flags: ["BIND", "REC"], data: null });
    expect(ops[1]).toEqual({ op: "pivot_root", rootfs: "/var/lib/ctr/r" });
    const targets = ops.flatMap((o) => (o.op === "mount" ? [`${o.fstype}:${o.target}`] : []));
    expect(targets).toEqual([
      "null:/var/lib/ctr/r", "proc:/proc", "tmpfs:/dev", "devpts:/dev/pts", "tmpfs:/dev/shm", "mqueue:/dev/mqueue", "sysfs:/sys",
    ]);
    const devpts = ops.find((o) => o.op === "mount" && o.fstype === "devpts");
    expect(devpts && devpts.op === "mount" && devpts.data).toContain("newinstance");
    const sys = ops.find((o) => o.op === "mount" && o.fstype === "sysfs");
    expect(sys && sys.op === "mount" && sys.flags).toContain("RDONLY");
  });

  test("masks Docker's paths and makes /proc/sys and friends read-only; --privileged does neither", () => {
    const ops = planContainer(baseOptions()).rootfs;
    expect(ops.filter((o) => o.op === "mask").map((o) => o.op === "mask" && o.path)).toEqual(MASKED_PATHS);
    expect(ops.filter((o) => o.op === "readonly").map((o) => o.op === "readonly" && o.path)).toEqual(READONLY_PATHS);
    const priv = planContainer(baseOptions({ privileged: true })).rootfs;
    expect(priv.some((o) => o.op === "mask" || o.op === "readonly")).toBe(false);
  });

  test("--read-only remounts / as the last rootfs step", () => {
    const ops = planContainer(baseOptions({ readOnly: true })).rootfs;
    expect(ops.at(-1)).toEqual({ op: "readonly-root" });
    expect(planContainer(baseOptions()).rootfs.some((o) => o.op === "readonly-root")).toBe(false);
  });

  test("Docker's 14 default capabilities, no_new_privs on, inheritable empty", () => {
    const p = planContainer(baseOptions()).process;
    expect(p.capabilities.bounding).toHaveLength(14);
    expect(new Set(p.capabilities.bounding)).toEqual(new Set(DEFAULT_CAPABILITIES));
    expect(p.capabilities.inheritable).toEqual([]);
    expect(p.noNewPrivileges).toBe(true);
  });

  test("--privileged turns no_new_privs off unless asked for explicitly", () => {
    expect(planContainer(baseOptions({ privileged: true })).process.noNewPrivileges).toBe(false);
    expect(planContainer(baseOptions({ privileged: true, noNewPrivileges: true })).process.noNewPrivileges).toBe(true);
    expect(planContainer(baseOptions({ noNewPrivileges: false })).process.noNewPrivileges).toBe(false);
  });

  test("an unknown capability is a usage error naming the flag", () => {
    expect(() => planContainer(baseOptions({ capAdd: ["SYS_FOO"] }))).toThrow(new UsageError('--cap-add: unknown capability "SYS_FOO"'));
  });

  test("NOFILE soft limit goes back to 1024 under the inherited hard limit; --ulimit wins", () => {
    const r = planContainer(baseOptions()).process.rlimits;
    expect(r).toEqual([{ type: "nofile", resource: 7, soft: 1024, hard: 4096 }]);
    const small = planContainer(baseOptions({ nofileHard: 512 })).process.rlimits;
    expect(small[0]!.soft).toBe(512);
    const mine = planContainer(baseOptions({ ulimits: [{ type: "nofile", resource: 7, soft: 10, hard: 20 }] })).process.rlimits;
    expect(mine).toEqual([{ type: "nofile", resource: 7, soft: 10, hard: 20 }]);
  });

  test("the dry-run text names every namespace, mount and the process", () => {
    const text = formatPlan(planContainer(baseOptions({ args: ["echo", "hi"] })));
    expect(text).toContain("pid     new");
    expect(text).toContain("pivot_root /var/lib/ctr/r");
    expect(text).toContain("mount proc on /proc (nosuid,nodev,noexec)");
    expect(text).toContain("mask /proc/kcore");
    expect(text).toContain('args: ["echo","hi"]');
    expect(text).toContain("CAP_NET_BIND_SERVICE");
  });
});
