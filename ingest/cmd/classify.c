/*
 * cmd_classify.c - `replyscan classify`: files or stdin through the
 * pipeline to stdout as JSON, delimited protobuf or a summary table.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "files/filesource.h"
#include "pipeline/pipeline.h"
#include "files/summary.h"
#include "files/writesink.h"
#include "util/clock.h"

#define DEFAULT_BATCH_BYTES (1024 * 1024)
#define DEFAULT_MAX_LINE (4 * 1024 * 1024)

static void usage(FILE *out)
{
	char names[256];

	fprintf(
	    out,
	    "usage: replyscan classify [OPTIONS] [FILE|-]...\n"
	    "\n"
	    "Read MTA log lines (plain, gzip or zstd; stdin when no FILE or "
	    "'-')\n"
	    "and write one event per delivery failure.\n"
	    "\n"
	    "  -i, --input-format F  %s (default auto)\n"
	    "  -f, --format F        json|pb|summary (default json)\n"
	    "  -a, --all             also emit successful deliveries "
	    "(status sent)\n"
	    "  -r, --rules DIR       rules directory (default: the bundled "
	    "rules)\n"
	    "  -t, --threads N       worker threads (default: online CPUs)\n"
	    "      --top N           receivers listed by --format summary "
	    "(default 20)\n"
	    "      --max-line BYTES  longer lines are counted malformed "
	    "(default %d)\n"
	    "  -q, --quiet           no closing line on stderr\n"
	    "  -h, --help            this text\n"
	    "\n"
	    "json: one object per line with the DeferralEvent field names; "
	    "pb: varint-\n"
	    "length-delimited replyscan.v1.DeferralEvent messages. With "
	    "--input-format\n"
	    "reply every input line gives exactly one event. Exit status: 0 "
	    "ok, 1 an\n"
	    "input or output failed, 2 usage or rules error.\n",
	    rs_format_names(names, sizeof(names), "|"), DEFAULT_MAX_LINE);
}

int rs_cmd_classify(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"input-format", required_argument, NULL, 'i'},
	    {"format", required_argument, NULL, 'f'},
	    {"all", no_argument, NULL, 'a'},
	    {"rules", required_argument, NULL, 'r'},
	    {"threads", required_argument, NULL, 't'},
	    {"top", required_argument, NULL, 'T'},
	    {"max-line", required_argument, NULL, 'M'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	rs_pipeline_conf_t conf;
	const char *rules_dir = NULL;
	const char *format = "json";
	char *stdin_path[] = {"-"};
	char err[1024];
	rs_rules_t *rules = NULL;
	rs_filesource_t *fs = NULL;
	rs_summary_t *summary = NULL;
	rs_writesink_t *ws = NULL;
	rs_counts_t totals;
	double t0, secs;
	long top = 20;
	int quiet = 0;
	int rc = RS_EXIT_USAGE;
	int c;
	long v;

	memset(&conf, 0, sizeof(conf));
	conf.threads = rs_cli_default_threads();
	conf.batch_bytes = DEFAULT_BATCH_BYTES;
	conf.max_line = DEFAULT_MAX_LINE;
	conf.encode = 1;
	optind = 1;
	while ((c = getopt_long(argc, argv, "i:f:ar:t:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'i':
			conf.input_format =
			    rs_format_find(optarg, strlen(optarg));
			if (conf.input_format == NULL) {
				char names[256];
				fprintf(stderr,
				        "replyscan: --input-format: unknown "
				        "format '%s' (%s)\n",
				        optarg,
				        rs_format_names(names, sizeof(names),
				                        ", "));
				return RS_EXIT_USAGE;
			}
			break;
		case 'f':
			format = optarg;
			break;
		case 'a':
			conf.include_sent = 1;
			break;
		case 'r':
			rules_dir = optarg;
			break;
		case 't':
			v = rs_cli_parse_count("--threads", optarg, 1, 256);
			if (v < 0) {
				return RS_EXIT_USAGE;
			}
			conf.threads = (unsigned)v;
			break;
		case 'T':
			top = rs_cli_parse_count("--top", optarg, 0, 1000000);
			if (top < 0) {
				return RS_EXIT_USAGE;
			}
			break;
		case 'M':
			v = rs_cli_parse_count("--max-line", optarg, 1024,
			                       256L * 1024 * 1024);
			if (v < 0) {
				return RS_EXIT_USAGE;
			}
			conf.max_line = (size_t)v;
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			return RS_EXIT_OK;
		default:
			usage(stderr);
			return RS_EXIT_USAGE;
		}
	}
	if (strcmp(format, "json") == 0) {
		conf.event_format = RS_EVENT_JSON;
	} else if (strcmp(format, "pb") == 0) {
		conf.event_format = RS_EVENT_PB_DELIM;
	} else if (strcmp(format, "summary") == 0) {
		conf.encode = 0;
		conf.key = RS_KEY_RECIPIENT_DOMAIN;
	} else {
		fprintf(stderr,
		        "replyscan: --format: unknown format '%s' (json, pb, "
		        "summary)\n",
		        format);
		return RS_EXIT_USAGE;
	}

	rules = rs_cli_load_rules(rules_dir);
	if (rules == NULL) {
		return RS_EXIT_USAGE;
	}
	conf.rules = rules;
	if (optind < argc) {
		fs = rs_filesource_new(argv + optind, (size_t)(argc - optind),
		                       conf.batch_bytes, conf.max_line);
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
		rs_summary_print(summary, &totals, (size_t)top, stdout);
	}
	if (!quiet) {
		fprintf(stderr,
		        "replyscan: %llu lines read, %llu events, %llu "
		        "skipped, %llu malformed in %.3f s (%.0f lines/s)\n",
		        (unsigned long long)totals.lines,
		        (unsigned long long)totals.events,
		        (unsigned long long)totals.skipped,
		        (unsigned long long)totals.malformed, secs,
		        secs > 0 ? (double)totals.lines / secs : 0.0);
	}
	rc = rs_filesource_failed_files(fs) > 0 ? RS_EXIT_FAILURE : RS_EXIT_OK;
out:
	rs_writesink_destroy(ws);
	rs_summary_destroy(summary);
	rs_filesource_destroy(fs);
	rs_rules_destroy(rules);
	return rc;
}
