// The parent ↔ init protocol: JSON lines over one socketpair (fd 3 in the init).
//   parent → init: plan, console-ack
//   init → parent: log, console (a pty master fd number the parent takes with pidfd_getfd), error
// The init's end is close-on-exec, so a successful execve shows up in the parent as end of file.
import * as fs from "node:fs";
import * as v from "valibot";
import { C } from "../../ffi/libc";
import { F_GETFL, F_SETFL, O_NONBLOCK } from "../../ffi/constants";
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

/** The fd the init finds its end of the socketpair on. */
export const INIT_SYNC_FD = 3;

export class SyncSocket {
  private pending = "";
  constructor(readonly fd: number) {
    // Both ends are used with blocking I/O: the handshake is short and strictly ordered.
    const fl = C.fcntl(fd, F_GETFL, 0);
    if (fl >= 0 && fl & O_NONBLOCK) C.fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
  }

  send(msg: SyncMessage): void {
    const buf = Buffer.from(JSON.stringify(msg) + "\n");
    let off = 0;
    while (off < buf.length) off += fs.writeSync(this.fd, buf, off);
  }

  /** The next message, or null at end of file (the peer exec'd or exited). */
  receive(): SyncMessage | null {
    const buf = Buffer.allocUnsafe(65536);
    while (!this.pending.includes("\n")) {
      let n: number;
      try {
        n = fs.readSync(this.fd, buf, 0, buf.length, null);
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === "EINTR") continue;
        if ((e as NodeJS.ErrnoException).code === "ECONNRESET") return null;
        throw e;
      }
      if (n === 0) return null;
      this.pending += buf.toString("utf8", 0, n);
    }
    const nl = this.pending.indexOf("\n");
    const line = this.pending.slice(0, nl);
    this.pending = this.pending.slice(nl + 1);
    const parsed = v.safeParse(SyncMessageSchema, JSON.parse(line));
    if (!parsed.success) throw new Error(`sync: malformed message: ${v.summarize(parsed.issues)}`);
    return parsed.output;
  }
}
