/*
 * host_posix: the clocks, the one-shot timers and the environment of the POSIX hosts (see
 * host_posix.h).
 */
#ifndef _DEFAULT_SOURCE
#define _DEFAULT_SOURCE
#endif
#include "host_posix.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

static struct {
    int armed;
    int32_t id;
    int64_t deadline_ns;
} timers[HOST_MAX_TIMERS];

static int64_t now_ns(clockid_t clk) {
    struct timespec ts;
    clock_gettime(clk, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t colo_clock_realtime(void) { return now_ns(CLOCK_REALTIME); }

int64_t colo_clock_monotonic(void) { return now_ns(CLOCK_MONOTONIC); }

int32_t colo_timer_set(int32_t id, int64_t delay_ms) {
    int64_t deadline = now_ns(CLOCK_MONOTONIC) + (delay_ms < 0 ? 0 : delay_ms) * 1000000;
    int free_slot = -1;
    for (int i = 0; i < HOST_MAX_TIMERS; i++) {
        if (timers[i].armed && timers[i].id == id) {
            timers[i].deadline_ns = deadline;
            return COLO_OK;
        }
        if (!timers[i].armed && free_slot < 0) {
            free_slot = i;
        }
    }
    if (free_slot < 0) {
        return COLO_E_LIMIT;
    }
    timers[free_slot].armed = 1;
    timers[free_slot].id = id;
    timers[free_slot].deadline_ns = deadline;
    return COLO_OK;
}

int32_t colo_timer_cancel(int32_t id) {
    for (int i = 0; i < HOST_MAX_TIMERS; i++) {
        if (timers[i].armed && timers[i].id == id) {
            timers[i].armed = 0;
        }
    }
    return COLO_OK;
}

int host_timer_wait_ms(int none_ms, int max_ms) {
    int64_t now = now_ns(CLOCK_MONOTONIC);
    int64_t best = -1;
    for (int i = 0; i < HOST_MAX_TIMERS; i++) {
        if (timers[i].armed) {
            int64_t left = timers[i].deadline_ns - now;
            left = left <= 0 ? 0 : (left + 999999) / 1000000;
            if (best < 0 || left < best) {
                best = left;
            }
        }
    }
    if (best < 0) {
        return none_ms;
    }
    return best > max_ms ? max_ms : (int)best;
}

void host_fire_timers(void) {
    int64_t now = now_ns(CLOCK_MONOTONIC);
    for (int i = 0; i < HOST_MAX_TIMERS; i++) {
        if (timers[i].armed && timers[i].deadline_ns <= now) {
            timers[i].armed = 0; /* one-shot: the handler may arm it again */
            colo_on_timer(timers[i].id);
        }
    }
}

int32_t colo_env_get(const char *name, int32_t name_len, char *buf, int32_t buf_len) {
    char key[256];
    if (name_len < 0 || name_len >= (int32_t)sizeof key) {
        return COLO_E_UNSET;
    }
    memcpy(key, name, (size_t)name_len);
    key[name_len] = 0;
    const char *v = getenv(key);
    if (v == NULL) {
        return COLO_E_UNSET;
    }
    size_t n = strlen(v);
    memcpy(buf, v, n < (size_t)buf_len ? n : (size_t)(buf_len < 0 ? 0 : buf_len));
    return (int32_t)n;
}
