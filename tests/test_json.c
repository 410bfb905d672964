/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_json.c - the allocation-free JSON reader's string values: raw
 * bodies without escapes, decoded copies in the record arena with them,
 * null, other types, bad escapes and a full arena (nothing leaks into
 * the arena on failure).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "util/json.h"
#include "testutil.h"

static void test_string_value(void **state)
{
	char arena[16];
	rs_record_t rec;
	rs_str_t out;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	rec.arena = arena;
	rec.arena_cap = sizeof(arena);
	rs_record_reset(&rec);
	assert_int_equal(rs_json_string_value(&rec, rs_str("\"abc\"", 5), &out),
	                 0);
	rs_test_check_str("raw", 1, out, "abc");
	assert_int_equal(rec.arena_used, 0);
	assert_int_equal(
	    rs_json_string_value(&rec, rs_str("\"a\\\"b\\u00e9\"", 12), &out),
	    0);
	rs_test_check_str("decoded", 2, out, "a\"b\xc3\xa9");
	assert_int_equal(rec.arena_used, 5);
	assert_int_equal(rs_json_string_value(&rec, rs_str("null", 4), &out),
	                 0);
	assert_null(out.p);
	assert_int_equal(rs_json_string_value(&rec, RS_STR_NULL, &out), 0);
	assert_int_equal(rs_json_string_value(&rec, rs_str("25", 2), &out),
	                 RS_JSON_NOT_STRING);
	assert_int_equal(
	    rs_json_string_value(&rec, rs_str("\"\\ud83d\"", 8), &out),
	    RS_JSON_BAD_STRING);
	assert_int_equal(rec.arena_used, 5);
	assert_int_equal(rs_json_string_value(
			     &rec, rs_str("\"\\n0123456789abcdef\"", 20), &out),
	                 RS_JSON_ARENA_FULL);
	assert_int_equal(rec.arena_used, 5);
	assert_null(out.p);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_string_value),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
