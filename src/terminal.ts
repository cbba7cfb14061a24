// The caller's terminal during `ctr run -t`: raw mode while the monitor relays the container's
// pty (the relay itself is native), always restored; and its size, passed at start.
import { ptr } from "bun:ffi";
import { C } from "../ffi/libc";
import { TCSANOW, TIOCGWINSZ } from "../ffi/constants";

export interface ConsoleSize {
  rows: number;
  cols: number;
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

export function getWinsize(fd: number): ConsoleSize | null {
  const ws = new Uint16Array(4);
  if (C.ioctl(fd, TIOCGWINSZ, ptr(ws)) < 0) return null;
  return { rows: ws[0]!, cols: ws[1]! };
}

export function isTerminal(fd: number): boolean {
  return getWinsize(fd) !== null;
}
