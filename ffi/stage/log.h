#ifndef CTR_LOG_H
#define CTR_LOG_H
#include "rt.h"

/* Reads of the container's output are at most this big; a longer line becomes several P records. */
#define LOG_CHUNK 32768

struct logfile {
  int fd;
  const char *path;
  u64 max_bytes;
  u32 max_files;
  u64 size;
  /* Each record as written, also to `ctr logs -f` followers (attach.c). */
  void (*tee)(const u8 *record, size_t n);
};

int log_open(struct logfile *l, const char *path, u64 max_bytes, u32 max_files);
void log_write(struct logfile *l, const char *stream, const u8 *data, size_t n);
/* RFC 3339 UTC with nanoseconds ("2026-11-30T07:46:02.123456789Z", 30 bytes). */
int log_timestamp(u64 ns, char *out);

#endif
