/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kafkasink.c - events to Kafka with delivery tracking; see kafkasink.h.
 *
 * Length (about 1,000 lines, over the project's 800): at-least-once
 * delivery tracking and the exactly-once transaction loop drive the same
 * tracks, epochs and commit order; the transaction state shared with the
 * source lives apart in txnsync.c. Split the transaction loop out next.
 *
 * Each batch gets a track: how many of its messages are unacknowledged,
 * and for each input partition the offset after its last line. Tracks
 * complete strictly in batch order, so a committed offset never passes a
 * line whose events are not yet on the broker.
 *
 * Exactly-once: the tracks still count deliveries (for the health check)
 * but report no offsets; the open transaction keeps its own table of
 * input positions, sent with the commit. After an abort the next
 * transaction waits (RETRY_BACKOFF_MS, doubling with each abort in a row
 * up to TXN_BACKOFF_MAX_MS): an error librdkafka returns at once, such as
 * an output topic it holds in error after an authorization failure,
 * would otherwise abort, rewind and fail again as fast as the broker
 * answers. What /metrics says was written
 * (lines, events by class, dead letters, latencies) is held with the
 * open transaction too and added only when it commits: the lines of an
 * aborted one are read and counted again. The transactional calls block
 * (up to TXN_TIMEOUT_MS each) on the sink thread; retriable errors are
 * retried until the stage is told to give up.
 */
#include "kafka/kafkasink.h"

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/client.h"
#include "observe/log.h"
#include "observe/metrics.h"
#include "util/clock.h"

#define RETRY_BACKOFF_MS 500
#define TXN_TIMEOUT_MS 30000
#define TXN_BACKOFF_MAX_MS 10000 /* longest wait after aborts in a row */

typedef struct position {
	const char *topic;
	int32_t partition;
	int64_t next_offset;
} position_t;

typedef struct track {
	long outstanding;
	uint64_t txn; /* exactly-once: the transaction it was produced in */
	int64_t created_ms;
	position_t *pos;
	size_t npos;
	struct track *next;
} track_t;

/* A message whose delivery failed, waiting to be produced again. */
typedef struct retry {
	char *topic;
	void *payload;
	size_t len;
	void *key;
	size_t key_len;
	rd_kafka_headers_t *headers;
	track_t *track;
	int64_t due_ms;
	struct retry *next;
} retry_t;

struct rs_kafkasink {
	rs_sink_t sink;
	rs_kafkasink_conf_t conf;
	rs_kafkaclient_t *client;
	rd_kafka_t *rk; /* the client's handle */
	track_t *head, *tail;
	retry_t *retries;
	atomic_int abandon;
	/* created_ms of the oldest batch not yet acknowledged, 0: none;
	 * written on the sink thread, read by the health check. */
	atomic_int_fast64_t oldest_ms;
	uint64_t delivered, dead_lettered;
	int64_t last_error_log_ms;
	int64_t last_stall_log_ms;
	/* Exactly-once, all on the sink thread. */
	int txn_open;
	int txn_failed; /* a message of the open transaction failed */
	int fatal;
	uint64_t txn_seq; /* the open (or last) transaction's number */
	int64_t txn_started_ms;
	int64_t txn_hold_until_ms; /* no transaction begins before, after an
	                              abort */
	int64_t txn_backoff_ms;    /* the last wait; 0 after a commit */
	long txn_nevents;
	position_t *txn_pos; /* input positions in the open transaction */
	size_t txn_npos, txn_cap;
	rs_counts_t txn_counts;         /* the open transaction's batches */
	rs_metrics_latencies_t txn_lat; /* ... their events' latencies */
	uint64_t txn_dead;              /* ... their dead letters */
	rs_counts_t committed;          /* every committed transaction's */
	uint64_t txn_commits, txn_aborts, discarded;
};

/*
 * Keep a copy of a message to produce again after a back-off (takes
 * ownership of hdrs). Out of memory: the track never completes, so its
 * offsets are never committed and the lines are read again after a
 * restart - nothing is lost.
 */
static void add_retry(rs_kafkasink_t *sk, const char *topic, const void *p,
                      size_t n, const void *key, size_t key_len,
                      rd_kafka_headers_t *hdrs, track_t *t)
{
	retry_t *r = calloc(1, sizeof(*r));

	if (hdrs == NULL) {
		hdrs = rd_kafka_headers_new(0);
	}
	if (r == NULL) {
		goto fail;
	}
	r->topic = strdup(topic);
	r->payload = malloc(n ? n : 1);
	r->key = malloc(key_len ? key_len : 1);
	if (r->topic == NULL || r->payload == NULL || r->key == NULL) {
		free(r->topic);
		free(r->payload);
		free(r->key);
		free(r);
		goto fail;
	}
	if (n > 0) {
		memcpy(r->payload, p, n);
	}
	r->len = n;
	if (key != NULL && key_len > 0) {
		memcpy(r->key, key, key_len);
		r->key_len = key_len;
	}
	r->headers = hdrs;
	r->track = t;
	r->due_ms = rs_clock_mono_ms() + RETRY_BACKOFF_MS;
	r->next = sk->retries;
	sk->retries = r;
	return;
fail:
	if (hdrs != NULL) {
		rd_kafka_headers_destroy(hdrs);
	}
}

/* Delivery report. @locality sink thread, inside rd_kafka_poll. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                        void *opaque)
{
	rs_kafkasink_t *sk = opaque;
	track_t *t = rkm->_private;
	rd_kafka_headers_t *hdrs = NULL;
	int64_t now;

	(void)rk;
	if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		t->outstanding--;
		sk->delivered++;
		rs_kafkaclient_reachable(sk->client);
		return;
	}
	if (sk->conf.metrics != NULL) {
		rs_metrics_inc(sk->conf.metrics, RS_METRIC_PRODUCE_ERRORS, 1);
	}
	if (sk->conf.txn != NULL) {
		/* No retry inside a transaction: it is aborted and its lines
		 * are read again. */
		t->outstanding--;
		if (sk->txn_open && t->txn == sk->txn_seq &&
		    rkm->err != RD_KAFKA_RESP_ERR__PURGE_QUEUE &&
		    rkm->err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
			sk->txn_failed = 1;
			rs_log(RS_LOG_WARN, "kafka",
			       "delivery failed; the transaction will be "
			       "aborted",
			       "topic=%s error=\"%s\"",
			       rd_kafka_topic_name(rkm->rkt),
			       rd_kafka_err2str(rkm->err));
		}
		return;
	}
	now = rs_clock_mono_ms();
	if (now - sk->last_error_log_ms >= 5000) {
		rs_log(RS_LOG_ERROR, "kafka",
		       "delivery failed; offsets are held back and the message "
		       "is retried",
		       "topic=%s error=\"%s\"", rd_kafka_topic_name(rkm->rkt),
		       rd_kafka_err2str(rkm->err));
		sk->last_error_log_ms = now;
	}
	/* Keep a copy and produce it again later. */
	if (rd_kafka_message_headers(rkm, &hdrs) !=
	    RD_KAFKA_RESP_ERR_NO_ERROR) {
		hdrs = NULL;
	}
	add_retry(sk, rd_kafka_topic_name(rkm->rkt), rkm->payload, rkm->len,
	          rkm->key, rkm->key_len,
	          hdrs ? rd_kafka_headers_copy(hdrs) : NULL, t);
}

/* Produce the retries that are due. */
static void run_retries(rs_kafkasink_t *sk)
{
	int64_t now = rs_clock_mono_ms();
	retry_t **pp = &sk->retries;

	while (*pp != NULL) {
		retry_t *r = *pp;
		rd_kafka_resp_err_t err;

		if (r->due_ms > now) {
			pp = &r->next;
			continue;
		}
		err = rd_kafka_producev(
		    sk->rk, RD_KAFKA_V_TOPIC(r->topic),
		    RD_KAFKA_V_VALUE(r->payload, r->len),
		    RD_KAFKA_V_KEY(r->key_len ? r->key : NULL, r->key_len),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_OPAQUE(r->track), RD_KAFKA_V_HEADERS(r->headers),
		    RD_KAFKA_V_END);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			r->due_ms = now + RETRY_BACKOFF_MS;
			pp = &r->next;
			continue;
		}
		/* headers now belong to librdkafka */
		*pp = r->next;
		free(r->topic);
		free(r->payload);
		free(r->key);
		free(r);
	}
}

/* Hand completed tracks' offsets to the source, in batch order. */
static void complete_tracks(rs_kafkasink_t *sk)
{
	rs_source_t *src = sk->conf.source;

	while (sk->head != NULL && sk->head->outstanding == 0) {
		track_t *t = sk->head;

		for (size_t i = 0;
		     i < t->npos && src != NULL && src->ack != NULL; i++) {
			src->ack(src, t->pos[i].topic, t->pos[i].partition,
			         t->pos[i].next_offset);
		}
		sk->head = t->next;
		if (sk->head == NULL) {
			sk->tail = NULL;
		}
		free(t->pos);
		free(t);
	}
	atomic_store(&sk->oldest_ms,
	             sk->head != NULL ? sk->head->created_ms : 0);
}

/* Say so when the oldest batch has waited long for its acknowledgements. */
static void report_stall(rs_kafkasink_t *sk)
{
	int64_t now = rs_clock_mono_ms();
	long waiting = 0;

	if (sk->head == NULL || now - sk->head->created_ms < 10000 ||
	    now - sk->last_stall_log_ms < 10000) {
		return;
	}
	for (track_t *t = sk->head; t != NULL; t = t->next) {
		waiting += t->outstanding;
	}
	rs_log(RS_LOG_WARN, "kafka",
	       "events are not acknowledged; input offsets are held back",
	       "topic=%s waiting=%ld oldest_s=%lld", sk->conf.topic, waiting,
	       (long long)((now - sk->head->created_ms) / 1000));
	sk->last_stall_log_ms = now;
}

/* Serve delivery reports and retries without blocking longer than ms. */
static void serve(rs_kafkasink_t *sk, int ms)
{
	rd_kafka_poll(sk->rk, ms);
	run_retries(sk);
	complete_tracks(sk);
	report_stall(sk);
}

/*
 * Warn at start-up when a topic we write to does not exist: the producer
 * would otherwise hold the events quietly until message.timeout.ms.
 */
static void check_topic(rs_kafkasink_t *sk, const char *topic)
{
	const struct rd_kafka_metadata *md = NULL;
	rd_kafka_topic_t *rkt = rd_kafka_topic_new(sk->rk, topic, NULL);
	rd_kafka_resp_err_t err;

	if (rkt == NULL) {
		return;
	}
	err = rd_kafka_metadata(sk->rk, 0, rkt, &md, 5000);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		rs_log(RS_LOG_WARN, "kafka", "cannot read the topic's metadata",
		       "topic=%s error=\"%s\"", topic, rd_kafka_err2str(err));
	} else if (md->topic_cnt == 1 && md->topics[0].err) {
		rs_log(
		    RS_LOG_ERROR, "kafka",
		    "output topic does not exist or is not writable; events "
		    "are held back and no input offset is committed until it "
		    "is",
		    "topic=%s error=\"%s\"", topic,
		    rd_kafka_err2str(md->topics[0].err));
	}
	if (md != NULL) {
		rd_kafka_metadata_destroy(md);
	}
	rd_kafka_topic_destroy(rkt);
}

/* Produce one message, waiting while the local queue is full. */
static int produce(rs_kafkasink_t *sk, const char *topic, const void *p,
                   size_t n, const void *key, size_t key_len, track_t *t,
                   const char *h1, const char *v1, const char *h2,
                   const char *v2, char *errstr, size_t errstr_size)
{
	for (;;) {
		rd_kafka_resp_err_t err = rd_kafka_producev(
		    sk->rk, RD_KAFKA_V_TOPIC(topic),
		    RD_KAFKA_V_VALUE((void *)p, n),
		    RD_KAFKA_V_KEY(key_len ? key : NULL, key_len),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		    RD_KAFKA_V_OPAQUE(t),
		    RD_KAFKA_V_HEADER(h1, v1, (ssize_t)strlen(v1)),
		    RD_KAFKA_V_HEADER(h2, v2, (ssize_t)strlen(v2)),
		    RD_KAFKA_V_END);

		if (err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			t->outstanding++;
			return 0;
		}
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL &&
		    sk->conf.txn != NULL) {
			/* The transaction cannot hold this message: abort. */
			if (!sk->txn_failed) {
				rs_log(RS_LOG_WARN, "kafka",
				       "cannot produce; the transaction will "
				       "be aborted",
				       "topic=%s error=\"%s\"", topic,
				       rd_kafka_err2str(err));
			}
			sk->txn_failed = 1;
			return 0;
		}
		if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			/* E.g. an unknown topic: hold the offsets and retry
			 * until the topic is there. */
			rd_kafka_headers_t *h = rd_kafka_headers_new(2);
			int64_t now = rs_clock_mono_ms();

			rd_kafka_header_add(h, h1, -1, v1, -1);
			rd_kafka_header_add(h, h2, -1, v2, -1);
			add_retry(sk, topic, p, n, key, key_len, h, t);
			t->outstanding++;
			if (now - sk->last_error_log_ms >= 5000) {
				rs_log(RS_LOG_ERROR, "kafka",
				       "cannot produce; offsets are held back "
				       "and the message is retried",
				       "topic=%s error=\"%s\"", topic,
				       rd_kafka_err2str(err));
				sk->last_error_log_ms = now;
			}
			return 0;
		}
		/* Back-pressure: wait for the broker to take some. */
		serve(sk, 100);
		if (atomic_load(&sk->abandon)) {
			snprintf(errstr, errstr_size,
			         "stopped while the output queue was full");
			return -1;
		}
	}
}

/* Offset after the last line of each input partition in the batch. */
static int batch_positions(const rs_batch_t *b, track_t *t)
{
	for (size_t i = 0; i < b->nlines; i++) {
		const rs_line_t *l = &b->lines[i];
		size_t k;

		if (l->topic == NULL || l->offset < 0) {
			continue;
		}
		for (k = 0; k < t->npos; k++) {
			if (t->pos[k].partition == l->partition &&
			    t->pos[k].topic == l->topic) {
				break;
			}
		}
		if (k == t->npos) {
			position_t *p = realloc(t->pos, (k + 1) * sizeof(*p));
			if (p == NULL) {
				return -1;
			}
			t->pos = p;
			t->npos++;
			p[k].topic = l->topic;
			p[k].partition = l->partition;
			p[k].next_offset = -1;
		}
		if (l->offset + 1 > t->pos[k].next_offset) {
			t->pos[k].next_offset = l->offset + 1;
		}
	}
	return 0;
}

/* ------------------------------------------------------------------ */
/* Transactions (exactly-once)                                         */
/* ------------------------------------------------------------------ */

/* What to do after a transactional call failed. */
enum txn_next { TXN_RETRY, TXN_ABORT, TXN_FATAL };

/*
 * Sort a transactional error (takes ownership of error). A fatal one
 * fills errstr: it means another producer with our transactional.id took
 * over (fenced) or the producer's state is lost.
 */
static enum txn_next txn_sort(rs_kafkasink_t *sk, rd_kafka_error_t *error,
                              const char *call, char *errstr,
                              size_t errstr_size)
{
	enum txn_next next = TXN_RETRY;

	if (rd_kafka_error_is_fatal(error)) {
		snprintf(errstr, errstr_size,
		         "%s: fatal producer error: %s; the producer was "
		         "probably fenced by another instance with "
		         "transactional.id %s (give each instance its own "
		         "kafka.transactional_id)",
		         call, rd_kafka_error_string(error),
		         sk->conf.transactional_id);
		sk->fatal = 1;
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

/* Forget the open transaction's positions and what it would count. */
static void txn_reset(rs_kafkasink_t *sk)
{
	sk->txn_open = 0;
	sk->txn_failed = 0;
	sk->txn_nevents = 0;
	sk->txn_npos = 0;
	memset(&sk->txn_counts, 0, sizeof(sk->txn_counts));
	memset(&sk->txn_lat, 0, sizeof(sk->txn_lat));
	sk->txn_dead = 0;
}

/* The open transaction committed: what it wrote now counts. */
static void txn_count_committed(rs_kafkasink_t *sk, int64_t started_ms)
{
	rs_counts_add(&sk->committed, &sk->txn_counts);
	sk->dead_lettered += sk->txn_dead;
	sk->txn_commits++;
	if (sk->conf.metrics == NULL) {
		return;
	}
	rs_metrics_add_counts(sk->conf.metrics, &sk->txn_counts);
	rs_metrics_add_latencies(sk->conf.metrics, &sk->txn_lat);
	if (sk->txn_dead > 0) {
		rs_metrics_inc(sk->conf.metrics, RS_METRIC_DEAD_LETTERED,
		               sk->txn_dead);
	}
	rs_metrics_inc(sk->conf.metrics, RS_METRIC_TXN_COMMITTED, 1);
	rs_metrics_observe_commit(sk->conf.metrics,
	                          (double)(rs_clock_mono_ms() - started_ms) /
	                              1000.0);
}

/*
 * Abort the open transaction and move the epoch on: every batch read
 * before now is dropped, and the source reads again from the committed
 * offsets. 0, or -1 fatal (errstr).
 */
static int txn_abort(rs_kafkasink_t *sk, char *errstr, size_t errstr_size)
{
	long events = sk->txn_nevents;

	for (;;) {
		rd_kafka_error_t *error =
		    rd_kafka_abort_transaction(sk->rk, TXN_TIMEOUT_MS);

		if (error == NULL) {
			break;
		}
		if (txn_sort(sk, error, "abort_transaction", errstr,
		             errstr_size) == TXN_FATAL) {
			return -1;
		}
		if (atomic_load(&sk->abandon)) {
			snprintf(errstr, errstr_size,
			         "stopped while aborting a transaction");
			return -1;
		}
	}
	txn_reset(sk);
	sk->txn_aborts++;
	if (sk->conf.metrics != NULL) {
		rs_metrics_inc(sk->conf.metrics, RS_METRIC_TXN_ABORTED, 1);
	}
	sk->txn_backoff_ms =
	    sk->txn_backoff_ms == 0 ? RETRY_BACKOFF_MS : sk->txn_backoff_ms * 2;
	if (sk->txn_backoff_ms > TXN_BACKOFF_MAX_MS) {
		sk->txn_backoff_ms = TXN_BACKOFF_MAX_MS;
	}
	sk->txn_hold_until_ms = rs_clock_mono_ms() + sk->txn_backoff_ms;
	rs_txnsync_advance(sk->conf.txn);
	rd_kafka_poll(sk->rk, 0);
	complete_tracks(sk);
	rs_log(RS_LOG_WARN, "kafka",
	       "transaction aborted; its lines are read again from the "
	       "committed offsets",
	       "events=%ld retry_in_ms=%lld", events,
	       (long long)sk->txn_backoff_ms);
	return 0;
}

/*
 * Add the open transaction's input positions to it and commit. An
 * abortable error aborts (and rewinds); retriable ones are retried.
 * 0 (committed or aborted), -1 fatal or given up (errstr).
 */
static int txn_commit(rs_kafkasink_t *sk, char *errstr, size_t errstr_size)
{
	rd_kafka_topic_partition_list_t *list = NULL;
	rd_kafka_consumer_group_metadata_t *cgmd = NULL;
	enum txn_next next = TXN_RETRY;
	int64_t started_ms = rs_clock_mono_ms();
	int rc = 0;

	if (sk->txn_failed) {
		return txn_abort(sk, errstr, errstr_size);
	}
	if (sk->txn_npos > 0) {
		cgmd = rs_txnsync_group(sk->conf.txn);
		if (cgmd == NULL) {
			rs_log(RS_LOG_ERROR, "kafka",
			       "no consumer group metadata to commit the "
			       "offsets with; aborting",
			       NULL);
			return txn_abort(sk, errstr, errstr_size);
		}
		list = rd_kafka_topic_partition_list_new((int)sk->txn_npos);
		for (size_t i = 0; i < sk->txn_npos; i++) {
			rd_kafka_topic_partition_list_add(
			    list, sk->txn_pos[i].topic,
			    sk->txn_pos[i].partition)
			    ->offset = sk->txn_pos[i].next_offset;
		}
		for (;;) {
			rd_kafka_error_t *error =
			    rd_kafka_send_offsets_to_transaction(
				sk->rk, list, cgmd, TXN_TIMEOUT_MS);

			if (error == NULL) {
				break;
			}
			next =
			    txn_sort(sk, error, "send_offsets_to_transaction",
			             errstr, errstr_size);
			if (next != TXN_RETRY) {
				break;
			}
			if (atomic_load(&sk->abandon)) {
				snprintf(errstr, errstr_size,
				         "stopped while committing a "
				         "transaction");
				next = TXN_FATAL;
				break;
			}
		}
	}
	while (next == TXN_RETRY) {
		rd_kafka_error_t *error =
		    rd_kafka_commit_transaction(sk->rk, TXN_TIMEOUT_MS);

		if (error == NULL) {
			break;
		}
		next = txn_sort(sk, error, "commit_transaction", errstr,
		                errstr_size);
		if (next == TXN_RETRY && atomic_load(&sk->abandon)) {
			snprintf(errstr, errstr_size,
			         "stopped while committing a transaction");
			next = TXN_FATAL;
		}
	}
	if (next == TXN_RETRY) {
		txn_count_committed(sk, started_ms);
		txn_reset(sk);
		sk->txn_backoff_ms = 0;
		complete_tracks(sk);
	} else if (next == TXN_ABORT) {
		rc = txn_abort(sk, errstr, errstr_size);
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
static int txn_begin(rs_kafkasink_t *sk, char *errstr, size_t errstr_size)
{
	rd_kafka_error_t *error;

	if (sk->txn_open) {
		return 0;
	}
	error = rd_kafka_begin_transaction(sk->rk);
	if (error != NULL) {
		snprintf(errstr, errstr_size, "begin_transaction: %s",
		         rd_kafka_error_string(error));
		sk->fatal = rd_kafka_error_is_fatal(error);
		rd_kafka_error_destroy(error);
		return -1;
	}
	sk->txn_open = 1;
	sk->txn_seq++;
	sk->txn_started_ms = rs_clock_mono_ms();
	return 0;
}

/* Record the batch's input positions in the open transaction. */
static int txn_add_positions(rs_kafkasink_t *sk, const track_t *t)
{
	for (size_t i = 0; i < t->npos; i++) {
		size_t k;

		for (k = 0; k < sk->txn_npos; k++) {
			if (sk->txn_pos[k].partition == t->pos[i].partition &&
			    sk->txn_pos[k].topic == t->pos[i].topic) {
				break;
			}
		}
		if (k == sk->txn_npos) {
			if (sk->txn_npos == sk->txn_cap) {
				size_t ncap =
				    sk->txn_cap ? sk->txn_cap * 2 : 16;
				position_t *p =
				    realloc(sk->txn_pos, ncap * sizeof(*p));
				if (p == NULL) {
					return -1;
				}
				sk->txn_pos = p;
				sk->txn_cap = ncap;
			}
			sk->txn_pos[k] = t->pos[i];
			sk->txn_npos++;
		} else if (t->pos[i].next_offset > sk->txn_pos[k].next_offset) {
			sk->txn_pos[k].next_offset = t->pos[i].next_offset;
		}
	}
	return 0;
}

/*
 * The source asked, before a rebalance, for the transaction to be
 * closed: commit it (or abort), then move the epoch on so that batches
 * of partitions this member may lose are dropped. 0 or -1 fatal.
 */
static int txn_serve_close(rs_kafkasink_t *sk, char *errstr, size_t errstr_size)
{
	int rc = 0;

	if (!rs_txnsync_close_pending(sk->conf.txn)) {
		return 0;
	}
	if (sk->txn_open) {
		rc = txn_commit(sk, errstr, errstr_size);
	}
	rs_txnsync_advance(sk->conf.txn);
	rs_txnsync_close_done(sk->conf.txn);
	return rc;
}

/* Commit when the open transaction is old or big enough. 0 or -1. */
static int txn_maybe_commit(rs_kafkasink_t *sk, char *errstr,
                            size_t errstr_size)
{
	if (!sk->txn_open) {
		return 0;
	}
	if (sk->txn_failed ||
	    (double)(rs_clock_mono_ms() - sk->txn_started_ms) >=
	        sk->conf.txn_interval * 1000.0 ||
	    sk->txn_nevents >= sk->conf.txn_events) {
		return txn_commit(sk, errstr, errstr_size);
	}
	return 0;
}

/*
 * After an abort: wait until the back-off has passed before a new
 * transaction begins, serving delivery reports and a rebalance's close
 * request meanwhile. 0, or -1 when told to give up or fatal (errstr).
 */
static int txn_hold(rs_kafkasink_t *sk, char *errstr, size_t errstr_size)
{
	for (;;) {
		int64_t left = sk->txn_hold_until_ms - rs_clock_mono_ms();

		if (sk->txn_open || left <= 0) {
			return 0;
		}
		serve(sk, left < 100 ? (int)left : 100);
		if (txn_serve_close(sk, errstr, errstr_size) < 0) {
			return -1;
		}
		if (atomic_load(&sk->abandon)) {
			snprintf(errstr, errstr_size,
			         "stopped while waiting to retry after an "
			         "aborted transaction");
			return -1;
		}
	}
}

/* rs_sink_t.write */
static int sk_write(rs_sink_t *sink, rs_batch_t *b, char *errstr,
                    size_t errstr_size)
{
	rs_kafkasink_t *sk = sink->ctx;
	track_t *t;
	int64_t now = rs_clock_wall_ms();

	if (sk->conf.txn != NULL) {
		if (txn_hold(sk, errstr, errstr_size) < 0 ||
		    txn_serve_close(sk, errstr, errstr_size) < 0) {
			return -1;
		}
		if (b->epoch != rs_txnsync_epoch(sk->conf.txn)) {
			/* Read before an abort or a revocation: its lines are
			 * read again, so neither its events nor its counts. */
			memset(&b->counts, 0, sizeof(b->counts));
			sk->discarded++;
			rs_log(
			    RS_LOG_DEBUG, "kafka",
			    "batch read before an abort or a revocation "
			    "dropped",
			    "batch_epoch=%llu epoch=%llu",
			    (unsigned long long)b->epoch,
			    (unsigned long long)rs_txnsync_epoch(sk->conf.txn));
			return 0;
		}
		if (txn_begin(sk, errstr, errstr_size) < 0) {
			return -1;
		}
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || batch_positions(b, t) < 0 ||
	    (sk->conf.txn != NULL && txn_add_positions(sk, t) < 0)) {
		if (t != NULL) {
			free(t->pos);
		}
		free(t);
		snprintf(errstr, errstr_size, "out of memory");
		return -1;
	}
	/* Queue the track first: deliveries may complete during produce. */
	if (sk->tail != NULL) {
		sk->tail->next = t;
	} else {
		sk->head = t;
	}
	sk->tail = t;
	t->txn = sk->txn_seq;
	t->outstanding = 1; /* held until every message is queued */
	t->created_ms = rs_clock_mono_ms();
	if (sk->head == t) {
		atomic_store(&sk->oldest_ms, t->created_ms);
	}
	for (size_t i = 0; i < b->nevents; i++) {
		const rs_event_meta_t *m = &b->events[i];
		const rs_line_t *l = &b->lines[m->line_idx];

		size_t len = m->len;

		/* JSON events end with the newline of a JSON-lines file;
		 * a message is one object. */
		if (sk->conf.json && len > 0 &&
		    b->out.data[m->off + len - 1] == '\n') {
			len--;
		}
		if (produce(sk, sk->conf.topic, b->out.data + m->off, len,
		            b->keys.data + m->key_off, m->key_len, t,
		            "content-type",
		            sk->conf.json ? "application/json"
		                          : "application/x-protobuf",
		            "replyscan-schema", "replyscan.v1.DeferralEvent",
		            errstr, errstr_size) < 0) {
			return -1;
		}
		if (sk->conf.metrics != NULL && l->ts_ms > 0 &&
		    now >= l->ts_ms) {
			double secs = (double)(now - l->ts_ms) / 1000.0;

			if (sk->conf.txn != NULL) {
				rs_metrics_latencies_observe(&sk->txn_lat,
				                             secs);
			} else {
				rs_metrics_observe_latency(sk->conf.metrics,
				                           secs);
			}
		}
	}
	if (sk->conf.dead_letter != NULL && sk->conf.dead_letter[0] != '\0') {
		for (size_t i = 0; i < b->nbad; i++) {
			const rs_line_t *l = &b->lines[b->bad[i].line_idx];
			char where[256];

			snprintf(where, sizeof(where), "%s/%d/%lld",
			         l->topic ? l->topic : "?", l->partition,
			         (long long)l->offset);
			if (produce(sk, sk->conf.dead_letter, l->p, l->len,
			            NULL, 0, t, "replyscan-error",
			            b->bad[i].why, "replyscan-source", where,
			            errstr, errstr_size) < 0) {
				return -1;
			}
			if (sk->conf.txn != NULL) {
				sk->txn_dead++;
			} else {
				sk->dead_lettered++;
			}
		}
		if (sk->conf.metrics != NULL && b->nbad > 0 &&
		    sk->conf.txn == NULL) {
			rs_metrics_inc(sk->conf.metrics,
			               RS_METRIC_DEAD_LETTERED, b->nbad);
		}
	}
	t->outstanding--;
	if (sk->conf.txn != NULL) {
		/* Counted when the transaction commits (the pipeline's
		 * totals too: rs_kafkasink_committed). */
		rs_counts_add(&sk->txn_counts, &b->counts);
		memset(&b->counts, 0, sizeof(b->counts));
	} else if (sk->conf.metrics != NULL) {
		rs_metrics_add_counts(sk->conf.metrics, &b->counts);
	}
	serve(sk, 0);
	if (sk->conf.txn != NULL) {
		sk->txn_nevents += (long)(b->nevents + b->nbad);
		return txn_maybe_commit(sk, errstr, errstr_size);
	}
	return 0;
}

/* rs_sink_t.tick */
static int sk_tick(rs_sink_t *sink, char *errstr, size_t errstr_size)
{
	rs_kafkasink_t *sk = sink->ctx;

	serve(sk, 0);
	if (sk->conf.txn != NULL) {
		if (txn_serve_close(sk, errstr, errstr_size) < 0) {
			return -1;
		}
		return txn_maybe_commit(sk, errstr, errstr_size);
	}
	return 0;
}

/* rs_sink_t.flush: wait until every track has completed. */
static int sk_flush(rs_sink_t *sink, char *errstr, size_t errstr_size)
{
	rs_kafkasink_t *sk = sink->ctx;
	int64_t deadline =
	    rs_clock_mono_ms() + (int64_t)(sk->conf.drain_timeout * 1000);

	if (sk->conf.txn != NULL) {
		uint64_t aborts = sk->txn_aborts;

		if (txn_serve_close(sk, errstr, errstr_size) < 0) {
			return -1;
		}
		if (sk->txn_open && txn_commit(sk, errstr, errstr_size) < 0) {
			return -1;
		}
		if (sk->txn_aborts != aborts) {
			snprintf(errstr, errstr_size,
			         "the last transaction was aborted while "
			         "stopping; its lines are read again at the "
			         "next start");
			return -1;
		}
	}
	while (sk->head != NULL) {
		serve(sk, 100);
		if (atomic_load(&sk->abandon) ||
		    rs_clock_mono_ms() > deadline) {
			long n = 0;
			for (track_t *t = sk->head; t != NULL; t = t->next) {
				n += t->outstanding;
			}
			snprintf(
			    errstr, errstr_size,
			    "%ld messages were not acknowledged within "
			    "%.0f s; their input offsets are not committed "
			    "and will be read again",
			    n, sk->conf.drain_timeout);
			return -1;
		}
	}
	return 0;
}

rs_kafkasink_t *rs_kafkasink_new(const rs_kafkasink_conf_t *conf, char *errstr,
                                 size_t errstr_size)
{
	/* Ours first; the user's properties may override them. */
	const rs_kafka_prop_t defaults[] = {
	    {"enable.idempotence", "true"},
	    {"compression.type",
	     conf->compression != NULL ? conf->compression : "lz4"},
	    {"linger.ms", "5"},
	    {"queue.buffering.max.kbytes", "32768"},
	    {"message.timeout.ms", "30000"},
	    {"client.id", "replyscan"},
	    /* Only with exactly-once (the last entry, counted out below). */
	    {"transactional.id", conf->transactional_id},
	};
	rs_kafkaclient_conf_t cc;
	rd_kafka_error_t *error;
	rs_kafkasink_t *sk = calloc(1, sizeof(*sk));

	if (sk == NULL) {
		snprintf(errstr, errstr_size, "out of memory");
		return NULL;
	}
	sk->conf = *conf;
	if (sk->conf.drain_timeout <= 0) {
		sk->conf.drain_timeout = 30;
	}
	atomic_init(&sk->abandon, 0);
	atomic_init(&sk->oldest_ms, 0);
	memset(&cc, 0, sizeof(cc));
	cc.type = RD_KAFKA_PRODUCER;
	cc.name = "producer";
	cc.section = "kafka.producer";
	cc.brokers = conf->brokers;
	cc.defaults = defaults;
	cc.ndefaults = sizeof(defaults) / sizeof(defaults[0]) -
	               (conf->txn != NULL ? 0 : 1);
	cc.props = conf->props;
	cc.nprops = conf->nprops;
	cc.stats_interval_ms =
	    conf->stats_interval_ms > 0 ? conf->stats_interval_ms : 5000;
	cc.on_delivery = on_delivery;
	cc.opaque = sk;
	sk->client = rs_kafkaclient_new(&cc, errstr, errstr_size);
	if (sk->client == NULL) {
		free(sk);
		return NULL;
	}
	sk->rk = rs_kafkaclient_handle(sk->client);
	check_topic(sk, sk->conf.topic);
	/* A producer's error events are served by rd_kafka_poll. */
	rd_kafka_poll(sk->rk, 0);
	if (rs_kafkaclient_failure(sk->client) != NULL) {
		snprintf(errstr, errstr_size,
		         "the producer cannot connect to the brokers: %s",
		         rs_kafkaclient_failure(sk->client));
		rs_kafkaclient_destroy(sk->client);
		free(sk);
		return NULL;
	}
	if (conf->txn != NULL) {
		if (sk->conf.txn_interval <= 0) {
			sk->conf.txn_interval = 1;
		}
		if (sk->conf.txn_events <= 0) {
			sk->conf.txn_events = 100000;
		}
		/* Also aborts what a previous instance with this
		 * transactional.id left open (after a kill -9). */
		error = rd_kafka_init_transactions(sk->rk, TXN_TIMEOUT_MS);
		/* A TLS or SASL refusal makes init_transactions time out;
		 * its error events wait for rd_kafka_poll: serve them, so
		 * that the cause is named, not the timeout. */
		rd_kafka_poll(sk->rk, 0);
		if (error != NULL &&
		    rs_kafkaclient_failure(sk->client) != NULL) {
			snprintf(errstr, errstr_size,
			         "the producer cannot connect to the brokers: "
			         "%s",
			         rs_kafkaclient_failure(sk->client));
		} else if (error != NULL) {
			rd_kafka_resp_err_t code = rd_kafka_error_code(error);
			const char *hint = "";

			if (code == RD_KAFKA_RESP_ERR__UNSUPPORTED_FEATURE ||
			    code == RD_KAFKA_RESP_ERR_UNSUPPORTED_VERSION) {
				hint = "; the broker does not support "
				       "transactions (Kafka 2.5 or later is "
				       "needed for exactly-once with a "
				       "consumer group)";
			} else if (code == RD_KAFKA_RESP_ERR__TIMED_OUT) {
				/* Seen with Kafka 4.4: the coordinator
				 * never loads and nothing else is said. */
				hint = "; no transaction coordinator answered "
				       "in time: a broker that cannot create "
				       "its __transaction_state topic "
				       "(transaction.state.log."
				       "replication.factor above the number "
				       "of brokers) says so in its log and "
				       "never answers";
			}
			snprintf(errstr, errstr_size,
			         "cannot start transactions (transactional.id "
			         "%s): %s%s",
			         conf->transactional_id,
			         rd_kafka_error_string(error), hint);
		}
		if (error != NULL) {
			rd_kafka_error_destroy(error);
			rs_kafkaclient_destroy(sk->client);
			free(sk);
			return NULL;
		}
	}
	if (sk->conf.dead_letter != NULL && sk->conf.dead_letter[0] != '\0') {
		check_topic(sk, sk->conf.dead_letter);
	}
	sk->sink.write = sk_write;
	sk->sink.flush = sk_flush;
	sk->sink.tick = sk_tick;
	sk->sink.ctx = sk;
	return sk;
}

rs_sink_t *rs_kafkasink_sink(rs_kafkasink_t *sk)
{
	return &sk->sink;
}

void rs_kafkasink_abandon(rs_kafkasink_t *sk)
{
	atomic_store(&sk->abandon, 1);
}

uint64_t rs_kafkasink_delivered(const rs_kafkasink_t *sk)
{
	return sk->delivered;
}

uint64_t rs_kafkasink_dead_lettered(const rs_kafkasink_t *sk)
{
	return sk->dead_lettered;
}

int64_t rs_kafkasink_oldest_unacked_ms(const rs_kafkasink_t *sk)
{
	return atomic_load(&((rs_kafkasink_t *)sk)->oldest_ms);
}

const rs_kafkaclient_t *rs_kafkasink_client(const rs_kafkasink_t *sk)
{
	return sk->client;
}

void rs_kafkasink_destroy(rs_kafkasink_t *sk)
{
	if (sk == NULL) {
		return;
	}
	if (sk->conf.txn != NULL && sk->txn_open && !sk->fatal) {
		/* Not committed: its lines are read again at the next start. */
		rd_kafka_error_t *error =
		    rd_kafka_abort_transaction(sk->rk, 5000);
		if (error != NULL) {
			rd_kafka_error_destroy(error);
		}
	}
	/* Drop anything still queued: its offsets were never committed. */
	rd_kafka_purge(sk->rk,
	               RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_poll(sk->rk, 0);
	rs_kafkaclient_destroy(sk->client);
	while (sk->retries != NULL) {
		retry_t *r = sk->retries;
		sk->retries = r->next;
		if (r->headers != NULL) {
			rd_kafka_headers_destroy(r->headers);
		}
		free(r->topic);
		free(r->payload);
		free(r->key);
		free(r);
	}
	while (sk->head != NULL) {
		track_t *t = sk->head;
		sk->head = t->next;
		free(t->pos);
		free(t);
	}
	free(sk->txn_pos);
	free(sk);
}

int rs_kafkasink_fatal(const rs_kafkasink_t *sk)
{
	return sk->fatal;
}

uint64_t rs_kafkasink_txn_commits(const rs_kafkasink_t *sk)
{
	return sk->txn_commits;
}

uint64_t rs_kafkasink_txn_aborts(const rs_kafkasink_t *sk)
{
	return sk->txn_aborts;
}

const rs_counts_t *rs_kafkasink_committed(const rs_kafkasink_t *sk)
{
	return &sk->committed;
}
