// The sync messages as a valibot schema (see sync.ts). Only the parent loads this.
import * as v from "valibot";
import { InitPlanSchema } from "../plan/schema";

export const SyncMessageSchema = v.variant("type", [
  v.object({ type: v.literal("plan"), plan: InitPlanSchema }),
  v.object({ type: v.literal("console-ack") }),
  v.object({ type: v.literal("log"), level: v.picklist(["debug", "info", "warn"]), message: v.string(), ms: v.number() }),
  v.object({ type: v.literal("console"), fd: v.number() }),
  v.object({
    type: v.literal("error"),
    message: v.string(),
    exitCode: v.number(),
    syscall: v.optional(v.string()),
    errno: v.optional(v.string()),
  }),
]);
export type SyncMessage = v.InferOutput<typeof SyncMessageSchema>;

export function parseSyncMessage(raw: unknown): SyncMessage {
  const r = v.safeParse(SyncMessageSchema, raw);
  if (!r.success) throw new Error(`sync: malformed message from the init: ${v.summarize(r.issues)}`);
  return r.output;
}
