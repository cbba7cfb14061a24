// The image store under the state root (--root, CTR_ROOT, default /var/lib/ctr):
//
//   ctr.db                   sqlite: images and tags
//   lock                     flock: shared while adding content, exclusive for garbage collection
//   blobs/sha256/<hex>       the content store: manifests, configs, compressed layers, by digest
//   layers/<chain hex>/      one unpacked layer per chain id, overlay2 style:
//       diff/                  the layer's files (whiteouts as overlayfs wants them)
//       link                   its short name: l/<link> -> ../layers/<chain hex>/diff
//       meta.json              diff id, chain id, size
//   l/<link>                 short names keep overlay's lowerdir= option under a page with many layers
//   tmp/                     everything is written here first, then renamed into place
//   containers/<id>/         a container's state and its upper, work and init layers (container/)
//
// Commit is rename(2): a crash or Ctrl-C mid-pull leaves only tmp/ entries, which the next garbage
// collection removes, never a half layer or blob under its final name. Two pulls of the same
// content race harmlessly: the second rename finds the first one's result and discards its own.
import { err } from "../output";
import { Database } from "bun:sqlite";
import * as files from "../files";
import { readTextFile } from "../../ffi/files";
import { SysError } from "../errors";
import * as v from "valibot";
import { LOCK_EX, LOCK_NB, LOCK_SH, LOCK_UN, flock } from "../../ffi/at";
import { type Digest, hexOf, chainIds, DigestCounter } from "./digest";
import { parseDocument, parseJson, ImageConfigSchema, ManifestSchema, type ImageConfig, type Manifest } from "./schema";
import { AT_FDCWD, statAt } from "../../ffi/at";
import { processStartTime } from "../container/state";

export { DEFAULT_ROOT, stateRoot } from "../container/state";

export interface ImageRecord {
  id: Digest;
  manifest: Digest;
  repoDigests: string[];
  created: string;
  size: number;
  added: number;
}

export interface LayerMeta {
  chainId: Digest;
  diffId: Digest;
  size: number;
  link: string;
}

const LayerMetaSchema = v.object({ chainId: v.string(), diffId: v.string(), size: v.number(), link: v.string() });

/** 2: containers are no longer rows (their state directories say which image they use). */
const SCHEMA_VERSION = 2;
const SCHEMA = `
CREATE TABLE IF NOT EXISTS images (
  id TEXT PRIMARY KEY,
  manifest TEXT NOT NULL,
  repo_digests TEXT NOT NULL DEFAULT '[]',
  created TEXT NOT NULL DEFAULT '',
  size INTEGER NOT NULL DEFAULT 0,
  added INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS tags (
  name TEXT PRIMARY KEY,
  image TEXT NOT NULL REFERENCES images(id)
);
`;

function randomName(n = 26): string {
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
  const b = new Uint8Array(n);
  crypto.getRandomValues(b);
  return [...b].map((x) => alphabet[x & 31]).join("");
}

let ownStartTime: number | null = null;
function ownStart(): number {
  return (ownStartTime ??= processStartTime(process.pid) ?? 0);
}

export class ImageStore {
  readonly db: Database;
  private lockFd = -1;
  private lockDepth = 0;
  private lockMode: "shared" | "exclusive" | null = null;
  private readonly temps = new Set<string>();

  private constructor(readonly root: string) {
    this.db = new Database(`${root}/ctr.db`, { create: true });
    this.db.exec("PRAGMA busy_timeout=10000; PRAGMA synchronous=NORMAL;");
    // The schema once per store (user_version 1), not on every `ctr run`.
    if (this.db.query<{ user_version: number }, []>("PRAGMA user_version").get()?.user_version !== SCHEMA_VERSION) {
      this.db.exec("PRAGMA journal_mode=WAL;");
      this.db.transaction(() => {
        this.db.exec(SCHEMA);
        this.db.exec("DROP TABLE IF EXISTS containers");
        this.db.exec(`PRAGMA user_version=${SCHEMA_VERSION}`);
      })();
    }
  }

  static open(root: string): ImageStore {
    if (files.exists(`${root}/ctr.db`)) return new ImageStore(root);
    files.mkdirp(root, 0o700);
    for (const d of ["blobs", "blobs/sha256", "layers", "l", "tmp", "containers"]) files.mkdir(`${root}/${d}`, 0o700, true);
    return new ImageStore(root);
  }

  /** Device nodes from layers only into a store no other user can write (the rule). */
  checkDevicesAllowed(): void {
    const st = statAt(AT_FDCWD, this.root, true);
    if (!st || st.uid !== 0 || (st.mode & 0o022) !== 0) throw new Error(`--allow-devices: the store ${this.root} must be owned by root and writable only by it`);
  }

  close(): void {
    if (this.lockFd >= 0) this.releaseLock();
    this.db.close();
  }

  // ---- locking ----

  /**
   * Shared: adding content, or using it (a run from lookup to its container row). Exclusive:
   * garbage collection. Returns false if nonBlocking and busy. Nests: a pull inside a run's hold
   * keeps the lock until the outer unlock.
   */
  lock(mode: "shared" | "exclusive", nonBlocking = false): boolean {
    if (this.lockFd >= 0 && this.lockMode === mode) {
      this.lockDepth++;
      return true;
    }
    if (this.lockFd < 0) this.lockFd = files.openForLock(`${this.root}/lock`);
    const rc = flock(this.lockFd, (mode === "shared" ? LOCK_SH : LOCK_EX) | (nonBlocking ? LOCK_NB : 0));
    if (rc === -11 /* EWOULDBLOCK */) {
      if (this.lockDepth === 0) this.releaseLock();
      return false;
    }
    if (rc < 0) throw new Error(`flock ${this.root}/lock: errno ${-rc}`);
    this.lockMode = mode;
    this.lockDepth++;
    return true;
  }

  unlock(): void {
    if (this.lockFd < 0) return;
    if (--this.lockDepth > 0) return;
    this.releaseLock();
  }

  private releaseLock(): void {
    flock(this.lockFd, LOCK_UN);
    files.closeFd(this.lockFd);
    this.lockFd = -1;
    this.lockDepth = 0;
    this.lockMode = null;
  }

  // ---- blobs ----

  blobPath(d: Digest): string {
    return `${this.root}/blobs/sha256/${hexOf(d)}`;
  }

  hasBlob(d: Digest): boolean {
    return files.exists(this.blobPath(d));
  }

  readBlob(d: Digest): Buffer {
    return files.readFile(this.blobPath(d));
  }

  /**
   * A new name under tmp/, tagged with this process (pid and start time): a later pull can tell a
   * dead pull's leftovers from a live one's work, and Ctrl-C removes this process's own.
   */
  tempPath(prefix: string): string {
    const path = `${this.root}/tmp/${process.pid}.${ownStart()}-${prefix}-${randomName(12)}`;
    this.temps.add(path);
    return path;
  }

  /** Removes this process's temp files and dirs (on SIGINT/SIGTERM, before exiting). */
  removeOwnTemps(): void {
    for (const t of [...this.temps]) {
      try {
        this.removeTemp(t);
      } catch {
        /* best effort on the way out */
      }
    }
  }

  /**
   * While content is being added: SIGINT or SIGTERM removes this process's temp files and exits
   * 130 or 143, so Ctrl-C mid-pull leaves nothing. Returns the function that uninstalls it.
   */
  cleanupOnSignals(): () => void {
    const handlers = (["SIGINT", "SIGTERM"] as const).map((sig) => {
      const h = () => {
        this.removeOwnTemps();
        err(`ctr: interrupted (${sig}); nothing was added to the store\n`);
        process.exit(sig === "SIGINT" ? 130 : 143);
      };
      process.on(sig, h);
      return () => process.off(sig, h);
    });
    return () => handlers.forEach((off) => off());
  }

  /** Removes tmp/ entries of processes that are gone (a killed pull); under the shared lock. */
  sweepDeadTemps(): string[] {
    const removed: string[] = [];
    for (const name of files.readdir(`${this.root}/tmp`)) {
      const m = /^(\d+)\.(\d+)-/.exec(name);
      if (m && processStartTime(Number(m[1])) === Number(m[2])) continue;
      files.removeTree(`${this.root}/tmp/${name}`);
      removed.push(name);
    }
    return removed;
  }

  /** Stores bytes under their digest; `expected` (if given) must match. */
  putBlob(bytes: Uint8Array, expected?: { digest: Digest; size?: number }, what = "blob"): Digest {
    const c = new DigestCounter();
    c.update(bytes);
    const digest = c.digest();
    if (expected) verifyContent(what, expected, digest, bytes.length);
    if (!this.hasBlob(digest)) {
      const tmp = this.tempPath("blob");
      files.writeFile(tmp, bytes, 0o600, true);
      files.rename(tmp, this.blobPath(digest));
      this.forgetTemp(tmp);
    }
    return digest;
  }

  /** A blob written in chunks: commit() verifies digest and size, then renames it into place. */
  blobWriter(expected: { digest: Digest; size: number } | null, what: string): BlobWriter {
    return new BlobWriter(this, expected, what);
  }

  // ---- layers ----

  layerDir(chainId: Digest): string {
    return `${this.root}/layers/${hexOf(chainId)}`;
  }

  hasLayer(chainId: Digest): boolean {
    return files.exists(`${this.layerDir(chainId)}/meta.json`);
  }

  layerMeta(chainId: Digest): LayerMeta | null {
    try {
      return parseJson(LayerMetaSchema, files.readFile(`${this.layerDir(chainId)}/meta.json`), `layer ${chainId}`) as LayerMeta;
    } catch {
      return null;
    }
  }

  /** A fresh temp layer directory with an empty diff/ to unpack into. */
  newLayerDir(): string {
    const dir = this.tempPath("layer");
    files.mkdir(dir, 0o700);
    files.mkdir(`${dir}/diff`, 0o755);
    return dir;
  }

  /** Renames an unpacked temp layer into place. If another pull got there first, keeps theirs. */
  commitLayer(tmpDir: string, chainId: Digest, diffId: Digest, size: number): LayerMeta {
    const existing = this.layerMeta(chainId);
    if (existing) {
      this.removeTemp(tmpDir);
      return existing;
    }
    const link = randomName();
    const meta: LayerMeta = { chainId, diffId, size, link };
    files.writeFile(`${tmpDir}/link`, link);
    files.writeFile(`${tmpDir}/meta.json`, JSON.stringify(meta));
    try {
      files.rename(tmpDir, this.layerDir(chainId));
      this.forgetTemp(tmpDir);
    } catch (e) {
      const code = e instanceof SysError ? e.code : "";
      if (code !== "ENOTEMPTY" && code !== "EEXIST") throw e;
      this.removeTemp(tmpDir);
      return this.layerMeta(chainId) ?? meta;
    }
    files.symlink(`../layers/${hexOf(chainId)}/diff`, `${this.root}/l/${link}`);
    return meta;
  }

  /** overlay lowerdir= entries, top layer first, relative to the root (mount with cwd = root). */
  lowerDirs(chainIdsBottomUp: Digest[]): string[] {
    return chainIdsBottomUp
      .map((c) => {
        const m = this.layerMeta(c);
        if (!m) throw new Error(`layer ${c} is missing from the store (run \`ctr pull\` again)`);
        if (!files.exists(`${this.root}/l/${m.link}`)) files.symlink(`../layers/${hexOf(c)}/diff`, `${this.root}/l/${m.link}`);
        return `l/${m.link}`;
      })
      .reverse();
  }

  /** A temp path that was renamed into place: no longer ours to clean up. */
  forgetTemp(path: string): void {
    this.temps.delete(path);
  }

  removeTemp(path: string): void {
    files.removeTree(path);
    this.temps.delete(path);
  }

  // ---- images ----

  putImage(rec: Omit<ImageRecord, "added">, names: string[]): void {
    const tx = this.db.transaction(() => {
      const old = this.db.query<{ repo_digests: string }, [string]>("SELECT repo_digests FROM images WHERE id = ?").get(rec.id);
      const digests = [...new Set([...(old ? (JSON.parse(old.repo_digests) as string[]) : []), ...rec.repoDigests])];
      this.db
        .query("INSERT INTO images (id, manifest, repo_digests, created, size, added) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET manifest = excluded.manifest, repo_digests = excluded.repo_digests")
        .run(rec.id, rec.manifest, JSON.stringify(digests), rec.created, rec.size, Date.now());
      for (const n of names) this.db.query("INSERT INTO tags (name, image) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET image = excluded.image").run(n, rec.id);
    });
    tx();
  }

  getImage(id: Digest): ImageRecord | null {
    const row = this.db.query<{ id: string; manifest: string; repo_digests: string; created: string; size: number; added: number }, [string]>("SELECT * FROM images WHERE id = ?").get(id);
    return row ? { id: row.id, manifest: row.manifest, repoDigests: JSON.parse(row.repo_digests), created: row.created, size: row.size, added: row.added } : null;
  }

  listImages(): (ImageRecord & { tags: string[] })[] {
    const rows = this.db.query<{ id: string }, []>("SELECT id FROM images ORDER BY added DESC").all();
    return rows.map((r) => ({ ...this.getImage(r.id)!, tags: this.tagsOf(r.id) }));
  }

  tagsOf(id: Digest): string[] {
    return this.db.query<{ name: string }, [string]>("SELECT name FROM tags WHERE image = ? ORDER BY name").all(id).map((r) => r.name);
  }

  imageByTag(name: string): Digest | null {
    return this.db.query<{ image: string }, [string]>("SELECT image FROM tags WHERE name = ?").get(name)?.image ?? null;
  }

  /** Image ids whose id starts with a prefix (for `ctr rmi 3f2a`). */
  imagesByIdPrefix(prefix: string): Digest[] {
    const p = prefix.startsWith("sha256:") ? prefix : `sha256:${prefix}`;
    return this.db.query<{ id: string }, [string]>("SELECT id FROM images WHERE id LIKE ? || '%'").all(p).map((r) => r.id);
  }

  imageByRepoDigest(repoDigest: string): Digest | null {
    const rows = this.db.query<{ id: string; repo_digests: string }, []>("SELECT id, repo_digests FROM images").all();
    return rows.find((r) => (JSON.parse(r.repo_digests) as string[]).includes(repoDigest))?.id ?? null;
  }

  untag(name: string): boolean {
    return this.db.query("DELETE FROM tags WHERE name = ?").run(name).changes > 0;
  }

  deleteImage(id: Digest): void {
    const tx = this.db.transaction(() => {
      this.db.query("DELETE FROM tags WHERE image = ?").run(id);
      this.db.query("DELETE FROM images WHERE id = ?").run(id);
    });
    tx();
  }

  manifestOf(rec: ImageRecord): Manifest {
    // Checked again on the way out: push and save must never send an ambiguous document.
    return parseDocument(ManifestSchema, this.readBlob(rec.manifest), "manifest", null, `manifest ${rec.manifest}`);
  }

  configOf(rec: ImageRecord): ImageConfig {
    return parseJson(ImageConfigSchema, this.readBlob(rec.id), `image config ${rec.id}`);
  }

  chainOf(rec: ImageRecord): Digest[] {
    return chainIds(this.configOf(rec).rootfs.diff_ids);
  }

  // ---- containers using images ----

  /**
   * Images used by containers (running or stopped, as Docker counts them), from each container's
   * `image` file: written under the shared lock while the container is made, so a garbage
   * collection (exclusive) sees either no container or one that names its image.
   */
  imagesInUse(): Map<Digest, string[]> {
    const out = new Map<Digest, string[]>();
    for (const id of files.readdir(`${this.root}/containers`)) {
      const image = readTextFile(`${this.root}/containers/${id}/image`)?.trim();
      if (image) out.set(image as Digest, [...(out.get(image as Digest) ?? []), id]);
    }
    return out;
  }

  // ---- garbage collection ----

  /**
   * Removes blobs, layers and temp files nothing references. Needs the exclusive lock (no pull may
   * be adding content); returns null if the store is busy.
   */
  gc(): { blobs: number; layers: number; bytes: number } | null {
    if (!this.lock("exclusive", true)) return null;
    try {
      const blobs = new Set<string>();
      const layers = new Set<string>();
      const inUse = this.imagesInUse();
      const ids = new Set([...this.db.query<{ id: string }, []>("SELECT id FROM images").all().map((r) => r.id), ...inUse.keys()]);
      for (const id of ids) {
        const rec = this.getImage(id);
        blobs.add(hexOf(id));
        if (!rec) continue;
        blobs.add(hexOf(rec.manifest));
        try {
          for (const l of this.manifestOf(rec).layers) blobs.add(hexOf(l.digest));
          for (const c of this.chainOf(rec)) layers.add(hexOf(c));
        } catch {
          /* a damaged record keeps what it can name */
        }
      }
      let removedBlobs = 0;
      let removedLayers = 0;
      let bytes = 0;
      for (const hex of files.readdir(`${this.root}/blobs/sha256`)) {
        if (blobs.has(hex)) continue;
        bytes += files.fileSize(`${this.root}/blobs/sha256/${hex}`);
        files.unlink(`${this.root}/blobs/sha256/${hex}`);
        removedBlobs++;
      }
      for (const hex of files.readdir(`${this.root}/layers`)) {
        if (layers.has(hex)) continue;
        const dir = `${this.root}/layers/${hex}`;
        const meta = this.layerMeta(`sha256:${hex}`);
        bytes += meta?.size ?? 0;
        if (meta) files.unlink(`${this.root}/l/${meta.link}`);
        files.removeTree(dir);
        removedLayers++;
      }
      // Links whose layer is gone (a crash between the two removals above).
      for (const link of files.readdir(`${this.root}/l`)) {
        if (!files.exists(`${this.root}/l/${link}`)) files.unlink(`${this.root}/l/${link}`);
      }
      for (const t of files.readdir(`${this.root}/tmp`)) files.removeTree(`${this.root}/tmp/${t}`);
      return { blobs: removedBlobs, layers: removedLayers, bytes };
    } finally {
      this.unlock();
    }
  }
}

export function verifyContent(what: string, expected: { digest: Digest; size?: number }, digest: Digest, size: number): void {
  if (expected.size !== undefined && size !== expected.size) {
    throw new Error(`${what} ${expected.digest}: size mismatch: expected ${expected.size} bytes, got ${size}`);
  }
  if (digest !== expected.digest) throw new Error(`${what}: digest mismatch: expected ${expected.digest}, got ${digest}`);
}

export class BlobWriter {
  private counter = new DigestCounter();
  private fd: number;
  readonly tmp: string;
  private done = false;

  constructor(private readonly store: ImageStore, private readonly expected: { digest: Digest; size: number } | null, private readonly what: string) {
    this.tmp = store.tempPath("blob");
    this.fd = files.openForWrite(this.tmp, 0o600, true);
  }

  get bytes(): number {
    return this.counter.bytes;
  }

  write(chunk: Uint8Array): void {
    this.counter.update(chunk);
    if (this.expected && this.counter.bytes > this.expected.size) {
      throw new Error(`${this.what} ${this.expected.digest}: more data than the ${this.expected.size} bytes the manifest declares`);
    }
    files.writeAll(this.fd, chunk, this.tmp);
  }

  /** Verifies, syncs and renames into blobs/; returns the digest. */
  commit(): Digest {
    const digest = this.counter.digest();
    try {
      if (this.expected) verifyContent(this.what, this.expected, digest, this.counter.bytes);
      files.syncFd(this.fd, this.tmp);
    } catch (e) {
      this.abort();
      throw e;
    }
    files.closeFd(this.fd);
    this.done = true;
    files.rename(this.tmp, this.store.blobPath(digest));
    this.store.forgetTemp(this.tmp);
    return digest;
  }

  abort(): void {
    if (this.done) return;
    this.done = true;
    files.closeFd(this.fd);
    this.store.removeTemp(this.tmp);
  }
}
