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
 *   is counted in replyscan_produce_errors_total.
 *
 * The source is a stand-in that records its acks: the sink knows it only
 * as an rs_source_t.
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

#include "kafka/kafkasink.h"
#include "observe/log.h"
#include "observe/metrics.h"
#include "util/clock.h"

#define PRODUCE_API 0 /* the Kafka protocol's ApiKey of Produce */
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

/* replyscan_produce_errors_total from the rendered metrics. */
static uint64_t produce_errors(rs_metrics_t *m)
{
	static const char name[] = "\nreplyscan_produce_errors_total ";
	rs_buf_t buf = {0};
	uint64_t n = 0;
	const char *p;

	rs_metrics_render(m, &buf);
	rs_buf_putc(&buf, '\0');
	p = strstr(buf.data, name);
	if (p != NULL) {
		n = strtoull(p + strlen(name), NULL, 10);
	}
	rs_buf_free(&buf);
	return n;
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

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_acks_reach_source),
	    cmocka_unit_test(test_out_of_order_acks_commit_in_order),
	    cmocka_unit_test(test_failed_delivery_holds_commit),
	};

	/* The sink's own log lines are expected here; keep them short. */
	rs_log_init(RS_LOG_ERROR, RS_LOG_LOGFMT, stderr);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
