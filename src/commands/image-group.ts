// The image commands under one table: `ctr image SUB` and the top-level short names both use it
// (cli/commands.ts).
import { existsCommand, imagesCommand, inspectCommand, loginCommand, logoutCommand, pruneCommand, pullCommand, pushCommand, rmiCommand, tagCommand } from "./image";
import { fromHostCommand, importCommand, saveCommand } from "./archive";

export const imageSubCommands = {
  ls: imagesCommand,
  rm: rmiCommand,
  pull: pullCommand,
  push: pushCommand,
  prune: pruneCommand,
  inspect: inspectCommand,
  exists: existsCommand,
  tag: tagCommand,
  import: importCommand,
  save: saveCommand,
  "from-host": fromHostCommand,
  login: loginCommand,
  logout: logoutCommand,
};
