// Host ports for -p and -P: a port asked for must be free (a clear error before the container
// starts), a port not given is a free one the kernel picks. Checked by binding a socket to it.
import { ptr } from "bun:ffi";
import { C } from "../../ffi/libc";
import { closeFd } from "../../ffi/at";
import { lastErrno } from "../../ffi/errno";
import { ExitError } from "../errors";
import { ipBytes, ipFamily } from "./ip";
import type { PortMapping } from "./rules";

const SOCK = { tcp: 1, udp: 2, sctp: 1 } as const;
const SOL_SOCKET = 1;
const SO_REUSEADDR = 2;

/** Binds ip:port (0: any free one); returns the port bound, or -errno. */
function tryBind(protocol: PortMapping["protocol"], ip: string | null, port: number): number {
  const v6 = ip !== null && ipFamily(ip) === 6;
  const fd = C.socket(v6 ? 10 : 2, SOCK[protocol] | 0o2000000, protocol === "sctp" ? 132 : 0);
  if (fd < 0) return -lastErrno();
  try {
    // TIME_WAIT of an earlier user is not a conflict.
    const one = new Int32Array([1]);
    C.setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, ptr(one), 4);
    const addr = new Uint8Array(v6 ? 28 : 16);
    const view = new DataView(addr.buffer);
    view.setUint16(0, v6 ? 10 : 2, true);
    view.setUint16(2, port, false);
    if (ip) addr.set(ipBytes(ip), v6 ? 8 : 4);
    if (C.bind(fd, ptr(addr), addr.length) < 0) return -lastErrno();
    const len = new Uint32Array([addr.length]);
    C.getsockname(fd, ptr(addr), ptr(len));
    return view.getUint16(2, false);
  } finally {
    closeFd(fd);
  }
}

/** Every mapping with its host port decided; `taken`: host ports other containers of ctr publish. */
export function allocatePorts(ports: readonly PortMapping[], taken: readonly PortMapping[]): PortMapping[] {
  const busy = (p: PortMapping, port: number) =>
    taken.some((t) => t.protocol === p.protocol && t.hostPort === port && (t.hostIp === null || p.hostIp === null || t.hostIp === p.hostIp));
  const out: PortMapping[] = [];
  for (const p of ports) {
    const where = `${p.hostIp ?? "0.0.0.0"}:${p.hostPort || "?"}/${p.protocol}`;
    if (p.hostPort === 0) {
      let port = -1;
      for (let i = 0; i < 20 && (port <= 0 || busy(p, port) || out.some((o) => o.hostPort === port && o.protocol === p.protocol)); i++) port = tryBind(p.protocol, p.hostIp, 0);
      if (port <= 0) throw new ExitError(`-p ${where}: no free host port`, 125);
      out.push({ ...p, hostPort: port });
      continue;
    }
    if (busy(p, p.hostPort) || out.some((o) => o.hostPort === p.hostPort && o.protocol === p.protocol)) {
      throw new ExitError(`-p ${where}: the host port is already published by another container`, 125);
    }
    const rc = tryBind(p.protocol, p.hostIp, p.hostPort);
    if (rc === -98 /* EADDRINUSE */) throw new ExitError(`-p ${where}: the host port is already in use`, 125);
    if (rc === -99 /* EADDRNOTAVAIL */) throw new ExitError(`-p ${where}: ${p.hostIp} is not an address of this host`, 125);
    if (rc < 0 && rc !== -93 /* EPROTONOSUPPORT (no sctp module): not a conflict */) throw new ExitError(`-p ${where}: cannot bind the host port (errno ${-rc})`, 125);
    out.push(p);
  }
  return out;
}
