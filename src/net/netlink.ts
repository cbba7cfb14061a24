// rtnetlink requests as bytes (pure): links (bridge, veth with its peer born in another network
// namespace), addresses, routes. ctr sends the host's own requests itself (netlink-socket.ts);
// those that must run inside a container's namespace, or need the container's pid, become
// "netlink" ops the native stage and monitor send (src/stage/ops.ts).
import { ipBytes, type Cidr } from "./ip";

export const RTM = { NEWLINK: 16, DELLINK: 17, GETLINK: 18, NEWADDR: 20, DELADDR: 21, NEWROUTE: 24, DELROUTE: 25, GETROUTE: 26 } as const;
const RTM_NAME: Record<number, string> = Object.fromEntries(Object.entries(RTM).map(([k, v]) => [v, `RTM_${k}`]));
export const NLM_F = { REQUEST: 1, MULTI: 2, ACK: 4, ROOT: 0x100, MATCH: 0x200, EXCL: 0x200, CREATE: 0x400, DUMP: 0x300 } as const;
export const NLMSG_ERROR = 2;
export const NLMSG_DONE = 3;
const IFLA = { ADDRESS: 1, IFNAME: 3, MASTER: 10, LINKINFO: 18, NET_NS_PID: 19, NET_NS_FD: 28 } as const;
const IFLA_INFO = { KIND: 1, DATA: 2 } as const;
const VETH_INFO_PEER = 1;
const IFA = { ADDRESS: 1, LOCAL: 2 } as const;
const RTA = { DST: 1, OIF: 4, GATEWAY: 5 } as const;
const IFF_UP = 1;
export const AF = { UNSPEC: 0, INET: 2, INET6: 10 } as const;
const NLA_F_NESTED = 0x8000;

/** A built request: its bytes, where fields to patch in are, and its name for messages. */
export interface Request {
  bytes: Uint8Array;
  /** The offset of a u32 to be set to the container's pid (IFLA_NET_NS_PID), if any. */
  pidOffset: number | null;
  /** The offset of the s32 link index (of `ifname`) to patch, if any. */
  indexOffset: number | null;
  what: string;
}

/** An attribute: bytes, nested attributes (after a fixed header, as VETH_INFO_PEER's ifinfomsg), or the pid placeholder. */
type Attr = { type: number; data: Uint8Array } | { type: number; header?: Uint8Array; nested: Attr[] } | { type: number; pid: true };

const align4 = (n: number) => (n + 3) & ~3;
const u32 = (v: number) => new Uint8Array(new Uint32Array([v >>> 0]).buffer);
const str = (s: string) => new TextEncoder().encode(`${s}\0`);

function attrSize(a: Attr): number {
  if ("nested" in a) return 4 + align4(a.header?.length ?? 0) + a.nested.reduce((s, n) => s + align4(attrSize(n)), 0);
  return 4 + ("pid" in a ? 4 : a.data.length);
}

/** Writes attributes; returns the offset of a pid placeholder if one was written. */
function writeAttrs(view: DataView, buf: Uint8Array, at: number, attrs: Attr[]): { end: number; pid: number | null } {
  let pid: number | null = null;
  for (const a of attrs) {
    const size = attrSize(a);
    view.setUint16(at, size, true);
    view.setUint16(at + 2, "nested" in a ? a.type | NLA_F_NESTED : a.type, true);
    if ("nested" in a) {
      if (a.header) buf.set(a.header, at + 4);
      const r = writeAttrs(view, buf, at + 4 + align4(a.header?.length ?? 0), a.nested);
      pid ??= r.pid;
    } else if ("pid" in a) {
      pid = at + 4;
      view.setUint32(at + 4, 0, true);
    } else buf.set(a.data, at + 4);
    at += align4(size);
  }
  return { end: at, pid };
}

/** nlmsghdr + a fixed header (ifinfomsg, ifaddrmsg, rtmsg) + attributes. */
function message(type: number, flags: number, header: Uint8Array, attrs: Attr[], what: string, indexAt: number | null = null): Request {
  const len = 16 + align4(header.length) + attrs.reduce((s, a) => s + align4(attrSize(a)), 0);
  const buf = new Uint8Array(len);
  const view = new DataView(buf.buffer);
  view.setUint32(0, len, true);
  view.setUint16(4, type, true);
  view.setUint16(6, flags | NLM_F.REQUEST | NLM_F.ACK, true);
  view.setUint32(8, 1, true); // seq
  buf.set(header, 16);
  const { pid } = writeAttrs(view, buf, 16 + align4(header.length), attrs);
  return { bytes: buf, pidOffset: pid, indexOffset: indexAt === null ? null : 16 + indexAt, what: `${RTM_NAME[type]} ${what}` };
}

/** struct ifinfomsg: family, type, index, flags, change. */
function ifinfo(index: number, flags = 0, change = 0): Uint8Array {
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint8(0, AF.UNSPEC);
  v.setInt32(4, index, true);
  v.setUint32(8, flags, true);
  v.setUint32(12, change, true);
  return b;
}

function macBytes(mac: string): Uint8Array {
  return Uint8Array.from(mac.split(":").map((h) => parseInt(h, 16)));
}

export function bridgeAdd(name: string): Request {
  return message(RTM.NEWLINK, NLM_F.CREATE | NLM_F.EXCL, ifinfo(0), [
    { type: IFLA.IFNAME, data: str(name) },
    { type: IFLA.LINKINFO, nested: [{ type: IFLA_INFO.KIND, data: str("bridge") }] },
  ], `bridge ${name}`);
}

/**
 * A veth pair: `host` in this namespace (in `master`'s bridge), `peer` born in the namespace of
 * the pid patched in (the container's), named as asked there, with its MAC address.
 */
export function vethAdd(o: { host: string; peer: string; peerMac: string | null; master: number | null; up: boolean }): Request {
  const peerAttrs: Attr[] = [{ type: IFLA.IFNAME, data: str(o.peer) }, { type: IFLA.NET_NS_PID, pid: true }];
  if (o.peerMac) peerAttrs.push({ type: IFLA.ADDRESS, data: macBytes(o.peerMac) });
  const attrs: Attr[] = [{ type: IFLA.IFNAME, data: str(o.host) }];
  if (o.master !== null) attrs.push({ type: IFLA.MASTER, data: u32(o.master) });
  attrs.push({
    type: IFLA.LINKINFO,
    nested: [
      { type: IFLA_INFO.KIND, data: str("veth") },
      // VETH_INFO_PEER: the peer's ifinfomsg, then its own attributes.
      { type: IFLA_INFO.DATA, nested: [{ type: VETH_INFO_PEER, header: ifinfo(0), nested: peerAttrs }] },
    ],
  });
  return message(RTM.NEWLINK, NLM_F.CREATE | NLM_F.EXCL, o.up ? ifinfo(0, IFF_UP, IFF_UP) : ifinfo(0), attrs, `veth ${o.host} (peer ${o.peer} in the container)`);
}

/** Link up, by index (index 0: the stage patches in the index of the link it names). */
export function linkUp(index: number, what: string): Request {
  return message(RTM.NEWLINK, 0, ifinfo(index, IFF_UP, IFF_UP), [], `${what} up`, 4);
}

export function linkDel(index: number, what: string): Request {
  return message(RTM.DELLINK, 0, ifinfo(index), [], what, 4);
}

/** RTM_GETLINK for one name (the reply carries its index). */
export function linkGet(name: string): Request {
  return message(RTM.GETLINK, 0, ifinfo(0), [{ type: IFLA.IFNAME, data: str(name) }], `link ${name}`);
}

export function addrAdd(index: number, cidr: Cidr, what: string): Request {
  const h = new Uint8Array(8);
  const v6 = cidr.family === 6;
  h[0] = v6 ? AF.INET6 : AF.INET;
  h[1] = cidr.prefix;
  new DataView(h.buffer).setUint32(4, index, true);
  const addr = ipBytes(cidr.address);
  // IFA_NODAD-free: a container's address is its own; IPv6 DAD would delay it by a second.
  const attrs: Attr[] = [{ type: IFA.LOCAL, data: addr }, { type: IFA.ADDRESS, data: addr }];
  if (v6) attrs.push({ type: 8 /* IFA_FLAGS */, data: u32(0x02 /* IFA_F_NODAD */) });
  return message(RTM.NEWADDR, NLM_F.CREATE | NLM_F.EXCL, h, attrs, `address ${cidr.address}/${cidr.prefix} on ${what}`, 4);
}

/** A default route (or one to `dst`) via a gateway, out of a link. */
export function routeAdd(o: { index: number; gateway: string; dst: Cidr | null; family: 4 | 6; what: string }): Request {
  const h = new Uint8Array(12);
  h[0] = o.family === 6 ? AF.INET6 : AF.INET;
  h[1] = o.dst?.prefix ?? 0;
  h[4] = 254; // RT_TABLE_MAIN
  h[5] = 4; // RTPROT_STATIC
  h[6] = 0; // RT_SCOPE_UNIVERSE
  h[7] = 1; // RTN_UNICAST
  const attrs: Attr[] = [{ type: RTA.GATEWAY, data: ipBytes(o.gateway) }, { type: RTA.OIF, data: u32(o.index) }];
  if (o.dst) attrs.unshift({ type: RTA.DST, data: ipBytes(o.dst.address) });
  const req = message(RTM.NEWROUTE, NLM_F.CREATE | NLM_F.EXCL, h, attrs, `route ${o.dst ? `${o.dst.address}/${o.dst.prefix}` : "default"} via ${o.gateway} (${o.what})`);
  // RTA_OIF's value is the last 4 bytes: the stage patches the link's index there.
  return { ...req, indexOffset: req.bytes.length - 4 };
}

/** Parses replies: errors (an ack's errno) and RTM_NEWLINK link indexes by name. */
export function parseReplies(buf: Uint8Array): { errno: number | null; done: boolean; links: { index: number; name: string }[] } {
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const links: { index: number; name: string }[] = [];
  let errno: number | null = null;
  let done = false;
  for (let at = 0; at + 16 <= buf.length; ) {
    const len = view.getUint32(at, true);
    const type = view.getUint16(at + 4, true);
    if (len < 16) break;
    if (type === NLMSG_ERROR) errno = -view.getInt32(at + 16, true);
    else if (type === NLMSG_DONE) done = true;
    else if (type === RTM.NEWLINK) {
      const index = view.getInt32(at + 16 + 4, true);
      for (let a = at + 32; a + 4 <= at + len; a += align4(view.getUint16(a, true))) {
        const alen = view.getUint16(a, true);
        if (alen < 4) break;
        if (view.getUint16(a + 2, true) === IFLA.IFNAME) links.push({ index, name: new TextDecoder().decode(buf.subarray(a + 4, a + alen)).replace(/\0.*$/, "") });
      }
    }
    at += align4(len);
  }
  return { errno, done, links };
}
