// The process model, from outside: seccomp as Docker's default profile has it, the native stage
// and monitor unwritable from inside a container, nothing of a start written outside the state
// root, and nothing left behind when ctr is SIGKILLed at any moment of a start.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { CTR, ctr, haveBinary, isRoot, monitorsOf, pidsWithMarker, testCgroupParent, uniqueMarker, waitFor } from "../helpers/cli";
import { BUSYBOX, makeBusyboxRootfs, removeRootfs } from "../helpers/rootfs";

const PROBE = path.resolve(import.meta.dir, "../../dist/ctr-probe");
const STAGE = path.resolve(import.meta.dir, "../../dist/ctr-stage.bin");
const enabled = isRoot && haveBinary && BUSYBOX !== undefined && fs.existsSync(PROBE);
let R = "";
const { parent: PARENT, leftovers } = testCgroupParent("stage");
const run = (args: string[], opts?: Parameters<typeof ctr>[1]) => ctr(["run", "--rootfs", R, "--cgroup-parent", PARENT, ...args], opts);
const probe = async (flags: string[], ...verb: string[]) => {
  const r = await run([...flags, "/probe", ...verb]);
  expect(r.stderr).toBe("");
  return r.stdout.trim();
};
const sha = (b: Uint8Array) => createHash("sha256").update(b).digest("hex");
const hostMountsUnder = (dir: string) => fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.split(" ")[4]?.startsWith(dir));

describe.skipIf(!enabled)("the native stage and monitor", () => {
  beforeAll(() => {
    R = makeBusyboxRootfs();
    fs.copyFileSync(PROBE, `${R}/probe`);
    fs.chmodSync(`${R}/probe`, 0o755);
  });
  afterAll(async () => {
    expect(hostMountsUnder(R)).toEqual([]);
    // A SIGKILLed ctr's monitor takes its container down on its own, a moment later.
    expect(await waitFor(() => leftovers().length === 0, 10000), leftovers().join(" ")).toBe(true);
    removeRootfs(R);
  });

  describe("seccomp: Docker's default profile", () => {
    test("is on by default: unshare, mount, keyctl, kexec_load and namespace clones are refused", async () => {
      expect((await run(["grep", "^Seccomp:", "/proc/self/status"])).stdout).toBe("Seccomp:\t2\n");
      for (const verb of ["unshare-user", "unshare-mount", "mount-tmpfs", "keyctl", "kexec-load", "clone-newuser"]) {
        expect(await probe([], verb), verb).toBe("EPERM");
      }
      // Allowed syscalls still work, and personality only with the values Docker allows.
      expect(await probe([], "personality", "0xffffffff")).toBe("ok");
      expect(await probe([], "personality", "0x0040000")).toBe("EPERM");
    });

    test("ptrace reaches no process outside the container", async () => {
      // A host pid means nothing in the container's pid namespace.
      expect(await probe([], "ptrace", String(process.pid))).toBe("ESRCH");
    });

    test("--security-opt seccomp=unconfined and --privileged lift it", async () => {
      expect((await run(["--security-opt", "seccomp=unconfined", "grep", "^Seccomp:", "/proc/self/status"])).stdout).toBe("Seccomp:\t0\n");
      expect(await probe(["--security-opt", "seccomp=unconfined"], "keyctl")).toBe("ok");
      expect(await probe(["--security-opt", "seccomp=unconfined"], "unshare-user")).toBe("ok");
      // Without CAP_SYS_ADMIN, mount is still refused: by the capability, not the filter.
      expect(await probe(["--security-opt", "seccomp=unconfined"], "mount-tmpfs")).toBe("EPERM");
      expect(await probe(["--privileged"], "mount-tmpfs")).toBe("ok");
      expect(await probe(["--privileged"], "keyctl")).toBe("ok");
    });

    test("capabilities open what Docker's profile ties to them: CAP_SYS_ADMIN allows mount", async () => {
      expect(await probe(["--cap-add", "SYS_ADMIN"], "mount-tmpfs")).toBe("ok");
      expect(await probe(["--cap-add", "SYS_ADMIN"], "kexec-load")).toBe("EPERM");
    });

    test("a profile file in Docker's format: an errno action works; a bad profile is refused before anything starts", async () => {
      const dir = fs.mkdtempSync(path.join(path.dirname(R), "ctr-test-seccomp-"));
      try {
        fs.writeFileSync(`${dir}/p.json`, JSON.stringify({ defaultAction: "SCMP_ACT_ALLOW", syscalls: [{ names: ["mkdir", "mkdirat"], action: "SCMP_ACT_ERRNO", errnoRet: 38 }] }));
        expect(await probe(["--security-opt", `seccomp=${dir}/p.json`], "mkdir", "/tmp/x")).toBe("ENOSYS");
        expect(await probe(["--security-opt", `seccomp=${dir}/p.json`], "keyctl")).toBe("ok");
        fs.writeFileSync(`${dir}/bad.json`, JSON.stringify({ defaultAction: "SCMP_ACT_BOGUS" }));
        const bad = await run(["--security-opt", `seccomp=${dir}/bad.json`, "true"]);
        expect(bad.code).toBe(125);
        expect(bad.stderr).toContain(`seccomp profile ${dir}/bad.json: invalid at defaultAction: unknown action "SCMP_ACT_BOGUS"`);
      } finally {
        fs.rmSync(dir, { recursive: true, force: true });
      }
    });
  });

  describe("the stage binary", () => {
    test("runs from a sealed memfd that nothing in a container can write (CVE-2019-5736), not even as root with every capability", async () => {
      const want = sha(fs.readFileSync(STAGE));
      const ctrBefore = sha(fs.readFileSync(CTR));
      // With --init the stage stays PID 1: its /proc/1/exe is the memfd.
      for (const flags of [["--init"], ["--init", "--privileged"]]) {
        const marker = uniqueMarker();
        const proc = Bun.spawn([CTR, "run", "--rootfs", R, "--cgroup-parent", PARENT, ...flags, "sh", "-c", `/probe write-exe 1; exec sleep ${marker}`], { stdout: "pipe", stderr: "pipe" });
        try {
          const answer = new TextDecoder().decode((await proc.stdout.getReader().read()).value).trim();
          // Non-dumpable: refused at open without CAP_SYS_PTRACE. With it: a running executable
          // is never opened for writing (ETXTBSY), and the memfd's seals refuse every write.
          expect(answer, flags.join(" ")).toBe(flags.includes("--privileged") ? "ETXTBSY" : "EACCES");
          expect(await waitFor(() => pidsWithMarker(marker).length === 1)).toBe(true);
          const [sleeper] = pidsWithMarker(marker);
          const pid1 = Number(fs.readFileSync(`/proc/${sleeper}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
          expect(fs.readlinkSync(`/proc/${pid1}/exe`)).toMatch(/^\/memfd:ctr-stage/);
          expect(sha(fs.readFileSync(`/proc/${pid1}/exe`))).toBe(want);
        } finally {
          proc.kill("SIGKILL");
          await proc.exited;
        }
      }
      expect(sha(fs.readFileSync(CTR))).toBe(ctrBefore);
    });

    test("its monitor is single-threaded and holds no memfd; the container sees none of the monitor's fds", async () => {
      const marker = uniqueMarker();
      const proc = Bun.spawn([CTR, "run", "--rootfs", R, "--cgroup-parent", PARENT, "sh", "-c", `ls /proc/self/fd; exec sleep ${marker}`], { stdout: "pipe", stderr: "pipe" });
      try {
        const fds = new TextDecoder().decode((await proc.stdout.getReader().read()).value).trim().split("\n");
        expect(fds).toEqual(["0", "1", "2", "3"]);
        const [monitor] = monitorsOf(proc.pid);
        expect(monitor).toBeDefined();
        expect(fs.readFileSync(`/proc/${monitor}/status`, "utf8")).toMatch(/^Threads:\t1$/m);
        const own = fs.readdirSync(`/proc/${monitor}/fd`).map((fd) => fs.readlinkSync(`/proc/${monitor}/fd/${fd}`));
        expect(own.filter((t) => t.startsWith("/memfd:"))).toEqual([]);
      } finally {
        proc.kill("SIGKILL");
        await proc.exited;
      }
    });

    test("a start writes nothing outside the state root: no file in /tmp, /var/tmp, /dev/shm or /run", async () => {
      const places = ["/tmp", "/var/tmp", "/dev/shm", "/run"];
      const snapshot = () => places.flatMap((d) => (fs.existsSync(d) ? fs.readdirSync(d).filter((n) => !n.startsWith("ctr-test-")).map((n) => `${d}/${n}`) : [])).sort();
      const before = snapshot();
      for (const flags of [[], ["--init"], ["-t"], ["-m", "32m"]]) expect((await run([...flags, "true"])).code).toBe(0);
      expect(snapshot()).toEqual(before);
    });
  });

  test("SIGKILL of ctr at any moment of a start leaves no mount, cgroup, process or state directory", async () => {
    const root = process.env.CTR_ROOT!;
    const containers = () => (fs.existsSync(`${root}/containers`) ? fs.readdirSync(`${root}/containers`) : []);
    const before = containers();
    // From before the plan to well after the container runs: every few hundred microseconds.
    for (let i = 0; i < 24; i++) {
      const marker = uniqueMarker();
      const proc = Bun.spawn([CTR, "run", "--rm", "--rootfs", R, "--cgroup-parent", PARENT, "-m", "32m", "--init", "sh", "-c", `exec sleep ${marker}`], { stdout: "ignore", stderr: "ignore" });
      await Bun.sleep(i * 0.7);
      proc.kill("SIGKILL");
      await proc.exited;
      expect(await waitFor(() => pidsWithMarker(marker).length === 0 && monitorsOf(proc.pid).length === 0, 10000), `run ${i}: processes`).toBe(true);
    }
    expect(await waitFor(() => leftovers().length === 0, 10000)).toBe(true);
    expect(hostMountsUnder(R)).toEqual([]);
    // The monitor's exit command removes what a killed ctr could not: no directory whose monitor
    // ever ran stays. (A ctr killed before it spawned one leaves only a directory without pids.)
    const left = () => containers().filter((id) => !before.includes(id) && fs.existsSync(`${root}/containers/${id}/monitor.pid`));
    expect(await waitFor(() => left().length === 0, 10000), left().join(" ")).toBe(true);
    expect(fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).filter((p) => {
      try {
        return fs.readFileSync(`/proc/${p}/cmdline`, "utf8").startsWith("ctr\0monitor\0");
      } catch {
        return false;
      }
    })).toEqual([]);
  });
});
