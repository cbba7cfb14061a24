// Containers that outlive `ctr run`: -d, names, ps, inspect, stop, kill, rm, wait, restart
// policies, create/start, pause, rename, prune, attach; and the crash cases: SIGKILL of ctr or of a
// monitor at any point, then the next command's reconciliation. Real kernel, real cgroups.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import { CTR, eventually, haveBinary, isRoot, pidsWithMarker, uniqueMarker, waitFor } from "../helpers/cli";
import { BUSYBOX } from "../helpers/rootfs";
import { importBusybox, testRoot } from "../helpers/containers";

const enabled = isRoot && haveBinary && BUSYBOX !== undefined;
const t = testRoot("lifecycle");
const { c, run } = t;

const status = async (ref: string) => (await c(["inspect", "-f", "{{.State.Status}}", ref])).stdout.trim();
const isPid = (pid: number) => fs.existsSync(`/proc/${pid}`);

describe.skipIf(!enabled)("container lifecycle (root, real kernel)", () => {
  beforeAll(async () => {
    await importBusybox(t);
  });
  afterAll(async () => {
    await t.cleanup();
    // The file's leak check: no cgroup, monitor or mount of its containers is left.
    expect(await waitFor(() => t.leftovers().length === 0, 10000), t.leftovers().join(" ")).toBe(true);
    expect(t.hostMounts()).toEqual([]);
  });

  test("run -d prints the full id once the command runs; ps, inspect, logs, stop, rm", async () => {
    const marker = uniqueMarker();
    const r = await run(["-d", "--name", "web", "--label", "tier=front", "busybox", "sh", "-c", `echo started; exec sleep ${marker}`]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^[0-9a-f]{64}\n$/);
    const id = r.stdout.trim();
    // Returned once CMD runs: the process is there now, not later.
    expect(pidsWithMarker(marker).length).toBe(1);
    const ps = await c(["ps", "--format", "{{.ID}} {{.Names}} {{.Image}} {{.Status}}"]);
    expect(ps.stdout).toMatch(new RegExp(`^${id.slice(0, 12)} web busybox Up `, "m"));
    const doc = JSON.parse((await c(["inspect", "web"])).stdout)[0];
    expect(doc.Id).toBe(id);
    expect(doc.Name).toBe("/web");
    expect(doc.State).toMatchObject({ Status: "running", Running: true, Paused: false, ExitCode: 0, OOMKilled: false });
    expect(doc.State.Pid).toBe(pidsWithMarker(marker)[0]);
    expect(doc.Config.Labels).toEqual({ tier: "front" });
    expect(await eventually(async () => (await c(["logs", "web"])).stdout === "started\n")).toBe(true);
    expect((await c(["logs", "web"])).stdout).toBe("started\n");
    // sleep as PID 1 ignores SIGTERM: stop waits -t seconds, then SIGKILL.
    const t0 = Date.now();
    expect((await c(["stop", "-t", "1", "web"])).stdout).toBe("web\n");
    expect(Date.now() - t0).toBeGreaterThanOrEqual(900);
    expect(pidsWithMarker(marker)).toEqual([]);
    expect((await c(["ps", "-q"])).stdout).not.toContain(id.slice(0, 12));
    const all = await c(["ps", "-a", "--filter", "name=web", "--format", "{{.Status}}"]);
    expect(all.stdout).toMatch(/^Exited \(137\) /);
    expect((await c(["inspect", "-f", "{{.State.ExitCode}} {{.State.Running}}", "web"])).stdout).toBe("137 false\n");
    expect((await c(["rm", "web"])).stdout).toBe("web\n");
    const gone = await c(["inspect", "web"]);
    expect(gone.code).toBe(1);
    expect(gone.stderr).toContain("no such object: web");
    expect(fs.existsSync(`${t.root}/containers/${id}`)).toBe(false);
  });

  test("20 concurrent run -d --name same: exactly one wins, the others fail with 125", async () => {
    const results = await Promise.all(Array.from({ length: 20 }, () => run(["-d", "--name", "same", "busybox", "sleep", uniqueMarker()])));
    const won = results.filter((r) => r.code === 0);
    expect(won.length).toBe(1);
    const id = won[0]!.stdout.trim();
    for (const r of results.filter((x) => x.code !== 0)) {
      expect(r.code).toBe(125);
      expect(r.stderr).toBe(`ctr: the name "same" is already in use by ${id}\n`);
    }
    // The losers left nothing: one directory, one container listed.
    expect(fs.readdirSync(`${t.root}/containers`).filter((d) => d === id || !d.startsWith(".")).length).toBe(1);
    expect((await c(["ps", "-aq"])).stdout.trim().split("\n")).toEqual([id.slice(0, 12)]);
    expect((await c(["rm", "-f", "same"])).code).toBe(0);
  });

  test("rm of a running container needs -f; rm -f kills it and leaves nothing", async () => {
    const marker = uniqueMarker();
    const id = (await run(["-d", "busybox", "sleep", marker])).stdout.trim();
    const refused = await c(["rm", id]);
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("stop it first, or use rm -f");
    expect(pidsWithMarker(marker).length).toBe(1);
    expect((await c(["rm", "-f", id])).code).toBe(0);
    expect(pidsWithMarker(marker)).toEqual([]);
    expect(fs.existsSync(`${t.root}/containers/${id}`)).toBe(false);
    expect(await waitFor(() => t.leftovers().filter((d) => d.includes(id)).length === 0)).toBe(true);
  });

  test("kill -s, wait prints the exit code; --stop-signal is used by stop", async () => {
    const id = (await run(["-d", "--stop-signal", "USR1", "busybox", "sh", "-c", "trap 'exit 42' USR1; while :; do sleep 0.05; done"])).stdout.trim();
    const waiting = c(["wait", id]);
    await Bun.sleep(100);
    expect((await c(["stop", id])).code).toBe(0);
    expect((await waiting).stdout).toBe("42\n");
    const k = (await run(["-d", "busybox", "sh", "-c", "trap 'exit 7' TERM; while :; do sleep 0.05; done"])).stdout.trim();
    await Bun.sleep(100);
    expect((await c(["kill", "-s", "TERM", k])).code).toBe(0);
    expect((await c(["wait", k])).stdout).toBe("7\n");
    const notRunning = await c(["kill", k]);
    expect(notRunning.code).toBe(1);
    expect(notRunning.stderr).toContain("is not running");
    await c(["rm", id, k]);
  });

  test("--restart on-failure:3 restarts exactly 3 times; always restarts after a crash but not after stop", async () => {
    const id = (await run(["-d", "--restart", "on-failure:3", "busybox", "sh", "-c", "echo run; exit 1"])).stdout.trim();
    expect(await eventually(async () => (await status(id)) === "exited" && (await c(["logs", id])).stdout === "run\n".repeat(4), 20000)).toBe(true);
    await Bun.sleep(1000); // nothing more comes
    expect((await c(["logs", id])).stdout).toBe("run\nrun\nrun\nrun\n");
    expect((await c(["inspect", "-f", "{{.RestartCount}} {{.State.ExitCode}}", id])).stdout).toBe("3 1\n");
    const marker = uniqueMarker();
    const a = (await run(["-d", "--restart", "always", "busybox", "sleep", marker])).stdout.trim();
    const first = pidsWithMarker(marker)[0]!;
    process.kill(first, "SIGKILL"); // a crash
    expect(await waitFor(() => pidsWithMarker(marker).length === 1 && pidsWithMarker(marker)[0] !== first, 10000)).toBe(true);
    expect((await c(["inspect", "-f", "{{.RestartCount}}", a])).stdout).toBe("1\n");
    expect((await c(["stop", "-t", "0", a])).code).toBe(0);
    await Bun.sleep(800);
    expect(pidsWithMarker(marker)).toEqual([]);
    expect(await status(a)).toBe("exited");
    await c(["rm", id, a]);
  });

  test("--rm: the container is gone after it exits, detached or not", async () => {
    const fg = await run(["--rm", "--name", "fg-rm", "busybox", "sh", "-c", "exit 4"]);
    expect(fg.code).toBe(4);
    const id = (await run(["-d", "--rm", "busybox", "sh", "-c", "sleep 0.2"])).stdout.trim();
    expect(await waitFor(() => !fs.existsSync(`${t.root}/containers/${id}`), 10000)).toBe(true);
    expect((await c(["ps", "-aq", "--filter", "name=fg-rm"])).stdout).toBe("");
  });

  test("create, then start -a: output, stdin with -i, the exit code; start of an exited one runs it again", async () => {
    const id = (await c(["create", "-i", "--name", "cr", "--cgroup-parent", t.parent, "busybox", "sh", "-c", "read x; echo got $x; exit 3"])).stdout.trim();
    expect(id).toMatch(/^[0-9a-f]{64}$/);
    expect(await status("cr")).toBe("created");
    const r = await c(["start", "-a", "-i", "cr"], { stdin: "hello\n" });
    expect(r).toMatchObject({ code: 3, stdout: "got hello\n" });
    expect(await status("cr")).toBe("exited");
    const again = await c(["start", "-a", "-i", "cr"], { stdin: "again\n" });
    expect(again).toMatchObject({ code: 3, stdout: "got again\n" });
    expect((await c(["logs", "cr"])).stdout).toBe("got hello\ngot again\n");
    await c(["rm", "cr"]);
  });

  test("attach to a running -i container: its output, our stdin, its exit code", async () => {
    await run(["-d", "-i", "--name", "att", "busybox", "sh", "-c", "read x; echo attached $x; exit 5"]);
    const r = await c(["attach", "att"], { stdin: "yes\n" });
    expect(r).toMatchObject({ code: 5, stdout: "attached yes\n" });
    const stopped = await c(["attach", "att"]);
    expect(stopped.code).toBe(1);
    expect(stopped.stderr).toContain("you cannot attach to a stopped container");
    await c(["rm", "att"]);
  });

  test("pause freezes every process; unpause thaws them", async () => {
    const id = (await run(["-d", "busybox", "sh", "-c", "i=0; while :; do i=$((i+1)); echo $i > /tmp/n; sleep 0.02; done"])).stdout.trim();
    const count = async () => Number((await c(["exec", id, "cat", "/tmp/n"])).stdout);
    await Bun.sleep(200);
    expect((await c(["pause", id])).code).toBe(0);
    expect(await status(id)).toBe("paused");
    expect((await c(["ps", "--format", "{{.Status}}", "--filter", `id=${id}`])).stdout).toContain("(Paused)");
    const refused = await c(["exec", id, "true"]);
    expect(refused.code).toBe(125);
    expect(refused.stderr).toContain("is paused");
    const host = fs.readFileSync(`/proc/${JSON.parse((await c(["inspect", id])).stdout)[0].State.Pid}/status`, "utf8");
    expect(host).toMatch(/State:\s+[SD]/);
    expect((await c(["unpause", id])).code).toBe(0);
    const a = await count();
    await Bun.sleep(200);
    expect(await count()).toBeGreaterThan(a);
    await c(["rm", "-f", id]);
  });

  test("rename, ps filters and formats, container prune", async () => {
    const a = (await run(["-d", "--name", "one", "-l", "app=x", "busybox", "sleep", uniqueMarker()])).stdout.trim();
    const b = (await run(["--name", "two", "busybox", "true"])).stdout;
    expect(b).toBe("");
    expect((await c(["rename", "one", "uno"])).code).toBe(0);
    expect((await c(["ps", "--format", "{{.Names}}"])).stdout).toBe("uno\n");
    expect((await c(["ps", "-a", "--filter", "status=exited", "--format", "{{.Names}}"])).stdout).toBe("two\n");
    expect((await c(["ps", "-a", "--filter", "label=app=x", "-q", "--no-trunc"])).stdout).toBe(`${a}\n`);
    expect((await c(["ps", "-a", "--filter", "ancestor=busybox", "--format", "{{.Names}}"])).stdout.split("\n").filter(Boolean).sort()).toEqual(["two", "uno"]);
    expect((await c(["ps", "-l", "--format", "{{.Names}}"])).stdout).toBe("two\n");
    const json = (await c(["ps", "--format", "json"])).stdout.trim().split("\n").map((l) => JSON.parse(l));
    expect(json.map((j) => j.Names)).toEqual(["uno"]);
    expect((await c(["ps", "--filter", "bogus=1"])).code).toBe(125);
    const pruned = await c(["container", "prune", "-f"]);
    expect(pruned.stdout).toContain("Deleted Containers:");
    expect((await c(["ps", "-a", "--format", "{{.Names}}"])).stdout).toBe("uno\n");
    await c(["rm", "-f", "uno"]);
  });

  test("SIGKILL of ctr during a detached start: nothing half-made stays, nothing is listed that does not exist", async () => {
    for (let i = 0; i < 12; i++) {
      const marker = uniqueMarker();
      const proc = Bun.spawn([CTR, "run", "-d", "-l", "killed-start", "--cgroup-parent", t.parent, "busybox", "sleep", marker], { env: { ...process.env, ...t.env }, stdout: "pipe", stderr: "ignore" });
      await Bun.sleep(i * 2);
      proc.kill("SIGKILL");
      await proc.exited;
      // The next command puts things right: the container runs and is listed Up, or it was
      // stopped with its ctr (before the start let go of it) and is listed Exited, or it is gone.
      await Bun.sleep(300);
      const listed = (await c(["ps", "-a", "--no-trunc", "--filter", "label=killed-start", "--format", "{{.ID}} {{.Status}}"])).stdout.split("\n").filter(Boolean);
      expect(listed.length).toBeLessThanOrEqual(1);
      const up = listed.length === 1 && listed[0]!.split(" ")[1] === "Up";
      if (listed.length) expect(listed[0]!.split(" ")[1]).toMatch(/^(Up|Exited)$/);
      expect(pidsWithMarker(marker).length).toBe(up ? 1 : 0);
      const all = (await c(["ps", "-aq", "--no-trunc"])).stdout.split("\n").filter(Boolean);
      const dirs = fs.readdirSync(`${t.root}/containers`).filter((d) => /^[0-9a-f]{64}$/.test(d));
      // Every directory is a listed container, and every listed container has its directory.
      expect(dirs.sort()).toEqual(all.sort());
      const mine = listed.map((l) => l.split(" ")[0]!);
      if (mine.length) await c(["rm", "-f", ...mine]);
      expect(await waitFor(() => pidsWithMarker(marker).length === 0)).toBe(true);
    }
    expect(await waitFor(() => t.leftovers().filter((d) => /^[0-9a-f]{64}$/.test(d)).length === 0, 10000)).toBe(true);
  });

  test("SIGKILL of a monitor: its container goes with it; the next command shows it exited, cgroup removed", async () => {
    const marker = uniqueMarker();
    const id = (await run(["-d", "busybox", "sleep", marker])).stdout.trim();
    const monitor = JSON.parse((await c(["inspect", id])).stdout)[0];
    const pid = pidsWithMarker(marker)[0]!;
    const mon = Number(fs.readFileSync(`${t.root}/containers/${id}/monitor.pid`, "utf8").split(" ")[0]);
    expect(monitor.State.Pid).toBe(pid);
    process.kill(mon, "SIGKILL");
    expect(await waitFor(() => !isPid(pid))).toBe(true);
    const s = await c(["ps", "-a", "--filter", `id=${id}`, "--format", "{{.Status}}"]);
    expect(s.stdout).toMatch(/^Exited \(/);
    expect(await waitFor(() => t.leftovers().filter((d) => d.includes(id)).length === 0)).toBe(true);
    await c(["rm", id]);
  });
});
