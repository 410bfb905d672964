/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_hscache.c - the compiled-database cache: a second compile reads
 * the cached file, the cached database matches like a fresh one, a corrupt
 * file falls back to compiling, and an empty REPLYSCAN_CACHE_DIR turns the
 * cache off.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "classify/hscache.h"

static const char *const exprs[] = {"not allowed", "blocked using \\S+",
                                    "mailbox (is )?full"};
static const unsigned flags[] = {HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH,
                                 HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH,
                                 HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH};
static const unsigned ids[] = {1, 2, 3};

/* Count the files in dir; the name of the last one into name. */
static int count_files(const char *dir, char *name, size_t size)
{
	DIR *d = opendir(dir);
	struct dirent *e;
	int n = 0;

	if (d == NULL) {
		return 0;
	}
	while ((e = readdir(d)) != NULL) {
		if (e->d_name[0] != '.') {
			n++;
			snprintf(name, size, "%s/%s", dir, e->d_name);
		}
	}
	closedir(d);
	return n;
}

static int on_match(unsigned id, unsigned long long from, unsigned long long to,
                    unsigned f, void *ctx)
{
	(void)from;
	(void)to;
	(void)f;
	*(unsigned *)ctx |= 1u << id;
	return 0;
}

/* Bit set of the ids that match text. */
static unsigned matches(const hs_database_t *db, const char *text)
{
	hs_scratch_t *s = NULL;
	unsigned got = 0;

	assert_int_equal(hs_alloc_scratch(db, &s), HS_SUCCESS);
	assert_int_equal(
	    hs_scan(db, text, (unsigned)strlen(text), 0, s, on_match, &got),
	    HS_SUCCESS);
	hs_free_scratch(s);
	return got;
}

static hs_database_t *compile(void)
{
	hs_database_t *db = NULL;
	hs_compile_error_t *cerr = NULL;

	assert_int_equal(
	    rs_hscache_compile(exprs, flags, ids, 3, HS_MODE_BLOCK, &db, &cerr),
	    HS_SUCCESS);
	return db;
}

static void test_cache_round_trip(void **state)
{
	char dir[] = "/tmp/rs_hscacheXXXXXX";
	char file[4200];
	hs_database_t *a, *b, *c;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("REPLYSCAN_CACHE_DIR", dir, 1);
	a = compile();
	assert_int_equal(count_files(dir, file, sizeof(file)), 1);
	b = compile(); /* from the file */
	assert_int_equal(matches(a, "421 4.7.0 Not allowed"), 1u << 1);
	assert_int_equal(matches(b, "421 4.7.0 Not allowed"), 1u << 1);
	assert_int_equal(
	    matches(b, "blocked using zen.spamhaus.org; mailbox full"),
	    (1u << 2) | (1u << 3));

	/* A corrupt file is not an error: compile again and replace it. */
	f = fopen(file, "w");
	assert_non_null(f);
	fputs("garbage", f);
	fclose(f);
	c = compile();
	assert_int_equal(matches(c, "Mailbox is full"), 1u << 3);
	hs_free_database(a);
	hs_free_database(b);
	hs_free_database(c);
	unlink(file);
	rmdir(dir);
}

static void test_cache_off(void **state)
{
	char dir[] = "/tmp/rs_hscacheXXXXXX";
	char file[4200];
	hs_database_t *a;

	(void)state;
	assert_non_null(mkdtemp(dir));
	setenv("REPLYSCAN_CACHE_DIR", "", 1);
	setenv("XDG_CACHE_HOME", dir, 1);
	a = compile();
	assert_int_equal(matches(a, "NOT ALLOWED"), 1u << 1);
	assert_int_equal(count_files(dir, file, sizeof(file)), 0);
	hs_free_database(a);
	rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cache_round_trip),
	    cmocka_unit_test(test_cache_off),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
