/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demo.h - `replyscan run --demo`: the Kafka stage against librdkafka's
 * in-process mock cluster, fed with the bundled sample corpus (or the
 * files given), ending with the summary by class and stage. Needs no
 * broker; README's quick start (deploy/demo.sh) runs it.
 *
 * Ownership: rs_demo_start's result owns the mock cluster, its host
 * handle and the summary until rs_demo_stop.
 */
#ifndef RS_DEMO_H
#define RS_DEMO_H

#include <stddef.h>

#include "config/config.h"
#include "files/summary.h"
#include "pipeline/pipeline.h"

typedef struct rs_demo rs_demo_t;

/*
 * Start the mock cluster, point cfg at it (brokers, input and output
 * topics, group, exit after 3 s without input) and replay files (the
 * bundled sample when nfiles is 0) into its input topic, telling the
 * user on stdout. NULL, with the reason on stderr, on failure.
 */
rs_demo_t *rs_demo_start(rs_config_t *cfg, char *const *files, size_t nfiles);

/* The summary the stage is to fill (rs_stage_conf_t.summary). */
rs_summary_t *rs_demo_summary(rs_demo_t *demo);

/* Print the totals and the summary of the stage's run on stdout. */
void rs_demo_report(const rs_demo_t *demo, const rs_counts_t *totals);

/* Stop the mock cluster and free everything (NULL is fine). */
void rs_demo_stop(rs_demo_t *demo);

#endif
