// Mount flags by name (as crun's mount_flags.c spells them): for plans, and for error messages.
import { MS, type MsFlag } from "../ffi/constants";

export function mountFlags(names: readonly MsFlag[]): number {
  return names.reduce((acc, n) => acc | MS[n], 0);
}

export function mountFlagsToString(flags: number): string {
  const names = (Object.keys(MS) as MsFlag[]).filter((n) => flags & MS[n]).map((n) => `MS_${n}`);
  return names.length ? names.join("|") : "0";
}
