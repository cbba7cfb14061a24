// Networks and their address leases under the state root:
//   networks/<name>/network.json     the network (subnets, bridge, options)
//   networks/<name>/leases/<ip>      one file per address in use, holding the container's id:
//                                    created with O_EXCL, so concurrent starts never share one
// The default network `bridge` is made on first use, with a /16 from a private pool that avoids
// every subnet routed on the host and every other network's.
import * as v from "valibot";
import * as files from "../files";
import { readTextFile } from "../../ffi/files";
import { LOCK_EX, LOCK_UN, closeFd, flock } from "../../ffi/at";
import { ExitError, UsageError } from "../errors";
import { cidrText, contains, ipToBig, nthAddress, overlaps, parseCidr, size, type Cidr } from "./ip";

export const DEFAULT_NETWORK = "bridge";
/** ctr0, as docker0 (CTR_DEFAULT_BRIDGE: another name, for tests beside a real ctr). */
export const DEFAULT_BRIDGE = process.env.CTR_DEFAULT_BRIDGE ?? "ctr0";
/** Docker's default address pools: 172.17-31.0.0/16, then 192.168.0-240.0/20. */
export const POOL: string[] = [...Array.from({ length: 15 }, (_, i) => `172.${17 + i}.0.0/16`), ...Array.from({ length: 16 }, (_, i) => `192.168.${i * 16}.0/20`)];

const SubnetSchema = v.object({ subnet: v.string(), gateway: v.string(), ipRange: v.nullable(v.string()) });
const NetworkSchema = v.object({
  name: v.string(),
  id: v.string(),
  driver: v.literal("bridge"),
  bridge: v.string(),
  subnets: v.array(SubnetSchema),
  internal: v.boolean(),
  labels: v.record(v.string(), v.string()),
  created: v.string(),
  /** Name resolution (user-defined networks; not the default bridge, as Docker). */
  dns: v.boolean(),
});
export type Network = v.InferOutput<typeof NetworkSchema>;
export type Subnet = v.InferOutput<typeof SubnetSchema>;

const NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/;

/** Subnets routed on the host (main table, from /proc/net/route), as CIDRs. */
export function hostRoutes(text = readTextFile("/proc/net/route") ?? ""): Cidr[] {
  const hex = (h: string) => [0, 2, 4, 6].map((i) => parseInt(h.slice(i, i + 2), 16)).reverse().join(".");
  return text.split("\n").slice(1).filter(Boolean).flatMap((line) => {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || f[1] === "00000000") return []; // the default route covers nothing in particular
    const mask = ipToBig(hex(f[7]!));
    const prefix = mask.toString(2).replace(/0+$/, "").length;
    return [{ family: 4 as const, address: hex(f[1]!), prefix }];
  });
}

/** The first pool subnet that overlaps nothing taken. */
export function pickSubnet(taken: readonly Cidr[], pool: readonly string[] = POOL): Cidr | null {
  for (const p of pool) {
    const c = parseCidr(p, "pool");
    if (!taken.some((t) => overlaps(t, c))) return c;
  }
  return null;
}

export class NetworkStore {
  constructor(readonly root: string) {}

  private get dir(): string {
    return `${this.root}/networks`;
  }

  netDir(name: string): string {
    return `${this.dir}/${name}`;
  }

  /** An exclusive hold on the set of networks (creation, removal). */
  lock(): () => void {
    files.mkdirp(this.dir, 0o700);
    const fd = files.openForLock(`${this.dir}/.lock`);
    flock(fd, LOCK_EX);
    return () => {
      flock(fd, LOCK_UN);
      closeFd(fd);
    };
  }

  names(): string[] {
    return files.readdir(this.dir).filter((n) => !n.startsWith(".") && files.exists(`${this.dir}/${n}/network.json`));
  }

  get(name: string): Network | null {
    const text = readTextFile(`${this.netDir(name)}/network.json`);
    if (text === null) return null;
    const r = v.safeParse(NetworkSchema, JSON.parse(text));
    return r.success ? r.output : null;
  }

  list(): Network[] {
    return this.names().flatMap((n) => this.get(n) ?? []);
  }

  /** A network by name or id prefix. */
  find(ref: string): Network | null {
    return this.get(ref) ?? this.list().find((n) => n.id.startsWith(ref)) ?? null;
  }

  private write(n: Network): void {
    files.mkdirp(`${this.netDir(n.name)}/leases`, 0o700);
    const tmp = `${this.netDir(n.name)}/network.json.tmp`;
    files.writeFile(tmp, JSON.stringify(n));
    files.rename(tmp, `${this.netDir(n.name)}/network.json`);
  }

  /** Every subnet that a new network must not overlap: the host's routes and every network's. */
  taken(): Cidr[] {
    return [...hostRoutes(), ...this.list().flatMap((n) => n.subnets.map((s) => parseCidr(s.subnet, "network")))];
  }

  create(o: { name: string; subnets: { subnet: string | null; gateway: string | null; ipRange: string | null }[]; internal: boolean; labels: Record<string, string>; ipv6: boolean; isDefault?: boolean }): Network {
    if (!NAME.test(o.name)) throw new UsageError(`network create: invalid name ${JSON.stringify(o.name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const unlock = this.lock();
    try {
      if (this.get(o.name)) throw new ExitError(`network with name ${o.name} already exists`, 1);
      const taken = this.taken();
      const subnets: Subnet[] = [];
      const wanted = o.subnets.length ? o.subnets : [{ subnet: null, gateway: null, ipRange: null }];
      if (o.ipv6 && !wanted.some((s) => s.subnet?.includes(":"))) throw new UsageError("network create: --ipv6 needs an IPv6 --subnet (ctr has no IPv6 pool)");
      for (const w of wanted) {
        const subnet = w.subnet ? parseCidr(w.subnet, "--subnet") : pickSubnet(taken);
        if (!subnet) throw new ExitError("network create: every subnet of the pool overlaps one in use: give one with --subnet", 1);
        if (subnet.family === 4 && subnet.prefix > 30) throw new UsageError(`--subnet ${cidrText(subnet)}: too small for a gateway and a container`);
        const clash = taken.find((t) => overlaps(t, subnet));
        if (w.subnet && clash) throw new ExitError(`network create: --subnet ${cidrText(subnet)} overlaps ${cidrText(clash)}, in use`, 1);
        const gateway = w.gateway ?? nthAddress(subnet, 1n);
        if (!contains(subnet, gateway)) throw new UsageError(`--gateway ${gateway}: not in --subnet ${cidrText(subnet)}`);
        if (w.ipRange) {
          const r = parseCidr(w.ipRange, "--ip-range");
          if (!overlaps(r, subnet) || r.prefix < subnet.prefix) throw new UsageError(`--ip-range ${w.ipRange}: not inside --subnet ${cidrText(subnet)}`);
        }
        subnets.push({ subnet: cidrText(subnet), gateway, ipRange: w.ipRange });
        taken.push(subnet);
      }
      const id = Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
      const n: Network = {
        name: o.name,
        id,
        driver: "bridge",
        bridge: o.isDefault ? DEFAULT_BRIDGE : `ctr-${id.slice(0, 8)}`,
        subnets,
        internal: o.internal,
        labels: o.labels,
        created: new Date().toISOString(),
        dns: !o.isDefault,
      };
      this.write(n);
      return n;
    } finally {
      unlock();
    }
  }

  /** The default network, made on first use. */
  defaultNetwork(): Network {
    const existing = this.get(DEFAULT_NETWORK);
    if (existing) return existing;
    try {
      return this.create({ name: DEFAULT_NETWORK, subnets: [], internal: false, labels: {}, ipv6: false, isDefault: true });
    } catch (e) {
      // Another ctr made it first.
      const made = this.get(DEFAULT_NETWORK);
      if (made) return made;
      throw e;
    }
  }

  /**
   * An address for a container: `want` if given (and free), else the next free one of the subnet
   * (or its --ip-range), never the network, gateway or broadcast address.
   */
  lease(net: Network, subnet: Subnet, containerId: string, want: string | null): string {
    const c = parseCidr(subnet.subnet, "subnet");
    const range = subnet.ipRange ? parseCidr(subnet.ipRange, "ip-range") : c;
    const dir = `${this.netDir(net.name)}/leases`;
    files.mkdirp(dir, 0o700);
    const take = (ip: string) => {
      try {
        files.writeFile(`${dir}/${ip}`, `${containerId}\n`, 0o600, true);
        return true;
      } catch (e) {
        if ((e as Error).message.includes("EEXIST")) return false;
        throw e;
      }
    };
    const reserved = (ip: string) => ip === subnet.gateway || ip === c.address || (c.family === 4 && ipToBig(ip) === ipToBig(c.address) + size(c) - 1n);
    if (want) {
      if (!contains(c, want)) throw new UsageError(`--ip ${want}: not in the network ${net.name}'s subnet ${subnet.subnet}`);
      if (reserved(want)) throw new UsageError(`--ip ${want}: reserved in ${net.name} (network, gateway or broadcast address)`);
      if (!take(want)) throw new ExitError(`--ip ${want}: the address is already in use on network ${net.name}`, 125);
      return want;
    }
    const count = size(range) > 65536n ? 65536n : size(range);
    for (let i = 1n; i < count; i++) {
      const ip = nthAddress(range, i);
      if (!contains(c, ip) || reserved(ip)) continue;
      if (take(ip)) return ip;
    }
    throw new ExitError(`network ${net.name}: no free address left in ${subnet.ipRange ?? subnet.subnet}`, 125);
  }

  release(name: string, ip: string, containerId: string): void {
    const path = `${this.netDir(name)}/leases/${ip}`;
    if (readTextFile(path)?.trim() === containerId) files.unlink(path);
  }

  remove(name: string): void {
    files.removeTree(this.netDir(name));
  }
}
