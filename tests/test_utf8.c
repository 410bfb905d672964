/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_utf8.c - rs_utf8_clean's word-at-a-time ASCII path gives, byte for
 * byte, what a one-byte-at-a-time reference gives: random strings mixing
 * ASCII, control bytes, NUL, valid and broken multi-byte sequences, cut
 * at every room size, plus the edge where a run ends exactly at the room.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "util/utf8.h"

/* The reference: every byte on its own, as the cleaner worked before. */
static size_t reference(const unsigned char *s, size_t n, char *dst, size_t max,
                        int *truncated)
{
	size_t i = 0, o = 0;

	*truncated = 0;
	while (i < n) {
		size_t l = s[i] == 0 ? 0 : rs_utf8_seq_len(s + i, n - i);

		if (l == 0) {
			if (o + 3 > max) {
				*truncated = 1;
				break;
			}
			memcpy(dst + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		if (o + l > max) {
			*truncated = 1;
			break;
		}
		memcpy(dst + o, s + i, l);
		o += l;
		i += l;
	}
	return o;
}

static void check(const unsigned char *s, size_t n, size_t max)
{
	char want[512], got[512];
	int wt, gt;
	size_t wn = reference(s, n, want, max, &wt);
	size_t gn = rs_utf8_clean((const char *)s, n, got, max, &gt);

	if (wn != gn || wt != gt || memcmp(want, got, wn) != 0) {
		fail_msg("input of %zu bytes, room %zu: %zu bytes (cut %d), "
		         "want %zu (cut %d)",
		         n, max, gn, gt, wn, wt);
	}
}

static void test_random(void **state)
{
	static const char *const pieces[] = {
	    "550 5.1.1 user unknown",
	    "\xc3\xa9",
	    "\xe2\x82\xac",
	    "\xf0\x9f\x98\x80",
	    "\xc3",
	    "\xed\xa0\x80",
	    "\x01\x1f",
	    "\x7f",
	    "",
	    "\xff",
	    "abcdefgh",
	    "\x80\x80",
	};
	const size_t np = sizeof(pieces) / sizeof(pieces[0]);
	uint32_t seed = 99;

	(void)state;
	for (int t = 0; t < 3000; t++) {
		unsigned char s[200];
		size_t n = 0;

		while (n < 150) {
			const char *p;
			seed ^= seed << 13;
			seed ^= seed >> 17;
			seed ^= seed << 5;
			if (seed % 11 == 0) {
				s[n++] = 0; /* a NUL byte inside */
				continue;
			}
			p = pieces[seed % np];
			memcpy(s + n, p, strlen(p));
			n += strlen(p);
		}
		for (size_t max = 0; max <= n * 3 + 3; max += 1 + max / 16) {
			check(s, n, max);
		}
	}
}

/* Runs of every length ending exactly at, before and past the room. */
static void test_runs(void **state)
{
	unsigned char s[64];

	(void)state;
	for (size_t n = 0; n <= sizeof(s); n++) {
		memset(s, 'a', n);
		for (size_t max = 0; max <= n + 4; max++) {
			check(s, n, max);
			if (n > 0) {
				s[n - 1] = 0xc3; /* a cut sequence at the end */
				check(s, n, max);
				s[n - 1] = 'a';
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_random),
	    cmocka_unit_test(test_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
