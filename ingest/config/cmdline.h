/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmdline.h - the command line of the commands that read a configuration
 * (`run`, `classify`): their getopt option table, their --help option
 * lines and the order in which values reach the configuration are all
 * made from the key table (config/keys.c), so a flag exists once, with
 * its key, and cannot be documented in one place and missing in another.
 *
 * Order: the file of --config first (the last --config given), then every
 * flag and --set KEY=VALUE in command-line order, each through the same
 * setter as the file. A flag may set a second key (--dead-letter TOPIC is
 * kafka.dead_letter=TOPIC and pipeline.on_malformed=dead_letter); a
 * repeated list flag (-i a -i b) adds to the list it replaced first.
 * Besides the keys' flags every such command takes --config FILE, --set
 * KEY=VALUE, --print-config, --config-reference and --help; `run` also
 * takes --demo.
 *
 * Errors name the flag and the key ("--threads: pipeline.threads: 0.5 is
 * not an integer from 1 to 256 (or 0: one per online CPU)").
 *
 * @locality start-up (main thread): getopt keeps global state.
 */
#ifndef RS_CMDLINE_H
#define RS_CMDLINE_H

#include <stddef.h>
#include <stdio.h>

#include "config/config.h"

/* What rs_cmdline_parse returns besides 0. */
#define RS_CMDLINE_ERROR -1 /* a bad value or file: print errstr */
#define RS_CMDLINE_USAGE -2 /* an unknown option: errstr, then usage */

/* What the command line asked for besides configuration values. */
typedef struct rs_cmdline {
	int help;             /* --help: print the usage and exit */
	int config_reference; /* --config-reference */
	int print_config;     /* --print-config */
	int demo;             /* --demo (run) */
	const char *config;   /* --config FILE, NULL: none */
	char **args;          /* operands (files), pointing into argv */
	size_t nargs;
} rs_cmdline_t;

/*
 * Parse argv (argv[0] is the command's name) of command cmd (one
 * RS_CONFIG_* value) into cfg, which rs_config_init prepared, and out.
 * With --help or --config-reference nothing else is applied. 0,
 * RS_CMDLINE_ERROR or RS_CMDLINE_USAGE with a sentence in errstr. argv
 * may be reordered (operands last), as getopt_long does.
 */
int rs_cmdline_parse(unsigned cmd, int argc, char **argv, rs_config_t *cfg,
                     rs_cmdline_t *out, char *errstr, size_t errstr_size);

/* The option lines of cmd's --help, one per flag, wrapped at 80. */
void rs_cmdline_usage(unsigned cmd, FILE *out);

#endif
