/*
 * The container's log, in the k8s-file format conmon writes (and CRI readers know):
 *   2026-11-30T07:46:02.123456789Z stdout F a whole line
 *   2026-11-30T07:46:02.123456800Z stderr P the start of a line without its newline yet
 * one record per line, the stream kept apart, a line cut by the end of a read marked P(artial).
 * Rotation by size (max bytes, max files) renames log → log.1 → log.2 ..., as Docker's json-file.
 */
#include "log.h"

/* Howard Hinnant's days-to-civil: the date of a count of days since 1970-01-01. */
static void civil(s64 days, s64 *y, u32 *m, u32 *d) {
  s64 z = days + 719468, era = (z >= 0 ? z : z - 146096) / 146097;
  u64 doe = (u64)(z - era * 146097);
  u64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  u64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  u64 mp = (5 * doy + 2) / 153;
  *d = (u32)(doy - (153 * mp + 2) / 5 + 1);
  *m = (u32)(mp < 10 ? mp + 3 : mp - 9);
  *y = (s64)yoe + era * 400 + (*m <= 2);
}

static char *digits(char *p, u64 v, int width) {
  int i;
  for (i = width - 1; i >= 0; i--, v /= 10) p[i] = (char)('0' + v % 10);
  return p + width;
}

int log_timestamp(u64 ns, char *p) {
  char *start = p;
  s64 secs = (s64)(ns / 1000000000ULL), y;
  u32 m, d, sod = (u32)(secs % 86400);
  civil(secs / 86400, &y, &m, &d);
  p = digits(p, (u64)y, 4);
  *p++ = '-';
  p = digits(p, m, 2);
  *p++ = '-';
  p = digits(p, d, 2);
  *p++ = 'T';
  p = digits(p, sod / 3600, 2);
  *p++ = ':';
  p = digits(p, sod / 60 % 60, 2);
  *p++ = ':';
  p = digits(p, sod % 60, 2);
  *p++ = '.';
  p = digits(p, ns % 1000000000ULL, 9);
  *p++ = 'Z';
  return (int)(p - start);
}

int log_open(struct logfile *l, const char *path, u64 max_bytes, u32 max_files) {
  struct rt_statx st;
  long fd = sys4(__NR_openat, AT_FDCWD, path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0640);
  if (fd < 0) return (int)fd;
  l->fd = (int)fd;
  l->path = path;
  l->max_bytes = max_bytes;
  l->max_files = max_files ? max_files : 1;
  l->size = rt_statx(l->fd, "", AT_EMPTY_PATH, &st) == 0 ? st.size : 0;
  return 0;
}

static void numbered(char *buf, const char *path, u32 n) {
  size_t len = rt_strlen(path);
  memcpy(buf, path, len);
  buf[len] = '.';
  rt_utoa(n, buf + len + 1);
}

/* log.(n-1) is dropped, log.i → log.(i+1), log → log.1; with one file, the log starts over. */
static void rotate(struct logfile *l) {
  char from[4200], to[4200];
  u32 i;
  if (rt_strlen(l->path) > 4000) return;
  if (l->max_files <= 1) {
    sys2(__NR_ftruncate, l->fd, 0);
    l->size = 0;
    return;
  }
  numbered(to, l->path, l->max_files - 1);
  sys3(__NR_unlinkat, AT_FDCWD, to, 0);
  for (i = l->max_files - 1; i > 1; i--) {
    numbered(from, l->path, i - 1);
    numbered(to, l->path, i);
    sys5(__NR_renameat2, AT_FDCWD, from, AT_FDCWD, to, 0);
  }
  numbered(to, l->path, 1);
  sys5(__NR_renameat2, AT_FDCWD, l->path, AT_FDCWD, to, 0);
  sys1(__NR_close, l->fd);
  log_open(l, l->path, l->max_bytes, l->max_files);
}

static u8 record[LOG_CHUNK + 128];

void log_write(struct logfile *l, const char *stream, const u8 *data, size_t n) {
  size_t slen = rt_strlen(stream), start = 0;
  u64 now = rt_now_ns(0 /* CLOCK_REALTIME */);
  if (l->fd < 0) return;
  while (start < n) {
    size_t len, end = start;
    int full;
    char *p = (char *)record;
    while (end < n && data[end] != '\n') end++;
    full = end < n;
    len = end - start;
    if (len > LOG_CHUNK) len = LOG_CHUNK, full = 0;
    p += log_timestamp(now, p);
    *p++ = ' ';
    memcpy(p, stream, slen);
    p += slen;
    *p++ = ' ';
    *p++ = full ? 'F' : 'P';
    *p++ = ' ';
    memcpy(p, data + start, len);
    p += len;
    *p++ = '\n';
    if (rt_write_all(l->fd, record, (size_t)(p - (char *)record)) > 0) l->size += (u64)(p - (char *)record);
    if (l->tee) l->tee(record, (size_t)(p - (char *)record));
    start += len + (full ? 1 : 0);
    if (l->max_bytes && l->size >= l->max_bytes) rotate(l);
  }
}
