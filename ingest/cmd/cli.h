/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.h - what every subcommand shares: exit codes, finding and loading
 * the rules directory, classifying one pasted reply.
 */
#ifndef RS_CLI_H
#define RS_CLI_H

#include <getopt.h>
#include <stddef.h>
#include <stdio.h>

#include "classify/rules.h"
#include "config/cmdline.h"
#include "config/config.h"

#define RS_EXIT_OK 0
#define RS_EXIT_FAILURE 1 /* runtime failure */
#define RS_EXIT_USAGE 2   /* usage or configuration error */
#define RS_EXIT_FENCED 3  /* run, exactly-once: the producer was fenced */

/* The end of every subcommand's option table: --help (rs_cli_getopt
 * answers its 'h') and the terminating entry. */
#define RS_CLI_OPTS_END                                                        \
	{"help", no_argument, NULL, 'h'},                                      \
	{                                                                      \
		NULL, 0, NULL, 0                                               \
	}

/* rs_cli_getopt's answer when the command is to stop (see there). */
#define RS_CLI_STOP (-2)

/*
 * A file or directory that comes with the program: opt if given, else the
 * environment variable env_name if set and not empty, else the first that
 * exists (a directory if want_dir) of <exe>/../REL (build tree) and
 * <exe>/../share/replyscan/REL (install tree), made canonical. Writes into
 * out and returns it; NULL when none of them applies.
 */
const char *rs_cli_find(const char *opt, const char *env_name, const char *rel,
                        int want_dir, char *out, size_t out_size);

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

/*
 * The next option, as getopt_long returns it (-1 after the last), with the
 * answers every subcommand gives alike: 'h' (--help) prints usage to
 * stdout, an unknown option or a missing argument prints it to stderr;
 * both return RS_CLI_STOP with *status the exit status (RS_EXIT_OK,
 * RS_EXIT_USAGE).
 */
int rs_cli_getopt(int argc, char **argv, const char *shortopts,
                  const struct option *opts, void (*usage)(FILE *out),
                  int *status);

/*
 * The command line of a configured command (cmd RS_CONFIG_CLASSIFY or
 * RS_CONFIG_RUN) into cfg and cl, with the answers both give alike: an
 * error reported (and the usage after a usage error), --help and
 * --config-reference printed. 0 to go on; -1 with *status the exit status.
 */
int rs_cli_config(unsigned cmd, int argc, char **argv, rs_config_t *cfg,
                  rs_cmdline_t *cl, void (*usage)(FILE *out), int *status);

#endif
