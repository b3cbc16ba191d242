#include "aof.h"

#include <string.h>

#include "aof_log.h"
#include "colo_guest.h"
#include "compact.h"
#include "crc32.h"
#include "db.h"
#include "proto.h"
#include "strbuf.h"

#define HDR_MAGIC "COLOKVLG"
#define HDR_VERSION_V1 1u    /* a CRC of the whole log in the header (still read, then converted) */
#define REGIONS_BASE (2u * SECTOR)
#define MIN_DISK (REGIONS_BASE + 2u * 4u * SECTOR) /* two regions of at least 2 KiB */
#define REPLAY_MAX_RECORD (PROTO_MAX_BULK * 2)      /* largest record replay will buffer */

aof_state aof;

/* Staging buffer for every disk request: one chunk plus room to pad a sector. */
static unsigned char stage[AOF_CHUNK];
static unsigned char hdr_buf[SECTOR];

/* Log "<a><number><b>" (the guest has no printf: see common/strbuf.h). */
void aof_log_num(int level, const char *a, uint64_t v, const char *b) {
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
uint64_t aof_log_len(void) { return aof.end; }
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

/* Only version 2 headers are written. */
static void encode_header(const aof_header *h, unsigned char *s) {
    memset(s, 0, SECTOR);
    memcpy(s, HDR_MAGIC, 8);
    put_u32(s + 8, HDR_VERSION);
    put_u32(s + 12, h->region);
    put_u64(s + 16, h->seq);
    put_u64(s + 24, h->region_size);
    put_u64(s + 32, h->log_len);
    put_u32(s + 40, h->log_crc);
    put_u32(s + 44, h->origin);
    put_u32(s + 48, crc32_update(0, s, 48));
}

enum { HDR_VALID, HDR_BLANK, HDR_BAD };

static int decode_header(const unsigned char *s, aof_header *h) {
    if (memcmp(s, HDR_MAGIC, 8) != 0) {
        return HDR_BLANK;
    }
    uint32_t version = get_u32(s + 8);
    uint32_t covered = version == HDR_VERSION_V1 ? 44u : 48u;
    if ((version != HDR_VERSION_V1 && version != HDR_VERSION) ||
        get_u32(s + covered) != crc32_update(0, s, covered)) {
        return HDR_BAD;
    }
    h->version = version;
    h->region = get_u32(s + 12);
    h->seq = get_u64(s + 16);
    h->region_size = get_u64(s + 24);
    h->log_len = get_u64(s + 32);
    h->log_crc = get_u32(s + 40);
    h->origin = version == HDR_VERSION ? get_u32(s + 44) : 0;
    return HDR_VALID;
}

/* The seed of the first frame of a region written under header seq: a region used again after
 * two compactions starts a chain no frame left there from its earlier use continues. */
static uint32_t region_origin(uint64_t seq) {
    unsigned char b[8];
    put_u64(b, seq);
    return crc32_update(crc32_update(0, HDR_MAGIC, 8), b, 8);
}

/* The seed of the first frame a compaction starting now writes into the other region. It mixes in
 * the current log's end and chain: the chain runs through this boot's BOOT record, so frames an
 * abandoned attempt (a crash before the switch) left in that region never continue the chain of a
 * later attempt. */
uint32_t aof_compaction_origin(void) {
    unsigned char mix[12];
    put_u64(mix, aof.end);
    put_u32(mix + 8, aof.chain);
    return crc32_update(region_origin(aof.h.seq + 1u), mix, sizeof mix);
}

/* Write header h into its slot (seq % 2); the other slot keeps the previous header. */
int aof_write_header(const aof_header *h) {
    encode_header(h, hdr_buf);
    int64_t off = (int64_t)(h->seq % 2u) * SECTOR;
    if (colo_disk_write(off, hdr_buf, SECTOR) != COLO_OK) {
        return AOF_ERR_IO;
    }
    aof.dirty = 1;
    return AOF_OK;
}

/* ---- streaming writer: fills `stage` and writes whole chunks, sector aligned ---- */

void aof_writer_begin(aof_writer *w, unsigned char *buf, uint32_t region, uint64_t pos,
                    uint32_t chain, const unsigned char *tail) {
    w->buf = buf;
    w->base = region_base(region);
    w->stage_off = pos & ~(uint64_t)(SECTOR - 1);
    w->fill = (size_t)(pos - w->stage_off);
    if (w->fill > 0) {
        memcpy(w->buf, tail, w->fill);
    }
    w->pos = pos;
    w->chain = chain;
    w->err = AOF_OK;
}

static void w_write_stage(aof_writer *w, size_t n) {
    aof.dirty = 1;
    if (colo_disk_write(w->base + (int64_t)w->stage_off, w->buf, (int32_t)n) != COLO_OK) {
        w->err = AOF_ERR_IO;
    }
}

/* n bytes of the current frame: into the stage and its check. */
static void w_put(aof_writer *w, uint32_t *check, const void *data, size_t n) {
    if (w->err != AOF_OK) {
        return;
    }
    const unsigned char *p = data;
    *check = crc32_update(*check, p, n);
    w->pos += n;
    while (n > 0) {
        size_t k = AOF_CHUNK - w->fill;
        if (k > n) {
            k = n;
        }
        memcpy(w->buf + w->fill, p, k);
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
int aof_writer_end(aof_writer *w, unsigned char *tail) {
    memset(tail, 0, SECTOR);
    if (w->err == AOF_OK && w->fill > 0) {
        size_t tail_len = w->fill % SECTOR;
        size_t padded = w->fill + (tail_len ? SECTOR - tail_len : 0);
        memcpy(tail, w->buf + w->fill - tail_len, tail_len);
        memset(w->buf + w->fill, 0, padded - w->fill);
        w_write_stage(w, padded);
    }
    return w->err;
}

/* ---- a frame's encoding (the VM thread runs it for every logged command: issue 18) ----
 *
 * Written for how the micro-VM runs wasm: every store to the guest's memory is a call that also
 * marks the page dirty, and a 64-bit division is a real division. So the hot path stores whole
 * words (one i32.store for "*3\r\n"), writes digits straight into place (no buffer on the stack, no
 * reversal, 32-bit arithmetic: a frame's lengths are size_t) and keeps its frame free of stack
 * locals (the slow path, for a frame crossing the stage's end, is a function of its own). */

/* Two decimal digits of 0..99, the first in the lower byte (little-endian, as wasm32 is). */
static const uint16_t dec_pairs[100] = {
#define KV_PAIR(t, u) (uint16_t)(('0' + (t)) | ('0' + (u)) << 8)
#define KV_PAIRS(t)                                                                          \
    KV_PAIR(t, 0), KV_PAIR(t, 1), KV_PAIR(t, 2), KV_PAIR(t, 3), KV_PAIR(t, 4), KV_PAIR(t, 5), \
        KV_PAIR(t, 6), KV_PAIR(t, 7), KV_PAIR(t, 8), KV_PAIR(t, 9)
    KV_PAIRS(0), KV_PAIRS(1), KV_PAIRS(2), KV_PAIRS(3), KV_PAIRS(4),
    KV_PAIRS(5), KV_PAIRS(6), KV_PAIRS(7), KV_PAIRS(8), KV_PAIRS(9),
#undef KV_PAIRS
#undef KV_PAIR
};

static void store_u16(unsigned char *p, uint16_t v) { memcpy(p, &v, 2); }

static void store_u32(unsigned char *p, uint32_t v) { memcpy(p, &v, 4); } /* little-endian */

/* Decimal digits of v. */
static size_t dec_len(size_t v) {
    size_t d = 1;
    while (v >= 100u) {
        v /= 100u;
        d += 2;
    }
    return d + (v >= 10u);
}

/* v in decimal, its dec_len(v) digits, at p. */
static void put_dec(unsigned char *p, size_t v, size_t len) {
    unsigned char *q = p + len;
    while (v >= 100u) {
        q -= 2;
        store_u16(q, dec_pairs[v % 100u]);
        v /= 100u;
    }
    if (v >= 10u) {
        store_u16(q - 2, dec_pairs[v]);
    } else {
        q[-1] = (unsigned char)('0' + v);
    }
}

/* "<c><v>\r\n" at p; returns the bytes written (at most KV_LL_STR_SIZE + 3). */
static size_t put_prefix(unsigned char *p, char c, size_t v) {
    if (v < 10u) { /* "*3\r\n", "$3\r\n": one store */
        store_u32(p, (uint32_t)(unsigned char)c | ('0' + (uint32_t)v) << 8 | 0x0a0d0000u);
        return 4;
    }
    if (v < 100u) { /* "$16\r\n" */
        store_u32(p, (uint32_t)(unsigned char)c | (uint32_t)dec_pairs[v] << 8 | 0x0d000000u);
        p[4] = '\n';
        return 5;
    }
    size_t len = dec_len(v);
    p[0] = (unsigned char)c;
    put_dec(p + 1, v, len);
    store_u16(p + 1 + len, 0x0a0d);
    return len + 3;
}

/* A frame that would cross the chunk's end, piece by piece through w_put (the same bytes). */
__attribute__((noinline)) static void writer_record_split(aof_writer *w, size_t argc,
                                                          const kv_arg *argv, uint64_t rec_len) {
    unsigned char len[4];
    put_u32(len, (uint32_t)rec_len);
    uint32_t check = w->chain;
    w_put(w, &check, len, 4);
    unsigned char num[KV_LL_STR_SIZE + 3];
    w_put(w, &check, num, put_prefix(num, '*', argc));
    for (size_t i = 0; i < argc; i++) {
        w_put(w, &check, num, put_prefix(num, '$', argv[i].n));
        w_put(w, &check, argv[i].p, argv[i].n);
        w_put(w, &check, "\r\n", 2);
    }
    unsigned char c[4];
    put_u32(c, check);
    uint32_t ignored = 0;
    w_put(w, &ignored, c, 4);
    w->chain = check;
}

/* One frame: u32 length | the record (RESP) | u32 check, the CRC-32 of length and record seeded
 * with the previous frame's check (aof.h). rec_len is aof_record_len(argc, argv). A frame that fits
 * the stage's free room (nearly every one) is encoded in place and checked with one CRC call;
 * one that would cross the chunk's end goes piece by piece through w_put. The bytes are the same. */
void aof_writer_record(aof_writer *w, size_t argc, const kv_arg *argv, uint64_t rec_len) {
    if (w->err != AOF_OK) {
        return;
    }
    uint64_t frame = FRAME_OVERHEAD + rec_len;
    if (frame > AOF_CHUNK - w->fill) {
        writer_record_split(w, argc, argv, rec_len);
        return;
    }
    unsigned char *start = w->buf + w->fill;
    unsigned char *p = start;
    store_u32(p, (uint32_t)rec_len);
    p += 4;
    p += put_prefix(p, '*', argc);
    for (size_t i = 0; i < argc; i++) {
        p += put_prefix(p, '$', argv[i].n);
        memcpy(p, argv[i].p, argv[i].n);
        p += argv[i].n;
        store_u16(p, 0x0a0d);
        p += 2;
    }
    uint32_t check = crc32_update(w->chain, start, (size_t)(p - start));
    store_u32(p, check);
    w->chain = check;
    w->pos += frame;
    w->fill += (size_t)frame;
    if (w->fill == AOF_CHUNK) {
        w_write_stage(w, AOF_CHUNK);
        w->stage_off += AOF_CHUNK;
        w->fill = 0;
    }
}

/* Bytes of a record's RESP encoding (its frame adds FRAME_OVERHEAD). */
uint64_t aof_record_len(size_t argc, const kv_arg *argv) {
    uint64_t len = 1 + dec_len(argc) + 2;
    for (size_t i = 0; i < argc; i++) {
        len += 1 + dec_len(argv[i].n) + 2 + (uint64_t)argv[i].n + 2;
    }
    return len;
}

/* ---- the batch: records of one event, written once (see aof.h) ---- */

static aof_writer batch;
static int batch_open;

static uint64_t log_len_now(void) { return batch_open ? batch.pos : aof.end; }

/* A second since the last flush, by the event's clock (db_now_ms: the wall clock the event read
 * when it began, for expiry; no host call of its own per event, issue 18). The time may come from
 * another host's clock (a secondary runs on the memory of its primary's checkpoint) or step: a time
 * before the last flush counts as passed (one early flush), and an event that runs long is caught
 * by the expiry timer's tick (aof_tick, every 100 ms). */
static int second_passed(void) {
    int64_t d = db_now_ms() - aof.last_flush_ms;
    return d < 0 || d >= 1000;
}

/*
 * The disk failed after boot (a write or flush error, possibly of a write made earlier: the host
 * writes behind). The replies of the commands not yet logged must not go out, and the guest
 * cannot tell a lone server from a replica whose twin is healthy: it crashes. A crashed primary is
 * failed over (its secondary has the same commands on its own disk); a lone server stops rather
 * than answer from memory what its disk no longer holds.
 */
_Noreturn void aof_disk_failed(const char *what, int32_t err) {
    aof_log_num(COLO_LOG_ERROR, what, (uint64_t)-(int64_t)err, "; the disk failed, stopping");
    __builtin_trap();
}

void aof_flush_now(void) {
    aof.dirty = 0;
    aof.last_flush_ms = db_now_ms();
    int r = colo_disk_flush();
    if (r != COLO_OK) {
        aof_disk_failed("kv: disk flush failed, error -", r);
    }
}

int aof_commit(void) {
    if (!batch_open) {
        return AOF_OK;
    }
    batch_open = 0;
    /* the batch copied aof.tail into its stage when it began: the new tail goes straight there */
    if (aof_writer_end(&batch, aof.tail) != AOF_OK) {
        aof_disk_failed("kv: cannot write the log, error -", COLO_E_IO);
    }
    /* no header: boot finds the frames by their checks */
    aof.end = batch.pos;
    aof.chain = batch.chain;
    return AOF_OK;
}

/* ---- append ---- */

int aof_append(size_t argc, const kv_arg *argv, int kind) {
    if (!aof.enabled) {
        return AOF_OK;
    }
    uint64_t rec_len = aof_record_len(argc, argv);
    uint64_t len = FRAME_OVERHEAD + rec_len;
    uint64_t limit = aof.h.region_size - (kind == AOF_APPEND_SHRINK ? 0 : aof.reserve);
    if (len > limit || log_len_now() > limit - len) {
        /* the region is full: finish a compaction under way now, or compact all at once */
        if (!aof_compacting() && !compaction_useful()) {
            return AOF_ERR_FULL;
        }
        int r = aof_compact(); /* commits the open batch first */
        if (r != AOF_OK) {
            return r;
        }
        if (len > limit || aof.end > limit - len) {
            return AOF_ERR_FULL;
        }
    }
    if (!batch_open) {
        aof_writer_begin(&batch, stage, aof.h.region, aof.end, aof.chain, aof.tail);
        batch_open = 1;
    }
    aof_writer_record(&batch, argc, argv, rec_len);
    if (batch.err != AOF_OK) {
        aof_disk_failed("kv: cannot write the log, error -", COLO_E_IO);
    }
    compact_record(argc, argv, rec_len);
    aof.appended_since_compact += len;
    return AOF_OK;
}

void aof_sync(void) {
    if (aof_commit() != AOF_OK || !aof.dirty) {
        return;
    }
    switch (aof.fsync) {
    case AOF_FSYNC_ALWAYS:
        aof_flush_now();
        break;
    case AOF_FSYNC_EVERYSEC:
        if (second_passed()) {
            aof_flush_now();
        }
        break;
    default: /* no: the host flushes when it likes */
        break;
    }
}

void aof_tick(void) {
    if (!aof.enabled || batch_open || !second_passed()) {
        return;
    }
    if (aof.fsync == AOF_FSYNC_EVERYSEC && aof.dirty) {
        aof_flush_now();
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
    aof_header h = {.version = HDR_VERSION, .region = 0, .seq = 1, .region_size = region,
                    .log_len = 0, .log_crc = region_origin(1), .origin = region_origin(1)};
    /* both slots: from now on one of them always holds a valid header (a blank slot 0 then means
     * the format itself was torn, before anything was logged) */
    if (aof_write_header(&h) != AOF_OK) {
        return AOF_ERR_IO;
    }
    encode_header(&h, hdr_buf);
    if (colo_disk_write(0, hdr_buf, SECTOR) != COLO_OK) {
        return AOF_ERR_IO;
    }
    aof.h = h;
    aof.end = 0;
    aof.chain = h.origin;
    aof_log_num(COLO_LOG_INFO, "kv: formatted the disk: two log regions of ", region, " bytes");
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

/* Replay a version 1 log (one CRC of the whole log in the header) into the db. */
static int replay_v1(void) {
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
                aof_log_num(COLO_LOG_ERROR, "kv: invalid log record (or out of memory) before byte ",
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
        aof_log_num(COLO_LOG_INFO, "kv: replayed the log: ", records, " records");
        aof_log_num(COLO_LOG_INFO, "kv: keys after replay: ", dict_size(&kv_db), "");
    }
    return rc;
}

/* ---- version 2: frames found by their checks ---- */

/* Reads a region through `stage`, a chunk at a time (sector aligned). */
typedef struct {
    int64_t base;    /* disk offset of the region */
    uint64_t limit;  /* region size */
    uint64_t buf_off; /* region offset of stage[0] */
    size_t buf_len;  /* bytes of the region in stage */
    uint64_t pos;    /* region offset of the next byte */
    int err;
} aof_reader;

/* At most max bytes at r->pos, in stage (read when needed); 0 at the region's end or on an error
 * (r->err). Does not advance. */
static size_t r_peek(aof_reader *r, unsigned char **p, uint64_t max) {
    if (r->pos >= r->limit || r->err != AOF_OK) {
        return 0;
    }
    if (r->pos < r->buf_off || r->pos >= r->buf_off + r->buf_len) {
        uint64_t start = r->pos & ~(uint64_t)(SECTOR - 1);
        uint64_t left = r->limit - start;
        size_t n = left < AOF_CHUNK ? (size_t)left : AOF_CHUNK;
        if (colo_disk_read(r->base + (int64_t)start, stage, (int32_t)n) != COLO_OK) {
            r->err = AOF_ERR_IO;
            return 0;
        }
        r->buf_off = start;
        r->buf_len = n;
    }
    uint64_t avail = r->buf_off + r->buf_len - r->pos;
    *p = stage + (r->pos - r->buf_off);
    return (size_t)(avail < max ? avail : max);
}

static int r_read(aof_reader *r, unsigned char *dst, size_t n) {
    while (n > 0) {
        unsigned char *p;
        size_t k = r_peek(r, &p, n);
        if (k == 0) {
            return -1;
        }
        memcpy(dst, p, k);
        dst += k;
        n -= k;
        r->pos += k;
    }
    return 0;
}

enum { FRAME_OK, FRAME_END, FRAME_IO, FRAME_OOM };

/*
 * The frame at r->pos, if its check (seeded with *chain) holds: its record is fed to q, *chain
 * becomes its check and r->pos moves past it. FRAME_END when there is no valid frame here (the end
 * of the log: zeros, a torn write, or what an earlier use of the region left).
 */
static int read_frame(aof_reader *r, proto_state *q, uint32_t *chain) {
    unsigned char b[4];
    if (r_read(r, b, 4) != 0) {
        return r->err != AOF_OK ? FRAME_IO : FRAME_END;
    }
    uint64_t len = get_u32(b);
    if (len == 0 || len > (uint64_t)REPLAY_MAX_RECORD || len + 4u > r->limit - r->pos) {
        return FRAME_END;
    }
    uint32_t check = crc32_update(*chain, b, 4);
    uint64_t payload = r->pos;
    /* check first, so that a torn frame's garbage length never makes the parser buffer much */
    for (uint64_t left = len; left > 0;) {
        unsigned char *p;
        size_t k = r_peek(r, &p, left);
        if (k == 0) {
            return r->err != AOF_OK ? FRAME_IO : FRAME_END;
        }
        check = crc32_update(check, p, k);
        r->pos += k;
        left -= k;
    }
    if (r_read(r, b, 4) != 0) {
        return r->err != AOF_OK ? FRAME_IO : FRAME_END;
    }
    if (get_u32(b) != check) {
        return FRAME_END;
    }
    uint64_t after = r->pos;
    r->pos = payload;
    for (uint64_t left = len; left > 0;) {
        unsigned char *p;
        size_t k = r_peek(r, &p, left);
        if (k == 0) {
            return FRAME_IO;
        }
        if (proto_feed(q, p, k, 0) != PROTO_MORE) {
            return FRAME_OOM;
        }
        r->pos += k;
        left -= k;
    }
    r->pos = after;
    *chain = check;
    return FRAME_OK;
}

/*
 * Replay the active region's frames from its start while their checks hold. The log must reach
 * the header's log_len (the snapshot of the roll, flushed before the header). Sets aof.end,
 * aof.chain and aof.tail.
 */
static int replay_v2(void) {
    proto_state q;
    proto_init(&q, (size_t)(REPLAY_MAX_RECORD < SIZE_MAX ? REPLAY_MAX_RECORD : SIZE_MAX));
    aof_reader r = {.base = region_base(aof.h.region), .limit = aof.h.region_size};
    uint32_t chain = aof.h.origin;
    uint64_t records = 0;
    int rc = AOF_OK;
    for (;;) {
        if (r.pos == aof.h.log_len && chain != aof.h.log_crc) {
            log_msg(COLO_LOG_ERROR, "kv: the log does not match its header");
            rc = AOF_ERR_CORRUPT;
            break;
        }
        uint64_t start = r.pos;
        int f = read_frame(&r, &q, &chain);
        if (f == FRAME_END) {
            r.pos = start;
            break;
        }
        if (f != FRAME_OK) {
            rc = f == FRAME_IO ? AOF_ERR_IO : AOF_ERR_CORRUPT;
            break;
        }
        size_t argc;
        kv_arg *argv;
        if (proto_next(&q, &argc, &argv) != PROTO_CMD || kv_replay_apply(argc, argv) != 0 ||
            !proto_idle(&q)) {
            aof_log_num(COLO_LOG_ERROR, "kv: invalid log record (or out of memory) at byte ", start, "");
            rc = AOF_ERR_CORRUPT;
            break;
        }
        proto_trim(&q);
        if (start < aof.h.log_len && r.pos > aof.h.log_len) {
            log_msg(COLO_LOG_ERROR, "kv: a log record crosses the end its header gives");
            rc = AOF_ERR_CORRUPT;
            break;
        }
        records++;
    }
    proto_free(&q);
    if (rc != AOF_OK) {
        return rc;
    }
    uint64_t end = r.pos;
    if (end < aof.h.log_len) {
        aof_log_num(COLO_LOG_ERROR, "kv: the log ends before its header's length, at byte ", end, "");
        return AOF_ERR_CORRUPT;
    }
    aof.end = end;
    aof.chain = chain;
    memset(aof.tail, 0, SECTOR);
    size_t tail_len = (size_t)(end % SECTOR);
    if (tail_len > 0) {
        if (colo_disk_read(r.base + (int64_t)(end - tail_len), hdr_buf, SECTOR) != COLO_OK) {
            return AOF_ERR_IO;
        }
        memcpy(aof.tail, hdr_buf, tail_len);
    }
    db_drop_expired();
    aof_log_num(COLO_LOG_INFO, "kv: replayed the log: ", records, " records");
    aof_log_num(COLO_LOG_INFO, "kv: keys after replay: ", dict_size(&kv_db), "");
    return AOF_OK;
}

/*
 * A flushed BOOT record at every boot, holding the log's end: the frames written from now on chain
 * through a record no earlier run wrote there, so frames a crashed run left after the end this
 * boot found can never join the log, even when the same commands are logged again. (An earlier run
 * that wrote the same record at the same end flushed it before writing anything after it, or wrote
 * nothing after it.)
 */
static int boot_mark(void) {
    char num[KV_LL_STR_SIZE];
    kv_arg rec[2] = {
        {(const unsigned char *)"BOOT", 4},
        {(const unsigned char *)num, 0},
    };
    rec[1].n = kv_ll2str(num, (long long)aof.end);
    int r = aof_append(2, rec, AOF_APPEND_SHRINK);
    if (r == AOF_ERR_IO) {
        return r;
    }
    if (r != AOF_OK) {
        log_msg(COLO_LOG_WARN, "kv: no room for the boot record");
    }
    aof_commit();
    aof_flush_now();
    return AOF_OK;
}

/* The policy the VM was created with: COLO_APPENDFSYNC in its environment (the group's
 * `appendfsync`), everysec when unset; an unknown value is logged and ignored. */
static int boot_policy(void) {
    static const char name[] = "COLO_APPENDFSYNC";
    char value[16];
    int32_t n = colo_env_get(name, (int32_t)(sizeof name - 1), value, (int32_t)sizeof value);
    if (n == COLO_E_UNSET) {
        return AOF_FSYNC_EVERYSEC;
    }
    int policy = -1;
    if (n > 0 && n <= (int32_t)sizeof value) {
        policy = aof_fsync_parse((const unsigned char *)value, (size_t)n);
    }
    if (policy < 0) {
        log_msg(COLO_LOG_WARN, "kv: COLO_APPENDFSYNC is not always, everysec or no; everysec");
        return AOF_FSYNC_EVERYSEC;
    }
    return policy;
}

int aof_open(void) {
    memset(&aof, 0, sizeof aof);
    compact_reset();
    aof.boot_fsync = boot_policy();
    aof.fsync = aof.boot_fsync;
    batch_open = 0;
    aof.disk_size = colo_disk_size();
    if (aof.disk_size <= 0) {
        log_msg(COLO_LOG_INFO, "kv: no disk, running in memory only");
        return AOF_OK;
    }
    if (aof.disk_size < (int64_t)MIN_DISK) {
        aof_log_num(COLO_LOG_ERROR, "kv: the disk is too small; minimum bytes: ", MIN_DISK, "");
        return AOF_ERR_CORRUPT;
    }
    int rc = load_header();
    if (rc != AOF_OK) {
        return rc;
    }
    int v1 = aof.h.version == HDR_VERSION_V1;
    rc = v1 ? replay_v1() : replay_v2();
    if (rc != AOF_OK) {
        return rc;
    }
    if (v1) {
        aof.end = aof.h.log_len;
    }
    aof.enabled = 1;
    aof.reserve = aof.h.region_size / 8u;
    if (aof.reserve > 1024u * 1024u) {
        aof.reserve = 1024u * 1024u;
    }
    aof.data_at_compact = kv_db.data_bytes;
    aof.appended_since_compact = aof.end;
    if (v1) {
        /* a version 1 log is rewritten as a version 2 snapshot in the other region */
        log_msg(COLO_LOG_INFO, "kv: converting the version 1 log");
        rc = aof_compact();
        if (rc != AOF_OK) {
            return rc;
        }
    }
    return boot_mark();
}
