/* The runtime's implementation: entry point, system call instruction, helpers (see rt.h). */
#include "rt.h"

int ctr_main(int argc, char **argv, char **envp);

#if defined(__x86_64__)
long rt_syscall6(long n, long a, long b, long c, long d, long e, long f) {
  register long r10 __asm__("r10") = d;
  register long r8 __asm__("r8") = e;
  register long r9 __asm__("r9") = f;
  long ret;
  __asm__ volatile("syscall" : "=a"(ret) : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8), "r"(r9) : "rcx", "r11", "memory");
  return ret;
}
__asm__(".text\n.global _start\n_start:\n xor %rbp,%rbp\n mov %rsp,%rdi\n and $-16,%rsp\n call rt_start\n hlt\n");
#elif defined(__aarch64__)
long rt_syscall6(long n, long a, long b, long c, long d, long e, long f) {
  register long x8 __asm__("x8") = n;
  register long x0 __asm__("x0") = a;
  register long x1 __asm__("x1") = b;
  register long x2 __asm__("x2") = c;
  register long x3 __asm__("x3") = d;
  register long x4 __asm__("x4") = e;
  register long x5 __asm__("x5") = f;
  __asm__ volatile("svc 0" : "+r"(x0) : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5) : "memory", "cc");
  return x0;
}
__asm__(".text\n.global _start\n_start:\n mov x29, #0\n mov x30, #0\n mov x0, sp\n and sp, x0, #-16\n bl rt_start\n brk #0\n");
#else
#error "the stage supports x86_64 and aarch64"
#endif

__attribute__((noreturn, used)) void rt_start(long *sp) {
  int argc = (int)sp[0];
  char **argv = (char **)(sp + 1);
  char **envp = argv + argc + 1;
  rt_exit(ctr_main(argc, argv, envp));
}

void *memcpy(void *d, const void *s, size_t n) {
  u8 *dp = d;
  const u8 *sp = s;
  while (n--) *dp++ = *sp++;
  return d;
}

void *memmove(void *d, const void *s, size_t n) {
  u8 *dp = d;
  const u8 *sp = s;
  if (dp < sp) return memcpy(d, s, n);
  while (n--) dp[n] = sp[n];
  return d;
}

void *memset(void *d, int c, size_t n) {
  u8 *dp = d;
  while (n--) *dp++ = (u8)c;
  return d;
}

int memcmp(const void *a, const void *b, size_t n) {
  const u8 *x = a, *y = b;
  for (; n; n--, x++, y++)
    if (*x != *y) return *x - *y;
  return 0;
}

size_t rt_strlen(const char *s) {
  size_t n = 0;
  while (s[n]) n++;
  return n;
}

int rt_streq(const char *a, const char *b) {
  while (*a && *a == *b) a++, b++;
  return *a == *b;
}

int rt_strneq(const char *a, const char *b, size_t n) {
  return memcmp(a, b, n) == 0;
}

const char *rt_strchr(const char *s, int c) {
  for (; *s; s++)
    if (*s == (char)c) return s;
  return NULL;
}

int rt_utoa(u64 n, char *buf) {
  char tmp[24];
  int i = 0, len;
  do tmp[i++] = (char)('0' + n % 10); while ((n /= 10) != 0);
  len = i;
  while (i) *buf++ = tmp[--i];
  *buf = 0;
  return len;
}

int rt_itoa(s64 n, char *buf) {
  if (n >= 0) return rt_utoa((u64)n, buf);
  *buf = '-';
  return 1 + rt_utoa((u64)(-(n + 1)) + 1, buf + 1);
}

s64 rt_atoi(const char **p, const char *end) {
  const char *s = *p;
  s64 n = 0;
  if (s >= end || *s < '0' || *s > '9') return -1;
  while (s < end && *s >= '0' && *s <= '9') n = n * 10 + (*s++ - '0');
  *p = s;
  return n;
}

void *rt_alloc(size_t n) {
  long p;
  if (n == 0) n = 1;
  /* PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS */
  p = sys6(__NR_mmap, 0, (n + 4095) & ~4095UL, 3, 0x22, -1, 0);
  return (p < 0 && p > -4096) ? NULL : (void *)p;
}

ssize_t rt_write_all(int fd, const void *buf, size_t n) {
  const u8 *p = buf;
  size_t done = 0;
  while (done < n) {
    long w = sys3(__NR_write, fd, p + done, n - done);
    if (w == -EINTR) continue;
    if (w == -EAGAIN) {
      struct rt_pollfd pfd = {fd, POLLOUT, 0};
      sys5(__NR_ppoll, &pfd, 1, 0, 0, 8);
      continue;
    }
    if (w < 0) return w;
    done += (size_t)w;
  }
  return (ssize_t)done;
}

ssize_t rt_read_full(int fd, void *buf, size_t n) {
  u8 *p = buf;
  size_t done = 0;
  while (done < n) {
    long r = sys3(__NR_read, fd, p + done, n - done);
    if (r == -EINTR) continue;
    if (r < 0) return r;
    if (r == 0) break;
    done += (size_t)r;
  }
  return (ssize_t)done;
}

int rt_statx(int dirfd, const char *path, int flags, struct rt_statx *st) {
  return (int)sys5(__NR_statx, dirfd, path, flags, 0x7ff /* STATX_BASIC_STATS */, st);
}

/* A file's buffer keeps its mapping's size in front of it, for rt_free_file. */
static char *file_buffer(size_t cap) {
  u64 *p = rt_alloc(cap + 16);
  if (!p) return NULL;
  p[0] = cap + 16;
  return (char *)(p + 2);
}

void rt_free_file(char *buf) {
  u64 *p;
  if (!buf) return;
  p = (u64 *)buf - 2;
  sys2(__NR_munmap, p, (p[0] + 4095) & ~4095ULL);
}

long rt_read_file(int dirfd, const char *path, char **out, size_t *len) {
  struct rt_statx st;
  long fd = sys4(__NR_openat, dirfd, path, O_RDONLY | O_CLOEXEC, 0), r;
  size_t cap, used = 0;
  char *buf = NULL, *bigger;
  if (fd < 0) return fd;
  /* /proc and cgroup files say 0 (or a page) for their size: read until the end, growing. */
  r = rt_statx((int)fd, "", AT_EMPTY_PATH, &st);
  cap = (r == 0 && st.size + 1 > 4000) ? st.size + 1 : 4000;
  for (;;) {
    if (cap > (64u << 20)) {
      r = -E2BIG;
      goto out;
    }
    bigger = file_buffer(cap);
    if (!bigger) {
      r = -ENOMEM;
      goto out;
    }
    if (buf) {
      memcpy(bigger, buf, used);
      rt_free_file(buf);
    }
    buf = bigger;
    r = rt_read_full((int)fd, buf + used, cap - 1 - used);
    if (r < 0) goto out;
    used += (size_t)r;
    if (used < cap - 1) break;
    cap *= 2;
  }
  buf[used] = 0;
  *out = buf;
  *len = used;
  buf = NULL;
  r = 0;
out:
  rt_free_file(buf);
  sys1(__NR_close, fd);
  return r;
}

int rt_write_file(const char *path, const char *data, size_t n, int flags) {
  long fd = sys4(__NR_openat, AT_FDCWD, path, O_WRONLY | O_CLOEXEC | flags, 0644), r;
  if (fd < 0) return (int)fd;
  r = rt_write_all((int)fd, data, n);
  sys1(__NR_close, fd);
  return r < 0 ? (int)r : 0;
}

u64 rt_now_ns(int clock) {
  struct rt_timespec ts = {0, 0};
  sys2(__NR_clock_gettime, clock, &ts);
  return (u64)ts.sec * 1000000000ULL + (u64)ts.nsec;
}

void rt_exit(int code) {
  for (;;) sys1(__NR_exit_group, code);
}

long rt_fork(void) {
  /* clone(SIGCHLD, 0, 0, 0, 0): the same argument order on x86_64 and aarch64 when all are 0. */
  return sys5(__NR_clone, SIGCHLD, 0, 0, 0, 0);
}

int rt_signals_block(u64 mask, u64 *old) {
  return (int)sys4(__NR_rt_sigprocmask, 0 /* SIG_BLOCK */, &mask, old, 8);
}

int rt_signals_setmask(u64 mask) {
  return (int)sys4(__NR_rt_sigprocmask, 2 /* SIG_SETMASK */, &mask, 0, 8);
}

/* The kernel's struct sigaction on both architectures: handler, flags, restorer, mask. */
struct rt_sigaction {
  long handler;
  unsigned long flags;
  long restorer;
  u64 mask;
};

static int set_disposition(int sig, long handler) {
  struct rt_sigaction sa = {handler, 0, 0, 0};
  return (int)sys4(__NR_rt_sigaction, sig, &sa, 0, 8);
}

int rt_signal_default(int sig) {
  return set_disposition(sig, 0 /* SIG_DFL */);
}

int rt_signal_ignore(int sig) {
  return set_disposition(sig, 1 /* SIG_IGN */);
}

#define SOL_SOCKET 1
#define SCM_RIGHTS 1
#define CMSG_SPACE_INT 24 /* CMSG_SPACE(sizeof(int)) on 64-bit */

int rt_send_fd(int sock, int fd, const void *msg, size_t n) {
  union {
    struct rt_cmsghdr h;
    u8 buf[CMSG_SPACE_INT];
  } ctl;
  struct rt_iovec iov = {(void *)msg, n};
  struct rt_msghdr mh = {0, 0, &iov, 1, &ctl, CMSG_SPACE_INT, 0};
  memset(&ctl, 0, sizeof ctl);
  ctl.h.len = sizeof(struct rt_cmsghdr) + sizeof(int);
  ctl.h.level = SOL_SOCKET;
  ctl.h.type = SCM_RIGHTS;
  memcpy(ctl.buf + sizeof(struct rt_cmsghdr), &fd, sizeof(int));
  return (int)sys3(__NR_sendmsg, sock, &mh, 0x4000 /* MSG_NOSIGNAL */);
}

int rt_recv_msg(int sock, void *buf, size_t n, int *fd_out) {
  union {
    struct rt_cmsghdr h;
    u8 buf[CMSG_SPACE_INT];
  } ctl;
  struct rt_iovec iov = {buf, n};
  struct rt_msghdr mh = {0, 0, &iov, 1, &ctl, CMSG_SPACE_INT, 0};
  long r;
  memset(&ctl, 0, sizeof ctl);
  r = sys3(__NR_recvmsg, sock, &mh, 0x40000000 /* MSG_CMSG_CLOEXEC */);
  if (fd_out) *fd_out = -1;
  if (r >= 0 && fd_out && mh.controllen >= sizeof(struct rt_cmsghdr) + sizeof(int) && ctl.h.level == SOL_SOCKET && ctl.h.type == SCM_RIGHTS)
    memcpy(fd_out, ctl.buf + sizeof(struct rt_cmsghdr), sizeof(int));
  return (int)r;
}
