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

#include "kafka/callwatch.h"
#include "kafka/client.h"
#include "kafka/txnsync.h"

#define RS_KAFKATXN_TIMEOUT_MS 30000
#define RS_KAFKATXN_ABORT_SLICE_MS 200   /* an abort waits, polled between */
#define RS_KAFKATXN_BACKOFF_MS 500       /* wait after a first abort */
#define RS_KAFKATXN_BACKOFF_MAX_MS 10000 /* ... after aborts in a row */
/* A transactional call still inside this long after its own timeout has
 * not kept it: the watchdog (callwatch.h) stops the stage. */
#define RS_KAFKATXN_STUCK_GRACE_MS 30000

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
	/* After a commit (committed 1) or an abort (0): the sink completes
	 * its tracks, and counts what the transaction wrote or forgets it. */
	void (*settled)(void *opaque, int committed);
	void *opaque;
	/* A transactional call has not returned RS_KAFKATXN_STUCK_GRACE_MS
	 * after its timeout; NULL: rs_callwatch_exit (stop the process). */
	rs_callwatch_fire_fn stuck;

	/* state */
	int open;
	int failed;   /* a message of the open transaction failed: abort */
	int fatal;    /* fenced or lost: the stage must stop */
	uint64_t seq; /* the open (or last) transaction's number */
	int64_t started_ms;
	int64_t commit_ms; /* how long the last commit took */
	/* After an abort no transaction begins before hold_until_ms (the
	 * sink waits, rs_kafkatxn_hold_ms): RS_KAFKATXN_BACKOFF_MS, doubling
	 * with each abort in a row up to RS_KAFKATXN_BACKOFF_MAX_MS. An error
	 * librdkafka returns at once (an output topic it holds in error
	 * after an authorization failure) would otherwise abort, rewind and
	 * fail again as fast as the broker answers. */
	int64_t hold_until_ms;
	int64_t backoff_ms;       /* the last wait; 0 after a commit */
	long nevents;             /* events produced in the open one */
	rs_kafka_position_t *pos; /* input positions in the open one */
	size_t npos, cap;
	uint64_t commits, aborts;
	rs_callwatch_t *watch; /* over the blocking calls; NULL: none */
} rs_kafkatxn_t;

/* Kafka's TxnOffsetCommit API, and its first version that carries the
 * consumer group's generation and member id (KIP-447, Kafka 2.5). */
#define RS_KAFKATXN_TXN_OFFSET_COMMIT_API 28
#define RS_KAFKATXN_KIP447_VERSION 3

/*
 * Refuse exactly-once on brokers that serve transactions but not
 * KIP-447 (Kafka 0.11 to 2.4): librdkafka would commit the offsets
 * without the group's generation and member id, so an instance that lost
 * its partitions in a rebalance would not be fenced. Asks every broker
 * for its TxnOffsetCommit versions (rs_kafkaclient_api_versions, within
 * timeout_ms). 0 when each broker that answered serves version 3, or when
 * none answered (init_transactions then names what is wrong; a broker
 * without transactions at all does not list the API and is left to it
 * too); -1 with a sentence naming the broker, its Kafka releases and what
 * to do.
 */
int rs_kafkatxn_check_brokers(const rs_kafkaclient_t *client, int timeout_ms,
                              char *errstr, size_t errstr_size);

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

/*
 * After a fatal error the producer was made anew (rk, the old handle
 * destroyed with the transaction it had open): init_transactions on rk
 * (which fences the old producer's epoch and aborts what it left open),
 * then as after an abort: settled(0), the epoch moves on, the next
 * transaction is held back. 0, or -1 (errstr; fatal stays set).
 */
int rs_kafkatxn_restart(rs_kafkatxn_t *tx, rd_kafka_t *rk,
                        const rs_kafkaclient_t *client, char *errstr,
                        size_t errstr_size);

/* Milliseconds to wait before a transaction may begin; 0: now. */
int64_t rs_kafkatxn_hold_ms(const rs_kafkatxn_t *tx);

/* Abort what is open (unless fatal) and free the positions. */
void rs_kafkatxn_close(rs_kafkatxn_t *tx);

#endif
