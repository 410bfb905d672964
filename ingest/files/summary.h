/*
 * summary.h - counts of events by class and stage, and the receivers
 * (recipient domains) with the most failures, printed as a table.
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

/* Print the tables: class x stage counts, then the top receivers. */
void rs_summary_print(const rs_summary_t *s, const rs_counts_t *totals,
                      size_t top, FILE *out);

#endif
