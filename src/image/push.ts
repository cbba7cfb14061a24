// `ctr push`: an image's blobs (those the registry lacks) and then its manifest, byte for byte as
// stored, so the image keeps its digest. Uploads are monolithic (one PUT per blob), in parallel.
import { lookupCredentials } from "./auth";
import { shortId, type Digest } from "./digest";
import { findImage } from "./container-layers";
import type { Progress } from "./progress";
import { parallel } from "./pull";
import { parseReference, refName, repoName } from "./reference";
import { RegistryClient } from "./registry";
import { MEDIA } from "./schema";
import type { ImageStore } from "./store";
import * as fs from "node:fs";

export interface PushOptions {
  insecure: boolean;
  creds?: string;
  progress: Progress;
  concurrency: number;
}

export async function pushImage(store: ImageStore, source: string, destination: string | undefined, opts: PushOptions): Promise<{ name: string; digest: Digest }> {
  const rec = findImage(store, source);
  if (!rec) throw new Error(`push ${source}: no such image`);
  let dest;
  try {
    dest = parseReference(destination ?? source);
  } catch (e) {
    throw new Error(destination ? (e as Error).message : `push ${source}: name the destination (ctr push IMAGE REGISTRY/NAME[:TAG])`);
  }
  if (/^[0-9a-f]{12,64}$/.test(destination ?? source)) throw new Error(`push ${source}: an image id needs a destination name`);
  const client = new RegistryClient(dest.registry, dest.repository, { insecure: opts.insecure, credentials: lookupCredentials(dest.registry, opts.creds) });
  client.push = true;
  store.lock("shared");
  try {
    const manifest = store.manifestOf(rec);
    const blobs = [manifest.config, ...manifest.layers];
    for (const b of blobs) opts.progress.status(shortId(b.digest), "waiting");
    await parallel(blobs, opts.concurrency, async (b) => {
      const id = shortId(b.digest);
      if (await client.hasBlob(b.digest)) return opts.progress.status(id, "layer already exists");
      const path = store.blobPath(b.digest);
      if (!fs.existsSync(path)) throw new Error(`push: blob ${b.digest} is missing from the store (pull the image again)`);
      opts.progress.status(id, "pushing");
      await client.uploadBlob(b.digest, b.size, () => Bun.file(path));
      opts.progress.status(id, "pushed");
    });
    opts.progress.end();
    await client.putManifest(dest.tag ?? rec.manifest, manifest.mediaType ?? MEDIA.ociManifest, store.readBlob(rec.manifest));
    store.putImage({ ...rec, repoDigests: [`${repoName(dest)}@${rec.manifest}`] }, []);
    return { name: refName(dest), digest: rec.manifest };
  } finally {
    store.unlock();
  }
}
