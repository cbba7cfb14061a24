// One consola instance. Messages go to stderr so a container's stdout stays its own.
import { createConsola, type ConsolaInstance } from "consola";

const LEVELS: Record<string, number> = { error: 0, warn: 1, info: 3, debug: 4, trace: 5 };

export const log: ConsolaInstance = createConsola({
  level: LEVELS[process.env.CTR_LOG_LEVEL ?? "info"] ?? 3,
  stdout: process.stderr,
  stderr: process.stderr,
  formatOptions: { date: false, colors: false, compact: true },
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
