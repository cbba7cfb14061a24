// Builds OCI image layouts for tests with GNU tar and gzip (not ctr's own tar code), so that what
// ctr reads is what other tools write. Layers are directories; whiteouts are plain `.wh.` files.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

const sha = (b: Uint8Array) => `sha256:${new Bun.CryptoHasher("sha256").update(new Uint8Array(b)).digest("hex")}`;

export interface LayerSpec {
  /** A directory to archive (its contents become the layer's root). */
  dir: string;
}

export interface ImageSpec {
  layers: LayerSpec[];
  config?: Record<string, unknown>;
  architecture?: string;
}

function writeBlob(layout: string, bytes: Uint8Array): { digest: string; size: number } {
  const digest = sha(bytes);
  fs.writeFileSync(`${layout}/blobs/sha256/${digest.slice(7)}`, bytes);
  return { digest, size: bytes.length };
}

function buildManifest(layout: string, spec: ImageSpec) {
  const layers = spec.layers.map((l) => {
    const tar = Bun.spawnSync(["tar", "-C", l.dir, "--sort=name", "--numeric-owner", "-cf", "-", "."]);
    if (tar.exitCode !== 0) throw new Error(`tar ${l.dir}: ${tar.stderr.toString()}`);
    const gz = Bun.gzipSync(new Uint8Array(tar.stdout));
    return { diffId: sha(tar.stdout), ...writeBlob(layout, gz) };
  });
  const config = {
    architecture: spec.architecture ?? "amd64",
    os: "linux",
    created: "2026-01-01T00:00:00Z",
    config: spec.config ?? {},
    rootfs: { type: "layers", diff_ids: layers.map((l) => l.diffId) },
    history: layers.map(() => ({ created_by: "test" })),
  };
  const cfg = writeBlob(layout, Buffer.from(JSON.stringify(config)));
  const manifest = {
    schemaVersion: 2,
    mediaType: "application/vnd.oci.image.manifest.v1+json",
    config: { mediaType: "application/vnd.oci.image.config.v1+json", ...cfg },
    layers: layers.map((l) => ({ mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", digest: l.digest, size: l.size })),
  };
  return writeBlob(layout, Buffer.from(JSON.stringify(manifest)));
}

function newLayout(): string {
  const layout = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-test-oci-"));
  fs.mkdirSync(`${layout}/blobs/sha256`, { recursive: true });
  fs.writeFileSync(`${layout}/oci-layout`, JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  return layout;
}

/** An OCI layout with one image tagged `tag`. */
export function ociLayout(spec: ImageSpec, tag = "latest"): string {
  const layout = newLayout();
  const m = buildManifest(layout, spec);
  fs.writeFileSync(
    `${layout}/index.json`,
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...m, annotations: { "org.opencontainers.image.ref.name": tag } }] }),
  );
  return layout;
}

/** An OCI layout whose `tag` is an index of one image per platform. */
export function ociIndexLayout(images: { spec: ImageSpec; platform: { os: string; architecture: string; variant?: string } }[], tag = "latest"): string {
  const layout = newLayout();
  const manifests = images.map((i) => ({ mediaType: "application/vnd.oci.image.manifest.v1+json", ...buildManifest(layout, { ...i.spec, architecture: i.platform.architecture }), platform: i.platform }));
  const index = writeBlob(layout, Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: "application/vnd.oci.image.index.v1+json", manifests })));
  fs.writeFileSync(
    `${layout}/index.json`,
    JSON.stringify({ schemaVersion: 2, manifests: [{ mediaType: "application/vnd.oci.image.index.v1+json", ...index, annotations: { "org.opencontainers.image.ref.name": tag } }] }),
  );
  return layout;
}

/** A directory with the given files ({path: content}; content null makes a directory). */
export function layerDir(files: Record<string, string | null>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-test-layer-"));
  fs.chmodSync(dir, 0o755);
  for (const [p, content] of Object.entries(files)) {
    const full = path.join(dir, p);
    if (content === null) fs.mkdirSync(full, { recursive: true, mode: 0o755 });
    else {
      fs.mkdirSync(path.dirname(full), { recursive: true, mode: 0o755 });
      fs.writeFileSync(full, content, { mode: 0o644 });
    }
  }
  return dir;
}
