// ctr's own rtnetlink socket, for the host's side: bridges, link lookups, deleting a veth. (What
// runs in a container's namespace, or needs its pid, goes through the native stage's ops.)
import { ptr } from "bun:ffi";
import { C } from "../../ffi/libc";
import { closeFd } from "../../ffi/at";
import { errnoName, errnoText, lastErrno } from "../../ffi/errno";
import { linkGet, parseReplies, type Request } from "./netlink";

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;

export class NetlinkError extends Error {
  constructor(readonly what: string, readonly errno: number) {
    super(`netlink ${what}: ${errnoName(errno)} (${errnoText(errno)})`);
  }
}

/** Sends one request and waits for its ack (or, for a get, its answer). */
export function netlink(req: Request): ReturnType<typeof parseReplies> {
  const fd = C.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
  if (fd < 0) throw new NetlinkError(req.what, lastErrno());
  try {
    const addr = new Uint8Array(12);
    addr[0] = AF_NETLINK;
    if (Number(C.sendto(fd, ptr(req.bytes), req.bytes.length, 0, ptr(addr), 12)) < 0) throw new NetlinkError(req.what, lastErrno());
    const buf = new Uint8Array(65536);
    for (;;) {
      const n = Number(C.recv(fd, ptr(buf), buf.length, 0));
      if (n < 0) {
        const e = lastErrno();
        if (e === 4) continue;
        throw new NetlinkError(req.what, e);
      }
      const r = parseReplies(buf.subarray(0, n));
      if (r.errno !== null && r.errno !== 0) throw new NetlinkError(req.what, r.errno);
      if (r.errno === 0 || r.done || r.links.length) return r;
    }
  } finally {
    closeFd(fd);
  }
}

/** A link's index by name, or null if there is none. */
export function linkIndex(name: string): number | null {
  try {
    return netlink(linkGet(name)).links.find((l) => l.name === name)?.index ?? null;
  } catch (e) {
    if (e instanceof NetlinkError && e.errno === 19 /* ENODEV */) return null;
    throw e;
  }
}
