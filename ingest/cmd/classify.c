/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd/classify.c - `replyscan classify`: files or stdin through the
 * pipeline to stdout as JSON, delimited protobuf or a summary table.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "config/cmdline.h"
#include "config/config.h"
#include "formats/format_opts.h"
#include "files/filesource.h"
#include "pipeline/pipeline.h"
#include "files/summary.h"
#include "files/writesink.h"
#include "util/clock.h"

static void usage(FILE *out)
{
	fputs("usage: replyscan classify [OPTIONS] [FILE|-]...\n"
	      "\n"
	      "Read MTA log lines (plain, gzip or zstd; stdin when no FILE or "
	      "'-')\n"
	      "and write one event per delivery failure. Each option sets a "
	      "configuration\n"
	      "key, after the --config file, in command-line order.\n"
	      "\n",
	      out);
	rs_cmdline_usage(RS_CONFIG_CLASSIFY, out);
	fputs("\n"
	      "json: one object per line with the DeferralEvent field names; "
	      "pb: varint-\n"
	      "length-delimited replyscan.v1.DeferralEvent messages. With "
	      "--input-format\n"
	      "reply every input line gives exactly one event. Exit status: 0 "
	      "ok, 1 an\n"
	      "input or output failed, 2 usage or rules error.\n",
	      out);
}

/*
 * The command line into cfg; RS_EXIT_OK to go on, or the exit status
 * (help and the reference printed, errors reported) in *rc.
 */
static int parse(int argc, char **argv, rs_config_t *cfg, rs_cmdline_t *cl,
                 int *rc)
{
	if (rs_cli_config(RS_CONFIG_CLASSIFY, argc, argv, cfg, cl, usage, rc) !=
	    0) {
		return -1;
	}
	if (cl->print_config) {
		rs_config_print(cfg, RS_CONFIG_CLASSIFY, stdout);
		return -1;
	}
	return 0;
}

int rs_cmd_classify(int argc, char **argv)
{
	rs_pipeline_conf_t conf;
	rs_config_t cfg;
	rs_cmdline_t cl;
	char *stdin_path[] = {"-"};
	char err[1024];
	rs_rules_t *rules = NULL;
	rs_filesource_t *fs = NULL;
	rs_summary_t *summary = NULL;
	rs_writesink_t *ws = NULL;
	rs_format_opts_t *opts = NULL;
	rs_counts_t totals;
	double t0, secs;
	int rc;

	rs_config_init(&cfg);
	if (parse(argc, argv, &cfg, &cl, &rc) != 0) {
		rs_config_free(&cfg);
		return rc;
	}
	memset(&conf, 0, sizeof(conf));
	conf.input_format = cfg.pipeline.input_format;
	conf.include_sent = cfg.pipeline.include_sent;
	conf.rollup_interval_ms =
	    (int64_t)(cfg.pipeline.rollup_interval * 1000.0 + 0.5);
	conf.threads = rs_config_threads(&cfg);
	conf.slots = rs_config_queue_batches(&cfg);
	conf.batch_bytes = cfg.pipeline.batch_bytes;
	conf.max_line = cfg.pipeline.max_line;
	conf.encode = 1;
	switch (cfg.output.format) {
	case RS_CONFIG_OUTPUT_JSON:
		conf.event_format = RS_EVENT_JSON;
		break;
	case RS_CONFIG_OUTPUT_PB:
		conf.event_format = RS_EVENT_PB_DELIM;
		break;
	case RS_CONFIG_OUTPUT_SUMMARY:
		conf.encode = 0;
		conf.key = RS_KEY_RECIPIENT_DOMAIN;
		break;
	}

	rc = RS_EXIT_USAGE;
	opts = rs_config_format_opts(&cfg, err, sizeof(err));
	if (opts == NULL) {
		fprintf(stderr, "replyscan: %s\n", err);
		goto out;
	}
	conf.format_opts = opts;
	rules = rs_cli_load_rules(
	    cfg.pipeline.rules[0] != '\0' ? cfg.pipeline.rules : NULL);

	if (rules == NULL) {
		goto out;
	}
	conf.rules = rules;
	if (cl.nargs > 0) {
		fs = rs_filesource_new(cl.args, cl.nargs, conf.batch_bytes,
		                       conf.max_line);
	} else {
		fs = rs_filesource_new(stdin_path, 1, conf.batch_bytes,
		                       conf.max_line);
	}
	if (!conf.encode) {
		summary = rs_summary_new();
	}
	ws = rs_writesink_new(conf.encode ? STDOUT_FILENO : -1, summary, 10);
	if (fs == NULL || ws == NULL || (!conf.encode && summary == NULL)) {
		fprintf(stderr, "replyscan: out of memory\n");
		rc = RS_EXIT_FAILURE;
		goto out;
	}

	t0 = rs_clock_mono_s();
	if (rs_pipeline_run(&conf, rs_filesource_source(fs),
	                    rs_writesink_sink(ws), &totals, err,
	                    sizeof(err)) < 0) {
		fprintf(stderr, "replyscan: %s\n", err);
		rc = RS_EXIT_FAILURE;
		goto out;
	}
	secs = rs_clock_mono_s() - t0;
	if (summary != NULL) {
		rs_summary_print(summary, &totals, (size_t)cfg.output.top,
		                 stdout);
	}
	if (!cfg.output.quiet) {
		fprintf(stderr,
		        "replyscan: %llu lines read, %llu events, %llu "
		        "skipped, %llu malformed in %.3f s (%.0f lines/s)\n",
		        (unsigned long long)totals.lines,
		        (unsigned long long)totals.events,
		        (unsigned long long)totals.skipped,
		        (unsigned long long)totals.malformed, secs,
		        secs > 0 ? (double)totals.lines / secs : 0.0);
		if (totals.rolled_up > 0) {
			fprintf(stderr,
			        "replyscan: %llu delivered lines rolled up "
			        "into the events (aggregated_count)\n",
			        (unsigned long long)totals.rolled_up);
		}
	}
	rc = rs_filesource_failed_files(fs) > 0 ? RS_EXIT_FAILURE : RS_EXIT_OK;
out:
	rs_writesink_destroy(ws);
	rs_summary_destroy(summary);
	rs_filesource_destroy(fs);
	rs_rules_destroy(rules);
	rs_format_opts_destroy(opts);
	rs_config_free(&cfg);
	return rc;
}
