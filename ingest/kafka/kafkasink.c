/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kafkasink.c - events to Kafka with delivery tracking; see kafkasink.h.
 *
 * Each batch gets a track: how many of its messages are unacknowledged,
 * and for each input partition the offset after its last line. Tracks
 * complete strictly in batch order, so a committed offset never passes a
 * line whose events are not yet on the broker.
 *
 * Exactly-once: the tracks still count deliveries (for the health check)
 * but report no offsets; the open transaction (kafkatxn.c) keeps its own
 * table of input positions, sent with the commit. What /metrics says was
 * written (lines, events by class, dead letters, latencies) is held with
 * the open transaction too and added only when it commits: the lines of
 * an aborted one are read and counted again. After an abort the next
 * transaction waits (kafkatxn.h: hold_until_ms) while the sink serves
 * delivery reports and a rebalance's close request.
 *
 * Length (about 970 lines): delivery tracking, commit ordering, the
 * dead-letter path and the producer renewal after an outage all act on
 * the same in-flight table from the sink thread; the transaction calls
 * themselves live in kafkatxn.c.
 */
#include "kafka/kafkasink.h"

#include <librdkafka/rdkafka.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/client.h"
#include "kafka/kafkatxn.h"
#include "observe/log.h"
#include "observe/metrics.h"
#include "util/clock.h"

#define RETRY_BACKOFF_MS 500
/* Exactly-once: a fatal producer error within this long of an outage of
 * the producer's brokers is taken as the outage's doing, not a fence. */
#define RENEW_AFTER_OUTAGE_MS 120000
#define RENEW_MAX 3 /* producers made anew in a row without a commit */
/* Exactly-once: how long the start check waits for the brokers' API
 * versions (a loopback broker answers in milliseconds; an unreachable one
 * is left to init_transactions to name). */
#define PROBE_MS 5000

typedef struct track {
	long outstanding;
	uint64_t txn; /* exactly-once: the transaction it was produced in */
	int64_t created_ms;
	rs_kafka_position_t *pos;
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
	/* What the client was made from, kept to make the producer anew. */
	rs_kafka_prop_t defaults[7];
	rs_kafkaclient_conf_t cc;
	int renewals; /* in a row, without a commit in between */
	track_t *head, *tail;
	retry_t *retries;
	atomic_int abandon;
	/* created_ms of the oldest batch not yet acknowledged, 0: none;
	 * written on the sink thread, read by the health check. */
	atomic_int_fast64_t oldest_ms;
	/* 1 while work is held that may still need the input again or an
	 * answer from the broker: messages waiting to be produced again, a
	 * transaction open, failed (its abort pending) or just aborted (the
	 * hold before the next one). Written on the sink thread (update_busy),
	 * read by the source's idle check (rs_kafkasink_busy). */
	atomic_int busy;
	uint64_t delivered, dead_lettered;
	int64_t last_error_log_ms;
	int64_t last_stall_log_ms;
	uint64_t discarded;
	rs_kafkatxn_t tx; /* exactly-once (conf.txn set); the sink thread */
	/* Exactly-once, held until the open transaction ends. */
	rs_counts_t txn_counts;         /* its batches' counts */
	rs_metrics_latencies_t txn_lat; /* its events' latencies */
	uint64_t txn_dead;              /* its dead letters */
	rs_counts_t committed;          /* every committed transaction's */
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
		if (sk->tx.open && t->txn == sk->tx.seq &&
		    rkm->err != RD_KAFKA_RESP_ERR__PURGE_QUEUE &&
		    rkm->err != RD_KAFKA_RESP_ERR__PURGE_INFLIGHT) {
			sk->tx.failed = 1;
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

/* Recompute sk->busy. @locality sink thread. */
static void update_busy(rs_kafkasink_t *sk)
{
	int busy = sk->retries != NULL;

	if (sk->conf.txn != NULL) {
		busy = busy || sk->tx.open || sk->tx.failed ||
		       rs_kafkatxn_hold_ms(&sk->tx) > 0;
	}
	atomic_store(&sk->busy, busy);
}

/*
 * rs_kafkatxn_t.settled: a transaction was committed or aborted. What
 * a committed one wrote now counts; an aborted one's lines are read and
 * counted again.
 */
static void settled(void *opaque, int committed)
{
	rs_kafkasink_t *sk = opaque;
	rs_metrics_t *m = sk->conf.metrics;

	complete_tracks(sk);
	if (committed) {
		rs_counts_add(&sk->committed, &sk->txn_counts);
		sk->dead_lettered += sk->txn_dead;
		sk->renewals = 0;
	}
	if (m != NULL && committed) {
		rs_metrics_add_counts(m, &sk->txn_counts);
		rs_metrics_add_latencies(m, &sk->txn_lat);
		if (sk->txn_dead > 0) {
			rs_metrics_inc(m, RS_METRIC_DEAD_LETTERED,
			               sk->txn_dead);
		}
		rs_metrics_inc(m, RS_METRIC_TXN_COMMITTED, 1);
		rs_metrics_observe_commit(m, (double)sk->tx.commit_ms / 1000.0);
	} else if (m != NULL) {
		rs_metrics_inc(m, RS_METRIC_TXN_ABORTED, 1);
	}
	memset(&sk->txn_counts, 0, sizeof(sk->txn_counts));
	memset(&sk->txn_lat, 0, sizeof(sk->txn_lat));
	sk->txn_dead = 0;
	update_busy(sk);
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
	update_busy(sk);
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
			if (!sk->tx.failed) {
				rs_log(RS_LOG_WARN, "kafka",
				       "cannot produce; the transaction will "
				       "be aborted",
				       "topic=%s error=\"%s\"", topic,
				       rd_kafka_err2str(err));
			}
			sk->tx.failed = 1;
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

/* Offset after the last line of each input partition in the batch, or
 * the positions the pipeline set (rollups still open hold them back). */
static int batch_positions(const rs_batch_t *b, track_t *t)
{
	if (b->has_positions) {
		if (b->npositions == 0) {
			return 0;
		}
		t->pos = malloc(b->npositions * sizeof(*t->pos));
		if (t->pos == NULL) {
			return -1;
		}
		for (size_t i = 0; i < b->npositions; i++) {
			t->pos[i].topic = b->positions[i].topic;
			t->pos[i].partition = b->positions[i].partition;
			t->pos[i].next_offset = b->positions[i].next_offset;
		}
		t->npos = b->npositions;
		return 0;
	}
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
			rs_kafka_position_t *p =
			    realloc(t->pos, (k + 1) * sizeof(*p));
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

/* Is the producer's fatal error a fence by another producer? */
static int fatal_is_fence(rs_kafkasink_t *sk)
{
	char why[512];
	rd_kafka_resp_err_t err =
	    rd_kafka_fatal_error(sk->rk, why, sizeof(why));

	return err == RD_KAFKA_RESP_ERR__FENCED ||
	       err == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
	       err == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH;
}

/*
 * A transactional call failed (rc < 0, errstr says why). When the
 * producer's error is fatal and an outage of its brokers explains it -
 * the broker aborted the transaction after transaction.timeout.ms and
 * moved the producer's epoch on, or answered the abort after timed-out
 * messages with INVALID_TXN_STATE - make the producer anew and carry on
 * as after an abort (the lines are read again from the committed
 * offsets): 0. A fence with no outage near it (another instance with the
 * same transactional.id), RENEW_MAX renewals in a row without a commit,
 * or a new producer that cannot start: rc, and the stage stops.
 */
static int txn_recover(rs_kafkasink_t *sk, int rc, char *errstr,
                       size_t errstr_size)
{
	int64_t outage = rs_kafkaclient_last_outage_ms(sk->client);
	int fence;
	char why[1024];

	if (rc >= 0 || !sk->tx.fatal || atomic_load(&sk->abandon)) {
		return rc;
	}
	fence = fatal_is_fence(sk);
	if ((fence && (outage == 0 ||
	               rs_clock_mono_ms() - outage > RENEW_AFTER_OUTAGE_MS)) ||
	    sk->renewals >= RENEW_MAX) {
		/* Said, so that an exit 3 names the rule that chose it. */
		rs_log(RS_LOG_WARN, "kafka",
		       "fatal producer error; the producer is not made anew",
		       "reason=\"%s\" renewals=%d",
		       sk->renewals >= RENEW_MAX
		           ? "made anew too often without a commit"
		           : "fenced with no outage of the brokers near it",
		       sk->renewals);
		return rc;
	}
	snprintf(why, sizeof(why), "%s", errstr);
	rs_log(RS_LOG_WARN, "kafka",
	       "fatal producer error after an outage of the brokers; making "
	       "the producer anew",
	       "error=\"%s\" outage_ended_s_ago=%lld renewal=%d", why,
	       (long long)((rs_clock_mono_ms() - outage) / 1000),
	       sk->renewals + 1);
	sk->renewals++;
	/* Drop what the old producer holds: its transaction is lost and
	 * its events are produced again after the rewind. */
	rd_kafka_purge(sk->rk,
	               RD_KAFKA_PURGE_F_QUEUE | RD_KAFKA_PURGE_F_INFLIGHT);
	rd_kafka_poll(sk->rk, 0);
	if (rs_kafkaclient_renew(sk->client, &sk->cc, errstr, errstr_size) <
	    0) {
		sk->rk = NULL;
		return -1;
	}
	sk->rk = rs_kafkaclient_handle(sk->client);
	while (sk->head != NULL) {
		track_t *t = sk->head;

		sk->head = t->next;
		free(t->pos);
		free(t);
	}
	sk->tail = NULL;
	atomic_store(&sk->oldest_ms, 0);
	return rs_kafkatxn_restart(&sk->tx, sk->rk, sk->client, errstr,
	                           errstr_size);
}

/*
 * After an abort: wait until the back-off has passed before a new
 * transaction begins, serving delivery reports and a rebalance's close
 * request meanwhile. 0, or -1 when told to give up or fatal (errstr).
 */
static int txn_hold(rs_kafkasink_t *sk, char *errstr, size_t errstr_size)
{
	int64_t left;

	while ((left = rs_kafkatxn_hold_ms(&sk->tx)) > 0) {
		serve(sk, left < 100 ? (int)left : 100);
		if (rs_kafkatxn_serve_close(&sk->tx, errstr, errstr_size) < 0) {
			return -1;
		}
		if (atomic_load(&sk->abandon)) {
			snprintf(errstr, errstr_size,
			         "stopped while waiting to retry after an "
			         "aborted transaction");
			return -1;
		}
	}
	return 0;
}

/* rs_sink_t.write */
static int sk_write(rs_sink_t *sink, rs_batch_t *b, char *errstr,
                    size_t errstr_size)
{
	rs_kafkasink_t *sk = sink->ctx;
	track_t *t;
	int64_t now = rs_clock_wall_ms();

	if (sk->conf.txn != NULL) {
		if (txn_recover(sk, txn_hold(sk, errstr, errstr_size), errstr,
		                errstr_size) < 0 ||
		    txn_recover(
			sk,
			rs_kafkatxn_serve_close(&sk->tx, errstr, errstr_size),
			errstr, errstr_size) < 0) {
			return -1;
		}
		if (rs_kafkatxn_hold_ms(&sk->tx) > 0 &&
		    txn_recover(sk, txn_hold(sk, errstr, errstr_size), errstr,
		                errstr_size) < 0) {
			return -1; /* held again after a renewal */
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
		if (rs_kafkatxn_begin(&sk->tx, errstr, errstr_size) < 0) {
			if (txn_recover(sk, -1, errstr, errstr_size) < 0) {
				return -1;
			}
			/* The producer is new and the epoch moved on: this
			 * batch is read again, like one of an older epoch. */
			memset(&b->counts, 0, sizeof(b->counts));
			sk->discarded++;
			return 0;
		}
	}
	t = calloc(1, sizeof(*t));
	if (t == NULL || batch_positions(b, t) < 0 ||
	    (sk->conf.txn != NULL &&
	     rs_kafkatxn_add(&sk->tx, t->pos, t->npos) < 0)) {
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
	t->txn = sk->tx.seq;
	t->outstanding = 1; /* held until every message is queued */
	t->created_ms = rs_clock_mono_ms();
	if (sk->head == t) {
		atomic_store(&sk->oldest_ms, t->created_ms);
	}
	for (size_t i = 0; i < b->nevents; i++) {
		const rs_event_meta_t *m = &b->events[i];
		/* A rollup belongs to no line of this batch. */
		const rs_line_t *l =
		    m->line_idx < b->nlines ? &b->lines[m->line_idx] : NULL;

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
		if (sk->conf.metrics != NULL && l != NULL && l->ts_ms > 0 &&
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
		sk->tx.nevents += (long)(b->nevents + b->nbad);
		return txn_recover(
		    sk, rs_kafkatxn_maybe_commit(&sk->tx, errstr, errstr_size),
		    errstr, errstr_size);
	}
	return 0;
}

/* rs_sink_t.tick */
static int sk_tick(rs_sink_t *sink, char *errstr, size_t errstr_size)
{
	rs_kafkasink_t *sk = sink->ctx;

	serve(sk, 0);
	if (sk->conf.txn != NULL) {
		if (txn_recover(
			sk,
			rs_kafkatxn_serve_close(&sk->tx, errstr, errstr_size),
			errstr, errstr_size) < 0) {
			return -1;
		}
		return txn_recover(
		    sk, rs_kafkatxn_maybe_commit(&sk->tx, errstr, errstr_size),
		    errstr, errstr_size);
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
		uint64_t aborts = sk->tx.aborts;

		if (txn_recover(
			sk,
			rs_kafkatxn_serve_close(&sk->tx, errstr, errstr_size),
			errstr, errstr_size) < 0) {
			return -1;
		}
		if (sk->tx.open &&
		    txn_recover(
			sk, rs_kafkatxn_commit(&sk->tx, errstr, errstr_size),
			errstr, errstr_size) < 0) {
			return -1;
		}
		if (sk->tx.aborts != aborts) {
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
	rs_kafkasink_t *sk = calloc(1, sizeof(*sk));

	if (sk == NULL) {
		snprintf(errstr, errstr_size, "out of memory");
		return NULL;
	}
	_Static_assert(sizeof(defaults) == sizeof(sk->defaults),
	               "the sink keeps its client's defaults");
	memcpy(sk->defaults, defaults, sizeof(defaults));
	sk->conf = *conf;
	if (sk->conf.drain_timeout <= 0) {
		sk->conf.drain_timeout = 30;
	}
	atomic_init(&sk->abandon, 0);
	atomic_init(&sk->oldest_ms, 0);
	atomic_init(&sk->busy, 0);
	cc = rs_kafkaclient_conf(
	    RD_KAFKA_PRODUCER, "producer", conf->brokers, sk->defaults,
	    RS_KAFKA_NPROPS(defaults) - (conf->txn != NULL ? 0 : 1));
	rs_kafkaclient_conf_user(&cc, conf->props, conf->nprops,
	                         conf->stats_interval_ms);
	cc.on_delivery = on_delivery;
	cc.opaque = sk;
	sk->cc = cc;
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
		sk->tx.rk = sk->rk;
		sk->tx.sync = conf->txn;
		sk->tx.transactional_id = conf->transactional_id;
		sk->tx.abandon = &sk->abandon;
		sk->tx.interval = conf->txn_interval;
		sk->tx.max_events = conf->txn_events;
		sk->tx.settled = settled;
		sk->tx.opaque = sk;
		/* Before init_transactions: a broker that refuses here
		 * has seen nothing of this transactional.id. */
		if ((conf->check_brokers &&
		     rs_kafkatxn_check_brokers(sk->client, PROBE_MS, errstr,
		                               errstr_size) != 0) ||
		    rs_kafkatxn_start(&sk->tx, sk->client, errstr,
		                      errstr_size) != 0) {
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
	/* A transaction commits the input positions of all it holds, at a
	 * time of its own: rollups cannot stay open past the batch. */
	sk->sink.rollup_flush_each = sk->conf.txn != NULL;
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

int rs_kafkasink_busy(const rs_kafkasink_t *sk)
{
	rs_kafkasink_t *s = (rs_kafkasink_t *)sk;

	return atomic_load(&s->oldest_ms) != 0 || atomic_load(&s->busy);
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
	if (sk->rk != NULL) {
		rs_kafkatxn_close(&sk->tx);
		/* Drop anything still queued: its offsets were never
		 * committed. */
		rd_kafka_purge(sk->rk, RD_KAFKA_PURGE_F_QUEUE |
		                           RD_KAFKA_PURGE_F_INFLIGHT);
		rd_kafka_poll(sk->rk, 0);
	} else {
		free(sk->tx.pos);
	}
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
	free(sk);
}

int rs_kafkasink_fatal(const rs_kafkasink_t *sk)
{
	return sk->tx.fatal;
}

uint64_t rs_kafkasink_txn_commits(const rs_kafkasink_t *sk)
{
	return sk->tx.commits;
}

uint64_t rs_kafkasink_txn_aborts(const rs_kafkasink_t *sk)
{
	return sk->tx.aborts;
}

const rs_counts_t *rs_kafkasink_committed(const rs_kafkasink_t *sk)
{
	return &sk->committed;
}
