/*
 * compact: the incremental compaction of the kv log (compact.c; aof.h describes it). Its public
 * entry points are in aof.h (aof_compact, aof_step, aof_compacting); these are for aof.c.
 */
#ifndef KV_COMPACT_H
#define KV_COMPACT_H

#include <stddef.h>
#include <stdint.h>

#include "util.h"

/* Would compacting now free anything? Avoids an O(n) rewrite per command on a full disk. */
int compaction_useful(void);

/* After a record of rec_len bytes (its RESP encoding) was appended to the log's batch: the same
 * record to the new region's tail while a compaction is under way (a tail that does not fit
 * abandons it); counted towards the next slice's budget either way. */
void compact_record(size_t argc, const kv_arg *argv, uint64_t rec_len);

/* At boot: no compaction under way, nothing appended. */
void compact_reset(void);

#endif
