// Networking against the real kernel: bridges, veths, IPAM, NAT, published ports, isolation, DNS
// by name, reload, and cleanup after kills. Traffic goes only to loopback, to the test's own
// containers, and to a network namespace of the test's own playing the remote host.
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { CTR, eventually, haveBinary, isRoot, waitFor } from "../helpers/cli";
import { BUSYBOX } from "../helpers/rootfs";
import { importBusybox, testRoot } from "../helpers/containers";
import { makeRemote, remotePeerServer, type Remote } from "../helpers/remote";

const haveIp = Bun.spawnSync(["ip", "-V"]).exitCode === 0;
const enabled = isRoot && haveBinary && BUSYBOX !== undefined && haveIp;
const t = testRoot("net");
const { c, run } = t;
let remote: Remote;
let www = "";
let peerServer: ReturnType<typeof Bun.spawn> | null = null;
const TABLE = process.env.CTR_NFT_TABLE!;
/** In the cgroup v2 VM under qemu's software emulation, a container start takes seconds. */
const SLOW = process.env.CGV2_VM === "1";

/** A container serving `text` over HTTP on port 80 (busybox httpd). */
const httpd = (flags: string[], text: string) => run(["-d", ...flags, "busybox", "sh", "-c", `echo ${text} > /tmp/index.html; exec httpd -f -p 80 -h /tmp`]);
/** An HTTP GET from the host (busybox wget, with a shell timeout; its own -T crashes). */
const hostGet = (url: string) => Bun.spawnSync(["timeout", "3", BUSYBOX!, "wget", "-qO-", url]).stdout.toString();
const inspect = async (ref: string, f: string) => (await c(["inspect", "-f", f, ref])).stdout.trim();
const links = () => fs.readdirSync("/sys/class/net");
const rules = () => (Bun.spawnSync(["nft", "list", "table", "inet", TABLE], { stderr: "ignore" }).stdout.toString().match(/comment "ctr:[0-9a-f]+"/g) ?? []);

describe.skipIf(!enabled)("networks (root, real kernel)", () => {
  beforeAll(async () => {
    await importBusybox(t);
    remote = makeRemote();
    www = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-test-www-"));
    peerServer = remotePeerServer(remote, www, 8000);
    await Bun.sleep(200);
  });
  afterAll(async () => {
    peerServer?.kill("SIGKILL");
    await t.cleanup();
    remote.remove();
    fs.rmSync(www, { recursive: true, force: true });
    // No veth of a container, no rule of a container, no lease, no process left.
    expect(await waitFor(() => links().filter((l) => l.startsWith("veth")).every((l) => !fs.existsSync(`/sys/class/net/${l}/master`) || !fs.readlinkSync(`/sys/class/net/${l}/master`).includes("ctrt")), 5000)).toBe(true);
    expect(rules()).toEqual([]);
    expect(await waitFor(() => t.leftovers().length === 0, 10000)).toBe(true);
  });

  test("the default bridge: an address from the pool, a default route, reach by IP, no names", async () => {
    // A name no short id (hex) or address can contain, so a grep of /etc/hosts finds only it.
    const a = (await httpd(["--name", "nx1"], "from-nx1")).stdout.trim();
    const ip = await inspect(a, "{{.NetworkSettings.IPAddress}}");
    expect(ip).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
    const gw = await inspect(a, "{{.NetworkSettings.Gateway}}");
    // The pool avoids every subnet routed on the host.
    const routes = fs.readFileSync("/proc/net/route", "utf8");
    expect(routes).toContain(t.bridge);
    const r = await run(["--rm", "busybox", "sh", "-c", `ip route; wget -qO- http://${ip}/index.html`]);
    expect(r.stdout).toContain(`default via ${gw} dev eth0`);
    expect(r.stdout).toContain("from-nx1");
    // No resolver of ctr's on the default bridge (Docker's rule): nx1 is not a name there. The
    // --dns points at the remote, which runs none: nothing leaves the test's own namespaces.
    const names = await run(["--rm", "--dns", remote.ip, "busybox", "sh", "-c", "grep -c nx1 /etc/hosts; nslookup nx1 2>&1; true"]);
    expect(names.stdout.split("\n")[0]).toBe("0");
    expect(names.stdout).not.toContain(ip);
    await c(["rm", "-f", a]);
  });

  test("a user network: names and aliases resolve to current addresses; --ip; isolation from other networks", async () => {
    expect((await c(["network", "create", "--subnet", "10.231.0.0/24", "front"])).code).toBe(0);
    expect((await c(["network", "create", "back"])).code).toBe(0);
    const ls = await c(["network", "ls", "--format", "{{.Name}} {{.Driver}}"]);
    expect(ls.stdout.split("\n")).toEqual(expect.arrayContaining(["front bridge", "back bridge", "bridge bridge", "host host", "none null"]));
    await httpd(["--name", "web", "--network", "front", "--network-alias", "www", "--ip", "10.231.0.50"], "hello-web");
    const r = await run(["--rm", "--network", "front", "busybox", "sh", "-c", "cat /etc/resolv.conf; wget -qO- http://web/index.html; wget -qO- http://www/index.html; nslookup web"]);
    expect(r.stdout).toContain("nameserver 10.231.0.1");
    expect(r.stdout).toContain("hello-web\nhello-web\n");
    expect(r.stdout).toContain("10.231.0.50");
    // Another network cannot reach it, by name or by address.
    const iso = await run(["--rm", "--network", "back", "busybox", "sh", "-c", "timeout 2 wget -qO- http://10.231.0.50/index.html; echo rc=$?"]);
    expect(iso.stdout).not.toContain("hello-web");
    const doc = JSON.parse((await c(["network", "inspect", "front"])).stdout)[0];
    expect(doc.IPAM.Config[0]).toMatchObject({ Subnet: "10.231.0.0/24", Gateway: "10.231.0.1" });
    expect(Object.values(doc.Containers).map((x) => (x as { IPv4Address: string }).IPv4Address)).toEqual(["10.231.0.50/24"]);
    const busy = await c(["network", "rm", "front"]);
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain("active endpoints");
    await c(["rm", "-f", "web"]);
    // The name now resolves to nothing; the resolver is gone once no container needs it.
    expect(await eventually(async () => !fs.existsSync(`${t.root}/dns/pid`), 5000)).toBe(true);
    expect((await c(["network", "rm", "front", "back"])).code).toBe(0);
    expect(links().filter((l) => l.startsWith("ctr-"))).toEqual([]);
  });

  test("--ipv6: a dual-stack network, an IPv6 address and route, AAAA by name", async () => {
    expect((await c(["network", "create", "--ipv6", "--subnet", "10.233.0.0/24", "--subnet", "fd42:c7::/64", "dual"])).code).toBe(0);
    const id = (await httpd(["--name", "v6web", "--network", "dual"], "over-v6")).stdout.trim();
    const ip6 = await inspect(id, "{{.NetworkSettings.GlobalIPv6Address}}");
    expect(ip6).toMatch(/^fd42:c7::/);
    const r = await run(["--rm", "--network", "dual", "busybox", "sh", "-c", `ip -6 route; wget -qO- http://[${ip6}]/index.html; nslookup -type=AAAA v6web`]);
    expect(r.stdout).toContain("default via fd42:c7::1 dev eth0");
    expect(r.stdout).toContain("over-v6");
    expect(r.stdout).toContain(ip6);
    await c(["rm", "-f", id]);
    expect((await c(["network", "rm", "dual"])).code).toBe(0);
  });

  test("outbound NAT: the remote host sees the host's address; --internal has no way out", async () => {
    const r = await run(["--rm", "busybox", "wget", "-qO-", `http://${remote.ip}:8000/cgi-bin/peer`]);
    expect(r.stdout.trim()).toBe(remote.hostIp);
    expect((await c(["network", "create", "--internal", "sealed"])).code).toBe(0);
    const sealed = await run(["--rm", "--network", "sealed", "busybox", "sh", "-c", `timeout 2 wget -qO- http://${remote.ip}:8000/cgi-bin/peer; echo rc=$?`]);
    expect(sealed.stdout).not.toContain(remote.hostIp);
    expect(sealed.stdout).toContain("rc=");
    expect((await c(["network", "rm", "sealed"])).code).toBe(0);
  });

  test("-p: from the remote host, the host's own address, 127.0.0.1, and another container (hairpin); ctr port", async () => {
    const id = (await httpd(["--name", "pub", "-p", "18080:80"], "published")).stdout.trim();
    expect((await c(["port", "pub"])).stdout).toBe("80/tcp -> 0.0.0.0:18080\n");
    expect((await c(["ps", "--format", "{{.Ports}}", "--filter", "name=pub"])).stdout).toBe("0.0.0.0:18080->80/tcp\n");
    await Bun.sleep(200);
    expect(remote.exec([BUSYBOX!, "wget", "-qO-", `http://${remote.hostIp}:18080/index.html`]).stdout).toBe("published\n");
    expect(hostGet(`http://${remote.hostIp}:18080/index.html`)).toBe("published\n");
    expect(hostGet("http://127.0.0.1:18080/index.html")).toBe("published\n");
    const hairpin = await run(["--rm", "busybox", "wget", "-qO-", `http://${remote.hostIp}:18080/index.html`]);
    expect(hairpin.stdout).toBe("published\n");
    // A port in use is refused before the container starts.
    const again = await run(["-d", "-p", "18080:80", "busybox", "true"]);
    expect(again.code).toBe(125);
    expect(again.stderr).toContain("18080");
    const listener = Bun.listen({ hostname: "0.0.0.0", port: 0, socket: { data() {} } });
    const taken = await run(["--rm", "-p", `${listener.port}:80`, "busybox", "true"]);
    listener.stop(true);
    expect(taken.code).toBe(125);
    expect(taken.stderr).toContain("already in use");
    await c(["rm", "-f", id]);
    expect(hostGet("http://127.0.0.1:18080/index.html")).toBe("");
  });

  test("-P publishes the image's exposed ports to free host ports", async () => {
    const base = (await run(["busybox", "true"])).code;
    expect(base).toBe(0);
    const last = (await c(["ps", "-lq"])).stdout.trim();
    expect((await c(["commit", "-c", "EXPOSE 80", last, "exposed:1"])).code).toBe(0);
    await c(["rm", last]);
    const id = (await run(["-d", "-P", "exposed:1", "sh", "-c", "echo auto > /tmp/index.html; exec httpd -f -p 80 -h /tmp"])).stdout.trim();
    const line = (await c(["port", id, "80"])).stdout.trim();
    expect(line).toMatch(/^0\.0\.0\.0:\d+$/);
    await Bun.sleep(200);
    expect(hostGet(`http://127.0.0.1:${line.split(":")[1]}/index.html`)).toBe("auto\n");
    await c(["rm", "-f", id]);
    await c(["rmi", "exposed:1"]);
  });

  test("50 concurrent runs get 50 distinct addresses; all come back when the containers go", async () => {
    expect((await c(["network", "create", "--subnet", "10.232.0.0/24", "many"])).code).toBe(0);
    const ids = (await Promise.all(Array.from({ length: 50 }, () => run(["-d", "--network", "many", "busybox", "sleep", "3600"])))).map((r) => {
      expect(r.code).toBe(0);
      return r.stdout.trim();
    });
    const ips = await Promise.all(ids.map((id) => inspect(id, "{{.NetworkSettings.IPAddress}}")));
    expect(new Set(ips).size).toBe(50);
    expect(ips.every((ip) => ip.startsWith("10.232.0."))).toBe(true);
    await c(["rm", "-f", ...ids]);
    expect(fs.readdirSync(`${t.root}/networks/many/leases`)).toEqual([]);
    expect((await c(["network", "rm", "many"])).code).toBe(0);
  }, SLOW ? 1_200_000 : 60_000);

  test("network reload puts back the rules after the table was wiped", async () => {
    const id = (await httpd(["-p", "18081:80"], "reloaded")).stdout.trim();
    await Bun.sleep(200);
    expect(hostGet("http://127.0.0.1:18081/index.html")).toBe("reloaded\n");
    // What `nft flush ruleset` or a firewalld reload does to ctr's table (only ours is touched here).
    Bun.spawnSync(["nft", "delete", "table", "inet", TABLE]);
    expect(hostGet("http://127.0.0.1:18081/index.html")).toBe("");
    const r = await c(["network", "reload"]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(id);
    expect(hostGet("http://127.0.0.1:18081/index.html")).toBe("reloaded\n");
    expect((await run(["--rm", "busybox", "wget", "-qO-", `http://${remote.ip}:8000/cgi-bin/peer`])).stdout.trim()).toBe(remote.hostIp);
    await c(["rm", "-f", id]);
  });

  test("connect and disconnect a running container", async () => {
    expect((await c(["network", "create", "side"])).code).toBe(0);
    const id = (await run(["-d", "busybox", "sleep", "60"])).stdout.trim();
    expect((await c(["network", "connect", "side", id])).code).toBe(0);
    const addrs = (await c(["exec", id, "ip", "-o", "-4", "addr"])).stdout;
    expect(addrs).toMatch(/eth1\s+inet /);
    expect(JSON.parse((await c(["inspect", id])).stdout)[0].NetworkSettings.Networks.side.IPAddress).toMatch(/\d/);
    expect((await c(["network", "disconnect", "side", id])).code).toBe(0);
    expect((await c(["exec", id, "ip", "-o", "-4", "addr"])).stdout).not.toContain("eth1");
    await c(["rm", "-f", id]);
    expect((await c(["network", "rm", "side"])).code).toBe(0);
  });

  test("--network container:, --add-host, --dns-search, --hostname in /etc/hosts", async () => {
    const a = (await httpd(["--name", "shared", "-h", "sharedhost", "--add-host", "db.test:10.9.9.9", "--dns-search", "example.test"], "shared")).stdout.trim();
    const hosts = (await c(["exec", a, "cat", "/etc/hosts", "/etc/resolv.conf"])).stdout;
    expect(hosts).toContain("10.9.9.9\tdb.test");
    expect(hosts).toMatch(/\d+\.\d+\.\d+\.\d+\tsharedhost shared/);
    expect(hosts).toContain("search example.test");
    const b = await run(["--rm", "--network", `container:${a}`, "busybox", "wget", "-qO-", "http://127.0.0.1/index.html"]);
    expect(b.stdout).toBe("shared\n");
    await c(["rm", "-f", a]);
  });

  test("the first bridge container of a host turns IPv4 forwarding on, with a note, once", async () => {
    // In a network namespace of its own (the sysctl is per namespace), with forwarding off.
    const ns = `ctrtest-fwd-${process.pid % 100000}`;
    Bun.spawnSync(["ip", "netns", "add", ns]);
    try {
      Bun.spawnSync(["ip", "-n", ns, "link", "set", "lo", "up"]);
      // A new namespace copies the host's setting; this one starts as a fresh host does.
      Bun.spawnSync(["ip", "netns", "exec", ns, "sysctl", "-qw", "net.ipv4.ip_forward=0"]);
      // nsenter, not `ip netns exec`: only the network namespace changes (the latter remounts /sys).
      const inNs = (args: string[]) => Bun.spawnSync(["nsenter", `--net=/run/netns/${ns}`, CTR, ...args], { env: { ...process.env, ...t.env, CTR_DEFAULT_BRIDGE: "ctrfwd0" }, stderr: "pipe", stdout: "pipe" });
      expect(Bun.spawnSync(["ip", "netns", "exec", ns, "cat", "/proc/sys/net/ipv4/ip_forward"]).stdout.toString()).toBe("0\n");
      const first = inNs(["run", "--rm", "--cgroup-parent", t.parent, "busybox", "true"]);
      expect(first.exitCode).toBe(0);
      expect(first.stderr.toString()).toContain("enabled IPv4 forwarding (net.ipv4.ip_forward=1)");
      const second = inNs(["run", "--rm", "--cgroup-parent", t.parent, "busybox", "true"]);
      expect(second.stderr.toString()).toBe("");
      expect(Bun.spawnSync(["ip", "netns", "exec", ns, "cat", "/proc/sys/net/ipv4/ip_forward"]).stdout.toString()).toBe("1\n");
    } finally {
      // The namespace takes its bridge and the table made inside it along.
      Bun.spawnSync(["ip", "netns", "del", ns]);
    }
  });

  test("SIGKILL of ctr mid-start and of a monitor: no veth, lease or rule stays for a gone container", async () => {
    for (let i = 0; i < 10; i++) {
      const p = Bun.spawn([CTR, "run", "-d", "-p", `${18100 + i}:80`, "--cgroup-parent", t.parent, "busybox", "sleep", "60"], { env: { ...process.env, ...t.env }, stdout: "ignore", stderr: "ignore" });
      await Bun.sleep(i * 3);
      p.kill("SIGKILL");
      await p.exited;
    }
    const id = (await run(["-d", "-p", "18200:80", "busybox", "sleep", "60"])).stdout.trim();
    const mon = Number(fs.readFileSync(`${t.root}/containers/${id}/monitor.pid`, "utf8").split(" ")[0]);
    process.kill(mon, "SIGKILL");
    await Bun.sleep(300);
    // The next command reconciles; then removing everything leaves nothing.
    const all = (await c(["ps", "-aq", "--no-trunc"])).stdout.split("\n").filter(Boolean);
    if (all.length) await c(["rm", "-f", ...all]);
    expect(rules()).toEqual([]);
    expect(fs.readdirSync(`${t.root}/networks/bridge/leases`)).toEqual([]);
    expect(await waitFor(() => links().filter((l) => l.startsWith(`veth${id.slice(0, 7)}`)).length === 0, 5000)).toBe(true);
  });
});
