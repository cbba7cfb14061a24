// IPv4 and IPv6 addresses and prefixes as numbers (bigint), for IPAM and rules. Pure.
import { UsageError } from "../errors";

export interface Cidr {
  family: 4 | 6;
  address: string;
  prefix: number;
}

const V4 = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/;

export function ipFamily(ip: string): 4 | 6 | null {
  if (V4.test(ip)) return ip.split(".").every((p) => Number(p) <= 255) ? 4 : null;
  try {
    v6ToBig(ip);
    return 6;
  } catch {
    return null;
  }
}

function v6ToBig(ip: string): bigint {
  if (!ip.includes(":")) throw new Error("not v6");
  let [head, tail] = ip.includes("::") ? ip.split("::") : [ip, null];
  const h = head ? head.split(":") : [];
  const t = tail === null ? [] : tail ? tail.split(":") : [];
  if (tail === null && h.length !== 8) throw new Error("bad v6");
  const fill = 8 - h.length - t.length;
  if (tail !== null && fill < 1) throw new Error("bad v6");
  const groups = [...h, ...Array(tail === null ? 0 : fill).fill("0"), ...t];
  if (groups.length !== 8 || groups.some((g) => !/^[0-9a-fA-F]{1,4}$/.test(g))) throw new Error("bad v6");
  return groups.reduce((acc, g) => (acc << 16n) | BigInt(parseInt(g, 16)), 0n);
}

export function ipToBig(ip: string): bigint {
  const m = V4.exec(ip);
  if (m) return m.slice(1).reduce((acc, p) => (acc << 8n) | BigInt(Number(p)), 0n);
  return v6ToBig(ip);
}

export function bigToIp(n: bigint, family: 4 | 6): string {
  if (family === 4) return [24n, 16n, 8n, 0n].map((s) => String((n >> s) & 255n)).join(".");
  const groups = Array.from({ length: 8 }, (_, i) => ((n >> BigInt((7 - i) * 16)) & 0xffffn).toString(16));
  // The longest run of zero groups becomes "::".
  let best = [-1, 0];
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > best[1]! && j - i > 1) best = [i, j - i];
    i = j;
  }
  if (best[0]! < 0) return groups.join(":");
  return `${groups.slice(0, best[0]).join(":")}::${groups.slice(best[0]! + best[1]!).join(":")}`;
}

export function ipBytes(ip: string): Uint8Array {
  const family = ipFamily(ip);
  if (family === null) throw new Error(`not an IP address: ${ip}`);
  const n = ipToBig(ip);
  const len = family === 4 ? 4 : 16;
  return Uint8Array.from({ length: len }, (_, i) => Number((n >> BigInt((len - 1 - i) * 8)) & 255n));
}

/** "10.1.0.0/16" → the network (host bits cleared); `flag` names the option in errors. */
export function parseCidr(text: string, flag: string): Cidr {
  const [addr, len, extra] = text.split("/");
  const family = addr ? ipFamily(addr) : null;
  const max = family === 6 ? 128 : 32;
  if (family === null || len === undefined || extra !== undefined || !/^\d+$/.test(len) || Number(len) > max) {
    throw new UsageError(`${flag}: invalid CIDR ${JSON.stringify(text)} (expected ADDRESS/PREFIX)`);
  }
  return { family, address: bigToIp(networkOf(ipToBig(addr!), Number(len), family), family), prefix: Number(len) };
}

const bits = (f: 4 | 6) => (f === 4 ? 32 : 128);

export function networkOf(n: bigint, prefix: number, family: 4 | 6): bigint {
  const host = BigInt(bits(family) - prefix);
  return (n >> host) << host;
}

export function contains(net: Cidr, ip: string): boolean {
  return ipFamily(ip) === net.family && networkOf(ipToBig(ip), net.prefix, net.family) === ipToBig(net.address);
}

export function overlaps(a: Cidr, b: Cidr): boolean {
  if (a.family !== b.family) return false;
  const p = Math.min(a.prefix, b.prefix);
  return networkOf(ipToBig(a.address), p, a.family) === networkOf(ipToBig(b.address), p, b.family);
}

/** The n-th address of a network (1: the first host). */
export function nthAddress(net: Cidr, n: bigint): string {
  return bigToIp(ipToBig(net.address) + n, net.family);
}

export function size(net: Cidr): bigint {
  return 1n << BigInt(bits(net.family) - net.prefix);
}

export const cidrText = (c: Cidr) => `${c.address}/${c.prefix}`;
