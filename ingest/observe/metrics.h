/* SPDX-License-Identifier: Apache-2.0 */
/*
 * metrics.h - the daemon's Prometheus endpoint: counters and gauges that
 * the pipeline updates, served by libmicrohttpd on its own thread as
 * /metrics (text format 0.0.4), /healthz (503 while the health flag is
 * down or the health check says why not) and /readyz.
 *
 * Threads: the update calls may come from any thread (the sink thread
 * mostly, the consumer's statistics callback on the source thread) while
 * the HTTP thread renders. Counters, the latency histogram and the health
 * flags are C11 atomics, so updates never wait; only the per-partition
 * lag table, replaced on each statistics callback, and the health check
 * function sit behind mutexes.
 * A rendering may see a batch's counters half added; every series stays
 * monotonic and the histogram's count equals its +Inf bucket.
 *
 * Ownership: rs_metrics_new allocates, rs_metrics_destroy stops the HTTP
 * daemon (waiting for a request in progress) and frees everything.
 */
#ifndef RS_METRICS_H
#define RS_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "pipeline/pipeline.h"

/* The simple counters (rs_metrics_inc). */
typedef enum rs_metric {
	RS_METRIC_LINES = 0,
	RS_METRIC_BYTES,
	RS_METRIC_SKIPPED,
	RS_METRIC_MALFORMED,
	RS_METRIC_DEAD_LETTERED,
	RS_METRIC_PRODUCE_ERRORS,
	RS_METRIC_COMMITS,
	RS_METRIC_RULES_RELOADS_OK,
	RS_METRIC_RULES_RELOADS_ERROR,
	RS_METRIC_RULES_STALE,   /* a worker kept a replaced rule set */
	RS_METRIC_TXN_COMMITTED, /* exactly-once transactions committed */
	RS_METRIC_TXN_ABORTED,   /* ... and aborted */
	RS_METRIC_TXN_REWINDS,   /* input rewound to the committed offsets */
	RS_METRIC__COUNT
} rs_metric_t;

typedef struct rs_metrics rs_metrics_t;

/* A registry with every counter at 0, healthy and not ready. NULL: OOM. */
rs_metrics_t *rs_metrics_new(void);

/*
 * Serve HTTP on addr_port ("127.0.0.1:9464", ":9464" for every IPv4
 * address, "[::1]:9464"; port 0 picks a free one, see rs_metrics_port).
 * 0, or -1 with a sentence in errstr. Call at most once.
 */
int rs_metrics_listen(rs_metrics_t *m, const char *addr_port, char *errstr,
                      size_t errstr_size);

/* The bound TCP port, 0 when not listening. */
unsigned rs_metrics_port(const rs_metrics_t *m);

/* Stop serving and free m (NULL is fine). */
void rs_metrics_destroy(rs_metrics_t *m);

/* Add a batch's counters: lines, bytes, skipped, malformed, events. */
void rs_metrics_add_counts(rs_metrics_t *m, const rs_counts_t *c);

/* Add n to a simple counter. */
void rs_metrics_inc(rs_metrics_t *m, rs_metric_t id, uint64_t n);

/* Set a counter kept elsewhere (e.g. rs_kafkasource_commits) to total. */
void rs_metrics_set_total(rs_metrics_t *m, rs_metric_t id, uint64_t total);

/* One processing latency, in seconds, into the histogram. */
void rs_metrics_observe_latency(rs_metrics_t *m, double seconds);

/*
 * Processing latencies held back by one thread until they count: the
 * exactly-once sink keeps those of the open transaction here and adds
 * them at its commit (rs_metrics_add_latencies), or forgets them when it
 * aborts, so that an event read twice is observed once. Zero it to start.
 */
#define RS_METRICS_LAT_BUCKETS 16 /* 15 bounds and +Inf */
typedef struct rs_metrics_latencies {
	uint64_t buckets[RS_METRICS_LAT_BUCKETS];
	uint64_t sum_us;
} rs_metrics_latencies_t;

void rs_metrics_latencies_observe(rs_metrics_latencies_t *l, double seconds);
void rs_metrics_add_latencies(rs_metrics_t *m, const rs_metrics_latencies_t *l);

/* How long one exactly-once commit took (offsets and commit), seconds. */
void rs_metrics_observe_commit(rs_metrics_t *m, double seconds);

/* Gauge: rules in the loaded rule set. */
void rs_metrics_set_rules_loaded(rs_metrics_t *m, size_t n);

/* /healthz answers 503 while 0 (default 1); /readyz 200 once 1. */
void rs_metrics_set_healthy(rs_metrics_t *m, int healthy);
void rs_metrics_set_ready(rs_metrics_t *m, int ready);

/*
 * Asked on every /healthz: 0 when healthy, else -1 with the reason (a
 * short sentence) in why. @locality the HTTP thread: it must only read
 * what other threads publish atomically.
 */
typedef int (*rs_metrics_health_fn)(void *ctx, char *why, size_t why_size);

/*
 * Make /healthz also ask fn (NULL: stop asking). Once this returns, the
 * HTTP thread no longer runs the previous fn, so its ctx may be freed.
 * @locality any thread.
 */
void rs_metrics_set_health_check(rs_metrics_t *m, rs_metrics_health_fn fn,
                                 void *ctx);

/*
 * Replace the per-partition lag and committed-offset gauges from a
 * librdkafka consumer statistics JSON document (stats_cb). Statistics of
 * a producer handle are ignored (0); partition -1 and unknown values
 * (negative) are skipped. 0, or -1 when json is not such a document (the
 * gauges keep their previous values).
 */
int rs_metrics_update_from_stats(rs_metrics_t *m, const char *json, size_t len);

/* Append the /metrics text to out (tests and the HTTP thread). */
void rs_metrics_render(rs_metrics_t *m, rs_buf_t *out);

/*
 * Another command's own pages and series on the same listener (`replyscan
 * posture` serves /posture here). page answers GET/HEAD for url (any URL
 * the built-in paths do not take): 0 with the body in *out and its
 * content type in *ctype, or -1 for 404. extra appends series to
 * /metrics. Both are called on the HTTP thread; set them before
 * rs_metrics_listen.
 */
typedef int (*rs_metrics_page_fn)(void *ctx, const char *url, rs_buf_t *out,
                                  const char **ctype);
typedef void (*rs_metrics_extra_fn)(void *ctx, rs_buf_t *out);
void rs_metrics_set_pages(rs_metrics_t *m, rs_metrics_page_fn page,
                          rs_metrics_extra_fn extra, void *ctx);

#endif
