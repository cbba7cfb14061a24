// `ctr pull`: resolve a reference to one platform's manifest, fetch and verify the config, then
// download and unpack the missing layers in parallel, and record the image. The store's shared
// lock is held throughout, so garbage collection cannot remove what is being added.
import { lookupCredentials } from "./auth";
import { chainIds, sha256, shortId, type Digest } from "./digest";
import { applyLayer, maxLayerBytes, reportSkipped } from "./layer";
import type { Progress } from "./progress";
import { parseReference, refName, repoName, type Reference } from "./reference";
import { RegistryClient, RegistryError } from "./registry";
import {
  formatPlatform, hostPlatform, ImageConfigSchema, IndexSchema, INDEX_TYPES, kindOfMediaType, LAYER_TYPES, MANIFEST_TYPES, MEDIA, ManifestSchema,
  parseDocument, parseJson, selectPlatform, type Descriptor, type ImageConfig, type Manifest, type Platform,
} from "./schema";
import type { ImageStore } from "./store";
import { verifyContent } from "./store";


export interface PullOptions {
  platform: Platform | null;
  insecure: boolean;
  creds?: string;
  allowDevices: boolean;
  /** Layers downloaded at once. */
  concurrency: number;
  progress: Progress;
  env?: Record<string, string | undefined>;
}

export interface PullResult {
  id: Digest;
  name: string;
  repoDigest: string;
  downloaded: number;
  upToDate: boolean;
}

const ACCEPT = [MEDIA.ociIndex, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.dockerManifest];

function checkMediaType(got: string, allowed: readonly string[], what: string): void {
  if (got === MEDIA.dockerSchema1 || got === "application/vnd.docker.distribution.manifest.v1+json") {
    throw new Error(`${what}: Docker schema 1 manifests are not supported (deprecated since 2017): push the image again with a current tool`);
  }
  if (!allowed.includes(got)) throw new Error(`${what}: unknown media type ${JSON.stringify(got)}`);
}

/** The manifest's media type: the document's own field, else the HTTP header. */
function mediaTypeOf(bytes: Uint8Array, header: string): string {
  try {
    const j = JSON.parse(Buffer.from(bytes).toString("utf8")) as { mediaType?: string; manifests?: unknown; schemaVersion?: number };
    if (j.mediaType) return j.mediaType;
    if (j.schemaVersion === 1) return MEDIA.dockerSchema1;
    if (Array.isArray(j.manifests)) return MEDIA.ociIndex;
  } catch {
    /* reported by the parser */
  }
  return header || MEDIA.ociManifest;
}

export interface ResolvedManifest {
  manifest: Manifest;
  manifestBytes: Uint8Array;
  manifestDigest: Digest;
  /** What the reference named: the index's digest for a multi-platform image. */
  topDigest: Digest;
  indexBytes: Uint8Array | null;
}

export async function resolveManifest(client: RegistryClient, ref: Reference, platform: Platform): Promise<ResolvedManifest> {
  const name = refName(ref);
  const top = await client.manifest(ref.digest ?? ref.tag!, ACCEPT);
  const topDigest = sha256(top.bytes);
  if (ref.digest) verifyContent(`manifest ${name}`, { digest: ref.digest }, topDigest, top.bytes.length);
  // The registry's Content-Type is the descriptor of what a tag names: it decides the kind, as in
  // containerd; the document's own fields only where the header names neither kind.
  const header = kindOfMediaType(top.mediaType) ? top.mediaType : null;
  const topType = header ?? mediaTypeOf(top.bytes, top.mediaType);
  checkMediaType(topType, [...INDEX_TYPES, ...MANIFEST_TYPES], `manifest ${name}`);
  if (INDEX_TYPES.includes(topType)) {
    const index = parseDocument(IndexSchema, top.bytes, "index", header, `image index ${name}`);
    const chosen = selectPlatform(index, platform);
    if (!chosen) {
      const have = index.manifests.filter((m) => m.platform).map((m) => formatPlatform(m.platform!));
      throw new Error(`${name}: no image for platform ${formatPlatform(platform)} (the index has: ${have.join(", ") || "none"})`);
    }
    checkMediaType(chosen.mediaType, MANIFEST_TYPES, `manifest ${chosen.digest} in ${name}`);
    const m = await client.manifest(chosen.digest, [chosen.mediaType]);
    verifyContent(`manifest ${chosen.digest}`, chosen, sha256(m.bytes), m.bytes.length);
    const manifest = parseDocument(ManifestSchema, m.bytes, "manifest", chosen.mediaType, `manifest ${chosen.digest}`);
    return { manifest, manifestBytes: m.bytes, manifestDigest: chosen.digest, topDigest, indexBytes: top.bytes };
  }
  const manifest = parseDocument(ManifestSchema, top.bytes, "manifest", header, `manifest ${name}`);
  return { manifest, manifestBytes: top.bytes, manifestDigest: topDigest, topDigest, indexBytes: null };
}

export function checkManifest(m: Manifest, what: string): void {
  checkMediaType(m.config.mediaType, [MEDIA.ociConfig, MEDIA.dockerConfig], `${what}: config`);
  for (const l of m.layers) checkMediaType(l.mediaType, LAYER_TYPES, `${what}: layer ${l.digest}`);
}

export function checkConfig(config: ImageConfig, m: Manifest, what: string): void {
  if (config.rootfs.diff_ids.length !== m.layers.length) {
    throw new Error(`${what}: the config names ${config.rootfs.diff_ids.length} layers, the manifest ${m.layers.length}`);
  }
}

/** Runs tasks with at most `limit` at once; the first failure is thrown after all have settled. */
export async function parallel<T>(items: T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failure: unknown = null;
  const worker = async () => {
    while (next < items.length && failure === null) {
      const item = items[next++]!;
      try {
        await task(item);
      } catch (e) {
        failure ??= e;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failure !== null) throw failure;
}

export async function pullImage(store: ImageStore, refText: string, opts: PullOptions): Promise<PullResult> {
  const ref = parseReference(refText);
  const name = refName(ref);
  const platform = opts.platform ?? hostPlatform();
  const client = new RegistryClient(ref.registry, ref.repository, {
    insecure: opts.insecure,
    credentials: lookupCredentials(ref.registry, opts.creds, opts.env),
  });
  store.lock("shared");
  const uninstall = store.cleanupOnSignals();
  try {
    store.sweepDeadTemps();
    const r = await resolveManifest(client, ref, platform);
    checkManifest(r.manifest, name);
    const repoDigest = `${repoName(ref)}@${r.topDigest}`;

    const cfgDesc = r.manifest.config;
    let configBytes: Uint8Array;
    if (store.hasBlob(cfgDesc.digest)) configBytes = store.readBlob(cfgDesc.digest);
    else {
      const chunks: Uint8Array[] = [];
      for await (const c of await client.blob(cfgDesc.digest, `config ${cfgDesc.digest}`)) chunks.push(c);
      configBytes = Buffer.concat(chunks);
    }
    verifyContent("image config", cfgDesc, sha256(configBytes), configBytes.length);
    const config = parseJson(ImageConfigSchema, configBytes, `image config ${cfgDesc.digest}`);
    checkConfig(config, r.manifest, name);

    const existing = store.getImage(cfgDesc.digest);
    const chain = chainIds(config.rootfs.diff_ids);
    const missing = r.manifest.layers
      .map((desc, i) => ({ desc, diffId: config.rootfs.diff_ids[i]!, chainId: chain[i]! }))
      .filter((l) => !store.hasLayer(l.chainId) || !store.hasBlob(l.desc.digest));
    for (const l of r.manifest.layers) opts.progress.status(shortId(l.digest), missing.some((m) => m.desc === l) ? "waiting" : "already exists");
    await parallel(missing, opts.concurrency, (l) => pullLayer(store, client, l, opts));
    opts.progress.end();

    store.putBlob(r.manifestBytes, { digest: r.manifestDigest });
    if (r.indexBytes) store.putBlob(r.indexBytes);
    store.putBlob(configBytes, cfgDesc);
    const size = chain.reduce((sum, c) => sum + (store.layerMeta(c)?.size ?? 0), 0);
    store.putImage({ id: cfgDesc.digest, manifest: r.manifestDigest, repoDigests: [repoDigest], created: config.created ?? "", size }, ref.tag ? [name] : []);
    return { id: cfgDesc.digest, name, repoDigest, downloaded: missing.length, upToDate: existing !== null && existing.manifest === r.manifestDigest && missing.length === 0 };
  } finally {
    uninstall();
    store.unlock();
  }
}

async function pullLayer(store: ImageStore, client: RegistryClient, l: { desc: Descriptor; diffId: Digest; chainId: Digest }, opts: PullOptions): Promise<void> {
  const id = shortId(l.desc.digest);
  for (let attempt = 1; ; attempt++) {
    opts.progress.start(id, l.desc.size);
    try {
      const source = await client.blob(l.desc.digest, `layer ${l.desc.digest}`);
      const r = await applyLayer(store, {
        source,
        blob: { digest: l.desc.digest, size: l.desc.size },
        diffId: l.diffId,
        chainId: l.chainId,
        allowDevices: opts.allowDevices,
        maxBytes: maxLayerBytes(opts.env),
        onBytes: (n) => opts.progress.update(id, n),
        what: `layer ${l.desc.digest}`,
      });
      reportSkipped(`layer ${id}`, r);
      opts.progress.status(id, "pull complete");
      return;
    } catch (e) {
      // A stream cut mid-way is worth another try; a digest mismatch or a refusal is not.
      const transient = !(e instanceof RegistryError) && /ECONNRESET|socket|closed|terminated|timed out|network/i.test((e as Error).message);
      if (!transient || attempt >= 3) {
        opts.progress.status(id, "failed");
        throw e;
      }
      opts.progress.status(id, `retrying (${(e as Error).message})`);
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}
