// The CLI: global flags, then a command (or a group and its subcommand), any failure turned into
// one line on stderr and an exit code. Help is rendered by citty, loaded only for help.
import { out, err } from "../output";
import type { CommandDef, ParsedArgs } from "citty";
import { EXIT, exitCodeOf, UsageError } from "../errors";
import { editDistance } from "./argv";
import { VERSION } from "../version";
import { COMMANDS, GROUPS, HIDDEN, type Command, type Loader } from "./commands";
import { isTerminal } from "../terminal";

/** The closest names, only when they are close: a typo's fix, or nothing. */
export function suggest(word: string, names: readonly string[]): string | null {
  const bare = word.replace(/^-+/, "");
  const scored = names
    .map((n) => ({ n, d: editDistance(n.replace(/^-+/, ""), bare) }))
    // Short words need a near miss: `rm` is not a typo of `run`, `kil` is of `kill`.
    .filter(({ n, d }) => d <= Math.max(1, Math.floor(Math.min(n.replace(/^-+/, "").length, bare.length) / 3)) && d < bare.length)
    .sort((a, b) => a.d - b.d);
  return scored[0]?.n ?? null;
}

/** Global flags before the command: --root DIR (as podman), --log-level. */
function takeGlobalFlags(argv: string[]): string[] {
  const rest = [...argv];
  for (;;) {
    const a = rest[0];
    if (a === undefined || !a.startsWith("--") || a === "--help" || a === "--version") return rest;
    const [name, inline] = a.includes("=") ? [a.slice(0, a.indexOf("=")), a.slice(a.indexOf("=") + 1)] : [a, undefined];
    if (name !== "--root" && name !== "--log-level") {
      const near = suggest(name, ["--root", "--log-level", "--help", "--version"]);
      throw new UsageError(`unknown flag: ${name}${near ? ` (did you mean ${near}?)` : ""}\nSee 'ctr --help'.`);
    }
    rest.shift();
    const value = inline ?? rest.shift();
    if (!value) throw new UsageError(`${name} needs a value`);
    if (name === "--root") process.env.CTR_ROOT = value;
    else process.env.CTR_LOG_LEVEL = value;
  }
}

const plain = () => !isTerminal(1) || process.env.NO_COLOR !== undefined;

function asCitty(loaders: Record<string, Loader>): Record<string, () => Promise<CommandDef>> {
  return Object.fromEntries(Object.entries(loaders).map(([n, l]) => [n, l as () => Promise<CommandDef>]));
}

const ctrCommand: Command = {
  usage: "ctr [--root DIR] [--log-level LEVEL] COMMAND [ARG...]",
  meta: { name: "ctr", version: VERSION, description: "Linux containers: namespaces, cgroups, overlayfs, networks. No daemon." },
  subCommands: {
    ...asCitty(COMMANDS),
    ...Object.fromEntries(Object.entries(GROUPS).map(([name, g]) => [name, { meta: { name, description: g.description }, subCommands: asCitty(g.subs) } satisfies CommandDef])),
  },
};

/** citty's help, with our usage line (positional arguments shown) and no colour into pipes. */
async function help(cmd: Command, parent?: CommandDef): Promise<string> {
  const { renderUsage } = await import("citty");
  let text = await renderUsage(cmd, parent);
  if (cmd.usage) text = text.replace(/^(\S*USAGE\S*\s+).*$/m, (_, head: string) => `${head}${cmd.usage}`);
  return plain() ? text.replace(/\x1b\[[0-9;]*m/g, "") : text;
}

async function groupHelp(name: string): Promise<string> {
  const g = GROUPS[name]!;
  const subs = await Promise.all(Object.entries(g.subs).map(async ([n, l]) => [n, (await l()).meta] as const));
  const width = Math.max(...subs.map(([n]) => n.length));
  const lines = subs.map(([n, meta]) => `  ${n.padEnd(width)}   ${(meta as { description?: string } | undefined)?.description ?? ""}`);
  return `${g.description}\n\nUSAGE ctr ${name} COMMAND\n\nCOMMANDS\n\n${lines.join("\n")}\n\nRun 'ctr ${name} COMMAND --help' for a command's options.`;
}

function unknownCommand(word: string, names: string[], where: string): UsageError {
  if (word.startsWith("-")) return new UsageError(`unknown flag: ${word}\nSee '${where} --help'.`);
  const near = suggest(word, names);
  return new UsageError(`unknown command ${JSON.stringify(word)}${near ? ` (did you mean ${near}?)` : ""}\nSee '${where} --help'.`);
}

/** The command a word list names: `run`, `container ls`, `image rm`. */
async function resolve(words: string[]): Promise<{ cmd: Command; group: string | null; rest: string[] }> {
  const [first, ...rest] = words;
  if (first === undefined) throw new UsageError("no command\nSee 'ctr --help'.");
  const group = GROUPS[first];
  if (group) {
    const [sub, ...subRest] = rest;
    const loader = sub === undefined ? undefined : group.subs[sub];
    if (!loader) {
      if (sub === undefined || sub === "--help" || sub === "-h" || sub === "help") return { cmd: { meta: { name: first } }, group: first, rest: ["--help"] };
      throw unknownCommand(sub, Object.keys(group.subs), `ctr ${first}`);
    }
    return { cmd: await loader(), group: first, rest: subRest };
  }
  const loader = COMMANDS[first] ?? HIDDEN[first];
  if (!loader) throw unknownCommand(first, [...Object.keys(COMMANDS), ...Object.keys(GROUPS)], "ctr");
  return { cmd: await loader(), group: null, rest };
}

async function entry(argv: string[]): Promise<number> {
  const words = takeGlobalFlags(argv);
  const first = words[0];
  if (first === undefined || first === "--help" || first === "-h") {
    out(`${await help(ctrCommand)}\n`);
    return first === undefined ? EXIT.CTR_FAILED : 0;
  }
  if (first === "--version" || first === "-v" || first === "version") {
    out(`ctr version ${VERSION}\n`);
    return 0;
  }
  // `ctr help run`, `ctr help image ls`: the same as --help.
  if (first === "help") {
    if (words.length === 1) {
      out(`${await help(ctrCommand)}\n`);
      return 0;
    }
    const r = await resolve(words.slice(1));
    out(r.cmd.run ? `${await help(r.cmd, ctrCommand)}\n` : `${await groupHelp(r.group!)}\n`);
    return 0;
  }
  const { cmd, group, rest } = await resolve(words);
  if (!cmd.run) {
    out(`${await groupHelp(group!)}\n`);
    return rest[0] === "--help" ? 0 : EXIT.CTR_FAILED;
  }
  if (rest[0] === "--help" || (rest[0] === "-h" && cmd.meta && (cmd.meta as { name?: string }).name !== "run" && (cmd.meta as { name?: string }).name !== "create")) {
    out(`${await help(cmd, ctrCommand)}\n`);
    return 0;
  }
  const result = await cmd.run({ rawArgs: rest, args: { _: rest } as unknown as ParsedArgs, cmd, data: undefined });
  return typeof result === "number" ? result : 0;
}

export async function main(argv: string[]): Promise<never> {
  let code: number;
  try {
    code = await entry(argv);
  } catch (e) {
    err(`ctr: ${e instanceof Error ? e.message : String(e)}\n`);
    code = exitCodeOf(e);
  }
  // Leave even if stdin listeners would keep the loop alive.
  process.exit(code);
}
