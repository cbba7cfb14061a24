// `ctr top CONTAINER [ps OPTIONS]` and `ctr stats [--no-stream] [--format] [CONTAINER...]`.
import { ExitError, UsageError } from "../errors";
import { out } from "../output";
import { printRows } from "../cli/template";
import { containerPids, sample, statsRow, type Sample } from "../container/stats";
import type { ContainerInfo } from "../container/store";
import { isTerminal } from "../terminal";
import { containerContext, defineCommand, infoOf } from "./containers";

/** ps's output, only the rows of these pids (found by the PID column of its header). */
export function filterPs(text: string, pids: Set<number>): string {
  const [header, ...rows] = text.split("\n").filter(Boolean);
  const col = header?.trim().split(/\s+/).indexOf("PID") ?? -1;
  if (header === undefined || col < 0) throw new ExitError('top: ps printed no PID column (its options must keep "pid")', 125);
  return [header, ...rows.filter((r) => pids.has(Number(r.trim().split(/\s+/)[col])))].map((l) => `${l}\n`).join("");
}

export const topCommand = {
  ...defineCommand("top", "Show a container's processes (ps run on the host; default options -ef)", "top CONTAINER [ps OPTIONS]", {}, { min: 1 }, async () => 0),
  run: async ({ rawArgs }: { rawArgs: string[] }) => {
    // Everything after the container is ps's, flags included.
    const rootAt = rawArgs.findIndex((a) => a === "--root" || a.startsWith("--root="));
    const root = rootAt >= 0 ? (rawArgs[rootAt]!.includes("=") ? rawArgs[rootAt]!.slice(7) : rawArgs[rootAt + 1]) : undefined;
    const args = rootAt >= 0 ? [...rawArgs.slice(0, rootAt), ...rawArgs.slice(rootAt + (rawArgs[rootAt]!.includes("=") ? 1 : 2))] : rawArgs;
    const [ref, ...psArgs] = args;
    if (!ref) throw new UsageError("top: missing arguments\nUsage: ctr top CONTAINER [ps OPTIONS]");
    const { store } = containerContext({ strings: root ? { root: [root] } : {} });
    const info = infoOf(store, ref);
    if (info.status !== "running" && info.status !== "paused") throw new ExitError(`container ${ref} is not running`, 1);
    const ps = Bun.spawnSync(["ps", ...(psArgs.length ? psArgs : ["-ef"])], { stdout: "pipe", stderr: "pipe" });
    if (ps.exitCode !== 0) throw new ExitError(`top: ps ${psArgs.join(" ")}: ${ps.stderr.toString().trim() || `exit status ${ps.exitCode}`}`, 125);
    out(filterPs(ps.stdout.toString(), new Set(containerPids(info))));
    return 0;
  },
};

const STATS_TABLE = "table {{.ID}}\t{{.Name}}\t{{.CPUPerc}}\t{{.MemUsage}}\t{{.MemPerc}}\t{{.NetIO}}\t{{.BlockIO}}\t{{.PIDs}}";

export const statsCommand = defineCommand(
  "stats",
  "Live resource use of containers: CPU %, memory, network and block I/O, pids",
  "stats [OPTIONS] [CONTAINER...]",
  {
    all: { type: "boolean", alias: "a", description: "All containers (default: running ones)" },
    "no-stream": { type: "boolean", description: "Print one sample and exit" },
    "no-trunc": { type: "boolean", description: "Do not truncate ids" },
    format: { type: "string", description: "table, json, or a Go template ({{.Name}} {{.CPUPerc}} ...)", valueHint: "FORMAT" },
  },
  { min: 0 },
  async (cl) => {
    const { store } = containerContext(cl);
    const pick = (): ContainerInfo[] =>
      cl.rest.length ? cl.rest.map((r) => infoOf(store, r)) : store.list().filter((c) => cl.booleans.all || c.status === "running" || c.status === "paused");
    const live = !cl.booleans["no-stream"];
    const terminal = isTerminal(1);
    let last = new Map<string, Sample>();
    for (let round = 0; ; round++) {
      const list = pick();
      if (round === 0) {
        for (const c of list) last.set(c.id, sample(c));
        // CPU % needs two samples: the first row comes after a short interval, as Docker's.
        await Bun.sleep(500);
      }
      const now = new Map<string, Sample>();
      const rows = list.map((c) => {
        const b = sample(c);
        now.set(c.id, b);
        const row = statsRow(c, last.get(c.id) ?? b, b);
        return cl.booleans["no-trunc"] ? { ...row, ID: c.id, Container: c.id } : row;
      });
      last = now;
      // A live view redraws the screen; into a pipe, each sample follows the last.
      if (live && terminal) out("\x1b[2J\x1b[H");
      printRows(rows, cl.strings.format?.[0], STATS_TABLE);
      if (!live) return 0;
      await Bun.sleep(1000);
    }
  },
);
