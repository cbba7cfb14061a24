// `ctr commit`: a container's changes (its overlay upper dir, whiteouts and opaque directories
// as OCI whiteout entries) become one more layer over its image, with the container's process
// settings, `-c` Dockerfile instructions, and a history entry. The init layer (hostname, hosts,
// resolv.conf) is never part of it: it is a lower layer of the container, not the upper dir.
import { Readable, pipeline } from "node:stream";
import * as zlib from "node:zlib";
import { UsageError } from "../errors";
import { DEFAULT_PATH } from "../plan/process";
import { recordImage, type ImportResult } from "./archive";
import { sha256 } from "./digest";
import { applyLayer, maxLayerBytes } from "./layer";
import { writeLayerTar } from "./layer-writer";
import { hostPlatform, MEDIA, type ImageConfig } from "./schema";
import type { ImageRecord, ImageStore } from "./store";

type Settings = NonNullable<ImageConfig["config"]>;

/** A JSON array (exec form) or a shell command (`/bin/sh -c`), as a Dockerfile reads CMD/ENTRYPOINT. */
function commandForm(value: string, what: string): string[] {
  if (value.trim().startsWith("[")) {
    try {
      const list = JSON.parse(value) as unknown;
      if (Array.isArray(list) && list.every((x) => typeof x === "string")) return list;
    } catch {
      /* not JSON: the shell form, as Docker falls back */
    }
    throw new UsageError(`--change ${what}: expected a JSON array of strings, got ${value}`);
  }
  return ["/bin/sh", "-c", value];
}

/** KEY=VALUE pairs (quotes allowed), or the old `KEY VALUE` form. */
function pairs(value: string, what: string): [string, string][] {
  const v = value.trim();
  if (!/^[^\s=]+=/.test(v)) {
    const sp = v.search(/\s/);
    if (sp < 0) throw new UsageError(`--change ${what}: expected KEY=VALUE, got ${JSON.stringify(value)}`);
    return [[v.slice(0, sp), v.slice(sp).trim()]];
  }
  const out: [string, string][] = [];
  for (const m of v.matchAll(/([^\s=]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g)) {
    const raw = m[2]!;
    const val = raw.startsWith('"') ? (JSON.parse(raw) as string) : raw.startsWith("'") ? raw.slice(1, -1) : raw;
    out.push([m[1]!, val]);
  }
  return out;
}

/** `-c` instructions over a config: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL. */
export function applyChanges(base: Settings, changes: readonly string[]): Settings {
  const c: Settings = { ...base };
  for (const change of changes) {
    const m = /^\s*([A-Za-z]+)\s+([\s\S]*)$/.exec(change);
    if (!m) throw new UsageError(`--change: expected INSTRUCTION ARGUMENTS, got ${JSON.stringify(change)}`);
    const [instr, value] = [m[1]!.toUpperCase(), m[2]!.trim()];
    switch (instr) {
      case "CMD":
        c.Cmd = commandForm(value, instr);
        break;
      case "ENTRYPOINT":
        c.Entrypoint = commandForm(value, instr);
        break;
      case "ENV": {
        const env = new Map((c.Env ?? []).map((e) => [e.slice(0, e.indexOf("=")), e]));
        for (const [k, v] of pairs(value, instr)) env.set(k, `${k}=${v}`);
        c.Env = [...env.values()];
        break;
      }
      case "LABEL":
        c.Labels = { ...(c.Labels ?? {}), ...Object.fromEntries(pairs(value, instr)) };
        break;
      case "EXPOSE":
        c.ExposedPorts = { ...(c.ExposedPorts ?? {}) };
        for (const p of value.split(/\s+/)) {
          if (!/^\d+(-\d+)?(\/(tcp|udp|sctp))?$/.test(p)) throw new UsageError(`--change EXPOSE: invalid port ${JSON.stringify(p)}`);
          c.ExposedPorts[p.includes("/") ? p : `${p}/tcp`] = {};
        }
        break;
      case "VOLUME": {
        const list = value.startsWith("[") ? commandForm(value, instr) : value.split(/\s+/);
        c.Volumes = { ...(c.Volumes ?? {}) };
        for (const d of list) c.Volumes[d] = {};
        break;
      }
      case "USER":
        c.User = value;
        break;
      case "WORKDIR":
        c.WorkingDir = value;
        break;
      case "STOPSIGNAL":
        c.StopSignal = value;
        break;
      default:
        throw new UsageError(`--change: ${instr} is not supported (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, USER, VOLUME, WORKDIR, STOPSIGNAL)`);
    }
  }
  return c;
}

export interface CommitRequest {
  /** The container's image; null for a --rootfs container (the new image has one layer). */
  parent: ImageRecord | null;
  /** The directory whose contents become the layer. */
  layerDir: string;
  /** An overlay upper dir: its whiteouts and opaque directories are written as OCI whiteouts. */
  overlayWhiteouts: boolean;
  /** The container's settings (Cmd, Env, ...), before -c. */
  settings: Settings;
  changes: string[];
  message: string;
  author: string;
  createdBy: string;
  names: string[];
}

export async function commitImage(store: ImageStore, req: CommitRequest): Promise<ImportResult> {
  const p = hostPlatform();
  const parentConfig: ImageConfig = req.parent
    ? store.configOf(req.parent)
    : { architecture: p.architecture, os: p.os, ...(p.variant ? { variant: p.variant } : {}), config: { Env: [`PATH=${DEFAULT_PATH}`] }, rootfs: { type: "layers", diff_ids: [] }, history: [] };
  const parentLayers = req.parent ? store.manifestOf(req.parent).layers : [];
  const chain = req.parent ? store.chainOf(req.parent) : [];
  const top = chain.at(-1);
  const gz = pipeline(Readable.from(writeLayerTar(req.layerDir, { overlayWhiteouts: req.overlayWhiteouts })), zlib.createGzip({ level: 6 }), () => {}) as AsyncIterable<Uint8Array>;
  const r = await applyLayer(store, {
    source: gz,
    blob: "compute",
    diffId: null,
    chainId: (d) => (top ? sha256(`${top} ${d}`) : d),
    allowDevices: true,
    maxBytes: maxLayerBytes(),
    what: "the container's changes",
  });
  const now = new Date().toISOString();
  const config: ImageConfig = {
    ...parentConfig,
    created: now,
    ...(req.author ? { author: req.author } : {}),
    config: applyChanges(req.settings, req.changes),
    rootfs: { type: "layers", diff_ids: [...parentConfig.rootfs.diff_ids, r.meta.diffId] },
    history: [
      ...(parentConfig.history ?? []),
      { created: now, created_by: req.createdBy, ...(req.author ? { author: req.author } : {}), ...(req.message ? { comment: req.message } : {}) },
    ],
  };
  const layer = { mediaType: MEDIA.ociLayerGzip, digest: r.blobDigest!, size: r.compressedSize };
  return recordImage(store, Buffer.from(JSON.stringify(config)), config, [...parentLayers, layer], req.names);
}
