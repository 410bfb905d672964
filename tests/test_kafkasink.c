/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_kafkasink.c - the Kafka sink's delivery tracking and the order of
 * what it lets the source commit, on librdkafka's in-process mock
 * cluster (rd_kafka_mock_cluster_new; no broker needed):
 *
 * - every acknowledged batch reaches the source through rs_source_t.ack,
 *   with the offset after each input partition's last line;
 * - batches acknowledged out of order (a Produce response held back on
 *   one broker) are acked to the source in batch order only;
 * - a delivery that fails (the output topic in error, so the messages
 *   time out) holds the commit back until the sink's retry succeeds, and
 *   is counted in replyscan_produce_errors_total;
 * - exactly-once: an abortable error mid-stream (injected into Produce,
 *   AddPartitionsToTxn, AddOffsetsToTxn, TxnOffsetCommit or EndTxn) aborts
 *   the transaction, moves the epoch on and drops the batches read before
 *   it; a source reading again from the committed offsets then gets every
 *   input event into the committed output exactly once, and /metrics
 *   counts only what was committed;
 * - exactly-once against a broker without transactions (InitProducerId
 *   disabled): the sink refuses to start and says why;
 * - exactly-once against a broker without KIP-447 (TxnOffsetCommit up to
 *   version 2, Kafka 2.1 to 2.4): refused at start, before
 *   init_transactions, naming the releases and what to do.
 *
 * The source is a stand-in that records its acks: the sink knows it only
 * as an rs_source_t. In the exactly-once test it also plays the Kafka
 * source's part (rewind to the committed offsets when the epoch moves).
 * librdkafka 2.0.2's mock cluster neither keeps transactional offset
 * commits nor marks aborted records, so the test keeps both books itself:
 * the committed offsets are the ones the sink sent in transactions that
 * committed (link-time wraps of send_offsets_to_transaction,
 * commit_transaction and abort_transaction, which call the real ones),
 * and the committed output is each committed transaction's stretch of the
 * output partition (its end offset read after the call that ended it).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kafka/client.h"
#include "kafka/kafkasink.h"
#include "kafka/kafkatxn.h"
#include "observe/log.h"
#include "observe/metrics.h"
#include "util/clock.h"

/* The Kafka protocol's ApiKeys. */
#define PRODUCE_API 0
#define INIT_PRODUCER_ID_API 22
#define ADD_PARTITIONS_TO_TXN_API 24
#define ADD_OFFSETS_TO_TXN_API 25
#define END_TXN_API 26
#define TXN_OFFSET_COMMIT_API 28
#define WAIT_MS 20000 /* longest wait for the mock cluster */

/* ------------------------------------------------------------------ */
/* The mock cluster and a recording source                            */
/* ------------------------------------------------------------------ */

typedef struct mock {
	rd_kafka_t *host;
	rd_kafka_mock_cluster_t *mc;
} mock_t;

static void mock_start(mock_t *m, int brokers)
{
	char err[256];
	rd_kafka_conf_t *kc = rd_kafka_conf_new();

	assert_int_equal(
	    rd_kafka_conf_set(kc, "log_level", "3", err, sizeof(err)),
	    RD_KAFKA_CONF_OK);
	m->host = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof(err));
	assert_non_null(m->host);
	m->mc = rd_kafka_mock_cluster_new(m->host, brokers);
	assert_non_null(m->mc);
}

static void mock_stop(mock_t *m)
{
	rd_kafka_mock_cluster_destroy(m->mc);
	rd_kafka_destroy(m->host);
}

typedef struct ack {
	char topic[32];
	int32_t partition;
	int64_t next_offset;
} ack_t;

/* A source that only records what the sink acknowledges. */
typedef struct recorder {
	rs_source_t src;
	ack_t acks[32];
	size_t nacks;
} recorder_t;

static void record_ack(rs_source_t *src, const char *topic, int32_t partition,
                       int64_t next_offset)
{
	recorder_t *r = src->ctx;

	assert_true(r->nacks < sizeof(r->acks) / sizeof(r->acks[0]));
	snprintf(r->acks[r->nacks].topic, sizeof(r->acks[0].topic), "%s",
	         topic);
	r->acks[r->nacks].partition = partition;
	r->acks[r->nacks++].next_offset = next_offset;
}

static void recorder_init(recorder_t *r)
{
	memset(r, 0, sizeof(*r));
	r->src.ack = record_ack;
	r->src.ctx = r;
}

static void assert_ack(const recorder_t *r, size_t i, const char *topic,
                       int32_t partition, int64_t next_offset)
{
	assert_true(i < r->nacks);
	assert_string_equal(r->acks[i].topic, topic);
	assert_int_equal(r->acks[i].partition, partition);
	assert_int_equal(r->acks[i].next_offset, next_offset);
}

/* ------------------------------------------------------------------ */
/* Batches                                                            */
/* ------------------------------------------------------------------ */

/* Input topic names: lines point at them, as at the source's copies. */
static const char topic_in[] = "in";

/*
 * Add n input lines of topic_in/partition from offset first, each with
 * one event keyed by key.
 */
static void add_lines(rs_batch_t *b, int32_t partition, int64_t first, size_t n,
                      const char *key)
{
	static const char line[] = "a log line";

	for (size_t i = 0; i < n; i++) {
		rs_event_meta_t *m;
		char payload[64];
		int len = snprintf(payload, sizeof(payload), "event %d/%lld",
		                   (int)partition, (long long)(first + (int)i));

		assert_int_equal(rs_batch_add_line(b, line, sizeof(line) - 1, 0,
		                                   first + (int64_t)i, 0),
		                 0);
		b->lines[b->nlines - 1].topic = topic_in;
		b->lines[b->nlines - 1].partition = partition;
		b->events =
		    realloc(b->events, (b->nevents + 1) * sizeof(*b->events));
		assert_non_null(b->events);
		m = &b->events[b->nevents++];
		memset(m, 0, sizeof(*m));
		m->line_idx = (uint32_t)(b->nlines - 1);
		m->off = b->out.len;
		rs_buf_append(&b->out, payload, (size_t)len);
		m->len = b->out.len - m->off;
		m->key_off = b->keys.len;
		rs_buf_append(&b->keys, key, strlen(key));
		m->key_len = strlen(key);
	}
}

/* A sink on the mock cluster writing to topic, acking to r. */
static rs_kafkasink_t *sink_new(const mock_t *m, const char *topic,
                                recorder_t *r, rs_metrics_t *metrics,
                                const rs_kafka_prop_t *props, size_t nprops)
{
	rs_kafkasink_conf_t conf;
	rs_kafkasink_t *sk;
	char err[512];

	memset(&conf, 0, sizeof(conf));
	conf.brokers = rd_kafka_mock_cluster_bootstraps(m->mc);
	conf.topic = topic;
	conf.compression = "none";
	conf.props = props;
	conf.nprops = nprops;
	conf.source = &r->src;
	conf.metrics = metrics;
	conf.drain_timeout = 20;
	sk = rs_kafkasink_new(&conf, err, sizeof(err));
	if (sk == NULL) {
		fail_msg("sink: %s", err);
	}
	return sk;
}

/* Serve the sink until done(ctx) or WAIT_MS; 1 when done. */
static int serve_until(rs_kafkasink_t *sk, int (*done)(void *ctx), void *ctx)
{
	rs_sink_t *s = rs_kafkasink_sink(sk);
	int64_t deadline = rs_clock_mono_ms() + WAIT_MS;
	char err[256];

	while (!done(ctx)) {
		if (rs_clock_mono_ms() > deadline) {
			return 0;
		}
		assert_int_equal(s->tick(s, err, sizeof(err)), 0);
		usleep(10000);
	}
	return 1;
}

typedef struct want {
	rs_kafkasink_t *sk;
	recorder_t *r;
	uint64_t delivered;
	size_t nacks;
	rs_metrics_t *metrics;
} want_t;

static int delivered_at_least(void *ctx)
{
	want_t *w = ctx;

	return rs_kafkasink_delivered(w->sk) >= w->delivered;
}

static int acks_at_least(void *ctx)
{
	want_t *w = ctx;

	return w->r->nacks >= w->nacks;
}

/* The sum of a series' samples (name with or without labels) from the
 * rendered metrics; 0 when absent. */
static uint64_t metric_sum(rs_metrics_t *m, const char *name)
{
	rs_buf_t buf = {0};
	uint64_t n = 0;
	size_t len = strlen(name);

	rs_metrics_render(m, &buf);
	rs_buf_putc(&buf, '\0');
	for (const char *p = buf.data; p != NULL && *p != '\0';) {
		const char *nl = strchr(p, '\n');

		if (strncmp(p, name, len) == 0 &&
		    (p[len] == ' ' || p[len] == '{')) {
			const char *v = nl != NULL ? nl : p + strlen(p);

			while (v > p && v[-1] != ' ') {
				v--;
			}
			n += strtoull(v, NULL, 10);
		}
		p = nl != NULL ? nl + 1 : NULL;
	}
	rs_buf_free(&buf);
	return n;
}

static uint64_t produce_errors(rs_metrics_t *m)
{
	return metric_sum(m, "replyscan_produce_errors_total");
}

static int failed_once(void *ctx)
{
	want_t *w = ctx;

	return produce_errors(w->metrics) >= 1;
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

/* Each batch's offsets reach the source's ack, per input partition. */
static void test_acks_reach_source(void **state)
{
	mock_t m;
	recorder_t r;
	rs_kafkasink_t *sk;
	rs_batch_t a = {0}, b = {0};
	rs_sink_t *s;
	char err[256];

	(void)state;
	mock_start(&m, 1);
	rd_kafka_mock_topic_create(m.mc, "out", 2, 1);
	recorder_init(&r);
	sk = sink_new(&m, "out", &r, NULL, NULL, 0);
	s = rs_kafkasink_sink(sk);

	add_lines(&a, 0, 0, 3, "x.example");
	add_lines(&a, 1, 100, 2, "y.example");
	add_lines(&b, 0, 3, 1, "x.example");
	/* A line without events moves the offset too. */
	assert_int_equal(rs_batch_add_line(&b, "skipped", 7, 0, 4, 0), 0);
	b.lines[b.nlines - 1].topic = topic_in;
	b.lines[b.nlines - 1].partition = 0;
	assert_int_equal(s->write(s, &a, err, sizeof(err)), 0);
	assert_int_equal(s->write(s, &b, err, sizeof(err)), 0);
	assert_int_equal(s->flush(s, err, sizeof(err)), 0);

	assert_int_equal(rs_kafkasink_delivered(sk), 6);
	assert_int_equal(r.nacks, 3);
	assert_ack(&r, 0, "in", 0, 3);
	assert_ack(&r, 1, "in", 1, 102);
	assert_ack(&r, 2, "in", 0, 5);
	assert_int_equal(rs_kafkasink_oldest_unacked_ms(sk), 0);

	rs_batch_free(&a);
	rs_batch_free(&b);
	rs_kafkasink_destroy(sk);
	mock_stop(&m);
}

/*
 * Two batches of one input partition, their events on output partitions
 * led by two brokers; broker 1 answers its first Produce 1.5 s late, so
 * the second batch is acknowledged first. Nothing is acked to the source
 * until the first batch is in; then both, in batch order.
 */
static void test_out_of_order_acks_commit_in_order(void **state)
{
	static const rs_kafka_prop_t props[] = {{"partitioner", "consistent"}};
	mock_t m;
	recorder_t r;
	rs_kafkasink_t *sk;
	rs_batch_t a = {0}, b = {0};
	rd_kafka_topic_t *rkt;
	char key[2][16];
	want_t w;
	rs_sink_t *s;
	char err[256];

	(void)state;
	mock_start(&m, 2);
	rd_kafka_mock_topic_create(m.mc, "out", 2, 1);
	assert_int_equal(rd_kafka_mock_partition_set_leader(m.mc, "out", 0, 1),
	                 RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_int_equal(rd_kafka_mock_partition_set_leader(m.mc, "out", 1, 2),
	                 RD_KAFKA_RESP_ERR_NO_ERROR);
	/* A key for each output partition, as the producer will place it. */
	rkt = rd_kafka_topic_new(m.host, "out", NULL);
	assert_non_null(rkt);
	for (int p = 0; p < 2; p++) {
		for (int i = 0;; i++) {
			snprintf(key[p], sizeof(key[p]), "k%d", i);
			if (rd_kafka_msg_partitioner_consistent(
				rkt, key[p], strlen(key[p]), 2, NULL, NULL) ==
			    p) {
				break;
			}
		}
	}
	rd_kafka_topic_destroy(rkt);

	recorder_init(&r);
	sk = sink_new(&m, "out", &r, NULL, props, 1);
	s = rs_kafkasink_sink(sk);
	/* Let the producer know the cluster before the race starts. */
	add_lines(&a, 5, 0, 1, key[0]);
	add_lines(&a, 5, 1, 1, key[1]);
	assert_int_equal(s->write(s, &a, err, sizeof(err)), 0);
	assert_int_equal(s->flush(s, err, sizeof(err)), 0);
	assert_int_equal(r.nacks, 1);
	rs_batch_free(&a);
	memset(&a, 0, sizeof(a));
	r.nacks = 0;

	assert_int_equal(
	    rd_kafka_mock_broker_push_request_error_rtts(
		m.mc, 1, PRODUCE_API, 1, RD_KAFKA_RESP_ERR_NO_ERROR, 1500),
	    RD_KAFKA_RESP_ERR_NO_ERROR);
	add_lines(&a, 0, 0, 3, key[0]); /* slow: broker 1 */
	add_lines(&b, 0, 3, 4, key[1]); /* fast: broker 2 */
	add_lines(&b, 1, 50, 1, key[1]);
	assert_int_equal(s->write(s, &a, err, sizeof(err)), 0);
	assert_int_equal(s->write(s, &b, err, sizeof(err)), 0);

	/* The second batch is on the broker, the first is not: held. */
	memset(&w, 0, sizeof(w));
	w.sk = sk;
	w.r = &r;
	w.delivered = 2 + 5;
	assert_true(serve_until(sk, delivered_at_least, &w));
	assert_int_equal(rs_kafkasink_delivered(sk), 2 + 5);
	assert_int_equal(r.nacks, 0);
	assert_true(rs_kafkasink_oldest_unacked_ms(sk) != 0);

	/* Then the first: both batches, first one first. */
	w.nacks = 3;
	assert_true(serve_until(sk, acks_at_least, &w));
	assert_int_equal(rs_kafkasink_delivered(sk), 2 + 8);
	assert_int_equal(r.nacks, 3);
	assert_ack(&r, 0, "in", 0, 3);
	assert_ack(&r, 1, "in", 0, 7);
	assert_ack(&r, 2, "in", 1, 51);
	assert_int_equal(s->flush(s, err, sizeof(err)), 0);
	assert_int_equal(rs_kafkasink_oldest_unacked_ms(sk), 0);

	rs_batch_free(&a);
	rs_batch_free(&b);
	rs_kafkasink_destroy(sk);
	mock_stop(&m);
}

/*
 * The output topic fails (its metadata says it does not exist), so the
 * batch's messages time out after 1 s: counted as produce errors, and
 * nothing is acked while the sink retries them. Once the topic is back
 * the retries are delivered and the offsets acked.
 */
static void test_failed_delivery_holds_commit(void **state)
{
	static const rs_kafka_prop_t props[] = {{"message.timeout.ms", "1000"}};
	mock_t m;
	recorder_t r;
	rs_metrics_t *metrics = rs_metrics_new();
	rs_kafkasink_t *sk;
	rs_batch_t a = {0};
	want_t w;
	rs_sink_t *s;
	char err[256];

	(void)state;
	assert_non_null(metrics);
	mock_start(&m, 1);
	rd_kafka_mock_topic_create(m.mc, "out", 1, 1);
	rd_kafka_mock_topic_set_error(m.mc, "out",
	                              RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
	recorder_init(&r);
	sk = sink_new(&m, "out", &r, metrics, props, 1);
	s = rs_kafkasink_sink(sk);
	add_lines(&a, 0, 0, 2, "x.example");
	assert_int_equal(s->write(s, &a, err, sizeof(err)), 0);

	memset(&w, 0, sizeof(w));
	w.sk = sk;
	w.r = &r;
	w.metrics = metrics;
	assert_true(serve_until(sk, failed_once, &w));
	assert_int_equal(rs_kafkasink_delivered(sk), 0);
	assert_int_equal(r.nacks, 0);
	assert_true(rs_kafkasink_oldest_unacked_ms(sk) != 0);

	rd_kafka_mock_topic_set_error(m.mc, "out", RD_KAFKA_RESP_ERR_NO_ERROR);
	w.nacks = 1;
	assert_true(serve_until(sk, acks_at_least, &w));
	assert_int_equal(rs_kafkasink_delivered(sk), 2);
	assert_ack(&r, 0, "in", 0, 2);
	assert_int_equal(rs_kafkasink_oldest_unacked_ms(sk), 0);
	assert_int_equal(r.nacks, 1);

	rs_batch_free(&a);
	rs_kafkasink_destroy(sk);
	rs_metrics_destroy(metrics);
	mock_stop(&m);
}

/* ------------------------------------------------------------------ */
/* Exactly-once: the books the mock cluster does not keep             */
/* ------------------------------------------------------------------ */

#define EOS_PARTS 2  /* input partitions */
#define EOS_LINES 60 /* lines (one event each) per input partition */
#define EOS_BATCH 4  /* lines per batch */
#define EOS_TXN_EVENTS 12

/* Offsets sent in the open transaction, and those committed. */
static int64_t eos_pending[EOS_PARTS];
static int64_t eos_committed[EOS_PARTS];

rd_kafka_error_t *__real_rd_kafka_send_offsets_to_transaction(
    rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *offsets,
    const rd_kafka_consumer_group_metadata_t *cgmetadata, int timeout_ms);
rd_kafka_error_t *__wrap_rd_kafka_send_offsets_to_transaction(
    rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *offsets,
    const rd_kafka_consumer_group_metadata_t *cgmetadata, int timeout_ms);
rd_kafka_error_t *__real_rd_kafka_commit_transaction(rd_kafka_t *rk,
                                                     int timeout_ms);
rd_kafka_error_t *__wrap_rd_kafka_commit_transaction(rd_kafka_t *rk,
                                                     int timeout_ms);
rd_kafka_error_t *__real_rd_kafka_abort_transaction(rd_kafka_t *rk,
                                                    int timeout_ms);
rd_kafka_error_t *__wrap_rd_kafka_abort_transaction(rd_kafka_t *rk,
                                                    int timeout_ms);

/* The offsets go to the real call; they count once the commit does. */
rd_kafka_error_t *__wrap_rd_kafka_send_offsets_to_transaction(
    rd_kafka_t *rk, const rd_kafka_topic_partition_list_t *offsets,
    const rd_kafka_consumer_group_metadata_t *cgmetadata, int timeout_ms)
{
	rd_kafka_error_t *error = __real_rd_kafka_send_offsets_to_transaction(
	    rk, offsets, cgmetadata, timeout_ms);

	if (error == NULL) {
		for (int i = 0; i < offsets->cnt; i++) {
			int32_t p = offsets->elems[i].partition;

			assert_string_equal(offsets->elems[i].topic, "in");
			assert_true(p >= 0 && p < EOS_PARTS);
			eos_pending[p] = offsets->elems[i].offset;
		}
	}
	return error;
}

rd_kafka_error_t *__wrap_rd_kafka_commit_transaction(rd_kafka_t *rk,
                                                     int timeout_ms)
{
	rd_kafka_error_t *error =
	    __real_rd_kafka_commit_transaction(rk, timeout_ms);

	if (error == NULL) {
		memcpy(eos_committed, eos_pending, sizeof(eos_committed));
	}
	return error;
}

rd_kafka_error_t *__wrap_rd_kafka_abort_transaction(rd_kafka_t *rk,
                                                    int timeout_ms)
{
	rd_kafka_error_t *error =
	    __real_rd_kafka_abort_transaction(rk, timeout_ms);

	if (error == NULL) {
		memcpy(eos_pending, eos_committed, sizeof(eos_pending));
	}
	return error;
}

/* Stretches [from, to) of the output partition, committed or aborted. */
typedef struct stretch {
	int64_t from, to;
	int committed;
} stretch_t;

typedef struct eos_run {
	mock_t m;
	rd_kafka_t *reader; /* watermarks and the final read */
	rs_kafkasink_t *sk;
	rs_sink_t *s;
	rs_txnsync_t *ts;
	stretch_t stretches[256];
	size_t nstretches;
	int64_t end; /* end of the last closed transaction */
	uint64_t commits, aborts;
} eos_run_t;

/* The output partition's end offset, as the broker has it. */
static int64_t out_end(eos_run_t *r)
{
	int64_t lo = -1, hi = -1;

	assert_int_equal(rd_kafka_query_watermark_offsets(r->reader, "out", 0,
	                                                  &lo, &hi, WAIT_MS),
	                 RD_KAFKA_RESP_ERR_NO_ERROR);
	return hi;
}

/* After a call into the sink: the transaction it closed, if any, ends at
 * the partition's end (nothing of the next one is produced yet). */
static void note_txn_end(eos_run_t *r)
{
	uint64_t c = rs_kafkasink_txn_commits(r->sk);
	uint64_t a = rs_kafkasink_txn_aborts(r->sk);
	int64_t end;

	if (c == r->commits && a == r->aborts) {
		return;
	}
	assert_int_equal((c - r->commits) + (a - r->aborts), 1);
	end = out_end(r);
	assert_true(r->nstretches <
	            sizeof(r->stretches) / sizeof(r->stretches[0]));
	r->stretches[r->nstretches].from = r->end;
	r->stretches[r->nstretches].to = end;
	r->stretches[r->nstretches++].committed = c != r->commits;
	r->end = end;
	r->commits = c;
	r->aborts = a;
}

/* A batch of EOS_BATCH lines of partition p from offset first, read in
 * epoch; one event each, counted as the pipeline would. */
static void eos_batch(rs_batch_t *b, int32_t p, int64_t first, uint64_t epoch)
{
	size_t n = EOS_LINES - first < EOS_BATCH ? (size_t)(EOS_LINES - first)
	                                         : EOS_BATCH;

	memset(b, 0, sizeof(*b));
	add_lines(b, p, first, n, p == 0 ? "x.example" : "y.example");
	b->epoch = epoch;
	b->counts.lines = n;
	b->counts.bytes = n * 11;
	b->counts.events = n;
	b->counts.by_cause_stage[RS_CAUSE_RATE_LIMIT][RS_STAGE_RCPT_TO] = n;
}

/* One input event's index from its payload "event P/OFFSET". */
static int event_index(const rd_kafka_message_t *rkm)
{
	char text[64];
	int p;
	long long off;

	assert_true(rkm->len < sizeof(text));
	memcpy(text, rkm->payload, rkm->len);
	text[rkm->len] = '\0';
	assert_int_equal(sscanf(text, "event %d/%lld", &p, &off), 2);
	assert_true(p >= 0 && p < EOS_PARTS && off >= 0 && off < EOS_LINES);
	return p * EOS_LINES + (int)off;
}

/* Read the output partition to its end; count each input event in the
 * committed stretches (seen) and in all of them (raw). */
static void read_output(eos_run_t *r, int *seen, int *raw)
{
	rd_kafka_topic_partition_list_t *parts =
	    rd_kafka_topic_partition_list_new(1);
	int64_t end = out_end(r);
	int64_t next = 0;
	int64_t deadline = rs_clock_mono_ms() + WAIT_MS;

	rd_kafka_topic_partition_list_add(parts, "out", 0)->offset = 0;
	assert_int_equal(rd_kafka_assign(r->reader, parts),
	                 RD_KAFKA_RESP_ERR_NO_ERROR);
	rd_kafka_topic_partition_list_destroy(parts);
	while (next < end) {
		rd_kafka_message_t *rkm =
		    rd_kafka_consumer_poll(r->reader, 100);
		int committed = 0;
		int i;

		assert_true(rs_clock_mono_ms() < deadline);
		if (rkm == NULL) {
			continue;
		}
		if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			rd_kafka_message_destroy(rkm);
			continue;
		}
		i = event_index(rkm);
		for (size_t k = 0; k < r->nstretches; k++) {
			if (rkm->offset >= r->stretches[k].from &&
			    rkm->offset < r->stretches[k].to) {
				committed = r->stretches[k].committed;
			}
		}
		/* Everything on the log is in a closed transaction. */
		assert_true(rkm->offset < r->end);
		raw[i]++;
		seen[i] += committed;
		next = rkm->offset + 1;
		rd_kafka_message_destroy(rkm);
	}
}

typedef struct inject {
	const char *what;
	int16_t api;
	rd_kafka_resp_err_t err;
	/* The aborted transaction's events are surely on the log (its
	 * commit flushed them first): read_uncommitted readers see them
	 * twice, the committed stretches once. Elsewhere they may be. */
	int leaves_records;
	/* And, when err2 is set, the next request of kind api2 too (an
	 * abort's EndTxn after an abortable error). */
	int16_t api2;
	rd_kafka_resp_err_t err2;
} inject_t;

/*
 * One run: 2 x 60 input lines through the sink in batches of 4, a
 * transaction every 12 events, two batches in flight (as in the
 * pipeline's ring). After the first commit the next request of one kind
 * fails with an abortable error. The stand-in source rewinds to the
 * committed offsets when the epoch moves, as the Kafka source does.
 */
static void eos_run(const inject_t *inj)
{
	eos_run_t r;
	rs_kafkasink_conf_t conf;
	rs_metrics_t *metrics = rs_metrics_new();
	rd_kafka_consumer_group_metadata_t *cgmd;
	rd_kafka_conf_t *kc = rd_kafka_conf_new();
	rs_batch_t queue[2];
	size_t queued = 0;
	int64_t pos[EOS_PARTS] = {0};
	uint64_t epoch;
	int injected = 0;
	int next_part = 0;
	int seen[EOS_PARTS * EOS_LINES] = {0};
	int raw[EOS_PARTS * EOS_LINES] = {0};
	int raw_total = 0;
	char err[512];

	print_message("abortable error in %s (%s)\n", inj->what,
	              rd_kafka_err2name(inj->err));
	memset(&r, 0, sizeof(r));
	memset(eos_pending, 0, sizeof(eos_pending));
	memset(eos_committed, 0, sizeof(eos_committed));
	assert_non_null(metrics);
	mock_start(&r.m, 1);
	rd_kafka_mock_topic_create(r.m.mc, "out", 1, 1);
	assert_int_equal(
	    rd_kafka_conf_set(kc, "bootstrap.servers",
	                      rd_kafka_mock_cluster_bootstraps(r.m.mc), err,
	                      sizeof(err)),
	    RD_KAFKA_CONF_OK);
	assert_int_equal(
	    rd_kafka_conf_set(kc, "group.id", "reader", err, sizeof(err)),
	    RD_KAFKA_CONF_OK);
	r.reader = rd_kafka_new(RD_KAFKA_CONSUMER, kc, err, sizeof(err));
	assert_non_null(r.reader);

	r.ts = rs_txnsync_new();
	assert_non_null(r.ts);
	cgmd = rd_kafka_consumer_group_metadata_new("replyscan");
	assert_int_equal(rs_txnsync_set_group(r.ts, cgmd), 0);
	rd_kafka_consumer_group_metadata_destroy(cgmd);
	memset(&conf, 0, sizeof(conf));
	conf.brokers = rd_kafka_mock_cluster_bootstraps(r.m.mc);
	conf.topic = "out";
	conf.compression = "none";
	conf.metrics = metrics;
	conf.drain_timeout = 20;
	conf.txn = r.ts;
	conf.transactional_id = "replyscan-test";
	conf.txn_interval = 60; /* transactions end by their event count */
	conf.txn_events = EOS_TXN_EVENTS;
	r.sk = rs_kafkasink_new(&conf, err, sizeof(err));
	if (r.sk == NULL) {
		fail_msg("sink: %s", err);
	}
	r.s = rs_kafkasink_sink(r.sk);
	epoch = rs_txnsync_epoch(r.ts);

	for (int round = 0;; round++) {
		int done = 1;

		assert_true(round < 2000);
		if (r.commits >= 1 && !injected) {
			rd_kafka_mock_push_request_errors(r.m.mc, inj->api, 1,
			                                  inj->err);
			if (inj->err2 != RD_KAFKA_RESP_ERR_NO_ERROR) {
				rd_kafka_mock_push_request_errors(
				    r.m.mc, inj->api2, 1, inj->err2);
			}
			injected = 1;
		}
		/* The source: rewind when the sink moved the epoch on. */
		if (rs_txnsync_epoch(r.ts) != epoch) {
			epoch = rs_txnsync_epoch(r.ts);
			memcpy(pos, eos_committed, sizeof(pos));
		}
		for (int p = 0; p < EOS_PARTS; p++) {
			done &= pos[p] == EOS_LINES;
		}
		if (!done && queued < 2) {
			int p = next_part;

			while (pos[p] == EOS_LINES) {
				p = (p + 1) % EOS_PARTS;
			}
			next_part = (p + 1) % EOS_PARTS;
			eos_batch(&queue[queued++], p, pos[p], epoch);
			pos[p] += (int64_t)queue[queued - 1].nlines;
			if (queued < 2) {
				continue;
			}
		}
		if (queued == 0) {
			assert_int_equal(r.s->tick(r.s, err, sizeof(err)), 0);
			note_txn_end(&r);
			if (eos_committed[0] == EOS_LINES &&
			    eos_committed[1] == EOS_LINES) {
				break;
			}
			/* The last transaction is open until flush. */
			assert_int_equal(r.s->flush(r.s, err, sizeof(err)), 0);
			note_txn_end(&r);
			continue;
		}
		if (r.s->write(r.s, &queue[0], err, sizeof(err)) != 0) {
			fail_msg("write: %s", err);
		}
		note_txn_end(&r);
		rs_batch_free(&queue[0]);
		queue[0] = queue[1];
		queued--;
	}

	/* The error was met, and the transaction it hit aborted. */
	assert_true(injected);
	assert_true(rs_kafkasink_txn_aborts(r.sk) >= 1);
	assert_int_equal(rs_kafkasink_fatal(r.sk), 0);
	read_output(&r, seen, raw);
	for (int i = 0; i < EOS_PARTS * EOS_LINES; i++) {
		if (seen[i] != 1) {
			fail_msg("event %d/%d committed %d times",
			         i / EOS_LINES, i % EOS_LINES, seen[i]);
		}
		raw_total += raw[i];
	}
	print_message("  %llu committed, %llu aborted; %d records on the "
	              "log for %d events\n",
	              (unsigned long long)r.commits,
	              (unsigned long long)r.aborts, raw_total,
	              EOS_PARTS * EOS_LINES);
	if (inj->leaves_records) {
		assert_true(raw_total > EOS_PARTS * EOS_LINES);
	}

	/* /metrics and the totals: what was committed, once. */
	assert_int_equal(metric_sum(metrics, "replyscan_lines_total"),
	                 EOS_PARTS * EOS_LINES);
	assert_int_equal(metric_sum(metrics, "replyscan_events_total"),
	                 EOS_PARTS * EOS_LINES);
	assert_int_equal(
	    metric_sum(metrics, "replyscan_processing_latency_seconds_count"),
	    0); /* the lines carry no timestamp */
	assert_int_equal(rs_kafkasink_committed(r.sk)->lines,
	                 EOS_PARTS * EOS_LINES);
	assert_int_equal(rs_kafkasink_committed(r.sk)->events,
	                 EOS_PARTS * EOS_LINES);
	assert_int_equal(metric_sum(metrics, "replyscan_transactions_total"),
	                 r.commits + r.aborts);
	assert_int_equal(
	    metric_sum(metrics, "replyscan_transaction_commit_seconds_count"),
	    r.commits);

	rs_kafkasink_destroy(r.sk);
	rs_txnsync_destroy(r.ts);
	rd_kafka_consumer_close(r.reader);
	rd_kafka_destroy(r.reader);
	rs_metrics_destroy(metrics);
	mock_stop(&r.m);
}

static void test_abortable_error_exactly_once(void **state)
{
	static const inject_t cases[] = {
	    {"Produce", PRODUCE_API,
	     RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, 0, 0,
	     RD_KAFKA_RESP_ERR_NO_ERROR},
	    {"AddPartitionsToTxn", ADD_PARTITIONS_TO_TXN_API,
	     RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, 0, 0,
	     RD_KAFKA_RESP_ERR_NO_ERROR},
	    {"AddOffsetsToTxn", ADD_OFFSETS_TO_TXN_API,
	     RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED, 0, 0,
	     RD_KAFKA_RESP_ERR_NO_ERROR},
	    {"TxnOffsetCommit", TXN_OFFSET_COMMIT_API,
	     RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION, 0, 0,
	     RD_KAFKA_RESP_ERR_NO_ERROR},
	    {"EndTxn", END_TXN_API, RD_KAFKA_RESP_ERR_INVALID_RECORD, 1, 0,
	     RD_KAFKA_RESP_ERR_NO_ERROR},
	    /* Fatal for librdkafka 2.0.2 but no fence (Kafka 4.4 answered
	     * an abort so after timed-out messages): the producer is made
	     * anew and the transaction it lost is read again. */
	    {"EndTxn", END_TXN_API, RD_KAFKA_RESP_ERR_INVALID_TXN_STATE, 0, 0,
	     RD_KAFKA_RESP_ERR_NO_ERROR},
	    /* The same error answering the abort of a transaction whose
	     * produce failed: what the outage and stalled runs met. */
	    {"Produce, then EndTxn of the abort", PRODUCE_API,
	     RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED, 0, END_TXN_API,
	     RD_KAFKA_RESP_ERR_INVALID_TXN_STATE},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		eos_run(&cases[i]);
	}
}

/*
 * An exactly-once sink on one mock broker whose API apikey is listed at
 * versions min..max (-1..-1: not at all), with or without the KIP-447
 * start check: it must not start; its error is left in err.
 */
static void refused_start(int16_t apikey, int16_t min, int16_t max,
                          int check_brokers, char *err, size_t err_size)
{
	mock_t m;
	rs_kafkasink_conf_t conf;
	rs_txnsync_t *ts = rs_txnsync_new();

	assert_non_null(ts);
	mock_start(&m, 1);
	rd_kafka_mock_topic_create(m.mc, "out", 1, 1);
	assert_int_equal(rd_kafka_mock_set_apiversion(m.mc, apikey, min, max),
	                 RD_KAFKA_RESP_ERR_NO_ERROR);
	memset(&conf, 0, sizeof(conf));
	conf.brokers = rd_kafka_mock_cluster_bootstraps(m.mc);
	conf.topic = "out";
	conf.compression = "none";
	conf.txn = ts;
	conf.transactional_id = "replyscan-test";
	conf.check_brokers = check_brokers;
	err[0] = '\0';
	assert_null(rs_kafkasink_new(&conf, err, err_size));
	print_message("  %s\n", err);
	rs_txnsync_destroy(ts);
	mock_stop(&m);
}

/* A broker that does not know InitProducerId (Kafka before 0.11): the
 * exactly-once sink does not start, and says why. */
static void test_broker_without_transactions(void **state)
{
	char err[512];

	(void)state;
	refused_start(INIT_PRODUCER_ID_API, -1, -1, 0, err, sizeof(err));
	assert_non_null(strstr(err, "cannot start transactions "
	                            "(transactional.id replyscan-test)"));
	assert_non_null(strstr(err, "the broker does not support "
	                            "transactions"));
}

/* A broker with transactions but without KIP-447 (TxnOffsetCommit up to
 * version 2: Kafka 2.1 to 2.4): the exactly-once sink does not start, and
 * says why and what to do, before init_transactions. */
static void test_broker_without_kip447(void **state)
{
	char err[1024];

	(void)state;
	refused_start(TXN_OFFSET_COMMIT_API, 0, 2, 1, err, sizeof(err));
	assert_non_null(strstr(err, "exactly_once needs Kafka 2.5 or later"));
	assert_non_null(strstr(err, "KIP-447"));
	assert_non_null(strstr(err, "up to version 2 only (Kafka 2.1 to 2.4)"));
	assert_non_null(strstr(err, "at_least_once"));
	/* Refused by the check, not by init_transactions. */
	assert_null(strstr(err, "cannot start transactions"));
}

/* The start check alone, on one mock broker listing TxnOffsetCommit up to
 * version 3 (passes), up to 2 (refused, the broker named), or not at all
 * (passes: init_transactions names a broker without transactions). */
static void test_check_brokers_versions(void **state)
{
	static const struct {
		int16_t max;
		int rc;
	} cases[] = {{3, 0}, {2, -1}, {0, -1}, {-1, 0}};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		mock_t m;
		rs_kafkaclient_conf_t cc;
		rs_kafkaclient_t *c;
		char err[1024] = "";

		mock_start(&m, 1);
		assert_int_equal(rd_kafka_mock_set_apiversion(
				     m.mc, TXN_OFFSET_COMMIT_API,
				     cases[i].max < 0 ? -1 : 0, cases[i].max),
		                 RD_KAFKA_RESP_ERR_NO_ERROR);
		cc = rs_kafkaclient_conf(RD_KAFKA_PRODUCER, "producer",
		                         rd_kafka_mock_cluster_bootstraps(m.mc),
		                         NULL, 0);
		c = rs_kafkaclient_new(&cc, err, sizeof(err));
		assert_non_null(c);
		print_message("  TxnOffsetCommit up to %d: %s\n", cases[i].max,
		              err);
		assert_int_equal(
		    rs_kafkatxn_check_brokers(c, 5000, err, sizeof(err)),
		    cases[i].rc);
		if (cases[i].rc != 0) {
			print_message("  %s\n", err);
			assert_non_null(strstr(err, "127.0.0.1:"));
			assert_non_null(strstr(
			    err, cases[i].max == 0 ? "(Kafka 0.11 to 1.1)"
						   : "(Kafka 2.1 to 2.4)"));
		}
		rs_kafkaclient_destroy(c);
		mock_stop(&m);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_acks_reach_source),
	    cmocka_unit_test(test_out_of_order_acks_commit_in_order),
	    cmocka_unit_test(test_failed_delivery_holds_commit),
	    cmocka_unit_test(test_abortable_error_exactly_once),
	    cmocka_unit_test(test_broker_without_transactions),
	    cmocka_unit_test(test_broker_without_kip447),
	    cmocka_unit_test(test_check_brokers_versions),
	};

	/* The sink's own log lines are expected here; keep them short. */
	rs_log_init(RS_LOG_ERROR, RS_LOG_LOGFMT, stderr);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
