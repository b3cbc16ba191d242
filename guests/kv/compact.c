/*
 * compact: the kv log's incremental compaction (aof.h describes it): a snapshot of the live keys
 * written into the inactive region a slice per event, every new record appended there too, then
 * one header write that switches to it. The log's writer, header and state it shares with aof.c
 * are in aof_log.h; aof.c calls in through compact.h.
 */
#include "compact.h"

#include <string.h>

#include "aof.h"
#include "aof_log.h"
#include "colo_guest.h"
#include "db.h"

/* The snapshot's writer into the other region, with a chunk buffer of its own: it stays open
 * across events while the batch uses `stage`. */
static unsigned char cstage[AOF_CHUNK];

static struct {
    int active;            /* a compaction is under way */
    aof_writer w;          /* the new region: snapshot records and the tail, in order */
    uint32_t cursor;       /* kv_db.all[0, cursor) not written yet (written from the end down) */
    uint64_t snapshot;     /* snapshot bytes written (the rest of w.pos is the tail) */
    uint32_t origin;       /* the seed of the new region's first frame */
} cmp;

int aof_compacting(void) { return cmp.active; }

static void compact_abort_full(void) {
    cmp.active = 0;
    aof.last_compact_full = 1;
    aof.data_at_compact = kv_db.data_bytes;
    aof_log_num(COLO_LOG_WARN, "kv: compaction: live data does not fit the region of ",
            aof.h.region_size, " bytes");
}

/* Start writing the other region, from a new origin (aof_compaction_origin). */
static void compact_begin(void) {
    uint32_t other = aof.h.region ^ 1u;
    uint32_t origin = aof_compaction_origin();
    aof_writer_begin(&cmp.w, cstage, other, 0, origin, NULL);
    cmp.active = 1;
    cmp.cursor = kv_db.nall;
    cmp.snapshot = 0;
    cmp.origin = origin;
    /* written unless both the policy and the boot default are everysec: a snapshot keeps a policy
     * set with CONFIG SET whatever the VM's environment says at the next boot */
    if (aof.fsync != AOF_FSYNC_EVERYSEC || aof.boot_fsync != AOF_FSYNC_EVERYSEC) {
        kv_arg cfg[4] = {
            {(const unsigned char *)"CONFIG", 6},
            {(const unsigned char *)"SET", 3},
            {(const unsigned char *)"appendfsync", 11},
            {(const unsigned char *)aof_fsync_name(aof.fsync), strlen(aof_fsync_name(aof.fsync))},
        };
        uint64_t rec_len = aof_record_len(4, cfg);
        aof_writer_record(&cmp.w, 4, cfg, rec_len);
        cmp.snapshot += FRAME_OVERHEAD + rec_len;
    }
    aof_log_num(COLO_LOG_INFO, "kv: compaction started, live keys: ", kv_db.nall, "");
}

/*
 * Write snapshot records of at least `budget` bytes (the last one may cross it), taking keys from
 * the end of kv_db.all down. A delete moves the array's last entry into the freed slot: below the
 * cursor that entry is written (again), above it only written entries move; new keys are added at
 * the end, above the cursor, and are in the tail. 1 when the snapshot is complete, 0 when more is
 * left, AOF_ERR_FULL when it does not fit the region (the compaction is abandoned).
 */
static int compact_slice(uint64_t budget) {
    int64_t now = db_now_ms();
    uint64_t written = 0;
    if (cmp.cursor > kv_db.nall) {
        cmp.cursor = kv_db.nall;
    }
    while (cmp.cursor > 0 && written < budget) {
        const kv_entry *e = kv_db.all[--cmp.cursor];
        if (db_is_expired(e, now)) {
            continue;
        }
        char ms[KV_LL_STR_SIZE];
        kv_arg rec[5] = {
            {(const unsigned char *)"SET", 3},
            {entry_key(e), e->klen},
            {entry_val(e), e->vlen},
            {(const unsigned char *)"PXAT", 4},
            {(const unsigned char *)ms, 0},
        };
        size_t argc = 3;
        if (entry_has_ttl(e)) {
            rec[4].n = kv_ll2str(ms, e->expire_at);
            argc = 5;
        }
        uint64_t rec_len = aof_record_len(argc, rec);
        if (cmp.w.pos + FRAME_OVERHEAD + rec_len > aof.h.region_size) {
            compact_abort_full();
            return AOF_ERR_FULL;
        }
        aof_writer_record(&cmp.w, argc, rec, rec_len);
        if (cmp.w.err != AOF_OK) {
            aof_disk_failed("kv: cannot write the compacted log, error -", COLO_E_IO);
        }
        written += FRAME_OVERHEAD + rec_len;
    }
    cmp.snapshot += written;
    return cmp.cursor == 0 ? 1 : 0;
}

/* The snapshot and tail are complete (no batch open): write the new region's last chunk, flush,
 * then switch with one header write (flushed too). */
static void compact_switch(void) {
    unsigned char tail[SECTOR];
    if (aof_writer_end(&cmp.w, tail) != AOF_OK) {
        aof_disk_failed("kv: cannot write the compacted log, error -", COLO_E_IO);
    }
    /* the new region is durable before a header points to it (whatever the policy) */
    int r = colo_disk_flush();
    if (r != COLO_OK) {
        aof_disk_failed("kv: disk flush failed, error -", r);
    }
    aof_header nh = aof.h;
    nh.version = HDR_VERSION;
    nh.region = aof.h.region ^ 1u;
    nh.seq++;
    nh.log_len = cmp.w.pos;
    nh.log_crc = cmp.w.chain;
    nh.origin = cmp.origin;
    if (aof_write_header(&nh) != AOF_OK) {
        aof_disk_failed("kv: cannot write the log header, error -", COLO_E_IO);
    }
    aof_flush_now();
    aof_log_num(COLO_LOG_INFO, "kv: log compacted to ", nh.log_len, " bytes");
    aof.h = nh;
    aof.end = cmp.w.pos;
    aof.chain = cmp.w.chain;
    memcpy(aof.tail, tail, SECTOR);
    aof.appended_since_compact = cmp.w.pos - cmp.snapshot;
    aof.data_at_compact = kv_db.data_bytes;
    aof.last_compact_full = 0;
    cmp.active = 0;
}

int aof_compact(void) {
    if (!aof.enabled) {
        return AOF_OK;
    }
    if (aof_commit() != AOF_OK) {
        return AOF_ERR_IO;
    }
    if (!cmp.active) {
        compact_begin();
    }
    int r = compact_slice(UINT64_MAX);
    if (r == AOF_ERR_FULL) {
        return r;
    }
    compact_switch();
    return AOF_OK;
}

/* Would compacting now free anything? Avoids an O(n) rewrite per command on a full disk. */
int compaction_useful(void) {
    if (aof.last_compact_full) {
        return kv_db.data_bytes < aof.data_at_compact;
    }
    return aof.appended_since_compact > 0 || kv_db.data_bytes < aof.data_at_compact;
}

/* Time to start an incremental compaction (aof.h): the log has reached AOF_COMPACT_START_PCT of
 * its region and AOF_COMPACT_MIN_GAIN of it was appended since the last snapshot. */
static int compaction_due(void) {
    uint64_t region = aof.h.region_size;
    if (aof.end < region / 100u * AOF_COMPACT_START_PCT) {
        return 0;
    }
    if (aof.last_compact_full) {
        return kv_db.data_bytes + region / AOF_COMPACT_MIN_GAIN_DIV < aof.data_at_compact;
    }
    return aof.appended_since_compact >= region / AOF_COMPACT_MIN_GAIN_DIV;
}

static uint64_t appended_this_event; /* log bytes appended since the last aof_step */

void aof_step(void) {
    uint64_t appended = appended_this_event;
    appended_this_event = 0;
    if (!aof.enabled || aof_commit() != AOF_OK) {
        return;
    }
    if (!cmp.active) {
        if (!compaction_due()) {
            return;
        }
        compact_begin();
    }
    uint64_t budget = AOF_COMPACT_SLICE;
    if (appended > budget / AOF_COMPACT_PACE) {
        budget = appended * AOF_COMPACT_PACE;
    }
    if (compact_slice(budget) == 1) {
        compact_switch();
    }
}

/* The record also goes to the compaction's tail; a tail that does not fit abandons it. */
static void compact_append(size_t argc, const kv_arg *argv, uint64_t rec_len) {
    if (cmp.w.pos + FRAME_OVERHEAD + rec_len > aof.h.region_size) {
        compact_abort_full();
        return;
    }
    aof_writer_record(&cmp.w, argc, argv, rec_len);
    if (cmp.w.err != AOF_OK) {
        aof_disk_failed("kv: cannot write the compacted log, error -", COLO_E_IO);
    }
}

void compact_record(size_t argc, const kv_arg *argv, uint64_t rec_len) {
    if (cmp.active) {
        compact_append(argc, argv, rec_len);
    }
    appended_this_event += FRAME_OVERHEAD + rec_len;
}

void compact_reset(void) {
    memset(&cmp, 0, sizeof cmp);
    appended_this_event = 0;
}
