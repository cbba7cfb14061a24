/* -u USER[:GROUP] against the container's own /etc/passwd and /etc/group, read after pivot_root so
 * a rootfs cannot point the lookup at host files. Docker's rules: a numeric uid need not be listed
 * (then gid 0 and home /); a name must be. */
#include "stage.h"

/* Field `n` (0-based) of a colon-separated line [line, eol); its length in *len. */
static const char *field(const char *line, const char *eol, int n, size_t *len) {
  const char *p = line, *f;
  for (; n > 0; n--) {
    while (p < eol && *p != ':') p++;
    if (p >= eol) return NULL;
    p++;
  }
  f = p;
  while (p < eol && *p != ':') p++;
  *len = (size_t)(p - f);
  return f;
}

static int fields_at_least(const char *line, const char *eol, int n) {
  int colons = 0;
  for (; line < eol; line++) colons += *line == ':';
  return colons + 1 >= n;
}

static s64 number(const char *f, size_t len) {
  const char *p = f;
  s64 v = rt_atoi(&p, f + len);
  return p == f + len ? v : -1;
}

/* Finds the first line of `text` whose field `key` equals name (or, numerically, id). */
static const char *find_line(const char *text, size_t tlen, int min_fields, int key, const char *name, s64 id, const char **eol_out) {
  const char *p = text, *end = text + tlen;
  while (p < end) {
    const char *eol = p;
    size_t len;
    const char *f;
    while (eol < end && *eol != '\n') eol++;
    if (*p != '#' && fields_at_least(p, eol, min_fields)) {
      f = field(p, eol, key, &len);
      if (f && ((name && len == rt_strlen(name) && rt_strneq(f, name, len)) || (!name && number(f, len) == id))) {
        *eol_out = eol;
        return p;
      }
    }
    p = eol + 1;
  }
  return NULL;
}

static char *copy(const char *s, size_t n) {
  char *d = rt_alloc(n + 1);
  if (d) memcpy(d, s, n);
  return d;
}

int user_lookup(struct args *a, struct exec_user *out, int *which) {
  char *passwd = NULL, *group = NULL;
  size_t plen = 0, glen = 0, len = 0;
  const char *line = NULL, *eol = NULL, *f;
  int ukind = arg_kind(a);
  u64 uid = 0;
  const char *uname = NULL;
  int gkind;
  if (ukind == 1) uid = arg_u64(a);
  else uname = arg_str(a);
  gkind = arg_kind(a);
  if (rt_read_file(AT_FDCWD, "/etc/passwd", &passwd, &plen) < 0) passwd = NULL;
  if (passwd) line = find_line(passwd, plen, 7, uname ? 0 : 2, uname, (s64)uid, &eol);
  if (!line && uname) {
    *which = 1;
    return -ENOENT;
  }
  out->uid = (u32)uid;
  out->gid = 0;
  out->home = "/";
  if (line) {
    f = field(line, eol, 2, &len);
    out->uid = (u32)number(f, len);
    f = field(line, eol, 3, &len);
    out->gid = (u32)number(f, len);
    f = field(line, eol, 5, &len);
    if (len) out->home = copy(f, len);
  }
  if (gkind == 1) out->gid = (u32)arg_u64(a);
  else if (gkind == 2) {
    const char *gname = arg_str(a);
    const char *gline = NULL, *geol = NULL;
    if (rt_read_file(AT_FDCWD, "/etc/group", &group, &glen) == 0) gline = find_line(group, glen, 3, 0, gname, 0, &geol);
    if (!gline) {
      *which = 2;
      return -ENOENT;
    }
    f = field(gline, geol, 2, &len);
    out->gid = (u32)number(f, len);
  } else arg_str(a); /* null */
  return 0;
}
