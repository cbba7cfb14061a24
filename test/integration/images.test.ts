// Images against a real registry (Debian's docker-registry on 127.0.0.1), with images the test
// builds (GNU tar + gzip) and pushes with skopeo: pull, auth, platforms, layers in the container,
// run with the image's config, rmi/prune/GC, save/import checked by skopeo, from-host.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ctr, haveBinary, isRoot, pidsWithMarker, testCgroupParent, uniqueMarker, waitFor } from "../helpers/cli";
import { BUSYBOX, makeBusyboxRootfs, removeRootfs } from "../helpers/rootfs";
import { haveRegistry, outsideAddress, pushLayout, startRegistry, startTokenProxy, type Registry } from "../helpers/registry";
import { layerDir, ociIndexLayout, ociLayout } from "../helpers/oci";

const enabled = isRoot && haveBinary && BUSYBOX !== undefined && haveRegistry;
const { parent: PARENT, leftovers } = testCgroupParent("images");
const USER = "tester";
const PASS = "s3cret-pass";

let tmp = "";
let ROOT = "";
let HOME = "";
let plain: Registry;
let basic: Registry;
let bearer: Registry;
let corrupt: Registry;
let flaky: Registry;
let slow: Registry;
let stall: Registry;
const cleanup: string[] = [];
const cleanupLayouts: { single?: string } = {};
const env = () => ({ CTR_ROOT: ROOT, HOME });
const c = (args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}) => ctr(args, { ...opts, env: { ...env(), ...opts.env } });
// --rm: a container run without it stays (Exited) until rm, as in Docker.
const run = (args: string[]) => c(["run", "--rm", "--cgroup-parent", PARENT, ...args]);

function hostMountsUnder(dir: string): string[] {
  return fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.split(" ")[4]?.startsWith(dir));
}
const dirEntries = (d: string) => (fs.existsSync(d) ? fs.readdirSync(d) : []);

/** A `ctr run` in the background, running `sleep <marker>`; resolves once the sleep is up. */
async function startSleeping(env: Record<string, string>, flags: string[], ref: string) {
  const marker = uniqueMarker();
  const bin = process.env.CTR_BIN ?? path.resolve(import.meta.dir, "../../dist/ctr");
  const proc = Bun.spawn([bin, "run", ...flags, "--cgroup-parent", PARENT, ref, "sleep", marker], { env: { ...process.env, ...env }, stdout: "ignore", stderr: "ignore" });
  expect(await waitFor(() => pidsWithMarker(marker).length === 1)).toBe(true);
  return { proc, marker };
}

describe.skipIf(!enabled)("images (root, real registry)", () => {
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-test-images-"));
    ROOT = `${tmp}/root`;
    HOME = `${tmp}/home`;
    fs.mkdirSync(HOME);
    [plain, basic] = await Promise.all([startRegistry(), startRegistry({ user: USER, password: PASS })]);
    [bearer, corrupt, flaky, slow, stall] = await Promise.all([
      startTokenProxy(plain.host, { user: USER, password: PASS }),
      startTokenProxy(plain.host, { user: USER, password: PASS, mode: "corrupt" }),
      startTokenProxy(plain.host, { user: USER, password: PASS, mode: "flaky" }),
      startTokenProxy(plain.host, { user: USER, password: PASS, mode: "slow" }),
      startTokenProxy(plain.host, { user: USER, password: PASS, mode: "stall" }),
    ]);

    const base = makeBusyboxRootfs();
    fs.mkdirSync(`${base}/work`);
    cleanup.push(base);
    const single = ociLayout({ layers: [{ dir: base }], config: { Cmd: ["sh", "-c", "echo from-cmd $GREETING"], Env: ["GREETING=hi", "PATH=/bin"], WorkingDir: "/work" } });
    // Layer 2 adds files; layer 3 deletes one (.wh.) and replaces a directory's contents (opaque).
    const l2 = layerDir({ "data/keep": "kept\n", "data/gone": "should be deleted\n", "opt/old1": "x", "opt/old2": "y", "etc/motd": "layer2\n" });
    const l3 = layerDir({ "data/.wh.gone": "", "opt/.wh..wh..opq": "", "opt/new": "z", "etc/motd": "layer3\n" });
    cleanup.push(l2, l3);
    const multi = ociLayout({ layers: [{ dir: base }, { dir: l2 }, { dir: l3 }], config: { Entrypoint: ["/bin/sh", "-c"], Cmd: ["cat /etc/motd"] } });
    const amd = layerDir({ platform: "amd64\n" });
    const arm = layerDir({ platform: "arm64\n" });
    cleanup.push(amd, arm);
    const multiarch = ociIndexLayout([
      { spec: { layers: [{ dir: base }, { dir: amd }], config: { Cmd: ["cat", "/platform"] } }, platform: { os: "linux", architecture: "amd64" } },
      { spec: { layers: [{ dir: base }, { dir: arm }], config: { Cmd: ["cat", "/platform"] } }, platform: { os: "linux", architecture: "arm64", variant: "v8" } },
    ]);
    cleanup.push(single, multi, multiarch);
    cleanupLayouts.single = single;
    pushLayout(single, `${plain.host}/test/single:1.0`);
    pushLayout(multi, `${plain.host}/test/multi:latest`);
    pushLayout(multiarch, `${plain.host}/test/multiarch:latest`, { all: true });
    pushLayout(single, `${basic.host}/private/single:latest`, { creds: `${USER}:${PASS}` });
    pushLayout(multi, `${plain.host}/test/docker-format:latest`, { docker: true });
    pushLayout(single, `${plain.host}/public/single:latest`);
  }, 120_000);

  afterAll(async () => {
    await Promise.all([plain, basic, bearer, corrupt, flaky, slow, stall].filter(Boolean).map((r) => r.stop()));
    // Leak check for the file: no overlay or other mount under the state root, no cgroup,
    // no container directory, nothing in tmp/.
    expect(hostMountsUnder(tmp)).toEqual([]);
    expect(leftovers()).toEqual([]);
    expect(dirEntries(`${ROOT}/containers`)).toEqual([]);
    expect(dirEntries(`${ROOT}/tmp`)).toEqual([]);
    for (const d of cleanup) removeRootfs(d);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test("pull a single-layer image and run it with its config (Cmd, Env, WorkingDir)", async () => {
    const p = await c(["pull", `${plain.host}/test/single:1.0`]);
    expect(p.stderr).toContain("pull complete");
    expect(p.code).toBe(0);
    const r = await run([`${plain.host}/test/single:1.0`]);
    expect(r).toMatchObject({ code: 0, stdout: "from-cmd hi\n" });
    const pwd = await run([`${plain.host}/test/single:1.0`, "pwd"]);
    expect(pwd.stdout).toBe("/work\n");
    // Flags win over the config: -e, -w, --entrypoint.
    const o = await run(["-e", "GREETING=flag", "-w", "/tmp", `${plain.host}/test/single:1.0`, "sh", "-c", "echo $GREETING $PWD"]);
    expect(o.stdout).toBe("flag /tmp\n");
    const e = await run(["--entrypoint", "echo", `${plain.host}/test/single:1.0`, "via", "entrypoint"]);
    expect(e.stdout).toBe("via entrypoint\n");
    // -i: stdin reaches the container (its init was started before the image was read).
    const i = await c(["run", "--rm", "-i", "--cgroup-parent", PARENT, `${plain.host}/test/single:1.0`, "cat"], { stdin: "piped in\n" });
    expect(i.stdout).toBe("piped in\n");
    // A bad flag found after the init was started: refused, and no init is left behind.
    const bad = await run(["--memory", "lots", `${plain.host}/test/single:1.0`, "true"]);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain('--memory: invalid size "lots"');
  });

  test("the container gets /etc/hostname, /etc/hosts and /etc/resolv.conf from its init layer", async () => {
    const r = await run(["--hostname", "imgbox", `${plain.host}/test/single:1.0`, "sh", "-c", "cat /etc/hostname; grep -c localhost /etc/hosts; test -f /etc/resolv.conf && echo resolv"]);
    expect(r.stdout).toBe("imgbox\n2\nresolv\n");
  });

  test("a multi-layer image: upper layers win, whiteouts delete, opaque directories replace", async () => {
    const r = await run([`${plain.host}/test/multi`]);
    expect(r).toMatchObject({ code: 0, stdout: "layer3\n" });
    const ls = await run([`${plain.host}/test/multi`, "ls /data /opt; test -e /data/gone || echo gone-is-gone"]);
    expect(ls.stdout).toBe("/data:\nkeep\n\n/opt:\nnew\ngone-is-gone\n");
    // Writes land in the container's own upper layer: the next container sees the image as it was.
    await run([`${plain.host}/test/multi`, "echo changed > /etc/motd; rm /data/keep"]);
    const again = await run([`${plain.host}/test/multi`, "cat /etc/motd /data/keep"]);
    expect(again.stdout).toBe("layer3\nkept\n");
  });

  test("ctr images lists pulled images (table and json); layers are shared between images", async () => {
    const t = await c(["images"]);
    expect(t.stdout).toMatch(new RegExp(`${plain.host}/test/single\\s+1.0\\s+[0-9a-f]{12}`));
    const j = await c(["images", "--format", "json"]);
    const rows = JSON.parse(j.stdout) as { Repository: string; Tag: string; Id: string; Size: number }[];
    expect(rows.find((r) => r.Repository === `${plain.host}/test/multi`)).toMatchObject({ Tag: "latest", Id: expect.stringMatching(/^sha256:/) });
    // single and multi share the busybox layer: unpacked once.
    const layers = dirEntries(`${ROOT}/layers`);
    expect(layers.length).toBe(3);
  });

  test("an index with two platforms: the host's is chosen, --platform picks another", async () => {
    const r = await run([`${plain.host}/test/multiarch`]);
    expect(r.stdout).toBe("amd64\n");
    const arm = await c(["pull", "-q", "--platform", "linux/arm64", `${plain.host}/test/multiarch`]);
    expect(arm.code).toBe(0);
    const info = JSON.parse((await c(["image", "inspect", `${plain.host}/test/multiarch`])).stdout)[0] as { Architecture: string };
    expect(info.Architecture).toBe("arm64");
    const none = await c(["pull", "--platform", "linux/s390x", `${plain.host}/test/multiarch`]);
    expect(none.code).toBe(125);
    expect(none.stderr).toContain("no image for platform linux/s390x (the index has: linux/amd64, linux/arm64/v8)");
  });

  test("pull by digest, and a tag that does not exist", async () => {
    const info = JSON.parse((await c(["image", "inspect", `${plain.host}/test/single:1.0`])).stdout)[0] as { RepoDigests: string[] };
    const byDigest = await c(["pull", "-q", info.RepoDigests[0]!]);
    expect(byDigest.code).toBe(0);
    const missing = await c(["pull", `${plain.host}/test/single:nope`]);
    expect(missing.code).toBe(125);
    expect(missing.stderr).toContain("not found");
    expect(missing.stderr).toContain("MANIFEST_UNKNOWN");
  });

  test("basic auth: refused without credentials, accepted with --creds, with ctr login, and logout", async () => {
    const ref = `${basic.host}/private/single:latest`;
    const anon = await c(["pull", ref]);
    expect(anon.code).toBe(125);
    expect(anon.stderr).toContain("authentication required");
    const bad = await c(["pull", "--creds", `${USER}:wrong`, ref]);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain("credentials were refused");
    expect((await c(["pull", "-q", "--creds", `${USER}:${PASS}`, ref])).code).toBe(0);
    await c(["rmi", ref]);

    const badLogin = await c(["login", "-u", USER, "--password-stdin", basic.host], { stdin: "wrong\n" });
    expect(badLogin.code).toBe(125);
    const login = await c(["login", "-u", USER, "--password-stdin", basic.host], { stdin: `${PASS}\n` });
    expect(login).toMatchObject({ code: 0, stdout: "Login Succeeded\n" });
    const saved = JSON.parse(fs.readFileSync(`${HOME}/.config/ctr/auth.json`, "utf8"));
    expect(Buffer.from(saved.auths[basic.host].auth, "base64").toString()).toBe(`${USER}:${PASS}`);
    expect(fs.statSync(`${HOME}/.config/ctr/auth.json`).mode & 0o777).toBe(0o600);
    expect((await c(["pull", "-q", ref])).code).toBe(0);
    expect((await c(["logout", basic.host])).code).toBe(0);
    expect((await c(["pull", ref])).code).toBe(125);
  });

  test("credentials from ~/.docker/config.json", async () => {
    const dockerHome = `${tmp}/dockerhome`;
    fs.mkdirSync(`${dockerHome}/.docker`, { recursive: true });
    fs.writeFileSync(`${dockerHome}/.docker/config.json`, JSON.stringify({ auths: { [basic.host]: { auth: Buffer.from(`${USER}:${PASS}`).toString("base64") } } }));
    const r = await c(["pull", "-q", `${basic.host}/private/single:latest`], { env: { HOME: dockerHome } });
    expect(r.code).toBe(0);
  });

  test("bearer tokens: the WWW-Authenticate challenge flow; blobs redirected to another origin get no credentials", async () => {
    const ref = `${bearer.host}/test/multi:latest`;
    const anon = await c(["pull", ref]);
    expect(anon.code).toBe(125);
    expect(anon.stderr).toContain("authentication required");
    const ok = await c(["pull", "--creds", `${USER}:${PASS}`, ref]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toContain("Status:");
    // Docker Hub's public images: an anonymous token, no credentials.
    const pub = await c(["pull", "-q", `${bearer.host}/public/single`]);
    expect(pub.code).toBe(0);
  });

  test("a blob whose bytes do not match its digest is refused, and the store is left as it was", async () => {
    const fresh = `${tmp}/fresh-root`;
    const r = await c(["pull", `${corrupt.host}/test/single:1.0`], { env: { CTR_ROOT: fresh } });
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("digest mismatch");
    expect(dirEntries(`${fresh}/layers`)).toEqual([]);
    expect(dirEntries(`${fresh}/tmp`)).toEqual([]);
    expect((await c(["images", "-q"], { env: { CTR_ROOT: fresh } })).stdout).toBe("");
    fs.rmSync(fresh, { recursive: true, force: true });
  });

  test("a Docker v2 schema 2 manifest, and a registry that fails every other request (503): retried", async () => {
    const fresh = `${tmp}/v2s2-root`;
    const e = { env: { CTR_ROOT: fresh } };
    const manifest = await fetch(`http://${plain.host}/v2/test/docker-format/manifests/latest`, { headers: { accept: "application/vnd.docker.distribution.manifest.v2+json" } });
    expect(manifest.headers.get("content-type")).toBe("application/vnd.docker.distribution.manifest.v2+json");
    await manifest.arrayBuffer();
    const r = await c(["pull", `${flaky.host}/test/docker-format`], e);
    expect(r.stderr).not.toContain("failed");
    expect(r.code).toBe(0);
    expect((await c(["run", "--rm", "--cgroup-parent", PARENT, `${flaky.host}/test/docker-format`], e)).stdout).toBe("layer3\n");
    fs.rmSync(fresh, { recursive: true, force: true });
  });

  test("Ctrl-C mid-pull leaves nothing; after a SIGKILL mid-pull the next pull cleans up and completes", async () => {
    const fresh = `${tmp}/interrupt-root`;
    const bin = process.env.CTR_BIN ?? path.resolve(import.meta.dir, "../../dist/ctr");
    const start = () => Bun.spawn([bin, "pull", `${slow.host}/test/multi`], { env: { ...process.env, CTR_ROOT: fresh }, stdout: "ignore", stderr: "pipe" });
    const downloading = () => dirEntries(`${fresh}/tmp`).some((n) => n.includes("-blob-"));

    const first = start();
    expect(await waitFor(downloading)).toBe(true);
    first.kill("SIGINT");
    expect(await first.exited).toBe(130);
    expect(await new Response(first.stderr).text()).toContain("interrupted (SIGINT)");
    expect(dirEntries(`${fresh}/tmp`)).toEqual([]);
    // Small layers may have finished before the signal: those are whole (the next pull reuses them);
    // nothing half-done is under layers/.
    for (const l of dirEntries(`${fresh}/layers`)) expect(fs.existsSync(`${fresh}/layers/${l}/meta.json`)).toBe(true);
    expect((await c(["images", "-q"], { env: { CTR_ROOT: fresh } })).stdout).toBe("");

    const second = start();
    expect(await waitFor(downloading)).toBe(true);
    second.kill("SIGKILL");
    await second.exited;
    expect(dirEntries(`${fresh}/tmp`).length).toBeGreaterThan(0); // what a kill leaves
    const images = await c(["images", "-q"], { env: { CTR_ROOT: fresh } });
    expect(images.stdout).toBe("");
    // The next pull removes the dead pull's leftovers and does the work again.
    const third = await c(["pull", "-q", `${plain.host}/test/multi`], { env: { CTR_ROOT: fresh } });
    expect(third.code).toBe(0);
    expect(dirEntries(`${fresh}/tmp`)).toEqual([]);
    expect((await c(["run", "--rm", "--cgroup-parent", PARENT, `${plain.host}/test/multi`], { env: { CTR_ROOT: fresh } })).stdout).toBe("layer3\n");
    fs.rmSync(fresh, { recursive: true, force: true });
  });

  test("a download that stalls is given up, retried, and then reported; the store is left as it was", async () => {
    const fresh = `${tmp}/stall-root`;
    const r = await c(["pull", `${stall.host}/test/single:1.0`], { env: { CTR_ROOT: fresh, CTR_STALL_TIMEOUT_MS: "300" } });
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("the download stalled (no data for 0.3 s");
    expect(r.stderr.match(/retrying/g)?.length).toBe(2);
    expect(dirEntries(`${fresh}/layers`)).toEqual([]);
    expect(dirEntries(`${fresh}/tmp`)).toEqual([]);
    fs.rmSync(fresh, { recursive: true, force: true });
  });

  test("concurrent pulls of the same image both succeed and share one copy", async () => {
    const fresh = `${tmp}/concurrent-root`;
    const e = { env: { CTR_ROOT: fresh } };
    const results = await Promise.all([1, 2, 3].map(() => c(["pull", "-q", `${plain.host}/test/multi`], e)));
    expect(results.map((r) => r.code)).toEqual([0, 0, 0]);
    expect(dirEntries(`${fresh}/layers`).length).toBe(3);
    expect(dirEntries(`${fresh}/tmp`)).toEqual([]);
    const r = await c(["run", "--rm", "--cgroup-parent", PARENT, `${plain.host}/test/multi`], e);
    expect(r.stdout).toBe("layer3\n");
    fs.rmSync(fresh, { recursive: true, force: true });
  });

  test("rmi refuses an image a running container uses; after it exits, rmi and GC free everything", async () => {
    const fresh = `${tmp}/rmi-root`;
    const e = { CTR_ROOT: fresh };
    const ref = `${plain.host}/test/single:1.0`;
    expect((await c(["pull", "-q", ref], { env: e })).code).toBe(0);
    // --init: a plain sleep as PID 1 would ignore the forwarded SIGTERM, as in Docker.
    const { proc } = await startSleeping(e, ["--init", "--rm"], ref);
    const refused = await c(["rmi", ref], { env: e });
    // Docker's code for a conflict the daemon refuses: 1.
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain("the image is used by container");
    // -f untags it; the image and its layers stay while the container runs (it still needs them).
    const forced = await c(["rmi", "-f", ref], { env: e });
    expect(forced.stdout).toBe(`Untagged: ${ref}\n`);
    expect((await c(["images"], { env: e })).stdout).toContain("<none>");
    expect(dirEntries(`${fresh}/layers`).length).toBe(1);
    proc.kill("SIGTERM");
    expect(await proc.exited).toBe(143);
    // Untagged and unused now: prune takes it, and GC everything it had.
    const pruned = await c(["image", "prune"], { env: e });
    expect(pruned.stdout).toContain("Deleted: sha256:");
    expect(dirEntries(`${fresh}/layers`)).toEqual([]);
    expect((await c(["pull", "-q", ref], { env: e })).code).toBe(0);
    const ok = await c(["rmi", ref], { env: e });
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain("Deleted: sha256:");
    expect(dirEntries(`${fresh}/layers`)).toEqual([]);
    expect(dirEntries(`${fresh}/blobs/sha256`)).toEqual([]);
    expect(dirEntries(`${fresh}/l`)).toEqual([]);
    expect(dirEntries(`${fresh}/containers`)).toEqual([]);
    fs.rmSync(fresh, { recursive: true, force: true });
  });

  test("a SIGKILLed ctr leaves no mount and no process; its container stays, Exited (137), until rm", async () => {
    const fresh = `${tmp}/killed-root`;
    const e = { CTR_ROOT: fresh };
    const ref = `${plain.host}/test/single:1.0`;
    expect((await c(["pull", "-q", ref], { env: e })).code).toBe(0);
    const { proc, marker } = await startSleeping(e, [], ref);
    expect(dirEntries(`${fresh}/containers`).length).toBe(1);
    proc.kill("SIGKILL");
    await proc.exited;
    expect(await waitFor(() => pidsWithMarker(marker).length === 0)).toBe(true);
    // The overlay lived in the container's mount namespace: nothing of it is on the host.
    expect(hostMountsUnder(fresh)).toEqual([]);
    // As Docker: a container run without --rm stays, its exit recorded by the monitor, and it
    // keeps its image until it is removed.
    expect(await waitFor(() => dirEntries(`${fresh}/containers`).some((id) => fs.existsSync(`${fresh}/containers/${id}/exit.json`)))).toBe(true);
    const ps = await c(["ps", "-a", "--format", "{{.Status}}"], { env: e });
    expect(ps.stdout).toMatch(/^Exited \(137\)/);
    expect((await c(["rmi", ref], { env: e })).code).toBe(1);
    const [id] = dirEntries(`${fresh}/containers`);
    expect((await c(["rm", id!], { env: e })).code).toBe(0);
    const rmi = await c(["rmi", ref], { env: e });
    expect(rmi.code).toBe(0);
    expect(dirEntries(`${fresh}/containers`)).toEqual([]);
    expect(dirEntries(`${fresh}/layers`)).toEqual([]);
    // Its cgroup, left by the kill, goes with the next run after CTR_STALE_CGROUP_AGE.
    expect((await c(["image", "from-host", "again", "true"], { env: e })).code).toBe(0);
    await c(["run", "--rm", "--cgroup-parent", PARENT, "again"], { env: { ...e, CTR_STALE_CGROUP_AGE: "0" } });
    fs.rmSync(fresh, { recursive: true, force: true });
  });

  test("image prune removes untagged images; -a removes unused ones", async () => {
    const fresh = `${tmp}/prune-root`;
    const e = { env: { CTR_ROOT: fresh } };
    const repo = `${plain.host}/test/prunable`;
    const first = ociLayout({ layers: [{ dir: cleanup[0]! }] });
    const extra = layerDir({ x: "1" });
    const second = ociLayout({ layers: [{ dir: cleanup[0]! }, { dir: extra }] });
    cleanup.push(first, second, extra);
    pushLayout(first, `${repo}:latest`);
    expect((await c(["pull", "-q", repo], e)).code).toBe(0);
    const id = JSON.parse((await c(["image", "inspect", repo], e)).stdout)[0].Id as string;
    // The same tag, pushed again with other content: the first image is left untagged ("<none>").
    pushLayout(second, `${repo}:latest`);
    expect((await c(["pull", "-q", repo], e)).code).toBe(0);
    expect((await c(["images"], e)).stdout).toContain("<none>");
    const p = await c(["image", "prune"], e);
    expect(p.stdout).toContain(`Deleted: ${id}`);
    expect((await c(["images"], e)).stdout).not.toContain("<none>");
    expect(dirEntries(`${fresh}/layers`).length).toBe(2);
    const all = await c(["image", "prune", "-a"], e);
    expect(all.code).toBe(0);
    expect((await c(["images", "-q"], e)).stdout).toBe("");
    expect(dirEntries(`${fresh}/layers`)).toEqual([]);
    expect(dirEntries(`${fresh}/blobs/sha256`)).toEqual([]);
    fs.rmSync(fresh, { recursive: true, force: true });
  });

  test("save writes a docker-archive skopeo reads; import brings it back; --format oci too", async () => {
    const ref = `${plain.host}/test/multi`;
    const file = `${tmp}/multi.tar`;
    expect((await c(["pull", "-q", ref])).code).toBe(0);
    const s = await c(["save", ref, "-o", file]);
    expect(s.code).toBe(0);
    // An independent reader: skopeo's docker-archive transport (what podman load uses).
    const insp = Bun.spawnSync(["skopeo", "inspect", `docker-archive:${file}`], { stderr: "pipe" });
    expect(insp.stderr.toString()).toBe("");
    const info = JSON.parse(insp.stdout.toString()) as { Layers: string[]; RepoTags: string[] };
    expect(info.Layers.length).toBe(3);
    const oci = `${tmp}/multi-oci.tar`;
    expect((await c(["save", "--format", "oci", ref, "-o", oci])).code).toBe(0);
    const inspOci = Bun.spawnSync(["skopeo", "inspect", `oci-archive:${oci}`], { stderr: "pipe" });
    expect(inspOci.exitCode).toBe(0);

    const fresh = `${tmp}/import-root`;
    const e = { env: { CTR_ROOT: fresh } };
    const imp = await c(["import", file], e);
    expect(imp.stdout).toBe(`Loaded image: ${ref}:latest\n`);
    const r = await c(["run", "--rm", "--cgroup-parent", PARENT, ref, "ls /opt; cat /etc/motd"], e);
    expect(r.stdout).toBe("new\nlayer3\n");
    const imp2 = await c(["import", oci, "--name", "again:v2"], e);
    expect(imp2.stdout).toBe("Loaded image: docker.io/library/again:v2\n");
    // save to stdout, import from stdin, through a pipe.
    const bin = process.env.CTR_BIN ?? path.resolve(import.meta.dir, "../../dist/ctr");
    const piped = Bun.spawnSync(["sh", "-c", `CTR_ROOT=${ROOT} ${bin} save ${ref} | CTR_ROOT=${tmp}/pipe-root ${bin} import - --name piped:1`], { stderr: "pipe" });
    expect(piped.stderr.toString()).toBe("");
    expect(piped.stdout.toString()).toBe("Loaded image: docker.io/library/piped:1\n");
    expect((await c(["run", "--rm", "--cgroup-parent", PARENT, "piped:1", "cat /etc/motd"], { env: { CTR_ROOT: `${tmp}/pipe-root` } })).stdout).toBe("layer3\n");
    fs.rmSync(`${tmp}/pipe-root`, { recursive: true, force: true });
    fs.rmSync(fresh, { recursive: true, force: true });
  });

  test.skipIf(!fs.existsSync("/usr/bin/podman"))("podman loads what ctr saves, and ctr imports what podman saves", async () => {
    const ref = `${plain.host}/test/multi`;
    const file = `${tmp}/for-podman.tar`;
    expect((await c(["pull", "-q", ref])).code).toBe(0);
    expect((await c(["save", ref, "-o", file])).code).toBe(0);
    const id = (JSON.parse((await c(["image", "inspect", ref])).stdout)[0].Id as string).slice(7, 19);
    // podman with its own storage in the test dir (vfs: no mounts, nothing left behind).
    const pm = ["podman", "--root", `${tmp}/podman/root`, "--runroot", `${tmp}/podman/run`, "--storage-driver", "vfs"];
    const load = Bun.spawnSync([...pm, "load", "-i", file], { stderr: "pipe" });
    expect(load.exitCode).toBe(0);
    expect(load.stdout.toString()).toContain(`Loaded image: ${ref}:latest`);
    const images = Bun.spawnSync([...pm, "images", "--format", "{{.ID}} {{.Repository}}"]).stdout.toString();
    expect(images).toContain(`${id} ${ref}`);
    for (const format of ["docker-archive", "oci-archive"]) {
      const out = `${tmp}/from-podman-${format}.tar`;
      const save = Bun.spawnSync([...pm, "save", "--format", format, "-o", out, `${ref}:latest`], { stderr: "pipe" });
      expect(save.exitCode).toBe(0);
      const fresh = `${tmp}/from-podman-root`;
      const imp = await c(["import", out, "--name", "frompodman:1"], { env: { CTR_ROOT: fresh } });
      expect(imp.code).toBe(0);
      const r = await c(["run", "--rm", "--cgroup-parent", PARENT, "frompodman:1", "ls /opt; cat /etc/motd"], { env: { CTR_ROOT: fresh } });
      expect(r.stdout).toBe("new\nlayer3\n");
      fs.rmSync(fresh, { recursive: true, force: true });
    }
  });

  test("import of an OCI layout directory and of a plain rootfs tarball", async () => {
    const fresh = `${tmp}/import2-root`;
    const e = { env: { CTR_ROOT: fresh } };
    const layout = ociLayout({ layers: [{ dir: cleanup[0]! }], config: { Cmd: ["echo", "from-layout"] } });
    cleanup.push(layout);
    // Re-format the manifest (as other tools write it: indented), so its digest is not the one a
    // re-serialisation would give.
    const index = JSON.parse(fs.readFileSync(`${layout}/index.json`, "utf8"));
    const pretty = Buffer.from(JSON.stringify(JSON.parse(fs.readFileSync(`${layout}/blobs/sha256/${index.manifests[0].digest.slice(7)}`, "utf8")), null, 3));
    const layoutManifest = `sha256:${new Bun.CryptoHasher("sha256").update(new Uint8Array(pretty)).digest("hex")}`;
    fs.writeFileSync(`${layout}/blobs/sha256/${layoutManifest.slice(7)}`, pretty);
    index.manifests[0] = { ...index.manifests[0], digest: layoutManifest, size: pretty.length };
    fs.writeFileSync(`${layout}/index.json`, JSON.stringify(index));
    expect((await c(["import", layout, "--name", "layout:1"], e)).code).toBe(0);
    // The layout's manifest is stored as it is: the image keeps its digest.
    expect(fs.existsSync(`${fresh}/blobs/sha256/${layoutManifest.slice(7)}`)).toBe(true);
    expect((await c(["run", "--rm", "--cgroup-parent", PARENT, "layout:1"], e)).stdout).toBe("from-layout\n");
    const tarball = `${tmp}/rootfs.tar.gz`;
    expect(Bun.spawnSync(["tar", "-C", cleanup[0]!, "-czf", tarball, "."]).exitCode).toBe(0);
    const imp = await c(["import", "-", "--name", "rootfs:gz"], { ...e, stdin: undefined });
    expect(imp.code).toBe(125); // stdin was empty
    const viaFile = await c(["import", tarball, "--name", "rootfs:gz"], e);
    expect(viaFile.code).toBe(0);
    expect((await c(["run", "--rm", "--cgroup-parent", PARENT, "rootfs:gz", "cat", "/etc/passwd"], e)).stdout).toContain("root:x:0:0");
    fs.rmSync(fresh, { recursive: true, force: true });
  });

  test("an image's User applies (and -u overrides it); 120 layers fit in one overlay mount", async () => {
    const fresh = `${tmp}/layers-root`;
    const e = { env: { CTR_ROOT: fresh } };
    const userLayout = ociLayout({ layers: [{ dir: cleanup[0]! }], config: { User: "app", Cmd: ["id", "-u"] } });
    cleanup.push(userLayout);
    expect((await c(["import", userLayout, "--name", "withuser:1"], e)).code).toBe(0);
    expect((await c(["run", "--rm", "--cgroup-parent", PARENT, "withuser:1"], e)).stdout).toBe("1000\n");
    expect((await c(["run", "--rm", "--cgroup-parent", PARENT, "-u", "0", "withuser:1"], e)).stdout).toBe("0\n");

    // With absolute paths 120 lower dirs would overflow the mount options' page; short links do not.
    const many = Array.from({ length: 119 }, (_, i) => layerDir({ [`layer/${String(i).padStart(3, "0")}`]: String(i) }));
    cleanup.push(...many);
    const tall = ociLayout({ layers: [{ dir: cleanup[0]! }, ...many.map((dir) => ({ dir }))], config: { Cmd: ["sh", "-c", "ls /layer | wc -l; cat /layer/118"] } });
    cleanup.push(tall);
    expect((await c(["import", tall, "--name", "tall:1"], e)).code).toBe(0);
    const r = await c(["run", "--rm", "--cgroup-parent", PARENT, "tall:1"], e);
    expect(r.stderr).toBe("");
    expect(r.stdout.split(/\s+/).filter(Boolean)).toEqual(["119", "118"]);
    fs.rmSync(fresh, { recursive: true, force: true });
  }, 120_000);

  test("image from-host: host programs and their shared libraries, runnable with no registry", async () => {
    const fresh = `${tmp}/fromhost-root`;
    const e = { env: { CTR_ROOT: fresh } };
    const r = await c(["image", "from-host", "hosttools", "sh", "cat"], e);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/libc\.so\.6/);
    const out = await c(["run", "--rm", "--cgroup-parent", PARENT, "hosttools", "sh", "-c", "cat /etc/hostname >/dev/null && echo ran"], e);
    expect(out).toMatchObject({ code: 0, stdout: "ran\n" });
    // Another name for it, and the image stays until its last name goes.
    expect((await c(["tag", "hosttools", "localhost:5000/tools:v1"], e)).code).toBe(0);
    expect((await c(["images"], e)).stdout).toMatch(/localhost:5000\/tools\s+v1/);
    expect((await c(["rmi", "hosttools"], e)).stdout).toBe("Untagged: docker.io/library/hosttools:latest\n");
    expect((await c(["run", "--rm", "--cgroup-parent", PARENT, "localhost:5000/tools:v1", "sh", "-c", "echo still"], e)).stdout).toBe("still\n");
    fs.rmSync(fresh, { recursive: true, force: true });
  });

  test("push: an image made here goes to a registry (anonymous and basic auth) with its digest, and pulls back", async () => {
    const fresh = `${tmp}/push-root`;
    const e = { env: { CTR_ROOT: fresh } };
    expect((await c(["image", "from-host", "pushme", "sh"], e)).code).toBe(0);
    const dest = `${plain.host}/pushed/tools:1`;
    const p = await c(["push", "pushme", dest], e);
    expect(p.code).toBe(0);
    const pushedDigest = p.stdout.trim().split("@")[1]!;
    expect(pushedDigest).toMatch(/^sha256:[0-9a-f]{64}$/);
    // skopeo, independently, sees the same manifest digest.
    const insp = JSON.parse(Bun.spawnSync(["skopeo", "inspect", "--tls-verify=false", `docker://${dest}`]).stdout.toString()) as { Digest: string };
    expect(insp.Digest).toBe(pushedDigest);
    expect(JSON.parse((await c(["image", "inspect", "pushme"], e)).stdout)[0].RepoDigests).toEqual([`${plain.host}/pushed/tools@${pushedDigest}`]);
    // A second push uploads nothing again.
    expect((await c(["push", "pushme", dest], e)).stderr).toContain("already exists");
    // Basic auth: refused without credentials, accepted with them.
    const privateDest = `${basic.host}/pushed/tools:1`;
    expect((await c(["push", "pushme", privateDest], e)).code).toBe(125);
    expect((await c(["push", "-q", "--creds", `${USER}:${PASS}`, "pushme", privateDest], e)).code).toBe(0);
    const back = `${tmp}/push-back-root`;
    expect((await c(["pull", "-q", dest], { env: { CTR_ROOT: back } })).code).toBe(0);
    expect((await c(["run", "--rm", "--cgroup-parent", PARENT, dest, "sh", "-c", "echo round trip"], { env: { CTR_ROOT: back } })).stdout).toBe("round trip\n");
    fs.rmSync(fresh, { recursive: true, force: true });
    fs.rmSync(back, { recursive: true, force: true });
  });

  test.skipIf(outsideAddress() === null)("a plain-HTTP registry that is not local needs --insecure", async () => {
    const remote = await startRegistry({ address: outsideAddress()! });
    try {
      pushLayout(cleanupLayouts.single!, `${remote.host}/test/single:1`);
      const refused = await c(["pull", `${remote.host}/test/single:1`]);
      expect(refused.code).toBe(125);
      expect(refused.stderr).toContain("pass --insecure");
      const ok = await c(["pull", "-q", "--insecure", `${remote.host}/test/single:1`]);
      expect(ok.code).toBe(0);
    } finally {
      await remote.stop();
    }
  });

  test("errors: unknown image with --pull never, bad reference, unreachable registry", async () => {
    const never = await c(["run", "--pull", "never", "nothing-here:1", "true"]);
    expect(never.code).toBe(125);
    expect(never.stderr).toContain("not found in the store");
    const bad = await c(["pull", "UPPER/Case"]);
    expect(bad.code).toBe(125);
    expect(bad.stderr).toContain("invalid image reference");
    const down = await c(["pull", "127.0.0.1:1/x:y"]);
    expect(down.code).toBe(125);
    expect(down.stderr).toContain("cannot reach 127.0.0.1:1");
  });
});
