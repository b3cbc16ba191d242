/*
 * replay: apply the records of the append-only log at boot (see aof.h for the record set).
 *
 * Records are applied without looking at the clock: the log is an exact history of effects, and
 * keys whose absolute expiry has passed are dropped once replay is complete (db_drop_expired).
 */
#include <string.h>

#include "aof.h"
#include "db.h"

/* Store key = value with an optional absolute expiry (-1: none). */
static int replay_set(const kv_arg *key, const kv_arg *val, int64_t expire_at) {
    kv_entry *e = entry_new(key->p, key->n, val->p, val->n);
    if (e == NULL || dict_reserve(&kv_db, 1, 1) != 0) {
        entry_free(e);
        return -1;
    }
    db_store(e, expire_at, 0);
    return 0;
}

static int parse_ms(const kv_arg *a, int64_t *out) {
    long long v;
    if (!kv_str2ll(a->p, a->n, &v) || v < 0) {
        return -1;
    }
    *out = v;
    return 0;
}

int kv_replay_apply(size_t argc, const kv_arg *argv) {
    if (argc == 0) {
        return -1;
    }
    const kv_arg *cmd = &argv[0];
    if (kv_arg_is(cmd, "set")) {
        int64_t at = -1;
        if (argc == 5 && kv_arg_is(&argv[3], "pxat")) {
            if (parse_ms(&argv[4], &at) != 0) {
                return -1;
            }
        } else if (argc != 3) {
            return -1;
        }
        return replay_set(&argv[1], &argv[2], at);
    }
    if (kv_arg_is(cmd, "mset")) {
        if (argc < 3 || argc % 2 != 1) {
            return -1;
        }
        for (size_t i = 1; i < argc; i += 2) {
            if (replay_set(&argv[i], &argv[i + 1], -1) != 0) {
                return -1;
            }
        }
        return 0;
    }
    if (kv_arg_is(cmd, "del") || kv_arg_is(cmd, "unlink")) {
        for (size_t i = 1; i < argc; i++) {
            kv_entry *e = dict_find(&kv_db, argv[i].p, argv[i].n);
            if (e != NULL) {
                dict_delete(&kv_db, e);
            }
        }
        return 0;
    }
    if (kv_arg_is(cmd, "pexpireat") || kv_arg_is(cmd, "persist")) {
        int is_expire = kv_arg_is(cmd, "pexpireat");
        if (argc != (is_expire ? 3u : 2u)) {
            return -1;
        }
        kv_entry *e = dict_find(&kv_db, argv[1].p, argv[1].n);
        if (e == NULL) {
            return 0; /* cannot happen in a log we wrote; harmless */
        }
        if (!is_expire) {
            dict_clear_expire(&kv_db, e);
            return 0;
        }
        int64_t at;
        if (parse_ms(&argv[2], &at) != 0 || dict_reserve(&kv_db, 0, 1) != 0) {
            return -1;
        }
        dict_set_expire(&kv_db, e, at);
        return 0;
    }
    if (kv_arg_is(cmd, "config")) {
        int policy;
        if (argc != 4 || !kv_arg_is(&argv[1], "set") || !kv_arg_is(&argv[2], "appendfsync") ||
            (policy = aof_fsync_parse(argv[3].p, argv[3].n)) < 0) {
            return -1;
        }
        aof_set_fsync(policy);
        return 0;
    }
    if (kv_arg_is(cmd, "boot")) {
        long long n;
        /* the mark of a boot (aof.c): no effect on the data */
        return argc == 2 && kv_str2ll(argv[1].p, argv[1].n, &n) ? 0 : -1;
    }
    if (kv_arg_is(cmd, "flushall")) {
        dict_clear(&kv_db);
        return 0;
    }
    return -1;
}
