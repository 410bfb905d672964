/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_haraka.c - the Haraka parser against every line of
 * tests/fixtures/haraka (expected values written out for each outcome;
 * every other line must be skipped): the real default-format lines in
 * their four prefix styles, the documentation's logfmt and JSON records,
 * and the constructed lines of the shapes no real line shows (logfmt and
 * JSON outcomes, deferrals, upstream errors); bad input (empty, 1 MB,
 * NUL, invalid UTF-8, other programs' logfmt and JSON, every truncation
 * of every line from an exact-size heap copy).
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
#include "formats/haraka.h"
#include "formats/kumomta.h"
#include "testutil.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

struct expect {
	const char *file;
	int line;
	rs_status_t status;
	rs_stage_t stage;
	uint32_t code;
	const char *enh;
	const char *qid;
	const char *rcpt;
	const char *host;
	const char *ip;
	uint32_t port;
	double delay;
	const char *log_host;
	int64_t time_ms; /* -1: not checked */
	const char *reply;
	const char *dom; /* recipient_domain when rcpt is NULL */
};

#define D RS_STATUS_DEFERRED
#define B RS_STATUS_BOUNCED
#define S RS_STATUS_SENT
#define E RS_STATUS_EXPIRED
#define RCPT RS_STAGE_RCPT_TO
#define U RS_STAGE_UNKNOWN
#define Q RS_STAGE_QUEUE

#define CU "C3C947A6-116E-45EA-94EA-A3E1383BA9D3.1.1"
#define GONE "The email account that you tried to reach does not exist."

static const struct expect outcomes[] = {
    {"haraka/default.log", 5, B, RCPT, 550, "5.1.1",
     "DAA706AE-4EA6-4651-816F-C14B4C0BED7E.6.1",
     "chnacllckelcialecteq@gmail.com", NULL, NULL, 0, -1, NULL, 0,
     "550 5.1.1 " GONE, NULL},
    {"haraka/default.log", 8, D, U, 0, NULL,
     "455AE8CF-0465-48B7-96F9-5834B6F62926.1.1", NULL, NULL, NULL, 0, -1, NULL,
     0, "Tried all MXs", NULL},
    {"haraka/fragments.log", 1, B, RCPT, 550, "5.1.1", NULL, "adfd@abhas.in",
     NULL, NULL, 0, -1, NULL, 0,
     "550 5.1.1 <adfd@abhas.in> User doesn't exist: adfd@abhas.in", NULL},
    {"haraka/multilog.log", 1, S, U, 0, NULL,
     "1B012E7A-4362-42CC-B2D5-27534802E482.1.1", NULL, "127.0.0.1", NULL, 24,
     0.048, NULL, 1784840128029LL,
     "<admin@sebarray.tech> JDnQAPCpYmqpMgAAAijahw Saved", "sebarray.tech"},
    {"haraka/syslog.log", 1, B, RCPT, 550, "5.7.1",
     "930E3B02-4254-4499-8294-70044A00835D.1.1", "user@hilleltoronto.org", NULL,
     NULL, 0, -1, "mxbt1", -1,
     "550 5.7.1 Service unavailable; Client host [107.6.51.128", NULL},
    {"haraka/syslog.log", 2, B, RCPT, 550, "5.1.1",
     "0E174DE1-B730-471F-AA64-4B7D27F814D5.1.1", "testmailing1@area13.com",
     NULL, NULL, 0, -1, "mta-gw", -1,
     "550 5.1.1 <testbadrcpt@remote.com>: Recipient address rejected", NULL},
    {"haraka/timestamps.log", 10, D, U, 0, NULL,
     "30A11DAA-D11E-4C8A-AF6E-42BB9C4D05B1.1.1", NULL, NULL, NULL, 0, -1, NULL,
     1606859864000LL, "Tried all MXs", NULL},
    {"haraka/timestamps.log", 12, D, U, 0, NULL,
     "30A11DAA-D11E-4C8A-AF6E-42BB9C4D05B1.1.1", NULL, NULL, NULL, 0, -1, NULL,
     1606859964000LL, "Tried all MXs", NULL},
    {"haraka/constructed.log", 1, D, RCPT, 451, "4.7.1", CU, "user@example.com",
     NULL, NULL, 0, -1, NULL, 0, "451 4.7.1 Please try again later", NULL},
    {"haraka/constructed.log", 3, D, U, 421, "4.7.0", CU, NULL, NULL, NULL, 0,
     -1, NULL, 0, "421 4.7.0 [TSS04] Messages from 192.0.2.1", NULL},
    {"haraka/constructed.log", 4, E, Q, 0, NULL, CU, NULL, NULL, NULL, 0, -1,
     NULL, 0, "Too many failures (Tried all MXs)", NULL},
    {"haraka/constructed.log", 6, D, RCPT, 451, "4.7.1", CU, "user@example.com",
     NULL, NULL, 0, -1, NULL, 0, "451 4.7.1 Please try again later", NULL},
    {"haraka/constructed.log", 7, B, RCPT, 550, "5.1.1", CU, "user@example.com",
     NULL, NULL, 0, -1, NULL, 0, "550 5.1.1 \"user\" unknown", NULL},
    {"haraka/constructed.log", 8, D, U, 0, NULL, CU, NULL, NULL, NULL, 0, -1,
     NULL, 0, "Tried all MXs", NULL},
    {"haraka/constructed.log", 9, S, U, 0, NULL, CU, NULL, "mx.example.com",
     "192.0.2.25", 25, 1.204, NULL, 0,
     "OK 1486375056 q1si1234567pgb.77 - gsmtp", "example.com"},
    {"haraka/constructed.log", 10, D, RCPT, 451, "4.7.1", CU,
     "user@example.com", NULL, NULL, 0, -1, NULL, 0,
     "451 4.7.1 Please try again later", NULL},
    {"haraka/constructed.log", 11, B, U, 550, "5.7.1", CU, NULL, NULL, NULL, 0,
     -1, NULL, 0, "550 5.7.1 Message rejected as \"spam\"", NULL},
    {"haraka/constructed.log", 12, S, U, 0, NULL, CU, NULL, "mx.example.com",
     "192.0.2.25", 25, 1.204, NULL, 0,
     "OK 1486375056 q1si1234567pgb.77 - gsmtp", "example.com"},
    {"haraka/constructed.log", 13, B, RCPT, 550, "5.1.1", CU,
     "user@example.com", NULL, NULL, 0, -1, NULL, 1580786387480LL,
     "550 5.1.1 " GONE, NULL},
    {"haraka/constructed.log", 14, D, U, 421, "4.7.0", CU, NULL, NULL, NULL, 0,
     -1, "mxbt1", -1, "421 4.7.0 Try again later", NULL},
    /* A patched hmail.js writes "Bouncing mail:" (capital B). */
    {"haraka/bullmq-2024.log", 49, B, U, 550, "5.7.26",
     "78407A3F-31FC-4937-80E7-A52CBDCAB1A4.1.1", NULL, NULL, NULL, 0, -1, NULL,
     0,
     "550 5.7.26 Your email has been blocked because the sender is "
     "unauthenticated. 5.7.26 Gmail requires all senders",
     NULL},
    /* The delivered line names the domain, not the recipient. */
    {"haraka/cloudron-2020.log", 15, S, U, 0, NULL,
     "D33D6290-C923-4DAC-A4B4-D0E7B8FAF010.1.1", NULL,
     "in1-smtp.messagingengine.com", "66.111.4.74", 25, 4.565, NULL,
     1606860918000LL, "Queued as BA5AF7A207E", "letterboxes.org"},
    {"haraka/nullmx-2026.log", 13, B, U, 0, NULL,
     "69D20955-F582-46D8-BE03-1EF15F7F98B8.1.1", NULL, NULL, NULL, 0, -1, NULL,
     1784835870610LL,
     "Domain example.com sends and receives no email (NULL MX)", NULL},
};

static const char *const files[] = {
    "haraka/default.log",     "haraka/fragments.log",
    "haraka/json.log",        "haraka/logfmt.log",
    "haraka/multilog.log",    "haraka/syslog.log",
    "haraka/timestamps.log",  "haraka/constructed.log",
    "haraka/bullmq-2024.log", "haraka/cloudron-2020.log",
    "haraka/nullmx-2026.log",
};

static char arena[65536];

static rs_parse_result_t parse(const rs_format_t *fmt, const char *p, size_t n,
                               rs_record_t *rec, const char **why)
{
	memset(rec, 0, sizeof(*rec));
	rec->arena = arena;
	rec->arena_cap = sizeof(arena);
	rs_record_reset(rec);
	return rs_format_parse(fmt, p, n, rec, why);
}

static void check(const struct expect *x, const rs_record_t *rec)
{
	assert_int_equal(rec->mta, RS_MTA_HARAKA);
	assert_int_equal(rec->status, x->status);
	assert_int_equal(rec->stage, x->stage);
	assert_int_equal(rec->reply_code, x->code);
	rs_test_check_str("enhanced_code", x->line, rec->enhanced_code, x->enh);
	rs_test_check_str("queue_id", x->line, rec->queue_id, x->qid);
	rs_test_check_str("recipient", x->line, rec->recipient, x->rcpt);
	if (x->rcpt == NULL) {
		rs_test_check_str("recipient_domain", x->line,
		                  rec->recipient_domain, x->dom);
	}
	rs_test_check_str("remote_host", x->line, rec->remote_host, x->host);
	rs_test_check_str("remote_ip", x->line, rec->remote_ip, x->ip);
	assert_int_equal(rec->remote_port, x->port);
	rs_test_check_secs("delay", x->line, rec->delays.total, x->delay);
	rs_test_check_str("log_host", x->line, rec->log_host, x->log_host);
	if (x->time_ms >= 0) { /* syslog stamps have no year: -1 */
		assert_int_equal(rec->log_time_ms, x->time_ms);
	}
	assert_null(rec->sending_ip.p);
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

/* Every fixture line, read as the pipeline reads it: the outcomes as
 * listed, everything else skipped. */
static void test_fixtures(void **state)
{
	(void)state;
	assert_int_equal(rs_test_outcomes(&rs_haraka_format, files,
	                                  N_ELEM(files), find_outcome,
	                                  check_outcome, arena, sizeof(arena)),
	                 N_ELEM(outcomes));
}

/* Lines that look like Haraka's but are not, and broken records. */
static void test_not_haraka(void **state)
{
	static const char *const others[] = {
	    "level=info msg=\"hello\" uuid=x",
	    "{\"level\":\"info\",\"msg\":\"hello\"}",
	    "[info] [x] [outbound] recipient <a@b> rejected: 550 x",
	    "Jul  5 10:00:00 mx postfix/smtp[2]: [NOTICE] [x] [outbound] x",
	};
	rs_record_t rec;
	const char *why;
	rs_logline_t ll;

	(void)state;
	for (size_t i = 0; i < N_ELEM(others); i++) {
		rs_logline_init(&ll, others[i], strlen(others[i]));
		if (rs_haraka_format.detect(&ll)) {
			fail_msg("detected: %s", others[i]);
		}
	}
	/* Haraka's JSON is not KumoMTA's. */
	rs_logline_init(&ll, "{\"level\":\"NOTICE\",\"uuid\":\"x\"}", 29);
	assert_false(rs_kumomta_format.detect(&ll));
	assert_int_equal(parse(&rs_haraka_format, "hello", 5, &rec, &why),
	                 RS_PARSE_MALFORMED);
	assert_int_equal(
	    parse(&rs_haraka_format, "[NOTICE] [x] [outbound", 22, &rec, &why),
	    RS_PARSE_MALFORMED);
	assert_int_equal(parse(&rs_haraka_format,
	                       "level=NOTICE uuid=x origin=outbound", 35, &rec,
	                       &why),
	                 RS_PARSE_MALFORMED);
	assert_string_equal(why,
	                    "Haraka logfmt record without a message= field");
	assert_int_equal(
	    parse(&rs_haraka_format,
	          "{\"level\":\"NOTICE\",\"uuid\":\"x\",\"origin\":"
	          "\"outbound\",\"message\":1}",
	          56, &rec, &why),
	    RS_PARSE_MALFORMED);
	assert_int_equal(
	    parse(&rs_haraka_format,
	          "{\"level\":\"NOTICE\",\"uuid\":\"x\",\"origin\":"
	          "\"outbound\"} x",
	          48, &rec, &why),
	    RS_PARSE_MALFORMED);
	assert_int_equal(
	    parse(&rs_haraka_format,
	          "[INFO] [x] [outbound] Temp failing f for 64 sec", 47, &rec,
	          &why),
	    RS_PARSE_MALFORMED);
	/* Another program's syslog line: not ours, skipped. */
	assert_int_equal(parse(&rs_haraka_format,
	                       "Jul  5 10:00:00 mx kernel: eth0 up", 34, &rec,
	                       &why),
	                 RS_PARSE_SKIP);
}

static rs_parse_result_t parse_exact(const char *line, size_t len)
{
	return rs_test_parse_exact(&rs_haraka_format, line, len, NULL, 0, arena,
	                           sizeof(arena));
}

static void test_truncation(void **state)
{
	size_t cuts = 0, events = 0;

	(void)state;
	rs_test_cut_fixtures(&rs_haraka_format, files, N_ELEM(files), NULL, 0,
	                     arena, sizeof(arena), &cuts, &events);
	assert_true(cuts > 8000);
	assert_true(events > 1000);
}

static void test_bad_input(void **state)
{
	static const char head[] =
	    "[NOTICE] [x.1.1] [outbound] recipient <a@b.example> rejected: ";
	static const char json_head[] =
	    "{\"level\":\"NOTICE\",\"uuid\":\"x\",\"origin\":\"outbound\","
	    "\"message\":\"recipient <a@b.example> rejected: 550 ";
	const size_t big = 1024 * 1024;
	rs_record_t rec;
	const char *why;
	char *buf;
	size_t n = sizeof(head) - 1;

	(void)state;
	assert_int_equal(parse_exact("", 0), RS_PARSE_SKIP);
	assert_int_equal(parse(&rs_haraka_format, "", 0, &rec, &why),
	                 RS_PARSE_SKIP);
	buf = malloc(big + 256);
	assert_non_null(buf);
	memcpy(buf, head, n);
	memcpy(buf + n, "550 ", 4);
	memset(buf + n + 4, 'x', big);
	assert_int_equal(parse(&rs_haraka_format, buf, n + 4 + big, &rec, &why),
	                 RS_PARSE_EVENT);
	assert_int_equal(rec.reply_text.n, big + 4);
	assert_int_equal(parse_exact(buf, n + 4 + big), RS_PARSE_EVENT);
	/* A 1 MB JSON message with escapes: decoded into the arena, or
	 * refused when it does not fit, never overrun. */
	memcpy(buf, json_head, sizeof(json_head) - 1);
	for (size_t i = 0; i < big / 2; i++) {
		memcpy(buf + sizeof(json_head) - 1 + 2 * i, "\\\"", 2);
	}
	memcpy(buf + sizeof(json_head) - 1 + big, "\"}", 2);
	assert_int_equal(parse(&rs_haraka_format, buf,
	                       sizeof(json_head) - 1 + big + 2, &rec, &why),
	                 RS_PARSE_MALFORMED);
	free(buf);
	/* NUL in the reply; invalid UTF-8 carried as bytes. */
	{
		char line[128];
		memcpy(line, head, n);
		memcpy(line + n, "550 a\0b", 7);
		assert_int_equal(
		    parse(&rs_haraka_format, line, n + 7, &rec, &why),
		    RS_PARSE_EVENT);
		assert_int_equal(rec.reply_text.n, 7);
		memcpy(line + n, "550 \xff\xfe\xc3(", 8);
		assert_int_equal(
		    parse(&rs_haraka_format, line, n + 8, &rec, &why),
		    RS_PARSE_EVENT);
		rs_test_check_str("reply_text", 0, rec.reply_text,
		                  "550 \xff\xfe\xc3(");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixtures),
	    cmocka_unit_test(test_not_haraka),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
