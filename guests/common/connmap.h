/*
 * connmap: a map from connection id (int32) to a per-connection pointer.
 *
 * Open addressing with linear probing and backward-shift deletion (no tombstones), so lookups
 * stay O(1) however many connections come and go. Ids are arbitrary int32 values.
 */
#ifndef COLO_CONNMAP_H
#define COLO_CONNMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct {
    int32_t key;
    uint32_t used;
    void *val;
} connmap_slot;

typedef struct {
    connmap_slot *slots;
    uint32_t cap;   /* 0 or a power of two */
    uint32_t count;
} connmap;

/* The value stored for key, or NULL. */
void *connmap_get(const connmap *m, int32_t key);

/* Insert or replace. Returns 0, or -1 when the table could not grow (out of memory). */
int connmap_put(connmap *m, int32_t key, void *val);

/* Remove key; returns its value (NULL when absent). */
void *connmap_remove(connmap *m, int32_t key);

#endif
