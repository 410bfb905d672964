/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hscost.c - what a Hyperscan database costs per scanned reply, for
 * bench/hscost.sh. Two steps, so that the slow compile runs natively and
 * only the scan runs under callgrind:
 *
 *   hscost compile PATTERNS DB   compile one pattern a line (caseless,
 *                                block mode, as rules_compile.c does)
 *                                and serialise it to DB
 *   hscost scan DB TEXTS         scan each line of TEXTS once; run under
 *                                callgrind --toggle-collect=scan_all
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include <hs/hs.h>

struct lines {
	char **v;
	size_t *len;
	size_t n;
};

static int read_lines(const char *path, struct lines *l)
{
	FILE *f = fopen(path, "r");
	char *line = NULL;
	size_t cap = 0;
	size_t alloc = 0;
	ssize_t n;

	if (f == NULL) {
		perror(path);
		return -1;
	}
	while ((n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n') {
			line[--n] = '\0';
		}
		if (l->n == alloc) {
			alloc = alloc ? alloc * 2 : 1024;
			l->v = realloc(l->v, alloc * sizeof(*l->v));
			l->len = realloc(l->len, alloc * sizeof(*l->len));
			if (l->v == NULL || l->len == NULL) {
				fclose(f);
				return -1;
			}
		}
		l->v[l->n] = strdup(line);
		l->len[l->n] = (size_t)n;
		l->n++;
	}
	free(line);
	fclose(f);
	return 0;
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
                    unsigned flags, void *ctx)
{
	(void)id;
	(void)from;
	(void)to;
	(void)flags;
	(*(unsigned long *)ctx)++;
	return 0;
}

/* Not inlined: callgrind collects inside this function only. */
__attribute__((noinline)) unsigned long
scan_all(const hs_database_t *db, hs_scratch_t *s, const struct lines *t)
{
	unsigned long matches = 0;

	for (size_t i = 0; i < t->n; i++) {
		hs_scan(db, t->v[i], (unsigned)t->len[i], 0, s, on_match,
		        &matches);
	}
	return matches;
}

static int do_compile(const char *pats, const char *out)
{
	struct lines p = {0};
	hs_database_t *db = NULL;
	hs_compile_error_t *cerr = NULL;
	hs_platform_info_t plat = {.tune = HS_TUNE_FAMILY_GENERIC,
	                           .cpu_features = HS_CPU_FEATURES_AVX2};
	unsigned *flags;
	unsigned *ids;
	char *bytes = NULL;
	size_t size = 0;
	FILE *f;

	if (read_lines(pats, &p) < 0) {
		return 1;
	}
	flags = calloc(p.n, sizeof(*flags));
	ids = calloc(p.n, sizeof(*ids));
	if (flags == NULL || ids == NULL) {
		return 1;
	}
	for (size_t i = 0; i < p.n; i++) {
		flags[i] = HS_FLAG_CASELESS;
		ids[i] = (unsigned)i;
	}
	/* AVX2 at most: valgrind emulates no AVX-512, and a database built
	 * for it would not load under callgrind. */
	if (hs_compile_multi((const char *const *)p.v, flags, ids,
	                     (unsigned)p.n, HS_MODE_BLOCK, &plat, &db,
	                     &cerr) != HS_SUCCESS) {
		fprintf(stderr, "hscost: %s\n", cerr->message);
		return 1;
	}
	if (hs_serialize_database(db, &bytes, &size) != HS_SUCCESS) {
		return 1;
	}
	f = fopen(out, "wb");
	if (f == NULL || fwrite(bytes, 1, size, f) != size || fclose(f)) {
		perror(out);
		return 1;
	}
	return 0;
}

static int do_scan(const char *dbpath, const char *texts)
{
	struct lines t = {0};
	hs_database_t *db = NULL;
	hs_scratch_t *s = NULL;
	char *bytes;
	long size;
	FILE *f = fopen(dbpath, "rb");

	if (f == NULL || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0) {
		perror(dbpath);
		return 1;
	}
	rewind(f);
	bytes = malloc((size_t)size);
	if (bytes == NULL || fread(bytes, 1, (size_t)size, f) != (size_t)size) {
		return 1;
	}
	fclose(f);
	if (hs_deserialize_database(bytes, (size_t)size, &db) != HS_SUCCESS ||
	    hs_alloc_scratch(db, &s) != HS_SUCCESS ||
	    read_lines(texts, &t) < 0) {
		fprintf(stderr, "hscost: cannot load %s\n", dbpath);
		return 1;
	}
	printf("%zu texts, %lu matches\n", t.n, scan_all(db, s, &t));
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "compile") == 0) {
		return do_compile(argv[2], argv[3]);
	}
	if (argc == 4 && strcmp(argv[1], "scan") == 0) {
		return do_scan(argv[2], argv[3]);
	}
	fprintf(stderr, "usage: hscost compile PATTERNS DB | scan DB TEXTS\n");
	return 2;
}
