// Container commands with Docker's names, flags, output and exit codes: ps, inspect, start, stop,
// kill, rm, wait, restart, rename, container prune, pause, unpause.
import { err, out } from "../output";
import type { FlagDefs, ParsedCommandLine } from "../cli/argv";
import { printRows, printDocuments, confirm } from "../cli/template";
import { parseSignal } from "../signals";
import { ExitError, UsageError } from "../errors";
import { NoSuchObject, type ContainerInfo } from "../container/store";
import { inspectDocument, psFields } from "../container/present";
import { containerContext, defineCommand, each, infoOf } from "./container-common";

export { containerContext, defineCommand, infoOf } from "./container-common";

/** The lifecycle's module (plans, the stage, seccomp): loaded by the commands that change things. */
const lifecycle = () => import("../container/lifecycle");

// ---- ps ----

const PS_FLAGS = {
  all: { type: "boolean", alias: "a", description: "Show all containers (default: running ones)" },
  quiet: { type: "boolean", alias: "q", description: "Only ids" },
  last: { type: "string", alias: "n", description: "The N most recently created (any state)", valueHint: "N" },
  latest: { type: "boolean", alias: "l", description: "The most recently created (any state)" },
  "no-trunc": { type: "boolean", description: "Do not truncate ids and commands" },
  filter: { type: "string", alias: "f", multiple: true, description: "status=, name=, label=KEY[=VALUE], ancestor=, id=", valueHint: "KEY=VALUE" },
  format: { type: "string", description: "table, json, or a Go template ({{.ID}} {{.Names}} ...)", valueHint: "FORMAT" },
} satisfies FlagDefs;

export function matchesFilter(c: ContainerInfo, filter: string): boolean {
  const eq = filter.indexOf("=");
  if (eq < 0) throw new UsageError(`--filter: expected KEY=VALUE, got ${JSON.stringify(filter)}`);
  const key = filter.slice(0, eq);
  const value = filter.slice(eq + 1);
  switch (key) {
    case "status":
      if (!["created", "running", "paused", "restarting", "exited", "dead", "removing"].includes(value)) throw new UsageError(`--filter status: unknown status ${JSON.stringify(value)}`);
      return c.status === value;
    case "name":
      return (c.config.name ?? "").includes(value.replace(/^\//, ""));
    case "id":
      return c.id.startsWith(value);
    case "label": {
      const [k, v] = value.includes("=") ? [value.slice(0, value.indexOf("=")), value.slice(value.indexOf("=") + 1)] : [value, undefined];
      return k! in c.config.labels && (v === undefined || c.config.labels[k!] === v);
    }
    case "ancestor":
      return c.config.image !== null && (c.config.image.name === value || c.config.image.name === `${value}:latest` || c.config.image.name.endsWith(`/${value}`) || c.config.image.name.endsWith(`/${value}:latest`) || c.config.image.id.replace("sha256:", "").startsWith(value.replace("sha256:", "")));
    default:
      throw new UsageError(`--filter: unknown filter ${JSON.stringify(key)} (status, name, label, ancestor, id)`);
  }
}

export const psCommand = defineCommand("ps", "List containers", "ps [OPTIONS]", PS_FLAGS, { min: 0, max: 0 }, async (cl) => {
  const { listed } = containerContext(cl);
  const filters = cl.strings.filter ?? [];
  const last = cl.booleans.latest ? 1 : cl.strings.last ? Number(cl.strings.last[0]) : 0;
  if (!Number.isInteger(last) || last < 0) throw new UsageError(`--last: expected a number, got ${JSON.stringify(cl.strings.last?.[0])}`);
  let list = listed;
  if (!cl.booleans.all && last === 0 && !filters.some((f) => f.startsWith("status="))) list = list.filter((c) => c.status === "running" || c.status === "paused" || c.status === "restarting");
  // Filters of one key are alternatives; different keys must all hold (Docker's rule).
  const byKey = new Map<string, string[]>();
  for (const f of filters) byKey.set(f.slice(0, f.indexOf("=")), [...(byKey.get(f.slice(0, f.indexOf("="))) ?? []), f]);
  list = list.filter((c) => [...byKey.values()].every((alts) => alts.some((f) => matchesFilter(c, f))));
  if (last) list = list.slice(0, last);
  const noTrunc = cl.booleans["no-trunc"] ?? false;
  if (cl.booleans.quiet) {
    out(list.map((c) => `${noTrunc ? c.id : c.id.slice(0, 12)}\n`).join(""));
    return 0;
  }
  const now = Date.now();
  const rows = list.map((c) => psFields(c, { noTrunc, now }));
  printRows(rows, cl.strings.format?.[0], "table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.RunningFor}}\t{{.Status}}\t{{.Ports}}\t{{.Names}}");
  return 0;
});

// ---- inspect ----

const INSPECT_FLAGS = {
  format: { type: "string", alias: "f", description: "A Go template ({{.State.Status}}, {{json .Config}} ...)", valueHint: "FORMAT" },
  type: { type: "string", description: "container or image (default: whichever the name is)", valueHint: "TYPE" },
} satisfies FlagDefs;

export const inspectCommand = defineCommand("inspect", "Show a container's or an image's details as JSON", "inspect [OPTIONS] NAME|ID [NAME|ID...]", INSPECT_FLAGS, { min: 1 }, async (cl) => {
  const { store, ctx } = containerContext(cl);
  const type = cl.strings.type?.[0];
  if (type !== undefined && type !== "container" && type !== "image") throw new UsageError(`--type: expected container or image, got ${JSON.stringify(type)}`);
  const docs: object[] = [];
  const missing: string[] = [];
  for (const ref of cl.rest) {
    if (type !== "image") {
      try {
        docs.push(inspectDocument(infoOf(store, ref)));
        continue;
      } catch (e) {
        if (!(e instanceof NoSuchObject) || type === "container") {
          if (e instanceof NoSuchObject) missing.push(ref);
          else throw e;
          continue;
        }
      }
    }
    const { inspectImageDocument } = await import("./image");
    const doc = await inspectImageDocument(ctx.root, ref);
    if (doc) docs.push(doc);
    else missing.push(ref);
  }
  printDocuments(docs, cl.strings.format?.[0]);
  if (missing.length) throw new NoSuchObject(`no such object: ${missing.join(", ")}`);
  return 0;
});

// ---- start, stop, kill, restart, rm, wait, pause, unpause, rename, prune ----

export const startCommand = defineCommand(
  "start",
  "Start created or stopped containers",
  "start [OPTIONS] CONTAINER [CONTAINER...]",
  {
    attach: { type: "boolean", alias: "a", description: "Attach to the container's output and wait for it" },
    interactive: { type: "boolean", alias: "i", description: "Attach stdin too" },
  },
  { min: 1 },
  async (cl) => {
    const { prepareStart, releaseStart, startContainer } = await lifecycle();
    const { store, ctx } = containerContext(cl);
    if (cl.booleans.attach || cl.booleans.interactive) {
      if (cl.rest.length > 1) throw new UsageError("start: --attach and --interactive take one container");
      const info = infoOf(store, cl.rest[0]!);
      if (info.status === "running" || info.status === "paused") throw new ExitError(`container ${cl.rest[0]} is already running; use ctr attach`, 1);
      await prepareStart(ctx, info);
      const waiting = infoOf(store, info.id);
      const { attachTo } = await import("./attach");
      return attachTo(waiting, { stdin: cl.booleans.interactive ?? false, start: () => releaseStart(waiting) });
    }
    return each(cl.rest, store, (info) => startContainer(ctx, info));
  },
);

export const attachCommand = defineCommand(
  "attach",
  "Attach to a running container's output (and input); Ctrl-P Ctrl-Q detaches",
  "attach [OPTIONS] CONTAINER",
  {
    "no-stdin": { type: "boolean", description: "Do not attach stdin" },
    "sig-proxy": { type: "boolean", description: "Forward signals to the container (default true; not with a terminal)" },
  },
  { min: 1, max: 1 },
  async (cl) => {
    const { store } = containerContext(cl);
    const info = infoOf(store, cl.rest[0]!);
    if (info.status !== "running" && info.status !== "paused" && !(info.status === "created" && info.pids)) {
      throw new ExitError("you cannot attach to a stopped container, start it first", 1);
    }
    const { attachTo } = await import("./attach");
    return attachTo(info, { stdin: !cl.booleans["no-stdin"] && info.config.interactive, sigProxy: cl.booleans["sig-proxy"] ?? true });
  },
);

const STOP_FLAGS = {
  time: { type: "string", alias: "t", description: "Seconds to wait before SIGKILL (default: the container's, 10)", valueHint: "SECONDS" },
  signal: { type: "string", alias: "s", description: "The signal to send (default: the container's stop signal)", valueHint: "SIGNAL" },
} satisfies FlagDefs;

function stopOptions(cl: ParsedCommandLine): { timeout?: number; signal?: number } {
  const t = cl.strings.time?.[0];
  if (t !== undefined && !/^-?\d+$/.test(t)) throw new UsageError(`--time: expected seconds, got ${JSON.stringify(t)}`);
  return { timeout: t === undefined ? undefined : Number(t), signal: cl.strings.signal ? parseSignal(cl.strings.signal[0]!, "--signal") : undefined };
}

export const stopCommand = defineCommand("stop", "Stop containers: the stop signal, then SIGKILL after a timeout", "stop [OPTIONS] CONTAINER [CONTAINER...]", STOP_FLAGS, { min: 1 }, async (cl) => {
    const { stopContainer } = await lifecycle();
  const { store } = containerContext(cl);
  const o = stopOptions(cl);
  return each(cl.rest, store, (info) => stopContainer(info, o));
});

export const restartCommand = defineCommand("restart", "Stop and start containers again", "restart [OPTIONS] CONTAINER [CONTAINER...]", STOP_FLAGS, { min: 1 }, async (cl) => {
    const { startContainer, stopContainer } = await lifecycle();
  const { store, ctx } = containerContext(cl);
  const o = stopOptions(cl);
  return each(cl.rest, store, async (info) => {
    await stopContainer(info, o);
    const now = store.info(info.id);
    if (now) await startContainer(ctx, now);
  });
});

export const killCommand = defineCommand(
  "kill",
  "Send a signal to containers (default SIGKILL)",
  "kill [OPTIONS] CONTAINER [CONTAINER...]",
  { signal: { type: "string", alias: "s", description: "The signal (default KILL)", valueHint: "SIGNAL" } },
  { min: 1 },
  async (cl) => {
    const { signalContainer } = await lifecycle();
    const { store } = containerContext(cl);
    const signal = parseSignal(cl.strings.signal?.[0] ?? "KILL", "--signal");
    return each(cl.rest, store, async (info) => {
      signalContainer(info, signal);
      // Killed by the user: no restart policy brings it back (as Docker treats kill and stop).
      if (signal === 9 || signal === 15) (await import("../files")).writeFile(`${info.dir}/stopped`, "");
    });
  },
);

export const rmCommand = defineCommand(
  "rm",
  "Remove containers",
  "rm [OPTIONS] CONTAINER [CONTAINER...]",
  {
    force: { type: "boolean", alias: "f", description: "Kill and remove a running container" },
    volumes: { type: "boolean", alias: "v", description: "Remove its anonymous volumes too" },
  },
  { min: 1 },
  async (cl) => {
    const { removeContainer } = await lifecycle();
    const { store, ctx } = containerContext(cl);
    const o = { force: cl.booleans.force ?? false, volumes: cl.booleans.volumes ?? false };
    return each(cl.rest, store, (info) => removeContainer(ctx, info, o));
  },
);

export const waitCommand = defineCommand("wait", "Wait for containers to stop; print their exit codes", "wait CONTAINER [CONTAINER...]", {}, { min: 1 }, async (cl) => {
    const { waitForExit } = await lifecycle();
  const { store } = containerContext(cl);
  let code = 0;
  for (const ref of cl.rest) {
    const info = infoOf(store, ref);
    const exit = await waitForExit(info.dir);
    if (exit === null) {
      err(`ctr: ${ref}: removed while waiting\n`);
      code = 1;
    } else out(`${exit.exitCode}\n`);
  }
  return code;
});

export const pauseCommand = defineCommand("pause", "Freeze every process of containers", "pause CONTAINER [CONTAINER...]", {}, { min: 1 }, async (cl) => {
    const { freeze } = await lifecycle();
  const { store } = containerContext(cl);
  return each(cl.rest, store, async (info) => {
    if (info.status !== "running") throw new ExitError(`container ${cl.rest[0]} is not running`, 1);
    freeze(info, true);
  });
});

export const unpauseCommand = defineCommand("unpause", "Thaw paused containers", "unpause CONTAINER [CONTAINER...]", {}, { min: 1 }, async (cl) => {
    const { freeze } = await lifecycle();
  const { store } = containerContext(cl);
  return each(cl.rest, store, async (info) => {
    if (info.status !== "paused") throw new ExitError(`container ${cl.rest[0]} is not paused`, 1);
    freeze(info, false);
  });
});

export const renameCommand = defineCommand("rename", "Rename a container", "rename CONTAINER NEW_NAME", {}, { min: 2, max: 2 }, async (cl) => {
  const { store } = containerContext(cl);
  const info = infoOf(store, cl.rest[0]!);
  const name = cl.rest[1]!.replace(/^\//, "");
  const unlock = store.lock();
  try {
    store.claimName(name, info.id);
    const { writeConfig } = await import("../container/state");
    writeConfig(info.dir, { ...info.config, name });
    if (info.config.name && info.config.name !== name) store.releaseName(info.config.name, info.id);
  } finally {
    unlock();
  }
  return 0;
});

export const pruneCommand = defineCommand(
  "prune",
  "Remove every stopped container",
  "container prune [OPTIONS]",
  { force: { type: "boolean", alias: "f", description: "Do not ask" } },
  { min: 0, max: 0 },
  async (cl) => {
    const { removeContainer } = await lifecycle();
    const { store, ctx } = containerContext(cl);
    if (!cl.booleans.force && !(await confirm("This will remove all stopped containers."))) return 0;
    const gone: string[] = [];
    for (const c of store.list()) {
      if (c.status !== "exited" && c.status !== "dead" && !(c.status === "created" && c.pids === null)) continue;
      await removeContainer(ctx, c, { force: false, volumes: false });
      gone.push(c.id);
    }
    out(`Deleted Containers:\n${gone.map((id) => `${id}\n`).join("")}\nTotal reclaimed space: 0B\n`);
    return 0;
  },
);
