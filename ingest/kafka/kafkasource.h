/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kafkasource.h - a pipeline source over Kafka topics, as a member of a
 * consumer group (librdkafka high-level consumer).
 *
 * Every consumer call - poll, the rebalance callback, pause, resume,
 * commit - runs on the pipeline's source thread, so none runs at the same
 * time as another (librdkafka 2.0.2's batch-consume calls are not safe
 * against a concurrent rebalance or pause; this source uses
 * rd_kafka_consumer_poll and never calls them from two threads).
 *
 * Offsets: a sink reports through rs_source_t.ack the offset up to which
 * every line of a partition has been fully written; the source commits
 * those offsets (every commit interval, before giving partitions up in a
 * rebalance, and on close). Auto-commit is off.
 *
 * Exactly-once (conf.txn set): the source commits nothing itself; the
 * sink commits the offsets inside its transactions. After each
 * assignment the source hands the group metadata to the sink; before
 * partitions are revoked it waits for the sink to close its transaction;
 * when the sink has aborted one (the epoch moved on, kafka/txnsync.h) it
 * drops the batch it is filling and seeks every assigned partition back
 * to its committed offset. Each batch carries the epoch it was read in.
 *
 * Back-pressure: when the pipeline's ring is full the source pauses its
 * partitions and keeps serving the consumer (rebalances, group
 * membership); it resumes when a slot is free.
 */
#ifndef RS_KAFKASOURCE_H
#define RS_KAFKASOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/client.h"
#include "kafka/txnsync.h"
#include "pipeline/pipeline.h"

typedef struct rs_kafkasource_conf {
	const char *brokers;
	const char *group;
	char *const *topics;
	size_t ntopics;
	const rs_kafka_prop_t *props; /* librdkafka properties, applied last */
	size_t nprops;
	size_t batch_bytes;
	size_t max_line;
	double
	    exit_when_idle; /* seconds without input before ending; 0 never */
	int linger_ms;      /* longest wait to fill a batch */
	int commit_interval_ms;
	int stats_interval_ms; /* 0: every 5 s */
	rs_txnsync_t *txn;     /* exactly-once: shared with the sink; NULL:
	                          at-least-once (the source commits) */
	/* Optional: 1 while the sink holds work that may need the input
	 * again (kafkasink.h: rs_kafkasink_busy); exit_when_idle does not
	 * count that time as idle. Called on the source thread. */
	int (*busy)(void *opaque);
	void *busy_opaque;
	/* librdkafka statistics JSON (statistics.interval.ms), optional. */
	void (*stats_cb)(void *opaque, const char *json, size_t len);
	void *stats_opaque;
} rs_kafkasource_conf_t;

typedef struct rs_kafkasource rs_kafkasource_t;

/* Create the consumer and subscribe. NULL with a sentence in errstr. */
rs_kafkasource_t *rs_kafkasource_new(const rs_kafkasource_conf_t *conf,
                                     char *errstr, size_t errstr_size);

/* The rs_source_t to hand to rs_pipeline_run. */
rs_source_t *rs_kafkasource_source(rs_kafkasource_t *ks);

/* Ask the source to end: next() returns what it has, then 0.
 * Async-signal-safe (sets a flag). */
void rs_kafkasource_stop(rs_kafkasource_t *ks);

/*
 * After rs_pipeline_run returned: commit what is done, leave the group
 * and destroy the consumer. Returns 0, or -1 when the final commit failed
 * (errstr says why). ks is freed either way.
 */
int rs_kafkasource_close(rs_kafkasource_t *ks, char *errstr,
                         size_t errstr_size);

/* The consumer's client, for its broker watch (any thread). */
const rs_kafkaclient_t *rs_kafkasource_client(const rs_kafkasource_t *ks);

/* Committed-offset bookkeeping, for metrics: number of commits done. */
uint64_t rs_kafkasource_commits(const rs_kafkasource_t *ks);

/* Exactly-once: times the input was sought back to the committed offsets
 * (after an abort or a revocation). @locality the source thread. */
uint64_t rs_kafkasource_rewinds(const rs_kafkasource_t *ks);

#endif
