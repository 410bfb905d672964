/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd/run.c - `replyscan run`: the command line of the Kafka stage. It
 * turns the configuration (file, flags, --set; config/cmdline.h) into a
 * stage description and runs it (kafka/stage.h); with --demo, against the
 * mock cluster of cmd/demo.h.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "cmd/demo.h"
#include "config/cmdline.h"
#include "config/config.h"
#include "formats/format_opts.h"
#include "kafka/stage.h"
#include "observe/log.h"

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
	      "the events from them are acknowledged (at-least-once), or, "
	      "with\n"
	      "kafka.delivery_guarantee: exactly_once, together with them in "
	      "Kafka\n"
	      "transactions. Each option sets a configuration key, after the "
	      "file,\n"
	      "in command-line order.\n"
	      "\n",
	      out);
	rs_cmdline_usage(RS_CONFIG_RUN, out);
	fputs("\n"
	      "Signals: SIGTERM/SIGINT drain and exit (a second one gives up "
	      "waiting);\n"
	      "SIGHUP reloads the rules directory (a broken one is refused "
	      "and the old\n"
	      "rules stay). Exit status: 0 ok, 1 runtime failure, 2 "
	      "configuration error\n"
	      "(exactly-once on brokers before Kafka 2.5, without KIP-447, "
	      "included),\n"
	      "3 exactly-once producer fenced (another instance with the "
	      "same\n"
	      "transactional.id) or failed fatally.\n",
	      out);
}

/* The stage that cfg describes. rules_dir receives the resolved path. */
static void stage_conf(const rs_config_t *cfg, rs_stage_conf_t *sc,
                       char *rules_dir, size_t rules_dir_size)
{
	memset(sc, 0, sizeof(*sc));
	sc->brokers = cfg->kafka.brokers;
	sc->group = cfg->kafka.group;
	sc->topics = cfg->kafka.input.v;
	sc->ntopics = cfg->kafka.input.n;
	sc->output = cfg->kafka.output;
	sc->dead_letter =
	    cfg->pipeline.on_malformed == RS_CONFIG_MALFORMED_DEAD_LETTER
		? cfg->kafka.dead_letter
		: NULL;
	sc->compression = rs_config_compression_name(cfg->kafka.compression);
	sc->key = cfg->kafka.key;
	sc->consumer_props = cfg->kafka.consumer.v;
	sc->nconsumer_props = cfg->kafka.consumer.n;
	sc->producer_props = cfg->kafka.producer.v;
	sc->nproducer_props = cfg->kafka.producer.n;
	sc->exactly_once =
	    cfg->kafka.delivery_guarantee == RS_CONFIG_EXACTLY_ONCE;
	sc->transactional_id = cfg->kafka.transactional_id;
	sc->txn_interval = cfg->kafka.transaction_interval;
	sc->txn_events = cfg->kafka.transaction_events;
	sc->output_json = cfg->kafka.output_format == RS_CONFIG_KAFKA_JSON;
	sc->rules_dir = rs_cli_rules_dir(
	    cfg->pipeline.rules[0] != '\0' ? cfg->pipeline.rules : NULL,
	    rules_dir, rules_dir_size);
	sc->input_format = cfg->pipeline.input_format;
	sc->include_sent = cfg->pipeline.include_sent;
	sc->rollup_interval_ms =
	    (int64_t)(cfg->pipeline.rollup_interval * 1000.0 + 0.5);
	sc->threads = rs_config_threads(cfg);
	sc->slots = rs_config_queue_batches(cfg);
	sc->batch_bytes = cfg->pipeline.batch_bytes;
	sc->max_line = cfg->pipeline.max_line;
	sc->exit_when_idle = cfg->pipeline.exit_when_idle;
	sc->metrics_listen = cfg->metrics.listen;
	sc->unhealthy_after = cfg->metrics.unhealthy_after;
}

/* Run the stage of cfg; demo: against the demo's cluster. */
static int run(const rs_config_t *cfg, rs_demo_t *demo)
{
	rs_stage_conf_t sc;
	rs_counts_t totals;
	char rules_dir[PATH_MAX], err[1024] = "";
	rs_format_opts_t *opts;
	int rc;

	opts = rs_config_format_opts(cfg, err, sizeof(err));
	if (opts == NULL) {
		fprintf(stderr, "replyscan: %s\n", err);
		return RS_EXIT_USAGE;
	}
	stage_conf(cfg, &sc, rules_dir, sizeof(rules_dir));
	sc.format_opts = opts;
	sc.summary = demo != NULL ? rs_demo_summary(demo) : NULL;
	rc = rs_stage_run(&sc, &totals, err, sizeof(err));
	rs_format_opts_destroy(opts);
	switch (rc) {
	case RS_STAGE_OK:
		if (demo != NULL) {
			rs_demo_report(demo, &totals);
		}
		return RS_EXIT_OK;
	case RS_STAGE_CONFIG:
		if (err[0] != '\0') {
			fprintf(stderr, "replyscan: %s\n", err);
		}
		return RS_EXIT_USAGE;
	case RS_STAGE_FENCED:
		return RS_EXIT_FENCED;
	default:
		return RS_EXIT_FAILURE;
	}
}

int rs_cmd_run(int argc, char **argv)
{
	rs_cmdline_t cl;
	rs_config_t cfg;
	rs_demo_t *demo;
	char err[1024];
	int rc = RS_EXIT_USAGE;

	rs_config_init(&cfg);
	if (rs_cli_config(RS_CONFIG_RUN, argc, argv, &cfg, &cl, usage, &rc) !=
	    0) {
		goto out;
	}
	rc = RS_EXIT_USAGE;
	if (cl.nargs > 0 && !cl.demo) {
		fprintf(stderr, "replyscan: run: unexpected argument '%s'\n",
		        cl.args[0]);
		goto out;
	}
	rs_log_init(cfg.log.level, cfg.log.format, stderr);
	if (cl.demo) {
		demo = rs_demo_start(&cfg, cl.args, cl.nargs);
		rc = demo != NULL ? run(&cfg, demo) : RS_EXIT_FAILURE;
		rs_demo_stop(demo);
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
	rc = run(&cfg, NULL);
out:
	rs_config_free(&cfg);
	return rc;
}
