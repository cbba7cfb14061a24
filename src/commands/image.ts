// Image commands: pull, images, rmi, image prune/inspect, login, logout.
import { out, err } from "../output";
import type { CommandDef } from "citty";
import { commandArgs, parseArgs, withStore } from "./common";
import { pullImage } from "../image/pull";
import { createProgress } from "../image/progress";
import { parsePlatform } from "../image/schema";
import { findImage } from "../image/container-layers";
import { parseReference, refName, familiarRepo } from "../image/reference";
import { shortId } from "../image/digest";
import { ExitError, UsageError } from "../errors";
import { NoSuchObject } from "../container/store";
import { ImageStore, stateRoot } from "../image/store";
import { printDocuments, printRows } from "../cli/template";
import { log } from "../log";
import type { FlagDefs } from "../cli/argv";
import { saveCredentials, parseCreds } from "../image/auth";
import { RegistryClient } from "../image/registry";
import { formatBytes } from "../units";

export const PULL_FLAGS = {
  platform: { type: "string", description: "Platform to pull from a multi-platform image (default: the host's)", valueHint: "OS/ARCH[/VARIANT]" },
  insecure: { type: "boolean", description: "Allow plain HTTP to this registry (always allowed for localhost and 127.0.0.0/8)" },
  creds: { type: "string", description: "Registry credentials (else from `ctr login` or ~/.docker/config.json)", valueHint: "USER:PASSWORD" },
  "allow-devices": { type: "boolean", description: "Keep device nodes found in layers (refused by default)" },
  quiet: { type: "boolean", alias: "q", description: "No progress output" },
} satisfies FlagDefs;

/** Layers moved at once by pull and push: CTR_PULL_CONCURRENCY, default 3. */
function transferConcurrency(): number {
  return Number(process.env.CTR_PULL_CONCURRENCY ?? 3) || 3;
}

/** Shared by `ctr pull` and `ctr run`'s implicit pull. */
export async function pullWithProgress(store: ImageStore, ref: string, o: { platform?: string; insecure: boolean; creds?: string; allowDevices: boolean; quiet: boolean }) {
  const r = await pullImage(store, ref, {
    platform: o.platform ? parsePlatform(o.platform) : null,
    insecure: o.insecure,
    creds: o.creds,
    allowDevices: o.allowDevices,
    concurrency: transferConcurrency(),
    progress: createProgress(process.stderr, o.quiet),
  });
  if (!o.quiet) {
    err(`Digest: ${r.repoDigest.slice(r.repoDigest.indexOf("@") + 1)}\n`);
    err(r.upToDate ? `Status: Image is up to date for ${r.name}\n` : `Status: Downloaded newer image for ${r.name}\n`);
  }
  return r;
}

export const pullCommand = {
  meta: { name: "pull", description: "Pull an image from a registry: ctr pull [flags] NAME[:TAG|@DIGEST]" },
  args: commandArgs(PULL_FLAGS),
  async run({ rawArgs }) {
    const cl = parseArgs(rawArgs, PULL_FLAGS, "pull", "pull [flags] NAME[:TAG|@DIGEST]", { min: 1, max: 1 });
    return withStore(cl, async (store) => {
      if (cl.booleans["allow-devices"]) store.checkDevicesAllowed();
      const r = await pullWithProgress(store, cl.rest[0]!, {
        platform: cl.strings.platform?.[0],
        insecure: cl.booleans.insecure ?? false,
        creds: cl.strings.creds?.[0],
        allowDevices: cl.booleans["allow-devices"] ?? false,
        quiet: cl.booleans.quiet ?? false,
      });
      out(`${r.name}\n`);
      return 0;
    });
  },
} satisfies CommandDef;

const IMAGES_FLAGS = {
  all: { type: "boolean", alias: "a", description: "All images (ctr keeps no intermediate ones: the same list)" },
  format: { type: "string", description: "table (the default), json, or a Go template ({{.Repository}}:{{.Tag}} ...)", valueHint: "FORMAT" },
  quiet: { type: "boolean", alias: "q", description: "Only image ids" },
} satisfies FlagDefs;

function ago(iso: string): string {
  const t = Date.parse(iso);
  if (!Number.isFinite(t)) return "N/A";
  const s = Math.max(0, (Date.now() - t) / 1000);
  for (const [unit, n] of [["years", 31536000], ["months", 2592000], ["weeks", 604800], ["days", 86400], ["hours", 3600], ["minutes", 60]] as const) {
    if (s >= 2 * n) return `${Math.floor(s / n)} ${unit} ago`;
  }
  return s >= 60 ? "About a minute ago" : "Less than a minute ago";
}

/** One row per tag; an untagged image is one "<none>" row (Docker lists those too). */
export function imageRows(store: ImageStore) {
  const rows: { repository: string; tag: string; id: string; created: string; size: number; digest: string }[] = [];
  for (const img of store.listImages()) {
    const digest = img.repoDigests[0]?.split("@")[1] ?? "";
    if (img.tags.length === 0) {
      rows.push({ repository: "<none>", tag: "<none>", id: img.id, created: img.created, size: img.size, digest });
      continue;
    }
    for (const t of img.tags) {
      const r = parseReference(t);
      rows.push({ repository: familiarRepo(r), tag: r.tag ?? "<none>", id: img.id, created: img.created, size: img.size, digest });
    }
  }
  return rows;
}

export const imagesCommand = {
  meta: { name: "images", description: "List images" },
  args: commandArgs(IMAGES_FLAGS),
  usage: "ctr images [OPTIONS] [REPOSITORY[:TAG]]",
  async run({ rawArgs }) {
    const cl = parseArgs(rawArgs, IMAGES_FLAGS, "images", "images [OPTIONS] [REPOSITORY[:TAG]]", { min: 0, max: 1 });
    const format = cl.strings.format?.[0] ?? "table";
    return withStore(cl, async (store) => {
      let rows = imageRows(store);
      if (cl.rest[0]) rows = rows.filter((r) => r.repository === cl.rest[0] || r.repository === familiarRepo(parseReference(cl.rest[0]!)) || `${r.repository}:${r.tag}` === cl.rest[0]);
      if (cl.booleans.quiet) {
        out([...new Set(rows.map((r) => shortId(r.id)))].map((s) => `${s}\n`).join(""));
        return 0;
      }
      const fields = rows.map((r) => ({ Repository: r.repository, Tag: r.tag, ID: shortId(r.id), Id: r.id, Digest: r.digest, CreatedAt: r.created, CreatedSince: ago(r.created), Size: formatBytes(r.size) }));
      // --format json keeps ctr's document (an array); templates and table are Docker's.
      if (format === "json") out(JSON.stringify(rows.map((r) => ({ Repository: r.repository, Tag: r.tag, Id: r.id, Digest: r.digest, Created: r.created, Size: r.size })), null, 2) + "\n");
      else printRows(fields, format, "table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}", { ID: "IMAGE ID", CreatedSince: "CREATED" });
      return 0;
    });
  },
} satisfies CommandDef & { usage: string };

const RMI_FLAGS = { force: { type: "boolean", alias: "f", description: "Remove even if a container uses it (the tag goes; the layers stay until it exits)" } } satisfies FlagDefs;

/** rmi: untag; the image goes when no tag is left and no container uses it. Then GC. */
export function removeImages(store: ImageStore, refs: string[], force: boolean): string[] {
  const lines: string[] = [];
  const inUse = store.imagesInUse();
  for (const ref of refs) {
    const rec = findImage(store, ref);
    if (!rec) throw new NoSuchObject(`no such image: ${ref}`);
    const users = inUse.get(rec.id) ?? [];
    const tags = store.tagsOf(rec.id);
    let byName: string | null = null;
    try {
      const parsed = parseReference(ref);
      if (tags.includes(refName(parsed))) byName = refName(parsed);
    } catch {
      /* an id */
    }
    // One name of several just goes, as in Docker, whoever uses the image.
    if (byName && tags.length > 1) {
      store.untag(byName);
      lines.push(`Untagged: ${byName}`);
      continue;
    }
    if (users.length && !force) {
      throw new ExitError(`rmi ${ref}: the image is used by container ${users[0]!.slice(0, 12)} (remove the container first, or use -f to untag the image)`, 1);
    }
    if (!byName && tags.length > 1 && !force) throw new Error(`rmi ${ref}: image is referenced in multiple repositories (use -f)`);
    for (const t of tags) lines.push(`Untagged: ${t}`);
    if (users.length) {
      for (const t of tags) store.untag(t);
      continue;
    }
    store.deleteImage(rec.id);
    lines.push(`Deleted: ${rec.id}`);
  }
  return lines;
}

export function collectGarbage(store: ImageStore): void {
  const r = store.gc();
  if (r === null) log.warn("the store is busy (a pull is running): unreferenced layers are removed by the next rmi or prune");
  else if (r.blobs || r.layers) log.debug(`gc: removed ${r.layers} layers and ${r.blobs} blobs, ${formatBytes(r.bytes)}`);
}

export const rmiCommand = {
  meta: { name: "rmi", description: "Remove images: ctr rmi [-f] IMAGE..." },
  args: commandArgs(RMI_FLAGS),
  async run({ rawArgs }) {
    const cl = parseArgs(rawArgs, RMI_FLAGS, "rmi", "rmi [-f] IMAGE...", { min: 1 });
    return withStore(cl, async (store) => {
      const lines = removeImages(store, cl.rest, cl.booleans.force ?? false);
      out(lines.map((l) => `${l}\n`).join(""));
      collectGarbage(store);
      return 0;
    });
  },
} satisfies CommandDef;

const PRUNE_FLAGS = { all: { type: "boolean", alias: "a", description: "Remove every image no container uses, not only untagged ones" } } satisfies FlagDefs;

export const pruneCommand = {
  meta: { name: "prune", description: "Remove untagged images (all unused with -a) and unreferenced data" },
  args: commandArgs(PRUNE_FLAGS),
  async run({ rawArgs }) {
    const cl = parseArgs(rawArgs, PRUNE_FLAGS, "image prune", "image prune [-a]", { min: 0, max: 0 });
    return withStore(cl, async (store) => {
      const inUse = store.imagesInUse();
      for (const img of store.listImages()) {
        if (inUse.has(img.id)) continue;
        if (img.tags.length && !cl.booleans.all) continue;
        for (const t of img.tags) out(`Untagged: ${t}\n`);
        store.deleteImage(img.id);
        out(`Deleted: ${img.id}\n`);
      }
      const r = store.gc();
      if (r === null) throw new Error("image prune: the store is busy (a pull is running); try again");
      out(`Total reclaimed space: ${formatBytes(r.bytes)}\n`);
      return 0;
    });
  },
} satisfies CommandDef;

/** Docker's `image inspect` document, or null if there is no such image. */
export async function inspectImageDocument(root: string, ref: string): Promise<object | null> {
  const store = ImageStore.open(root);
  try {
    const rec = findImage(store, ref);
    if (!rec) return null;
    const config = store.configOf(rec);
    return {
      Id: rec.id,
      RepoTags: store.tagsOf(rec.id),
      RepoDigests: rec.repoDigests,
      Created: rec.created,
      Size: rec.size,
      Architecture: config.architecture,
      Os: config.os,
      Author: config.author ?? "",
      Config: config.config ?? {},
      RootFS: { Type: "layers", Layers: config.rootfs.diff_ids },
      History: config.history ?? [],
      Manifest: store.manifestOf(rec),
    };
  } finally {
    store.close();
  }
}

const IMAGE_INSPECT_FLAGS = { format: { type: "string", alias: "f", description: "A Go template ({{.Id}}, {{json .Config}} ...)", valueHint: "FORMAT" } } satisfies FlagDefs;

export const inspectCommand = {
  meta: { name: "inspect", description: "Show images' records, manifests and configs as JSON" },
  args: commandArgs(IMAGE_INSPECT_FLAGS),
  async run({ rawArgs }) {
    const cl = parseArgs(rawArgs, IMAGE_INSPECT_FLAGS, "image inspect", "image inspect [-f FORMAT] IMAGE [IMAGE...]", { min: 1 });
    const root = stateRoot(cl.strings.root?.[0]);
    const docs: object[] = [];
    for (const ref of cl.rest) {
      const doc = await inspectImageDocument(root, ref);
      if (!doc) throw new NoSuchObject(`no such image: ${ref}`);
      docs.push(doc);
    }
    printDocuments(docs, cl.strings.format?.[0]);
    return 0;
  },
} satisfies CommandDef;

export const existsCommand = {
  meta: { name: "exists", description: "Exit 0 if the image is in the store, 1 if not" },
  args: commandArgs({}),
  async run({ rawArgs }) {
    const cl = parseArgs(rawArgs, {}, "image exists", "image exists IMAGE", { min: 1, max: 1 });
    return withStore(cl, async (store) => (findImage(store, cl.rest[0]!) ? 0 : 1));
  },
} satisfies CommandDef;

const LOGIN_FLAGS = {
  username: { type: "string", alias: "u", description: "User name", valueHint: "USER" },
  password: { type: "string", alias: "p", description: "Password (prefer --password-stdin)", valueHint: "PASSWORD" },
  "password-stdin": { type: "boolean", description: "Read the password from stdin" },
  insecure: { type: "boolean", description: "Allow plain HTTP to this registry" },
} satisfies FlagDefs;

export const loginCommand = {
  meta: { name: "login", description: "Log in to a registry: ctr login [-u USER] [-p PASS | --password-stdin] HOST" },
  args: commandArgs(LOGIN_FLAGS),
  async run({ rawArgs }) {
    const cl = parseArgs(rawArgs, LOGIN_FLAGS, "login", "login [-u USER] [-p PASS | --password-stdin] HOST", { min: 1, max: 1 });
    const host = cl.rest[0]!.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
    let username = cl.strings.username?.[0];
    let password = cl.strings.password?.[0];
    if (cl.booleans["password-stdin"]) {
      if (password !== undefined) throw new UsageError("--password and --password-stdin are mutually exclusive");
      password = (await new Response(Bun.stdin.stream()).text()).replace(/\r?\n$/, "");
    }
    if (username === undefined || password === undefined) {
      if (!process.stdin.isTTY) throw new UsageError("login: give -u USER and -p PASS or --password-stdin (stdin is not a terminal)");
      username ??= prompt("Username:") ?? "";
      password ??= prompt("Password:") ?? "";
    }
    const creds = parseCreds(`${username}:${password}`);
    // Check the credentials before saving them, as docker login does.
    await new RegistryClient(host, "", { insecure: cl.booleans.insecure ?? false, credentials: creds }).ping();
    saveCredentials(host, creds);
    out("Login Succeeded\n");
    return 0;
  },
} satisfies CommandDef;

export const logoutCommand = {
  meta: { name: "logout", description: "Forget a registry's credentials: ctr logout HOST" },
  args: commandArgs({}),
  async run({ rawArgs }) {
    const cl = parseArgs(rawArgs, {}, "logout", "logout HOST", { min: 1, max: 1 });
    const host = cl.rest[0]!.replace(/^https?:\/\//, "").replace(/\/.*$/, "");
    const had = saveCredentials(host, null);
    out(had ? `Removing login credentials for ${host}\n` : `Not logged in to ${host}\n`);
    return 0;
  },
} satisfies CommandDef;

export const tagCommand = {
  meta: { name: "tag", description: "Give an image another name: ctr tag SOURCE TARGET[:TAG]" },
  args: commandArgs({}),
  async run({ rawArgs }) {
    const cl = parseArgs(rawArgs, {}, "tag", "tag SOURCE TARGET[:TAG]", { min: 2, max: 2 });
    const target = parseReference(cl.rest[1]!);
    if (target.tag === null) throw new UsageError(`tag ${cl.rest[1]}: a tag, not a digest, names the new image`);
    return withStore(cl, async (store) => {
      const rec = findImage(store, cl.rest[0]!);
      if (!rec) throw new Error(`tag ${cl.rest[0]}: no such image`);
      store.putImage(rec, [refName(target)]);
      return 0;
    });
  },
} satisfies CommandDef;

const PUSH_FLAGS = {
  insecure: PULL_FLAGS.insecure,
  creds: PULL_FLAGS.creds,
  quiet: PULL_FLAGS.quiet,
} satisfies FlagDefs;

export const pushCommand = {
  meta: { name: "push", description: "Push an image to a registry: ctr push [flags] IMAGE [REGISTRY/NAME[:TAG]]" },
  args: commandArgs(PUSH_FLAGS),
  async run({ rawArgs }) {
    const cl = parseArgs(rawArgs, PUSH_FLAGS, "push", "push [flags] IMAGE [REGISTRY/NAME[:TAG]]", { min: 1, max: 2 });
    const { pushImage } = await import("../image/push");
    return withStore(cl, async (store) => {
      const r = await pushImage(store, cl.rest[0]!, cl.rest[1], {
        insecure: cl.booleans.insecure ?? false,
        creds: cl.strings.creds?.[0],
        progress: createProgress(process.stderr, cl.booleans.quiet ?? false),
        concurrency: transferConcurrency(),
      });
      out(`${r.name}@${r.digest}\n`);
      return 0;
    });
  },
} satisfies CommandDef;
