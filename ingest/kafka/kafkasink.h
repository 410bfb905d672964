/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kafkasink.h - a pipeline sink that produces each event to the output
 * topic (and unreadable lines to an optional dead-letter topic) and tells
 * the source, through rs_source_t.ack, which input offsets are safely
 * written. It knows the source only as an rs_source_t.
 *
 * A batch's input offsets become committable only when every message
 * produced from it, and from every earlier batch, is acknowledged by the
 * broker: batches are tracked in a FIFO of outstanding-delivery counters.
 * A message whose delivery fails is produced again (after a back-off)
 * until it succeeds or the stage stops, so a missing or unwritable output
 * topic holds commits back instead of losing lines.
 *
 * Exactly-once (conf.txn set): the producer is transactional. Batches
 * are produced inside a transaction that stays open for at most
 * txn_interval seconds or txn_events events; then the input offsets of
 * everything in it are added to it (send_offsets_to_transaction, with
 * the consumer group's metadata) and it is committed: the events and the
 * offsets become visible to read_committed readers together, or not at
 * all. A failed delivery or an abortable error aborts the transaction,
 * moves the epoch on (kafka/txnsync.h) and drops every batch read before
 * it; the source reads those lines again from the committed offsets. A
 * fatal error (another producer with the same transactional.id fenced
 * this one) stops the stage: rs_kafkasink_fatal says so. A fatal error
 * within 2 minutes of an outage of the producer's brokers (the broker
 * aborted the transaction after transaction.timeout.ms and moved the
 * epoch on), or one that is no fence, makes the producer anew instead
 * (same client, new handle) and goes on as after an abort; 3 in a row
 * without a commit stop the stage.
 *
 * @locality every call on the pipeline's sink thread; delivery reports
 * are served from rd_kafka_poll on that same thread.
 */
#ifndef RS_KAFKASINK_H
#define RS_KAFKASINK_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/client.h"
#include "kafka/txnsync.h"
#include "pipeline/pipeline.h"

typedef struct rs_metrics rs_metrics_t;

typedef struct rs_kafkasink_conf {
	const char *brokers;
	const char *topic; /* the output topic */
	int json; /* events are JSON lines (their newline is dropped) */
	const char *dead_letter; /* NULL or "": unreadable lines are counted */
	const char *compression; /* none, gzip, snappy, lz4, zstd */
	const rs_kafka_prop_t *props; /* librdkafka properties, applied last */
	size_t nprops;
	rs_source_t *source;   /* acked what is written; may be NULL */
	rs_metrics_t *metrics; /* may be NULL */
	double drain_timeout;  /* seconds flush waits for acknowledgements */
	int stats_interval_ms; /* librdkafka statistics; 0: every 5 s */
	/* Exactly-once: shared with the source; NULL: at-least-once. */
	rs_txnsync_t *txn;
	const char *transactional_id; /* required with txn */
	double txn_interval;          /* seconds a transaction stays open */
	long txn_events;              /* events per transaction, at most */
	/* Exactly-once: before init_transactions, refuse brokers without
	 * KIP-447 (rs_kafkatxn_check_brokers). The stage sets it; tests on
	 * librdkafka 2.0.2's mock cluster, which lists TxnOffsetCommit up
	 * to version 2 only and cannot read version 3, leave it off. */
	int check_brokers;
} rs_kafkasink_conf_t;

typedef struct rs_kafkasink rs_kafkasink_t;

rs_kafkasink_t *rs_kafkasink_new(const rs_kafkasink_conf_t *conf, char *errstr,
                                 size_t errstr_size);
rs_sink_t *rs_kafkasink_sink(rs_kafkasink_t *sk);

/* Give up waiting in flush (second signal). Async-signal-safe. */
void rs_kafkasink_abandon(rs_kafkasink_t *sk);

/* Messages produced and acknowledged, and dead-lettered. */
uint64_t rs_kafkasink_delivered(const rs_kafkasink_t *sk);
uint64_t rs_kafkasink_dead_lettered(const rs_kafkasink_t *sk);

/*
 * When (rs_clock_mono_ms) the oldest batch still waiting for the broker's
 * acknowledgements was written; 0 when none waits. @locality any thread.
 */
int64_t rs_kafkasink_oldest_unacked_ms(const rs_kafkasink_t *sk);

/*
 * 1 while the sink holds work that may still need the broker or the input
 * again: messages not yet acknowledged or waiting to be produced again,
 * or (exactly-once) a transaction open, failed with its abort pending, or
 * just aborted (the input is read again after the hold). The source's
 * exit-when-idle waits while it is 1. @locality any thread.
 */
int rs_kafkasink_busy(const rs_kafkasink_t *sk);

/* 1 after a fatal producer error (fenced): the stage must stop. */
int rs_kafkasink_fatal(const rs_kafkasink_t *sk);

/* Transactions committed and aborted (exactly-once). */
uint64_t rs_kafkasink_txn_commits(const rs_kafkasink_t *sk);
uint64_t rs_kafkasink_txn_aborts(const rs_kafkasink_t *sk);

/*
 * Exactly-once: the counts of every batch in a committed transaction.
 * The sink takes them out of each batch it writes (the pipeline's totals
 * leave them out) because a batch of an aborted transaction is read and
 * counted again. @locality the sink thread, or after it ended.
 */
const rs_counts_t *rs_kafkasink_committed(const rs_kafkasink_t *sk);

/* The producer's client, for its broker watch (any thread). */
const rs_kafkaclient_t *rs_kafkasink_client(const rs_kafkasink_t *sk);

void rs_kafkasink_destroy(rs_kafkasink_t *sk);

#endif
