import { defineCommand } from "citty";
import { runInit } from "../process/init";
import { LinuxSys } from "../sys/linux";

export const initCommand = defineCommand({
  meta: { name: "init", description: "Internal: the container's init stage (started by ctr run)", hidden: true },
  run() {
    runInit(new LinuxSys(), process.env.CTR_INIT_DEBUG === "1");
  },
});
