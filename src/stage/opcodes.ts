// The op codes: a contract with ffi/stage/ops.h, where each op's arguments are listed (a unit test
// compares the two files). Lists: 0 the monitor before and around the clone, 1 the container's
// first process (the stage proper), 2 the monitor after the container's PID 1 exited.

export const OPCODES = {
  // list 1
  "wait-release": 1,
  unshare: 2,
  setns: 3,
  mount: 4,
  chdir: 5,
  "pivot-root": 6,
  mkdir: 7,
  "mkdir-all": 8,
  mknod: 9,
  symlink: 10,
  mask: 11,
  readonly: 12,
  sethostname: 13,
  "loopback-up": 14,
  user: 15,
  console: 16,
  setsid: 17,
  rlimit: 18,
  "capbset-drop": 19,
  keepcaps: 20,
  setgroups: 21,
  setresgid: 22,
  setresuid: 23,
  pdeathsig: 24,
  capset: 25,
  "ambient-clear": 26,
  "no-new-privs": 27,
  seccomp: 28,
  dumpable: 29,
  "close-from": 30,
  "signals-default": 31,
  open: 32,
  "wait-fifo": 33,
  exec: 34,
  "exec-reaper": 35,
  "bind-mount": 36,
  netlink: 37,
  exit: 38,
  // list 0
  monitor: 100,
  "cgroup-mkdir": 101,
  "cgroup-write": 102,
  "cgroup-device-filter": 103,
  clone: 104,
  "cgroup-add": 105,
  release: 106,
  log: 107,
  "join-pidns": 108,
  "attach-socket": 109,
  // list 2
  "oom-count": 200,
  "cgroup-kill": 201,
  "cgroup-kill-procs": 202,
  "cgroup-rmdir": 203,
  "rmdir-if-empty": 204,
  "exit-file": 205,
  "exit-command": 206,
} as const;

export type OpName = keyof typeof OPCODES;

/** The C macro name of each op (OP_WAIT_RELEASE ...), for the contract test. */
export function cName(op: OpName): string {
  const special: Partial<Record<OpName, string>> = {
    "cgroup-mkdir": "CG_MKDIR",
    "cgroup-write": "CG_WRITE",
    "cgroup-device-filter": "CG_DEVICE_BPF",
    "cgroup-add": "CG_ADD",
    "cgroup-kill": "CG_KILL",
    "cgroup-kill-procs": "CG_KILL_PROCS",
    "cgroup-rmdir": "CG_RMDIR",
    "oom-count": "OOM_COUNT",
    "exec-reaper": "EXEC_REAPER",
    "pivot-root": "PIVOT_ROOT",
    "bind-mount": "BIND_MOUNT",
  };
  return `OP_${special[op] ?? op.toUpperCase().replace(/-/g, "_")}`;
}

/** OP_MONITOR flags (ops.h MON_*). */
export const MONITOR_FLAGS = {
  foreground: 1,
  tty: 2,
  stdin: 4,
  debug: 8,
  pipes: 16,
  setsid: 32,
} as const;
export type MonitorFlag = keyof typeof MONITOR_FLAGS;
