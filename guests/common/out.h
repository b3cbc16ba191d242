/*
 * out: the output buffer of the event being handled.
 *
 * The host calls one handler at a time, so one static buffer serves every connection: a handler
 * calls out_begin(conn), appends its replies, and out_flush() hands them to colo_send in one
 * call. The buffer is static (no malloc on the reply path, so replies work even when the heap
 * is exhausted); payloads larger than the buffer are sent directly.
 *
 * A pre-send hook (e.g. "flush the disk") runs before any byte reaches colo_send, so a guest can
 * guarantee that nothing is acknowledged before it is durable.
 */
#ifndef COLO_OUT_H
#define COLO_OUT_H

#include <stddef.h>
#include <stdint.h>

#define OUT_BUF_SIZE 16384

/* Start collecting output for conn (flushes anything pending for the previous target). */
void out_begin(int32_t conn);

/* Append n bytes. */
void out_write(const void *p, size_t n);

static inline void out_str(const char *s, size_t n) { out_write(s, n); }

/* Send everything buffered (runs the pre-send hook first). */
void out_flush(void);

/* Discard buffered output (e.g. the connection is gone). */
void out_discard(void);

/* Hook run before buffered bytes are passed to colo_send; NULL for none. */
void out_set_presend_hook(void (*hook)(void));

#endif
