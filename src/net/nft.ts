// libnftables (Debian's libnftables1) through bun:ffi, with its JSON API: the same library `nft`
// is, kept by the netfilter project; one batch per call, applied atomically by the kernel.
import { dlopen, FFIType, ptr, type Pointer } from "bun:ffi";
import { ExitError } from "../errors";
import type { NftCommand } from "./rules";

const { ptr: p, u32, i32, cstring, void: none } = FFIType;
const NFT_CTX_OUTPUT_HANDLE = 1 << 3;
const NFT_CTX_OUTPUT_JSON = 1 << 4;

let lib: ReturnType<typeof open> | null = null;
function open() {
  return dlopen("libnftables.so.1", {
    nft_ctx_new: { args: [u32], returns: p },
    nft_ctx_free: { args: [p], returns: none },
    nft_ctx_output_set_flags: { args: [p, u32], returns: none },
    nft_ctx_buffer_output: { args: [p], returns: i32 },
    nft_ctx_buffer_error: { args: [p], returns: i32 },
    nft_ctx_get_output_buffer: { args: [p], returns: cstring },
    nft_ctx_get_error_buffer: { args: [p], returns: cstring },
    nft_run_cmd_from_buffer: { args: [p, p], returns: i32 },
  }).symbols;
}

function nftLib() {
  if (!lib) {
    try {
      lib = open();
    } catch {
      throw new ExitError("nftables: cannot load libnftables.so.1 (install Debian's libnftables1)", 125);
    }
  }
  return lib;
}

/** Runs commands (one JSON batch); returns the library's JSON output (for list commands). */
export function nft(commands: NftCommand[] | string, what: string): string {
  const n = nftLib();
  const ctx = n.nft_ctx_new(0) as Pointer;
  try {
    n.nft_ctx_output_set_flags(ctx, NFT_CTX_OUTPUT_JSON | NFT_CTX_OUTPUT_HANDLE);
    n.nft_ctx_buffer_output(ctx);
    n.nft_ctx_buffer_error(ctx);
    const text = typeof commands === "string" ? commands : JSON.stringify({ nftables: [{ metainfo: { json_schema_version: 1 } }, ...commands] });
    const buf = Buffer.from(`${text}\0`);
    const rc = n.nft_run_cmd_from_buffer(ctx, ptr(buf));
    if (rc !== 0) {
      const err = String(n.nft_ctx_get_error_buffer(ctx) ?? "").trim().split("\n")[0] ?? "";
      throw new ExitError(`nftables: ${what}: ${err || `error ${rc}`}`, 125);
    }
    return String(n.nft_ctx_get_output_buffer(ctx) ?? "");
  } finally {
    n.nft_ctx_free(ctx);
  }
}

/** `list table inet ctr` as JSON, or an empty listing if the table does not exist. */
export function listTable(table: string): { nftables?: Record<string, unknown>[] } {
  try {
    return JSON.parse(nft(`list table inet ${table}`, `list table inet ${table}`) || "{}");
  } catch (e) {
    if (e instanceof ExitError && /No such file|does not exist/i.test(e.message)) return {};
    throw e;
  }
}
