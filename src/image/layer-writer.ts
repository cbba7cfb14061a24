// Directory → layer tar. For `image from-host`, rootfs imports and (with the lifecycle issue)
// `ctr commit`: an overlay upper dir's whiteouts (0:0 character devices) become `.wh.NAME`
// entries and opaque directories a `.wh..wh..opq` entry, as the OCI layer spec writes them.
// Entries are sorted, owners and modes kept, hardlinks written once and linked after.
import { O_CLOEXEC, O_DIRECTORY, O_NOFOLLOW, O_RDONLY } from "../../ffi/constants";
import { AT_FDCWD, S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, closeFd, fgetxattrs, openat, readlinkAt, statAt, type Stat } from "../../ffi/at";
import { readDirFd } from "../../ffi/dir";
import { readFd } from "../../ffi/files";
import { SysError } from "../errors";
import { TAR_END, tarHeader, tarPadding, type TarEntryType } from "./tar";

export interface WriteLayerOptions {
  /** Translate overlayfs whiteouts and opaque dirs into OCI whiteout entries. */
  overlayWhiteouts: boolean;
  /** Fixed mtime for every entry (reproducible layers), else the files' own. */
  mtime?: number;
  /** Owner of every entry, else the files' own (`ctr cp` without -a). */
  owner?: { uid: number; gid: number };
}

function typeOf(st: Stat): TarEntryType | null {
  switch (st.mode & S_IFMT) {
    case S_IFDIR: return "dir";
    case S_IFREG: return "file";
    case S_IFLNK: return "symlink";
    case S_IFCHR: return "char";
    case S_IFBLK: return "block";
    case S_IFIFO: return "fifo";
    default: return null; // sockets are not archived, as tar does
  }
}

/** Yields the tar of `dir`'s contents (names relative to it), ending with the end blocks. */
export async function* writeLayerTar(dir: string, opts: WriteLayerOptions): AsyncGenerator<Buffer> {
  const rootFd = openat(AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (rootFd < 0) throw new SysError("open", -rootFd, dir);
  const links = new Map<string, string>();
  try {
    yield* walk(rootFd, "", dir, opts, links);
    yield TAR_END;
  } finally {
    closeFd(rootFd);
  }
}

async function* walk(dirFd: number, prefix: string, hostPath: string, opts: WriteLayerOptions, links: Map<string, string>): AsyncGenerator<Buffer> {
  const names = readDirFd(dirFd).map((e) => e.name).sort();
  for (const name of names) yield* entry(dirFd, name, `${prefix}${name}`, hostPath, opts, links);
}

/**
 * A tar of one entry of a directory fd (all of it, for a directory) under the tar name `as`:
 * `ctr cp` out of a container. Nothing is followed: the walk stays below `dirFd`.
 */
export async function* writeEntryTar(dirFd: number, name: string, as: string, opts: WriteLayerOptions & { what: string }): AsyncGenerator<Buffer> {
  yield* entry(dirFd, name, as, opts.what, opts, new Map());
  yield TAR_END;
}

async function* entry(dirFd: number, name: string, path: string, hostPath: string, opts: WriteLayerOptions, links: Map<string, string>): AsyncGenerator<Buffer> {
  const st = statAt(dirFd, name);
  if (!st) return;
  const type = typeOf(st);
  if (!type) return;
  const mtime = opts.mtime ?? st.mtime;
  const owner = opts.owner ?? { uid: st.uid, gid: st.gid };
  const base = { mode: st.mode & 0o7777, uid: owner.uid, gid: owner.gid, mtime };
  if (opts.overlayWhiteouts && type === "char" && st.rdevMajor === 0 && st.rdevMinor === 0) {
    const slash = path.lastIndexOf("/");
    yield tarHeader({ ...base, name: `${path.slice(0, slash + 1)}.wh.${name}`, type: "file", mode: 0o600, size: 0 });
    return;
  }
  if (type === "dir") {
    const fd = openat(dirFd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) throw new SysError("open", -fd, `${hostPath}/${path}`);
    try {
      const xattrs = fgetxattrs(fd);
      const opaque = opts.overlayWhiteouts && xattrs.get("trusted.overlay.opaque")?.toString() === "y";
      yield tarHeader({ ...base, name: `${path}/`, type: "dir", xattrs: keepXattrs(xattrs) });
      if (opaque) yield tarHeader({ ...base, name: `${path}/.wh..wh..opq`, type: "file", mode: 0o600, size: 0 });
      yield* walk(fd, `${path}/`, hostPath, opts, links);
    } finally {
      closeFd(fd);
    }
    return;
  }
  if (type === "symlink") {
    const target = readlinkAt(dirFd, name) ?? "";
    yield tarHeader({ ...base, name: path, type, linkname: target });
    return;
  }
  if (type === "char" || type === "block" || type === "fifo") {
    yield tarHeader({ ...base, name: path, type, devmajor: st.rdevMajor, devminor: st.rdevMinor });
    return;
  }
  // Regular file: a second name of an inode already written is a hardlink entry.
  const key = `${st.dev}:${st.ino}`;
  if (st.nlink > 1) {
    const first = links.get(key);
    if (first !== undefined) {
      yield tarHeader({ ...base, name: path, type: "hardlink", linkname: first });
      return;
    }
    links.set(key, path);
  }
  const fd = openat(dirFd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) throw new SysError("open", -fd, `${hostPath}/${path}`);
  try {
    yield tarHeader({ ...base, name: path, type: "file", size: st.size, xattrs: keepXattrs(fgetxattrs(fd)) });
    // Exactly st.size bytes: a file that changes while it is archived must not break the tar.
    let left = st.size;
    while (left > 0) {
      const buf = Buffer.allocUnsafe(Math.min(left, 1 << 20));
      const n = readFd(fd, buf);
      if (n < 0) throw new SysError("read", -n, `${hostPath}/${path}`);
      if (n === 0) {
        yield Buffer.alloc(left);
        left = 0;
        break;
      }
      yield buf.subarray(0, n);
      left -= n;
    }
    yield tarPadding(st.size);
  } finally {
    closeFd(fd);
  }
}

function keepXattrs(x: Map<string, Buffer>): Map<string, Buffer> {
  return new Map([...x].filter(([k]) => !k.startsWith("trusted.overlay.")));
}
