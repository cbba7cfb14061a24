// One layer, streamed: compressed bytes in → (blob file, digest) and → decompress → tar → files.
// Download, digest, decompression and unpacking overlap; nothing is held whole in memory. The
// unpacked directory is only committed (renamed into the store) after both digests check out.
import { Readable, pipeline } from "node:stream";
import * as zlib from "node:zlib";
import { O_CLOEXEC, O_DIRECTORY, O_RDONLY } from "../../ffi/constants";
import { closeFd, openat, AT_FDCWD } from "../../ffi/at";
import { SysError } from "../errors";
import { DigestCounter, type Digest } from "./digest";
import type { ImageStore, LayerMeta } from "./store";
import { verifyContent } from "./store";
import { TarParser } from "./tar";
import { LayerUnpacker, type UnpackStats } from "./unpack";
import { log } from "../log";

/** Default bound on a layer's uncompressed size (CTR_MAX_LAYER_BYTES overrides): 64 GiB. */
export const DEFAULT_MAX_LAYER_BYTES = 64 * 1024 ** 3;

export function maxLayerBytes(env: Record<string, string | undefined> = process.env): number {
  const n = Number(env.CTR_MAX_LAYER_BYTES);
  return Number.isFinite(n) && n > 0 ? n : DEFAULT_MAX_LAYER_BYTES;
}

export type Compression = "gzip" | "zstd" | "none";

/** A download that sends nothing for this long is given up (and retried): CTR_STALL_TIMEOUT_MS, 60 s. */
export function stallTimeoutMs(env: Record<string, string | undefined> = process.env): number {
  const n = Number(env.CTR_STALL_TIMEOUT_MS);
  return Number.isFinite(n) && n > 0 ? n : 60_000;
}

function withStallTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const stalled = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: the download stalled (no data for ${ms / 1000} s; timed out)`)), ms);
  });
  return Promise.race([p, stalled]).finally(() => clearTimeout(timer));
}

/** By magic number, not media type: registries and archives mislabel layers often enough. */
export function detectCompression(head: Uint8Array): Compression {
  if (head[0] === 0x1f && head[1] === 0x8b) return "gzip";
  if (head[0] === 0x28 && head[1] === 0xb5 && head[2] === 0x2f && head[3] === 0xfd) return "zstd";
  return "none";
}

/**
 * zlib's own words ("incorrect data check") do not say that gzip's CRC failed; say it, and which
 * check, so a corrupt download reads as one.
 */
export function describeDecompressionError(e: unknown, compression: Compression): Error {
  const err = e as Error & { code?: string };
  if (compression === "none" || typeof err?.code !== "string" || !/^(Z_|ZSTD_)/.test(err.code)) return err;
  if (compression === "zstd") return new Error(`zstd: the compressed data is corrupt (${err.message})`);
  const m = err.message;
  if (/incorrect data check/.test(m)) return new Error("gzip: CRC-32 check failed: the compressed data is corrupt (incorrect data check)");
  if (/incorrect length check/.test(m)) return new Error("gzip: length check failed (ISIZE): the data is corrupt");
  if (/unexpected end of file/.test(m)) return new Error("gzip: the stream is truncated (unexpected end of file)");
  return new Error(`gzip: the compressed data is corrupt (${m})`);
}

export interface LayerInput {
  /** The layer's bytes as stored (compressed or not). */
  source: AsyncIterable<Uint8Array>;
  /** Store the bytes as a blob, checked against this descriptor ("compute": store, digest unknown). */
  blob: { digest: Digest; size: number } | "compute" | null;
  /** The uncompressed digest the image config names, if known: checked. */
  diffId: Digest | null;
  /** Chain id to commit under; computed from diffId when null (single-layer imports). */
  chainId: ((diffId: Digest) => Digest) | Digest;
  allowDevices: boolean;
  maxBytes: number;
  onBytes?: (compressed: number) => void;
  what: string;
}

export interface LayerResult {
  meta: LayerMeta;
  blobDigest: Digest | null;
  compressedSize: number;
  stats: UnpackStats;
  compression: Compression;
}

export async function applyLayer(store: ImageStore, input: LayerInput): Promise<LayerResult> {
  const tmp = store.newLayerDir();
  const writer = input.blob ? store.blobWriter(input.blob === "compute" ? null : input.blob, input.what) : null;
  const diff = new DigestCounter();
  let compressed = 0;
  let rootFd = -1;
  let unpacker: LayerUnpacker | null = null;
  try {
    rootFd = openat(AT_FDCWD, `${tmp}/diff`, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (rootFd < 0) throw new SysError("open", -rootFd, `${tmp}/diff`);
    unpacker = new LayerUnpacker(rootFd, { allowDevices: input.allowDevices, maxBytes: input.maxBytes });
    const parser = new TarParser(unpacker);

    // The first chunk tells the compression; every chunk also goes to the blob file.
    const iterator = input.source[Symbol.asyncIterator]();
    const next = () => withStallTimeout(iterator.next(), stallTimeoutMs(), input.what);
    const firstResult = await next();
    const head = firstResult.done ? new Uint8Array() : firstResult.value;
    const compression = detectCompression(head);
    async function* raw(): AsyncGenerator<Uint8Array> {
      let r = firstResult;
      while (!r.done) {
        const chunk = r.value;
        compressed += chunk.length;
        writer?.write(chunk);
        input.onBytes?.(compressed);
        yield chunk;
        r = await next();
      }
    }
    const rawStream = Readable.from(raw(), { objectMode: false });
    const decoder =
      compression === "gzip" ? zlib.createGunzip({ chunkSize: 256 * 1024 }) : compression === "zstd" ? zlib.createZstdDecompress({ chunkSize: 256 * 1024 }) : null;
    const out: AsyncIterable<Buffer> = decoder ? pipeline(rawStream, decoder, () => {}) : rawStream;
    try {
      for await (const chunk of out) {
        diff.update(chunk);
        if (diff.bytes > input.maxBytes + 1024 * 1024) throw new Error(`larger than the limit of ${input.maxBytes} bytes uncompressed`);
        parser.push(chunk);
      }
      parser.finish();
    } catch (e) {
      // Which layer, then what: "layer blobs/sha256/ab12…: gzip: CRC-32 check failed: …".
      const inner = describeDecompressionError(e, compression);
      if (inner instanceof SysError || (inner as Error).message.startsWith(input.what)) throw inner;
      throw new Error(`${input.what}: ${(inner as Error).message}`);
    }
    unpacker.finish();
    const stats = unpacker.stats;
    unpacker = null;
    closeFd(rootFd);
    rootFd = -1;

    const blobDigest = writer ? writer.commit() : null;
    const diffId = diff.digest();
    if (input.diffId) verifyContent(`${input.what} (uncompressed)`, { digest: input.diffId }, diffId, diff.bytes);
    const chainId = typeof input.chainId === "function" ? input.chainId(diffId) : input.chainId;
    // The tar stream's size stands for the layer's size, as Docker reports it.
    const meta = store.commitLayer(tmp, chainId, diffId, diff.bytes);
    return { meta, blobDigest, compressedSize: compressed, stats, compression };
  } catch (e) {
    unpacker?.close();
    if (rootFd >= 0) closeFd(rootFd);
    writer?.abort();
    store.removeTemp(tmp);
    throw e;
  }
}


/** What unpacking left out, said once per layer. */
export function reportSkipped(what: string, r: LayerResult): void {
  const s = r.stats;
  if (s.skippedDevices.length) log.warn(`${what}: skipped ${s.skippedDevices.length} device node(s) (${s.skippedDevices.slice(0, 3).join(", ")}): pass --allow-devices to keep them`);
  if (s.skippedXattrs.length) log.warn(`${what}: left out ${s.skippedXattrs.length} extended attribute(s) (${s.skippedXattrs.slice(0, 3).join(", ")})`);
}
