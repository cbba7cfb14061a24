// ctr's firewall as libnftables JSON commands (pure). Everything is in one table of its own,
// `inet ctr` (as netavark 2.x has `inet netavark`): base chains made on demand, a rule set per
// network (masquerade, isolation, --internal) and per container (published ports), each rule
// tagged by a comment so that it can be found and deleted with its owner, and nothing in any
// other table is ever touched.
import { parseCidr, type Cidr } from "./ip";
import type { Network } from "./store";

export const TABLE = "ctr";
const at = (table: string) => ({ family: "inet", table }) as const;

export type NftCommand = Record<string, unknown>;

export const netComment = (name: string) => `ctr-net:${name}`;
export const containerComment = (id: string) => `ctr:${id}`;

/** The table and its base chains (idempotent: `add` of an existing one is no error). */
export function baseChains(table = TABLE): NftCommand[] {
  const chain = (name: string, type: string, hook: string, prio: number) => ({ add: { chain: { ...at(table), name, type, hook, prio, policy: "accept" } } });
  return [
    { add: { table: { family: "inet", name: table } } },
    chain("prerouting", "nat", "prerouting", -100),
    chain("output", "nat", "output", -100),
    chain("postrouting", "nat", "postrouting", 100),
    chain("forward", "filter", "forward", 0),
    // Every network's bridge: the isolation rules name this set, not a wildcard of names.
    { add: { set: { ...at(table), name: "bridges", type: "ifname" } } },
  ];
}

const match = (left: unknown, right: unknown, op = "==") => ({ match: { op, left, right } });
const meta = (key: string) => ({ meta: { key } });
const addrField = (c: Cidr, field: "saddr" | "daddr") => ({ payload: { protocol: c.family === 6 ? "ip6" : "ip", field } });
const prefix = (c: Cidr) => ({ prefix: { addr: c.address, len: c.prefix } });
const ruleIn = (table: string) => (chain: string, comment: string, expr: unknown[]): NftCommand => ({ add: { rule: { ...at(table), chain, comment, expr } } });

/** A network's rules: outbound masquerade (not --internal), isolation from other networks, hairpin. */
export function networkRules(n: Network, table = TABLE): NftCommand[] {
  const rule = ruleIn(table);
  const c = netComment(n.name);
  const out: NftCommand[] = [];
  for (const s of n.subnets) {
    const net = parseCidr(s.subnet, "subnet");
    if (!n.internal) {
      // Leaving the network for elsewhere: the host's address, as Docker and netavark do.
      out.push(rule("postrouting", c, [match(addrField(net, "saddr"), prefix(net)), match(addrField(net, "daddr"), prefix(net), "!="), { masquerade: null }]));
    }
    // A published port reached from the same network (hairpin) or from the host's 127.0.0.1:
    // the reply must come back through the host, so the source becomes the gateway.
    out.push(rule("postrouting", c, [match(meta("oifname"), n.bridge), match({ ct: { key: "status" } }, "dnat", "in"), match(addrField(net, "saddr"), prefix(net)), { masquerade: null }]));
    if (net.family === 4) out.push(rule("postrouting", c, [match(meta("oifname"), n.bridge), match({ ct: { key: "status" } }, "dnat", "in"), match({ payload: { protocol: "ip", field: "saddr" } }, { prefix: { addr: "127.0.0.0", len: 8 } }), { masquerade: null }]));
  }
  // Networks are isolated from each other (netavark 2.x's rule).
  out.push({ add: { element: { ...at(table), name: "bridges", elem: [n.bridge] } } });
  out.push(rule("forward", c, [match(meta("iifname"), n.bridge), match(meta("oifname"), "@bridges"), match(meta("oifname"), n.bridge, "!="), { drop: null }]));
  if (n.internal) {
    out.push(rule("forward", c, [match(meta("iifname"), n.bridge), match(meta("oifname"), n.bridge, "!="), { drop: null }]));
    out.push(rule("forward", c, [match(meta("oifname"), n.bridge), match(meta("iifname"), n.bridge, "!="), { drop: null }]));
  }
  return out;
}

export interface PortMapping {
  protocol: "tcp" | "udp" | "sctp";
  hostIp: string | null;
  hostPort: number;
  containerPort: number;
}

/** A container's published ports: DNAT from the host's addresses (and from the host itself). */
export function portRules(id: string, containerIp: string, ports: readonly PortMapping[], table = TABLE): NftCommand[] {
  const rule = ruleIn(table);
  const c = containerComment(id);
  const family = containerIp.includes(":") ? "ip6" : "ip";
  return ports.flatMap((p) => {
    const dest: unknown[] = p.hostIp
      ? [match({ payload: { protocol: p.hostIp.includes(":") ? "ip6" : "ip", field: "daddr" } }, p.hostIp)]
      : [match({ fib: { result: "type", flags: ["daddr"] } }, "local")];
    if ((p.hostIp?.includes(":") ?? false) !== (family === "ip6")) return [];
    const expr = [...dest, match({ payload: { protocol: p.protocol, field: "dport" } }, p.hostPort), { dnat: { family, addr: containerIp, port: p.containerPort } }];
    return [rule("prerouting", c, expr), rule("output", c, expr)];
  });
}

/** A network's bridge out of the isolation set (network rm). */
export function forgetBridge(bridge: string, table = TABLE): NftCommand[] {
  return [{ delete: { element: { ...at(table), name: "bridges", elem: [bridge] } } }];
}

/** Deletes of every rule whose comment is `comment`, from a `list table` JSON answer. */
export function deletesFor(listing: { nftables?: Record<string, unknown>[] }, matches: (comment: string) => boolean): NftCommand[] {
  return (listing.nftables ?? []).flatMap((item) => {
    const r = item.rule as { table: string; chain: string; handle: number; comment?: string } | undefined;
    return r && r.comment !== undefined && matches(r.comment) ? [{ delete: { rule: { ...at(r.table), chain: r.chain, handle: r.handle } } }] : [];
  });
}
