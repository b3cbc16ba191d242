/*
 * trap fixture: echoes its input, but traps (unreachable) when a delivery contains "crash".
 * The check is per delivery: a "crash" split across two deliveries is echoed.
 */
#include <string.h>

#include "common_exports.h"

static int contains_crash(const unsigned char *p, size_t n) {
    for (size_t i = 0; i + 5 <= n; i++) {
        if (memcmp(p + i, "crash", 5) == 0) {
            return 1;
        }
    }
    return 0;
}

COLO_EXPORT("colo_on_data") void colo_on_data(int32_t conn, void *ptr, int32_t len) {
    if (len > 0 && contains_crash(ptr, (size_t)len)) {
        __builtin_trap();
    }
    if (len > 0) {
        colo_send(conn, ptr, len);
    }
    free(ptr);
}
