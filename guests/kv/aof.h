/*
 * aof: the append-only log of the kv guest on the VM's virtual disk.
 *
 * Disk layout (sector = 512 bytes, all integers little-endian):
 *
 *   sector 0, sector 1   two header slots: a header is written to slot seq % 2 (the format writes
 *                        both); the valid one with the highest seq is used
 *   region 0             [1024, 1024 + R)
 *   region 1             [1024 + R, 1024 + 2R)      R = region_size, a multiple of 512
 *
 *   header (version 2): 0 magic "COLOKVLG" | 8 u32 version (2) | 12 u32 active region (0/1) |
 *           16 u64 seq (headers written) | 24 u64 region_size | 32 u64 log_len (the region's
 *           length when the header was written: the snapshot of a compaction) | 40 u32 check of
 *           the frame ending at log_len | 44 u32 origin (the seed of the region's first frame) |
 *           48 u32 CRC-32 of header bytes 0..47 | rest zero
 *
 * The active region holds frames, one per record: u32 length | RESP multibulk record (the same
 * encoding clients send) | u32 check, the CRC-32 of length and record seeded with the previous
 * frame's check (the region's origin for the first). The log is the longest run of valid frames
 * from the region's start: boot finds its end by the checks, so the header is written only when
 * the log rolls to the other region (and at the format), never per command. Records describe
 * effects, never conditions, with absolute times:
 *   SET key value [PXAT ms] | MSET k v [k v ...] | DEL key [key ...] (also UNLINK) |
 *   PEXPIREAT key ms | PERSIST key | FLUSHALL
 *   CONFIG SET appendfsync always|no   (the fsync policy, when not the default)
 *   BOOT end                            (written and flushed at every boot; no effect)
 *
 * Appending is batched like Redis's AOF: the records of the commands handled in one event go to
 * an in-memory stage; before the event's replies are sent (and at its end) the batch is written
 * once: the log's partially filled last sector (kept in memory) plus the new frames, one
 * disk_write for a batch of up to 64 KiB. The disk's bytes depend on the records only, not on the
 * batching. Then the disk is flushed per the fsync policy (`appendfsync`, set with CONFIG SET):
 * always (before the replies go), everysec (default: at most a second after a write, also from
 * the expiry timer) or no (never asked; the host flushes on its own).
 *
 * A torn or lost write ends the log at the last valid frame. Frames an earlier run left after that
 * point (written after the torn one) never join the log: every boot appends a BOOT record holding
 * the end it found, and the frames after it chain through that record. A region used again after
 * two compactions starts from a new origin. Compaction writes a snapshot of the live keys into the
 * inactive region, flushes it, then switches by writing the header; boot fails when the log ends
 * before the header's log_len.
 *
 * Compaction is incremental, so that no event stalls the clients for the whole data set. It starts
 * at the end of an event (aof_step) when the log has reached AOF_COMPACT_START_PCT of its region
 * and at least 1/AOF_COMPACT_MIN_GAIN_DIV of the region was appended since the last snapshot (so
 * that live data alone filling the region does not compact over and over). Then every event (a
 * client's data or the 100 ms expiry timer) ends with a slice: snapshot records (SET key value
 * [PXAT ms]) of AOF_COMPACT_SLICE bytes, or AOF_COMPACT_PACE times what the event appended to the
 * log when that is more (the snapshot outruns the appends). Keys are taken from the end of the
 * key array down: a delete moves the array's last entry into the freed slot, so an entry not yet
 * written never moves into the written part (an already written one may move down and be written
 * again, harmlessly). Meanwhile every record is appended to the active log as always AND to the
 * new region after the snapshot records written so far: in the new region a key's last record is
 * always its latest effect (a slice writes a key's current value; later changes follow it). Until
 * the switch the header names the old region, which holds every record, so a crash at any point
 * loses nothing; the abandoned new region is never read (its origin mixes in the old log's end
 * and chain, which run through this boot's BOOT record: a later attempt cannot continue its
 * frames). When the snapshot is complete the new region's last chunk is written and flushed, then
 * one header write (flushed) switches to it. When the active region fills first, the rest of the
 * snapshot is written at once (the old synchronous compaction); when the new region cannot hold
 * the data, the compaction is abandoned. BGREWRITEAOF and the version 1 conversion compact at
 * once. A version 1 disk (a CRC of the whole log in the header, both slots
 * rewritten per batch) is still read, and rewritten as version 2 by a compaction at boot.
 *
 * A write or flush that fails after boot (the disk failed; with a write-behind host possibly a
 * write made earlier) makes the guest trap under every policy: the VM crashes, the replies not
 * yet sent never go out, and a crashed primary is failed over to its secondary (which ran the
 * same commands on its own disk). Answering errors instead would release them to clients while
 * a healthy secondary could have answered.
 */
#ifndef KV_AOF_H
#define KV_AOF_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

#define AOF_CHUNK (64u * 1024u) /* largest single disk request the guest makes */

enum {
    AOF_OK = 0,
    AOF_ERR_IO = -1,     /* the device failed */
    AOF_ERR_FULL = -2,   /* no room even after compaction */
    AOF_ERR_CORRUPT = -3 /* (boot) the log cannot be trusted */
};

/* Incremental compaction (above): start at this share of the region, in percent ... */
#define AOF_COMPACT_START_PCT 75u
/* ... when at least region / AOF_COMPACT_MIN_GAIN_DIV was appended since the last snapshot */
#define AOF_COMPACT_MIN_GAIN_DIV 8u
/* snapshot bytes written per event (a slice) ... */
#define AOF_COMPACT_SLICE (128u * 1024u)
/* ... or this many times the bytes the event appended, when that is more */
#define AOF_COMPACT_PACE 4u

/* Space a growing command may not use, so that DEL/FLUSHALL can still be logged when full. */
#define AOF_APPEND_GROW 0
#define AOF_APPEND_SHRINK 1

/*
 * At boot: find the disk, read the header (formatting a blank disk) and replay the log through
 * kv_replay_apply(). 0 when ready (also without a disk), negative on failure.
 */
int aof_open(void);

int aof_enabled(void);

enum { AOF_FSYNC_EVERYSEC = 0, AOF_FSYNC_ALWAYS = 1, AOF_FSYNC_NO = 2 };

/* Add one record to the event's batch (compacting first when it does not fit). AOF_OK or an
 * error above. */
int aof_append(size_t argc, const kv_arg *argv, int kind);

/* Write the open batch (data, then header). AOF_OK or AOF_ERR_IO. */
int aof_commit(void);

/* The fsync policy, its name, parsed from a name (-1: unknown), and set. */
int aof_fsync_policy(void);
const char *aof_fsync_name(int policy);
int aof_fsync_parse(const unsigned char *p, size_t n);
void aof_set_fsync(int policy);

/* From a periodic timer: the everysec flush when the disk was written and stayed idle. */
void aof_tick(void);

/* Rewrite the log as a snapshot of the live keys now (finishing a compaction under way). AOF_OK
 * or an error. */
int aof_compact(void);

/* At the end of every event, after aof_sync(): start an incremental compaction when one is due
 * and write its next slice; switch regions when the snapshot is complete. */
void aof_step(void);

/* An incremental compaction is under way (INFO aof_rewrite_in_progress). */
int aof_compacting(void);

/* Before replies are sent and at the end of an event: aof_commit(), then flush per policy. */
void aof_sync(void);

/* For INFO. */
uint64_t aof_log_len(void);
uint64_t aof_region_size(void);

/* Implemented by replay.c: apply one record read from the log. 0 ok, -1 invalid record. */
int kv_replay_apply(size_t argc, const kv_arg *argv);

#endif
