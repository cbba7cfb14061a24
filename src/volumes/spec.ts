// -v, --mount, --tmpfs and --volumes-from as data, with Docker's syntax and rules. Pure: which
// volume directories exist is decided later (volumes/store.ts); here only what was asked, checked.
import { UsageError } from "../errors";

/** A mount a user asked for, before volumes are resolved to directories. */
export type MountRequest =
  | { type: "bind"; source: string; destination: string; readOnly: boolean; createSource: boolean }
  | { type: "volume"; name: string | null; destination: string; readOnly: boolean }
  | { type: "tmpfs"; destination: string; options: string };

/** A mount as the plan carries it out (and as a container's config records it). */
export type MountSpec =
  | { type: "bind"; source: string; destination: string; readOnly: boolean }
  | { type: "volume"; name: string; source: string; destination: string; readOnly: boolean; anonymous: boolean; populate: boolean }
  | { type: "tmpfs"; destination: string; options: string };

export const VOLUME_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** Where nothing may be mounted over: the kernel's views (a container could hide its own masks). */
const FORBIDDEN = ["/proc", "/sys", "/dev"];

function checkDestination(dest: string, flag: string): string {
  if (!dest.startsWith("/")) throw new UsageError(`${flag}: the container path ${JSON.stringify(dest)} must be absolute`);
  const clean = `/${dest.split("/").filter((p) => p && p !== ".").join("/")}`;
  if (dest.split("/").includes("..")) throw new UsageError(`${flag}: the container path ${JSON.stringify(dest)} may not contain ".."`);
  if (clean === "/") throw new UsageError(`${flag}: cannot mount over the container's root "/"`);
  for (const f of FORBIDDEN) {
    if (clean === f || clean.startsWith(`${f}/`)) throw new UsageError(`${flag}: cannot mount over ${clean}: ${f} is the kernel's, set up by ctr`);
  }
  return clean;
}

/** `-v SRC:DST[:ro|rw]`, `-v NAME:DST`, `-v DST` (anonymous), as Docker reads them. */
export function parseVolumeFlag(value: string): MountRequest {
  const parts = value.split(":");
  let mode = "rw";
  if (parts.length === 3 || (parts.length === 2 && /^(ro|rw|z|Z|ro,z|ro,Z)$/.test(parts[1]!))) mode = parts.pop()!;
  if (parts.length > 2 || parts.some((p) => p === "")) throw new UsageError(`-v: invalid value ${JSON.stringify(value)}: expected [SOURCE:]DEST[:ro|rw]`);
  const readOnly = mode.split(",").includes("ro");
  if (!/^(ro|rw)(,[zZ])?$|^[zZ]$/.test(mode)) throw new UsageError(`-v ${value}: unknown mode ${JSON.stringify(mode)} (ro or rw)`);
  if (parts.length === 1) return { type: "volume", name: null, destination: checkDestination(parts[0]!, "-v"), readOnly };
  const [source, dest] = parts as [string, string];
  const destination = checkDestination(dest, "-v");
  if (source.startsWith("/")) return { type: "bind", source, destination, readOnly, createSource: true };
  if (source.startsWith(".")) throw new UsageError(`-v ${value}: a host path must be absolute (${source})`);
  if (!VOLUME_NAME.test(source)) throw new UsageError(`-v ${value}: invalid volume name ${JSON.stringify(source)}`);
  return { type: "volume", name: source, destination, readOnly };
}

/** `--mount type=bind|volume|tmpfs,source=,target=,readonly[,tmpfs-size=,tmpfs-mode=]`. */
export function parseMountFlag(value: string): MountRequest {
  const kv = new Map<string, string>();
  for (const field of value.split(",")) {
    const eq = field.indexOf("=");
    const key = (eq < 0 ? field : field.slice(0, eq)).trim();
    kv.set(key, eq < 0 ? "true" : field.slice(eq + 1));
  }
  const type = kv.get("type") ?? "volume";
  const target = kv.get("target") ?? kv.get("destination") ?? kv.get("dst");
  const source = kv.get("source") ?? kv.get("src");
  const readOnly = ["readonly", "ro"].some((k) => kv.has(k) && kv.get(k) !== "false");
  if (!target) throw new UsageError(`--mount ${value}: target= is required`);
  const destination = checkDestination(target, "--mount");
  const known = new Set(["type", "target", "destination", "dst", "source", "src", "readonly", "ro", "tmpfs-size", "tmpfs-mode", "bind-propagation", "volume-nocopy"]);
  for (const k of kv.keys()) if (!known.has(k)) throw new UsageError(`--mount ${value}: unknown option ${JSON.stringify(k)}`);
  switch (type) {
    case "bind":
      if (!source) throw new UsageError(`--mount ${value}: source= is required for a bind mount`);
      if (!source.startsWith("/")) throw new UsageError(`--mount ${value}: the bind source ${JSON.stringify(source)} must be an absolute host path`);
      // Unlike -v, --mount type=bind never creates the source (Docker's rule).
      return { type: "bind", source, destination, readOnly, createSource: false };
    case "volume":
      if (source !== undefined && !VOLUME_NAME.test(source)) throw new UsageError(`--mount ${value}: invalid volume name ${JSON.stringify(source)}`);
      return { type: "volume", name: source ?? null, destination, readOnly };
    case "tmpfs": {
      if (source) throw new UsageError(`--mount ${value}: a tmpfs has no source`);
      const opts = [kv.has("tmpfs-size") ? `size=${kv.get("tmpfs-size")}` : "", kv.has("tmpfs-mode") ? `mode=${kv.get("tmpfs-mode")}` : ""].filter(Boolean);
      return { type: "tmpfs", destination, options: opts.join(",") };
    }
    default:
      throw new UsageError(`--mount ${value}: unknown type ${JSON.stringify(type)} (bind, volume or tmpfs)`);
  }
}

/** `--tmpfs DEST[:OPTIONS]`. */
export function parseTmpfsFlag(value: string): MountRequest {
  const i = value.indexOf(":");
  const dest = i < 0 ? value : value.slice(0, i);
  const options = i < 0 ? "" : value.slice(i + 1);
  for (const o of options.split(",").filter(Boolean)) {
    if (!/^(size=\d+[kmg]?|mode=[0-7]{3,4}|uid=\d+|gid=\d+|nr_inodes=\d+|noexec|exec|nosuid|suid|nodev|dev|ro|rw)$/.test(o)) {
      throw new UsageError(`--tmpfs ${value}: unsupported option ${JSON.stringify(o)}`);
    }
  }
  return { type: "tmpfs", destination: checkDestination(dest, "--tmpfs"), options };
}

/** Two mounts on one destination are refused, as Docker refuses them. */
export function checkDuplicates(mounts: readonly { destination: string }[]): void {
  const seen = new Set<string>();
  for (const m of mounts) {
    if (seen.has(m.destination)) throw new UsageError(`duplicate mount point: ${m.destination}`);
    seen.add(m.destination);
  }
}
