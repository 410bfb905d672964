/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cli.c - helpers shared by the subcommands.
 */
#include "cmd/cli.h"

#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef RS_DEFAULT_RULES_DIR
#define RS_DEFAULT_RULES_DIR "/usr/share/replyscan/rules"
#endif

/* Is path an existing file or directory (want_dir says which)? If so,
 * write its canonical form back ("/usr/bin/../share/x" -> "/usr/share/x"),
 * for readable messages. */
static int exists(char *path, size_t size, int want_dir)
{
	struct stat st;
	char real[PATH_MAX];

	if (stat(path, &st) != 0 || (want_dir && !S_ISDIR(st.st_mode))) {
		return 0;
	}
	if (realpath(path, real) != NULL && strlen(real) < size) {
		memcpy(path, real, strlen(real) + 1);
	}
	return 1;
}

const char *rs_cli_find(const char *opt, const char *env_name, const char *rel,
                        int want_dir, char *out, size_t out_size)
{
	static const char *const trees[] = {"..", "../share/replyscan"};
	const char *env = getenv(env_name);
	char exe[PATH_MAX];
	ssize_t n;

	if (opt != NULL) {
		snprintf(out, out_size, "%s", opt);
		return out;
	}
	if (env != NULL && env[0] != '\0') {
		snprintf(out, out_size, "%s", env);
		return out;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash != NULL) {
			*slash = '\0';
			for (size_t i = 0; i < sizeof(trees) / sizeof(trees[0]);
			     i++) {
				int w = snprintf(out, out_size, "%s/%s/%s", exe,
				                 trees[i], rel);

				/* A path cut short names something else. */
				if (w < 0 || (size_t)w >= out_size) {
					continue;
				}
				if (exists(out, out_size, want_dir)) {
					return out;
				}
			}
		}
	}
	return NULL;
}

const char *rs_cli_rules_dir(const char *dir, char *out, size_t out_size)
{
	if (rs_cli_find(dir, "REPLYSCAN_RULES", "rules", 1, out, out_size) ==
	    NULL) {
		snprintf(out, out_size, "%s", RS_DEFAULT_RULES_DIR);
	}
	return out;
}

int rs_cli_getopt(int argc, char **argv, const char *shortopts,
                  const struct option *opts, void (*usage)(FILE *out),
                  int *status)
{
	int c = getopt_long(argc, argv, shortopts, opts, NULL);

	if (c == 'h') {
		usage(stdout);
		*status = RS_EXIT_OK;
		return RS_CLI_STOP;
	}
	if (c == '?' || c == ':') {
		usage(stderr);
		*status = RS_EXIT_USAGE;
		return RS_CLI_STOP;
	}
	return c;
}

int rs_cli_config(unsigned cmd, int argc, char **argv, rs_config_t *cfg,
                  rs_cmdline_t *cl, void (*usage)(FILE *out), int *status)
{
	char err[1024];
	int rc;

	rc = rs_cmdline_parse(cmd, argc, argv, cfg, cl, err, sizeof(err));
	*status = RS_EXIT_USAGE;
	if (rc != 0) {
		fprintf(stderr, "replyscan: %s\n", err);
		if (rc == RS_CMDLINE_USAGE) {
			usage(stderr);
		}
		return -1;
	}
	*status = RS_EXIT_OK;
	if (cl->help) {
		usage(stdout);
		return -1;
	}
	if (cl->config_reference) {
		rs_config_print_reference(cmd, stdout);
		return -1;
	}
	return 0;
}

rs_rules_t *rs_cli_load_rules(const char *dir)
{
	char path[PATH_MAX];
	char err[1024];
	rs_rules_t *rules;

	rs_cli_rules_dir(dir, path, sizeof(path));
	rules = rs_rules_load(path, err, sizeof(err));
	if (rules == NULL) {
		fprintf(stderr, "replyscan: %s\n", err);
	}
	return rules;
}

long rs_cli_parse_count(const char *opt, const char *value, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(value, &end, 10);
	if (errno != 0 || end == value || *end != '\0' || v < min || v > max) {
		fprintf(stderr,
		        "replyscan: %s: '%s' is not a number from %ld to %ld\n",
		        opt, value, min, max);
		return -1;
	}
	return v;
}
