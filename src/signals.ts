// Signal names and numbers as users give them (`KILL`, `SIGTERM`, `9`, `RTMIN+3`), for --signal,
// --stop-signal and an image's StopSignal. Light: `ctr stop` and `ctr kill` load nothing else.
import { SIGNALS } from "../ffi/constants";
import { UsageError } from "./errors";

export function parseSignal(value: string, flag: string): number {
  const s = value.trim().toUpperCase().replace(/^SIG/, "");
  if (/^\d+$/.test(s) && Number(s) >= 1 && Number(s) <= 64) return Number(s);
  const rt = /^RTMIN(?:\+(\d+))?$/.exec(s) ?? /^RTMAX(?:-(\d+))?$/.exec(s);
  if (rt) return s.startsWith("RTMIN") ? 34 + Number(rt[1] ?? 0) : 64 - Number(rt[1] ?? 0);
  const n = SIGNALS[`SIG${s}`];
  if (n === undefined) throw new UsageError(`${flag}: unknown signal ${JSON.stringify(value)}`);
  return n;
}
