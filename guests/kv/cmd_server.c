/* Connection and server commands: PING ECHO TIME INFO CONFIG COMMAND SELECT QUIT HELLO CLIENT
 * BGREWRITEAOF */
#include <string.h>

#include "aof.h"
#include "colo_guest.h"
#include "commands.h"
#include "db.h"
#include "glob.h"
#include "reply.h"
#include "stats.h"
#include "strbuf.h"

#define REDIS_VERSION "7.0.0"

void cmd_ping(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    if (argc > 2) {
        reply_wrong_arity("ping");
    } else if (argc == 2) {
        reply_bulk(argv[1].p, argv[1].n);
    } else {
        reply_raw("+PONG\r\n", 7);
    }
}

void cmd_echo(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    reply_bulk(argv[1].p, argv[1].n);
}

void cmd_time(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    (void)argv;
    int64_t ns = colo_clock_realtime();
    reply_array(2);
    reply_bulk_ll(ns / 1000000000);
    reply_bulk_ll((ns % 1000000000) / 1000);
}

static uint64_t used_memory(void) {
#ifdef __wasm__
    return (uint64_t)__builtin_wasm_memory_size(0) * 65536u;
#else
    return kv_db.data_bytes;
#endif
}

/* Is section name (lower case) requested by INFO's arguments? */
static int wants(size_t argc, const kv_arg *argv, const char *name) {
    if (argc < 2) {
        return 1;
    }
    for (size_t i = 1; i < argc; i++) {
        if (kv_arg_is(&argv[i], name) || kv_arg_is(&argv[i], "all") ||
            kv_arg_is(&argv[i], "default") || kv_arg_is(&argv[i], "everything")) {
            return 1;
        }
    }
    return 0;
}

/* "name:value\r\n" lines */
static void info_u64(strbuf *sb, const char *name, uint64_t v) {
    sb_str(sb, name);
    sb_str(sb, ":");
    sb_u64(sb, v);
    sb_str(sb, "\r\n");
}

static void info_str(strbuf *sb, const char *name, const char *v) {
    sb_str(sb, name);
    sb_str(sb, ":");
    sb_str(sb, v);
    sb_str(sb, "\r\n");
}

void cmd_info(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    char buf[2048];
    strbuf sb;
    sb_init(&sb, buf, sizeof buf);
    int64_t uptime = (db_now_ms() - kv_stats.boot_ms) / 1000;
    if (wants(argc, argv, "server")) {
        sb_str(&sb, "# Server\r\n");
        info_str(&sb, "redis_version", REDIS_VERSION);
        info_str(&sb, "redis_mode", "standalone");
        info_str(&sb, "os", "colo-wasm");
        info_u64(&sb, "arch_bits", sizeof(void *) * 8);
        info_str(&sb, "colo_guest", "kv");
        info_u64(&sb, "colo_abi_version", COLO_ABI_VERSION);
        info_u64(&sb, "uptime_in_seconds", uptime > 0 ? (uint64_t)uptime : 0);
        sb_str(&sb, "\r\n");
    }
    if (wants(argc, argv, "clients")) {
        sb_str(&sb, "# Clients\r\n");
        info_u64(&sb, "connected_clients", kv_stats.connected_clients);
        sb_str(&sb, "\r\n");
    }
    if (wants(argc, argv, "memory")) {
        sb_str(&sb, "# Memory\r\n");
        info_u64(&sb, "used_memory", used_memory());
        info_u64(&sb, "used_memory_dataset", kv_db.data_bytes);
        info_u64(&sb, "maxmemory", 0);
        sb_str(&sb, "\r\n");
    }
    if (wants(argc, argv, "persistence")) {
        sb_str(&sb, "# Persistence\r\n");
        info_u64(&sb, "loading", 0);
        info_u64(&sb, "aof_enabled", (uint64_t)aof_enabled());
        info_u64(&sb, "aof_current_size", aof_log_len());
        info_u64(&sb, "aof_region_size", aof_region_size());
        info_u64(&sb, "aof_rewrite_in_progress", (uint64_t)aof_compacting());
        sb_str(&sb, "\r\n");
    }
    if (wants(argc, argv, "stats")) {
        sb_str(&sb, "# Stats\r\n");
        info_u64(&sb, "total_connections_received", kv_stats.connections_received);
        info_u64(&sb, "total_commands_processed", kv_stats.commands);
        sb_str(&sb, "\r\n");
    }
    if (wants(argc, argv, "keyspace")) {
        sb_str(&sb, "# Keyspace\r\ndb0:keys=");
        sb_u64(&sb, dict_size(&kv_db));
        sb_str(&sb, ",expires=");
        sb_u64(&sb, db_expires_count());
        sb_str(&sb, ",avg_ttl=0\r\n");
    }
    reply_bulk(buf, sb.len);
}

static void reply_unknown_subcommand(const kv_arg *sub, const char *cmd) {
    char suffix[32];
    strbuf sb;
    sb_init(&sb, suffix, sizeof suffix);
    sb_str(&sb, "'. Try ");
    sb_str(&sb, cmd);
    sb_str(&sb, " HELP.");
    reply_error3("ERR unknown subcommand '", sub->p, sub->n, suffix);
}

/* CONFIG GET answers the parameters redis-benchmark asks for and appendfsync; others are
 * unknown (empty). */
static void config_get(size_t argc, const kv_arg *argv) {
    static const char *const names[] = {"save", "appendonly", "appendfsync"};
    const char *values[] = {"", aof_enabled() ? "yes" : "no", aof_fsync_name(aof_fsync_policy())};
    int hit[3] = {0, 0, 0};
    long long count = 0;
    for (size_t i = 2; i < argc; i++) {
        for (int k = 0; k < 3; k++) {
            if (!hit[k] && glob_match(argv[i].p, argv[i].n, (const unsigned char *)names[k],
                                      strlen(names[k]))) {
                hit[k] = 1;
                count++;
            }
        }
    }
    reply_array(count * 2);
    for (int k = 0; k < 3; k++) {
        if (hit[k]) {
            reply_bulk_str(names[k]);
            reply_bulk_str(values[k]);
        }
    }
}

/* CONFIG SET: appendfsync (always|everysec|no) is logged and applied; others are accepted and
 * ignored (redis-benchmark and clients set a few). The policy is part of the VM's state, so both
 * replicas of a group follow it, and the log keeps it across a reboot from the disk. */
static void config_set(size_t argc, const kv_arg *argv) {
    int policy = -1;
    for (size_t i = 2; i < argc; i += 2) {
        if (kv_arg_is(&argv[i], "appendfsync")) {
            policy = aof_fsync_parse(argv[i + 1].p, argv[i + 1].n);
            if (policy < 0) {
                reply_error("ERR CONFIG SET failed (possibly related to argument 'appendfsync')");
                return;
            }
        }
    }
    if (policy >= 0 && policy != aof_fsync_policy()) {
        const char *name = aof_fsync_name(policy);
        kv_arg rec[4] = {
            {(const unsigned char *)"CONFIG", 6},
            {(const unsigned char *)"SET", 3},
            {(const unsigned char *)"appendfsync", 11},
            {(const unsigned char *)name, strlen(name)},
        };
        if (cmd_log(4, rec, AOF_APPEND_SHRINK) != 0) {
            return;
        }
        aof_set_fsync(policy);
    }
    reply_ok();
}

void cmd_config(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    const kv_arg *sub = &argv[1];
    if (kv_arg_is(sub, "get")) {
        if (argc < 3) {
            reply_wrong_arity("config|get");
        } else {
            config_get(argc, argv);
        }
    } else if (kv_arg_is(sub, "set")) {
        if (argc < 4 || argc % 2 != 0) {
            reply_wrong_arity("config|set");
        } else {
            config_set(argc, argv);
        }
    } else if (kv_arg_is(sub, "resetstat")) {
        kv_stats.commands = 0;
        kv_stats.connections_received = 0;
        reply_ok();
    } else if (kv_arg_is(sub, "rewrite")) {
        reply_ok();
    } else {
        reply_unknown_subcommand(sub, "CONFIG");
    }
}

void cmd_command(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    if (argc == 1) {
        reply_array(0);
        return;
    }
    const kv_arg *sub = &argv[1];
    if (kv_arg_is(sub, "count")) {
        reply_int((long long)commands_count());
    } else if (kv_arg_is(sub, "docs") || kv_arg_is(sub, "list")) {
        reply_array(0);
    } else if (kv_arg_is(sub, "info")) {
        reply_array((long long)argc - 2);
        for (size_t i = 2; i < argc; i++) {
            reply_nil();
        }
    } else {
        reply_unknown_subcommand(sub, "COMMAND");
    }
}

void cmd_select(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    long long db;
    if (cmd_get_ll(&argv[1], &db) != 0) {
        return;
    }
    if (db != 0) {
        reply_error("ERR DB index is out of range");
    } else {
        reply_ok();
    }
}

void cmd_quit(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)argc;
    (void)argv;
    reply_ok();
    c->quit = 1;
}

/* HELLO [2 [SETNAME name]]: RESP2 only. */
void cmd_hello(kv_ctx *c, size_t argc, const kv_arg *argv) {
    if (argc >= 2) {
        long long ver;
        if (!kv_str2ll(argv[1].p, argv[1].n, &ver)) {
            reply_error("ERR Protocol version is not an integer or out of range");
            return;
        }
        if (ver != 2) {
            reply_error("NOPROTO unsupported protocol version");
            return;
        }
        for (size_t j = 2; j < argc; j++) {
            if (kv_arg_is(&argv[j], "setname") && j + 1 < argc) {
                j++;
            } else {
                reply_syntax_error();
                return;
            }
        }
    }
    reply_array(14);
    reply_bulk_str("server");
    reply_bulk_str("redis");
    reply_bulk_str("version");
    reply_bulk_str(REDIS_VERSION);
    reply_bulk_str("proto");
    reply_int(2);
    reply_bulk_str("id");
    reply_int(c->conn);
    reply_bulk_str("mode");
    reply_bulk_str("standalone");
    reply_bulk_str("role");
    reply_bulk_str("master");
    reply_bulk_str("modules");
    reply_array(0);
}

void cmd_client(kv_ctx *c, size_t argc, const kv_arg *argv) {
    const kv_arg *sub = &argv[1];
    if (kv_arg_is(sub, "setname") || kv_arg_is(sub, "setinfo")) {
        if (argc < 3) {
            reply_wrong_arity("client");
        } else {
            reply_ok();
        }
    } else if (kv_arg_is(sub, "getname")) {
        reply_nil();
    } else if (kv_arg_is(sub, "id")) {
        reply_int(c->conn);
    } else {
        reply_unknown_subcommand(sub, "CLIENT");
    }
}

void cmd_bgrewriteaof(kv_ctx *c, size_t argc, const kv_arg *argv) {
    (void)c;
    (void)argc;
    (void)argv;
    switch (aof_compact()) {
    case AOF_OK:
        reply_simple("Background append only file rewriting started");
        break;
    case AOF_ERR_FULL:
        reply_error("ERR disk full");
        break;
    default:
        reply_error("ERR disk error");
        break;
    }
}
