/*
 * host_posix: what the two POSIX hosts of the ABI v1 guests share: common/platform_wasi.c (the
 * platform layer of the WASI builds) and tools/native_host.c (the developer's test host). Both
 * compile it with the header they force-include (include/colo_wasi.h, include/colo_native.h),
 * which declares the `colo` imports it implements (the clocks, the timers, the environment) and
 * colo_on_timer, which it calls.
 */
#ifndef HOST_POSIX_H
#define HOST_POSIX_H

#include <stdint.h>

#define HOST_MAX_TIMERS 64

/* Milliseconds a host may wait for input before the earliest armed timer is due (0 when one is
 * due already, rounded up otherwise), at most max_ms; none_ms when no timer is armed. */
int host_timer_wait_ms(int none_ms, int max_ms);

/* Runs colo_on_timer for every timer that is due, disarming it first (one-shot: the handler may
 * arm it again). */
void host_fire_timers(void);

#endif
