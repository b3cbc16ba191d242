#include "commands.h"

#include <stdlib.h>
#include <string.h>

#include "aof.h"
#include "reply.h"

#define CMD_NAME_MAX 16

static kv_command table[] = {
    {"append", 3, cmd_append},        {"bgrewriteaof", 1, cmd_bgrewriteaof},
    {"client", -2, cmd_client},       {"command", -1, cmd_command},
    {"config", -2, cmd_config},       {"dbsize", 1, cmd_dbsize},
    {"decr", 2, cmd_decr},            {"decrby", 3, cmd_decrby},
    {"del", -2, cmd_del},             {"echo", 2, cmd_echo},
    {"exists", -2, cmd_exists},       {"expire", -3, cmd_expire},
    {"expireat", -3, cmd_expireat},   {"flushall", -1, cmd_flushall},
    {"flushdb", -1, cmd_flushall},    {"get", 2, cmd_get},
    {"getdel", 2, cmd_getdel},        {"getset", 3, cmd_getset},
    {"hello", -1, cmd_hello},         {"incr", 2, cmd_incr},
    {"incrby", 3, cmd_incrby},        {"info", -1, cmd_info},
    {"keys", 2, cmd_keys},            {"mget", -2, cmd_mget},
    {"mset", -3, cmd_mset},           {"persist", 2, cmd_persist},
    {"pexpire", -3, cmd_pexpire},     {"pexpireat", -3, cmd_pexpireat},
    {"ping", -1, cmd_ping},           {"psetex", 4, cmd_psetex},
    {"pttl", 2, cmd_pttl},            {"quit", -1, cmd_quit},
    {"randomkey", 1, cmd_randomkey},  {"select", 2, cmd_select},
    {"set", -3, cmd_set},             {"setex", 4, cmd_setex},
    {"setnx", 3, cmd_setnx},          {"strlen", 2, cmd_strlen},
    {"time", 1, cmd_time},            {"ttl", 2, cmd_ttl},
    {"type", 2, cmd_type},            {"unlink", -2, cmd_del},
};

#define TABLE_LEN (sizeof table / sizeof table[0])

static int by_name(const void *a, const void *b) {
    return strcmp(((const kv_command *)a)->name, ((const kv_command *)b)->name);
}

void commands_init(void) { qsort(table, TABLE_LEN, sizeof table[0], by_name); }

size_t commands_count(void) { return TABLE_LEN; }

static const kv_command *lookup(const kv_arg *name) {
    char lower[CMD_NAME_MAX + 1];
    if (name->n == 0 || name->n > CMD_NAME_MAX) {
        return NULL;
    }
    for (size_t i = 0; i < name->n; i++) {
        unsigned char ch = name->p[i];
        lower[i] = (char)(ch >= 'A' && ch <= 'Z' ? ch + ('a' - 'A') : ch);
    }
    lower[name->n] = '\0';
    if (memchr(lower, '\0', name->n) != NULL) {
        return NULL;
    }
    size_t lo = 0, hi = TABLE_LEN;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(lower, table[mid].name);
        if (c == 0) {
            return &table[mid];
        }
        if (c < 0) {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    return NULL;
}

/* "-ERR unknown command 'x', with args beginning with: 'a' 'b' " exactly as Redis 7 says it. */
static void reply_unknown(size_t argc, const kv_arg *argv) {
    char buf[512];
    size_t n = 0;
    const char *p1 = "ERR unknown command '";
    memcpy(buf, p1, strlen(p1));
    n += strlen(p1);
    size_t cn = argv[0].n < 128 ? argv[0].n : 128;
    memcpy(buf + n, argv[0].p, cn);
    n += cn;
    const char *p2 = "', with args beginning with: ";
    memcpy(buf + n, p2, strlen(p2));
    n += strlen(p2);
    size_t args_len = 0;
    for (size_t i = 1; i < argc && args_len < 128; i++) {
        size_t an = argv[i].n < 128 - args_len ? argv[i].n : 128 - args_len;
        buf[n++] = '\'';
        memcpy(buf + n, argv[i].p, an);
        n += an;
        buf[n++] = '\'';
        buf[n++] = ' ';
        args_len += an + 3;
    }
    buf[n] = '\0';
    /* binary bytes (NUL included) cannot go into a RESP error line */
    for (size_t i = 0; i < n; i++) {
        if (buf[i] == '\0' || buf[i] == '\r' || buf[i] == '\n') {
            buf[i] = ' ';
        }
    }
    reply_error(buf);
}

void cmd_dispatch(kv_ctx *c, size_t argc, const kv_arg *argv) {
    const kv_command *cmd = lookup(&argv[0]);
    if (cmd == NULL) {
        reply_unknown(argc, argv);
        return;
    }
    if ((cmd->arity > 0 && argc != (size_t)cmd->arity) ||
        (cmd->arity < 0 && argc < (size_t)-cmd->arity)) {
        reply_wrong_arity(cmd->name);
        return;
    }
    cmd->fn(c, argc, argv);
}

int cmd_log(size_t argc, const kv_arg *argv, int kind) {
    switch (aof_append(argc, argv, kind)) {
    case AOF_OK:
        return 0;
    case AOF_ERR_FULL:
        reply_error("ERR disk full");
        return -1;
    default:
        reply_error("ERR disk error");
        return -1;
    }
}

void reply_oom(void) { reply_error("OOM command not allowed when used memory > 'maxmemory'."); }

void reply_syntax_error(void) { reply_error("ERR syntax error"); }

void reply_wrong_arity(const char *name) {
    reply_error3("ERR wrong number of arguments for '", name, strlen(name), "' command");
}

int cmd_get_ll(const kv_arg *a, long long *out) {
    if (!kv_str2ll(a->p, a->n, out)) {
        reply_error("ERR value is not an integer or out of range");
        return -1;
    }
    return 0;
}
