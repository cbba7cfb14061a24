/*
 * The stage: the container's first process runs list 1 of the config, one op after another, and
 * ends in execve (or, for --init, stays PID 1 as the reaper). It decides nothing: the order, every
 * path, flag and value came from TypeScript. When an op fails it sends the op's index and errno to
 * the monitor (which passes them to ctr, which writes the message) and exits 125, 126 or 127.
 */
#include "ops.h"
#include "stage.h"
#include <linux/sched.h>
#include <linux/mount.h>
#include <linux/prctl.h>
#include <linux/seccomp.h>
#include <linux/filter.h>
#include <linux/capability.h>

#ifndef CLOSE_RANGE_CLOEXEC
#define CLOSE_RANGE_CLOEXEC (1U << 2)
#endif
#define TIOCSCTTY 0x540E
#define TIOCSWINSZ 0x5414
#define TIOCGPTN 0x80045430
#define TIOCSPTLCK 0x40045431
#define SIOCGIFFLAGS 0x8913
#define SIOCSIFFLAGS 0x8914
#define MNT_DETACH 2
#define MSG_NOSIGNAL 0x4000
#define DEFAULT_PATH "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

static int sock = -1;
static int debug;
static u32 current;
static struct exec_user user = {0, 0, "/"};

static void send_text(const char *s, size_t n) {
  sys6(__NR_sendto, sock, s, n, MSG_NOSIGNAL, 0, 0);
}

/* "E <index> <errno> <exit> <detail>", then exit with that code. */
__attribute__((noreturn)) static void fail(long err, int code, int detail) {
  char msg[96], *p = msg;
  *p++ = 'E';
  *p++ = ' ';
  p += rt_utoa(current, p);
  *p++ = ' ';
  p += rt_utoa((u64)(err < 0 ? -err : err), p);
  *p++ = ' ';
  p += rt_utoa((u64)code, p);
  *p++ = ' ';
  p += rt_utoa((u64)detail, p);
  send_text(msg, (size_t)(p - msg));
  rt_exit(code);
}

/* "D <index> <ns>": an op completed (for the exec op, just before the execve). */
static void report_done(void) {
  char msg[64], *p = msg;
  *p++ = 'D';
  *p++ = ' ';
  p += rt_utoa(current, p);
  *p++ = ' ';
  p += rt_utoa(rt_now_ns(1 /* CLOCK_MONOTONIC */), p);
  send_text(msg, (size_t)(p - msg));
}

static void check(long r) {
  if (r < 0) fail(r, EXIT_CTR, 0);
}

static int type_of(const char *path, int follow) {
  struct rt_statx st;
  long r = rt_statx(AT_FDCWD, path, follow ? 0 : AT_SYMLINK_NOFOLLOW, &st);
  return r < 0 ? (int)r : (st.mode & S_IFMT);
}

/* mkdir -p: a component that exists must be a directory (or a symlink, followed). */
static long mkdir_all(const char *path, u32 mode) {
  char buf[4096];
  size_t n = rt_strlen(path), i;
  if (n >= sizeof buf) return -ERANGE;
  memcpy(buf, path, n + 1);
  for (i = 1; i <= n; i++) {
    if (buf[i] != '/' && buf[i] != 0) continue;
    buf[i] = 0;
    if (buf[0]) {
      long r = sys3(__NR_mkdirat, AT_FDCWD, buf, mode);
      if (r == -EEXIST) {
        int t = type_of(buf, 1);
        if (t < 0) return t;
        if (t != S_IFDIR) return -ENOTDIR;
      } else if (r < 0) return r;
    }
    buf[i] = i < n ? '/' : 0;
  }
  return 0;
}

static long do_mount(const char *src, const char *target, const char *fstype, u64 flags, const char *data) {
  return sys5(__NR_mount, src, target, fstype, flags, data);
}

static void op_mount(struct args *a) {
  const char *src = arg_str(a), *target = arg_str(a), *fstype = arg_str(a);
  u64 flags = arg_u64(a);
  const char *data = arg_str(a);
  u64 ensure = arg_u64(a);
  if (ensure) {
    int t = type_of(target, 0);
    if (t == -ENOENT) check(mkdir_all(target, 0755));
    else if (t < 0) check(t);
    /* /proc, /sys, /dev must be real directories: a symlink there is a trap (CVE-2019-16884). */
    else if (ensure == 2 && t != S_IFDIR) fail(-ENOTDIR, EXIT_CTR, t == S_IFLNK ? 1 : 2);
  }
  check(do_mount(src, target, fstype, flags, data));
}

static void op_pivot_root(const char *path) {
  check(sys1(__NR_chdir, path));
  check(sys2(__NR_pivot_root, ".", "."));
  /* The old root is now stacked on top of the new one: detach it at once (runc's pivotRoot). */
  check(sys2(__NR_umount2, ".", MNT_DETACH));
  check(sys1(__NR_chdir, "/"));
}

static void op_mask(const char *path) {
  int t = type_of(path, 0);
  if (t == -ENOENT) return;
  check(t);
  if (t == S_IFDIR) check(do_mount("tmpfs", path, "tmpfs", MS_RDONLY, "size=0"));
  else check(do_mount("/dev/null", path, NULL, MS_BIND, NULL));
}

static void op_readonly(const char *path) {
  long r;
  if (type_of(path, 0) == -ENOENT) return;
  r = do_mount(path, path, NULL, MS_BIND | MS_REC, NULL);
  if (r == -ENOENT) return;
  check(r);
  check(do_mount(NULL, path, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL));
}

static void op_loopback_up(void) {
  u8 ifr[40];
  long s = sys3(__NR_socket, 2 /* AF_INET */, 2 /* SOCK_DGRAM */ | O_CLOEXEC, 0);
  check(s);
  memset(ifr, 0, sizeof ifr);
  memcpy(ifr, "lo", 3);
  check(sys3(__NR_ioctl, s, SIOCGIFFLAGS, ifr));
  ifr[16] |= 1; /* IFF_UP */
  check(sys3(__NR_ioctl, s, SIOCSIFFLAGS, ifr));
  sys1(__NR_close, s);
}

static void op_console(u64 rows, u64 cols) {
  char path[32] = "/dev/pts/";
  u32 n = 0, unlock = 0;
  u16 ws[4] = {(u16)rows, (u16)cols, 0, 0};
  long master = sys4(__NR_openat, AT_FDCWD, "/dev/ptmx", O_RDWR | O_NOCTTY | O_CLOEXEC, 0), slave;
  int fd;
  check(master);
  check(sys3(__NR_ioctl, master, TIOCSPTLCK, &unlock));
  check(sys3(__NR_ioctl, master, TIOCGPTN, &n));
  rt_utoa(n, path + 9);
  slave = sys4(__NR_openat, AT_FDCWD, path, O_RDWR | O_NOCTTY | O_CLOEXEC, 0);
  check(slave);
  check(sys3(__NR_fchown, slave, user.uid, 5 /* the tty group, as devpts' gid=5 */));
  if (rows && cols) check(sys3(__NR_ioctl, slave, TIOCSWINSZ, ws));
  check(sys0(__NR_setsid));
  check(sys3(__NR_ioctl, slave, TIOCSCTTY, 0));
  for (fd = 0; fd < 3; fd++) check(sys3(__NR_dup3, slave, fd, 0));
  if (slave > 2) sys1(__NR_close, slave);
  check(rt_send_fd(sock, (int)master, "C", 1));
  sys1(__NR_close, master);
}

static void op_capset(struct args *a) {
  u64 eff = arg_u64(a), perm = arg_u64(a), inh = arg_u64(a), eff_user = arg_u64(a), perm_user = arg_u64(a);
  struct __user_cap_header_struct h = {_LINUX_CAPABILITY_VERSION_3, 0};
  struct __user_cap_data_struct d[2];
  /* As Docker: a non-root user keeps the bounding set but holds no capabilities. */
  if (user.uid != 0) {
    eff = eff_user;
    perm = perm_user;
  }
  d[0].effective = (u32)eff;
  d[0].permitted = (u32)perm;
  d[0].inheritable = (u32)inh;
  d[1].effective = (u32)(eff >> 32);
  d[1].permitted = (u32)(perm >> 32);
  d[1].inheritable = (u32)(inh >> 32);
  check(sys2(__NR_capset, &h, d));
}

static void op_seccomp(struct args *a) {
  u32 len;
  const char *filter = arg_bytes(a, &len);
  u64 flags = arg_u64(a);
  struct sock_fprog prog;
  long r;
  if (len % sizeof(struct sock_filter) != 0 || len / sizeof(struct sock_filter) > 0xffff) fail(-EINVAL, EXIT_CTR, 0);
  prog.len = (unsigned short)(len / sizeof(struct sock_filter));
  /* The config buffer gives no alignment guarantee. */
  prog.filter = rt_alloc(len);
  if (!prog.filter) fail(-ENOMEM, EXIT_CTR, 0);
  memcpy(prog.filter, filter, len);
  r = sys3(__NR_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog);
  if (r == -ENOSYS && flags == 0) r = sys5(__NR_prctl, PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
  check(r);
}

static void op_signals_default(void) {
  int sig;
  for (sig = 1; sig <= 64; sig++)
    if (sig != SIGKILL && sig != SIGSTOP) rt_signal_default(sig);
  check(rt_signals_setmask(0));
}

static void op_open(struct args *a) {
  const char *path = arg_str(a);
  u64 flags = arg_u64(a), mode = arg_u64(a), target = arg_u64(a);
  long fd = sys4(__NR_openat, AT_FDCWD, path, flags | O_CLOEXEC, mode);
  check(fd);
  if ((u64)fd != target) {
    check(sys3(__NR_dup3, fd, target, O_CLOEXEC));
    sys1(__NR_close, fd);
  }
}

/* create/start: "ready" to the monitor, then block until `start` opens the FIFO for reading. */
static void op_wait_fifo(u64 fd) {
  char path[40] = "/proc/self/fd/";
  long w;
  rt_utoa(fd, path + 14);
  send_text("R", 1);
  w = sys4(__NR_openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC, 0);
  check(w);
  check(rt_write_all((int)w, "0", 1));
  sys1(__NR_close, w);
  sys1(__NR_close, fd);
}

struct command {
  char **argv;
  char **env;
};

static struct command read_command(struct args *a, int with_home) {
  struct command c;
  u64 argc = arg_u64(a), envc, i;
  int home_set = 0;
  c.argv = rt_alloc((argc + 1) * sizeof(char *));
  for (i = 0; i < argc; i++) c.argv[i] = (char *)arg_str(a);
  envc = arg_u64(a);
  c.env = rt_alloc((envc + 2) * sizeof(char *));
  if (!c.argv || !c.env || a->bad || argc == 0) fail(-EINVAL, EXIT_CTR, 0);
  for (i = 0; i < envc; i++) {
    c.env[i] = (char *)arg_str(a);
    if (c.env[i] && rt_strneq(c.env[i], "HOME=", 5)) home_set = 1;
  }
  if (with_home && arg_u64(a) && !home_set) {
    size_t n = rt_strlen(user.home);
    char *h = rt_alloc(n + 6);
    memcpy(h, "HOME=", 5);
    memcpy(h + 5, user.home, n + 1);
    c.env[i++] = h;
  }
  return c;
}

/* The candidate paths of execvp: the name itself if it has a slash, else each PATH entry. */
static const char *next_candidate(const struct command *c, const char **path_iter, char *buf, size_t size) {
  const char *cmd = c->argv[0], *p = *path_iter, *colon;
  size_t dlen, clen = rt_strlen(cmd);
  if (rt_strchr(cmd, '/')) {
    if (p) return NULL;
    *path_iter = "";
    return cmd;
  }
  if (!p) {
    char **e;
    p = DEFAULT_PATH;
    for (e = c->env; *e; e++)
      if (rt_strneq(*e, "PATH=", 5)) p = *e + 5;
  } else if (!*p) return NULL;
  colon = rt_strchr(p, ':');
  dlen = colon ? (size_t)(colon - p) : rt_strlen(p);
  if (dlen + clen + 3 > size) return NULL;
  if (dlen == 0) buf[0] = '.', dlen = 1;
  else memcpy(buf, p, dlen);
  buf[dlen] = '/';
  memcpy(buf + dlen + 1, cmd, clen + 1);
  *path_iter = colon ? colon + 1 : "";
  return buf;
}

/* Reports the lookup's result as Docker's codes: 127 not found, 126 cannot invoke. */
__attribute__((noreturn)) static void exec_failed(int denied, long other) {
  if (other) fail(other, EXIT_CANNOT_INVOKE, 0);
  if (denied) fail(-EACCES, EXIT_CANNOT_INVOKE, 0);
  fail(-ENOENT, EXIT_NOT_FOUND, 0);
}

static void op_exec(struct args *a) {
  struct command c = read_command(a, 1);
  const char *iter = NULL, *path;
  char buf[4096];
  int denied = 0;
  if (debug) report_done();
  while ((path = next_candidate(&c, &iter, buf, sizeof buf)) != NULL) {
    long r = sys3(__NR_execve, path, c.argv, c.env);
    if (r == -ENOENT || r == -ENOTDIR) continue;
    if (r == -EACCES) {
      denied = 1;
      continue;
    }
    exec_failed(denied, r);
  }
  exec_failed(denied, 0);
}

static const int forwarded[] = {SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, 14, SIGTERM, 18, SIGTSTP, SIGTTIN, SIGTTOU, 23, 26, 27, SIGWINCH, 29, 30};

/* --init: PID 1 that starts the command, forwards signals to it and reaps every zombie. */
__attribute__((noreturn)) static void op_exec_reaper(struct args *a) {
  struct command c = read_command(a, 1);
  const char *iter = NULL, *path;
  char buf[4096];
  int denied = 0;
  u64 mask = SIGBIT(SIGCHLD);
  u32 i;
  long sfd, pid;
  while ((path = next_candidate(&c, &iter, buf, sizeof buf)) != NULL) {
    int t = type_of(path, 1);
    if (t == -ENOENT || t == -ENOTDIR) continue;
    if (t < 0 || t == S_IFDIR || sys4(__NR_faccessat, AT_FDCWD, path, 1 /* X_OK */, 0) < 0) {
      denied = 1;
      continue;
    }
    break;
  }
  if (!path) exec_failed(denied, 0);
  for (i = 0; i < sizeof forwarded / sizeof forwarded[0]; i++) mask |= SIGBIT(forwarded[i]);
  rt_signals_block(mask, NULL);
  sfd = sys4(__NR_signalfd4, -1, &mask, 8, O_CLOEXEC);
  check(sfd);
  pid = rt_fork();
  check(pid);
  if (pid == 0) {
    rt_signals_setmask(0);
    sys3(__NR_execve, path, c.argv, c.env);
    rt_exit(EXIT_CANNOT_INVOKE);
  }
  /* Nothing more to report: the monitor sees the end of our socket as "running". */
  sys1(__NR_close, sock);
  for (;;) {
    u8 info[128];
    long r = sys3(__NR_read, sfd, info, sizeof info);
    u32 signo;
    if (r < 4) continue;
    memcpy(&signo, info, 4);
    if (signo != SIGCHLD) {
      sys2(__NR_kill, pid, signo);
      continue;
    }
    for (;;) {
      int status = 0;
      long w = sys4(__NR_wait4, -1, &status, 1 /* WNOHANG */, 0);
      if (w <= 0) break;
      /* Exit as the command did; as PID 1 our exit takes the rest of the namespace with it. */
      if (w == pid) rt_exit((status & 0x7f) ? 128 + (status & 0x7f) : (status >> 8) & 0xff);
    }
  }
}

static void run_op(const struct op *op) {
  struct args a = args_of(op);
  switch (op->code) {
  case OP_WAIT_RELEASE: {
    char b;
    long r;
    do r = sys6(__NR_recvfrom, sock, &b, 1, 0, 0, 0); while (r == -EINTR);
    if (r <= 0) rt_exit(EXIT_CTR); /* the monitor is gone: nobody to report to */
    break;
  }
  case OP_UNSHARE:
    check(sys1(__NR_unshare, arg_u64(&a)));
    break;
  case OP_SETNS: {
    u64 fd = arg_u64(&a);
    check(sys2(__NR_setns, fd, arg_u64(&a)));
    break;
  }
  case OP_MOUNT:
    op_mount(&a);
    break;
  case OP_CHDIR:
    check(sys1(__NR_chdir, arg_str(&a)));
    break;
  case OP_PIVOT_ROOT:
    op_pivot_root(arg_str(&a));
    break;
  case OP_MKDIR: {
    const char *path = arg_str(&a);
    long r = sys3(__NR_mkdirat, AT_FDCWD, path, arg_u64(&a));
    if (r != -EEXIST) check(r);
    break;
  }
  case OP_MKDIR_ALL: {
    const char *path = arg_str(&a);
    check(mkdir_all(path, (u32)arg_u64(&a)));
    break;
  }
  case OP_MKNOD: {
    const char *path = arg_str(&a);
    u64 mode = arg_u64(&a), major = arg_u64(&a), minor = arg_u64(&a);
    u64 dev = (minor & 0xff) | (major << 8) | ((minor & ~0xffULL) << 12);
    check(sys4(__NR_mknodat, AT_FDCWD, path, mode, dev));
    /* mknod's mode went through the umask; devices must be usable by everyone. */
    check(sys4(__NR_fchmodat, AT_FDCWD, path, mode & 07777, 0));
    break;
  }
  case OP_SYMLINK: {
    const char *target = arg_str(&a);
    check(sys3(__NR_symlinkat, target, AT_FDCWD, arg_str(&a)));
    break;
  }
  case OP_MASK:
    op_mask(arg_str(&a));
    break;
  case OP_READONLY:
    op_readonly(arg_str(&a));
    break;
  case OP_SETHOSTNAME: {
    const char *name = arg_str(&a);
    check(sys2(__NR_sethostname, name, rt_strlen(name)));
    break;
  }
  case OP_LOOPBACK_UP:
    op_loopback_up();
    break;
  case OP_USER: {
    int which = 0;
    long r = user_lookup(&a, &user, &which);
    if (r < 0) fail(r, EXIT_CTR, which);
    break;
  }
  case OP_CONSOLE: {
    u64 rows = arg_u64(&a);
    op_console(rows, arg_u64(&a));
    break;
  }
  case OP_SETSID:
    check(sys0(__NR_setsid));
    break;
  case OP_RLIMIT: {
    u64 res = arg_u64(&a), lim[2];
    lim[0] = arg_u64(&a);
    lim[1] = arg_u64(&a);
    check(sys4(__NR_prlimit64, 0, res, lim, 0));
    break;
  }
  case OP_CAPBSET_DROP:
    check(sys5(__NR_prctl, PR_CAPBSET_DROP, arg_u64(&a), 0, 0, 0));
    break;
  case OP_KEEPCAPS:
    check(sys5(__NR_prctl, PR_SET_KEEPCAPS, arg_u64(&a), 0, 0, 0));
    break;
  case OP_SETGROUPS: {
    u64 n = arg_u64(&a), i;
    u32 *gids = rt_alloc((n + 1) * 4);
    if (!gids) fail(-ENOMEM, EXIT_CTR, 0);
    for (i = 0; i < n; i++) gids[i] = (u32)arg_u64(&a);
    check(sys2(__NR_setgroups, n, gids));
    break;
  }
  case OP_SETRESGID:
    check(sys3(__NR_setresgid, user.gid, user.gid, user.gid));
    break;
  case OP_SETRESUID:
    check(sys3(__NR_setresuid, user.uid, user.uid, user.uid));
    break;
  case OP_PDEATHSIG:
    check(sys5(__NR_prctl, PR_SET_PDEATHSIG, arg_u64(&a), 0, 0, 0));
    break;
  case OP_CAPSET:
    op_capset(&a);
    break;
  case OP_AMBIENT_CLEAR:
    check(sys5(__NR_prctl, PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
    break;
  case OP_NO_NEW_PRIVS:
    check(sys5(__NR_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
    break;
  case OP_SECCOMP:
    op_seccomp(&a);
    break;
  case OP_DUMPABLE:
    check(sys5(__NR_prctl, PR_SET_DUMPABLE, arg_u64(&a), 0, 0, 0));
    break;
  case OP_CLOSE_FROM:
    check(sys3(__NR_close_range, arg_u64(&a), ~0U, CLOSE_RANGE_CLOEXEC));
    break;
  case OP_SIGNALS_DEFAULT:
    op_signals_default();
    break;
  case OP_OPEN:
    op_open(&a);
    break;
  case OP_WAIT_FIFO:
    op_wait_fifo(arg_u64(&a));
    break;
  case OP_EXEC:
    op_exec(&a);
    break;
  case OP_EXEC_REAPER:
    op_exec_reaper(&a);
    break;
  case OP_BIND_MOUNT: {
    const char *source = arg_str(&a), *rootfs = arg_str(&a), *dest = arg_str(&a);
    u64 ro = arg_u64(&a);
    check(bind_mount(source, rootfs, dest, (int)ro, (int)arg_u64(&a)));
    break;
  }
  case OP_NETLINK: {
    u32 len;
    const u8 *msg = (const u8 *)arg_bytes(&a, &len);
    u64 pid_off = arg_u64(&a);
    const char *ifname = arg_str(&a);
    check(netlink_request(msg, len, pid_off, 0, ifname, arg_u64(&a)));
    break;
  }
  case OP_EXIT:
    sys1(__NR_exit_group, arg_u64(&a));
    break;
  default:
    fail(-EINVAL, EXIT_CTR, 0);
  }
  if (a.bad) fail(-EINVAL, EXIT_CTR, 0);
}

void stage_run(const struct op_list *list, int fd, int dbg) {
  sock = fd;
  debug = dbg;
  for (current = 0; current < list->count; current++) {
    run_op(&list->ops[current]);
    if (debug) report_done();
  }
  /* A list must end in an exec: reaching here is a malformed plan. */
  fail(-EINVAL, EXIT_CTR, 0);
}
