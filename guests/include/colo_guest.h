/*
 * COLO HA guest ABI, version 1.
 *
 * A guest is a WebAssembly reactor module (clang-14 --target=wasm32-wasi -mexec-model=reactor).
 * The host (the replica agent's micro-VM) calls the exported handlers one event at a time, on one
 * thread; between two events the Wasm stack is empty, so the complete VM state is linear memory +
 * mutable globals + the host's device state. The full contract is docs/guest-abi.md.
 *
 * Every import lives in the Wasm import module "colo". A guest must not import anything else
 * (no WASI): the host refuses such a module at load time with a clear error.
 */
#ifndef COLO_GUEST_H
#define COLO_GUEST_H

#include <stddef.h>
#include <stdint.h>

#define COLO_ABI_VERSION 1

/* A platform layer may define these first (include/colo_wasi.h: plain C functions). */
#ifndef COLO_IMPORT
#define COLO_IMPORT(name) __attribute__((import_module("colo"), import_name(name)))
#endif
#ifndef COLO_EXPORT
#define COLO_EXPORT(name) __attribute__((export_name(name)))
#endif

/* Sector size of the virtual block device: disk offsets and lengths are multiples of it. */
#define COLO_SECTOR_SIZE 512

/* Error codes returned (negated) by imports. */
#define COLO_OK 0
#define COLO_E_NOCONN (-1)   /* unknown or already closed connection */
#define COLO_E_RANGE (-2)    /* disk access beyond the end of the device */
#define COLO_E_ALIGN (-3)    /* disk offset or length not a multiple of COLO_SECTOR_SIZE */
#define COLO_E_IO (-4)       /* the device failed; the guest should answer with an error */
#define COLO_E_NODISK (-5)   /* the VM has no disk */
#define COLO_E_LIMIT (-6)    /* a host limit was hit (too many timers, request too large) */
#define COLO_E_UNSET (-7)    /* colo_env_get: no such variable in the VM's environment */

/* Log levels for colo_log. */
#define COLO_LOG_DEBUG 0
#define COLO_LOG_INFO 1
#define COLO_LOG_WARN 2
#define COLO_LOG_ERROR 3

/* ---- imports: what the host gives the guest ---- */

/* Queue len bytes at ptr as output of connection conn. Returns len, or COLO_E_NOCONN. The host
 * buffers without limit from the guest's point of view; flow control is the host's job. */
COLO_IMPORT("send") int32_t colo_send(int32_t conn, const void *ptr, int32_t len);

/* Close connection conn once its queued output is delivered. Returns COLO_OK or COLO_E_NOCONN.
 * No colo_on_close follows for a connection the guest closed itself. */
COLO_IMPORT("close") int32_t colo_close(int32_t conn);

/* Wall-clock time of the host, in nanoseconds since the Unix epoch. Each replica reads its own
 * host's clock: two replicas see different values (real nondeterminism). */
COLO_IMPORT("clock_realtime") int64_t colo_clock_realtime(void);

/* Monotonic time of the host, in nanoseconds from an arbitrary origin. */
COLO_IMPORT("clock_monotonic") int64_t colo_clock_monotonic(void);

/* Fill len bytes at ptr from the host's random source (different on each replica). */
COLO_IMPORT("random") void colo_random(void *ptr, int32_t len);

/* Size of the virtual block device in bytes (0 when the VM has no disk). */
COLO_IMPORT("disk_size") int64_t colo_disk_size(void);

/* Read or write len bytes at byte offset. Both must be multiples of COLO_SECTOR_SIZE.
 * Return COLO_OK or a negative error. A write returns once the host holds it (not necessarily
 * on stable storage: see colo_disk_flush). */
COLO_IMPORT("disk_read") int32_t colo_disk_read(int64_t offset, void *ptr, int32_t len);
COLO_IMPORT("disk_write") int32_t colo_disk_write(int64_t offset, const void *ptr, int32_t len);

/* Make every completed write durable (the host's flush policy decides how). */
COLO_IMPORT("disk_flush") int32_t colo_disk_flush(void);

/* Arm (or re-arm) one-shot timer id to fire colo_on_timer(id) after delay_ms milliseconds of
 * host monotonic time. Returns COLO_OK or COLO_E_LIMIT (too many timers). */
COLO_IMPORT("timer_set") int32_t colo_timer_set(int32_t id, int64_t delay_ms);

/* Disarm timer id. Returns COLO_OK (also when it was not armed). */
COLO_IMPORT("timer_cancel") int32_t colo_timer_cancel(int32_t id);

/* Write a log line (UTF-8, no newline needed) to the host's log. */
COLO_IMPORT("log") void colo_log(int32_t level, const char *ptr, int32_t len);

/* The value of variable name (name_len bytes) in the VM's environment (the `env` it was created
 * with, and the host's settings such as COLO_APPENDFSYNC): copies at most buf_len bytes of it to
 * buf and returns its whole length in bytes, or COLO_E_UNSET when the variable is not set. */
COLO_IMPORT("env_get")
int32_t colo_env_get(const char *name, int32_t name_len, char *buf, int32_t buf_len);

/* ---- exports: what the guest must define ----
 *
 *   int32_t colo_abi_version(void);            return COLO_ABI_VERSION
 *   void   *colo_alloc(int32_t len);           buffer for the host to place input; 0 on OOM
 *   int32_t colo_init(void);                   boot (e.g. replay a log from disk); 0 = ok
 *   void    colo_on_open(int32_t conn);        a client connected
 *   void    colo_on_data(int32_t conn, void *ptr, int32_t len);
 *                                              len input bytes at ptr (from colo_alloc); the guest
 *                                              owns the buffer from then on and must free() it
 *   void    colo_on_close(int32_t conn);       the client closed (or reset) the connection
 *   void    colo_on_timer(int32_t id);         timer id fired
 *
 * plus the linear memory exported as "memory" and the reactor's "_initialize", which the host
 * calls once before colo_init.
 */

#endif
