// A container's filesystem from an image: the image's layers as overlay lowers, an init layer on
// top of them with /etc/hostname, /etc/hosts and /etc/resolv.conf (Docker's "-init" layer: the
// files a container needs but a commit must not capture), and the container's own upper and
// work dirs. All under <root>/containers/<id>/, removed when the container is.
import * as files from "../files";
import { readTextFile } from "../../ffi/files";
import type { OverlayRootfs } from "../plan/rootfs";
import type { RunImage } from "../cli/run-options";
import { parseReference, refName } from "./reference";
import { chainIds } from "./digest";
import type { ImageRecord, ImageStore } from "./store";

/** Finds an image by name[:tag], name@digest, or (a prefix of) its id. */
export function findImage(store: ImageStore, ref: string): ImageRecord | null {
  if (/^(sha256:)?[0-9a-f]{4,64}$/.test(ref)) {
    const ids = store.imagesByIdPrefix(ref);
    if (ids.length > 1) throw new Error(`image id prefix ${ref} is ambiguous (${ids.length} images)`);
    if (ids.length === 1) return store.getImage(ids[0]!);
  }
  let parsed;
  try {
    parsed = parseReference(ref);
  } catch {
    return null;
  }
  const id = parsed.digest && !parsed.tag ? store.imageByRepoDigest(`${parsed.registry}/${parsed.repository}@${parsed.digest}`) : store.imageByTag(refName(parsed));
  return id ? store.getImage(id) : null;
}

export function imageRunSpec(store: ImageStore, rec: ImageRecord, name: string): RunImage {
  const config = store.configOf(rec);
  const lowers = store.lowerDirs(chainIds(config.rootfs.diff_ids));
  return {
    id: rec.id,
    name,
    config: config.config ?? null,
    rootfsFor(id: string): { rootfs: string; overlay: OverlayRootfs } {
      const rel = `containers/${id}`;
      return {
        rootfs: `${store.root}/${rel}/merged`,
        overlay: { storeRoot: store.root, lowerdir: [`${rel}/init`, ...lowers], upperdir: `${rel}/upper`, workdir: `${rel}/work` },
      };
    },
  };
}

/** Docker's rule for a container with its own network: the host's resolvers, minus loopback ones. */
export function containerResolvConf(host: string, network: string): string {
  if (network === "host") return host;
  return host
    .split("\n")
    .filter((l) => !/^\s*nameserver\s+(127\.|::1\b)/.test(l))
    .join("\n");
}

export function containerHosts(hostHosts: string, network: string): string {
  if (network === "host") return hostHosts;
  return ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet", "ff00::0\tip6-mcastprefix", "ff02::1\tip6-allnodes", "ff02::2\tip6-allrouters", ""].join("\n");
}

/** The container's layers and its init layer, in its (existing) state directory. */
export function createContainerLayers(dir: string, opts: { hostname: string; network: string }): void {
  const read = (p: string) => readTextFile(p) ?? "";
  for (const d of ["upper", "work", "merged", "init", "init/etc"]) files.mkdir(`${dir}/${d}`, 0o755);
  files.writeFile(`${dir}/init/etc/hostname`, `${opts.hostname}\n`);
  files.writeFile(`${dir}/init/etc/hosts`, containerHosts(read("/etc/hosts"), opts.network));
  files.writeFile(`${dir}/init/etc/resolv.conf`, containerResolvConf(read("/etc/resolv.conf"), opts.network));
}
