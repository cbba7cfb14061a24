/*
 * The stage's runtime: raw system calls for x86_64 and aarch64, and the handful of string and
 * memory helpers a freestanding program needs. No libc: the binary has no loader, no allocator,
 * no locale and no thread machinery to attack or to pay for (the monitor stays alive for the
 * whole life of a container). Every call returns the kernel's result: >= 0, or -errno.
 */
#ifndef CTR_RT_H
#define CTR_RT_H

#include <linux/types.h>
#include <asm/unistd.h>

typedef __u8 u8;
typedef __u16 u16;
typedef __u32 u32;
typedef __u64 u64;
typedef __s32 s32;
typedef __s64 s64;
typedef unsigned long size_t;
typedef long ssize_t;

#define NULL ((void *)0)

long rt_syscall6(long n, long a, long b, long c, long d, long e, long f);
#define sys0(n) rt_syscall6((n), 0, 0, 0, 0, 0, 0)
#define sys1(n, a) rt_syscall6((n), (long)(a), 0, 0, 0, 0, 0)
#define sys2(n, a, b) rt_syscall6((n), (long)(a), (long)(b), 0, 0, 0, 0)
#define sys3(n, a, b, c) rt_syscall6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)
#define sys4(n, a, b, c, d) rt_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), 0, 0)
#define sys5(n, a, b, c, d, e) rt_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), 0)
#define sys6(n, a, b, c, d, e, f) rt_syscall6((n), (long)(a), (long)(b), (long)(c), (long)(d), (long)(e), (long)(f))

/* Kernel ABI numbers the UAPI headers do not carry in a freestanding build. */
#define AT_FDCWD (-100)
#define AT_SYMLINK_NOFOLLOW 0x100
#define AT_REMOVEDIR 0x200
#define AT_EMPTY_PATH 0x1000
#define O_RDONLY 0
#define O_WRONLY 1
#define O_RDWR 2
#define O_CREAT 0100
#define O_EXCL 0200
#define O_NOCTTY 0400
#define O_TRUNC 01000
#define O_APPEND 02000
#define O_NONBLOCK 04000
#define O_DIRECTORY 0200000
#define O_NOFOLLOW 0400000
#define O_CLOEXEC 02000000
#define O_PATH 010000000
#define F_GETFL 3
#define F_SETFL 4
#define S_IFMT 0170000
#define S_IFDIR 0040000
#define S_IFCHR 0020000
#define S_IFREG 0100000
#define S_IFLNK 0120000

#define ENOENT 2
#define ESRCH 3
#define EINTR 4
#define EIO 5
#define ENOEXEC 8
#define EBADF 9
#define ECHILD 10
#define EAGAIN 11
#define ENOMEM 12
#define EACCES 13
#define EBUSY 16
#define EEXIST 17
#define ENOTDIR 20
#define EISDIR 21
#define EINVAL 22
#define ENOSPC 28
#define EPIPE 32
#define ERANGE 34
#define ENOSYS 38
#define ENOTEMPTY 39
#define ELOOP 40
#define E2BIG 7

#define SIGHUP 1
#define SIGINT 2
#define SIGQUIT 3
#define SIGKILL 9
#define SIGUSR1 10
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGTERM 15
#define SIGCHLD 17
#define SIGSTOP 19
#define SIGTSTP 20
#define SIGTTIN 21
#define SIGTTOU 22
#define SIGWINCH 28

struct rt_statx {
  u32 mask, blksize;
  u64 attributes;
  u32 nlink, uid, gid;
  u16 mode, pad0;
  u64 ino, size, blocks, attributes_mask;
  u64 times[8];
  u32 rdev_major, rdev_minor, dev_major, dev_minor;
  u64 spare[14];
};

struct rt_iovec {
  void *base;
  size_t len;
};

struct rt_msghdr {
  void *name;
  u32 namelen;
  struct rt_iovec *iov;
  size_t iovlen;
  void *control;
  size_t controllen;
  int flags;
};

struct rt_cmsghdr {
  size_t len;
  int level;
  int type;
};

struct rt_pollfd {
  int fd;
  short events, revents;
};
#define POLLIN 1
#define POLLOUT 4
#define POLLERR 8
#define POLLHUP 16
#define POLLNVAL 32

struct rt_timespec {
  s64 sec, nsec;
};

/* Memory and strings. The compiler may emit calls to the first four itself. */
void *memcpy(void *d, const void *s, size_t n);
void *memmove(void *d, const void *s, size_t n);
void *memset(void *d, int c, size_t n);
int memcmp(const void *a, const void *b, size_t n);
size_t rt_strlen(const char *s);
int rt_streq(const char *a, const char *b);
int rt_strneq(const char *a, const char *b, size_t n);
const char *rt_strchr(const char *s, int c);
/* Decimal text of n into buf (at least 24 bytes); returns the length. */
int rt_utoa(u64 n, char *buf);
int rt_itoa(s64 n, char *buf);
/* Parses a decimal number at *p, moving p past it; -1 if there is none. */
s64 rt_atoi(const char **p, const char *end);

/* Anonymous memory, page-rounded, zeroed; NULL on failure. Never freed: the stage is short-lived
 * and the monitor allocates only at start. */
void *rt_alloc(size_t n);

/* I/O */
ssize_t rt_write_all(int fd, const void *buf, size_t n);
ssize_t rt_read_full(int fd, void *buf, size_t n);
/* The whole file at dirfd/path into fresh memory (NUL-terminated); length in *len, or -errno.
 * The monitor lives as long as its container: what it reads, it gives back with rt_free_file. */
long rt_read_file(int dirfd, const char *path, char **out, size_t *len);
void rt_free_file(char *buf);
int rt_write_file(const char *path, const char *data, size_t n, int flags);
int rt_statx(int dirfd, const char *path, int flags, struct rt_statx *st);
u64 rt_now_ns(int clock);

/* Process */
__attribute__((noreturn)) void rt_exit(int code);
/* fork(): clone with SIGCHLD and no flags (clone3 may be refused by a seccomp profile). */
long rt_fork(void);
int rt_signals_block(u64 mask, u64 *old);
int rt_signals_setmask(u64 mask);
int rt_signal_default(int sig);
int rt_signal_ignore(int sig);
#define SIGBIT(s) (1ULL << ((s) - 1))

/* Sockets: one fd over SCM_RIGHTS. */
int rt_send_fd(int sock, int fd, const void *msg, size_t n);
int rt_recv_msg(int sock, void *buf, size_t n, int *fd_out);

#endif
