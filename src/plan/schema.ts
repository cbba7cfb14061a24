// The parts of a plan that are also stored (a container's state directory keeps its process plan,
// so `exec` can start another process with the same credentials and filter). valibot schemas; the
// TypeScript types are inferred from them.
import * as v from "valibot";
import { CAPABILITIES } from "../capabilities";

export const RlimitSchema = v.object({
  type: v.string(),
  resource: v.number(),
  soft: v.union([v.number(), v.literal("unlimited")]),
  hard: v.union([v.number(), v.literal("unlimited")]),
});
export type Rlimit = v.InferOutput<typeof RlimitSchema>;

export const UserSpecSchema = v.object({
  /** A number, or a name looked up in the container's /etc/passwd. */
  user: v.union([v.number(), v.string()]),
  /** A number, a name from the container's /etc/group, or null for the user's primary group. */
  group: v.nullable(v.union([v.number(), v.string()])),
});
export type UserSpec = v.InferOutput<typeof UserSpecSchema>;

const CapList = v.array(v.picklist(CAPABILITIES));

/** Which seccomp filter: Docker's default profile, none, or a profile file (Docker's JSON format). */
export const SeccompChoiceSchema = v.variant("mode", [
  v.object({ mode: v.literal("default") }),
  v.object({ mode: v.literal("unconfined") }),
  v.object({ mode: v.literal("profile"), path: v.string(), json: v.string() }),
]);
export type SeccompChoice = v.InferOutput<typeof SeccompChoiceSchema>;

/** The process of a container (its PID 1, or a process exec'd into it). */
export const ProcessPlanSchema = v.object({
  args: v.pipe(v.array(v.string()), v.minLength(1)),
  env: v.array(v.string()),
  cwd: v.string(),
  user: UserSpecSchema,
  terminal: v.boolean(),
  consoleSize: v.nullable(v.object({ rows: v.number(), cols: v.number() })),
  /** --init: a reaper stays PID 1 and runs the command as its child. */
  init: v.boolean(),
  noNewPrivileges: v.boolean(),
  capabilities: v.object({ bounding: CapList, effective: CapList, permitted: CapList, inheritable: CapList }),
  rlimits: v.array(RlimitSchema),
  seccomp: SeccompChoiceSchema,
});
export type ProcessPlan = v.InferOutput<typeof ProcessPlanSchema>;
