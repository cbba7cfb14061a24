// Pure: run options → the container's process: command, environment, user, capabilities, limits,
// seccomp. Kept apart from the root filesystem's plan, so exec builds its process the same way.
import { RLIMIT_NOFILE } from "../../ffi/constants";
import { capabilitySet } from "../capabilities";
import type { ProcessPlan, Rlimit, SeccompChoice, UserSpec } from "./schema";

export const DEFAULT_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** Conventional soft NOFILE: select() breaks above 1024, and Bun raised ctr's own soft limit at start. */
export const DEFAULT_NOFILE_SOFT = 1024;

export interface ProcessOptions {
  args: string[];
  env: string[];
  cwd: string;
  user: UserSpec;
  tty: boolean;
  consoleSize: { rows: number; cols: number } | null;
  init: boolean;
  privileged: boolean;
  capAdd: string[];
  capDrop: string[];
  /** null: the default (on, off with --privileged). */
  noNewPrivileges: boolean | null;
  ulimits: Rlimit[];
  /** Hard NOFILE limit ctr runs with; the container's soft limit is reset below Bun's raised value. */
  nofileHard: number | "unlimited";
  /** null: the default (Docker's profile; none with --privileged). */
  seccomp: SeccompChoice | null;
}

/** KEY=VALUE entries where a later KEY replaces an earlier one (in the earlier one's place). */
export function mergeEnv(entries: string[]): string[] {
  const map = new Map<string, string>();
  for (const e of entries) map.set(e.slice(0, e.indexOf("=")), e);
  return [...map.values()];
}

export function planProcess(o: ProcessOptions): ProcessPlan {
  const caps = capabilitySet({ privileged: o.privileged, add: o.capAdd, drop: o.capDrop });
  const rlimits = [...o.ulimits];
  if (!rlimits.some((r) => r.resource === RLIMIT_NOFILE)) {
    const hard = o.nofileHard;
    const soft = hard === "unlimited" ? DEFAULT_NOFILE_SOFT : Math.min(DEFAULT_NOFILE_SOFT, hard);
    rlimits.push({ type: "nofile", resource: RLIMIT_NOFILE, soft, hard });
  }
  return {
    args: o.args,
    env: o.env,
    cwd: o.cwd,
    user: o.user,
    terminal: o.tty,
    consoleSize: o.consoleSize,
    init: o.init,
    noNewPrivileges: o.noNewPrivileges ?? !o.privileged,
    // Inheritable stays empty (CVE-2022-24769); ambient is never set.
    capabilities: { bounding: caps, effective: caps, permitted: caps, inheritable: [] },
    rlimits,
    // As Docker: --privileged runs unconfined unless a profile is named.
    seccomp: o.seccomp ?? (o.privileged ? { mode: "unconfined" } : { mode: "default" }),
  };
}
