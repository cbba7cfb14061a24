// ctr's own output, written synchronously. Bun's process.stdout.write to a pipe is asynchronous,
// and process.exit drops what is still queued (measured: 64 KiB of 4 MiB arrive), so `ctr images
// --format json | jq` or `ctr save | ...` could be cut short. A full non-blocking pipe is waited on.
import { writeFd } from "../ffi/files";

export function out(text: string | Uint8Array): void {
  writeFd(1, typeof text === "string" ? Buffer.from(text) : (text as Buffer));
}

export function err(text: string | Uint8Array): void {
  writeFd(2, typeof text === "string" ? Buffer.from(text) : (text as Buffer));
}
