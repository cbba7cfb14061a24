// The parent's side of a pseudo-terminal: the init opened the pair inside the container (console.ts);
// ctr takes the master with pidfd_getfd and relays it to the caller's terminal, which it puts in raw
// mode and always restores.
import { out } from "./output";
import * as fs from "node:fs";
import { ptr } from "bun:ffi";
import { C } from "../ffi/libc";
import { TCSANOW } from "../ffi/constants";


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
  const fromConsole = fs.createReadStream("", { fd: master, autoClose: false, highWaterMark: 65536 });
  await new Promise<void>((resolve) => {
    fromConsole.on("data", (chunk) => out(chunk));
    fromConsole.on("error", () => resolve()); // EIO: the slave side is gone
    fromConsole.on("end", () => resolve());
  });
  if (stdinOpen) process.stdin.pause();
}
