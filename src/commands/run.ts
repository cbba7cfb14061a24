import { out } from "../output";
import type { CommandDef } from "citty";
import { parseCommandLine, toCittyArgs } from "../cli/argv";
import { buildRunRequest, RUN_FLAGS, type RunImage } from "../cli/run-options";
import { runContainer } from "../container/run";
import { log, setLogLevel, sinceStart } from "../log";
import { planContainer } from "../plan/plan";
import { formatPlan } from "../plan/format";
import { LinuxSys } from "../sys/linux";
import { traced } from "../sys/trace";
import { getWinsize } from "../console";
import { RLIMIT_NOFILE } from "../../ffi/constants";
import { detectCgroupHost } from "../cgroups/index";
import { UsageError } from "../errors";
import { planNamespaces } from "../plan/plan";
import { spawnInit, type InitProcess } from "../process/spawn";
import { killInit } from "../container/run";
import { isDebug } from "../log";
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

    // The image store is loaded only for images: --rootfs stays on the lean path.
    let store: ImageStore | null = null;
    let image: (RunImage & { id: string }) | undefined;
    let releaseImage = () => {};
    let images: typeof import("../image/run-image") | undefined;
    let early: InitProcess | undefined;
    let handedOver = false;
    const step = (m: string) => log.debug(`[${sinceStart()}] ${m}`);
    try {
      if (cl.strings.rootfs === undefined) {
        const ref = cl.rest[0];
        if (ref === undefined) throw new UsageError("no image given: ctr run [flags] IMAGE [CMD [ARG...]], or ctr run --rootfs DIR CMD");
        if (!dryRun) {
          // The init boots (a whole Bun start) while the store is read: it needs only its
          // namespaces now, and waits for the plan.
          const network = cl.strings.network?.[0] === "host" ? "host" : "none";
          const stdin = cl.booleans.interactive && !cl.booleans.tty ? "inherit" : "ignore";
          early = spawnInit(sys, planNamespaces({ network }), stdin, isDebug(), step);
        }
        step("loading the image store");
        images = await import("../image/run-image");
        step("store module loaded");
        store = images.openStoreFor(cl.strings.root?.[0]);
        step("store open");
        image = await images.imageForRun(store, ref, {
          pull: cl.strings.pull?.[0] ?? "missing",
          platform: cl.strings.platform?.[0],
        });
        step(`image ${image.id.slice(7, 19)} resolved`);
      }
      const req = buildRunRequest(cl, {
        hostEnv: process.env,
        nofileHard: hard >= 2n ** 63n ? "unlimited" : Number(hard),
        consoleSize: getWinsize(0) ?? getWinsize(1),
        hostCpus: cgroups.cpus,
        image,
      });
      if (dryRun) {
        const plan = planContainer(req.options, cgroups);
        out(formatPlan(plan) + "\n");
        log.debug(JSON.stringify(plan, null, 2));
        return 0;
      }
      if (images && store && image) {
        releaseImage = images.prepareContainer(store, image.id, req.options);
        // The container's row protects its layers from here: the lookup's lock can go.
        store.unlock();
        step("container layers ready");
      }
      handedOver = true;
      return await runContainer(sys, req.options, req.interactive, cgroups, early);
    } finally {
      if (early && !handedOver) await killInit(early);
      releaseImage();
      store?.close();
    }
  },
} satisfies CommandDef;
