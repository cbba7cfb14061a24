// A container's log as its monitor writes it (ffi/stage/log.c), in conmon's k8s-file format:
//   <RFC 3339 time, ns, UTC> <stdout|stderr> <F|P> <text>
// one record per line of output; P marks a piece of a line whose end came in a later record.
export interface LogRecord {
  time: string;
  stream: "stdout" | "stderr";
  /** A piece of a longer line: the next record of the stream continues it. */
  partial: boolean;
  text: string;
}

export function parseLogRecord(line: string): LogRecord | null {
  const a = line.indexOf(" ");
  const b = line.indexOf(" ", a + 1);
  const c = line.indexOf(" ", b + 1);
  if (a < 0 || b < 0 || c < 0) return null;
  const stream = line.slice(a + 1, b);
  const tag = line.slice(b + 1, c);
  if ((stream !== "stdout" && stream !== "stderr") || (tag !== "F" && tag !== "P")) return null;
  return { time: line.slice(0, a), stream, partial: tag === "P", text: line.slice(c + 1) };
}

/** The output a stream wrote, put back together from its records (F ends a line, P does not). */
export function streamText(records: readonly LogRecord[], stream: "stdout" | "stderr"): string {
  return records.filter((r) => r.stream === stream).map((r) => (r.partial ? r.text : `${r.text}\n`)).join("");
}

/** The log files of a container, oldest first: log.(n-1) ... log.1, log. */
export function logFiles(log: string, exists: (p: string) => boolean): string[] {
  const older: string[] = [];
  for (let i = 1; exists(`${log}.${i}`); i++) older.unshift(`${log}.${i}`);
  return [...older, log];
}

/** --since/--until: RFC 3339 (any precision), a Unix time (seconds[.fraction]) or a duration ago (10m, 1h30m). */
export function parseLogTime(value: string, flag: string, now = Date.now()): string {
  let ms: number;
  if (/^\d+(\.\d+)?$/.test(value)) ms = Number(value) * 1000;
  else if (/^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(value)) {
    const unit: Record<string, number> = { ns: 1e-6, us: 1e-3, µs: 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
    let ago = 0;
    for (const [, n, u] of value.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) ago += Number(n) * unit[u!]!;
    ms = now - ago;
  } else {
    ms = Date.parse(value);
    // Sub-millisecond digits are kept by comparing the strings below.
    if (Number.isNaN(ms)) throw new Error(`${flag}: cannot parse ${JSON.stringify(value)} (RFC 3339 time, Unix seconds, or a duration like 10m)`);
    const frac = /\.(\d+)Z$/i.exec(value);
    if (frac) return `${new Date(ms).toISOString().slice(0, 19)}.${frac[1]!.padEnd(9, "0").slice(0, 9)}Z`;
  }
  const iso = new Date(Math.floor(ms)).toISOString();
  return `${iso.slice(0, 19)}.${iso.slice(20, 23)}000000Z`;
}

export interface LogFilter {
  since: string | null;
  until: string | null;
}

export function inWindow(r: LogRecord, f: LogFilter): boolean {
  return (f.since === null || r.time >= f.since) && (f.until === null || r.time < f.until);
}

/**
 * The last n lines of records: a line is its P pieces and the F that ends it, per stream.
 * Returns the records those lines are made of, in order.
 */
export function tailRecords(records: readonly LogRecord[], n: number): LogRecord[] {
  if (n <= 0) return [];
  let lines = 0;
  const seen = { stdout: false, stderr: false };
  for (let i = records.length - 1; i >= 0; i--) {
    const r = records[i]!;
    // Counting from the end, an F record (or a P nothing followed yet) is the end of another line;
    // a P before a later record of its stream is part of that record's line.
    if (!r.partial || !seen[r.stream]) {
      if (lines === n) return records.slice(i + 1);
      lines++;
    }
    seen[r.stream] = true;
  }
  return [...records];
}
