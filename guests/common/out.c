#include "out.h"

#include <string.h>

#include "colo_guest.h"

static unsigned char out_buf[OUT_BUF_SIZE];
static size_t out_len;
static int32_t out_conn = -1;
static void (*out_hook)(void);

void out_set_presend_hook(void (*hook)(void)) { out_hook = hook; }

static void send_all(const unsigned char *p, size_t n) {
    while (n > 0) {
        int32_t chunk = n > (size_t)INT32_MAX ? INT32_MAX : (int32_t)n;
        if (colo_send(out_conn, p, chunk) < 0) {
            return; /* the connection is gone: nothing more to do */
        }
        p += chunk;
        n -= (size_t)chunk;
    }
}

void out_flush(void) {
    if (out_len == 0) {
        return;
    }
    if (out_hook != NULL) {
        out_hook();
    }
    send_all(out_buf, out_len);
    out_len = 0;
}

void out_discard(void) { out_len = 0; }

void out_begin(int32_t conn) {
    if (conn != out_conn) {
        out_flush();
        out_conn = conn;
    }
}

void out_write(const void *p, size_t n) {
    if (n <= OUT_BUF_SIZE - out_len) {
        memcpy(out_buf + out_len, p, n);
        out_len += n;
        return;
    }
    out_flush();
    if (n <= OUT_BUF_SIZE / 2) {
        memcpy(out_buf, p, n);
        out_len = n;
        return;
    }
    /* Large payload: send it without copying. */
    if (out_hook != NULL) {
        out_hook();
    }
    send_all(p, n);
}
