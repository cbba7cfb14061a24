// Pseudo-terminals. The init opens the pty pair inside the container's own devpts instance and makes
// the slave its controlling terminal; the parent takes the master with pidfd_getfd and relays it to
// the caller's terminal, which it puts in raw mode and always restores.
import * as fs from "node:fs";
import { ptr } from "bun:ffi";
import { C } from "../ffi/libc";
import {
  O_CLOEXEC, O_NOCTTY, O_RDWR, TCSANOW, TIOCGPTN, TIOCGWINSZ, TIOCSCTTY, TIOCSPTLCK, TIOCSWINSZ,
} from "../ffi/constants";
import type { Sys } from "./sys/sys";

export interface ConsoleSize { rows: number; cols: number }

const TTY_GID = 5; // the "tty" group owns pty slaves, as devpts' gid=5 option says

/** Init side: returns the master fd (to hand to the parent); 0, 1, 2 now point at the slave. */
export function openConsole(sys: Sys, size: ConsoleSize | null, uid: number): number {
  const master = sys.open("/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC);
  sys.ioctl(master, TIOCSPTLCK, new Uint8Array(4), "TIOCSPTLCK /dev/ptmx");
  const n = new Uint32Array(1);
  sys.ioctl(master, TIOCGPTN, new Uint8Array(n.buffer), "TIOCGPTN /dev/ptmx");
  const slavePath = `/dev/pts/${n[0]}`;
  const slave = sys.open(slavePath, O_RDWR | O_NOCTTY | O_CLOEXEC);
  sys.fchown(slave, uid, TTY_GID);
  if (size) setWinsize(sys, slave, size);
  sys.setsid();
  sys.ioctl(slave, TIOCSCTTY, null, `TIOCSCTTY ${slavePath}`);
  for (const fd of [0, 1, 2]) sys.dup3(slave, fd, 0);
  if (slave > 2) sys.close(slave);
  return master;
}

export function setWinsize(sys: Sys, fd: number, size: ConsoleSize): void {
  const ws = new Uint16Array([size.rows, size.cols, 0, 0]);
  sys.ioctl(fd, TIOCSWINSZ, new Uint8Array(ws.buffer), "TIOCSWINSZ");
}

export function getWinsize(fd: number): ConsoleSize | null {
  const ws = new Uint16Array(4);
  if (C.ioctl(fd, TIOCGWINSZ, ptr(ws)) < 0) return null;
  return { rows: ws[0]!, cols: ws[1]! };
}

/** Puts fd in raw mode; the returned function restores it (idempotent). */
export function makeRaw(fd: number): () => void {
  const saved = new Uint8Array(64); // struct termios is 60 bytes on Linux
  if (C.tcgetattr(fd, ptr(saved)) < 0) return () => {};
  const raw = saved.slice();
  C.cfmakeraw(ptr(raw));
  C.tcsetattr(fd, TCSANOW, ptr(raw));
  let restored = false;
  return () => {
    if (restored) return;
    restored = true;
    C.tcsetattr(fd, TCSANOW, ptr(saved));
  };
}

/**
 * Parent side: copies stdin → master and master → stdout until the container side closes
 * (reads on the master then fail with EIO). Resolves when all output has been written.
 */
export async function relayConsole(master: number, stdinOpen: boolean): Promise<void> {
  if (stdinOpen) {
    process.stdin.on("data", (chunk: Buffer) => {
      try {
        fs.writeSync(master, chunk);
      } catch {
        /* the container closed its terminal */
      }
    });
    process.stdin.resume();
  }
  const out = fs.createReadStream("", { fd: master, autoClose: false, highWaterMark: 65536 });
  await new Promise<void>((resolve) => {
    out.on("data", (chunk) => process.stdout.write(chunk));
    out.on("error", () => resolve()); // EIO: the slave side is gone
    out.on("end", () => resolve());
  });
  if (stdinOpen) process.stdin.pause();
}
