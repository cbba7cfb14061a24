// `ctr run` and `ctr create`: flags (all checked first) → image (found or pulled) → the
// container's directory, name, layers, volumes and config → its start, foreground or detached.
import { out } from "../output";
import type { CommandDef } from "citty";
import { parseCommandLine, toCittyArgs } from "../cli/argv";
import { RUN_FLAGS, parseRunFlags } from "../cli/run-flags";
import { buildRunRequest, checkRootfs, newContainerId, type RunImage } from "../cli/run-options";
import { runForeground } from "../container/run";
import { startProgram, step } from "../container/start";
import { containerConfig } from "../container/start";
import { containerDir, stateRoot } from "../container/state";
import { containerExited, createContainer, launchRequest, removeContainer, startDetached, type Context, type ImageUse } from "../container/lifecycle";
import { ContainerStore } from "../container/store";
import { log, setLogLevel } from "../log";
import { planContainer } from "../plan/container";
import { formatProgram } from "../stage/format";
import { LinuxSys } from "../sys/linux";
import { traced } from "../sys/trace";
import { getWinsize, isTerminal } from "../terminal";
import { RLIMIT_NOFILE } from "../../ffi/constants";
import { detectCgroupHost } from "../cgroups/index";
import { ExitError, UsageError } from "../errors";
import type { ImageStore } from "../image/store";

const usage = (cmd: string) => `ctr ${cmd} [OPTIONS] IMAGE [COMMAND] [ARG...]\n       ctr ${cmd} [OPTIONS] --rootfs DIR COMMAND [ARG...]`;

async function runOrCreate(rawArgs: string[], mode: "run" | "create"): Promise<number> {
  step("run: modules loaded");
  const cl = parseCommandLine(rawArgs, RUN_FLAGS, mode);
  const level = cl.strings["log-level"]?.[0];
  if (level) setLogLevel(level);
  const sys = traced(new LinuxSys());
  const hard = sys.getrlimit(RLIMIT_NOFILE).hard;
  const cgroups = detectCgroupHost();
  const root = stateRoot(cl.strings.root?.[0]);
  // Every flag is checked before an image is looked up or pulled.
  const flags = parseRunFlags(cl, { hostEnv: process.env, hostCpus: cgroups.cpus });
  if (mode === "create" && flags.detach) throw new UsageError("create: -d means nothing here (create never starts the container)");
  if (mode === "run" && flags.detach && flags.autoRemove && flags.restart.name !== "no") throw new UsageError("--rm and --restart cannot be used together");
  if (mode === "run" && flags.tty && flags.interactive && !flags.detach && !isTerminal(0)) throw new ExitError("the input device is not a TTY", 1);
  const rootfs = cl.strings.rootfs?.[0] !== undefined ? checkRootfs(cl.strings.rootfs[0]) : null;
  const dryRun = cl.booleans["dry-run"] ?? false;
  const ctx: Context = { sys, root, cgroups };

  // The image store is loaded only for images: --rootfs stays on the lean path.
  let store: ImageStore | null = null;
  let image: RunImage | undefined;
  let images: typeof import("../image/run-image") | undefined;
  try {
    if (rootfs === null) {
      const ref = cl.rest[0];
      if (ref === undefined) throw new UsageError(`no image given\nUsage: ${usage(mode)}`);
      images = await import("../image/run-image");
      store = images.openStoreFor(root);
      image = await images.imageForRun(store, ref, { pull: cl.strings.pull?.[0] ?? "missing", platform: cl.strings.platform?.[0] });
    }
    const req = buildRunRequest(flags, {
      id: newContainerId(),
      rootfs,
      image,
      args: rootfs === null ? cl.rest.slice(1) : cl.rest,
      nofileHard: hard >= 2n ** 63n ? "unlimited" : Number(hard),
      consoleSize: getWinsize(0) ?? getWinsize(1),
    });
    if (dryRun) {
      const o = req.options;
      const config = containerConfig(o, cgroups, { name: flags.name, image: null, autoRemove: flags.autoRemove, restart: flags.restart, labels: flags.labels, stopSignal: req.stopSignal, stopTimeout: 10, log: flags.log, tty: flags.tty, interactive: flags.interactive });
      const program = startProgram(sys, planContainer(o, cgroups), launchRequest(ctx, config, { detached: flags.detach || mode === "create", interactive: flags.interactive, waitForStart: mode === "create" }));
      out(formatProgram(o.id, config.namespaces, program) + "\n");
      log.debug(JSON.stringify(program, (_, x) => (x instanceof Uint8Array ? `<${x.length} bytes>` : x), 2));
      return 0;
    }
    const use: ImageUse | null =
      image && images && store ? { id: image.id, name: image.name, prepare: (dir) => images!.prepareContainer(store!, image!.id, req.options, dir) } : null;
    step("request made");
    const config = createContainer(ctx, req, use);
    step("container created (directory, name, config)");
    // The container's `image` file protects its layers from here: the lookup's lock can go.
    store?.unlock();
    if (mode === "create") {
      await startDetached(ctx, config, true);
      out(`${config.id}\n`);
      return 0;
    }
    if (flags.detach) {
      await startDetached(ctx, config);
      out(`${config.id}\n`);
      return 0;
    }
    let code: number;
    try {
      code = await runForeground(ctx, config, flags.interactive);
    } finally {
      // ctr waited, so ctr does what the monitor's exit command would have: --rm, or a restart.
      step("cleanup after exit");
      const info = new ContainerStore(root).info(config.id);
      if (info && config.autoRemove) await removeContainer(ctx, info, { force: true, volumes: true });
      else if (info?.exit) await containerExited(ctx, config.id);
    }
    step("done");
    return code;
  } finally {
    store?.close();
  }
}

// citty command definitions; citty itself is loaded only to render help (cli/main.ts).
export const runCommand = {
  meta: { name: "run", description: "Create and start a container, and wait for it (or -d)" },
  args: toCittyArgs(RUN_FLAGS),
  usage: usage("run"),
  run: ({ rawArgs }) => runOrCreate(rawArgs, "run"),
} satisfies CommandDef & { usage: string };

export const createCommand = {
  meta: { name: "create", description: "Create a container, set up and waiting for `ctr start`" },
  args: toCittyArgs(RUN_FLAGS),
  usage: usage("create"),
  run: ({ rawArgs }) => runOrCreate(rawArgs, "create"),
} satisfies CommandDef & { usage: string };

export { containerDir };
