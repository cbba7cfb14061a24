// A container's cgroup plan as stored in its state directory (container/state.ts reads it back).
import * as v from "valibot";

export const CgroupPlanSchema = v.object({
  version: v.picklist(["v1", "v2"]),
  /** Directories to create, ancestors first; the container's own are `own`. */
  dirs: v.array(v.object({ path: v.string(), own: v.boolean() })),
  writes: v.array(v.object({ path: v.string(), value: v.string(), flag: v.string() })),
  /** The container's own directories: where its processes go, and what removal takes down. */
  own: v.array(v.string()),
  /** v2: the device allow list, attached as an eBPF program (null: no filter, --privileged). */
  devices: v.nullable(
    v.array(v.object({ type: v.picklist(["a", "c", "b"]), major: v.union([v.number(), v.literal("*")]), minor: v.union([v.number(), v.literal("*")]), access: v.string() })),
  ),
});
export type CgroupPlan = v.InferOutput<typeof CgroupPlanSchema>;
