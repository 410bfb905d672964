/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_envelope.c - log lines inside log shippers' JSON objects
 * (formats/envelope.h): every line of fixtures/envelopes/shippers.jsonl
 * (Filebeat, Vector, Fluent Bit, Fluentd, Docker, Logstash, journald,
 * rsyslog shapes around real Postfix, Exim and Sendmail lines) gives the
 * event field by field under "auto" and under its MTA's format; the
 * negatives (no message field, a message that is no log line, broken
 * JSON, binary junk, 1 MB lines) are malformed or skipped as documented;
 * KumoMTA and Haraka JSON records are still read as themselves; the
 * message field can be named. Every line is parsed from an exact-size
 * heap copy, so that ASan sees a read past its end.
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
#include "formats/envelope.h"
#include "formats/exim.h"
#include "formats/format.h"
#include "formats/format_opts.h"
#include "formats/haraka.h"
#include "formats/kumomta.h"
#include "formats/pmta.h"
#include "formats/postfix.h"
#include "formats/qmail.h"
#include "formats/sendmail.h"
#include "pipeline/prescan.h"
#include "testutil.h"

#define ARENA_SIZE 65536
#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

static char arena[ARENA_SIZE];
static char *copy;    /* the exact-size copy of the line last parsed */
static int drop_sent; /* parse as a run without --all does */

/* Parse [p, p+n) with fmt and opts from an exact-size heap copy. */
static rs_parse_result_t parse(const rs_format_t *fmt, const char *p, size_t n,
                               const rs_format_opts_t *opts, rs_record_t *rec,
                               const char **why)
{
	rs_logline_t ll;
	rs_parse_result_t res;

	free(copy);
	copy = malloc(n > 0 ? n : 1);
	assert_non_null(copy);
	memcpy(copy, p, n);
	rec->arena = arena;
	rec->arena_cap = sizeof(arena);
	rs_record_reset(rec);
	rs_logline_init(&ll, copy, n);
	ll.opts = opts;
	ll.drop_sent = drop_sent;
	*why = NULL;
	res = rs_format_parse_logline(fmt, &ll, rec, why);
	if (res == RS_PARSE_MALFORMED) {
		assert_non_null(*why);
	}
	if (res == RS_PARSE_EVENT) {
		rs_test_check_bounds(rec, copy, n);
		assert_true(rec->arena_used <= rec->arena_cap);
	}
	return res;
}

/* The expected event of each fixture line (1-based). An RFC 3164 stamp
 * takes its year from the envelope's time (line 1: a December line read
 * on 2026-12-06 is of 2025), so every time is compared. */
static const struct {
	int line;
	const rs_format_t *format;
	rs_mta_t mta;
	rs_status_t status;
	rs_stage_t stage;
	uint32_t code;
	const char *enhanced;
	const char *text;
	const char *recipient;
	const char *remote_host;
	const char *remote_ip;
	const char *queue_id;
	const char *program;
	const char *log_host;
	const char *log_time;
	int64_t log_time_ms;
} want[] = {
    /* Filebeat filestream: the whole line in "message" (ECS object). */
    {1, &rs_postfix_format, RS_MTA_POSTFIX, RS_STATUS_DEFERRED,
     RS_STAGE_END_OF_DATA, 451, "4.0.0",
     "451 DT:SPM 163 mx40,WsCowAAnEhlCoEVa5GjcAA--.20089S3 1514512452, "
     "please try again 15min later",
     "redacted@domain.com", "mail.domain.com", "1.1.1.1", "732BB407C3",
     "postfix/smtp", "mail", "Dec 29 02:54:12", 1766976852000},
    /* Filebeat's syslog processor: MSG and log.syslog.*. */
    {2, &rs_postfix_format, RS_MTA_POSTFIX, RS_STATUS_BOUNCED,
     RS_STAGE_MAIL_FROM, 550, "5.1.0", "550 5.1.0 Authentication required",
     "****@gmail.com", "smtp.comcast.net", "::ffff:76.96.62.117", "B174DABE16",
     "postfix/smtp", "xxxx", "2026-12-07T00:09:50.000Z", 1796602190000},
    /* Vector file source: a whole Sendmail line. */
    {3, &rs_sendmail_format, RS_MTA_SENDMAIL, RS_STATUS_DEFERRED,
     RS_STAGE_UNKNOWN, 451, "4.3.5", "451 4.3.5 Server configuration problem",
     "deferred1@example.com", NULL, "93.184.216.34", "u31FFPtp032300",
     "sendmail", "mta001", "Apr  2 00:15:25", 1775088925000},
    /* Vector syslog source: MSG, appname, procid as a number. */
    {4, &rs_sendmail_format, RS_MTA_SENDMAIL, RS_STATUS_DEFERRED,
     RS_STAGE_UNKNOWN, 451, "4.3.5", "451 4.3.5 Server configuration problem",
     "deferred2@example.com", NULL, "93.184.216.34", "u31FFPtp032300",
     "sendmail", "mta001", "2026-04-03T00:15:40Z", 1775175340000},
    /* Fluent Bit tail: a whole Exim main log line in "log". */
    {5, &rs_exim_format, RS_MTA_EXIM, RS_STATUS_BOUNCED, RS_STAGE_RCPT_TO, 553,
     NULL, "553 We do not relay without RFC2554 authentication.",
     "lqkwrzreonkhhtql@terraoil.ru", "mail-s56.1gb.ru", "81.177.159.3",
     "1RwtdJ-0000Ac-Ch", NULL, NULL, "2012-02-13 15:02:02", 1329145322000},
    /* Docker json-file: the same with its "\n". */
    {6, &rs_exim_format, RS_MTA_EXIM, RS_STATUS_DEFERRED, RS_STAGE_RCPT_TO, 450,
     "4.3.2",
     "450 4.3.2 Too many mails (mail bomb), try again in 1 hour(s) 25 "
     "minute(s) and see ( http://portal.gmx.net/serverrules ) {mx-us011}",
     "udbbwscdnbegrmloghuf@london.com", "mx0.gmx.com", "74.208.5.90",
     "1RookS-000Pg8-VO", NULL, NULL, "2012-02-13 14:39:22", 1329143962000},
    /* Fluent Bit's syslog-rfc3164 parser, Time_Keep On. */
    {7, &rs_postfix_format, RS_MTA_POSTFIX, RS_STATUS_DEFERRED,
     RS_STAGE_RCPT_TO, 450, "4.2.0",
     "450 4.2.0 <whatever-user@lists.example.org>: Recipient address "
     "rejected: Greylisted, see "
     "http://postgrey.schweikert.ch/help/lists.example.org.html",
     "whatever-user@lists.example.org", "open.example.nl", "10.49.140.10",
     "A0E85200BD", "postfix/smtp", "host", "Jan  1 00:00:00", 1767225600000},
    /* Fluentd's syslog parser: no time in the record. */
    {8, &rs_sendmail_format, RS_MTA_SENDMAIL, RS_STATUS_DEFERRED,
     RS_STAGE_CONNECT, 0, "4.0.0",
     "Connection timed out with somewhereelse.com.", "u3814@h1250.com",
     "relay_id", NULL, "jB4JCnPo019367", "sendmail", "b.mx.example.net", NULL,
     0},
    /* Logstash: a whole line; its "type" is not KumoMTA's. */
    {9, &rs_postfix_format, RS_MTA_POSTFIX, RS_STATUS_BOUNCED, RS_STAGE_RCPT_TO,
     550, "5.7.1", "550 5.7.1 <root@localhost.lab.ru>... Relaying denied",
     "root@localhost.lab.ru", "localhost.lab.ru", "194.135.30.57", "1746B93F7F",
     "postfix/smtp", "TEST", "May 24 12:51:53", 1779627113000},
    /* Logstash grok SYSLOGLINE: program, pid, logsource, timestamp. */
    {10, &rs_postfix_format, RS_MTA_POSTFIX, RS_STATUS_DEFERRED,
     RS_STAGE_RCPT_TO, 450, "4.7.1",
     "450 4.7.1 <to@sample.net>: Recipient address rejected: Greylisted",
     "to@sample.net", "sample.net", "10.0.0.1", "232EAC2E55", "postfix/smtp",
     "host", "Jan  1 00:00:00", 1767225600000},
    /* journalctl -o json: __REALTIME_TIMESTAMP in microseconds. */
    {11, &rs_postfix_format, RS_MTA_POSTFIX, RS_STATUS_BOUNCED,
     RS_STAGE_RCPT_TO, 550, "5.7.1",
     "550 5.7.1 <root@localhost.lab.ru>... Relaying denied",
     "root@localhost.lab.ru", "localhost.lab.ru", "194.135.30.57", "1746B93F7F",
     "postfix/smtp", "TEST", "2026-12-06T23:30:01.123Z", 1796599801123},
    /* journald, MESSAGE as byte values: Exim's own stamp in the MSG. */
    {12, &rs_exim_format, RS_MTA_EXIM, RS_STATUS_DEFERRED, RS_STAGE_QUEUE, 0,
     NULL, "Retry time not yet reached", "root@domain.ru", NULL, NULL,
     "1tivSh-00000000ALP-0mWt", "exim", "192.168.55.51",
     "2025-02-14 18:12:49.175", 1739556769175},
    /* rsyslog omkafka JSON template: msg with its leading space. */
    {13, &rs_sendmail_format, RS_MTA_SENDMAIL, RS_STATUS_DEFERRED,
     RS_STAGE_CONNECT, 0, "4.0.0",
     "Connection timed out with somewhereelse.com.", "u3814@h1250.com",
     "relay_id", NULL, "jB4JCnPo019367", "sendmail", "b.mx.example.net",
     "2026-01-05T00:15:33.000000+00:00", 1767572133000},
};

#define NWANT (sizeof(want) / sizeof(want[0]))

static void check_event(size_t i, const rs_record_t *rec)
{
	int line = want[i].line;

	assert_int_equal(rec->mta, want[i].mta);
	assert_int_equal(rec->status, want[i].status);
	assert_int_equal(rec->stage, want[i].stage);
	assert_int_equal(rec->reply_code, want[i].code);
	rs_test_check_str("enhanced_code", line, rec->enhanced_code,
	                  want[i].enhanced);
	rs_test_check_str("reply_text", line, rec->reply_text, want[i].text);
	rs_test_check_str("recipient", line, rec->recipient, want[i].recipient);
	rs_test_check_str("remote_host", line, rec->remote_host,
	                  want[i].remote_host);
	rs_test_check_str("remote_ip", line, rec->remote_ip, want[i].remote_ip);
	rs_test_check_str("queue_id", line, rec->queue_id, want[i].queue_id);
	rs_test_check_str("program", line, rec->program, want[i].program);
	rs_test_check_str("log_host", line, rec->log_host, want[i].log_host);
	rs_test_check_str("log_time", line, rec->log_time, want[i].log_time);
	assert_int_equal(rec->log_time_ms, want[i].log_time_ms);
}

/* Each shipper's shape, under auto and under the MTA's own format. */
static void test_shippers(void **state)
{
	rs_test_fixture_t f;
	rs_record_t rec;
	const char *why;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(rs_test_fixture_load("envelopes/shippers.jsonl", &f),
	                 0);
	assert_int_equal(f.count, NWANT);
	for (size_t i = 0; i < NWANT; i++) {
		size_t k = (size_t)want[i].line - 1;

		if (parse(rs_format_auto(), f.line[k], f.len[k], NULL, &rec,
		          &why) != RS_PARSE_EVENT) {
			fail_msg("line %d under auto: %s", want[i].line,
			         why ? why : "skipped");
		}
		check_event(i, &rec);
		if (parse(want[i].format, f.line[k], f.len[k], NULL, &rec,
		          &why) != RS_PARSE_EVENT) {
			fail_msg("line %d under %s: %s", want[i].line,
			         want[i].format->name, why ? why : "skipped");
		}
		check_event(i, &rec);
		/* The skip path (a run that drops sent events) hides none
		 * of these failures. */
		drop_sent = 1;
		if (parse(rs_format_auto(), f.line[k], f.len[k], NULL, &rec,
		          &why) != RS_PARSE_EVENT) {
			drop_sent = 0;
			fail_msg("line %d under auto, dropping sent: %s",
			         want[i].line, why ? why : "skipped");
		}
		drop_sent = 0;
		check_event(i, &rec);
	}
	rs_test_fixture_free(&f);
}

static void expect(const rs_format_t *fmt, const char *line, size_t n,
                   rs_parse_result_t res, const char *reason)
{
	rs_record_t rec;
	const char *why;
	rs_parse_result_t got;

	memset(&rec, 0, sizeof(rec));
	got = parse(fmt, line, n, NULL, &rec, &why);
	if (got != res) {
		fail_msg("%s: %.60s: result %d, want %d (%s)", fmt->name, line,
		         (int)got, (int)res, why ? why : "-");
	}
	if (reason != NULL) {
		assert_non_null(why);
		assert_string_equal(why, reason);
	}
}

#define EXPECT(fmt, lit, res, reason)                                          \
	expect((fmt), (lit), sizeof(lit) - 1, (res), (reason))

/* A delivered line in an envelope is dropped by the skip path as the
 * plain line is, and kept with --all. */
static void test_sent(void **state)
{
	static const char line[] =
	    "{\"appname\":\"postfix/smtp\",\"procid\":17,\"hostname\":"
	    "\"mail\",\"timestamp\":\"2026-12-06T23:30:01Z\",\"message\":"
	    "\"4F9D2C0A1B: to=<u@example.net>, relay=mx.example.net"
	    "[192.0.2.1]:25, delay=1, delays=0.1/0/0.4/0.5, dsn=2.0.0, "
	    "status=sent (250 2.0.0 Ok: queued as 9A)\"}";
	rs_record_t rec;
	const char *why;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(
	    parse(rs_format_auto(), line, sizeof(line) - 1, NULL, &rec, &why),
	    RS_PARSE_EVENT);
	assert_int_equal(rec.status, RS_STATUS_SENT);
	rs_test_check_str("log_host", 0, rec.log_host, "mail");
	drop_sent = 1;
	assert_int_equal(
	    parse(rs_format_auto(), line, sizeof(line) - 1, NULL, &rec, &why),
	    RS_PARSE_SKIP);
	assert_int_equal(
	    parse(&rs_postfix_format, line, sizeof(line) - 1, NULL, &rec, &why),
	    RS_PARSE_SKIP);
	drop_sent = 0;
}

static void test_negatives(void **state)
{
	static const char junk[] = "{\x01\xff\xfe\x00\x80garbage\xc3\x28";

	(void)state;
	/* An object without a message field is malformed, never skipped. */
	EXPECT(rs_format_auto(),
	       "{\"@timestamp\":\"2026-12-06T23:30:01Z\",\"host\":{\"name\":"
	       "\"mail\"},\"log\":{\"offset\":12}}",
	       RS_PARSE_MALFORMED, "JSON line without a message field");
	EXPECT(&rs_postfix_format, "{\"foo\":\"bar\"}", RS_PARSE_MALFORMED,
	       "JSON line without a message field");
	/* A message key whose value is no string gives no line ... */
	EXPECT(rs_format_auto(), "{\"message\":{\"text\":\"x\"}}",
	       RS_PARSE_MALFORMED, "JSON line without a message field");
	EXPECT(rs_format_auto(), "{\"msg\":12,\"log\":true}",
	       RS_PARSE_MALFORMED, "JSON line without a message field");
	/* ... and the next key in rank that holds a string does (README: the
	 * first of the string fields the object has). */
	EXPECT(rs_format_auto(),
	       "{\"message\":{\"text\":\"x\"},\"log\":\"Dec  6 23:30:01 mail "
	       "postfix/smtp[2803]: 4F9D2C0A1B: to=<u@example.net>, "
	       "relay=none, delay=1, dsn=4.4.1, status=deferred (connect to "
	       "mx.example.net[192.0.2.1]:25: Connection timed out)\"}",
	       RS_PARSE_EVENT, NULL);
	/* A message that is no log line is skipped as the bare text is. */
	EXPECT(rs_format_auto(), "{\"message\":\"hello world\"}", RS_PARSE_SKIP,
	       NULL);
	EXPECT(rs_format_auto(),
	       "{\"appname\":\"postfix/smtp\",\"message\":\"connect from "
	       "unknown[192.0.2.1]\"}",
	       RS_PARSE_SKIP, NULL);
	/* Truncated JSON: under auto as before (KumoMTA's reading of it),
	 * under a chosen format the JSON reader's reason. */
	EXPECT(rs_format_auto(), "{\"message\":\"Dec  6 23:30:01 mail postfix",
	       RS_PARSE_MALFORMED, NULL);
	EXPECT(&rs_postfix_format,
	       "{\"message\":\"Dec  6 23:30:01 mail postfix",
	       RS_PARSE_MALFORMED, NULL);
	EXPECT(&rs_postfix_format, "{\"message\":\"x\"} trailing",
	       RS_PARSE_MALFORMED, "JSON line: text after the object");
	/* A bad escape, a byte array that is not one. */
	EXPECT(&rs_postfix_format, "{\"message\":\"a\\qb\"}",
	       RS_PARSE_MALFORMED, NULL);
	EXPECT(rs_format_auto(), "{\"MESSAGE\":[65,256]}", RS_PARSE_MALFORMED,
	       "JSON line: the message array is not of byte values");
	/* Binary junk after '{'. */
	expect(&rs_postfix_format, junk, sizeof(junk) - 1, RS_PARSE_MALFORMED,
	       NULL);
	expect(rs_format_auto(), junk, sizeof(junk) - 1, RS_PARSE_MALFORMED,
	       NULL);
	/* Plain lines are untouched: not JSON, not unwrapped. */
	EXPECT(rs_format_auto(), "hello {\"message\":\"x\"}", RS_PARSE_SKIP,
	       NULL);
}

/* A 1 MB line: its message read in place when it has no escape; with
 * escapes (a decoded copy) or a rebuilt line it does not fit the arena
 * and says so. */
static void test_huge(void **state)
{
	static const char head[] =
	    "{\"message\":\"Dec  6 23:30:01 mail postfix/smtp[2803]: "
	    "4F9D2C0A1B: to=<user@example.net>, relay=none, delay=1, "
	    "dsn=4.4.1, status=deferred (connect to mx.example.net[192.0.2.1]"
	    ":25: Connection timed out ";
	size_t n = 1024 * 1024, h = sizeof(head) - 1;
	char *line = malloc(n);
	rs_record_t rec;
	const char *why;

	(void)state;
	assert_non_null(line);
	memcpy(line, head, h);
	memset(line + h, 'x', n - h - 3);
	memcpy(line + n - 3, ")\"}", 3);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(parse(rs_format_auto(), line, n, NULL, &rec, &why),
	                 RS_PARSE_EVENT);
	assert_int_equal(rec.status, RS_STATUS_DEFERRED);
	rs_test_check_str("queue_id", 0, rec.queue_id, "4F9D2C0A1B");
	rs_test_check_str("recipient", 0, rec.recipient, "user@example.net");
	/* An escape forces a decoded copy: larger than the arena. */
	memcpy(line + n / 2, "\\\"", 2);
	assert_int_equal(parse(rs_format_auto(), line, n, NULL, &rec, &why),
	                 RS_PARSE_MALFORMED);
	assert_string_equal(
	    why, "JSON line: the message does not fit the record arena");
	/* A bare MSG with a program is rebuilt: it does not fit either. */
	memcpy(line + n / 2, "xx", 2);
	memcpy(line, "{\"ident\":\"smtp\",\"msg\":\"", 23);
	assert_int_equal(parse(rs_format_auto(), line, n, NULL, &rec, &why),
	                 RS_PARSE_MALFORMED);
	assert_string_equal(
	    why, "JSON line: the message does not fit the record arena");
	free(line);
}

/* KumoMTA and Haraka JSON records are read as themselves under auto. */
static void test_native_json(void **state)
{
	static const char *const files[] = {"kumomta/constructed.jsonl",
	                                    "kumomta/responses.jsonl",
	                                    "haraka/json.log"};
	rs_record_t rec;
	const char *why;
	size_t events = 0;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	for (size_t fi = 0; fi < sizeof(files) / sizeof(files[0]); fi++) {
		const rs_format_t *own =
		    fi < 2 ? &rs_kumomta_format : &rs_haraka_format;
		rs_test_fixture_t f;

		assert_int_equal(rs_test_fixture_load(files[fi], &f), 0);
		for (size_t k = 0; k < f.count; k++) {
			rs_parse_result_t a, o;
			rs_mta_t mta;

			if (f.len[k] == 0 || f.line[k][0] != '{') {
				continue;
			}
			o = parse(own, f.line[k], f.len[k], NULL, &rec, &why);
			mta = rec.mta;
			a = parse(rs_format_auto(), f.line[k], f.len[k], NULL,
			          &rec, &why);
			if (a != o) {
				fail_msg("%s:%zu: auto %d, %s %d", files[fi],
				         k + 1, (int)a, own->name, (int)o);
			}
			if (a == RS_PARSE_EVENT) {
				assert_int_equal(rec.mta, mta);
				assert_int_equal(rec.mta, own->mta);
				events++;
			}
		}
		rs_test_fixture_free(&f);
	}
	assert_true(events >= 10);
}

/* Filebeat reading KumoMTA's JSON log: the record inside the envelope (a
 * JSON string, its quotes escaped) gives the event the bare record
 * gives. */
static void test_nested_kumomta(void **state)
{
	rs_test_fixture_t f;
	rs_record_t rec;
	const char *why;
	size_t events = 0;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(rs_test_fixture_load("kumomta/constructed.jsonl", &f),
	                 0);
	for (size_t k = 0; k < f.count; k++) {
		char *env = malloc(2 * f.len[k] + 64), *d = env;
		rs_parse_result_t a, b;
		rs_status_t st;
		uint32_t code;
		char qid[128];

		assert_non_null(env);
		d += sprintf(d, "{\"log\":{\"offset\":%zu},\"message\":\"", k);
		for (size_t i = 0; i < f.len[k]; i++) {
			if (f.line[k][i] == '"' || f.line[k][i] == '\\') {
				*d++ = '\\';
			}
			*d++ = f.line[k][i];
		}
		d += sprintf(d, "\"}");
		a = parse(rs_format_auto(), f.line[k], f.len[k], NULL, &rec,
		          &why);
		st = rec.status;
		code = rec.reply_code;
		snprintf(qid, sizeof(qid), "%.*s", (int)rec.queue_id.n,
		         rec.queue_id.p ? rec.queue_id.p : "");
		b = parse(rs_format_auto(), env, (size_t)(d - env), NULL, &rec,
		          &why);
		if (a != b) {
			fail_msg(
			    "kumomta/constructed.jsonl:%zu: bare %d, in an "
			    "envelope %d (%s)",
			    k + 1, (int)a, (int)b, why ? why : "-");
		}
		if (a == RS_PARSE_EVENT) {
			assert_int_equal(rec.mta, RS_MTA_KUMOMTA);
			assert_int_equal(rec.status, st);
			assert_int_equal(rec.reply_code, code);
			rs_test_check_str("queue_id", (int)k + 1, rec.queue_id,
			                  qid);
			events++;
		}
		free(env);
	}
	rs_test_fixture_free(&f);
	assert_true(events >= 5);
}

/* formats.json.message_field names the key; it wins over "message". */
static void test_custom_field(void **state)
{
	static const char line[] =
	    "{\"message\":\"shipper note\",\"event_original\":\"Dec  6 "
	    "23:30:01 mail postfix/smtp[1]: 4F9D2C0A1B: to=<u@example.net>, "
	    "relay=none, delay=1, dsn=4.4.1, status=deferred (connect to "
	    "mx.example.net[192.0.2.1]:25: Connection timed out)\"}";
	rs_format_opts_t *opts = rs_format_opts_new();
	rs_record_t rec;
	const char *why;
	char err[256];

	(void)state;
	assert_non_null(opts);
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(
	    parse(rs_format_auto(), line, sizeof(line) - 1, opts, &rec, &why),
	    RS_PARSE_SKIP);
	assert_int_equal(rs_format_opts_set_json_message_field(
			     opts, "event_original", err, sizeof(err)),
	                 0);
	assert_int_equal(
	    parse(rs_format_auto(), line, sizeof(line) - 1, opts, &rec, &why),
	    RS_PARSE_EVENT);
	assert_int_equal(rec.status, RS_STATUS_DEFERRED);
	rs_test_check_str("queue_id", 0, rec.queue_id, "4F9D2C0A1B");
	rs_test_check_str("remote_ip", 0, rec.remote_ip, "192.0.2.1");
	assert_int_equal(
	    rs_format_opts_set_json_message_field(opts, "", err, sizeof(err)),
	    -1);
	assert_int_equal(rs_format_opts_set_json_message_field(
			     opts, "a\"b", err, sizeof(err)),
	                 -1);
	rs_format_opts_destroy(opts);
}

/* The arena the line took is handed back after the parse: what the
 * parser decoded and the line both stay valid. */
static void test_arena(void **state)
{
	static const char line[] =
	    "{\"ident\":\"postfix/smtp\",\"host\":\"mail\",\"time\":"
	    "1796599801,\"message\":\"4F9D2C0A1B: to=<u@example.net>, "
	    "relay=none, delay=1, dsn=4.4.1, status=deferred (connect to "
	    "mx.example.net[192.0.2.1]:25: Connection \\\"timed\\\" out)\"}";
	rs_record_t rec;
	const char *why;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	assert_int_equal(
	    parse(rs_format_auto(), line, sizeof(line) - 1, NULL, &rec, &why),
	    RS_PARSE_EVENT);
	assert_ptr_equal(rec.arena, arena);
	assert_int_equal(rec.arena_cap, sizeof(arena));
	assert_true(rec.arena_used > 0);
	rs_test_check_str("reply_text", 0, rec.reply_text,
	                  "connect to mx.example.net[192.0.2.1]:25: Connection "
	                  "\"timed\" out");
	rs_test_check_str("log_time", 0, rec.log_time,
	                  "2026-12-06T23:30:01.000Z");
	assert_int_equal(rec.log_time_ms, 1796599801000);
	rs_test_check_str("log_host", 0, rec.log_host, "mail");
	/* A bad envelope leaves the record as it was (envelope.h): a byte
	 * array that fails after two bytes keeps none of them. */
	assert_int_equal(parse(rs_format_auto(), "{\"MESSAGE\":[65,66,256]}",
	                       23, NULL, &rec, &why),
	                 RS_PARSE_MALFORMED);
	assert_int_equal(rec.arena_used, 0);
}

/* Epoch numbers in every unit a shipper writes, and stamps as text. */
static void test_time_units(void **state)
{
	static const struct {
		const char *time;
		int64_t ms;
	} t[] = {
	    {"1796599801", 1796599801000},
	    {"1796599801.123456", 1796599801123},
	    {"1796599801123", 1796599801123},
	    {"\"1796599801123456\"", 1796599801123},
	    {"1796599801123456789", 1796599801123},
	    {"\"2026-12-06T23:30:01.5+01:00\"", 1796596201500},
	    {"\"2026-12-06 23:30:01\"", 1796599801000},
	    {"\"not a time\"", 0},
	    {"17965998011234567890", 0},
	    {"-5", 0},
	};
	char line[512];
	rs_record_t rec;
	const char *why;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int n = snprintf(line, sizeof(line),
		                 "{\"time\":%s,\"ident\":\"postfix/smtp\","
		                 "\"host\":\"mail\",\"message\":\"4F9D2C0A1B: "
		                 "to=<u@example.net>, relay=none, delay=1, "
		                 "dsn=4.4.1, status=deferred (connect to "
		                 "mx.example.net[192.0.2.1]:25: Connection "
		                 "timed out)\"}",
		                 t[i].time);

		assert_true(n > 0 && (size_t)n < sizeof(line));
		if (parse(rs_format_auto(), line, (size_t)n, NULL, &rec,
		          &why) != RS_PARSE_EVENT) {
			fail_msg("time %s: %s", t[i].time,
			         why ? why : "skipped");
		}
		if (rec.log_time_ms != t[i].ms) {
			fail_msg("time %s: %lld ms, want %lld", t[i].time,
			         (long long)rec.log_time_ms,
			         (long long)t[i].ms);
		}
		/* No usable time: no stand-in text either. */
		if (t[i].ms == 0) {
			assert_null(rec.log_time.p);
		}
	}
}

/* An RFC 3164 "Feb 29" takes the latest leap year the shipper's time
 * allows, whatever year the clock says (a non-leap year's split has it as
 * Mar 1). */
static void test_feb29(void **state)
{
	static const struct {
		const char *envelope;
		int64_t ms;
	} t[] = {
	    /* Replayed on the day: 2024-02-29T10:00:00Z. */
	    {"2024-02-29T12:00:00Z", 1709200800000},
	    /* Read in 2027: the last Feb 29 was 2024's. */
	    {"2027-03-01T10:00:00Z", 1709200800000},
	    /* Read early on Feb 29 2028 (UTC): a day's slack. */
	    {"2028-02-29T01:00:00Z", 1835431200000},
	};
	char line[512];
	rs_record_t rec;
	const char *why;

	(void)state;
	memset(&rec, 0, sizeof(rec));
	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		int n =
		    snprintf(line, sizeof(line),
		             "{\"timereported\":\"Feb 29 10:00:00\","
		             "\"@timestamp\":\"%s\",\"ident\":"
		             "\"postfix/smtp\",\"host\":\"mail\","
		             "\"message\":\"4F9D2C0A1B: to=<u@example.net>, "
		             "relay=none, delay=1, dsn=4.4.1, status=deferred "
		             "(connect to mx.example.net[192.0.2.1]:25: "
		             "Connection timed out)\"}",
		             t[i].envelope);

		assert_true(n > 0 && (size_t)n < sizeof(line));
		assert_int_equal(
		    parse(rs_format_auto(), line, (size_t)n, NULL, &rec, &why),
		    RS_PARSE_EVENT);
		if (rec.log_time_ms != t[i].ms) {
			fail_msg("read %s: %lld ms, want %lld", t[i].envelope,
			         (long long)rec.log_time_ms,
			         (long long)t[i].ms);
		}
		rs_test_check_str("log_time", 0, rec.log_time,
		                  "Feb 29 10:00:00");
	}
}

/*
 * The stateful formats through the pipeline's prescan: lines (NUL-ended
 * C strings) as one file, prescanned under fmt (NULL: auto), then line i
 * parsed as a worker parses it. Each batch line is a heap copy, so that
 * ASan sees a read past its end (its NUL aside).
 */
typedef struct scanned {
	rs_test_fixture_t fx;
	rs_batch_t b;
	rs_prescan_t *ps;
	const rs_format_t *fmt;
} scanned_t;

static void scan_lines(scanned_t *s, const char *const *lines, size_t n,
                       const rs_format_t *fmt)
{
	memset(s, 0, sizeof(*s));
	s->fmt = fmt;
	s->fx.count = n;
	s->fx.line = calloc(n, sizeof(*s->fx.line));
	s->fx.len = calloc(n, sizeof(size_t));
	assert_non_null(s->fx.line);
	assert_non_null(s->fx.len);
	for (size_t i = 0; i < n; i++) {
		char *c;

		s->fx.len[i] = strlen(lines[i]);
		c = malloc(s->fx.len[i] + 1);
		assert_non_null(c);
		memcpy(c, lines[i], s->fx.len[i]);
		s->fx.line[i] = c;
	}
	s->ps = rs_test_batch_scan(&s->fx, "acct.csv", fmt, NULL, &s->b);
	assert_non_null(s->ps);
}

static rs_parse_result_t scanned_parse(scanned_t *s, size_t i, rs_record_t *rec,
                                       const char **why)
{
	rs_parse_result_t res;

	rec->arena = arena;
	rec->arena_cap = sizeof(arena);
	/* No rs_test_check_bounds: fields may point into the batch's side
	 * data (qmail's queue id and recipient). */
	res = rs_test_batch_parse(&s->b, i, s->fmt, NULL, rec, why);
	if (res == RS_PARSE_MALFORMED) {
		assert_non_null(*why);
	}
	return res;
}

static void scanned_free(scanned_t *s)
{
	rs_prescan_destroy(s->ps);
	rs_batch_free(&s->b);
	for (size_t i = 0; i < s->fx.count; i++) {
		free((char *)s->fx.line[i]);
	}
	free(s->fx.line);
	free(s->fx.len);
}

#define FILEBEAT(msg)                                                          \
	"{\"@timestamp\":\"2026-12-06T10:00:00.000Z\",\"log\":{\"offset\":0,"  \
	"\"file\":{\"path\":\"/var/log/pmta/acct.csv\"}},\"message\":\"" msg   \
	"\",\"input\":{\"type\":\"filestream\"},\"host\":{\"name\":\"mx1\"}}"

/* A PowerMTA acct file shipped by Filebeat: its header (not in the
 * default order, so the default header would misread the rows) is read
 * by the prescan inside its envelope, under auto and under pmta. */
static void test_pmta_header(void **state)
{
	static const char *const lines[] = {
	    FILEBEAT("type,dsnDiag,rcpt,bounceCat,vmta,dlvSourceIp"),
	    FILEBEAT("b,smtp;550 5.1.1 <u@x.example>: no such user,"
	             "u@x.example,bad-mailbox,vmta-7,192.0.2.7"),
	    FILEBEAT("t,\\\"smtp;451 4.7.1 try later, \\\"\\\"greylisted"
	             "\\\"\\\"\\\",v@y.example,policy-related,vmta-8,"
	             "192.0.2.8"),
	};
	const rs_format_t *fmts[] = {NULL, &rs_pmta_format};
	rs_record_t rec;
	const char *why;

	(void)state;
	for (size_t f = 0; f < N_ELEM(fmts); f++) {
		scanned_t s;

		scan_lines(&s, lines, N_ELEM(lines), fmts[f]);
		assert_int_equal(scanned_parse(&s, 0, &rec, &why),
		                 RS_PARSE_SKIP);
		assert_int_equal(scanned_parse(&s, 1, &rec, &why),
		                 RS_PARSE_EVENT);
		rs_test_check_str("recipient", 2, rec.recipient, "u@x.example");
		assert_int_equal(rec.reply_code, 550);
		rs_test_check_str("vmta", 2, rec.vmta, "vmta-7");
		rs_test_check_str("sending_ip", 2, rec.sending_ip, "192.0.2.7");
		rs_test_check_str("tag", 2, rec.extra_tag, "pmta:bad-mailbox");
		assert_int_equal(scanned_parse(&s, 2, &rec, &why),
		                 RS_PARSE_EVENT);
		rs_test_check_str("recipient", 3, rec.recipient, "v@y.example");
		rs_test_check_str("reply_text", 3, rec.reply_text,
		                  "451 4.7.1 try later, \"greylisted\"");
		rs_test_check_str("vmta", 3, rec.vmta, "vmta-8");
		scanned_free(&s);
	}
}

/* Wrapped lines that are no PowerMTA header leave the default header in
 * force: another CSV's header, a JSON line without a message. */
static void test_pmta_negatives(void **state)
{
	static const char *const lines[] = {
	    FILEBEAT("#Fields: type,rcpt,dsnDiag"),
	    "{\"note\":\"type,vmta,rcpt,dsnDiag\"}",
	    FILEBEAT("b,2026-12-06 10:00:00+0000,2026-12-06 09:59:00+0000,"
	             "s@example.org,u@x.example,,failed,5.1.1 (bad "
	             "destination mailbox address),smtp;550 5.1.1 no such "
	             "user,mx.x.example (192.0.2.1),bad-mailbox,smtp,,"
	             "10.0.0.1,vmta-1,,,,,,,,"),
	};
	scanned_t s;
	rs_record_t rec;
	const char *why;

	(void)state;
	scan_lines(&s, lines, N_ELEM(lines), NULL);
	assert_int_equal(s.b.lines[0].aux_len, 0);
	assert_int_equal(s.b.lines[1].aux_len, 0);
	assert_int_equal(scanned_parse(&s, 1, &rec, &why), RS_PARSE_MALFORMED);
	assert_string_equal(why, "JSON line without a message field");
	assert_int_equal(scanned_parse(&s, 2, &rec, &why), RS_PARSE_EVENT);
	rs_test_check_str("recipient", 3, rec.recipient, "u@x.example");
	assert_int_equal(rec.reply_code, 550);
	scanned_free(&s);
}

/* qmail's start lines are read inside their envelopes: the result gets
 * its recipient and queue id (the message number), whole lines (Filebeat)
 * and a bare MSG rebuilt from syslog fields (rsyslog's JSON template,
 * journald's JSON export). */
static void test_qmail(void **state)
{
	static const char *const lines[] = {
	    /* tests/fixtures/qmail/plesk-syslog-2020.log */
	    FILEBEAT("Jun 10 20:42:51 zulu282 qmail: 1591785771.138809 "
	             "starting delivery 293: msg 76424444 to remote "
	             "user@jadoo.com.au"),
	    FILEBEAT("Jun 10 20:42:51 zulu282 qmail-remote-handlers[3882]: "
	             "to=user@jadoo.com.au"),
	    FILEBEAT("Jun 10 20:43:36 zulu282 qmail: 1591785816.273118 "
	             "delivery 293: success: 103.146.112.32_accepted_message"
	             "./Remote_host_said:_250_OK_id=1jiyCl-0004o3-HE/"),
	    /* The same MSG parts in rsyslog objects. */
	    "{\"timereported\":\"Jun 10 20:44:01\",\"hostname\":\"zulu283\","
	    "\"programname\":\"qmail\",\"msg\":\" 1591785841.1 starting "
	    "delivery 294: msg 76424445 to remote other@jadoo.com.au\"}",
	    "{\"timereported\":\"Jun 10 20:44:09\",\"hostname\":\"zulu283\","
	    "\"programname\":\"qmail\",\"msg\":\" 1591785849.1 delivery 294: "
	    "failure: 103.146.112.32_does_not_like_recipient./Remote_host_"
	    "said:_550_5.1.1_no_such_user/Giving_up_on_103.146.112.32./\"}",
	    /* journald's JSON export: a time in us, rebuilt as ISO 8601. */
	    "{\"__REALTIME_TIMESTAMP\":\"1591785900000000\",\"_HOSTNAME\":"
	    "\"zulu284\",\"SYSLOG_IDENTIFIER\":\"qmail\",\"_PID\":\"811\","
	    "\"MESSAGE\":\"1591785900.5 starting delivery 295: msg 76424446 "
	    "to remote third@jadoo.com.au\"}",
	    "{\"__REALTIME_TIMESTAMP\":\"1591785909000000\",\"_HOSTNAME\":"
	    "\"zulu284\",\"SYSLOG_IDENTIFIER\":\"qmail\",\"_PID\":\"811\","
	    "\"MESSAGE\":\"1591785909.5 delivery 295: deferral: "
	    "Connected_to_103.146.112.32_but_greeting_failed./Remote_host_"
	    "said:_421_try_later/\"}",
	};
	/* Each shipper's start line (skipped, its recipient kept) and the
	 * result line that reads it. */
	static const struct {
		size_t start, result; /* indexes into lines */
		const char *rcpt;
		const char *queue_id;
		const char *log_host;
		uint32_t code;
	} deliveries[] = {
	    {0, 2, "user@jadoo.com.au", "76424444", "zulu282", 250},
	    {3, 4, "other@jadoo.com.au", "76424445", "zulu283", 550},
	    {5, 6, "third@jadoo.com.au", "76424446", "zulu284", 421},
	};
	const rs_format_t *fmts[] = {NULL, &rs_qmail_format};
	rs_record_t rec;
	const char *why;

	(void)state;
	for (size_t f = 0; f < N_ELEM(fmts); f++) {
		scanned_t s;

		scan_lines(&s, lines, N_ELEM(lines), fmts[f]);
		for (size_t d = 0; d < N_ELEM(deliveries); d++) {
			size_t line = deliveries[d].result + 1;

			assert_int_equal(
			    scanned_parse(&s, deliveries[d].start, &rec, &why),
			    RS_PARSE_SKIP);
			assert_int_equal(
			    scanned_parse(&s, deliveries[d].result, &rec, &why),
			    RS_PARSE_EVENT);
			rs_test_check_str("recipient", line, rec.recipient,
			                  deliveries[d].rcpt);
			rs_test_check_str("queue_id", line, rec.queue_id,
			                  deliveries[d].queue_id);
			rs_test_check_str("log_host", line, rec.log_host,
			                  deliveries[d].log_host);
			assert_int_equal(rec.reply_code, deliveries[d].code);
		}
		scanned_free(&s);
	}
}

/* Kafka: one message per batch, the prescan's state kept per partition
 * across batches (a wrapped header in partition 0 is not partition 1's;
 * a qmail start line reaches its result some batches later). */
static void test_kafka_batches(void **state)
{
	static const struct {
		const char *line;
		int32_t part;
		rs_parse_result_t res;
		const char *rcpt;
	} steps[] = {
	    {FILEBEAT("type,dsnDiag,rcpt,vmta"), 0, RS_PARSE_SKIP, NULL},
	    {FILEBEAT("Jun 10 20:42:51 zulu282 qmail: 1591785771.138809 "
	              "starting delivery 293: msg 76424444 to remote "
	              "user@jadoo.com.au"),
	     1, RS_PARSE_SKIP, NULL},
	    {FILEBEAT("b,smtp;550 5.1.1 no such user,r1@x.example,vmta-1"), 1,
	     RS_PARSE_MALFORMED, NULL},
	    {FILEBEAT("b,smtp;550 5.1.1 no such user,r0@x.example,vmta-0"), 0,
	     RS_PARSE_EVENT, "r0@x.example"},
	    {FILEBEAT("Jun 10 20:43:36 zulu282 qmail: 1591785816.273118 "
	              "delivery 293: success: 103.146.112.32_accepted_"
	              "message./Remote_host_said:_250_OK_id=1jiyCl/"),
	     1, RS_PARSE_EVENT, "user@jadoo.com.au"},
	};
	char err[256];
	rs_prescan_t *ps =
	    rs_prescan_new(rs_format_auto(), NULL, err, sizeof(err));
	rs_record_t rec;
	const char *why;

	(void)state;
	assert_non_null(ps);
	rec.arena = arena;
	rec.arena_cap = sizeof(arena);
	for (size_t i = 0; i < N_ELEM(steps); i++) {
		rs_batch_t b;
		char *c = strdup(steps[i].line);

		assert_non_null(c);
		memset(&b, 0, sizeof(b));
		assert_int_equal(
		    rs_batch_add_line(&b, c, strlen(c), 0, (int64_t)i, 0), 0);
		b.lines[0].topic = "acct";
		b.lines[0].partition = steps[i].part;
		assert_int_equal(rs_prescan_batch(ps, &b), 0);
		assert_int_equal(
		    rs_test_batch_parse(&b, 0, NULL, NULL, &rec, &why),
		    steps[i].res);
		if (steps[i].rcpt != NULL) {
			rs_test_check_str("recipient", i + 1, rec.recipient,
			                  steps[i].rcpt);
		}
		rs_batch_free(&b);
		free(c);
	}
	rs_prescan_destroy(ps);
}

/* line as the message of a Filebeat object: a NUL-ended heap string. */
static char *filebeat(const char *line, size_t n)
{
	static const char head[] =
	    "{\"@timestamp\":\"2026-12-06T10:00:00.000Z\","
	    "\"log\":{\"offset\":0},\"message\":\"";
	static const char tail[] = "\",\"host\":{\"name\":\"mx1\"}}";
	char *out = malloc(sizeof(head) + n * 6 + sizeof(tail));
	char *d;

	assert_non_null(out);
	memcpy(out, head, sizeof(head) - 1);
	d = out + sizeof(head) - 1;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)line[i];

		if (c == '"' || c == '\\') {
			*d++ = '\\';
			*d++ = (char)c;
		} else if (c < 0x20) {
			d += sprintf(d, "\\u%04x", c);
		} else {
			*d++ = (char)c;
		}
	}
	memcpy(d, tail, sizeof(tail));
	return out;
}

/* Do the two records hold the same event? */
static void same_event(size_t line, const rs_record_t *a, const rs_record_t *b)
{
	const size_t off[] = {
	    offsetof(rs_record_t, log_time),
	    offsetof(rs_record_t, log_host),
	    offsetof(rs_record_t, program),
	    offsetof(rs_record_t, queue_id),
	    offsetof(rs_record_t, recipient),
	    offsetof(rs_record_t, sender),
	    offsetof(rs_record_t, remote_host),
	    offsetof(rs_record_t, remote_ip),
	    offsetof(rs_record_t, reply_text),
	    offsetof(rs_record_t, vmta),
	    offsetof(rs_record_t, sending_ip),
	    offsetof(rs_record_t, job_id),
	    offsetof(rs_record_t, extra_tag),
	};

	assert_int_equal(a->status, b->status);
	assert_int_equal(a->reply_code, b->reply_code);
	assert_int_equal(a->log_time_ms, b->log_time_ms);
	for (size_t k = 0; k < N_ELEM(off); k++) {
		const rs_str_t *x =
		    (const rs_str_t *)((const char *)a + off[k]);
		const rs_str_t *y =
		    (const rs_str_t *)((const char *)b + off[k]);

		if (x->n != y->n || (x->n > 0 && memcmp(x->p, y->p, x->n))) {
			fail_msg("line %zu: field %zu [%.*s] wrapped [%.*s]",
			         line, k, (int)x->n, x->p ? x->p : "",
			         (int)y->n, y->p ? y->p : "");
		}
	}
}

/*
 * The stateful formats' fixtures, every line wrapped in a Filebeat
 * object, give the events the plain files give, line by line (PowerMTA
 * headers, split records and qmail start lines all read in the
 * envelope), under auto and under the file's format.
 */
static void test_wrapped_fixtures(void **state)
{
	static const struct {
		const char *rel;
		const rs_format_t *fmt;
	} files[] = {
	    {"pmta/bounce-readme-2016.csv", &rs_pmta_format},
	    {"pmta/bounce-reordered-2016.csv", &rs_pmta_format},
	    {"pmta/header-columns-sparkpost.csv", &rs_pmta_format},
	    {"pmta/header-multitype.csv", &rs_pmta_format},
	    {"pmta/headerless.csv", &rs_pmta_format},
	    {"pmta/v4-default-fields.csv", &rs_pmta_format},
	    {"qmail/fluentd-readme-2014.log", &rs_qmail_format},
	    {"qmail/plesk-syslog-2020.log", &rs_qmail_format},
	    {"qmail/mixed-stamps-2003.log", &rs_qmail_format},
	    {"qmail/matchup-doc.log", &rs_qmail_format},
	    {"qmail/tai64nlocal.log", &rs_qmail_format},
	    {"qmail/unixtime-2003.log", &rs_qmail_format},
	};
	static char arena2[ARENA_SIZE];
	size_t events = 0, with_aux = 0;

	(void)state;
	for (size_t f = 0; f < N_ELEM(files); f++) {
		for (int explicit = 0; explicit < 2; explicit ++) {
			const rs_format_t *fmt = explicit ? files[f].fmt : NULL;
			rs_test_fixture_t fx;
			char **plain, **wrapped;
			scanned_t a, b;

			assert_int_equal(
			    rs_test_fixture_load(files[f].rel, &fx), 0);
			plain = calloc(fx.count, sizeof(char *));
			wrapped = calloc(fx.count, sizeof(char *));
			assert_non_null(plain);
			assert_non_null(wrapped);
			for (size_t i = 0; i < fx.count; i++) {
				plain[i] = strndup(fx.line[i], fx.len[i]);
				assert_non_null(plain[i]);
				wrapped[i] = filebeat(fx.line[i], fx.len[i]);
			}
			scan_lines(&a, (const char *const *)plain, fx.count,
			           fmt);
			scan_lines(&b, (const char *const *)wrapped, fx.count,
			           fmt);
			for (size_t i = 0; i < fx.count; i++) {
				rs_record_t ra, rb;
				const char *wa, *wb;
				rs_parse_result_t pa, pb;

				pa = scanned_parse(&a, i, &ra, &wa);
				rb.arena = arena2;
				rb.arena_cap = sizeof(arena2);
				pb = rs_test_batch_parse(&b.b, i, fmt, NULL,
				                         &rb, &wb);
				if (pa != pb) {
					fail_msg("%s:%zu: %d, wrapped %d (%s)",
					         files[f].rel, i + 1, pa, pb,
					         wb ? wb : "");
				}
				assert_int_equal(a.b.lines[i].flags,
				                 b.b.lines[i].flags);
				with_aux += b.b.lines[i].aux_len > 0;
				if (pa == RS_PARSE_EVENT) {
					same_event(i + 1, &ra, &rb);
					events++;
				} else if (pa == RS_PARSE_MALFORMED) {
					assert_string_equal(wa, wb);
				}
			}
			scanned_free(&a);
			scanned_free(&b);
			for (size_t i = 0; i < fx.count; i++) {
				free(plain[i]);
				free(wrapped[i]);
			}
			free(plain);
			free(wrapped);
			rs_test_fixture_free(&fx);
		}
	}
	/* Not vacuous: events compared, side data read in envelopes. */
	assert_true(events > 20);
	assert_true(with_aux > 20);
}

/*
 * The workers take the line inside an envelope from the prescan's unwrap
 * (rs_envelope_pack) instead of walking the object again: every line of
 * the shippers' fixture, KumoMTA's and Haraka's JSON records and a few
 * more, under auto and under the stateful formats, parse through the
 * prescan's hand-over as they parse alone (result, reason, every field;
 * the year an RFC 3164 stamp takes from the object's time included).
 */
static void test_handoff(void **state)
{
	static const char *const files[] = {
	    "envelopes/shippers.jsonl", "kumomta/constructed.jsonl",
	    "kumomta/responses.jsonl", "haraka/json.log"};
	static const char *const extra[] = {
	    /* JSON escapes in the message: the line is copied over. */
	    "{\"@timestamp\":\"2026-01-02T00:00:00Z\",\"message\":\"Dec  6 "
	    "10:00:00 mx postfix/smtp[1]: 1A2B3C: to=<a@b.example>, "
	    "relay=mx.b.example[192.0.2.1]:25, delay=1, delays=0/0/0/1, "
	    "dsn=5.1.1, status=bounced (host mx.b.example[192.0.2.1] said: "
	    "550 5.1.1 \\\"no such user\\\" (in reply to RCPT TO command))\"}",
	    /* A bare MSG without time and host: stand-ins dropped. */
	    "{\"ident\":\"postfix/smtp\",\"msg\":\"1A2B3D: to=<c@d.example>, "
	    "relay=none, delay=1, delays=0/0/0/1, dsn=4.4.1, "
	    "status=deferred (connect to d.example[192.0.2.2]:25: "
	    "Connection timed out)\"}",
	    /* No message, a bad byte array, broken JSON: the worker says
	     * why. */
	    "{\"note\":\"no message here\"}",
	    "{\"MESSAGE\":[80,300],\"SYSLOG_IDENTIFIER\":\"postfix\"}",
	    "{\"message\":\"Dec  6 10:00:00 mx postfix/smtp[1]: x\"",
	};
	const rs_format_t *fmts[] = {NULL, &rs_qmail_format, &rs_pmta_format};
	static char arena2[ARENA_SIZE];
	size_t events = 0, handed = 0, bad = 0;

	(void)state;
	for (size_t fi = 0; fi <= N_ELEM(files); fi++) {
		rs_test_fixture_t fx;
		const char *const *lines;
		size_t n;

		if (fi < N_ELEM(files)) {
			assert_int_equal(rs_test_fixture_load(files[fi], &fx),
			                 0);
			lines = fx.line;
			n = fx.count;
		} else {
			lines = extra;
			n = N_ELEM(extra);
		}
		for (size_t f = 0; f < N_ELEM(fmts); f++) {
			const rs_format_t *fmt =
			    fmts[f] ? fmts[f] : rs_format_auto();
			char **c = calloc(n, sizeof(char *));
			scanned_t s;

			assert_non_null(c);
			for (size_t i = 0; i < n; i++) {
				c[i] =
				    strndup(lines[i], fi < N_ELEM(files)
				                          ? fx.len[i]
				                          : strlen(lines[i]));
				assert_non_null(c[i]);
			}
			scan_lines(&s, (const char *const *)c, n, fmts[f]);
			for (size_t i = 0; i < n; i++) {
				rs_record_t ra, rb;
				rs_logline_t ll;
				const char *wa = NULL, *wb;
				rs_parse_result_t pa, pb;

				if (s.fx.len[i] == 0 ||
				    s.fx.line[i][0] != '{') {
					continue;
				}
				/* Alone: the worker unwraps the line itself. */
				ra.arena = arena2;
				ra.arena_cap = sizeof(arena2);
				rs_record_reset(&ra);
				rs_logline_init(&ll, s.fx.line[i], s.fx.len[i]);
				ll.aux = s.b.aux.data + s.b.lines[i].aux_off;
				ll.aux_len = s.b.lines[i].aux_len;
				ll.aux_format = s.b.lines[i].aux_format;
				pa =
				    rs_format_parse_logline(fmt, &ll, &ra, &wa);
				pb = scanned_parse(&s, i, &rb, &wb);
				if (pa != pb) {
					fail_msg("%s:%zu under %s: %d, handed "
					         "over %d (%s)",
					         fi < N_ELEM(files) ? files[fi]
					                            : "extra",
					         i + 1, fmt->name, pa, pb,
					         wb ? wb : "");
				}
				handed += s.b.lines[i].unwrap_len > 0;
				if (pa == RS_PARSE_EVENT) {
					same_event(i + 1, &ra, &rb);
					assert_int_equal(ra.mta, rb.mta);
					events++;
				} else if (pa == RS_PARSE_MALFORMED) {
					/* A bad envelope is not handed over
					 * (a broken KumoMTA record is, as no
					 * envelope). */
					assert_string_equal(wa, wb);
					bad += s.b.lines[i].unwrap_len == 0;
				}
			}
			scanned_free(&s);
			for (size_t i = 0; i < n; i++) {
				free(c[i]);
			}
			free(c);
		}
		if (fi < N_ELEM(files)) {
			rs_test_fixture_free(&fx);
		}
	}
	/* Not vacuous: events compared, hand-overs read, bad lines. */
	assert_true(events > 20);
	assert_true(handed > 50);
	assert_true(bad >= 9);
}

/* Bytes that are no unwrap of the line they come with are a malformed
 * line with a reason, never a read past them. */
static void test_handoff_bad(void **state)
{
	static const char line[] = "{\"message\":\"Dec  6 10:00:00 mx x: y\"}";
	char blob[256];
	rs_logline_t ll;
	rs_record_t rec;
	const char *why = NULL;

	(void)state;
	memset(blob, 0x7f, sizeof(blob));
	rec.arena = arena;
	rec.arena_cap = sizeof(arena);
	for (size_t n = 0; n < sizeof(blob); n += 7) {
		rs_record_reset(&rec);
		rs_logline_init(&ll, line, sizeof(line) - 1);
		ll.unwrapped = blob;
		ll.unwrapped_len = n;
		assert_int_equal(
		    rs_format_parse_logline(rs_format_auto(), &ll, &rec, &why),
		    RS_PARSE_MALFORMED);
		assert_string_equal(
		    why, "JSON line: the prescan's unwrap is not of this line");
	}
}

/* Unwrap line with the prescan's options and pack it into out; the
 * result. */
static int pack_line(const char *line, size_t n, rs_buf_t *out)
{
	rs_logline_t ll, inner;
	rs_envelope_t env;
	rs_record_t rec;
	const char *why = NULL;
	int r;

	rec.arena = arena;
	rec.arena_cap = sizeof(arena);
	rs_record_reset(&rec);
	rs_logline_init(&ll, line, n);
	r = rs_envelope_unwrap(&ll, &rec, RS_ENVELOPE_BYTES, &inner, &env,
	                       &why);
	assert_int_equal(r, RS_ENVELOPE_LINE);
	assert_int_equal(rs_envelope_pack(out, &ll, r, &inner, &env), 0);
	rs_envelope_finish(&env, &rec, RS_PARSE_SKIP);
	return r;
}

/* Unpack blob against the first n bytes of line, from an exact-size copy
 * (ASan sees a read past it); the result, inner's bytes in *got. */
static int unpack_prefix(const char *line, size_t n, const char *blob,
                         size_t blob_len, char **got, size_t *got_len)
{
	char *c = malloc(n > 0 ? n : 1);
	char *b = malloc(blob_len > 0 ? blob_len : 1);
	rs_logline_t ll, inner;
	rs_envelope_t env;
	const char *why = NULL;
	int r;

	assert_non_null(c);
	assert_non_null(b);
	memcpy(c, line, n);
	memcpy(b, blob, blob_len);
	rs_logline_init(&ll, c, n);
	ll.unwrapped = b;
	ll.unwrapped_len = blob_len;
	r = rs_envelope_unpack(&ll, &inner, &env, &why);
	*got = NULL;
	*got_len = 0;
	if (r == RS_ENVELOPE_LINE) {
		*got = malloc(inner.n + 1);
		assert_non_null(*got);
		memcpy(*got, inner.p, inner.n);
		*got_len = inner.n;
	} else {
		assert_int_equal(r, RS_ENVELOPE_BAD);
		assert_string_equal(
		    why, "JSON line: the prescan's unwrap is not of this line");
	}
	free(c);
	free(b);
	return r;
}

/* A real pack read with a line or pack bytes it was not made for: the
 * line inside a shorter line (a slice past its end), the copied bytes cut
 * short or followed by more. Each is a malformed line with a reason,
 * never a read outside the line or the pack; read as made, the line
 * inside comes back whole. */
static void test_handoff_mismatch(void **state)
{
	static const char slice[] =
	    "{\"message\":\"Dec  6 10:00:00 mx postfix/smtp[1]: x: y\"}";
	static const char escaped[] =
	    "{\"message\":\"Dec  6 10:00:00 mx postfix/smtp[1]: \\\"x\\\"\"}";
	static const char inside[] = "Dec  6 10:00:00 mx postfix/smtp[1]: ";
	rs_buf_t a, b;
	char *got;
	size_t got_len, end = strlen("{\"message\":\"") + strlen(inside) + 4;

	(void)state;
	memset(&a, 0, sizeof(a));
	memset(&b, 0, sizeof(b));
	pack_line(slice, sizeof(slice) - 1, &a);
	pack_line(escaped, sizeof(escaped) - 1, &b);
	/* The slice: the line inside ends 2 bytes before the object. */
	assert_int_equal(unpack_prefix(slice, sizeof(slice) - 1, a.data, a.len,
	                               &got, &got_len),
	                 RS_ENVELOPE_LINE);
	assert_int_equal(got_len, end - strlen("{\"message\":\""));
	assert_memory_equal(got, slice + strlen("{\"message\":\""), got_len);
	free(got);
	for (size_t n = 0; n < end; n++) {
		assert_int_equal(
		    unpack_prefix(slice, n, a.data, a.len, &got, &got_len),
		    RS_ENVELOPE_BAD);
	}
	/* The copy: its bytes follow the pack's head, exactly. */
	assert_true(b.len > sizeof(inside) + 3);
	assert_int_equal(unpack_prefix(escaped, sizeof(escaped) - 1, b.data,
	                               b.len, &got, &got_len),
	                 RS_ENVELOPE_LINE);
	assert_int_equal(got_len, strlen(inside) + 3);
	assert_memory_equal(got, inside, strlen(inside));
	assert_memory_equal(got + strlen(inside), "\"x\"", 3);
	free(got);
	for (size_t n = 0; n < b.len; n++) {
		assert_int_equal(unpack_prefix(escaped, sizeof(escaped) - 1,
		                               b.data, n, &got, &got_len),
		                 RS_ENVELOPE_BAD);
	}
	rs_buf_append(&b, "z", 1);
	assert_int_equal(unpack_prefix(escaped, sizeof(escaped) - 1, b.data,
	                               b.len, &got, &got_len),
	                 RS_ENVELOPE_BAD);
	rs_buf_free(&a);
	rs_buf_free(&b);
}

static int teardown(void **state)
{
	(void)state;
	free(copy);
	copy = NULL;
	return 0;
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shippers),
	    cmocka_unit_test(test_negatives),
	    cmocka_unit_test(test_huge),
	    cmocka_unit_test(test_feb29),
	    cmocka_unit_test(test_native_json),
	    cmocka_unit_test(test_custom_field),
	    cmocka_unit_test(test_arena),
	    cmocka_unit_test(test_time_units),
	    cmocka_unit_test(test_sent),
	    cmocka_unit_test(test_nested_kumomta),
	    cmocka_unit_test(test_pmta_header),
	    cmocka_unit_test(test_pmta_negatives),
	    cmocka_unit_test(test_qmail),
	    cmocka_unit_test(test_kafka_batches),
	    cmocka_unit_test(test_wrapped_fixtures),
	    cmocka_unit_test(test_handoff),
	    cmocka_unit_test(test_handoff_bad),
	    cmocka_unit_test(test_handoff_mismatch),
	};

	return cmocka_run_group_tests(tests, NULL, teardown);
}
