import { describe, expect, test } from "bun:test";
import { describeHost, parseCgroupMounts } from "../../src/cgroups/host";
import { planCgroup } from "../../src/cgroups/plan";
import { parseResources, parseSize, sharesToWeight, v1Writes, v2Writes } from "../../src/cgroups/resources";
import { planContainer } from "../../src/plan/container";
import { formatProgram } from "../../src/stage/format";
import { containerProgram } from "../../src/stage/program";
import { CAPABILITIES } from "../../src/capabilities";
import { baseOptions } from "../helpers/options";

const HYBRID = `30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755
31 30 0:28 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct
33 30 0:30 / /sys/fs/cgroup/cpuset rw,relatime - cgroup cgroup rw,cpuset
34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory
38 30 0:35 / /sys/fs/cgroup/pids rw,relatime - cgroup cgroup rw,pids
37 30 0:34 / /sys/fs/cgroup/blkio rw,relatime - cgroup cgroup rw,blkio
39 30 0:36 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,xattr,name=systemd
40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw`;
const UNIFIED = "25 22 0:23 / /sys/fs/cgroup rw,nosuid - cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot";
const files: Record<string, string> = {
  "/sys/devices/system/cpu/online": "0-3\n",
  "/sys/fs/cgroup/cgroup.controllers": "cpu io memory pids\n",
  "/sys/fs/cgroup/cgroup.subtree_control": "memory pids\n",
};
const read = (p: string) => files[p] ?? null;
const v1 = describeHost(HYBRID, read);
const v2 = describeHost(UNIFIED, read);
const ID = "f".repeat(64);
const deviceNumber = () => ({ major: 8, minor: 0 });
const resources = (f: Parameters<typeof parseResources>[0]) => parseResources(f, { hostCpus: 4, deviceNumber });

describe("cgroup host detection", () => {
  test("a hybrid host (v1 controllers, a cgroup2 tree beside them) is v1; co-mounted controllers share a mount", () => {
    expect(v1.version).toBe("v1");
    expect(v1.mounts.cpu).toBe("/sys/fs/cgroup/cpu,cpuacct");
    expect(v1.mounts.cpuacct).toBe("/sys/fs/cgroup/cpu,cpuacct");
    expect(v1.controllers).not.toContain("name=systemd");
    expect(parseCgroupMounts(HYBRID).v2).toBe("/sys/fs/cgroup/unified");
  });
  test("a pure unified host is v2, with the root's controllers", () => {
    expect(v2).toEqual({
      version: "v2",
      mounts: { cpu: "/sys/fs/cgroup", io: "/sys/fs/cgroup", memory: "/sys/fs/cgroup", pids: "/sys/fs/cgroup" },
      controllers: ["cpu", "io", "memory", "pids"],
      rootSubtree: ["memory", "pids"],
      cpus: "0-3",
      mems: "0",
    });
  });
});

describe("resource flags", () => {
  test("sizes use Docker's binary units; bad ones name the flag", () => {
    expect(parseSize("64m", "-m")).toBe(64 * 1024 ** 2);
    expect(parseSize("1.5g", "-m")).toBe(1.5 * 1024 ** 3);
    expect(parseSize("512kb", "-m")).toBe(512 * 1024);
    expect(() => resources({ memory: "12q" })).toThrow('--memory: invalid size "12q"');
    expect(() => resources({ memory: "1m" })).toThrow("the minimum is 6m");
  });
  test("--cpus becomes quota over a 100 ms period, bounded by the host's CPUs", () => {
    expect(resources({ cpus: "1.5" })).toMatchObject({ cpuQuota: 150000, cpuPeriod: 100000 });
    expect(() => resources({ cpus: "8" })).toThrow("--cpus 8: this host has 4 CPUs");
    expect(() => resources({ cpus: "1", cpuQuota: "50000" })).toThrow("cannot be used together");
  });
  test("shares → weight with the runc/crun conversion", () => {
    expect(sharesToWeight(2)).toBe(1);
    expect(sharesToWeight(1024)).toBe(39);
    expect(sharesToWeight(262144)).toBe(10000);
  });
  test("v2 files and values", () => {
    const w = v2Writes(resources({ memory: "32m", cpus: "0.5", cpuShares: "512", pidsLimit: "20", blkioWeight: "300", deviceReadBps: ["/dev/sda:1m"], deviceWriteIops: ["/dev/sda:100"] }));
    expect(w.map((x) => `${x.file}=${x.value}`)).toEqual([
      "memory.max=33554432", "memory.swap.max=33554432", "cpu.max=50000 100000", "cpu.weight=20", "pids.max=20",
      "io.weight=default 300", "io.max=8:0 rbps=1048576 wiops=100",
    ]);
    expect(() => v2Writes(resources({ oomKillDisable: true }))).toThrow("--oom-kill-disable: cgroup v2 has no way");
    expect(v2Writes(resources({ memory: "32m", memorySwap: "-1" }))[1]!.value).toBe("max");
    expect(v2Writes(resources({ pidsLimit: "-1" }))[0]!.value).toBe("max");
  });
  test("v1 files and values", () => {
    const w = v1Writes(resources({ memory: "32m", memorySwap: "64m", memoryReservation: "16m", oomKillDisable: true, cpus: "0.5", cpuShares: "512", cpusetCpus: "0", pidsLimit: "0", deviceReadBps: ["/dev/sda:1m"] }));
    expect(w.map((x) => `${x.file}=${x.value}`)).toEqual([
      "memory.limit_in_bytes=33554432", "memory.memsw.limit_in_bytes=67108864", "memory.soft_limit_in_bytes=16777216",
      "memory.oom_control=1", "cpu.cfs_period_us=100000", "cpu.cfs_quota_us=50000", "cpu.shares=512", "cpuset.cpus=0",
      "pids.max=max", "blkio.throttle.read_bps_device=8:0 1048576",
    ]);
  });
});

describe("cgroup plan", () => {
  test("v2: one directory, controllers enabled down from the root, limits written in it", () => {
    const p = planCgroup(v2, ID, "/ctr", resources({ memory: "32m" }));
    expect(p.dirs).toEqual([{ path: "/sys/fs/cgroup/ctr", own: false }, { path: `/sys/fs/cgroup/ctr/${ID}`, own: true }]);
    expect(p.writes[0]).toEqual({ path: "/sys/fs/cgroup/cgroup.subtree_control", value: "+cpu +io", flag: "cgroup setup" });
    expect(p.writes[1]).toEqual({ path: "/sys/fs/cgroup/ctr/cgroup.subtree_control", value: "+memory +pids +cpu +io", flag: "cgroup setup" });
    expect(p.writes.at(-2)).toEqual({ path: `/sys/fs/cgroup/ctr/${ID}/memory.max`, value: "33554432", flag: "--memory" });
    expect(p.own).toEqual([`/sys/fs/cgroup/ctr/${ID}`]);
  });
  test("v1: a directory per hierarchy; cpuset directories get cpus and mems before tasks", () => {
    const p = planCgroup(v1, ID, "/ctr", resources({ pidsLimit: "20" }));
    expect(p.own).toEqual(["memory", "pids", "cpu,cpuacct", "blkio", "cpuset"].map((m) => `/sys/fs/cgroup/${m}/ctr/${ID}`));
    expect(p.writes).toContainEqual({ path: `/sys/fs/cgroup/cpuset/ctr/${ID}/cpuset.cpus`, value: "0-3", flag: "cgroup setup" });
    expect(p.writes.at(-1)).toEqual({ path: `/sys/fs/cgroup/pids/ctr/${ID}/pids.max`, value: "20", flag: "--pids-limit" });
  });
  test("what the host cannot honour is an error naming the flag", () => {
    expect(() => planCgroup(v2, ID, "/ctr", resources({ cpusetCpus: "0" }))).toThrow("--cpuset-cpus: the cpuset controller is not available on this host (cgroup v2: cpu io memory pids)");
    expect(() => planCgroup(v1, ID, "/ctr", resources({ cpusetCpus: "7" }))).toThrow("--cpuset-cpus 7: not available on this host (it has 0-3)");
    expect(() => planCgroup(v1, ID, "../x", {})).toThrow("--cgroup-parent: invalid path");
  });
  test("--cgroup-parent nests the container's cgroup", () => {
    expect(planCgroup(v2, ID, "/a/b", {}).dirs.map((d) => d.path)).toEqual(["/sys/fs/cgroup/a", "/sys/fs/cgroup/a/b", `/sys/fs/cgroup/a/b/${ID}`]);
  });
  test("--dry-run shows every cgroup file and value", () => {
    const plan = planContainer(baseOptions({ id: ID, resources: resources({ memory: "64m" }) }), v2);
    const program = containerProgram(plan, { available: [...CAPABILITIES], cgroups: v2 }, { flags: ["foreground"], pidfile: null, log: null, exitFile: null, exitCommand: null });
    const text = formatProgram(ID, plan.namespaces, program);
    expect(text).toContain(`mkdir /sys/fs/cgroup/ctr/${ID}`);
    expect(text).toContain(`write "67108864" to /sys/fs/cgroup/ctr/${ID}/memory.max`);
    expect(text).toContain(`clone3 the container's first process: CLONE_NEWNS|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWPID|CLONE_NEWNET, into /sys/fs/cgroup/ctr/${ID}`);
    expect(text).toContain(`rmdir /sys/fs/cgroup/ctr/${ID}`);
  });
});
