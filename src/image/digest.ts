// Content addresses: "sha256:<64 hex>". Every blob is named by its digest and checked against it.
import * as v from "valibot";

export const DigestSchema = v.pipe(v.string(), v.regex(/^sha256:[a-f0-9]{64}$/, "a sha256 digest (sha256:<64 hex>)"));
export type Digest = string;

export function isDigest(s: string): boolean {
  return /^sha256:[a-f0-9]{64}$/.test(s);
}

export function hexOf(digest: Digest): string {
  return digest.slice("sha256:".length);
}

export function sha256(data: Uint8Array | string): Digest {
  return `sha256:${new Bun.CryptoHasher("sha256").update(data).digest("hex")}`;
}

/** Streaming sha256 plus a byte count. */
export class DigestCounter {
  private hasher = new Bun.CryptoHasher("sha256");
  bytes = 0;
  update(chunk: Uint8Array): void {
    this.hasher.update(chunk);
    this.bytes += chunk.length;
  }
  digest(): Digest {
    return `sha256:${this.hasher.digest("hex")}`;
  }
}

/** OCI chain ids: the first layer's diff id, then sha256("<parent chain> <diff id>"). */
export function chainIds(diffIds: readonly Digest[]): Digest[] {
  const out: Digest[] = [];
  for (const d of diffIds) out.push(out.length === 0 ? d : sha256(`${out[out.length - 1]} ${d}`));
  return out;
}

export function shortId(digest: Digest): string {
  return hexOf(digest).slice(0, 12);
}
