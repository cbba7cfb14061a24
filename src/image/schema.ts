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
  let raw: unknown;
  try {
    raw = JSON.parse(typeof bytes === "string" ? bytes : Buffer.from(bytes).toString("utf8"));
  } catch (e) {
    throw new Error(`${what}: not valid JSON (${(e as Error).message})`);
  }
  const r = v.safeParse(schema, raw);
  if (!r.success) {
    const issue = r.issues[0];
    const path = issue.path?.map((p: { key: unknown }) => String(p.key)).join(".") ?? "";
    throw new Error(`${what}: invalid${path ? ` at ${path}` : ""}: ${issue.message}`);
  }
  return r.output;
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
