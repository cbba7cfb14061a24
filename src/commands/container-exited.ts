// `ctr container-exited ID` (hidden): the monitor's exit command, run when a container has exited
// and no ctr is waiting for it. It does what that ctr would: the restart policy, or --rm.
import type { CommandDef } from "citty";
import { parseArgs } from "./common";
import { stateRoot } from "../container/state";
import { containerExited } from "../container/lifecycle";
import { detectCgroupHost } from "../cgroups/index";
import { LinuxSys } from "../sys/linux";

export const containerExitedCommand = {
  meta: { name: "container-exited", description: "(internal) run by a container's monitor when it exits", hidden: true },
  async run({ rawArgs }) {
    const cl = parseArgs(rawArgs, {}, "container-exited", "container-exited ID", { min: 1, max: 1 });
    const id = cl.rest[0]!;
    if (!/^[0-9a-f]{64}$/.test(id)) return 125;
    await containerExited({ sys: new LinuxSys(), root: stateRoot(cl.strings.root?.[0]), cgroups: detectCgroupHost() }, id);
    return 0;
  },
} satisfies CommandDef;
