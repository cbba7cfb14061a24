// A container's data: logs (rotation, -f through rotations, --tail/--since/-t), volumes (bind,
// named with copy-up and persistence, anonymous, tmpfs, --volumes-from, and what is refused),
// cp both ways (tar streams too; symlinks stay in the container), commit → run → save → load.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CTR, eventually, haveBinary, isRoot, waitFor } from "../helpers/cli";
import { BUSYBOX } from "../helpers/rootfs";
import { importBusybox, testRoot } from "../helpers/containers";

const enabled = isRoot && haveBinary && BUSYBOX !== undefined;
const t = testRoot("data");
const { c, run } = t;
let host = "";

const dirSize = (d: string) => fs.readdirSync(d).reduce((s, f) => s + (fs.statSync(`${d}/${f}`).isFile() ? fs.statSync(`${d}/${f}`).size : 0), 0);

describe.skipIf(!enabled)("logs, volumes, cp, commit (root, real kernel)", () => {
  beforeAll(async () => {
    await importBusybox(t);
    host = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-test-data-host-"));
  });
  afterAll(async () => {
    await t.cleanup();
    fs.rmSync(host, { recursive: true, force: true });
    expect(await waitFor(() => t.leftovers().length === 0, 10000), t.leftovers().join(" ")).toBe(true);
    expect(t.hostMounts()).toEqual([]);
  });

  describe("logs", () => {
    test("stdout and stderr kept apart; --tail, -t, --since, --until", async () => {
      await run(["--name", "lg", "busybox", "sh", "-c", "echo out1; echo err1 >&2; printf 'no newline'; echo; echo out2"]);
      const r = await c(["logs", "lg"]);
      expect(r.stdout).toBe("out1\nno newline\nout2\n");
      expect(r.stderr).toBe("err1\n");
      // --tail counts lines of both streams; this container writes stdout only.
      await run(["--name", "lg3", "busybox", "sh", "-c", "echo a; echo b; echo c"]);
      expect((await c(["logs", "--tail", "2", "lg3"])).stdout).toBe("b\nc\n");
      expect((await c(["logs", "--tail", "0", "lg3"])).stdout).toBe("");
      await c(["rm", "lg3"]);
      const ts = (await c(["logs", "-t", "lg"])).stdout.split("\n")[0]!;
      expect(ts).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z out1$/);
      expect((await c(["logs", "--since", "1h", "lg"])).stdout).toBe("out1\nno newline\nout2\n");
      expect((await c(["logs", "--until", "1h", "lg"])).stdout).toBe("");
      expect((await c(["logs", "--since", "2999-01-01T00:00:00Z", "lg"])).stdout).toBe("");
      const bad = await c(["logs", "--since", "yesterday", "lg"]);
      expect(bad.code).toBe(125);
      expect(bad.stderr).toContain("--since");
      await c(["rm", "lg"]);
    });

    test("100 MB of output with rotation: the disk stays bounded, logs -f gets every line", async () => {
      const lines = 3_000_000; // ~100 MB of log records
      const id = (await run(["-d", "--log-opt", "max-size=10m", "--log-opt", "max-file=3", "busybox", "sh", "-c", `sleep 0.3; seq 1 ${lines}`])).stdout.trim();
      const follow = Bun.spawn([CTR, "logs", "-f", id], { env: { ...process.env, ...t.env }, stdout: "pipe" });
      let maxDisk = 0;
      const dir = `${t.root}/containers/${id}`;
      const watch = setInterval(() => (maxDisk = Math.max(maxDisk, dirSize(dir))), 20);
      const text = await new Response(follow.stdout).text();
      clearInterval(watch);
      expect(await follow.exited).toBe(0);
      const got = text.split("\n");
      got.pop();
      expect(got.length).toBe(lines);
      expect(got[0]).toBe("1");
      expect(got.at(-1)).toBe(String(lines));
      // Every number once, in order (checked in steps; a gap or a duplicate shifts them all).
      for (let i = 0; i < lines; i += 99_991) expect(got[i]).toBe(String(i + 1));
      // At most 3 files of 10 MB (plus the last record of each).
      expect(maxDisk).toBeLessThan(31 * 1024 * 1024);
      expect(fs.readdirSync(dir).filter((f) => f.startsWith("ctr.log")).sort()).toEqual(["ctr.log", "ctr.log.1", "ctr.log.2"]);
      await c(["rm", id]);
    }, 60_000);
  });

  describe("volumes", () => {
    test("a named volume is created on first use, filled from the image, and outlives its containers", async () => {
      const r = await run(["--rm", "-v", "etcvol:/etc", "busybox", "sh", "-c", "cat /etc/passwd | head -1; echo kept > /etc/new"]);
      expect(r.stdout).toBe("root:x:0:0:root:/root:/bin/sh\n");
      const ls = await c(["volume", "ls", "--format", "{{.Name}} {{.Driver}}"]);
      expect(ls.stdout).toBe("etcvol local\n");
      const again = await run(["--rm", "-v", "etcvol:/etc:ro", "busybox", "sh", "-c", "cat /etc/new; touch /etc/x 2>&1"]);
      expect(again.stdout).toContain("kept\n");
      expect(again.stdout).toContain("Read-only file system");
      const doc = JSON.parse((await c(["volume", "inspect", "etcvol"])).stdout)[0];
      expect(doc).toMatchObject({ Name: "etcvol", Driver: "local", Scope: "local" });
      expect(fs.readFileSync(`${doc.Mountpoint}/new`, "utf8")).toBe("kept\n");
      // In use: not removed.
      const holder = (await run(["-d", "-v", "etcvol:/data", "busybox", "sleep", "60"])).stdout.trim();
      const busy = await c(["volume", "rm", "etcvol"]);
      expect(busy.code).toBe(1);
      expect(busy.stderr).toContain("in use");
      await c(["rm", "-f", holder]);
      expect((await c(["volume", "rm", "etcvol"])).stdout).toBe("etcvol\n");
      expect((await c(["volume", "ls", "-q"])).stdout).toBe("");
    });

    test("bind mounts: -v makes a missing host directory, --mount refuses one; ro; --tmpfs; --volumes-from", async () => {
      const src = `${host}/made-by-v`;
      const r = await run(["--rm", "-v", `${src}:/data`, "busybox", "sh", "-c", "echo hi > /data/f"]);
      expect(r.code).toBe(0);
      expect(fs.readFileSync(`${src}/f`, "utf8")).toBe("hi\n");
      const refused = await run(["--rm", "--mount", `type=bind,source=${host}/missing,target=/data`, "busybox", "true"]);
      expect(refused.code).toBe(125);
      expect(refused.stderr).toContain("bind source path does not exist");
      const ro = await run(["--rm", "--mount", `type=bind,source=${src},target=/data,readonly`, "busybox", "sh", "-c", "touch /data/g"]);
      expect(ro.code).not.toBe(0);
      const tmpfs = await run(["--rm", "--tmpfs", "/scratch:size=1m", "busybox", "sh", "-c", "grep /scratch /proc/mounts"]);
      expect(tmpfs.stdout).toMatch(/tmpfs \/scratch tmpfs rw,nosuid,nodev,noexec/);
      const a = (await run(["-d", "-v", "shared:/shared", "busybox", "sh", "-c", "echo from-a > /shared/a; sleep 60"])).stdout.trim();
      await eventually(async () => (await c(["exec", a, "cat", "/shared/a"])).stdout === "from-a\n");
      const b = await run(["--rm", "--volumes-from", a, "busybox", "cat", "/shared/a"]);
      expect(b.stdout).toBe("from-a\n");
      await c(["rm", "-f", "-v", a]);
      await c(["volume", "rm", "shared"]);
    });

    test("unsafe or nonsense mounts are refused before anything starts", async () => {
      for (const [flag, msg] of [
        ["-v=rel/path:/x", ""],
        [`-v=${host}:/proc/x`, "/proc"],
        [`-v=${host}:x`, "must be absolute"],
        [`-v=${host}:/a/../b`, ".."],
        [`-v=${host}:/`, "root"],
      ] as const) {
        const r = await run(["--rm", flag, "busybox", "true"]);
        expect(r.code, flag).toBe(125);
        if (msg) expect(r.stderr, flag).toContain(msg);
      }
    });

    test("a destination through a symlink resolves inside the container, never onto the host (CVE-2021-30465)", async () => {
      // An image whose /escape is a symlink to / and /etc-link to /etc: the bind must land in the
      // container's own /etc, not the host's.
      const id = (await run(["busybox", "sh", "-c", "ln -s / /escape; ln -s /etc /etc-link"])).stdout;
      expect(id).toBe("");
      const base = (await c(["ps", "-lq"])).stdout.trim();
      const img = `escape-${process.pid}`;
      expect((await c(["commit", base, img])).code).toBe(0);
      const marker = `ctr-test-escape-${process.pid}`;
      const r = await run(["--rm", "-v", `${host}:/escape/etc/${marker}`, "-v", `${host}:/etc-link/${marker}-2`, img, "sh", "-c", `ls -d /etc/${marker} /etc/${marker}-2`]);
      expect(r.code).toBe(0);
      expect(fs.existsSync(`/etc/${marker}`)).toBe(false);
      expect(fs.existsSync(`/etc/${marker}-2`)).toBe(false);
      await c(["rm", base]);
      await c(["rmi", img]);
    });
  });

  describe("cp", () => {
    test("both ways, with Docker's rules for where things land; tar streams with -", async () => {
      const id = (await run(["-d", "busybox", "sleep", "60"])).stdout.trim();
      fs.writeFileSync(`${host}/one.txt`, "one\n");
      fs.mkdirSync(`${host}/tree/sub`, { recursive: true });
      fs.writeFileSync(`${host}/tree/sub/two.txt`, "two\n");
      expect((await c(["cp", `${host}/one.txt`, `${id}:/tmp/`])).code).toBe(0);
      expect((await c(["cp", `${host}/tree`, `${id}:/tmp/tree-copy`])).code).toBe(0);
      expect((await c(["exec", id, "sh", "-c", "cat /tmp/one.txt /tmp/tree-copy/sub/two.txt; stat -c %u /tmp/one.txt"])).stdout).toBe("one\ntwo\n0\n");
      const out = `${host}/out`;
      expect((await c(["cp", `${id}:/tmp/tree-copy`, out])).code).toBe(0);
      expect(fs.readFileSync(`${out}/sub/two.txt`, "utf8")).toBe("two\n");
      expect((await c(["cp", `${id}:/tmp/tree-copy/.`, `${host}/contents`])).code).toBe(0);
      expect(fs.readdirSync(`${host}/contents`)).toEqual(["sub"]);
      // A tar stream out, and one in.
      const tar = Bun.spawnSync([CTR, "cp", `${id}:/etc/passwd`, "-"], { env: { ...process.env, ...t.env } });
      const listed = Bun.spawnSync(["tar", "-t"], { stdin: tar.stdout }).stdout.toString();
      expect(listed).toBe("passwd\n");
      const gnu = Bun.spawnSync(["tar", "-C", `${host}/tree`, "-cf", "-", "sub"]).stdout;
      const into = await c(["cp", "-", `${id}:/tmp`], { stdin: gnu.toString("latin1") });
      expect(into.code).toBe(0);
      expect((await c(["exec", id, "cat", "/tmp/sub/two.txt"])).stdout).toBe("two\n");
      const missing = await c(["cp", `${id}:/nonexistent`, host]);
      expect(missing.code).toBe(1);
      expect(missing.stderr).toContain("no such file or directory");
      await c(["rm", "-f", id]);
    });

    test("a symlink pointing out of the container does not reach the host, either way", async () => {
      const outside = `${host}/outside`;
      fs.mkdirSync(outside);
      // The container has a directory of the same path as the host's `outside`, and /link to it.
      const id = (await run(["-d", "busybox", "sh", "-c", `mkdir -p ${outside}; ln -s ${outside} /link; ln -s /etc/passwd /plink; sleep 60`])).stdout.trim();
      expect(await eventually(async () => (await c(["exec", id, "test", "-L", "/plink"])).code === 0)).toBe(true);
      fs.writeFileSync(`${host}/payload`, "payload\n");
      // Into the container through /link: it lands in the container's own tree, not in `outside`.
      const r = await c(["cp", `${host}/payload`, `${id}:/link/payload`]);
      expect(r.code).toBe(0);
      expect(fs.readdirSync(outside)).toEqual([]);
      expect((await c(["exec", id, "cat", `${outside}/payload`])).stdout).toBe("payload\n");
      // Out of it: the symlink itself, not the host file it names.
      expect((await c(["cp", `${id}:/plink`, `${host}/plink-copy`])).code).toBe(0);
      expect(fs.lstatSync(`${host}/plink-copy`).isSymbolicLink()).toBe(true);
      // With -L: the container's /etc/passwd, never the host's.
      expect((await c(["cp", "-L", `${id}:/plink`, `${host}/plink-followed`])).code).toBe(0);
      expect(fs.readFileSync(`${host}/plink-followed`, "utf8")).toContain("app:x:1000");
      // A stopped container's files too (its layers mounted detached, gone afterwards).
      await c(["stop", "-t", "0", id]);
      expect((await c(["cp", `${id}:/etc/passwd`, `${host}/stopped-passwd`])).code).toBe(0);
      expect(fs.readFileSync(`${host}/stopped-passwd`, "utf8")).toContain("app:x:1000");
      expect((await c(["cp", `${host}/payload`, `${id}:/payload2`])).code).toBe(0);
      expect((await c(["start", id])).code).toBe(0);
      expect((await c(["exec", id, "cat", "/payload2"])).stdout).toBe("payload\n");
      expect(t.hostMounts()).toEqual([]);
      await c(["rm", "-f", id]);
    });
  });

  describe("commit", () => {
    test("the container's changes (new, changed and deleted files, opaque dirs) become a layer: commit → run → save → load", async () => {
      await run(["--name", "base", "busybox", "sh", "-c", "echo new > /new; echo changed > /etc/group; rm /bin/vi; rm -rf /tmp; mkdir /tmp; echo t > /tmp/only"]);
      const id = await c(["commit", "-c", 'CMD ["cat", "/new"]', "-c", "ENV COMMITTED=yes", "-m", "my change", "-a", "tester", "base", "committed:v1"]);
      expect(id.code).toBe(0);
      expect(id.stdout).toMatch(/^sha256:[0-9a-f]{64}\n$/);
      expect((await run(["--rm", "committed:v1"])).stdout).toBe("new\n");
      const check = "cat /etc/group; ls /bin/vi 2>&1; ls /tmp; echo $COMMITTED";
      const expected = "changed\nls: /bin/vi: No such file or directory\nonly\nyes\n";
      expect((await run(["--rm", "committed:v1", "sh", "-c", check])).stdout).toBe(expected);
      const hist = JSON.parse((await c(["image", "inspect", "committed:v1"])).stdout)[0];
      expect(JSON.stringify(hist)).toContain("my change");
      // The init layer (hostname, hosts) is not in it: a new container gets its own hostname.
      const hn = (await run(["--rm", "committed:v1", "cat", "/etc/hostname"])).stdout.trim();
      expect(hn).toMatch(/^[0-9a-f]{12}$/);
      const archive = `${host}/committed.tar`;
      expect((await c(["save", "-o", archive, "committed:v1"])).code).toBe(0);
      await c(["rm", "base"]);
      expect((await c(["rmi", "committed:v1"])).code).toBe(0);
      const loaded = await c(["load", "-i", archive]);
      expect(loaded.stdout).toBe("Loaded image: docker.io/library/committed:v1\n");
      expect((await run(["--rm", "committed:v1", "sh", "-c", check])).stdout).toBe(expected);
      const notArchive = await c(["load", "-i", `${host}/one.txt`]);
      expect(notArchive.code).toBe(125);
      await c(["rmi", "committed:v1"]);
    });
  });
});
