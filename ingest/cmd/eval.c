/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd/eval.c - `replyscan eval FILE.tsv`: accuracy of the classifier on
 * labelled replies (text<TAB>expected_class[<TAB>anything], or columns
 * named by a "text<TAB>..." header, with an optional stage column).
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
	    "[--max-uncategorized PCT]\n"
	    "                      [--min-stage-agreement PCT] [--quiet] "
	    "FILE.tsv\n"
	    "\n"
	    "Each row is TEXT<TAB>EXPECTED_CLASS; more columns are ignored. "
	    "A first row\n"
	    "starting 'text<TAB>' is a header naming the columns: 'class', "
	    "and 'stage'\n"
	    "(an SMTP stage, or empty when unknown) if present. Prints "
	    "accuracy, the\n"
	    "uncategorized share, per-class recall and precision, the "
	    "confusions, the\n"
	    "misclassified rows and, with a stage column, how often the "
	    "logged or\n"
	    "inferred stage agrees. Exit status 1 when a figure misses one "
	    "of these bounds.\n"
	    "A TEXT that is a whole MTA log line is read by its format's "
	    "parser, as\n"
	    "`explain` and the pipeline read it; any other TEXT as a bare "
	    "reply.\n"
	    "  --quiet  leave out the misclassified rows\n");
}

/*
 * Field i (0-based, tab-separated) of [line, line+n): its start, and its
 * end in *end; NULL when the line has fewer fields.
 */
static char *column(char *line, size_t n, int i, char **end)
{
	char *p = line, *e = line + n;

	for (int k = 0; k < i; k++) {
		p = memchr(p, '\t', (size_t)(e - p));
		if (p == NULL) {
			return NULL;
		}
		p++;
	}
	*end = memchr(p, '\t', (size_t)(e - p));
	if (*end == NULL) {
		*end = e;
	}
	return p;
}

/* Read the header's column names after "text\t": class and stage. */
static void header(char *names, int *class_col, int *stage_col)
{
	int i = 1;

	for (char *p = names; p != NULL; i++) {
		char *tab = strchr(p, '\t');
		size_t l = tab != NULL ? (size_t)(tab - p) : strlen(p);

		if (l == 5 && memcmp(p, "class", 5) == 0) {
			*class_col = i;
		} else if (l == 5 && memcmp(p, "stage", 5) == 0) {
			*stage_col = i;
		}
		p = tab != NULL ? tab + 1 : NULL;
	}
}

int rs_cmd_eval(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"rules", required_argument, NULL, 'r'},
	    {"min-accuracy", required_argument, NULL, 'a'},
	    {"max-uncategorized", required_argument, NULL, 'u'},
	    {"min-stage-agreement", required_argument, NULL, 's'},
	    {"quiet", no_argument, NULL, 'q'},
	    RS_CLI_OPTS_END,
	};
	static uint64_t confusion[RS_CAUSE__COUNT][RS_CAUSE__COUNT];
	static char arena[64 * 1024];
	const char *rules_dir = NULL;
	double min_acc = -1, max_unc = 101, min_stage = -1;
	/* Columns: text is the first; class the second unless a header
	 * names them; stage only when a header names it. */
	int class_col = 1, stage_col = -1;
	size_t staged = 0, stage_right = 0;
	size_t by_source[RS_STAGE_SOURCE__COUNT] = {0};
	size_t right_by_source[RS_STAGE_SOURCE__COUNT] = {0};
	int quiet = 0, c, rc = RS_EXIT_OK, status;
	rs_rules_t *rules;
	rs_rules_scratch_t *scratch;
	rs_record_t rec = {0};
	char err[512];
	char *line = NULL;
	size_t cap = 0, lineno = 0, total = 0, right = 0, unc = 0;
	ssize_t n;
	FILE *in;

	optind = 1;
	while ((c = rs_cli_getopt(argc, argv, "r:a:u:s:qh", opts, usage,
	                          &status)) > 0) {
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
		case 's':
			min_stage = atof(optarg);
			break;
		case 'q':
			quiet = 1;
			break;
		}
	}
	if (c == RS_CLI_STOP) {
		return status;
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
		char *tab, *cls, *end, *stage_text, *stage_end;
		rs_verdict_t v;
		int expected, want_stage;

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
		if (lineno == 1 && strncmp(line, "text\t", 5) == 0) {
			header(tab + 1, &class_col, &stage_col);
			continue;
		}
		cls = column(line, (size_t)n, class_col, &end);
		if (cls == NULL) {
			fprintf(stderr,
			        "replyscan: %s:%zu: no class column %d\n",
			        argv[optind], lineno, class_col + 1);
			rc = RS_EXIT_USAGE;
			goto out;
		}
		expected = rs_taxonomy_cause_parse(cls, (size_t)(end - cls));
		if (expected < 0) {
			fprintf(stderr,
			        "replyscan: %s:%zu: unknown class '%.*s'\n",
			        argv[optind], lineno, (int)(end - cls), cls);
			rc = RS_EXIT_USAGE;
			goto out;
		}
		stage_text = stage_col >= 0 ? column(line, (size_t)n, stage_col,
		                                     &stage_end)
		                            : NULL;
		want_stage = -1;
		if (stage_text != NULL && stage_end > stage_text) {
			want_stage = rs_taxonomy_stage_parse(
			    stage_text, (size_t)(stage_end - stage_text));
			if (want_stage < 0) {
				fprintf(stderr,
				        "replyscan: %s:%zu: unknown stage "
				        "'%.*s'\n",
				        argv[optind], lineno,
				        (int)(stage_end - stage_text),
				        stage_text);
				rc = RS_EXIT_USAGE;
				goto out;
			}
		}
		if (rs_paste_classify(
			rules, scratch, line, (size_t)(tab - line),
			RS_STAGE_UNSPECIFIED, NULL, &rec, &v, NULL) < 0) {
			fprintf(stderr, "replyscan: classifier failed\n");
			rc = RS_EXIT_FAILURE;
			goto out;
		}
		total++;
		confusion[expected][v.cause]++;
		if (want_stage >= 0) {
			staged++;
			by_source[v.stage_source]++;
			if ((int)v.stage_inferred == want_stage) {
				stage_right++;
				right_by_source[v.stage_source]++;
			}
		}
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
		double stp =
		    staged ? 100.0 * (double)stage_right / (double)staged : 0;

		if (staged > 0) {
			printf(
			    "%zu rows with a known stage: logged or inferred "
			    "stage agrees on %.2f%% (%zu)",
			    staged, stp, stage_right);
			for (int k = 1; k < RS_STAGE_SOURCE__COUNT; k++) {
				printf("%s %s %zu/%zu", k == 1 ? ";" : ",",
				       rs_taxonomy_stage_source_name(
					   (rs_stage_source_t)k),
				       right_by_source[k], by_source[k]);
			}
			printf("\n");
		}
		if (acc < min_acc || uncp > max_unc ||
		    (min_stage >= 0 && stp < min_stage)) {
			printf("below target: accuracy >= %.2f%%, "
			       "uncategorized <= %.2f%%",
			       min_acc, max_unc);
			if (min_stage >= 0) {
				printf(", stage agreement >= %.2f%%",
				       min_stage);
			}
			printf("\n");
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
