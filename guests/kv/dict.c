#include "dict.h"

#include <stdlib.h>
#include <string.h>

#define DICT_MIN_SIZE 16u
#define DICT_MAX_SIZE (1u << 30)
#define DICT_EMPTY_VISITS 10u /* per bucket moved, how many empty buckets one step may skip */

/* ---- hashing: MurmurHash3 x86_32 with a fixed seed (deterministic across replicas) ---- */

static uint32_t rotl32(uint32_t x, int r) { return (x << r) | (x >> (32 - r)); }

uint32_t dict_hash(const void *key, size_t len) {
    const unsigned char *p = key;
    const uint32_t c1 = 0xcc9e2d51u, c2 = 0x1b873593u;
    uint32_t h = 0x5f3759dfu ^ (uint32_t)len;
    size_t nblocks = len / 4;
    for (size_t i = 0; i < nblocks; i++) {
        uint32_t k;
        memcpy(&k, p + i * 4, 4); /* wasm and x86 are little-endian: same hash everywhere */
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
        h = rotl32(h, 13);
        h = h * 5u + 0xe6546b64u;
    }
    const unsigned char *tail = p + nblocks * 4;
    uint32_t k = 0;
    switch (len & 3u) {
    case 3:
        k ^= (uint32_t)tail[2] << 16;
        /* fall through */
    case 2:
        k ^= (uint32_t)tail[1] << 8;
        /* fall through */
    case 1:
        k ^= tail[0];
        k *= c1;
        k = rotl32(k, 15);
        k *= c2;
        h ^= k;
        break;
    default:
        break;
    }
    h ^= (uint32_t)len;
    h ^= h >> 16;
    h *= 0x85ebca6bu;
    h ^= h >> 13;
    h *= 0xc2b2ae35u;
    h ^= h >> 16;
    return h;
}

/* ---- entries ---- */

static size_t entry_bytes(const kv_entry *e) { return sizeof *e + e->klen + e->vlen; }

kv_entry *entry_new(const void *key, size_t klen, const void *val, size_t vlen) {
    if (klen > UINT32_MAX || vlen > UINT32_MAX || klen > SIZE_MAX - sizeof(kv_entry) ||
        vlen > SIZE_MAX - sizeof(kv_entry) - klen) {
        return NULL;
    }
    kv_entry *e = malloc(sizeof *e + klen + vlen);
    if (e == NULL) {
        return NULL;
    }
    e->next = NULL;
    e->hash = dict_hash(key, klen);
    e->klen = (uint32_t)klen;
    e->vlen = (uint32_t)vlen;
    e->all_idx = KV_NO_IDX;
    e->exp_idx = KV_NO_IDX;
    e->expire_at = 0;
    if (klen > 0) {
        memcpy(e->data, key, klen);
    }
    if (vlen > 0) {
        memcpy(e->data + klen, val, vlen);
    }
    return e;
}

void entry_free(kv_entry *e) { free(e); }

/* ---- table ---- */

void dict_init(kv_dict *d) {
    memset(d, 0, sizeof *d);
    d->rehash_idx = -1;
}

static int rehashing(const kv_dict *d) { return d->rehash_idx >= 0; }

/* Move up to n non-empty buckets of table[0] into table[1]. */
static void rehash_step(kv_dict *d, uint32_t n) {
    if (!rehashing(d)) {
        return;
    }
    uint32_t empty_budget = n * DICT_EMPTY_VISITS;
    uint32_t mask1 = d->size[1] - 1u;
    while (n > 0 && d->used[0] > 0) {
        kv_entry **bucket = &d->table[0][d->rehash_idx];
        if (*bucket == NULL) {
            d->rehash_idx++;
            if (--empty_budget == 0) {
                return;
            }
            continue;
        }
        kv_entry *e = *bucket;
        while (e != NULL) {
            kv_entry *next = e->next;
            uint32_t b = e->hash & mask1;
            e->next = d->table[1][b];
            d->table[1][b] = e;
            d->used[0]--;
            d->used[1]++;
            e = next;
        }
        *bucket = NULL;
        d->rehash_idx++;
        n--;
    }
    if (d->used[0] == 0) {
        free(d->table[0]);
        d->table[0] = d->table[1];
        d->size[0] = d->size[1];
        d->used[0] = d->used[1];
        d->table[1] = NULL;
        d->size[1] = 0;
        d->used[1] = 0;
        d->rehash_idx = -1;
    }
}

/* Start rehashing into a table of new_size buckets. Failure to allocate is ignored. */
static void start_resize(kv_dict *d, uint32_t new_size) {
    if (rehashing(d) || new_size == d->size[0]) {
        return;
    }
    kv_entry **t = calloc(new_size, sizeof *t);
    if (t == NULL) {
        return;
    }
    d->table[1] = t;
    d->size[1] = new_size;
    d->used[1] = 0;
    d->rehash_idx = 0;
}

kv_entry *dict_find(kv_dict *d, const void *key, size_t klen) {
    if (d->nall == 0) {
        return NULL;
    }
    rehash_step(d, 1);
    uint32_t h = dict_hash(key, klen);
    for (int t = 0; t <= 1; t++) {
        if (d->size[t] == 0) {
            continue;
        }
        for (kv_entry *e = d->table[t][h & (d->size[t] - 1u)]; e != NULL; e = e->next) {
            if (e->hash == h && e->klen == klen && memcmp(e->data, key, klen) == 0) {
                return e;
            }
        }
        if (!rehashing(d)) {
            break;
        }
    }
    return NULL;
}

static int grow_array(kv_entry ***arr, uint32_t *cap, uint32_t need) {
    if (need <= *cap) {
        return 0;
    }
    uint32_t ncap = *cap ? *cap : 16u;
    while (ncap < need) {
        if (ncap > UINT32_MAX / 2u) {
            ncap = need;
            break;
        }
        ncap *= 2u;
    }
    size_t bytes;
    if (__builtin_mul_overflow((size_t)ncap, sizeof **arr, &bytes)) {
        return -1;
    }
    kv_entry **n = realloc(*arr, bytes);
    if (n == NULL) {
        return -1;
    }
    *arr = n;
    *cap = ncap;
    return 0;
}

int dict_reserve(kv_dict *d, uint32_t n_keys, uint32_t n_expires) {
    if (n_keys > UINT32_MAX - 1u - d->nall || n_expires > UINT32_MAX - 1u - d->nexp) {
        return -1;
    }
    if (n_keys > 0 && d->size[0] == 0) {
        d->table[0] = calloc(DICT_MIN_SIZE, sizeof *d->table[0]);
        if (d->table[0] == NULL) {
            return -1;
        }
        d->size[0] = DICT_MIN_SIZE;
    }
    if (grow_array(&d->all, &d->all_cap, d->nall + n_keys) != 0) {
        return -1;
    }
    return grow_array(&d->exp, &d->exp_cap, d->nexp + n_expires);
}

void dict_add(kv_dict *d, kv_entry *e) {
    rehash_step(d, 1);
    if (!rehashing(d) && d->used[0] >= d->size[0] && d->size[0] < DICT_MAX_SIZE) {
        start_resize(d, d->size[0] * 2u);
    }
    int t = rehashing(d) ? 1 : 0;
    uint32_t b = e->hash & (d->size[t] - 1u);
    e->next = d->table[t][b];
    d->table[t][b] = e;
    d->used[t]++;
    e->all_idx = d->nall;
    d->all[d->nall++] = e;
    e->exp_idx = KV_NO_IDX;
    d->data_bytes += entry_bytes(e);
}

/* The link that points at e (bucket head or the previous entry's next); *table_out is the
 * table that holds e. */
static kv_entry **link_of(kv_dict *d, const kv_entry *e, int *table_out) {
    for (int t = 0; t <= 1; t++) {
        if (d->size[t] == 0) {
            continue;
        }
        kv_entry **link = &d->table[t][e->hash & (d->size[t] - 1u)];
        while (*link != NULL) {
            if (*link == e) {
                *table_out = t;
                return link;
            }
            link = &(*link)->next;
        }
    }
    return NULL; /* unreachable for an entry that is in the dict */
}

static void exp_remove(kv_dict *d, kv_entry *e) {
    uint32_t i = e->exp_idx;
    if (i == KV_NO_IDX) {
        return;
    }
    kv_entry *last = d->exp[--d->nexp];
    d->exp[i] = last;
    last->exp_idx = i;
    e->exp_idx = KV_NO_IDX;
}

void dict_replace(kv_dict *d, kv_entry *old, kv_entry *ne, int keep_ttl) {
    int t;
    kv_entry **link = link_of(d, old, &t);
    if (link == NULL) {
        abort();
    }
    ne->next = old->next;
    ne->hash = old->hash;
    *link = ne;
    ne->all_idx = old->all_idx;
    d->all[ne->all_idx] = ne;
    if (keep_ttl && entry_has_ttl(old)) {
        ne->exp_idx = old->exp_idx;
        ne->expire_at = old->expire_at;
        d->exp[ne->exp_idx] = ne;
    } else {
        exp_remove(d, old);
        ne->exp_idx = KV_NO_IDX;
    }
    d->data_bytes -= entry_bytes(old);
    d->data_bytes += entry_bytes(ne);
    entry_free(old);
}

void dict_delete(kv_dict *d, kv_entry *e) {
    int t;
    kv_entry **link = link_of(d, e, &t);
    if (link == NULL) {
        abort();
    }
    *link = e->next;
    d->used[t]--;
    exp_remove(d, e);
    kv_entry *last = d->all[--d->nall];
    d->all[e->all_idx] = last;
    last->all_idx = e->all_idx;
    d->data_bytes -= entry_bytes(e);
    entry_free(e);
    rehash_step(d, 1);
}

void dict_set_expire(kv_dict *d, kv_entry *e, int64_t at_ms) {
    if (e->exp_idx == KV_NO_IDX) {
        e->exp_idx = d->nexp;
        d->exp[d->nexp++] = e;
    }
    e->expire_at = at_ms;
}

void dict_clear_expire(kv_dict *d, kv_entry *e) { exp_remove(d, e); }

void dict_clear(kv_dict *d) {
    for (uint32_t i = 0; i < d->nall; i++) {
        entry_free(d->all[i]);
    }
    free(d->table[0]);
    free(d->table[1]);
    free(d->all);
    free(d->exp);
    dict_init(d);
}

/* Give back most of a dense array that is less than a quarter full. Failure is harmless. */
static void shrink_array(kv_entry ***arr, uint32_t *cap, uint32_t n) {
    if (*cap <= 1024u || n >= *cap / 4u) {
        return;
    }
    uint32_t ncap = *cap / 2u;
    kv_entry **a = realloc(*arr, (size_t)ncap * sizeof **arr);
    if (a != NULL) {
        *arr = a;
        *cap = ncap;
    }
}

void dict_cron(kv_dict *d) {
    shrink_array(&d->all, &d->all_cap, d->nall);
    shrink_array(&d->exp, &d->exp_cap, d->nexp);
    if (rehashing(d)) {
        rehash_step(d, 1000);
        return;
    }
    if (d->size[0] > DICT_MIN_SIZE && (uint64_t)d->used[0] * 8u < d->size[0]) {
        uint32_t target = DICT_MIN_SIZE;
        while (target < d->used[0]) {
            target *= 2u;
        }
        start_resize(d, target);
    }
}
