// Runs the compiled ctr binary (dist/ctr, built by `just test`) as a user would.
import * as fs from "node:fs";
import * as path from "node:path";

export const CTR = process.env.CTR_BIN ?? path.resolve(import.meta.dir, "../../dist/ctr");
export const isRoot = process.getuid?.() === 0;
export const haveBinary = fs.existsSync(CTR);

export interface Result { code: number; stdout: string; stderr: string }

export async function ctr(args: string[], opts: { stdin?: string; env?: Record<string, string> } = {}): Promise<Result> {
  const proc = Bun.spawn([CTR, ...args], {
    stdin: opts.stdin === undefined ? "ignore" : new Blob([opts.stdin]),
    stdout: "pipe",
    stderr: "pipe",
    env: { ...process.env, ...opts.env },
  });
  const [stdout, stderr] = await Promise.all([new Response(proc.stdout).text(), new Response(proc.stderr).text()]);
  const code = await proc.exited;
  return { code, stdout, stderr };
}

/**
 * Host pids running exactly `sleep <marker>`: how tests find a container's process. Markers are
 * unique durations (busybox picks the applet by argv[0], so `exec -a` cannot be used); ctr's own
 * command line may contain the same words, but never as argv[0] = "sleep".
 */
export function pidsWithMarker(marker: string): number[] {
  const pids: number[] = [];
  for (const d of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${d}/cmdline`, "utf8").split("\0");
      if (argv[0] === "sleep" && argv[1] === marker) pids.push(Number(d));
    } catch {
      /* exited */
    }
  }
  return pids.filter((p) => p !== process.pid);
}

/** The monitors (`ctr monitor <id>`) whose parent is pid. */
export function monitorsOf(pid: number): number[] {
  return fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d)).map(Number).filter((p) => {
    try {
      const argv = fs.readFileSync(`/proc/${p}/cmdline`, "utf8").split("\0");
      const ppid = Number(fs.readFileSync(`/proc/${p}/stat`, "utf8").split(") ")[1]!.split(" ")[1]);
      return argv[0] === "ctr" && argv[1] === "monitor" && ppid === pid;
    } catch {
      return false;
    }
  });
}

export async function waitFor(cond: () => boolean, ms = 20000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (cond()) return true;
    await Bun.sleep(20);
  }
  return cond();
}

/** waitFor with an asynchronous condition (a ctr command's output). */
export async function eventually(cond: () => Promise<boolean>, ms = 20000): Promise<boolean> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await cond()) return true;
    await Bun.sleep(50);
  }
  return cond();
}

let markers = 0;
/** A sleep duration no other process on the machine is using: about 300 s, unique per call. */
export function uniqueMarker(): string {
  return `${300 + (process.pid % 1000)}.${++markers}`;
}

/**
 * Every cgroup mount point of the host, read from mountinfo here (not with ctr's own detection, which
 * is under test): v1 hierarchies and the v2 unified mount alike.
 */
export function cgroupMounts(): string[] {
  return fs
    .readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((l) => / - cgroup2? /.test(l))
    .map((l) => l.split(" ")[4]!);
}

/**
 * A cgroup parent of the test file's own, so tests never touch ctr's default /ctr, and the
 * directories under it (the parent itself and any container cgroups) in every hierarchy.
 */
export function testCgroupParent(name: string): { parent: string; leftovers: () => string[] } {
  const parent = `/ctr-test-${name}-${process.pid}`;
  const leftovers = () =>
    cgroupMounts().flatMap((m) =>
      fs.existsSync(`${m}${parent}`) ? [`${m}${parent}`, ...fs.readdirSync(`${m}${parent}`).filter((n) => /^[0-9a-f]{64}$/.test(n))] : [],
    );
  return { parent, leftovers };
}
