import { describe, expect, test } from "bun:test";
import { SysError } from "../../src/errors";
import { mountFlagsToString } from "../../src/mounts";
import { applyRootfs } from "../../src/rootfs";
import { applyCredentials } from "../../src/credentials";
import { planContainer } from "../../src/plan/plan";
import { capMask, capNumber } from "../../src/capabilities";
import { FakeSys } from "../helpers/fake-sys";
import { baseOptions } from "../helpers/options";

describe("errors and the syscall seam", () => {
  test("a SysError names the syscall, what it acted on and the errno", () => {
    const e = new SysError("mount", 1, "proc on /proc", "flags=MS_NOSUID");
    expect(e.message).toBe("mount proc on /proc (flags=MS_NOSUID): EPERM (Operation not permitted)");
    expect(e.code).toBe("EPERM");
  });
  test("mount flags print by name", () => {
    expect(mountFlagsToString(0x1000 | 0x4000)).toBe("MS_BIND|MS_REC");
    expect(mountFlagsToString(0)).toBe("0");
  });
  test("pivot_root: chdir into the rootfs, pivot . onto ., detach the old root, chdir /", () => {
    const sys = new FakeSys();
    applyRootfs(sys, [{ op: "pivot_root", rootfs: "/r" }], () => {});
    expect(sys.calls).toEqual([
      { call: "chdir", args: ["/r"] },
      { call: "pivotRoot", args: [".", "."] },
      { call: "umount2", args: [".", 2] },
      { call: "chdir", args: ["/"] },
    ]);
  });
  test("a failing mount stops the rootfs setup with that error", () => {
    const sys = new FakeSys().failOn("mount", "EBUSY", 2);
    const ops = planContainer(baseOptions()).rootfs.slice(0, 1);
    ops.push({ op: "mount", source: "x", target: "/r/x", fstype: null, flags: ["BIND"], data: null }, { op: "pivot_root", rootfs: "/r" });
    expect(() => applyRootfs(sys, ops, () => {})).toThrow("EBUSY");
    expect(sys.names()).toEqual(["mount", "mount"]);
  });
});

describe("credentials", () => {
  const proc = planContainer(baseOptions()).process;
  test("drops the bounding set before switching ids, then sets caps and no_new_privs", () => {
    const sys = new FakeSys();
    applyCredentials(sys, proc, { uid: 0, gid: 0, home: "/root" }, false);
    const names = sys.names();
    const firstSetuid = names.indexOf("setresuid");
    expect(names.lastIndexOf("capBoundingDrop")).toBeLessThan(firstSetuid);
    expect(names.indexOf("setgroups")).toBeLessThan(names.indexOf("setresgid"));
    expect(sys.calls.find((c) => c.call === "setgroups")!.args).toEqual([[]]);
    const capset = sys.calls.find((c) => c.call === "capset")!.args[0] as { effective: bigint; inheritable: bigint };
    expect(capset.effective).toBe(capMask(proc.capabilities.effective));
    expect(capset.inheritable).toBe(0n);
    expect(sys.bounding.size).toBe(14);
    expect(sys.calls.some((c) => c.call === "prctl" && c.args[2] === "PR_SET_NO_NEW_PRIVS")).toBe(true);
  });
  test("a non-root user keeps no capabilities", () => {
    const sys = new FakeSys();
    applyCredentials(sys, proc, { uid: 1000, gid: 1000, home: "/" }, false);
    const capset = sys.calls.find((c) => c.call === "capset")!.args[0] as { effective: bigint; permitted: bigint; inheritable: bigint };
    expect(capset).toEqual({ effective: 0n, permitted: 0n, inheritable: 0n });
  });
  test("a capability the host withholds is an error, except under --privileged", () => {
    const sys = new FakeSys();
    sys.bounding.delete(capNumber("SYS_RESOURCE"));
    const wants = planContainer(baseOptions({ capAdd: ["SYS_RESOURCE"] })).process;
    expect(() => applyCredentials(sys, wants, { uid: 0, gid: 0, home: "/" }, false)).toThrow("CAP_SYS_RESOURCE not in ctr's own bounding set");
    const priv = planContainer(baseOptions({ privileged: true })).process;
    expect(() => applyCredentials(new FakeSys(), priv, { uid: 0, gid: 0, home: "/" }, true)).not.toThrow();
  });
});
