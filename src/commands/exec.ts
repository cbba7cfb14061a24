// `ctr exec [OPTIONS] CONTAINER COMMAND [ARG...]`: Docker's flags; exits with the command's code
// (126 cannot invoke, 127 not found, 125 when ctr itself failed).
import type { CommandDef } from "citty";
import { parseCommandLine, toCittyArgs, type FlagDefs } from "../cli/argv";
import { parseEnvEntry, readEnvFile } from "../cli/run-flags";
import { ExitError, UsageError } from "../errors";
import { out } from "../output";
import { planExec } from "../plan/exec";
import { formatProgram } from "../stage/format";
import { getWinsize, isTerminal } from "../terminal";
import { parseUserSpec } from "../user";
import { execInContainer, execProgramFor } from "../container/exec";
import { ROOT_FLAG } from "./common";
import { containerContext, infoOf } from "./containers";
import { setLogLevel } from "../log";

const EXEC_FLAGS = {
  detach: { type: "boolean", alias: "d", description: "Run the command in the background" },
  interactive: { type: "boolean", alias: "i", description: "Keep stdin open" },
  tty: { type: "boolean", alias: "t", description: "Allocate a pseudo-terminal" },
  env: { type: "string", alias: "e", multiple: true, description: "Set an environment variable (KEY=VALUE, or KEY to copy ctr's)", valueHint: "KEY=VALUE" },
  "env-file": { type: "string", multiple: true, description: "Read environment variables from a file", valueHint: "FILE" },
  workdir: { type: "string", alias: "w", description: "Working directory (default: the container's)", valueHint: "DIR" },
  user: { type: "string", alias: "u", description: "User: UID[:GID] or NAME[:GROUP] (default: the container's)", valueHint: "USER[:GROUP]" },
  privileged: { type: "boolean", description: "Give the command every capability" },
  "dry-run": { type: "boolean", description: "Print the plan of the exec and do nothing" },
  "log-level": { type: "string", description: "debug, info, warn or error", valueHint: "LEVEL" },
  ...ROOT_FLAG,
} satisfies FlagDefs;

const usage = "ctr exec [OPTIONS] CONTAINER COMMAND [ARG...]";

async function exec(rawArgs: string[]): Promise<number> {
  const cl = parseCommandLine(rawArgs, EXEC_FLAGS, "exec");
  const level = cl.strings["log-level"]?.[0];
  if (level) setLogLevel(level);
  const [ref, ...args] = cl.rest;
  if (ref === undefined || args.length === 0) throw new UsageError(`exec: ${ref === undefined ? "no container given" : "no command given"}\nUsage: ${usage}`);
  const flag = (k: keyof typeof EXEC_FLAGS) => cl.booleans[k] ?? false;
  const workdir = cl.strings.workdir?.[0] ?? null;
  if (workdir !== null && !workdir.startsWith("/")) throw new UsageError(`--workdir ${workdir}: must be an absolute path`);
  const env = [
    ...(cl.strings["env-file"] ?? []).flatMap((f) => readEnvFile(f, process.env)),
    ...(cl.strings.env ?? []).flatMap((e) => parseEnvEntry(e, "-e", process.env) ?? []),
  ];
  const user = cl.strings.user ? parseUserSpec(cl.strings.user[0]!) : null;
  const tty = flag("tty");
  const detach = flag("detach");
  if (tty && flag("interactive") && !detach && !isTerminal(0)) throw new ExitError("the input device is not a TTY", 1);

  const { ctx, store } = containerContext(cl);
  const info = infoOf(store, ref);
  const plan = planExec(info.config.process, {
    args, env, cwd: workdir, user, tty, consoleSize: tty ? getWinsize(0) ?? getWinsize(1) : null, privileged: flag("privileged"),
  });
  const mode = { detach, interactive: flag("interactive"), privileged: flag("privileged") };
  if (flag("dry-run")) {
    out(`${formatProgram(info.id, info.config.namespaces, execProgramFor(ctx.sys, info, plan, mode))}\n`);
    return 0;
  }
  return execInContainer(ctx.sys, info, plan, mode);
}

export const execCommand = {
  meta: { name: "exec", description: "Run a command in a running container" },
  args: toCittyArgs(EXEC_FLAGS),
  usage,
  run: ({ rawArgs }) => exec(rawArgs),
} satisfies CommandDef & { usage: string };
