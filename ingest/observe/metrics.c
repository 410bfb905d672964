/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.c - Prometheus counters and the libmicrohttpd endpoint; see
 * metrics.h.
 *
 * Length (a little over 800 lines): the registry, its text exposition and
 * the HTTP handlers (with the page hook posture uses) share one lock and
 * one lag table.
 *
 * Ownership: the registry owns its lag table (topic names copied out of
 * the statistics JSON) and the HTTP daemon with its listening socket.
 * Hazards: the HTTP thread reads while other threads write, so nothing
 * here is read without an atomic load or the lag lock; the listening
 * socket is created here (for an exact bind error and the bound port)
 * and handed to libmicrohttpd, which closes it when the daemon stops or
 * fails to start.
 */
#include "observe/metrics.h"

#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <jansson.h>
#include <math.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "observe/log.h"
#include "event/taxonomy.h"

#ifndef RS_VERSION
#define RS_VERSION "unknown"
#endif

#define METRICS_PREFIX "replyscan_"

/* Upper bounds of the latency buckets, seconds (+Inf follows). */
static const double lat_bounds[] = {0.001, 0.0025, 0.005, 0.01, 0.025,
                                    0.05,  0.1,    0.25,  0.5,  1,
                                    2.5,   5,      10,    30,   60};
static const char *const lat_labels[] = {
    "0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25",
    "0.5",   "1",      "2.5",   "5",    "10",    "30",   "60"};
#define LAT_NBOUNDS (sizeof(lat_bounds) / sizeof(lat_bounds[0]))

_Static_assert(sizeof(lat_labels) / sizeof(lat_labels[0]) == LAT_NBOUNDS,
               "one label per bound");
_Static_assert(RS_METRICS_LAT_BUCKETS == LAT_NBOUNDS + 1,
               "rs_metrics_latencies_t has a bucket per bound and +Inf");

/* A histogram over lat_bounds: per bucket, not cumulative; the last one
 * is above every bound. */
typedef struct hist {
	atomic_uint_fast64_t buckets[LAT_NBOUNDS + 1];
	atomic_uint_fast64_t sum_us;
} hist_t;

/* One partition's gauges from the statistics; negative: unknown. */
typedef struct lag_entry {
	char *topic;
	int32_t partition;
	int64_t lag;
	int64_t committed;
} lag_entry_t;

struct rs_metrics {
	atomic_uint_fast64_t counters[RS_METRIC__COUNT];
	atomic_uint_fast64_t events[RS_CAUSE__COUNT][RS_STAGE__COUNT];
	hist_t latency; /* log write to event */
	hist_t commit;  /* exactly-once: one transaction's commit */
	atomic_uint_fast64_t rules_loaded;
	atomic_int healthy;
	atomic_int ready;

	pthread_mutex_t lag_lock; /* guards lag and nlag */
	lag_entry_t *lag;
	size_t nlag;

	pthread_mutex_t health_lock; /* guards health_fn and health_ctx */
	rs_metrics_health_fn health_fn;
	void *health_ctx;

	struct MHD_Daemon *daemon;
	unsigned port;

	/* another command's pages and series (set before listening) */
	rs_metrics_page_fn page_fn;
	rs_metrics_extra_fn extra_fn;
	void *page_ctx;
};

/* ------------------------------------------------------------------ */
/* Updates (any thread)                                               */
/* ------------------------------------------------------------------ */

rs_metrics_t *rs_metrics_new(void)
{
	rs_metrics_t *m = calloc(1, sizeof(*m));

	if (m == NULL) {
		return NULL;
	}
	/* calloc's zero bytes are valid atomics on every target we build. */
	atomic_store(&m->healthy, 1);
	atomic_store(&m->ready, 0);
	if (pthread_mutex_init(&m->lag_lock, NULL) != 0) {
		free(m);
		return NULL;
	}
	if (pthread_mutex_init(&m->health_lock, NULL) != 0) {
		pthread_mutex_destroy(&m->lag_lock);
		free(m);
		return NULL;
	}
	return m;
}

void rs_metrics_inc(rs_metrics_t *m, rs_metric_t id, uint64_t n)
{
	if ((unsigned)id < RS_METRIC__COUNT) {
		atomic_fetch_add_explicit(&m->counters[id], n,
		                          memory_order_relaxed);
	}
}

void rs_metrics_set_total(rs_metrics_t *m, rs_metric_t id, uint64_t total)
{
	if ((unsigned)id < RS_METRIC__COUNT) {
		atomic_store_explicit(&m->counters[id], total,
		                      memory_order_relaxed);
	}
}

void rs_metrics_add_counts(rs_metrics_t *m, const rs_counts_t *c)
{
	rs_metrics_inc(m, RS_METRIC_LINES, c->lines);
	rs_metrics_inc(m, RS_METRIC_BYTES, c->bytes);
	rs_metrics_inc(m, RS_METRIC_SKIPPED, c->skipped);
	rs_metrics_inc(m, RS_METRIC_MALFORMED, c->malformed);
	for (size_t i = 0; i < RS_CAUSE__COUNT; i++) {
		for (size_t j = 0; j < RS_STAGE__COUNT; j++) {
			if (c->by_cause_stage[i][j] != 0) {
				atomic_fetch_add_explicit(
				    &m->events[i][j], c->by_cause_stage[i][j],
				    memory_order_relaxed);
			}
		}
	}
}

/* The bucket of a duration, and the duration in microseconds for the sum
 * (0 when it would not fit). NaN: -1, not observed. */
static int hist_bucket(double seconds, uint64_t *us)
{
	int i = 0;

	if (isnan(seconds)) {
		return -1;
	}
	if (seconds < 0) {
		seconds = 0;
	}
	while ((size_t)i < LAT_NBOUNDS && seconds > lat_bounds[i]) {
		i++;
	}
	/* Microseconds: 2^64 of them is half a million years of waiting. */
	*us = seconds < 1e9 ? (uint64_t)llround(seconds * 1e6) : 0;
	return i;
}

static void hist_observe(hist_t *h, double seconds)
{
	uint64_t us;
	int i = hist_bucket(seconds, &us);

	if (i < 0) {
		return;
	}
	atomic_fetch_add_explicit(&h->buckets[i], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&h->sum_us, us, memory_order_relaxed);
}

void rs_metrics_observe_latency(rs_metrics_t *m, double seconds)
{
	hist_observe(&m->latency, seconds);
}

void rs_metrics_observe_commit(rs_metrics_t *m, double seconds)
{
	hist_observe(&m->commit, seconds);
}

void rs_metrics_latencies_observe(rs_metrics_latencies_t *l, double seconds)
{
	uint64_t us;
	int i = hist_bucket(seconds, &us);

	if (i < 0) {
		return;
	}
	l->buckets[i]++;
	l->sum_us += us;
}

void rs_metrics_add_latencies(rs_metrics_t *m, const rs_metrics_latencies_t *l)
{
	for (size_t i = 0; i <= LAT_NBOUNDS; i++) {
		if (l->buckets[i] != 0) {
			atomic_fetch_add_explicit(&m->latency.buckets[i],
			                          l->buckets[i],
			                          memory_order_relaxed);
		}
	}
	atomic_fetch_add_explicit(&m->latency.sum_us, l->sum_us,
	                          memory_order_relaxed);
}

void rs_metrics_set_rules_loaded(rs_metrics_t *m, size_t n)
{
	atomic_store_explicit(&m->rules_loaded, n, memory_order_relaxed);
}

void rs_metrics_set_healthy(rs_metrics_t *m, int healthy)
{
	atomic_store(&m->healthy, healthy != 0);
}

void rs_metrics_set_ready(rs_metrics_t *m, int ready)
{
	atomic_store(&m->ready, ready != 0);
}

void rs_metrics_set_health_check(rs_metrics_t *m, rs_metrics_health_fn fn,
                                 void *ctx)
{
	pthread_mutex_lock(&m->health_lock);
	m->health_fn = fn;
	m->health_ctx = ctx;
	pthread_mutex_unlock(&m->health_lock);
}

/*
 * Healthy? 0, or -1 with the reason. The check runs under health_lock,
 * so that rs_metrics_set_health_check can retire its ctx safely.
 */
static int health(rs_metrics_t *m, char *why, size_t why_size)
{
	int rc = 0;

	if (!atomic_load(&m->healthy)) {
		snprintf(why, why_size, "unhealthy");
		return -1;
	}
	pthread_mutex_lock(&m->health_lock);
	if (m->health_fn != NULL) {
		char reason[200] = "";

		if (m->health_fn(m->health_ctx, reason, sizeof(reason)) != 0) {
			snprintf(why, why_size, "unhealthy: %s", reason);
			rc = -1;
		}
	}
	pthread_mutex_unlock(&m->health_lock);
	return rc;
}

/* ------------------------------------------------------------------ */
/* librdkafka statistics                                              */
/* ------------------------------------------------------------------ */

static void free_lag(lag_entry_t *lag, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(lag[i].topic);
	}
	free(lag);
}

/* Order by topic, then partition, so that output is stable. */
static int lag_cmp(const void *a, const void *b)
{
	const lag_entry_t *x = a, *y = b;
	int c = strcmp(x->topic, y->topic);

	if (c != 0) {
		return c;
	}
	return (x->partition > y->partition) - (x->partition < y->partition);
}

/* An integer field, or -1 when it is missing or not an integer. */
static int64_t json_int(const json_t *obj, const char *key)
{
	const json_t *v = json_object_get(obj, key);

	return json_is_integer(v) ? (int64_t)json_integer_value(v) : -1;
}

/*
 * Build the new lag table outside the lock, then swap it in.
 * @locality the consumer's poll thread (stats_cb).
 */
int rs_metrics_update_from_stats(rs_metrics_t *m, const char *json, size_t len)
{
	json_error_t jerr;
	json_t *root, *topics, *type;
	const char *tname;
	json_t *topic;
	lag_entry_t *lag = NULL, *old;
	size_t n = 0, cap = 0, nold;

	root = json_loadb(json, len, 0, &jerr);
	if (root == NULL || !json_is_object(root)) {
		json_decref(root);
		return -1;
	}
	type = json_object_get(root, "type");
	if (json_is_string(type) &&
	    strcmp(json_string_value(type), "consumer") != 0) {
		json_decref(root);
		return 0;
	}
	topics = json_object_get(root, "topics");
	if (!json_is_object(topics)) {
		json_decref(root);
		return -1;
	}
	json_object_foreach(topics, tname, topic)
	{
		json_t *parts = json_object_get(topic, "partitions");
		const char *pkey;
		json_t *part;

		if (!json_is_object(parts)) {
			continue;
		}
		json_object_foreach(parts, pkey, part)
		{
			int64_t id = json_int(part, "partition");
			int64_t lg = json_int(part, "consumer_lag");
			int64_t co = json_int(part, "committed_offset");

			/* -1 is librdkafka's internal unassigned partition. */
			if (id < 0 || id > INT32_MAX || (lg < 0 && co < 0)) {
				continue;
			}
			if (n == cap) {
				size_t ncap = cap ? cap * 2 : 16;
				lag_entry_t *nl =
				    realloc(lag, ncap * sizeof(*nl));

				if (nl == NULL) {
					goto oom;
				}
				lag = nl;
				cap = ncap;
			}
			lag[n].topic = strdup(tname);
			if (lag[n].topic == NULL) {
				goto oom;
			}
			lag[n].partition = (int32_t)id;
			lag[n].lag = lg;
			lag[n].committed = co;
			n++;
		}
	}
	json_decref(root);
	if (n > 1) {
		qsort(lag, n, sizeof(*lag), lag_cmp);
	}
	pthread_mutex_lock(&m->lag_lock);
	old = m->lag;
	nold = m->nlag;
	m->lag = lag;
	m->nlag = n;
	pthread_mutex_unlock(&m->lag_lock);
	free_lag(old, nold);
	return 0;
oom:
	json_decref(root);
	free_lag(lag, n);
	return -1;
}

/* ------------------------------------------------------------------ */
/* Rendering                                                          */
/* ------------------------------------------------------------------ */

/* "# HELP" and "# TYPE" lines of a metric. */
static void put_header(rs_buf_t *out, const char *name, const char *type,
                       const char *help)
{
	rs_buf_puts(out, "# HELP " METRICS_PREFIX);
	rs_buf_puts(out, name);
	rs_buf_putc(out, ' ');
	rs_buf_puts(out, help);
	rs_buf_puts(out, "\n# TYPE " METRICS_PREFIX);
	rs_buf_puts(out, name);
	rs_buf_putc(out, ' ');
	rs_buf_puts(out, type);
	rs_buf_putc(out, '\n');
}

/* A label value, escaped as the text format wants. */
static void put_label_value(rs_buf_t *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\') {
			rs_buf_puts(out, "\\\\");
		} else if (*s == '"') {
			rs_buf_puts(out, "\\\"");
		} else if (*s == '\n') {
			rs_buf_puts(out, "\\n");
		} else {
			rs_buf_putc(out, *s);
		}
	}
}

/* A whole counter or gauge without labels. */
static void put_simple(rs_buf_t *out, const char *name, const char *type,
                       const char *help, uint64_t v)
{
	put_header(out, name, type, help);
	rs_buf_puts(out, METRICS_PREFIX);
	rs_buf_puts(out, name);
	rs_buf_putc(out, ' ');
	rs_buf_put_u64(out, v);
	rs_buf_putc(out, '\n');
}

/* Relaxed read of a counter: each series is monotonic on its own. */
static uint64_t load(atomic_uint_fast64_t *a)
{
	return atomic_load_explicit(a, memory_order_relaxed);
}

/* The lag table's gauges; committed: 1 for committed_offset. */
static void put_partition_gauge(rs_metrics_t *m, rs_buf_t *out,
                                const char *name, const char *help,
                                int committed)
{
	put_header(out, name, "gauge", help);
	pthread_mutex_lock(&m->lag_lock);
	for (size_t i = 0; i < m->nlag; i++) {
		int64_t v = committed ? m->lag[i].committed : m->lag[i].lag;

		if (v < 0) {
			continue;
		}
		rs_buf_puts(out, METRICS_PREFIX);
		rs_buf_puts(out, name);
		rs_buf_puts(out, "{topic=\"");
		put_label_value(out, m->lag[i].topic);
		rs_buf_puts(out, "\",partition=\"");
		rs_buf_put_i64(out, m->lag[i].partition);
		rs_buf_puts(out, "\"} ");
		rs_buf_put_i64(out, v);
		rs_buf_putc(out, '\n');
	}
	pthread_mutex_unlock(&m->lag_lock);
}

/* A counter with two values of its label "result". */
static void put_by_result(rs_buf_t *out, const char *name, const char *help,
                          const char *r1, uint64_t v1, const char *r2,
                          uint64_t v2)
{
	const char *results[2] = {r1, r2};
	uint64_t values[2] = {v1, v2};

	put_header(out, name, "counter", help);
	for (int i = 0; i < 2; i++) {
		rs_buf_puts(out, METRICS_PREFIX);
		rs_buf_puts(out, name);
		rs_buf_puts(out, "{result=\"");
		rs_buf_puts(out, results[i]);
		rs_buf_puts(out, "\"} ");
		rs_buf_put_u64(out, values[i]);
		rs_buf_putc(out, '\n');
	}
}

/* One histogram over lat_bounds, its count equal to its +Inf bucket. */
static void put_histogram(rs_buf_t *out, const char *name, const char *help,
                          hist_t *h)
{
	uint64_t cum = 0;
	uint64_t sum_us;
	char tmp[64];

	put_header(out, name, "histogram", help);
	for (size_t i = 0; i <= LAT_NBOUNDS; i++) {
		cum += load(&h->buckets[i]);
		rs_buf_puts(out, METRICS_PREFIX);
		rs_buf_puts(out, name);
		rs_buf_puts(out, "_bucket{le=\"");
		rs_buf_puts(out, i < LAT_NBOUNDS ? lat_labels[i] : "+Inf");
		rs_buf_puts(out, "\"} ");
		rs_buf_put_u64(out, cum);
		rs_buf_putc(out, '\n');
	}
	sum_us = load(&h->sum_us);
	snprintf(tmp, sizeof(tmp), "%" PRIu64 ".%06" PRIu64, sum_us / 1000000,
	         sum_us % 1000000);
	rs_buf_puts(out, METRICS_PREFIX);
	rs_buf_puts(out, name);
	rs_buf_puts(out, "_sum ");
	rs_buf_puts(out, tmp);
	/* The count is the +Inf bucket read above: never out of step. */
	rs_buf_puts(out, "\n" METRICS_PREFIX);
	rs_buf_puts(out, name);
	rs_buf_puts(out, "_count ");
	rs_buf_put_u64(out, cum);
	rs_buf_putc(out, '\n');
}

/* The text format 0.0.4, metric by metric. @locality any thread. */
void rs_metrics_render(rs_metrics_t *m, rs_buf_t *out)
{
	put_header(out, "build_info", "gauge",
	           "The running replyscan's version (always 1).");
	rs_buf_puts(out, METRICS_PREFIX "build_info{version=\"");
	put_label_value(out, RS_VERSION);
	rs_buf_puts(out, "\"} 1\n");

	put_simple(out, "lines_total", "counter", "Input lines read.",
	           load(&m->counters[RS_METRIC_LINES]));
	put_simple(out, "bytes_total", "counter", "Input bytes read.",
	           load(&m->counters[RS_METRIC_BYTES]));

	put_header(out, "events_total", "counter",
	           "Deferral events produced (exactly-once: in committed "
	           "transactions), by cause class and SMTP stage.");
	for (size_t i = 0; i < RS_CAUSE__COUNT; i++) {
		for (size_t j = 0; j < RS_STAGE__COUNT; j++) {
			uint64_t v = load(&m->events[i][j]);

			if (v == 0) {
				continue;
			}
			rs_buf_puts(out,
			            METRICS_PREFIX "events_total{cause=\"");
			rs_buf_puts(out, rs_taxonomy_cause_name((rs_cause_t)i));
			rs_buf_puts(out, "\",stage=\"");
			rs_buf_puts(out, rs_taxonomy_stage_name((rs_stage_t)j));
			rs_buf_puts(out, "\"} ");
			rs_buf_put_u64(out, v);
			rs_buf_putc(out, '\n');
		}
	}

	put_simple(out, "skipped_lines_total", "counter",
	           "Lines that are not delivery outcomes (or sent ones, "
	           "unless included).",
	           load(&m->counters[RS_METRIC_SKIPPED]));
	put_simple(out, "malformed_lines_total", "counter",
	           "Lines that claim a log format but cannot be read.",
	           load(&m->counters[RS_METRIC_MALFORMED]));
	put_simple(out, "dead_lettered_total", "counter",
	           "Unreadable lines produced to the dead-letter topic.",
	           load(&m->counters[RS_METRIC_DEAD_LETTERED]));
	put_simple(out, "produce_errors_total", "counter",
	           "Failed deliveries to Kafka (each is retried).",
	           load(&m->counters[RS_METRIC_PRODUCE_ERRORS]));
	put_simple(out, "commits_total", "counter",
	           "Input offset commits (at-least-once; exactly-once commits "
	           "offsets in its transactions).",
	           load(&m->counters[RS_METRIC_COMMITS]));

	put_by_result(out, "transactions_total",
	              "Exactly-once transactions, by result.", "committed",
	              load(&m->counters[RS_METRIC_TXN_COMMITTED]), "aborted",
	              load(&m->counters[RS_METRIC_TXN_ABORTED]));
	put_simple(out, "transaction_rewinds_total", "counter",
	           "Exactly-once: times the input was sought back to the "
	           "committed offsets after an abort or a revocation.",
	           load(&m->counters[RS_METRIC_TXN_REWINDS]));

	put_by_result(out, "rules_reloads_total",
	              "Rule set reloads, by result.", "ok",
	              load(&m->counters[RS_METRIC_RULES_RELOADS_OK]), "error",
	              load(&m->counters[RS_METRIC_RULES_RELOADS_ERROR]));

	put_simple(out, "rules_stale_total", "counter",
	           "Times a worker could not take a reloaded rule set (no "
	           "Hyperscan scratch) and kept the previous one.",
	           load(&m->counters[RS_METRIC_RULES_STALE]));

	put_simple(out, "rules_loaded", "gauge",
	           "Rules in the rule set in use.", load(&m->rules_loaded));

	put_partition_gauge(m, out, "consumer_lag",
	                    "Messages between the committed offset and the "
	                    "end of the partition (librdkafka statistics).",
	                    0);
	put_partition_gauge(m, out, "committed_offset",
	                    "Last committed input offset (librdkafka "
	                    "statistics).",
	                    1);

	put_histogram(out, "processing_latency_seconds",
	              "Time from an input message's Kafka timestamp to its "
	              "event being handed to the producer (exactly-once: "
	              "counted when its transaction commits).",
	              &m->latency);
	put_histogram(out, "transaction_commit_seconds",
	              "Exactly-once: time to add the input offsets to a "
	              "transaction and commit it.",
	              &m->commit);
	if (m->extra_fn != NULL) {
		m->extra_fn(m->page_ctx, out);
	}
}

/* ------------------------------------------------------------------ */
/* HTTP                                                               */
/* ------------------------------------------------------------------ */

/* Queue a response from static text. */
static enum MHD_Result reply_text(struct MHD_Connection *conn, unsigned status,
                                  const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(strlen(text), (void *)text,
	                                    MHD_RESPMEM_PERSISTENT);
	if (r == NULL) {
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        "text/plain; charset=utf-8");
	if (status == MHD_HTTP_METHOD_NOT_ALLOWED) {
		MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
	}
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* Queue a response from text that dies with the caller: a copy, and a
 * newline after it. */
static enum MHD_Result reply_copy(struct MHD_Connection *conn, unsigned status,
                                  const char *text)
{
	struct MHD_Response *r;
	enum MHD_Result rc;
	size_t n = strlen(text);
	char *copy = malloc(n + 2);

	if (copy == NULL) {
		return MHD_NO;
	}
	memcpy(copy, text, n);
	copy[n] = '\n';
	copy[n + 1] = '\0';
	/* malloc'd: MHD frees it with free(). */
	r = MHD_create_response_from_buffer(n + 1, copy, MHD_RESPMEM_MUST_FREE);
	if (r == NULL) {
		free(copy);
		return MHD_NO;
	}
	MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	                        "text/plain; charset=utf-8");
	rc = MHD_queue_response(conn, status, r);
	MHD_destroy_response(r);
	return rc;
}

/* Every request. @locality the libmicrohttpd thread. */
static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
                                  const char *url, const char *method,
                                  const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
	rs_metrics_t *m = cls;

	(void)version;
	(void)upload;
	(void)upload_size;
	(void)req_cls;
	if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
	    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0) {
		return reply_text(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		                  "method not allowed\n");
	}
	if (strcmp(url, "/metrics") == 0) {
		rs_buf_t buf = {0};
		struct MHD_Response *r;
		enum MHD_Result rc;

		rs_metrics_render(m, &buf);
		if (buf.failed) {
			rs_buf_free(&buf);
			return reply_text(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
			                  "out of memory\n");
		}
		/* rs_buf memory comes from realloc: MHD may free() it. */
		r = MHD_create_response_from_buffer(buf.len, buf.data,
		                                    MHD_RESPMEM_MUST_FREE);
		if (r == NULL) {
			rs_buf_free(&buf);
			return MHD_NO;
		}
		MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
		                        "text/plain; version=0.0.4; "
		                        "charset=utf-8");
		rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
		MHD_destroy_response(r);
		return rc;
	}
	if (strcmp(url, "/healthz") == 0) {
		char why[256];

		if (health(m, why, sizeof(why)) == 0) {
			return reply_text(conn, MHD_HTTP_OK, "ok\n");
		}
		return reply_copy(conn, MHD_HTTP_SERVICE_UNAVAILABLE, why);
	}
	if (strcmp(url, "/readyz") == 0) {
		return atomic_load(&m->ready)
		           ? reply_text(conn, MHD_HTTP_OK, "ok\n")
		           : reply_text(conn, MHD_HTTP_SERVICE_UNAVAILABLE,
		                        "not ready\n");
	}
	if (m->page_fn != NULL) {
		rs_buf_t buf = {0};
		const char *ctype = "text/plain; charset=utf-8";
		struct MHD_Response *r;
		enum MHD_Result rc;

		if (m->page_fn(m->page_ctx, url, &buf, &ctype) == 0) {
			if (buf.failed) {
				rs_buf_free(&buf);
				return reply_text(
				    conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
				    "out of memory\n");
			}
			r = MHD_create_response_from_buffer(
			    buf.len, buf.data, MHD_RESPMEM_MUST_FREE);
			if (r == NULL) {
				rs_buf_free(&buf);
				return MHD_NO;
			}
			MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
			                        ctype);
			rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
			MHD_destroy_response(r);
			return rc;
		}
		rs_buf_free(&buf);
	}
	return reply_text(conn, MHD_HTTP_NOT_FOUND,
	                  "not found; try /metrics, /healthz or /readyz\n");
}

/* libmicrohttpd's own complaints, into the daemon log. */
static void on_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	size_t n;

	(void)cls;
	vsnprintf(msg, sizeof(msg), fmt, ap);
	n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r')) {
		msg[--n] = '\0';
	}
	rs_log(RS_LOG_WARN, "metrics", "http server", "error=\"%s\"", msg);
}

/*
 * Split "HOST:PORT", ":PORT" or "[V6]:PORT" into host (NULL: every IPv4
 * address) and port. 0 or -1.
 */
static int split_addr(const char *addr_port, char *host, size_t host_size,
                      char *port, size_t port_size, int *any)
{
	const char *colon;
	size_t hn;

	*any = 0;
	if (addr_port[0] == '[') {
		const char *close = strchr(addr_port, ']');

		if (close == NULL || close[1] != ':') {
			return -1;
		}
		hn = (size_t)(close - addr_port - 1);
		colon = close + 1;
		addr_port++;
	} else {
		colon = strrchr(addr_port, ':');
		if (colon == NULL) {
			return -1;
		}
		hn = (size_t)(colon - addr_port);
	}
	if (hn >= host_size || strlen(colon + 1) >= port_size ||
	    colon[1] == '\0') {
		return -1;
	}
	memcpy(host, addr_port, hn);
	host[hn] = '\0';
	strcpy(port, colon + 1);
	if (hn == 0) {
		*any = 1;
		strcpy(host, "0.0.0.0");
	}
	return 0;
}

/* Bind our own socket (exact errors, the bound port), then start MHD. */
int rs_metrics_listen(rs_metrics_t *m, const char *addr_port, char *errstr,
                      size_t errstr_size)
{
	struct addrinfo hints, *ai = NULL, *a;
	struct sockaddr_storage ss;
	socklen_t sl;
	char host[256], port[16];
	int any, fd = -1, one = 1, r, saved = EADDRNOTAVAIL;
	unsigned flags;

	if (m->daemon != NULL) {
		snprintf(errstr, errstr_size,
		         "the metrics endpoint is already listening");
		return -1;
	}
	if (split_addr(addr_port, host, sizeof(host), port, sizeof(port),
	               &any) != 0) {
		snprintf(errstr, errstr_size,
		         "metrics address %s is not ADDR:PORT (e.g. "
		         "127.0.0.1:9464 or :9464)",
		         addr_port);
		return -1;
	}
	memset(&hints, 0, sizeof(hints));
	hints.ai_family = any ? AF_INET : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_flags = AI_PASSIVE | AI_NUMERICSERV;
	r = getaddrinfo(host, port, &hints, &ai);
	if (r != 0) {
		snprintf(errstr, errstr_size,
		         "cannot resolve metrics address %s: %s", addr_port,
		         gai_strerror(r));
		return -1;
	}
	/* Every address the name gives, until one binds ("localhost" may
	 * offer ::1 first where IPv6 is off). */
	for (a = ai; a != NULL; a = a->ai_next) {
		fd = socket(a->ai_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
		sl = sizeof(ss);
		if (fd >= 0 &&
		    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one,
		               sizeof(one)) == 0 &&
		    bind(fd, a->ai_addr, a->ai_addrlen) == 0 &&
		    listen(fd, 64) == 0 &&
		    getsockname(fd, (struct sockaddr *)&ss, &sl) == 0) {
			break;
		}
		saved = errno;
		if (fd >= 0) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0) {
		snprintf(errstr, errstr_size,
		         "cannot listen on %s for metrics: %s", addr_port,
		         strerror(saved));
		goto fail;
	}
	flags =
	    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL | MHD_USE_ERROR_LOG;
	if (a->ai_family == AF_INET6) {
		flags |= MHD_USE_IPv6;
	}
	m->daemon = MHD_start_daemon(
	    flags, 0, NULL, NULL, on_request, m, MHD_OPTION_EXTERNAL_LOGGER,
	    on_mhd_log, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned)32,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)10, MHD_OPTION_END);
	if (m->daemon == NULL) {
		snprintf(errstr, errstr_size,
		         "cannot start the metrics HTTP server on %s",
		         addr_port);
		/* libmicrohttpd closed the socket it was given; closing it
		 * again could close another thread's new descriptor. */
		fd = -1;
		goto fail;
	}
	m->port = ss.ss_family == AF_INET6
	              ? ntohs(((struct sockaddr_in6 *)&ss)->sin6_port)
	              : ntohs(((struct sockaddr_in *)&ss)->sin_port);
	freeaddrinfo(ai);
	return 0;
fail:
	if (fd >= 0) {
		close(fd);
	}
	freeaddrinfo(ai);
	return -1;
}

void rs_metrics_set_pages(rs_metrics_t *m, rs_metrics_page_fn page,
                          rs_metrics_extra_fn extra, void *ctx)
{
	m->page_fn = page;
	m->extra_fn = extra;
	m->page_ctx = ctx;
}

unsigned rs_metrics_port(const rs_metrics_t *m)
{
	return m->daemon != NULL ? m->port : 0;
}

void rs_metrics_destroy(rs_metrics_t *m)
{
	if (m == NULL) {
		return;
	}
	if (m->daemon != NULL) {
		/* Joins the HTTP thread and closes the listening socket. */
		MHD_stop_daemon(m->daemon);
	}
	free_lag(m->lag, m->nlag);
	pthread_mutex_destroy(&m->lag_lock);
	pthread_mutex_destroy(&m->health_lock);
	free(m);
}
