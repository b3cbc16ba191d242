#include "aof.h"

#include <string.h>

#include "colo_guest.h"
#include "crc32.h"
#include "db.h"
#include "proto.h"
#include "strbuf.h"

#define SECTOR COLO_SECTOR_SIZE
#define HDR_MAGIC "COLOKVLG"
#define HDR_VERSION 1u
#define HDR_BYTES 48u         /* meaningful bytes of a header sector */
#define REGIONS_BASE (2u * SECTOR)
#define MIN_DISK (REGIONS_BASE + 2u * 4u * SECTOR) /* two regions of at least 2 KiB */
#define REPLAY_MAX_RECORD (PROTO_MAX_BULK * 2)      /* largest record replay will buffer */

typedef struct {
    uint32_t region;
    uint64_t seq;
    uint64_t region_size;
    uint64_t log_len;
    uint32_t log_crc;
} aof_header;

static struct {
    int enabled;
    int64_t disk_size;
    aof_header h;               /* the header on disk describing the current log */
    unsigned char tail[SECTOR]; /* the log's last partial sector (bytes before log_len) */
    int dirty;                  /* written since the last colo_disk_flush */
    int fsync;                  /* AOF_FSYNC_* */
    int64_t last_flush_ms;      /* monotonic time of the last colo_disk_flush (everysec) */
    uint64_t reserve;           /* bytes only AOF_APPEND_SHRINK records may use */
    uint64_t appended_since_compact;
    uint64_t data_at_compact;   /* kv_db.data_bytes when the last compaction ran */
    int last_compact_full;      /* the last compaction found no room for the snapshot */
} aof;

/* Staging buffer for every disk request: one chunk plus room to pad a sector. */
static unsigned char stage[AOF_CHUNK];
static unsigned char hdr_buf[SECTOR];

/* Log "<a><number><b>" (the guest has no printf: see common/strbuf.h). */
static void log_num(int level, const char *a, uint64_t v, const char *b) {
    char buf[160];
    strbuf sb;
    sb_init(&sb, buf, sizeof buf);
    sb_str(&sb, a);
    sb_u64(&sb, v);
    sb_str(&sb, b);
    colo_log(level, buf, (int32_t)sb.len);
}

static void log_msg(int level, const char *msg) { colo_log(level, msg, (int32_t)strlen(msg)); }

int aof_enabled(void) { return aof.enabled; }
uint64_t aof_log_len(void) { return aof.h.log_len; }
uint64_t aof_region_size(void) { return aof.h.region_size; }

static int64_t region_base(uint32_t region) {
    return (int64_t)(REGIONS_BASE + (uint64_t)region * aof.h.region_size);
}

/* ---- header encoding ---- */

static void put_u32(unsigned char *p, uint32_t v) {
    for (int i = 0; i < 4; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static void put_u64(unsigned char *p, uint64_t v) {
    for (int i = 0; i < 8; i++) {
        p[i] = (unsigned char)(v >> (8 * i));
    }
}

static uint32_t get_u32(const unsigned char *p) {
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static uint64_t get_u64(const unsigned char *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) {
        v = (v << 8) | p[i];
    }
    return v;
}

static void encode_header(const aof_header *h, unsigned char *s) {
    memset(s, 0, SECTOR);
    memcpy(s, HDR_MAGIC, 8);
    put_u32(s + 8, HDR_VERSION);
    put_u32(s + 12, h->region);
    put_u64(s + 16, h->seq);
    put_u64(s + 24, h->region_size);
    put_u64(s + 32, h->log_len);
    put_u32(s + 40, h->log_crc);
    put_u32(s + 44, crc32_update(0, s, 44));
}

enum { HDR_VALID, HDR_BLANK, HDR_BAD };

static int decode_header(const unsigned char *s, aof_header *h) {
    if (memcmp(s, HDR_MAGIC, 8) != 0) {
        return HDR_BLANK;
    }
    if (get_u32(s + 44) != crc32_update(0, s, 44) || get_u32(s + 8) != HDR_VERSION) {
        return HDR_BAD;
    }
    h->region = get_u32(s + 12);
    h->seq = get_u64(s + 16);
    h->region_size = get_u64(s + 24);
    h->log_len = get_u64(s + 32);
    h->log_crc = get_u32(s + 40);
    return HDR_VALID;
}

/* Write header h into one slot (seq % 2). */
static int write_header(const aof_header *h) {
    encode_header(h, hdr_buf);
    int64_t off = (int64_t)(h->seq % 2u) * SECTOR;
    if (colo_disk_write(off, hdr_buf, SECTOR) != COLO_OK) {
        return AOF_ERR_IO;
    }
    aof.dirty = 1;
    return AOF_OK;
}

/*
 * Write header h into both slots, slot seq % 2 first: a torn write of either leaves the other
 * valid (the new one, or the previous one describing the shorter log). Both slots then hold the
 * same header, so the disk depends only on the records logged, never on how commands were
 * batched: two replicas that ran the same input in different events write the same bytes.
 */
static int write_headers(const aof_header *h) {
    if (write_header(h) != AOF_OK) {
        return AOF_ERR_IO;
    }
    encode_header(h, hdr_buf);
    int64_t other = (int64_t)((h->seq + 1u) % 2u) * SECTOR;
    return colo_disk_write(other, hdr_buf, SECTOR) == COLO_OK ? AOF_OK : AOF_ERR_IO;
}

/* ---- streaming writer: fills `stage` and writes whole chunks, sector aligned ---- */

typedef struct {
    int64_t base;       /* disk offset of the region */
    uint64_t stage_off; /* region offset of stage[0] (sector aligned) */
    size_t fill;        /* bytes in stage */
    uint64_t pos;       /* region offset of the next byte */
    uint32_t crc;       /* CRC of the region's bytes [0, pos) */
    int err;
} aof_writer;

static void w_begin(aof_writer *w, uint32_t region, uint64_t pos, uint32_t crc,
                    const unsigned char *tail) {
    w->base = region_base(region);
    w->stage_off = pos & ~(uint64_t)(SECTOR - 1);
    w->fill = (size_t)(pos - w->stage_off);
    if (w->fill > 0) {
        memcpy(stage, tail, w->fill);
    }
    w->pos = pos;
    w->crc = crc;
    w->err = AOF_OK;
}

static void w_write_stage(aof_writer *w, size_t n) {
    aof.dirty = 1;
    if (colo_disk_write(w->base + (int64_t)w->stage_off, stage, (int32_t)n) != COLO_OK) {
        w->err = AOF_ERR_IO;
    }
}

static void w_put(aof_writer *w, const void *data, size_t n) {
    if (w->err != AOF_OK) {
        return;
    }
    const unsigned char *p = data;
    w->crc = crc32_update(w->crc, p, n);
    w->pos += n;
    while (n > 0) {
        size_t k = AOF_CHUNK - w->fill;
        if (k > n) {
            k = n;
        }
        memcpy(stage + w->fill, p, k);
        w->fill += k;
        p += k;
        n -= k;
        if (w->fill == AOF_CHUNK) {
            w_write_stage(w, AOF_CHUNK);
            if (w->err != AOF_OK) {
                return;
            }
            w->stage_off += AOF_CHUNK;
            w->fill = 0;
        }
    }
}

/* Write the last partial chunk (zero padded to a sector); the new partial tail goes to tail. */
static int w_end(aof_writer *w, unsigned char *tail) {
    memset(tail, 0, SECTOR);
    if (w->err == AOF_OK && w->fill > 0) {
        size_t tail_len = w->fill % SECTOR;
        size_t padded = w->fill + (tail_len ? SECTOR - tail_len : 0);
        memcpy(tail, stage + w->fill - tail_len, tail_len);
        memset(stage + w->fill, 0, padded - w->fill);
        w_write_stage(w, padded);
    }
    return w->err;
}

static void w_put_record(aof_writer *w, size_t argc, const kv_arg *argv) {
    char num[KV_LL_STR_SIZE + 3];
    num[0] = '*';
    size_t n = 1 + kv_ll2str(num + 1, (long long)argc);
    num[n++] = '\r';
    num[n++] = '\n';
    w_put(w, num, n);
    for (size_t i = 0; i < argc; i++) {
        num[0] = '$';
        n = 1 + kv_ll2str(num + 1, (long long)argv[i].n);
        num[n++] = '\r';
        num[n++] = '\n';
        w_put(w, num, n);
        w_put(w, argv[i].p, argv[i].n);
        w_put(w, "\r\n", 2);
    }
}

static uint64_t digits(uint64_t v) {
    uint64_t d = 1;
    while (v >= 10) {
        v /= 10;
        d++;
    }
    return d;
}

static uint64_t record_len(size_t argc, const kv_arg *argv) {
    uint64_t len = 1 + digits(argc) + 2;
    for (size_t i = 0; i < argc; i++) {
        len += 1 + digits(argv[i].n) + 2 + (uint64_t)argv[i].n + 2;
    }
    return len;
}

/* ---- the batch: records of one event, written once (see aof.h) ---- */

static aof_writer batch;
static int batch_open;
static uint64_t batch_records;

static uint64_t log_len_now(void) { return batch_open ? batch.pos : aof.h.log_len; }

static int64_t mono_ms(void) { return colo_clock_monotonic() / 1000000; }

/* A second since the last flush. The time may come from another host's clock (a secondary runs
 * on the memory of its primary's checkpoint): a time in the future counts as passed. */
static int second_passed(void) {
    int64_t d = mono_ms() - aof.last_flush_ms;
    return d < 0 || d >= 1000;
}

/*
 * The disk failed after boot (a write or flush error, possibly of a write made earlier: the host
 * writes behind). The replies of the commands not yet logged must not go out, and the guest
 * cannot tell a lone server from a replica whose twin is healthy: it crashes. A crashed primary is
 * failed over (its secondary has the same commands on its own disk); a lone server stops rather
 * than answer from memory what its disk no longer holds.
 */
static _Noreturn void disk_failed(const char *what, int32_t err) {
    log_num(COLO_LOG_ERROR, what, (uint64_t)-(int64_t)err, "; the disk failed, stopping");
    __builtin_trap();
}

static void flush_now(void) {
    aof.dirty = 0;
    aof.last_flush_ms = mono_ms();
    int r = colo_disk_flush();
    if (r != COLO_OK) {
        disk_failed("kv: disk flush failed, error -", r);
    }
}

int aof_commit(void) {
    if (!batch_open) {
        return AOF_OK;
    }
    batch_open = 0;
    unsigned char tail[SECTOR];
    int rc = w_end(&batch, tail);
    aof_header nh = aof.h;
    if (rc == AOF_OK) {
        nh.seq += batch_records; /* a function of the records, not of the batches */
        nh.log_len = batch.pos;
        nh.log_crc = batch.crc;
        rc = write_headers(&nh);
    }
    if (rc != AOF_OK) {
        disk_failed("kv: cannot write the log, error -", COLO_E_IO);
    }
    aof.h = nh;
    memcpy(aof.tail, tail, SECTOR);
    return AOF_OK;
}

/* ---- compaction ---- */

int aof_compact(void) {
    if (!aof.enabled) {
        return AOF_OK;
    }
    if (aof_commit() != AOF_OK) {
        return AOF_ERR_IO;
    }
    uint32_t other = aof.h.region ^ 1u;
    int64_t now = db_now_ms();
    aof_writer w;
    unsigned char tail[SECTOR];
    w_begin(&w, other, 0, 0, NULL);
    if (aof.fsync != AOF_FSYNC_EVERYSEC) {
        kv_arg cfg[4] = {
            {(const unsigned char *)"CONFIG", 6},
            {(const unsigned char *)"SET", 3},
            {(const unsigned char *)"appendfsync", 11},
            {(const unsigned char *)aof_fsync_name(aof.fsync), strlen(aof_fsync_name(aof.fsync))},
        };
        w_put_record(&w, 4, cfg);
    }
    for (uint32_t i = 0; i < kv_db.nall; i++) {
        const kv_entry *e = kv_db.all[i];
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
        if (w.pos + record_len(argc, rec) > aof.h.region_size) {
            aof.last_compact_full = 1;
            aof.data_at_compact = kv_db.data_bytes;
            log_num(COLO_LOG_WARN, "kv: compaction: live data does not fit the region of ",
                    aof.h.region_size, " bytes");
            return AOF_ERR_FULL;
        }
        w_put_record(&w, argc, rec);
        if (w.err != AOF_OK) {
            break;
        }
    }
    if (w_end(&w, tail) != AOF_OK) {
        disk_failed("kv: cannot write the compacted log, error -", COLO_E_IO);
    }
    aof_header nh = aof.h;
    nh.region = other;
    nh.seq++;
    nh.log_len = w.pos;
    nh.log_crc = w.crc;
    if (write_headers(&nh) != AOF_OK) {
        disk_failed("kv: cannot write the log header, error -", COLO_E_IO);
    }
    log_num(COLO_LOG_INFO, "kv: log compacted to ", nh.log_len, " bytes");
    aof.h = nh;
    memcpy(aof.tail, tail, SECTOR);
    aof.appended_since_compact = 0;
    aof.data_at_compact = kv_db.data_bytes;
    aof.last_compact_full = 0;
    return AOF_OK;
}

/* Would compacting now free anything? Avoids an O(n) rewrite per command on a full disk. */
static int compaction_useful(void) {
    if (aof.last_compact_full) {
        return kv_db.data_bytes < aof.data_at_compact;
    }
    return aof.appended_since_compact > 0 || kv_db.data_bytes < aof.data_at_compact;
}

/* ---- append ---- */

int aof_append(size_t argc, const kv_arg *argv, int kind) {
    if (!aof.enabled) {
        return AOF_OK;
    }
    uint64_t len = record_len(argc, argv);
    uint64_t limit = aof.h.region_size - (kind == AOF_APPEND_SHRINK ? 0 : aof.reserve);
    if (len > limit || log_len_now() > limit - len) {
        if (!compaction_useful()) {
            return AOF_ERR_FULL;
        }
        int r = aof_compact(); /* commits the open batch first */
        if (r != AOF_OK) {
            return r;
        }
        if (len > limit || aof.h.log_len > limit - len) {
            return AOF_ERR_FULL;
        }
    }
    if (!batch_open) {
        w_begin(&batch, aof.h.region, aof.h.log_len, aof.h.log_crc, aof.tail);
        batch_open = 1;
        batch_records = 0;
    }
    w_put_record(&batch, argc, argv);
    if (batch.err != AOF_OK) {
        disk_failed("kv: cannot write the log, error -", COLO_E_IO);
    }
    batch_records++;
    aof.appended_since_compact += len;
    return AOF_OK;
}

void aof_sync(void) {
    if (aof_commit() != AOF_OK || !aof.dirty) {
        return;
    }
    switch (aof.fsync) {
    case AOF_FSYNC_ALWAYS:
        flush_now();
        break;
    case AOF_FSYNC_EVERYSEC:
        if (second_passed()) {
            flush_now();
        }
        break;
    default: /* no: the host flushes when it likes */
        break;
    }
}

void aof_tick(void) {
    if (aof.enabled && aof.dirty && aof.fsync == AOF_FSYNC_EVERYSEC && batch_open == 0 &&
        second_passed()) {
        flush_now();
    }
}

int aof_fsync_policy(void) { return aof.fsync; }


const char *aof_fsync_name(int policy) {
    switch (policy) {
    case AOF_FSYNC_ALWAYS:
        return "always";
    case AOF_FSYNC_NO:
        return "no";
    default:
        return "everysec";
    }
}

int aof_fsync_parse(const unsigned char *p, size_t n) {
    kv_arg a = {p, n};
    if (kv_arg_is(&a, "always")) {
        return AOF_FSYNC_ALWAYS;
    }
    if (kv_arg_is(&a, "everysec")) {
        return AOF_FSYNC_EVERYSEC;
    }
    if (kv_arg_is(&a, "no")) {
        return AOF_FSYNC_NO;
    }
    return -1;
}

void aof_set_fsync(int policy) { aof.fsync = policy; }

/* ---- boot: header selection, formatting, replay ---- */

static int format_disk(void) {
    uint64_t region = ((uint64_t)(aof.disk_size - REGIONS_BASE) / 2u) & ~(uint64_t)(SECTOR - 1);
    aof_header h = {.region = 0, .seq = 1, .region_size = region, .log_len = 0, .log_crc = 0};
    if (write_header(&h) != AOF_OK) {
        return AOF_ERR_IO;
    }
    aof.h = h;
    log_num(COLO_LOG_INFO, "kv: formatted the disk: two log regions of ", region, " bytes");
    return AOF_OK;
}

static int header_fits(const aof_header *h) {
    return h->region <= 1u && h->region_size >= 4u * SECTOR && h->region_size % SECTOR == 0 &&
           h->region_size <= ((uint64_t)aof.disk_size - REGIONS_BASE) / 2u &&
           h->log_len <= h->region_size;
}

/* Read the header slots and pick the newest valid one. */
static int load_header(void) {
    aof_header hs[2];
    int st[2];
    for (int i = 0; i < 2; i++) {
        if (colo_disk_read((int64_t)i * SECTOR, hdr_buf, SECTOR) != COLO_OK) {
            return AOF_ERR_IO;
        }
        st[i] = decode_header(hdr_buf, &hs[i]);
        /* a header may sit in either slot: both hold the newest one after a batch */
        if (st[i] == HDR_VALID && !header_fits(&hs[i])) {
            st[i] = HDR_BAD;
        }
    }
    /* Slot 0 blank means only header 1 (the format) was ever written: nothing was logged. */
    if (st[0] == HDR_BLANK && st[1] != HDR_VALID) {
        return format_disk();
    }
    int best = -1;
    for (int i = 0; i < 2; i++) {
        if (st[i] == HDR_VALID && (best < 0 || hs[i].seq > hs[best].seq)) {
            best = i;
        }
    }
    if (best < 0) {
        log_msg(COLO_LOG_ERROR, "kv: no valid log header on the disk");
        return AOF_ERR_CORRUPT;
    }
    aof.h = hs[best];
    return AOF_OK;
}

/* Replay the active region's log into the db. */
static int replay(void) {
    proto_state q;
    proto_init(&q, (size_t)(REPLAY_MAX_RECORD < SIZE_MAX ? REPLAY_MAX_RECORD : SIZE_MAX));
    int64_t base = region_base(aof.h.region);
    uint64_t off = 0;
    uint32_t crc = 0;
    uint64_t records = 0;
    int rc = AOF_OK;
    while (off < aof.h.log_len && rc == AOF_OK) {
        uint64_t left = aof.h.log_len - off;
        size_t want = left < AOF_CHUNK ? (size_t)left : AOF_CHUNK;
        size_t padded = (want + SECTOR - 1) & ~(size_t)(SECTOR - 1);
        if (colo_disk_read(base + (int64_t)off, stage, (int32_t)padded) != COLO_OK) {
            rc = AOF_ERR_IO;
            break;
        }
        if (left == want) {
            /* the last sector holds the partial tail */
            size_t tail_start = want & ~(size_t)(SECTOR - 1);
            memset(aof.tail, 0, SECTOR);
            memcpy(aof.tail, stage + tail_start, want - tail_start);
        }
        crc = crc32_update(crc, stage, want);
        if (proto_feed(&q, stage, want, 0) != PROTO_MORE) {
            rc = AOF_ERR_CORRUPT; /* out of memory: cannot rebuild the data */
            break;
        }
        off += want;
        for (;;) {
            size_t argc;
            kv_arg *argv;
            int r = proto_next(&q, &argc, &argv);
            if (r == PROTO_MORE) {
                break;
            }
            if (r != PROTO_CMD || kv_replay_apply(argc, argv) != 0) {
                log_num(COLO_LOG_ERROR, "kv: invalid log record (or out of memory) before byte ",
                        off, "");
                rc = AOF_ERR_CORRUPT;
                break;
            }
            records++;
        }
    }
    if (rc == AOF_OK && !proto_idle(&q)) {
        log_msg(COLO_LOG_ERROR, "kv: the log ends inside a record");
        rc = AOF_ERR_CORRUPT;
    }
    proto_free(&q);
    if (rc == AOF_OK && crc != aof.h.log_crc) {
        log_msg(COLO_LOG_ERROR, "kv: log checksum mismatch");
        rc = AOF_ERR_CORRUPT;
    }
    if (rc == AOF_OK) {
        db_drop_expired();
        log_num(COLO_LOG_INFO, "kv: replayed the log: ", records, " records");
        log_num(COLO_LOG_INFO, "kv: keys after replay: ", dict_size(&kv_db), "");
    }
    return rc;
}

int aof_open(void) {
    memset(&aof, 0, sizeof aof);
    aof.fsync = AOF_FSYNC_EVERYSEC;
    batch_open = 0;
    aof.disk_size = colo_disk_size();
    if (aof.disk_size <= 0) {
        log_msg(COLO_LOG_INFO, "kv: no disk, running in memory only");
        return AOF_OK;
    }
    if (aof.disk_size < (int64_t)MIN_DISK) {
        log_num(COLO_LOG_ERROR, "kv: the disk is too small; minimum bytes: ", MIN_DISK, "");
        return AOF_ERR_CORRUPT;
    }
    int rc = load_header();
    if (rc != AOF_OK) {
        return rc;
    }
    rc = replay();
    if (rc != AOF_OK) {
        return rc;
    }
    aof.enabled = 1;
    aof.reserve = aof.h.region_size / 8u;
    if (aof.reserve > 1024u * 1024u) {
        aof.reserve = 1024u * 1024u;
    }
    aof.data_at_compact = kv_db.data_bytes;
    aof.appended_since_compact = aof.h.log_len;
    return AOF_OK;
}
