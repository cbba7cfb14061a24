// A container's network as the user asked for it (pure): the mode (--network none, host, bridge,
// a network's name, container:ID), addresses, aliases, DNS settings, extra hosts and published
// ports (-p, -P), each checked with Docker's syntax and an error naming the flag.
import { UsageError } from "../errors";
import { ipFamily } from "./ip";
import type { PortMapping } from "./rules";

export type NetworkMode = "none" | "host" | "bridge" | "container";

export interface NetOptions {
  mode: NetworkMode;
  /** bridge: the networks to attach to (the default one when none is named). */
  networks: string[];
  /** container: whose network namespace to join (a name or id, resolved at start). */
  container: string | null;
  ip: string | null;
  ip6: string | null;
  mac: string | null;
  aliases: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  addHosts: { host: string; ip: string }[];
  ports: PortMapping[];
  /** -P: the image's ExposedPorts, each to a free host port chosen at start. */
  publishAll: boolean;
  exposed: { protocol: PortMapping["protocol"]; port: number }[];
}

const MAC = /^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/;

function port(text: string, flag: string, value: string): number {
  const n = Number(text);
  if (!/^\d+$/.test(text) || n < 1 || n > 65535) throw new UsageError(`${flag} ${value}: invalid port ${JSON.stringify(text)} (1-65535)`);
  return n;
}

function range(text: string, flag: string, value: string): [number, number] {
  const [a, b] = text.split("-");
  const lo = port(a!, flag, value);
  const hi = b === undefined ? lo : port(b, flag, value);
  if (hi < lo) throw new UsageError(`${flag} ${value}: invalid range ${text}`);
  return [lo, hi];
}

/** `-p [IP:][HOST[-HOST]:]CONTAINER[-CONTAINER][/tcp|/udp|/sctp]`; no host port: a free one at start (0). */
export function parsePublish(value: string): PortMapping[] {
  const flag = "-p";
  const [spec, proto = "tcp", extra] = value.split("/");
  if (extra !== undefined || !["tcp", "udp", "sctp"].includes(proto)) throw new UsageError(`${flag} ${value}: invalid protocol ${JSON.stringify(proto)} (tcp, udp or sctp)`);
  // An IPv6 host address is written in brackets: [::1]:8080:80.
  let ip: string | null = null;
  let rest = spec!;
  const v6 = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (v6) {
    ip = v6[1]!;
    rest = v6[2]!;
  }
  const parts = rest.split(":");
  if (parts.length > 3 || (v6 && parts.length > 2)) throw new UsageError(`${flag} ${value}: expected [IP:][HOST_PORT:]CONTAINER_PORT[/PROTOCOL]`);
  if (parts.length === 3) ip = parts.shift()!;
  if (ip !== null && ip !== "" && ipFamily(ip) === null) throw new UsageError(`${flag} ${value}: invalid IP address ${JSON.stringify(ip)}`);
  const [hostText, containerText] = parts.length === 2 ? [parts[0]!, parts[1]!] : ["", parts[0]!];
  const [c0, c1] = range(containerText, flag, value);
  const [h0, h1] = hostText === "" ? [0, 0] : range(hostText, flag, value);
  if (hostText !== "" && h1 - h0 !== c1 - c0) throw new UsageError(`${flag} ${value}: the host and container ranges differ in size`);
  const protocol = proto as PortMapping["protocol"];
  return Array.from({ length: c1 - c0 + 1 }, (_, i) => ({ protocol, hostIp: ip || null, hostPort: hostText === "" ? 0 : h0 + i, containerPort: c0 + i }));
}

/** An image's ExposedPorts keys ("80/tcp", "53/udp", "8000-8002"). */
export function parseExposed(keys: string[]): NetOptions["exposed"] {
  return keys.flatMap((k) => {
    const [p, proto = "tcp"] = k.split("/");
    if (!["tcp", "udp", "sctp"].includes(proto)) return [];
    const [lo, hi] = range(p!, "the image's ExposedPorts", k);
    return Array.from({ length: hi - lo + 1 }, (_, i) => ({ protocol: proto as PortMapping["protocol"], port: lo + i }));
  });
}

export function parseNetOptions(f: {
  network: string | undefined;
  ip: string | undefined;
  ip6: string | undefined;
  mac: string | undefined;
  aliases: string[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  addHosts: string[];
  publish: string[];
  publishAll: boolean;
}): NetOptions {
  const net = f.network ?? "bridge";
  let mode: NetworkMode;
  let networks: string[] = [];
  let container: string | null = null;
  if (net === "none" || net === "host") mode = net;
  else if (net.startsWith("container:")) {
    mode = "container";
    container = net.slice("container:".length);
    if (!container) throw new UsageError("--network container: needs a container's name or id");
  } else {
    mode = "bridge";
    networks = net === "bridge" || net === "default" ? [] : [net];
  }
  const bridged = mode === "bridge";
  const only = (what: string, given: boolean) => {
    if (given && !bridged) throw new UsageError(`${what} needs a bridge network (not --network ${net})`);
  };
  if (f.ip && ipFamily(f.ip) !== 4) throw new UsageError(`--ip: invalid IPv4 address ${JSON.stringify(f.ip)}`);
  if (f.ip6 && ipFamily(f.ip6) !== 6) throw new UsageError(`--ip6: invalid IPv6 address ${JSON.stringify(f.ip6)}`);
  if (f.mac && !MAC.test(f.mac)) throw new UsageError(`--mac-address: invalid MAC address ${JSON.stringify(f.mac)}`);
  // As Docker: --ip and aliases only on user-defined networks.
  if ((f.ip || f.ip6) && bridged && networks.length === 0) throw new UsageError("--ip and --ip6 need a user-defined network (--network NAME)");
  if (f.aliases.length && bridged && networks.length === 0) throw new UsageError("--network-alias needs a user-defined network (--network NAME)");
  only("--ip", Boolean(f.ip || f.ip6));
  only("--mac-address", Boolean(f.mac));
  only("-p/--publish", f.publish.length > 0);
  only("--network-alias", f.aliases.length > 0);
  if (mode === "container" && (f.dns.length || f.addHosts.length || f.dnsSearch.length || f.dnsOptions.length)) {
    throw new UsageError("--dns, --dns-search, --dns-option and --add-host cannot be used with --network container:");
  }
  for (const d of f.dns) if (ipFamily(d) === null) throw new UsageError(`--dns: invalid IP address ${JSON.stringify(d)}`);
  const addHosts = f.addHosts.map((h) => {
    const i = h.indexOf(":");
    const [host, ip] = i < 0 ? [h, ""] : [h.slice(0, i), h.slice(i + 1).replace(/^\[|\]$/g, "")];
    if (!host || ipFamily(ip) === null) throw new UsageError(`--add-host: expected HOST:IP, got ${JSON.stringify(h)}`);
    return { host, ip };
  });
  return {
    mode,
    networks,
    container,
    ip: f.ip ?? null,
    ip6: f.ip6 ?? null,
    mac: f.mac?.toLowerCase() ?? null,
    aliases: f.aliases,
    dns: f.dns,
    dnsSearch: f.dnsSearch,
    dnsOptions: f.dnsOptions,
    addHosts,
    ports: f.publish.flatMap(parsePublish),
    publishAll: f.publishAll,
    exposed: [],
  };
}
