/*
 * cmd_run.c - `replyscan run`: the Kafka stage. A consumer-group source,
 * the worker pipeline and a producing sink, with metrics, rule reloads on
 * SIGHUP and a graceful drain on SIGTERM / SIGINT.
 *
 * Threads: signals are blocked everywhere and taken by one signal thread
 * (sigwait), which stops the source, abandons the drain on a second
 * signal, or reloads the rules; the pipeline runs its own threads; the
 * metrics endpoint runs in libmicrohttpd's thread.
 *
 * `--demo` runs the same stage against librdkafka's in-process mock
 * cluster: it replays the bundled sample corpus into an input topic,
 * drains it through the stage and prints the summary by class and stage.
 */
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "config/cmdline.h"
#include "config/config.h"
#include "kafka/kafkasink.h"
#include "kafka/kafkasource.h"
#include "kafka/replay.h"
#include "observe/log.h"
#include "observe/metrics.h"
#include "classify/ruleset.h"
#include "files/summary.h"

static void usage(FILE *out)
{
	fputs("usage: replyscan run [--config FILE] [OPTIONS]\n"
	      "       replyscan run --demo [FILE...]\n"
	      "\n"
	      "Consume MTA log lines from Kafka as a consumer group member, "
	      "classify\n"
	      "every delivery failure and produce a "
	      "replyscan.v1.DeferralEvent per\n"
	      "failure to the output topic. Input offsets are committed only "
	      "when\n"
	      "the events from them are acknowledged (at-least-once). Each "
	      "option sets\n"
	      "a configuration key, after the file, in command-line order.\n"
	      "\n",
	      out);
	rs_cmdline_usage(RS_CONFIG_RUN, out);
	fputs("\n"
	      "Signals: SIGTERM/SIGINT drain and exit (a second one gives up "
	      "waiting);\n"
	      "SIGHUP reloads the rules directory (a broken one is refused "
	      "and the old\n"
	      "rules stay). Exit status: 0 ok, 1 runtime failure, 2 "
	      "configuration error.\n",
	      out);
}

/* What the signal thread needs. */
typedef struct run_ctl {
	rs_kafkasource_t *source;
	rs_kafkasink_t *sink;
	rs_ruleset_t *ruleset;
	rs_metrics_t *metrics;
	const char *rules_dir; /* as given; NULL: bundled */
	sigset_t set;
} run_ctl_t;

/* The signal thread: SIGTERM/SIGINT stop, SIGHUP reloads, SIGUSR1 quits. */
static void *signal_main(void *arg)
{
	run_ctl_t *ctl = arg;
	int stops = 0;

	for (;;) {
		int sig;

		if (sigwait(&ctl->set, &sig) != 0) {
			continue;
		}
		if (sig == SIGUSR1) {
			return NULL;
		}
		if (sig == SIGHUP) {
			char path[PATH_MAX], err[1024];
			rs_rules_t *rules;

			rs_cli_rules_dir(ctl->rules_dir, path, sizeof(path));
			rules = rs_rules_load(path, err, sizeof(err));
			if (rules == NULL) {
				rs_log(RS_LOG_ERROR, "rules",
				       "reload refused; the old rules stay",
				       "dir=%s error=\"%s\"", path, err);
				rs_metrics_inc(ctl->metrics,
				               RS_METRIC_RULES_RELOADS_ERROR,
				               1);
				continue;
			}
			rs_metrics_inc(ctl->metrics, RS_METRIC_RULES_RELOADS_OK,
			               1);
			rs_metrics_set_rules_loaded(ctl->metrics,
			                            rs_rules_count(rules));
			rs_log(RS_LOG_INFO, "rules", "rules reloaded",
			       "dir=%s rules=%zu", path, rs_rules_count(rules));
			rs_ruleset_swap(ctl->ruleset, rules);
			continue;
		}
		if (stops++ == 0) {
			rs_log(
			    RS_LOG_INFO, "run",
			    "stopping: draining the workers and the producer",
			    "signal=%d", sig);
			rs_kafkasource_stop(ctl->source);
		} else {
			rs_log(
			    RS_LOG_WARN, "run",
			    "second signal: not waiting for acknowledgements",
			    "signal=%d", sig);
			rs_kafkasink_abandon(ctl->sink);
		}
	}
}

/* librdkafka statistics to the metrics. @locality source thread. */
static void on_stats(void *opaque, const char *json, size_t len)
{
	run_ctl_t *ctl = opaque;

	rs_metrics_update_from_stats(ctl->metrics, json, len);
	if (ctl->source != NULL) {
		rs_metrics_set_total(ctl->metrics, RS_METRIC_COMMITS,
		                     rs_kafkasource_commits(ctl->source));
	}
}

/* A sink that counts into a summary, then hands on to the Kafka sink. */
typedef struct tee {
	rs_sink_t sink;
	rs_sink_t *next;
	rs_summary_t *summary; /* NULL: no summary */
} tee_t;

static int tee_write(rs_sink_t *s, rs_batch_t *b, char *e, size_t n)
{
	tee_t *t = s->ctx;

	if (t->summary != NULL && rs_summary_add_batch(t->summary, b) < 0) {
		snprintf(e, n, "out of memory in the summary");
		return -1;
	}
	return t->next->write(t->next, b, e, n);
}

static int tee_flush(rs_sink_t *s, char *e, size_t n)
{
	tee_t *t = s->ctx;
	return t->next->flush(t->next, e, n);
}

static int tee_tick(rs_sink_t *s, char *e, size_t n)
{
	tee_t *t = s->ctx;
	return t->next->tick(t->next, e, n);
}

/* Find the bundled sample corpus next to the binary. */
static const char *sample_path(char *out, size_t size)
{
	static const char *const rel[] = {
	    "../tests/fixtures/sample/mixed.log",
	    "../share/replyscan/sample/mixed.log",
	};
	char exe[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;

	if (n > 0) {
		char *slash;
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash != NULL) {
			*slash = '\0';
			for (size_t i = 0; i < 2; i++) {
				char real[PATH_MAX];

				snprintf(out, size, "%s/%s", exe, rel[i]);
				if (stat(out, &st) != 0) {
					continue;
				}
				if (realpath(out, real) != NULL &&
				    strlen(real) < size) {
					memcpy(out, real, strlen(real) + 1);
				}
				return out;
			}
		}
	}
	snprintf(out, size, "%s", "/usr/share/replyscan/sample/mixed.log");
	return out;
}

/* Run the stage with a validated configuration. */
static int run_stage(const rs_config_t *cfg, rs_summary_t *summary,
                     rs_counts_t *totals)
{
	run_ctl_t ctl;
	rs_pipeline_conf_t pconf;
	rs_kafkasource_conf_t sconf;
	rs_kafkasink_conf_t kconf;
	rs_rules_t *rules;
	rs_ruleset_t *ruleset = NULL;
	rs_metrics_t *metrics = NULL;
	rs_kafkasource_t *source = NULL;
	rs_kafkasink_t *sink = NULL;
	pthread_t sigthread;
	int sigthread_started = 0;
	tee_t tee;
	char err[1024];
	int rc = RS_EXIT_FAILURE;
	const char *rules_dir =
	    cfg->pipeline.rules[0] != '\0' ? cfg->pipeline.rules : NULL;

	memset(&ctl, 0, sizeof(ctl));
	/* Block the signals first (the pipeline's threads inherit the mask),
	 * so that one arriving while the rules compile waits for the signal
	 * thread instead of killing the process. */
	sigemptyset(&ctl.set);
	sigaddset(&ctl.set, SIGTERM);
	sigaddset(&ctl.set, SIGINT);
	sigaddset(&ctl.set, SIGHUP);
	sigaddset(&ctl.set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &ctl.set, NULL);
	rules = rs_cli_load_rules(rules_dir);
	if (rules == NULL) {
		return RS_EXIT_USAGE;
	}
	rs_log(RS_LOG_INFO, "rules", "rules loaded", "dir=%s rules=%zu",
	       rs_rules_dir(rules), rs_rules_count(rules));
	ruleset = rs_ruleset_new(rules);
	metrics = rs_metrics_new();
	if (ruleset == NULL || metrics == NULL) {
		rs_log(RS_LOG_ERROR, "run", "out of memory", NULL);
		if (ruleset == NULL) {
			rs_rules_destroy(rules);
		}
		goto out;
	}
	rs_metrics_set_rules_loaded(metrics, rs_rules_count(rules));
	if (cfg->metrics.listen[0] != '\0') {
		if (rs_metrics_listen(metrics, cfg->metrics.listen, err,
		                      sizeof(err)) < 0) {
			rs_log(RS_LOG_ERROR, "metrics",
			       "cannot serve the metrics endpoint",
			       "listen=%s error=\"%s\"", cfg->metrics.listen,
			       err);
			rc = RS_EXIT_USAGE;
			goto out;
		}
		rs_log(RS_LOG_INFO, "metrics",
		       "serving /metrics /healthz /readyz", "listen=%s",
		       cfg->metrics.listen);
	}

	memset(&sconf, 0, sizeof(sconf));
	sconf.brokers = cfg->kafka.brokers;
	sconf.group = cfg->kafka.group;
	sconf.topics = cfg->kafka.input.v;
	sconf.ntopics = cfg->kafka.input.n;
	sconf.props = cfg->kafka.consumer.v;
	sconf.nprops = cfg->kafka.consumer.n;
	sconf.batch_bytes = cfg->pipeline.batch_bytes;
	sconf.max_line = cfg->pipeline.max_line;
	sconf.exit_when_idle = cfg->pipeline.exit_when_idle;
	ctl.metrics = metrics;
	sconf.stats_cb = on_stats;
	sconf.stats_opaque = &ctl;
	source = rs_kafkasource_new(&sconf, err, sizeof(err));
	if (source == NULL) {
		rs_log(RS_LOG_ERROR, "kafka", "cannot start the consumer",
		       "error=\"%s\"", err);
		rc = RS_EXIT_USAGE;
		goto out;
	}
	memset(&kconf, 0, sizeof(kconf));
	kconf.brokers = cfg->kafka.brokers;
	kconf.topic = cfg->kafka.output;
	kconf.dead_letter =
	    cfg->pipeline.on_malformed == RS_CONFIG_MALFORMED_DEAD_LETTER
		? cfg->kafka.dead_letter
		: NULL;
	kconf.compression = rs_config_compression_name(cfg->kafka.compression);
	kconf.props = cfg->kafka.producer.v;
	kconf.nprops = cfg->kafka.producer.n;
	kconf.source = rs_kafkasource_source(source);
	kconf.metrics = metrics;
	sink = rs_kafkasink_new(&kconf, err, sizeof(err));
	if (sink == NULL) {
		rs_log(RS_LOG_ERROR, "kafka", "cannot start the producer",
		       "error=\"%s\"", err);
		rc = RS_EXIT_USAGE;
		goto out;
	}

	ctl.source = source;
	ctl.sink = sink;
	ctl.ruleset = ruleset;
	ctl.metrics = metrics;
	ctl.rules_dir = rules_dir;
	if (pthread_create(&sigthread, NULL, signal_main, &ctl) == 0) {
		sigthread_started = 1;
	}

	memset(&pconf, 0, sizeof(pconf));
	pconf.ruleset = ruleset;
	pconf.input_format = cfg->pipeline.input_format;
	pconf.event_format = RS_EVENT_PB;
	pconf.encode = 1;
	pconf.include_sent = cfg->pipeline.include_sent;
	pconf.key = cfg->kafka.key;
	pconf.threads = rs_config_threads(cfg);
	pconf.slots = rs_config_queue_batches(cfg);
	pconf.batch_bytes = cfg->pipeline.batch_bytes;
	pconf.max_line = cfg->pipeline.max_line;
	memset(&tee, 0, sizeof(tee));
	tee.sink.write = tee_write;
	tee.sink.flush = tee_flush;
	tee.sink.tick = tee_tick;
	tee.sink.ctx = &tee;
	tee.next = rs_kafkasink_sink(sink);
	tee.summary = summary;

	rs_log(RS_LOG_INFO, "run", "stage started",
	       "brokers=%s group=%s output=%s threads=%u slots=%u",
	       cfg->kafka.brokers, cfg->kafka.group, cfg->kafka.output,
	       pconf.threads, pconf.slots);
	rs_metrics_set_ready(metrics, 1);
	if (rs_pipeline_run(&pconf, rs_kafkasource_source(source), &tee.sink,
	                    totals, err, sizeof(err)) < 0) {
		rs_log(RS_LOG_ERROR, "run",
		       "stage failed; offsets of unwritten "
		       "lines are not committed",
		       "error=\"%s\"", err);
		rs_metrics_set_ready(metrics, 0);
		rs_kafkasource_close(source, err, sizeof(err));
		source = NULL;
		goto out;
	}
	rs_metrics_set_ready(metrics, 0);
	if (rs_kafkasource_close(source, err, sizeof(err)) < 0) {
		source = NULL;
		rs_log(RS_LOG_ERROR, "kafka", "final commit failed",
		       "error=\"%s\"", err);
		goto out;
	}
	source = NULL;
	rs_log(RS_LOG_INFO, "run", "stage stopped",
	       "lines=%llu events=%llu skipped=%llu malformed=%llu "
	       "delivered=%llu dead_lettered=%llu",
	       (unsigned long long)totals->lines,
	       (unsigned long long)totals->events,
	       (unsigned long long)totals->skipped,
	       (unsigned long long)totals->malformed,
	       (unsigned long long)rs_kafkasink_delivered(sink),
	       (unsigned long long)rs_kafkasink_dead_lettered(sink));
	rc = RS_EXIT_OK;
out:
	if (sigthread_started) {
		pthread_kill(sigthread, SIGUSR1);
		pthread_join(sigthread, NULL);
	}
	if (source != NULL) {
		rs_kafkasource_close(source, err, sizeof(err));
	}
	rs_kafkasink_destroy(sink);
	rs_metrics_destroy(metrics);
	rs_ruleset_destroy(ruleset);
	return rc;
}

/* --demo: mock cluster, replay the sample, run the stage, summarise. */
static int run_demo(rs_config_t *cfg, char **inputs, size_t ninputs)
{
	/* This handle only hosts the mock cluster; it talks to no broker. */
	static const rs_kafka_prop_t host_props[] = {{"log_level", "3"}};
	char sample[PATH_MAX], err[512];
	char *files[1];
	rs_kafkaclient_conf_t cc;
	rs_kafkaclient_t *host;
	rs_kafkareplay_conf_t replay;
	rd_kafka_mock_cluster_t *mc;
	rs_summary_t *summary;
	rs_counts_t totals;
	int rc;

	memset(&cc, 0, sizeof(cc));
	cc.type = RD_KAFKA_PRODUCER;
	cc.name = "mock-cluster";
	cc.defaults = host_props;
	cc.ndefaults = 1;
	host = rs_kafkaclient_new(&cc, err, sizeof(err));
	if (host == NULL) {
		fprintf(stderr, "replyscan: %s\n", err);
		return RS_EXIT_FAILURE;
	}
	mc = rd_kafka_mock_cluster_new(rs_kafkaclient_handle(host), 1);
	if (mc == NULL) {
		fprintf(stderr, "replyscan: cannot start the mock cluster\n");
		rs_kafkaclient_destroy(host);
		return RS_EXIT_FAILURE;
	}
	rd_kafka_mock_topic_create(mc, "mta-logs", 3, 1);
	rd_kafka_mock_topic_create(mc, "deferral-events", 3, 1);
	if (rs_config_set(cfg, "kafka.brokers",
	                  rd_kafka_mock_cluster_bootstraps(mc), "--demo", err,
	                  sizeof(err)) ||
	    rs_config_set(cfg, "kafka.input", "mta-logs", "--demo", err,
	                  sizeof(err)) ||
	    rs_config_set(cfg, "kafka.output", "deferral-events", "--demo", err,
	                  sizeof(err)) ||
	    rs_config_set(cfg, "kafka.group", "replyscan-demo", "--demo", err,
	                  sizeof(err)) ||
	    rs_config_set(cfg, "pipeline.exit_when_idle", "3", "--demo", err,
	                  sizeof(err))) {
		fprintf(stderr, "replyscan: %s\n", err);
		rc = RS_EXIT_FAILURE;
		goto out;
	}
	if (ninputs == 0) {
		files[0] = (char *)sample_path(sample, sizeof(sample));
		inputs = files;
		ninputs = 1;
	}
	printf("replyscan demo: librdkafka mock cluster at %s\n",
	       rd_kafka_mock_cluster_bootstraps(mc));
	for (size_t i = 0; i < ninputs; i++) {
		printf("replaying %s into topic mta-logs\n", inputs[i]);
	}
	fflush(stdout);
	memset(&replay, 0, sizeof(replay));
	replay.brokers = cfg->kafka.brokers;
	replay.topic = "mta-logs";
	replay.files = inputs;
	replay.nfiles = ninputs;
	if (rs_kafkareplay(&replay) != RS_KAFKAREPLAY_OK) {
		rc = RS_EXIT_FAILURE;
		goto out;
	}
	printf("running the stage: mta-logs -> deferral-events "
	       "(exits after 3 s without input)\n");
	fflush(stdout);
	summary = rs_summary_new();
	rc = run_stage(cfg, summary, &totals);
	if (rc == RS_EXIT_OK) {
		printf("\n%llu lines consumed, %llu events produced, %llu "
		       "skipped, %llu malformed\n\n",
		       (unsigned long long)totals.lines,
		       (unsigned long long)totals.events,
		       (unsigned long long)totals.skipped,
		       (unsigned long long)totals.malformed);
		rs_summary_print(summary, &totals, 10, stdout);
	}
	rs_summary_destroy(summary);
out:
	rd_kafka_mock_cluster_destroy(mc);
	rs_kafkaclient_destroy(host);
	return rc;
}

int rs_cmd_run(int argc, char **argv)
{
	rs_cmdline_t cl;
	rs_config_t cfg;
	rs_counts_t totals;
	char err[1024];
	int rc = RS_EXIT_USAGE;

	rs_config_init(&cfg);
	switch (rs_cmdline_parse(RS_CONFIG_RUN, argc, argv, &cfg, &cl, err,
	                         sizeof(err))) {
	case 0:
		break;
	case RS_CMDLINE_USAGE:
		fprintf(stderr, "replyscan: %s\n", err);
		usage(stderr);
		goto out;
	default:
		fprintf(stderr, "replyscan: %s\n", err);
		goto out;
	}
	if (cl.help) {
		usage(stdout);
		rc = RS_EXIT_OK;
		goto out;
	}
	if (cl.config_reference) {
		rs_config_print_reference(RS_CONFIG_RUN, stdout);
		rc = RS_EXIT_OK;
		goto out;
	}
	if (cl.nargs > 0 && !cl.demo) {
		fprintf(stderr, "replyscan: run: unexpected argument '%s'\n",
		        cl.args[0]);
		goto out;
	}
	rs_log_init(cfg.log.level, cfg.log.format, stderr);
	if (cl.demo) {
		rc = run_demo(&cfg, cl.args, cl.nargs);
		goto out;
	}
	if (rs_config_validate(&cfg, RS_CONFIG_RUN, err, sizeof(err)) < 0) {
		fprintf(stderr, "replyscan: %s\n", err);
		goto out;
	}
	if (cl.print_config) {
		rs_config_print(&cfg, RS_CONFIG_RUN, stdout);
		rc = RS_EXIT_OK;
		goto out;
	}
	rc = run_stage(&cfg, NULL, &totals);
out:
	rs_config_free(&cfg);
	return rc;
}
