/*
 * --init: PID 1 that starts the command, forwards signals to it and reaps every zombie, like
 * tini or docker-init. It runs inside the init stage (a Bun process), so after fork() the child
 * may only run C until execve, and the parent never returns to JavaScript.
 * No #include: bun's TinyCC compiles this at run time from a memfd, with libc's symbols resolved
 * from the process; the few declarations below match glibc on x86_64 and aarch64.
 */
typedef void (*sighandler_t)(int);
extern int fork(void);
extern int execve(const char *path, char *const argv[], char *const envp[]);
extern int waitpid(int pid, int *status, int options);
extern int kill(int pid, int sig);
extern void _exit(int status);
extern sighandler_t signal(int sig, sighandler_t handler);
extern int sigprocmask(int how, const void *set, void *old);
extern int *__errno_location(void);

#define SIG_SETMASK 2
#define EINTR 4
#define ECHILD 10
#define ENOENT 2

static volatile int child_pid;

static void forward(int sig) {
  if (child_pid > 0) kill(child_pid, sig);
}

/* Signals a user sends to a container, forwarded as they are (SIGCHLD, SIGKILL, SIGSTOP excluded). */
static const int forwarded[] = {1, 2, 3, 10, 12, 14, 15, 18, 20, 21, 22, 23, 26, 27, 28, 29, 30};

int reaper_run(const char *path, char *const argv[], char *const envp[]) {
  unsigned long empty[16] = {0};
  int i, n = sizeof(forwarded) / sizeof(forwarded[0]);
  signal(17, (sighandler_t)0); /* SIGCHLD default, so waitpid sees every child */
  for (i = 0; i < n; i++) signal(forwarded[i], forward);

  int pid = fork();
  if (pid < 0) return -1;
  if (pid == 0) {
    /* The command starts with default dispositions and an empty mask, as if PID 1 had exec'd it. */
    for (i = 1; i < 32; i++) if (i != 9 && i != 19) signal(i, (sighandler_t)0);
    sigprocmask(SIG_SETMASK, empty, 0);
    execve(path, argv, envp);
    _exit(*__errno_location() == ENOENT ? 127 : 126);
  }
  child_pid = pid;
  for (;;) {
    int status = 0;
    int w = waitpid(-1, &status, 0);
    if (w < 0) {
      if (*__errno_location() == EINTR) continue;
      _exit(125);
    }
    if (w == pid) {
      int sig = status & 0x7f;
      /* Exit as the command did; as PID 1 our exit takes the rest of the namespace with it. */
      _exit(sig ? 128 + sig : (status >> 8) & 0xff);
    }
  }
}
