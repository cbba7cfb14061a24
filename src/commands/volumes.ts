// `ctr volume create|ls|inspect|rm|prune`: Docker's local volumes, with its output shapes.
import type { FlagDefs } from "../cli/argv";
import { printRows, printDocuments, confirm } from "../cli/template";
import { parseLabels } from "../cli/run-flags";
import { ExitError, UsageError } from "../errors";
import { err, out } from "../output";
import { stateRoot } from "../container/state";
import { ContainerStore } from "../container/store";
import { VolumeStore, type VolumeMeta } from "../volumes/store";
import { VOLUME_NAME } from "../volumes/spec";
import { defineCommand } from "./containers";

function volumes(cl: { strings: Record<string, string[]> }): VolumeStore {
  const root = stateRoot(cl.strings.root?.[0]);
  // Volumes of containers a killed ctr left are freed first, as for every container command.
  new ContainerStore(root).reconcile();
  return new VolumeStore(root);
}

export function volumeDocument(store: VolumeStore, meta: VolumeMeta): object {
  return {
    CreatedAt: meta.created,
    Driver: "local",
    Labels: meta.labels,
    Mountpoint: `${store.dir(meta.name)}/_data`,
    Name: meta.name,
    Options: null,
    Scope: "local",
  };
}

export const volumeCreateCommand = defineCommand(
  "create",
  "Create a volume (a random name if none is given)",
  "volume create [OPTIONS] [VOLUME]",
  { label: { type: "string", alias: "l", multiple: true, description: "Set a label (KEY=VALUE)", valueHint: "KEY=VALUE" } },
  { min: 0, max: 1 },
  async (cl) => {
    const name = cl.rest[0] ?? Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("hex");
    if (!VOLUME_NAME.test(name)) throw new UsageError(`volume create: invalid name ${JSON.stringify(name)}: only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    // As Docker: creating one that exists is fine.
    volumes(cl).create(name, { labels: parseLabels(cl.strings.label ?? []) });
    out(`${name}\n`);
    return 0;
  },
);

function matches(meta: VolumeMeta, inUse: boolean, filter: string): boolean {
  const eq = filter.indexOf("=");
  if (eq < 0) throw new UsageError(`--filter: expected KEY=VALUE, got ${JSON.stringify(filter)}`);
  const [key, value] = [filter.slice(0, eq), filter.slice(eq + 1)];
  switch (key) {
    case "name":
      return meta.name.includes(value);
    case "dangling":
      if (value !== "true" && value !== "false" && value !== "1" && value !== "0") throw new UsageError(`--filter dangling: expected true or false, got ${JSON.stringify(value)}`);
      return (value === "true" || value === "1") === !inUse;
    case "label": {
      const [k, v] = value.includes("=") ? [value.slice(0, value.indexOf("=")), value.slice(value.indexOf("=") + 1)] : [value, undefined];
      return k in meta.labels && (v === undefined || meta.labels[k] === v);
    }
    case "driver":
      return value === "local";
    default:
      throw new UsageError(`--filter: unknown filter ${JSON.stringify(key)} (name, dangling, label, driver)`);
  }
}

export const volumeLsCommand = defineCommand(
  "ls",
  "List volumes",
  "volume ls [OPTIONS]",
  {
    quiet: { type: "boolean", alias: "q", description: "Only names" },
    filter: { type: "string", alias: "f", multiple: true, description: "name=, dangling=true|false, label=KEY[=VALUE], driver=", valueHint: "KEY=VALUE" },
    format: { type: "string", description: "table, json, or a Go template ({{.Name}} {{.Mountpoint}} ...)", valueHint: "FORMAT" },
  },
  { min: 0, max: 0 },
  async (cl) => {
    const store = volumes(cl);
    const usage = store.usage();
    const list = store
      .names()
      .map((n) => store.meta(n))
      .filter((m): m is VolumeMeta => m !== null)
      .filter((m) => (cl.strings.filter ?? []).every((f) => matches(m, usage.has(m.name), f)))
      .sort((a, b) => a.name.localeCompare(b.name));
    if (cl.booleans.quiet) {
      out(list.map((m) => `${m.name}\n`).join(""));
      return 0;
    }
    const rows = list.map((m) => ({ ...volumeDocument(store, m), Links: usage.get(m.name)?.length ?? 0, Labels: Object.entries(m.labels).map(([k, v]) => `${k}=${v}`).join(",") }));
    printRows(rows, cl.strings.format?.[0], "table {{.Driver}}\t{{.Name}}");
    return 0;
  },
);

export const volumeInspectCommand = defineCommand(
  "inspect",
  "Show volumes' details as JSON",
  "volume inspect [OPTIONS] VOLUME [VOLUME...]",
  { format: { type: "string", alias: "f", description: "A Go template ({{.Mountpoint}} ...)", valueHint: "FORMAT" } },
  { min: 1 },
  async (cl) => {
    const store = volumes(cl);
    const docs: object[] = [];
    const missing: string[] = [];
    for (const name of cl.rest) {
      const meta = store.exists(name) ? store.meta(name) : null;
      if (meta) docs.push(volumeDocument(store, meta));
      else missing.push(name);
    }
    printDocuments(docs, cl.strings.format?.[0]);
    if (missing.length) throw new ExitError(`no such volume: ${missing.join(", ")}`, 1);
    return 0;
  },
);

export const volumeRmCommand = defineCommand(
  "rm",
  "Remove volumes (not while a container uses them)",
  "volume rm [OPTIONS] VOLUME [VOLUME...]",
  { force: { type: "boolean", alias: "f", description: "No error for a missing volume" } },
  { min: 1 },
  async (cl) => {
    const store = volumes(cl);
    let code = 0;
    for (const name of cl.rest) {
      try {
        if (!store.exists(name) && cl.booleans.force) continue;
        store.remove(name);
        out(`${name}\n`);
      } catch (e) {
        err(`ctr: ${(e as Error).message}\n`);
        code = e instanceof ExitError ? e.exitCode : 125;
      }
    }
    return code;
  },
);

export const volumePruneCommand = defineCommand(
  "prune",
  "Remove unused anonymous volumes (-a: every unused volume)",
  "volume prune [OPTIONS]",
  {
    all: { type: "boolean", alias: "a", description: "Named volumes too" },
    force: { type: "boolean", alias: "f", description: "Do not ask" },
  },
  { min: 0, max: 0 },
  async (cl) => {
    const store = volumes(cl);
    if (!cl.booleans.force && !(await confirm("This will remove unused volumes."))) return 0;
    const usage = store.usage();
    const gone: string[] = [];
    for (const name of store.names()) {
      const meta = store.meta(name);
      if (usage.has(name) || (!cl.booleans.all && !meta?.anonymous)) continue;
      store.remove(name);
      gone.push(name);
    }
    out(`Deleted Volumes:\n${gone.map((n) => `${n}\n`).join("")}\n`);
    return 0;
  },
);

export const volumeSubCommands = {
  create: volumeCreateCommand,
  ls: volumeLsCommand,
  inspect: volumeInspectCommand,
  rm: volumeRmCommand,
  prune: volumePruneCommand,
};
