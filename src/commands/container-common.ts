// What every container command shares: the state root (reconciled first), a container by name or
// id, a command definition with Docker-style parsing, and "each of these containers". Light on
// purpose: `ctr ps` must not load the plan, the stage or seccomp.
import type { CommandDef } from "citty";
import type { FlagDefs, ParsedCommandLine } from "../cli/argv";
import { ExitError } from "../errors";
import { err, out } from "../output";
import { stateRoot } from "../container/state";
import { ContainerStore, NoSuchObject, type ContainerInfo } from "../container/store";
import type { Context } from "../container/lifecycle";
import { commandArgs, parseArgs } from "./common";

export interface ContainerContext {
  /** The host's cgroups and the syscall layer: built on first use. */
  readonly ctx: Context;
  store: ContainerStore;
  /** Every container, as the reconciliation left them (newest first). */
  listed: ContainerInfo[];
}

export function containerContext(cl: Pick<ParsedCommandLine, "strings">): ContainerContext {
  const root = stateRoot(cl.strings.root?.[0]);
  const store = new ContainerStore(root);
  // Whatever a killed ctr or monitor left is put right first: nothing is listed that is not so.
  const listed = store.reconcile();
  let ctx: Context | null = null;
  return {
    store,
    listed,
    get ctx(): Context {
      if (!ctx) {
        const { LinuxSys } = require("../sys/linux") as typeof import("../sys/linux");
        const { detectCgroupHost } = require("../cgroups/host") as typeof import("../cgroups/host");
        ctx = { sys: new LinuxSys(), root, cgroups: detectCgroupHost() };
      }
      return ctx;
    },
  };
}

export function infoOf(store: ContainerStore, ref: string): ContainerInfo {
  const info = store.info(store.resolve(ref));
  if (!info) throw new NoSuchObject(`no such container: ${ref}`);
  return info;
}

/** Runs fn on each named container; errors are printed per container and the last one's code kept. */
export async function each(refs: string[], store: ContainerStore, fn: (info: ContainerInfo, ref: string) => Promise<void>): Promise<number> {
  let code = 0;
  for (const ref of refs) {
    try {
      await fn(infoOf(store, ref), ref);
      out(`${ref}\n`);
    } catch (e) {
      err(`ctr: ${(e as Error).message}\n`);
      code = e instanceof ExitError ? e.exitCode : 125;
    }
  }
  return code;
}

export function defineCommand(name: string, description: string, usage: string, flags: FlagDefs, count: { min: number; max?: number }, run: (cl: ParsedCommandLine) => Promise<number>) {
  return {
    meta: { name, description },
    args: commandArgs(flags),
    usage: `ctr ${usage}`,
    run: ({ rawArgs }: { rawArgs: string[] }) => run(parseArgs(rawArgs, flags, name, usage, count)),
  } satisfies CommandDef & { usage: string };
}
