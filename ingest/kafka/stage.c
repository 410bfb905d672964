/* SPDX-License-Identifier: Apache-2.0 */
/*
 * stage.c - the Kafka stage: source, pipeline and sink with metrics,
 * health, reloads and signals; see stage.h.
 *
 * Start-up order: block the signals, load the rules, start the metrics
 * endpoint, create the consumer and the producer, register the health
 * check, start the signal thread, run the pipeline. Tear-down goes back
 * through one exit path in reverse: the signal thread is told to quit
 * (SIGUSR1) and joined, the health check unregistered, then the source,
 * the sink, the metrics and the rules are freed.
 *
 * Threads: the signal thread reloads rules (rs_ruleset_swap is safe
 * against the workers) and stops the source or abandons the sink's drain
 * through their async-signal-safe flags; the HTTP thread runs the health
 * check over atomics; the consumer's statistics arrive on the source
 * thread.
 */
#include "kafka/stage.h"

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

#include "classify/ruleset.h"
#include "kafka/health.h"
#include "kafka/kafkasink.h"
#include "kafka/kafkasource.h"
#include "kafka/txnsync.h"
#include "observe/log.h"
#include "observe/metrics.h"

/* What the stage's threads share; set before the threads start. */
typedef struct stage {
	const rs_stage_conf_t *conf;
	rs_kafkasource_t *source;
	rs_kafkasink_t *sink;
	rs_ruleset_t *ruleset;
	rs_metrics_t *metrics;
	rs_kafkahealth_t health;
	sigset_t signals;
	rs_txnsync_t *txn; /* exactly-once only */
	char txn_id[512];  /* the transactional.id in use */
} stage_t;

/* ------------------------------------------------------------------ */
/* Rule reloads                                                       */
/* ------------------------------------------------------------------ */

/* A reload that did not happen: logged and counted, old rules kept. */
static void refuse(stage_t *st, const char *why)
{
	rs_log(RS_LOG_ERROR, "rules", "reload refused; the old rules stay",
	       "dir=%s error=\"%s\"", st->conf->rules_dir, why);
	rs_metrics_inc(st->metrics, RS_METRIC_RULES_RELOADS_ERROR, 1);
}

/*
 * SIGHUP: load the directory again, and swap the new set in only if a
 * worker could scan with it: a set for which no Hyperscan scratch can be
 * made would be "reloaded" and never used. @locality signal thread.
 */
static void reload(stage_t *st)
{
	char err[1024];
	rs_rules_t *rules =
	    rs_rules_load(st->conf->rules_dir, err, sizeof(err));
	rs_rules_scratch_t *scratch;

	if (rules == NULL) {
		refuse(st, err);
		return;
	}
	scratch = rs_rules_scratch_new(rules, err, sizeof(err));
	if (scratch == NULL) {
		rs_rules_destroy(rules);
		refuse(st, err);
		return;
	}
	rs_rules_scratch_destroy(scratch);
	rs_metrics_inc(st->metrics, RS_METRIC_RULES_RELOADS_OK, 1);
	rs_metrics_set_rules_loaded(st->metrics, rs_rules_count(rules));
	rs_log(RS_LOG_INFO, "rules", "rules reloaded", "dir=%s rules=%zu",
	       st->conf->rules_dir, rs_rules_count(rules));
	rs_ruleset_swap(st->ruleset, rules);
}

/*
 * A worker could not follow a swap after all (its own scratch failed)
 * and goes on with the rules it has. @locality a worker thread; once per
 * worker and rule set.
 */
static void on_rules_stale(void *ctx, const char *why)
{
	stage_t *st = ctx;

	rs_metrics_inc(st->metrics, RS_METRIC_RULES_STALE, 1);
	rs_log(RS_LOG_ERROR, "rules",
	       "a worker cannot take the reloaded rules; it keeps the "
	       "previous ones",
	       "error=\"%s\"", why);
}

/* ------------------------------------------------------------------ */
/* Signals and statistics                                             */
/* ------------------------------------------------------------------ */

/* The signal thread: SIGTERM/SIGINT stop, SIGHUP reloads, SIGUSR1 quits. */
static void *signal_main(void *arg)
{
	stage_t *st = arg;
	int stops = 0;

	for (;;) {
		int sig;

		if (sigwait(&st->signals, &sig) != 0) {
			continue;
		}
		if (sig == SIGUSR1) {
			return NULL;
		}
		if (sig == SIGHUP) {
			reload(st);
			continue;
		}
		if (stops++ == 0) {
			rs_log(
			    RS_LOG_INFO, "run",
			    "stopping: draining the workers and the producer",
			    "signal=%d", sig);
			rs_kafkasource_stop(st->source);
		} else {
			rs_log(
			    RS_LOG_WARN, "run",
			    "second signal: not waiting for acknowledgements",
			    "signal=%d", sig);
			rs_kafkasink_abandon(st->sink);
		}
	}
}

/* librdkafka consumer statistics to the metrics. @locality source thread. */
static void on_stats(void *opaque, const char *json, size_t len)
{
	stage_t *st = opaque;

	rs_metrics_update_from_stats(st->metrics, json, len);
	if (st->source != NULL) {
		rs_metrics_set_total(st->metrics, RS_METRIC_COMMITS,
		                     rs_kafkasource_commits(st->source));
		rs_metrics_set_total(st->metrics, RS_METRIC_TXN_REWINDS,
		                     rs_kafkasource_rewinds(st->source));
	}
}

/* ------------------------------------------------------------------ */
/* Start-up                                                           */
/* ------------------------------------------------------------------ */

/*
 * The transactional.id: the configured one, or replyscan-<group>-<host>.
 * It must stay the same across restarts of one instance (a restart then
 * aborts what the killed one left open at once, instead of after
 * transaction.timeout.ms) and differ between instances (two with one id
 * fence each other).
 */
static void transactional_id(const rs_stage_conf_t *c, char *id, size_t size)
{
	char host[256];

	if (c->transactional_id != NULL && c->transactional_id[0] != '\0') {
		snprintf(id, size, "%s", c->transactional_id);
		return;
	}
	if (gethostname(host, sizeof(host)) != 0) {
		snprintf(host, sizeof(host), "localhost");
	}
	host[sizeof(host) - 1] = '\0';
	snprintf(id, size, "replyscan-%s-%s", c->group, host);
}

/* Log that a Kafka end cannot start; -1 for the caller to return. */
static int start_failed(const char *what, const char *err)
{
	rs_log(RS_LOG_ERROR, "kafka", what, "error=\"%s\"", err);
	return -1;
}

/* kafkasource's busy callback: the sink's pending work (it is made after
 * the source, before the pipeline runs). */
static int sink_busy(void *opaque)
{
	const stage_t *st = opaque;

	return st->sink != NULL && rs_kafkasink_busy(st->sink);
}

/* The consumer. -1 (logged) when it cannot be made. */
static int start_source(stage_t *st)
{
	const rs_stage_conf_t *c = st->conf;
	const rs_kafkasource_conf_t sc = {
	    .brokers = c->brokers,
	    .group = c->group,
	    .topics = c->topics,
	    .ntopics = c->ntopics,
	    .props = c->consumer_props,
	    .nprops = c->nconsumer_props,
	    .batch_bytes = c->batch_bytes,
	    .max_line = c->max_line,
	    .exit_when_idle = c->exit_when_idle,
	    .stats_cb = on_stats,
	    .stats_opaque = st,
	    .busy = sink_busy,
	    .busy_opaque = st,
	    .txn = st->txn,
	};
	char err[1024];

	st->source = rs_kafkasource_new(&sc, err, sizeof(err));
	return st->source != NULL
	           ? 0
	           : start_failed("cannot start the consumer", err);
}

/* The producer, acknowledging to the source. -1 (logged) on failure. */
static int start_sink(stage_t *st)
{
	const rs_stage_conf_t *c = st->conf;
	const rs_kafkasink_conf_t kc = {
	    .brokers = c->brokers,
	    .topic = c->output,
	    .json = c->output_json,
	    .dead_letter = c->dead_letter,
	    .compression = c->compression,
	    .props = c->producer_props,
	    .nprops = c->nproducer_props,
	    /* Exactly-once: offsets go into the transactions, not to the
	     * source. */
	    .source =
		st->txn == NULL ? rs_kafkasource_source(st->source) : NULL,
	    .metrics = st->metrics,
	    .txn = st->txn,
	    .transactional_id = st->txn_id,
	    .txn_interval = c->txn_interval,
	    .txn_events = c->txn_events,
	    .check_brokers = 1,
	};
	char err[1024];

	st->sink = rs_kafkasink_new(&kc, err, sizeof(err));
	return st->sink != NULL
	           ? 0
	           : start_failed("cannot start the producer", err);
}

/* The metrics endpoint, if one is configured. -1 (logged) on failure. */
static int start_metrics(stage_t *st)
{
	const char *listen = st->conf->metrics_listen;
	char err[1024];

	if (listen == NULL || listen[0] == '\0') {
		return 0;
	}
	if (rs_metrics_listen(st->metrics, listen, err, sizeof(err)) < 0) {
		rs_log(RS_LOG_ERROR, "metrics",
		       "cannot serve the metrics endpoint",
		       "listen=%s error=\"%s\"", listen, err);
		return -1;
	}
	rs_log(RS_LOG_INFO, "metrics", "serving /metrics /healthz /readyz",
	       "listen=%s", listen);
	return 0;
}

/* The pipeline's part of the stage description. */
static void pipeline_conf(const stage_t *st, rs_pipeline_conf_t *pc)
{
	const rs_stage_conf_t *c = st->conf;

	memset(pc, 0, sizeof(*pc));
	pc->ruleset = st->ruleset;
	pc->input_format = c->input_format;
	pc->format_opts = c->format_opts;
	pc->event_format = c->output_json ? RS_EVENT_JSON : RS_EVENT_PB;
	pc->encode = 1;
	pc->include_sent = c->include_sent;
	pc->rollup_interval_ms = c->rollup_interval_ms;
	pc->key = c->key;
	pc->threads = c->threads;
	pc->slots = c->slots;
	pc->batch_bytes = c->batch_bytes;
	pc->max_line = c->max_line;
	pc->rules_stale = on_rules_stale;
	pc->rules_stale_ctx = (void *)st;
}

/* Run the pipeline and close the consumer. RS_STAGE_OK or _FAILED. */
static int run_pipeline(stage_t *st, rs_counts_t *totals)
{
	const rs_stage_conf_t *c = st->conf;
	rs_pipeline_conf_t pc;
	rs_summary_tee_t tee;
	rs_sink_t *sink = rs_kafkasink_sink(st->sink);
	char err[1024];
	int rc;

	pipeline_conf(st, &pc);
	if (c->summary != NULL) {
		rs_summary_tee_init(&tee, c->summary, sink);
		sink = &tee.sink;
	}
	rs_log(RS_LOG_INFO, "run", "stage started",
	       "brokers=%s group=%s output=%s threads=%u slots=%u "
	       "delivery=%s transactional_id=%s librdkafka=%s",
	       c->brokers, c->group, c->output, pc.threads,
	       pc.slots ? pc.slots : rs_pipeline_default_slots(pc.threads),
	       st->txn != NULL ? "exactly_once" : "at_least_once",
	       st->txn != NULL ? st->txn_id : "-", rd_kafka_version_str());
	rs_metrics_set_ready(st->metrics, 1);
	rc = rs_pipeline_run(&pc, rs_kafkasource_source(st->source), sink,
	                     totals, err, sizeof(err));
	rs_metrics_set_ready(st->metrics, 0);
	if (st->txn != NULL) {
		/* The sink thread is this one: a revocation while the
		 * consumer closes finds no transaction left to close. */
		rs_txnsync_sink_gone(st->txn);
		/* The sink kept the batches' counts until their transaction
		 * committed: only those count. */
		rs_counts_add(totals, rs_kafkasink_committed(st->sink));
	}
	if (rc < 0 && rs_kafkasink_fatal(st->sink)) {
		rs_log(RS_LOG_ERROR, "run",
		       "stage stopped: the producer cannot go on; nothing "
		       "more is committed",
		       "error=\"%s\"", err);
		rs_kafkasource_close(st->source, err, sizeof(err));
		st->source = NULL;
		return RS_STAGE_FENCED;
	}
	if (rc < 0) {
		rs_log(RS_LOG_ERROR, "run",
		       "stage failed; offsets of unwritten "
		       "lines are not committed",
		       "error=\"%s\"", err);
		rs_kafkasource_close(st->source, err, sizeof(err));
		st->source = NULL;
		return RS_STAGE_FAILED;
	}
	rc = rs_kafkasource_close(st->source, err, sizeof(err));
	st->source = NULL;
	if (rc < 0) {
		rs_log(RS_LOG_ERROR, "kafka", "final commit failed",
		       "error=\"%s\"", err);
		return RS_STAGE_FAILED;
	}
	rs_log(RS_LOG_INFO, "run", "stage stopped",
	       "lines=%llu events=%llu skipped=%llu malformed=%llu "
	       "delivered=%llu dead_lettered=%llu transactions=%llu "
	       "aborted=%llu",
	       (unsigned long long)totals->lines,
	       (unsigned long long)totals->events,
	       (unsigned long long)totals->skipped,
	       (unsigned long long)totals->malformed,
	       (unsigned long long)rs_kafkasink_delivered(st->sink),
	       (unsigned long long)rs_kafkasink_dead_lettered(st->sink),
	       (unsigned long long)rs_kafkasink_txn_commits(st->sink),
	       (unsigned long long)rs_kafkasink_txn_aborts(st->sink));
	return RS_STAGE_OK;
}

int rs_stage_run(const rs_stage_conf_t *conf, rs_counts_t *totals, char *errstr,
                 size_t errstr_size)
{
	stage_t st;
	rs_rules_t *rules;
	pthread_t sigthread;
	int sigthread_started = 0;
	int rc = RS_STAGE_CONFIG;
	char err[512];

	memset(&st, 0, sizeof(st));
	memset(totals, 0, sizeof(*totals));
	st.conf = conf;
	/* Block the signals first: the pipeline's threads inherit the mask,
	 * and one arriving while the rules compile waits for the signal
	 * thread instead of killing the process. */
	sigemptyset(&st.signals);
	sigaddset(&st.signals, SIGTERM);
	sigaddset(&st.signals, SIGINT);
	sigaddset(&st.signals, SIGHUP);
	sigaddset(&st.signals, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &st.signals, NULL);

	rules = rs_rules_load(conf->rules_dir, errstr, errstr_size);
	if (rules == NULL) {
		return RS_STAGE_CONFIG;
	}
	rs_log(RS_LOG_INFO, "rules", "rules loaded", "dir=%s rules=%zu",
	       rs_rules_dir(rules), rs_rules_count(rules));
	st.ruleset = rs_ruleset_new(rules);
	st.metrics = rs_metrics_new();
	if (st.ruleset == NULL || st.metrics == NULL) {
		rs_log(RS_LOG_ERROR, "run", "out of memory", NULL);
		if (st.ruleset == NULL) {
			rs_rules_destroy(rules);
		}
		rc = RS_STAGE_FAILED;
		goto out;
	}
	rs_metrics_set_rules_loaded(st.metrics, rs_rules_count(rules));
	if (conf->exactly_once) {
		st.txn = rs_txnsync_new();
		if (st.txn == NULL) {
			rs_log(RS_LOG_ERROR, "run", "out of memory", NULL);
			rc = RS_STAGE_FAILED;
			goto out;
		}
		transactional_id(conf, st.txn_id, sizeof(st.txn_id));
	}
	if (start_metrics(&st) != 0 || start_source(&st) != 0 ||
	    start_sink(&st) != 0) {
		goto out;
	}
	st.health.unhealthy_after = conf->unhealthy_after;
	st.health.clients[0] = rs_kafkasource_client(st.source);
	st.health.clients[1] = rs_kafkasink_client(st.sink);
	st.health.sink = st.sink;
	rs_metrics_set_health_check(st.metrics, rs_kafkahealth_check,
	                            &st.health);
	if (pthread_create(&sigthread, NULL, signal_main, &st) == 0) {
		sigthread_started = 1;
	}
	rc = run_pipeline(&st, totals);
out:
	if (sigthread_started) {
		pthread_kill(sigthread, SIGUSR1);
		pthread_join(sigthread, NULL);
	}
	if (st.metrics != NULL) {
		rs_metrics_set_health_check(st.metrics, NULL, NULL);
	}
	if (st.source != NULL) {
		rs_kafkasource_close(st.source, err, sizeof(err));
	}
	rs_kafkasink_destroy(st.sink);
	rs_txnsync_destroy(st.txn);
	rs_metrics_destroy(st.metrics);
	rs_ruleset_destroy(st.ruleset);
	return rc;
}
