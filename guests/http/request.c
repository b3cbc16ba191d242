#include "request.h"

#include <string.h>

/* tchar of RFC 9110 token */
static int is_tchar(unsigned char c) {
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z')) {
        return 1;
    }
    return c != 0 && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* field-value bytes: VCHAR, SP, HTAB, obs-text */
static int is_field_char(unsigned char c) { return c == '\t' || (c >= 0x20 && c != 0x7f); }

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c; }

static int ieq(const unsigned char *p, size_t n, const char *s) {
    if (strlen(s) != n) {
        return 0;
    }
    for (size_t i = 0; i < n; i++) {
        if (lower(p[i]) != s[i]) {
            return 0;
        }
    }
    return 1;
}

/* One line [p, end) without its line terminator. */
typedef struct {
    const unsigned char *p;
    size_t n;
} span;

/* Next line at *pos within [0, lim); strips "\r\n" or "\n". Returns 0 on a bare CR. */
static int next_line(const unsigned char *buf, size_t lim, size_t *pos, span *line) {
    const unsigned char *start = buf + *pos;
    const unsigned char *nl = memchr(start, '\n', lim - *pos);
    /* the caller guarantees the head ends with a newline inside lim */
    size_t n = (size_t)(nl - start);
    *pos += n + 1;
    if (n > 0 && start[n - 1] == '\r') {
        n--;
    }
    line->p = start;
    line->n = n;
    return memchr(start, '\r', n) == NULL;
}

static int parse_request_line(span l, http_request *r) {
    size_t i = 0;
    while (i < l.n && is_tchar(l.p[i])) {
        i++;
    }
    if (i == 0 || i >= l.n || l.p[i] != ' ') {
        return REQ_BAD;
    }
    r->method = l.p;
    r->method_len = i;
    size_t t0 = ++i;
    while (i < l.n && l.p[i] > 0x20 && l.p[i] != 0x7f) {
        i++;
    }
    if (i == t0 || i >= l.n || l.p[i] != ' ') {
        return REQ_BAD;
    }
    const unsigned char *target = l.p + t0;
    size_t tlen = i - t0;
    const unsigned char *v = l.p + i + 1;
    size_t vlen = l.n - i - 1;
    if (vlen != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9') {
        return REQ_BAD;
    }
    if (v[5] != '1' || (v[7] != '0' && v[7] != '1')) {
        return REQ_VERSION;
    }
    r->minor = v[7] - '0';
    /* absolute-form: skip "scheme://authority" */
    if (tlen > 7 && (ieq(target, 7, "http://") || (tlen > 8 && ieq(target, 8, "https://")))) {
        size_t skip = target[4] == ':' ? 7 : 8;
        const unsigned char *slash = memchr(target + skip, '/', tlen - skip);
        if (slash == NULL) {
            r->path = (const unsigned char *)"/";
            r->path_len = 1;
            return REQ_OK;
        }
        tlen -= (size_t)(slash - target);
        target = slash;
    }
    if (target[0] != '/' && !(tlen == 1 && target[0] == '*')) {
        return REQ_BAD;
    }
    const unsigned char *q = memchr(target, '?', tlen);
    r->path = target;
    r->path_len = q != NULL ? (size_t)(q - target) : tlen;
    return REQ_OK;
}

/* Content-Length: 1*DIGIT, bounded. */
static int parse_length(const unsigned char *p, size_t n, uint64_t *out) {
    if (n == 0 || n > 18) {
        return -1;
    }
    uint64_t v = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] < '0' || p[i] > '9') {
            return -1;
        }
        v = v * 10u + (uint64_t)(p[i] - '0');
    }
    *out = v;
    return 0;
}

/* Scan the comma separated Connection tokens. */
static void connection_tokens(const unsigned char *p, size_t n, int *close, int *keep) {
    size_t i = 0;
    while (i < n) {
        while (i < n && (p[i] == ' ' || p[i] == '\t' || p[i] == ',')) {
            i++;
        }
        size_t s = i;
        while (i < n && p[i] != ',' && p[i] != ' ' && p[i] != '\t') {
            i++;
        }
        if (ieq(p + s, i - s, "close")) {
            *close = 1;
        } else if (ieq(p + s, i - s, "keep-alive")) {
            *keep = 1;
        }
    }
}

/* Find the end of the head (after the empty line). 0 when not yet there. */
static size_t find_head_end(const unsigned char *buf, size_t len, size_t from) {
    for (size_t i = from; i < len; i++) {
        if (buf[i] != '\n') {
            continue;
        }
        if (i + 1 < len && buf[i + 1] == '\n') {
            return i + 2;
        }
        if (i + 2 < len && buf[i + 1] == '\r' && buf[i + 2] == '\n') {
            return i + 3;
        }
    }
    return 0;
}

int http_parse(const unsigned char *buf, size_t len, http_request *r, size_t *head_len) {
    memset(r, 0, sizeof *r);
    size_t pos = 0;
    /* RFC 9112 2.2: ignore empty lines before the request line */
    while (pos < len && (buf[pos] == '\r' || buf[pos] == '\n')) {
        pos++;
    }
    if (pos >= len) {
        return len > HTTP_MAX_HEAD ? REQ_TOO_LARGE : REQ_INCOMPLETE;
    }
    size_t end = find_head_end(buf, len, pos);
    if (end == 0) {
        return len - pos > HTTP_MAX_HEAD ? REQ_TOO_LARGE : REQ_INCOMPLETE;
    }
    if (end - pos > HTTP_MAX_HEAD) {
        return REQ_TOO_LARGE;
    }
    *head_len = end;

    span line;
    if (!next_line(buf, end, &pos, &line)) {
        return REQ_BAD;
    }
    int rc = parse_request_line(line, r);
    if (rc != REQ_OK) {
        return rc;
    }
    int hosts = 0, close = 0, keep = 0, have_length = 0, chunked = 0;
    for (;;) {
        if (!next_line(buf, end, &pos, &line)) {
            return REQ_BAD;
        }
        if (line.n == 0) {
            break;
        }
        size_t i = 0;
        while (i < line.n && is_tchar(line.p[i])) {
            i++;
        }
        if (i == 0 || i >= line.n || line.p[i] != ':') {
            return REQ_BAD; /* also obs-fold and space before the colon */
        }
        const unsigned char *name = line.p;
        size_t name_len = i;
        size_t vs = i + 1, ve = line.n;
        while (vs < ve && (line.p[vs] == ' ' || line.p[vs] == '\t')) {
            vs++;
        }
        while (ve > vs && (line.p[ve - 1] == ' ' || line.p[ve - 1] == '\t')) {
            ve--;
        }
        for (size_t k = vs; k < ve; k++) {
            if (!is_field_char(line.p[k])) {
                return REQ_BAD;
            }
        }
        const unsigned char *val = line.p + vs;
        size_t vlen = ve - vs;
        if (ieq(name, name_len, "host")) {
            hosts++;
        } else if (ieq(name, name_len, "content-length")) {
            uint64_t cl;
            if (parse_length(val, vlen, &cl) != 0 || (have_length && cl != r->content_length)) {
                return REQ_BAD;
            }
            r->content_length = cl;
            have_length = 1;
        } else if (ieq(name, name_len, "transfer-encoding")) {
            chunked = 1;
        } else if (ieq(name, name_len, "connection")) {
            connection_tokens(val, vlen, &close, &keep);
        }
    }
    if (chunked) {
        return have_length ? REQ_BAD : REQ_NOT_IMPL;
    }
    if (r->minor == 1 && hosts != 1) {
        return REQ_BAD;
    }
    r->keep_alive = r->minor == 1 ? !close : (keep && !close);
    return REQ_OK;
}
