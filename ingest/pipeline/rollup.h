/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rollup.h - delivered lines rolled up into counts
 * (pipeline.include_sent: rollup): one entry per sending side (the first
 * of sending_ip, sending_pool, vmta, log_host the line gives, in its own
 * field), recipient domain, MX host (remote_host), MTA, stage and
 * log-time interval (pipeline.rollup_interval, a minute by default),
 * counting the lines and remembering the last one.
 *
 * Two tables of this kind work in turn. Each batch has one, filled by
 * the worker that processes it; the pipeline's sink thread merges it, in
 * input order, into the run's open table, which writes an entry as ONE
 * DeferralEvent (status sent, aggregated_count) once its interval has
 * closed (rs_rollup_take): so one interval of a key gives one rollup
 * however many batches its lines came in.
 *
 * Marks: for each input partition (Kafka topic and partition) and
 * interval, the lowest offset of a line counted. rs_rollup_hold tells
 * the lowest offset of a partition still in an open entry, below which
 * the input may be committed (pipeline.c).
 *
 * Ownership: a table owns copies of the key strings (a batch's records do
 * not outlive their line); source and topic names are borrowed from the
 * source, which keeps them for the run. Memory grows to the largest
 * table seen and is kept: no allocation per line once warm.
 *
 * @locality one thread at a time: a batch's table its worker's, then the
 * sink thread's; the open table the sink thread's.
 */
#ifndef RS_PIPELINE_ROLLUP_H
#define RS_PIPELINE_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

#include "event/event.h"
#include "event/record.h"

#define RS_ROLLUP_INTERVAL_MS 60000 /* pipeline.rollup_interval default */

typedef struct rs_rollup rs_rollup_t;

/* NULL when out of memory. interval_ms > 0: the width of an interval. */
rs_rollup_t *rs_rollup_new(int64_t interval_ms);
void rs_rollup_destroy(rs_rollup_t *r);

/* Forget every entry and mark, keeping the memory. */
void rs_rollup_reset(rs_rollup_t *r);

/*
 * Count rec (a delivered line) read at prov (prov->source borrowed; a
 * line without a topic has partition -1 and sets no mark). 0, or -1 when
 * out of memory.
 */
int rs_rollup_add(rs_rollup_t *r, const rs_record_t *rec,
                  const rs_provenance_t *prov);

/* Add every entry and mark of src into dst (the same interval width).
 * 0, or -1 when out of memory (dst then holds part of src). */
int rs_rollup_merge(rs_rollup_t *dst, const rs_rollup_t *src);

size_t rs_rollup_count(const rs_rollup_t *r);

/* The newest interval counted (log time / interval), -1 when none. */
int64_t rs_rollup_newest(const rs_rollup_t *r);

/*
 * Hand every entry whose interval is below before (INT64_MAX: all; an
 * entry without a log time has interval -1) to fn in first-seen order,
 * as a record to encode (strings valid during the call): status sent,
 * the key's fields, log_time_ms the interval's start and
 * aggregated_count the lines, with the provenance of the last line
 * counted. Then remove them and their marks. Returns how many, or -1
 * when out of memory (nothing handed out or removed).
 */
long rs_rollup_take(rs_rollup_t *r, int64_t before,
                    void (*fn)(void *ctx, const rs_record_t *rec,
                               const rs_provenance_t *prov),
                    void *ctx);

/* The lowest offset of (topic, partition) in an entry still held, or -1
 * when none. topic is compared by pointer (the source's own name). */
int64_t rs_rollup_hold(const rs_rollup_t *r, const char *topic,
                       int32_t partition);

#endif
