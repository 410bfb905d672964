/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kafkatxn.c - the Kafka sink's exactly-once transactions; see kafkatxn.h.
 *
 * Errors of the transactional calls are sorted three ways (txn_sort):
 * fatal (fenced, or the producer's state is lost: the stage stops),
 * abortable (abort, move the epoch on, the lines are read again) and
 * retriable (the call is made again until the stage gives up).
 */
#include "kafka/kafkatxn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "observe/log.h"
#include "util/clock.h"

/* What to do after a transactional call failed. */
enum txn_next { TXN_RETRY, TXN_ABORT, TXN_FATAL };

/*
 * Sort a transactional error (takes ownership of error). A fatal one
 * fills errstr: it means another producer with our transactional.id took
 * over (fenced) or the producer's state is lost.
 */
static enum txn_next txn_sort(rs_kafkatxn_t *tx, rd_kafka_error_t *error,
                              const char *call, char *errstr,
                              size_t errstr_size)
{
	enum txn_next next = TXN_RETRY;

	if (rd_kafka_error_is_fatal(error)) {
		rd_kafka_resp_err_t code = rd_kafka_error_code(error);

		/* Only a fence names another instance: INVALID_TXN_STATE
		 * and the like say the broker's view of the transaction
		 * and the producer's parted (the sink makes the producer
		 * anew for those). */
		if (code == RD_KAFKA_RESP_ERR__FENCED ||
		    code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
		    code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH) {
			snprintf(errstr, errstr_size,
			         "%s: fatal producer error: %s; the producer "
			         "was probably fenced by another instance "
			         "with transactional.id %s (give each "
			         "instance its own kafka.transactional_id)",
			         call, rd_kafka_error_string(error),
			         tx->transactional_id);
		} else {
			snprintf(errstr, errstr_size,
			         "%s: fatal producer error (%s): %s; the "
			         "broker no longer agrees with the producer "
			         "on the state of transactional.id %s",
			         call, rd_kafka_err2name(code),
			         rd_kafka_error_string(error),
			         tx->transactional_id);
		}
		tx->fatal = 1;
		next = TXN_FATAL;
	} else if (rd_kafka_error_txn_requires_abort(error)) {
		rs_log(RS_LOG_WARN, "kafka",
		       "transaction must be aborted; its lines will be read "
		       "again",
		       "call=%s error=\"%s\"", call,
		       rd_kafka_error_string(error));
		next = TXN_ABORT;
	} else {
		rs_log(RS_LOG_WARN, "kafka",
		       "transactional call failed; retrying",
		       "call=%s error=\"%s\" retriable=%d", call,
		       rd_kafka_error_string(error),
		       rd_kafka_error_is_retriable(error));
	}
	rd_kafka_error_destroy(error);
	return next;
}

/* Forget the open transaction's positions. */
static void txn_reset(rs_kafkatxn_t *tx)
{
	tx->open = 0;
	tx->failed = 0;
	tx->nevents = 0;
	tx->npos = 0;
}

/*
 * The open transaction is gone (aborted, or lost with the producer):
 * count it, hold the next one back (longer after each in a row), move
 * the epoch on so that the source rewinds, and let the sink settle.
 */
static void txn_aborted(rs_kafkatxn_t *tx)
{
	txn_reset(tx);
	tx->aborts++;
	tx->backoff_ms =
	    tx->backoff_ms == 0 ? RS_KAFKATXN_BACKOFF_MS : tx->backoff_ms * 2;
	if (tx->backoff_ms > RS_KAFKATXN_BACKOFF_MAX_MS) {
		tx->backoff_ms = RS_KAFKATXN_BACKOFF_MAX_MS;
	}
	tx->hold_until_ms = rs_clock_mono_ms() + tx->backoff_ms;
	rs_txnsync_advance(tx->sync);
	rd_kafka_poll(tx->rk, 0);
	tx->settled(tx->opaque, 0);
}

/*
 * Abort the open transaction and move the epoch on: every batch read
 * before now is dropped, and the source reads again from the committed
 * offsets. 0, or -1 fatal (errstr).
 */
static int txn_abort(rs_kafkatxn_t *tx, char *errstr, size_t errstr_size)
{
	long events = tx->nevents;
	int64_t since_ms = rs_clock_mono_ms();

	for (;;) {
		rd_kafka_error_t *error;

		/* The abort waits until the delivery report of every
		 * outstanding message has been served, and this thread is
		 * the one that serves them: wait in short slices and serve
		 * them in between, or the abort only ever ends by its
		 * timeout (with the input idle meanwhile). */
		rd_kafka_poll(tx->rk, 0);
		error = rd_kafka_abort_transaction(tx->rk,
		                                   RS_KAFKATXN_ABORT_SLICE_MS);
		if (error == NULL) {
			break;
		}
		if (rd_kafka_error_code(error) ==
		        RD_KAFKA_RESP_ERR__TIMED_OUT &&
		    !rd_kafka_error_is_fatal(error) &&
		    !rd_kafka_error_txn_requires_abort(error) &&
		    rs_clock_mono_ms() - since_ms < RS_KAFKATXN_TIMEOUT_MS &&
		    !atomic_load(tx->abandon)) {
			/* Still waiting on reports: not worth a warning yet. */
			rd_kafka_error_destroy(error);
			continue;
		}
		since_ms = rs_clock_mono_ms();
		if (txn_sort(tx, error, "abort_transaction", errstr,
		             errstr_size) == TXN_FATAL) {
			return -1;
		}
		if (atomic_load(tx->abandon)) {
			snprintf(errstr, errstr_size,
			         "stopped while aborting a transaction");
			return -1;
		}
	}
	txn_aborted(tx);
	rs_log(RS_LOG_WARN, "kafka",
	       "transaction aborted; its lines are read again from the "
	       "committed offsets",
	       "events=%ld retry_in_ms=%lld", events,
	       (long long)tx->backoff_ms);
	return 0;
}

/*
 * Add the open transaction's input positions to it and commit. An
 * abortable error aborts (and rewinds); retriable ones are retried.
 * 0 (committed or aborted), -1 fatal or given up (errstr).
 */
int rs_kafkatxn_commit(rs_kafkatxn_t *tx, char *errstr, size_t errstr_size)
{
	rd_kafka_topic_partition_list_t *list = NULL;
	rd_kafka_consumer_group_metadata_t *cgmd = NULL;
	enum txn_next next = TXN_RETRY;
	int64_t started_ms = rs_clock_mono_ms();
	int rc = 0;

	if (tx->failed) {
		return txn_abort(tx, errstr, errstr_size);
	}
	if (tx->npos > 0) {
		cgmd = rs_txnsync_group(tx->sync);
		if (cgmd == NULL) {
			rs_log(RS_LOG_ERROR, "kafka",
			       "no consumer group metadata to commit the "
			       "offsets with; aborting",
			       NULL);
			return txn_abort(tx, errstr, errstr_size);
		}
		list = rd_kafka_topic_partition_list_new((int)tx->npos);
		for (size_t i = 0; i < tx->npos; i++) {
			rd_kafka_topic_partition_list_add(
			    list, tx->pos[i].topic, tx->pos[i].partition)
			    ->offset = tx->pos[i].next_offset;
		}
		for (;;) {
			rd_kafka_error_t *error;

			rs_callwatch_enter(tx->watch,
			                   "send_offsets_to_transaction");
			error = rd_kafka_send_offsets_to_transaction(
			    tx->rk, list, cgmd, RS_KAFKATXN_TIMEOUT_MS);
			rs_callwatch_leave(tx->watch);

			if (error == NULL) {
				break;
			}
			next =
			    txn_sort(tx, error, "send_offsets_to_transaction",
			             errstr, errstr_size);
			if (next != TXN_RETRY) {
				break;
			}
			if (atomic_load(tx->abandon)) {
				snprintf(errstr, errstr_size,
				         "stopped while committing a "
				         "transaction");
				next = TXN_FATAL;
				break;
			}
		}
	}
	while (next == TXN_RETRY) {
		rd_kafka_error_t *error;

		rs_callwatch_enter(tx->watch, "commit_transaction");
		error =
		    rd_kafka_commit_transaction(tx->rk, RS_KAFKATXN_TIMEOUT_MS);
		rs_callwatch_leave(tx->watch);

		if (error == NULL) {
			break;
		}
		next = txn_sort(tx, error, "commit_transaction", errstr,
		                errstr_size);
		if (next == TXN_RETRY && atomic_load(tx->abandon)) {
			snprintf(errstr, errstr_size,
			         "stopped while committing a transaction");
			next = TXN_FATAL;
		}
	}
	if (next == TXN_RETRY) {
		tx->commits++;
		tx->commit_ms = rs_clock_mono_ms() - started_ms;
		tx->backoff_ms = 0;
		tx->hold_until_ms = 0; /* a commit ends the back-off */
		txn_reset(tx);
		tx->settled(tx->opaque, 1);
	} else if (next == TXN_ABORT) {
		rc = txn_abort(tx, errstr, errstr_size);
	} else {
		rc = -1;
	}
	if (list != NULL) {
		rd_kafka_topic_partition_list_destroy(list);
	}
	if (cgmd != NULL) {
		rd_kafka_consumer_group_metadata_destroy(cgmd);
	}
	return rc;
}

/* Open a transaction if none is. 0, or -1 (errstr). */
int rs_kafkatxn_begin(rs_kafkatxn_t *tx, char *errstr, size_t errstr_size)
{
	rd_kafka_error_t *error;

	if (tx->open) {
		return 0;
	}
	error = rd_kafka_begin_transaction(tx->rk);
	if (error != NULL) {
		snprintf(errstr, errstr_size, "begin_transaction: %s",
		         rd_kafka_error_string(error));
		tx->fatal = rd_kafka_error_is_fatal(error);
		rd_kafka_error_destroy(error);
		return -1;
	}
	tx->open = 1;
	tx->seq++;
	tx->started_ms = rs_clock_mono_ms();
	return 0;
}

int rs_kafkatxn_add(rs_kafkatxn_t *tx, const rs_kafka_position_t *pos,
                    size_t npos)
{
	for (size_t i = 0; i < npos; i++) {
		size_t k;

		for (k = 0; k < tx->npos; k++) {
			if (tx->pos[k].partition == pos[i].partition &&
			    tx->pos[k].topic == pos[i].topic) {
				break;
			}
		}
		if (k == tx->npos) {
			if (tx->npos == tx->cap) {
				size_t ncap = tx->cap ? tx->cap * 2 : 16;
				rs_kafka_position_t *p =
				    realloc(tx->pos, ncap * sizeof(*p));
				if (p == NULL) {
					return -1;
				}
				tx->pos = p;
				tx->cap = ncap;
			}
			tx->pos[k] = pos[i];
			tx->npos++;
		} else if (pos[i].next_offset > tx->pos[k].next_offset) {
			tx->pos[k].next_offset = pos[i].next_offset;
		}
	}
	return 0;
}

/*
 * The source asked, before a rebalance, for the transaction to be
 * closed: commit it (or abort), then move the epoch on so that batches
 * of partitions this member may lose are dropped. 0 or -1 fatal.
 */
int rs_kafkatxn_serve_close(rs_kafkatxn_t *tx, char *errstr, size_t errstr_size)
{
	int rc = 0;

	if (!rs_txnsync_close_pending(tx->sync)) {
		return 0;
	}
	if (tx->open) {
		rc = rs_kafkatxn_commit(tx, errstr, errstr_size);
	}
	rs_txnsync_advance(tx->sync);
	rs_txnsync_close_done(tx->sync);
	return rc;
}

/* Commit when the open transaction is old or big enough. 0 or -1. */
int rs_kafkatxn_maybe_commit(rs_kafkatxn_t *tx, char *errstr,
                             size_t errstr_size)
{
	if (!tx->open) {
		return 0;
	}
	if (tx->failed ||
	    (double)(rs_clock_mono_ms() - tx->started_ms) >=
	        tx->interval * 1000.0 ||
	    tx->nevents >= tx->max_events) {
		return rs_kafkatxn_commit(tx, errstr, errstr_size);
	}
	return 0;
}

/* The Kafka releases whose highest TxnOffsetCommit version is v. */
static const char *txn_offset_commit_releases(int v)
{
	switch (v) {
	case 0:
		return "Kafka 0.11 to 1.1";
	case 1:
		return "Kafka 2.0";
	case 2:
		return "Kafka 2.1 to 2.4";
	default:
		return "an unknown Kafka release";
	}
}

int rs_kafkatxn_check_brokers(const rs_kafkaclient_t *client, int timeout_ms,
                              char *errstr, size_t errstr_size)
{
	rs_kafka_apiver_t vers[64];
	const rs_kafka_apiver_t *old = NULL;
	int lowest = -1;
	int n = rs_kafkaclient_api_versions(
	    client, RS_KAFKATXN_TXN_OFFSET_COMMIT_API, timeout_ms, vers,
	    sizeof(vers) / sizeof(vers[0]), errstr, errstr_size);

	if (n < 0) {
		return -1;
	}
	for (int i = 0; i < n; i++) {
		if (lowest < 0 || vers[i].max < lowest) {
			lowest = vers[i].max;
		}
		/* -1: no transactions at all, init_transactions says so. */
		if (vers[i].max < 0 ||
		    vers[i].max >= RS_KAFKATXN_KIP447_VERSION) {
			continue;
		}
		/* Name a broker by its id rather than its bootstrap address
		 * when both answered. */
		if (old == NULL || strstr(old->broker, "/bootstrap") != NULL) {
			old = &vers[i];
		}
	}
	if (old == NULL) {
		/* answers=0: nothing known, left to init_transactions. */
		rs_log(RS_LOG_INFO, "kafka",
		       "brokers checked for exactly-once (KIP-447)",
		       "answers=%d txn_offset_commit_max=%d", n, lowest);
		return 0;
	}
	snprintf(errstr, errstr_size,
	         "delivery.guarantee exactly_once needs Kafka 2.5 or later on "
	         "every broker (KIP-447: TxnOffsetCommit version 3, which "
	         "commits the offsets with the consumer group's generation "
	         "and member id, so that an instance that lost its "
	         "partitions is fenced); broker %s serves TxnOffsetCommit up "
	         "to version %d only (%s): use delivery.guarantee "
	         "at_least_once, or upgrade the brokers to Kafka 2.5 or "
	         "later; nothing was committed",
	         old->broker, old->max, txn_offset_commit_releases(old->max));
	return -1;
}

int rs_kafkatxn_start(rs_kafkatxn_t *tx, const rs_kafkaclient_t *client,
                      char *errstr, size_t errstr_size)
{
	rd_kafka_error_t *error;

	if (tx->interval <= 0) {
		tx->interval = 1;
	}
	if (tx->max_events <= 0) {
		tx->max_events = 100000;
	}
	if (tx->watch == NULL) {
		/* Without it (no thread) the calls are only not watched. */
		tx->watch = rs_callwatch_new(
		    RS_KAFKATXN_TIMEOUT_MS + RS_KAFKATXN_STUCK_GRACE_MS, 1000,
		    tx->stuck != NULL ? tx->stuck : rs_callwatch_exit,
		    tx->opaque);
	}
	/* Also aborts what a previous instance with this transactional.id
	 * left open (after a kill -9). */
	error = rd_kafka_init_transactions(tx->rk, RS_KAFKATXN_TIMEOUT_MS);
	/* A TLS or SASL refusal makes init_transactions time out; its error
	 * events wait for rd_kafka_poll: serve them, so that the cause is
	 * named, not the timeout. */
	rd_kafka_poll(tx->rk, 0);
	if (error == NULL) {
		return 0;
	}
	if (rs_kafkaclient_failure(client) != NULL) {
		snprintf(errstr, errstr_size,
		         "the producer cannot connect to the brokers: %s",
		         rs_kafkaclient_failure(client));
	} else {
		rd_kafka_resp_err_t code = rd_kafka_error_code(error);
		const char *hint = "";

		if (code == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
		    code == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION) {
			hint = "; the broker does not support transactions "
			       "(Kafka 2.5 or later is needed for exactly-once "
			       "with a consumer group)";
		} else if (code == RD_KAFKA_RESP_ERR__TIMED_OUT) {
			/* Seen with Kafka 4.4: the coordinator never loads
			 * and nothing else is said. */
			hint = "; no transaction coordinator answered in time: "
			       "a broker that cannot create its "
			       "__transaction_state topic (transaction.state."
			       "log.replication.factor above the number of "
			       "brokers) says so in its log and never answers";
		}
		snprintf(errstr, errstr_size,
		         "cannot start transactions (transactional.id %s): "
		         "%s%s",
		         tx->transactional_id, rd_kafka_error_string(error),
		         hint);
	}
	rd_kafka_error_destroy(error);
	return -1;
}

int rs_kafkatxn_restart(rs_kafkatxn_t *tx, rd_kafka_t *rk,
                        const rs_kafkaclient_t *client, char *errstr,
                        size_t errstr_size)
{
	long events = tx->nevents;

	tx->rk = rk;
	tx->fatal = 0;
	if (rs_kafkatxn_start(tx, client, errstr, errstr_size) != 0) {
		tx->fatal = 1;
		return -1;
	}
	txn_aborted(tx);
	rs_log(RS_LOG_WARN, "kafka",
	       "producer made anew; the transaction it lost is aborted and "
	       "its lines are read again from the committed offsets",
	       "events=%ld retry_in_ms=%lld", events,
	       (long long)tx->backoff_ms);
	return 0;
}

int64_t rs_kafkatxn_hold_ms(const rs_kafkatxn_t *tx)
{
	int64_t left = tx->hold_until_ms - rs_clock_mono_ms();

	return tx->open || left < 0 ? 0 : left;
}

void rs_kafkatxn_close(rs_kafkatxn_t *tx)
{
	if (tx->open && !tx->fatal) {
		/* Not committed: its lines are read again at the next start. */
		rd_kafka_error_t *error =
		    rd_kafka_abort_transaction(tx->rk, 5000);

		if (error != NULL) {
			rd_kafka_error_destroy(error);
		}
	}
	rs_callwatch_destroy(tx->watch);
	tx->watch = NULL;
	free(tx->pos);
	tx->pos = NULL;
	tx->npos = tx->cap = 0;
}
