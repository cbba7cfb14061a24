// Error types and exit codes. Every failure a user sees names what failed, where, and why.
import { errnoName, errnoText } from "../ffi/errno";

/** Exit codes, as Docker and podman document them. */
export const EXIT = {
  /** ctr itself failed (bad flag, setup error). */
  CTR_FAILED: 125,
  /** the command exists but cannot be invoked (permission, not executable). */
  CANNOT_INVOKE: 126,
  /** the command was not found in the container's root filesystem. */
  NOT_FOUND: 127,
} as const;

/** A failed system call: `mount proc on /proc: EPERM (Operation not permitted)`. */
export class SysError extends Error {
  constructor(
    readonly syscall: string,
    readonly errno: number,
    /** What the call acted on, as the user would name it: a path, "proc on /proc", "CLONE_NEWNS". */
    readonly subject?: string,
    /** Extra facts that explain the call (mount flags and data). */
    readonly detail?: string,
  ) {
    const what = [syscall, subject].filter(Boolean).join(" ");
    super(`${what}${detail ? ` (${detail})` : ""}: ${errnoName(errno)} (${errnoText(errno)})`);
    this.name = "SysError";
  }
  get code(): string {
    return errnoName(this.errno);
  }
}

/** Bad input from the user: a flag value, a missing rootfs. Reported before anything is created. */
export class UsageError extends Error {
  override name = "UsageError";
}

/** A failure with a specific exit code (127 not found, 126 cannot invoke). */
export class ExitError extends Error {
  override name = "ExitError";
  constructor(message: string, readonly exitCode: number) {
    super(message);
  }
}

export function exitCodeOf(err: unknown): number {
  return err instanceof ExitError ? err.exitCode : EXIT.CTR_FAILED;
}
