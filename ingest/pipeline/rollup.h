/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rollup.h - delivered lines of one batch rolled up into counts
 * (pipeline.include_sent: rollup): one entry per sending side (the first
 * of sending_ip, sending_pool, vmta, log_host the line gives, in its own
 * field), recipient domain, MX host (remote_host), MTA and log-time
 * minute, counting the lines and remembering the last one. The pipeline writes
 * each entry as ONE DeferralEvent with status sent and aggregated_count at the
 * end of the batch's own output, so the rollups travel, are acknowledged and
 * are committed with the batch: at-least-once and exactly-once hold for them as
 * for every event.
 *
 * Ownership: the table owns copies of the key strings (a batch's records
 * do not outlive their line). Memory grows to the largest batch seen and
 * is kept: no allocation per line once warm.
 *
 * @locality one worker thread (each worker has its own table).
 */
#ifndef RS_PIPELINE_ROLLUP_H
#define RS_PIPELINE_ROLLUP_H

#include <stddef.h>
#include <stdint.h>

#include "event/record.h"

typedef struct rs_rollup rs_rollup_t;

/* NULL when out of memory. */
rs_rollup_t *rs_rollup_new(void);
void rs_rollup_destroy(rs_rollup_t *r);

/* Forget every entry (start of a batch), keeping the memory. */
void rs_rollup_reset(rs_rollup_t *r);

/* Count rec (a delivered line, batch line line_idx). 0, or -1 when out of
 * memory. */
int rs_rollup_add(rs_rollup_t *r, const rs_record_t *rec, uint32_t line_idx);

size_t rs_rollup_count(const rs_rollup_t *r);

/*
 * Entry i as a record to encode (strings point into the table, valid
 * until the next reset): status sent, the key's fields, log_time_ms the
 * minute's start and aggregated_count the lines; *line_idx is the last
 * line counted.
 */
void rs_rollup_record(const rs_rollup_t *r, size_t i, rs_record_t *rec,
                      uint32_t *line_idx);

#endif
