// Starting the native monitor and talking to it. ctr writes the Program into a memfd (fd 4 of the
// monitor), runs the sealed stage binary (fd 5) as `ctr monitor <id>` with a socket on fd 3, and
// reads one line per event from it (the format is at the top of ffi/stage/monitor.c).
import type { Subprocess } from "bun";
import { readFd, waitReadable, writeFd } from "../../ffi/files";
import { errnoName } from "../../ffi/errno";
import type { Sys } from "../sys/sys";
import { dataMemfd, sealedStage } from "./binary";
import { encodeProgram } from "./encode";
import type { Program } from "./ops";

export type MonitorEvent =
  | { type: "started"; monitorPid: number; containerPid: number; t0: number }
  | { type: "error"; list: number; index: number; errno: number; exitCode: number; detail: number }
  | { type: "done"; list: number; index: number; ns: number }
  | { type: "ready" }
  | { type: "running" }
  | { type: "exited"; exitCode: number; signal: number; oomKills: number }
  | { type: "teardown-error"; index: number; errno: number };

/** One line from the monitor; null for a line this version does not know. */
export function parseEvent(line: string): MonitorEvent | null {
  const [word, ...rest] = line.trim().split(" ");
  const n = rest.map(Number);
  if (n.some((x) => !Number.isFinite(x))) return null;
  switch (word) {
    case "started":
      return n.length === 3 ? { type: "started", monitorPid: n[0]!, containerPid: n[1]!, t0: n[2]! } : null;
    case "error":
      return n.length === 5 ? { type: "error", list: n[0]!, index: n[1]!, errno: n[2]!, exitCode: n[3]!, detail: n[4]! } : null;
    case "done":
      return n.length === 3 ? { type: "done", list: n[0]!, index: n[1]!, ns: n[2]! } : null;
    case "ready":
      return { type: "ready" };
    case "running":
      return { type: "running" };
    case "exited":
      return n.length === 3 ? { type: "exited", exitCode: n[0]!, signal: n[1]!, oomKills: n[2]! } : null;
    case "teardown-error":
      return n.length === 2 ? { type: "teardown-error", index: n[0]!, errno: n[1]! } : null;
    default:
      return null;
  }
}

/** ctr's end of fd 3: blocking reads during a start (short, strictly ordered), lines out. */
export class MonitorChannel {
  private pending = "";
  private closed = false;
  constructor(readonly fd: number) {}

  send(line: string): void {
    if (this.closed) return;
    const rc = writeFd(this.fd, Buffer.from(`${line}\n`));
    if (rc < 0) this.closed = true; // the monitor is gone; its exit says why
  }

  /** The next event; null at end of file. `wait` false: null also when nothing is there yet. */
  next(wait = true): MonitorEvent | null {
    const buf = Buffer.allocUnsafe(4096);
    for (;;) {
      const nl = this.pending.indexOf("\n");
      if (nl >= 0) {
        const line = this.pending.slice(0, nl);
        this.pending = this.pending.slice(nl + 1);
        const e = parseEvent(line);
        if (e) return e;
        continue;
      }
      if (this.closed) return null;
      // Bun's socket is non-blocking: wait with poll() instead of changing its flags.
      const n = readFd(this.fd, buf);
      if (n === -11 /* EAGAIN */) {
        if (!wait) return null;
        waitReadable(this.fd);
        continue;
      }
      if (n === -4) continue; // EINTR
      if (n === 0 || n === -104 /* ECONNRESET */) {
        this.closed = true;
        continue;
      }
      if (n < 0) throw new Error(`monitor: read from fd ${this.fd}: ${errnoName(-n)}`);
      this.pending += buf.toString("utf8", 0, n);
    }
  }
}

export interface MonitorProcess {
  proc: Subprocess<"inherit" | "ignore", "inherit" | "ignore", "inherit" | "ignore">;
  channel: MonitorChannel;
}

export type Stdio = "inherit" | "ignore";

/** The first of `extraFds` in the monitor (a pidfd for exec and network connect). */
export const MONITOR_EXTRA_FD = 6;

/**
 * Spawns the monitor for a program. `extraFds` go to fd 6, 7, ... of the monitor (a pidfd for
 * exec); the ops name them by those numbers. The monitor starts with an empty environment.
 */
export async function spawnMonitor(sys: Sys, program: Program, o: { id: string; stdio: [Stdio, Stdio, Stdio]; extraFds?: number[] }): Promise<MonitorProcess> {
  const stage = await sealedStage(sys);
  let config = -1;
  try {
    config = dataMemfd(sys, "ctr-config", encodeProgram(program));
    const proc = Bun.spawn(["/proc/self/fd/5", "monitor", o.id.slice(0, 12)], {
      argv0: "ctr",
      stdio: [o.stdio[0], o.stdio[1], o.stdio[2], "pipe", config, stage, ...(o.extraFds ?? [])],
      env: {},
    } as Parameters<typeof Bun.spawn>[1]) as MonitorProcess["proc"];
    return { proc, channel: new MonitorChannel(proc.stdio[3] as unknown as number) };
  } finally {
    if (config >= 0) sys.close(config);
    sys.close(stage);
  }
}
