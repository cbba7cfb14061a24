// The op lists as TypeScript data: what the native stage and monitor carry out, in order. A
// Program is the whole start of a container (or of an exec into one); --dry-run prints it,
// unit tests check it, encode.ts turns it into the bytes the native program reads.
import type { MsFlag } from "../../ffi/constants";
import type { Capability } from "../capabilities";
import type { NamespaceType } from "../namespaces";
import type { MonitorFlag } from "./opcodes";

export type MountEnsure = "none" | "mkdir" | "directory";

/** List 1: the container's first process. */
export type ChildOp =
  | { op: "wait-release" }
  | { op: "unshare"; namespaces: NamespaceType[] }
  | { op: "setns"; fd: number; namespaces: NamespaceType[]; what: string }
  | { op: "mount"; source: string | null; target: string; fstype: string | null; flags: MsFlag[]; data: string | null; ensure: MountEnsure }
  | { op: "chdir"; path: string }
  | { op: "pivot-root"; path: string }
  | { op: "mkdir"; path: string; mode: number }
  | { op: "mkdir-all"; path: string; mode: number }
  | { op: "mknod"; path: string; mode: number; major: number; minor: number }
  | { op: "symlink"; target: string; path: string }
  | { op: "mask"; path: string }
  | { op: "readonly"; path: string }
  | { op: "sethostname"; name: string }
  | { op: "loopback-up" }
  | { op: "user"; user: number | string; group: number | string | null }
  | { op: "console"; rows: number; cols: number }
  | { op: "setsid" }
  | { op: "rlimit"; type: string; resource: number; soft: number | "unlimited"; hard: number | "unlimited" }
  | { op: "capbset-drop"; cap: Capability }
  | { op: "keepcaps"; on: boolean }
  | { op: "setgroups"; gids: number[] }
  | { op: "setresgid" }
  | { op: "setresuid" }
  | { op: "pdeathsig"; signal: number }
  | { op: "capset"; effective: Capability[]; permitted: Capability[]; inheritable: Capability[]; nonRoot: { effective: Capability[]; permitted: Capability[] } }
  | { op: "ambient-clear" }
  | { op: "no-new-privs" }
  | { op: "seccomp"; filter: Uint8Array; flags: number; summary: string }
  | { op: "dumpable"; on: boolean }
  | { op: "close-from"; fd: number }
  | { op: "signals-default" }
  | { op: "open"; path: string; flags: number; mode: number; fd: number }
  | { op: "wait-fifo"; fd: number }
  | { op: "exec" | "exec-reaper"; args: string[]; env: string[]; homeFromUser: boolean }
  /** Before pivot_root: source (host) onto destination, resolved inside rootfs; populate an empty new volume first. */
  | { op: "bind-mount"; source: string; rootfs: string; destination: string; readOnly: boolean; populate: boolean }
  | NetlinkOp
  /** The end of a helper that only joins and configures (network connect): no exec. */
  | { op: "exit"; code: number };

/**
 * An rtnetlink request (src/net/netlink.ts) sent where the op runs: by the monitor, in the host's
 * network namespace; by the stage, in the container's. `pidOffset`: the container's pid goes there
 * (monitor only); `ifname`/`indexOffset`: that link's index goes there.
 */
export type NetlinkOp = { op: "netlink"; message: Uint8Array; pidOffset: number | null; ifname: string | null; indexOffset: number | null; what: string };

/** List 0: the monitor, before and around the clone. */
export type SetupOp =
  | { op: "monitor"; flags: MonitorFlag[]; pidfile: string | null }
  | { op: "cgroup-mkdir"; path: string; own: boolean }
  | { op: "cgroup-write"; path: string; value: string; flag: string }
  | { op: "cgroup-device-filter"; dir: string; program: Uint8Array; rules: string }
  | { op: "log"; path: string; maxBytes: number; maxFiles: number }
  | { op: "join-pidns"; fd: number }
  /** Serve the container's streams to `ctr attach` on <dir>/attach.sock. */
  | { op: "attach-socket"; dir: string }
  | { op: "clone"; namespaces: NamespaceType[]; cgroup: string | null }
  | { op: "cgroup-add"; path: string }
  | { op: "release" }
  | NetlinkOp;

/** List 2: the monitor, after the container's PID 1 exited. */
export type TeardownOp =
  | { op: "oom-count"; file: string; key: string }
  | { op: "cgroup-kill"; dir: string }
  | { op: "cgroup-kill-procs"; dir: string }
  | { op: "cgroup-rmdir"; dir: string }
  | { op: "rmdir-if-empty"; dir: string }
  | { op: "exit-file"; path: string }
  | { op: "exit-command"; args: string[]; env: string[] };

export type Op = ChildOp | SetupOp | TeardownOp;

export interface Program {
  setup: SetupOp[];
  child: ChildOp[];
  teardown: TeardownOp[];
}

export const LISTS = ["setup", "child", "teardown"] as const;
