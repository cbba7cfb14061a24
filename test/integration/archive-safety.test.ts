// Hostile image archives and layouts: `ctr import` of docker-archives, OCI tars and OCI layout
// directories whose members are symlinks or hardlinks to host files, ambiguous manifests
// (CVE-2021-41190) on import and on pull, and refusals that say why. Each refusal must leave the
// store exactly as it was, and no host file's content may reach an image or a message.
import { craftTar, type Entry } from "../helpers/tar";
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ctr, haveBinary, isRoot } from "../helpers/cli";

const enabled = isRoot && haveBinary;
const sha = (b: Uint8Array) => `sha256:${new Bun.CryptoHasher("sha256").update(new Uint8Array(b)).digest("hex")}`;
const hex = (d: string) => d.slice(7);
const OCI_MANIFEST = "application/vnd.oci.image.manifest.v1+json";
const OCI_INDEX = "application/vnd.oci.image.index.v1+json";
const OCI_CONFIG = "application/vnd.oci.image.config.v1+json";
const OCI_LAYER = "application/vnd.oci.image.layer.v1.tar";
const OCI_LAYER_GZ = "application/vnd.oci.image.layer.v1.tar+gzip";

let tmp = "";
let host = ""; // files of "the host" that archives aim at
let ROOT = "";

const tar = craftTar;
const file = (name: string, data: string | Uint8Array): Entry => ({ name, type: "file", mode: 0o644, data });
const symlink = (name: string, linkname: string): Entry => ({ name, type: "symlink", mode: 0o777, linkname });
const hardlink = (name: string, linkname: string): Entry => ({ name, type: "hardlink", mode: 0o644, linkname });

/** One image: a layer tar with `marker`, its config and OCI manifest, as bytes. */
function image(marker: string, layerBytes?: Buffer, layerType = OCI_LAYER, diffTar?: Buffer) {
  const layer = layerBytes ?? tar([file("marker", marker)]);
  const config = Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", config: { Cmd: ["/marker"] }, rootfs: { type: "layers", diff_ids: [sha(diffTar ?? layer)] } }));
  const manifest = Buffer.from(
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: { mediaType: OCI_CONFIG, digest: sha(config), size: config.length }, layers: [{ mediaType: layerType, digest: sha(layer), size: layer.length }] }),
  );
  return { layer, config, manifest };
}

/** Docker-archive members for one image; `override` replaces or adds members. */
function dockerArchive(override: Entry[] = [], img = image("from the archive")): Buffer {
  const members: Entry[] = [
    file("manifest.json", JSON.stringify([{ Config: "cfg.json", RepoTags: ["evil:1"], Layers: ["abc/layer.tar"] }])),
    file("cfg.json", img.config),
    { name: "abc/", type: "dir", mode: 0o755 },
    file("abc/layer.tar", img.layer),
  ];
  for (const o of override) {
    const i = members.findIndex((m) => m.name === o.name);
    if (i >= 0) members[i] = o;
    else members.push(o);
  }
  return tar(members);
}

/** OCI layout members for one image (tar form); `override` replaces or adds members. */
function ociMembers(img = image("from the layout"), override: Entry[] = [], index?: object): Entry[] {
  const members: Entry[] = [
    file("oci-layout", JSON.stringify({ imageLayoutVersion: "1.0.0" })),
    file("index.json", JSON.stringify(index ?? { schemaVersion: 2, manifests: [{ mediaType: OCI_MANIFEST, digest: sha(img.manifest), size: img.manifest.length, annotations: { "org.opencontainers.image.ref.name": "1" } }] })),
    { name: "blobs/", type: "dir", mode: 0o755 },
    { name: "blobs/sha256/", type: "dir", mode: 0o755 },
    file(`blobs/sha256/${hex(sha(img.manifest))}`, img.manifest),
    file(`blobs/sha256/${hex(sha(img.config))}`, img.config),
    file(`blobs/sha256/${hex(sha(img.layer))}`, img.layer),
  ];
  for (const o of override) {
    const i = members.findIndex((m) => m.name === o.name);
    if (i >= 0) members[i] = o;
    else members.push(o);
  }
  return members;
}

/** The same members written as a directory (the OCI layout given as a directory). */
function writeDir(entries: Entry[]): string {
  const dir = fs.mkdtempSync(`${tmp}/layout-`);
  for (const e of entries) {
    const p = `${dir}/${e.name}`;
    if (e.type === "dir") fs.mkdirSync(p, { recursive: true });
    else if (e.type === "symlink") fs.symlinkSync(e.linkname!, p);
    else if (e.type === "hardlink") fs.linkSync(e.linkname!, p);
    else fs.writeFileSync(p, Buffer.from(e.data ?? ""));
  }
  return dir;
}

let n = 0;
async function importBytes(bytes: Buffer) {
  const f = `${tmp}/archive-${++n}.tar`;
  fs.writeFileSync(f, bytes);
  return ctr(["import", f], { env: { CTR_ROOT: ROOT } });
}

function storeSnapshot() {
  const ls = (d: string) => (fs.existsSync(`${ROOT}/${d}`) ? fs.readdirSync(`${ROOT}/${d}`).sort() : []);
  const images = fs.existsSync(`${ROOT}/ctr.db`) ? Bun.spawnSync([process.env.CTR_BIN ?? path.resolve(import.meta.dir, "../../dist/ctr"), "images", "-q"], { env: { ...process.env, CTR_ROOT: ROOT } }).stdout.toString() : "";
  return { layers: ls("layers"), blobs: ls("blobs/sha256"), tmp: ls("tmp"), images };
}

/** Runs an import that must be refused; checks the message, the exit code and the store. */
async function refused(bytesOrDir: Buffer | string, ...messages: string[]) {
  const before = storeSnapshot();
  const r = typeof bytesOrDir === "string" ? await ctr(["import", bytesOrDir], { env: { CTR_ROOT: ROOT } }) : await importBytes(bytesOrDir);
  expect(r.code).toBe(125);
  for (const m of messages) expect(r.stderr).toContain(m);
  // Nothing of the host's files in the message.
  expect(r.stderr).not.toContain("hostsecret");
  expect(storeSnapshot()).toEqual(before);
  return r;
}

describe.skipIf(!enabled)("import: archive members are read below the archive's root", () => {
  let hostLayer = "";
  let hostText = "";
  let hostManifest = "";
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-test-archive-"));
    host = `${tmp}/host`;
    fs.mkdirSync(host);
    ROOT = `${tmp}/root`;
    // A valid layer tar on the host: if it were imported, the image would show its content.
    hostLayer = `${host}/host-layer.tar`;
    fs.writeFileSync(hostLayer, tar([file("marker", "hostsecret layer")]));
    hostText = `${host}/shadow`;
    fs.writeFileSync(hostText, "hostsecret:$6$salt$hash:19000:0:99999:7:::\n");
    hostManifest = `${host}/manifest.json`;
    fs.writeFileSync(hostManifest, JSON.stringify([{ Config: "cfg.json", RepoTags: ["evil:1"], Layers: ["abc/layer.tar"] }]));
  });
  afterAll(() => {
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  test("a plain docker-archive imports (the baseline the refusals below differ from)", async () => {
    const r = await importBytes(dockerArchive());
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("evil:1");
    const rmi = await ctr(["rmi", "evil:1"], { env: { CTR_ROOT: ROOT } });
    expect(rmi.code).toBe(0);
  });

  test("docker-archive: a symlinked layer.tar, Config or manifest.json is refused by name", async () => {
    await refused(dockerArchive([symlink("abc/layer.tar", hostLayer)]), `import: abc/layer.tar: is a symlink to ${hostLayer}`, "refusing to follow it");
    await refused(dockerArchive([symlink("cfg.json", hostText)]), `import: cfg.json: is a symlink to ${hostText}, refusing to follow it`);
    await refused(dockerArchive([symlink("manifest.json", hostManifest)]), "import: manifest.json: is a symlink", "refusing to follow it");
    // A relative link that climbs out of the archive is no better than an absolute one.
    await refused(dockerArchive([symlink("abc/layer.tar", "../../../../../../../../..".concat(hostLayer))]), "import: abc/layer.tar: is a symlink", "outside the archive, refusing to follow it");
    // A symlinked directory on the way.
    await refused(dockerArchive([symlink("abc", host), file("manifest.json", JSON.stringify([{ Config: "cfg.json", Layers: ["abc/host-layer.tar"] }]))]), "import: abc/host-layer.tar: abc on its path is a symlink");
  });

  test("docker-archive: Docker's own link from a repeated layer to its first copy is followed, by name, inside the archive", async () => {
    const img = image("shared layer");
    const members: Entry[] = [
      file("manifest.json", JSON.stringify([
        { Config: "cfg.json", RepoTags: ["shared:1"], Layers: ["abc/layer.tar"] },
        { Config: "cfg.json", RepoTags: ["shared:2"], Layers: ["def/layer.tar"] },
      ])),
      file("cfg.json", img.config),
      file("abc/layer.tar", img.layer),
      symlink("def/layer.tar", "../abc/layer.tar"),
    ];
    const r = await importBytes(tar(members));
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    const ls = await ctr(["images", "--format", "json"], { env: { CTR_ROOT: ROOT } });
    const names = (JSON.parse(ls.stdout) as { Repository: string; Tag: string }[]).map((i) => `${i.Repository}:${i.Tag}`);
    expect(names).toContain("shared:1");
    expect(names).toContain("shared:2");
    expect((await ctr(["rmi", "shared:1", "shared:2"], { env: { CTR_ROOT: ROOT } })).code).toBe(0);
  });

  test("docker-archive: hardlinks in the archive reach only its own members", async () => {
    await refused(dockerArchive([hardlink("abc/layer.tar", hostLayer)]), `import: abc/layer.tar: hardlink to ${hostLayer}, which is not in the archive`);
    // A hardlink to a member that is itself a symlink out: the link is a symlink, refused as one.
    await refused(
      tar([symlink("out", hostLayer), file("manifest.json", JSON.stringify([{ Config: "cfg.json", Layers: ["abc/layer.tar"] }])), file("cfg.json", image("x").config), hardlink("abc/layer.tar", "out")]),
      "import: abc/layer.tar: is a symlink",
      "refusing to follow it",
    );
    const img = image("linked inside");
    const ok = await importBytes(
      tar([file("copy.tar", img.layer), file("manifest.json", JSON.stringify([{ Config: "cfg.json", RepoTags: ["evil:1"], Layers: ["abc/layer.tar"] }])), file("cfg.json", img.config), hardlink("abc/layer.tar", "copy.tar")]),
    );
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
    expect((await ctr(["rmi", "evil:1"], { env: { CTR_ROOT: ROOT } })).code).toBe(0);
  });

  for (const form of ["tar", "directory"] as const) {
    test(`OCI layout (${form}): symlinked index.json, manifest, config and layer blobs are refused by name`, async () => {
      const img = image(`oci ${form}`);
      const asInput = (entries: Entry[]) => (form === "tar" ? tar(entries) : writeDir(entries));
      const blob = (b: Buffer) => `blobs/sha256/${hex(sha(b))}`;
      const hostIndex = `${host}/index.json`;
      fs.writeFileSync(hostIndex, JSON.stringify({ schemaVersion: 2, manifests: [] }));
      await refused(asInput(ociMembers(img, [symlink("index.json", hostIndex)])), "import: index.json: is a symlink", "refusing to follow it");
      for (const [what, bytes] of [["manifest", img.manifest], ["config", img.config], ["layer", img.layer]] as const) {
        const r = await refused(asInput(ociMembers(img, [symlink(blob(bytes), form === "tar" ? hostLayer : hostText)])), `import: ${blob(bytes)}: is a symlink`, "refusing to follow it");
        expect(r.stderr, what).not.toContain("ENOENT");
      }
      // blobs/ itself a symlink to a host directory.
      const viaDir = ociMembers(img).filter((e) => !e.name.startsWith("blobs/"));
      await refused(asInput([...viaDir, symlink("blobs", host)]), `import: ${blob(img.manifest)}: blobs on its path is a symlink`);
    });
  }

  test("OCI layout directory: a blob that is a hard link (to any file of the filesystem) is refused", async () => {
    const img = image("hardlinked");
    const hostCopy = `${host}/layer-copy`;
    fs.writeFileSync(hostCopy, img.layer);
    const dir = writeDir(ociMembers(img, [hardlink(`blobs/sha256/${hex(sha(img.layer))}`, hostCopy)]));
    await refused(dir, `import: blobs/sha256/${hex(sha(img.layer))}: is a hard link`);
  });

  test("OCI layout: a layer whose gzip CRC is wrong is refused, saying gzip and CRC and which layer", async () => {
    const inner = tar([file("marker", "crc")]);
    const gz = Buffer.from(Bun.gzipSync(new Uint8Array(inner)));
    gz[gz.length - 6] = gz[gz.length - 6]! ^ 0xff; // the CRC-32 in the gzip trailer
    const img = image("crc", gz, OCI_LAYER_GZ, inner);
    const r = await refused(tar(ociMembers(img)), `layer blobs/sha256/${hex(sha(gz))}: gzip: CRC-32 check failed`);
    expect(r.stderr).not.toContain("incorrect data check\n");
  });

  test("a layer with data after its tar's end is refused, naming the layer", async () => {
    const layer = Buffer.concat([tar([file("marker", "trailing")]), Buffer.from("hidden payload")]);
    const img = image("trailing", layer);
    await refused(tar(ociMembers(img)), `layer blobs/sha256/${hex(sha(layer))}: data after the end of the tar archive`);
    await refused(dockerArchive([], img), "layer abc/layer.tar: data after the end of the tar archive");
  });
});

describe.skipIf(!enabled)("ambiguous manifests and indexes (CVE-2021-41190)", () => {
  const both = (img: ReturnType<typeof image>) => {
    const m = JSON.parse(img.manifest.toString());
    delete m.mediaType;
    m.manifests = [{ mediaType: OCI_MANIFEST, digest: sha(img.manifest), size: img.manifest.length, platform: { os: "linux", architecture: "amd64" } }];
    return Buffer.from(JSON.stringify(m));
  };
  beforeAll(() => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-test-ambiguous-"));
    host = `${tmp}/host`;
    ROOT = `${tmp}/root`;
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test("import refuses a manifest with manifests, an index with layers, and a mediaType that disagrees", async () => {
    const img = image("ambiguous");
    const amb = both(img);
    const desc = (bytes: Buffer, mediaType: string) => ({ mediaType, digest: sha(bytes), size: bytes.length });
    const withBlob = (bytes: Buffer, index: object) => tar(ociMembers(img, [file(`blobs/sha256/${hex(sha(bytes))}`, bytes)], index));
    // Pointed at as a manifest: it has "manifests".
    await refused(withBlob(amb, { schemaVersion: 2, manifests: [desc(amb, OCI_MANIFEST)] }), `manifest ${sha(amb)}: ambiguous document: a manifest with a "manifests" field`);
    // Pointed at as an index: it has "layers" and "config".
    await refused(withBlob(amb, { schemaVersion: 2, manifests: [desc(amb, OCI_INDEX)] }), `index ${sha(amb)}: ambiguous document: an index with a "layers" and a "config" field`);
    // index.json itself carrying layers.
    await refused(tar(ociMembers(img, [], { schemaVersion: 2, manifests: [desc(img.manifest, OCI_MANIFEST)], layers: [] })), 'import: index.json: ambiguous document: an index with a "layers" field');
    // The descriptor says Docker manifest, the document says OCI manifest.
    await refused(tar(ociMembers(img, [], { schemaVersion: 2, manifests: [desc(img.manifest, "application/vnd.docker.distribution.manifest.v2+json")] })), `its mediaType "${OCI_MANIFEST}" disagrees with the descriptor's "application/vnd.docker.distribution.manifest.v2+json"`);
    // The same layout with a consistent descriptor imports.
    const ok = await importBytes(tar(ociMembers(img)));
    expect(ok.stderr).toBe("");
    expect(ok.code).toBe(0);
  });

  test("pull refuses the same documents from a registry (the header is the descriptor of a tag)", async () => {
    const img = image("pulled");
    const amb = both(img);
    const blobs = new Map<string, Buffer>([[sha(img.config), img.config], [sha(img.layer), img.layer], [sha(img.manifest), img.manifest], [sha(amb), amb]]);
    const tags: Record<string, { bytes: Buffer; type: string }> = {
      "as-manifest": { bytes: amb, type: OCI_MANIFEST },
      "as-index": { bytes: amb, type: OCI_INDEX },
      mismatch: { bytes: img.manifest, type: "application/vnd.docker.distribution.manifest.v2+json" },
      good: { bytes: img.manifest, type: OCI_MANIFEST },
    };
    // A registry that serves whatever the test says (Debian's registry refuses to store these).
    const server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch(req) {
        const u = new URL(req.url);
        if (u.pathname === "/v2/") return new Response("{}");
        const m = /^\/v2\/evil\/(manifests|blobs)\/(.+)$/.exec(u.pathname);
        if (!m) return new Response("not found", { status: 404 });
        if (m[1] === "manifests") {
          const t = tags[m[2]!] ?? [...Object.values(tags)].find((x) => sha(x.bytes) === m[2]);
          if (!t) return new Response("{}", { status: 404 });
          return new Response(new Uint8Array(t.bytes), { headers: { "content-type": t.type, "docker-content-digest": sha(t.bytes) } });
        }
        const b = blobs.get(m[2]!);
        return b ? new Response(new Uint8Array(b)) : new Response("{}", { status: 404 });
      },
    });
    try {
      const pull = (tag: string) => ctr(["pull", "-q", `127.0.0.1:${server.port}/evil:${tag}`], { env: { CTR_ROOT: ROOT } });
      const before = storeSnapshot();
      const m = await pull("as-manifest");
      expect(m.code).toBe(125);
      expect(m.stderr).toContain('ambiguous document: a manifest with a "manifests" field');
      const i = await pull("as-index");
      expect(i.code).toBe(125);
      expect(i.stderr).toContain('ambiguous document: an index with a "layers" and a "config" field');
      const x = await pull("mismatch");
      expect(x.code).toBe(125);
      expect(x.stderr).toContain("disagrees with the descriptor's");
      expect(storeSnapshot()).toEqual(before);
      const ok = await pull("good");
      expect(ok.stderr).toBe("");
      expect(ok.code).toBe(0);
    } finally {
      server.stop(true);
    }
  });
});
