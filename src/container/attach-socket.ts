// ctr's side of the monitor's attach socket (the protocol is in ffi/stage/attach.h): frames of
// [u8 kind][u32 length][bytes], and a connection made by a name relative to the container's
// directory (its full path may not fit in sun_path's 108 bytes).
export const FRAME = { stdin: 0, stdout: 1, stderr: 2, resize: 3, stdinEnd: 4, followLog: 5, log: 6, following: 7 } as const;

export function frame(kind: number, data: Uint8Array = new Uint8Array(0)): Uint8Array {
  const f = new Uint8Array(5 + data.length);
  f[0] = kind;
  new DataView(f.buffer).setUint32(1, data.length, true);
  f.set(data, 5);
  return f;
}

/** Splits a byte stream into frames; keeps a partial frame for the next chunk. */
export class FrameReader {
  private pending = new Uint8Array(0);
  push(chunk: Uint8Array, on: (kind: number, data: Uint8Array) => void): void {
    const buf = this.pending.length ? Buffer.concat([this.pending, chunk]) : chunk;
    let at = 0;
    while (buf.length - at >= 5) {
      const len = new DataView(buf.buffer, buf.byteOffset + at + 1, 4).getUint32(0, true);
      if (buf.length - at < 5 + len) break;
      on(buf[at]!, buf.subarray(at + 5, at + 5 + len));
      at += 5 + len;
    }
    this.pending = buf.slice(at);
  }
}

export type AttachSocket = Awaited<ReturnType<typeof Bun.connect>>;

/** Connects to <dir>/attach.sock; frames go to onFrame; null if nothing listens there. */
export async function connectAttach(dir: string, onFrame: (kind: number, data: Uint8Array) => void, onClose: () => void): Promise<AttachSocket | null> {
  const reader = new FrameReader();
  const cwd = process.cwd();
  try {
    process.chdir(dir);
    return await Bun.connect({
      unix: "attach.sock",
      socket: {
        data: (_s, chunk) => reader.push(chunk, onFrame),
        close: () => onClose(),
        error: () => onClose(),
      },
    });
  } catch {
    return null;
  } finally {
    process.chdir(cwd);
  }
}
