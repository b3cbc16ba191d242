/*
 * db: the keyspace (one Redis database) with expiry.
 *
 * Expiry times are absolute milliseconds of the host wall clock (colo_clock_realtime). A key
 * is expired when now >= expire_at. Expired keys are removed lazily when a command touches them
 * and actively by db_active_expire(), which samples keys with a TTL (as Redis does).
 * Removing an expired key is not logged: the log holds absolute expiry times, and replay drops
 * keys that are expired by then (see aof.c).
 */
#ifndef KV_DB_H
#define KV_DB_H

#include <stdint.h>

#include "dict.h"

extern kv_dict kv_db;

void db_init(void);

/* Refresh the cached wall clock (once per event) and return it, in ms. */
int64_t db_update_clock(void);
int64_t db_now_ms(void);

static inline int db_is_expired(const kv_entry *e, int64_t now_ms) {
    return entry_has_ttl(e) && now_ms >= e->expire_at;
}

/* Find a live key; an expired one is deleted and NULL returned. */
kv_entry *db_lookup(const void *key, size_t klen);

/*
 * Store the prepared entry e under its key, replacing any existing entry (expired or not).
 * expire_at < 0: no TTL (or keep the old one with keep_ttl); otherwise the absolute expiry.
 * Needs a prior dict_reserve(&kv_db, 1, 1).
 */
void db_store(kv_entry *e, int64_t expire_at, int keep_ttl);

/* Delete every expired key (after log replay). */
void db_drop_expired(void);

/* One cycle of the active expirer; returns the number of keys removed. */
uint32_t db_active_expire(void);

/* A random live key or NULL (uses the host random source). */
kv_entry *db_random_key(void);

/* Host random 64-bit value. */
uint64_t db_random_u64(void);

/* Number of keys with a TTL. */
static inline uint32_t db_expires_count(void) { return kv_db.nexp; }

#endif
