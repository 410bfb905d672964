/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_metrics.c - the Prometheus registry: exact /metrics text for a
 * known state, lag gauges from a librdkafka statistics document, and real
 * HTTP requests to the daemon on an ephemeral 127.0.0.1 port.
 *
 * `test_metrics --render FILE` writes the known state's text to FILE for
 * the promtool check (tests/promtool-check.sh).
 */
#include <setjmp.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <arpa/inet.h>
#include <cmocka.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sys/socket.h>
#include <unistd.h>

#include "observe/metrics.h"

/* A librdkafka consumer statistics document, cut to the fields read
 * (shape from librdkafka's STATISTICS.md), with an unassigned partition
 * and the internal partition -1. */
static const char stats_json[] =
    "{\"name\":\"rdkafka#consumer-1\",\"type\":\"consumer\","
    "\"ts\":123,\"time\":1795806000,"
    "\"brokers\":{},"
    "\"topics\":{"
    " \"mta-logs\":{\"topic\":\"mta-logs\",\"metadata_age\":10,"
    "  \"partitions\":{"
    "   \"1\":{\"partition\":1,\"fetch_state\":\"active\","
    "\"committed_offset\":5000,\"consumer_lag\":12},"
    "   \"0\":{\"partition\":0,\"fetch_state\":\"active\","
    "\"committed_offset\":90210,\"consumer_lag\":0},"
    "   \"2\":{\"partition\":2,\"fetch_state\":\"none\","
    "\"committed_offset\":-1001,\"consumer_lag\":-1},"
    "   \"-1\":{\"partition\":-1,\"committed_offset\":-1001,"
    "\"consumer_lag\":-1}}},"
    " \"exim-logs\":{\"topic\":\"exim-logs\",\"partitions\":{"
    "   \"3\":{\"partition\":3,\"committed_offset\":-1001,"
    "\"consumer_lag\":7}}}},"
    "\"cgrp\":{\"state\":\"up\"}}";

/* The registry after a known sequence of updates. */
static rs_metrics_t *known_state(void)
{
	rs_metrics_t *m = rs_metrics_new();
	rs_counts_t c;
	rs_metrics_latencies_t lat;

	assert_non_null(m);
	memset(&c, 0, sizeof(c));
	c.lines = 10;
	c.bytes = 1234;
	c.events = 5;
	c.skipped = 4;
	c.malformed = 1;
	c.by_cause_stage[RS_CAUSE_RATE_LIMIT][RS_STAGE_RCPT_TO] = 3;
	c.by_cause_stage[RS_CAUSE_GREYLISTING][RS_STAGE_RCPT_TO] = 2;
	rs_metrics_add_counts(m, &c);
	c.by_cause_stage[RS_CAUSE_GREYLISTING][RS_STAGE_RCPT_TO] = 0;
	rs_metrics_add_counts(m, &c);
	rs_metrics_inc(m, RS_METRIC_DEAD_LETTERED, 1);
	rs_metrics_inc(m, RS_METRIC_PRODUCE_ERRORS, 2);
	rs_metrics_set_total(m, RS_METRIC_COMMITS, 7);
	rs_metrics_inc(m, RS_METRIC_RULES_RELOADS_OK, 1);
	rs_metrics_inc(m, RS_METRIC_RULES_STALE, 3);
	rs_metrics_set_rules_loaded(m, 212);
	rs_metrics_observe_latency(m, 0.0005);
	rs_metrics_observe_latency(m, 0.003);
	rs_metrics_observe_latency(m, 0.2);
	rs_metrics_observe_latency(m, 75);
	rs_metrics_observe_latency(m, -1); /* clock step: counted as 0 */
	/* Exactly-once: held with a transaction, added when it commits
	 * (the second one aborts: never added). */
	memset(&lat, 0, sizeof(lat));
	rs_metrics_latencies_observe(&lat, 0.004);
	rs_metrics_latencies_observe(&lat, 2);
	rs_metrics_latencies_observe(&lat, NAN);
	rs_metrics_add_latencies(m, &lat);
	memset(&lat, 0, sizeof(lat));
	rs_metrics_latencies_observe(&lat, 0.004);
	rs_metrics_inc(m, RS_METRIC_TXN_COMMITTED, 4);
	rs_metrics_inc(m, RS_METRIC_TXN_ABORTED, 1);
	rs_metrics_set_total(m, RS_METRIC_TXN_REWINDS, 1);
	rs_metrics_observe_commit(m, 0.02);
	rs_metrics_observe_commit(m, 0.3);
	assert_int_equal(
	    rs_metrics_update_from_stats(m, stats_json, sizeof(stats_json) - 1),
	    0);
	return m;
}

/* The render as a NUL-terminated string. Caller frees. */
static char *render(rs_metrics_t *m)
{
	rs_buf_t buf = {0};

	rs_metrics_render(m, &buf);
	rs_buf_putc(&buf, '\0');
	assert_false(buf.failed);
	return buf.data;
}

static const char empty_text[] =
    "# HELP replyscan_build_info The running replyscan's version (always "
    "1).\n"
    "# TYPE replyscan_build_info gauge\n"
    "replyscan_build_info{version=\"" RS_VERSION "\"} 1\n"
    "# HELP replyscan_lines_total Input lines read.\n"
    "# TYPE replyscan_lines_total counter\n"
    "replyscan_lines_total 0\n"
    "# HELP replyscan_bytes_total Input bytes read.\n"
    "# TYPE replyscan_bytes_total counter\n"
    "replyscan_bytes_total 0\n"
    "# HELP replyscan_events_total Deferral events produced (exactly-once: "
    "in committed transactions), by cause class and SMTP stage.\n"
    "# TYPE replyscan_events_total counter\n"
    "# HELP replyscan_skipped_lines_total Lines that are not delivery "
    "outcomes (or sent ones, unless included).\n"
    "# TYPE replyscan_skipped_lines_total counter\n"
    "replyscan_skipped_lines_total 0\n"
    "# HELP replyscan_malformed_lines_total Lines that claim a log format "
    "but cannot be read.\n"
    "# TYPE replyscan_malformed_lines_total counter\n"
    "replyscan_malformed_lines_total 0\n"
    "# HELP replyscan_dead_lettered_total Unreadable lines produced to the "
    "dead-letter topic.\n"
    "# TYPE replyscan_dead_lettered_total counter\n"
    "replyscan_dead_lettered_total 0\n"
    "# HELP replyscan_produce_errors_total Failed deliveries to Kafka (each "
    "is retried).\n"
    "# TYPE replyscan_produce_errors_total counter\n"
    "replyscan_produce_errors_total 0\n"
    "# HELP replyscan_commits_total Input offset commits (at-least-once; "
    "exactly-once commits offsets in its transactions).\n"
    "# TYPE replyscan_commits_total counter\n"
    "replyscan_commits_total 0\n"
    "# HELP replyscan_transactions_total Exactly-once transactions, by "
    "result.\n"
    "# TYPE replyscan_transactions_total counter\n"
    "replyscan_transactions_total{result=\"committed\"} 0\n"
    "replyscan_transactions_total{result=\"aborted\"} 0\n"
    "# HELP replyscan_transaction_rewinds_total Exactly-once: times the "
    "input was sought back to the committed offsets after an abort or a "
    "revocation.\n"
    "# TYPE replyscan_transaction_rewinds_total counter\n"
    "replyscan_transaction_rewinds_total 0\n"
    "# HELP replyscan_rules_reloads_total Rule set reloads, by result.\n"
    "# TYPE replyscan_rules_reloads_total counter\n"
    "replyscan_rules_reloads_total{result=\"ok\"} 0\n"
    "replyscan_rules_reloads_total{result=\"error\"} 0\n"
    "# HELP replyscan_rules_stale_total Times a worker could not take a "
    "reloaded rule set (no Hyperscan scratch) and kept the previous one.\n"
    "# TYPE replyscan_rules_stale_total counter\n"
    "replyscan_rules_stale_total 0\n"
    "# HELP replyscan_rules_loaded Rules in the rule set in use.\n"
    "# TYPE replyscan_rules_loaded gauge\n"
    "replyscan_rules_loaded 0\n"
    "# HELP replyscan_consumer_lag Messages between the committed offset and "
    "the end of the partition (librdkafka statistics).\n"
    "# TYPE replyscan_consumer_lag gauge\n"
    "# HELP replyscan_committed_offset Last committed input offset "
    "(librdkafka statistics).\n"
    "# TYPE replyscan_committed_offset gauge\n"
    "# HELP replyscan_processing_latency_seconds Time from an input "
    "message's Kafka timestamp to its event being handed to the producer "
    "(exactly-once: counted when its transaction commits).\n"
    "# TYPE replyscan_processing_latency_seconds histogram\n"
    "replyscan_processing_latency_seconds_bucket{le=\"0.001\"} 0\n"
    "replyscan_processing_latency_seconds_bucket{le=\"0.0025\"} 0\n"
    "replyscan_processing_latency_seconds_bucket{le=\"0.005\"} 0\n"
    "replyscan_processing_latency_seconds_bucket{le=\"0.01\"} 0\n"
    "replyscan_processing_latency_seconds_bucket{le=\"0.025\"} 0\n"
    "replyscan_processing_latency_seconds_bucket{le=\"0.05\"} 0\n"
    "replyscan_processing_latency_seconds_bucket{le=\"0.1\"} 0\n"
    "replyscan_processing_latency_seconds_bucket{le=\"0.25\"} 0\n"
    "replyscan_processing_latency_seconds_bucket{le=\"0.5\"} 0\n"
    "replyscan_processing_latency_seconds_bucket{le=\"1\"} 0\n"
    "replyscan_processing_latency_seconds_bucket{le=\"2.5\"} 0\n"
    "replyscan_processing_latency_seconds_bucket{le=\"5\"} 0\n"
    "replyscan_processing_latency_seconds_bucket{le=\"10\"} 0\n"
    "replyscan_processing_latency_seconds_bucket{le=\"30\"} 0\n"
    "replyscan_processing_latency_seconds_bucket{le=\"60\"} 0\n"
    "replyscan_processing_latency_seconds_bucket{le=\"+Inf\"} 0\n"
    "replyscan_processing_latency_seconds_sum 0.000000\n"
    "replyscan_processing_latency_seconds_count 0\n"
    "# HELP replyscan_transaction_commit_seconds Exactly-once: time to "
    "add the input offsets to a transaction and commit it.\n"
    "# TYPE replyscan_transaction_commit_seconds histogram\n"
    "replyscan_transaction_commit_seconds_bucket{le=\"0.001\"} 0\n"
    "replyscan_transaction_commit_seconds_bucket{le=\"0.0025\"} 0\n"
    "replyscan_transaction_commit_seconds_bucket{le=\"0.005\"} 0\n"
    "replyscan_transaction_commit_seconds_bucket{le=\"0.01\"} 0\n"
    "replyscan_transaction_commit_seconds_bucket{le=\"0.025\"} 0\n"
    "replyscan_transaction_commit_seconds_bucket{le=\"0.05\"} 0\n"
    "replyscan_transaction_commit_seconds_bucket{le=\"0.1\"} 0\n"
    "replyscan_transaction_commit_seconds_bucket{le=\"0.25\"} 0\n"
    "replyscan_transaction_commit_seconds_bucket{le=\"0.5\"} 0\n"
    "replyscan_transaction_commit_seconds_bucket{le=\"1\"} 0\n"
    "replyscan_transaction_commit_seconds_bucket{le=\"2.5\"} 0\n"
    "replyscan_transaction_commit_seconds_bucket{le=\"5\"} 0\n"
    "replyscan_transaction_commit_seconds_bucket{le=\"10\"} 0\n"
    "replyscan_transaction_commit_seconds_bucket{le=\"30\"} 0\n"
    "replyscan_transaction_commit_seconds_bucket{le=\"60\"} 0\n"
    "replyscan_transaction_commit_seconds_bucket{le=\"+Inf\"} 0\n"
    "replyscan_transaction_commit_seconds_sum 0.000000\n"
    "replyscan_transaction_commit_seconds_count 0\n";

static void test_render_empty(void **state)
{
	rs_metrics_t *m = rs_metrics_new();
	char *text;

	(void)state;
	assert_non_null(m);
	text = render(m);
	assert_string_equal(text, empty_text);
	free(text);
	assert_int_equal(rs_metrics_port(m), 0);
	rs_metrics_destroy(m);
	rs_metrics_destroy(NULL);
}

static void test_render_known_state(void **state)
{
	rs_metrics_t *m = known_state();
	char *text = render(m);

	(void)state;
	assert_string_equal(
	    text,
	    "# HELP replyscan_build_info The running replyscan's version "
	    "(always 1).\n"
	    "# TYPE replyscan_build_info gauge\n"
	    "replyscan_build_info{version=\"" RS_VERSION "\"} 1\n"
	    "# HELP replyscan_lines_total Input lines read.\n"
	    "# TYPE replyscan_lines_total counter\n"
	    "replyscan_lines_total 20\n"
	    "# HELP replyscan_bytes_total Input bytes read.\n"
	    "# TYPE replyscan_bytes_total counter\n"
	    "replyscan_bytes_total 2468\n"
	    "# HELP replyscan_events_total Deferral events produced "
	    "(exactly-once: in committed transactions), by cause class and "
	    "SMTP stage.\n"
	    "# TYPE replyscan_events_total counter\n"
	    "replyscan_events_total{cause=\"rate_limit\",stage=\"rcpt_to\"} 6\n"
	    "replyscan_events_total{cause=\"greylisting\",stage=\"rcpt_to\"} "
	    "2\n"
	    "# HELP replyscan_skipped_lines_total Lines that are not delivery "
	    "outcomes (or sent ones, unless included).\n"
	    "# TYPE replyscan_skipped_lines_total counter\n"
	    "replyscan_skipped_lines_total 8\n"
	    "# HELP replyscan_malformed_lines_total Lines that claim a log "
	    "format but cannot be read.\n"
	    "# TYPE replyscan_malformed_lines_total counter\n"
	    "replyscan_malformed_lines_total 2\n"
	    "# HELP replyscan_dead_lettered_total Unreadable lines produced to "
	    "the dead-letter topic.\n"
	    "# TYPE replyscan_dead_lettered_total counter\n"
	    "replyscan_dead_lettered_total 1\n"
	    "# HELP replyscan_produce_errors_total Failed deliveries to Kafka "
	    "(each is retried).\n"
	    "# TYPE replyscan_produce_errors_total counter\n"
	    "replyscan_produce_errors_total 2\n"
	    "# HELP replyscan_commits_total Input offset commits "
	    "(at-least-once; exactly-once commits offsets in its "
	    "transactions).\n"
	    "# TYPE replyscan_commits_total counter\n"
	    "replyscan_commits_total 7\n"
	    "# HELP replyscan_transactions_total Exactly-once transactions, by "
	    "result.\n"
	    "# TYPE replyscan_transactions_total counter\n"
	    "replyscan_transactions_total{result=\"committed\"} 4\n"
	    "replyscan_transactions_total{result=\"aborted\"} 1\n"
	    "# HELP replyscan_transaction_rewinds_total Exactly-once: times "
	    "the "
	    "input was sought back to the committed offsets after an abort or "
	    "a "
	    "revocation.\n"
	    "# TYPE replyscan_transaction_rewinds_total counter\n"
	    "replyscan_transaction_rewinds_total 1\n"
	    "# HELP replyscan_rules_reloads_total Rule set reloads, by "
	    "result.\n"
	    "# TYPE replyscan_rules_reloads_total counter\n"
	    "replyscan_rules_reloads_total{result=\"ok\"} 1\n"
	    "replyscan_rules_reloads_total{result=\"error\"} 0\n"
	    "# HELP replyscan_rules_stale_total Times a worker could not take "
	    "a reloaded rule set (no Hyperscan scratch) and kept the previous "
	    "one.\n"
	    "# TYPE replyscan_rules_stale_total counter\n"
	    "replyscan_rules_stale_total 3\n"
	    "# HELP replyscan_rules_loaded Rules in the rule set in use.\n"
	    "# TYPE replyscan_rules_loaded gauge\n"
	    "replyscan_rules_loaded 212\n"
	    "# HELP replyscan_consumer_lag Messages between the committed "
	    "offset "
	    "and the end of the partition (librdkafka statistics).\n"
	    "# TYPE replyscan_consumer_lag gauge\n"
	    "replyscan_consumer_lag{topic=\"exim-logs\",partition=\"3\"} 7\n"
	    "replyscan_consumer_lag{topic=\"mta-logs\",partition=\"0\"} 0\n"
	    "replyscan_consumer_lag{topic=\"mta-logs\",partition=\"1\"} 12\n"
	    "# HELP replyscan_committed_offset Last committed input offset "
	    "(librdkafka statistics).\n"
	    "# TYPE replyscan_committed_offset gauge\n"
	    "replyscan_committed_offset{topic=\"mta-logs\",partition=\"0\"} "
	    "90210\n"
	    "replyscan_committed_offset{topic=\"mta-logs\",partition=\"1\"} "
	    "5000\n"
	    "# HELP replyscan_processing_latency_seconds Time from an input "
	    "message's Kafka timestamp to its event being handed to the "
	    "producer (exactly-once: counted when its transaction "
	    "commits).\n"
	    "# TYPE replyscan_processing_latency_seconds histogram\n"
	    "replyscan_processing_latency_seconds_bucket{le=\"0.001\"} 2\n"
	    "replyscan_processing_latency_seconds_bucket{le=\"0.0025\"} 2\n"
	    "replyscan_processing_latency_seconds_bucket{le=\"0.005\"} 4\n"
	    "replyscan_processing_latency_seconds_bucket{le=\"0.01\"} 4\n"
	    "replyscan_processing_latency_seconds_bucket{le=\"0.025\"} 4\n"
	    "replyscan_processing_latency_seconds_bucket{le=\"0.05\"} 4\n"
	    "replyscan_processing_latency_seconds_bucket{le=\"0.1\"} 4\n"
	    "replyscan_processing_latency_seconds_bucket{le=\"0.25\"} 5\n"
	    "replyscan_processing_latency_seconds_bucket{le=\"0.5\"} 5\n"
	    "replyscan_processing_latency_seconds_bucket{le=\"1\"} 5\n"
	    "replyscan_processing_latency_seconds_bucket{le=\"2.5\"} 6\n"
	    "replyscan_processing_latency_seconds_bucket{le=\"5\"} 6\n"
	    "replyscan_processing_latency_seconds_bucket{le=\"10\"} 6\n"
	    "replyscan_processing_latency_seconds_bucket{le=\"30\"} 6\n"
	    "replyscan_processing_latency_seconds_bucket{le=\"60\"} 6\n"
	    "replyscan_processing_latency_seconds_bucket{le=\"+Inf\"} 7\n"
	    "replyscan_processing_latency_seconds_sum 77.207500\n"
	    "replyscan_processing_latency_seconds_count 7\n"
	    "# HELP replyscan_transaction_commit_seconds Exactly-once: time to "
	    "add the input offsets to a transaction and commit it.\n"
	    "# TYPE replyscan_transaction_commit_seconds histogram\n"
	    "replyscan_transaction_commit_seconds_bucket{le=\"0.001\"} 0\n"
	    "replyscan_transaction_commit_seconds_bucket{le=\"0.0025\"} 0\n"
	    "replyscan_transaction_commit_seconds_bucket{le=\"0.005\"} 0\n"
	    "replyscan_transaction_commit_seconds_bucket{le=\"0.01\"} 0\n"
	    "replyscan_transaction_commit_seconds_bucket{le=\"0.025\"} 1\n"
	    "replyscan_transaction_commit_seconds_bucket{le=\"0.05\"} 1\n"
	    "replyscan_transaction_commit_seconds_bucket{le=\"0.1\"} 1\n"
	    "replyscan_transaction_commit_seconds_bucket{le=\"0.25\"} 1\n"
	    "replyscan_transaction_commit_seconds_bucket{le=\"0.5\"} 2\n"
	    "replyscan_transaction_commit_seconds_bucket{le=\"1\"} 2\n"
	    "replyscan_transaction_commit_seconds_bucket{le=\"2.5\"} 2\n"
	    "replyscan_transaction_commit_seconds_bucket{le=\"5\"} 2\n"
	    "replyscan_transaction_commit_seconds_bucket{le=\"10\"} 2\n"
	    "replyscan_transaction_commit_seconds_bucket{le=\"30\"} 2\n"
	    "replyscan_transaction_commit_seconds_bucket{le=\"60\"} 2\n"
	    "replyscan_transaction_commit_seconds_bucket{le=\"+Inf\"} 2\n"
	    "replyscan_transaction_commit_seconds_sum 0.320000\n"
	    "replyscan_transaction_commit_seconds_count 2\n");
	free(text);
	rs_metrics_destroy(m);
}

/* Statistics replace the table; other documents leave it alone. */
static void test_stats(void **state)
{
	rs_metrics_t *m = known_state();
	static const char producer[] =
	    "{\"type\":\"producer\",\"topics\":{\"deferral-events\":{"
	    "\"partitions\":{\"0\":{\"partition\":0,\"consumer_lag\":-1,"
	    "\"committed_offset\":-1001}}}}}";
	static const char revoked[] =
	    "{\"type\":\"consumer\",\"topics\":{\"mta-logs\":{\"partitions\":{"
	    "\"1\":{\"partition\":1,\"consumer_lag\":3,"
	    "\"committed_offset\":5009}}}}}";
	char *text;

	(void)state;
	assert_int_equal(
	    rs_metrics_update_from_stats(m, producer, sizeof(producer) - 1), 0);
	assert_int_equal(rs_metrics_update_from_stats(m, "{\"topics\":", 10),
	                 -1);
	assert_int_equal(rs_metrics_update_from_stats(m, "[1,2]", 5), -1);
	assert_int_equal(
	    rs_metrics_update_from_stats(m, "{\"type\":\"consumer\"}", 19), -1);
	text = render(m);
	assert_non_null(strstr(
	    text, "replyscan_consumer_lag{topic=\"mta-logs\",partition=\"1\"} "
		  "12\n"));
	assert_non_null(
	    strstr(text, "{topic=\"exim-logs\",partition=\"3\"} 7\n"));
	assert_null(strstr(text, "deferral-events"));
	assert_null(strstr(text, "partition=\"-1\""));
	assert_null(strstr(text, "partition=\"2\""));
	free(text);

	/* Partitions given up in a rebalance disappear. */
	assert_int_equal(
	    rs_metrics_update_from_stats(m, revoked, sizeof(revoked) - 1), 0);
	text = render(m);
	assert_non_null(strstr(
	    text,
	    "# TYPE replyscan_consumer_lag gauge\n"
	    "replyscan_consumer_lag{topic=\"mta-logs\",partition=\"1\"} 3\n"
	    "# HELP replyscan_committed_offset"));
	assert_non_null(strstr(
	    text,
	    "# TYPE replyscan_committed_offset gauge\n"
	    "replyscan_committed_offset{topic=\"mta-logs\",partition=\"1\"} "
	    "5009\n# HELP"));
	free(text);
	rs_metrics_destroy(m);
}

/* ------------------------------------------------------------------ */
/* HTTP                                                               */
/* ------------------------------------------------------------------ */

typedef struct http_reply {
	int status;
	char *head; /* status line and headers */
	char *body;
} http_reply_t;

/* One HTTP/1.0 request to 127.0.0.1:port with a plain socket. */
static http_reply_t http_request(unsigned port, const char *method,
                                 const char *path)
{
	struct sockaddr_in sa;
	http_reply_t r = {0, NULL, NULL};
	char req[256];
	char *data = NULL;
	size_t len = 0, cap = 0;
	char *split;
	int fd;

	fd = socket(AF_INET, SOCK_STREAM, 0);
	assert_true(fd >= 0);
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_port = htons((uint16_t)port);
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n",
	         method, path);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	for (;;) {
		ssize_t n;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 8192;
			data = realloc(data, cap);
			assert_non_null(data);
		}
		n = read(fd, data + len, cap - len - 1);
		assert_true(n >= 0);
		if (n == 0) {
			break;
		}
		len += (size_t)n;
	}
	close(fd);
	data[len] = '\0';
	assert_int_equal(sscanf(data, "HTTP/1.%*d %d", &r.status), 1);
	split = strstr(data, "\r\n\r\n");
	assert_non_null(split);
	*split = '\0';
	r.head = strdup(data);
	r.body = strdup(split + 4);
	free(data);
	return r;
}

static void http_reply_free(http_reply_t *r)
{
	free(r->head);
	free(r->body);
}

/* A health check: unhealthy with ctx as the reason, healthy if NULL. */
static int stalled(void *ctx, char *why, size_t why_size)
{
	if (ctx == NULL) {
		return 0;
	}
	snprintf(why, why_size, "%s", (const char *)ctx);
	return -1;
}

static void test_http(void **state)
{
	rs_metrics_t *m = known_state();
	http_reply_t r;
	char err[256];
	unsigned port;

	(void)state;
	assert_int_equal(rs_metrics_listen(m, "127.0.0.1:0", err, sizeof(err)),
	                 0);
	port = rs_metrics_port(m);
	assert_true(port > 0);

	r = http_request(port, "GET", "/metrics");
	assert_int_equal(r.status, 200);
	assert_non_null(strstr(r.head, "\r\nContent-Type: text/plain; "
	                               "version=0.0.4; charset=utf-8"));
	{
		char *text = render(m);

		assert_string_equal(r.body, text);
		free(text);
	}
	http_reply_free(&r);

	r = http_request(port, "GET", "/healthz");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok\n");
	http_reply_free(&r);
	/* A health check says why; removing it brings 200 back. */
	rs_metrics_set_health_check(m, stalled, (void *)"output stalled");
	r = http_request(port, "GET", "/healthz");
	assert_int_equal(r.status, 503);
	assert_string_equal(r.body, "unhealthy: output stalled\n");
	http_reply_free(&r);
	rs_metrics_set_health_check(m, stalled, NULL);
	r = http_request(port, "GET", "/healthz");
	assert_int_equal(r.status, 200);
	http_reply_free(&r);
	rs_metrics_set_health_check(m, NULL, NULL);
	r = http_request(port, "GET", "/healthz");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok\n");
	http_reply_free(&r);
	rs_metrics_set_healthy(m, 0);
	r = http_request(port, "GET", "/healthz");
	assert_int_equal(r.status, 503);
	assert_string_equal(r.body, "unhealthy\n");
	http_reply_free(&r);

	r = http_request(port, "GET", "/readyz");
	assert_int_equal(r.status, 503);
	assert_string_equal(r.body, "not ready\n");
	http_reply_free(&r);
	rs_metrics_set_ready(m, 1);
	r = http_request(port, "GET", "/readyz");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "ok\n");
	http_reply_free(&r);

	r = http_request(port, "GET", "/metrics/extra");
	assert_int_equal(r.status, 404);
	http_reply_free(&r);
	r = http_request(port, "GET", "/");
	assert_int_equal(r.status, 404);
	http_reply_free(&r);
	r = http_request(port, "POST", "/metrics");
	assert_int_equal(r.status, 405);
	assert_non_null(strstr(r.head, "\r\nAllow: GET, HEAD"));
	http_reply_free(&r);
	r = http_request(port, "HEAD", "/metrics");
	assert_int_equal(r.status, 200);
	assert_string_equal(r.body, "");
	http_reply_free(&r);

	/* Listening twice is refused; so is a port in use. */
	assert_int_equal(rs_metrics_listen(m, "127.0.0.1:0", err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "the metrics endpoint is already listening");
	{
		rs_metrics_t *m2 = rs_metrics_new();
		char addr[64], want[256];

		snprintf(addr, sizeof(addr), "127.0.0.1:%u", port);
		assert_int_equal(rs_metrics_listen(m2, addr, err, sizeof(err)),
		                 -1);
		snprintf(
		    want, sizeof(want),
		    "cannot listen on %s for metrics: Address already in use",
		    addr);
		assert_string_equal(err, want);
		assert_int_equal(rs_metrics_port(m2), 0);
		rs_metrics_destroy(m2);
	}
	rs_metrics_destroy(m);
}

static void test_listen_addresses(void **state)
{
	static const struct {
		const char *addr;
		const char *error; /* NULL: listens */
	} cases[] = {
	    {":0", NULL},
	    {"localhost:0", NULL},
	    {"9464", "metrics address 9464 is not ADDR:PORT (e.g. "
	             "127.0.0.1:9464 or :9464)"},
	    {"127.0.0.1:", "metrics address 127.0.0.1: is not ADDR:PORT (e.g. "
	                   "127.0.0.1:9464 or :9464)"},
	    {"[::1", "metrics address [::1 is not ADDR:PORT (e.g. "
	             "127.0.0.1:9464 or :9464)"},
	    {"127.0.0.1:http", NULL /* checked below: refused */},
	    {"192.0.2.1:0", "cannot listen on 192.0.2.1:0 for metrics: Cannot "
	                    "assign requested address"},
	};
	char err[256];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rs_metrics_t *m = rs_metrics_new();
		int rc = rs_metrics_listen(m, cases[i].addr, err, sizeof(err));

		if (strcmp(cases[i].addr, "127.0.0.1:http") == 0) {
			/* Ports are numbers only (AI_NUMERICSERV). */
			assert_int_equal(rc, -1);
			assert_non_null(strstr(err,
			                       "cannot resolve metrics "
			                       "address 127.0.0.1:http: "));
		} else if (cases[i].error == NULL) {
			if (rc != 0) {
				fail_msg("%s: %s", cases[i].addr, err);
			}
			assert_true(rs_metrics_port(m) > 0);
			if (strcmp(cases[i].addr, ":0") == 0) {
				/* Every address includes the loopback. */
				http_reply_t r = http_request(
				    rs_metrics_port(m), "GET", "/healthz");

				assert_int_equal(r.status, 200);
				http_reply_free(&r);
			}
		} else {
			assert_int_equal(rc, -1);
			assert_string_equal(err, cases[i].error);
		}
		rs_metrics_destroy(m);
	}
}

/* Updates from another thread while requests are served. */
#define WRITER_ROUNDS 20000

static void *writer(void *arg)
{
	rs_metrics_t *m = arg;
	rs_counts_t c;

	memset(&c, 0, sizeof(c));
	c.lines = 1;
	c.by_cause_stage[RS_CAUSE_BLOCKLIST][RS_STAGE_CONNECT] = 1;
	for (int i = 0; i < WRITER_ROUNDS; i++) {
		rs_metrics_add_counts(m, &c);
		rs_metrics_observe_latency(m, (double)(i % 100) / 1000.0);
		if (i % 1000 == 0) {
			rs_metrics_update_from_stats(m, stats_json,
			                             sizeof(stats_json) - 1);
		}
	}
	return NULL;
}

static void test_concurrent(void **state)
{
	rs_metrics_t *m = rs_metrics_new();
	pthread_t th;
	char err[256];
	char *text;

	(void)state;
	assert_int_equal(rs_metrics_listen(m, "127.0.0.1:0", err, sizeof(err)),
	                 0);
	assert_int_equal(pthread_create(&th, NULL, writer, m), 0);
	for (int i = 0; i < 20; i++) {
		http_reply_t r =
		    http_request(rs_metrics_port(m), "GET", "/metrics");

		assert_int_equal(r.status, 200);
		assert_non_null(strstr(r.body, "replyscan_lines_total "));
		http_reply_free(&r);
	}
	pthread_join(th, NULL);
	text = render(m);
	assert_non_null(strstr(text, "\nreplyscan_lines_total 20000\n"));
	assert_non_null(strstr(text, "{cause=\"blocklist\",stage=\"connect\"} "
	                             "20000\n"));
	assert_non_null(strstr(text, "_bucket{le=\"+Inf\"} 20000\n"));
	assert_non_null(strstr(text, "_count 20000\n"));
	free(text);
	rs_metrics_destroy(m);
}

int main(int argc, char **argv)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_render_empty),
	    cmocka_unit_test(test_render_known_state),
	    cmocka_unit_test(test_stats),
	    cmocka_unit_test(test_http),
	    cmocka_unit_test(test_listen_addresses),
	    cmocka_unit_test(test_concurrent),
	};

	if (argc == 3 && strcmp(argv[1], "--render") == 0) {
		rs_metrics_t *m = known_state();
		rs_buf_t buf = {0};
		FILE *f = fopen(argv[2], "w");

		if (f == NULL) {
			perror(argv[2]);
			return 1;
		}
		rs_metrics_render(m, &buf);
		fwrite(buf.data, 1, buf.len, f);
		fclose(f);
		rs_buf_free(&buf);
		rs_metrics_destroy(m);
		return 0;
	}
	return cmocka_run_group_tests(tests, NULL, NULL);
}
