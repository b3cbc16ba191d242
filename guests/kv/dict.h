/*
 * dict: the keyspace hash table of the kv guest.
 *
 * - Chained hash table with incremental rehashing (as in Redis): growing or shrinking never
 *   stops the world; each operation moves a bucket or so from the old table to the new one.
 * - Every entry is one allocation: header, key bytes, value bytes. Values are replaced by
 *   swapping in a new entry (dict_replace), so a failed malloc never leaves a half-written key.
 * - Two dense arrays index the entries: `all` (every key, for RANDOMKEY/KEYS/compaction in O(1)
 *   per element) and `exp` (keys with a TTL, for the active-expiry sampler). Each entry knows
 *   its position in both (swap-remove keeps them dense).
 *
 * Operations that insert must be preceded by dict_reserve(), which performs every allocation
 * that could fail; after it, dict_add/dict_replace/dict_set_expire cannot fail. A failed table
 * resize is not an error (the table just gets fuller).
 */
#ifndef KV_DICT_H
#define KV_DICT_H

#include <stddef.h>
#include <stdint.h>

#define KV_NO_IDX UINT32_MAX

typedef struct kv_entry {
    struct kv_entry *next;
    uint32_t hash;
    uint32_t klen;
    uint32_t vlen;
    uint32_t all_idx;
    uint32_t exp_idx;     /* KV_NO_IDX: no TTL */
    int64_t expire_at;    /* absolute ms since the Unix epoch; valid iff exp_idx != KV_NO_IDX */
    unsigned char data[]; /* klen key bytes, then vlen value bytes */
} kv_entry;

static inline const unsigned char *entry_key(const kv_entry *e) { return e->data; }
static inline const unsigned char *entry_val(const kv_entry *e) { return e->data + e->klen; }
static inline unsigned char *entry_val_mut(kv_entry *e) { return e->data + e->klen; }
static inline int entry_has_ttl(const kv_entry *e) { return e->exp_idx != KV_NO_IDX; }

typedef struct {
    kv_entry **table[2];
    uint32_t size[2];   /* 0 or a power of two */
    uint32_t used[2];
    int64_t rehash_idx; /* next bucket of table[0] to move; -1 when not rehashing */
    kv_entry **all;
    uint32_t nall, all_cap;
    kv_entry **exp;
    uint32_t nexp, exp_cap;
    uint64_t data_bytes; /* bytes held by entries */
} kv_dict;

uint32_t dict_hash(const void *key, size_t len);

/* A new unlinked entry holding copies of key and value; NULL when out of memory. */
kv_entry *entry_new(const void *key, size_t klen, const void *val, size_t vlen);

/* Free an entry that is not in a dict. */
void entry_free(kv_entry *e);

void dict_init(kv_dict *d);

kv_entry *dict_find(kv_dict *d, const void *key, size_t klen);

/* Make room for n_keys more keys and n_expires more TTLs. 0, or -1 when out of memory. */
int dict_reserve(kv_dict *d, uint32_t n_keys, uint32_t n_expires);

/* Insert e, whose key must be absent, without TTL. Needs a prior dict_reserve(d, 1, 0). */
void dict_add(kv_dict *d, kv_entry *e);

/* Put ne in the place of old (same key) and free old. With keep_ttl, ne takes over old's TTL. */
void dict_replace(kv_dict *d, kv_entry *old, kv_entry *ne, int keep_ttl);

/* Unlink and free e. */
void dict_delete(kv_dict *d, kv_entry *e);

/* Set e's TTL (needs a prior dict_reserve(d, 0, 1) when e has none yet). */
void dict_set_expire(kv_dict *d, kv_entry *e, int64_t at_ms);

void dict_clear_expire(kv_dict *d, kv_entry *e);

/* Free every entry; the dict is empty and usable afterwards. */
void dict_clear(kv_dict *d);

/* Background work: some rehashing and shrinking a mostly empty table. */
void dict_cron(kv_dict *d);

static inline uint32_t dict_size(const kv_dict *d) { return d->nall; }

#endif
