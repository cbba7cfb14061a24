// Docker-style command lines: options first, then CMD [ARG...] untouched. Parsing stops at the first
// positional or `--`, so `ctr run --rootfs R sh -c 'echo hi'` never reads `-c` as ctr's own flag.
// (citty renders help and routes subcommands; it has no stop-at-positional mode, hence this.)
import type { ArgsDef } from "citty";
import { UsageError } from "../errors";

export interface FlagDef {
  type: "string" | "boolean";
  alias?: string;
  description: string;
  valueHint?: string;
  /** The flag may be given more than once (`-e A=1 -e B=2`). */
  multiple?: boolean;
}
export type FlagDefs = Record<string, FlagDef>;

export interface ParsedCommandLine {
  strings: Record<string, string[]>;
  booleans: Record<string, boolean>;
  rest: string[];
}

/**
 * `interspersed`: flags may follow positionals (`ctr save IMAGE -o FILE`), as for Docker's
 * commands other than run and exec, whose positionals are a command line of their own.
 */
export function parseCommandLine(raw: readonly string[], defs: FlagDefs, command: string, interspersed = false): ParsedCommandLine {
  const byName = new Map<string, [string, FlagDef]>();
  for (const [name, def] of Object.entries(defs)) {
    byName.set(`--${name}`, [name, def]);
    if (def.alias) byName.set(def.alias.length === 1 ? `-${def.alias}` : `--${def.alias}`, [name, def]);
  }
  const out: ParsedCommandLine = { strings: {}, booleans: {}, rest: [] };
  const take = (name: string, def: FlagDef, value: string, shown: string) => {
    const list = (out.strings[name] ??= []);
    if (list.length && !def.multiple) throw new UsageError(`${shown} given twice`);
    list.push(value);
  };
  const positionals: string[] = [];
  let i = 0;
  for (; i < raw.length; i++) {
    const arg = raw[i]!;
    if (arg === "--") {
      i++;
      break;
    }
    if (!arg.startsWith("-") || arg === "-") {
      if (!interspersed) break;
      positionals.push(arg);
      continue;
    }
    const eq = arg.startsWith("--") ? arg.indexOf("=") : -1;
    const key = eq > 0 ? arg.slice(0, eq) : arg;
    let found = byName.get(key);
    // -it, -ti: a cluster of one-letter booleans. -m64m: a one-letter flag glued to its value.
    if (!found && !arg.startsWith("--") && arg.length > 2) {
      const first = byName.get(arg.slice(0, 2));
      if (first?.[1].type === "string") {
        take(first[0], first[1], arg.slice(2), arg.slice(0, 2));
        continue;
      }
      const letters = [...arg.slice(1)].map((c) => byName.get(`-${c}`));
      if (letters.every((l) => l?.[1].type === "boolean")) {
        for (const l of letters) out.booleans[l![0]] = true;
        continue;
      }
    }
    if (!found) throw unknownFlag(key, defs, command);
    const [name, def] = found;
    if (def.type === "boolean") {
      if (eq > 0) {
        const v = arg.slice(eq + 1);
        if (v !== "true" && v !== "false") throw new UsageError(`${key}: expected true or false, got ${JSON.stringify(v)}`);
        out.booleans[name] = v === "true";
      } else out.booleans[name] = true;
      continue;
    }
    let value: string | undefined = eq > 0 ? arg.slice(eq + 1) : raw[++i];
    if (value === undefined) throw new UsageError(`${key} needs a value${def.valueHint ? ` (${def.valueHint})` : ""}`);
    take(name, def, value, key);
  }
  out.rest = [...positionals, ...raw.slice(i)];
  return out;
}

function unknownFlag(flag: string, defs: FlagDefs, command: string): UsageError {
  const names = Object.entries(defs).flatMap(([n, d]) => [`--${n}`, ...(d.alias ? [d.alias.length === 1 ? `-${d.alias}` : `--${d.alias}`] : [])]);
  const best = names
    .map((n) => [n, editDistance(n, flag)] as const)
    .sort((a, b) => a[1] - b[1])[0];
  const hint = best && best[1] <= 3 ? ` (did you mean ${best[0]}?)` : "";
  return new UsageError(`unknown flag: ${flag}${hint}\nSee 'ctr ${command} --help'.`);
}

/** Edit distance counting a swap of two neighbours as one edit (`rnu` is one from `run`). */
export function editDistance(a: string, b: string): number {
  const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array(b.length).fill(0)]);
  for (let j = 1; j <= b.length; j++) d[0]![j] = j;
  for (let i = 1; i <= a.length; i++)
    for (let j = 1; j <= b.length; j++) {
      d[i]![j] = Math.min(d[i - 1]![j]! + 1, d[i]![j - 1]! + 1, d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1));
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d[i]![j] = Math.min(d[i]![j]!, d[i - 2]![j - 2]! + 1);
    }
  return d[a.length]![b.length]!;
}

/** citty args from our flag table, so `ctr run --help` lists the same flags the parser accepts. */
export function toCittyArgs(defs: FlagDefs): ArgsDef {
  return Object.fromEntries(
    Object.entries(defs).map(([n, d]) => [n, { type: d.type, alias: d.alias, description: d.description, valueHint: d.valueHint }]),
  );
}
