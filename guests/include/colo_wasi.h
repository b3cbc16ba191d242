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

/* The exports, declared for the host that calls them. */
#include "colo_exports.h"

#endif
