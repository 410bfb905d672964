/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kafkatxn.h - the exactly-once transaction loop of the Kafka sink: open a
 * transaction, gather the input positions of the batches produced in it,
 * commit them with the consumer group's metadata (send_offsets), or abort
 * and move the epoch on (txnsync.h) so that the source reads those lines
 * again from the committed offsets.
 *
 * The sink (kafkasink.c) embeds one, fills the fields above "state" and
 * calls rs_kafkatxn_start once. The transactional calls block (up to
 * RS_KAFKATXN_TIMEOUT_MS each); retriable errors are retried until
 * *abandon is set.
 *
 * @locality the sink thread, every call.
 */
#ifndef RS_KAFKA_KAFKATXN_H
#define RS_KAFKA_KAFKATXN_H

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

#include "kafka/client.h"
#include "kafka/txnsync.h"

#define RS_KAFKATXN_TIMEOUT_MS 30000

/* The offset after the last line read of one input partition. */
typedef struct rs_kafka_position {
	const char *topic;
	int32_t partition;
	int64_t next_offset;
} rs_kafka_position_t;

typedef struct rs_kafkatxn {
	rd_kafka_t *rk;               /* the transactional producer */
	rs_txnsync_t *sync;           /* shared with the source */
	const char *transactional_id; /* for messages */
	const atomic_int *abandon;    /* set: stop retrying */
	double interval;              /* seconds a transaction stays open */
	long max_events;              /* events per transaction, at most */
	/* After a commit or an abort: the sink completes its tracks. */
	void (*settled)(void *opaque);
	void *opaque;

	/* state */
	int open;
	int failed;   /* a message of the open transaction failed: abort */
	int fatal;    /* fenced or lost: the stage must stop */
	uint64_t seq; /* the open (or last) transaction's number */
	int64_t started_ms;
	long nevents;             /* events produced in the open one */
	rs_kafka_position_t *pos; /* input positions in the open one */
	size_t npos, cap;
	uint64_t commits, aborts;
} rs_kafkatxn_t;

/*
 * init_transactions (which also aborts what a previous instance with the
 * same transactional.id left open); defaults for interval (1 s) and
 * max_events (100000). 0, or -1 with the cause in errstr (client's
 * connection failure named first).
 */
int rs_kafkatxn_start(rs_kafkatxn_t *tx, const rs_kafkaclient_t *client,
                      char *errstr, size_t errstr_size);

/* Open a transaction if none is. 0, or -1 (errstr; fatal set if so). */
int rs_kafkatxn_begin(rs_kafkatxn_t *tx, char *errstr, size_t errstr_size);

/* Add a batch's input positions to the open transaction. -1: no memory. */
int rs_kafkatxn_add(rs_kafkatxn_t *tx, const rs_kafka_position_t *pos,
                    size_t npos);

/*
 * Send the open transaction's positions and commit it; an abortable error
 * aborts (and rewinds). 0 (committed or aborted), -1 fatal or given up.
 */
int rs_kafkatxn_commit(rs_kafkatxn_t *tx, char *errstr, size_t errstr_size);

/*
 * Answer the source's request (before a rebalance) to close the open
 * transaction, if there is one: commit it, then move the epoch on. 0 or -1.
 */
int rs_kafkatxn_serve_close(rs_kafkatxn_t *tx, char *errstr,
                            size_t errstr_size);

/* Commit when the open transaction is old, big or failed. 0 or -1. */
int rs_kafkatxn_maybe_commit(rs_kafkatxn_t *tx, char *errstr,
                             size_t errstr_size);

/* Abort what is open (unless fatal) and free the positions. */
void rs_kafkatxn_close(rs_kafkatxn_t *tx);

#endif
