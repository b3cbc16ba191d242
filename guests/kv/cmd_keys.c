/* Keyspace commands: DEL UNLINK EXISTS TYPE EXPIRE* PEXPIRE* TTL PTTL PERSIST KEYS RANDOMKEY
 * DBSIZE FLUSHALL FLUSHDB */
#include <limits.h>
#include <string.h>

#include "aof.h"
#include "commands.h"
#include "db.h"
#include "glob.h"
#include "reply.h"

void cmd_del(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    int any = 0;
    for (size_t i = 1; i < argc && !any; i++) {
        any = db_lookup(argv[i].p, argv[i].n) != NULL;
    }
    if (!any) {
        reply_int(0);
        return;
    }
    /* Log the whole request (DEL or UNLINK): deleting a key that is already gone is a no-op
     * on replay, and such a key can only come back through a full-state SET record. */
    if (cmd_log(argc, argv, AOF_APPEND_SHRINK) != 0) {
        return;
    }
    long long deleted = 0;
    for (size_t i = 1; i < argc; i++) {
        kv_entry *e = db_lookup(argv[i].p, argv[i].n);
        if (e != NULL) {
            dict_delete(&kv_db, e);
            deleted++;
        }
    }
    reply_int(deleted);
}

void cmd_exists(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    long long n = 0;
    for (size_t i = 1; i < argc; i++) {
        if (db_lookup(argv[i].p, argv[i].n) != NULL) {
            n++;
        }
    }
    reply_int(n);
}

void cmd_type(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    reply_simple(db_lookup(argv[1].p, argv[1].n) != NULL ? "string" : "none");
}

enum { EXP_NX = 1, EXP_XX = 2, EXP_GT = 4, EXP_LT = 8 };

/* EXPIRE / PEXPIRE / EXPIREAT / PEXPIREAT key time [NX|XX|GT|LT] (Redis 7 expireGenericCommand). */
static void expire_generic(size_t argc, const kv_arg *argv, int64_t basetime, int unit_seconds,
                           const char *name) {
    int flags = 0;
    for (size_t j = 3; j < argc; j++) {
        if (kv_arg_is(&argv[j], "nx")) {
            flags |= EXP_NX;
        } else if (kv_arg_is(&argv[j], "xx")) {
            flags |= EXP_XX;
        } else if (kv_arg_is(&argv[j], "gt")) {
            flags |= EXP_GT;
        } else if (kv_arg_is(&argv[j], "lt")) {
            flags |= EXP_LT;
        } else {
            reply_error3("ERR Unsupported option ", argv[j].p, argv[j].n, "");
            return;
        }
    }
    if ((flags & EXP_NX) && (flags & (EXP_XX | EXP_GT | EXP_LT))) {
        reply_error("ERR NX and XX, GT or LT options at the same time are not compatible");
        return;
    }
    if ((flags & EXP_GT) && (flags & EXP_LT)) {
        reply_error("ERR GT and LT options at the same time are not compatible");
        return;
    }
    long long when;
    if (cmd_get_ll(&argv[2], &when) != 0) {
        return;
    }
    if (unit_seconds) {
        if (when > LLONG_MAX / 1000 || when < LLONG_MIN / 1000) {
            reply_error3("ERR invalid expire time in '", name, strlen(name), "' command");
            return;
        }
        when *= 1000;
    }
    if ((when > 0 && basetime > LLONG_MAX - when) || (when < 0 && basetime < LLONG_MIN - when)) {
        reply_error3("ERR invalid expire time in '", name, strlen(name), "' command");
        return;
    }
    when += basetime;
    kv_entry *e = db_lookup(argv[1].p, argv[1].n);
    if (e == NULL) {
        reply_int(0);
        return;
    }
    int has = entry_has_ttl(e);
    if (((flags & EXP_NX) && has) || ((flags & EXP_XX) && !has) ||
        ((flags & EXP_GT) && (!has || when <= e->expire_at)) ||
        ((flags & EXP_LT) && has && when >= e->expire_at)) {
        reply_int(0);
        return;
    }
    if (when <= db_now_ms()) {
        /* already expired: the key goes away, which the log records as a DEL */
        kv_arg rec[2] = {{(const unsigned char *)"DEL", 3}, argv[1]};
        if (cmd_log(2, rec, AOF_APPEND_SHRINK) == 0) {
            dict_delete(&kv_db, e);
            reply_int(1);
        }
        return;
    }
    if (!has && dict_reserve(&kv_db, 0, 1) != 0) {
        reply_oom();
        return;
    }
    char ms[KV_LL_STR_SIZE];
    kv_arg rec[3] = {{(const unsigned char *)"PEXPIREAT", 9}, argv[1],
                     {(const unsigned char *)ms, kv_ll2str(ms, when)}};
    if (cmd_log(3, rec, AOF_APPEND_GROW) == 0) {
        dict_set_expire(&kv_db, e, when);
        reply_int(1);
    }
}

void cmd_expire(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    expire_generic(argc, argv, db_now_ms(), 1, "expire");
}

void cmd_pexpire(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    expire_generic(argc, argv, db_now_ms(), 0, "pexpire");
}

void cmd_expireat(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    expire_generic(argc, argv, 0, 1, "expireat");
}

void cmd_pexpireat(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    expire_generic(argc, argv, 0, 0, "pexpireat");
}

static void ttl_generic(const kv_arg *key, int ms) {
    kv_entry *e = db_lookup(key->p, key->n);
    if (e == NULL) {
        reply_int(-2);
    } else if (!entry_has_ttl(e)) {
        reply_int(-1);
    } else {
        int64_t left = e->expire_at - db_now_ms();
        if (left < 0) {
            left = 0;
        }
        reply_int(ms ? left : (left + 500) / 1000);
    }
}

void cmd_ttl(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    ttl_generic(&argv[1], 0);
}

void cmd_pttl(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    ttl_generic(&argv[1], 1);
}

void cmd_persist(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    kv_entry *e = db_lookup(argv[1].p, argv[1].n);
    if (e == NULL || !entry_has_ttl(e)) {
        reply_int(0);
        return;
    }
    kv_arg rec[2] = {{(const unsigned char *)"PERSIST", 7}, argv[1]};
    if (cmd_log(2, rec, AOF_APPEND_GROW) == 0) {
        dict_clear_expire(&kv_db, e);
        reply_int(1);
    }
}

static int key_matches(const kv_entry *e, const kv_arg *pat, int all, int64_t now) {
    if (db_is_expired(e, now)) {
        return 0;
    }
    return all || glob_match(pat->p, pat->n, entry_key(e), e->klen);
}

/* Two passes (count, then emit) so that no allocation is needed. */
void cmd_keys(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    const kv_arg *pat = &argv[1];
    int all = pat->n == 1 && pat->p[0] == '*';
    int64_t now = db_now_ms();
    long long n = 0;
    for (uint32_t i = 0; i < kv_db.nall; i++) {
        n += key_matches(kv_db.all[i], pat, all, now);
    }
    reply_array(n);
    for (uint32_t i = 0; i < kv_db.nall; i++) {
        const kv_entry *e = kv_db.all[i];
        if (key_matches(e, pat, all, now)) {
            reply_bulk(entry_key(e), e->klen);
        }
    }
}

void cmd_randomkey(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    (void)argv;
    kv_entry *e = db_random_key();
    if (e == NULL) {
        reply_nil();
    } else {
        reply_bulk(entry_key(e), e->klen);
    }
}

void cmd_dbsize(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    (void)argv;
    reply_int(dict_size(&kv_db));
}

/* FLUSHALL / FLUSHDB [ASYNC|SYNC] */
void cmd_flushall(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    if (argc > 2 || (argc == 2 && !kv_arg_is(&argv[1], "async") && !kv_arg_is(&argv[1], "sync"))) {
        reply_syntax_error();
        return;
    }
    kv_arg rec[1] = {{(const unsigned char *)"FLUSHALL", 8}};
    if (cmd_log(1, rec, AOF_APPEND_SHRINK) == 0) {
        dict_clear(&kv_db);
        reply_ok();
    }
}
