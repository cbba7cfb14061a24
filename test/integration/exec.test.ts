// `ctr exec` into a running container: its namespaces, cgroup, root, user, capabilities and
// seccomp filter; exit codes; -e -w -u -d -i -t --privileged; a container that ends mid-exec;
// SIGKILL of ctr during an exec.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { CTR, haveBinary, isRoot, pidsWithMarker, uniqueMarker, waitFor } from "../helpers/cli";
import { BUSYBOX } from "../helpers/rootfs";
import { importBusybox, testRoot } from "../helpers/containers";

const enabled = isRoot && haveBinary && BUSYBOX !== undefined && fs.existsSync(`${import.meta.dir}/../../dist/ctr-probe`);
const PROBE = `${import.meta.dir}/../../dist/ctr-probe`;
const t = testRoot("exec");
const { c, run } = t;
let ID = "";

const readlink = (p: string) => fs.readlinkSync(p);

describe.skipIf(!enabled)("ctr exec (root, real kernel)", () => {
  beforeAll(async () => {
    await importBusybox(t);
    const r = await run(["-d", "--name", "box", "-e", "FROM_RUN=1", "-w", "/tmp", "-v", `${PROBE}:/probe:ro`, "busybox", "sleep", uniqueMarker()]);
    if (r.code !== 0) throw new Error(r.stderr);
    ID = r.stdout.trim();
  });
  afterAll(async () => {
    await t.cleanup();
    expect(await waitFor(() => t.leftovers().length === 0, 10000), t.leftovers().join(" ")).toBe(true);
  });

  test("joins the container's namespaces, cgroup and root; exits with the command's code", async () => {
    const init = JSON.parse((await c(["inspect", "box"])).stdout)[0].State.Pid as number;
    const r = await c(["exec", "box", "sh", "-c", "for n in mnt uts ipc pid net cgroup; do readlink /proc/self/ns/$n; done; cat /proc/self/cgroup; ps -o pid,comm"]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    const ns = ["mnt", "uts", "ipc", "pid", "net", "cgroup"].map((n) => readlink(`/proc/${init}/ns/${n}`));
    expect(lines.slice(0, 6)).toEqual(ns);
    // Its cgroup namespace roots at the container's cgroup: the exec is in the container's own.
    expect(lines.slice(6).filter((l) => /^\d+:/.test(l)).every((l) => l.endsWith(":/"))).toBe(true);
    // PID 1 is the container's sleep; the exec sees only the container's processes.
    expect(lines.find((l) => /^\s*1\s/.test(l))).toMatch(/sleep/);
    expect((await c(["exec", "box", "sh", "-c", "exit 9"])).code).toBe(9);
    const missing = await c(["exec", "box", "nosuchcommand"]);
    expect(missing.code).toBe(127);
    expect(missing.stderr).toContain("nosuchcommand");
    const notExec = await c(["exec", "box", "/etc/passwd"]);
    expect(notExec.code).toBe(126);
  });

  test("the container's environment and working directory, with -e and -w on top; -u", async () => {
    const r = await c(["exec", "-e", "EXTRA=2", "box", "sh", "-c", "echo $FROM_RUN $EXTRA $(pwd); id -u"]);
    expect(r.stdout).toBe("1 2 /tmp\n0\n");
    expect((await c(["exec", "-w", "/etc", "box", "pwd"])).stdout).toBe("/etc\n");
    expect((await c(["exec", "-u", "app", "box", "sh", "-c", "id -un; id -gn"])).stdout).toBe("app\napp\n");
    expect((await c(["exec", "-u", "1234:5", "box", "sh", "-c", "id -u; id -g"])).stdout).toBe("1234\n5\n");
  });

  test("the container's capabilities and seccomp filter apply; --privileged gives every capability", async () => {
    const caps = (await c(["exec", "box", "grep", "CapEff", "/proc/self/status"])).stdout;
    expect(caps).toBe("CapEff:\t00000000a80425fb\n");
    const priv = (await c(["exec", "--privileged", "box", "grep", "CapEff", "/proc/self/status"])).stdout;
    expect(priv).not.toBe(caps);
    // unshare is refused by Docker's default profile (the probe prints the errno).
    const u = await c(["exec", "box", "/probe", "unshare-mount"]);
    expect(u.stdout).toMatch(/EPERM/);
    expect((await c(["exec", "box", "grep", "NoNewPrivs", "/proc/self/status"])).stdout).toBe("NoNewPrivs:\t1\n");
  });

  test("stdin with -i, through pipes; nothing without it", async () => {
    expect((await c(["exec", "-i", "box", "cat"], { stdin: "piped\n" })).stdout).toBe("piped\n");
    expect((await c(["exec", "box", "cat"], { stdin: "ignored\n" })).stdout).toBe("");
  });

  test("-t without a terminal for stdin is refused as Docker does; -d returns at once", async () => {
    const r = await c(["exec", "-it", "box", "true"], { stdin: "" });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe("ctr: the input device is not a TTY\n");
    const marker = uniqueMarker();
    const d = await c(["exec", "-d", "box", "sleep", marker]);
    expect(d).toMatchObject({ code: 0, stdout: "" });
    expect(pidsWithMarker(marker).length).toBe(1);
    expect((await c(["top", "box"])).stdout).toContain(`sleep ${marker}`);
  });

  test("a pty with -t: the command sees a terminal", async () => {
    const r = Bun.spawnSync(["script", "-qec", `${CTR} exec -it box sh -c 'tty; echo $TERM'`, "/dev/null"], { env: { ...process.env, ...t.env }, stdin: "ignore" });
    const out = r.stdout.toString().replace(/\r/g, "");
    expect(out).toMatch(/\/dev\/pts\/\d+\n/);
    expect(out).toContain("xterm");
  });

  test("a container that exits mid-exec ends the exec; nothing hangs", async () => {
    const marker = uniqueMarker();
    const id = (await run(["-d", "busybox", "sleep", marker])).stdout.trim();
    const execMarker = uniqueMarker();
    const exec = Bun.spawn([CTR, "exec", id, "sleep", execMarker], { env: { ...process.env, ...t.env }, stdout: "ignore", stderr: "ignore" });
    expect(await waitFor(() => pidsWithMarker(execMarker).length === 1)).toBe(true);
    process.kill(pidsWithMarker(marker)[0]!, "SIGKILL");
    const code = await Promise.race([exec.exited, Bun.sleep(5000).then(() => "hung")]);
    expect(code).toBe(137);
    expect(pidsWithMarker(execMarker)).toEqual([]);
    expect((await c(["exec", id, "true"])).code).toBe(125);
    await c(["rm", id]);
  });

  test("SIGKILL of ctr during an exec: the exec'd process goes too; the container stays", async () => {
    for (let i = 0; i < 8; i++) {
      const marker = uniqueMarker();
      const exec = Bun.spawn([CTR, "exec", "box", "sleep", marker], { env: { ...process.env, ...t.env }, stdout: "ignore", stderr: "ignore" });
      await Bun.sleep(i * 3);
      exec.kill("SIGKILL");
      await exec.exited;
      expect(await waitFor(() => pidsWithMarker(marker).length === 0, 5000), `kill ${i}`).toBe(true);
    }
    expect((await c(["inspect", "-f", "{{.State.Status}}", "box"])).stdout).toBe("running\n");
  });

  test("exec into a stopped or unknown container", async () => {
    const stopped = (await run(["busybox", "true"])).code;
    expect(stopped).toBe(0);
    const id = (await c(["ps", "-lq"])).stdout.trim();
    const r = await c(["exec", id, "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("is not running");
    const none = await c(["exec", "nosuch", "true"]);
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("no such container: nosuch");
    await c(["rm", id]);
  });
});
