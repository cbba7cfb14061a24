/*
 * A static helper run inside test containers (as crun's tests/init.c is): it makes one system call
 * the tests ask about and prints "ok" or the errno's name, so a test sees exactly what the kernel
 * (or the seccomp filter) answered. Built by `just test-helpers` into dist/ctr-probe.
 *
 *   probe unshare-user | unshare-mount | mount-tmpfs | keyctl | kexec-load | clone-newuser
 *   probe ptrace PID | write-exe PID | personality VALUE | mkdir PATH
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/ptrace.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static const char *name(int e) {
  switch (e) {
  case 0: return "ok";
  case EPERM: return "EPERM";
  case ENOENT: return "ENOENT";
  case ESRCH: return "ESRCH";
  case EACCES: return "EACCES";
  case EINVAL: return "EINVAL";
  case ENOSYS: return "ENOSYS";
  case ETXTBSY: return "ETXTBSY";
  case EROFS: return "EROFS";
  case EBADF: return "EBADF";
  default: {
    static char buf[32];
    snprintf(buf, sizeof buf, "errno %d", e);
    return buf;
  }
  }
}

static int report(long r) {
  puts(name(r < 0 ? errno : 0));
  return 0;
}

int main(int argc, char **argv) {
  const char *verb = argc > 1 ? argv[1] : "";
  const char *arg = argc > 2 ? argv[2] : "0";
  if (!strcmp(verb, "unshare-user")) return report(unshare(CLONE_NEWUSER));
  if (!strcmp(verb, "unshare-mount")) return report(unshare(CLONE_NEWNS));
  if (!strcmp(verb, "mount-tmpfs")) return report(mount("none", "/tmp", "tmpfs", 0, ""));
  /* KEYCTL_GET_KEYRING_ID of the session keyring: needs no privilege at all. */
  if (!strcmp(verb, "keyctl")) return report(syscall(SYS_keyctl, 0, -3, 0));
  /* kexec_load with no segments: only the permission checks can answer. */
  if (!strcmp(verb, "kexec-load")) return report(syscall(SYS_kexec_load, 0, 0, NULL, 0));
  if (!strcmp(verb, "clone-newuser")) {
    long pid = syscall(SYS_clone, CLONE_NEWUSER | SIGCHLD, 0, 0, 0, 0);
    if (pid == 0) _exit(0);
    if (pid > 0) waitpid(pid, NULL, 0);
    return report(pid);
  }
  if (!strcmp(verb, "ptrace")) return report(ptrace(PTRACE_ATTACH, atoi(arg), 0, 0));
  if (!strcmp(verb, "personality")) return report(syscall(SYS_personality, strtoul(arg, 0, 0)));
  if (!strcmp(verb, "mkdir")) return report(mkdir(arg, 0755));
  if (!strcmp(verb, "write-exe")) {
    /* CVE-2019-5736: open a process's executable through /proc for writing and write to it. */
    char path[64];
    int fd;
    snprintf(path, sizeof path, "/proc/%s/exe", arg);
    fd = open(path, O_WRONLY);
    if (fd < 0) return report(-1);
    return report(write(fd, "X", 1) == 1 ? 0 : -1);
  }
  fprintf(stderr, "probe: unknown verb %s\n", verb);
  return 2;
}
