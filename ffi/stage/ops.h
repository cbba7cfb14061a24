/*
 * The op list: what TypeScript decided, as data this program carries out in order. The numbers are
 * a contract with src/stage/opcodes.ts (a unit test compares the two files).
 *
 * Wire format (little-endian, no alignment): "CTR1", u32 list count (3), then each list as u32 op
 * count and ops; an op is u32 code, u32 argument count, arguments. An argument is a kind byte:
 * 0 null; 1 u64 (8 bytes); 2 string (u32 length, the bytes, a NUL).
 *
 * List 0 runs in the monitor before and around the clone, list 1 in the container's first process
 * (the stage proper), list 2 in the monitor after the container's PID 1 has exited.
 */
#ifndef CTR_OPS_H
#define CTR_OPS_H

/* ---- list 1: the container's first process ---- */
#define OP_WAIT_RELEASE 1     /* (): wait until the monitor has put this process in its cgroups */
#define OP_UNSHARE 2          /* (flags) */
#define OP_SETNS 3            /* (fd, nstype) */
#define OP_MOUNT 4            /* (source|null, target, fstype|null, flags, data|null, ensure: 0 no, 1 mkdir -p, 2 and must be a real directory) */
#define OP_CHDIR 5            /* (path) */
#define OP_PIVOT_ROOT 6       /* (path): chdir, pivot_root(".", "."), detach the old root, chdir("/") */
#define OP_MKDIR 7            /* (path, mode): an existing one is fine */
#define OP_MKDIR_ALL 8        /* (path, mode) */
#define OP_MKNOD 9            /* (path, mode, major, minor), then chmod to mode */
#define OP_SYMLINK 10         /* (target, path) */
#define OP_MASK 11            /* (path): /dev/null over a file, an empty read-only tmpfs over a directory */
#define OP_READONLY 12        /* (path): bind onto itself, remount read-only; missing is fine */
#define OP_SETHOSTNAME 13     /* (name) */
#define OP_LOOPBACK_UP 14     /* () */
#define OP_USER 15            /* (user: u64|string, group: null|u64|string): look up in /etc/passwd, /etc/group */
#define OP_CONSOLE 16         /* (rows, cols): a pty in /dev/ptmx; the slave becomes 0, 1, 2 and the
                                 controlling terminal; the master goes to the monitor */
#define OP_SETSID 17          /* () */
#define OP_RLIMIT 18          /* (resource, soft, hard) */
#define OP_CAPBSET_DROP 19    /* (cap) */
#define OP_KEEPCAPS 20        /* (0|1) */
#define OP_SETGROUPS 21       /* (count, gid...) */
#define OP_SETRESGID 22       /* (): the looked-up user's gid */
#define OP_SETRESUID 23       /* (): the looked-up user's uid */
#define OP_PDEATHSIG 24       /* (signal) */
#define OP_CAPSET 25          /* (effective, permitted, inheritable, effective if not uid 0, permitted if not uid 0) */
#define OP_AMBIENT_CLEAR 26   /* () */
#define OP_NO_NEW_PRIVS 27    /* () */
#define OP_SECCOMP 28         /* (filter: string of sock_filter bytes, flags) */
#define OP_DUMPABLE 29        /* (0|1) */
#define OP_CLOSE_FROM 30      /* (fd): every fd from there on closes on exec */
#define OP_SIGNALS_DEFAULT 31 /* (): default dispositions, nothing blocked */
#define OP_OPEN 32            /* (path, flags, mode, fd): open and move to that fd number */
#define OP_WAIT_FIFO 33       /* (fd): tell the monitor "ready", then block opening the FIFO for writing */
#define OP_EXEC 34            /* (argc, argv..., envc, env..., add HOME from the user: 0|1): PATH lookup, execve */
#define OP_EXEC_REAPER 35     /* as OP_EXEC, but stay PID 1: fork the command, forward signals, reap */
#define OP_BIND_MOUNT 36      /* (source, rootfs, destination, read-only 0|1, populate 0|1): before pivot_root,
                                 the destination resolved inside rootfs (RESOLVE_IN_ROOT) and made if
                                 missing; populate: copy what is there into an empty source first */
#define OP_NETLINK 37         /* (message, pid offset|~0, ifname|null, index offset|~0): an rtnetlink request
                                 in this process's network namespace (netlink.c); also in list 0 */
#define OP_EXIT 38            /* (code): end here without exec (a helper that only joins and configures) */

/* ---- list 0: the monitor, before the container exists ---- */
#define OP_MONITOR 100        /* (flags: MON_*, pidfile path|null) */
#define OP_CG_MKDIR 101       /* (path, own: 1 = must be new) */
#define OP_CG_WRITE 102       /* (path, value) */
#define OP_CG_DEVICE_BPF 103  /* (cgroup dir, program: string of bpf_insn bytes) */
#define OP_CLONE 104          /* (namespace flags, v2 cgroup dir|null): the container's first process */
#define OP_CG_ADD 105         /* (cgroup.procs path): the new process's pid */
#define OP_RELEASE 106        /* (): let it run its list */
#define OP_LOG 107            /* (path, max bytes, max files): stdout/stderr as k8s-file records */
#define OP_JOIN_PIDNS 108     /* (pidfd or ns fd): later children are born in that PID namespace */
#define OP_ATTACH_SOCKET 109  /* (state dir): serve the container's streams on <dir>/attach.sock (attach.h) */

/* OP_MONITOR flags */
#define MON_FOREGROUND 1   /* the caller waits: its end of fd 3 closing means "stop the container" */
#define MON_TTY 2          /* relay the console master (to stdout, or to the log) */
#define MON_STDIN 4        /* foreground: relay stdin to the console master; detached: keep a stdin pipe for attach */
#define MON_DEBUG 8        /* report each op of list 1 as it completes */
#define MON_PIPES 16       /* the container's stdout and stderr are pipes to the monitor (for OP_LOG) */
#define MON_SETSID 32      /* leave the caller's session and process group (detached containers) */

/* ---- list 2: the monitor, after the container's PID 1 exited ---- */
#define OP_OOM_COUNT 200      /* (file, key): a counter line "key N" in file (memory.events, memory.oom_control) */
#define OP_CG_KILL 201        /* (cgroup.kill path): write 1 */
#define OP_CG_KILL_PROCS 202  /* (cgroup.procs path): SIGKILL each pid listed */
#define OP_CG_RMDIR 203       /* (path): rmdir, retrying while the last processes exit; missing is fine */
#define OP_RMDIR_IF_EMPTY 204 /* (path): rmdir, ignoring "not empty" and "busy" (ancestors) */
#define OP_EXIT_FILE 205      /* (path): the exit record, written once, atomically */
#define OP_EXIT_COMMAND 206   /* (argc, argv..., envc, env...): execve in place of the exiting monitor */

#endif
