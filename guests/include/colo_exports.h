/*
 * The ABI v1 exports as plain C declarations, for the hosts that link a guest's sources directly
 * and call its exports from their own event loop: common/platform_wasi.c (through colo_wasi.h)
 * and tools/native_host.c (through colo_native.h). In an ABI v1 module they are only named by
 * export_name (colo_guest.h).
 */
#ifndef COLO_EXPORTS_H
#define COLO_EXPORTS_H

#include <stdint.h>

int32_t colo_abi_version(void);
void *colo_alloc(int32_t len);
int32_t colo_init(void);
void colo_on_open(int32_t conn);
void colo_on_data(int32_t conn, void *ptr, int32_t len);
void colo_on_close(int32_t conn);
void colo_on_timer(int32_t id);

#endif
