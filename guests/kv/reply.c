#include "reply.h"

#include <string.h>

#include "out.h"
#include "strbuf.h"
#include "util.h"

void reply_raw(const char *s, size_t n) { out_write(s, n); }

void reply_ok(void) { out_write("+OK\r\n", 5); }

void reply_simple(const char *s) {
    out_write("+", 1);
    out_write(s, strlen(s));
    out_write("\r\n", 2);
}

/* Errors are single lines: newlines in user data are turned into spaces (as Redis does). */
static void write_error_text(const char *msg, size_t n) {
    out_write("-", 1);
    size_t start = 0;
    for (size_t i = 0; i < n; i++) {
        if (msg[i] == '\r' || msg[i] == '\n') {
            out_write(msg + start, i - start);
            out_write(" ", 1);
            start = i + 1;
        }
    }
    out_write(msg + start, n - start);
    out_write("\r\n", 2);
}

void reply_error(const char *msg) { write_error_text(msg, strlen(msg)); }

void reply_error3(const char *prefix, const void *mid, size_t mid_len, const char *suffix) {
    char buf[512];
    strbuf sb;
    sb_init(&sb, buf, sizeof buf);
    sb_str(&sb, prefix);
    sb_mem(&sb, mid, mid_len < 128 ? mid_len : 128);
    sb_str(&sb, suffix);
    write_error_text(buf, sb.len);
}

/* prefix + integer + CRLF in one write */
static void write_prefixed_ll(char prefix, long long v) {
    char buf[KV_LL_STR_SIZE + 3];
    buf[0] = prefix;
    size_t n = 1 + kv_ll2str(buf + 1, v);
    buf[n++] = '\r';
    buf[n++] = '\n';
    out_write(buf, n);
}

void reply_int(long long v) {
    if (v == 0) {
        out_write(":0\r\n", 4);
    } else if (v == 1) {
        out_write(":1\r\n", 4);
    } else {
        write_prefixed_ll(':', v);
    }
}

void reply_bulk(const void *p, size_t n) {
    write_prefixed_ll('$', (long long)n);
    out_write(p, n);
    out_write("\r\n", 2);
}

void reply_bulk_str(const char *s) { reply_bulk(s, strlen(s)); }

void reply_bulk_ll(long long v) {
    char buf[KV_LL_STR_SIZE];
    size_t n = kv_ll2str(buf, v);
    reply_bulk(buf, n);
}

void reply_nil(void) { out_write("$-1\r\n", 5); }

void reply_array(long long n) { write_prefixed_ll('*', n); }
