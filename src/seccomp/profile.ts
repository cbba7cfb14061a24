// Seccomp profiles in Docker's JSON format (what `--security-opt seccomp=FILE` reads, and what
// Docker's own default is written in), as a valibot schema.
import * as v from "valibot";

export const ACTIONS = [
  "SCMP_ACT_ALLOW", "SCMP_ACT_ERRNO", "SCMP_ACT_KILL", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_KILL_PROCESS",
  "SCMP_ACT_TRAP", "SCMP_ACT_LOG", "SCMP_ACT_TRACE",
] as const;
export type SeccompAction = (typeof ACTIONS)[number];

export const COMPARISONS = ["SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE", "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ"] as const;
export type SeccompComparison = (typeof COMPARISONS)[number];

const Action = v.picklist(ACTIONS, (issue) => `unknown action ${JSON.stringify(issue.input)} (known: ${ACTIONS.join(", ")})`);
const Int = v.pipe(v.number(), v.integer(), v.minValue(0));

const Filter = v.object({
  caps: v.optional(v.nullable(v.array(v.string()))),
  arches: v.optional(v.nullable(v.array(v.string()))),
  minKernel: v.optional(v.nullable(v.string())),
});

export const SyscallRuleSchema = v.object({
  names: v.optional(v.nullable(v.array(v.string()))),
  name: v.optional(v.string()),
  action: Action,
  errnoRet: v.optional(v.nullable(Int)),
  args: v.optional(
    v.nullable(
      v.array(
        v.object({
          index: v.pipe(Int, v.maxValue(5)),
          value: Int,
          valueTwo: v.optional(Int),
          op: v.picklist(COMPARISONS, (issue) => `unknown comparison ${JSON.stringify(issue.input)}`),
        }),
      ),
    ),
  ),
  includes: v.optional(v.nullable(Filter)),
  excludes: v.optional(v.nullable(Filter)),
  comment: v.optional(v.string()),
});
export type SyscallRule = v.InferOutput<typeof SyscallRuleSchema>;

export const ProfileSchema = v.object({
  defaultAction: Action,
  defaultErrnoRet: v.optional(v.nullable(Int)),
  architectures: v.optional(v.nullable(v.array(v.string()))),
  archMap: v.optional(v.nullable(v.array(v.object({ architecture: v.string(), subArchitectures: v.nullable(v.array(v.string())) })))),
  flags: v.optional(v.nullable(v.array(v.string()))),
  listenerPath: v.optional(v.string()),
  syscalls: v.optional(v.nullable(v.array(SyscallRuleSchema))),
});
export type SeccompProfile = v.InferOutput<typeof ProfileSchema>;
