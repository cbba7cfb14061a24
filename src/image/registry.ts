// A client for the OCI distribution API (what Docker Hub, ghcr.io, quay.io and `registry` speak):
// manifests and blobs by name and digest, the WWW-Authenticate challenge flow (Basic, and Bearer
// tokens from the realm the registry names), HTTPS (for local registries and --insecure ones, as
// Docker: HTTPS without certificate checks first, then plain HTTP), and retries with backoff.
import type { Credentials } from "./auth";
import { isLocalRegistry, registryEndpoint } from "./reference";
import { VERSION } from "../version";

export interface RegistryOptions {
  insecure: boolean;
  credentials: Credentials | null;
  /** Attempts for a transient failure (network error, 429, 5xx). */
  attempts?: number;
  /** First backoff delay in ms; doubles each time. */
  backoffMs?: number;
}

export class RegistryError extends Error {
  override name = "RegistryError";
  constructor(message: string, readonly status: number) {
    super(message);
  }
}

/** `Bearer realm="...",service="...",scope="..."` → scheme and params. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^(\w+)\s*(.*)$/s.exec(header.trim());
  if (!m) return { scheme: "", params: {} };
  const params: Record<string, string> = {};
  const re = /(\w+)=(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g;
  for (let p = re.exec(m[2]!); p; p = re.exec(m[2]!)) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? "").replace(/\\(.)/g, "$1");
  return { scheme: m[1]!.toLowerCase(), params };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function describeErrors(body: string): string {
  try {
    const j = JSON.parse(body) as { errors?: { code?: string; message?: string }[] };
    const e = j.errors?.[0];
    if (e) return `${e.code ?? "error"}: ${e.message ?? ""}`.trim();
  } catch {
    /* not JSON */
  }
  return body.slice(0, 200).trim();
}

export interface HttpRequest {
  method: "GET" | "HEAD" | "POST" | "PUT";
  /** Below /v2/, or an absolute URL the registry gave (an upload location). */
  path: string;
  headers?: Record<string, string>;
  /** Made afresh for each attempt: a retried upload sends its body again. */
  body?: () => Blob | Uint8Array;
}

/** Until the response headers arrive; a body may take as long as it needs. */
const HEADERS_TIMEOUT_MS = 30_000;

export class RegistryClient {
  /** null: not known yet (an insecure or local registry: HTTPS is tried, then HTTP). */
  private scheme: "https" | "http" | null;
  private readonly lenient: boolean;
  private authorization: string | null = null;
  /** Ask for push rights when the registry's challenge names no scope. */
  push = false;
  private readonly attempts: number;
  private readonly backoffMs: number;

  constructor(readonly registry: string, readonly repository: string, private readonly opts: RegistryOptions) {
    this.lenient = opts.insecure || isLocalRegistry(registry);
    this.scheme = this.lenient ? null : "https";
    this.attempts = opts.attempts ?? 4;
    this.backoffMs = opts.backoffMs ?? 250;
  }

  get baseUrl(): string {
    return `${this.scheme ?? "https"}://${registryEndpoint(this.registry)}/v2/`;
  }

  /** The first request to an insecure or local registry settles the scheme. */
  private async fetchAny(req: HttpRequest): Promise<Response> {
    // An upload URL the registry handed out is used as it is.
    if (/^https?:\/\//.test(req.path)) return this.fetchFollowing(req.path, req);
    if (this.scheme !== null) return this.fetchFollowing(`${this.baseUrl}${req.path}`, req);
    try {
      const res = await this.fetchFollowing(`https://${registryEndpoint(this.registry)}/v2/${req.path}`, req);
      this.scheme = "https";
      return res;
    } catch {
      const res = await this.fetchFollowing(`http://${registryEndpoint(this.registry)}/v2/${req.path}`, req);
      this.scheme = "http";
      return res;
    }
  }

  /** GET with auth and retries. 2xx comes back; anything else is a RegistryError naming the cause. */
  async get(path: string, headers: Record<string, string> = {}, what = path): Promise<Response> {
    return this.request({ method: "GET", path, headers, what });
  }

  /** Any request, with auth and retries; `accept` lists non-2xx statuses handed back as they are. */
  async request(req: HttpRequest & { what: string; accept?: number[] }): Promise<Response> {
    const what = req.what;
    let authTried = false;
    for (let attempt = 1; ; attempt++) {
      let res: Response;
      try {
        res = await this.fetchAny(req);
      } catch (e) {
        if (attempt < this.attempts) {
          await sleep(this.backoffMs * 2 ** (attempt - 1));
          continue;
        }
        const code = String((e as { code?: unknown }).code ?? "");
        // A name that does not resolve: a typo or no DNS, which --insecure would not change.
        if (/^(ENOTFOUND|EAI_|DNS_)/.test(code)) {
          throw new RegistryError(`${what}: cannot resolve the registry's host name ${JSON.stringify(this.registry.replace(/:\d+$/, ""))} (DNS: ${code})`, 0);
        }
        const hint = this.lenient ? "" : " (for a registry on plain HTTP or with a self-signed certificate, pass --insecure)";
        throw new RegistryError(`${what}: cannot reach ${this.registry}: ${(e as Error).message}${hint}`, 0);
      }
      if (res.ok || req.accept?.includes(res.status)) return res;
      const body = await res.text().catch(() => "");
      if (res.status === 401 && !authTried) {
        authTried = true;
        await this.authenticate(res.headers.get("www-authenticate") ?? "", what);
        attempt--; // the challenge round is not a failed attempt
        continue;
      }
      if ((res.status === 429 || res.status >= 500) && attempt < this.attempts) {
        const retryAfter = Number(res.headers.get("retry-after"));
        await sleep(Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter * 1000, 10_000) : this.backoffMs * 2 ** (attempt - 1));
        continue;
      }
      throw this.httpError(res.status, body, what);
    }
  }

  /**
   * Redirects are followed by hand: blob downloads often go to a CDN or object store on another
   * host, which must not receive the registry's credentials (S3 even refuses a request that
   * carries both its signature and an Authorization header).
   */
  private async fetchFollowing(url: string, req: HttpRequest): Promise<Response> {
    const origin = new URL(url).origin;
    for (let hops = 0; ; hops++) {
      const sameOrigin = new URL(url).origin === origin;
      const timeout = new AbortController();
      const timer = setTimeout(() => timeout.abort(new Error(`no answer within ${HEADERS_TIMEOUT_MS / 1000} s`)), HEADERS_TIMEOUT_MS);
      let res: Response;
      try {
        res = await fetch(url, {
          method: req.method,
          body: req.body?.(),
          headers: { "User-Agent": `ctr/${VERSION}`, ...req.headers, ...(this.authorization && sameOrigin ? { Authorization: this.authorization } : {}) },
          redirect: "manual",
          signal: timeout.signal,
          // Docker's rule for insecure and local registries: TLS without certificate checks.
          ...(this.lenient && sameOrigin ? { tls: { rejectUnauthorized: false } } : {}),
        });
      } finally {
        clearTimeout(timer);
      }
      const location = res.headers.get("location");
      if (res.status < 300 || res.status >= 400 || !location) return res;
      if (hops >= 10) throw new Error(`too many redirects from ${origin}`);
      await res.arrayBuffer().catch(() => undefined);
      url = new URL(location, url).toString();
    }
  }

  private httpError(status: number, body: string, what: string): RegistryError {
    const detail = describeErrors(body);
    const suffix = detail ? ` (${detail})` : "";
    if (status === 401) {
      return new RegistryError(
        `${what}: authentication required by ${this.registry} (401 Unauthorized)${suffix}${this.opts.credentials ? ": the credentials were refused" : ": use `ctr login " + this.registry + "` or --creds USER:PASSWORD"}`,
        status,
      );
    }
    if (status === 403) return new RegistryError(`${what}: access denied by ${this.registry} (403 Forbidden)${suffix}`, status);
    if (status === 404) return new RegistryError(`${what}: not found in ${this.registry}/${this.repository} (404)${suffix}`, status);
    return new RegistryError(`${what}: ${this.registry} answered HTTP ${status}${suffix}`, status);
  }

  private async authenticate(header: string, what: string): Promise<void> {
    const { scheme, params } = parseChallenge(header);
    const creds = this.opts.credentials;
    const basic = creds ? `Basic ${Buffer.from(`${creds.username}:${creds.password}`).toString("base64")}` : null;
    if (scheme === "basic") {
      if (!basic) throw this.httpError(401, "", what);
      this.authorization = basic;
      return;
    }
    if (scheme !== "bearer" || !params.realm) throw new RegistryError(`${what}: ${this.registry} asks for unsupported authentication ${JSON.stringify(header)}`, 401);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set("service", params.service);
    const scope = params.scope ?? (this.repository ? `repository:${this.repository}:${this.push ? "pull,push" : "pull"}` : null);
    if (scope) url.searchParams.set("scope", scope);
    let res: Response;
    try {
      res = await fetch(url, { headers: { "User-Agent": `ctr/${VERSION}`, ...(basic ? { Authorization: basic } : {}) } });
    } catch (e) {
      throw new RegistryError(`${what}: cannot reach the token service ${url.origin}: ${(e as Error).message}`, 0);
    }
    const body = await res.text();
    if (!res.ok) {
      if (res.status === 401 || res.status === 403) throw this.httpError(401, body, what);
      throw new RegistryError(`${what}: token service ${url.origin} answered HTTP ${res.status} (${describeErrors(body)})`, res.status);
    }
    let token: string | undefined;
    try {
      const j = JSON.parse(body) as { token?: string; access_token?: string };
      token = j.token ?? j.access_token;
    } catch {
      /* fall through */
    }
    if (!token) throw new RegistryError(`${what}: token service ${url.origin} sent no token`, 401);
    this.authorization = `Bearer ${token}`;
  }

  /** A manifest or index, as bytes with its media type. */
  async manifest(reference: string, accept: readonly string[]): Promise<{ bytes: Uint8Array; mediaType: string }> {
    const res = await this.get(`${this.repository}/manifests/${reference}`, { Accept: accept.join(", ") }, `manifest ${this.repository}:${reference}`);
    const bytes = new Uint8Array(await res.arrayBuffer());
    if (bytes.length > 4 * 1024 * 1024) throw new RegistryError(`manifest ${reference}: larger than 4 MiB`, 0);
    const mediaType = (res.headers.get("content-type") ?? "").split(";")[0]!.trim();
    return { bytes, mediaType };
  }

  /** A blob's bytes as a stream. */
  async blob(digest: string, what = `blob ${digest}`): Promise<AsyncIterable<Uint8Array>> {
    const res = await this.get(`${this.repository}/blobs/${digest}`, {}, what);
    if (!res.body) throw new RegistryError(`${what}: empty response`, 0);
    return res.body as unknown as AsyncIterable<Uint8Array>;
  }

  /** Whether the repository has a blob (HEAD). */
  async hasBlob(digest: string): Promise<boolean> {
    const res = await this.request({ method: "HEAD", path: `${this.repository}/blobs/${digest}`, what: `blob ${digest}`, accept: [404] });
    return res.ok;
  }

  /** A monolithic upload: POST for an upload URL, then PUT the whole blob there with its digest. */
  async uploadBlob(digest: string, size: number, body: () => Blob | Uint8Array): Promise<void> {
    const start = await this.request({ method: "POST", path: `${this.repository}/blobs/uploads/`, headers: { "Content-Length": "0" }, what: `upload of ${digest}` });
    await start.arrayBuffer();
    const location = start.headers.get("location");
    if (!location) throw new RegistryError(`upload of ${digest}: ${this.registry} gave no upload location`, start.status);
    const base = new URL(location, `${this.scheme ?? "https"}://${registryEndpoint(this.registry)}/`);
    base.searchParams.set("digest", digest);
    const put = await this.request({
      method: "PUT",
      path: base.toString(),
      headers: { "Content-Type": "application/octet-stream", "Content-Length": String(size) },
      body,
      what: `upload of ${digest}`,
    });
    await put.arrayBuffer();
  }

  async putManifest(reference: string, mediaType: string, bytes: Uint8Array): Promise<void> {
    const res = await this.request({
      method: "PUT",
      path: `${this.repository}/manifests/${reference}`,
      headers: { "Content-Type": mediaType },
      body: () => bytes,
      what: `manifest ${this.repository}:${reference}`,
    });
    await res.arrayBuffer();
  }

  /** GET /v2/ with credentials: checks a login. */
  async ping(): Promise<void> {
    await this.get("", {}, `login to ${this.registry}`);
  }
}
