// The last step of the init: find the command in the container's PATH and execve it, turning the
// failure into Docker's exit codes (127 not found, 126 cannot invoke) and messages.
import { fileType, isExecutable } from "../../ffi/files";
import { ptr } from "bun:ffi";
import { C } from "../../ffi/libc";
import type { Reaper } from "../../ffi/reaper";
import { EXIT, ExitError, SysError } from "../errors";
import { DEFAULT_PATH } from "../plan/plan";
import type { Sys } from "../sys/sys";

export function commandCandidates(cmd: string, env: readonly string[]): string[] {
  if (cmd.includes("/")) return [cmd];
  const pathVar = env.find((e) => e.startsWith("PATH="))?.slice(5) ?? DEFAULT_PATH;
  return pathVar.split(":").map((dir) => `${dir || "."}/${cmd}`);
}

/** Bun ignores SIGPIPE and may block signals; a container's process must start with the defaults. */
export function resetSignals(): void {
  for (let sig = 1; sig < 32; sig++) if (sig !== 9 && sig !== 19) C.signal(sig, null);
  C.sigprocmask(2 /* SIG_SETMASK */, ptr(new BigUint64Array(16)), null);
}

/** execvp: try each PATH entry; never returns. */
export function execCommand(sys: Sys, args: string[], env: string[]): never {
  const cmd = args[0]!;
  let denied = false;
  for (const path of commandCandidates(cmd, env)) {
    try {
      sys.execve(path, args, env);
    } catch (e) {
      if (!(e instanceof SysError)) throw e;
      if (e.code === "ENOENT" || e.code === "ENOTDIR") continue;
      if (e.code === "EACCES") {
        denied = true;
        continue;
      }
      if (e.code === "ENOEXEC") throw new ExitError(`exec ${JSON.stringify(cmd)}: exec format error`, EXIT.CANNOT_INVOKE);
      throw new ExitError(`exec ${JSON.stringify(cmd)}: ${e.message}`, EXIT.CANNOT_INVOKE);
    }
  }
  if (denied) throw new ExitError(`exec ${JSON.stringify(cmd)}: permission denied`, EXIT.CANNOT_INVOKE);
  throw new ExitError(`exec ${JSON.stringify(cmd)}: not found in rootfs`, EXIT.NOT_FOUND);
}

/**
 * --init: resolve the command here (for a proper error), then hand over to the C reaper for good.
 * `beforeRun` closes the sync socket: the reaper never execs, so close-on-exec would not.
 */
export function execUnderReaper(reaper: Reaper, args: string[], env: string[], beforeRun: () => void): never {
  const cmd = args[0]!;
  let denied = false;
  for (const path of commandCandidates(cmd, env)) {
    if (fileType(path) === null) continue;
    if (!isExecutable(path) || fileType(path) === "dir") {
      denied = true;
      continue;
    }
    beforeRun();
    reaper(path, args, env);
    process.exit(EXIT.CTR_FAILED); // fork failed, and nobody is listening any more
  }
  if (denied) throw new ExitError(`exec ${JSON.stringify(cmd)}: permission denied`, EXIT.CANNOT_INVOKE);
  throw new ExitError(`exec ${JSON.stringify(cmd)}: not found in rootfs`, EXIT.NOT_FOUND);
}
