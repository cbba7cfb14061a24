// `ctr logs [-f] [--tail N] [--since T] [--until T] [-t] CONTAINER`: the monitor's k8s-file log,
// stdout records to stdout and stderr records to stderr. -f follows through rotations: the file
// being read is drained to its end before the next one is taken, so nothing written is skipped.
import * as fs from "node:fs";
import type { FlagDefs } from "../cli/argv";
import { UsageError } from "../errors";
import { err, out } from "../output";
import { inWindow, logFiles, parseLogRecord, parseLogTime, tailRecords, type LogFilter, type LogRecord } from "../container/logs";
import { isAlive, readExit, readPids, statePaths } from "../container/state";
import { extraPaths } from "../container/store";
import { containerContext, defineCommand, infoOf } from "./containers";
import { FRAME, connectAttach, frame } from "../container/attach-socket";

const LOGS_FLAGS = {
  follow: { type: "boolean", alias: "f", description: "Keep printing new output until the container stops" },
  tail: { type: "string", alias: "n", description: "Only the last N lines (default all)", valueHint: "N" },
  since: { type: "string", description: "Only output since a time (RFC 3339, Unix seconds, or 10m ago)", valueHint: "TIME" },
  until: { type: "string", description: "Only output before a time", valueHint: "TIME" },
  timestamps: { type: "boolean", alias: "t", description: "Prefix each line with its time (RFC 3339, ns)" },
} satisfies FlagDefs;

/** Writes records as the streams' text: pieces joined, a time at each line's start with -t. */
class Printer {
  private atLineStart = { stdout: true, stderr: true };
  private pending: { stream: "stdout" | "stderr"; text: string[] } | null = null;
  constructor(private readonly timestamps: boolean) {}

  print(r: LogRecord): void {
    if (this.pending && this.pending.stream !== r.stream) this.flush();
    this.pending ??= { stream: r.stream, text: [] };
    if (this.timestamps && this.atLineStart[r.stream]) this.pending.text.push(`${r.time} `);
    this.pending.text.push(r.partial ? r.text : `${r.text}\n`);
    this.atLineStart[r.stream] = !r.partial;
    if (this.pending.text.length > 4096) this.flush();
  }

  flush(): void {
    if (!this.pending) return;
    const text = this.pending.text.join("");
    (this.pending.stream === "stdout" ? out : err)(text);
    this.pending = null;
  }
}

/** Complete lines from a growing file, by fd (a rename does not move it). */
class FileTail {
  private rest = "";
  private offset = 0;
  constructor(readonly fd: number, readonly ino: number) {}

  static open(path: string): FileTail | null {
    try {
      const fd = fs.openSync(path, "r");
      return new FileTail(fd, fs.fstatSync(fd).ino);
    } catch {
      return null;
    }
  }

  /** Lines written since the last call. A file truncated in place (max-file 1) starts over. */
  read(): string[] {
    const size = fs.fstatSync(this.fd).size;
    if (size < this.offset) {
      this.offset = 0;
      this.rest = "";
    }
    const lines: string[] = [];
    const buf = Buffer.allocUnsafe(1 << 20);
    for (;;) {
      const n = fs.readSync(this.fd, buf, 0, buf.length, this.offset);
      if (n <= 0) break;
      this.offset += n;
      const text = this.rest + buf.toString("utf8", 0, n);
      const parts = text.split("\n");
      this.rest = parts.pop()!;
      lines.push(...parts);
    }
    return lines;
  }

  close(): void {
    fs.closeSync(this.fd);
  }
}

function readAll(path: string, skipIno = -1): LogRecord[] {
  const tail = FileTail.open(path);
  if (!tail) return [];
  try {
    return tail.ino === skipIno ? [] : parse(tail.read());
  } finally {
    tail.close();
  }
}

const parse = (lines: string[]) => lines.flatMap((l) => parseLogRecord(l) ?? []);

/** Whether the container can still write to its log (a restart counts as running). */
function canStillWrite(dir: string): boolean {
  if (fs.existsSync(extraPaths(dir).restarting)) return true;
  const pids = readPids(dir);
  return !readExit(dir) && pids !== null && isAlive(pids.monitor);
}

/** From `current` (read to its end) on: new records as they come, until the container stops. */
async function follow(dir: string, log: string, current: FileTail | null, emit: (r: LogRecord[]) => void): Promise<void> {
  for (let ended = false; ; ) {
    const fresh = current ? parse(current.read()) : [];
    emit(fresh);
    let ino: number | null = null;
    try {
      ino = fs.statSync(log).ino;
    } catch {
      /* between a rotation's rename and the new file */
    }
    if (ino !== null && current?.ino !== ino) {
      // Rotated: our file is now log.k (or gone, if it rotated out while we slept). Drain it,
      // then log.(k-1) ... log.1, then the new log.
      if (current) {
        emit(parse(current.read()));
        const files = logFiles(log, fs.existsSync);
        const at = files.findIndex((f) => f !== log && fs.statSync(f, { throwIfNoEntry: false })?.ino === current!.ino);
        for (const f of files.slice(at + 1, -1)) emit(readAll(f));
        current.close();
      }
      current = FileTail.open(log);
      continue;
    }
    if (ended) break;
    ended = !canStillWrite(dir);
    // While output flows, read on at once: a reader that keeps up loses nothing to rotation.
    if (!ended) await Bun.sleep(fresh.length ? 0 : 50);
  }
  current?.close();
}

/**
 * -f through the monitor: it sends every record written after its `following` frame, and waits
 * for a slow reader rather than losing records to rotation. The files are read after that frame,
 * so each record is in the files or on the socket, or both: `skipUpTo` drops the overlap.
 */
class MonitorFollow {
  private lines: string[] = [];
  private rest = "";
  private wake: (() => void) | null = null;
  private closed = false;
  private following!: () => void;
  readonly ready = new Promise<void>((r) => (this.following = r));

  static async open(dir: string): Promise<MonitorFollow | null> {
    const f = new MonitorFollow();
    const socket = await connectAttach(dir, (kind, data) => f.frame(kind, data), () => f.close());
    if (!socket) return null;
    socket.write(frame(FRAME.followLog));
    // A monitor that never says `following` (it ended first) leaves the poll to the caller.
    const ok = await Promise.race([f.ready.then(() => true), Bun.sleep(2000).then(() => false)]);
    if (!ok || f.closed) {
      socket.end();
      return null;
    }
    return f;
  }

  private frame(kind: number, data: Uint8Array): void {
    if (kind === FRAME.following) this.following();
    if (kind !== FRAME.log) return;
    const parts = (this.rest + Buffer.from(data).toString("utf8")).split("\n");
    this.rest = parts.pop()!;
    this.lines.push(...parts);
    this.wake?.();
  }

  private close(): void {
    this.closed = true;
    this.following();
    this.wake?.();
  }

  /** Records until the monitor ends, past the last one the files gave (`last`, raw line). */
  async consume(last: string | null, emit: (r: LogRecord[]) => void): Promise<void> {
    const lastRecord = last === null ? null : parseLogRecord(last);
    let past = lastRecord === null;
    // Records of the same instant as the last one read: duplicates if that one comes after them.
    let same: LogRecord[] = [];
    for (;;) {
      const batch = this.lines.splice(0);
      const out: LogRecord[] = [];
      for (const line of batch) {
        const r = parseLogRecord(line);
        if (!r) continue;
        if (past) out.push(r);
        else if (line === last) {
          past = true;
          same = [];
        } else if (r.time < lastRecord!.time) continue;
        else if (r.time === lastRecord!.time) same.push(r);
        else {
          past = true;
          out.push(...same, r);
          same = [];
        }
      }
      emit(out);
      if (this.closed && this.lines.length === 0) break;
      if (this.lines.length === 0) await new Promise<void>((r) => (this.wake = r));
      this.wake = null;
    }
    emit(same);
  }
}

export const logsCommand = defineCommand("logs", "Print a container's output (stdout and stderr apart)", "logs [OPTIONS] CONTAINER", LOGS_FLAGS, { min: 1, max: 1 }, async (cl) => {
  const tailArg = cl.strings.tail?.[0] ?? "all";
  if (tailArg !== "all" && !/^-?\d+$/.test(tailArg)) throw new UsageError(`--tail: expected a number or "all", got ${JSON.stringify(tailArg)}`);
  const filter: LogFilter = { since: null, until: null };
  try {
    if (cl.strings.since) filter.since = parseLogTime(cl.strings.since[0]!, "--since");
    if (cl.strings.until) filter.until = parseLogTime(cl.strings.until[0]!, "--until");
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const { store } = containerContext(cl);
  const info = infoOf(store, cl.rest[0]!);
  const log = statePaths(info.dir).log;
  const printer = new Printer(cl.booleans.timestamps ?? false);
  const emit = (records: LogRecord[]) => {
    for (const r of records) if (inWindow(r, filter)) printer.print(r);
    printer.flush();
  };
  // Following a running container: its monitor streams what comes after the files.
  const monitor = cl.booleans.follow && canStillWrite(info.dir) ? await MonitorFollow.open(info.dir) : null;
  // The current file is opened first and kept: what is written after this read comes from it.
  const current = FileTail.open(log);
  const older = logFiles(log, fs.existsSync).slice(0, -1).flatMap((f) => readAll(f, current?.ino));
  const all = [...older, ...parse(current?.read() ?? [])];
  let records = all.filter((r) => inWindow(r, filter));
  if (tailArg !== "all" && Number(tailArg) >= 0) records = tailRecords(records, Number(tailArg));
  emit(records);
  if (monitor) {
    current?.close();
    const last = all.at(-1);
    await monitor.consume(last ? `${last.time} ${last.stream} ${last.partial ? "P" : "F"} ${last.text}` : null, emit);
  } else if (cl.booleans.follow) await follow(info.dir, log, current, emit);
  else current?.close();
  return 0;
});
