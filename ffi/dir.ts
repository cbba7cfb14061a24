// Directory listing over an fd (getdents through fdopendir), for walks that must not follow symlinks.
import { CString, read } from "bun:ffi";
import { C } from "./libc";
import { O_CLOEXEC, O_DIRECTORY, O_RDONLY } from "./constants";
import { openat } from "./at";

export interface DirEntry {
  name: string;
  /** d_type: 4 dir, 8 file, 10 symlink, 2 chr, 6 blk, 1 fifo, 12 sock, 0 unknown. */
  type: number;
}

/** The entries of the directory open at fd (without . and ..). fd stays open and usable. */
export function readDirFd(fd: number): DirEntry[] {
  // fdopendir takes ownership of the fd it is given: give it a duplicate, opened afresh.
  const dup = openat(fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dup < 0) return [];
  const dir = C.fdopendir(dup);
  if (dir === null) {
    C.close(dup);
    return [];
  }
  const out: DirEntry[] = [];
  try {
    for (let ent = C.readdir(dir); ent !== null; ent = C.readdir(dir)) {
      const name = new CString(ent, 19).toString();
      if (name !== "." && name !== "..") out.push({ name, type: read.u8(ent, 18) });
    }
  } finally {
    C.closedir(dir);
  }
  return out;
}

export function listDirFd(fd: number): string[] {
  return readDirFd(fd).map((e) => e.name);
}
