// `ctr import`, `ctr save`, `ctr image from-host`.
import { out, err } from "../output";
import type { CommandDef } from "citty";
import * as fs from "node:fs";
import { commandArgs, parseArgs, withStore } from "./common";
import { importImage, imageFromHost, saveArchive, type SaveFormat } from "../image/archive";
import { findImage } from "../image/container-layers";
import { shortId } from "../image/digest";
import { parseReference, refName } from "../image/reference";
import { UsageError } from "../errors";
import { writeAll } from "../files";
import type { FlagDefs } from "../cli/argv";

const IMPORT_FLAGS = {
  name: { type: "string", description: "Tag the imported image NAME[:TAG]", valueHint: "NAME" },
  "allow-devices": { type: "boolean", description: "Keep device nodes found in layers (refused by default)" },
} satisfies FlagDefs;

export const importCommand = {
  meta: { name: "import", description: "Import a docker-archive, an OCI layout (dir or tar) or a rootfs tarball: ctr import FILE|- [--name NAME]" },
  args: commandArgs(IMPORT_FLAGS),
  async run({ rawArgs }) {
    const cl = parseArgs(rawArgs, IMPORT_FLAGS, "import", "import FILE|- [--name NAME[:TAG]]", { min: 1, max: 2 });
    const name = cl.strings.name?.[0] ?? cl.rest[1];
    if (name) parseReference(name);
    return withStore(cl, async (store) => {
      if (cl.booleans["allow-devices"]) store.checkDevicesAllowed();
      const results = await importImage(store, cl.rest[0]!, { name, allowDevices: cl.booleans["allow-devices"] ?? false });
      for (const r of results) out(r.names.length ? r.names.map((n) => `Loaded image: ${n}\n`).join("") : `Loaded image ID: ${r.id}\n`);
      return 0;
    });
  },
} satisfies CommandDef;

const LOAD_FLAGS = {
  input: { type: "string", alias: "i", description: "Read from FILE instead of stdin", valueHint: "FILE" },
  quiet: { type: "boolean", alias: "q", description: "Print nothing" },
} satisfies FlagDefs;

export const loadCommand = {
  meta: { name: "load", description: "Load images from a docker-archive or OCI archive (a tar file or stdin)" },
  args: commandArgs(LOAD_FLAGS),
  usage: "ctr load [OPTIONS]",
  async run({ rawArgs }) {
    const cl = parseArgs(rawArgs, LOAD_FLAGS, "load", "load [-i FILE] [-q]", { min: 0, max: 0 });
    const input = cl.strings.input?.[0] ?? "-";
    if (input === "-" && process.stdin.isTTY) throw new UsageError("load: requested load from stdin, but stdin is a terminal: use -i FILE or a redirect");
    return withStore(cl, async (store) => {
      const results = await importImage(store, input, { allowDevices: false, archivesOnly: true });
      if (!cl.booleans.quiet) for (const r of results) out(r.names.length ? r.names.map((n) => `Loaded image: ${n}\n`).join("") : `Loaded image ID: ${r.id}\n`);
      return 0;
    });
  },
} satisfies CommandDef & { usage: string };

const SAVE_FLAGS = {
  output: { type: "string", alias: "o", description: "Write to FILE (default: stdout, if it is not a terminal)", valueHint: "FILE" },
  format: { type: "string", description: "docker (docker-archive, also an OCI layout; the default) or oci", valueHint: "FORMAT" },
} satisfies FlagDefs;

export const saveCommand = {
  meta: { name: "save", description: "Save images to a tar archive: ctr save IMAGE... [-o FILE] [--format docker|oci]" },
  args: commandArgs(SAVE_FLAGS),
  async run({ rawArgs }) {
    const cl = parseArgs(rawArgs, SAVE_FLAGS, "save", "save IMAGE... [-o FILE] [--format docker|oci]", { min: 1 });
    const format = (cl.strings.format?.[0] ?? "docker") as SaveFormat;
    if (format !== "docker" && format !== "oci") throw new UsageError(`--format: unknown format ${JSON.stringify(format)} (docker or oci)`);
    const output = cl.strings.output?.[0];
    if (!output && process.stdout.isTTY) throw new UsageError("save: refusing to write an archive to a terminal: use -o FILE or a redirect");
    return withStore(cl, async (store) => {
      const images = cl.rest.map((ref) => {
        const rec = findImage(store, ref);
        if (!rec) throw new Error(`save ${ref}: no such image`);
        let names = store.tagsOf(rec.id);
        try {
          const asked = refName(parseReference(ref));
          if (names.includes(asked)) names = [asked];
        } catch {
          /* an id: all its names */
        }
        return { rec, names };
      });
      const tmp = output ? `${output}.tmp-${process.pid}` : null;
      const fd = tmp ? fs.openSync(tmp, "w", 0o644) : 1;
      try {
        for await (const chunk of saveArchive(store, images, format)) writeAll(fd, chunk, output ?? "stdout");
        if (tmp) {
          fs.closeSync(fd);
          fs.renameSync(tmp, output!);
        }
      } catch (e) {
        if (tmp) {
          fs.closeSync(fd);
          fs.rmSync(tmp, { force: true });
        }
        throw e;
      }
      return 0;
    });
  },
} satisfies CommandDef;

export const fromHostCommand = {
  meta: { name: "from-host", description: "Make a one-layer image of host programs and the libraries they load: ctr image from-host NAME PROGRAM..." },
  args: commandArgs({}),
  async run({ rawArgs }) {
    const cl = parseArgs(rawArgs, {}, "image from-host", "image from-host NAME PROGRAM...", { min: 2 });
    const [name, ...programs] = cl.rest as [string, ...string[]];
    parseReference(name);
    return withStore(cl, async (store) => {
      const r = await imageFromHost(store, name, programs);
      err(r.files.map((f) => `  ${f}\n`).join(""));
      out(`${r.names[0]} ${shortId(r.id)}\n`);
      return 0;
    });
  },
} satisfies CommandDef;
