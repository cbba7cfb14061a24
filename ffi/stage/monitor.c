/*
 * The monitor: the process that waits for a container's PID 1, as conmon does. It runs list 0
 * (cgroup directories, limits, the device filter; then the clone of the container's first process,
 * which runs list 1 in stage.c), reports to ctr over fd 3, relays the console or writes the log,
 * forwards signals, and when PID 1 exits runs list 2 (OOM count, cgroup removal, the exit record,
 * the exit command). It holds no policy of its own: every path and value is from the config.
 *
 * To ctr, one line per event on fd 3:
 *   started <monitor pid> <container pid> <monotonic ns at the monitor's start>
 *   error <list> <index> <errno> <exit code> <detail>
 *   done <list> <index> <monotonic ns>   (debug: an op of list 0 or 1 completed; exec: just before)
 *   ready                                 (the container waits on its start FIFO)
 *   running                               (the container's command was exec'd)
 *   exited <exit code> <signal> <oom kills>
 * From ctr: "signal <n>" (forward it), "detach" (ctr goes away; that is no longer a reason to stop).
 */
#include "ops.h"
#include "stage.h"
#include "log.h"
#include "attach.h"
#include <linux/sched.h>

#define SYNC_FD 3
#define CONFIG_FD 4
#define MSG_NOSIGNAL 0x4000
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

struct mon {
  u64 flags;
  const char *pidfile;
  int sync, detached;
  char in[512];
  size_t inlen;
  int sock;
  long pid;
  int pidfd, master, in_fd, out_r, err_r, out_w, err_w, sigfd;
  struct logfile log;
  struct attach attach;
  int in_w; /* detached with stdin: the write end of the container's stdin pipe */
  int errored, exited, status;
  const char *v2_fallback; /* a cgroup the kernel would not clone into: write the pid instead */
  u64 oom, t0;
};

static struct mon M;
static struct config cfg;

/* ---- messages ---- */

struct line {
  char buf[256];
  char *p;
};

static void line_str(struct line *l, const char *s) {
  size_t n = rt_strlen(s);
  if (l->p + n >= l->buf + sizeof l->buf - 2) return;
  memcpy(l->p, s, n);
  l->p += n;
}

static void line_num(struct line *l, s64 v) {
  if (l->p + 24 >= l->buf + sizeof l->buf) return;
  *l->p++ = ' ';
  l->p += rt_itoa(v, l->p);
}

static void say(struct line *l) {
  *l->p++ = '\n';
  if (M.sync >= 0) sys6(__NR_sendto, M.sync, l->buf, l->p - l->buf, MSG_NOSIGNAL, 0, 0);
}

static void report(const char *what, const s64 *nums, int n) {
  struct line l;
  int i;
  l.p = l.buf;
  line_str(&l, what);
  for (i = 0; i < n; i++) line_num(&l, nums[i]);
  say(&l);
}

/* ---- list 2 and the end ---- */

static int proc_starttime(long pid, u64 *out) {
  char path[48] = "/proc/", *text;
  const char *p, *end;
  size_t len;
  int spaces = 0;
  rt_utoa((u64)pid, path + 6);
  memcpy(path + rt_strlen(path), "/stat", 6);
  if (rt_read_file(AT_FDCWD, path, &text, &len) < 0) return -1;
  end = text + len;
  for (p = end; p > text && *p != ')'; p--);
  /* After "pid (comm)" come fields 3, 4, ...: starttime is field 22. */
  for (p++; p < end && spaces < 20; p++) spaces += *p == ' ';
  {
    s64 v = rt_atoi(&p, end);
    rt_free_file(text);
    if (v < 0) return -1;
    *out = (u64)v;
  }
  return 0;
}

static int write_atomically(const char *path, const char *data, size_t n) {
  char tmp[4200];
  size_t len = rt_strlen(path);
  int r;
  if (len > 4000) return -ERANGE;
  memcpy(tmp, path, len);
  memcpy(tmp + len, ".tmp", 5);
  r = rt_write_file(tmp, data, n, O_CREAT | O_TRUNC);
  if (r < 0) return r;
  return (int)sys5(__NR_renameat2, AT_FDCWD, tmp, AT_FDCWD, path, 0);
}

static void kill_listed(const char *dir) {
  char path[4200], *text;
  const char *p, *end;
  size_t len = rt_strlen(dir);
  if (len > 4000) return;
  memcpy(path, dir, len);
  memcpy(path + len, "/cgroup.procs", 14);
  if (rt_read_file(AT_FDCWD, path, &text, &len) < 0) return;
  for (p = text, end = text + len; p < end; p++) {
    s64 pid = rt_atoi(&p, end);
    if (pid > 0) sys2(__NR_kill, pid, SIGKILL);
  }
  rt_free_file(text);
}

static long cg_file_write(const char *dir, const char *file, const char *value) {
  char path[4200];
  size_t len = rt_strlen(dir), flen = rt_strlen(file);
  if (len + flen > 4100) return -ERANGE;
  memcpy(path, dir, len);
  path[len] = '/';
  memcpy(path + len + 1, file, flen + 1);
  return rt_write_file(path, value, rt_strlen(value), 0);
}

static long oom_count(const char *file, const char *key) {
  char *text;
  size_t len, klen = rt_strlen(key);
  const char *p, *end;
  long r = rt_read_file(AT_FDCWD, file, &text, &len);
  if (r < 0) return r;
  for (p = text, end = text + len; p < end;) {
    if ((size_t)(end - p) > klen && rt_strneq(p, key, klen) && p[klen] == ' ') {
      const char *q = p + klen + 1;
      s64 n = rt_atoi(&q, end);
      if (n > 0) M.oom += (u64)n;
      break;
    }
    while (p < end && *p != '\n') p++;
    p++;
  }
  rt_free_file(text);
  return 0;
}

static int exit_code(void) {
  int sig = M.status & 0x7f;
  return sig ? 128 + sig : (M.status >> 8) & 0xff;
}

static void exit_record(const char *path) {
  char buf[256], *p = buf;
  u64 now = rt_now_ns(0);
  int sig = M.status & 0x7f;
  const char *a = "{\"exitCode\":", *b = ",\"signal\":", *c = ",\"oomKilled\":", *d = ",\"finishedAt\":\"";
  memcpy(p, a, rt_strlen(a)), p += rt_strlen(a);
  p += rt_itoa(M.exited ? exit_code() : -1, p);
  memcpy(p, b, rt_strlen(b)), p += rt_strlen(b);
  p += rt_itoa(sig, p);
  memcpy(p, c, rt_strlen(c)), p += rt_strlen(c);
  memcpy(p, M.oom ? "true" : "false", M.oom ? 4 : 5), p += M.oom ? 4 : 5;
  memcpy(p, d, rt_strlen(d)), p += rt_strlen(d);
  p += log_timestamp(now, p);
  *p++ = '"';
  *p++ = '}';
  *p++ = '\n';
  write_atomically(path, buf, (size_t)(p - buf));
}

static void exit_command(struct args *a) {
  u64 argc = arg_u64(a), envc, i;
  char **argv = rt_alloc((argc + 1) * sizeof(char *)), **env;
  for (i = 0; i < argc && argv; i++) argv[i] = (char *)arg_str(a);
  envc = arg_u64(a);
  env = rt_alloc((envc + 1) * sizeof(char *));
  for (i = 0; i < envc && env; i++) env[i] = (char *)arg_str(a);
  if (!argv || !env || a->bad || argc == 0) return;
  /* Everything of ours is closed first: the command starts clean. */
  sys3(__NR_close_range, 3, ~0U, 0);
  rt_signals_setmask(0);
  sys3(__NR_execve, argv[0], argv, env);
}

/* List 2. Failures are reported and the rest still runs: removal must not stop halfway. */
__attribute__((noreturn)) static void teardown(void) {
  /* Attached clients see the end once the exit is recorded: they read the code right after. */
  const struct op_list *list = &cfg.lists[2];
  const struct op *command = NULL;
  u32 i;
  for (i = 0; i < list->count; i++) {
    const struct op *op = &list->ops[i];
    struct args a = args_of(op);
    long r = 0;
    switch (op->code) {
    case OP_OOM_COUNT: {
      const char *file = arg_str(&a);
      r = oom_count(file, arg_str(&a));
      if (r == -ENOENT) r = 0;
      break;
    }
    case OP_CG_KILL: {
      const char *dir = arg_str(&a);
      if (cg_file_write(dir, "cgroup.kill", "1") < 0) kill_listed(dir);
      break;
    }
    case OP_CG_KILL_PROCS:
      kill_listed(arg_str(&a));
      break;
    case OP_CG_RMDIR: {
      const char *dir = arg_str(&a);
      u64 deadline = rt_now_ns(1) + 2000000000ULL;
      for (;;) {
        r = sys3(__NR_unlinkat, AT_FDCWD, dir, AT_REMOVEDIR);
        if (r == 0 || r == -ENOENT) {
          r = 0;
          break;
        }
        if (r != -EBUSY || rt_now_ns(1) > deadline) break;
        kill_listed(dir);
        {
          struct rt_timespec ts = {0, 2000000};
          sys2(__NR_nanosleep, &ts, 0);
        }
      }
      break;
    }
    case OP_RMDIR_IF_EMPTY:
      sys3(__NR_unlinkat, AT_FDCWD, arg_str(&a), AT_REMOVEDIR);
      break;
    case OP_EXIT_FILE:
      exit_record(arg_str(&a));
      break;
    case OP_EXIT_COMMAND:
      command = op;
      break;
    default:
      r = -EINVAL;
    }
    if (r < 0) {
      s64 n[2] = {i, -r};
      report("teardown-error", n, 2);
    }
  }
  {
    s64 n[3] = {M.exited ? exit_code() : EXIT_CTR, M.status & 0x7f, (s64)M.oom};
    report("exited", n, 3);
  }
  if (M.attach.listen >= 0) {
    attach_close_all(&M.attach);
    sys1(__NR_close, M.attach.listen);
  }
  /* In the foreground, ctr cleans up itself; the exit command is for when it is gone. */
  if (command && (!(M.flags & MON_FOREGROUND) || M.sync < 0)) {
    struct args a = args_of(command);
    exit_command(&a);
  }
  rt_exit(M.errored && !M.exited ? EXIT_CTR : exit_code());
}

/* Stop the container (if there is one), wait for it, and tear down. */
__attribute__((noreturn)) static void abort_start(void) {
  if (M.pid > 0 && !M.exited) {
    sys2(__NR_kill, M.pid, SIGKILL);
    while (sys4(__NR_wait4, M.pid, &M.status, 0, 0) == -EINTR);
    M.exited = 1;
    M.status = M.status ? M.status : SIGKILL;
  }
  teardown();
}

__attribute__((noreturn)) static void setup_failed(u32 index, long err) {
  s64 n[5] = {0, index, -err, EXIT_CTR, 0};
  report("error", n, 5);
  M.errored = 1;
  abort_start();
}

/* ---- list 0 ---- */

static void tee_log(const u8 *record, size_t n) {
  attach_tee_log(&M.attach, record, n);
}

static long device_filter(const char *dir, const char *insns, u32 len) {
  u8 load[128], attach[32];
  const char *license = "Apache";
  u32 v;
  u64 q;
  long prog, dirfd, r;
  memset(load, 0, sizeof load);
  v = 15; /* BPF_PROG_TYPE_CGROUP_DEVICE */
  memcpy(load, &v, 4);
  v = len / 8;
  memcpy(load + 4, &v, 4);
  q = (u64)(unsigned long)insns;
  memcpy(load + 8, &q, 8);
  q = (u64)(unsigned long)license;
  memcpy(load + 16, &q, 8);
  prog = sys3(__NR_bpf, 5 /* BPF_PROG_LOAD */, load, sizeof load);
  if (prog < 0) return prog;
  dirfd = sys4(__NR_openat, AT_FDCWD, dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (dirfd < 0) {
    sys1(__NR_close, prog);
    return dirfd;
  }
  memset(attach, 0, sizeof attach);
  v = (u32)dirfd;
  memcpy(attach, &v, 4);
  v = (u32)prog;
  memcpy(attach + 4, &v, 4);
  v = 6; /* BPF_CGROUP_DEVICE */
  memcpy(attach + 8, &v, 4);
  v = 2; /* BPF_F_ALLOW_MULTI */
  memcpy(attach + 12, &v, 4);
  r = sys3(__NR_bpf, 8 /* BPF_PROG_ATTACH */, attach, sizeof attach);
  sys1(__NR_close, dirfd);
  sys1(__NR_close, prog); /* the attachment holds the program for the cgroup's lifetime */
  return r;
}

static long clone_container(u64 nsflags, const char *cgdir, int *child_sock) {
  struct clone_args ca;
  int sv[2], pipes[4] = {-1, -1, -1, -1}, in[2] = {-1, -1};
  int stdin_pipe = !(M.flags & MON_FOREGROUND) && (M.flags & MON_STDIN) && !(M.flags & MON_TTY);
  long cgfd = -1, pid, r;
  r = sys4(__NR_socketpair, 1 /* AF_UNIX */, 5 /* SOCK_SEQPACKET */ | O_CLOEXEC, 0, sv);
  if (r < 0) return r;
  if (M.flags & MON_PIPES) {
    if ((r = sys2(__NR_pipe2, pipes, O_CLOEXEC)) < 0 || (r = sys2(__NR_pipe2, pipes + 2, O_CLOEXEC)) < 0) return r;
  }
  if (stdin_pipe && (r = sys2(__NR_pipe2, in, O_CLOEXEC)) < 0) return r;
  memset(&ca, 0, sizeof ca);
  ca.flags = nsflags | CLONE_PIDFD;
  ca.pidfd = (u64)(unsigned long)&M.pidfd;
  ca.exit_signal = SIGCHLD;
  if (cgdir) {
    cgfd = sys4(__NR_openat, AT_FDCWD, cgdir, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    if (cgfd < 0) return cgfd;
    ca.flags |= CLONE_INTO_CGROUP;
    ca.cgroup = (u64)cgfd;
  }
  pid = sys2(__NR_clone3, &ca, sizeof ca);
  if (pid < 0 && pid != -ENOMEM && cgfd >= 0) {
    /* A kernel without CLONE_INTO_CGROUP (before 5.7): clone, then write the pid. */
    ca.flags &= ~CLONE_INTO_CGROUP;
    ca.cgroup = 0;
    M.v2_fallback = cgdir;
    pid = sys2(__NR_clone3, &ca, sizeof ca);
  }
  if (cgfd >= 0 && pid != 0) sys1(__NR_close, cgfd);
  if (pid == 0) {
    /* The container's first process: nothing of ctr's or the monitor's may reach it. */
    sys1(__NR_close, SYNC_FD);
    sys1(__NR_close, sv[0]);
    if (cgfd >= 0) sys1(__NR_close, cgfd);
    if (M.flags & MON_PIPES) {
      sys3(__NR_dup3, pipes[1], 1, 0);
      sys3(__NR_dup3, pipes[3], 2, 0);
    }
    if (stdin_pipe) sys3(__NR_dup3, in[0], 0, 0);
    if (M.attach.listen >= 0) sys1(__NR_close, M.attach.listen);
    stage_run(&cfg.lists[1], sv[1], (M.flags & MON_DEBUG) != 0);
  }
  sys1(__NR_close, sv[1]);
  if (stdin_pipe) {
    sys1(__NR_close, in[0]);
    M.in_w = in[1];
  }
  if (M.flags & MON_PIPES) {
    M.out_r = pipes[0];
    M.err_r = pipes[2];
    sys1(__NR_close, pipes[1]);
    sys1(__NR_close, pipes[3]);
  }
  if (pid < 0) {
    sys1(__NR_close, sv[0]);
    return pid;
  }
  *child_sock = sv[0];
  return pid;
}

static void setup(void) {
  const struct op_list *list = &cfg.lists[0];
  u32 i;
  for (i = 0; i < list->count; i++) {
    const struct op *op = &list->ops[i];
    struct args a = args_of(op);
    long r = 0;
    switch (op->code) {
    case OP_MONITOR:
      M.flags = arg_u64(&a);
      M.pidfile = arg_str(&a);
      if (M.flags & MON_SETSID) sys0(__NR_setsid);
      break;
    case OP_CG_MKDIR: {
      const char *path = arg_str(&a);
      u64 own = arg_u64(&a);
      r = sys3(__NR_mkdirat, AT_FDCWD, path, 0755);
      if (r == -EEXIST && !own) r = 0;
      break;
    }
    case OP_CG_WRITE: {
      const char *path = arg_str(&a), *value = arg_str(&a);
      r = rt_write_file(path, value, rt_strlen(value), 0);
      break;
    }
    case OP_CG_DEVICE_BPF: {
      u32 len;
      const char *dir = arg_str(&a), *insns = arg_bytes(&a, &len);
      char *aligned = rt_alloc(len);
      if (!aligned) r = -ENOMEM;
      else {
        memcpy(aligned, insns, len);
        r = device_filter(dir, aligned, len);
      }
      break;
    }
    case OP_LOG: {
      const char *path = arg_str(&a);
      u64 max = arg_u64(&a);
      r = log_open(&M.log, path, max, (u32)arg_u64(&a));
      break;
    }
    case OP_ATTACH_SOCKET:
      r = attach_listen(&M.attach, arg_str(&a));
      if (r == 0) M.log.tee = tee_log;
      break;
    case OP_JOIN_PIDNS:
      r = sys2(__NR_setns, arg_u64(&a), CLONE_NEWPID);
      break;
    case OP_CLONE: {
      u64 flags = arg_u64(&a);
      const char *cgdir = arg_str(&a);
      r = clone_container(flags, cgdir, &M.sock);
      if (r > 0) {
        M.pid = r;
        r = 0;
      }
      if (M.v2_fallback && M.pid > 0) {
        char num[24];
        rt_utoa((u64)M.pid, num);
        r = cg_file_write(M.v2_fallback, "cgroup.procs", num);
      }
      break;
    }
    case OP_CG_ADD: {
      char num[24];
      const char *path = arg_str(&a);
      rt_utoa((u64)M.pid, num);
      r = rt_write_file(path, num, rt_strlen(num), 0);
      break;
    }
    case OP_RELEASE:
      r = sys6(__NR_sendto, M.sock, "g", 1, MSG_NOSIGNAL, 0, 0);
      break;
    case OP_NETLINK: {
      u32 len;
      const u8 *msg = (const u8 *)arg_bytes(&a, &len);
      u64 pid_off = arg_u64(&a);
      const char *ifname = arg_str(&a);
      r = netlink_request(msg, len, pid_off, M.pid, ifname, arg_u64(&a));
      break;
    }
    default:
      r = -EINVAL;
    }
    if (a.bad) r = -EINVAL;
    if (r < 0) setup_failed(i, r);
    if (M.flags & MON_DEBUG) {
      s64 n[3] = {0, i, (s64)rt_now_ns(1)};
      report("done", n, 3);
    }
  }
}

/* ---- the loop ---- */

static void forward(int sig) {
  if (M.exited || M.pidfd < 0) return;
  sys4(__NR_pidfd_send_signal, M.pidfd, sig, 0, 0);
}

static void resize(void) {
  u16 ws[4];
  if (M.master >= 0 && sys3(__NR_ioctl, 0, TIOCGWINSZ, ws) == 0) sys3(__NR_ioctl, M.master, TIOCSWINSZ, ws);
}

/* Lines from ctr. */
static void from_ctr(void) {
  long r = sys3(__NR_read, M.sync, M.in + M.inlen, sizeof M.in - M.inlen - 1);
  char *nl;
  if (r == -EINTR || r == -EAGAIN) return;
  if (r <= 0) {
    /* ctr is gone. In the foreground, or before it let go, the container goes with it. */
    sys1(__NR_close, M.sync);
    M.sync = -1;
    if (!M.detached) forward(SIGKILL);
    return;
  }
  M.inlen += (size_t)r;
  M.in[M.inlen] = 0;
  while ((nl = (char *)rt_strchr(M.in, '\n')) != NULL) {
    *nl = 0;
    if (rt_strneq(M.in, "signal ", 7)) {
      const char *p = M.in + 7;
      s64 sig = rt_atoi(&p, nl);
      if (sig > 0 && sig < 65) forward((int)sig);
    } else if (rt_streq(M.in, "detach")) M.detached = 1;
    M.inlen -= (size_t)(nl + 1 - M.in);
    memmove(M.in, nl + 1, M.inlen + 1);
  }
  if (M.inlen >= sizeof M.in - 1) M.inlen = 0; /* a line that long is not ours */
}

/* Messages from the container's first process (stage.c). */
static void from_stage(void) {
  char msg[128];
  int fd = -1;
  long r = rt_recv_msg(M.sock, msg, sizeof msg - 1, &fd);
  if (r == -EINTR || r == -EAGAIN) return;
  if (r <= 0) {
    /* Its end closes at execve (close-on-exec), or when it dies. */
    sys1(__NR_close, M.sock);
    M.sock = -1;
    if (!M.errored && !M.exited) report("running", NULL, 0);
    return;
  }
  msg[r] = 0;
  if (msg[0] == 'C' && fd >= 0) {
    M.master = fd;
    return;
  }
  if (fd >= 0) sys1(__NR_close, fd);
  if (msg[0] == 'R') report("ready", NULL, 0);
  else if (msg[0] == 'E' || msg[0] == 'D') {
    struct line l;
    const char *p = msg + 2, *end = msg + r;
    l.p = l.buf;
    line_str(&l, msg[0] == 'E' ? "error" : "done");
    line_num(&l, 1);
    if (msg[0] == 'E') M.errored = 1;
    while (p < end) {
      s64 v = rt_atoi(&p, end);
      if (v < 0) break;
      line_num(&l, v);
      if (p < end) p++;
    }
    say(&l);
  }
}

static u8 chunk[LOG_CHUNK];

/* One read of the container's output: to our stdout (foreground console) or the log. */
static void relay_out(int *fd, const char *stream) {
  long r = sys3(__NR_read, *fd, chunk, sizeof chunk);
  if (r == -EINTR || r == -EAGAIN) return;
  if (r <= 0) {
    sys1(__NR_close, *fd);
    *fd = -1;
    return;
  }
  if (M.log.fd >= 0) log_write(&M.log, stream, chunk, (size_t)r);
  if (M.attach.listen >= 0) attach_broadcast(&M.attach, stream[3] == 'o' ? FRAME_STDOUT : FRAME_STDERR, chunk, (size_t)r);
  /* In the foreground the output is also the caller's (a broken pipe there: keep draining). */
  if (M.flags & MON_FOREGROUND) rt_write_all(stream[3] == 'o' ? 1 : 2, chunk, (size_t)r);
}

static void on_client_input(int kind, const u8 *data, u32 n) {
  int to = M.master >= 0 ? M.master : M.in_w;
  if (kind == FRAME_STDIN && to >= 0) rt_write_all(to, data, n);
  else if (kind == FRAME_STDIN_END && M.in_w >= 0) {
    sys1(__NR_close, M.in_w);
    M.in_w = -1;
  } else if (kind == FRAME_RESIZE && M.master >= 0 && n < 32) {
    char text[32];
    const char *p = text, *end = text + n;
    u16 ws[4] = {0, 0, 0, 0};
    memcpy(text, data, n);
    ws[0] = (u16)rt_atoi(&p, end);
    if (p < end) p++;
    ws[1] = (u16)rt_atoi(&p, end);
    sys3(__NR_ioctl, M.master, TIOCSWINSZ, ws);
  }
}

static void relay_in(void) {
  long r = sys3(__NR_read, M.in_fd, chunk, sizeof chunk);
  if (r == -EINTR || r == -EAGAIN) return;
  if (r <= 0 || rt_write_all(M.master, chunk, (size_t)r) < 0) M.in_fd = -1;
}

static int watch(struct rt_pollfd *p, int *n, int fd) {
  if (fd < 0) return -1;
  p[*n].fd = fd;
  p[*n].events = POLLIN;
  p[*n].revents = 0;
  return (*n)++;
}

static void loop(void) {
  u64 drain_until = 0;
  for (;;) {
    struct rt_pollfd p[8 + 1 + ATTACH_MAX_CLIENTS];
    int n = 0, i, sync_i, sock_i, pid_i, sig_i, master_i, in_i, out_i, err_i, listen_i, client_i[ATTACH_MAX_CLIENTS];
    struct rt_timespec ts = {0, 50000000}, *timeout = NULL;
    long r;
    if (M.exited) {
      if (M.master < 0 && M.out_r < 0 && M.err_r < 0) return;
      if (!drain_until) drain_until = rt_now_ns(1) + 2000000000ULL;
      if (rt_now_ns(1) > drain_until) return;
      timeout = &ts;
    }
    sync_i = watch(p, &n, M.sync);
    sock_i = watch(p, &n, M.sock);
    pid_i = M.exited ? -1 : watch(p, &n, M.pidfd);
    sig_i = watch(p, &n, M.sigfd);
    master_i = watch(p, &n, M.master);
    in_i = M.master >= 0 ? watch(p, &n, M.in_fd) : -1;
    out_i = watch(p, &n, M.out_r);
    err_i = watch(p, &n, M.err_r);
    listen_i = M.exited ? -1 : watch(p, &n, M.attach.listen);
    for (i = 0; i < ATTACH_MAX_CLIENTS; i++) client_i[i] = M.attach.listen >= 0 ? watch(p, &n, M.attach.clients[i]) : -1;
    r = sys5(__NR_ppoll, p, n, timeout, 0, 8);
    if (r == -EINTR) continue;
    if (r < 0) rt_exit(EXIT_CTR);
    if (r == 0 && M.exited) return; /* nothing more came: drained */
    for (i = 0; i < n; i++) p[i].revents &= (short)(POLLIN | POLLHUP | POLLERR);
    if (sock_i >= 0 && p[sock_i].revents) from_stage();
    if (master_i >= 0 && p[master_i].revents) relay_out(&M.master, "stdout");
    if (out_i >= 0 && p[out_i].revents) relay_out(&M.out_r, "stdout");
    if (err_i >= 0 && p[err_i].revents) relay_out(&M.err_r, "stderr");
    if (in_i >= 0 && p[in_i].revents) relay_in();
    if (listen_i >= 0 && p[listen_i].revents) attach_accept(&M.attach);
    for (i = 0; i < ATTACH_MAX_CLIENTS; i++)
      if (client_i[i] >= 0 && p[client_i[i]].revents) attach_read(&M.attach, i, on_client_input);
    if (sync_i >= 0 && p[sync_i].revents) from_ctr();
    if (sig_i >= 0 && p[sig_i].revents) {
      u8 info[128];
      u32 signo;
      if (sys3(__NR_read, M.sigfd, info, sizeof info) >= 4) {
        memcpy(&signo, info, 4);
        if (signo == SIGWINCH && (M.flags & MON_TTY)) resize();
        else forward((int)signo);
      }
    }
    if (pid_i >= 0 && p[pid_i].revents) {
      r = sys4(__NR_wait4, M.pid, &M.status, 1 /* WNOHANG */, 0);
      if (r == M.pid) M.exited = 1;
    }
  }
}

int monitor_main(void) {
  static const int terminal_signals[] = {SIGINT, SIGQUIT, SIGHUP, SIGTSTP, SIGTTIN, SIGTTOU};
  u64 mask = SIGBIT(SIGTERM) | SIGBIT(SIGUSR1) | SIGBIT(SIGUSR2) | SIGBIT(SIGWINCH);
  long r;
  u32 i;
  M.t0 = rt_now_ns(1);
  M.sync = SYNC_FD;
  M.sock = M.pidfd = M.master = M.in_fd = M.out_r = M.err_r = M.out_w = M.err_w = M.sigfd = M.in_w = -1;
  M.attach.listen = -1;
  M.log.fd = -1;
  /* Non-dumpable from the first instruction, and so is the container's first process until its
   * execve: nothing in the container can open /proc/<pid>/exe or /proc/<pid>/mem of this binary. */
  sys5(__NR_prctl, 4 /* PR_SET_DUMPABLE */, 0, 0, 0, 0);
  rt_signal_ignore(SIGPIPE);
  r = config_read(CONFIG_FD, &cfg);
  sys1(__NR_close, CONFIG_FD);
  sys1(__NR_close, CONFIG_FD + 1); /* the binary's own memfd */
  if (r < 0) {
    s64 n[5] = {0, 0, -r, EXIT_CTR, 0};
    report("error", n, 5);
    return EXIT_CTR;
  }
  /* The op lists decide; the first op of list 0 is always OP_MONITOR. */
  if (cfg.lists[0].count && cfg.lists[0].ops[0].code == OP_MONITOR) {
    struct args a = args_of(&cfg.lists[0].ops[0]);
    M.flags = arg_u64(&a);
  }
  if (M.flags & MON_FOREGROUND) {
    /* The terminal's signals reach ctr too, and ctr forwards them: take each only once. */
    for (i = 0; i < sizeof terminal_signals / sizeof terminal_signals[0]; i++) rt_signal_ignore(terminal_signals[i]);
  } else {
    mask |= SIGBIT(SIGINT) | SIGBIT(SIGQUIT) | SIGBIT(SIGHUP);
    rt_signal_ignore(SIGTSTP);
    rt_signal_ignore(SIGTTIN);
    rt_signal_ignore(SIGTTOU);
  }
  rt_signals_block(mask, NULL);
  setup();
  if (M.pid <= 0) setup_failed(cfg.lists[0].count, -EINVAL); /* a list 0 without OP_CLONE */
  M.sigfd = (int)sys4(__NR_signalfd4, -1, &mask, 8, O_CLOEXEC | O_NONBLOCK);
  if ((M.flags & MON_FOREGROUND) && (M.flags & MON_TTY) && (M.flags & MON_STDIN)) M.in_fd = 0;
  if (M.pidfile) {
    char buf[128], *p = buf;
    u64 mstart = 0, cstart = 0;
    proc_starttime(sys0(__NR_getpid), &mstart);
    proc_starttime(M.pid, &cstart);
    p += rt_utoa((u64)sys0(__NR_getpid), p);
    *p++ = ' ';
    p += rt_utoa(mstart, p);
    *p++ = ' ';
    p += rt_utoa((u64)M.pid, p);
    *p++ = ' ';
    p += rt_utoa(cstart, p);
    *p++ = '\n';
    write_atomically(M.pidfile, buf, (size_t)(p - buf));
  }
  {
    s64 n[3] = {sys0(__NR_getpid), M.pid, (s64)M.t0};
    report("started", n, 3);
  }
  loop();
  /* What the stage reported before it exec'd or died (the loop may end first: a fast exit). */
  while (M.sock >= 0) from_stage();
  teardown();
}
