/* SPDX-License-Identifier: Apache-2.0 */
/*
 * txnsync.h - what the exactly-once source and sink share: the rewind
 * epoch, the consumer group's metadata and the handshake that closes the
 * open transaction before partitions are revoked.
 *
 * The epoch: every batch carries the epoch the source read it in
 * (rs_batch_t.epoch). When the sink aborts a transaction it moves the
 * epoch on; from then it drops every batch of an older epoch (read before
 * the abort, so its events would be produced twice or out of order), and
 * the source, on seeing the new epoch, seeks its partitions back to the
 * committed offsets and stamps what it reads next with the new epoch.
 *
 * The group metadata (generation, member id) is taken on the source
 * thread after each assignment and handed to the sink as bytes, so the
 * sink never reads the consumer's state while librdkafka changes it.
 *
 * Revocation: the source, inside the rebalance callback, asks the sink
 * to close its transaction (commit, or abort if it cannot) and waits;
 * the sink answers from its own thread at its next write or tick and
 * moves the epoch on, so batches of revoked partitions still in flight
 * are dropped. After the pipeline has ended nobody answers: the stage
 * says so (rs_txnsync_sink_gone) and requests return at once.
 *
 * @locality any thread; every function takes the one lock.
 */
#ifndef RS_KAFKA_TXNSYNC_H
#define RS_KAFKA_TXNSYNC_H

#include <librdkafka/rdkafka.h>
#include <stdint.h>

typedef struct rs_txnsync rs_txnsync_t;

/* NULL when out of memory. */
rs_txnsync_t *rs_txnsync_new(void);
void rs_txnsync_destroy(rs_txnsync_t *ts);

/* The current epoch (starts at 1). */
uint64_t rs_txnsync_epoch(rs_txnsync_t *ts);

/* The sink aborted (or gave partitions up): a new epoch, returned. */
uint64_t rs_txnsync_advance(rs_txnsync_t *ts);

/* The source: the group metadata of the current generation. 0 or -1. */
int rs_txnsync_set_group(rs_txnsync_t *ts,
                         const rd_kafka_consumer_group_metadata_t *cgmd);

/* The sink: a new copy of the last metadata (the caller destroys it with
 * rd_kafka_consumer_group_metadata_destroy), or NULL before the first
 * assignment. */
rd_kafka_consumer_group_metadata_t *rs_txnsync_group(rs_txnsync_t *ts);

/*
 * The source: ask the sink to close the open transaction and wait up to
 * timeout_ms. 0 when the sink answered (or is gone), -1 on timeout.
 */
int rs_txnsync_close_request(rs_txnsync_t *ts, int timeout_ms);

/* The sink: 1 when a close is asked for and not yet answered. */
int rs_txnsync_close_pending(rs_txnsync_t *ts);

/* The sink: the transaction is closed and the epoch moved on. */
void rs_txnsync_close_done(rs_txnsync_t *ts);

/* The stage: the sink thread answers no more requests. */
void rs_txnsync_sink_gone(rs_txnsync_t *ts);

#endif
