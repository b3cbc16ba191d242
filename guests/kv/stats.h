/* Counters shown by INFO. */
#ifndef KV_STATS_H
#define KV_STATS_H

#include <stdint.h>

typedef struct {
    uint64_t commands;
    uint64_t connections_received;
    uint32_t connected_clients;
    int64_t boot_ms;
} kv_stats_t;

extern kv_stats_t kv_stats;

#endif
