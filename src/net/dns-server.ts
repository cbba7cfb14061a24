// The resolver of user-defined networks: one process for the whole state root (all its networks
// and containers), started on demand by the first container that needs it, gone when none does.
// It answers on UDP port 53 of each user network's gateway: container names, their aliases and
// short ids resolve to their addresses on the asker's network; other names go to the host's
// resolvers (from /etc/resolv.conf; CTR_DNS_UPSTREAM overrides them).
import * as files from "../files";
import { readTextFile } from "../../ffi/files";
import { isAlive, readProcessRef, selfRef } from "../container/state";
import { flock, LOCK_EX, LOCK_NB } from "../../ffi/at";
import { answer, parseQuery, servfail, TYPE } from "./dns";
import { contains, parseCidr } from "./ip";
import { readRecord } from "./record";
import { NetworkStore } from "./store";

const dnsDir = (root: string) => `${root}/dns`;

/** What is used of Bun's unconnected UDP socket. */
interface Udp {
  send(data: Uint8Array, port: number, address: string): boolean;
  close(): void;
}

interface Served {
  /** gateway address → the network's name */
  gateways: Map<string, string>;
}


function served(root: string): string[] {
  return (readTextFile(`${dnsDir(root)}/serving`) ?? "").split("\n").filter(Boolean);
}

/** The gateways of every DNS-enabled network a container is attached to (starting or running). */
function wantedGateways(root: string): Map<string, string> {
  const store = new NetworkStore(root);
  const out = new Map<string, string>();
  const used = new Set<string>();
  // A container holds its network record from its start to its end (released then).
  for (const id of files.readdir(`${root}/containers`)) for (const e of readRecord(`${root}/containers/${id}`)?.endpoints ?? []) used.add(e.network);
  for (const n of store.list()) if (n.dns && used.has(n.name)) for (const s of n.subnets) out.set(s.gateway, n.name);
  return out;
}

/** Starts the resolver if it is not running, or makes it serve a new network; waits until it does. */
export function ensureDnsServer(root: string, gateway: string): void {
  const want = [...new Set([gateway, ...wantedGateways(root).keys()])];
  const running = readProcessRef(`${dnsDir(root)}/pid`);
  const alive = running !== null && isAlive(running);
  if (alive && want.every((g) => served(root).includes(g))) return;
  files.mkdirp(dnsDir(root), 0o700);
  if (alive) process.kill(running!.pid, "SIGHUP");
  else Bun.spawn([process.execPath, "--root", root, "__dns"], { stdio: ["ignore", "ignore", "ignore"], detached: true, env: { ...process.env } }).unref();
  const deadline = Date.now() + 2000;
  while (Date.now() < deadline && !want.every((g) => served(root).includes(g))) Bun.sleepSync(5);
}

/** Name → addresses, for the network `network` (names, aliases, hostnames and short ids). */
function lookup(root: string, network: string, name: string): { v4: string[]; v6: string[] } | null {
  const v4: string[] = [];
  const v6: string[] = [];
  for (const id of files.readdir(`${root}/containers`)) {
    const rec = readRecord(`${root}/containers/${id}`);
    if (!rec) continue;
    for (const e of rec.endpoints) {
      if (e.network !== network) continue;
      const names = [rec.name, rec.hostname, id.slice(0, 12), ...e.aliases].filter((n): n is string => Boolean(n)).map((n) => n.toLowerCase());
      if (!names.includes(name)) continue;
      v4.push(e.ip);
      if (e.ip6) v6.push(e.ip6);
    }
  }
  return v4.length || v6.length ? { v4, v6 } : null;
}

function upstreams(): string[] {
  const env = process.env.CTR_DNS_UPSTREAM;
  if (env !== undefined) return env.split(",").filter(Boolean);
  return (readTextFile("/etc/resolv.conf") ?? "").split("\n").flatMap((l) => /^\s*nameserver\s+(\S+)/.exec(l)?.[1] ?? []);
}

/** The server itself (`ctr __dns`): runs until no container needs it. */
export async function runDnsServer(root: string): Promise<void> {
  const dir = dnsDir(root);
  files.mkdirp(dir, 0o700);
  // One per state root: a second one started in a race leaves.
  const lock = files.openForLock(`${dir}/lock`);
  if (flock(lock, LOCK_EX | LOCK_NB) < 0) return;
  files.writeFile(`${dir}/pid`, selfRef());
  const sockets = new Map<string, Udp>();
  const state: Served = { gateways: new Map() };
  const pending = new Map<string, { reply: (b: Uint8Array) => void; at: number }>();
  const upstream: Udp = await Bun.udpSocket({
    socket: {
      data(_s, buf) {
        const key = new DataView(buf.buffer, buf.byteOffset).getUint16(0).toString();
        const p = pending.get(key);
        if (p) {
          pending.delete(key);
          p.reply(new Uint8Array(buf));
        }
      },
    },
  });

  const handle = (gateway: string, sock: Udp, buf: Uint8Array, port: number, address: string) => {
    const msg = new Uint8Array(buf);
    const q = parseQuery(msg);
    if (!q) return;
    const network = state.gateways.get(gateway)!;
    const net = new NetworkStore(root).get(network);
    // Only the network's own containers ask here; anything else is not ours to answer.
    if (!net?.subnets.some((s) => contains(parseCidr(s.subnet, "subnet"), address))) return;
    const found = q.type === TYPE.A || q.type === TYPE.AAAA ? lookup(root, network, q.name.replace(/\.$/, "")) : null;
    if (found) {
      sock.send(answer(msg, q, q.type === TYPE.A ? found.v4 : found.v6), port, address);
      return;
    }
    const ups = upstreams();
    if (!ups.length) {
      sock.send(servfail(msg, q), port, address);
      return;
    }
    pending.set(String(q.id), { reply: (r) => sock.send(r, port, address), at: Date.now() });
    for (const u of ups) upstream.send(msg, 53, u);
  };

  const rescan = async () => {
    state.gateways = wantedGateways(root);
    for (const [gw, s] of sockets) {
      if (!state.gateways.has(gw)) {
        s.close();
        sockets.delete(gw);
      }
    }
    for (const gw of state.gateways.keys()) {
      if (sockets.has(gw)) continue;
      try {
        const s: Udp = await Bun.udpSocket({
          hostname: gw,
          port: 53,
          socket: { data: (sock, buf, port, address) => handle(gw, sock as unknown as Udp, buf, port, address) },
        });
        sockets.set(gw, s);
      } catch {
        /* the bridge is not up yet: the next scan */
      }
    }
    files.writeFile(`${dir}/serving.tmp`, [...sockets.keys()].map((g) => `${g}\n`).join(""));
    files.rename(`${dir}/serving.tmp`, `${dir}/serving`);
    for (const [k, p] of pending) if (Date.now() - p.at > 5000) pending.delete(k);
  };
  process.on("SIGHUP", () => void rescan());
  await rescan();
  // Gone when no running container is on a network it serves.
  for (;;) {
    await Bun.sleep(1000);
    await rescan();
    if (state.gateways.size === 0) break;
  }
  for (const s of sockets.values()) s.close();
  upstream.close();
  files.unlink(`${dir}/serving`);
  files.unlink(`${dir}/pid`);
  process.exit(0);
}
