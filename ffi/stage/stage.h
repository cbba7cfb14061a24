/* The container's first process: list 1 of the config, carried out in order. */
#ifndef CTR_STAGE_H
#define CTR_STAGE_H
#include "config.h"

/* fd of the stage's end of its socket to the monitor (SOCK_SEQPACKET, close-on-exec). Messages:
 *   "E <index> <errno> <exit code> <detail>"  an op failed; the stage exits with that code
 *   "D <index> <ns>"                           an op completed (debug)
 *   "R"                                        ready: waiting on the start FIFO
 *   "C" + SCM_RIGHTS                           the console's master
 * and it reads one byte for OP_WAIT_RELEASE. */
__attribute__((noreturn)) void stage_run(const struct op_list *list, int sock, int debug);

/* Exit codes, as Docker's: */
#define EXIT_CTR 125
#define EXIT_CANNOT_INVOKE 126
#define EXIT_NOT_FOUND 127

/* user.c: /etc/passwd and /etc/group of the container (read after pivot_root). */
struct exec_user {
  u32 uid, gid;
  const char *home;
};
/* 0, or -ENOENT with *which = 1 (user) or 2 (group) when a name is not listed. */
int user_lookup(struct args *a, struct exec_user *out, int *which);

/* bind.c: a volume or bind mount onto a destination resolved inside rootfs; 0 or -errno. */
long bind_mount(const char *source, const char *rootfs, const char *dest, int readonly, int populate);

/* netlink.c: one rtnetlink request (bytes from TypeScript), with the container's pid and a link's
 * index patched in where the offsets say (~0: none); 0 or -errno from the kernel's ack. */
long netlink_request(const u8 *message, u32 len, u64 pid_offset, long pid, const char *ifname, u64 index_offset);

#endif
