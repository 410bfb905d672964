/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_num.c - numbers and times as logs write them: TAI64N labels
 * (daemontools multilog), Unix seconds with fractions, unit durations.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/num.h"

static void test_tai64n(void **state)
{
	int64_t ms = 0;

	(void)state;
	/* tai64nunix(8): @400000003d6387281f8fa4ac = 1029932830.529507500 */
	assert_int_equal(rs_num_tai64n("@400000003d6387281f8fa4ac x", 27, &ms),
	                 25);
	assert_int_equal(ms, 1029932830529LL);
	assert_int_equal(rs_num_tai64n("@4000000038c3eeb027f41c7c", 25, &ms),
	                 25);
	assert_int_equal(ms, 952364710670LL);
	/* Too short, not hex, before the epoch, nanoseconds too large. */
	assert_int_equal(rs_num_tai64n("@400000003d6387281f8fa4a", 24, &ms), 0);
	assert_int_equal(rs_num_tai64n("@400000003d6387281f8fa4ag", 25, &ms),
	                 0);
	assert_int_equal(rs_num_tai64n("@3fffffff3d6387281f8fa4ac", 25, &ms),
	                 0);
	assert_int_equal(rs_num_tai64n("@400000003d638728ffffffff", 25, &ms),
	                 0);
	assert_int_equal(rs_num_tai64n("400000003d6387281f8fa4ac0", 25, &ms),
	                 0);
	assert_int_equal(rs_num_tai64n("", 0, &ms), 0);
}

static void test_unix_and_units(void **state)
{
	int64_t ms = 0;

	(void)state;
	assert_int_equal(rs_num_epoch_ms("1054189746.123136", 17, &ms), 0);
	assert_int_equal(ms, 1054189746123LL);
	assert_int_equal(rs_num_epoch_ms("1054189746.12x", 14, &ms), -1);
	assert_true(rs_num_units("1d2h3m4s", 8) == 93784.0);
	assert_true(rs_num_units("0s", 2) == 0.0);
	assert_true(rs_num_units("x", 1) < 0);
}

/* One epoch reader for every format and the shippers' envelopes: the
 * unit told by the integer digits, the edges refused. */
static void test_epoch_ms(void **state)
{
	static const struct {
		const char *in;
		int rc;
		int64_t ms;
	} cases[] = {
	    /* seconds (up to 11 digits), with a fraction */
	    {"1765065600", 0, 1765065600000LL},
	    {"1765065600.5", 0, 1765065600500LL},
	    {"1765065600.123789", 0, 1765065600123LL},
	    {"1765065600.", 0, 1765065600000LL},
	    {"0", 0, 0},
	    {"99999999999", 0, 99999999999000LL},
	    /* ms (12 to 14 digits), us (15 to 17), ns (18, 19) */
	    {"1765065600123", 0, 1765065600123LL},
	    {"1765065600123.9", 0, 1765065600123LL},
	    {"100000000000", 0, 100000000000LL},
	    {"1765065600123456", 0, 1765065600123LL},
	    {"1765065600123456789", 0, 1765065600123LL},
	    {"9999999999999999999", 0, 9999999999999LL},
	    /* too long, signed, no digits, other bytes */
	    {"17650656001234567890", -1, 0},
	    {"-1765065600", -1, 0},
	    {"+1765065600", -1, 0},
	    {"", -1, 0},
	    {".5", -1, 0},
	    {"1765065600.5.1", -1, 0},
	    {"1765065600.5x", -1, 0},
	    {"1765065600 ", -1, 0},
	    {"1e9", -1, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int64_t ms = -42;
		int rc = rs_num_epoch_ms(cases[i].in, strlen(cases[i].in), &ms);

		if (rc != cases[i].rc || (rc == 0 && ms != cases[i].ms) ||
		    (rc != 0 && ms != -42)) {
			fail_msg("\"%s\": rc %d ms %lld", cases[i].in, rc,
			         (long long)ms);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tai64n),
	    cmocka_unit_test(test_unix_and_units),
	    cmocka_unit_test(test_epoch_ms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
