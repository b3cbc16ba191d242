/*
 * Exports shared by the test fixtures: ABI version, colo_alloc, and no-op handlers for the
 * events a fixture does not care about. Define FIXTURE_ABI_VERSION to claim another version and
 * FIXTURE_CUSTOM_ON_CLOSE to provide colo_on_close yourself.
 */
#ifndef FIXTURE_COMMON_EXPORTS_H
#define FIXTURE_COMMON_EXPORTS_H

#include <stdlib.h>

#include "colo_guest.h"

#ifndef FIXTURE_ABI_VERSION
#define FIXTURE_ABI_VERSION COLO_ABI_VERSION
#endif

COLO_EXPORT("colo_abi_version") int32_t colo_abi_version(void) { return FIXTURE_ABI_VERSION; }

COLO_EXPORT("colo_alloc") void *colo_alloc(int32_t len) {
    return len < 0 ? NULL : malloc(len > 0 ? (size_t)len : 1u);
}

COLO_EXPORT("colo_init") int32_t colo_init(void) { return 0; }

COLO_EXPORT("colo_on_open") void colo_on_open(int32_t conn) { (void)conn; }

#ifndef FIXTURE_CUSTOM_ON_CLOSE
COLO_EXPORT("colo_on_close") void colo_on_close(int32_t conn) { (void)conn; }
#endif

COLO_EXPORT("colo_on_timer") void colo_on_timer(int32_t id) { (void)id; }

#endif
