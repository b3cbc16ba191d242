#include "db.h"

#include "colo_guest.h"

#define ACTIVE_EXPIRE_SAMPLES 20u
#define ACTIVE_EXPIRE_MAX_ROUNDS 16u
#define RANDOMKEY_TRIES 100u

kv_dict kv_db;
static int64_t now_ms;

void db_init(void) {
    dict_init(&kv_db);
    db_update_clock();
}

int64_t db_update_clock(void) {
    now_ms = colo_clock_realtime() / 1000000;
    return now_ms;
}

int64_t db_now_ms(void) { return now_ms; }

kv_entry *db_lookup(const void *key, size_t klen) {
    kv_entry *e = dict_find(&kv_db, key, klen);
    if (e != NULL && db_is_expired(e, now_ms)) {
        dict_delete(&kv_db, e);
        return NULL;
    }
    return e;
}

void db_store(kv_entry *e, int64_t expire_at, int keep_ttl) {
    kv_entry *old = dict_find(&kv_db, entry_key(e), e->klen);
    if (old != NULL) {
        dict_replace(&kv_db, old, e, keep_ttl && expire_at < 0);
    } else {
        dict_add(&kv_db, e);
    }
    if (expire_at >= 0) {
        dict_set_expire(&kv_db, e, expire_at);
    }
}

void db_drop_expired(void) {
    uint32_t i = 0;
    while (i < kv_db.nexp) {
        kv_entry *e = kv_db.exp[i];
        if (db_is_expired(e, now_ms)) {
            dict_delete(&kv_db, e); /* moves the last element into slot i */
        } else {
            i++;
        }
    }
}

uint64_t db_random_u64(void) {
    uint64_t r;
    colo_random(&r, (int32_t)sizeof r);
    return r;
}

/* xorshift64*: cheap local generator for sampling, seeded from the host once per cycle. */
static uint64_t xorshift(uint64_t *s) {
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1Dull;
}

uint32_t db_active_expire(void) {
    uint64_t seed = db_random_u64() | 1u;
    uint32_t removed = 0;
    for (uint32_t round = 0; round < ACTIVE_EXPIRE_MAX_ROUNDS && kv_db.nexp > 0; round++) {
        uint32_t expired = 0;
        for (uint32_t i = 0; i < ACTIVE_EXPIRE_SAMPLES && kv_db.nexp > 0; i++) {
            kv_entry *e = kv_db.exp[xorshift(&seed) % kv_db.nexp];
            if (db_is_expired(e, now_ms)) {
                dict_delete(&kv_db, e);
                expired++;
            }
        }
        removed += expired;
        /* Go on only while more than a quarter of the sample was expired. */
        if (expired * 4u <= ACTIVE_EXPIRE_SAMPLES) {
            break;
        }
    }
    dict_cron(&kv_db);
    return removed;
}

kv_entry *db_random_key(void) {
    for (uint32_t tries = 0; tries < RANDOMKEY_TRIES && kv_db.nall > 0; tries++) {
        kv_entry *e = kv_db.all[db_random_u64() % kv_db.nall];
        if (!db_is_expired(e, now_ms)) {
            return e;
        }
        dict_delete(&kv_db, e);
    }
    return NULL;
}
