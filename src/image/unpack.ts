// Applies a layer tar to an empty directory, as overlayfs wants it: `.wh.NAME` becomes a whiteout
// (a 0:0 character device) and `.wh..wh..opq` the opaque xattr on its directory.
//
// Safety is by construction, not by checking names: every lookup is openat2(RESOLVE_IN_ROOT) below
// the layer's directory fd, so `..`, absolute names and symlinks (planted earlier in the same tar)
// resolve inside the layer, as if it were "/" (containerd and umoci keep the same rule with
// securejoin). Hardlink targets resolve the same way. Device nodes are refused unless allowed, the
// overlay's own trusted.* xattrs are never taken from a tar, and the uncompressed size is bounded.
import {
  AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW, O_CREAT, O_EXCL, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, S_IFCHR, S_IFBLK,
  S_IFDIR, S_IFIFO, S_IFMT, closeFd, fchmod, fchmodat, fchownat, fsetxattr, linkat, mkdirat, mknodat, openat, openat2,
  statAt, symlinkat, utimensat,
} from "../../ffi/at";
import { O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_RDONLY, O_WRONLY } from "../../ffi/constants";
import { writeFd } from "../../ffi/files";
import { SysError } from "../errors";
import { removeTreeAt } from "../files";
import { absolutePath } from "../../ffi/files";
import { TarError, type TarEntry, type TarSink } from "./tar";

export interface UnpackOptions {
  /** Create block and character devices from the tar (only for a root-owned store). */
  allowDevices: boolean;
  /** Upper bound on the sum of file sizes: a decompression bomb stops here. */
  maxBytes: number;
  /** What the tar is, in messages: a "layer" (the default), an image "archive", or a `cp` "copy". */
  kind?: "layer" | "archive" | "copy";
  /** `.wh.` names are overlay whiteouts (layers; the default), or plain names (`cp`). */
  whiteouts?: boolean;
  /** Every entry gets this owner instead of the tar's (`cp` without -a). */
  owner?: { uid: number; gid: number };
}

export interface UnpackStats {
  entries: number;
  bytes: number;
  skippedDevices: string[];
  skippedXattrs: string[];
}

const WHITEOUT = ".wh.";
const OPAQUE = ".wh..wh..opq";
const RESOLVE = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
/** xattrs a layer may carry: file capabilities, ACLs and the user namespace. Never trusted.overlay.*. */
const ALLOWED_XATTR = /^(user\.|security\.capability$|system\.posix_acl_(access|default)$)/;

/** The name, cleaned as if rooted at "/": `../../x` and `/x` both become `x`. Empty means the root. */
export function cleanName(name: string): string[] {
  return absolutePath(name, "/").split("/").filter(Boolean);
}

export class LayerUnpacker implements TarSink {
  readonly stats: UnpackStats = { entries: 0, bytes: 0, skippedDevices: [], skippedXattrs: [] };
  private dirs = new Map<string, number>();
  private file = -1;
  private fileEntry: TarEntry | null = null;
  private fileName = "";
  private fileParent = -1;
  private dirTimes: { path: string[]; mtime: number }[] = [];

  constructor(private readonly root: number, private readonly opts: UnpackOptions) {}

  private get kind(): string {
    return this.opts.kind ?? "layer";
  }

  entry(entry: TarEntry): void {
    const e = this.opts.owner ? { ...entry, ...this.opts.owner } : entry;
    this.stats.entries++;
    if (e.size > this.opts.maxBytes - this.stats.bytes) {
      throw new TarError(`${this.kind} is larger than the limit of ${this.opts.maxBytes} bytes uncompressed (entry ${e.name})`);
    }
    const parts = cleanName(e.name);
    if (parts.length === 0) return; // the root itself: its metadata belongs to the image's parent layer
    const base = parts.pop()!;
    const parent = this.parentDir(parts, e.name);

    const whiteouts = this.opts.whiteouts ?? true;
    if (whiteouts && base === OPAQUE) return this.markOpaque(parts, e.name);
    if (whiteouts && base.startsWith(`${WHITEOUT}${WHITEOUT}`)) return; // AUFS metadata (.wh..wh.plnk): not content
    if (whiteouts && base.startsWith(WHITEOUT)) {
      const hidden = base.slice(WHITEOUT.length);
      this.removeExisting(parent, hidden, e.name);
      this.check(mknodat(parent, hidden, S_IFCHR, 0, 0), "mknod", e.name);
      return;
    }

    switch (e.type) {
      case "dir": {
        const rc = mkdirat(parent, base, 0o700);
        if (rc === -17 /* EEXIST */) {
          // Tars repeat directories: an existing one keeps its contents and takes the new
          // metadata; anything else of that name is replaced.
          const st = statAt(parent, base);
          if (st === null || (st.mode & S_IFMT) !== S_IFDIR) this.replace(parent, base, e.name, () => mkdirat(parent, base, 0o700), "mkdir");
        } else this.check(rc, "mkdir", e.name);
        this.applyDirMeta(parent, base, parts, e);
        return;
      }
      case "file": {
        const fd = this.replace(parent, base, e.name, () => openat(parent, base, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600), "open");
        this.file = fd;
        this.fileEntry = e;
        this.fileName = base;
        this.fileParent = parent;
        return;
      }
      case "symlink":
        // The target is only text here; every later lookup through it stays in the layer.
        this.replace(parent, base, e.name, () => symlinkat(e.linkname, parent, base), "symlink");
        this.dirs.clear(); // cached parents could now be reached another way: look them up again
        this.check(fchownat(parent, base, e.uid, e.gid, AT_SYMLINK_NOFOLLOW), "lchown", e.name);
        utimensat(parent, base, e.mtime);
        return;
      case "hardlink": {
        const target = cleanName(e.linkname);
        if (target.length === 0) throw new TarError(`${e.name}: hardlink to the ${this.kind} root`);
        const tbase = target.pop()!;
        const missing = new TarError(`${e.name}: hardlink to ${e.linkname}, which is not in the ${this.kind}`);
        let tparent: number;
        try {
          tparent = this.parentDir(target, e.linkname, false);
        } catch (err) {
          throw err instanceof SysError && err.code === "ENOENT" ? missing : err;
        }
        if (statAt(tparent, tbase) === null) throw missing;
        this.replace(parent, base, `${e.name} -> ${e.linkname}`, () => linkat(tparent, tbase, parent, base, 0), "link");
        return;
      }
      case "char":
      case "block":
        if (!this.opts.allowDevices) {
          this.stats.skippedDevices.push(e.name);
          return;
        }
        this.replace(parent, base, e.name, () => mknodat(parent, base, (e.type === "char" ? S_IFCHR : S_IFBLK) | (e.mode & 0o777), e.devmajor, e.devminor), "mknod");
        this.finishNode(parent, base, e);
        return;
      case "fifo":
        this.replace(parent, base, e.name, () => mknodat(parent, base, S_IFIFO | (e.mode & 0o777), 0, 0), "mkfifo");
        this.finishNode(parent, base, e);
        return;
    }
  }

  data(chunk: Uint8Array): void {
    if (this.file < 0) return;
    this.stats.bytes += chunk.length;
    const rc = writeFd(this.file, chunk as Buffer);
    if (rc < 0) throw new SysError("write", -rc, this.fileEntry!.name);
  }

  entryEnd(): void {
    if (this.file < 0) return;
    const e = this.fileEntry!;
    const fd = this.file;
    this.file = -1;
    try {
      // chown before chmod: chown clears the set-id bits.
      this.check(fchownat(fd, "", e.uid, e.gid, AT_EMPTY_PATH), "chown", e.name);
      this.check(fchmod(fd, e.mode), "chmod", e.name);
      this.setXattrs(fd, e);
    } finally {
      closeFd(fd);
    }
    utimensat(this.fileParent, this.fileName, e.mtime);
  }

  /** Directory times last: creating entries inside a directory changes its mtime. Closes every fd. */
  finish(): void {
    for (const { path, mtime } of this.dirTimes.reverse()) {
      const base = path[path.length - 1]!;
      const parent = this.parentDir(path.slice(0, -1), path.join("/"), false);
      utimensat(parent, base, mtime);
    }
    this.close();
  }

  close(): void {
    if (this.file >= 0) closeFd(this.file);
    this.file = -1;
    for (const fd of this.dirs.values()) closeFd(fd);
    this.dirs.clear();
  }

  /**
   * Creates with `create` (an O_EXCL-style call); if the name exists, an earlier entry of the same
   * tar made it: remove that one, as tar does, and create again. No stat on the common path.
   */
  private replace(parent: number, base: string, name: string, create: () => number, syscall: string): number {
    let rc = create();
    if (rc === -17 /* EEXIST */) {
      this.removeExisting(parent, base, name);
      rc = create();
    }
    return this.check(rc, syscall, name);
  }

  private check(rc: number, syscall: string, name: string): number {
    if (rc < 0) throw new SysError(syscall, -rc, `${this.kind === "copy" ? "" : `${this.kind} entry `}${name}`);
    return rc;
  }

  /** An O_PATH fd of the directory `parts` (relative to the layer), created as needed. */
  private parentDir(parts: string[], entryName: string, create = true): number {
    if (parts.length === 0) return this.root;
    const key = parts.join("/");
    const cached = this.dirs.get(key);
    if (cached !== undefined) return cached;
    let fd = openat2(this.root, key, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE);
    if (fd === -2 /* ENOENT */ && create) {
      // Tars may omit parent directories: make them as tar does, 0755 root.
      const up = this.parentDir(parts.slice(0, -1), entryName);
      const rc = mkdirat(up, parts[parts.length - 1]!, 0o755);
      if (rc < 0 && rc !== -17 /* EEXIST */) this.check(rc, "mkdir", entryName);
      fd = openat2(this.root, key, O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE);
    }
    this.check(fd, "openat2", `${entryName} (parent ${key})`);
    if (this.dirs.size >= 64) {
      for (const old of this.dirs.values()) closeFd(old);
      this.dirs.clear();
    }
    this.dirs.set(key, fd);
    return fd;
  }

  private applyDirMeta(parent: number, base: string, parts: string[], e: TarEntry): void {
    this.check(fchownat(parent, base, e.uid, e.gid, AT_SYMLINK_NOFOLLOW), "chown", e.name);
    this.check(fchmodat(parent, base, e.mode), "chmod", e.name);
    if (e.xattrs.size) {
      const fd = this.check(openat2(parent, base, O_RDONLY | O_DIRECTORY | O_CLOEXEC | O_NOFOLLOW, 0, RESOLVE), "open", e.name);
      try {
        this.setXattrs(fd, e);
      } finally {
        closeFd(fd);
      }
    }
    this.dirTimes.push({ path: [...parts, base], mtime: e.mtime });
  }

  private finishNode(parent: number, base: string, e: TarEntry): void {
    this.check(fchownat(parent, base, e.uid, e.gid, AT_SYMLINK_NOFOLLOW), "chown", e.name);
    this.check(fchmodat(parent, base, e.mode & 0o7777), "chmod", e.name);
    utimensat(parent, base, e.mtime);
  }

  private setXattrs(fd: number, e: TarEntry): void {
    for (const [name, value] of e.xattrs) {
      if (!ALLOWED_XATTR.test(name)) {
        this.stats.skippedXattrs.push(`${e.name}: ${name}`);
        continue;
      }
      const rc = fsetxattr(fd, name, value);
      // As Docker: a filesystem without (user) xattrs loses them with a warning, not the layer.
      if (rc === -95 /* EOPNOTSUPP */) this.stats.skippedXattrs.push(`${e.name}: ${name} (the store's filesystem does not support it)`);
      else this.check(rc, `setxattr ${name}`, e.name);
    }
  }

  private markOpaque(parts: string[], entryName: string): void {
    const fd = this.check(openat2(this.root, parts.length ? parts.join("/") : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE), "open", entryName);
    try {
      this.check(fsetxattr(fd, "trusted.overlay.opaque", Buffer.from("y")), "setxattr trusted.overlay.opaque", entryName);
    } finally {
      closeFd(fd);
    }
  }

  /** Tar semantics: a later entry replaces an earlier one of the same name (a directory, recursively). */
  private removeExisting(parent: number, base: string, entryName: string): void {
    removeTreeAt(parent, base, entryName);
    this.dirs.clear(); // a cached parent may have been below it
  }
}
