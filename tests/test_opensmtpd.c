/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_opensmtpd.c - the OpenSMTPD parser against every line of
 * tests/fixtures/opensmtpd (expected values written out for each
 * outcome; every other line must be skipped), hand-written lines for the
 * forms no fixture has (unquoted 2016 values, source="-", IPv6 relay,
 * durations in minutes), and bad input (empty, 1 MB, NUL, invalid UTF-8,
 * every truncation of every real line from an exact-size heap copy).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event/record.h"
#include "formats/opensmtpd.h"
#include "testutil.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* What an outcome line must give; strings NULL mean "absent". */
struct expect {
	const char *file;
	int line;
	rs_status_t status;
	rs_stage_t stage;
	uint32_t code;
	const char *enh;
	const char *qid;
	const char *sender;
	const char *rcpt;
	const char *domain;
	const char *sending_ip;
	const char *host;
	const char *ip;
	const char *log_host;
	double delay;
	const char *reply; /* reply_text starts with this */
};

#define D RS_STATUS_DEFERRED
#define B RS_STATUS_BOUNCED
#define S RS_STATUS_SENT
#define U RS_STAGE_UNKNOWN

static const struct expect outcomes[] = {
    {"opensmtpd/bare.log", 1, D, U, 421, NULL, "8f26ea98359eccea",
     "misc+bounces-4541-[redacted]=tin.it@opensmtpd.org", "[redacted]@tin.it",
     "tin.it", "45.76.46.201", "smtp.tin.it", "62.211.72.32", NULL, 0,
     "421 <[redacted]@tin.it> Service not available - too busy"},
    {"opensmtpd/event-delivery-2018.log", 1, B, U, 550, "5.7.1",
     "7077717e797a776e", "puffy@example.com", "bill@hotmail.com", "hotmail.com",
     "203.0.113.1", "104.47.38.33", "104.47.38.33", "mercury", 1,
     "550 5.7.1 Unfortunately, messages from [203.0.113.1]"},
    {"opensmtpd/mda-2025.log", 1, D, U, 0, NULL, "f9293a5cb336a379",
     "user@runxiyu.org", "powxy/-/repos/powxy@forge.lindenii.runxiyu.org",
     "forge.lindenii.runxiyu.org", NULL, NULL, NULL, NULL, 40,
     "Error (temporary failure: \"mail.lmtp: LMTP server error: 550"},
    {"opensmtpd/relay-2013.log", 1, D, U, 451, NULL, "66251a4092099e2d",
     "tXXX@XXXt.com", "XX@XXX.org", "XXX.org", NULL, "mx1.poolp.org",
     "88.190.237.114", "lx2", 12,
     "451 Temporary failure, please try again later."},
    {"opensmtpd/relay-2013.log", 3, B, U, 550, "5.1.1", "3a45d0d114df12c9",
     "(hidden)", "(hidden)", NULL, "192.168.0.14", "we-in-f26.1e100.net",
     "173.194.66.26", NULL, 9, "550 5.1.1 http://support.google.com/"},
    {"opensmtpd/relay-2013.log", 18, B, U, 550, NULL, "6430369adcce4408",
     "user@gmail.com", "rcpt@darkmail.mx", "darkmail.mx", "127.0.0.1",
     "localhost", "127.0.0.1", NULL, 0, "550 Invalid recipient"},
    {"opensmtpd/syslog-2019.log", 5, S, U, 0, NULL, "c405e39ad6bbc64f",
     "user@poolp.org", "user@poolp.org", "poolp.org", NULL, NULL, NULL, "ams-1",
     0, "Delivered"},
    {"opensmtpd/syslog-2019.log", 15, S, U, 250, "2.0.0", "3d4c4a424797fe79",
     "user@poolp.org", "user@gmail.com", "gmail.com", "127.0.0.1", "localhost",
     "127.0.0.1", "ams-1", 0,
     "250 2.0.0: f6e94209 Message accepted for delivery"},
    {"opensmtpd/syslog-2019.log", 19, S, U, 250, "2.0.0", "f6e94209918f7e7b",
     "user@poolp.org", "user@gmail.com", "gmail.com", "212.83.129.132",
     "ws-in-f27.1e100.net", "173.194.76.27", "ams-1", 2,
     "250 2.0.0 OK  1562385708 z11si6726563wmb.62 - gsmtp"},
    /* The local "delivery: <Result> for" form (5.4.x queue.c). */
    {"opensmtpd/lookup-delivery-2015.log", 2, S, U, 0, NULL, "f23a96c23e2500b8",
     "test@example.com", "eric.ripa@example.com", "example.com", NULL, NULL,
     NULL, NULL, 1, "Delivered"},
    {"opensmtpd/lookup-delivery-2015.log", 5, D, U, 451, NULL,
     "c534b8c7f5ad4a41", "test@example.com", "foo@example.com", "example.com",
     "127.0.0.1", "localhost", "127.0.0.1", NULL, 401, "451 Temporary failure"},
    {"opensmtpd/lookup-delivery-2015.log", 7, D, U, 0, NULL, "7c1ba6adf8fcec21",
     "aleksei.kurepin@goswift.eu", "niemi@suminovou.eu", "suminovou.eu", NULL,
     NULL, NULL, NULL, 2562, "Error (terminated; signal 9)"},
};

static const char *const files[] = {
    "opensmtpd/bare.log",
    "opensmtpd/event-delivery-2018.log",
    "opensmtpd/mda-2025.log",
    "opensmtpd/relay-2013.log",
    "opensmtpd/smtp-out-2014.log",
    "opensmtpd/syslog-2019.log",
    "opensmtpd/trace-2014.log",
    "opensmtpd/debug-traces.log",
    "opensmtpd/lookup-delivery-2015.log",
};

static char arena[4096];

static rs_parse_result_t parse(const char *p, size_t n, rs_record_t *rec,
                               const char **why)
{
	memset(rec, 0, sizeof(*rec));
	rec->arena = arena;
	rec->arena_cap = sizeof(arena);
	rs_record_reset(rec);
	return rs_format_parse(&rs_opensmtpd_format, p, n, rec, why);
}

static void check(const struct expect *x, const rs_record_t *rec)
{
	assert_int_equal(rec->mta, RS_MTA_OPENSMTPD);
	assert_int_equal(rec->status, x->status);
	assert_int_equal(rec->stage, x->stage);
	assert_int_equal(rec->reply_code, x->code);
	rs_test_check_str("enhanced_code", x->line, rec->enhanced_code, x->enh);
	rs_test_check_str("queue_id", x->line, rec->queue_id, x->qid);
	rs_test_check_str("sender", x->line, rec->sender, x->sender);
	rs_test_check_str("recipient", x->line, rec->recipient, x->rcpt);
	rs_test_check_str("recipient_domain", x->line, rec->recipient_domain,
	                  x->domain);
	rs_test_check_str("sending_ip", x->line, rec->sending_ip,
	                  x->sending_ip);
	rs_test_check_str("remote_host", x->line, rec->remote_host, x->host);
	rs_test_check_str("remote_ip", x->line, rec->remote_ip, x->ip);
	rs_test_check_str("log_host", x->line, rec->log_host, x->log_host);
	rs_test_check_secs("delay", x->line, rec->delays.total, x->delay);
	if (rec->reply_text.n < strlen(x->reply) ||
	    memcmp(rec->reply_text.p, x->reply, strlen(x->reply)) != 0) {
		fail_msg("%s:%d: reply_text [%.*s]", x->file, x->line,
		         (int)rec->reply_text.n, rec->reply_text.p);
	}
}

/* The outcome of a fixture line: its index in outcomes, or -1. */
static int find_outcome(const char *file, int line)
{
	for (size_t k = 0; k < N_ELEM(outcomes); k++) {
		if (strcmp(outcomes[k].file, file) == 0 &&
		    outcomes[k].line == line) {
			return (int)k;
		}
	}
	return -1;
}

static void check_outcome(int k, const rs_record_t *rec)
{
	check(&outcomes[k], rec);
}

/* Every fixture line: the outcomes as listed, everything else skipped. */
static void test_fixtures(void **state)
{
	(void)state;
	assert_int_equal(rs_test_outcomes(&rs_opensmtpd_format, files,
	                                  N_ELEM(files), find_outcome,
	                                  check_outcome, arena, sizeof(arena)),
	                 N_ELEM(outcomes));
}

/* Forms no fixture shows, written from mta.c's format strings. */
static void test_constructed(void **state)
{
	rs_record_t rec;
	const char *why;
	const char *l;

	(void)state;
	/* 2016-05..2016-11: event=delivery, values not quoted. */
	l = "Mar 22 17:56:37 mx smtpd[4503]: 8f4864084ecc48f4 mta "
	    "event=delivery evpid=7077717e797a776e from=<a@x.example> "
	    "to=<b@y.example> rcpt=<-> source=203.0.113.1 relay=192.0.2.25 "
	    "(mx.y.example) delay=1m20s result=TempFail stat=421 4.7.0 Try "
	    "again later";
	assert_int_equal(parse(l, strlen(l), &rec, &why), RS_PARSE_EVENT);
	assert_int_equal(rec.status, RS_STATUS_DEFERRED);
	rs_test_check_str("remote_host", 0, rec.remote_host, "mx.y.example");
	rs_test_check_str("remote_ip", 0, rec.remote_ip, "192.0.2.25");
	rs_test_check_str("sending_ip", 0, rec.sending_ip, "203.0.113.1");
	rs_test_check_str("reply", 0, rec.reply_text,
	                  "421 4.7.0 Try again later");
	rs_test_check_secs("delay", 0, rec.delays.total, 80);
	/* source="-", an IPv6 relay, a loop, a quote inside stat. */
	l = "4b3a6c195c1f6010 mta delivery evpid=8f26ea98359eccea "
	    "from=<a@x.example> to=<b@y.example> rcpt=<c@y.example> "
	    "source=\"-\" relay=\"2001:db8::25 (mx.y.example)\" "
	    "delay=1d2h3m4s result=\"PermFail\" stat=\"550 5.7.1 \"no\" said "
	    "the server\"";
	assert_int_equal(parse(l, strlen(l), &rec, &why), RS_PARSE_EVENT);
	assert_int_equal(rec.status, RS_STATUS_BOUNCED);
	assert_null(rec.sending_ip.p);
	rs_test_check_str("remote_ip", 0, rec.remote_ip, "2001:db8::25");
	rs_test_check_str("reply", 0, rec.reply_text,
	                  "550 5.7.1 \"no\" said the server");
	rs_test_check_secs("delay", 0, rec.delays.total, 93784);
	/* A network failure of OpenSMTPD's own: no code, stage connect. */
	l = "4b3a6c195c1f6010 mta delivery evpid=8f26ea98359eccea "
	    "from=<a@x.example> to=<b@y.example> rcpt=<-> source=\"-\" "
	    "relay=\"192.0.2.25 (mx.y.example)\" delay=5s "
	    "result=\"TempFail\" stat=\"Connection refused\"";
	assert_int_equal(parse(l, strlen(l), &rec, &why), RS_PARSE_EVENT);
	assert_int_equal(rec.reply_code, 0);
	assert_int_equal(rec.stage, RS_STAGE_CONNECT);
	/* Malformed: no result, an unknown result. */
	l = "4b3a6c195c1f6010 mta delivery evpid=8f26ea98359eccea "
	    "from=<a@x.example>";
	assert_int_equal(parse(l, strlen(l), &rec, &why), RS_PARSE_MALFORMED);
	assert_string_equal(why, "OpenSMTPD delivery line without result=");
	l = "4b3a6c195c1f6010 mta delivery evpid=8f26ea98359eccea "
	    "result=\"Maybe\" stat=\"x\"";
	assert_int_equal(parse(l, strlen(l), &rec, &why), RS_PARSE_MALFORMED);
	/* Not OpenSMTPD at all. */
	assert_int_equal(parse("hello world", 11, &rec, &why),
	                 RS_PARSE_MALFORMED);
	l = "Jul  5 10:00:00 mx postfix/smtp[2]: x";
	assert_int_equal(parse(l, strlen(l), &rec, &why), RS_PARSE_SKIP);
}

/* Parse an exact-size copy of [line, line+len). */
static rs_parse_result_t parse_exact(const char *line, size_t len)
{
	return rs_test_parse_exact(&rs_opensmtpd_format, line, len, NULL, 0,
	                           arena, sizeof(arena));
}

static void test_truncation(void **state)
{
	size_t cuts = 0, events = 0;

	(void)state;
	rs_test_cut_fixtures(&rs_opensmtpd_format, files, N_ELEM(files), NULL,
	                     0, arena, sizeof(arena), &cuts, &events);
	assert_true(cuts > 5000);
	assert_true(events > 500);
}

static void test_bad_input(void **state)
{
	static const char head[] =
	    "4b3a6c195c1f6010 mta delivery evpid=8f26ea98359eccea "
	    "from=<a@x.example> to=<b@y.example> result=\"TempFail\" stat=\"";
	const size_t big = 1024 * 1024;
	rs_record_t rec;
	const char *why;
	char *buf;
	size_t n = sizeof(head) - 1;

	(void)state;
	assert_int_equal(parse_exact("", 0), RS_PARSE_SKIP);
	assert_int_equal(parse("", 0, &rec, &why), RS_PARSE_SKIP);
	buf = malloc(n + big + 1);
	assert_non_null(buf);
	memcpy(buf, head, n);
	memset(buf + n, 'x', big);
	buf[n + big] = '"';
	assert_int_equal(parse(buf, n + big + 1, &rec, &why), RS_PARSE_EVENT);
	assert_int_equal(rec.reply_text.n, big);
	assert_int_equal(parse_exact(buf, n + big + 1), RS_PARSE_EVENT);
	/* NUL inside stat: lengths rule. */
	memcpy(buf + n, "421 a\0b\"", 8);
	assert_int_equal(parse(buf, n + 8, &rec, &why), RS_PARSE_EVENT);
	assert_int_equal(rec.reply_text.n, 7);
	assert_int_equal(rec.reply_code, 421);
	/* Invalid UTF-8 is carried as bytes. */
	memcpy(buf + n, "550 \xff\xfe\xc3(\"", 9);
	assert_int_equal(parse(buf, n + 9, &rec, &why), RS_PARSE_EVENT);
	rs_test_check_str("reply_text", 0, rec.reply_text, "550 \xff\xfe\xc3(");
	free(buf);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixtures),
	    cmocka_unit_test(test_constructed),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
