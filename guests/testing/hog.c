/*
 * hog fixture: grows its memory until the host's limit.
 *
 * Each data event allocates 1 MiB chunks, touches every page of them and keeps them forever.
 * The delivery is read as a decimal count of chunks to allocate (default 1 when it holds no
 * digits). The reply is "ok N\n" with N the total number of chunks held, or "oom\n" as soon as
 * malloc fails (memory.grow refused).
 */
#include <string.h>

#include "common_exports.h"

#define CHUNK (1024u * 1024u)
#define MAX_CHUNKS 4096u /* 4 GiB: more than wasm32 can address */

static void *chunks[MAX_CHUNKS];
static uint32_t held;

static uint32_t requested(const unsigned char *p, size_t n) {
    uint32_t v = 0;
    int digits = 0;
    for (size_t i = 0; i < n; i++) {
        if (p[i] >= '0' && p[i] <= '9') {
            v = v > MAX_CHUNKS ? MAX_CHUNKS : v * 10u + (uint32_t)(p[i] - '0');
            digits = 1;
        }
    }
    return digits ? v : 1u;
}

static void reply_ok(int32_t conn) {
    char buf[16] = "ok ";
    char digits[10];
    int n = 0;
    uint32_t v = held;
    do {
        digits[n++] = (char)('0' + v % 10u);
        v /= 10u;
    } while (v != 0);
    size_t len = 3;
    while (n > 0) {
        buf[len++] = digits[--n];
    }
    buf[len++] = '\n';
    colo_send(conn, buf, (int32_t)len);
}

COLO_EXPORT("colo_on_data") void colo_on_data(int32_t conn, void *ptr, int32_t len) {
    uint32_t want = len > 0 ? requested(ptr, (size_t)len) : 1u;
    free(ptr);
    for (uint32_t i = 0; i < want; i++) {
        void *p = held < MAX_CHUNKS ? malloc(CHUNK) : NULL;
        if (p == NULL) {
            colo_send(conn, "oom\n", 4);
            return;
        }
        memset(p, 0xA5, CHUNK); /* touch every page */
        chunks[held++] = p;
    }
    reply_ok(conn);
}
