#include "proto.h"

#include <stdlib.h>
#include <string.h>

enum { REQ_NONE = 0, REQ_MULTIBULK = 1, REQ_INLINE = 2 };
enum { PARSE_EMPTY = -1 }; /* internal: an empty request (blank line, "*0") was skipped */

void proto_init(proto_state *q, size_t max_query) {
    memset(q, 0, sizeof *q);
    q->bulk_len = -1;
    q->max_query = max_query;
}

void proto_free(proto_state *q) {
    free(q->buf);
    free(q->spans);
    free(q->argv);
    size_t max_query = q->max_query;
    proto_init(q, max_query);
}

void proto_trim(proto_state *q) {
    if (proto_idle(q) && q->buf != NULL) {
        free(q->buf);
        q->buf = NULL;
        q->len = q->cap = q->start = q->pos = 0;
    }
}

int proto_feed(proto_state *q, unsigned char *data, size_t n, int adopt) {
    if (proto_idle(q) && adopt) {
        free(q->buf);
        q->buf = data;
        q->len = q->cap = n;
        q->start = q->pos = 0;
        return PROTO_MORE;
    }
    /* Move the pending request to the front; span offsets are request-relative. */
    if (q->start > 0) {
        memmove(q->buf, q->buf + q->start, q->len - q->start);
        q->len -= q->start;
        q->pos -= q->start;
        q->start = 0;
    }
    if (n > SIZE_MAX - q->len) {
        if (adopt) {
            free(data);
        }
        return PROTO_OOM;
    }
    size_t need = q->len + n;
    if (need > q->cap) {
        size_t ncap = q->cap < 1024 ? 1024 : q->cap;
        while (ncap < need) {
            ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
        }
        unsigned char *nb = realloc(q->buf, ncap);
        if (nb == NULL) {
            if (adopt) {
                free(data);
            }
            return PROTO_OOM;
        }
        q->buf = nb;
        q->cap = ncap;
    }
    memcpy(q->buf + q->len, data, n);
    q->len += n;
    if (adopt) {
        free(data);
    }
    return PROTO_MORE;
}

/* Make room for at least want argument slots. 0, or -1 when out of memory. */
static int ensure_args(proto_state *q, size_t want) {
    if (want <= q->arg_cap) {
        return 0;
    }
    size_t ncap = q->arg_cap < 8 ? 8 : q->arg_cap;
    while (ncap < want) {
        ncap *= 2;
    }
    if (ncap > SIZE_MAX / sizeof(struct proto_span)) {
        return -1;
    }
    struct proto_span *ns = realloc(q->spans, ncap * sizeof *ns);
    if (ns == NULL) {
        return -1;
    }
    q->spans = ns;
    kv_arg *na = realloc(q->argv, ncap * sizeof *na);
    if (na == NULL) {
        return -1; /* spans grew, argv did not: arg_cap stays, retrying is safe */
    }
    q->argv = na;
    q->arg_cap = ncap;
    return 0;
}

static int fail(proto_state *q, const char *msg) {
    q->err = msg;
    return PROTO_ERR;
}

/* Finish a request: turn spans into argv pointers. */
static int emit(proto_state *q, size_t *argc, kv_arg **argv) {
    const unsigned char *base = q->buf + q->start;
    for (size_t i = 0; i < q->argc; i++) {
        q->argv[i].p = base + q->spans[i].off;
        q->argv[i].n = q->spans[i].len;
    }
    *argc = q->argc;
    *argv = q->argv;
    q->type = REQ_NONE;
    q->start = q->pos;
    return PROTO_CMD;
}

/*
 * Find a "<prefix><integer>\r\n" line at q->pos. Returns 1 with *value and the position after
 * the line in *next, 0 when incomplete, -1 when the line is not terminated by "\r\n" or the
 * integer is invalid (the caller knows which error to report).
 */
static int read_length_line(proto_state *q, long long *value, size_t *next) {
    const unsigned char *p = q->buf + q->pos;
    size_t avail = q->len - q->pos;
    const unsigned char *cr = memchr(p, '\r', avail);
    if (cr == NULL || (size_t)(cr - p) + 1 >= avail) {
        return 0;
    }
    if (cr[1] != '\n' || !kv_str2ll(p + 1, (size_t)(cr - p) - 1, value)) {
        return -1;
    }
    *next = q->pos + (size_t)(cr - p) + 2;
    return 1;
}

static int parse_multibulk(proto_state *q, size_t *argc, kv_arg **argv) {
    if (q->mb_left == 0) {
        long long count;
        size_t next;
        int r = read_length_line(q, &count, &next);
        if (r == 0) {
            if (q->len - q->pos > PROTO_INLINE_MAX) {
                return fail(q, "Protocol error: too big mbulk count string");
            }
            return PROTO_MORE;
        }
        if (r < 0 || count > PROTO_MAX_MULTIBULK) {
            return fail(q, "Protocol error: invalid multibulk length");
        }
        q->pos = next;
        if (count <= 0) {
            return PARSE_EMPTY;
        }
        if (ensure_args(q, count < 1024 ? (size_t)count : 1024) != 0) {
            return PROTO_OOM;
        }
        q->mb_left = count;
        q->argc = 0;
        q->bulk_len = -1;
    }
    while (q->mb_left > 0) {
        if (q->bulk_len < 0) {
            if (q->pos >= q->len) {
                return PROTO_MORE;
            }
            if (q->buf[q->pos] != '$') {
                static char msg[64];
                memcpy(msg, "Protocol error: expected '$', got ' '", 38);
                unsigned char c = q->buf[q->pos];
                msg[35] = (char)(c >= 0x20 && c < 0x7f ? c : ' ');
                return fail(q, msg);
            }
            long long blen;
            size_t next;
            int r = read_length_line(q, &blen, &next);
            if (r == 0) {
                if (q->len - q->pos > PROTO_INLINE_MAX) {
                    return fail(q, "Protocol error: too big bulk count string");
                }
                return PROTO_MORE;
            }
            if (r < 0 || blen < 0 || blen > PROTO_MAX_BULK) {
                return fail(q, "Protocol error: invalid bulk length");
            }
            if ((unsigned long long)blen + 2u + (next - q->start) > q->max_query) {
                return fail(q, "Protocol error: request too large");
            }
            q->pos = next;
            q->bulk_len = blen;
        }
        size_t blen = (size_t)q->bulk_len;
        if (q->len - q->pos < blen + 2) {
            return PROTO_MORE;
        }
        if (q->buf[q->pos + blen] != '\r' || q->buf[q->pos + blen + 1] != '\n') {
            return fail(q, "Protocol error: bulk not terminated by CRLF");
        }
        if (ensure_args(q, q->argc + 1) != 0) {
            return PROTO_OOM;
        }
        q->spans[q->argc].off = q->pos - q->start;
        q->spans[q->argc].len = blen;
        q->argc++;
        q->pos += blen + 2;
        q->bulk_len = -1;
        q->mb_left--;
    }
    return emit(q, argc, argv);
}

static int is_space(unsigned char c) {
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static int hex_val(unsigned char c) {
    if (c >= '0' && c <= '9') {
        return c - '0';
    }
    if (c >= 'a' && c <= 'f') {
        return c - 'a' + 10;
    }
    if (c >= 'A' && c <= 'F') {
        return c - 'A' + 10;
    }
    return -1;
}

/*
 * Split the line [s, end) into arguments in place, like Redis' sdssplitargs: spaces separate,
 * "double quotes" take \n \r \t \b \a \xHH and \<any> escapes, 'single quotes' take \'.
 * A closing quote must be followed by a space or the end. Unescaped bytes are written back into
 * the line (never ahead of the read position). Returns 0, -1 (unbalanced quotes) or -2 (OOM).
 */
static int split_inline(proto_state *q, unsigned char *s, unsigned char *end) {
    unsigned char *base = q->buf + q->start;
    unsigned char *p = s;
    q->argc = 0;
    for (;;) {
        while (p < end && is_space(*p)) {
            p++;
        }
        if (p == end) {
            return 0;
        }
        unsigned char *w = p; /* write cursor for this argument */
        unsigned char *arg = w;
        int inq = 0, insq = 0;
        for (;;) {
            if (inq) {
                if (p == end) {
                    return -1;
                }
                if (*p == '\\' && end - p >= 4 && p[1] == 'x' && hex_val(p[2]) >= 0 &&
                    hex_val(p[3]) >= 0) {
                    *w++ = (unsigned char)(hex_val(p[2]) * 16 + hex_val(p[3]));
                    p += 4;
                } else if (*p == '\\' && end - p >= 2) {
                    unsigned char c = p[1];
                    switch (c) {
                    case 'n': c = '\n'; break;
                    case 'r': c = '\r'; break;
                    case 't': c = '\t'; break;
                    case 'b': c = '\b'; break;
                    case 'a': c = '\a'; break;
                    default: break;
                    }
                    *w++ = c;
                    p += 2;
                } else if (*p == '"') {
                    if (p + 1 < end && !is_space(p[1])) {
                        return -1;
                    }
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            } else if (insq) {
                if (p == end) {
                    return -1;
                }
                if (*p == '\\' && end - p >= 2 && p[1] == '\'') {
                    *w++ = '\'';
                    p += 2;
                } else if (*p == '\'') {
                    if (p + 1 < end && !is_space(p[1])) {
                        return -1;
                    }
                    p++;
                    break;
                } else {
                    *w++ = *p++;
                }
            } else {
                /* (Redis also stops at NUL, as its lines are C strings; here NUL is data.) */
                if (p == end || *p == ' ' || *p == '\n' || *p == '\r' || *p == '\t') {
                    break;
                }
                if (*p == '"') {
                    inq = 1;
                    p++;
                } else if (*p == '\'') {
                    insq = 1;
                    p++;
                } else {
                    *w++ = *p++;
                }
            }
        }
        if (ensure_args(q, q->argc + 1) != 0) {
            return -2;
        }
        q->spans[q->argc].off = (size_t)(arg - base);
        q->spans[q->argc].len = (size_t)(w - arg);
        q->argc++;
    }
}

static int parse_inline(proto_state *q, size_t *argc, kv_arg **argv) {
    unsigned char *nl = memchr(q->buf + q->pos, '\n', q->len - q->pos);
    if (nl == NULL) {
        q->pos = q->len; /* do not rescan what we already searched */
        if (q->len - q->start > PROTO_INLINE_MAX) {
            return fail(q, "Protocol error: too big inline request");
        }
        return PROTO_MORE;
    }
    unsigned char *line = q->buf + q->start;
    unsigned char *end = nl;
    if (end > line && end[-1] == '\r') {
        end--;
    }
    q->pos = (size_t)(nl - q->buf) + 1;
    int r = split_inline(q, line, end);
    if (r == -1) {
        return fail(q, "Protocol error: unbalanced quotes in request");
    }
    if (r == -2) {
        return PROTO_OOM;
    }
    if (q->argc == 0) {
        return PARSE_EMPTY;
    }
    return emit(q, argc, argv);
}

int proto_next(proto_state *q, size_t *argc, kv_arg **argv) {
    for (;;) {
        if (q->type == REQ_NONE) {
            q->start = q->pos;
            if (q->pos >= q->len) {
                return PROTO_MORE;
            }
            q->type = q->buf[q->pos] == '*' ? REQ_MULTIBULK : REQ_INLINE;
            q->mb_left = 0;
            q->bulk_len = -1;
            q->argc = 0;
        }
        int r = q->type == REQ_MULTIBULK ? parse_multibulk(q, argc, argv)
                                         : parse_inline(q, argc, argv);
        if (r == PARSE_EMPTY) {
            q->type = REQ_NONE;
            continue;
        }
        return r;
    }
}
