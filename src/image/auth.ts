// Registry credentials: --creds, then ctr's own auth file (written by `ctr login`), then Docker's
// ~/.docker/config.json. Both files use Docker's format: {"auths": {"HOST": {"auth": base64(user:pass)}}}.
import * as fs from "node:fs";
import * as v from "valibot";
import { DOCKER_HUB } from "./reference";

export interface Credentials {
  username: string;
  password: string;
}

const AuthFileSchema = v.looseObject({
  /** Docker's credential helpers: docker-credential-<name> per registry, or one for all. */
  credHelpers: v.optional(v.record(v.string(), v.string())),
  credsStore: v.optional(v.string()),
  auths: v.optional(
    v.record(v.string(), v.looseObject({ auth: v.optional(v.string()), username: v.optional(v.string()), password: v.optional(v.string()), identitytoken: v.optional(v.string()) })),
  ),
});
type AuthFile = v.InferOutput<typeof AuthFileSchema>;

export function homeDir(env: Record<string, string | undefined> = process.env): string {
  return env.HOME ?? "/root";
}

/** ctr's auth file: CTR_AUTH_FILE, or $XDG_CONFIG_HOME/ctr/auth.json (~/.config/ctr/auth.json). */
export function authFilePath(env: Record<string, string | undefined> = process.env): string {
  if (env.CTR_AUTH_FILE) return env.CTR_AUTH_FILE;
  return `${env.XDG_CONFIG_HOME ?? `${homeDir(env)}/.config`}/ctr/auth.json`;
}

export function dockerConfigPath(env: Record<string, string | undefined> = process.env): string {
  return `${env.DOCKER_CONFIG ?? `${homeDir(env)}/.docker`}/config.json`;
}

function readAuthFile(path: string): AuthFile {
  let text: string;
  try {
    text = fs.readFileSync(path, "utf8");
  } catch {
    return {};
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path}: not valid JSON (${(e as Error).message})`);
  }
  const r = v.safeParse(AuthFileSchema, raw);
  if (!r.success) throw new Error(`${path}: not an auth file: ${r.issues[0].message}`);
  return r.output;
}

/** Keys a registry may be stored under: "host", "https://host", Docker Hub's legacy URL. */
function keysFor(registry: string): string[] {
  const keys = [registry, `https://${registry}`, `http://${registry}`, `https://${registry}/v1/`, `https://${registry}/v2/`];
  if (registry === DOCKER_HUB) keys.push("https://index.docker.io/v1/", "index.docker.io", "registry-1.docker.io");
  return keys;
}

const HelperReplySchema = v.looseObject({ Username: v.string(), Secret: v.string() });

/** Runs `docker-credential-<helper> get` with the server on stdin, as Docker does; null if it has none. */
function fromHelper(helper: string, registry: string): Credentials | null {
  if (!/^[\w.-]+$/.test(helper)) throw new Error(`credential helper name ${JSON.stringify(helper)} is not valid`);
  const server = registry === DOCKER_HUB ? "https://index.docker.io/v1/" : registry;
  const program = Bun.which(`docker-credential-${helper}`, { PATH: process.env.PATH ?? "" });
  if (!program) throw new Error(`credential helper docker-credential-${helper} (named in the Docker config) is not installed`);
  const r = Bun.spawnSync([program, "get"], { stdin: Buffer.from(server), stdout: "pipe", stderr: "pipe" });
  const output = r.stdout.toString().trim();
  // "credentials not found in native keychain" and the like: not an error, just no credentials.
  if (r.exitCode !== 0) {
    if (/not found/i.test(output + r.stderr.toString())) return null;
    throw new Error(`docker-credential-${helper} get ${server}: ${(output || r.stderr.toString()).trim()}`);
  }
  let reply: unknown;
  try {
    reply = JSON.parse(output);
  } catch {
    throw new Error(`docker-credential-${helper} get ${server}: not JSON`);
  }
  const parsed = v.safeParse(HelperReplySchema, reply);
  if (!parsed.success) throw new Error(`docker-credential-${helper} get ${server}: no Username and Secret in its answer`);
  return { username: parsed.output.Username, password: parsed.output.Secret };
}

function fromFile(path: string, registry: string): Credentials | null {
  const file = readAuthFile(path);
  const helper = keysFor(registry).map((k) => file.credHelpers?.[k]).find(Boolean) ?? file.credsStore;
  if (helper) {
    const c = fromHelper(helper, registry);
    if (c) return c;
  }
  const auths = file.auths ?? {};
  for (const k of keysFor(registry)) {
    const e = auths[k];
    if (!e) continue;
    if (e.auth) {
      const decoded = Buffer.from(e.auth, "base64").toString("utf8");
      const i = decoded.indexOf(":");
      if (i > 0) return { username: decoded.slice(0, i), password: decoded.slice(i + 1) };
    }
    if (e.username && e.password) return { username: e.username, password: e.password };
  }
  return null;
}

export function parseCreds(s: string): Credentials {
  const i = s.indexOf(":");
  if (i <= 0) throw new Error(`--creds: expected USER:PASSWORD`);
  return { username: s.slice(0, i), password: s.slice(i + 1) };
}

export function lookupCredentials(registry: string, creds: string | undefined, env = process.env): Credentials | null {
  if (creds !== undefined) return parseCreds(creds);
  return fromFile(authFilePath(env), registry) ?? fromFile(dockerConfigPath(env), registry);
}

/** Writes (or with null, removes) one registry's entry; the file is replaced atomically, mode 0600. */
export function saveCredentials(registry: string, c: Credentials | null, env = process.env): boolean {
  const path = authFilePath(env);
  const file = readAuthFile(path);
  const auths = { ...(file.auths ?? {}) };
  const had = keysFor(registry).some((k) => k in auths);
  for (const k of keysFor(registry)) delete auths[k];
  if (c) auths[registry] = { auth: Buffer.from(`${c.username}:${c.password}`).toString("base64") };
  fs.mkdirSync(path.slice(0, path.lastIndexOf("/")), { recursive: true, mode: 0o700 });
  const tmp = `${path}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, JSON.stringify({ ...file, auths }, null, "\t") + "\n", { mode: 0o600 });
  fs.renameSync(tmp, path);
  return had;
}
