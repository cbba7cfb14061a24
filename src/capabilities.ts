// Capability names and sets. Docker's default set, and parsing of --cap-add/--cap-drop values.
import { UsageError } from "./errors";

export const CAPABILITIES = [
  "CHOWN", "DAC_OVERRIDE", "DAC_READ_SEARCH", "FOWNER", "FSETID", "KILL", "SETGID", "SETUID",
  "SETPCAP", "LINUX_IMMUTABLE", "NET_BIND_SERVICE", "NET_BROADCAST", "NET_ADMIN", "NET_RAW",
  "IPC_LOCK", "IPC_OWNER", "SYS_MODULE", "SYS_RAWIO", "SYS_CHROOT", "SYS_PTRACE", "SYS_PACCT",
  "SYS_ADMIN", "SYS_BOOT", "SYS_NICE", "SYS_RESOURCE", "SYS_TIME", "SYS_TTY_CONFIG", "MKNOD",
  "LEASE", "AUDIT_WRITE", "AUDIT_CONTROL", "SETFCAP", "MAC_OVERRIDE", "MAC_ADMIN", "SYSLOG",
  "WAKE_ALARM", "BLOCK_SUSPEND", "AUDIT_READ", "PERFMON", "BPF", "CHECKPOINT_RESTORE",
] as const;
export type Capability = (typeof CAPABILITIES)[number];

/** Docker's default capabilities (moby oci/caps/defaults.go): 14 of them. */
export const DEFAULT_CAPABILITIES: readonly Capability[] = [
  "CHOWN", "DAC_OVERRIDE", "FSETID", "FOWNER", "MKNOD", "NET_RAW", "SETGID", "SETUID",
  "SETFCAP", "SETPCAP", "NET_BIND_SERVICE", "SYS_CHROOT", "KILL", "AUDIT_WRITE",
];

export function capNumber(name: Capability): number {
  return CAPABILITIES.indexOf(name);
}

/** Accepts `NET_ADMIN`, `CAP_NET_ADMIN`, `net_admin` and `ALL`, as Docker does. */
export function parseCapability(value: string, flag: string): Capability | "ALL" {
  const name = value.trim().toUpperCase().replace(/^CAP_/, "");
  if (name === "ALL") return "ALL";
  if ((CAPABILITIES as readonly string[]).includes(name)) return name as Capability;
  throw new UsageError(`${flag}: unknown capability ${JSON.stringify(value)}`);
}

export function capabilitySet(opts: { privileged: boolean; add: string[]; drop: string[] }): Capability[] {
  if (opts.privileged) return [...CAPABILITIES];
  const add = opts.add.map((c) => parseCapability(c, "--cap-add"));
  const drop = opts.drop.map((c) => parseCapability(c, "--cap-drop"));
  let set = new Set<Capability>(drop.includes("ALL") ? [] : DEFAULT_CAPABILITIES);
  for (const c of drop) if (c !== "ALL") set.delete(c);
  if (add.includes("ALL")) set = new Set(CAPABILITIES);
  for (const c of add) if (c !== "ALL") set.add(c);
  return CAPABILITIES.filter((c) => set.has(c));
}

export function capMask(caps: readonly Capability[]): bigint {
  return caps.reduce((m, c) => m | (1n << BigInt(capNumber(c))), 0n);
}
