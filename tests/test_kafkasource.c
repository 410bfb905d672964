/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_kafkasource.c - the Kafka source as a consumer group member, on
 * librdkafka's in-process mock cluster (no broker needed):
 *
 * - a partition revoked while the source is paused by back-pressure (the
 *   ring full because the sink is blocked, as when a broker restart ends
 *   the consumer's session), with the source resumed before the group
 *   assigns the partition again, is read after the new assignment.
 *   librdkafka 2.0.2 keeps an application's pause of a partition across
 *   an unassign and a new assign; the source once resumed only what was
 *   assigned when it resumed (nothing then), and the reassigned partition
 *   stayed paused for good: the broker scenario of exactly_once.sh lost
 *   its input that way under load.
 *
 * The test plays the pipeline's part (next and tick, as rs_pipeline_run
 * calls them) and the exactly-once sink's (it answers the source's
 * request to close the transaction before partitions are revoked, from
 * its own thread, as the sink does).
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kafka/kafkasource.h"
#include "kafka/txnsync.h"
#include "observe/log.h"
#include "pipeline/pipeline.h"
#include "util/clock.h"

#define HEARTBEAT_API 12
#define WAIT_MS 20000 /* longest wait for the mock cluster */
#define NLINES 200

/* The sink's side: answer close requests until told to stop. */
typedef struct sink_side {
	rs_txnsync_t *ts;
	atomic_int closes; /* requests answered */
	atomic_int done;
	pthread_t thread;
} sink_side_t;

static void *sink_side_run(void *arg)
{
	sink_side_t *s = arg;

	while (!atomic_load(&s->done)) {
		if (rs_txnsync_close_pending(s->ts)) {
			rs_txnsync_advance(s->ts);
			rs_txnsync_close_done(s->ts);
			atomic_fetch_add(&s->closes, 1);
		}
		usleep(1000);
	}
	return NULL;
}

/* Stops the source after WAIT_MS, so that a source that never reads
 * again fails the test instead of hanging it. */
typedef struct watchdog {
	rs_kafkasource_t *ks;
	atomic_int done;
	pthread_t thread;
} watchdog_t;

static void *watchdog_run(void *arg)
{
	watchdog_t *w = arg;
	int64_t until = rs_clock_mono_ms() + WAIT_MS;

	while (!atomic_load(&w->done) && rs_clock_mono_ms() < until) {
		usleep(10000);
	}
	rs_kafkasource_stop(w->ks);
	return NULL;
}

/* NLINES one-line messages into partition 0 of topic. */
static void produce_lines(const char *bootstraps, const char *topic)
{
	char err[256];
	rd_kafka_conf_t *kc = rd_kafka_conf_new();
	rd_kafka_t *p;

	assert_int_equal(rd_kafka_conf_set(kc, "bootstrap.servers", bootstraps,
	                                   err, sizeof(err)),
	                 RD_KAFKA_CONF_OK);
	p = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof(err));
	assert_non_null(p);
	for (int i = 0; i < NLINES; i++) {
		char line[64];
		int n = snprintf(line, sizeof(line), "line %d", i);

		assert_int_equal(
		    rd_kafka_producev(p, RD_KAFKA_V_TOPIC(topic),
		                      RD_KAFKA_V_PARTITION(0),
		                      RD_KAFKA_V_VALUE(line, (size_t)n),
		                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		                      RD_KAFKA_V_END),
		    RD_KAFKA_RESP_ERR_NO_ERROR);
	}
	assert_int_equal(rd_kafka_flush(p, WAIT_MS),
	                 RD_KAFKA_RESP_ERR_NO_ERROR);
	rd_kafka_destroy(p);
}

/* The number of partitions assigned to the source's consumer. */
static int assigned(rs_kafkasource_t *ks)
{
	rd_kafka_topic_partition_list_t *parts = NULL;
	int n;

	assert_int_equal(
	    rd_kafka_assignment(
		rs_kafkaclient_handle(rs_kafkasource_client(ks)), &parts),
	    RD_KAFKA_RESP_ERR_NO_ERROR);
	n = parts->cnt;
	rd_kafka_topic_partition_list_destroy(parts);
	return n;
}

static void test_revoked_while_paused_is_read_after_reassign(void **state)
{
	char *topics[] = {"in"};
	/* The mock group waits for a rejoin up to the session timeout
	 * less 1 s: 6 s keeps the test short and above its 3 s first
	 * join. */
	const rs_kafka_prop_t props[] = {
	    {"heartbeat.interval.ms", "100"},
	    {"session.timeout.ms", "6000"},
	    {"log_level", "3"},
	};
	char err[256], errstr[512];
	rd_kafka_conf_t *kc = rd_kafka_conf_new();
	rd_kafka_t *host;
	rd_kafka_mock_cluster_t *mc;
	rs_kafkasource_conf_t conf;
	rs_kafkasource_t *ks;
	rs_source_t *src;
	sink_side_t sink;
	watchdog_t dog;
	rs_batch_t b;
	int64_t until;

	(void)state;
	assert_int_equal(
	    rd_kafka_conf_set(kc, "log_level", "3", err, sizeof(err)),
	    RD_KAFKA_CONF_OK);
	host = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof(err));
	assert_non_null(host);
	mc = rd_kafka_mock_cluster_new(host, 1);
	assert_non_null(mc);
	assert_int_equal(rd_kafka_mock_topic_create(mc, "in", 1, 1),
	                 RD_KAFKA_RESP_ERR_NO_ERROR);
	produce_lines(rd_kafka_mock_cluster_bootstraps(mc), "in");

	memset(&sink, 0, sizeof(sink));
	sink.ts = rs_txnsync_new();
	assert_non_null(sink.ts);
	assert_int_equal(
	    pthread_create(&sink.thread, NULL, sink_side_run, &sink), 0);

	memset(&conf, 0, sizeof(conf));
	conf.brokers = rd_kafka_mock_cluster_bootstraps(mc);
	conf.group = "g";
	conf.topics = topics;
	conf.ntopics = 1;
	conf.props = props;
	conf.nprops = sizeof(props) / sizeof(props[0]);
	conf.batch_bytes = 64; /* a few lines a batch: lines stay unread */
	conf.max_line = 4096;
	conf.txn = sink.ts;
	ks = rs_kafkasource_new(&conf, errstr, sizeof(errstr));
	assert_non_null(ks);
	src = rs_kafkasource_source(ks);
	memset(&dog, 0, sizeof(dog));
	dog.ks = ks;
	assert_int_equal(pthread_create(&dog.thread, NULL, watchdog_run, &dog),
	                 0);
	memset(&b, 0, sizeof(b));

	/* Assigned and reading. */
	assert_int_equal(src->next(src, &b, errstr, sizeof(errstr)), 1);
	assert_true(b.nlines > 0);
	rs_batch_reset(&b);

	/* The ring is full: the source pauses its partitions and keeps
	 * serving the group. The group coordinator then ends the member's
	 * generation (what a lost session does): the assignment is revoked
	 * (the sink closes its transaction) while the source is paused. */
	src->tick(src);
	rd_kafka_mock_push_request_errors(mc, HEARTBEAT_API, 1,
	                                  RD_KAFKA_RESP_ERR_ILLEGAL_GENERATION);
	until = rs_clock_mono_ms() + WAIT_MS;
	while (atomic_load(&sink.closes) == 0 && rs_clock_mono_ms() < until) {
		src->tick(src);
		usleep(10000);
	}
	assert_int_equal(atomic_load(&sink.closes), 1);
	/* What this test is about: resumed while nothing is assigned. */
	assert_int_equal(assigned(ks), 0);

	/* A slot is free again: the source resumes and the group assigns
	 * the partition anew; its lines must be read (from the beginning:
	 * nothing was committed). */
	assert_int_equal(src->next(src, &b, errstr, sizeof(errstr)), 1);
	assert_true(b.nlines > 0);
	assert_int_equal(assigned(ks), 1);

	atomic_store(&dog.done, 1);
	pthread_join(dog.thread, NULL);
	rs_txnsync_sink_gone(sink.ts);
	assert_int_equal(rs_kafkasource_close(ks, errstr, sizeof(errstr)), 0);
	atomic_store(&sink.done, 1);
	pthread_join(sink.thread, NULL);
	rs_txnsync_destroy(sink.ts);
	rs_batch_free(&b);
	rd_kafka_mock_cluster_destroy(mc);
	rd_kafka_destroy(host);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_revoked_while_paused_is_read_after_reassign),
	};

	rs_log_init(RS_LOG_ERROR, RS_LOG_LOGFMT, stderr);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
