// A real registry for tests: Debian's docker-registry (distribution) on 127.0.0.1, optionally
// with htpasswd basic auth, and a bearer-token front (token-proxy.ts) as Docker Hub has one.
// Everything lives in a temp dir; stop() kills the processes and removes it.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import * as net from "node:net";

export const haveRegistry = ["/usr/bin/docker-registry", "/usr/bin/skopeo", "/usr/bin/htpasswd"].every((p) => fs.existsSync(p));

export interface Registry {
  host: string;
  stop(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as net.AddressInfo).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

async function waitHttp(url: string, ms = 15000): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    try {
      const r = await fetch(url);
      await r.arrayBuffer();
      return;
    } catch (e) {
      if (Date.now() > end) throw new Error(`${url} did not come up: ${(e as Error).message}`);
      await Bun.sleep(50);
    }
  }
}

/** The machine's first non-loopback IPv4 address, if it has one. */
export function outsideAddress(): string | null {
  for (const list of Object.values(os.networkInterfaces())) for (const a of list ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  return null;
}

export async function startRegistry(opts: { user?: string; password?: string; address?: string } = {}): Promise<Registry> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "ctr-test-registry-"));
  const port = await freePort();
  const address = opts.address ?? "127.0.0.1";
  let auth = "";
  if (opts.user) {
    const h = Bun.spawnSync(["htpasswd", "-Bbn", opts.user, opts.password ?? ""]);
    fs.writeFileSync(`${dir}/htpasswd`, h.stdout.toString());
    auth = `auth:\n  htpasswd:\n    realm: ctr-test\n    path: ${dir}/htpasswd\n`;
  }
  fs.writeFileSync(
    `${dir}/config.yml`,
    `version: 0.1\nlog:\n  level: error\n  accesslog:\n    disabled: true\nstorage:\n  filesystem:\n    rootdirectory: ${dir}/data\n  delete:\n    enabled: true\nhttp:\n  addr: ${address}:${port}\n${auth}`,
  );
  const proc = Bun.spawn(["docker-registry", "serve", `${dir}/config.yml`], { stdout: "ignore", stderr: Bun.file(`${dir}/log`) });
  await waitHttp(`http://${address}:${port}/v2/`);
  return {
    host: `${address}:${port}`,
    async stop() {
      proc.kill(9);
      await proc.exited;
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A bearer-token front for `backend`: /token checks basic credentials; `corrupt` flips blob bytes. */
export async function startTokenProxy(backend: string, opts: { user: string; password: string; mode?: "ok" | "corrupt" | "flaky" | "slow" | "stall" }): Promise<Registry> {
  const port = await freePort();
  const proc = Bun.spawn(
    [process.execPath, path.join(import.meta.dir, "token-proxy.ts"), String(port), backend, opts.user, opts.password, opts.mode ?? "ok"],
    { stdout: "ignore", stderr: "inherit" },
  );
  await waitHttp(`http://127.0.0.1:${port}/healthz`);
  return {
    host: `127.0.0.1:${port}`,
    async stop() {
      proc.kill(9);
      await proc.exited;
    },
  };
}

/** skopeo copy of an OCI layout into a registry (plain HTTP). */
export function pushLayout(layout: string, ref: string, opts: { all?: boolean; creds?: string; tag?: string; docker?: boolean } = {}): void {
  const args = ["skopeo", "copy", "--quiet", "--dest-tls-verify=false", ...(opts.all ? ["--all"] : []), ...(opts.docker ? ["--format", "v2s2"] : []), ...(opts.creds ? ["--dest-creds", opts.creds] : []), `oci:${layout}${opts.tag ? `:${opts.tag}` : ""}`, `docker://${ref}`];
  const r = Bun.spawnSync(args, { stderr: "pipe" });
  if (r.exitCode !== 0) throw new Error(`${args.join(" ")}: ${r.stderr.toString()}`);
}
