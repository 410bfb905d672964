/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_kafkatxn.c - the exactly-once transaction loop (kafka/kafkatxn.c)
 * by itself, on librdkafka's in-process mock cluster
 * (rd_kafka_mock_cluster_new; no broker needed), without the sink:
 *
 * - begin opens one transaction (a second begin keeps it), commit sends
 *   the positions and commits: settled(1), no rewind, no hold;
 * - an abortable error (injected into EndTxn or AddOffsetsToTxn), or a
 *   failed delivery (tx.failed), aborts instead: settled(0), the epoch
 *   moves on (the source's signal to rewind), and the next transaction
 *   is held back 0.5 s, 1 s after a second abort in a row, none after a
 *   commit;
 * - a fenced producer (PRODUCER_FENCED in EndTxn) is fatal: commit
 *   returns -1 naming the cause, nothing is settled, the epoch stays,
 *   and no transaction begins again;
 * - maybe_commit commits by event count, and a close request of the
 *   source (before a rebalance) commits and moves the epoch on;
 * - after a fatal error, restart on a producer made anew counts the lost
 *   transaction as aborted, rewinds, and the new producer commits.
 *
 * The producer is made as the sink makes it (kafka/client.h), with
 * message.timeout.ms short so that a test never waits long.
 */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
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
#include "kafka/kafkatxn.h"
#include "kafka/txnsync.h"
#include "observe/log.h"

/* The Kafka protocol's ApiKeys. */
#define ADD_OFFSETS_TO_TXN_API 25
#define END_TXN_API 26

static const char topic_in[] = "in";

typedef struct fixture {
	rd_kafka_t *host;
	rd_kafka_mock_cluster_t *mc;
	rs_kafkaclient_t *client;
	rs_txnsync_t *ts;
	atomic_int abandon;
	rs_kafkatxn_t tx;
	int settled_commits, settled_aborts;
	long delivered, failed;
} fixture_t;

/* rs_kafkatxn_t.settled */
static void on_settled(void *opaque, int committed)
{
	fixture_t *f = opaque;

	if (committed) {
		f->settled_commits++;
	} else {
		f->settled_aborts++;
	}
}

static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                        void *opaque)
{
	fixture_t *f = opaque;

	(void)rk;
	if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
		f->delivered++;
	} else {
		f->failed++;
	}
}

/* A mock cluster, a transactional producer on it and a started loop. */
static int setup(void **state)
{
	const rs_kafka_prop_t props[] = {
	    {"enable.idempotence", "true"},
	    {"transactional.id", "replyscan-txn-test"},
	    {"message.timeout.ms", "5000"},
	    {"linger.ms", "1"},
	};
	fixture_t *f = calloc(1, sizeof(*f));
	rd_kafka_conf_t *kc = rd_kafka_conf_new();
	rd_kafka_consumer_group_metadata_t *cgmd;
	rs_kafkaclient_conf_t cc;
	char err[512];

	assert_non_null(f);
	assert_int_equal(
	    rd_kafka_conf_set(kc, "log_level", "3", err, sizeof(err)),
	    RD_KAFKA_CONF_OK);
	f->host = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof(err));
	assert_non_null(f->host);
	f->mc = rd_kafka_mock_cluster_new(f->host, 1);
	assert_non_null(f->mc);
	rd_kafka_mock_topic_create(f->mc, "out", 1, 1);

	cc = rs_kafkaclient_conf(RD_KAFKA_PRODUCER, "producer",
	                         rd_kafka_mock_cluster_bootstraps(f->mc), props,
	                         RS_KAFKA_NPROPS(props));
	cc.on_delivery = on_delivery;
	cc.opaque = f;
	f->client = rs_kafkaclient_new(&cc, err, sizeof(err));
	if (f->client == NULL) {
		fail_msg("client: %s", err);
	}
	f->ts = rs_txnsync_new();
	assert_non_null(f->ts);
	cgmd = rd_kafka_consumer_group_metadata_new("replyscan");
	assert_int_equal(rs_txnsync_set_group(f->ts, cgmd), 0);
	rd_kafka_consumer_group_metadata_destroy(cgmd);

	atomic_init(&f->abandon, 0);
	f->tx.rk = rs_kafkaclient_handle(f->client);
	f->tx.sync = f->ts;
	f->tx.transactional_id = "replyscan-txn-test";
	f->tx.abandon = &f->abandon;
	f->tx.interval = 60; /* transactions end when the test says */
	f->tx.max_events = 10;
	f->tx.settled = on_settled;
	f->tx.opaque = f;
	if (rs_kafkatxn_start(&f->tx, f->client, err, sizeof(err)) != 0) {
		fail_msg("start: %s", err);
	}
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;

	rs_kafkatxn_close(&f->tx);
	rs_kafkaclient_destroy(f->client);
	rs_txnsync_destroy(f->ts);
	rd_kafka_mock_cluster_destroy(f->mc);
	rd_kafka_destroy(f->host);
	free(f);
	return 0;
}

/*
 * Open a transaction (if none is), produce n messages in it and wait for
 * their reports, and add input positions up to next_offset.
 */
static void produce_some(fixture_t *f, int n, int64_t next_offset)
{
	rs_kafka_position_t pos = {topic_in, 0, next_offset};
	long want = f->delivered + f->failed + n;
	char err[512];

	if (rs_kafkatxn_begin(&f->tx, err, sizeof(err)) != 0) {
		fail_msg("begin: %s", err);
	}
	for (int i = 0; i < n; i++) {
		assert_int_equal(
		    rd_kafka_producev(f->tx.rk, RD_KAFKA_V_TOPIC("out"),
		                      RD_KAFKA_V_VALUE("event", 5),
		                      RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
		                      RD_KAFKA_V_END),
		    RD_KAFKA_RESP_ERR_NO_ERROR);
	}
	for (int i = 0; i < 200 && f->delivered + f->failed < want; i++) {
		rd_kafka_poll(f->tx.rk, 50);
	}
	assert_int_equal(f->delivered + f->failed, want);
	f->tx.nevents += n;
	assert_int_equal(rs_kafkatxn_add(&f->tx, &pos, 1), 0);
}

/* begin opens one transaction; commit commits it: no rewind, no hold. */
static void test_begin_commit(void **state)
{
	fixture_t *f = *state;
	uint64_t epoch = rs_txnsync_epoch(f->ts);
	rs_kafka_position_t later = {topic_in, 0, 7};
	char err[512];

	assert_int_equal(f->tx.open, 0);
	produce_some(f, 3, 3);
	assert_int_equal(f->tx.open, 1);
	assert_int_equal(f->tx.seq, 1);
	/* A second begin keeps the open transaction. */
	assert_int_equal(rs_kafkatxn_begin(&f->tx, err, sizeof(err)), 0);
	assert_int_equal(f->tx.seq, 1);
	/* One position per input partition, the furthest kept. */
	assert_int_equal(rs_kafkatxn_add(&f->tx, &later, 1), 0);
	assert_int_equal(f->tx.npos, 1);
	assert_int_equal(f->tx.pos[0].next_offset, 7);

	if (rs_kafkatxn_commit(&f->tx, err, sizeof(err)) != 0) {
		fail_msg("commit: %s", err);
	}
	assert_int_equal(f->tx.commits, 1);
	assert_int_equal(f->tx.aborts, 0);
	assert_int_equal(f->settled_commits, 1);
	assert_int_equal(f->settled_aborts, 0);
	assert_int_equal(f->tx.open, 0);
	assert_int_equal(f->tx.npos, 0);
	assert_int_equal(f->tx.nevents, 0);
	assert_int_equal(rs_txnsync_epoch(f->ts), epoch);
	assert_int_equal(rs_kafkatxn_hold_ms(&f->tx), 0);
	assert_int_equal(f->tx.fatal, 0);

	/* The next one begins at once, numbered on. */
	produce_some(f, 2, 9);
	assert_int_equal(f->tx.seq, 2);
	assert_int_equal(rs_kafkatxn_commit(&f->tx, err, sizeof(err)), 0);
	assert_int_equal(f->tx.commits, 2);
}

/* Check the state after the nth abort in a row, with hold_ms expected. */
static void assert_aborted(fixture_t *f, uint64_t epoch, uint64_t aborts,
                           int64_t hold_ms)
{
	int64_t left = rs_kafkatxn_hold_ms(&f->tx);

	assert_int_equal(f->tx.aborts, aborts);
	assert_int_equal(f->settled_aborts, (int)aborts);
	assert_int_equal(f->tx.open, 0);
	assert_int_equal(f->tx.failed, 0);
	assert_int_equal(f->tx.npos, 0);
	assert_int_equal(f->tx.fatal, 0);
	/* The rewind signal: the epoch moved on, once per abort. */
	assert_int_equal(rs_txnsync_epoch(f->ts), epoch + aborts);
	assert_int_equal(f->tx.backoff_ms, hold_ms);
	assert_true(left > 0 && left <= hold_ms);
}

/*
 * Abortable errors: EndTxn, then AddOffsetsToTxn, then a failed delivery
 * each abort (not fatal), move the epoch on and hold the next
 * transaction back, longer after each abort in a row; a commit ends the
 * back-off.
 */
static void test_abortable_error_aborts_and_rewinds(void **state)
{
	fixture_t *f = *state;
	uint64_t epoch = rs_txnsync_epoch(f->ts);
	char err[512];

	produce_some(f, 3, 3);
	rd_kafka_mock_push_request_errors(f->mc, END_TXN_API, 1,
	                                  RD_KAFKA_RESP_ERR_INVALID_RECORD);
	/* Aborted is done, not failed: 0. */
	if (rs_kafkatxn_commit(&f->tx, err, sizeof(err)) != 0) {
		fail_msg("commit: %s", err);
	}
	assert_int_equal(f->tx.commits, 0);
	assert_int_equal(f->settled_commits, 0);
	assert_aborted(f, epoch, 1, RS_KAFKATXN_BACKOFF_MS);

	/* A second abort in a row: twice the hold. */
	produce_some(f, 2, 5);
	rd_kafka_mock_push_request_errors(
	    f->mc, ADD_OFFSETS_TO_TXN_API, 1,
	    RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED);
	assert_int_equal(rs_kafkatxn_commit(&f->tx, err, sizeof(err)), 0);
	assert_aborted(f, epoch, 2, 2 * RS_KAFKATXN_BACKOFF_MS);

	/* A failed delivery (the sink sets failed): maybe_commit aborts
	 * without trying to commit, whatever the transaction's age. */
	produce_some(f, 1, 6);
	f->tx.failed = 1;
	assert_int_equal(rs_kafkatxn_maybe_commit(&f->tx, err, sizeof(err)), 0);
	assert_aborted(f, epoch, 3, 4 * RS_KAFKATXN_BACKOFF_MS);

	/* A commit ends the back-off. */
	produce_some(f, 2, 6);
	assert_int_equal(rs_kafkatxn_commit(&f->tx, err, sizeof(err)), 0);
	assert_int_equal(f->tx.commits, 1);
	assert_int_equal(f->tx.backoff_ms, 0);
	assert_int_equal(rs_kafkatxn_hold_ms(&f->tx), 0);
	assert_int_equal(rs_txnsync_epoch(f->ts), epoch + 3);
}

/* Fenced: fatal, said so, nothing settled, no rewind, no new begin. */
static void test_fenced_is_fatal(void **state)
{
	fixture_t *f = *state;
	uint64_t epoch = rs_txnsync_epoch(f->ts);
	char err[512];

	produce_some(f, 3, 3);
	rd_kafka_mock_push_request_errors(f->mc, END_TXN_API, 1,
	                                  RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
	err[0] = '\0';
	assert_int_equal(rs_kafkatxn_commit(&f->tx, err, sizeof(err)), -1);
	print_message("  %s\n", err);
	assert_int_equal(f->tx.fatal, 1);
	assert_non_null(strstr(err, "commit_transaction: fatal producer "
	                            "error"));
	assert_non_null(strstr(err, "fenced by another instance with "
	                            "transactional.id replyscan-txn-test"));
	assert_int_equal(f->settled_commits, 0);
	assert_int_equal(f->settled_aborts, 0);
	assert_int_equal(f->tx.commits, 0);
	assert_int_equal(f->tx.aborts, 0);
	assert_int_equal(rs_txnsync_epoch(f->ts), epoch);

	/* The producer is unusable: no transaction begins again. */
	f->tx.open = 0;
	err[0] = '\0';
	assert_int_equal(rs_kafkatxn_begin(&f->tx, err, sizeof(err)), -1);
	assert_int_equal(f->tx.fatal, 1);
	assert_non_null(strstr(err, "begin_transaction"));
}

/*
 * After a fatal error the sink may make the producer anew (an outage
 * explained it): restart on the new handle counts the lost transaction
 * as aborted, moves the epoch on, holds the next one back, and the new
 * producer commits.
 */
static void test_restart_after_fatal(void **state)
{
	fixture_t *f = *state;
	uint64_t epoch = rs_txnsync_epoch(f->ts);
	rs_kafkaclient_conf_t cc;
	const rs_kafka_prop_t props[] = {
	    {"enable.idempotence", "true"},
	    {"transactional.id", "replyscan-txn-test"},
	    {"message.timeout.ms", "5000"},
	    {"linger.ms", "1"},
	};
	char err[512];

	produce_some(f, 3, 3);
	rd_kafka_mock_push_request_errors(f->mc, END_TXN_API, 1,
	                                  RD_KAFKA_RESP_ERR_PRODUCER_FENCED);
	assert_int_equal(rs_kafkatxn_commit(&f->tx, err, sizeof(err)), -1);
	assert_int_equal(f->tx.fatal, 1);

	cc = rs_kafkaclient_conf(RD_KAFKA_PRODUCER, "producer",
	                         rd_kafka_mock_cluster_bootstraps(f->mc), props,
	                         RS_KAFKA_NPROPS(props));
	cc.on_delivery = on_delivery;
	cc.opaque = f;
	if (rs_kafkaclient_renew(f->client, &cc, err, sizeof(err)) != 0) {
		fail_msg("renew: %s", err);
	}
	if (rs_kafkatxn_restart(&f->tx, rs_kafkaclient_handle(f->client),
	                        f->client, err, sizeof(err)) != 0) {
		fail_msg("restart: %s", err);
	}
	assert_aborted(f, epoch, 1, RS_KAFKATXN_BACKOFF_MS);
	assert_int_equal(f->settled_commits, 0);

	produce_some(f, 2, 3);
	assert_int_equal(rs_kafkatxn_commit(&f->tx, err, sizeof(err)), 0);
	assert_int_equal(f->tx.commits, 1);
	assert_int_equal(f->tx.fatal, 0);
}

typedef struct close_req {
	rs_txnsync_t *ts;
	int rc;
} close_req_t;

/* The source's side of a close request, on a thread of its own. */
static void *ask_close(void *arg)
{
	close_req_t *req = arg;

	req->rc = rs_txnsync_close_request(req->ts, 10000);
	return NULL;
}

/*
 * maybe_commit: nothing before the event count is reached, a commit at
 * it; a close request of the source commits and moves the epoch on.
 */
static void test_maybe_commit_and_close(void **state)
{
	fixture_t *f = *state;
	uint64_t epoch = rs_txnsync_epoch(f->ts);
	char err[512];

	assert_int_equal(rs_kafkatxn_maybe_commit(&f->tx, err, sizeof(err)), 0);
	produce_some(f, 4, 4);
	assert_int_equal(rs_kafkatxn_maybe_commit(&f->tx, err, sizeof(err)), 0);
	assert_int_equal(f->tx.commits, 0);
	assert_int_equal(f->tx.open, 1);
	produce_some(f, 6, 10); /* 10 events: max_events */
	assert_int_equal(rs_kafkatxn_maybe_commit(&f->tx, err, sizeof(err)), 0);
	assert_int_equal(f->tx.commits, 1);
	assert_int_equal(f->tx.open, 0);

	/* No close pending: nothing happens. */
	produce_some(f, 1, 11);
	assert_int_equal(rs_kafkatxn_serve_close(&f->tx, err, sizeof(err)), 0);
	assert_int_equal(f->tx.open, 1);
	assert_int_equal(rs_txnsync_epoch(f->ts), epoch);

	/* The source asks (before a rebalance) from its thread and waits;
	 * the loop commits and moves the epoch on. */
	{
		pthread_t source;
		close_req_t req = {f->ts, 1};

		assert_int_equal(pthread_create(&source, NULL, ask_close, &req),
		                 0);
		for (int i = 0; i < 200 && !rs_txnsync_close_pending(f->ts);
		     i++) {
			usleep(10000);
		}
		assert_int_equal(rs_txnsync_close_pending(f->ts), 1);
		assert_int_equal(
		    rs_kafkatxn_serve_close(&f->tx, err, sizeof(err)), 0);
		assert_int_equal(pthread_join(source, NULL), 0);
		assert_int_equal(req.rc, 0);
	}
	assert_int_equal(f->tx.commits, 2);
	assert_int_equal(f->tx.open, 0);
	assert_int_equal(rs_txnsync_close_pending(f->ts), 0);
	assert_int_equal(rs_txnsync_epoch(f->ts), epoch + 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_begin_commit, setup, teardown),
	    cmocka_unit_test_setup_teardown(
		test_abortable_error_aborts_and_rewinds, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_fenced_is_fatal, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_maybe_commit_and_close, setup,
	                                    teardown),
	    cmocka_unit_test_setup_teardown(test_restart_after_fatal, setup,
	                                    teardown),
	};

	/* The loop's own warnings are expected here; keep them short. */
	rs_log_init(RS_LOG_ERROR, RS_LOG_LOGFMT, stderr);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
