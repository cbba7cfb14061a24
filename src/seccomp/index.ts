// Seccomp for a container's process: which profile (Docker's default, none, or a file in Docker's
// format), compiled to the BPF filter the stage loads before execve. The common case (the default
// profile and capabilities) is precompiled; the compiler, the profile schema and the syscall tables
// load only for the others.
import { readTextFile } from "../../ffi/files";
import { UsageError } from "../errors";
import type { SeccompChoice } from "../plan/schema";
import type { CompiledFilter } from "./compile";
import type { SeccompProfile } from "./profile";
import { DEFAULT_FILTERS } from "./default-filters";
import { DEFAULT_FILTER_KERNEL } from "./default-filter-key";
import { DEFAULT_CAPABILITIES, type Capability } from "../capabilities";

export type { CompiledFilter } from "./compile";

/** `--security-opt seccomp=unconfined|PROFILE.json`: the profile file is read now, once. */
export function parseSeccompOption(value: string): SeccompChoice {
  if (value === "unconfined") return { mode: "unconfined" };
  const json = readTextFile(value);
  if (json === null) throw new UsageError(`--security-opt seccomp=${value}: cannot read the profile file`);
  parseProfile(json, value); // refused now, before anything starts
  return { mode: "profile", path: value, json };
}

export function parseProfile(json: string, where: string): SeccompProfile {
  const v = require("valibot") as typeof import("valibot");
  const { ProfileSchema } = require("./profile") as typeof import("./profile");
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch {
    throw new UsageError(`seccomp profile ${where}: not valid JSON`);
  }
  const r = v.safeParse(ProfileSchema, raw);
  if (!r.success) {
    const issue = r.issues[0];
    const path = issue.path?.map((p: { key: unknown }) => String(p.key)).join(".") ?? "";
    throw new UsageError(`seccomp profile ${where}: invalid${path ? ` at ${path}` : ""}: ${issue.message}`);
  }
  return r.output;
}

/** The running kernel's major.minor (for Docker's minKernel conditions). */
export function kernelVersion(): readonly [number, number] {
  const [maj = 0, min = 0] = (readTextFile("/proc/sys/kernel/osrelease") ?? "0.0").split(/[.-]/).map(Number);
  return [maj, min];
}

/** null for unconfined. */
export function seccompFilter(choice: SeccompChoice, bounding: readonly Capability[]): (CompiledFilter & { profile: string }) | null {
  if (choice.mode === "unconfined") return null;
  const native = process.arch === "arm64" ? "arm64" : "x64";
  const kernel = kernelVersion();
  if (choice.mode === "default" && sameSet(bounding, DEFAULT_CAPABILITIES) && !kernelBefore(kernel, DEFAULT_FILTER_KERNEL)) {
    // The common case, compiled ahead (default-filters.ts): the same bytes, without the work.
    const f = DEFAULT_FILTERS[native];
    const filter = Buffer.from(f.base64, "base64");
    return { filter, instructions: filter.length / 8, summary: f.summary, profile: "Docker's default profile" };
  }
  const { compileProfile } = require("./compile") as typeof import("./compile");
  const { DEFAULT_PROFILE } = require("./default-profile") as typeof import("./default-profile");
  const profile = choice.mode === "default" ? DEFAULT_PROFILE : parseProfile(choice.json, choice.path);
  const compiled = compileProfile(profile, { native, caps: bounding.map((c) => `CAP_${c}`), kernel });
  return { ...compiled, profile: choice.mode === "default" ? "Docker's default profile" : choice.path };
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((x) => b.includes(x));
}

function kernelBefore(have: readonly [number, number], want: readonly [number, number]): boolean {
  return have[0] < want[0] || (have[0] === want[0] && have[1] < want[1]);
}
