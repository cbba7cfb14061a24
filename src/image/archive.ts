// Images in and out of files: `ctr import` (docker-archive, OCI layout as dir or tar, plain rootfs
// tarball), `ctr save` (a docker-archive that is also an OCI layout, as Docker 25+ writes it, so
// `docker load`, `podman load` and OCI tools all read it) and `ctr image from-host`.
import * as fs from "node:fs";
import { Readable, pipeline } from "node:stream";
import * as zlib from "node:zlib";
import { AT_FDCWD, closeFd, openat } from "../../ffi/at";
import { O_CLOEXEC, O_DIRECTORY, O_RDONLY } from "../../ffi/constants";
import { SysError } from "../errors";
import { absolutePath } from "../../ffi/files";
import { DEFAULT_PATH } from "../plan/process";
import { chainIds, sha256, type Digest, hexOf } from "./digest";
import { programClosure } from "./elf";
import { applyLayer, describeDecompressionError, detectCompression, maxLayerBytes, type Compression } from "./layer";
import { writeLayerTar } from "./layer-writer";
import { familiarRepo, parseReference, refName } from "./reference";
import {
  hostPlatform, ImageConfigSchema, IndexSchema, INDEX_TYPES, ManifestSchema, MEDIA, parseDocument, parseJson, selectPlatform, type Descriptor, type ImageConfig, type Manifest,
} from "./schema";
import { ForeignTree } from "./foreign-tree";
import type { ImageRecord, ImageStore } from "./store";
import { verifyContent } from "./store";
import { TAR_END, TarError, TarParser, tarHeader, tarPadding, type TarEntry } from "./tar";
import { LayerUnpacker } from "./unpack";
import * as v from "valibot";
import { checkConfig, checkManifest } from "./pull";
import { reportSkipped } from "./layer";

export interface ImportResult {
  id: Digest;
  names: string[];
}

const DockerManifestSchema = v.array(
  v.object({ Config: v.string(), RepoTags: v.nullish(v.array(v.string())), Layers: v.array(v.string()) }),
);

function fileSource(path: string): AsyncIterable<Uint8Array> {
  return fs.createReadStream(path, { highWaterMark: 1 << 20 });
}

function layerMediaType(c: Compression): string {
  return c === "gzip" ? MEDIA.ociLayerGzip : c === "zstd" ? MEDIA.ociLayerZstd : MEDIA.ociLayer;
}

function normaliseName(name: string): string {
  return refName(parseReference(name));
}

/** Names of the entries of a (possibly compressed) tar file, without extracting anything. */
async function tarNames(path: string): Promise<Set<string>> {
  const names = new Set<string>();
  const parser = new TarParser({ entry: (e: TarEntry) => void names.add(e.name.replace(/^\.\//, "").replace(/\/$/, "")), data() {}, entryEnd() {} }, false);
  for await (const chunk of decompressed(fileSource(path))) {
    parser.push(chunk);
    if (parser.ended) break;
  }
  parser.finish();
  return names;
}

async function* decompressed(source: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const it = source[Symbol.asyncIterator]();
  const first = await it.next();
  if (first.done) return;
  const c = detectCompression(first.value);
  async function* all() {
    yield first.value as Uint8Array;
    for (let r = await it.next(); !r.done; r = await it.next()) yield r.value;
  }
  if (c === "none") {
    yield* all();
    return;
  }
  const dec = c === "gzip" ? zlib.createGunzip() : zlib.createZstdDecompress();
  try {
    yield* pipeline(Readable.from(all()), dec, () => {}) as AsyncIterable<Uint8Array>;
  } catch (e) {
    throw describeDecompressionError(e, c);
  }
}

/** Extracts an archive into a fresh temp dir with the layer unpacker's guarantees. */
async function extractArchive(store: ImageStore, path: string): Promise<string> {
  const dir = store.tempPath("import");
  fs.mkdirSync(dir, { mode: 0o700 });
  const fd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw new SysError("open", -fd, dir);
  const unpacker = new LayerUnpacker(fd, { allowDevices: false, maxBytes: maxLayerBytes() * 16, kind: "archive" });
  try {
    const parser = new TarParser(unpacker);
    for await (const chunk of decompressed(fileSource(path))) parser.push(chunk);
    parser.finish();
    unpacker.finish();
  } catch (e) {
    unpacker.close();
    store.removeTemp(dir);
    throw e instanceof TarError ? new TarError(`import: ${e.message}`) : e;
  } finally {
    closeFd(fd);
  }
  return dir;
}

export async function importImage(store: ImageStore, input: string, opts: { name?: string; allowDevices: boolean; archivesOnly?: boolean }): Promise<ImportResult[]> {
  store.lock("shared");
  const uninstall = store.cleanupOnSignals();
  let spooled: string | null = null;
  try {
    store.sweepDeadTemps();
    let path = input;
    let st: fs.Stats | null = null;
    if (input !== "-") {
      try {
        st = fs.statSync(path);
      } catch {
        throw new Error(`import ${input}: no such file or directory`);
      }
    }
    // A pipe (stdin, <(...)) is read once into a temp file: telling the formats apart reads twice.
    if (st === null || (!st.isFile() && !st.isDirectory())) {
      spooled = store.tempPath("stdin");
      const out = fs.openSync(spooled, "w", 0o600);
      const source = input === "-" ? (Bun.stdin.stream() as unknown as AsyncIterable<Uint8Array>) : fileSource(input);
      for await (const chunk of source) fs.writeSync(out, chunk);
      fs.closeSync(out);
      path = spooled;
      st = fs.statSync(path);
    }
    if (st.isDirectory()) return await importDir(store, path, opts, false);
    if (st.size === 0) throw new Error(`import ${input}: empty input`);
    const names = await tarNames(path).catch((e) => {
      throw new Error(`import ${input}: not a tar archive (${(e as Error).message})`);
    });
    if (names.has("manifest.json") || (names.has("index.json") && names.has("oci-layout"))) {
      const dir = await extractArchive(store, path);
      try {
        return await importDir(store, dir, opts, true);
      } finally {
        store.removeTemp(dir);
      }
    }
    if (opts.archivesOnly) throw new Error(`load ${input}: not an image archive (no manifest.json, no OCI index.json); a root filesystem tarball is for ctr import`);
    return [await importRootfs(store, path, opts)];
  } finally {
    if (spooled) store.removeTemp(spooled);
    uninstall();
    store.unlock();
  }
}

/**
 * Every member is read through ForeignTree: below the archive's root, no symlink followed (a
 * docker-archive's repeated `<id>/layer.tar` may name another member, by name only), regular files
 * only. `extracted`: ctr unpacked the tree itself (hardlinks in it can only join its own members).
 */
async function importDir(store: ImageStore, dir: string, opts: { name?: string; allowDevices: boolean }, extracted: boolean): Promise<ImportResult[]> {
  const tree = ForeignTree.open(dir, "import", { refuseHardlinks: !extracted });
  try {
    return tree.has("manifest.json") ? await importDockerArchive(store, tree, opts) : await importLayout(store, tree, dir, opts);
  } finally {
    tree.close();
  }
}

async function importDockerArchive(store: ImageStore, tree: ForeignTree, opts: { name?: string; allowDevices: boolean }): Promise<ImportResult[]> {
  const entries = parseJson(DockerManifestSchema, tree.read("manifest.json"), "docker archive manifest.json");
  // Every member is checked before anything is stored: a refusal leaves the store as it was.
  for (const e of entries) for (const l of e.Layers) tree.check(l, true);
  const results: ImportResult[] = [];
  for (const e of entries) {
    const configBytes = tree.read(e.Config);
    const config = parseJson(ImageConfigSchema, configBytes, `image config ${e.Config}`);
    const names = opts.name && entries.length === 1 ? [opts.name] : e.RepoTags ?? [];
    const layers = e.Layers.map((l) => ({ name: l, source: () => tree.stream(l, true), desc: null }));
    results.push(await storeImage(store, configBytes, config, layers, names, opts));
  }
  return results;
}

async function importLayout(store: ImageStore, tree: ForeignTree, dir: string, opts: { name?: string; allowDevices: boolean }): Promise<ImportResult[]> {
  if (!tree.has("index.json")) throw new Error(`import ${dir}: not an OCI image layout (no index.json) or docker archive (no manifest.json)`);
  const blobName = (d: Descriptor) => `blobs/sha256/${hexOf(d.digest)}`;
  const blob = (d: Descriptor) => {
    const bytes = tree.read(blobName(d));
    verifyContent(`import: ${blobName(d)}`, d, sha256(bytes), bytes.length);
    return bytes;
  };
  const index = parseDocument(IndexSchema, tree.read("index.json"), "index", MEDIA.ociIndex, "import: index.json");
  const images: { top: Descriptor; desc: Descriptor; manifestBytes: Buffer; manifest: Manifest; configBytes: Buffer; config: ImageConfig }[] = [];
  for (const top of index.manifests) {
    let desc = top;
    if (INDEX_TYPES.includes(top.mediaType)) {
      const nested = parseDocument(IndexSchema, blob(top), "index", top.mediaType, `import: index ${top.digest}`);
      const chosen = selectPlatform(nested, hostPlatform());
      if (!chosen) throw new Error(`import: index ${top.digest} has no image for this host's platform`);
      desc = chosen;
    }
    const manifestBytes = blob(desc);
    const manifest = parseDocument(ManifestSchema, manifestBytes, "manifest", desc.mediaType, `import: manifest ${desc.digest}`);
    checkManifest(manifest, `manifest ${desc.digest}`);
    const configBytes = blob(manifest.config);
    const config = parseJson(ImageConfigSchema, configBytes, `image config ${manifest.config.digest}`);
    checkConfig(config, manifest, `manifest ${desc.digest}`);
    for (const l of manifest.layers) tree.check(blobName(l));
    images.push({ top, desc, manifestBytes, manifest, configBytes, config });
  }
  const results: ImportResult[] = [];
  for (const { top, manifestBytes, manifest, configBytes, config } of images) {
    const ann = top.annotations ?? {};
    const annotated = ann["io.containerd.image.name"] ?? ann["org.opencontainers.image.ref.name"];
    const names = opts.name && index.manifests.length === 1 ? [opts.name] : annotated && /[/:]/.test(annotated) ? [annotated] : [];
    const layers = manifest.layers.map((l) => ({ name: blobName(l), source: () => tree.stream(blobName(l)), desc: l }));
    results.push(await storeImage(store, configBytes, config, layers, names, opts, manifestBytes));
  }
  return results;
}

async function storeImage(
  store: ImageStore,
  configBytes: Buffer,
  config: ImageConfig,
  layers: { name: string; source: () => AsyncIterable<Uint8Array>; desc: Descriptor | null }[],
  names: string[],
  opts: { allowDevices: boolean },
  /** The archive's own manifest, byte for byte (an OCI layout's): kept, so the digest is kept. */
  manifestBytes?: Uint8Array,
): Promise<ImportResult> {
  if (config.rootfs.diff_ids.length !== layers.length) throw new Error(`import: the config names ${config.rootfs.diff_ids.length} layers, the archive has ${layers.length}`);
  const chain = chainIds(config.rootfs.diff_ids);
  const descs: Descriptor[] = [];
  for (const [i, l] of layers.entries()) {
    if (l.desc && store.hasLayer(chain[i]!) && store.hasBlob(l.desc.digest)) {
      descs.push(l.desc);
      continue;
    }
    const r = await applyLayer(store, {
      source: l.source(),
      blob: l.desc ? { digest: l.desc.digest, size: l.desc.size } : "compute",
      diffId: config.rootfs.diff_ids[i]!,
      chainId: chain[i]!,
      allowDevices: opts.allowDevices,
      maxBytes: maxLayerBytes(),
      what: `layer ${l.name}`,
    });
    reportSkipped(`layer ${i + 1}`, r);
    descs.push(l.desc ?? { mediaType: layerMediaType(r.compression), digest: r.blobDigest!, size: r.compressedSize });
  }
  return recordImage(store, configBytes, config, descs, names, manifestBytes);
}

/** Stores the config and the manifest (the given bytes, or a new OCI manifest over `layers`) and names the image. */
export function recordImage(store: ImageStore, configBytes: Buffer, config: ImageConfig, layers: Descriptor[], names: string[], manifestBytes?: Uint8Array): ImportResult {
  const configDigest = store.putBlob(configBytes);
  const fresh: Manifest = { schemaVersion: 2, mediaType: MEDIA.ociManifest, config: { mediaType: MEDIA.ociConfig, digest: configDigest, size: configBytes.length }, layers };
  const manifestDigest = store.putBlob(manifestBytes ?? Buffer.from(JSON.stringify(fresh)));
  const full = names.map(normaliseName);
  const size = chainIds(config.rootfs.diff_ids).reduce((s, c) => s + (store.layerMeta(c)?.size ?? 0), 0);
  store.putImage({ id: configDigest, manifest: manifestDigest, repoDigests: [], created: config.created ?? "", size }, full);
  return { id: configDigest, names: full };
}

/** A plain rootfs tarball becomes a one-layer image; its bytes are the layer blob as they are. */
async function importRootfs(store: ImageStore, path: string, opts: { name?: string; allowDevices: boolean }): Promise<ImportResult> {
  const r = await applyLayer(store, {
    source: fileSource(path),
    blob: "compute",
    diffId: null,
    chainId: (d) => d,
    allowDevices: opts.allowDevices,
    maxBytes: maxLayerBytes(),
    what: `rootfs ${path}`,
  });
  reportSkipped("rootfs", r);
  return finishSingleLayer(store, r.meta.diffId, { mediaType: layerMediaType(r.compression), digest: r.blobDigest!, size: r.compressedSize }, opts.name, {});
}

function finishSingleLayer(store: ImageStore, diffId: Digest, layer: Descriptor, name: string | undefined, config: NonNullable<ImageConfig["config"]>): ImportResult {
  const p = hostPlatform();
  const cfg: ImageConfig = {
    architecture: p.architecture,
    os: p.os,
    ...(p.variant ? { variant: p.variant } : {}),
    created: new Date().toISOString(),
    config: { Env: [`PATH=${DEFAULT_PATH}`], ...config },
    rootfs: { type: "layers", diff_ids: [diffId] },
    history: [{ created: new Date().toISOString(), created_by: "ctr import" }],
  };
  return recordImage(store, Buffer.from(JSON.stringify(cfg)), cfg, [layer], name ? [name] : []);
}

// ---- from-host ----

/** Resolves a program name through PATH, as a shell would. */
export function findProgram(name: string, path = process.env.PATH ?? DEFAULT_PATH): string {
  if (name.includes("/")) {
    if (!fs.existsSync(name)) throw new Error(`from-host: ${name}: no such file`);
    return absolutePath(name);
  }
  for (const dir of path.split(":")) {
    const p = `${dir}/${name}`;
    try {
      if (fs.statSync(p).isFile()) return p;
    } catch {
      /* next */
    }
  }
  throw new Error(`from-host: ${name}: not found in PATH`);
}

/** Copies `host` into `root` at the same path, recreating every symlink on the way (/lib -> usr/lib). */
function copyHostPath(root: string, host: string, seen: Set<string>, depth = 0): void {
  if (seen.has(host) || depth > 40) return;
  seen.add(host);
  const parts = host.split("/").filter(Boolean);
  let cur = "";
  for (let i = 0; i < parts.length; i++) {
    cur += `/${parts[i]}`;
    const st = fs.lstatSync(cur);
    const dest = `${root}${cur}`;
    if (st.isSymbolicLink()) {
      const target = fs.readlinkSync(cur);
      if (!fs.existsSync(dest) && !isLink(dest)) fs.symlinkSync(target, dest);
      const dir = cur.slice(0, cur.lastIndexOf("/")) || "/";
      const resolved = target.startsWith("/") ? target : `${dir}/${target}`;
      copyHostPath(root, absolutePath([resolved, ...parts.slice(i + 1)].join("/")), seen, depth + 1);
      return;
    }
    if (st.isDirectory()) {
      if (!fs.existsSync(dest)) fs.mkdirSync(dest, { mode: 0o755 });
      continue;
    }
    fs.copyFileSync(cur, dest);
    fs.chmodSync(dest, st.mode & 0o7777);
  }
}

function isLink(p: string): boolean {
  try {
    return fs.lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}


export async function imageFromHost(store: ImageStore, name: string, programs: string[]): Promise<ImportResult & { files: string[] }> {
  store.lock("shared");
  const uninstall = store.cleanupOnSignals();
  const root = store.tempPath("from-host");
  try {
    fs.mkdirSync(root, { mode: 0o755 });
    const paths = programs.map((p) => findProgram(p));
    const files = [...new Set(paths.flatMap((p) => programClosure(p)))].sort();
    const seen = new Set<string>();
    for (const f of files) copyHostPath(root, f, seen);
    for (const d of ["etc", "tmp", "proc", "sys", "dev"]) fs.mkdirSync(`${root}/${d}`, { recursive: true, mode: d === "tmp" ? 0o1777 : 0o755 });
    fs.chmodSync(`${root}/tmp`, 0o1777);
    fs.writeFileSync(`${root}/etc/passwd`, "root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/usr/sbin/nologin\n");
    fs.writeFileSync(`${root}/etc/group`, "root:x:0:\nnogroup:x:65534:\n");
    const gz = pipeline(Readable.from(writeLayerTar(root, { overlayWhiteouts: false })), zlib.createGzip({ level: 6 }), () => {}) as AsyncIterable<Uint8Array>;
    const r = await applyLayer(store, { source: gz, blob: "compute", diffId: null, chainId: (d) => d, allowDevices: false, maxBytes: maxLayerBytes(), what: "from-host layer" });
    const res = finishSingleLayer(store, r.meta.diffId, { mediaType: MEDIA.ociLayerGzip, digest: r.blobDigest!, size: r.compressedSize }, name, { Cmd: [paths[0]!] });
    return { ...res, files };
  } finally {
    store.removeTemp(root);
    uninstall();
    store.unlock();
  }
}

// ---- save ----

export type SaveFormat = "docker" | "oci";

/** The archive as tar chunks: blobs, oci-layout, index.json, and (docker) manifest.json. */
export async function* saveArchive(store: ImageStore, images: { rec: ImageRecord; names: string[] }[], format: SaveFormat): AsyncGenerator<Buffer> {
  const written = new Set<string>();
  const mtime = Math.floor(Date.now() / 1000);
  const file = (name: string, bytes: Buffer) => [tarHeader({ name, type: "file", mode: 0o644, size: bytes.length, mtime }), bytes, tarPadding(bytes.length)];
  const blobOnce = function* (d: Digest, bytes: () => Buffer) {
    if (written.has(d)) return;
    written.add(d);
    yield* file(`blobs/sha256/${hexOf(d)}`, bytes());
  };
  yield tarHeader({ name: "blobs/", type: "dir", mode: 0o755, mtime });
  yield tarHeader({ name: "blobs/sha256/", type: "dir", mode: 0o755, mtime });
  const dockerManifest: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
  const indexEntries: Descriptor[] = [];
  for (const { rec, names } of images) {
    const manifestBytes = store.readBlob(rec.manifest);
    const manifest = parseDocument(ManifestSchema, manifestBytes, "manifest", null, `manifest ${rec.manifest}`);
    yield* blobOnce(rec.manifest, () => manifestBytes);
    yield* blobOnce(manifest.config.digest, () => store.readBlob(manifest.config.digest));
    for (const l of manifest.layers) {
      if (written.has(l.digest)) continue;
      written.add(l.digest);
      const size = fs.statSync(store.blobPath(l.digest)).size;
      yield tarHeader({ name: `blobs/sha256/${hexOf(l.digest)}`, type: "file", mode: 0o644, size, mtime });
      let left = size;
      for await (const chunk of fs.createReadStream(store.blobPath(l.digest), { highWaterMark: 1 << 20 }) as AsyncIterable<Buffer>) {
        const part = chunk.subarray(0, Math.min(chunk.length, left));
        left -= part.length;
        yield part;
      }
      if (left > 0) throw new Error(`save: blob ${l.digest} changed while it was being written`);
      yield tarPadding(size);
    }
    const mediaType = manifest.mediaType ?? MEDIA.ociManifest;
    const tagged = names.length ? names : [null];
    for (const n of tagged) {
      const r = n ? parseReference(n) : null;
      indexEntries.push({
        mediaType,
        digest: rec.manifest,
        size: manifestBytes.length,
        ...(r ? { annotations: { "io.containerd.image.name": n!, "org.opencontainers.image.ref.name": r.tag ?? "latest" } } : {}),
      });
    }
    dockerManifest.push({
      Config: `blobs/sha256/${hexOf(manifest.config.digest)}`,
      RepoTags: names.map((n) => {
        const r = parseReference(n);
        return `${familiarRepo(r)}:${r.tag ?? "latest"}`;
      }),
      Layers: manifest.layers.map((l) => `blobs/sha256/${hexOf(l.digest)}`),
    });
  }
  yield* file("oci-layout", Buffer.from(JSON.stringify({ imageLayoutVersion: "1.0.0" })));
  yield* file("index.json", Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MEDIA.ociIndex, manifests: indexEntries })));
  if (format === "docker") yield* file("manifest.json", Buffer.from(JSON.stringify(dockerManifest)));
  yield TAR_END;
}

export type { ImageRecord };
