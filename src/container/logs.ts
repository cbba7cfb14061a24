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
