// A container's network at each start, and its release at each end. ctr does the host's part
// itself (the bridge and its address, leases, nftables rules, sysctls) and plans the rest as ops:
// the monitor creates the veth pair with its peer born in the container's namespace (the pid is
// patched in), the stage configures that peer from inside (address, link up, default route).
// Nothing moves ctr's own threads between namespaces.
import * as files from "../files";
import { readLink as readLinkText, readTextFile } from "../../ffi/files";
import { log } from "../log";
import type { ChildOp, SetupOp } from "../stage/ops";
import { etcFiles } from "./etc-files";
import { ipToBig, parseCidr } from "./ip";
import { addrAdd, bridgeAdd, linkUp, routeAdd, vethAdd, type Request } from "./netlink";
import { linkIndex, netlink, NetlinkError } from "./netlink-socket";
import { listTable, nft } from "./nft";
import { allocatePorts } from "./ports";
import { baseChains, containerComment, deletesFor, networkRules, portRules, type PortMapping } from "./rules";
import { DEFAULT_NETWORK, NetworkStore, type Network } from "./store";
import type { NetOptions } from "./options";
import { ensureDnsServer } from "./dns-server";
import { readRecord, recordPath, type Endpoint, type NetRecord } from "./record";

export interface NetSetup {
  setup: SetupOp[];
  child: ChildOp[];
  record: NetRecord;
  /** The /etc files to bind over the container's. */
  etc: { hosts: string; resolvConf: string; hostname: string };
}

function sysctl(path: string, value: string): boolean {
  const before = readTextFile(`/proc/sys/${path}`)?.trim();
  if (before === value) return false;
  files.writeFile(`/proc/sys/${path}`, value);
  return true;
}

const tableName = () => process.env.CTR_NFT_TABLE ?? "ctr";

/** The network's bridge, up with its gateway address(es); made if missing. */
export function ensureBridge(n: Network): number {
  let index = linkIndex(n.bridge);
  if (index === null) {
    try {
      netlink(bridgeAdd(n.bridge));
    } catch (e) {
      if (!(e instanceof NetlinkError && e.errno === 17)) throw e; // made meanwhile by another ctr
    }
    index = linkIndex(n.bridge)!;
  }
  for (const s of n.subnets) {
    const c = parseCidr(s.subnet, "subnet");
    try {
      netlink(addrAdd(index, { family: c.family, address: s.gateway, prefix: c.prefix }, n.bridge));
    } catch (e) {
      if (!(e instanceof NetlinkError && e.errno === 17)) throw e;
    }
  }
  netlink(linkUp(index, `bridge ${n.bridge}`));
  // Published ports reached at 127.0.0.1 are routed to the bridge (as netavark and CNI portmap).
  sysctl(`net/ipv4/conf/${n.bridge}/route_localnet`, "1");
  return index;
}

/**
 * Where rules live: this boot's kernel and this network namespace. A marker with it says the
 * network's rules are in place; a reboot or another namespace means they are not (an `nft flush
 * ruleset` is not seen: `ctr network reload` is for that).
 */
function rulesGeneration(): string {
  const boot = readTextFile("/proc/sys/kernel/random/boot_id")?.trim() ?? "";
  const netns = readLinkText("/proc/self/ns/net");
  return `${boot} ${netns}`;
}

/** The table, its chains and the network's rules (once per boot and namespace; `force`: again). */
export function ensureNetworkRules(store: NetworkStore, n: Network, force = false): void {
  const marker = `${store.netDir(n.name)}/rules-installed`;
  const generation = rulesGeneration();
  const current = () => readTextFile(marker)?.trim() === generation;
  if (force || !current()) {
    const unlock = store.lock();
    try {
      if (force || !current()) {
        const existing = deletesFor(listTable(tableName()), (c) => c === `ctr-net:${n.name}`);
        nft([...baseChains(tableName()), ...existing, ...networkRules(n, tableName())], `the rules of network ${n.name}`);
        files.writeFile(marker, `${generation}\n`);
      }
    } finally {
      unlock();
    }
  }
  if (!n.internal && sysctl("net/ipv4/ip_forward", "1")) log.info("enabled IPv4 forwarding (net.ipv4.ip_forward=1): containers reach beyond their networks through the host");
  if (n.subnets.some((s) => s.subnet.includes(":")) && sysctl("net/ipv6/conf/all/forwarding", "1")) log.info("enabled IPv6 forwarding (net.ipv6.conf.all.forwarding=1)");
}

/** Docker's MAC for an address: 02:42 and the IPv4 address's bytes. */
export function macFor(ip: string): string {
  const n = ipToBig(ip);
  return ["02", "42", ...[24n, 16n, 8n, 0n].map((s) => ((n >> s) & 255n).toString(16).padStart(2, "0"))].join(":");
}

const op = (r: Request, ifname: string | null = null): SetupOp & ChildOp => ({ op: "netlink", message: r.bytes, pidOffset: r.pidOffset, ifname, indexOffset: r.indexOffset, what: r.what });

/** Every host port published by the other running containers of this state root. */
function publishedByOthers(root: string, id: string): PortMapping[] {
  return files.readdir(`${root}/containers`).flatMap((other) => (other === id ? [] : readRecord(`${root}/containers/${other}`)?.ports ?? []));
}

/**
 * Sets up the host's part of a bridge-mode start and plans the rest. On failure, whatever was
 * taken (leases, rules) is given back before the error goes on.
 */
export function prepareNetwork(o: { root: string; dir: string; id: string; name: string | null; hostname: string; net: NetOptions }): NetSetup {
  const store = new NetworkStore(o.root);
  const record: NetRecord = { id: o.id, name: o.name, hostname: o.hostname, endpoints: [], ports: [] };
  try {
    const names = o.net.networks.length ? o.net.networks : [DEFAULT_NETWORK];
    const setup: SetupOp[] = [];
    const child: ChildOp[] = [];
    names.forEach((name, i) => {
      const n = name === DEFAULT_NETWORK ? store.defaultNetwork() : store.get(name);
      if (!n) throw new NetlinkError(`network ${name}`, 2);
      const bridgeIndex = ensureBridge(n);
      ensureNetworkRules(store, n);
      const v4 = n.subnets.find((s) => !s.subnet.includes(":"));
      const v6 = n.subnets.find((s) => s.subnet.includes(":"));
      if (!v4) throw new Error(`network ${name} has no IPv4 subnet`);
      const ip = store.lease(n, v4, o.id, i === 0 ? o.net.ip : null);
      const ip6 = v6 ? store.lease(n, v6, o.id, i === 0 ? o.net.ip6 : null) : null;
      const ifname = `eth${i}`;
      const hostVeth = `veth${o.id.slice(0, 7)}${i}`;
      const mac = (i === 0 ? o.net.mac : null) ?? macFor(ip);
      const c4 = parseCidr(v4.subnet, "subnet");
      const c6 = v6 ? parseCidr(v6.subnet, "subnet") : null;
      record.endpoints.push({
        network: n.name, networkId: n.id, bridge: n.bridge, ifname, hostVeth, mac, ip, prefix: c4.prefix, gateway: v4.gateway,
        ip6, prefix6: c6?.prefix ?? null, gateway6: v6?.gateway ?? null, aliases: n.dns ? o.net.aliases : [],
      });
      // The host's end, up and in the bridge from its creation; the peer born in the container's namespace.
      setup.push(op(vethAdd({ host: hostVeth, peer: ifname, peerMac: mac, master: bridgeIndex, up: true })));
      child.push(
        op(linkUp(0, ifname), ifname),
        op(addrAdd(0, { family: 4, address: ip, prefix: c4.prefix }, ifname), ifname),
      );
      if (ip6 && c6) child.push(op(addrAdd(0, { family: 6, address: ip6, prefix: c6.prefix }, ifname), ifname));
      // The first network's gateway is the default route (as Docker).
      if (i === 0 && !n.internal) {
        child.push(op(routeAdd({ index: 0, gateway: v4.gateway, dst: null, family: 4, what: ifname }), ifname));
        if (v6) child.push(op(routeAdd({ index: 0, gateway: v6.gateway, dst: null, family: 6, what: ifname }), ifname));
      }
    });
    // What is taken is on record before anything else is: a kill from here on leaves nothing unknown.
    files.writeFile(recordPath(o.dir), JSON.stringify(record));
    // Ports: asked ones checked free, others (and -P's) picked now; DNAT rules before the command runs.
    const wanted = [...o.net.ports, ...o.net.exposed.map((e) => ({ protocol: e.protocol, hostIp: null, hostPort: 0, containerPort: e.port }))];
    if (wanted.length) {
      record.ports = allocatePorts(wanted, publishedByOthers(o.root, o.id));
      files.writeFile(recordPath(o.dir), JSON.stringify(record));
      const ep = record.endpoints[0]!;
      try {
        nft(portRules(o.id, ep.ip, record.ports, tableName()), `the published ports of ${o.id.slice(0, 12)}`);
      } catch {
        // The table was flushed under us (nft flush ruleset): put the network's rules back, retry.
        ensureNetworkRules(store, store.get(ep.network)!, true);
        nft(portRules(o.id, ep.ip, record.ports, tableName()), `the published ports of ${o.id.slice(0, 12)}`);
      }
    }
    files.writeFile(recordPath(o.dir), JSON.stringify(record));
    const userNet = record.endpoints.find((e) => store.get(e.network)?.dns);
    if (userNet && !o.net.dns.length) ensureDnsServer(o.root, userNet.gateway);
    return { setup, child, record, etc: etcFiles(o, record, userNet?.gateway ?? null) };
  } catch (e) {
    releaseRecord(o.root, record);
    throw e;
  }
}

/** Gives back what a start took: leases and firewall rules. (The veth goes with the namespace.) */
function releaseRecord(root: string, record: NetRecord): void {
  const store = new NetworkStore(root);
  for (const e of record.endpoints) {
    store.release(e.network, e.ip, record.id);
    if (e.ip6) store.release(e.network, e.ip6, record.id);
  }
  if (record.ports.length) {
    try {
      nft(deletesFor(listTable(tableName()), (c) => c === containerComment(record.id)), `the rules of ${record.id.slice(0, 12)}`);
    } catch (err) {
      log.warn(`${(err as Error).message}`);
    }
  }
}

/**
 * What killed processes may have left: leases of containers that no longer exist, and rules of
 * containers without a network record. Run by a reconciliation that removed or found dead one.
 */
export function sweepNetworkOrphans(root: string, containers: Set<string>): void {
  const store = new NetworkStore(root);
  for (const n of store.names()) {
    for (const ip of files.readdir(`${store.netDir(n)}/leases`)) {
      const id = readTextFile(`${store.netDir(n)}/leases/${ip}`)?.trim();
      if (id && !containers.has(id)) files.unlink(`${store.netDir(n)}/leases/${ip}`);
    }
  }
  const listing = listTable(tableName());
  const stale = deletesFor(listing, (c) => c.startsWith("ctr:") && !files.exists(recordPath(`${root}/containers/${c.slice(4)}`)));
  if (stale.length) nft(stale, "rules of containers that are gone");
}

/** At a container's end (exit, rm -f, or found dead by a reconciliation): idempotent. */
export function releaseNetwork(root: string, dir: string): void {
  const record = readRecord(dir);
  if (!record) return;
  releaseRecord(root, record);
  files.unlink(recordPath(dir));
}

