/*
 * cmd_eval.c - `replyscan eval FILE.tsv`: accuracy of the classifier on
 * labelled replies (text<TAB>expected_class[<TAB>anything]).
 *
 * Prints the agreement, the uncategorized share, per-class precision and
 * recall, the confusion pairs and every misclassified row; with
 * --min-accuracy / --max-uncategorized it fails (exit 1) below target.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/paste.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: replyscan eval [--rules DIR] [--min-accuracy PCT] "
	    "[--max-uncategorized PCT] [--quiet] FILE.tsv\n"
	    "\n"
	    "Each row is TEXT<TAB>EXPECTED_CLASS; more columns are ignored; "
	    "a first row\n"
	    "whose second column is 'class' is a header. Prints accuracy, "
	    "the\n"
	    "uncategorized share, a confusion table and the misclassified "
	    "rows.\n"
	    "  --quiet  leave out the misclassified rows\n");
}

int rs_cmd_eval(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"rules", required_argument, NULL, 'r'},
	    {"min-accuracy", required_argument, NULL, 'a'},
	    {"max-uncategorized", required_argument, NULL, 'u'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	static uint64_t confusion[RS_CAUSE__COUNT][RS_CAUSE__COUNT];
	static char arena[64 * 1024];
	const char *rules_dir = NULL;
	double min_acc = -1, max_unc = 101;
	int quiet = 0, c, rc = RS_EXIT_OK;
	rs_rules_t *rules;
	rs_rules_scratch_t *scratch;
	rs_record_t rec = {0};
	char err[512];
	char *line = NULL;
	size_t cap = 0, lineno = 0, total = 0, right = 0, unc = 0;
	ssize_t n;
	FILE *in;

	optind = 1;
	while ((c = getopt_long(argc, argv, "r:a:u:qh", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rules_dir = optarg;
			break;
		case 'a':
			min_acc = atof(optarg);
			break;
		case 'u':
			max_unc = atof(optarg);
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
	if (optind + 1 != argc) {
		usage(stderr);
		return RS_EXIT_USAGE;
	}
	in = strcmp(argv[optind], "-") == 0 ? stdin : fopen(argv[optind], "r");
	if (in == NULL) {
		fprintf(stderr, "replyscan: %s: cannot open: %m\n",
		        argv[optind]);
		return RS_EXIT_FAILURE;
	}
	rules = rs_cli_load_rules(rules_dir);
	if (rules == NULL) {
		if (in != stdin) {
			fclose(in);
		}
		return RS_EXIT_USAGE;
	}
	scratch = rs_rules_scratch_new(rules, err, sizeof(err));
	if (scratch == NULL) {
		fprintf(stderr, "replyscan: %s\n", err);
		rc = RS_EXIT_FAILURE;
		goto out;
	}
	rec.arena = arena;
	rec.arena_cap = sizeof(arena);
	memset(confusion, 0, sizeof(confusion));
	if (!quiet) {
		printf("misclassified rows (file:line expected -> got [rule]: "
		       "text)\n");
	}
	while ((n = getline(&line, &cap, in)) >= 0) {
		char *tab, *cls, *end;
		rs_verdict_t v;
		int expected;

		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r')) {
			line[--n] = '\0';
		}
		if (n == 0) {
			continue;
		}
		tab = memchr(line, '\t', (size_t)n);
		if (tab == NULL) {
			fprintf(stderr,
			        "replyscan: %s:%zu: no tab: expected "
			        "TEXT<TAB>CLASS\n",
			        argv[optind], lineno);
			rc = RS_EXIT_USAGE;
			goto out;
		}
		cls = tab + 1;
		end = strchr(cls, '\t');
		if (end == NULL) {
			end = line + n;
		}
		if (lineno == 1 && (size_t)(end - cls) == 5 &&
		    memcmp(cls, "class", 5) == 0) {
			continue;
		}
		expected = rs_taxonomy_cause_parse(cls, (size_t)(end - cls));
		if (expected < 0) {
			fprintf(stderr,
			        "replyscan: %s:%zu: unknown class '%.*s'\n",
			        argv[optind], lineno, (int)(end - cls), cls);
			rc = RS_EXIT_USAGE;
			goto out;
		}
		if (rs_paste_classify(
			rules, scratch, line, (size_t)(tab - line),
			RS_STAGE_UNSPECIFIED, NULL, &rec, &v) < 0) {
			fprintf(stderr, "replyscan: classifier failed\n");
			rc = RS_EXIT_FAILURE;
			goto out;
		}
		total++;
		confusion[expected][v.cause]++;
		if ((int)v.cause == expected) {
			right++;
		} else if (!quiet) {
			printf("  %s:%zu %s -> %s [%s]: %.*s\n", argv[optind],
			       lineno, rs_taxonomy_cause_name(expected),
			       rs_taxonomy_cause_name(v.cause),
			       v.rule_id[0] ? v.rule_id : "-",
			       (int)(tab - line), line);
		}
		if (v.cause == RS_CAUSE_UNCATEGORIZED &&
		    expected != RS_CAUSE_UNCATEGORIZED) {
			unc++;
		}
	}
	if (total == 0) {
		fprintf(stderr, "replyscan: %s: no rows\n", argv[optind]);
		rc = RS_EXIT_USAGE;
		goto out;
	}
	printf("\nper class (rows, correct, recall, precision)\n");
	for (int e = 1; e < RS_CAUSE__COUNT; e++) {
		uint64_t rows = 0, predicted = 0;

		for (int g = 0; g < RS_CAUSE__COUNT; g++) {
			rows += confusion[e][g];
			predicted += confusion[g][e];
		}
		if (rows == 0 && predicted == 0) {
			continue;
		}
		printf("  %-22s %5llu %5llu %6.1f%% %6.1f%%\n",
		       rs_taxonomy_cause_name(e), (unsigned long long)rows,
		       (unsigned long long)confusion[e][e],
		       rows ? 100.0 * (double)confusion[e][e] / (double)rows
		            : 0,
		       predicted
		           ? 100.0 * (double)confusion[e][e] / (double)predicted
		           : 0);
	}
	printf("\nconfusion (expected -> got: rows)\n");
	for (int e = 0; e < RS_CAUSE__COUNT; e++) {
		for (int g = 0; g < RS_CAUSE__COUNT; g++) {
			if (e != g && confusion[e][g] > 0) {
				printf("  %s -> %s: %llu\n",
				       rs_taxonomy_cause_name(e),
				       rs_taxonomy_cause_name(g),
				       (unsigned long long)confusion[e][g]);
			}
		}
	}
	{
		double acc = 100.0 * (double)right / (double)total;
		double uncp = 100.0 * (double)unc / (double)total;

		printf("\n%zu rows: accuracy %.2f%% (%zu agree), uncategorized "
		       "%.2f%% (%zu)\n",
		       total, acc, right, uncp, unc);
		if (acc < min_acc || uncp > max_unc) {
			printf("below target: accuracy >= %.2f%%, "
			       "uncategorized <= %.2f%%\n",
			       min_acc, max_unc);
			rc = RS_EXIT_FAILURE;
		}
	}
out:
	free(line);
	if (in != stdin) {
		fclose(in);
	}
	rs_rules_scratch_destroy(scratch);
	rs_rules_destroy(rules);
	return rc;
}
