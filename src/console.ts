// The init's side of a pseudo-terminal: open the pair inside the container's own devpts instance
// and make the slave the controlling terminal. (terminal.ts has the parent's side.)
import {
  O_CLOEXEC, O_NOCTTY, O_RDWR, TIOCGPTN, TIOCGWINSZ, TIOCSCTTY, TIOCSPTLCK, TIOCSWINSZ,
} from "../ffi/constants";
import { ptr } from "bun:ffi";
import { C } from "../ffi/libc";
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
