/*
 * WASI builds of the ABI v1 guests (kv, http): the same sources as a plain WASI command.
 *
 * guests/build.sh compiles a guest's sources with `-include include/colo_wasi.h` and links them
 * with common/platform_wasi.c. This header makes COLO_IMPORT/COLO_EXPORT empty before
 * colo_guest.h is read, so the guest's imports and exports are ordinary C functions: the platform
 * layer implements the imports on top of POSIX sockets (wasi-libc) and calls the exports from its
 * own event loop in main(). The ABI v1 build (without this header) is unchanged.
 */
#ifndef COLO_WASI_H
#define COLO_WASI_H

#ifndef __wasm__
#error "colo_wasi.h is for wasm32-wasi builds only"
#endif

#define COLO_IMPORT(name)
#define COLO_EXPORT(name)
#include "colo_guest.h"

/* The exports, declared for the platform layer (in ABI v1 they are only named by export_name). */
int32_t colo_abi_version(void);
void *colo_alloc(int32_t len);
int32_t colo_init(void);
void colo_on_open(int32_t conn);
void colo_on_data(int32_t conn, void *ptr, int32_t len);
void colo_on_close(int32_t conn);
void colo_on_timer(int32_t id);

#endif
