// ctr run against the real kernel, as root, with the compiled binary and a busybox rootfs.
// Every property is checked from inside the container, the way a user would look.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as path from "node:path";
import { createHash } from "node:crypto";
import { CTR, ctr, haveBinary, isRoot, pidsWithMarker, testCgroupParent, uniqueMarker, waitFor } from "../helpers/cli";
import { BUSYBOX, makeBusyboxRootfs, removeRootfs } from "../helpers/rootfs";

const enabled = isRoot && haveBinary && BUSYBOX !== undefined;
let R = "";
// Every container of this file goes under its own cgroup parent, never ctr's default /ctr.
const { parent: PARENT, leftovers } = testCgroupParent("run");
const run = (args: string[], opts?: Parameters<typeof ctr>[1]) => ctr(["run", "--rootfs", R, "--cgroup-parent", PARENT, ...args], opts);
const sh = (script: string, flags: string[] = [], opts?: Parameters<typeof ctr>[1]) => run([...flags, "sh", "-c", script], opts);

function hostMountsUnder(dir: string): string[] {
  return fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.split(" ")[4]?.startsWith(dir));
}

describe.skipIf(!enabled)("ctr run (root, real kernel)", () => {
  beforeAll(() => {
    R = makeBusyboxRootfs();
  });
  afterAll(() => {
    // The leak check for the whole file: no mount under the rootfs, no cgroup, is left on the host.
    expect(hostMountsUnder(R)).toEqual([]);
    expect(leftovers()).toEqual([]);
    removeRootfs(R);
  });

  describe("namespaces", () => {
    test("the command is PID 1 and ps sees only the container", async () => {
      const r = await sh("echo $$; ps -o pid,comm; true"); // `; true`: sh must not exec ps in its place
      expect(r.stderr).toBe("");
      const [pid, header, ...procs] = r.stdout.trim().split("\n");
      expect(pid).toBe("1");
      expect(header).toMatch(/PID\s+COMMAND/);
      // the shell and ps itself, nothing of the host
      expect(procs.map((l) => l.trim().split(/\s+/))).toEqual([["1", "sh"], [expect.any(String), "ps"]]);
      expect(r.code).toBe(0);
    });
    test("hostname: the short container id by default, --hostname to choose", async () => {
      expect((await run(["hostname"])).stdout.trim()).toMatch(/^[0-9a-f]{12}$/);
      expect((await run(["--hostname", "box1", "hostname"])).stdout).toBe("box1\n");
      expect((await run(["--hostname", "box2", "sh", "-c", "echo $HOSTNAME"])).stdout).toBe("box2\n");
    });
    test("--network none: a namespace of its own with only lo, up; --network host sees the host's links", async () => {
      const own = await run(["--network", "none", "cat", "/proc/net/dev"]);
      const links = own.stdout.split("\n").slice(2).filter(Boolean).map((l) => l.split(":")[0]!.trim());
      expect(links).toEqual(["lo"]);
      expect((await run(["--network", "none", "ip", "link", "show", "lo"])).stdout).toContain("UP");
      const host = await run(["--network", "host", "cat", "/proc/net/dev"]);
      const names = (text: string) => text.split("\n").slice(2).filter(Boolean).map((l) => l.split(":")[0]!.trim()).sort();
      expect(names(host.stdout)).toEqual(names(fs.readFileSync("/proc/net/dev", "utf8")));
      expect(names(host.stdout).length).toBeGreaterThan(1); // the host has more than lo
    });
    test("ipc, uts, mnt, pid, net and cgroup namespaces all differ from the host's", async () => {
      const r = await run(["sh", "-c", "for n in ipc uts mnt pid net cgroup; do readlink /proc/1/ns/$n; done"]);
      const inside = r.stdout.trim().split("\n");
      const host = ["ipc", "uts", "mnt", "pid", "net", "cgroup"].map((n) => fs.readlinkSync(`/proc/self/ns/${n}`));
      expect(inside).toHaveLength(6);
      inside.forEach((ns, i) => expect(ns).not.toBe(host[i]!));
    });
  });

  describe("root filesystem", () => {
    test("/ is the rootfs and no host path is mounted in the container", async () => {
      const r = await run(["cat", "/proc/self/mountinfo"]);
      const lines = r.stdout.trim().split("\n");
      const mountpoints = lines.map((l) => l.split(" ")[4]);
      expect(mountpoints[0]).toBe("/");
      for (const m of ["/proc", "/dev", "/dev/pts", "/dev/shm", "/dev/mqueue", "/sys"]) expect(mountpoints).toContain(m);
      expect(r.stdout).not.toContain("/work");
      expect(lines.find((l) => l.split(" ")[4] === "/sys")).toMatch(/ ro,/);
      expect(lines.find((l) => l.split(" ")[4] === "/dev/pts")).toContain("devpts");
    });
    test("/dev has the standard devices and links, and they work", async () => {
      const r = await sh("ls /dev | tr '\\n' ' '; echo; head -c 4 /dev/zero | wc -c; for l in fd stdin ptmx; do readlink /dev/$l; done; echo x > /dev/null && echo null-ok");
      for (const d of ["null", "zero", "full", "random", "urandom", "tty", "pts", "shm", "mqueue", "ptmx", "fd", "stdin", "stdout", "stderr"]) {
        expect(r.stdout.split("\n")[0]!.split(" ")).toContain(d);
      }
      expect(r.stdout).toContain("\n4\n/proc/self/fd\n/proc/self/fd/0\npts/ptmx\nnull-ok\n");
    });
    test("--read-only: the rootfs cannot be written, /dev/shm still can", async () => {
      const r = await sh("touch /newfile 2>&1; touch /dev/shm/ok && echo shm-ok", ["--read-only"]);
      expect(r.stdout).toContain("Read-only file system");
      expect(r.stdout).toContain("shm-ok");
      expect(fs.existsSync(path.join(R, "newfile"))).toBe(false);
    });
    test("writes land in the rootfs directory without --read-only", async () => {
      const r = await sh("echo data > /tmp/written");
      expect(r.code).toBe(0);
      expect(fs.readFileSync(path.join(R, "tmp/written"), "utf8")).toBe("data\n");
      fs.rmSync(path.join(R, "tmp/written"));
    });
  });

  describe("security defaults", () => {
    test("Docker's 14 capabilities, nothing inheritable or ambient, no_new_privs", async () => {
      const r = await run(["grep", "-E", "^(Cap|NoNewPrivs)", "/proc/self/status"]);
      expect(r.stdout).toBe(
        "CapInh:\t0000000000000000\nCapPrm:\t00000000a80425fb\nCapEff:\t00000000a80425fb\nCapBnd:\t00000000a80425fb\nCapAmb:\t0000000000000000\nNoNewPrivs:\t1\n",
      );
    });
    test("--cap-drop, --cap-add, --privileged and --security-opt change exactly that", async () => {
      const caps = async (flags: string[]) => (await run([...flags, "grep", "-E", "^(CapEff|NoNewPrivs)", "/proc/self/status"])).stdout;
      expect(await caps(["--cap-drop", "ALL"])).toBe("CapEff:\t0000000000000000\nNoNewPrivs:\t1\n");
      expect(await caps(["--cap-drop", "ALL", "--cap-add", "NET_ADMIN"])).toBe("CapEff:\t0000000000001000\nNoNewPrivs:\t1\n");
      expect(await caps(["--security-opt", "no-new-privileges=false"])).toContain("NoNewPrivs:\t0");
      const priv = await caps(["--privileged"]);
      expect(priv).toContain("NoNewPrivs:\t0");
      const hostBnd = fs.readFileSync("/proc/self/status", "utf8").match(/CapBnd:\t(\w+)/)![1];
      expect(priv).toContain(`CapEff:\t${hostBnd}`);
    });
    test("masked paths read as nothing; read-only paths refuse writes", async () => {
      // Only the masked files this kernel has: a missing one has nothing to hide.
      const files = ["/proc/kcore", "/proc/keys", "/proc/timer_list", "/proc/sched_debug"].filter((f) => fs.existsSync(f));
      expect(files.length).toBeGreaterThan(0);
      const r = await sh(
        `for f in ${files.join(" ")}; do cat $f | wc -c; done; ls /sys/firmware | wc -l; ` +
          "echo h > /proc/sys/kernel/hostname 2>/dev/null || echo sys-ro; echo b > /proc/sysrq-trigger 2>/dev/null || echo sysrq-ro",
      );
      expect(r.stdout).toBe(`${files.map(() => "0\n").join("")}0\nsys-ro\nsysrq-ro\n`);
    });
    test("no file descriptor of ctr reaches the container", async () => {
      const r = await run(["ls", "/proc/self/fd"]);
      // 0, 1, 2, and the directory ls itself opened to list.
      expect(r.stdout.trim().split("\n")).toEqual(["0", "1", "2", "3"]);
      // The shell's own fds: 0-2 are the test's pipes; nothing else is open.
      expect((await sh("ls /proc/$$/fd; true")).stdout.trim().split("\n")).toEqual(["0", "1", "2"]);
    });
    test("the host's ctr binary cannot be written from inside, even when ctr is PID 1 (CVE-2019-5736)", async () => {
      const before = createHash("sha256").update(fs.readFileSync(CTR)).digest("hex");
      const r = await sh("echo pwned >> /proc/1/exe && echo WROTE; cat /proc/1/exe > /dev/null && echo READ; true", ["--init"]);
      expect(r.stdout).not.toContain("WROTE");
      expect(r.stdout).not.toContain("READ");
      const priv = await sh("echo pwned >> /proc/1/exe && echo WROTE; true", ["--init", "--privileged"]);
      expect(priv.stdout).not.toContain("WROTE");
      expect(createHash("sha256").update(fs.readFileSync(CTR)).digest("hex")).toBe(before);
    });
  });

  describe("process", () => {
    test("environment: defaults, -e, --env-file, HOME from passwd", async () => {
      const envFile = path.join(R, "..", `ctr-env-${process.pid}`);
      fs.writeFileSync(envFile, "FROM_FILE=1\n# comment\n");
      try {
        const r = await run(["-e", "A=b c", "--env-file", envFile, "env"]);
        const env = r.stdout.trim().split("\n").sort();
        expect(env).toContain("PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
        expect(env).toContain("A=b c");
        expect(env).toContain("FROM_FILE=1");
        expect(env).toContain("HOME=/root");
        expect(env.some((e) => e.startsWith("CTR_"))).toBe(false);
      } finally {
        fs.rmSync(envFile);
      }
    });
    test("-w sets (and creates) the working directory", async () => {
      expect((await run(["-w", "/srv/app", "pwd"])).stdout).toBe("/srv/app\n");
    });
    test("-u switches user and group and clears supplementary groups", async () => {
      expect((await run(["-u", "65534:65534", "id"])).stdout).toBe("uid=65534(nobody) gid=65534(nogroup)\n");
      expect((await run(["-u", "app", "sh", "-c", "id; echo $HOME; grep CapEff /proc/self/status"])).stdout).toBe(
        "uid=1000(app) gid=1000(app)\n/home/app\nCapEff:\t0000000000000000\n",
      );
      const bad = await run(["-u", "ghost", "id"]);
      expect(bad.code).toBe(125);
      expect(bad.stderr).toBe("ctr: unable to find user ghost: no matching entries in passwd file\n");
    });
    test("NOFILE is reset to 1024 soft (Bun raised ctr's own); --ulimit sets limits", async () => {
      const hard = fs.readFileSync("/proc/self/limits", "utf8").match(/Max open files\s+\d+\s+(\d+)/)![1];
      expect((await sh("ulimit -Sn; ulimit -Hn")).stdout).toBe(`1024\n${hard}\n`);
      expect((await sh("ulimit -Sn; ulimit -Hn", ["--ulimit", "nofile=100:200"])).stdout).toBe("100\n200\n");
    });
    test("stdin is passed with -i, and is empty without", async () => {
      expect((await run(["-i", "cat"], { stdin: "hi\n" })).stdout).toBe("hi\n");
      expect((await run(["cat"], { stdin: "hi\n" })).stdout).toBe("");
    });
    test("stdout and stderr stay separate", async () => {
      const r = await sh("echo out; echo err >&2");
      expect(r.stdout).toBe("out\n");
      expect(r.stderr).toBe("err\n");
    });
    test("-t gives the command a terminal", async () => {
      const r = await sh("test -t 0 && test -t 1 && echo is-a-tty; tty; stty size", ["-t"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("is-a-tty\r\n/dev/pts/0\r\n");
    });
  });

  test.skipIf(!Bun.which("script"))("-t on a real terminal: window size passed in, terminal restored after", async () => {
    // script(1) gives ctr a pty as its terminal, sized 33x77 by stty.
    const inner = `stty rows 33 cols 77; ${CTR} run -t --rootfs ${R} stty size; stty -a | grep -o -- ' -*icanon'; ${CTR} run -t --rootfs ${R} sh -c 'exit 3'; echo rc=$?; stty -a | grep -o -- ' -*icanon'`;
    const p = Bun.spawn(["script", "-qec", inner, "/dev/null"], { stdin: "ignore", stdout: "pipe", stderr: "pipe" });
    const out = (await new Response(p.stdout).text()).replace(/\r/g, "");
    expect(await p.exited).toBe(0);
    expect(out).toBe("33 77\n icanon\nrc=3\n icanon\n"); // canonical mode again after each run
  });

  describe("exit codes and errors", () => {
    test("the command's exit code is ctr's", async () => {
      expect((await sh("exit 7")).code).toBe(7);
      expect((await run(["true"])).code).toBe(0);
    });
    test("not found: 127 and a message; not executable: 126", async () => {
      const nf = await run(["nosuchcmd"]);
      expect(nf.code).toBe(127);
      expect(nf.stderr).toBe('ctr: exec "nosuchcmd": not found in rootfs\n');
      fs.writeFileSync(path.join(R, "noexec"), "#!/bin/sh\n", { mode: 0o644 });
      try {
        const ne = await run(["/noexec"]);
        expect(ne.code).toBe(126);
        expect(ne.stderr).toBe('ctr: exec "/noexec": permission denied\n');
      } finally {
        fs.rmSync(path.join(R, "noexec"));
      }
    });
    test("bad input: exit 125 with a message naming it, before anything starts", async () => {
      const missing = await ctr(["run", "--rootfs", "/nonexistent-rootfs", "true"]);
      expect(missing).toEqual({ code: 125, stdout: "", stderr: "ctr: --rootfs /nonexistent-rootfs: no such directory\n" });
      const flag = await ctr(["run", "--rootfs", R, "--bogus", "true"]);
      expect(flag.code).toBe(125);
      expect(flag.stderr).toContain("unknown flag: --bogus");
      const cmd = await ctr(["rnu"]);
      expect(cmd.code).toBe(125);
      expect(cmd.stderr).toContain('unknown command "rnu" (did you mean run?)');
    });
    test("--dry-run prints the plan and runs nothing", async () => {
      const marker = uniqueMarker();
      const r = await run(["--dry-run", "touch", marker]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain("pivot_root " + R);
      expect(r.stdout).toContain("mount devpts on /dev/pts");
      expect(fs.existsSync(path.join(R, marker))).toBe(false);
    });
    test("--log-level debug logs each applied step with its time", async () => {
      const r = await run(["--log-level", "debug", "true"]);
      expect(r.stderr).toMatch(/\[stage \+[\d.]+ms\] pivot_root /);
      expect(r.stderr).toMatch(/\[stage \+[\d.]+ms\] mount proc on \/proc/);
      expect(r.stderr).toMatch(/\[monitor \+[\d.]+ms\] clone3 the container's first process/);
    });
  });

  describe("signals, --init and cleanup", () => {
    test("SIGTERM to ctr reaches the container", async () => {
      const proc = Bun.spawn([CTR, "run", "--rootfs", R, "--cgroup-parent", PARENT, "sh", "-c", 'trap "echo got-term; exit 3" TERM; echo ready; while :; do sleep 0.05; done'], { stdout: "pipe", stderr: "pipe" });
      const reader = proc.stdout.getReader();
      const first = await reader.read();
      expect(new TextDecoder().decode(first.value)).toBe("ready\n");
      proc.kill("SIGTERM");
      const rest = await reader.read();
      expect(new TextDecoder().decode(rest.value)).toBe("got-term\n");
      expect(await proc.exited).toBe(3);
    });
    test("a command killed by signal N exits 128+N", async () => {
      const marker = uniqueMarker();
      const proc = Bun.spawn([CTR, "run", "--rootfs", R, "--cgroup-parent", PARENT, "sh", "-c", `exec sleep ${marker}`], { stdout: "ignore", stderr: "pipe" });
      expect(await waitFor(() => pidsWithMarker(marker).length > 0)).toBe(true);
      for (const pid of pidsWithMarker(marker)) process.kill(pid, "SIGKILL");
      expect(await proc.exited).toBe(137);
    });
    test("--init: PID 1 reaps orphans and forwards signals to the command", async () => {
      const r = await sh("sh -c 'sleep 0.1 & exit 0'; sleep 0.5; ps -o stat,comm | grep -c '^Z' ; cat /proc/1/comm", ["--init"]);
      expect(r.stdout.split("\n")[0]).toBe("0"); // no zombies
      expect(r.stdout).not.toContain("\nsh\n"); // PID 1 is the reaper, not the shell
      const proc = Bun.spawn([CTR, "run", "--rootfs", R, "--cgroup-parent", PARENT, "--init", "sleep", "30"], { stdout: "ignore", stderr: "pipe" });
      await Bun.sleep(300);
      proc.kill("SIGTERM");
      expect(await proc.exited).toBe(143);
    });
    test("SIGKILL of ctr takes the whole container with it", async () => {
      const marker = uniqueMarker();
      const proc = Bun.spawn([CTR, "run", "--rootfs", R, "--cgroup-parent", PARENT, "sh", "-c", `sleep ${marker} & exec sleep ${marker}`], { stdout: "ignore", stderr: "ignore" });
      expect(await waitFor(() => pidsWithMarker(marker).length === 2)).toBe(true);
      proc.kill("SIGKILL");
      await proc.exited;
      expect(await waitFor(() => pidsWithMarker(marker).length === 0)).toBe(true);
      expect(hostMountsUnder(R)).toEqual([]);
      // Only its empty cgroup stays, until the next ctr run sweeps it (cgroups.test.ts checks that).
      expect((await run(["true"], { env: { CTR_STALE_CGROUP_AGE: "0" } })).code).toBe(0);
      expect(leftovers()).toEqual([]);
    });
    test("a setup failure halfway (after pivot_root) exits 125 and leaves no process", async () => {
      // The user is looked up in the container's own /etc/passwd, after pivot_root.
      const r = await run(["-u", "nosuchuser", "sleep", "301.999"]);
      expect(r.code).toBe(125);
      expect(r.stderr).toBe("ctr: unable to find user nosuchuser: no matching entries in passwd file\n");
      expect(pidsWithMarker("301.999")).toEqual([]);
      expect(hostMountsUnder(R)).toEqual([]);
    });
    test("a capability this host does not let ctr hold is refused before anything starts", async () => {
      const bounding = BigInt(`0x${fs.readFileSync("/proc/self/status", "utf8").match(/CapBnd:\t(\w+)/)![1]}`);
      const names = ["SYS_RESOURCE", "SYS_MODULE", "SYS_TIME", "SYS_BOOT", "MAC_ADMIN", "PERFMON", "BPF", "CHECKPOINT_RESTORE"];
      const numbers = [24, 16, 25, 22, 33, 38, 39, 40];
      const missing = names.find((_, i) => !(bounding & (1n << BigInt(numbers[i]!))));
      // A host that grants all of these cannot show the refusal: say so instead of passing.
      expect(missing, "this host's bounding set holds every capability tried").toBeDefined();
      const r = await run(["--cap-add", missing!, "sleep", "301.998"]);
      expect(r.code).toBe(125);
      expect(r.stderr).toBe(`ctr: capabilities: CAP_${missing} not in ctr's own bounding set on this host\n`);
      expect(pidsWithMarker("301.998")).toEqual([]);
    });
  });
});
