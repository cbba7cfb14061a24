// `ctr cp`: files between a container and the host (or a tar stream), with Docker's rules for
// where things land. Both ways go through a tar stream: out of the container it is written by a
// walk below the container's root fd, into the host or the container it is unpacked below the
// destination's fd with RESOLVE_IN_ROOT. No path inside the container is ever resolved by the
// host's view of it: a symlink in the container pointing at /etc stays the container's /etc.
import { AT_FDCWD, RESOLVE_IN_ROOT, RESOLVE_NO_MAGICLINKS, S_IFDIR, S_IFLNK, S_IFMT, closeFd, openat, openat2, readlinkAt, statAt } from "../../ffi/at";
import { O_CLOEXEC, O_DIRECTORY, O_PATH } from "../../ffi/constants";
import { absolutePath } from "../../ffi/files";
import { ExitError, SysError } from "../errors";
import { writeEntryTar } from "../image/layer-writer";
import { TarParser } from "../image/tar";
import { LayerUnpacker } from "../image/unpack";
import { openContainerRoot, type ContainerRoot } from "./root-access";
import type { ContainerInfo } from "./store";

const RESOLVE = RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS;
const MAX_COPY_BYTES = 1024 ** 4;

export interface CopyOptions {
  /** -a: keep owners (else the copy is owned by the user running ctr, as Docker does). */
  archive: boolean;
  /** -L: follow a symlink that is the source (inside the container's root). */
  followLink: boolean;
}

/** A path split as Docker reads it: `/.` at the end means "the directory's contents". */
export function splitPath(path: string): { parent: string; base: string; contents: boolean; trailingSlash: boolean } {
  const contents = path.endsWith("/.") || path === ".";
  const trailingSlash = path.endsWith("/");
  const clean = absolutePath(contents ? path.slice(0, -1) : path, "/");
  const at = clean.lastIndexOf("/");
  return { parent: clean.slice(0, at) || "/", base: clean.slice(at + 1), contents, trailingSlash };
}

/** A container's files: below its root, and for a stopped container its volumes and binds too. */
function rootFor(info: ContainerInfo, path: string): { root: ContainerRoot; path: string } {
  const root = openContainerRoot(info);
  if (root.how === "running") return { root, path };
  // A running container's mounts are in its own view; a stopped one's are bound here by hand.
  const clean = absolutePath(path, "/");
  const mount = info.config.mounts
    .filter((m) => m.type !== "tmpfs" && (clean === m.destination || clean.startsWith(`${m.destination}/`)))
    .sort((a, b) => b.destination.length - a.destination.length)[0];
  if (!mount || mount.type === "tmpfs") return { root, path };
  root.close();
  const fd = openat(AT_FDCWD, mount.source, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) throw new SysError("open", -fd, mount.source);
  return { root: { fd, how: "rootfs", close: () => closeFd(fd) }, path: clean.slice(mount.destination.length) || "/" };
}

/** An O_PATH fd of a directory below root, or null if it does not exist. */
function openDir(root: number, path: string, what: string): number | null {
  const fd = openat2(root, path === "/" ? "." : path.replace(/^\/+/, ""), O_PATH | O_DIRECTORY | O_CLOEXEC, 0, RESOLVE);
  if (fd === -2 /* ENOENT */) return null;
  if (fd === -20 /* ENOTDIR */) throw new ExitError(`${what}: not a directory`, 1);
  if (fd < 0) throw new SysError("openat2", -fd, what);
  return fd;
}

/** -L: the source's symlinks followed, one hop at a time, each resolved inside the root. */
function followLinks(root: number, path: string, what: string): string {
  for (let hops = 0; hops < 40; hops++) {
    const { parent, base } = splitPath(path);
    const dir = openDir(root, parent, what);
    if (dir === null) return path;
    try {
      const st = statAt(dir, base);
      if (!st || (st.mode & S_IFMT) !== S_IFLNK) return path;
      const target = readlinkAt(dir, base) ?? "";
      path = target.startsWith("/") ? target : `${parent}/${target}`;
    } finally {
      closeFd(dir);
    }
  }
  throw new ExitError(`${what}: too many levels of symbolic links`, 1);
}

async function pump(source: AsyncIterable<Buffer>, into: LayerUnpacker): Promise<void> {
  const parser = new TarParser(into);
  try {
    for await (const chunk of source) parser.push(chunk);
    parser.finish();
    into.finish();
  } finally {
    into.close();
  }
}

const owner = (o: CopyOptions) => (o.archive ? undefined : { uid: process.getuid?.() ?? 0, gid: process.getgid?.() ?? 0 });

/** Where a copy lands: Docker's rules for an existing directory, a new name, or a file. */
function destination(root: number, path: string, sourceIsDir: boolean, what: string): { dir: number; name: string } {
  const d = splitPath(path);
  const existing = openat2(root, path === "/" ? "." : path.replace(/^\/+/, ""), O_PATH | O_CLOEXEC, 0, RESOLVE);
  if (existing >= 0) {
    const st = statAt(existing, "");
    if (st && (st.mode & S_IFMT) === S_IFDIR) return { dir: existing, name: "" };
    closeFd(existing);
    if (sourceIsDir) throw new ExitError(`${what}: cannot copy a directory to a file`, 1);
    if (d.trailingSlash) throw new ExitError(`${what}: not a directory`, 1);
  } else if (d.trailingSlash) throw new ExitError(`${what}: no such directory`, 1);
  const dir = openDir(root, d.parent, what);
  if (dir === null) throw new ExitError(`${what}: no such directory: ${d.parent}`, 1);
  return { dir, name: d.base };
}

/** The source as a tar stream, from below `root`: `as` names it in the tar ("." for contents). */
function sourceTar(root: number, path: string, what: string, o: CopyOptions & { as: (base: string, contents: boolean) => string }): { tar: AsyncIterable<Buffer>; isDir: boolean; close: () => void } {
  const resolved = o.followLink ? followLinks(root, path, what) : path;
  const s = splitPath(resolved);
  const dir = openDir(root, s.parent, what);
  const st = dir === null ? null : s.base === "" ? statAt(dir, "") : statAt(dir, s.base);
  if (dir === null || st === null) {
    if (dir !== null) closeFd(dir);
    throw new ExitError(`${what}: no such file or directory`, 1);
  }
  const isDir = (st.mode & S_IFMT) === S_IFDIR;
  if (s.contents && !isDir) {
    closeFd(dir);
    throw new ExitError(`${what}: not a directory`, 1);
  }
  // The root itself ("/") is entered by "." from its own fd.
  const name = s.base === "" ? "." : s.base;
  const tar = writeEntryTar(dir, name, o.as(s.base, s.contents), { overlayWhiteouts: false, what, owner: owner(o) });
  return { tar, isDir, close: () => closeFd(dir) };
}

/** CONTAINER:SRC → a host path, or "-" (a tar stream to `write`). */
export async function copyOut(info: ContainerInfo, src: string, dest: string, o: CopyOptions, write: (b: Buffer) => void): Promise<void> {
  const what = `${info.config.name ?? info.id.slice(0, 12)}:${src}`;
  const { root, path } = rootFor(info, src);
  try {
    if (dest === "-") {
      const s = sourceTar(root.fd, path, what, { ...o, as: (base) => base || "." });
      try {
        for await (const chunk of s.tar) write(chunk);
      } finally {
        s.close();
      }
      return;
    }
    await withHostRoot((host) => copyTree({ root: root.fd, path, what, archive: o.archive }, { root: host, path: destinationOnHost(dest), what: dest }, o, owner(o)));
  } finally {
    root.close();
  }
}

/**
 * One tree into another, both below root fds: the source as a tar stream (its owners kept when
 * `archive`), unpacked where Docker's rules put it, every entry owned by `unpackOwner` if given.
 */
async function copyTree(from: { root: number; path: string; what: string; archive: boolean }, to: { root: number; path: string; what: string }, o: CopyOptions, unpackOwner: { uid: number; gid: number } | undefined): Promise<void> {
  const probe = sourceTar(from.root, from.path, from.what, { ...o, as: () => "." });
  probe.close();
  const target = destination(to.root, to.path, probe.isDir, to.what);
  try {
    const s = sourceTar(from.root, from.path, from.what, { ...o, archive: from.archive, as: (base, contents) => target.name || (contents ? "." : base || ".") });
    try {
      await pump(s.tar, unpacker(target.dir, unpackOwner));
    } finally {
      s.close();
    }
  } finally {
    closeFd(target.dir);
  }
}

const unpacker = (dir: number, owner: { uid: number; gid: number } | undefined) =>
  new LayerUnpacker(dir, { allowDevices: false, maxBytes: MAX_COPY_BYTES, kind: "copy", whiteouts: false, owner });

async function withHostRoot<T>(fn: (host: number) => Promise<T>): Promise<T> {
  const host = openat(AT_FDCWD, "/", O_PATH | O_DIRECTORY | O_CLOEXEC);
  try {
    return await fn(host);
  } finally {
    closeFd(host);
  }
}

/** The host side is the user's own: relative to the working directory, symlinks as the user has them. */
function destinationOnHost(p: string): string {
  const abs = absolutePath(p);
  return p.endsWith("/") && !abs.endsWith("/") ? `${abs}/` : abs;
}

/** A host path, or "-" (a tar stream from `read`) → CONTAINER:DEST. */
export async function copyIn(src: string, info: ContainerInfo, dest: string, o: CopyOptions, read: () => AsyncIterable<Buffer>): Promise<void> {
  const what = `${info.config.name ?? info.id.slice(0, 12)}:${dest}`;
  const { root, path } = rootFor(info, dest);
  try {
    if (src === "-") {
      // A tar stream goes into a directory that exists (Docker's rule).
      const dir = openDir(root.fd, path, what);
      if (dir === null) throw new ExitError(`${what}: no such directory`, 1);
      try {
        await pump(read(), unpacker(dir, o.archive ? undefined : { uid: 0, gid: 0 }));
      } finally {
        closeFd(dir);
      }
      return;
    }
    // Into a container without -a: owned by root, as Docker does.
    const hostPath = absolutePath(src) + (src.endsWith("/.") ? "/." : "");
    await withHostRoot((host) => copyTree({ root: host, path: hostPath, what: src, archive: true }, { root: root.fd, path, what }, o, o.archive ? undefined : { uid: 0, gid: 0 }));
  } finally {
    root.close();
  }
}
