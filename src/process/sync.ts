// The parent ↔ init protocol: JSON lines over one socketpair (fd 3 in the init).
//   parent → init: plan, console-ack
//   init → parent: log, console (a pty master fd number the parent takes with pidfd_getfd), error
// The init's end is close-on-exec, so a successful execve shows up in the parent as end of file.
// The message schema lives in sync-schema.ts: the parent checks what the init sends with valibot;
// the init (on every start path) does not load valibot to read what its own parent wrote.
import { readFd, waitReadable, writeFd } from "../../ffi/files";
import { errnoName } from "../../ffi/errno";
import type { SyncMessage } from "./sync-schema";

export type { SyncMessage };

/** The fd the init finds its end of the socketpair on. */
export const INIT_SYNC_FD = 3;

export class SyncSocket {
  private pending = "";
  constructor(
    readonly fd: number,
    private readonly check: (raw: unknown) => SyncMessage = (raw) => raw as SyncMessage,
  ) {}

  send(msg: SyncMessage): void {
    const rc = writeFd(this.fd, Buffer.from(JSON.stringify(msg) + "\n"));
    if (rc < 0) throw new Error(`sync: write to fd ${this.fd}: ${errnoName(-rc)}`);
  }

  /** The next message, or null at end of file (the peer exec'd or exited). */
  receive(): SyncMessage | null {
    const buf = Buffer.allocUnsafe(65536);
    while (!this.pending.includes("\n")) {
      // The handshake is short and strictly ordered, so it blocks. The parent's end is Bun's own
      // (non-blocking) socket, whose flags we leave alone: wait with poll() instead.
      const n = readFd(this.fd, buf);
      if (n === -11 /* EAGAIN */) {
        waitReadable(this.fd);
        continue;
      }
      if (n === -4) continue; // EINTR
      if (n === 0 || n === -104) return null; // EOF, ECONNRESET
      if (n < 0) throw new Error(`sync: read from fd ${this.fd}: ${errnoName(-n)}`);
      this.pending += buf.toString("utf8", 0, n);
    }
    const nl = this.pending.indexOf("\n");
    const line = this.pending.slice(0, nl);
    this.pending = this.pending.slice(nl + 1);
    return this.check(JSON.parse(line));
  }
}
