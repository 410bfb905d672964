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

/* Is path an existing directory? If so, write its canonical form back
 * ("/usr/bin/../share/x" -> "/usr/share/x"), for readable messages. */
static int is_dir(char *path, size_t size)
{
	struct stat st;
	char real[PATH_MAX];

	if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode)) {
		return 0;
	}
	if (realpath(path, real) != NULL && strlen(real) < size) {
		memcpy(path, real, strlen(real) + 1);
	}
	return 1;
}

const char *rs_cli_rules_dir(const char *dir, char *out, size_t out_size)
{
	char exe[PATH_MAX];
	const char *env = getenv("REPLYSCAN_RULES");
	ssize_t n;

	if (dir != NULL) {
		snprintf(out, out_size, "%s", dir);
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
			snprintf(out, out_size, "%s/../rules", exe);
			if (is_dir(out, out_size)) {
				return out;
			}
			snprintf(out, out_size, "%s/../share/replyscan/rules",
			         exe);
			if (is_dir(out, out_size)) {
				return out;
			}
		}
	}
	snprintf(out, out_size, "%s", RS_DEFAULT_RULES_DIR);
	return out;
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
