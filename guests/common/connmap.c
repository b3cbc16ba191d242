#include "connmap.h"

#include <stdlib.h>

#define CONNMAP_MIN_CAP 16u

static uint32_t slot_of(int32_t key, uint32_t cap) {
    /* Fibonacci hashing: ids are often sequential, this spreads them. */
    return ((uint32_t)key * 2654435769u) & (cap - 1u);
}

void *connmap_get(const connmap *m, int32_t key) {
    if (m->cap == 0) {
        return NULL;
    }
    for (uint32_t i = slot_of(key, m->cap);; i = (i + 1u) & (m->cap - 1u)) {
        const connmap_slot *s = &m->slots[i];
        if (!s->used) {
            return NULL;
        }
        if (s->key == key) {
            return s->val;
        }
    }
}

/* Place key in a table known to have room and not to contain key. */
static void insert_fresh(connmap_slot *slots, uint32_t cap, int32_t key, void *val) {
    uint32_t i = slot_of(key, cap);
    while (slots[i].used) {
        i = (i + 1u) & (cap - 1u);
    }
    slots[i].key = key;
    slots[i].used = 1;
    slots[i].val = val;
}

static int grow(connmap *m) {
    uint32_t ncap = m->cap ? m->cap * 2u : CONNMAP_MIN_CAP;
    if (ncap < m->cap) {
        return -1;
    }
    connmap_slot *ns = calloc(ncap, sizeof *ns);
    if (ns == NULL) {
        return -1;
    }
    for (uint32_t i = 0; i < m->cap; i++) {
        if (m->slots[i].used) {
            insert_fresh(ns, ncap, m->slots[i].key, m->slots[i].val);
        }
    }
    free(m->slots);
    m->slots = ns;
    m->cap = ncap;
    return 0;
}

int connmap_put(connmap *m, int32_t key, void *val) {
    if (m->cap != 0) {
        for (uint32_t i = slot_of(key, m->cap);; i = (i + 1u) & (m->cap - 1u)) {
            connmap_slot *s = &m->slots[i];
            if (!s->used) {
                break;
            }
            if (s->key == key) {
                s->val = val;
                return 0;
            }
        }
    }
    /* Keep the load factor at or below 1/2. */
    if ((m->count + 1u) * 2u > m->cap && grow(m) != 0) {
        return -1;
    }
    insert_fresh(m->slots, m->cap, key, val);
    m->count++;
    return 0;
}

void *connmap_remove(connmap *m, int32_t key) {
    if (m->cap == 0) {
        return NULL;
    }
    uint32_t mask = m->cap - 1u;
    uint32_t i = slot_of(key, m->cap);
    while (m->slots[i].used && m->slots[i].key != key) {
        i = (i + 1u) & mask;
    }
    if (!m->slots[i].used) {
        return NULL;
    }
    void *val = m->slots[i].val;
    /* Backward-shift deletion: pull later members of the probe run into the hole. */
    uint32_t hole = i;
    for (uint32_t j = (i + 1u) & mask; m->slots[j].used; j = (j + 1u) & mask) {
        uint32_t home = slot_of(m->slots[j].key, m->cap);
        /* Move j into the hole unless its home lies cyclically in (hole, j]. */
        int home_in_range = hole <= j ? (home > hole && home <= j) : (home > hole || home <= j);
        if (!home_in_range) {
            m->slots[hole] = m->slots[j];
            hole = j;
        }
    }
    m->slots[hole].used = 0;
    m->slots[hole].val = NULL;
    m->count--;
    return val;
}
