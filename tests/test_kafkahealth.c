/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_kafkahealth.c - when /healthz says the Kafka stage is unhealthy
 * (kafka/health.c), on librdkafka's in-process mock cluster:
 *
 * - the output stalls: a batch whose events cannot be delivered (the
 *   topic in error) is unhealthy once it has waited unhealthy_after, and
 *   healthy again when the retried events are acknowledged;
 * - no broker is reachable: the mock broker goes down, the producer's
 *   client notes ALL_BROKERS_DOWN, the check fails after unhealthy_after
 *   (here 1 s, on the real clock, through the function /healthz calls),
 *   and recovers when the broker is back (statistics show it UP);
 * - unhealthy_after 0 never fails, and nothing to watch is healthy.
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

#include "kafka/health.h"
#include "kafka/kafkasink.h"
#include "observe/log.h"
#include "util/clock.h"

#define WAIT_MS 30000 /* longest wait for the mock cluster */

typedef struct mock {
	rd_kafka_t *host;
	rd_kafka_mock_cluster_t *mc;
} mock_t;

static void mock_start(mock_t *m)
{
	char err[256];
	rd_kafka_conf_t *kc = rd_kafka_conf_new();

	assert_int_equal(
	    rd_kafka_conf_set(kc, "log_level", "3", err, sizeof(err)),
	    RD_KAFKA_CONF_OK);
	m->host = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof(err));
	assert_non_null(m->host);
	m->mc = rd_kafka_mock_cluster_new(m->host, 1);
	assert_non_null(m->mc);
	rd_kafka_mock_topic_create(m->mc, "out", 1, 1);
}

static void mock_stop(mock_t *m)
{
	rd_kafka_mock_cluster_destroy(m->mc);
	rd_kafka_destroy(m->host);
}

/* A sink on the mock cluster with statistics every 100 ms. */
static rs_kafkasink_t *sink_new(const mock_t *m, const rs_kafka_prop_t *props,
                                size_t nprops)
{
	rs_kafkasink_conf_t conf;
	rs_kafkasink_t *sk;
	char err[512];

	memset(&conf, 0, sizeof(conf));
	conf.brokers = rd_kafka_mock_cluster_bootstraps(m->mc);
	conf.topic = "out";
	conf.compression = "none";
	conf.props = props;
	conf.nprops = nprops;
	conf.drain_timeout = 20;
	conf.stats_interval_ms = 100;
	sk = rs_kafkasink_new(&conf, err, sizeof(err));
	if (sk == NULL) {
		fail_msg("sink: %s", err);
	}
	return sk;
}

/* Serve the sink until done(sk) or WAIT_MS; 1 when done. */
static int serve_until(rs_kafkasink_t *sk, int (*done)(rs_kafkasink_t *))
{
	rs_sink_t *s = rs_kafkasink_sink(sk);
	int64_t deadline = rs_clock_mono_ms() + WAIT_MS;
	char err[256];

	while (!done(sk)) {
		if (rs_clock_mono_ms() > deadline) {
			return 0;
		}
		assert_int_equal(s->tick(s, err, sizeof(err)), 0);
		usleep(10000);
	}
	return 1;
}

static int brokers_down(rs_kafkasink_t *sk)
{
	return rs_kafkaclient_down_since(rs_kafkasink_client(sk)) != 0;
}

static int brokers_up(rs_kafkasink_t *sk)
{
	return rs_kafkaclient_down_since(rs_kafkasink_client(sk)) == 0;
}

static int all_acknowledged(rs_kafkasink_t *sk)
{
	return rs_kafkasink_oldest_unacked_ms(sk) == 0;
}

/* Nothing to watch, or no limit: healthy. */
static void test_nothing_to_watch(void **state)
{
	rs_kafkahealth_t h;
	char why[128] = "";

	(void)state;
	memset(&h, 0, sizeof(h));
	h.unhealthy_after = 60;
	assert_int_equal(rs_kafkahealth_check_at(&h, 1000000, why, sizeof(why)),
	                 0);
	assert_int_equal(rs_kafkahealth_check(&h, why, sizeof(why)), 0);
	assert_string_equal(why, "");
}

/* Events that cannot be delivered make the output stalled, in time. */
static void test_output_stalled(void **state)
{
	static const rs_kafka_prop_t props[] = {{"message.timeout.ms", "1000"}};
	mock_t m;
	rs_kafkasink_t *sk;
	rs_kafkahealth_t h;
	rs_batch_t b = {0};
	rs_event_meta_t ev;
	rs_sink_t *s;
	int64_t since;
	char why[128], err[256];

	(void)state;
	mock_start(&m);
	rd_kafka_mock_topic_set_error(m.mc, "out",
	                              RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART);
	sk = sink_new(&m, props, 1);
	s = rs_kafkasink_sink(sk);
	memset(&h, 0, sizeof(h));
	h.unhealthy_after = 60;
	h.sink = sk;
	h.clients[1] = rs_kafkasink_client(sk);

	/* One line, one event. */
	assert_int_equal(rs_batch_add_line(&b, "line", 4, 0, 41, 0), 0);
	b.lines[0].topic = "in";
	b.lines[0].partition = 0;
	rs_buf_append(&b.out, "event", 5);
	memset(&ev, 0, sizeof(ev));
	ev.len = 5;
	b.events = malloc(sizeof(ev));
	assert_non_null(b.events);
	b.events[0] = ev;
	b.nevents = 1;
	assert_int_equal(s->write(s, &b, err, sizeof(err)), 0);

	since = rs_kafkasink_oldest_unacked_ms(sk);
	assert_true(since != 0);
	assert_int_equal(
	    rs_kafkahealth_check_at(&h, since + 59999, why, sizeof(why)), 0);
	assert_int_equal(
	    rs_kafkahealth_check_at(&h, since + 60000, why, sizeof(why)), -1);
	assert_string_equal(why,
	                    "output stalled: events unacknowledged for 60 s");
	h.unhealthy_after = 0;
	assert_int_equal(
	    rs_kafkahealth_check_at(&h, since + 3600000, why, sizeof(why)), 0);
	h.unhealthy_after = 60;

	/* The topic comes back; the sink's retry delivers; healthy. */
	rd_kafka_mock_topic_set_error(m.mc, "out", RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_true(serve_until(sk, all_acknowledged));
	assert_int_equal(rs_kafkasink_delivered(sk), 1);
	assert_int_equal(
	    rs_kafkahealth_check_at(&h, since + 3600000, why, sizeof(why)), 0);

	rs_batch_free(&b);
	rs_kafkasink_destroy(sk);
	mock_stop(&m);
}

/* The broker goes away and comes back. */
static void test_no_broker(void **state)
{
	mock_t m;
	rs_kafkasink_t *sk;
	rs_kafkahealth_t h;
	int64_t since;
	char why[128];

	(void)state;
	mock_start(&m);
	sk = sink_new(&m, NULL, 0);
	memset(&h, 0, sizeof(h));
	h.unhealthy_after = 1;
	h.clients[1] = rs_kafkasink_client(sk);
	h.sink = sk;
	assert_int_equal(rs_kafkahealth_check(&h, why, sizeof(why)), 0);

	assert_int_equal(rd_kafka_mock_broker_set_down(m.mc, 1),
	                 RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_true(serve_until(sk, brokers_down));
	since = rs_kafkaclient_down_since(rs_kafkasink_client(sk));
	assert_int_equal(
	    rs_kafkahealth_check_at(&h, since + 999, why, sizeof(why)), 0);
	/* What /healthz runs, a second later on the real clock. */
	while (rs_clock_mono_ms() < since + 1000) {
		usleep(50000);
	}
	assert_int_equal(rs_kafkahealth_check(&h, why, sizeof(why)), -1);
	assert_string_equal(why, "no broker reachable by the producer for 1 s");

	assert_int_equal(rd_kafka_mock_broker_set_up(m.mc, 1),
	                 RD_KAFKA_RESP_ERR_NO_ERROR);
	assert_true(serve_until(sk, brokers_up));
	assert_int_equal(rs_kafkahealth_check(&h, why, sizeof(why)), 0);

	rs_kafkasink_destroy(sk);
	mock_stop(&m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_nothing_to_watch),
	    cmocka_unit_test(test_output_stalled),
	    cmocka_unit_test(test_no_broker),
	};

	/* The clients' own log lines are expected here; keep them short. */
	rs_log_init(RS_LOG_ERROR, RS_LOG_LOGFMT, stderr);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
