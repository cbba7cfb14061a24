// Named and anonymous volumes under the state root, as Docker's local driver keeps them:
//   volumes/<name>/_data        what the container sees
//   volumes/<name>/meta.json    {name, created, labels, anonymous}
// A volume is created on first use (and then filled with what the image has at that path); one
// that a container uses is never removed from under it.
import * as files from "../files";
import { readTextFile } from "../../ffi/files";
import { ExitError, UsageError } from "../errors";
import { containerDir, readConfig } from "../container/state";
import type { MountRequest, MountSpec } from "./spec";

export interface VolumeMeta {
  name: string;
  created: string;
  labels: Record<string, string>;
  anonymous: boolean;
}

export class VolumeStore {
  constructor(readonly root: string) {}

  dir(name: string): string {
    return `${this.root}/volumes/${name}`;
  }

  exists(name: string): boolean {
    return files.isDirectory(`${this.dir(name)}/_data`);
  }

  /** Creates the volume if it does not exist; true if this call made it. */
  create(name: string, o: { labels?: Record<string, string>; anonymous?: boolean } = {}): boolean {
    files.mkdirp(`${this.root}/volumes`, 0o700);
    try {
      files.mkdir(this.dir(name), 0o700);
    } catch (e) {
      if ((e as Error).message.includes("EEXIST")) return false;
      throw e;
    }
    files.mkdir(`${this.dir(name)}/_data`, 0o755);
    const meta: VolumeMeta = { name, created: new Date().toISOString(), labels: o.labels ?? {}, anonymous: o.anonymous ?? false };
    files.writeFile(`${this.dir(name)}/meta.json`, JSON.stringify(meta));
    return true;
  }

  meta(name: string): VolumeMeta | null {
    const text = readTextFile(`${this.dir(name)}/meta.json`);
    if (text === null) return null;
    try {
      return JSON.parse(text) as VolumeMeta;
    } catch {
      return null;
    }
  }

  names(): string[] {
    return files.readdir(`${this.root}/volumes`).filter((n) => this.exists(n));
  }

  /** Volume name → the containers (ids) whose mounts name it, stopped ones included. */
  usage(): Map<string, string[]> {
    const out = new Map<string, string[]>();
    for (const id of files.readdir(`${this.root}/containers`)) {
      const config = readConfig(containerDir(this.root, id), false);
      for (const m of config?.mounts ?? []) if (m.type === "volume") out.set(m.name, [...(out.get(m.name) ?? []), id]);
    }
    return out;
  }

  remove(name: string, force = false): void {
    if (!this.exists(name)) throw new ExitError(`no such volume: ${name}`, 1);
    const users = this.usage().get(name) ?? [];
    if (users.length && !force) throw new ExitError(`volume ${name} is in use by container ${users.map((u) => u.slice(0, 12)).join(", ")}`, 1);
    files.removeTree(this.dir(name));
  }
}

function randomName(): string {
  const b = new Uint8Array(32);
  crypto.getRandomValues(b);
  return Buffer.from(b).toString("hex");
}

/**
 * What a container mounts: its -v/--mount/--tmpfs requests, the image's VOLUMEs no request covers
 * (as anonymous volumes), and --volumes-from's mounts. Volumes that do not exist are created
 * now; only a volume created now is filled from the image (Docker's rule).
 */
export function resolveMounts(store: VolumeStore, requests: readonly MountRequest[], o: { imageVolumes: readonly string[]; from: readonly MountSpec[] }): MountSpec[] {
  const out: MountSpec[] = [];
  const taken = new Set(requests.map((r) => r.destination));
  for (const m of o.from) {
    if (m.type === "tmpfs" || taken.has(m.destination)) continue;
    taken.add(m.destination);
    out.push(m.type === "volume" ? { ...m, populate: false } : m);
  }
  const wanted: MountRequest[] = [...requests, ...o.imageVolumes.filter((d) => !taken.has(d)).map((d): MountRequest => ({ type: "volume", name: null, destination: d, readOnly: false }))];
  for (const r of wanted) {
    if (r.type === "tmpfs") out.push(r);
    else if (r.type === "bind") {
      if (!files.exists(r.source)) {
        if (!r.createSource) throw new UsageError(`--mount: bind source path does not exist: ${r.source}`);
        files.mkdirp(r.source, 0o755); // -v makes a missing host directory, as Docker does
      }
      out.push({ type: "bind", source: r.source, destination: r.destination, readOnly: r.readOnly });
    } else {
      const name = r.name ?? randomName();
      const created = store.create(name, { anonymous: r.name === null });
      out.push({ type: "volume", name, source: `${store.dir(name)}/_data`, destination: r.destination, readOnly: r.readOnly, anonymous: r.name === null, populate: created });
    }
  }
  return out;
}
