/* abi2 fixture: a complete echo guest that claims ABI version 2 (the host must refuse it). */
#define FIXTURE_ABI_VERSION 2
#include "common_exports.h"

COLO_EXPORT("colo_on_data") void colo_on_data(int32_t conn, void *ptr, int32_t len) {
    if (len > 0) {
        colo_send(conn, ptr, len);
    }
    free(ptr);
}
