#include "strbuf.h"

#include <string.h>

void sb_init(strbuf *sb, char *buf, size_t cap) {
    sb->buf = buf;
    sb->cap = cap;
    sb->len = 0;
    if (cap > 0) {
        buf[0] = '\0';
    }
}

void sb_mem(strbuf *sb, const void *p, size_t n) {
    if (sb->cap == 0) {
        return;
    }
    size_t room = sb->cap - 1 - sb->len;
    if (n > room) {
        n = room;
    }
    memcpy(sb->buf + sb->len, p, n);
    sb->len += n;
    sb->buf[sb->len] = '\0';
}

void sb_str(strbuf *sb, const char *s) { sb_mem(sb, s, strlen(s)); }

void sb_u64_pad(strbuf *sb, uint64_t v, int width) {
    char tmp[24];
    int n = 0;
    do {
        tmp[n++] = (char)('0' + (v % 10u));
        v /= 10u;
    } while (v != 0);
    while (n < width && n < (int)sizeof tmp) {
        tmp[n++] = '0';
    }
    char out[24];
    for (int i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    sb_mem(sb, out, (size_t)n);
}

void sb_u64(strbuf *sb, uint64_t v) { sb_u64_pad(sb, v, 0); }

void sb_i64(strbuf *sb, int64_t v) {
    if (v < 0) {
        sb_mem(sb, "-", 1);
        sb_u64(sb, 0u - (uint64_t)v);
    } else {
        sb_u64(sb, (uint64_t)v);
    }
}
