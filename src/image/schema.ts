// OCI and Docker image formats (valibot): manifests, indexes, image configs, as registries and
// archives send them. Unknown fields are kept out; unknown media types are refused by name.
import * as v from "valibot";
import { DigestSchema } from "./digest";

export const MEDIA = {
  ociManifest: "application/vnd.oci.image.manifest.v1+json",
  ociIndex: "application/vnd.oci.image.index.v1+json",
  ociConfig: "application/vnd.oci.image.config.v1+json",
  ociLayer: "application/vnd.oci.image.layer.v1.tar",
  ociLayerGzip: "application/vnd.oci.image.layer.v1.tar+gzip",
  ociLayerZstd: "application/vnd.oci.image.layer.v1.tar+zstd",
  ociLayerNondist: "application/vnd.oci.image.layer.nondistributable.v1.tar+gzip",
  dockerManifest: "application/vnd.docker.distribution.manifest.v2+json",
  dockerList: "application/vnd.docker.distribution.manifest.list.v2+json",
  dockerConfig: "application/vnd.docker.container.image.v1+json",
  dockerLayer: "application/vnd.docker.image.rootfs.diff.tar.gzip",
  dockerForeignLayer: "application/vnd.docker.image.rootfs.foreign.diff.tar.gzip",
  dockerSchema1: "application/vnd.docker.distribution.manifest.v1+prettyjws",
} as const;

export const LAYER_TYPES: readonly string[] = [MEDIA.ociLayer, MEDIA.ociLayerGzip, MEDIA.ociLayerZstd, MEDIA.ociLayerNondist, MEDIA.dockerLayer, MEDIA.dockerForeignLayer];
export const MANIFEST_TYPES: readonly string[] = [MEDIA.ociManifest, MEDIA.dockerManifest];
export const INDEX_TYPES: readonly string[] = [MEDIA.ociIndex, MEDIA.dockerList];

export const PlatformSchema = v.object({
  architecture: v.string(),
  os: v.string(),
  variant: v.optional(v.string()),
  "os.version": v.optional(v.string()),
});
export type Platform = v.InferOutput<typeof PlatformSchema>;

export const DescriptorSchema = v.object({
  mediaType: v.string(),
  digest: DigestSchema,
  size: v.pipe(v.number(), v.integer(), v.minValue(0)),
  urls: v.optional(v.array(v.string())),
  annotations: v.optional(v.record(v.string(), v.string())),
  platform: v.optional(PlatformSchema),
});
export type Descriptor = v.InferOutput<typeof DescriptorSchema>;

export const ManifestSchema = v.object({
  schemaVersion: v.literal(2),
  mediaType: v.optional(v.string()),
  config: DescriptorSchema,
  layers: v.array(DescriptorSchema),
  annotations: v.optional(v.record(v.string(), v.string())),
});
export type Manifest = v.InferOutput<typeof ManifestSchema>;

export const IndexSchema = v.object({
  schemaVersion: v.literal(2),
  mediaType: v.optional(v.string()),
  manifests: v.array(DescriptorSchema),
  annotations: v.optional(v.record(v.string(), v.string())),
});
export type Index = v.InferOutput<typeof IndexSchema>;

const StringList = v.nullish(v.array(v.string()));

export const ImageConfigSchema = v.object({
  architecture: v.string(),
  os: v.string(),
  variant: v.optional(v.string()),
  created: v.optional(v.string()),
  author: v.optional(v.string()),
  config: v.nullish(
    v.object({
      User: v.optional(v.string()),
      Env: StringList,
      Entrypoint: StringList,
      Cmd: StringList,
      WorkingDir: v.optional(v.string()),
      Labels: v.nullish(v.record(v.string(), v.string())),
      StopSignal: v.optional(v.string()),
      ExposedPorts: v.nullish(v.record(v.string(), v.unknown())),
      Volumes: v.nullish(v.record(v.string(), v.unknown())),
    }),
  ),
  rootfs: v.object({ type: v.literal("layers"), diff_ids: v.array(DigestSchema) }),
  history: v.optional(v.array(v.record(v.string(), v.unknown()))),
});
export type ImageConfig = v.InferOutput<typeof ImageConfigSchema>;

/** Parses JSON bytes with a schema; errors name what was being read. */
export function parseJson<S extends v.GenericSchema>(schema: S, bytes: Uint8Array | string, what: string): v.InferOutput<S> {
  return checkSchema(schema, parseJsonValue(bytes, what), what);
}

function parseJsonValue(bytes: Uint8Array | string, what: string): unknown {
  try {
    return JSON.parse(typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8"));
  } catch {
    // Not the parser's message: it quotes the input, which may not be ours to show.
    return invalidJson(what);
  }
}

function invalidJson(what: string): never {
  throw new Error(`${what}: not valid JSON`);
}

function checkSchema<S extends v.GenericSchema>(schema: S, raw: unknown, what: string): v.InferOutput<S> {
  const r = v.safeParse(schema, raw);
  if (!r.success) {
    const issue = r.issues[0];
    const path = issue.path?.map((p: { key: unknown }) => String(p.key)).join(".") ?? "";
    throw new Error(`${what}: invalid${path ? ` at ${path}` : ""}: ${issue.message}`);
  }
  return r.output;
}

export type DocumentKind = "manifest" | "index";

/** Which kind a media type names, or null for one that names neither (application/json, say). */
export function kindOfMediaType(mediaType: string | null | undefined): DocumentKind | null {
  if (mediaType && MANIFEST_TYPES.includes(mediaType)) return "manifest";
  if (mediaType && INDEX_TYPES.includes(mediaType)) return "index";
  return null;
}

/**
 * CVE-2021-41190 (OCI image spec 1.0.2): a document that could be read as a manifest and as an
 * index lets two clients see two different images under one digest. Refused, as containerd, Docker
 * and podman refuse it: a manifest with `manifests`, an index with `layers` or `config`, and a
 * `mediaType` that disagrees with the descriptor (or HTTP header) that pointed at the document.
 */
export function checkDocumentKind(raw: unknown, kind: DocumentKind, descriptorType: string | null, what: string): void {
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) throw new Error(`${what}: not a JSON object`);
  const doc = raw as Record<string, unknown>;
  if (kind === "manifest" && "manifests" in doc) throw new Error(`${what}: ambiguous document: a manifest with a "manifests" field (CVE-2021-41190), refused`);
  if (kind === "index") {
    const extra = ["layers", "config"].filter((k) => k in doc);
    if (extra.length) throw new Error(`${what}: ambiguous document: an index with ${extra.map((k) => `a "${k}"`).join(" and ")} field (CVE-2021-41190), refused`);
  }
  const own = doc.mediaType;
  if (own === undefined) return;
  if (typeof own !== "string") throw new Error(`${what}: mediaType is not a string`);
  if (descriptorType !== null && kindOfMediaType(descriptorType) !== null && own !== descriptorType) {
    throw new Error(`${what}: its mediaType ${JSON.stringify(own)} disagrees with the descriptor's ${JSON.stringify(descriptorType)}, refused`);
  }
  if (kindOfMediaType(own) !== kind) throw new Error(`${what}: its mediaType ${JSON.stringify(own)} is not an image ${kind} type, refused`);
}

/** parseJson for manifests and indexes: the kind checks above first, on the document as sent. */
export function parseDocument<S extends v.GenericSchema>(schema: S, bytes: Uint8Array, kind: DocumentKind, descriptorType: string | null, what: string): v.InferOutput<S> {
  const raw = parseJsonValue(bytes, what);
  checkDocumentKind(raw, kind, descriptorType, what);
  return checkSchema(schema, raw, what);
}

/** The host's platform in OCI terms (GOARCH names). */
export function hostPlatform(): Platform {
  const arch = ({ x64: "amd64", arm64: "arm64", arm: "arm", ia32: "386", ppc64: "ppc64le", s390x: "s390x", riscv64: "riscv64" } as Record<string, string>)[process.arch] ?? process.arch;
  return arch === "arm64" ? { os: "linux", architecture: arch, variant: "v8" } : { os: "linux", architecture: arch };
}

export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split("/");
  if (!os || !architecture) throw new Error(`--platform ${s}: expected OS/ARCH[/VARIANT], e.g. linux/amd64`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join("/");
}

/** Picks the manifest for a platform from an index; arm64 matches with or without variant v8. */
export function selectPlatform(index: Index, want: Platform): Descriptor | null {
  const candidates = index.manifests.filter((m) => m.platform && m.platform.os === want.os && m.platform.architecture === want.architecture);
  const norm = (v?: string) => (want.architecture === "arm64" && (v === undefined || v === "v8") ? "v8" : v);
  return candidates.find((m) => norm(m.platform!.variant) === norm(want.variant)) ?? (want.variant === undefined ? candidates[0] ?? null : null);
}
