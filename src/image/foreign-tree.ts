// Reading a tree ctr did not make: an OCI layout directory, or an archive extracted under the
// store's tmp/. Whoever made it chose its names, symlinks and hardlinks, so every member is opened
// below the tree's root with openat2(RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS): no symlink is ever
// followed by the kernel, and `..` cannot climb out. A member must be a regular file; in a
// directory a user hands us, it must also have one link (a hardlink could be any host file on the
// same filesystem).
import { AT_FDCWD, closeFd, openat, openat2, readlinkAt, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, RESOLVE_NO_SYMLINKS, statAt } from "../../ffi/at";
import { O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_PATH, O_RDONLY, S_IFLNK, S_IFMT, S_IFREG } from "../../ffi/constants";
import { readFd } from "../../ffi/files";
import { SysError } from "../errors";

const RESOLVE = RESOLVE_IN_ROOT | RESOLVE_NO_SYMLINKS | RESOLVE_NO_MAGICLINKS;

export class RefusedMember extends Error {
  override name = "RefusedMember";
}

/** `a/./b/../c` → `a/c`, never above the root; null if it would climb out. */
export function memberName(name: string): string | null {
  const parts: string[] = [];
  for (const p of name.split("/")) {
    if (p === "" || p === ".") continue;
    if (p === "..") {
      if (parts.length === 0) return null;
      parts.pop();
    } else parts.push(p);
  }
  return parts.join("/");
}

export class ForeignTree {
  private constructor(
    private readonly root: number,
    /** Prefix of every message: `import`. */
    private readonly what: string,
    /** Hardlinks can only be refused where ctr did not make the tree itself. */
    private readonly refuseHardlinks: boolean,
  ) {}

  /** `dir` is the user's own choice and may be reached through symlinks; nothing below it is. */
  static open(dir: string, what: string, opts: { refuseHardlinks: boolean }): ForeignTree {
    const fd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) throw new SysError("open", -fd, dir);
    return new ForeignTree(fd, what, opts.refuseHardlinks);
  }

  close(): void {
    closeFd(this.root);
  }

  private refuse(name: string, why: string): never {
    throw new RefusedMember(`${this.what}: ${name}: ${why}`);
  }

  /** Whether a member of that name exists at all (of any type, not followed). */
  has(name: string): boolean {
    const clean = memberName(name);
    if (clean === null || clean === "") return false;
    const fd = openat2(this.root, clean, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, RESOLVE);
    if (fd >= 0) closeFd(fd);
    return fd >= 0 || fd === -40 /* ELOOP: a symlink, which read() refuses by name */;
  }

  /**
   * An open fd of a regular member, or a refusal that says why. `followInside`: a relative
   * symlink to another member is taken as that member's name (Docker's own archives link a
   * repeated layer's `<id>/layer.tar` to the first copy); the link's text is never given to the
   * kernel to resolve.
   */
  open(name: string, followInside = false): number {
    const path = memberName(name);
    if (path === null || path === "") this.refuse(name, "names a path outside the archive");
    // O_PATH first: nothing is opened for reading (a FIFO, a device) until the type is known.
    const pathFd = openat2(this.root, path, O_PATH | O_NOFOLLOW | O_CLOEXEC, 0, RESOLVE);
    if (pathFd === -40 /* ELOOP: a symlink on the way */) this.refuseSymlink(path, this.symlinkOnPath(path) ?? path, false);
    if (pathFd === -2 /* ENOENT */ || pathFd === -20 /* ENOTDIR */) this.refuse(path, "no such file in the archive");
    if (pathFd < 0) throw new SysError("openat2", -pathFd, `${this.what}: ${path}`);
    try {
      const st = statAt(pathFd, "");
      const type = (st?.mode ?? 0) & S_IFMT;
      if (type === S_IFLNK) {
        const resolved = followInside ? this.insideTarget(path) : null;
        if (resolved !== null) return this.open(resolved, false);
        this.refuseSymlink(path, path, followInside);
      }
      if (st === null || type !== S_IFREG) this.refuse(path, "is not a regular file");
      if (this.refuseHardlinks && st.nlink > 1) {
        this.refuse(path, `is a hard link (${st.nlink} names for one file), refusing it: it could be any file of this filesystem`);
      }
      // Reopened through the O_PATH fd: the very file just checked, never a name resolved again.
      const fd = openat(AT_FDCWD, `/proc/self/fd/${pathFd}`, O_RDONLY | O_CLOEXEC);
      if (fd < 0) throw new SysError("open", -fd, `${this.what}: ${path}`);
      return fd;
    } finally {
      closeFd(pathFd);
    }
  }

  /** A relative symlink's target as a member name (one hop, never followed by the kernel), or null. */
  private insideTarget(path: string): string | null {
    const target = readlinkAt(this.root, path);
    if (target === null || target.startsWith("/")) return null;
    const resolved = memberName(`${path.slice(0, path.lastIndexOf("/") + 1)}${target}`);
    return resolved === "" ? null : resolved;
  }

  private refuseSymlink(path: string, link: string, triedInside: boolean): never {
    const target = readlinkAt(this.root, link);
    const to = target === null ? "" : ` to ${target}`;
    if (link !== path) this.refuse(path, `${link} on its path is a symlink${to}, refusing to follow it`);
    this.refuse(path, `is a symlink${to}${triedInside ? ", outside the archive" : ""}, refusing to follow it`);
  }

  /** Refuses the member now, as open() would, without reading it. */
  check(name: string, followInside = false): void {
    closeFd(this.open(name, followInside));
  }

  /** The whole member. */
  read(name: string): Buffer {
    const fd = this.open(name);
    try {
      return readAll(fd, `${this.what}: ${name}`);
    } finally {
      closeFd(fd);
    }
  }

  /** The member as 1 MiB chunks; the fd is opened now (so refusals come first) and closed at the end. */
  stream(name: string, followInside = false): AsyncIterable<Uint8Array> {
    const fd = this.open(name, followInside);
    const what = `${this.what}: ${name}`;
    return (async function* () {
      try {
        const buf = Buffer.allocUnsafe(1 << 20);
        for (;;) {
          const n = readFd(fd, buf);
          if (n < 0) throw new SysError("read", -n, what);
          if (n === 0) return;
          yield Buffer.from(buf.subarray(0, n));
        }
      } finally {
        closeFd(fd);
      }
    })();
  }

  /** The first component of `path` that is a symlink (not followed), or null. */
  private symlinkOnPath(path: string): string | null {
    const parts = path.split("/");
    for (let i = 1; i <= parts.length; i++) {
      const prefix = parts.slice(0, i).join("/");
      const st = statAt(this.root, prefix);
      if (st === null) return null;
      if ((st.mode & S_IFMT) === S_IFLNK) return prefix;
    }
    return null;
  }
}

function readAll(fd: number, what: string): Buffer {
  const chunks: Buffer[] = [];
  const buf = Buffer.allocUnsafe(65536);
  for (;;) {
    const n = readFd(fd, buf);
    if (n < 0) throw new SysError("read", -n, what);
    if (n === 0) return Buffer.concat(chunks);
    chunks.push(Buffer.from(buf.subarray(0, n)));
  }
}
