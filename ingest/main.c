/* SPDX-License-Identifier: Apache-2.0 */
/*
 * main.c - the replyscan command: dispatch to a subcommand.
 */
#include <stdio.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: replyscan COMMAND [OPTIONS]\n"
	    "\n"
	    "Turn MTA delivery logs into typed deferral events: why the "
	    "receiver\n"
	    "refused the mail, and at which SMTP stage.\n"
	    "\n"
	    "commands:\n"
	    "  run        the Kafka stage: consume log lines, produce events\n"
	    "  classify   classify log files or stdin, write events\n"
	    "  explain    explain one SMTP reply in plain words\n"
	    "  rules      check, test or list a rules directory\n"
	    "  eval       measure accuracy on a labelled file of replies\n"
	    "  replay     produce a recorded log corpus into a Kafka topic\n"
	    "  events     print the events of an output topic as JSON\n"
	    "  posture    aggregate events into a retry posture per sending "
	    "IP x receiver\n"
	    "  version    print the version\n"
	    "\n"
	    "'replyscan COMMAND --help' describes each command.\n");
}

int main(int argc, char **argv)
{
	const char *cmd;

	if (argc < 2) {
		usage(stderr);
		return RS_EXIT_USAGE;
	}
	cmd = argv[1];
	if (strcmp(cmd, "classify") == 0) {
		return rs_cmd_classify(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "explain") == 0) {
		return rs_cmd_explain(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "rules") == 0) {
		return rs_cmd_rules(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "run") == 0) {
		return rs_cmd_run(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "events") == 0) {
		return rs_cmd_events(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "posture") == 0) {
		return rs_cmd_posture(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "replay") == 0) {
		return rs_cmd_replay(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "eval") == 0) {
		return rs_cmd_eval(argc - 1, argv + 1);
	}
	if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
		printf("replyscan %s\n", RS_VERSION);
		return RS_EXIT_OK;
	}
	if (strcmp(cmd, "help") == 0 || strcmp(cmd, "--help") == 0 ||
	    strcmp(cmd, "-h") == 0) {
		usage(stdout);
		return RS_EXIT_OK;
	}
	fprintf(stderr, "replyscan: unknown command '%s'\n\n", cmd);
	usage(stderr);
	return RS_EXIT_USAGE;
}
