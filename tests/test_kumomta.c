/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_kumomta.c - the KumoMTA JSON record parser and its JSON reader.
 *
 * Records come from tests/fixtures/kumomta/ (README there: the failure
 * records are constructed from real Reception records and real response
 * objects). Broken JSON, wrong types, deep nesting, bad escapes and a full
 * arena are written out below. Every parse runs on a heap copy of exactly
 * the line's length so that AddressSanitizer reports any over-read.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/kumomta.h"
#include "testutil.h"

static rs_test_fixture_t constructed; /* constructed.jsonl */
static rs_test_fixture_t reception;   /* reception.jsonl */

static int group_setup(void **state)
{
	(void)state;
	if (rs_test_fixture_load("kumomta/constructed.jsonl", &constructed) !=
	        0 ||
	    rs_test_fixture_load("kumomta/reception.jsonl", &reception) != 0) {
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	rs_test_fixture_free(&constructed);
	rs_test_fixture_free(&reception);
	return 0;
}

/* One parse of a heap copy of the line, with an arena of arena_cap. */
typedef struct parsed {
	rs_record_t rec;
	char *copy;
	char *arena;
	rs_parse_result_t res;
	const char *why;
} parsed_t;

/* Parse a copy of [line, line+len); arena_cap 0 means no arena at all. */
static void parse(parsed_t *p, const char *line, size_t len, size_t arena_cap)
{
	memset(p, 0, sizeof(*p));
	p->copy = malloc(len > 0 ? len : 1);
	assert_non_null(p->copy);
	memcpy(p->copy, line, len);
	if (arena_cap > 0) {
		p->arena = malloc(arena_cap);
		assert_non_null(p->arena);
		p->rec.arena = p->arena;
		p->rec.arena_cap = arena_cap;
	}
	rs_record_reset(&p->rec);
	p->res =
	    rs_format_parse(&rs_kumomta_format, p->copy, len, &p->rec, &p->why);
}

static void release(parsed_t *p)
{
	free(p->copy);
	free(p->arena);
	p->copy = p->arena = NULL;
}

#define INTERNAL "KumoMTA internal: failed to connect to any candidate hosts: "
#define ID1 "f68462cf36ca11ee99f450ebf67f93bd"
#define ID2 "44d70f50e60111ed8162000d3afc4acf"

/* What the record of one constructed.jsonl line must hold. */
typedef struct row {
	int line;
	rs_status_t status;
	rs_stage_t stage;
	uint32_t code;
	const char *enhanced;
	const char *host;
	const char *ip;
	uint32_t port;
	const char *rcpt;
	const char *domain;
	const char *qid;
	const char *sender;
	const char *text; /* reply_text, or its first bytes if text_len */
	size_t text_len;
	const char *log_time;
	int64_t ms;
} row_t;

/* Fields shared by the records built on Reception record 1 / 2. */
#define R1                                                                     \
	.rcpt = "wez@example.com.org", .domain = "example.com.org",            \
	.qid = ID1, .sender = "wez@example.com", .log_time = "1691595584",     \
	.ms = 1691595584000LL
#define R2                                                                     \
	.rcpt = "recipient@example.com", .domain = "example.com", .qid = ID2,  \
	.sender = "noreply@example.com", .log_time = "1682712864",             \
	.ms = 1682712864000LL

static const row_t rows[] = {
    /* kumod's own 400: no SMTP reply, stage connect (decision). */
    {.line = 1,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_CONNECT,
     .host = "foo.lan",
     .ip = "127.0.0.1",
     R1,
     .text = INTERNAL,
     .text_len = 385},
    {.line = 2,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_END_OF_DATA,
     .code = 451,
     .host = "foo.lan",
     .ip = "127.0.0.1",
     R1,
     .text = "disconnecting disconnect-in-data-no-421"},
    {.line = 3,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_MAIL_FROM,
     .code = 421,
     .host = "foo.lan",
     .ip = "127.0.0.1",
     R1,
     .text = "disconnecting 421-disconnect-me"},
    {.line = 4,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_END_OF_DATA,
     .code = 550,
     .enhanced = "5.7.1",
     .host = "foo.lan",
     .ip = "127.0.0.1",
     R1,
     .text = "relaying not permitted"},
    {.line = 5,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_RCPT_TO,
     .code = 501,
     .enhanced = "5.1.3",
     .host = "foo.lan",
     .ip = "127.0.0.1",
     R1,
     .text = "Invalid recipient address syntax"},
    /* An empty peer name is no host. */
    {.line = 6,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_CONNECT,
     .ip = "127.0.0.1",
     R2,
     .text = INTERNAL,
     .text_len = 664},
    {.line = 7,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_CONNECT,
     .ip = "127.0.0.1",
     R2,
     .text = INTERNAL,
     .text_len = 805},
    {.line = 8,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_CONNECT,
     .ip = "127.0.0.1",
     R2,
     .text = INTERNAL,
     .text_len = 243},
    {.line = 9,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_CONNECT,
     .ip = "127.0.0.1",
     R2,
     .text = INTERNAL,
     .text_len = 466},
    /* command "." without CRLF. */
    {.line = 10,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_END_OF_DATA,
     .code = 421,
     .enhanced = "4.7.0",
     .ip = "127.0.0.1",
     R2,
     .text = "[TSS04] Messages from a.b.c.d temporarily deferred due to "
             "user complaints"},
    {.line = 11,
     .status = RS_STATUS_SENT,
     .stage = RS_STAGE_UNKNOWN,
     .code = 250,
     .host = "foo.lan",
     .ip = "127.0.0.1",
     R1,
     .text = ""},
    /* Expiration is stage queue whatever the last command was. */
    {.line = 12,
     .status = RS_STATUS_EXPIRED,
     .stage = RS_STAGE_QUEUE,
     .code = 451,
     .ip = "127.0.0.1",
     R2,
     .text = "disconnecting disconnect-in-data-no-421"},
    /* recipient as an array: the first one. */
    {.line = 13,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_RCPT_TO,
     .code = 501,
     .enhanced = "5.1.3",
     .host = "foo.lan",
     .ip = "127.0.0.1",
     R1,
     .text = "Invalid recipient address syntax"},
    /* "type" last. */
    {.line = 14,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_END_OF_DATA,
     .code = 550,
     .enhanced = "5.7.1",
     .host = "foo.lan",
     .ip = "127.0.0.1",
     R1,
     .text = "relaying not permitted"},
    {.line = 15,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_END_OF_DATA,
     .code = 421,
     .enhanced = "4.7.0",
     .host = "mx.example.net",
     .ip = "2001:db8::25",
     .port = 25,
     R2,
     .text = "[TSS04] Messages from a.b.c.d temporarily deferred due to "
             "user complaints"},
    /* Every escape kind, decoded into the arena. */
    {.line = 16,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_MAIL_FROM,
     .code = 421,
     .host = "mx.example.net",
     .ip = "192.0.2.25",
     .port = 25,
     R1,
     .text = "quoted \"x\" back\\slash / \xc3\xa9 \xf0\x9f\x98\x80 "
             "tab\tend"},
};

static void test_constructed_records(void **state)
{
	(void)state;
	assert_int_equal(constructed.count, 16);
	for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
		const row_t *r = &rows[i];
		parsed_t p;

		parse(&p, constructed.line[r->line - 1],
		      constructed.len[r->line - 1], 4096);
		if (p.res != RS_PARSE_EVENT) {
			fprintf(stderr, "line %d: result %d (%s)\n", r->line,
			        (int)p.res, p.why != NULL ? p.why : "");
			fail();
		}
		assert_int_equal(p.rec.mta, RS_MTA_KUMOMTA);
		assert_int_equal(p.rec.status, r->status);
		assert_int_equal(p.rec.stage, r->stage);
		assert_int_equal(p.rec.reply_code, r->code);
		rs_test_check_str("enhanced_code", r->line, p.rec.enhanced_code,
		                  r->enhanced);
		rs_test_check_str("remote_host", r->line, p.rec.remote_host,
		                  r->host);
		rs_test_check_str("remote_ip", r->line, p.rec.remote_ip, r->ip);
		assert_int_equal(p.rec.remote_port, r->port);
		rs_test_check_str("recipient", r->line, p.rec.recipient,
		                  r->rcpt);
		rs_test_check_str("recipient_domain", r->line,
		                  p.rec.recipient_domain, r->domain);
		rs_test_check_str("queue_id", r->line, p.rec.queue_id, r->qid);
		rs_test_check_str("sender", r->line, p.rec.sender, r->sender);
		if (r->text_len > 0) {
			assert_int_equal(p.rec.reply_text.n, r->text_len);
			assert_memory_equal(p.rec.reply_text.p, r->text,
			                    strlen(r->text));
		} else {
			rs_test_check_str("reply_text", r->line,
			                  p.rec.reply_text, r->text);
		}
		rs_test_check_str("log_time", r->line, p.rec.log_time,
		                  r->log_time);
		assert_int_equal(p.rec.log_time_ms, r->ms);
		/* created == timestamp in every Reception record. */
		assert_true(p.rec.delays.total == 0.0);
		release(&p);
	}
}

static void test_reception_skipped(void **state)
{
	(void)state;
	assert_int_equal(reception.count, 2);
	for (size_t i = 0; i < reception.count; i++) {
		parsed_t p;

		parse(&p, reception.line[i], reception.len[i], 4096);
		assert_int_equal(p.res, RS_PARSE_SKIP);
		release(&p);
	}
}

/* Every proper prefix of every record is broken JSON. */
static void test_truncated(void **state)
{
	const rs_test_fixture_t *files[] = {&constructed, &reception};

	(void)state;
	for (size_t f = 0; f < 2; f++) {
		for (size_t i = 0; i < files[f]->count; i++) {
			for (size_t cut = 0; cut < files[f]->len[i]; cut++) {
				parsed_t p;

				parse(&p, files[f]->line[i], cut, 4096);
				if (p.res != RS_PARSE_MALFORMED) {
					fprintf(stderr,
					        "file %zu line %zu cut %zu: "
					        "result %d\n",
					        f, i + 1, cut, (int)p.res);
					fail();
				}
				assert_non_null(p.why);
				release(&p);
			}
		}
	}
}

/* A line and the result it must give; len 0 means strlen. */
typedef struct input {
	const char *text;
	size_t len;
	rs_parse_result_t res;
	const char *why_has; /* a phrase of the reason, or NULL */
} input_t;

static const input_t inputs[] = {
    /* Not an object, or not JSON. */
    {"", 0, RS_PARSE_MALFORMED, "not a JSON object"},
    {"   ", 0, RS_PARSE_MALFORMED, "not a JSON object"},
    {"x", 0, RS_PARSE_MALFORMED, "not a JSON object"},
    {"[]", 0, RS_PARSE_MALFORMED, "not a JSON object"},
    {"\"Bounce\"", 0, RS_PARSE_MALFORMED, "not a JSON object"},
    {"null", 0, RS_PARSE_MALFORMED, "not a JSON object"},
    {"2024-03-01 09:00:00 1rAbCd-0001Xy-7k == a@b", 0, RS_PARSE_MALFORMED,
     NULL},
    {"{", 0, RS_PARSE_MALFORMED, NULL},
    {"}", 0, RS_PARSE_MALFORMED, NULL},
    {"{}", 0, RS_PARSE_MALFORMED, "no \"type\""},
    {"{\"id\":\"x\"}", 0, RS_PARSE_MALFORMED, "no \"type\""},
    /* Syntax errors around members. */
    {"{\"type\":\"Bounce\"} x", 0, RS_PARSE_MALFORMED, "text after"},
    {"{\"type\":\"Bounce\"}{}", 0, RS_PARSE_MALFORMED, "text after"},
    {"{\"type\":\"Bounce\",}", 0, RS_PARSE_MALFORMED, NULL},
    {"{,\"type\":\"Bounce\"}", 0, RS_PARSE_MALFORMED, NULL},
    {"{'type':'Bounce'}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\" \"Bounce\"}", 0, RS_PARSE_MALFORMED, "expected ':'"},
    {"{\"type\":\"Bounce\" \"id\":\"x\"}", 0, RS_PARSE_MALFORMED, NULL},
    {"{type:\"Bounce\"}", 0, RS_PARSE_MALFORMED, "quoted key"},
    {"{\"type\":}", 0, RS_PARSE_MALFORMED, "not a JSON value"},
    {"{\"type\":\"Bounce\",\"a\":[1,2,]}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce\",\"a\":[,1]}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce\",\"a\":[1 2]}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce\",\"a\":{\"k\"}}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce\",\"a\":{\"k\":}}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce\",\"a\":{\"k\":1]}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce", 0, RS_PARSE_MALFORMED, "unterminated"},
    /* Numbers and literals. */
    {"{\"type\":\"Bounce\",\"n\":01}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce\",\"n\":1.}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce\",\"n\":-}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce\",\"n\":1e}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce\",\"n\":.5}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce\",\"n\":+1}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce\",\"n\":0x10}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce\",\"n\":tru}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce\",\"n\":nul}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce\",\"n\":True}", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce\",\"n\":NaN}", 0, RS_PARSE_MALFORMED, NULL},
    /* Strings: control bytes, bad escapes, lone surrogates. */
    {"{\"type\":\"Bou\nce\"}", 0, RS_PARSE_MALFORMED, "control byte"},
    {"{\"type\":\"Bou\tce\"}", 0, RS_PARSE_MALFORMED, "control byte"},
    {"{\"type\":\"Bounce\",\"s\":\"a\0b\"}", 27, RS_PARSE_MALFORMED,
     "control byte"},
    {"{\"type\":\"Bounce\"}\0", 18, RS_PARSE_MALFORMED, "text after"},
    {"{\"type\":\"Bounce\",\"s\":\"\\x\"}", 0, RS_PARSE_MALFORMED,
     "unknown escape"},
    {"{\"type\":\"Bounce\",\"s\":\"\\u12\"}", 0, RS_PARSE_MALFORMED,
     "four hex"},
    {"{\"type\":\"Bounce\",\"s\":\"\\uZZZZ\"}", 0, RS_PARSE_MALFORMED,
     "four hex"},
    {"{\"type\":\"Bounce\",\"s\":\"\\", 0, RS_PARSE_MALFORMED, NULL},
    {"{\"type\":\"Bounce\",\"response\":{\"content\":\"\\ud800\"}}", 0,
     RS_PARSE_MALFORMED, "surrogate"},
    {"{\"type\":\"Bounce\",\"response\":{\"content\":\"\\udc00\"}}", 0,
     RS_PARSE_MALFORMED, "surrogate"},
    {"{\"type\":\"Bounce\",\"response\":{\"content\":\"\\ud800\\u0041\"}}", 0,
     RS_PARSE_MALFORMED, "surrogate"},
    {"{\"type\":\"Bounce\",\"response\":{\"content\":\"x\\ud83dy\"}}", 0,
     RS_PARSE_MALFORMED, "surrogate"},
    /* Wrong types for the fields read. */
    {"{\"type\":1}", 0, RS_PARSE_MALFORMED, "no \"type\""},
    {"{\"type\":null}", 0, RS_PARSE_MALFORMED, "no \"type\""},
    {"{\"type\":[\"Bounce\"]}", 0, RS_PARSE_MALFORMED, "no \"type\""},
    {"{\"type\":\"Bounce\",\"id\":7}", 0, RS_PARSE_MALFORMED, "\"id\""},
    {"{\"type\":\"Bounce\",\"sender\":true}", 0, RS_PARSE_MALFORMED,
     "\"sender\""},
    {"{\"type\":\"Bounce\",\"recipient\":5}", 0, RS_PARSE_MALFORMED,
     "\"recipient\""},
    {"{\"type\":\"Bounce\",\"recipient\":[5]}", 0, RS_PARSE_MALFORMED,
     "\"recipient\""},
    {"{\"type\":\"Bounce\",\"recipient\":{}}", 0, RS_PARSE_MALFORMED,
     "\"recipient\""},
    {"{\"type\":\"Bounce\",\"timestamp\":true}", 0, RS_PARSE_MALFORMED,
     "\"timestamp\""},
    {"{\"type\":\"Bounce\",\"timestamp\":{}}", 0, RS_PARSE_MALFORMED,
     "\"timestamp\""},
    {"{\"type\":\"Bounce\",\"peer_address\":[]}", 0, RS_PARSE_MALFORMED,
     "\"peer_address\""},
    {"{\"type\":\"Bounce\",\"peer_address\":{\"addr\":1}}", 0,
     RS_PARSE_MALFORMED, "addr"},
    {"{\"type\":\"Bounce\",\"peer_address\":{\"name\":[]}}", 0,
     RS_PARSE_MALFORMED, "name"},
    {"{\"type\":\"Bounce\",\"response\":\"550 no\"}", 0, RS_PARSE_MALFORMED,
     "\"response\""},
    {"{\"type\":\"Bounce\",\"response\":{\"code\":\"550\"}}", 0,
     RS_PARSE_MALFORMED, "response.code"},
    {"{\"type\":\"Bounce\",\"response\":{\"code\":-1}}", 0, RS_PARSE_MALFORMED,
     "response.code"},
    {"{\"type\":\"Bounce\",\"response\":{\"code\":5.5}}", 0, RS_PARSE_MALFORMED,
     "response.code"},
    {"{\"type\":\"Bounce\",\"response\":{\"content\":550}}", 0,
     RS_PARSE_MALFORMED, "response.content"},
    {"{\"type\":\"Bounce\",\"response\":{\"command\":5}}", 0,
     RS_PARSE_MALFORMED, "response.command"},
    {"{\"type\":\"Bounce\",\"response\":{\"enhanced_code\":\"5.1.1\"}}", 0,
     RS_PARSE_MALFORMED, "enhanced_code"},
    {"{\"type\":\"Bounce\",\"response\":{\"enhanced_code\":{\"class\":5,"
     "\"subject\":1}}}",
     0, RS_PARSE_MALFORMED, "enhanced_code"},
    {"{\"type\":\"Bounce\",\"response\":{\"enhanced_code\":{\"class\":7,"
     "\"subject\":1,\"detail\":1}}}",
     0, RS_PARSE_MALFORMED, "enhanced_code"},
    {"{\"type\":\"Bounce\",\"response\":{\"enhanced_code\":{\"class\":5,"
     "\"subject\":1000,\"detail\":1}}}",
     0, RS_PARSE_MALFORMED, "enhanced_code"},
    {"{\"type\":\"Bounce\",\"response\":{\"enhanced_code\":{\"class\":\"5\","
     "\"subject\":1,\"detail\":1}}}",
     0, RS_PARSE_MALFORMED, "enhanced_code"},
    /* Valid, and not (or not yet) a failure. */
    {"{\"type\":\"Reception\"}", 0, RS_PARSE_SKIP, NULL},
    {"{\"type\":\"AdminBounce\"}", 0, RS_PARSE_SKIP, NULL},
    {"{\"type\":\"OOB\"}", 0, RS_PARSE_SKIP, NULL},
    {"{\"type\":\"Feedback\"}", 0, RS_PARSE_SKIP, NULL},
    {"{\"type\":\"Rejection\"}", 0, RS_PARSE_SKIP, NULL},
    {"{\"type\":\"bounce\"}", 0, RS_PARSE_SKIP, NULL},
    /* Valid failures with little in them. */
    {"{\"type\":\"Bounce\"}", 0, RS_PARSE_EVENT, NULL},
    {" \t{ \"type\" : \"TransientFailure\" , \"recipient\" : [ ] } \r\n", 0,
     RS_PARSE_EVENT, NULL},
    {"{\"type\":\"Bounce\",\"id\":null,\"sender\":null,\"recipient\":null,"
     "\"peer_address\":null,\"response\":null,\"timestamp\":null}",
     0, RS_PARSE_EVENT, NULL},
    /* A lone surrogate where nothing is decoded is only syntax. */
    {"{\"type\":\"Bounce\",\"meta\":{\"a\":\"\\ud800\",\"b\":[true,false,"
     "null,-0.5e+3,{}]}}",
     0, RS_PARSE_EVENT, NULL},
};

static void test_inputs(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(inputs) / sizeof(inputs[0]); i++) {
		const input_t *in = &inputs[i];
		size_t len = in->len > 0 ? in->len : strlen(in->text);
		parsed_t p;

		parse(&p, in->text, len, 4096);
		if (p.res != in->res ||
		    (in->why_has != NULL &&
		     (p.why == NULL || strstr(p.why, in->why_has) == NULL))) {
			fprintf(stderr, "input %zu %s: result %d (%s)\n", i,
			        in->text, (int)p.res,
			        p.why != NULL ? p.why : "no reason");
			fail();
		}
		if (p.res == RS_PARSE_MALFORMED) {
			assert_non_null(p.why);
		}
		release(&p);
	}
}

/* A minimal record carries what it has and nothing else. */
static void test_minimal_record(void **state)
{
	static const char line[] =
	    "{\"type\":\"Bounce\",\"timestamp\":1700000010.5,"
	    "\"created\":1700000000,\"recipient\":[\"a@b.example\",\"c@d\"],"
	    "\"response\":{\"code\":999,\"content\":\"x\",\"command\":"
	    "\"DATA\\r\\n\"},\"peer_address\":{\"addr\":\"192.0.2.7\"}}";
	parsed_t p;

	(void)state;
	parse(&p, line, sizeof(line) - 1, 64);
	assert_int_equal(p.res, RS_PARSE_EVENT);
	assert_int_equal(p.rec.status, RS_STATUS_BOUNCED);
	assert_int_equal(p.rec.stage, RS_STAGE_DATA);
	/* 999 is not an SMTP code. */
	assert_int_equal(p.rec.reply_code, 0);
	rs_test_check_str("reply_text", 0, p.rec.reply_text, "x");
	rs_test_check_str("recipient", 0, p.rec.recipient, "a@b.example");
	rs_test_check_str("recipient_domain", 0, p.rec.recipient_domain,
	                  "b.example");
	rs_test_check_str("remote_ip", 0, p.rec.remote_ip, "192.0.2.7");
	assert_int_equal(p.rec.remote_port, 0);
	rs_test_check_str("remote_host", 0, p.rec.remote_host, NULL);
	rs_test_check_str("queue_id", 0, p.rec.queue_id, NULL);
	rs_test_check_str("sender", 0, p.rec.sender, NULL);
	rs_test_check_str("log_time", 0, p.rec.log_time, "1700000010.5");
	assert_int_equal(p.rec.log_time_ms, 1700000010500LL);
	assert_true(p.rec.delays.total == 10.5);
	/* Nothing needed decoding: the arena stays empty. */
	assert_int_equal(p.rec.arena_used, 0);
	release(&p);
}

/* Escapes decode to the exact bytes, into the arena. */
static void test_escapes(void **state)
{
	static const struct {
		const char *json; /* the content string's body */
		const char *want;
		size_t want_len;
	} cases[] = {
	    {"\\u0000", "\0", 1},
	    {"a\\u0041\\u00e9\\u20ac", "aA\xc3\xa9\xe2\x82\xac", 7},
	    {"\\ud83d\\ude00", "\xf0\x9f\x98\x80", 4},
	    {"\\udbff\\udfff", "\xf4\x8f\xbf\xbf", 4},
	    {"\\\"\\\\\\/\\b\\f\\n\\r\\t", "\"\\/\b\f\n\r\t", 8},
	    {"\\u00E9", "\xc3\xa9", 2},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[256];
		int n = snprintf(line, sizeof(line),
		                 "{\"type\":\"Bounce\",\"response\":{"
		                 "\"content\":\"%s\"}}",
		                 cases[i].json);
		parsed_t p;

		parse(&p, line, (size_t)n, 64);
		assert_int_equal(p.res, RS_PARSE_EVENT);
		assert_int_equal(p.rec.reply_text.n, cases[i].want_len);
		assert_memory_equal(p.rec.reply_text.p, cases[i].want,
		                    cases[i].want_len);
		/* The copy lives in the arena, sized to what was decoded. */
		assert_ptr_equal(p.rec.reply_text.p, p.arena);
		assert_int_equal(p.rec.arena_used, cases[i].want_len);
		release(&p);
	}
}

/* A full or missing arena: raw slices still work, copies do not. */
static void test_arena_full(void **state)
{
	parsed_t p;

	(void)state;
	/* Line 2 has no escape in any field read (the command is decoded on
	 * the stack): it needs no arena at all. */
	parse(&p, constructed.line[1], constructed.len[1], 0);
	assert_int_equal(p.res, RS_PARSE_EVENT);
	assert_int_equal(p.rec.reply_code, 451);
	assert_int_equal(p.rec.stage, RS_STAGE_END_OF_DATA);
	release(&p);
	/* Line 4's enhanced code "5.7.1" takes 5 bytes of arena. */
	parse(&p, constructed.line[3], constructed.len[3], 0);
	assert_int_equal(p.res, RS_PARSE_MALFORMED);
	assert_non_null(strstr(p.why, "arena full"));
	release(&p);
	parse(&p, constructed.line[3], constructed.len[3], 4);
	assert_int_equal(p.res, RS_PARSE_MALFORMED);
	assert_non_null(strstr(p.why, "arena full"));
	release(&p);
	parse(&p, constructed.line[3], constructed.len[3], 5);
	assert_int_equal(p.res, RS_PARSE_EVENT);
	rs_test_check_str("enhanced_code", 0, p.rec.enhanced_code, "5.7.1");
	assert_int_equal(p.rec.arena_used, 5);
	release(&p);
	/* Line 16's escaped content needs its raw length (56 bytes) to
	 * decode into, and keeps 39. */
	parse(&p, constructed.line[15], constructed.len[15], 55);
	assert_int_equal(p.res, RS_PARSE_MALFORMED);
	assert_non_null(strstr(p.why, "arena full"));
	release(&p);
	parse(&p, constructed.line[15], constructed.len[15], 56);
	assert_int_equal(p.res, RS_PARSE_EVENT);
	assert_int_equal(p.rec.reply_text.n, 39);
	assert_int_equal(p.rec.arena_used, 39);
	release(&p);
}

/* Build {"type":"Bounce","meta":[[[...]]]} with depth nested arrays. */
static char *nested(size_t depth, size_t *len)
{
	static const char head[] = "{\"type\":\"Bounce\",\"meta\":";
	size_t hl = sizeof(head) - 1;
	char *s = malloc(hl + 2 * depth + 1);

	assert_non_null(s);
	memcpy(s, head, hl);
	memset(s + hl, '[', depth);
	memset(s + hl + depth, ']', depth);
	s[hl + 2 * depth] = '}';
	*len = hl + 2 * depth + 1;
	return s;
}

static void test_nesting(void **state)
{
	static const struct {
		size_t depth;
		rs_parse_result_t res;
	} cases[] = {
	    {1, RS_PARSE_EVENT},
	    {63, RS_PARSE_EVENT}, /* object + 63 arrays = depth 64 */
	    {64, RS_PARSE_MALFORMED},
	    {100000, RS_PARSE_MALFORMED},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		size_t len;
		char *s = nested(cases[i].depth, &len);
		parsed_t p;

		parse(&p, s, len, 64);
		assert_int_equal(p.res, cases[i].res);
		if (p.res == RS_PARSE_MALFORMED) {
			assert_non_null(strstr(p.why, "nested too deeply"));
		}
		release(&p);
		free(s);
	}
}

/* peer_address.addr forms. */
static void test_peer_addr(void **state)
{
	static const struct {
		const char *addr;
		const char *ip;
		uint32_t port;
	} cases[] = {
	    {"192.0.2.1:25", "192.0.2.1", 25},
	    {"192.0.2.1", "192.0.2.1", 0},
	    {"[2001:db8::1]:2525", "2001:db8::1", 2525},
	    {"[2001:db8::1]", "2001:db8::1", 0},
	    {"2001:db8::1", "2001:db8::1", 0},
	    {"192.0.2.1:99999", "192.0.2.1", 0},
	    {"192.0.2.1:PORT", "192.0.2.1", 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[256];
		int n = snprintf(line, sizeof(line),
		                 "{\"type\":\"TransientFailure\","
		                 "\"peer_address\":{\"name\":\"mx\","
		                 "\"addr\":\"%s\"}}",
		                 cases[i].addr);
		parsed_t p;

		parse(&p, line, (size_t)n, 64);
		assert_int_equal(p.res, RS_PARSE_EVENT);
		rs_test_check_str("remote_host", 0, p.rec.remote_host, "mx");
		rs_test_check_str("remote_ip", 0, p.rec.remote_ip, cases[i].ip);
		assert_int_equal(p.rec.remote_port, cases[i].port);
		release(&p);
	}
}

/* The sending side: egress pool and source, source_address, the queue
 * name's tenant and campaign, meta as the fallback. */
static void test_sending_side(void **state)
{
	static const struct {
		const char *fields;
		const char *ip, *pool, *source, *tenant, *campaign;
	} cases[] = {
	    {"\"queue\":\"spring:acme@gmail.com\",\"egress_pool\":\"pool-a\","
	     "\"egress_source\":\"ip-7\",\"source_address\":{\"address\":"
	     "\"198.51.100.7:53210\",\"protocol\":null}",
	     "198.51.100.7", "pool-a", "ip-7", "acme", "spring"},
	    {"\"queue\":\"acme@gmail.com!routing.example\",\"source_address\":"
	     "{\"address\":\"[2001:db8::7]:0\",\"server\":\"192.0.2.9:1080\","
	     "\"protocol\":\"socks5\"}",
	     "2001:db8::7", NULL, NULL, "acme", NULL},
	    {"\"queue\":\"gmail.com\",\"egress_pool\":null,\"meta\":{"
	     "\"tenant\":\"t9\",\"campaign\":\"c9\",\"n\":3}",
	     NULL, NULL, NULL, "t9", "c9"},
	    {"\"queue\":\"spring:@gmail.com\",\"meta\":{\"tenant\":\"t9\"}",
	     NULL, NULL, NULL, "t9", "spring"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char line[512];
		int n = snprintf(line, sizeof(line),
		                 "{\"type\":\"TransientFailure\",%s}",
		                 cases[i].fields);
		parsed_t p;

		parse(&p, line, (size_t)n, 256);
		if (p.res != RS_PARSE_EVENT) {
			fail_msg("case %zu: %s", i, p.why ? p.why : "");
		}
		rs_test_check_str("sending_ip", (int)i, p.rec.sending_ip,
		                  cases[i].ip);
		rs_test_check_str("sending_pool", (int)i, p.rec.sending_pool,
		                  cases[i].pool);
		rs_test_check_str("vmta", (int)i, p.rec.vmta, cases[i].source);
		rs_test_check_str("tenant", (int)i, p.rec.tenant,
		                  cases[i].tenant);
		rs_test_check_str("campaign", (int)i, p.rec.campaign,
		                  cases[i].campaign);
		release(&p);
	}
	{
		static const char bad[] =
		    "{\"type\":\"Bounce\",\"source_address\":\"10.0.0.1\"}";
		parsed_t p;
		parse(&p, bad, sizeof(bad) - 1, 64);
		assert_int_equal(p.res, RS_PARSE_MALFORMED);
		release(&p);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_constructed_records),
	    cmocka_unit_test(test_reception_skipped),
	    cmocka_unit_test(test_truncated),
	    cmocka_unit_test(test_inputs),
	    cmocka_unit_test(test_minimal_record),
	    cmocka_unit_test(test_escapes),
	    cmocka_unit_test(test_arena_full),
	    cmocka_unit_test(test_nesting),
	    cmocka_unit_test(test_peer_addr),
	    cmocka_unit_test(test_sending_side),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
