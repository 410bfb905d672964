/* SPDX-License-Identifier: Apache-2.0 */
/*
 * util.c - the harnesses' private temporary directory (fuzz.h).
 */
#include "fuzz.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

static char dir[PATH_MAX / 2];
static char path[8][PATH_MAX];
static const char *names[8];
static size_t nnames;

static void cleanup(void)
{
	for (size_t i = 0; i < nnames; i++) {
		unlink(path[i]);
	}
	if (dir[0] != '\0') {
		rmdir(dir);
	}
}

const char *rs_fuzz_dir(void)
{
	if (dir[0] == '\0') {
		const char *tmp = getenv("TMPDIR");

		snprintf(dir, sizeof(dir), "%s/rs-fuzz-XXXXXX",
		         tmp != NULL && tmp[0] != '\0' ? tmp : "/tmp");
		if (mkdtemp(dir) == NULL) {
			perror("mkdtemp");
			abort();
		}
		atexit(cleanup);
	}
	return dir;
}

/* The slot of name in path[], taken on first use. */
static size_t slot(const char *name)
{
	size_t i;

	for (i = 0; i < nnames; i++) {
		if (strcmp(names[i], name) == 0) {
			return i;
		}
	}
	RS_FUZZ_CHECK(nnames < sizeof(names) / sizeof(names[0]));
	names[nnames] = name;
	snprintf(path[nnames], sizeof(path[0]), "%s/%s", rs_fuzz_dir(), name);
	return nnames++;
}

const char *rs_fuzz_file(const char *name, const void *data, size_t n)
{
	size_t i = slot(name);
	FILE *f = fopen(path[i], "wb");

	if (f == NULL || (n > 0 && fwrite(data, 1, n, f) != n) ||
	    fclose(f) != 0) {
		perror(path[i]);
		abort();
	}
	return path[i];
}

void rs_fuzz_unlink(const char *name)
{
	unlink(path[slot(name)]);
}

char *rs_fuzz_strndup(const uint8_t *p, size_t n)
{
	char *s = malloc(n + 1);

	RS_FUZZ_CHECK(s != NULL);
	if (n > 0) {
		memcpy(s, p, n);
	}
	s[n] = '\0';
	return s;
}
