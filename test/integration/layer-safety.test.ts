// Hostile layers: each case is a tar crafted byte by byte and imported with `ctr import`, the
// way an image from an untrusted registry arrives. Nothing may be written outside the layer
// directory, and a refused layer leaves the store as it was.
import { craftTar, type Entry } from "../helpers/tar";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ctr, haveBinary, isRoot } from "../helpers/cli";
import { fgetxattrs, openat, closeFd, AT_FDCWD } from "../../ffi/at";
import { O_RDONLY, O_CLOEXEC } from "../../ffi/constants";

const enabled = isRoot && haveBinary;
let tmp = "";
let outside = "";
let ROOT = "";

const craft = craftTar;

let n = 0;
async function importTar(tar: Buffer, extra: string[] = [], env: Record<string, string> = {}) {
  const file = `${tmp}/layer-${++n}.tar`;
  fs.writeFileSync(file, tar);
  return ctr(["import", file, "--name", `safety:${n}`, ...extra], { env: { CTR_ROOT: ROOT, ...env } });
}

/** The single layer of the most recent import. */
function layerOf(name: string): string {
  const info = JSON.parse(Bun.spawnSync([process.env.CTR_BIN ?? path.resolve(import.meta.dir, "../../dist/ctr"), "image", "inspect", name], { env: { ...process.env, CTR_ROOT: ROOT } }).stdout.toString())[0];
  const diffId = info.RootFS.Layers[0] as string;
  return `${ROOT}/layers/${diffId.slice(7)}/diff`;
}

function storeSnapshot() {
  const ls = (d: string) => (fs.existsSync(`${ROOT}/${d}`) ? fs.readdirSync(`${ROOT}/${d}`).sort() : []);
  return { layers: ls("layers"), blobs: ls("blobs/sha256"), tmp: ls("tmp"), l: ls("l") };
}

const file = (name: string, data = "x", mode = 0o644): Entry => ({ name, type: "file", mode, data });

describe.skipIf(!enabled)("layer safety (crafted tars)", () => {
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-test-safety-"));
    outside = `${tmp}/outside`;
    fs.mkdirSync(outside);
    fs.writeFileSync(`${outside}/secret`, "host secret\n");
    ROOT = `${tmp}/root`;
  });
  afterAll(() => {
    // No test may have written to the host directory the tars aim at.
    expect(fs.readdirSync(outside)).toEqual(["secret"]);
    expect(fs.readFileSync(`${outside}/secret`, "utf8")).toBe("host secret\n");
    expect(fs.statSync(`${outside}/secret`).nlink).toBe(1);
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test("`..` and absolute names stay inside the layer", async () => {
    const r = await importTar(craft([file(`../../../../../../..${outside}/dotdot`), file(`${outside}/absolute`), file("./normal")]));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const layer = layerOf(`safety:${n}`);
    expect(fs.existsSync(`${outside}/dotdot`)).toBe(false);
    expect(fs.existsSync(`${outside}/absolute`)).toBe(false);
    // Cleaned as if rooted at "/", as containerd and umoci do.
    expect(fs.readFileSync(`${layer}${outside}/dotdot`, "utf8")).toBe("x");
    expect(fs.readFileSync(`${layer}${outside}/absolute`, "utf8")).toBe("x");
    expect(fs.existsSync(`${layer}/normal`)).toBe(true);
  });

  test("an entry through a symlink to a host path is refused, and the store is unchanged", async () => {
    const before = storeSnapshot();
    const r = await importTar(craft([{ name: "evil", type: "symlink", mode: 0o777, linkname: outside }, file("evil/through-symlink")]));
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("evil/through-symlink");
    expect(fs.existsSync(`${outside}/through-symlink`)).toBe(false);
    expect(storeSnapshot()).toEqual(before);
  });

  test("a relative symlink climbing out resolves inside the layer", async () => {
    const r = await importTar(craft([{ name: "a/b", type: "dir", mode: 0o755 }, { name: "a/b/up", type: "symlink", mode: 0o777, linkname: "../../../../../../.." }, file("a/b/up/landed")]));
    expect(r.code).toBe(0);
    const layer = layerOf(`safety:${n}`);
    expect(fs.readFileSync(`${layer}/landed`, "utf8")).toBe("x");
    expect(fs.existsSync(`${tmp}/landed`)).toBe(false);
  });

  test("hardlinks to host files, directly or through a symlink, are refused", async () => {
    const before = storeSnapshot();
    const direct = await importTar(craft([{ name: "hl", type: "hardlink", mode: 0o644, linkname: `${outside}/secret` }]));
    expect(direct.code).toBe(125);
    expect(direct.stderr).toContain("not in the layer");
    const via = await importTar(craft([{ name: "s", type: "symlink", mode: 0o777, linkname: outside }, { name: "h", type: "hardlink", mode: 0o644, linkname: "s/secret" }]));
    expect(via.code).toBe(125);
    expect(fs.statSync(`${outside}/secret`).nlink).toBe(1);
    expect(storeSnapshot()).toEqual(before);
  });

  test("hardlinks inside the layer work", async () => {
    const r = await importTar(craft([file("orig", "same"), { name: "copy", type: "hardlink", mode: 0o644, linkname: "orig" }]));
    expect(r.code).toBe(0);
    const layer = layerOf(`safety:${n}`);
    expect(fs.statSync(`${layer}/copy`).ino).toBe(fs.statSync(`${layer}/orig`).ino);
  });

  test("device nodes are refused by default and kept with --allow-devices", async () => {
    const tar = craft([{ name: "disk", type: "block", mode: 0o600, devmajor: 8, devminor: 0 }, { name: "null2", type: "char", mode: 0o666, devmajor: 1, devminor: 3 }, file("ok")]);
    const r = await importTar(tar);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("skipped 2 device node(s) (disk, null2)");
    const layer = layerOf(`safety:${n}`);
    expect(fs.existsSync(`${layer}/disk`)).toBe(false);
    expect(fs.existsSync(`${layer}/ok`)).toBe(true);
    fs.chmodSync(ROOT, 0o700);
    const allowed = await importTar(craft([{ name: "null3", type: "char", mode: 0o666, devmajor: 1, devminor: 3 }]), ["--allow-devices"]);
    expect(allowed.code).toBe(0);
    const st = fs.statSync(`${layerOf(`safety:${n}`)}/null3`);
    expect(st.isCharacterDevice()).toBe(true);
  });

  test("a decompression bomb stops at the size limit and leaves nothing", async () => {
    const before = storeSnapshot();
    const zeros = craft([file("bomb", Buffer.alloc(32 * 1024 * 1024) as unknown as string)]);
    const gz = `${tmp}/bomb.tar.gz`;
    fs.writeFileSync(gz, Bun.gzipSync(new Uint8Array(zeros)));
    expect(fs.statSync(gz).size).toBeLessThan(100 * 1024);
    const r = await ctr(["import", gz, "--name", "bomb"], { env: { CTR_ROOT: ROOT, CTR_MAX_LAYER_BYTES: String(4 * 1024 * 1024) } });
    expect(r.code).toBe(125);
    expect(r.stderr).toContain("limit of 4194304 bytes");
    expect(storeSnapshot()).toEqual(before);
  });

  test("whiteouts become overlayfs whiteouts; overlay xattrs from the tar are ignored", async () => {
    const tar = craft([
      { name: "dir/", type: "dir", mode: 0o755 },
      file("dir/.wh..wh..opq", ""),
      file(".wh.victim", ""),
      { name: "sneaky", type: "file", mode: 0o644, data: "", xattrs: new Map([["trusted.overlay.redirect", Buffer.from("/etc")], ["user.note", Buffer.from("kept")]]) },
    ]);
    const r = await importTar(tar);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("trusted.overlay.redirect");
    const layer = layerOf(`safety:${n}`);
    const wh = fs.statSync(`${layer}/victim`);
    expect(wh.isCharacterDevice()).toBe(true);
    expect(wh.rdev).toBe(0);
    expect(fs.existsSync(`${layer}/.wh.victim`)).toBe(false);
    const xattrsOf = (p: string) => {
      const fd = openat(AT_FDCWD, p, O_RDONLY | O_CLOEXEC);
      try {
        return fgetxattrs(fd);
      } finally {
        closeFd(fd);
      }
    };
    expect(xattrsOf(`${layer}/dir`).get("trusted.overlay.opaque")?.toString()).toBe("y");
    const x = xattrsOf(`${layer}/sneaky`);
    expect(x.has("trusted.overlay.redirect")).toBe(false);
    // user.* xattrs are kept where the filesystem has them (tmpfs before 6.6 does not: then a warning).
    if (r.stderr.includes("user.note (the store's filesystem does not support it)")) expect(x.has("user.note")).toBe(false);
    else expect(x.get("user.note")?.toString()).toBe("kept");
  });

  test("a truncated tar or one with a bad checksum is refused, and the store is unchanged", async () => {
    const before = storeSnapshot();
    const whole = craft([file("a", "y".repeat(5000))]);
    const cut = await importTar(whole.subarray(0, 1024));
    expect(cut.code).toBe(125);
    expect(cut.stderr).toContain("truncated");
    const bad = Buffer.from(whole);
    bad[10] = bad[10]! ^ 0xff;
    const sum = await importTar(bad);
    expect(sum.code).toBe(125);
    expect(sum.stderr).toContain("checksum");
    expect(storeSnapshot()).toEqual(before);
  });

  test("later entries replace earlier ones of the same name, as tar does; a repeated directory keeps its contents", async () => {
    const r = await importTar(
      craft([
        file("x", "first"),
        { name: "x", type: "dir", mode: 0o755 },
        file("x/inside", "in"),
        { name: "x", type: "dir", mode: 0o700 },
        { name: "d", type: "dir", mode: 0o755 },
        file("d/gone", "g"),
        { name: "d", type: "symlink", mode: 0o777, linkname: "x" },
        file("f", "old"),
        file("f", "new"),
      ]),
    );
    expect(r.stderr).toBe("");
    const layer = layerOf(`safety:${n}`);
    expect(fs.readFileSync(`${layer}/x/inside`, "utf8")).toBe("in");
    expect(fs.statSync(`${layer}/x`).mode & 0o777).toBe(0o700);
    expect(fs.readlinkSync(`${layer}/d`)).toBe("x");
    expect(fs.readFileSync(`${layer}/f`, "utf8")).toBe("new");
  });

  test("ownership, modes, set-id bits and mtimes are kept", async () => {
    const r = await importTar(craft([{ name: "suid", type: "file", mode: 0o4755, uid: 1000, gid: 1001, data: "#!/bin/sh\n" }, { name: "d", type: "dir", mode: 0o1777 }]));
    expect(r.code).toBe(0);
    const layer = layerOf(`safety:${n}`);
    const st = fs.statSync(`${layer}/suid`);
    expect([st.uid, st.gid, st.mode & 0o7777, Math.floor(st.mtimeMs / 1000)]).toEqual([1000, 1001, 0o4755, 1700000000]);
    expect(fs.statSync(`${layer}/d`).mode & 0o7777).toBe(0o1777);
  });
});
