/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd.h - the subcommands. Each takes main's argc/argv shifted so that
 * argv[0] is the subcommand name, and returns an RS_EXIT_* status.
 */
#ifndef RS_CMD_H
#define RS_CMD_H

#include <stddef.h>

int rs_cmd_classify(int argc, char **argv);
int rs_cmd_explain(int argc, char **argv);
int rs_cmd_rules(int argc, char **argv);
int rs_cmd_eval(int argc, char **argv);
int rs_cmd_run(int argc, char **argv);
int rs_cmd_replay(int argc, char **argv);
int rs_cmd_events(int argc, char **argv);
int rs_cmd_posture(int argc, char **argv);

/* The posture policy path: opt if given, else $REPLYSCAN_POSTURE_POLICY,
 * else posture/policy.yaml of the build or install tree; into out. */
const char *rs_cmd_posture_policy(const char *opt, char *out, size_t size);

#endif
