import type { RunOptions } from "../../src/plan/plan";

export const baseOptions = (over: Partial<RunOptions> = {}): RunOptions => ({
  id: "a".repeat(64),
  rootfs: "/var/lib/ctr/r",
  args: ["sh"],
  env: ["PATH=/bin"],
  cwd: "/",
  user: { user: 0, group: null },
  hostname: "aaaaaaaaaaaa",
  network: "none",
  tty: false,
  consoleSize: null,
  init: false,
  readOnly: false,
  privileged: false,
  capAdd: [],
  capDrop: [],
  noNewPrivileges: null,
  ulimits: [],
  nofileHard: 4096,
  ...over,
});
