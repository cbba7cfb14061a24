// A state root of a test file's own, a busybox image in it, and the checks every lifecycle test
// file ends with: no container process, monitor, cgroup or mount left on the host.
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { ctr, testCgroupParent, type Result } from "./cli";
import { makeBusyboxRootfs, removeRootfs } from "./rootfs";

export interface TestRoot {
  root: string;
  /** The default network's bridge of this root. */
  bridge: string;
  /** The environment a ctr of this root runs with (for tests that spawn ctr themselves). */
  env: Record<string, string>;
  parent: string;
  /** ctr with this root. */
  c: (args: string[], opts?: { stdin?: string; env?: Record<string, string> }) => Promise<Result>;
  /** `run` with this file's cgroup parent. */
  run: (args: string[], opts?: { stdin?: string; env?: Record<string, string> }) => Promise<Result>;
  leftovers: () => string[];
  /** Monitors (`ctr monitor`) whose container directory is under this root. */
  monitors: () => number[];
  hostMounts: () => string[];
  cleanup: () => Promise<void>;
}

let roots = 0;

export function testRoot(name: string): TestRoot {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), `ctr-test-${name}-`));
  const { parent, leftovers } = testCgroupParent(name);
  // Each root's default network gets a bridge of its own (the device name is host-wide).
  const bridge = `${process.env.CTR_DEFAULT_BRIDGE ?? "ctrt"}${++roots}`.slice(0, 15);
  const c: TestRoot["c"] = (args, opts = {}) => ctr(args, { ...opts, env: { CTR_ROOT: root, CTR_DEFAULT_BRIDGE: bridge, ...opts.env } });
  const ids = () => (fs.existsSync(`${root}/containers`) ? fs.readdirSync(`${root}/containers`) : []);
  const monitors = () => {
    const mine = new Set(ids().map((id) => id.slice(0, 12)));
    return fs.readdirSync("/proc").filter((p) => /^\d+$/.test(p)).map(Number).filter((p) => {
      try {
        const argv = fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
        return argv[0] === "ctr" && argv[1] === "monitor" && mine.has(argv[2]!);
      } catch {
        return false;
      }
    });
  };
  const hostMounts = () => fs.readFileSync("/proc/self/mountinfo", "utf8").split("\n").filter((l) => l.split(" ")[4]?.startsWith(root));
  return {
    root,
    parent,
    bridge,
    env: { CTR_ROOT: root, CTR_DEFAULT_BRIDGE: bridge },
    c,
    run: (args, opts) => c(["run", "--cgroup-parent", parent, ...args], opts),
    leftovers,
    monitors,
    hostMounts,
    async cleanup() {
      // Whatever a failed test left running goes first, through ctr itself.
      const all = await c(["ps", "-aq", "--no-trunc"]);
      const list = all.stdout.split("\n").filter(Boolean);
      if (list.length) await c(["rm", "-f", "-v", ...list]);
      // Every network's bridge of this root goes with it.
      for (const n of fs.existsSync(`${root}/networks`) ? fs.readdirSync(`${root}/networks`) : []) {
        try {
          const bridgeName = JSON.parse(fs.readFileSync(`${root}/networks/${n}/network.json`, "utf8")).bridge as string;
          Bun.spawnSync(["ip", "link", "del", bridgeName], { stderr: "ignore" });
        } catch {
          /* not a network */
        }
      }
      fs.rmSync(root, { recursive: true, force: true });
    },
  };
}

/** A busybox image named `name` in the root: busybox's rootfs as a one-layer image (`ctr import`). */
export async function importBusybox(t: TestRoot, name = "busybox"): Promise<void> {
  const rootfs = makeBusyboxRootfs();
  try {
    const tar = `${rootfs}.tar`;
    const r = Bun.spawnSync(["tar", "-C", rootfs, "-cf", tar, "."]);
    if (r.exitCode !== 0) throw new Error(`tar: ${r.stderr.toString()}`);
    const imported = await t.c(["import", tar, name]);
    fs.rmSync(tar, { force: true });
    if (imported.code !== 0) throw new Error(`import: ${imported.stderr}`);
  } finally {
    removeRootfs(rootfs);
  }
}
