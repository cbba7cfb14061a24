// Resource limits on the real kernel. The same file runs on this host (cgroup v1, hybrid) and,
// from .ci/run, inside a VM with a pure cgroup v2 hierarchy (shared/tools/cgv2-vm).
// Every test uses its own --cgroup-parent, so it never touches a cgroup it did not create.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { CTR, ctr, monitorsOf, haveBinary, isRoot, pidsWithMarker, testCgroupParent, uniqueMarker, waitFor } from "../helpers/cli";
import { BUSYBOX, makeBusyboxRootfs, removeRootfs } from "../helpers/rootfs";
import { detectCgroupHost } from "../../src/cgroups/host";

const enabled = isRoot && haveBinary && BUSYBOX !== undefined && fs.existsSync("/sys/fs/cgroup");
const { parent: PARENT, leftovers } = testCgroupParent("cgroups");
const host = enabled ? detectCgroupHost() : null;
let R = "";
const run = (args: string[], opts?: Parameters<typeof ctr>[1]) => ctr(["run", "--rootfs", R, "--cgroup-parent", PARENT, ...args], opts);

/** The container's cgroup directory for a controller, from /proc/<pid>/cgroup as the host sees it. */
function cgroupDir(pid: number, controller: string): string {
  const lines = fs.readFileSync(`/proc/${pid}/cgroup`, "utf8").trim().split("\n");
  if (host!.version === "v2") return `${host!.mounts[controller]}${lines.find((l) => l.startsWith("0::"))!.slice(3)}`;
  const line = lines.find((l) => l.split(":")[1]!.split(",").includes(controller))!;
  return `${host!.mounts[controller]}${line.split(":")[2]}`;
}

describe.skipIf(!enabled)(`resource limits (cgroup ${host?.version})`, () => {
  beforeAll(() => {
    R = makeBusyboxRootfs();
  });
  afterAll(() => {
    removeRootfs(R);
    expect(leftovers()).toEqual([]);
  });

  test("a host device outside the allow list cannot be opened, even after mknod (the devices cgroup / eBPF filter)", async () => {
    // A device outside the allow list that root on this host can open (so the refusal inside is
    // the filter's): cpu_dma_latency (CPU power management while held open), loop-control, the
    // kernel log, fuse, whichever this kernel has.
    // Its numbers are read from the host's node (misc devices' minors differ between kernels).
    const candidates = ["/dev/cpu_dma_latency", "/dev/loop-control", "/dev/kmsg", "/dev/fuse"];
    const probe = candidates.flatMap((p) => {
      try {
        fs.closeSync(fs.openSync(p, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
        const rdev = fs.statSync(p).rdev;
        return [`c ${Math.floor(rdev / 256) & 0xfff} ${(rdev & 0xff) | (Math.floor(rdev / 4096) & ~0xff)}`];
      } catch {
        return [];
      }
    })[0];
    expect(probe, "no probe device on this host").toBeDefined();
    const script = `mknod /dev/probe ${probe} && dd if=/dev/probe of=/dev/null bs=1 count=0 && echo opened; rm -f /dev/probe; echo x > /dev/null && echo null-ok`;
    const confined = await run(["sh", "-c", script]);
    expect(confined.stderr).toContain("can't open '/dev/probe': Operation not permitted");
    expect(confined.stdout).toBe("null-ok\n");
    // --privileged has no device filter: the same device opens, so the refusal above was the filter.
    const privileged = await run(["--privileged", "sh", "-c", script]);
    expect(privileged.stdout).toBe("opened\nnull-ok\n");
    // The allow list keeps ptys working.
    const pty = await run(["-t", "sh", "-c", "tty"]);
    expect(pty.stdout).toMatch(/^\/dev\/pts\/0/);
  });

  test("a process that allocates past -m 32m is OOM-killed, and ctr says so with 137", async () => {
    const r = await run(["-m", "32m", "dd", "if=/dev/zero", "of=/dev/null", "bs=64M", "count=1"]);
    expect(r.code).toBe(137);
    expect(r.stderr).toBe("ctr: container killed: out of memory (limit 32 MiB)\n");
    expect(leftovers()).toEqual([]);
  });

  test("--pids-limit 20: the 21st task cannot be forked", async () => {
    const r = await run(["--pids-limit", "20", "sh", "-c", "i=0; while [ $i -lt 30 ]; do sleep 5 & i=$((i+1)); echo $i > /tmp/started; done"]);
    expect(r.stderr).toContain("can't fork");
    // sh itself plus 19 sleeps make 20 tasks.
    expect(fs.readFileSync(path.join(R, "tmp/started"), "utf8")).toBe("19\n");
  });

  test("--cpus 0.5 holds a busy loop near half a core", async () => {
    const r = await run(["--cpus", "0.5", "sh", "-c", "time timeout 2 sh -c 'while :; do :; done'"]);
    const user = Number(/user\s+0m\s*([\d.]+)s/.exec(r.stderr)?.[1]);
    const sys = Number(/sys\s+0m\s*([\d.]+)s/.exec(r.stderr)?.[1]);
    expect(user + sys).toBeGreaterThan(0.6);
    expect(user + sys).toBeLessThan(1.3);
  });

  test("--cpuset-cpus 0 pins the container, or says the host has no cpuset controller", async () => {
    const r = await run(["--cpuset-cpus", "0", "grep", "Cpus_allowed_list", "/proc/self/status"]);
    if (host!.controllers.includes("cpuset")) {
      expect(r.stdout).toBe("Cpus_allowed_list:\t0\n");
    } else {
      expect(r.code).toBe(125);
      expect(r.stderr).toContain("--cpuset-cpus: the cpuset controller is not available on this host");
    }
  });

  test("the values written are the ones each flag asks for", async () => {
    const marker = uniqueMarker();
    const proc = Bun.spawn([CTR, "run", "--rootfs", R, "--cgroup-parent", PARENT, "-m", "64m", "--pids-limit", "50", "--cpus", "0.5", "--cpu-shares", "512", "sh", "-c", `exec sleep ${marker}`], { stdout: "ignore", stderr: "pipe" });
    const started = await Promise.race([waitFor(() => pidsWithMarker(marker).length > 0), proc.exited.then(() => false)]);
    if (!started) throw new Error(`the container did not start: ${await new Response(proc.stderr).text()}`);
    const pid = pidsWithMarker(marker)[0]!;
    const read = (controller: string, file: string) => fs.readFileSync(`${cgroupDir(pid, controller)}/${file}`, "utf8").trim();
    if (host!.version === "v2") {
      expect(read("memory", "memory.max")).toBe(String(64 * 1024 ** 2));
      expect(read("pids", "pids.max")).toBe("50");
      expect(read("cpu", "cpu.max")).toBe("50000 100000");
      expect(read("cpu", "cpu.weight")).toBe("20");
    } else {
      expect(read("memory", "memory.limit_in_bytes")).toBe(String(64 * 1024 ** 2));
      expect(read("pids", "pids.max")).toBe("50");
      expect(read("cpu", "cpu.cfs_quota_us")).toBe("50000");
      expect(read("cpu", "cpu.cfs_period_us")).toBe("100000");
      expect(read("cpu", "cpu.shares")).toBe("512");
    }
    // Inside, the cgroup namespace makes the container's own cgroup its root.
    expect(cgroupDir(pid, "memory")).toContain(PARENT);
    process.kill(pid, "SIGKILL");
    expect(await proc.exited).toBe(137);
    expect(leftovers()).toEqual([]);
  });

  test("the container sees its own cgroup as / (cgroup namespace)", async () => {
    const r = await run(["cat", "/proc/self/cgroup"]);
    for (const line of r.stdout.trim().split("\n")) expect(line.split(":")[2]).toBe("/");
  });

  test("a bad value or a flag the host cannot honour fails before anything starts, leaving nothing", async () => {
    const bad = await run(["-m", "12q", "true"]);
    expect(bad).toEqual({ code: 125, stdout: "", stderr: 'ctr: --memory: invalid size "12q": use a number with an optional unit b, k, m, g or t\n' });
    const cpus = await run(["--cpuset-cpus", "63", "true"]);
    expect(cpus.code).toBe(125);
    expect(cpus.stderr).toContain("--cpuset-cpus");
    const user = await run(["-m", "32m", "-u", "ghost", "true"]); // fails inside the init, after the cgroup exists
    expect(user.code).toBe(125);
    expect(leftovers()).toEqual([]);
  });

  test("lingering processes are killed and the cgroup removed when PID 1 exits", async () => {
    const r = await run(["sh", "-c", "sleep 30 & sleep 30 & exit 4"]);
    expect(r.code).toBe(4);
    expect(leftovers()).toEqual([]);
  });

  test("after ctr is SIGKILLed, its monitor stops the container and removes the cgroup", async () => {
    const marker = uniqueMarker();
    const proc = Bun.spawn([CTR, "run", "--rootfs", R, "--cgroup-parent", PARENT, "-m", "32m", "sh", "-c", `exec sleep ${marker}`], { stdout: "ignore", stderr: "ignore" });
    expect(await waitFor(() => pidsWithMarker(marker).length > 0)).toBe(true);
    expect(leftovers().length).toBeGreaterThan(0); // the container's cgroup, while it runs
    proc.kill("SIGKILL");
    await proc.exited;
    expect(await waitFor(() => pidsWithMarker(marker).length === 0)).toBe(true);
    expect(await waitFor(() => leftovers().length === 0)).toBe(true);
  });

  test("after ctr and its monitor are both SIGKILLed, the next ctr run removes the stale cgroup", async () => {
    const marker = uniqueMarker();
    const proc = Bun.spawn([CTR, "run", "--rootfs", R, "--cgroup-parent", PARENT, "-m", "32m", "sh", "-c", `exec sleep ${marker}`], { stdout: "ignore", stderr: "ignore" });
    expect(await waitFor(() => pidsWithMarker(marker).length > 0)).toBe(true);
    const monitors = monitorsOf(proc.pid);
    expect(monitors).toHaveLength(1);
    process.kill(monitors[0]!, "SIGKILL");
    proc.kill("SIGKILL");
    await proc.exited;
    // PID 1 dies with its monitor (its parent-death signal), and the PID namespace with it.
    expect(await waitFor(() => pidsWithMarker(marker).length === 0)).toBe(true);
    expect(leftovers().length).toBeGreaterThan(0); // nobody could remove it yet
    const next = await run(["true"], { env: { CTR_STALE_CGROUP_AGE: "0" } });
    expect(next.code).toBe(0);
    expect(leftovers()).toEqual([]);
  });
});
