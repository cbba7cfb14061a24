/* The op lists as read from the config fd: parsed once, then walked in order. */
#ifndef CTR_CONFIG_H
#define CTR_CONFIG_H
#include "rt.h"

struct op {
  u32 code;
  u32 nargs;
  const u8 *args;
  const u8 *end;
};

struct op_list {
  u32 count;
  struct op *ops;
};

struct config {
  struct op_list lists[3];
};

/* Reads and parses the whole config from fd; 0, or -errno (-EINVAL for a malformed one). */
int config_read(int fd, struct config *cfg);

/* Walks one op's arguments in order; a wrong kind or a short buffer sets `bad`. */
struct args {
  const u8 *p, *end;
  u32 left;
  int bad;
};
struct args args_of(const struct op *op);
u64 arg_u64(struct args *a);
/* NULL for a null argument. */
const char *arg_str(struct args *a);
/* A string argument's length (for binary strings: filters, programs). */
const char *arg_bytes(struct args *a, u32 *len);
/* The kind of the next argument (0 null, 1 u64, 2 string), or -1 at the end. */
int arg_kind(const struct args *a);

#endif
