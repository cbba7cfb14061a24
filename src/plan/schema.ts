// The InitPlan: everything the init stage does, as plain data. The parent computes it (plan.ts),
// `--dry-run` prints it, and the init receives it over the sync socket and checks it with this schema.
import * as v from "valibot";
import { MS, type MsFlag } from "../../ffi/constants";
import { CAPABILITIES } from "../capabilities";

export const NAMESPACE_TYPES = ["mount", "uts", "ipc", "pid", "net", "cgroup"] as const;
export type NamespaceType = (typeof NAMESPACE_TYPES)[number];

const MsFlagSchema = v.picklist(Object.keys(MS) as MsFlag[]);

const RootfsOpSchema = v.variant("op", [
  v.object({
    op: v.literal("mount"),
    source: v.nullable(v.string()),
    target: v.string(),
    fstype: v.nullable(v.string()),
    flags: v.array(MsFlagSchema),
    data: v.nullable(v.string()),
  }),
  v.object({
    op: v.literal("mount-overlay"),
    target: v.string(),
    cwd: v.string(),
    lowerdir: v.pipe(v.array(v.string()), v.minLength(1)),
    upperdir: v.string(),
    workdir: v.string(),
    options: v.array(v.string()),
  }),
  v.object({ op: v.literal("pivot_root"), rootfs: v.string() }),
  v.object({ op: v.literal("mkdir"), path: v.string(), mode: v.number() }),
  v.object({ op: v.literal("mknod"), path: v.string(), major: v.number(), minor: v.number(), mode: v.number() }),
  v.object({ op: v.literal("symlink"), path: v.string(), target: v.string() }),
  v.object({ op: v.literal("mask"), path: v.string() }),
  v.object({ op: v.literal("readonly"), path: v.string() }),
  v.object({ op: v.literal("readonly-root") }),
]);

const CapList = v.array(v.picklist(CAPABILITIES));

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

export const InitPlanSchema = v.object({
  id: v.string(),
  /** Namespaces the parent creates before it spawns the init (the init lands in them). */
  namespaces: v.array(v.object({ type: v.picklist(NAMESPACE_TYPES), mode: v.picklist(["new", "host"]) })),
  /** Namespaces the init unshares itself, after the parent has placed it in its cgroup. */
  initUnshare: v.array(v.picklist(NAMESPACE_TYPES)),
  hostname: v.nullable(v.string()),
  privileged: v.boolean(),
  loopback: v.boolean(),
  rootfs: v.array(RootfsOpSchema),
  process: v.object({
    args: v.pipe(v.array(v.string()), v.minLength(1)),
    env: v.array(v.string()),
    cwd: v.string(),
    user: UserSpecSchema,
    terminal: v.boolean(),
    consoleSize: v.nullable(v.object({ rows: v.number(), cols: v.number() })),
    init: v.boolean(),
    noNewPrivileges: v.boolean(),
    capabilities: v.object({ bounding: CapList, effective: CapList, permitted: CapList, inheritable: CapList }),
    rlimits: v.array(RlimitSchema),
  }),
  /** Carried out by the parent (src/cgroups) before the init runs anything; here for --dry-run. */
  cgroup: v.nullable(
    v.object({
      version: v.picklist(["v1", "v2"]),
      dirs: v.array(v.object({ path: v.string(), own: v.boolean() })),
      writes: v.array(v.object({ path: v.string(), value: v.string(), flag: v.string() })),
      own: v.array(v.string()),
      devices: v.nullable(
        v.array(
          v.object({
            type: v.picklist(["a", "c", "b"]),
            major: v.union([v.number(), v.literal("*")]),
            minor: v.union([v.number(), v.literal("*")]),
            access: v.string(),
          }),
        ),
      ),
    }),
  ),
});
export type InitPlan = v.InferOutput<typeof InitPlanSchema>;
