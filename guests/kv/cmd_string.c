/* String commands: GET SET SETNX SETEX PSETEX GETSET GETDEL INCR* DECR* APPEND STRLEN MGET MSET */
#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "aof.h"
#include "commands.h"
#include "db.h"
#include "proto.h"
#include "reply.h"

static const kv_arg ARG_SET = {(const unsigned char *)"SET", 3};
static const kv_arg ARG_PXAT = {(const unsigned char *)"PXAT", 4};

/* Log "SET key value [PXAT at]" (at < 0: no TTL). */
static int log_set(const kv_arg *key, const void *val, size_t vlen, int64_t at) {
    char ms[KV_LL_STR_SIZE];
    kv_arg rec[5] = {ARG_SET, *key, {val, vlen}, ARG_PXAT, {(const unsigned char *)ms, 0}};
    size_t argc = 3;
    if (at >= 0) {
        rec[4].n = kv_ll2str(ms, at);
        argc = 5;
    }
    return cmd_log(argc, rec, AOF_APPEND_GROW);
}

/*
 * Set key to value. expire_at: absolute ms or -1; keep_ttl keeps an existing TTL.
 * Logs, applies, and returns 0; on failure the error is replied and -1 returned.
 * old (the live entry of key or NULL) must be what db_lookup returned just before.
 */
static int set_value(kv_entry *old, const kv_arg *key, const kv_arg *val, int64_t expire_at,
                     int keep_ttl) {
    int64_t logged_at = expire_at;
    if (expire_at < 0 && keep_ttl && old != NULL && entry_has_ttl(old)) {
        logged_at = old->expire_at;
    }
    int need_exp_slot = expire_at >= 0 && (old == NULL || !entry_has_ttl(old));
    if (old != NULL && old->vlen == val->n) {
        /* Same size: overwrite in place, no allocation. */
        if (need_exp_slot && dict_reserve(&kv_db, 0, 1) != 0) {
            reply_oom();
            return -1;
        }
        if (log_set(key, val->p, val->n, logged_at) != 0) {
            return -1;
        }
        if (val->n > 0) {
            memcpy(entry_val_mut(old), val->p, val->n);
        }
        if (expire_at >= 0) {
            dict_set_expire(&kv_db, old, expire_at);
        } else if (!keep_ttl) {
            dict_clear_expire(&kv_db, old);
        }
        return 0;
    }
    kv_entry *e = entry_new(key->p, key->n, val->p, val->n);
    if (e == NULL || dict_reserve(&kv_db, old == NULL ? 1 : 0, need_exp_slot ? 1 : 0) != 0) {
        entry_free(e);
        reply_oom();
        return -1;
    }
    if (log_set(key, val->p, val->n, logged_at) != 0) {
        entry_free(e);
        return -1;
    }
    if (old != NULL) {
        dict_replace(&kv_db, old, e, keep_ttl && expire_at < 0);
    } else {
        /* an expired entry may still sit in the table: db_store replaces it */
        db_store(e, -1, 0);
    }
    if (expire_at >= 0) {
        dict_set_expire(&kv_db, e, expire_at);
    }
    return 0;
}

void cmd_get(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    kv_entry *e = db_lookup(argv[1].p, argv[1].n);
    if (e == NULL) {
        reply_nil();
    } else {
        reply_bulk(entry_val(e), e->vlen);
    }
}

enum { SET_NX = 1, SET_XX = 2, SET_GET = 4, SET_KEEPTTL = 8, SET_EXPIRE = 16 };
enum { UNIT_S, UNIT_MS };

/*
 * Turn an expire argument into absolute ms (Redis' getExpireMillisecondsOrReply).
 * Returns 0, or -1 after replying the error.
 */
static int expire_arg(const kv_arg *a, int unit, int absolute, const char *cmd, int64_t *out) {
    long long v;
    if (cmd_get_ll(a, &v) != 0) {
        return -1;
    }
    if (v <= 0 || (unit == UNIT_S && v > LLONG_MAX / 1000)) {
        reply_error3("ERR invalid expire time in '", cmd, strlen(cmd), "' command");
        return -1;
    }
    if (unit == UNIT_S) {
        v *= 1000;
    }
    if (!absolute) {
        int64_t now = db_now_ms();
        if (v > LLONG_MAX - now) {
            reply_error3("ERR invalid expire time in '", cmd, strlen(cmd), "' command");
            return -1;
        }
        v += now;
    }
    *out = v;
    return 0;
}

void cmd_set(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    int flags = 0;
    int64_t at = -1;
    for (size_t j = 3; j < argc; j++) {
        const kv_arg *o = &argv[j];
        const kv_arg *next = j + 1 < argc ? &argv[j + 1] : NULL;
        int unit = -1, absolute = 0;
        if (kv_arg_is(o, "nx") && !(flags & SET_XX)) {
            flags |= SET_NX;
        } else if (kv_arg_is(o, "xx") && !(flags & SET_NX)) {
            flags |= SET_XX;
        } else if (kv_arg_is(o, "get")) {
            flags |= SET_GET;
        } else if (kv_arg_is(o, "keepttl") && !(flags & (SET_EXPIRE | SET_KEEPTTL))) {
            flags |= SET_KEEPTTL;
        } else if (kv_arg_is(o, "ex")) {
            unit = UNIT_S;
        } else if (kv_arg_is(o, "px")) {
            unit = UNIT_MS;
        } else if (kv_arg_is(o, "exat")) {
            unit = UNIT_S;
            absolute = 1;
        } else if (kv_arg_is(o, "pxat")) {
            unit = UNIT_MS;
            absolute = 1;
        } else {
            reply_syntax_error();
            return;
        }
        if (unit >= 0) {
            if ((flags & (SET_EXPIRE | SET_KEEPTTL)) || next == NULL) {
                reply_syntax_error();
                return;
            }
            if (expire_arg(next, unit, absolute, "set", &at) != 0) {
                return;
            }
            flags |= SET_EXPIRE;
            j++;
        }
    }
    kv_entry *old = db_lookup(argv[1].p, argv[1].n);
    if (((flags & SET_NX) && old != NULL) || ((flags & SET_XX) && old == NULL)) {
        if (flags & SET_GET) {
            if (old != NULL) {
                reply_bulk(entry_val(old), old->vlen);
            } else {
                reply_nil();
            }
        } else {
            reply_nil();
        }
        return;
    }
    if ((flags & SET_GET) && old != NULL) {
        /* The reply is the old value, which set_value frees or overwrites; it may only be sent
         * once the change is logged, so keep a copy meanwhile. */
        size_t vlen = old->vlen;
        unsigned char *copy = malloc(vlen ? vlen : 1);
        if (copy == NULL) {
            reply_oom();
            return;
        }
        memcpy(copy, entry_val(old), vlen);
        if (set_value(old, &argv[1], &argv[2], at, flags & SET_KEEPTTL) == 0) {
            reply_bulk(copy, vlen);
        }
        free(copy);
        return;
    }
    if (set_value(old, &argv[1], &argv[2], at, flags & SET_KEEPTTL) != 0) {
        return;
    }
    if (flags & SET_GET) {
        reply_nil();
    } else {
        reply_ok();
    }
}

void cmd_setnx(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    kv_entry *old = db_lookup(argv[1].p, argv[1].n);
    if (old != NULL) {
        reply_int(0);
        return;
    }
    if (set_value(NULL, &argv[1], &argv[2], -1, 0) == 0) {
        reply_int(1);
    }
}

static void setex_generic(size_t argc, const kv_arg *argv, int unit, const char *name) {
    (void)argc;
    int64_t at;
    if (expire_arg(&argv[2], unit, 0, name, &at) != 0) {
        return;
    }
    kv_entry *old = db_lookup(argv[1].p, argv[1].n);
    if (set_value(old, &argv[1], &argv[3], at, 0) == 0) {
        reply_ok();
    }
}

void cmd_setex(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    setex_generic(argc, argv, UNIT_S, "setex");
}

void cmd_psetex(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    setex_generic(argc, argv, UNIT_MS, "psetex");
}

void cmd_getset(kv_ctx *c, size_t argc, const kv_arg *argv) {
    kv_arg args[4] = {argv[0], argv[1], argv[2], {(const unsigned char *)"GET", 3}};
    (void)argc;
    cmd_set(c, 4, args);
}

void cmd_getdel(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    kv_entry *e = db_lookup(argv[1].p, argv[1].n);
    if (e == NULL) {
        reply_nil();
        return;
    }
    kv_arg rec[2] = {{(const unsigned char *)"DEL", 3}, argv[1]};
    if (cmd_log(2, rec, AOF_APPEND_SHRINK) != 0) {
        return;
    }
    reply_bulk(entry_val(e), e->vlen);
    dict_delete(&kv_db, e);
}

/* INCR/DECR/INCRBY/DECRBY */
static void incr_by(const kv_arg *key, long long delta) {
    kv_entry *e = db_lookup(key->p, key->n);
    long long cur = 0;
    if (e != NULL && !kv_str2ll(entry_val(e), e->vlen, &cur)) {
        reply_error("ERR value is not an integer or out of range");
        return;
    }
    if ((delta < 0 && cur < 0 && delta < LLONG_MIN - cur) ||
        (delta > 0 && cur > 0 && delta > LLONG_MAX - cur)) {
        reply_error("ERR increment or decrement would overflow");
        return;
    }
    long long v = cur + delta;
    char buf[KV_LL_STR_SIZE];
    kv_arg val = {(const unsigned char *)buf, kv_ll2str(buf, v)};
    if (set_value(e, key, &val, -1, 1) == 0) {
        reply_int(v);
    }
}

void cmd_incr(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    incr_by(&argv[1], 1);
}

void cmd_decr(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    incr_by(&argv[1], -1);
}

void cmd_incrby(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    long long d;
    if (cmd_get_ll(&argv[2], &d) == 0) {
        incr_by(&argv[1], d);
    }
}

void cmd_decrby(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    long long d;
    if (cmd_get_ll(&argv[2], &d) != 0) {
        return;
    }
    if (d == LLONG_MIN) {
        reply_error("ERR decrement would overflow");
        return;
    }
    incr_by(&argv[1], -d);
}

void cmd_append(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    kv_entry *e = db_lookup(argv[1].p, argv[1].n);
    size_t old_len = e != NULL ? e->vlen : 0;
    if (argv[2].n > (size_t)PROTO_MAX_BULK - old_len) {
        reply_error("ERR string exceeds maximum allowed size (proto-max-bulk-len)");
        return;
    }
    size_t n = old_len + argv[2].n;
    unsigned char *buf = malloc(n ? n : 1);
    if (buf == NULL) {
        reply_oom();
        return;
    }
    if (old_len > 0) {
        memcpy(buf, entry_val(e), old_len);
    }
    if (argv[2].n > 0) {
        memcpy(buf + old_len, argv[2].p, argv[2].n);
    }
    kv_arg val = {buf, n};
    if (set_value(e, &argv[1], &val, -1, 1) == 0) {
        reply_int((long long)n);
    }
    free(buf);
}

void cmd_strlen(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    kv_entry *e = db_lookup(argv[1].p, argv[1].n);
    reply_int(e != NULL ? (long long)e->vlen : 0);
}

void cmd_mget(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    reply_array((long long)argc - 1);
    for (size_t i = 1; i < argc; i++) {
        kv_entry *e = db_lookup(argv[i].p, argv[i].n);
        if (e == NULL) {
            reply_nil();
        } else {
            reply_bulk(entry_val(e), e->vlen);
        }
    }
}

void cmd_mset(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    if (argc % 2 != 1) {
        reply_wrong_arity("mset");
        return;
    }
    size_t pairs = argc / 2;
    kv_entry **prep = malloc(pairs * sizeof *prep);
    if (prep == NULL) {
        reply_oom();
        return;
    }
    size_t made = 0;
    for (; made < pairs; made++) {
        const kv_arg *k = &argv[1 + 2 * made];
        prep[made] = entry_new(k->p, k->n, k[1].p, k[1].n);
        if (prep[made] == NULL) {
            break;
        }
    }
    int ok = made == pairs && pairs <= UINT32_MAX && dict_reserve(&kv_db, (uint32_t)pairs, 0) == 0;
    if (!ok) {
        reply_oom();
    } else if (cmd_log(argc, argv, AOF_APPEND_GROW) == 0) {
        for (size_t i = 0; i < pairs; i++) {
            db_store(prep[i], -1, 0);
        }
        made = 0; /* all stored: nothing to free */
        reply_ok();
    }
    for (size_t i = 0; i < made; i++) {
        entry_free(prep[i]);
    }
    free(prep);
}
