/*
 * commands: the command table and what handlers share.
 *
 * Every mutating handler follows the same order so that neither a failed malloc nor a failed
 * disk write leaves a half-applied command:
 *   1. validate arguments and read the current state;
 *   2. allocate everything the change needs (entries, dict_reserve);
 *   3. append the effect record to the log (cmd_log), replying "-ERR disk ..." on failure;
 *   4. apply the change (cannot fail any more) and reply.
 */
#ifndef KV_COMMANDS_H
#define KV_COMMANDS_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

typedef struct {
    int32_t conn;
    int quit; /* set by QUIT: close after the reply */
} kv_ctx;

typedef void (*kv_cmd_fn)(kv_ctx *c, size_t argc, const kv_arg *argv);

typedef struct {
    const char *name; /* lower case */
    int arity;        /* Redis convention: n exact, -n at least n (argv[0] included) */
    kv_cmd_fn fn;
} kv_command;

/* Sort the table (once, at boot). */
void commands_init(void);

/* Look up argv[0], check the arity and run the handler (replies to the client). */
void cmd_dispatch(kv_ctx *c, size_t argc, const kv_arg *argv);

size_t commands_count(void);

/* ---- helpers for handlers ---- */

/* Append a record to the log; on failure reply the error and return -1. */
int cmd_log(size_t argc, const kv_arg *argv, int kind);

void reply_oom(void);
void reply_syntax_error(void);
void reply_wrong_arity(const char *name);

/* Parse an integer argument; replies "value is not an integer or out of range" on failure. */
int cmd_get_ll(const kv_arg *a, long long *out);

/* Handlers (cmd_string.c, cmd_keys.c, cmd_server.c). */
void cmd_get(kv_ctx *, size_t, const kv_arg *);
void cmd_set(kv_ctx *, size_t, const kv_arg *);
void cmd_setnx(kv_ctx *, size_t, const kv_arg *);
void cmd_setex(kv_ctx *, size_t, const kv_arg *);
void cmd_psetex(kv_ctx *, size_t, const kv_arg *);
void cmd_getset(kv_ctx *, size_t, const kv_arg *);
void cmd_getdel(kv_ctx *, size_t, const kv_arg *);
void cmd_incr(kv_ctx *, size_t, const kv_arg *);
void cmd_decr(kv_ctx *, size_t, const kv_arg *);
void cmd_incrby(kv_ctx *, size_t, const kv_arg *);
void cmd_decrby(kv_ctx *, size_t, const kv_arg *);
void cmd_append(kv_ctx *, size_t, const kv_arg *);
void cmd_strlen(kv_ctx *, size_t, const kv_arg *);
void cmd_mget(kv_ctx *, size_t, const kv_arg *);
void cmd_mset(kv_ctx *, size_t, const kv_arg *);

void cmd_del(kv_ctx *, size_t, const kv_arg *);
void cmd_exists(kv_ctx *, size_t, const kv_arg *);
void cmd_type(kv_ctx *, size_t, const kv_arg *);
void cmd_expire(kv_ctx *, size_t, const kv_arg *);
void cmd_pexpire(kv_ctx *, size_t, const kv_arg *);
void cmd_expireat(kv_ctx *, size_t, const kv_arg *);
void cmd_pexpireat(kv_ctx *, size_t, const kv_arg *);
void cmd_ttl(kv_ctx *, size_t, const kv_arg *);
void cmd_pttl(kv_ctx *, size_t, const kv_arg *);
void cmd_persist(kv_ctx *, size_t, const kv_arg *);
void cmd_keys(kv_ctx *, size_t, const kv_arg *);
void cmd_randomkey(kv_ctx *, size_t, const kv_arg *);
void cmd_dbsize(kv_ctx *, size_t, const kv_arg *);
void cmd_flushall(kv_ctx *, size_t, const kv_arg *);

void cmd_ping(kv_ctx *, size_t, const kv_arg *);
void cmd_echo(kv_ctx *, size_t, const kv_arg *);
void cmd_time(kv_ctx *, size_t, const kv_arg *);
void cmd_info(kv_ctx *, size_t, const kv_arg *);
void cmd_config(kv_ctx *, size_t, const kv_arg *);
void cmd_command(kv_ctx *, size_t, const kv_arg *);
void cmd_select(kv_ctx *, size_t, const kv_arg *);
void cmd_quit(kv_ctx *, size_t, const kv_arg *);
void cmd_hello(kv_ctx *, size_t, const kv_arg *);
void cmd_client(kv_ctx *, size_t, const kv_arg *);
void cmd_bgrewriteaof(kv_ctx *, size_t, const kv_arg *);

#endif
