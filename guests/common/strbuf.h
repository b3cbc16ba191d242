/*
 * strbuf: building short strings in a caller-provided buffer, without the printf family (whose
 * wasi-libc implementation drags in WASI file imports). Output is truncated at the capacity and
 * always NUL-terminated.
 */
#ifndef COLO_STRBUF_H
#define COLO_STRBUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    char *buf;
    size_t cap; /* includes the NUL */
    size_t len;
} strbuf;

void sb_init(strbuf *sb, char *buf, size_t cap);
void sb_mem(strbuf *sb, const void *p, size_t n);
void sb_str(strbuf *sb, const char *s);
void sb_u64(strbuf *sb, uint64_t v);
void sb_i64(strbuf *sb, int64_t v);
/* v in decimal, left-padded with zeros to at least width digits */
void sb_u64_pad(strbuf *sb, uint64_t v, int width);

#endif
