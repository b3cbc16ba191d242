/*
 * kv guest: a RESP2 key-value store (a Redis subset) for COLO HA.
 *
 * This file holds the ABI exports and the per-connection loop: buffer input, parse requests,
 * dispatch them, and send the replies of one delivery in one colo_send. See commands.h for the
 * order in which mutating commands allocate, log and apply, and aof.h for the disk format.
 */
#include <stdlib.h>
#include <string.h>

#include "aof.h"
#include "colo_guest.h"
#include "commands.h"
#include "connmap.h"
#include "db.h"
#include "out.h"
#include "proto.h"
#include "reply.h"
#include "stats.h"

#define KV_MAX_QUERY (64u * 1024u * 1024u) /* largest request a client may send */
#define EXPIRE_TIMER 1
#define EXPIRE_PERIOD_MS 100

typedef struct {
    proto_state q;
} kv_client;

kv_stats_t kv_stats;
static connmap clients;

COLO_EXPORT("colo_abi_version") int32_t colo_abi_version(void) { return COLO_ABI_VERSION; }

COLO_EXPORT("colo_alloc") void *colo_alloc(int32_t len) {
    if (len < 0) {
        return NULL;
    }
    return malloc(len > 0 ? (size_t)len : 1u);
}

static void arm_expire_timer(void) {
    if (colo_timer_set(EXPIRE_TIMER, EXPIRE_PERIOD_MS) != COLO_OK) {
        colo_log(COLO_LOG_WARN, "kv: cannot arm the expiry timer; expiring lazily only", 52);
    }
}

COLO_EXPORT("colo_init") int32_t colo_init(void) {
    commands_init();
    db_init();
    kv_stats.boot_ms = db_now_ms();
    out_set_presend_hook(aof_sync);
    if (aof_open() != AOF_OK) {
        colo_log(COLO_LOG_ERROR, "kv: cannot open the append-only log", 35);
        return 1;
    }
    aof_sync();
    arm_expire_timer();
    return 0;
}

static kv_client *client_new(int32_t conn) {
    kv_client *c = malloc(sizeof *c);
    if (c == NULL) {
        return NULL;
    }
    proto_init(&c->q, KV_MAX_QUERY);
    if (connmap_put(&clients, conn, c) != 0) {
        free(c);
        return NULL;
    }
    kv_stats.connected_clients++;
    return c;
}

static void client_free(int32_t conn) {
    kv_client *c = connmap_remove(&clients, conn);
    if (c != NULL) {
        proto_free(&c->q);
        free(c);
        kv_stats.connected_clients--;
    }
}

/* Send what is buffered, close the connection and forget it. */
static void client_close(int32_t conn) {
    out_flush();
    colo_close(conn);
    client_free(conn);
}

COLO_EXPORT("colo_on_open") void colo_on_open(int32_t conn) {
    kv_stats.connections_received++;
    /* On OOM the state is created on the first data event instead. */
    (void)client_new(conn);
}

COLO_EXPORT("colo_on_close") void colo_on_close(int32_t conn) { client_free(conn); }

/* Run every complete request of c. Returns 0 to keep the connection, -1 after closing it. */
static int process(int32_t conn, kv_client *c) {
    kv_ctx ctx = {.conn = conn, .quit = 0};
    for (;;) {
        size_t argc;
        kv_arg *argv;
        switch (proto_next(&c->q, &argc, &argv)) {
        case PROTO_CMD:
            kv_stats.commands++;
            cmd_dispatch(&ctx, argc, argv);
            if (ctx.quit) {
                client_close(conn);
                return -1;
            }
            break;
        case PROTO_MORE:
            if (c->q.len - c->q.start > KV_MAX_QUERY) {
                reply_error("ERR Protocol error: request too large");
                client_close(conn);
                return -1;
            }
            return 0;
        case PROTO_ERR:
            reply_error3("ERR ", c->q.err, strlen(c->q.err), "");
            client_close(conn);
            return -1;
        default: /* PROTO_OOM: the stream cannot be buffered any more */
            reply_oom();
            client_close(conn);
            return -1;
        }
    }
}

COLO_EXPORT("colo_on_data") void colo_on_data(int32_t conn, void *ptr, int32_t len) {
    db_update_clock();
    out_begin(conn);
    kv_client *c = connmap_get(&clients, conn);
    if (c == NULL && (c = client_new(conn)) == NULL) {
        free(ptr);
        reply_oom();
        out_flush();
        colo_close(conn);
        return;
    }
    if (len <= 0 || proto_feed(&c->q, ptr, (size_t)len, 1) != PROTO_MORE) {
        if (len <= 0) {
            free(ptr);
            return;
        }
        reply_oom();
        client_close(conn);
        aof_sync();
        return;
    }
    if (process(conn, c) == 0) {
        proto_trim(&c->q);
        out_flush();
    }
    aof_sync();
    aof_step();
}

COLO_EXPORT("colo_on_timer") void colo_on_timer(int32_t id) {
    if (id != EXPIRE_TIMER) {
        return;
    }
    db_update_clock();
    db_active_expire();
    aof_sync(); /* expiry may have logged deletions */
    aof_tick();
    aof_step();
    arm_expire_timer();
}
