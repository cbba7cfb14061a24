// Directory → layer tar (for `image from-host` now, `ctr commit` later): an overlayfs upper dir's
// whiteouts and opaque directories must come out as OCI `.wh.` entries, and the tar must unpack to
// the same tree with GNU tar. Root: whiteouts are character devices, opaque is a trusted.* xattr.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { isRoot } from "../helpers/cli";
import { writeLayerTar } from "../../src/image/layer-writer";
import { TarParser, type TarEntry } from "../../src/image/tar";
import { mknodat, fsetxattr, openat, closeFd, AT_FDCWD, S_IFCHR } from "../../ffi/at";
import { O_RDONLY, O_DIRECTORY, O_CLOEXEC } from "../../ffi/constants";

let tmp = "";

async function tarOf(dir: string, overlayWhiteouts: boolean): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of writeLayerTar(dir, { overlayWhiteouts })) chunks.push(c);
  return Buffer.concat(chunks);
}

function entries(tar: Buffer): TarEntry[] {
  const out: TarEntry[] = [];
  const p = new TarParser({ entry: (e) => void out.push(e), data() {}, entryEnd() {} });
  p.push(tar);
  p.finish();
  return out;
}

describe.skipIf(!isRoot)("layer writer", () => {
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-test-writer-"));
    const up = `${tmp}/upper`;
    fs.mkdirSync(`${up}/etc`, { recursive: true });
    fs.mkdirSync(`${up}/opt`);
    fs.writeFileSync(`${up}/etc/motd`, "changed\n");
    fs.writeFileSync(`${up}/opt/new`, "n");
    fs.writeFileSync(`${up}/big`, Buffer.alloc(1 << 20, 7));
    fs.linkSync(`${up}/big`, `${up}/big-link`);
    fs.symlinkSync("etc/motd", `${up}/motd-link`);
    fs.chownSync(`${up}/opt/new`, 1000, 1001); // before chmod: chown clears set-id bits
    fs.chmodSync(`${up}/opt/new`, 0o4750);
    fs.utimesSync(`${up}/opt/new`, 1600000000, 1600000000);
    expect(mknodat(AT_FDCWD, `${up}/etc/deleted`, S_IFCHR, 0, 0)).toBe(0);
    const fd = openat(AT_FDCWD, `${up}/opt`, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    expect(fsetxattr(fd, "trusted.overlay.opaque", Buffer.from("y"))).toBe(0);
    closeFd(fd);
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test("overlay whiteouts and opaque dirs become .wh. entries; hardlinks, symlinks, owners, modes kept", async () => {
    const list = entries(await tarOf(`${tmp}/upper`, true));
    const byName = new Map(list.map((e) => [e.name, e]));
    expect([...byName.keys()]).toEqual(["big", "big-link", "etc/", "etc/.wh.deleted", "etc/motd", "motd-link", "opt/", "opt/.wh..wh..opq", "opt/new"]);
    expect(byName.get("big-link")).toMatchObject({ type: "hardlink", linkname: "big" });
    expect(byName.get("motd-link")).toMatchObject({ type: "symlink", linkname: "etc/motd" });
    expect(byName.get("opt/new")).toMatchObject({ mode: 0o4750, uid: 1000, gid: 1001, size: 1 });
    // The file's mtime, not its ctime (statx keeps them 16 bytes apart).
    expect(byName.get("opt/new")!.mtime).toBe(1600000000);
    // The overlay's own xattr is translated, never copied.
    expect(byName.get("opt/")!.xattrs.has("trusted.overlay.opaque")).toBe(false);
  });

  test("GNU tar extracts the same tree", async () => {
    fs.writeFileSync(`${tmp}/layer.tar`, await tarOf(`${tmp}/upper`, false));
    fs.mkdirSync(`${tmp}/out`);
    const r = Bun.spawnSync(["tar", "-xpf", `${tmp}/layer.tar`, "-C", `${tmp}/out`], { stderr: "pipe" });
    expect(r.stderr.toString()).toBe("");
    expect(fs.readFileSync(`${tmp}/out/etc/motd`, "utf8")).toBe("changed\n");
    expect(fs.statSync(`${tmp}/out/big-link`).ino).toBe(fs.statSync(`${tmp}/out/big`).ino);
    expect(fs.statSync(`${tmp}/out/big`).size).toBe(1 << 20);
    expect(fs.readlinkSync(`${tmp}/out/motd-link`)).toBe("etc/motd");
    expect(fs.statSync(`${tmp}/out/opt/new`).mode & 0o7777).toBe(0o4750);
  });
});
