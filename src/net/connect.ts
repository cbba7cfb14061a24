// `network connect` and `disconnect` of a running container: its new interface is made by ctr
// (the veth's peer born in the container's namespace, by its pid) and configured from inside by
// a native helper that joins only that namespace (through a pidfd) and ends without exec.
import { closeFd } from "../../ffi/at";
import * as files from "../files";
import { ExitError } from "../errors";
import { MONITOR_EXTRA_FD, spawnMonitor } from "../stage/monitor";
import type { ChildOp, Program } from "../stage/ops";
import type { Sys } from "../sys/sys";
import type { ContainerInfo } from "../container/store";
import { EventLog } from "../container/start";
import { openProcess } from "../container/state";
import { ensureBridge, ensureNetworkRules, macFor } from "./attach";
import { readRecord, recordPath, type Endpoint } from "./record";
import { parseCidr } from "./ip";
import { addrAdd, linkDel, linkUp, vethAdd } from "./netlink";
import { linkIndex, netlink } from "./netlink-socket";
import type { Network } from "./store";
import { NetworkStore } from "./store";

/** Runs netlink ops inside a running container's network namespace; throws the first failure. */
async function inside(sys: Sys, info: ContainerInfo, ops: ChildOp[]): Promise<void> {
  const pidfd = openProcess(info.pids!.init);
  if (pidfd === null) throw new ExitError(`container ${info.id.slice(0, 12)} is not running`, 1);
  const program: Program = {
    setup: [{ op: "monitor", flags: ["foreground"], pidfile: null }, { op: "clone", namespaces: [], cgroup: null }, { op: "release" }],
    child: [{ op: "wait-release" }, { op: "setns", fd: MONITOR_EXTRA_FD, namespaces: ["net"], what: "the container's network namespace" }, ...ops, { op: "exit", code: 0 }],
    teardown: [],
  };
  try {
    const monitor = await spawnMonitor(sys, program, { id: info.id, stdio: ["ignore", "inherit", "inherit"], extraFds: [pidfd] });
    const events = new EventLog(program);
    for (let e = monitor.channel.next(); e !== null; e = monitor.channel.next()) events.add(e);
    await monitor.proc.exited;
    const failure = events.failureError();
    if (failure) throw failure;
  } finally {
    closeFd(pidfd);
  }
}

const netOp = (r: ReturnType<typeof linkUp>, ifname: string): ChildOp => ({ op: "netlink", message: r.bytes, pidOffset: r.pidOffset, ifname, indexOffset: r.indexOffset, what: r.what });

export async function connect(sys: Sys, root: string, info: ContainerInfo, n: Network, o: { ip: string | null; aliases: string[] }): Promise<void> {
  const store = new NetworkStore(root);
  const record = readRecord(info.dir);
  if (!record) throw new ExitError(`container ${info.id.slice(0, 12)} has no network of its own to connect (its --network is not a bridge one)`, 1);
  if (record.endpoints.some((e) => e.network === n.name)) throw new ExitError(`container ${info.config.name ?? info.id.slice(0, 12)} is already connected to network ${n.name}`, 1);
  const bridgeIndex = ensureBridge(n);
  ensureNetworkRules(store, n);
  const v4 = n.subnets.find((s) => !s.subnet.includes(":"))!;
  const ip = store.lease(n, v4, info.id, o.ip);
  const i = Math.max(-1, ...record.endpoints.map((e) => Number(e.ifname.slice(3)))) + 1;
  const ep: Endpoint = {
    network: n.name, networkId: n.id, bridge: n.bridge, ifname: `eth${i}`, hostVeth: `veth${info.id.slice(0, 7)}${i}`, mac: macFor(ip), ip,
    prefix: parseCidr(v4.subnet, "subnet").prefix, gateway: v4.gateway, ip6: null, prefix6: null, gateway6: null, aliases: n.dns ? o.aliases : [],
  };
  try {
    const veth = vethAdd({ host: ep.hostVeth, peer: ep.ifname, peerMac: ep.mac, master: bridgeIndex, up: true });
    // ctr knows the pid here: patched in as the monitor would.
    new DataView(veth.bytes.buffer).setUint32(veth.pidOffset!, info.pids!.init.pid, true);
    netlink(veth);
    await inside(sys, info, [netOp(linkUp(0, ep.ifname), ep.ifname), netOp(addrAdd(0, { family: 4, address: ip, prefix: ep.prefix }, ep.ifname), ep.ifname)]);
  } catch (e) {
    store.release(n.name, ip, info.id);
    const idx = linkIndex(ep.hostVeth);
    if (idx !== null) netlink(linkDel(idx, ep.hostVeth));
    throw e;
  }
  record.endpoints.push(ep);
  files.writeFile(recordPath(info.dir), JSON.stringify(record));
}

export function disconnect(root: string, info: ContainerInfo, n: Network): void {
  const record = readRecord(info.dir);
  const ep = record?.endpoints.find((e) => e.network === n.name);
  if (!record || !ep) throw new ExitError(`container ${info.config.name ?? info.id.slice(0, 12)} is not connected to network ${n.name}`, 1);
  // Deleting the host's end takes the pair, the container's interface with it.
  const idx = linkIndex(ep.hostVeth);
  if (idx !== null) netlink(linkDel(idx, ep.hostVeth));
  new NetworkStore(root).release(n.name, ep.ip, info.id);
  record.endpoints = record.endpoints.filter((e) => e !== ep);
  files.writeFile(recordPath(info.dir), JSON.stringify(record));
}
