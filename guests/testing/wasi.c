/*
 * wasi fixture: a working echo guest that also prints through WASI (printf -> fd_write), so it
 * imports from wasi_snapshot_preview1. The host must refuse it at load time (invalid-guest).
 */
#include <stdio.h>

#include "common_exports.h"

COLO_EXPORT("colo_on_data") void colo_on_data(int32_t conn, void *ptr, int32_t len) {
    printf("conn %d sent %d bytes\n", (int)conn, (int)len);
    if (len > 0) {
        colo_send(conn, ptr, len);
    }
    free(ptr);
}
