// The CLI: route to a command, turn any failure into one line on stderr and an exit code.
import { out, err } from "../output";
import type { CommandDef, ParsedArgs } from "citty";
import { runCommand } from "../commands/run";
import { EXIT, exitCodeOf, UsageError } from "../errors";
import { editDistance } from "./argv";
import { VERSION } from "../version";

type Group = typeof import("../commands/image-group");
/**
 * The image commands load on use: their modules (sqlite, zlib, the registry client, schemas) cost
 * ~15 ms to evaluate, which `ctr run --rootfs` must not pay.
 */
const images = <K extends keyof Group["imageSubCommands"]>(name: K) => () => import("../commands/image-group").then((m: Group) => m.imageSubCommands[name] as CommandDef);

const subCommands: Record<string, CommandDef | (() => Promise<CommandDef>)> = {
  run: runCommand,
  pull: images("pull"),
  push: images("push"),
  images: images("ls"),
  rmi: images("rm"),
  tag: images("tag"),
  import: images("import"),
  save: images("save"),
  login: images("login"),
  logout: images("logout"),
  image: () => import("../commands/image-group").then((m: Group) => m.imageCommand as CommandDef),
  "container-exited": () => import("../commands/container-exited").then((m) => m.containerExitedCommand as CommandDef),
};

/** `ctr --root DIR CMD ...`: the global form of --root, as podman has it. */
function takeGlobalFlags(argv: string[]): string[] {
  const rest = [...argv];
  while (rest[0]?.startsWith("--root")) {
    const a = rest.shift()!;
    const value = a.includes("=") ? a.slice(a.indexOf("=") + 1) : rest.shift();
    if (!value) throw new UsageError("--root needs a value (DIR)");
    process.env.CTR_ROOT = value;
  }
  return rest;
}

const ctrCommand: CommandDef = {
  meta: { name: "ctr", version: VERSION, description: "Linux containers: namespaces, cgroups, overlayfs. No daemon." },
  subCommands,
};

/**
 * Help comes from citty, loaded only here: evaluating it costs ~7 ms, on every container start
 * otherwise. (Commands parse their own Docker-style argv; see argv.ts.) citty colours its help;
 * keep plain text for pipes and files.
 */
async function usage(cmd: CommandDef, parent?: CommandDef): Promise<string> {
  const { renderUsage } = await import("citty");
  const text = await renderUsage(cmd, parent);
  return process.stdout.isTTY ? text : text.replace(/\x1b\[[0-9;]*m/g, "");
}

async function entry(argv: string[]): Promise<number> {
  const [first, ...rest] = takeGlobalFlags(argv);
  if (first === undefined || first === "--help" || first === "-h" || first === "help") {
    out((await usage(ctrCommand)) + "\n");
    return first === undefined ? EXIT.CTR_FAILED : 0;
  }
  if (first === "--version" || first === "-v" || first === "version") {
    out(`ctr version ${VERSION}\n`);
    return 0;
  }
  const entryOrLoader = subCommands[first];
  if (entryOrLoader === undefined) {
    const names = Object.keys(subCommands);
    const near = names.find((n) => editDistance(n, first) <= 2);
    throw new UsageError(`unknown command ${JSON.stringify(first)}${near ? ` (did you mean ${near}?)` : ""}\nSee 'ctr --help'.`);
  }
  const cmd = typeof entryOrLoader === "function" ? await entryOrLoader() : entryOrLoader;
  if (rest[0] === "--help" || rest[0] === "-h") {
    out((await usage(cmd, ctrCommand)) + "\n");
    return 0;
  }
  const result = await cmd.run!({ rawArgs: rest, args: { _: rest } as unknown as ParsedArgs, cmd });
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
