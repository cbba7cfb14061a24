// Pieces every image command shares: the --root flag and opening the store it names.
import type { FlagDefs, ParsedCommandLine } from "../cli/argv";
import { parseCommandLine, toCittyArgs } from "../cli/argv";
import { ImageStore, stateRoot } from "../image/store";
import { UsageError } from "../errors";

export const ROOT_FLAG = {
  root: { type: "string", description: "State root (default $CTR_ROOT or /var/lib/ctr)", valueHint: "DIR" },
} satisfies FlagDefs;

export function openStore(cl: ParsedCommandLine): ImageStore {
  return ImageStore.open(stateRoot(cl.strings.root?.[0]));
}

/** Runs fn with the store --root names, and closes it (its lock and database) however fn ends. */
export async function withStore<T>(cl: ParsedCommandLine, fn: (store: ImageStore) => Promise<T>): Promise<T> {
  const store = openStore(cl);
  try {
    return await fn(store);
  } finally {
    store.close();
  }
}

/** A command's flags parsed; positional arguments checked against a count. */
export function parseArgs(raw: string[], defs: FlagDefs, command: string, usage: string, count: { min: number; max?: number }): ParsedCommandLine {
  const cl = parseCommandLine(raw, { ...defs, ...ROOT_FLAG }, command, true);
  if (cl.rest.length < count.min || (count.max !== undefined && cl.rest.length > count.max)) {
    throw new UsageError(`${command}: ${cl.rest.length < count.min ? "missing arguments" : "too many arguments"}\nUsage: ctr ${usage}`);
  }
  return cl;
}

/** The citty args (for --help) of an image command: its flags and --root, as parseArgs takes them. */
export function commandArgs(defs: FlagDefs): ReturnType<typeof toCittyArgs> {
  return toCittyArgs({ ...defs, ...ROOT_FLAG });
}
