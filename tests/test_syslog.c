/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_syslog.c - rs_syslog_split and rs_syslog_parse_iso: RFC 3164 stamps
 * (space- and zero-padded days, the year taken from the clock), ISO 8601
 * stamps with zones to the exact Unix millisecond, RFC 5424, "<PRI>", and
 * stamps or lines that must be rejected.
 *
 * Expected milliseconds were computed outside the code under test (Python
 * datetime for the ISO cases, libc timegm() for the RFC 3164 ones).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "formats/syslog.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

static const char *const month_names[12] = {"Jan", "Feb", "Mar", "Apr",
                                            "May", "Jun", "Jul", "Aug",
                                            "Sep", "Oct", "Nov", "Dec"};

/* Assert that slice s equals want (NULL: absent). */
static void check_str(const char *what, const char *line, rs_str_t s,
                      const char *want)
{
	if (want == NULL) {
		if (s.p != NULL) {
			fail_msg("[%s]: %s = [%.*s], want absent", line, what,
			         (int)s.n, s.p);
		}
		return;
	}
	if (s.p == NULL || s.n != strlen(want) || memcmp(s.p, want, s.n) != 0) {
		fail_msg("[%s]: %s = [%.*s], want [%s]", line, what,
		         s.p == NULL ? 0 : (int)s.n, s.p == NULL ? "" : s.p,
		         want);
	}
}

/* Split a NUL-terminated line; fail unless it is accepted. */
static void split_ok(const char *line, rs_syslog_t *sl)
{
	if (rs_syslog_split(line, strlen(line), sl) != 0) {
		fail_msg("rejected: [%s]", line);
	}
}

/* Unix ms of y-mo-d h:mi:s UTC, by libc. */
static int64_t utc_ms(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = s;
	return (int64_t)timegm(&tm) * 1000;
}

/* The current UTC year and month (1-12). */
static void now_year_month(int *y, int *mo)
{
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	*y = tm.tm_year + 1900;
	*mo = tm.tm_mon + 1;
}

/* Real Postfix line, space-padded day (corpus postfix.log 7). */
static void test_rfc3164_fields(void **state)
{
	static const char line[] =
	    "Jun  3 10:40:59 mail postfix/smtp[9890]: 776E41855DB2: "
	    "to=<invalid.email@example.com>";
	rs_syslog_t sl;

	(void)state;
	split_ok(line, &sl);
	check_str("time", line, sl.time, "Jun  3 10:40:59");
	check_str("host", line, sl.host, "mail");
	check_str("program", line, sl.program, "postfix/smtp");
	check_str("pid", line, sl.pid, "9890");
	check_str("msg", line, sl.msg,
	          "776E41855DB2: to=<invalid.email@example.com>");
	assert_true(sl.time_ms != 0);
}

/* Space- and zero-padded days of this month give the same exact time. */
static void test_rfc3164_time(void **state)
{
	char line[128];
	rs_syslog_t sl;
	int y, mo;

	(void)state;
	now_year_month(&y, &mo);
	/* Day 1 00:00:00 of this month is never in the future. */
	snprintf(line, sizeof(line), "%s  1 00:00:00 h p[1]: m",
	         month_names[mo - 1]);
	split_ok(line, &sl);
	assert_int_equal(sl.time_ms, utc_ms(y, mo, 1, 0, 0, 0));
	snprintf(line, sizeof(line), "%s 01 00:00:00 h p[1]: m",
	         month_names[mo - 1]);
	split_ok(line, &sl);
	assert_int_equal(sl.time_ms, utc_ms(y, mo, 1, 0, 0, 0));
	assert_int_equal(sl.time.n, 15);
	assert_memory_equal(sl.time.p + 3, " 01 00:00:00", 12);
}

/*
 * A day without its pad ("Dec 3 09:35:43"): real Postfix and Sendmail
 * lines in this form (tests/fixtures/postfix/forums.log 37 and 58-59,
 * sendmail/forums.log 2) give the same time and the same fields.
 */
static void test_rfc3164_unpadded_day(void **state)
{
	static const char real[] =
	    "Dec 3 09:35:43 localhost postfix/smtp[11319]: 8E9A1206B117: "
	    "to=<packt@example.co>";
	char line[128];
	rs_syslog_t sl;
	int y, mo;

	(void)state;
	split_ok(real, &sl);
	check_str("time", real, sl.time, "Dec 3 09:35:43");
	check_str("host", real, sl.host, "localhost");
	check_str("program", real, sl.program, "postfix/smtp");
	check_str("pid", real, sl.pid, "11319");
	check_str("msg", real, sl.msg, "8E9A1206B117: to=<packt@example.co>");
	now_year_month(&y, &mo);
	snprintf(line, sizeof(line), "%s 1 00:00:00 h p[1]: m",
	         month_names[mo - 1]);
	split_ok(line, &sl);
	assert_int_equal(sl.time_ms, utc_ms(y, mo, 1, 0, 0, 0));
	assert_int_equal(sl.time.n, 14);
	check_str("msg", line, sl.msg, "m");
}

/*
 * journalctl's own stamps, which a journal exported as text carries:
 * `-o short-precise` (fractional seconds on the RFC 3164 stamp) and
 * `-o short-full` (weekday, date, time and zone name).
 */
static void test_journalctl(void **state)
{
	static const char full[] =
	    "Sun 2026-12-06 23:30:01 UTC mail postfix/smtp[2803]: 4F1B21A0: "
	    "to=<user@example.com>";
	char line[160];
	rs_syslog_t sl;
	int y, mo;

	(void)state;
	now_year_month(&y, &mo);
	snprintf(line, sizeof(line),
	         "%s 01 00:00:01.123456 mail postfix/smtp[2803]: m",
	         month_names[mo - 1]);
	split_ok(line, &sl);
	assert_int_equal(sl.time_ms, utc_ms(y, mo, 1, 0, 0, 1) + 123);
	assert_int_equal(sl.time.n, 22);
	check_str("host", line, sl.host, "mail");
	check_str("program", line, sl.program, "postfix/smtp");
	check_str("msg", line, sl.msg, "m");

	split_ok(full, &sl);
	assert_int_equal(sl.time_ms, utc_ms(2026, 12, 6, 23, 30, 1));
	check_str("time", full, sl.time, "Sun 2026-12-06 23:30:01 UTC");
	check_str("host", full, sl.host, "mail");
	check_str("program", full, sl.program, "postfix/smtp");
	check_str("pid", full, sl.pid, "2803");
	check_str("msg", full, sl.msg, "4F1B21A0: to=<user@example.com>");
}

/* Last month: this year, or last year when it is January now. */
static void test_rfc3164_year(void **state)
{
	char line[128];
	rs_syslog_t sl;
	int y, mo, prev;

	(void)state;
	now_year_month(&y, &mo);
	prev = mo == 1 ? 12 : mo - 1;
	snprintf(line, sizeof(line), "%s 15 12:34:56 h p[1]: m",
	         month_names[prev - 1]);
	split_ok(line, &sl);
	assert_int_equal(sl.time_ms,
	                 utc_ms(mo == 1 ? y - 1 : y, prev, 15, 12, 34, 56));
	/* Two months ahead cannot be this year's: it is last year's. */
	if (mo <= 10) {
		snprintf(line, sizeof(line), "%s 15 12:34:56 h p[1]: m",
		         month_names[mo + 1]);
		split_ok(line, &sl);
		assert_int_equal(sl.time_ms,
		                 utc_ms(y - 1, mo + 2, 15, 12, 34, 56));
	}
}

/* ISO 8601 stamps, exact Unix ms (computed with Python datetime). */
static void test_iso(void **state)
{
	static const struct {
		const char *stamp;
		int64_t ms;
	} cases[] = {
	    {"2024-01-02T03:04:05.123+01:00", 1704161045123},
	    {"2024-01-02T03:04:05Z", 1704164645000},
	    {"2024-01-02T03:04:05", 1704164645000}, /* no zone: UTC */
	    {"2024-01-02 03:04:05", 1704164645000},
	    {"2024-01-02T03:04:05-05:30", 1704184445000},
	    {"2024-01-02T03:04:05+0100", 1704161045000},
	    {"2024-01-02T03:04:05+02", 1704157445000},
	    {"2024-01-02T03:04:05.123456+01:00", 1704161045123},
	    {"2024-01-02T03:04:05,123+01:00", 1704161045123},
	    {"2024-02-29T12:00:00Z", 1709208000000},
	    {"2000-03-01T00:00:00Z", 951868800000},
	    {"1999-12-31T23:59:59Z", 946684799000},
	};
	char line[128];
	rs_syslog_t sl;

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		int64_t ms = -1;
		size_t n = strlen(cases[i].stamp);

		if (rs_syslog_parse_iso(cases[i].stamp, n, &ms) != n) {
			fail_msg("[%s]: not read whole", cases[i].stamp);
		}
		if (ms != cases[i].ms) {
			fail_msg("[%s]: %lld ms, want %lld", cases[i].stamp,
			         (long long)ms, (long long)cases[i].ms);
		}
		/* The same stamp at the start of a syslog line. */
		snprintf(line, sizeof(line), "%s mx1 postfix/smtp[7]: m",
		         cases[i].stamp);
		split_ok(line, &sl);
		assert_int_equal(sl.time_ms, cases[i].ms);
		check_str("time", line, sl.time, cases[i].stamp);
		check_str("host", line, sl.host, "mx1");
		check_str("program", line, sl.program, "postfix/smtp");
		check_str("msg", line, sl.msg, "m");
	}
}

/* RFC 5424 with NILVALUE structured data, and with SD elements. */
static void test_rfc5424(void **state)
{
	static const char l1[] =
	    "<165>1 2003-10-11T22:14:15.003Z mx1.example.org postfix/smtp 4321 "
	    "- - 4ABC: to=<a@b>";
	static const char l2[] =
	    "<165>1 2003-10-11T22:14:15.003Z mx1.example.org sm-mta - ID47 "
	    "[exampleSDID@32473 iut=\"3\" note=\"a\\]b\"][x@1 y=\"z\"] "
	    "q1: to=<a@b>";
	rs_syslog_t sl;

	(void)state;
	split_ok(l1, &sl);
	assert_int_equal(sl.time_ms, 1065910455003);
	check_str("host", l1, sl.host, "mx1.example.org");
	check_str("program", l1, sl.program, "postfix/smtp");
	check_str("pid", l1, sl.pid, "4321");
	check_str("msg", l1, sl.msg, "4ABC: to=<a@b>");

	split_ok(l2, &sl);
	check_str("program", l2, sl.program, "sm-mta");
	check_str("pid", l2, sl.pid, NULL); /* "-" */
	check_str("msg", l2, sl.msg, "q1: to=<a@b>");
}

/* "<PRI>" before an RFC 3164 line; a tag without pid. */
static void test_pri_and_tag(void **state)
{
	static const char l1[] =
	    "<22>Sep 25 18:26:36 smtpnode16 postfix-239.58.50.50/smtp[5084]: x";
	static const char l2[] = "Apr 09 09:29:47 host sm-msp-queue: y";
	rs_syslog_t sl;

	(void)state;
	split_ok(l1, &sl);
	check_str("time", l1, sl.time, "Sep 25 18:26:36");
	check_str("host", l1, sl.host, "smtpnode16");
	check_str("program", l1, sl.program, "postfix-239.58.50.50/smtp");
	check_str("pid", l1, sl.pid, "5084");
	check_str("msg", l1, sl.msg, "x");
	split_ok(l2, &sl);
	check_str("time", l2, sl.time, "Apr 09 09:29:47");
	check_str("program", l2, sl.program, "sm-msp-queue");
	check_str("pid", l2, sl.pid, NULL);
	check_str("msg", l2, sl.msg, "y");
}

/* Stamps and lines that are not syslog: rejected. */
static void test_rejected(void **state)
{
	static const char *const lines[] = {
	    "",
	    "Jun",
	    "Foo  3 10:40:59 h p[1]: m",
	    "jun  3 10:40:59 h p[1]: m",
	    "Jun 32 10:40:59 h p[1]: m",
	    "Jun  0 10:40:59 h p[1]: m",
	    "Jun 31 10:40:59 h p[1]: m",
	    "Feb 30 10:40:59 h p[1]: m",
	    "Jun  3 24:00:00 h p[1]: m",
	    "Jun  3 10:60:00 h p[1]: m",
	    "Jun  3 10:40:61 h p[1]: m",
	    "Jun  3 1:40:59 h p[1]: m",
	    "Jun 3 1:40:59 h p[1]: m",
	    "Jun 3  10:40:59 h p[1]: m",
	    "Jun 0 10:40:59 h p[1]: m",
	    "Jun 3 10:40:59",
	    "2024-13-01T00:00:00Z h p[1]: m",
	    "2024-00-01T00:00:00Z h p[1]: m",
	    "2024-02-30T00:00:00Z h p[1]: m",
	    "2023-02-29T00:00:00Z h p[1]: m",
	    "2024-04-31T00:00:00Z h p[1]: m",
	    "2024-01-02T25:00:00Z h p[1]: m",
	    "2024-01-02T03:04:05+xx:00 h p[1]: m",
	    "2024-01-02X03:04:05Z h p[1]: m",
	    "24-01-02T03:04:05Z h p[1]: m",
	    "<13 Jun  3 10:40:59 h p[1]: m",
	    "<>Jun  3 10:40:59 h p[1]: m",
	    "<abc>Jun  3 10:40:59 h p[1]: m",
	    "Jun  3 10:40:59",
	    "Jun  3 10:40:59 ",
	    "Jun  3 10:40:59 host",
	    "Jun  3 10:40:59 host prog message without colon",
	    "Jun  3 10:40:59 host prog[12",
	    "Jun  3 10:40:59 host prog[12] no colon",
	    "<13>1 - host app - - - msg",
	    "Jun  3 10:40:59. h p[1]: m",
	    "Jun  3 10:40:59.x h p[1]: m",
	    "Sun 2026-12-06 23:30:01 mail p[1]: m",
	    "Sun 2026-12-06T23:30:01 UTC h p[1]: m",
	    "Sun 2026-13-06 23:30:01 UTC h p[1]: m",
	    "Son 2026-12-06 23:30:01 UTC h p[1]: m",
	    "Sun 2026-12-06 23:30:01 UTC",
	};
	rs_syslog_t sl;

	(void)state;
	for (size_t i = 0; i < N_ELEM(lines); i++) {
		if (rs_syslog_split(lines[i], strlen(lines[i]), &sl) == 0) {
			fail_msg("accepted: [%s]", lines[i]);
		}
	}
}

/* Every cut of real lines, from exact-size heap copies (for ASan). */
static void test_truncation(void **state)
{
	static const char *const lines[] = {
	    "Sep 25 18:26:36 smtpnode16 postfix-239.58.50.50/smtp[5084]: "
	    "23EBE3D5C0: to=<h-664d01@h-695da2287.com>",
	    "<165>1 2003-10-11T22:14:15.003Z mx1.example.org sm-mta - ID47 "
	    "[exampleSDID@32473 iut=\"3\" note=\"a\\]b\"] q1: to=<a@b>",
	    "Sun 2026-12-06 23:30:01 UTC mail postfix/smtp[2803]: q: to=<a@b>",
	    "Dec 06 23:30:01.123456 mail postfix/smtp[2803]: q: to=<a@b>",
	    "2024-01-02T03:04:05.123+01:00 mx1 postfix/smtp[7]: m",
	};

	(void)state;
	for (size_t i = 0; i < N_ELEM(lines); i++) {
		size_t len = strlen(lines[i]);
		for (size_t cut = 0; cut <= len; cut++) {
			char *buf = malloc(cut > 0 ? cut : 1);
			rs_syslog_t sl;
			int64_t ms;
			assert_non_null(buf);
			memcpy(buf, lines[i], cut);
			if (rs_syslog_split(buf, cut, &sl) == 0) {
				assert_true(sl.msg.p >= buf);
				assert_true(sl.msg.p + sl.msg.n <= buf + cut);
			}
			assert_true(rs_syslog_parse_iso(buf, cut, &ms) <= cut);
			free(buf);
		}
	}
}

/*
 * Tags of every length up to 40 (so the stop byte falls in every place of
 * a word, and past several words), ending at '[', ':', ' ' or the end of
 * the line, with tag bytes that are near the stop bytes in value: the
 * program is the whole tag, and a tag not followed by "[pid]:" or ":"
 * fails.
 */
static void test_tag_lengths(void **state)
{
	static const char body[] =
	    "postfix-198.51.100.47/smtp;<=>9Z{\x7f\x80\xff+";
	static const char *const ends[] = {"[42]: m", ": m", " m", ""};
	char line[160];

	(void)state;
	for (size_t l = 1; l <= 40; l++) {
		for (size_t k = 0; k < sizeof(ends) / sizeof(ends[0]); k++) {
			rs_syslog_t sl;
			int n =
			    snprintf(line, sizeof(line), "Nov 27 06:00:00 h ");
			int r;

			for (size_t i = 0; i < l; i++) {
				line[n++] = body[i % (sizeof(body) - 1)];
			}
			n += snprintf(line + n, sizeof(line) - (size_t)n, "%s",
			              ends[k]);
			r = rs_syslog_split(line, (size_t)n, &sl);
			if (k < 2) {
				assert_int_equal(r, 0);
				assert_int_equal(sl.program.n, l);
				assert_ptr_equal(sl.program.p, line + 18);
				assert_int_equal(sl.msg.n, 1);
			} else {
				assert_int_equal(r, -1);
			}
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_rfc3164_fields),
	    cmocka_unit_test(test_rfc3164_time),
	    cmocka_unit_test(test_rfc3164_unpadded_day),
	    cmocka_unit_test(test_rfc3164_year),
	    cmocka_unit_test(test_journalctl),
	    cmocka_unit_test(test_iso),
	    cmocka_unit_test(test_rfc5424),
	    cmocka_unit_test(test_pri_and_tag),
	    cmocka_unit_test(test_rejected),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_tag_lengths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
