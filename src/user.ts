// -u USER[:GROUP] → uid, gid, home. Names are looked up in the container's own /etc/passwd and
// /etc/group (read after pivot_root, so a rootfs cannot point the lookup at host files).
import { readTextFile } from "../ffi/files";
import { UsageError } from "./errors";
import type { UserSpec } from "./plan/schema";

export interface ExecUser {
  uid: number;
  gid: number;
  home: string;
}

interface PasswdEntry { name: string; uid: number; gid: number; home: string }
interface GroupEntry { name: string; gid: number }

const ID_MAX = 2 ** 32 - 2; // (uid_t)-1 means "unchanged" to setresuid

function parseId(s: string): number | string {
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    if (n > ID_MAX) throw new UsageError(`-u: id ${s} is out of range (0..${ID_MAX})`);
    return n;
  }
  if (!/^[A-Za-z0-9_.][A-Za-z0-9_.-]*\$?$/.test(s)) throw new UsageError(`-u: invalid user or group name ${JSON.stringify(s)}`);
  return s;
}

/** Syntax only (no lookup): `1000`, `1000:1000`, `nobody`, `nobody:nogroup`. */
export function parseUserSpec(spec: string): UserSpec {
  const parts = spec.split(":");
  if (parts.length > 2 || parts[0] === "" || parts[1] === "") {
    throw new UsageError(`-u: invalid value ${JSON.stringify(spec)}: expected USER[:GROUP]`);
  }
  return { user: parseId(parts[0]!), group: parts.length === 2 ? parseId(parts[1]!) : null };
}

export function parsePasswd(text: string): PasswdEntry[] {
  return text.split("\n").flatMap((line) => {
    const f = line.split(":");
    if (line.startsWith("#") || f.length < 7) return [];
    return [{ name: f[0]!, uid: Number(f[2]), gid: Number(f[3]), home: f[5]! }];
  });
}

export function parseGroup(text: string): GroupEntry[] {
  return text.split("\n").flatMap((line) => {
    const f = line.split(":");
    if (line.startsWith("#") || f.length < 3) return [];
    return [{ name: f[0]!, gid: Number(f[2]) }];
  });
}

/** As Docker: a numeric uid need not exist in passwd (then gid 0, home /); a name must. */
export function resolveUser(spec: UserSpec, passwd: PasswdEntry[], groups: GroupEntry[]): ExecUser {
  const entry =
    typeof spec.user === "number" ? passwd.find((p) => p.uid === spec.user) : passwd.find((p) => p.name === spec.user);
  if (entry === undefined && typeof spec.user === "string") {
    throw new UsageError(`unable to find user ${spec.user}: no matching entries in passwd file`);
  }
  const uid = typeof spec.user === "number" ? spec.user : entry!.uid;
  let gid = entry?.gid ?? 0;
  if (typeof spec.group === "number") gid = spec.group;
  else if (typeof spec.group === "string") {
    const g = groups.find((x) => x.name === spec.group);
    if (g === undefined) throw new UsageError(`unable to find group ${spec.group}: no matching entries in group file`);
    gid = g.gid;
  }
  return { uid, gid, home: entry?.home || "/" };
}

export function resolveUserInRoot(spec: UserSpec): ExecUser {
  const read = (p: string) => readTextFile(p) ?? "";
  // Numeric users still take their primary group and home from passwd, when they are listed there.
  const groups = typeof spec.group === "string" ? parseGroup(read("/etc/group")) : [];
  return resolveUser(spec, parsePasswd(read("/etc/passwd")), groups);
}
