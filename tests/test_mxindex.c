/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_mxindex.c - the MX suffix index answers as the linear scan it
 * replaced: a table of edge cases (label boundaries, case, trailing dots,
 * longest suffix, a suffix two providers list), then many generated hosts
 * checked against a linear scan written here as the reference.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "classify/mxindex.h"

#define NPROV 4

static const char *const prov0[] = {"google.com", "googlemail.com",
                                    "l.google.com"};
static const char *const prov1[] = {"outlook.com", "protection.outlook.com"};
/* Lists google.com too: the first provider keeps it. */
static const char *const prov2[] = {"google.com", "yahoodns.net"};
static const char *const prov3[] = {"mx.example"};

static const char *const *const mx[NPROV] = {prov0, prov1, prov2, prov3};
static const size_t nmx[NPROV] = {3, 2, 2, 1};
static size_t lens[NPROV][3];
static const size_t *mx_len[NPROV] = {lens[0], lens[1], lens[2], lens[3]};

static rs_mxindex_t *make(void)
{
	for (size_t i = 0; i < NPROV; i++) {
		for (size_t j = 0; j < nmx[i]; j++) {
			lens[i][j] = strlen(mx[i][j]);
		}
	}
	return rs_mxindex_new(NPROV, mx, mx_len, nmx);
}

/* The reference: every suffix of every provider, longest on a label
 * boundary wins, the first listed among equals. */
static long linear(const char *host, size_t n)
{
	long best = -1;
	size_t best_len = 0;

	while (n > 0 && host[n - 1] == '.') {
		n--;
	}
	for (size_t i = 0; i < NPROV; i++) {
		for (size_t j = 0; j < nmx[i]; j++) {
			size_t m = strlen(mx[i][j]), k;
			const char *tail = host + n - m;
			if (m > n || m <= best_len) {
				continue;
			}
			for (k = 0; k < m; k++) {
				char c = tail[k];
				if (c >= 'A' && c <= 'Z') {
					c = (char)(c + 32);
				}
				if (c != mx[i][j][k]) {
					break;
				}
			}
			if (k < m || (m < n && tail[-1] != '.')) {
				continue;
			}
			best = (long)i;
			best_len = m;
		}
	}
	return best;
}

static void test_edges(void **state)
{
	static const struct {
		const char *host;
		long want;
	} cases[] = {
	    {"aspmx.l.google.com", 0},
	    {"ASPMX.L.GOOGLE.COM.", 0},
	    {"google.com", 0},
	    {"notgoogle.com", -1},
	    {"x.notgoogle.com", -1},
	    {"mail.protection.outlook.com", 1},
	    {"protection.outlook.com", 1},
	    {"outlook.com..", 1},
	    {"mta5.am0.yahoodns.net", 2},
	    {"yahoodns.net.evil.org", -1},
	    {"mx.example", 3},
	    {"a.mx.example", 3},
	    {"amx.example", -1},
	    {"", -1},
	    {".", -1},
	    {"com", -1},
	};
	rs_mxindex_t *ix = make();

	(void)state;
	assert_non_null(ix);
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		long got =
		    rs_mxindex_find(ix, cases[i].host, strlen(cases[i].host));
		if (got != cases[i].want) {
			fail_msg("%s: got %ld, want %ld", cases[i].host, got,
			         cases[i].want);
		}
	}
	assert_int_equal(rs_mxindex_find(ix, NULL, 0), -1);
	assert_int_equal(rs_mxindex_find(NULL, "google.com", 10), -1);
	rs_mxindex_destroy(ix);
}

/* Hosts made of labels and suffix pieces, in mixed case, against the
 * reference. */
static void test_agrees_with_linear(void **state)
{
	static const char *const pieces[] = {
	    "mx",           "l",          "google",
	    "com",          "outlook",    "protection",
	    "yahoodns",     "net",        "example",
	    "googlemail",   "x",          "GOOGLE",
	    "Com",          "notgoogle",  "",
	    "am0",          "google.com", "Protection.Outlook.com",
	    "yahoodns.net", "mx.example", "l.google.com",
	};
	const size_t np = sizeof(pieces) / sizeof(pieces[0]);
	rs_mxindex_t *ix = make();
	uint32_t seed = 12345;
	size_t hits = 0;

	(void)state;
	assert_non_null(ix);
	for (int t = 0; t < 20000; t++) {
		char host[256];
		size_t n = 0;
		int labels;

		seed ^= seed << 13, seed ^= seed >> 17, seed ^= seed << 5;
		labels = 1 + (int)((seed >> 16) % 5);
		for (int l = 0; l < labels; l++) {
			const char *p;
			seed ^= seed << 13, seed ^= seed >> 17,
			    seed ^= seed << 5;
			p = pieces[(seed >> 16) % np];
			if (l > 0) {
				host[n++] = '.';
			}
			memcpy(host + n, p, strlen(p));
			n += strlen(p);
		}
		if ((seed >> 8) % 7 == 0) {
			host[n++] = '.';
		}
		host[n] = '\0';
		long want = linear(host, n);
		long got = rs_mxindex_find(ix, host, n);
		if (got != want) {
			fail_msg("%s: got %ld, want %ld", host, got, want);
		}
		hits += want >= 0;
	}
	/* The generator reaches providers, not only misses. */
	assert_true(hits > 1000);
	rs_mxindex_destroy(ix);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_edges),
	    cmocka_unit_test(test_agrees_with_linear),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
