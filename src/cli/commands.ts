// Every command of ctr, by name, each loaded on use: a container start must not pay for the image
// store's modules (~15 ms), nor `ctr ps` for the registry client. Groups (`ctr image ...`,
// `ctr container ...`, `ctr volume ...`) reuse the same definitions under Docker's names.
import type { CommandDef } from "citty";

export type Command = CommandDef & { usage?: string };
export type Loader = () => Promise<Command>;

const images = <K extends keyof typeof import("../commands/image-group").imageSubCommands>(name: K): Loader => () =>
  import("../commands/image-group").then((m) => m.imageSubCommands[name] as Command);
const containers = <K extends keyof typeof import("../commands/containers")>(name: K): Loader => () =>
  import("../commands/containers").then((m) => m[name] as Command);
const volumes = <K extends keyof typeof import("../commands/volumes").volumeSubCommands>(name: K): Loader => () =>
  import("../commands/volumes").then((m) => m.volumeSubCommands[name] as Command);

const exec: Loader = () => import("../commands/exec").then((m) => m.execCommand as Command);
const logs: Loader = () => import("../commands/logs").then((m) => m.logsCommand as Command);
const cp: Loader = () => import("../commands/cp").then((m) => m.cpCommand as Command);
const commit: Loader = () => import("../commands/commit").then((m) => m.commitCommand as Command);
const top: Loader = () => import("../commands/top-stats").then((m) => m.topCommand as Command);
const stats: Loader = () => import("../commands/top-stats").then((m) => m.statsCommand as Command);
const load: Loader = () => import("../commands/archive").then((m) => m.loadCommand as Command);
const port: Loader = () => import("../commands/networks").then((m) => m.portCommand as Command);
const run: Loader = () => import("../commands/run").then((m) => m.runCommand as Command);
const create: Loader = () => import("../commands/run").then((m) => m.createCommand as Command);

/** `ctr container SUB`: Docker's container management commands. */
export const CONTAINER_GROUP: Record<string, Loader> = {
  ls: containers("psCommand"),
  ps: containers("psCommand"),
  run,
  create,
  start: containers("startCommand"),
  stop: containers("stopCommand"),
  restart: containers("restartCommand"),
  kill: containers("killCommand"),
  rm: containers("rmCommand"),
  inspect: containers("inspectCommand"),
  wait: containers("waitCommand"),
  pause: containers("pauseCommand"),
  unpause: containers("unpauseCommand"),
  rename: containers("renameCommand"),
  attach: containers("attachCommand"),
  exec,
  logs,
  top,
  stats,
  cp,
  commit,
  port,
  prune: containers("pruneCommand"),
};

export const VOLUME_GROUP: Record<string, Loader> = {
  create: volumes("create"),
  ls: volumes("ls"),
  inspect: volumes("inspect"),
  rm: volumes("rm"),
  prune: volumes("prune"),
};

export const IMAGE_GROUP: Record<string, Loader> = {
  ls: images("ls"),
  rm: images("rm"),
  pull: images("pull"),
  push: images("push"),
  prune: images("prune"),
  inspect: images("inspect"),
  exists: images("exists"),
  tag: images("tag"),
  import: images("import"),
  load,
  save: images("save"),
  "from-host": images("from-host"),
};

const networks = <K extends keyof typeof import("../commands/networks").networkSubCommands>(name: K): Loader => () =>
  import("../commands/networks").then((m) => m.networkSubCommands[name] as Command);

export const NETWORK_GROUP: Record<string, Loader> = {
  create: networks("create"),
  ls: networks("ls"),
  inspect: networks("inspect"),
  rm: networks("rm"),
  prune: networks("prune"),
  connect: networks("connect"),
  disconnect: networks("disconnect"),
  reload: networks("reload"),
};

export const GROUPS: Record<string, { description: string; subs: Record<string, Loader> }> = {
  container: { description: "Manage containers", subs: CONTAINER_GROUP },
  image: { description: "Manage images", subs: IMAGE_GROUP },
  volume: { description: "Manage volumes", subs: VOLUME_GROUP },
  network: { description: "Manage networks", subs: NETWORK_GROUP },
};

/** The top-level commands, Docker's short names. */
export const COMMANDS: Record<string, Loader> = {
  run,
  create,
  start: CONTAINER_GROUP.start!,
  stop: CONTAINER_GROUP.stop!,
  restart: CONTAINER_GROUP.restart!,
  kill: CONTAINER_GROUP.kill!,
  rm: CONTAINER_GROUP.rm!,
  ps: CONTAINER_GROUP.ps!,
  inspect: CONTAINER_GROUP.inspect!,
  wait: CONTAINER_GROUP.wait!,
  pause: CONTAINER_GROUP.pause!,
  unpause: CONTAINER_GROUP.unpause!,
  rename: CONTAINER_GROUP.rename!,
  attach: CONTAINER_GROUP.attach!,
  exec,
  logs,
  top,
  stats,
  cp,
  commit,
  port,
  pull: images("pull"),
  push: images("push"),
  images: images("ls"),
  rmi: images("rm"),
  tag: images("tag"),
  import: images("import"),
  load,
  save: images("save"),
  login: images("login"),
  logout: images("logout"),
  completion: () => import("../commands/completion").then((m) => m.completionCommand as Command),
};

/** Not listed in help: what the monitor and the shell completion scripts call. */
export const HIDDEN: Record<string, Loader> = {
  "container-exited": () => import("../commands/container-exited").then((m) => m.containerExitedCommand as Command),
  __complete: () => import("../commands/completion").then((m) => m.completeCommand as Command),
  __dns: async () => ({
    meta: { name: "__dns", description: "The resolver of user-defined networks (started by ctr on demand)" },
    run: async () => {
      const { runDnsServer } = await import("../net/dns-server");
      const { stateRoot } = await import("../container/state");
      await runDnsServer(stateRoot(undefined));
      return 0;
    },
  }),
};
