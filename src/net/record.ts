// A running container's hold on its networks: <dir>/network.json, written at its start (before
// anything is taken that needs giving back) and removed at its end.
import * as v from "valibot";
import { readTextFile } from "../../ffi/files";
import type { PortMapping } from "./rules";

export interface Endpoint {
  network: string;
  networkId: string;
  bridge: string;
  ifname: string;
  hostVeth: string;
  mac: string;
  ip: string;
  prefix: number;
  gateway: string;
  ip6: string | null;
  prefix6: number | null;
  gateway6: string | null;
  aliases: string[];
}

/** What a running container holds: written to <dir>/network.json at start, released at its end. */
export interface NetRecord {
  id: string;
  name: string | null;
  hostname: string;
  endpoints: Endpoint[];
  ports: PortMapping[];
}

export const recordPath = (dir: string) => `${dir}/network.json`;

let schema: v.GenericSchema | null = null;
function recordSchema(): v.GenericSchema {
  const endpoint = v.object({
    network: v.string(), networkId: v.string(), bridge: v.string(), ifname: v.string(), hostVeth: v.string(), mac: v.string(),
    ip: v.string(), prefix: v.number(), gateway: v.string(), ip6: v.nullable(v.string()), prefix6: v.nullable(v.number()),
    gateway6: v.nullable(v.string()), aliases: v.array(v.string()),
  });
  const port = v.object({ protocol: v.picklist(["tcp", "udp", "sctp"]), hostIp: v.nullable(v.string()), hostPort: v.number(), containerPort: v.number() });
  return (schema ??= v.object({ id: v.string(), name: v.nullable(v.string()), hostname: v.string(), endpoints: v.array(endpoint), ports: v.array(port) }));
}

/**
 * A container's addresses and firewall rules back, if it holds any: the network modules (netlink,
 * nftables) load only then, so a container without a network pays nothing at its end.
 */
export function releaseNetworkIfHeld(root: string, dir: string): void {
  if (readTextFile(recordPath(dir)) === null) return;
  (require("./attach") as typeof import("./attach")).releaseNetwork(root, dir);
}

export function readRecord(dir: string): NetRecord | null {
  const text = readTextFile(recordPath(dir));
  if (text === null) return null;
  try {
    const r = v.safeParse(recordSchema(), JSON.parse(text));
    return r.success ? (r.output as NetRecord) : null;
  } catch {
    return null;
  }
}

