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
	assert_int_equal(rs_num_unix_ms("1054189746.123136", 17, &ms), 0);
	assert_int_equal(ms, 1054189746123LL);
	assert_int_equal(rs_num_unix_ms("1054189746.12x", 14, &ms), -1);
	assert_true(rs_num_units("1d2h3m4s", 8) == 93784.0);
	assert_true(rs_num_units("0s", 2) == 0.0);
	assert_true(rs_num_units("x", 1) < 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tai64n),
	    cmocka_unit_test(test_unix_and_units),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
