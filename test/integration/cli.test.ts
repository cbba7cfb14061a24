// The command line as a new user meets it: help, usage lines, suggestions, flags checked before any
// image is looked up, Docker's exit codes for "no such object", no colour into pipes, completion,
// top and stats, inspect of images, a DNS failure named as such.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { CTR, haveBinary, isRoot, uniqueMarker, waitFor } from "../helpers/cli";
import { BUSYBOX } from "../helpers/rootfs";
import { importBusybox, testRoot } from "../helpers/containers";

const enabled = isRoot && haveBinary && BUSYBOX !== undefined;
const t = testRoot("cli");
const { c, run } = t;
const ANSI = /\x1b\[/;

describe.skipIf(!enabled)("the command line", () => {
  beforeAll(async () => {
    await importBusybox(t);
  });
  afterAll(async () => {
    await t.cleanup();
    expect(await waitFor(() => t.leftovers().length === 0, 10000)).toBe(true);
  });

  test("help: usage lines with positional arguments, ctr help CMD, no colour into a pipe", async () => {
    const run = await c(["run", "--help"]);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain("ctr run [OPTIONS] IMAGE [COMMAND] [ARG...]");
    expect(run.stdout).not.toMatch(ANSI);
    expect((await c(["help", "run"])).stdout).toBe(run.stdout);
    for (const args of [["image", "prune", "--help"], ["image", "inspect", "--help"], ["image", "ls", "--help"], ["image", "from-host", "--help"], ["--help"], ["volume", "--help"], ["exec", "--help"]]) {
      const r = await c(args);
      expect(r.code, args.join(" ")).toBe(0);
      expect(r.stdout, args.join(" ")).not.toMatch(ANSI);
    }
    expect((await c(["exec", "--help"])).stdout).toContain("ctr exec [OPTIONS] CONTAINER COMMAND [ARG...]");
    expect((await c(["help", "image", "ls"])).stdout).toContain("List images");
    expect((await c(["--help"])).stdout).toMatch(/ps\s/);
  });

  test("suggestions only for near misses; unknown global flags are flags", async () => {
    const typo = await c(["rnu"]);
    expect(typo).toMatchObject({ code: 125 });
    expect(typo.stderr).toContain('unknown command "rnu" (did you mean run?)');
    expect((await c(["stpo"])).stderr).toContain("(did you mean stop?)");
    const far = await c(["frobnicate"]);
    expect(far.stderr).toBe("ctr: unknown command \"frobnicate\"\nSee 'ctr --help'.\n");
    const flag = await c(["--bogus"]);
    expect(flag.code).toBe(125);
    expect(flag.stderr).toContain("unknown flag: --bogus");
    expect((await c(["run", "--nett", "host", "busybox", "true"])).stderr).toContain("(did you mean --net?)");
  });

  test("flags are checked before an image is looked up or pulled", async () => {
    const r = await c(["run", "-m", "12q", "nosuch.example.test/none", "true"]);
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("-m");
    expect(r.stderr).not.toContain("nosuch.example.test");
    const restart = await c(["run", "--restart", "sometimes", "nosuch.example.test/none", "true"]);
    expect(restart.stderr).toContain("--restart");
  });

  test("-h is the hostname for run and create; -m 0 means no limit", async () => {
    expect((await run(["--rm", "-h", "myhost", "busybox", "hostname"])).stdout).toBe("myhost\n");
    expect((await run(["--rm", "-m", "0", "busybox", "true"])).code).toBe(0);
    const dry = await c(["run", "--dry-run", "--memory", "0", "busybox", "true"]);
    expect(dry.stdout).not.toContain("memory.limit_in_bytes");
    expect(dry.stdout).not.toContain("memory.max");
  });

  test("run -t with a stdin that is not a terminal is refused as Docker does", async () => {
    const r = await run(["-it", "busybox", "true"], { stdin: "" });
    expect(r).toMatchObject({ code: 1, stderr: "ctr: the input device is not a TTY\n" });
  });

  test("no such object: exit 1 for rmi, rm, inspect, start; image exists; inspect takes images", async () => {
    for (const args of [["rmi", "nosuch"], ["rm", "nosuch"], ["inspect", "nosuch"], ["start", "nosuch"], ["logs", "nosuch"], ["volume", "inspect", "nosuch"]]) {
      const r = await c(args);
      expect(r.code, args.join(" ")).toBe(1);
      expect(r.stderr, args.join(" ")).toContain("nosuch");
    }
    expect((await c(["image", "exists", "busybox"])).code).toBe(0);
    expect((await c(["image", "exists", "nosuch"])).code).toBe(1);
    const img = JSON.parse((await c(["inspect", "busybox"])).stdout);
    expect(img[0].Id).toMatch(/^sha256:/);
    expect((await c(["inspect", "-f", "{{.Os}}", "busybox"])).stdout).toBe("linux\n");
    expect((await c(["images", "-a", "--format", "{{.Repository}}:{{.Tag}}"])).stdout).toBe("busybox:latest\n");
  });

  test("top lists the container's processes; stats --no-stream its resource use", async () => {
    const marker = uniqueMarker();
    const id = (await run(["-d", "--name", "tops", "-m", "64m", "busybox", "sleep", marker])).stdout.trim();
    const top = await c(["top", "tops"]);
    expect(top.stdout.split("\n")[0]).toMatch(/UID\s+PID\s+PPID/);
    expect(top.stdout).toContain(`sleep ${marker}`);
    expect(top.stdout.trim().split("\n").length).toBe(2);
    const stats = await c(["stats", "--no-stream", "tops"]);
    expect(stats.stdout.split("\n")[0]).toMatch(/CONTAINER ID\s+NAME\s+CPU %\s+MEM USAGE \/ LIMIT\s+MEM %\s+NET I\/O\s+BLOCK I\/O\s+PIDS/);
    expect(stats.stdout).toMatch(/tops\s+\d+\.\d\d%\s+[\d.]+\w?i?B \/ 64MiB/);
    const json = JSON.parse((await c(["stats", "--no-stream", "--format", "json", "tops"])).stdout);
    expect(json.PIDs).toBe("1");
    await c(["rm", "-f", id]);
  });

  test("shell completion: scripts for bash, zsh and fish; candidates from the state", async () => {
    for (const shell of ["bash", "zsh", "fish"]) {
      const r = await c(["completion", shell]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("__complete");
    }
    const bash = await c(["completion", "bash"]);
    expect(Bun.spawnSync(["bash", "-n", "-c", bash.stdout]).exitCode).toBe(0);
    expect((await c(["__complete", "st"])).stdout.split("\n")).toEqual(expect.arrayContaining(["start", "stop", "stats"]));
    expect((await c(["__complete", "run", "--rest"])).stdout).toContain("--restart");
    await run(["--name", "compl", "busybox", "true"]);
    expect((await c(["__complete", "rm", "co"])).stdout).toContain("compl");
    expect((await c(["__complete", "run", "busy"])).stdout).toBe("busybox:latest\n");
    await c(["rm", "compl"]);
  });

  test("a registry host that does not resolve is named as a DNS failure, with no --insecure hint", async () => {
    // In a network namespace of its own, with nothing to send to: no traffic leaves the test.
    const r = Bun.spawnSync(["unshare", "-n", CTR, "pull", "registry.example.test/some/image"], { env: { ...process.env, ...t.env } });
    const err = r.stderr.toString();
    expect(r.exitCode).toBe(125);
    expect(err).toContain("cannot resolve the registry's host name \"registry.example.test\"");
    expect(err).not.toContain("--insecure");
  });

  test("ctr --version", async () => {
    expect((await c(["--version"])).stdout).toMatch(/^ctr version \S+\n$/);
    expect(CTR).toBeTruthy();
  });
});
