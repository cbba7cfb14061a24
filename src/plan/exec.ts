// Pure: the process `ctr exec` starts in a running container, from the container's own process
// plan (its user, capabilities, limits, seccomp filter) under exec's flags, as Docker merges them.
import { capabilitySet } from "../capabilities";
import { mergeEnv } from "./process";
import type { ProcessPlan, UserSpec } from "./schema";

export interface ExecOptions {
  args: string[];
  /** -e and --env-file entries, added to (and overriding) the container's environment. */
  env: string[];
  /** -w, else the container's working directory. */
  cwd: string | null;
  /** -u, else the container's user. */
  user: UserSpec | null;
  tty: boolean;
  consoleSize: { rows: number; cols: number } | null;
  /** Every capability (the container's seccomp filter stays, as in Docker). */
  privileged: boolean;
}

export function planExec(container: ProcessPlan, o: ExecOptions): ProcessPlan {
  const all = capabilitySet({ privileged: true, add: [], drop: [] });
  const env = mergeEnv([...container.env, ...o.env]);
  // With a terminal, TERM as `exec -t` sets it, unless given.
  if (o.tty && !env.some((e) => e.startsWith("TERM="))) env.push("TERM=xterm");
  return {
    ...container,
    args: o.args,
    env,
    cwd: o.cwd ?? container.cwd,
    user: o.user ?? container.user,
    terminal: o.tty,
    consoleSize: o.consoleSize,
    init: false,
    capabilities: o.privileged ? { bounding: all, effective: all, permitted: all, inheritable: [] } : container.capabilities,
  };
}
