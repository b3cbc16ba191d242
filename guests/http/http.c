/*
 * http guest: a small HTTP/1.1 server for COLO HA.
 *
 * Routes: GET|HEAD /        a static HTML page
 *         GET|HEAD /counter increments a counter (HEAD only reports) and returns it
 *         GET|HEAD /time    the host's wall clock, ISO 8601 with milliseconds
 * Every response carries Date (IMF-fixdate from colo_clock_realtime), Server, Content-Type and
 * Content-Length. Keep-alive and pipelining are supported; request bodies (Content-Length) are
 * skipped. Errors: 400 (then close), 404, 405 (+ Allow), 408 when a request head is not
 * complete HEAD_TIMEOUT_MS after its first byte (then close), 431 (then close), 501 for
 * Transfer-Encoding (then close), 505 (then close).
 */
#include <stdlib.h>
#include <string.h>

#include "colo_guest.h"
#include "connmap.h"
#include "httpdate.h"
#include "out.h"
#include "request.h"
#include "strbuf.h"

typedef struct http_conn http_conn;
struct http_conn {
    unsigned char *buf;
    size_t len, cap, start; /* unparsed input is buf[start..len) */
    uint64_t body_left;     /* body bytes of the last request still to skip */
    int32_t id;
    int64_t head_since;     /* monotonic ns of the first byte of a partial head; 0: none */
    http_conn *prev, *next; /* in the list of partial heads while head_since != 0 */
};

/* A request head must be complete this long after its first byte, or the answer is 408. */
#define HEAD_TIMEOUT_MS 10000
#define HEAD_TIMER 0

static connmap conns;
static http_conn *partial;  /* connections with a partial request head, oldest first */
static http_conn *partial_last;
static int head_timer_armed;
static uint64_t counter;
static int64_t event_ns; /* clock read once per event */

static const char index_html[] =
    "<!DOCTYPE html>\n"
    "<html><head><meta charset=\"utf-8\"><title>COLO HA</title></head>\n"
    "<body><h1>COLO HA</h1>\n"
    "<p>This page is served by a WebAssembly guest replicated with COLO.</p>\n"
    "<ul><li><a href=\"/counter\">/counter</a></li><li><a href=\"/time\">/time</a></li></ul>\n"
    "</body></html>\n";

COLO_EXPORT("colo_abi_version") int32_t colo_abi_version(void) { return COLO_ABI_VERSION; }

COLO_EXPORT("colo_alloc") void *colo_alloc(int32_t len) {
    return len < 0 ? NULL : malloc(len > 0 ? (size_t)len : 1u);
}

COLO_EXPORT("colo_init") int32_t colo_init(void) { return 0; }

static http_conn *conn_get(int32_t id) {
    http_conn *c = connmap_get(&conns, id);
    if (c != NULL) {
        return c;
    }
    c = calloc(1, sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    c->id = id;
    if (connmap_put(&conns, id, c) != 0) {
        free(c);
        return NULL;
    }
    return c;
}

static void partial_remove(http_conn *c) {
    if (c->head_since == 0) {
        return;
    }
    if (c->prev != NULL) {
        c->prev->next = c->next;
    } else {
        partial = c->next;
    }
    if (c->next != NULL) {
        c->next->prev = c->prev;
    } else {
        partial_last = c->prev;
    }
    c->prev = c->next = NULL;
    c->head_since = 0;
}

static void arm_head_timer(int64_t delay_ms) {
    if (colo_timer_set(HEAD_TIMER, delay_ms < 1 ? 1 : delay_ms) == COLO_OK) {
        head_timer_armed = 1;
    }
}

/* c holds a partial request head since now (unless it already did): start its clock. */
static void partial_add(http_conn *c) {
    if (c->head_since != 0) {
        return;
    }
    c->head_since = colo_clock_monotonic();
    c->prev = partial_last;
    c->next = NULL;
    if (partial_last != NULL) {
        partial_last->next = c;
    } else {
        partial = c;
    }
    partial_last = c;
    if (!head_timer_armed) {
        arm_head_timer(HEAD_TIMEOUT_MS);
    }
}

static void conn_free(int32_t id) {
    http_conn *c = connmap_remove(&conns, id);
    if (c != NULL) {
        partial_remove(c);
        free(c->buf);
        free(c);
    }
}

COLO_EXPORT("colo_on_open") void colo_on_open(int32_t id) { (void)conn_get(id); }

COLO_EXPORT("colo_on_close") void colo_on_close(int32_t id) { conn_free(id); }

/* ---- responses ---- */

static const char *reason_of(int status) {
    switch (status) {
    case 200: return "OK";
    case 400: return "Bad Request";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 408: return "Request Timeout";
    case 431: return "Request Header Fields Too Large";
    case 501: return "Not Implemented";
    case 505: return "HTTP Version Not Supported";
    default: return "Internal Server Error";
    }
}

enum { CONN_KEEP, CONN_CLOSE, CONN_KEEP_10 /* HTTP/1.0 keep-alive: say so */ };

/*
 * Write one response. body_len is the Content-Length; body is sent unless head_only.
 */
static void respond(int status, const char *type, const char *body, size_t body_len,
                    int head_only, int conn_mode, int allow, int no_store) {
    char date[HTTP_IMF_DATE_LEN + 1];
    http_imf_date(event_ns, date);
    char hdr[512];
    strbuf sb;
    sb_init(&sb, hdr, sizeof hdr);
    sb_str(&sb, "HTTP/1.1 ");
    sb_u64(&sb, (uint64_t)status);
    sb_str(&sb, " ");
    sb_str(&sb, reason_of(status));
    sb_str(&sb, "\r\nDate: ");
    sb_str(&sb, date);
    sb_str(&sb, "\r\nServer: colo-http/1\r\nContent-Type: ");
    sb_str(&sb, type);
    sb_str(&sb, "\r\nContent-Length: ");
    sb_u64(&sb, body_len);
    sb_str(&sb, "\r\n");
    if (allow) {
        sb_str(&sb, "Allow: GET, HEAD\r\n");
    }
    if (no_store) {
        sb_str(&sb, "Cache-Control: no-store\r\n");
    }
    if (conn_mode == CONN_CLOSE) {
        sb_str(&sb, "Connection: close\r\n");
    } else if (conn_mode == CONN_KEEP_10) {
        sb_str(&sb, "Connection: keep-alive\r\n");
    }
    sb_str(&sb, "\r\n");
    out_write(hdr, sb.len);
    if (!head_only && body != NULL) {
        out_write(body, body_len);
    }
}

static void respond_error(int status, int conn_mode, int head_only, int allow) {
    char body[64];
    strbuf sb;
    sb_init(&sb, body, sizeof body);
    sb_u64(&sb, (uint64_t)status);
    sb_str(&sb, " ");
    sb_str(&sb, reason_of(status));
    sb_str(&sb, "\n");
    respond(status, "text/plain; charset=utf-8", body, sb.len, head_only, conn_mode, allow, 0);
}

static int path_is(const http_request *r, const char *p) {
    size_t n = strlen(p);
    return r->path_len == n && memcmp(r->path, p, n) == 0;
}

static int method_is(const http_request *r, const char *m) {
    size_t n = strlen(m);
    return r->method_len == n && memcmp(r->method, m, n) == 0;
}

/* Answer a parsed request. */
static void route(const http_request *r) {
    int mode = !r->keep_alive ? CONN_CLOSE : (r->minor == 0 ? CONN_KEEP_10 : CONN_KEEP);
    int head = method_is(r, "HEAD");
    int get_or_head = head || method_is(r, "GET");
    int known = path_is(r, "/") || path_is(r, "/counter") || path_is(r, "/time");
    if (!known) {
        respond_error(404, mode, head, 0);
        return;
    }
    if (!get_or_head) {
        respond_error(405, mode, 0, 1);
        return;
    }
    if (path_is(r, "/")) {
        respond(200, "text/html; charset=utf-8", index_html, sizeof index_html - 1, head, mode, 0,
                0);
    } else if (path_is(r, "/counter")) {
        /* HEAD reports what the next GET would return without counting */
        uint64_t value = head ? counter + 1 : ++counter;
        char body[24];
        strbuf sb;
        sb_init(&sb, body, sizeof body);
        sb_u64(&sb, value);
        sb_str(&sb, "\n");
        respond(200, "text/plain; charset=utf-8", body, sb.len, head, mode, 0, 1);
    } else {
        char body[HTTP_ISO_TIME_LEN + 2];
        http_iso_time(event_ns, body);
        body[HTTP_ISO_TIME_LEN] = '\n';
        body[HTTP_ISO_TIME_LEN + 1] = '\0';
        respond(200, "text/plain; charset=utf-8", body, HTTP_ISO_TIME_LEN + 1, head, mode, 0, 1);
    }
}

/* ---- input ---- */

/* Append input to c (adopting the host buffer when nothing is pending). -1 on OOM. */
static int buffer_input(http_conn *c, unsigned char *data, size_t n) {
    if (c->start >= c->len) {
        free(c->buf);
        c->buf = data;
        c->len = c->cap = n;
        c->start = 0;
        return 0;
    }
    if (c->start > 0) {
        memmove(c->buf, c->buf + c->start, c->len - c->start);
        c->len -= c->start;
        c->start = 0;
    }
    if (n > c->cap - c->len) {
        size_t ncap = c->cap * 2 > c->len + n ? c->cap * 2 : c->len + n;
        unsigned char *nb = realloc(c->buf, ncap);
        if (nb == NULL) {
            free(data);
            return -1;
        }
        c->buf = nb;
        c->cap = ncap;
    }
    memcpy(c->buf + c->len, data, n);
    c->len += n;
    free(data);
    return 0;
}

static void close_conn(int32_t id) {
    out_flush();
    colo_close(id);
    conn_free(id);
}

/* Serve every complete request in c's buffer. Returns -1 when the connection was closed. */
static int serve(int32_t id, http_conn *c) {
    for (;;) {
        size_t avail = c->len - c->start;
        if (c->body_left > 0) {
            size_t skip = c->body_left < avail ? (size_t)c->body_left : avail;
            c->start += skip;
            c->body_left -= skip;
            if (c->body_left > 0) {
                return 0;
            }
            continue;
        }
        if (avail == 0) {
            return 0;
        }
        http_request r;
        size_t head_len = 0;
        int rc = http_parse(c->buf + c->start, avail, &r, &head_len);
        switch (rc) {
        case REQ_INCOMPLETE:
            return 0;
        case REQ_OK:
            partial_remove(c); /* complete: the next head's clock starts with its first byte */
            route(&r);
            c->start += head_len;
            c->body_left = r.content_length;
            if (!r.keep_alive) {
                close_conn(id);
                return -1;
            }
            break;
        default: {
            int status = rc == REQ_TOO_LARGE ? 431 : rc == REQ_VERSION ? 505
                         : rc == REQ_NOT_IMPL ? 501 : 400;
            respond_error(status, CONN_CLOSE, 0, 0);
            close_conn(id);
            return -1;
        }
        }
    }
}

COLO_EXPORT("colo_on_data") void colo_on_data(int32_t id, void *ptr, int32_t len) {
    event_ns = colo_clock_realtime();
    out_begin(id);
    http_conn *c = conn_get(id);
    if (c == NULL || len <= 0) {
        free(ptr);
        if (c == NULL) {
            colo_close(id);
        }
        return;
    }
    if (buffer_input(c, ptr, (size_t)len) != 0) {
        close_conn(id);
        return;
    }
    if (serve(id, c) == 0) {
        if (c->body_left == 0 && c->start < c->len) {
            partial_add(c); /* part of a head: its clock runs from its first byte */
        } else {
            partial_remove(c);
        }
        if (c->start >= c->len && c->cap > 4096) {
            free(c->buf); /* idle: do not keep a large buffer */
            c->buf = NULL;
            c->len = c->cap = c->start = 0;
        }
        out_flush();
    }
}

/* Answers 408 (and closes) every connection whose request head is not complete in time. */
COLO_EXPORT("colo_on_timer") void colo_on_timer(int32_t id) {
    if (id != HEAD_TIMER) {
        return;
    }
    head_timer_armed = 0;
    event_ns = colo_clock_realtime();
    int64_t now = colo_clock_monotonic();
    int64_t timeout_ns = (int64_t)HEAD_TIMEOUT_MS * 1000000;
    while (partial != NULL && now - partial->head_since >= timeout_ns) {
        int32_t late = partial->id;
        out_begin(late);
        respond_error(408, CONN_CLOSE, 0, 0);
        close_conn(late); /* frees it, which takes it off the list */
    }
    if (partial != NULL) {
        arm_head_timer((partial->head_since + timeout_ns - now) / 1000000 + 1);
    }
}
