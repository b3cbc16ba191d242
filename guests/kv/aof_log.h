/*
 * aof_log: what the kv log (aof.c) shares with its compaction (compact.c): the header, the log's
 * state, the streaming writer of frames and the failure paths. Not for the rest of the guest,
 * which uses aof.h.
 */
#ifndef KV_AOF_LOG_H
#define KV_AOF_LOG_H

#include <stddef.h>
#include <stdint.h>

#include "colo_guest.h"
#include "util.h"

#define SECTOR COLO_SECTOR_SIZE
#define HDR_VERSION 2u    /* checked, chained frames (aof.h) */
#define FRAME_OVERHEAD 8u /* u32 length before a record, u32 check after it */

typedef struct {
    uint32_t version;
    uint32_t region;
    uint64_t seq;
    uint64_t region_size;
    uint64_t log_len;
    uint32_t log_crc; /* v1: CRC-32 of the log; v2: check of the frame ending at log_len */
    uint32_t origin;  /* v2: the seed of the region's first frame */
} aof_header;

typedef struct {
    int enabled;
    int64_t disk_size;
    aof_header h;               /* the newest header on disk */
    uint64_t end;               /* end of the log written so far (>= h.log_len) */
    uint32_t chain;             /* check of the frame ending at end (origin when none) */
    unsigned char tail[SECTOR]; /* the log's last partial sector (bytes before end) */
    int dirty;                  /* written since the last colo_disk_flush */
    int fsync;                  /* AOF_FSYNC_* */
    int boot_fsync;             /* the policy the VM was created with (COLO_APPENDFSYNC) */
    int64_t last_flush_ms;      /* event time (db_now_ms) of the last colo_disk_flush (everysec) */
    uint64_t reserve;           /* bytes only AOF_APPEND_SHRINK records may use */
    uint64_t appended_since_compact;
    uint64_t data_at_compact;   /* kv_db.data_bytes when the last compaction ran */
    int last_compact_full;      /* the last compaction found no room for the snapshot */
} aof_state;

/* The log's state (aof.c). */
extern aof_state aof;

/* A streaming writer of frames into a region: fills its chunk buffer and writes whole chunks,
 * sector aligned. */
typedef struct {
    unsigned char *buf; /* the writer's chunk buffer (AOF_CHUNK bytes) */
    int64_t base;       /* disk offset of the region */
    uint64_t stage_off; /* region offset of stage[0] (sector aligned) */
    size_t fill;        /* bytes in stage */
    uint64_t pos;       /* region offset of the next byte */
    uint32_t chain;     /* check of the last frame written (the next frame's seed) */
    int err;
} aof_writer;

/* Start writing region at pos, the next frame seeded with chain; tail holds the region's bytes
 * of pos's sector before pos (NULL when pos is sector aligned). */
void aof_writer_begin(aof_writer *w, unsigned char *buf, uint32_t region, uint64_t pos,
                      uint32_t chain, const unsigned char *tail);

/* One frame for the record argv[0..argc), whose encoding is rec_len (aof_record_len) bytes. */
void aof_writer_record(aof_writer *w, size_t argc, const kv_arg *argv, uint64_t rec_len);

/* Write the last partial chunk (zero padded to a sector); the new partial tail goes to tail. */
int aof_writer_end(aof_writer *w, unsigned char *tail);

/* Bytes of a record's RESP encoding (its frame adds FRAME_OVERHEAD). */
uint64_t aof_record_len(size_t argc, const kv_arg *argv);

/* Write header h into its slot (seq % 2); the other slot keeps the previous header. */
int aof_write_header(const aof_header *h);

/* The seed of the first frame a compaction starting now writes into the other region. */
uint32_t aof_compaction_origin(void);

/* Flush the disk now (a failure stops the guest). */
void aof_flush_now(void);

/* The disk failed after boot: log "<what><-err>" and trap. */
_Noreturn void aof_disk_failed(const char *what, int32_t err);

/* Log "<a><number><b>" (the guest has no printf: see common/strbuf.h). */
void aof_log_num(int level, const char *a, uint64_t v, const char *b);

#endif
