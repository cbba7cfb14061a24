/* Parsing the op lists (format in ops.h). The input comes from ctr itself, but is still checked:
 * a malformed list ends the start with EINVAL instead of reading out of bounds. */
#include "config.h"

static u32 rd32(const u8 *p) {
  u32 v;
  memcpy(&v, p, 4);
  return v;
}

/* Skips one argument; returns its end or NULL if it does not fit. */
static const u8 *skip_arg(const u8 *p, const u8 *end) {
  if (p >= end) return NULL;
  switch (*p) {
  case 0:
    return p + 1;
  case 1:
    return end - p >= 9 ? p + 9 : NULL;
  case 2: {
    u32 len;
    if (end - p < 5) return NULL;
    len = rd32(p + 1);
    if ((u64)(end - p) < 5ULL + len + 1 || p[5 + len] != 0) return NULL;
    return p + 5 + len + 1;
  }
  default:
    return NULL;
  }
}

int config_read(int fd, struct config *cfg) {
  struct rt_statx st;
  u8 *buf;
  const u8 *p, *end;
  long r = rt_statx(fd, "", AT_EMPTY_PATH, &st);
  u32 l, i, a;
  if (r < 0) return (int)r;
  buf = rt_alloc(st.size + 1);
  if (!buf) return -ENOMEM;
  r = sys4(__NR_pread64, fd, buf, st.size, 0);
  if (r < 0) return (int)r;
  if ((u64)r != st.size || r < 8 || memcmp(buf, "CTR1", 4) != 0 || rd32(buf + 4) != 3) return -EINVAL;
  p = buf + 8;
  end = buf + r;
  for (l = 0; l < 3; l++) {
    struct op_list *list = &cfg->lists[l];
    if (end - p < 4) return -EINVAL;
    list->count = rd32(p);
    p += 4;
    if (list->count > 100000) return -EINVAL;
    list->ops = rt_alloc(sizeof(struct op) * (list->count + 1));
    if (!list->ops) return -ENOMEM;
    for (i = 0; i < list->count; i++) {
      struct op *op = &list->ops[i];
      if (end - p < 8) return -EINVAL;
      op->code = rd32(p);
      op->nargs = rd32(p + 4);
      p += 8;
      op->args = p;
      for (a = 0; a < op->nargs; a++) {
        p = skip_arg(p, end);
        if (!p) return -EINVAL;
      }
      op->end = p;
    }
  }
  return p == end ? 0 : -EINVAL;
}

struct args args_of(const struct op *op) {
  struct args a = {op->args, op->end, op->nargs, 0};
  return a;
}

int arg_kind(const struct args *a) {
  return a->left == 0 || a->p >= a->end ? -1 : *a->p;
}

u64 arg_u64(struct args *a) {
  u64 v;
  if (arg_kind(a) != 1) {
    a->bad = 1;
    return 0;
  }
  memcpy(&v, a->p + 1, 8);
  a->p += 9;
  a->left--;
  return v;
}

const char *arg_bytes(struct args *a, u32 *len) {
  const char *s;
  int kind = arg_kind(a);
  if (kind == 0) {
    a->p++;
    a->left--;
    if (len) *len = 0;
    return NULL;
  }
  if (kind != 2) {
    a->bad = 1;
    if (len) *len = 0;
    return NULL;
  }
  if (len) *len = rd32(a->p + 1);
  s = (const char *)a->p + 5;
  a->p += 5 + rd32(a->p + 1) + 1;
  a->left--;
  return s;
}

const char *arg_str(struct args *a) {
  return arg_bytes(a, NULL);
}
