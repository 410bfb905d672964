/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_fields.c - the shared field readers added for the new formats:
 * logfmt pairs (quoted values, escapes, words without '=', values cut
 * short) and the base of a syslog tag.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "formats/fields.h"
#include "util/str.h"
#include "testutil.h"

static void test_kv(void **state)
{
	static const char line[] =
	    "level=NOTICE  message=\"a \\\"b\\\" c\\\\\" delivered file=f.1 "
	    "empty=\"\" =x bare port=25 cut=\"no end";
	const char *p = line, *e = line + sizeof(line) - 1;
	rs_fields_kv_t kv;
	char buf[64];

	(void)state;
	assert_int_equal(rs_fields_kv_next(&p, e, &kv), 1);
	rs_test_check_str("key", 1, kv.key, "level");
	rs_test_check_str("val", 1, kv.val, "NOTICE");
	assert_false(kv.quoted);
	assert_int_equal(rs_fields_kv_next(&p, e, &kv), 1);
	rs_test_check_str("key", 2, kv.key, "message");
	rs_test_check_str("val", 2, kv.val, "a \\\"b\\\" c\\\\");
	assert_true(kv.quoted);
	assert_true(kv.escaped);
	rs_test_check_str("unescaped", 2,
	                  rs_str(buf, rs_fields_kv_unescape(kv.val, buf)),
	                  "a \"b\" c\\");
	/* "delivered" has no '=': skipped; "file" follows. */
	assert_int_equal(rs_fields_kv_next(&p, e, &kv), 1);
	rs_test_check_str("key", 3, kv.key, "file");
	rs_test_check_str("val", 3, kv.val, "f.1");
	assert_int_equal(rs_fields_kv_next(&p, e, &kv), 1);
	rs_test_check_str("key", 4, kv.key, "empty");
	assert_int_equal(kv.val.n, 0);
	assert_true(kv.quoted);
	assert_int_equal(rs_fields_kv_next(&p, e, &kv), 1);
	rs_test_check_str("key", 5, kv.key, "port");
	rs_test_check_str("val", 5, kv.val, "25");
	/* A quoted value cut short runs to the end. */
	assert_int_equal(rs_fields_kv_next(&p, e, &kv), 1);
	rs_test_check_str("key", 6, kv.key, "cut");
	rs_test_check_str("val", 6, kv.val, "no end");
	assert_int_equal(rs_fields_kv_next(&p, e, &kv), 0);
	assert_ptr_equal(p, e);
	/* Nothing, or only spaces. */
	p = line;
	assert_int_equal(rs_fields_kv_next(&p, line, &kv), 0);
	p = "   ";
	assert_int_equal(rs_fields_kv_next(&p, p + 3, &kv), 0);
	/* A trailing backslash inside quotes stays in the value. */
	p = "k=\"a\\";
	assert_int_equal(rs_fields_kv_next(&p, p + 5, &kv), 1);
	rs_test_check_str("val", 7, kv.val, "a\\");
}

static void test_program_base(void **state)
{
	(void)state;
	rs_test_check_str("base", 1,
	                  rs_fields_program_base(rs_str("postfix-x/smtp", 14)),
	                  "smtp");
	rs_test_check_str("base", 2, rs_fields_program_base(rs_str("exim4", 5)),
	                  "exim4");
	rs_test_check_str("base", 3, rs_fields_program_base(rs_str("a/", 2)),
	                  "");
	assert_null(rs_fields_program_base(RS_STR_NULL).p);
}

/* rs_str_find_n is memmem: the same leftmost hit (or none) for needles
 * whose chosen byte is anywhere in them, over random texts made of few
 * letters, so that near misses and overlaps are common. */
static void test_find_is_memmem(void **state)
{
	static const char alpha[] = "aA1=, (t";
	static const char *const lits[] = {
	    "to=", ", ",  "said:",   " (", "status=sent", "a",  "=",
	    "aa",  "a=a", ", stat=", "1a", "A1",          "(t", "tt="};
	char text[64], needle[16]; /* room for the longest literal */
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 200000; round++) {
		size_t n, l;

		seed = seed * 1103515245u + 12345u;
		n = (seed >> 16) % sizeof(text);
		for (size_t i = 0; i < n; i++) {
			seed = seed * 1103515245u + 12345u;
			text[i] = alpha[(seed >> 16) % (sizeof(alpha) - 1)];
		}
		seed = seed * 1103515245u + 12345u;
		if ((seed >> 16) % 2 == 0) {
			const char *lit =
			    lits[(seed >> 17) %
			         (sizeof(lits) / sizeof(lits[0]))];
			l = strlen(lit);
			assert_true(l <= sizeof(needle));
			memcpy(needle, lit, l);
		} else {
			l = (seed >> 17) % 5;
			for (size_t i = 0; i < l; i++) {
				seed = seed * 1103515245u + 12345u;
				needle[i] =
				    alpha[(seed >> 16) % (sizeof(alpha) - 1)];
			}
		}
		assert_ptr_equal(rs_str_find_n(text, n, needle, l),
		                 memmem(text, n, needle, l));
	}
	/* The end of the text is a bound: no read past it. */
	assert_null(rs_str_find_n("abc=", 3, "c=", 2));
	assert_non_null(rs_str_find_n("abc=", 4, "c=", 2));
}

/* The host-character table holds letters, digits, '.', '-' and '_'
 * and nothing else, over every byte value. */
static void test_host_char(void **state)
{
	(void)state;
	for (int c = 0; c < 256; c++) {
		int want = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		           (c >= '0' && c <= '9') || c == '.' || c == '-' ||
		           c == '_';
		assert_int_equal(rs_fields_is_host_char((char)c) != 0, want);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_kv),
	    cmocka_unit_test(test_program_base),
	    cmocka_unit_test(test_find_is_memmem),
	    cmocka_unit_test(test_host_char),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
