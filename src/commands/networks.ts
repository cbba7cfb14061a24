// `ctr network create|ls|inspect|rm|prune|connect|disconnect|reload` and `ctr port`, with Docker's
// output shapes.
import { printRows, printDocuments } from "../cli/template";
import { parseLabels } from "../cli/run-flags";
import { ExitError, UsageError } from "../errors";
import { err, out } from "../output";
import { writeConfig } from "../container/state";
import { NetworkStore, DEFAULT_NETWORK, type Network } from "../net/store";
import { ensureBridge, ensureNetworkRules } from "../net/attach";
import { readRecord } from "../net/record";
import { linkIndex, netlink } from "../net/netlink-socket";
import { linkDel } from "../net/netlink";
import { listTable, nft } from "../net/nft";
import { deletesFor, forgetBridge, netComment, portRules, containerComment } from "../net/rules";
import { containerContext, defineCommand, infoOf } from "./container-common";

const table = () => process.env.CTR_NFT_TABLE ?? "ctr";

function networks(cl: { strings: Record<string, string[]> }) {
  const c = containerContext(cl);
  return { ...c, nets: new NetworkStore(c.store.root) };
}

/** The containers attached to a network (by their network records), id → endpoint. */
function attached(root: string, ids: string[], name: string) {
  return ids.flatMap((id) => {
    const rec = readRecord(`${root}/containers/${id}`);
    const ep = rec?.endpoints.find((e) => e.network === name);
    return rec && ep ? [{ id, name: rec.name, ep }] : [];
  });
}

export function networkDocument(root: string, ids: string[], n: Network): object {
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: "local",
    Driver: "bridge",
    EnableIPv6: n.subnets.some((s) => s.subnet.includes(":")),
    IPAM: { Driver: "default", Options: {}, Config: n.subnets.map((s) => ({ Subnet: s.subnet, Gateway: s.gateway, ...(s.ipRange ? { IPRange: s.ipRange } : {}) })) },
    Internal: n.internal,
    Attachable: false,
    Ingress: false,
    Containers: Object.fromEntries(
      attached(root, ids, n.name).map((a) => [a.id, { Name: a.name ?? "", MacAddress: a.ep.mac, IPv4Address: `${a.ep.ip}/${a.ep.prefix}`, IPv6Address: a.ep.ip6 ? `${a.ep.ip6}/${a.ep.prefix6}` : "" }]),
    ),
    Options: { "com.docker.network.bridge.name": n.bridge },
    Labels: n.labels,
  };
}

export const networkCreateCommand = defineCommand(
  "create",
  "Create a bridge network",
  "network create [OPTIONS] NETWORK",
  {
    driver: { type: "string", alias: "d", description: "Driver (bridge, the only one)", valueHint: "DRIVER" },
    subnet: { type: "string", multiple: true, description: "Subnet in CIDR form (default: a free /16 from the pool)", valueHint: "CIDR" },
    gateway: { type: "string", multiple: true, description: "Gateway of the subnet (default: its first address)", valueHint: "IP" },
    "ip-range": { type: "string", multiple: true, description: "Allocate container addresses from this sub-range", valueHint: "CIDR" },
    internal: { type: "boolean", description: "No route out of the network" },
    ipv6: { type: "boolean", description: "IPv6 too (give its --subnet)" },
    label: { type: "string", multiple: true, description: "Set a label (KEY=VALUE)", valueHint: "KEY=VALUE" },
  },
  { min: 1, max: 1 },
  async (cl) => {
    const driver = cl.strings.driver?.[0] ?? "bridge";
    if (driver !== "bridge") throw new UsageError(`network create: unsupported driver ${JSON.stringify(driver)} (bridge)`);
    const name = cl.rest[0]!;
    if (name === DEFAULT_NETWORK || name === "host" || name === "none") throw new UsageError(`network create: ${name} is a predefined network`);
    const subnets = cl.strings.subnet ?? [];
    const gateways = cl.strings.gateway ?? [];
    const ranges = cl.strings["ip-range"] ?? [];
    if (gateways.length > Math.max(subnets.length, 1) || ranges.length > Math.max(subnets.length, 1)) throw new UsageError("network create: each --gateway and --ip-range goes with a --subnet");
    const { nets } = networks(cl);
    const n = nets.create({
      name,
      subnets: subnets.map((s, i) => ({ subnet: s, gateway: gateways[i] ?? null, ipRange: ranges[i] ?? null })),
      internal: cl.booleans.internal ?? false,
      ipv6: cl.booleans.ipv6 ?? false,
      labels: parseLabels(cl.strings.label ?? []),
    });
    out(`${n.id}\n`);
    return 0;
  },
);

export const networkLsCommand = defineCommand(
  "ls",
  "List networks",
  "network ls [OPTIONS]",
  {
    quiet: { type: "boolean", alias: "q", description: "Only ids" },
    "no-trunc": { type: "boolean", description: "Do not truncate ids" },
    format: { type: "string", description: "table, json, or a Go template ({{.Name}} {{.ID}} ...)", valueHint: "FORMAT" },
    filter: { type: "string", alias: "f", multiple: true, description: "name=, id=, label=KEY[=VALUE], driver=", valueHint: "KEY=VALUE" },
  },
  { min: 0, max: 0 },
  async (cl) => {
    const { nets } = networks(cl);
    nets.defaultNetwork();
    const trunc = (id: string) => (cl.booleans["no-trunc"] ? id : id.slice(0, 12));
    const predefined = [
      { ID: "host", Name: "host", Driver: "host", Scope: "local", Labels: "", Internal: false },
      { ID: "none", Name: "none", Driver: "null", Scope: "local", Labels: "", Internal: false },
    ];
    let rows = [
      ...nets.list().map((n) => ({ ID: trunc(n.id), Name: n.name, Driver: "bridge", Scope: "local", Labels: Object.entries(n.labels).map(([k, v]) => `${k}=${v}`).join(","), Internal: n.internal })),
      ...predefined,
    ].sort((a, b) => a.Name.localeCompare(b.Name));
    for (const f of cl.strings.filter ?? []) {
      const [k, v = ""] = [f.slice(0, f.indexOf("=")), f.slice(f.indexOf("=") + 1)];
      if (k === "name") rows = rows.filter((r) => r.Name.includes(v));
      else if (k === "id") rows = rows.filter((r) => r.ID.startsWith(v));
      else if (k === "driver") rows = rows.filter((r) => r.Driver === v);
      else if (k === "label") rows = rows.filter((r) => r.Labels.split(",").some((l) => l === v || l.startsWith(`${v}=`)));
      else throw new UsageError(`--filter: unknown filter ${JSON.stringify(k)} (name, id, label, driver)`);
    }
    if (cl.booleans.quiet) out(rows.map((r) => `${r.ID}\n`).join(""));
    else printRows(rows, cl.strings.format?.[0], "table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}", { ID: "NETWORK ID" });
    return 0;
  },
);

export const networkInspectCommand = defineCommand(
  "inspect",
  "Show networks' details as JSON",
  "network inspect [OPTIONS] NETWORK [NETWORK...]",
  { format: { type: "string", alias: "f", description: "A Go template", valueHint: "FORMAT" } },
  { min: 1 },
  async (cl) => {
    const { nets, store } = networks(cl);
    const ids = store.ids();
    const docs: object[] = [];
    const missing: string[] = [];
    for (const ref of cl.rest) {
      const n = ref === DEFAULT_NETWORK ? nets.defaultNetwork() : nets.find(ref);
      if (n) docs.push(networkDocument(store.root, ids, n));
      else missing.push(ref);
    }
    printDocuments(docs, cl.strings.format?.[0]);
    if (missing.length) throw new ExitError(`network ${missing.join(", ")} not found`, 1);
    return 0;
  },
);

/** A network's bridge, rules and directory. */
function removeNetwork(nets: NetworkStore, n: Network): void {
  const idx = linkIndex(n.bridge);
  if (idx !== null) netlink(linkDel(idx, `bridge ${n.bridge}`));
  try {
    const listing = listTable(table());
    const inSet = JSON.stringify(listing).includes(`"${n.bridge}"`);
    nft([...deletesFor(listing, (c) => c === netComment(n.name)), ...(inSet ? forgetBridge(n.bridge, table()) : [])], `the rules of network ${n.name}`);
  } catch (e) {
    err(`ctr: warning: ${(e as Error).message}\n`);
  }
  nets.remove(n.name);
}

export const networkRmCommand = defineCommand("rm", "Remove networks (none a container is attached to)", "network rm NETWORK [NETWORK...]", {}, { min: 1 }, async (cl) => {
  const { nets, store, listed } = networks(cl);
  let code = 0;
  for (const ref of cl.rest) {
    try {
      if (ref === "host" || ref === "none") throw new ExitError(`${ref} is a predefined network and cannot be removed`, 1);
      const n = nets.find(ref);
      if (!n) throw new ExitError(`network ${ref} not found`, 1);
      const users = [...attached(store.root, store.ids(), n.name).map((a) => a.id), ...listed.filter((c) => c.config.run?.net?.networks?.includes(n.name)).map((c) => c.id)];
      if (users.length) throw new ExitError(`error while removing network: network ${n.name} id ${n.id} has active endpoints (${[...new Set(users)].map((u) => u.slice(0, 12)).join(", ")})`, 1);
      removeNetwork(nets, n);
      out(`${ref}\n`);
    } catch (e) {
      err(`ctr: ${(e as Error).message}\n`);
      code = e instanceof ExitError ? e.exitCode : 125;
    }
  }
  return code;
});

export const networkPruneCommand = defineCommand("prune", "Remove every network no container uses", "network prune [OPTIONS]", { force: { type: "boolean", alias: "f", description: "Do not ask" } }, { min: 0, max: 0 }, async (cl) => {
  const { nets, store, listed } = networks(cl);
  const gone: string[] = [];
  for (const n of nets.list()) {
    if (n.name === DEFAULT_NETWORK) continue;
    if (attached(store.root, store.ids(), n.name).length || listed.some((c) => c.config.run?.net?.networks?.includes(n.name))) continue;
    removeNetwork(nets, n);
    gone.push(n.name);
  }
  out(gone.length ? `Deleted Networks:\n${gone.map((g) => `${g}\n`).join("")}` : "");
  return 0;
});

export const networkConnectCommand = defineCommand(
  "connect",
  "Connect a container to a network (at once if it runs, else at its next start)",
  "network connect [OPTIONS] NETWORK CONTAINER",
  {
    ip: { type: "string", description: "IPv4 address", valueHint: "IP" },
    alias: { type: "string", multiple: true, description: "Another name on this network", valueHint: "NAME" },
  },
  { min: 2, max: 2 },
  async (cl) => {
    const { nets, store, ctx } = networks(cl);
    const n = nets.find(cl.rest[0]!);
    if (!n) throw new ExitError(`network ${cl.rest[0]} not found`, 1);
    const info = infoOf(store, cl.rest[1]!);
    if (info.config.run.network !== "bridge") throw new ExitError(`container ${cl.rest[1]} is on --network ${info.config.run.network}: only bridge-mode containers connect to networks`, 1);
    if (info.status === "running") {
      const { connect } = await import("../net/connect");
      await connect(ctx.sys, store.root, info, n, { ip: cl.strings.ip?.[0] ?? null, aliases: cl.strings.alias ?? [] });
    }
    const current = info.config.run.net.networks.length ? info.config.run.net.networks : [DEFAULT_NETWORK];
    if (!current.includes(n.name)) writeConfig(info.dir, { ...info.config, run: { ...info.config.run, net: { ...info.config.run.net, networks: [...current, n.name] } } });
    return 0;
  },
);

export const networkDisconnectCommand = defineCommand("disconnect", "Disconnect a container from a network", "network disconnect NETWORK CONTAINER", { force: { type: "boolean", alias: "f", description: "(accepted, as Docker)" } }, { min: 2, max: 2 }, async (cl) => {
  const { nets, store } = networks(cl);
  const n = nets.find(cl.rest[0]!);
  if (!n) throw new ExitError(`network ${cl.rest[0]} not found`, 1);
  const info = infoOf(store, cl.rest[1]!);
  const current = info.config.run.net.networks.length ? info.config.run.net.networks : [DEFAULT_NETWORK];
  if (info.status === "running") {
    const { disconnect } = await import("../net/connect");
    disconnect(store.root, info, n);
  } else if (!current.includes(n.name)) throw new ExitError(`container ${cl.rest[1]} is not connected to network ${n.name}`, 1);
  writeConfig(info.dir, { ...info.config, run: { ...info.config.run, net: { ...info.config.run.net, networks: current.filter((x) => x !== n.name) } } });
  return 0;
});

export const networkReloadCommand = defineCommand(
  "reload",
  "Put back every network's and running container's firewall rules (after nft flush ruleset, a firewalld reload)",
  "network reload [OPTIONS] [CONTAINER...]",
  { all: { type: "boolean", alias: "a", description: "Every running container (the default when none is named)" } },
  { min: 0 },
  async (cl) => {
    const { nets, store, listed } = networks(cl);
    for (const n of nets.list()) {
      if (linkIndex(n.bridge) === null && !attached(store.root, store.ids(), n.name).length) continue;
      ensureBridge(n);
      ensureNetworkRules(nets, n, true);
    }
    const which = cl.rest.length ? cl.rest.map((r) => infoOf(store, r)) : listed.filter((c) => c.status === "running" || c.status === "paused");
    for (const c of which) {
      const rec = readRecord(c.dir);
      if (!rec?.ports.length || !rec.endpoints[0]) continue;
      nft([...deletesFor(listTable(table()), (x) => x === containerComment(c.id)), ...portRules(c.id, rec.endpoints[0].ip, rec.ports, table())], `the published ports of ${c.id.slice(0, 12)}`);
      out(`${c.id}\n`);
    }
    return 0;
  },
);

/** `ctr port C [PORT[/PROTO]]`: Docker's "80/tcp -> 0.0.0.0:8080" lines. */
export const portCommand = defineCommand("port", "List a container's published ports", "port CONTAINER [PRIVATE_PORT[/PROTO]]", {}, { min: 1, max: 2 }, async (cl) => {
  const { store } = containerContext(cl);
  const info = infoOf(store, cl.rest[0]!);
  const ports = readRecord(info.dir)?.ports ?? [];
  const [want, proto = "tcp"] = cl.rest[1]?.split("/") ?? [];
  const list = ports.filter((p) => want === undefined || (String(p.containerPort) === want && p.protocol === proto));
  if (want !== undefined && !list.length) throw new ExitError(`no public port '${cl.rest[1]}' published for ${cl.rest[0]}`, 1);
  out(list.map((p) => `${want === undefined ? `${p.containerPort}/${p.protocol} -> ` : ""}${p.hostIp ?? "0.0.0.0"}:${p.hostPort}\n`).join(""));
  return 0;
});

export const networkSubCommands = {
  create: networkCreateCommand,
  ls: networkLsCommand,
  inspect: networkInspectCommand,
  rm: networkRmCommand,
  prune: networkPruneCommand,
  connect: networkConnectCommand,
  disconnect: networkDisconnectCommand,
  reload: networkReloadCommand,
};
