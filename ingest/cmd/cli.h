/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - what every subcommand shares: exit codes, finding and loading
 * the rules directory, classifying one pasted reply.
 */
#ifndef RS_CLI_H
#define RS_CLI_H

#include <stddef.h>

#include "classify/rules.h"

#define RS_EXIT_OK 0
#define RS_EXIT_FAILURE 1 /* runtime failure */
#define RS_EXIT_USAGE 2   /* usage or configuration error */
#define RS_EXIT_FENCED 3  /* run, exactly-once: the producer was fenced */

/*
 * The rules directory to use: dir if given, else $REPLYSCAN_RULES, else
 * the first that exists of <exe>/../rules (build tree),
 * <exe>/../share/replyscan/rules (install tree) and the configured install
 * directory. Writes into out; returns out.
 */
const char *rs_cli_rules_dir(const char *dir, char *out, size_t out_size);

/* Load the rules, printing "replyscan: <reason>" on failure. */
rs_rules_t *rs_cli_load_rules(const char *dir);

/* Parse a positive integer option; -1 (and a message) when invalid. */
long rs_cli_parse_count(const char *opt, const char *value, long min, long max);

#endif
