/*
 * The attach socket of a detached container's monitor: `ctr attach` and `ctr start -a` connect to
 * <state dir>/attach.sock (the directory is root's, mode 0700). Frames both ways are
 * [u8 kind][u32 length][bytes]: to clients, 1 stdout and 2 stderr; from clients, 0 stdin bytes,
 * 3 "rows cols" (a resize), 4 the end of stdin, 5 "follow the log": from then on the client gets
 * a frame of kind 7 (from here on) and then frames of kind 6 holding the log's records as they
 * are written (k8s-file lines), and no raw output. A follower is waited for (up to a second per record) rather than dropped at once:
 * `ctr logs -f` reading a log that rotates faster than it can be read loses nothing.
 */
#ifndef CTR_ATTACH_H
#define CTR_ATTACH_H
#include "rt.h"

#define ATTACH_MAX_CLIENTS 8
#define FRAME_STDIN 0
#define FRAME_STDOUT 1
#define FRAME_STDERR 2
#define FRAME_RESIZE 3
#define FRAME_STDIN_END 4
#define FRAME_FOLLOW_LOG 5
#define FRAME_LOG 6
#define FRAME_FOLLOWING 7

struct attach {
  int listen;
  int clients[ATTACH_MAX_CLIENTS];
  /* A client's partly read frame. */
  u8 in[ATTACH_MAX_CLIENTS][4101];
  u32 inlen[ATTACH_MAX_CLIENTS];
  u8 follows[ATTACH_MAX_CLIENTS];
};

/* Binds <dir>/attach.sock (a relative name, from dir: the absolute one may not fit sun_path). */
int attach_listen(struct attach *a, const char *dir);
void attach_accept(struct attach *a);
/* Sends a chunk of output to every client; a client that does not keep up is dropped. */
void attach_broadcast(struct attach *a, int kind, const u8 *data, size_t n);
/* Reads what client i sent; calls back per stdin chunk and per resize; 0, or -1 when it left. */
/* A log record to every follower (waits while a follower's socket is full, up to a second). */
void attach_tee_log(struct attach *a, const u8 *record, size_t n);
int attach_read(struct attach *a, int i, void (*on_input)(int kind, const u8 *data, u32 n));
void attach_close_all(struct attach *a);

#endif
