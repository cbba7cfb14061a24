// `ctr image SUBCOMMAND`: the image commands under one name (`ctr image ls` = `ctr images`).
import { out } from "../output";
import type { CommandDef, ParsedArgs } from "citty";
import { imagesCommand, inspectCommand, loginCommand, logoutCommand, pruneCommand, pullCommand, pushCommand, rmiCommand, tagCommand } from "./image";
import { fromHostCommand, importCommand, saveCommand } from "./archive";
import { UsageError } from "../errors";

export const imageSubCommands = {
  ls: imagesCommand,
  rm: rmiCommand,
  pull: pullCommand,
  push: pushCommand,
  prune: pruneCommand,
  inspect: inspectCommand,
  tag: tagCommand,
  import: importCommand,
  save: saveCommand,
  "from-host": fromHostCommand,
  login: loginCommand,
  logout: logoutCommand,
};

const groupNames = ["ls", "rm", "pull", "push", "prune", "inspect", "tag", "import", "save", "from-host"] as const;

export const imageCommand = {
  meta: { name: "image", description: "Manage images: ls, rm, pull, push, prune, inspect, tag, import, save, from-host" },
  subCommands: Object.fromEntries(groupNames.map((n) => [n, imageSubCommands[n]])),
  async run({ rawArgs }) {
    const [name, ...rest] = rawArgs;
    const cmd = (groupNames as readonly string[]).includes(name ?? "") ? imageSubCommands[name as (typeof groupNames)[number]] : undefined;
    if (!cmd) throw new UsageError(`image: ${name ? `unknown subcommand ${JSON.stringify(name)}` : "missing subcommand"} (${groupNames.join(", ")})\nSee 'ctr image --help'.`);
    if (rest[0] === "--help" || rest[0] === "-h") {
      const { renderUsage } = await import("citty");
      out((await renderUsage(cmd as CommandDef)) + "\n");
      return 0;
    }
    return (cmd as CommandDef).run!({ rawArgs: rest, args: { _: rest } as unknown as ParsedArgs, cmd: cmd as CommandDef, data: undefined });
  },
} satisfies CommandDef;
