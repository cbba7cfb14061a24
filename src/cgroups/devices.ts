// Which device nodes a container may use: deny everything, then allow the defaults Docker and runc
// allow (the devices ctr puts in /dev, ptys, tun; mknod of anything, but no read or write). Without
// this, a root process in the container can mknod a host device and open it: cpu_dma_latency, a
// disk, the host's consoles. On v1 it is the devices controller's files; on v2 an eBPF program
// (cgroups/bpf.ts) attached to the container's cgroup.

export interface DeviceRule {
  type: "a" | "c" | "b";
  major: number | "*";
  minor: number | "*";
  /** Subset of "rwm". */
  access: string;
}

const rule = (type: DeviceRule["type"], major: number | "*", minor: number | "*", access = "rwm"): DeviceRule => ({ type, major, minor, access });

/** moby's default allow list (oci/defaults.go and runc's AllowedDevices). */
export const DEFAULT_DEVICE_RULES: readonly DeviceRule[] = [
  rule("c", "*", "*", "m"),
  rule("b", "*", "*", "m"),
  rule("c", 1, 3), // null
  rule("c", 1, 5), // zero
  rule("c", 1, 7), // full
  rule("c", 1, 8), // random
  rule("c", 1, 9), // urandom
  rule("c", 5, 0), // tty
  rule("c", 5, 1), // console
  rule("c", 5, 2), // ptmx
  rule("c", 136, "*"), // pts
  rule("c", 10, 200), // net/tun
];

export function ruleString(r: DeviceRule): string {
  return r.type === "a" ? `a *:* ${r.access}` : `${r.type} ${r.major}:${r.minor} ${r.access}`;
}

/** v1: devices.deny "a" first, then each allow; privileged: allow all. */
export function v1DeviceWrites(privileged: boolean): { file: string; value: string }[] {
  if (privileged) return [{ file: "devices.allow", value: "a" }];
  return [{ file: "devices.deny", value: "a" }, ...DEFAULT_DEVICE_RULES.map((r) => ({ file: "devices.allow", value: ruleString(r) }))];
}
