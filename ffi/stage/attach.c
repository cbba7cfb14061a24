/* The monitor's attach socket (protocol in attach.h). */
#include "attach.h"

#define AF_UNIX 1
#define SOCK_STREAM 1
#define MSG_NOSIGNAL 0x4000
#define MSG_DONTWAIT 0x40
#define SOL_SOCKET 1
#define SO_SNDBUFFORCE 32

struct sockaddr_un {
  u16 family;
  char path[108];
};

int attach_listen(struct attach *a, const char *dir) {
  struct sockaddr_un addr;
  long fd, r, cwd;
  int i;
  for (i = 0; i < ATTACH_MAX_CLIENTS; i++) a->clients[i] = -1;
  a->listen = -1;
  fd = sys3(__NR_socket, AF_UNIX, SOCK_STREAM | O_CLOEXEC | O_NONBLOCK, 0);
  if (fd < 0) return (int)fd;
  memset(&addr, 0, sizeof addr);
  addr.family = AF_UNIX;
  memcpy(addr.path, "attach.sock", 12);
  /* bind resolves a relative name against the cwd: go there and back. */
  cwd = sys4(__NR_openat, AT_FDCWD, ".", O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  r = sys1(__NR_chdir, dir);
  if (r == 0) {
    sys3(__NR_unlinkat, AT_FDCWD, "attach.sock", 0);
    r = sys3(__NR_bind, fd, &addr, sizeof addr);
    if (r == 0) r = sys2(__NR_listen, fd, ATTACH_MAX_CLIENTS);
  }
  if (cwd >= 0) {
    sys1(__NR_fchdir, cwd);
    sys1(__NR_close, cwd);
  }
  if (r < 0) {
    sys1(__NR_close, fd);
    return (int)r;
  }
  a->listen = (int)fd;
  return 0;
}

void attach_accept(struct attach *a) {
  long fd = sys4(__NR_accept4, a->listen, 0, 0, O_CLOEXEC | O_NONBLOCK);
  int i;
  if (fd < 0) return;
  for (i = 0; i < ATTACH_MAX_CLIENTS; i++)
    if (a->clients[i] < 0) {
      a->clients[i] = (int)fd;
      a->inlen[i] = 0;
      a->follows[i] = 0;
      return;
    }
  sys1(__NR_close, fd); /* full */
}

static void drop(struct attach *a, int i) {
  sys1(__NR_close, a->clients[i]);
  a->clients[i] = -1;
}

void attach_broadcast(struct attach *a, int kind, const u8 *data, size_t n) {
  u8 head[5];
  u32 len = (u32)n;
  int i;
  head[0] = (u8)kind;
  memcpy(head + 1, &len, 4);
  for (i = 0; i < ATTACH_MAX_CLIENTS; i++) {
    struct rt_iovec iov[2] = {{head, 5}, {(void *)data, n}};
    long w;
    if (a->clients[i] < 0 || a->follows[i]) continue;
    w = sys3(__NR_writev, a->clients[i], iov, 2);
    /* A short write would tear the frame: a client that cannot take a frame whole is dropped. */
    if (w != (long)(n + 5)) drop(a, i);
  }
}

/* All of buf to a non-blocking socket, waiting for room up to timeout_ms in all; 0 or -1. */
static int send_waiting(int fd, const u8 *buf, size_t n, int timeout_ms) {
  u64 deadline = rt_now_ns(1) + (u64)timeout_ms * 1000000ULL;
  while (n) {
    long w = sys6(__NR_sendto, fd, buf, n, MSG_NOSIGNAL, 0, 0);
    if (w > 0) {
      buf += w;
      n -= (size_t)w;
      continue;
    }
    if (w != -EAGAIN && w != -EINTR) return -1;
    {
      struct rt_pollfd p = {fd, POLLOUT, 0};
      u64 now = rt_now_ns(1);
      struct rt_timespec ts;
      if (now >= deadline) return -1;
      ts.sec = (s64)((deadline - now) / 1000000000ULL);
      ts.nsec = (s64)((deadline - now) % 1000000000ULL);
      sys5(__NR_ppoll, &p, 1, &ts, 0, 8);
    }
  }
  return 0;
}

void attach_tee_log(struct attach *a, const u8 *record, size_t n) {
  u8 head[5];
  u32 len = (u32)n;
  int i;
  head[0] = FRAME_LOG;
  memcpy(head + 1, &len, 4);
  for (i = 0; i < ATTACH_MAX_CLIENTS; i++) {
    if (a->clients[i] < 0 || !a->follows[i]) continue;
    if (send_waiting(a->clients[i], head, 5, 1000) < 0 || send_waiting(a->clients[i], record, n, 1000) < 0) drop(a, i);
  }
}

int attach_read(struct attach *a, int i, void (*on_input)(int kind, const u8 *data, u32 n)) {
  u8 *buf = a->in[i];
  long r = sys3(__NR_read, a->clients[i], buf + a->inlen[i], sizeof a->in[i] - a->inlen[i]);
  if (r == -EAGAIN || r == -EINTR) return 0;
  if (r <= 0) {
    drop(a, i);
    return -1;
  }
  a->inlen[i] += (u32)r;
  for (;;) {
    u32 len;
    if (a->inlen[i] < 5) break;
    memcpy(&len, buf + 1, 4);
    if (len > sizeof a->in[i] - 5) {
      drop(a, i);
      return -1;
    }
    if (a->inlen[i] < 5 + len) break;
    if (buf[0] == FRAME_FOLLOW_LOG) {
      int size = 4 << 20;
      u8 ack[5] = {FRAME_FOLLOWING, 0, 0, 0, 0};
      a->follows[i] = 1;
      /* Room for a burst: the follower is waited for only once this is full. */
      sys5(__NR_setsockopt, a->clients[i], SOL_SOCKET, SO_SNDBUFFORCE, &size, sizeof size);
      /* Every record after this frame comes to the follower; the ones before are in the file. */
      if (send_waiting(a->clients[i], ack, 5, 1000) < 0) {
        drop(a, i);
        return -1;
      }
    } else on_input(buf[0], buf + 5, len);
    memmove(buf, buf + 5 + len, a->inlen[i] - 5 - len);
    a->inlen[i] -= 5 + len;
  }
  return 0;
}

void attach_close_all(struct attach *a) {
  int i;
  for (i = 0; i < ATTACH_MAX_CLIENTS; i++)
    if (a->clients[i] >= 0) drop(a, i);
}
