/*
 * Native (non-Wasm) builds of the guests, for guests/tools/native_host.c only.
 *
 * colo_guest.h marks imports and exports with Wasm-only attributes. A native build is compiled
 * with `-include include/colo_native.h`: this header includes colo_guest.h with GCC's unknown
 * attribute warnings silenced (the attributes are ignored) and then turns COLO_IMPORT/COLO_EXPORT
 * into no-ops, so the guest sources compile unchanged and the native host links them directly.
 */
#ifndef COLO_NATIVE_H
#define COLO_NATIVE_H

#ifdef __wasm__
#error "colo_native.h is for native builds only"
#endif

#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wattributes"
#include "colo_guest.h"
#pragma GCC diagnostic pop

#undef COLO_IMPORT
#undef COLO_EXPORT
#define COLO_IMPORT(name)
#define COLO_EXPORT(name)

/* The exports, declared for the host that calls them. */
#include "colo_exports.h"

#endif
