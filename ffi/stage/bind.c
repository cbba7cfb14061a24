/*
 * Volumes and bind mounts, before pivot_root: the source is a host path (ctr chose it); the
 * destination is a path inside the container's root, resolved with openat2(RESOLVE_IN_ROOT) so no
 * symlink in the image can send it outside, and the mount lands on the very directory or file
 * that was opened (mount onto /proc/self/fd/N: nothing is resolved twice, CVE-2021-30465).
 * A new volume can first be filled with what the image has at the destination (Docker's copy-up).
 */
#include "stage.h"
#include <linux/openat2.h>
#include <linux/mount.h>

#define RESOLVE (RESOLVE_IN_ROOT | RESOLVE_NO_MAGICLINKS)

static long open_in_root(int root, const char *path, u64 flags) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = flags | O_CLOEXEC;
  how.resolve = RESOLVE;
  return sys4(__NR_openat2, root, path, &how, sizeof how);
}

static void fd_path(char *buf, long fd) {
  memcpy(buf, "/proc/self/fd/", 14);
  rt_utoa((u64)fd, buf + 14);
}

/* The destination inside root: every missing directory made, the last one as a directory or an
 * empty file (as the source is). Returns an O_PATH fd of it, or -errno. */
static long make_destination(int root, const char *dest, int is_dir) {
  char buf[4096];
  size_t n = rt_strlen(dest), i;
  long fd;
  if (n >= sizeof buf) return -ERANGE;
  memcpy(buf, dest, n + 1);
  for (i = 1; i <= n; i++) {
    long parent, r;
    const char *slash;
    if (buf[i] != '/' && buf[i] != 0) continue;
    buf[i] = 0;
    fd = open_in_root(root, buf, O_PATH);
    if (fd >= 0) {
      sys1(__NR_close, fd);
    } else if (fd == -ENOENT) {
      /* Made in its parent, as resolved inside root: never somewhere a symlink points. */
      slash = buf;
      for (const char *p = buf; *p; p++)
        if (*p == '/') slash = p;
      buf[slash - buf] = 0;
      parent = open_in_root(root, slash == buf ? "/" : buf, O_PATH | O_DIRECTORY);
      buf[slash - buf] = '/';
      if (parent < 0) return parent;
      if (i < n || is_dir) r = sys3(__NR_mkdirat, parent, slash + 1, 0755);
      else {
        r = sys4(__NR_openat, parent, slash + 1, O_CREAT | O_EXCL | O_WRONLY | O_CLOEXEC | O_NOFOLLOW, 0644);
        if (r >= 0) sys1(__NR_close, r), r = 0;
      }
      sys1(__NR_close, parent);
      if (r < 0 && r != -EEXIST) return r;
    } else return fd;
    buf[i] = i < n ? '/' : 0;
  }
  return open_in_root(root, dest, O_PATH);
}

/* Copies the tree under src (a directory fd) into dst (a directory fd), never following a symlink:
 * owners, modes, times, symlinks and device nodes as they are. */
static long copy_tree(int src, int dst, int depth) {
  char buf[8192];
  long fd, n;
  if (depth > 64) return -ELOOP;
  fd = sys4(__NR_openat, src, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
  if (fd < 0) return fd;
  while ((n = sys3(__NR_getdents64, fd, buf, sizeof buf)) > 0) {
    long off = 0;
    while (off < n) {
      u16 reclen;
      const char *name = buf + off + 19;
      struct rt_statx st;
      long r = 0;
      struct rt_timespec times[2];
      memcpy(&reclen, buf + off + 16, 2);
      off += reclen;
      if (rt_streq(name, ".") || rt_streq(name, "..")) continue;
      if ((r = rt_statx(src, name, AT_SYMLINK_NOFOLLOW, &st)) < 0) goto fail;
      switch (st.mode & S_IFMT) {
      case S_IFDIR: {
        long s2, d2;
        r = sys3(__NR_mkdirat, dst, name, st.mode & 07777);
        if (r < 0 && r != -EEXIST) goto fail;
        s2 = sys4(__NR_openat, src, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        d2 = sys4(__NR_openat, dst, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0);
        r = s2 < 0 ? s2 : d2 < 0 ? d2 : copy_tree((int)s2, (int)d2, depth + 1);
        if (s2 >= 0) sys1(__NR_close, s2);
        if (d2 >= 0) sys1(__NR_close, d2);
        if (r < 0) goto fail;
        break;
      }
      case S_IFREG: {
        long in = sys4(__NR_openat, src, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC, 0), out;
        if (in < 0) {
          r = in;
          goto fail;
        }
        out = sys4(__NR_openat, dst, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, st.mode & 07777);
        if (out < 0) {
          sys1(__NR_close, in);
          r = out;
          goto fail;
        }
        for (;;) {
          long c = sys6(__NR_copy_file_range, in, 0, out, 0, 1 << 30, 0), w;
          if (c > 0) continue;
          if (c == 0) break;
          /* Across filesystems on older kernels: plain read and write. */
          c = sys3(__NR_read, in, buf, sizeof buf);
          if (c <= 0) {
            r = c;
            break;
          }
          w = rt_write_all((int)out, buf, (size_t)c);
          if (w < 0) {
            r = w;
            break;
          }
        }
        sys3(__NR_fchmod, out, st.mode & 07777, 0);
        sys1(__NR_close, in);
        sys1(__NR_close, out);
        if (r < 0) goto fail;
        break;
      }
      case S_IFLNK: {
        char target[4096];
        long len = sys4(__NR_readlinkat, src, name, target, sizeof target - 1);
        if (len < 0) {
          r = len;
          goto fail;
        }
        target[len] = 0;
        r = sys3(__NR_symlinkat, target, dst, name);
        if (r < 0) goto fail;
        break;
      }
      default:
        r = sys4(__NR_mknodat, dst, name, st.mode, (st.rdev_minor & 0xff) | (st.rdev_major << 8) | ((u64)(st.rdev_minor & ~0xffu) << 12));
        if (r < 0) goto fail;
      }
      sys5(__NR_fchownat, dst, name, st.uid, st.gid, AT_SYMLINK_NOFOLLOW);
      /* The modification time (statx: atime, btime, ctime, mtime, 16 bytes each); atime left as is. */
      times[0].sec = 0, times[0].nsec = (1L << 30) - 2; /* UTIME_OMIT for atime */
      memcpy(&times[1].sec, (const u8 *)&st.times[6], 8);
      memcpy(&times[1].nsec, (const u8 *)&st.times[7], 4);
      times[1].nsec &= 0xffffffff;
      sys4(__NR_utimensat, dst, name, times, AT_SYMLINK_NOFOLLOW);
      continue;
    fail:
      sys1(__NR_close, fd);
      return r;
    }
  }
  sys1(__NR_close, fd);
  return n;
}

static int is_empty_dir(int dir) {
  char buf[1024];
  long fd = sys4(__NR_openat, dir, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0), n, off;
  int empty = 1;
  if (fd < 0) return 0;
  while (empty && (n = sys3(__NR_getdents64, fd, buf, sizeof buf)) > 0)
    for (off = 0; off < n;) {
      u16 reclen;
      const char *name = buf + off + 19;
      memcpy(&reclen, buf + off + 16, 2);
      off += reclen;
      if (!rt_streq(name, ".") && !rt_streq(name, "..")) empty = 0;
    }
  sys1(__NR_close, fd);
  return empty;
}

long bind_mount(const char *source, const char *rootfs, const char *dest, int readonly, int populate) {
  struct rt_statx st;
  char target[40];
  long root, fd, r, again;
  int is_dir;
  if ((r = rt_statx(AT_FDCWD, source, 0, &st)) < 0) return r;
  is_dir = (st.mode & S_IFMT) == S_IFDIR;
  root = sys4(__NR_openat, AT_FDCWD, rootfs, O_PATH | O_DIRECTORY | O_CLOEXEC, 0);
  if (root < 0) return root;
  fd = make_destination((int)root, dest, is_dir);
  if (fd < 0) goto out;
  if (populate && is_dir) {
    long s = open_in_root((int)root, dest, O_RDONLY | O_DIRECTORY), d = sys4(__NR_openat, AT_FDCWD, source, O_RDONLY | O_DIRECTORY | O_CLOEXEC, 0);
    r = 0;
    if (s >= 0 && d >= 0 && is_empty_dir((int)d)) r = copy_tree((int)s, (int)d, 0);
    if (s >= 0) sys1(__NR_close, s);
    if (d >= 0) sys1(__NR_close, d);
    if (r < 0) {
      sys1(__NR_close, fd);
      fd = r;
      goto out;
    }
  }
  fd_path(target, fd);
  r = sys5(__NR_mount, source, target, NULL, MS_BIND | MS_REC, NULL);
  sys1(__NR_close, fd);
  if (r < 0) {
    fd = r;
    goto out;
  }
  if (readonly) {
    /* The fd saw the directory under the mount: open the path again, now the mount's root. */
    again = open_in_root((int)root, dest, O_PATH);
    if (again < 0) {
      fd = again;
      goto out;
    }
    fd_path(target, again);
    r = sys5(__NR_mount, NULL, target, NULL, MS_BIND | MS_REMOUNT | MS_RDONLY | MS_REC, NULL);
    sys1(__NR_close, again);
    if (r < 0) {
      fd = r;
      goto out;
    }
  }
  fd = 0;
out:
  sys1(__NR_close, root);
  return fd;
}
