/* reply: RESP2 reply writers on top of common/out.c (the current event's output buffer). */
#ifndef KV_REPLY_H
#define KV_REPLY_H

#include <stddef.h>

void reply_raw(const char *s, size_t n);
void reply_ok(void);
void reply_simple(const char *s);          /* +s\r\n */
void reply_error(const char *msg);         /* -msg\r\n; msg includes the code (ERR, OOM, ...) */
/* -<prefix><mid (binary, at most 128 bytes)><suffix>\r\n */
void reply_error3(const char *prefix, const void *mid, size_t mid_len, const char *suffix);
void reply_int(long long v);               /* :v\r\n */
void reply_bulk(const void *p, size_t n);  /* $n\r\n...\r\n */
void reply_bulk_str(const char *s);
void reply_bulk_ll(long long v);
void reply_nil(void);                      /* $-1\r\n */
void reply_array(long long n);             /* *n\r\n */

#endif
