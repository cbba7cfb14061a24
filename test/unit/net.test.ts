// Networking's pure parts: address math, -p parsing, netlink messages, nftables rules, DNS
// messages, /etc files, the subnet pool.
import { describe, expect, test } from "bun:test";
import { bigToIp, contains, ipToBig, overlaps, parseCidr } from "../../src/net/ip";
import { parseExposed, parsePublish } from "../../src/net/options";
import { addrAdd, parseReplies, vethAdd } from "../../src/net/netlink";
import { networkRules, portRules, deletesFor } from "../../src/net/rules";
import { answer, parseQuery, TYPE } from "../../src/net/dns";
import { hostsFile, resolvConf } from "../../src/net/etc-files";
import { hostRoutes, pickSubnet } from "../../src/net/store";

describe("addresses", () => {
  test("CIDRs are normalised; containment and overlap", () => {
    expect(parseCidr("10.1.2.3/16", "x")).toEqual({ family: 4, address: "10.1.0.0", prefix: 16 });
    expect(parseCidr("fd00:1::5/64", "x")).toEqual({ family: 6, address: "fd00:1::", prefix: 64 });
    expect(() => parseCidr("10.1.2/16", "--subnet")).toThrow("--subnet: invalid CIDR");
    expect(contains(parseCidr("10.1.0.0/16", "x"), "10.1.255.7")).toBe(true);
    expect(overlaps(parseCidr("10.0.0.0/8", "x"), parseCidr("10.3.0.0/16", "x"))).toBe(true);
    expect(bigToIp(ipToBig("2001:db8::1"), 6)).toBe("2001:db8::1");
  });
  test("a pool subnet that overlaps no host route", () => {
    const routes = hostRoutes("Iface\tDestination\tGateway\tFlags\tRefCnt\tUse\tMetric\tMask\nctr0\t000011AC\t00000000\t0001\t0\t0\t0\t0000FFFF\n");
    expect(routes).toEqual([{ family: 4, address: "172.17.0.0", prefix: 16 }]);
    expect(pickSubnet(routes)).toEqual({ family: 4, address: "172.18.0.0", prefix: 16 });
  });
});

describe("-p and ExposedPorts", () => {
  test("Docker's forms", () => {
    expect(parsePublish("8080:80")).toEqual([{ protocol: "tcp", hostIp: null, hostPort: 8080, containerPort: 80 }]);
    expect(parsePublish("127.0.0.1:53:53/udp")).toEqual([{ protocol: "udp", hostIp: "127.0.0.1", hostPort: 53, containerPort: 53 }]);
    expect(parsePublish("80")).toEqual([{ protocol: "tcp", hostIp: null, hostPort: 0, containerPort: 80 }]);
    expect(parsePublish("9000-9001:90-91").map((p) => [p.hostPort, p.containerPort])).toEqual([[9000, 90], [9001, 91]]);
    expect(parsePublish("[::1]:8080:80")[0]!.hostIp).toBe("::1");
    expect(() => parsePublish("8080:80/icmp")).toThrow("invalid protocol");
    expect(() => parsePublish("9000-9002:90-91")).toThrow("ranges differ");
    expect(parseExposed(["80/tcp", "53/udp"])).toEqual([{ protocol: "tcp", port: 80 }, { protocol: "udp", port: 53 }]);
  });
});

describe("netlink messages", () => {
  test("a veth whose peer is born in another namespace: the pid's offset is known", () => {
    const r = vethAdd({ host: "vethab", peer: "eth0", peerMac: "02:42:ac:11:00:02", master: 5, up: false });
    const v = new DataView(r.bytes.buffer);
    expect(v.getUint32(0, true)).toBe(r.bytes.length);
    expect(v.getUint16(4, true)).toBe(16); // RTM_NEWLINK
    expect(r.pidOffset).not.toBeNull();
    expect(new TextDecoder().decode(r.bytes)).toContain("veth");
    expect(r.what).toBe("RTM_NEWLINK veth vethab (peer eth0 in the container)");
  });
  test("an address message points at the link index to patch", () => {
    const r = addrAdd(0, { family: 4, address: "10.0.0.2", prefix: 24 }, "eth0");
    expect(r.indexOffset).toBe(20);
    expect([...r.bytes.slice(r.bytes.length - 4)]).toEqual([10, 0, 0, 2]);
  });
  test("an ack's errno is read back", () => {
    const b = new Uint8Array(36);
    const v = new DataView(b.buffer);
    v.setUint32(0, 36, true);
    v.setUint16(4, 2, true); // NLMSG_ERROR
    v.setInt32(16, -17, true);
    expect(parseReplies(b).errno).toBe(17);
  });
});

describe("nftables rules", () => {
  const net = { name: "front", id: "x", driver: "bridge" as const, bridge: "ctr-1", subnets: [{ subnet: "10.5.0.0/24", gateway: "10.5.0.1", ipRange: null }], internal: false, labels: {}, created: "", dns: true };
  test("a network: masquerade out, isolation by the bridges set; --internal drops the way out", () => {
    const text = JSON.stringify(networkRules(net, "t"));
    expect(text).toContain('"masquerade":null');
    expect(text).toContain('"@bridges"');
    const count = (rules: unknown[], what: string) => rules.filter((r) => JSON.stringify(r).includes(what)).length;
    const open = networkRules(net, "t");
    const sealed = networkRules({ ...net, internal: true }, "t");
    // No outbound masquerade (only the two for published ports), two more drops.
    expect([count(open, "masquerade"), count(sealed, "masquerade")]).toEqual([3, 2]);
    expect([count(open, '"drop"'), count(sealed, '"drop"')]).toEqual([1, 3]);
  });
  test("ports: DNAT in prerouting and output, tagged with the container; deletes found by tag", () => {
    const rules = portRules("abc", "10.5.0.2", [{ protocol: "tcp", hostIp: null, hostPort: 8080, containerPort: 80 }], "t");
    expect(rules.length).toBe(2);
    expect(JSON.stringify(rules)).toContain('"dnat":{"family":"ip","addr":"10.5.0.2","port":80}');
    const listing = { nftables: [{ rule: { table: "t", chain: "prerouting", handle: 7, comment: "ctr:abc" } }, { rule: { table: "t", chain: "output", handle: 8, comment: "ctr:other" } }] };
    expect(deletesFor(listing, (c) => c === "ctr:abc")).toEqual([{ delete: { rule: { family: "inet", table: "t", chain: "prerouting", handle: 7 } } }]);
  });
});

describe("DNS messages", () => {
  const query = (name: string, type: number) => {
    const labels = name.split(".").flatMap((l) => [l.length, ...new TextEncoder().encode(l)]);
    return Uint8Array.from([0x12, 0x34, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, ...labels, 0, 0, type, 0, 1]);
  };
  test("a question is read; an answer carries the addresses; unknown names are NXDOMAIN", () => {
    const q = parseQuery(query("web.Example", TYPE.A))!;
    expect(q).toMatchObject({ id: 0x1234, name: "web.example", type: 1, rd: true });
    const a = answer(query("web", TYPE.A), parseQuery(query("web", TYPE.A))!, ["10.5.0.2"]);
    expect(new DataView(a.buffer).getUint16(6)).toBe(1);
    expect([...a.slice(a.length - 4)]).toEqual([10, 5, 0, 2]);
    const nx = answer(query("nope", TYPE.A), parseQuery(query("nope", TYPE.A))!, null);
    expect(new DataView(nx.buffer).getUint16(2) & 0xf).toBe(3);
  });
});

describe("/etc files", () => {
  const base = { hostname: "h1", mode: "bridge", addresses: ["10.5.0.2"], names: ["web", "www"], addHosts: [{ host: "db", ip: "10.9.9.9" }], dns: [], dnsSearch: [], dnsOptions: [], networkResolver: null, host: { hosts: "", resolvConf: "nameserver 127.0.0.53\nnameserver 192.0.2.53\nsearch corp.test\n" } };
  test("hosts: localhost, extra hosts, the container's names", () => {
    expect(hostsFile(base)).toContain("10.5.0.2\th1 web www\n");
    expect(hostsFile(base)).toContain("10.9.9.9\tdb\n");
  });
  test("resolv.conf: the host's resolvers without loopback ones; a user network's own; --dns wins", () => {
    expect(resolvConf(base)).toBe("nameserver 192.0.2.53\nsearch corp.test\n");
    expect(resolvConf({ ...base, networkResolver: "10.5.0.1" })).toContain("nameserver 10.5.0.1\n");
    expect(resolvConf({ ...base, dns: ["10.1.1.1"], dnsSearch: ["x.test"] })).toBe("nameserver 10.1.1.1\nsearch x.test\n");
  });
});
