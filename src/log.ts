// One consola instance (consola/core: the default reporters cost ~24 ms of startup, measured).
// Messages go to stderr so a container's stdout stays its own.
import { err } from "./output";
import { createConsola, type ConsolaInstance, type LogObject } from "consola/core";

const LEVELS: Record<string, number> = { error: 0, warn: 1, info: 3, debug: 4, trace: 5 };

const stderrReporter = {
  log(obj: LogObject) {
    const text = obj.args.map((a) => (typeof a === "string" ? a : a instanceof Error ? a.message : JSON.stringify(a))).join(" ");
    const tag = obj.level <= 1 ? `ctr: ${obj.type === "warn" ? "warning: " : ""}` : obj.level >= 4 ? "ctr debug: " : "ctr: ";
    err(`${tag}${text}\n`);
  },
};

export const log: ConsolaInstance = createConsola({
  level: LEVELS[process.env.CTR_LOG_LEVEL ?? "info"] ?? 3,
  reporters: [stderrReporter],
});

export function setLogLevel(name: string): void {
  const level = LEVELS[name];
  if (level === undefined) throw new Error(`--log-level: unknown level ${JSON.stringify(name)} (debug, info, warn, error)`);
  log.level = level;
}

export function isDebug(): boolean {
  return log.level >= 4;
}

/** Milliseconds since ctr started: the per-stage timings --log-level debug prints. */
export function sinceStart(): string {
  return `${performance.now().toFixed(2)}ms`;
}
