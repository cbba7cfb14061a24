// Image references, normalised as Docker does: `busybox` is docker.io/library/busybox:latest,
// `localhost:5000/x` names a registry (a first part with "." or ":" or "localhost").
import { isDigest } from "./digest";

export interface Reference {
  /** Registry host[:port], e.g. docker.io, 127.0.0.1:5000. */
  registry: string;
  /** Repository path, e.g. library/busybox. */
  repository: string;
  tag: string | null;
  digest: string | null;
}

export const DOCKER_HUB = "docker.io";

const COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;

export function parseReference(ref: string): Reference {
  const bad = (why: string) => new Error(`invalid image reference ${JSON.stringify(ref)}: ${why}`);
  if (ref === "" || ref.length > 512) throw bad("empty or too long");
  let rest = ref;
  let digest: string | null = null;
  const at = rest.indexOf("@");
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!isDigest(digest)) throw bad("the digest must be sha256:<64 hex>");
  }
  let tag: string | null = null;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw bad(`invalid tag ${JSON.stringify(tag)}`);
  }
  const slash = rest.indexOf("/");
  const first = slash < 0 ? "" : rest.slice(0, slash);
  let registry = DOCKER_HUB;
  let repository = rest;
  if (slash >= 0 && (first.includes(".") || first.includes(":") || first === "localhost")) {
    registry = first;
    repository = rest.slice(slash + 1);
  }
  if (registry === "index.docker.io" || registry === "registry-1.docker.io") registry = DOCKER_HUB;
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  for (const c of repository.split("/")) if (!COMPONENT.test(c)) throw bad(`invalid repository name component ${JSON.stringify(c)} (lowercase letters, digits and separators)`);
  if (tag === null && digest === null) tag = "latest";
  return { registry, repository, tag, digest };
}

/** The full name with tag: docker.io/library/busybox:latest. */
export function refName(r: Reference): string {
  return `${r.registry}/${r.repository}${r.tag ? `:${r.tag}` : ""}${r.digest && !r.tag ? `@${r.digest}` : ""}`;
}

/** Repository without tag: docker.io/library/busybox. */
export function repoName(r: Reference): string {
  return `${r.registry}/${r.repository}`;
}

/** The short form Docker shows: busybox, user/app, localhost:5000/app. */
export function familiarRepo(r: Reference): string {
  if (r.registry !== DOCKER_HUB) return `${r.registry}/${r.repository}`;
  return r.repository.startsWith("library/") ? r.repository.slice(8) : r.repository;
}

/** Whether plain HTTP is allowed without --insecure: localhost and 127.0.0.0/8, as Docker does. */
export function isLocalRegistry(host: string): boolean {
  const h = host.replace(/:\d+$/, "").replace(/^\[|\]$/g, "");
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h);
}

/** Docker Hub's API lives at registry-1.docker.io. */
export function registryEndpoint(registry: string): string {
  return registry === DOCKER_HUB ? "registry-1.docker.io" : registry;
}
