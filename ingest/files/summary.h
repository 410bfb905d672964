/* SPDX-License-Identifier: Apache-2.0 */
/*
 * summary.h - counts of events by class and stage, and the receivers
 * (recipient domains) with the most failures, printed as a table; and a
 * sink that feeds a summary on the way to another sink.
 *
 * @locality the sink thread only; not thread-safe.
 */
#ifndef RS_SUMMARY_H
#define RS_SUMMARY_H

#include <stddef.h>
#include <stdio.h>

#include "pipeline/pipeline.h"

typedef struct rs_summary rs_summary_t;

rs_summary_t *rs_summary_new(void);
void rs_summary_destroy(rs_summary_t *s);

/* Count the events of one processed batch (keys = recipient domains). */
int rs_summary_add_batch(rs_summary_t *s, const rs_batch_t *batch);

/*
 * Also hand every event of each batch counted to fn (the event's bytes in
 * the batch's output: one protobuf message in the Kafka stage), e.g. to a
 * posture engine (`run --demo`). NULL fn: none.
 */
typedef void (*rs_summary_event_fn)(void *ctx, const void *event, size_t len);
void rs_summary_set_event_hook(rs_summary_t *s, rs_summary_event_fn fn,
                               void *ctx);

/* Print the tables: class x stage counts, then the top receivers. */
void rs_summary_print(const rs_summary_t *s, const rs_counts_t *totals,
                      size_t top, FILE *out);

/*
 * A sink that counts each batch into a summary and hands it on to the
 * next sink (the Kafka stage of `run --demo`). Fill it with
 * rs_summary_tee_init; it lives as long as the caller keeps it, owns
 * neither summary nor next, and runs on the pipeline's sink thread.
 */
typedef struct rs_summary_tee {
	rs_sink_t sink; /* hand &tee->sink to rs_pipeline_run */
	rs_sink_t *next;
	rs_summary_t *summary;
} rs_summary_tee_t;

void rs_summary_tee_init(rs_summary_tee_t *tee, rs_summary_t *s,
                         rs_sink_t *next);

#endif
