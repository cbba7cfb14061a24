// `ctr run IMAGE`: find (or pull) the image, and give the container its layers for as long as
// it runs. Loaded only when running an image, so `--rootfs` runs never pay for the store.
import type { RunImage } from "../cli/run-options";
import type { RunOptions } from "../plan/container";
import { createContainerLayers, findImage, imageRunSpec } from "./container-layers";
import { ImageStore } from "./store";
import { UsageError } from "../errors";
import { log } from "../log";
import * as files from "../files";

export function openStoreFor(root: string): ImageStore {
  return ImageStore.open(root);
}

/**
 * Finds (or pulls) the image and takes the store's shared lock, which the caller keeps until
 * prepareContainer has recorded the container: no garbage collection can remove the layers in
 * between. (A pull inside nests in the same lock.)
 */
export async function imageForRun(store: ImageStore, ref: string, o: { pull: string; platform?: string }): Promise<RunImage & { id: string }> {
  if (!["missing", "always", "never"].includes(o.pull)) throw new UsageError(`--pull: unknown policy ${JSON.stringify(o.pull)} (missing, always or never)`);
  store.lock("shared");
  let rec = o.pull === "always" ? null : findImage(store, ref);
  if (!rec) {
    if (o.pull === "never") throw new UsageError(`image ${ref} not found in the store (--pull never)`);
    if (o.pull === "missing") log.info(`Unable to find image '${ref}' locally`);
    // The registry client, zlib and the unpacker load only when there is something to pull.
    const { pullWithProgress } = await import("../commands/image");
    const r = await pullWithProgress(store, ref, { platform: o.platform, insecure: false, allowDevices: false, quiet: false });
    rec = store.getImage(r.id);
    if (!rec) throw new Error(`pull ${ref}: the image vanished from the store`);
  }
  return { ...imageRunSpec(store, rec, ref), id: rec.id };
}

/**
 * Records that the container uses the image (its `image` file: rmi refuses the image, GC keeps its
 * layers) and makes its layers in its state directory, under the store's shared lock, so a
 * concurrent GC sees either none or both.
 */
export function prepareContainer(store: ImageStore, imageId: string, o: RunOptions, dir: string): void {
  store.lock("shared");
  try {
    files.writeFile(`${dir}/image`, imageId);
    createContainerLayers(dir, { hostname: o.hostname, network: o.network });
  } finally {
    store.unlock();
  }
}
