import type { CommandDef } from "citty";
import { parseCommandLine, toCittyArgs } from "../cli/argv";
import { buildRunRequest, RUN_FLAGS } from "../cli/run-options";
import { runContainer } from "../container/run";
import { log, setLogLevel } from "../log";
import { planContainer } from "../plan/plan";
import { formatPlan } from "../plan/format";
import { LinuxSys } from "../sys/linux";
import { traced } from "../sys/trace";
import { getWinsize } from "../console";
import { RLIMIT_NOFILE } from "../../ffi/constants";
import { detectCgroupHost } from "../cgroups/index";

// A citty command definition; citty itself is loaded only to render help (cli/main.ts).
export const runCommand = {
  meta: { name: "run", description: "Run a command in a new container: ctr run --rootfs DIR [flags] [--] CMD [ARG...]" },
  args: toCittyArgs(RUN_FLAGS),
  async run({ rawArgs }) {
    const cl = parseCommandLine(rawArgs, RUN_FLAGS, "run");
    const level = cl.strings["log-level"]?.[0];
    if (level) setLogLevel(level);
    const sys = traced(new LinuxSys());
    const hard = sys.getrlimit(RLIMIT_NOFILE).hard;
    const cgroups = detectCgroupHost();
    const req = buildRunRequest(cl, {
      hostEnv: process.env,
      nofileHard: hard >= 2n ** 63n ? "unlimited" : Number(hard),
      consoleSize: getWinsize(0) ?? getWinsize(1),
      hostCpus: cgroups.cpus,
    });
    if (req.dryRun) {
      const plan = planContainer(req.options, cgroups);
      process.stdout.write(formatPlan(plan) + "\n");
      log.debug(JSON.stringify(plan, null, 2));
      return 0;
    }
    return runContainer(sys, req.options, req.interactive, cgroups);
  },
} satisfies CommandDef;
