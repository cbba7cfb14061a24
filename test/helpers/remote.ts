// A "remote host" for network tests: a network namespace of the test's own, joined to the host by
// a veth pair on a /24 of 198.18.0.0/15 (the benchmarking range) that no host route covers. It
// plays the outside world and the upstream of NAT; tests send traffic only to it, to loopback and
// to their own containers.
import { BUSYBOX } from "./rootfs";

export interface Remote {
  ns: string;
  hostIp: string;
  ip: string;
  /** Runs a command inside the remote namespace. */
  exec(args: string[], o?: { timeoutMs?: number }): { code: number; stdout: string; stderr: string };
  spawn(args: string[]): ReturnType<typeof Bun.spawn>;
  remove(): void;
}

const ip = (...args: string[]) => {
  const r = Bun.spawnSync(["ip", ...args], { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`ip ${args.join(" ")}: ${r.stderr.toString()}`);
};

export function makeRemote(): Remote {
  const tag = (process.pid % 100000).toString(36);
  const ns = `ctrtest-remote-${tag}`;
  const subnet = 200 + (process.pid % 50);
  const hostIp = `198.18.${subnet}.1`;
  const remoteIp = `198.18.${subnet}.2`;
  const hostEnd = `rmt${tag}h`;
  ip("netns", "add", ns);
  ip("link", "add", hostEnd, "type", "veth", "peer", "name", "eth0", "netns", ns);
  ip("addr", "add", `${hostIp}/24`, "dev", hostEnd);
  ip("link", "set", hostEnd, "up");
  ip("-n", ns, "addr", "add", `${remoteIp}/24`, "dev", "eth0");
  ip("-n", ns, "link", "set", "eth0", "up");
  ip("-n", ns, "link", "set", "lo", "up");
  return {
    ns,
    hostIp,
    ip: remoteIp,
    exec(args, o = {}) {
      const r = Bun.spawnSync(["ip", "netns", "exec", ns, "timeout", String((o.timeoutMs ?? 5000) / 1000), ...args], { stdout: "pipe", stderr: "pipe" });
      return { code: r.exitCode ?? -1, stdout: r.stdout.toString(), stderr: r.stderr.toString() };
    },
    spawn(args) {
      return Bun.spawn(["ip", "netns", "exec", ns, ...args], { stdout: "pipe", stderr: "pipe" });
    },
    remove() {
      Bun.spawnSync(["ip", "netns", "pids", ns]).stdout.toString().split("\n").filter(Boolean).forEach((p) => {
        try {
          process.kill(Number(p), "SIGKILL");
        } catch {
          /* gone */
        }
      });
      Bun.spawnSync(["ip", "link", "del", hostEnd], { stderr: "ignore" });
      Bun.spawnSync(["ip", "netns", "del", ns], { stderr: "ignore" });
    },
  };
}

/** An HTTP server in the remote namespace whose /cgi-bin/peer answers the client's address. */
export function remotePeerServer(r: Remote, dir: string, port: number): ReturnType<typeof Bun.spawn> {
  const fs = require("node:fs") as typeof import("node:fs");
  fs.mkdirSync(`${dir}/cgi-bin`, { recursive: true });
  fs.writeFileSync(`${dir}/cgi-bin/peer`, '#!/bin/sh\nprintf "Content-type: text/plain\\r\\n\\r\\n%s\\n" "$REMOTE_ADDR"\n', { mode: 0o755 });
  return r.spawn([BUSYBOX!, "httpd", "-f", "-p", `${r.ip}:${port}`, "-h", dir]);
}
