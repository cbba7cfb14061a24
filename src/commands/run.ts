// `ctr run`: flags → request → (image) → the container's start and wait (container/run.ts).
import { out } from "../output";
import type { CommandDef } from "citty";
import { parseCommandLine, toCittyArgs } from "../cli/argv";
import { buildRunRequest, RUN_FLAGS, type RunImage } from "../cli/run-options";
import { runContainer } from "../container/run";
import { startProgram } from "../container/start";
import { containerDir, createContainerDir, stateRoot } from "../container/state";
import { removeContainerFiles } from "../container/remove";
import { log, setLogLevel } from "../log";
import { planContainer } from "../plan/container";
import { formatProgram } from "../stage/format";
import { LinuxSys } from "../sys/linux";
import { traced } from "../sys/trace";
import { getWinsize } from "../terminal";
import { RLIMIT_NOFILE } from "../../ffi/constants";
import { detectCgroupHost } from "../cgroups/index";
import { UsageError } from "../errors";
import type { ImageStore } from "../image/store";

// A citty command definition; citty itself is loaded only to render help (cli/main.ts).
export const runCommand = {
  meta: { name: "run", description: "Run a command in a new container: ctr run [flags] IMAGE [CMD [ARG...]], or --rootfs DIR CMD" },
  args: toCittyArgs(RUN_FLAGS),
  async run({ rawArgs }) {
    const cl = parseCommandLine(rawArgs, RUN_FLAGS, "run");
    const level = cl.strings["log-level"]?.[0];
    if (level) setLogLevel(level);
    const sys = traced(new LinuxSys());
    const hard = sys.getrlimit(RLIMIT_NOFILE).hard;
    const cgroups = detectCgroupHost();
    const dryRun = cl.booleans["dry-run"] ?? false;
    const root = stateRoot(cl.strings.root?.[0]);

    // The image store is loaded only for images: --rootfs stays on the lean path.
    let store: ImageStore | null = null;
    let image: (RunImage & { id: string }) | undefined;
    let images: typeof import("../image/run-image") | undefined;
    try {
      if (cl.strings.rootfs === undefined) {
        const ref = cl.rest[0];
        if (ref === undefined) throw new UsageError("no image given: ctr run [flags] IMAGE [CMD [ARG...]], or ctr run --rootfs DIR CMD");
        images = await import("../image/run-image");
        store = images.openStoreFor(root);
        image = await images.imageForRun(store, ref, { pull: cl.strings.pull?.[0] ?? "missing", platform: cl.strings.platform?.[0] });
      }
      const req = buildRunRequest(cl, {
        hostEnv: process.env,
        nofileHard: hard >= 2n ** 63n ? "unlimited" : Number(hard),
        consoleSize: getWinsize(0) ?? getWinsize(1),
        hostCpus: cgroups.cpus,
        image,
      });
      const o = req.options;
      const run = {
        options: o,
        interactive: req.interactive,
        root,
        dir: containerDir(root, o.id),
        image: image ? { id: image.id, name: image.name } : null,
        cgroups,
        name: null,
        autoRemove: true,
        detached: false,
        log: { maxBytes: 0, maxFiles: 1 },
      };
      if (dryRun) {
        const plan = planContainer(o, cgroups);
        const program = startProgram(sys, plan, run);
        out(formatProgram(o.id, plan.namespaces, program) + "\n");
        log.debug(JSON.stringify(program, (_, x) => (x instanceof Uint8Array ? `<${x.length} bytes>` : x), 2));
        return 0;
      }
      createContainerDir(root, o.id);
      let forgetImage = () => {};
      try {
        if (images && store && image) {
          forgetImage = images.prepareContainer(store, image.id, o, run.dir);
          // The container's row protects its layers from here: the lookup's lock can go.
          store.unlock();
        }
        return await runContainer(sys, run);
      } finally {
        removeContainerFiles(run.dir);
        forgetImage();
      }
    } finally {
      store?.close();
    }
  },
} satisfies CommandDef;
