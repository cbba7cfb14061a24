// A container's /etc/hosts, /etc/resolv.conf and /etc/hostname (pure), as Docker writes them:
// written into the container's state directory at each start and bind-mounted over its own.

import { readTextFile } from "../../ffi/files";
import type { NetOptions } from "./options";
import type { NetRecord } from "./record";

export interface EtcInput {
  hostname: string;
  mode: string;
  /** The container's addresses (bridge mode), first network first. */
  addresses: string[];
  /** Its names on its networks (hostname, container name, aliases). */
  names: string[];
  addHosts: { host: string; ip: string }[];
  dns: string[];
  dnsSearch: string[];
  dnsOptions: string[];
  /** A user-defined network's resolver (its gateway), which knows the containers by name. */
  networkResolver: string | null;
  host: { hosts: string; resolvConf: string };
}

const LOCALHOST = ["127.0.0.1\tlocalhost", "::1\tlocalhost ip6-localhost ip6-loopback", "fe00::0\tip6-localnet", "ff00::0\tip6-mcastprefix", "ff02::1\tip6-allnodes", "ff02::2\tip6-allrouters"];

export function hostsFile(o: EtcInput): string {
  if (o.mode === "host") return o.host.hosts + o.addHosts.map((h) => `${h.ip}\t${h.host}\n`).join("");
  const lines = [...LOCALHOST];
  for (const h of o.addHosts) lines.push(`${h.ip}\t${h.host}`);
  const names = [...new Set([o.hostname, ...o.names])].join(" ");
  for (const a of o.addresses) lines.push(`${a}\t${names}`);
  return `${lines.join("\n")}\n`;
}

/** The host's resolvers without loopback ones (unreachable from a container's namespace). */
function hostNameservers(resolvConf: string): string[] {
  return resolvConf.split("\n").flatMap((l) => {
    const m = /^\s*nameserver\s+(\S+)/.exec(l);
    return m && !/^(127\.|::1$)/.test(m[1]!) ? [m[1]!] : [];
  });
}

function hostDirective(resolvConf: string, key: string): string[] {
  return resolvConf.split("\n").flatMap((l) => {
    const m = new RegExp(`^\\s*${key}\\s+(.*)$`).exec(l);
    return m ? m[1]!.trim().split(/\s+/) : [];
  });
}

export function resolvConf(o: EtcInput): string {
  if (o.mode === "host" && !o.dns.length && !o.dnsSearch.length && !o.dnsOptions.length) return o.host.resolvConf;
  const servers = o.dns.length ? o.dns : o.networkResolver ? [o.networkResolver] : hostNameservers(o.host.resolvConf);
  const search = o.dnsSearch.length ? o.dnsSearch : hostDirective(o.host.resolvConf, "search");
  const options = o.dnsOptions.length ? o.dnsOptions : hostDirective(o.host.resolvConf, "options");
  return [
    ...servers.map((s) => `nameserver ${s}`),
    ...(search.length ? [`search ${search.join(" ")}`] : []),
    ...(options.length ? [`options ${options.join(" ")}`] : []),
    "",
  ].join("\n");
}

/** The three files for a container at its start, from its options and (bridge mode) its record. */
export function etcFiles(o: { hostname: string; name: string | null; net: NetOptions }, record: NetRecord | null, resolver: string | null): { hosts: string; resolvConf: string; hostname: string } {
  const input = {
    hostname: o.hostname,
    mode: o.net.mode,
    addresses: record?.endpoints.map((e) => e.ip) ?? [],
    names: [...(o.name ? [o.name] : []), ...(record?.endpoints[0]?.aliases ?? [])],
    addHosts: o.net.addHosts,
    dns: o.net.dns,
    dnsSearch: o.net.dnsSearch,
    dnsOptions: o.net.dnsOptions,
    networkResolver: resolver,
    host: { hosts: readTextFile("/etc/hosts") ?? "", resolvConf: readTextFile("/etc/resolv.conf") ?? "" },
  };
  return { hosts: hostsFile(input), resolvConf: resolvConf(input), hostname: `${o.hostname}\n` };
}

