// `ctr container-exited ID` (hidden): the monitor's exit command, run when a container has exited
// and no ctr is waiting for it (its foreground ctr was killed). It does what that ctr would have
// done: remove an auto-removed container's directory and forget its image record.
import type { CommandDef } from "citty";
import { parseArgs } from "./common";
import { containerDir, readConfig, stateRoot } from "../container/state";
import { removeContainerFiles } from "../container/remove";

export const containerExitedCommand = {
  meta: { name: "container-exited", description: "(internal) run by a container's monitor when it exits", hidden: true },
  async run({ rawArgs }) {
    const cl = parseArgs(rawArgs, {}, "container-exited", "container-exited ID", { min: 1, max: 1 });
    const root = stateRoot(cl.strings.root?.[0]);
    const id = cl.rest[0]!;
    if (!/^[0-9a-f]{64}$/.test(id)) return 125;
    const dir = containerDir(root, id);
    const config = readConfig(dir);
    if (config === null || !config.autoRemove) return 0;
    removeContainerFiles(dir);
    if (config.image) {
      const { ImageStore } = await import("../image/store");
      const store = ImageStore.open(root);
      try {
        store.removeContainer(id);
      } finally {
        store.close();
      }
    }
    return 0;
  },
} satisfies CommandDef;
