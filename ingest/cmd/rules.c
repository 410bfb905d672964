/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd/rules.c - `replyscan rules check|test|list [DIR]`: validate and
 * compile a rules directory, run every rule's examples through the
 * classifier, or list the rules.
 */
#include <stdio.h>
#include <string.h>

#include "classify/words.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"

static void usage(FILE *out)
{
	fprintf(out,
	        "usage: replyscan rules check [DIR]\n"
	        "       replyscan rules test [DIR]\n"
	        "       replyscan rules list [DIR]\n"
	        "       replyscan rules examples [DIR]\n"
	        "\n"
	        "check  load, validate and compile every *.yaml file of DIR "
	        "and its\n"
	        "       word model (words.model; none: no word step)\n"
	        "test   also run each rule's examples (must match / must not "
	        "match)\n"
	        "list   print every rule as a tab-separated row: id, class, "
	        "priority,\n"
	        "       scope, infers_stage (\"hint:STAGE\" for a stage "
	        "hint), patterns,\n"
	        "       tags, file:line\n"
	        "examples  print every classifying rule's match examples as "
	        "tab-separated\n"
	        "       rows: text, class, rule id (what the word model is "
	        "trained on)\n"
	        "\n"
	        "DIR defaults to the bundled rules. Exit status: 0 ok, 1 an "
	        "example\n"
	        "failed, 2 the directory does not load.\n");
}

int rs_cmd_rules(int argc, char **argv)
{
	char path[4096];
	const char *dir;
	rs_rules_t *rules;
	size_t failed, passed = 0;

	if (argc < 2 || strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? RS_EXIT_USAGE : RS_EXIT_OK;
	}
	if (argc > 3 ||
	    (strcmp(argv[1], "check") != 0 && strcmp(argv[1], "test") != 0 &&
	     strcmp(argv[1], "list") != 0 &&
	     strcmp(argv[1], "examples") != 0)) {
		usage(stderr);
		return RS_EXIT_USAGE;
	}
	dir = rs_cli_rules_dir(argc == 3 ? argv[2] : NULL, path, sizeof(path));
	rules = rs_cli_load_rules(dir);
	if (rules == NULL) {
		return RS_EXIT_USAGE;
	}
	if (strcmp(argv[1], "list") == 0) {
		rs_rules_list(rules, stdout);
		rs_rules_destroy(rules);
		return RS_EXIT_OK;
	}
	if (strcmp(argv[1], "examples") == 0) {
		rs_rules_examples(rules, stdout);
		rs_rules_destroy(rules);
		return RS_EXIT_OK;
	}
	if (strcmp(argv[1], "check") == 0) {
		const rs_words_t *w = rs_rules_words(rules);

		printf("%s: %zu rules compiled into one database\n", dir,
		       rs_rules_count(rules));
		if (w == NULL) {
			printf("%s/words.model: none, no word step (replies no "
			       "rule classifies go to the code fallbacks)\n",
			       dir);
		} else {
			printf("%s/words.model: %zu features, %zu classes, "
			       "threshold %.2f (%.2f when nothing else "
			       "decides), %.2f MiB in memory\n",
			       dir, rs_words_nfeatures(w), rs_words_nclasses(w),
			       rs_words_threshold(w),
			       rs_words_threshold_alone(w),
			       (double)rs_words_memory(w) / (1024.0 * 1024.0));
		}
		rs_rules_destroy(rules);
		return RS_EXIT_OK;
	}
	failed = rs_rules_test(rules, stdout, &passed);
	printf("%s: %zu rules; examples: %zu passed, %zu failed\n", dir,
	       rs_rules_count(rules), passed, failed);
	rs_rules_destroy(rules);
	return failed == 0 ? RS_EXIT_OK : RS_EXIT_FAILURE;
}
