/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stage.h - the Kafka stage: a consumer-group source, the worker pipeline
 * and a producing sink, run until the input ends or a signal stops it,
 * with the metrics endpoint, /healthz, rule reloads on SIGHUP and a
 * graceful drain. `replyscan run` describes a stage from its
 * configuration and runs it; so does `run --demo` against the mock
 * cluster.
 *
 * Signals: SIGTERM, SIGINT and SIGHUP are blocked in every thread before
 * anything starts (the pipeline's threads inherit the mask), so that one
 * arriving while the rules compile waits instead of killing the process;
 * one signal thread takes them with sigwait. SIGTERM/SIGINT stop the
 * source and drain; a second one stops waiting for acknowledgements.
 * SIGHUP loads the rules directory again and swaps it in only when it
 * loads and a Hyperscan scratch can be made for it; otherwise the old
 * rules stay and the refusal is logged and counted.
 *
 * @locality the calling thread runs the sink; see pipeline.h for the
 * others.
 */
#ifndef RS_KAFKA_STAGE_H
#define RS_KAFKA_STAGE_H

#include <stddef.h>

#include "files/summary.h"
#include "formats/format.h"
#include "kafka/client.h"
#include "pipeline/pipeline.h"

typedef struct rs_stage_conf {
	/* Kafka */
	const char *brokers;
	const char *group;
	char *const *topics; /* input topics */
	size_t ntopics;
	const char *output;
	int output_json;         /* events as JSON objects, not protobuf */
	const char *dead_letter; /* NULL: unreadable lines are counted */
	const char *compression; /* librdkafka's compression.codec name */
	rs_key_t key;
	const rs_kafka_prop_t *consumer_props;
	size_t nconsumer_props;
	const rs_kafka_prop_t *producer_props;
	size_t nproducer_props;
	/* Exactly-once (kafka/txnsync.h); 0: at-least-once. */
	int exactly_once;
	const char *transactional_id; /* "": replyscan-<group>-<host> */
	double txn_interval;          /* seconds a transaction stays open */
	long txn_events;              /* events per transaction, at most */
	/* Pipeline */
	const char *rules_dir; /* resolved path; loaded and reloaded */
	const rs_format_t *input_format;
	const rs_format_opts_t *format_opts; /* borrowed; NULL: defaults */
	int include_sent;
	int64_t rollup_interval_ms; /* include_sent: rollup; 0: a minute */
	unsigned threads;
	unsigned slots;
	size_t batch_bytes;
	size_t max_line;
	double exit_when_idle; /* seconds without input; 0: never */
	/* Observation */
	const char *metrics_listen; /* ADDR:PORT; NULL or "": none */
	double unhealthy_after;     /* seconds; 0: /healthz always 200 */
	rs_summary_t *summary;      /* also count events here; may be NULL */
} rs_stage_conf_t;

/* What rs_stage_run returns. */
#define RS_STAGE_OK 0
#define RS_STAGE_FAILED 1 /* the stage failed or could not drain */
#define RS_STAGE_CONFIG 2 /* it could not start: rules, address, client */
#define RS_STAGE_FENCED 3 /* exactly-once: fenced or a fatal producer error */

/*
 * Run the stage to its end. Totals of the lines read go to *totals. A
 * failure to start is in errstr (rules) or in the log; one of
 * RS_STAGE_*.
 */
int rs_stage_run(const rs_stage_conf_t *conf, rs_counts_t *totals, char *errstr,
                 size_t errstr_size);

#endif
