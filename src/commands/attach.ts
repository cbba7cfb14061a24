// `ctr attach` and `ctr start -a`: a client of the monitor's attach socket (protocol in
// ffi/stage/attach.h). Output frames go to stdout/stderr, stdin goes in as frames, the terminal's
// size follows SIGWINCH; Ctrl-P Ctrl-Q detaches (Docker's keys) and leaves the container running.
// The container's end closes the socket; the exit code is then read from its exit record.
import { SIGNALS } from "../../ffi/constants";
import { writeFd } from "../../ffi/files";
import { ExitError } from "../errors";
import { err } from "../output";
import { readExit } from "../container/state";
import { signalContainer, waitForExit } from "../container/lifecycle";
import type { ContainerInfo } from "../container/store";
import { FORWARDED_SIGNALS } from "../container/run";
import { FRAME, connectAttach, frame } from "../container/attach-socket";
import { getWinsize, isTerminal, makeRaw } from "../terminal";

const CTRL_P = 0x10;
const CTRL_Q = 0x11;

/** Docker's detach keys in a stdin stream: what to send on, and whether the user detached. */
export class DetachKeys {
  private held = false;
  scan(data: Uint8Array): { send: Uint8Array; detach: boolean } {
    const out: number[] = [];
    for (const b of data) {
      if (this.held) {
        this.held = false;
        if (b === CTRL_Q) return { send: Uint8Array.from(out), detach: true };
        out.push(CTRL_P);
      }
      if (b === CTRL_P) this.held = true;
      else out.push(b);
    }
    return { send: Uint8Array.from(out), detach: false };
  }
}

export interface AttachOptions {
  stdin: boolean;
  /** Called once connected (`start -a` releases the container's command here). */
  start?: () => Promise<void>;
  /** Forward ctr's signals to the container (Docker's --sig-proxy, on without a terminal). */
  sigProxy?: boolean;
}

export async function attachTo(info: ContainerInfo, o: AttachOptions): Promise<number> {
  const name = info.config.name ?? info.id.slice(0, 12);
  const tty = info.config.tty;
  const cleanups: (() => void)[] = [];
  let detached = false;
  try {
    let closed!: () => void;
    const done = new Promise<void>((resolve) => (closed = resolve));
    const socket = await connectAttach(info.dir, (kind, data) => writeFd(kind === FRAME.stderr ? 2 : 1, Buffer.from(data)), () => closed());
    if (!socket) throw new ExitError(`you cannot attach to a stopped container, start it first (${name})`, 1);
    cleanups.push(() => socket.end());
    if (tty && isTerminal(0)) {
      cleanups.push(makeRaw(0));
      const resize = () => {
        const size = getWinsize(0);
        if (size) socket.write(frame(FRAME.resize, Buffer.from(`${size.rows} ${size.cols}`)));
      };
      resize();
      process.on("SIGWINCH", resize);
      cleanups.push(() => process.off("SIGWINCH", resize));
    } else if (o.sigProxy !== false) {
      for (const sig of FORWARDED_SIGNALS) {
        const forward = () => {
          try {
            signalContainer(info, SIGNALS[sig]!);
          } catch {
            /* it has ended */
          }
        };
        process.on(sig, forward);
        cleanups.push(() => process.off(sig, forward));
      }
    }
    if (o.stdin) {
      const keys = new DetachKeys();
      const onData = (chunk: Buffer) => {
        const { send, detach } = tty ? keys.scan(chunk) : { send: chunk, detach: false };
        if (send.length) socket.write(frame(FRAME.stdin, send));
        if (detach) {
          detached = true;
          closed();
        }
      };
      const onEnd = () => socket.write(frame(FRAME.stdinEnd));
      process.stdin.on("data", onData);
      process.stdin.on("end", onEnd);
      cleanups.push(() => {
        process.stdin.off("data", onData);
        process.stdin.off("end", onEnd);
        process.stdin.pause();
      });
    }
    if (o.start) await o.start();
    await done;
  } finally {
    for (const c of cleanups.reverse()) c();
  }
  if (detached) {
    err("\r\nread escape sequence\r\n");
    return 0;
  }
  // The socket closes once the exit is recorded (or the monitor died: then wait a moment).
  const exit = readExit(info.dir) ?? (await waitForExit(info.dir, 2000));
  return exit?.exitCode ?? 0;
}
