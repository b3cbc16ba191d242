/*
 * clock fixture: for divergence tests. Each complete input line is echoed as
 * "<colo_clock_realtime ns> <16 hex digits of host random> <line>\n".
 * Partial lines are buffered per connection (up to 4 KiB; longer lines are cut there).
 */
#include <string.h>

#define FIXTURE_CUSTOM_ON_CLOSE
#include "common_exports.h"
#include "connmap.h"

#define LINE_MAX_BYTES 4096

typedef struct {
    size_t len;
    char line[LINE_MAX_BYTES];
} line_buf;

static connmap lines;

static size_t put_u64(char *out, uint64_t v) {
    char tmp[20];
    size_t n = 0;
    do {
        tmp[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    for (size_t i = 0; i < n; i++) {
        out[i] = tmp[n - 1 - i];
    }
    return n;
}

static void emit(int32_t conn, const char *line, size_t n) {
    char head[64];
    size_t h = put_u64(head, (uint64_t)colo_clock_realtime());
    head[h++] = ' ';
    uint64_t r;
    colo_random(&r, (int32_t)sizeof r);
    for (int i = 15; i >= 0; i--) {
        head[h++] = "0123456789abcdef"[(r >> (4 * i)) & 0xfu];
    }
    head[h++] = ' ';
    colo_send(conn, head, (int32_t)h);
    colo_send(conn, line, (int32_t)n);
    colo_send(conn, "\n", 1);
}

COLO_EXPORT("colo_on_data") void colo_on_data(int32_t conn, void *ptr, int32_t len) {
    line_buf *lb = connmap_get(&lines, conn);
    if (lb == NULL) {
        lb = calloc(1, sizeof *lb);
        if (lb == NULL || connmap_put(&lines, conn, lb) != 0) {
            free(lb);
            free(ptr);
            colo_close(conn);
            return;
        }
    }
    const char *p = ptr;
    for (int32_t i = 0; i < len; i++) {
        if (p[i] == '\n') {
            size_t n = lb->len;
            if (n > 0 && lb->line[n - 1] == '\r') {
                n--;
            }
            emit(conn, lb->line, n);
            lb->len = 0;
        } else if (lb->len < LINE_MAX_BYTES) {
            lb->line[lb->len++] = p[i];
        }
    }
    free(ptr);
}

COLO_EXPORT("colo_on_close") void colo_on_close(int32_t conn) { free(connmap_remove(&lines, conn)); }
