// Starting the init stage. Bun cannot run JavaScript in a forked child and always has several
// threads, so ctr cannot clone() into new namespaces itself. Instead the main thread unshare()s,
// Bun.spawn()s `ctr init` (which lands in the new namespaces, as PID 1 of the new PID namespace),
// and setns()es back into the namespaces it saved. docs/ARCHITECTURE.md has the measurements.
import { readLink } from "../../ffi/files";
import { O_CLOEXEC, O_RDONLY } from "../../ffi/constants";
import type { Subprocess } from "bun";
import {
  CLONE_FS, CLONE_NEWCGROUP, CLONE_NEWIPC, CLONE_NEWNET, CLONE_NEWNS, CLONE_NEWPID, CLONE_NEWUTS, MS,
} from "../../ffi/constants";
import type { InitPlan, NamespaceType } from "../plan/schema";
import type { Sys } from "../sys/sys";
import { SyncSocket } from "./sync";
import { parseSyncMessage } from "./sync-schema";

export const NAMESPACES: Record<NamespaceType, { flag: number; file: string }> = {
  mount: { flag: CLONE_NEWNS, file: "mnt" },
  uts: { flag: CLONE_NEWUTS, file: "uts" },
  ipc: { flag: CLONE_NEWIPC, file: "ipc" },
  pid: { flag: CLONE_NEWPID, file: "pid" },
  net: { flag: CLONE_NEWNET, file: "net" },
  cgroup: { flag: CLONE_NEWCGROUP, file: "cgroup" },
};

/** argv that starts this same program: the compiled binary, or bun + the entry script in development. */
export function selfArgv(): string[] {
  return Bun.main.startsWith("/$bunfs/") ? [process.execPath] : [process.execPath, Bun.main];
}

export interface InitProcess {
  proc: Subprocess<"ignore" | "inherit", "inherit", "inherit">;
  pid: number;
  sync: SyncSocket;
}

/** Only the namespaces are needed to start the init; the rest of the plan goes over the sync socket. */
export function spawnInit(
  sys: Sys,
  namespaces: InitPlan["namespaces"],
  stdin: "inherit" | "ignore",
  debug: boolean,
  log: (m: string) => void,
): InitProcess {
  const fresh = namespaces.filter((n) => n.mode === "new").map((n) => NAMESPACES[n.type]);
  // pid_for_children, not pid: unshare(CLONE_NEWPID) changes only where our children go.
  const saved = fresh.map((ns) => ({
    ...ns,
    fd: sys.open(`/proc/thread-self/ns/${ns.file === "pid" ? "pid_for_children" : ns.file}`, O_RDONLY | O_CLOEXEC),
  }));
  const flags = fresh.reduce((acc, ns) => acc | ns.flag, 0);
  // setns into a mount namespace moves this thread to its root: come back to where ctr was.
  const cwd = process.cwd();
  // While CLONE_NEWPID is pending, the kernel refuses new *threads* from this thread (EINVAL), and
  // Bun aborts if JSC starts one then (a JIT or GC helper, at any moment JavaScript runs). So the
  // PID namespace is unshared only around the Bun.spawn call itself; the others span the mounts.
  const pidNs = saved.find((ns) => ns.flag === CLONE_NEWPID);
  const others = saved.filter((ns) => ns !== pidNs);
  let proc: InitProcess["proc"] | undefined;
  sys.unshare(flags & ~CLONE_NEWPID);
  try {
    if (flags & CLONE_NEWNS) {
      // Nothing done in this namespace may propagate back to the host.
      sys.mount(null, "/", null, MS.REC | MS.PRIVATE, null);
      protectSelf(sys, log);
    }
    const argv = [...selfArgv(), "init"];
    const options = { stdio: [stdin, "inherit", "inherit", "pipe"] as [typeof stdin, "inherit", "inherit", "pipe"], env: { CTR_INIT_DEBUG: debug ? "1" : "" } };
    if (pidNs) sys.unshare(CLONE_NEWPID);
    try {
      proc = Bun.spawn(argv, options);
    } finally {
      if (pidNs) restore(sys, [pidNs], proc);
    }
    log(`spawned init as host pid ${proc.pid} (unshare ${fresh.map((n) => n.file).join(",")})`);
  } finally {
    restore(sys, others, proc);
    for (const ns of saved) sys.close(ns.fd);
    sys.chdir(cwd);
  }
  return { proc, pid: proc.pid, sync: new SyncSocket(proc.stdio[3] as unknown as number, parseSyncMessage) };
}

/**
 * Our own thread goes back where it was. Failing that, ctr would keep running in the container's
 * namespaces: stop right here rather than act on the wrong mounts.
 */
function restore(sys: Sys, saved: { fd: number; flag: number; file: string }[], proc: { kill(sig: number): void } | undefined): void {
  try {
    for (const ns of saved) {
      // A thread Bun started from here meanwhile shares our fs_struct, and setns(CLONE_NEWNS)
      // refuses a shared one (EINVAL): take a private copy first.
      if (ns.flag === CLONE_NEWNS) sys.unshare(CLONE_FS);
      sys.setns(ns.fd, ns.flag, `back into ctr's ${ns.file} namespace`);
    }
  } catch (e) {
    proc?.kill(9);
    console.error(`ctr: fatal: ${(e as Error).message}`);
    process.exit(125);
  }
}

/**
 * CVE-2019-5736: a container process that reaches /proc/<init>/exe must not be able to write the
 * host's ctr binary. The init is exec'd from a read-only bind mount of the binary made in the
 * container's own mount namespace, so such a write fails with EROFS, and the host's mount table
 * never sees the mount. (runc's answer was a copy in a sealed memfd: 100 MB per start for us.)
 */
function protectSelf(sys: Sys, log: (m: string) => void): void {
  const exe = readLink("/proc/self/exe") ?? process.execPath;
  sys.mount(exe, exe, null, MS.BIND, null);
  sys.mount(null, exe, null, MS.BIND | MS.REMOUNT | MS.RDONLY | MS.NOSUID | MS.NODEV, null);
  log(`bind ${exe} read-only for the init's exec`);
}
