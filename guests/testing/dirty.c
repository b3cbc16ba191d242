/*
 * dirty fixture: writes to exactly N distinct 4 KiB pages per request, for checkpoint benchmarks.
 *
 * Each input line "N\n" touches N pages of a buffer allocated once (up to DIRTY_MAX_PAGES pages,
 * grown on demand) and answers "ok N\n"; a line that is not a number answers "err\n". Every
 * request writes a different byte value, so consecutive requests really change the pages. No
 * timers, no clock: between requests the memory does not change.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "common_exports.h"

#define PAGE 4096u
#define DIRTY_MAX_PAGES 65536u /* 256 MiB */

static unsigned char *buffer;
static uint32_t buffer_pages;
static unsigned char generation;
static char line[32];
static uint32_t line_len;

static int ensure(uint32_t pages) {
    if (pages <= buffer_pages) {
        return 1;
    }
    unsigned char *grown = realloc(buffer, (size_t)pages * PAGE);
    if (grown == NULL) {
        return 0;
    }
    buffer = grown;
    buffer_pages = pages;
    return 1;
}

static void reply_number(int32_t conn, const char *prefix, uint32_t v) {
    char out[24];
    size_t n = strlen(prefix);
    memcpy(out, prefix, n);
    char digits[10];
    int k = 0;
    do {
        digits[k++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    while (k > 0) {
        out[n++] = digits[--k];
    }
    out[n++] = '\n';
    colo_send(conn, out, (int32_t)n);
}

static void run(int32_t conn) {
    uint32_t n = 0;
    if (line_len == 0) {
        colo_send(conn, "err\n", 4);
        return;
    }
    for (uint32_t i = 0; i < line_len; i++) {
        if (line[i] < '0' || line[i] > '9' || n > DIRTY_MAX_PAGES) {
            colo_send(conn, "err\n", 4);
            return;
        }
        n = n * 10u + (uint32_t)(line[i] - '0');
    }
    if (n > DIRTY_MAX_PAGES || !ensure(n)) {
        colo_send(conn, "oom\n", 4);
        return;
    }
    generation++;
    for (uint32_t p = 0; p < n; p++) {
        buffer[(size_t)p * PAGE + (p % 64u)] = generation;
    }
    reply_number(conn, "ok ", n);
}

COLO_EXPORT("colo_on_data") void colo_on_data(int32_t conn, void *ptr, int32_t len) {
    const char *p = ptr;
    for (int32_t i = 0; i < len; i++) {
        if (p[i] == '\n') {
            run(conn);
            line_len = 0;
        } else if (p[i] != '\r' && line_len < sizeof line) {
            line[line_len++] = p[i];
        }
    }
    free(ptr);
}
