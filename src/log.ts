// ctr's log: consola (its core, with a 10-line reporter: the default reporters cost ~24 ms of
// startup, measured), made on the first message that passes the level, so a start that logs
// nothing never builds it. Messages go to stderr so a container's stdout stays its own.
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

let level = LEVELS[process.env.CTR_LOG_LEVEL ?? "info"] ?? 3;
let instance: ConsolaInstance | null = null;
const consola = () => (instance ??= createConsola({ level, reporters: [stderrReporter] }));

export const log = {
  get level(): number {
    return level;
  },
  set level(value: number) {
    level = value;
    if (instance) instance.level = value;
  },
  error: (message: unknown, ...rest: unknown[]) => consola().error(message, ...rest),
  warn: (message: unknown, ...rest: unknown[]) => void (level >= 1 && consola().warn(message, ...rest)),
  info: (message: unknown, ...rest: unknown[]) => void (level >= 3 && consola().info(message, ...rest)),
  debug: (message: unknown, ...rest: unknown[]) => void (level >= 4 && consola().debug(message, ...rest)),
};

export function setLogLevel(name: string): void {
  const value = LEVELS[name];
  if (value === undefined) throw new Error(`--log-level: unknown level ${JSON.stringify(name)} (debug, info, warn, error)`);
  log.level = value;
}

export function isDebug(): boolean {
  return level >= 4;
}

/** Milliseconds since ctr started: the per-stage timings --log-level debug prints. */
export function sinceStart(): string {
  return `${performance.now().toFixed(2)}ms`;
}
