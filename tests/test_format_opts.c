/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_format_opts.c - the options of the parsers: the sending-source map
 * (sources.<format>: its errors, the three key forms and their order, what
 * the log gives beats the map, one MTA's map does not apply to another),
 * and that the parse entry point applies it. The PowerMTA column list is
 * tested in test_pmta.c.
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
#include "formats/format_opts.h"
#include "formats/postfix.h"
#include "testutil.h"

#define DEFER                                                                  \
	"Jul  5 10:00:00 mta3 postfix-out1/smtp[2]: 3F1A2B4C5D: "              \
	"to=<u@example.com>, relay=mx.example.com[192.0.2.1]:25, delay=1, "    \
	"delays=0.1/0/0.5/0.4, dsn=4.7.0, status=deferred (host "              \
	"mx.example.com[192.0.2.1] said: 421 4.7.0 Not allowed (in reply to "  \
	"RCPT TO command))"

static char arena[4096];

/* A record as a parser of mta would leave it. */
static void rec_of(rs_record_t *rec, rs_mta_t mta, const char *program,
                   const char *host)
{
	memset(rec, 0, sizeof(*rec));
	rs_record_reset(rec);
	rec->mta = mta;
	rec->program = program ? rs_str(program, strlen(program)) : RS_STR_NULL;
	rec->log_host = host ? rs_str(host, strlen(host)) : RS_STR_NULL;
}

static void test_errors(void **state)
{
	rs_format_opts_t *o = rs_format_opts_new();
	char err[512];

	(void)state;
	assert_non_null(o);
	assert_int_equal(rs_format_opts_add_source(o, "nosuch", "k",
	                                           "192.0.2.1", NULL, err,
	                                           sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "sources.nosuch: unknown log format "
	                            "'nosuch' (auto, "));
	assert_int_equal(rs_format_opts_add_source(o, "auto", "k", "192.0.2.1",
	                                           NULL, err, sizeof(err)),
	                 -1);
	assert_int_equal(rs_format_opts_add_source(o, "reply", "k", "192.0.2.1",
	                                           NULL, err, sizeof(err)),
	                 -1);
	assert_int_equal(rs_format_opts_add_source(o, "postfix", "",
	                                           "192.0.2.1", NULL, err,
	                                           sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "is not a syslog tag, a log host or "
	                            "TAG@HOST"));
	assert_int_equal(rs_format_opts_add_source(o, "postfix", "a b",
	                                           "192.0.2.1", NULL, err,
	                                           sizeof(err)),
	                 -1);
	assert_int_equal(rs_format_opts_add_source(o, "postfix", "@h",
	                                           "192.0.2.1", NULL, err,
	                                           sizeof(err)),
	                 -1);
	assert_string_equal(err, "sources.postfix: the key '@h' is not "
	                         "TAG@HOST (one '@' between a syslog tag and "
	                         "a log host)");
	assert_int_equal(rs_format_opts_add_source(o, "postfix", "a@b@c",
	                                           "192.0.2.1", NULL, err,
	                                           sizeof(err)),
	                 -1);
	assert_int_equal(rs_format_opts_add_source(o, "postfix", "k", NULL,
	                                           NULL, err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "sources.postfix.k: give a sending IP "
	                         "address, a pool or both");
	assert_int_equal(rs_format_opts_add_source(o, "postfix", "k",
	                                           "198.51.100.300", NULL, err,
	                                           sizeof(err)),
	                 -1);
	assert_string_equal(err, "sources.postfix.k: '198.51.100.300' is not "
	                         "an IPv4 or IPv6 address");
	assert_int_equal(rs_format_opts_add_source(o, "postfix", "k",
	                                           "mx.example", NULL, err,
	                                           sizeof(err)),
	                 -1);
	assert_int_equal(rs_format_opts_add_source(o, "postfix", "k",
	                                           "2001:db8::25", "pool-a",
	                                           err, sizeof(err)),
	                 0);
	assert_int_equal(rs_format_opts_add_source(o, "POSTFIX", "k",
	                                           "192.0.2.1", NULL, err,
	                                           sizeof(err)),
	                 -1);
	assert_string_equal(err, "sources.postfix: 'k' is given twice");
	/* The same key for another format is another entry. */
	assert_int_equal(rs_format_opts_add_source(o, "sendmail", "k", NULL,
	                                           "pool-b", err, sizeof(err)),
	                 0);
	assert_int_equal(rs_format_opts_source_count(o), 2);
	rs_format_opts_destroy(o);
	rs_format_opts_destroy(NULL);
}

static void test_lookup_order(void **state)
{
	rs_format_opts_t *o = rs_format_opts_new();
	rs_record_t rec;
	char err[256];

	(void)state;
	rec.arena = arena;
	rec.arena_cap = sizeof(arena);
	assert_int_equal(rs_format_opts_add_source(o, "postfix", "mta3",
	                                           "198.51.100.3", "host-pool",
	                                           err, sizeof(err)),
	                 0);
	assert_int_equal(
	    rs_format_opts_add_source(o, "postfix", "postfix-out1/smtp",
	                              "198.51.100.10", NULL, err, sizeof(err)),
	    0);
	assert_int_equal(rs_format_opts_add_source(
			     o, "postfix", "postfix-out1/smtp@mta3",
			     "198.51.100.13", "out1", err, sizeof(err)),
	                 0);
	/* TAG@HOST first. */
	rec_of(&rec, RS_MTA_POSTFIX, "postfix-out1/smtp", "mta3");
	assert_int_equal(rs_format_opts_apply_source(o, &rec), 1);
	rs_test_check_str("ip", 0, rec.sending_ip, "198.51.100.13");
	rs_test_check_str("pool", 0, rec.sending_pool, "out1");
	/* Then TAG on any host. */
	rec_of(&rec, RS_MTA_POSTFIX, "postfix-out1/smtp", "mta9");
	assert_int_equal(rs_format_opts_apply_source(o, &rec), 1);
	rs_test_check_str("ip", 0, rec.sending_ip, "198.51.100.10");
	assert_null(rec.sending_pool.p);
	/* Then HOST. */
	rec_of(&rec, RS_MTA_POSTFIX, "postfix/smtp", "mta3");
	assert_int_equal(rs_format_opts_apply_source(o, &rec), 1);
	rs_test_check_str("ip", 0, rec.sending_ip, "198.51.100.3");
	rs_test_check_str("pool", 0, rec.sending_pool, "host-pool");
	/* Nothing matches; another MTA's record is left alone. */
	rec_of(&rec, RS_MTA_POSTFIX, "postfix/smtp", "mta4");
	assert_int_equal(rs_format_opts_apply_source(o, &rec), 0);
	assert_null(rec.sending_ip.p);
	rec_of(&rec, RS_MTA_EXIM, "postfix-out1/smtp", "mta3");
	assert_int_equal(rs_format_opts_apply_source(o, &rec), 0);
	/* What the log gave wins; only empty fields are filled. */
	rec_of(&rec, RS_MTA_POSTFIX, "postfix-out1/smtp", "mta3");
	rec.sending_ip = rs_str("192.0.2.99", 10);
	assert_int_equal(rs_format_opts_apply_source(o, &rec), 1);
	rs_test_check_str("ip", 0, rec.sending_ip, "192.0.2.99");
	rs_test_check_str("pool", 0, rec.sending_pool, "out1");
	assert_int_equal(rs_format_opts_apply_source(NULL, &rec), 0);
	rs_format_opts_destroy(o);
}

/* The parse entry point applies the map to a real Postfix line. */
static void test_parse_applies(void **state)
{
	rs_format_opts_t *o = rs_format_opts_new();
	rs_logline_t ll;
	rs_record_t rec;
	const char *why;
	char err[256];

	(void)state;
	assert_int_equal(
	    rs_format_opts_add_source(o, "postfix", "postfix-out1/smtp",
	                              "198.51.100.10", NULL, err, sizeof(err)),
	    0);
	memset(&rec, 0, sizeof(rec));
	rec.arena = arena;
	rec.arena_cap = sizeof(arena);
	rs_record_reset(&rec);
	rs_logline_init(&ll, DEFER, strlen(DEFER));
	ll.opts = o;
	assert_int_equal(
	    rs_format_parse_logline(rs_format_auto(), &ll, &rec, &why),
	    RS_PARSE_EVENT);
	rs_test_check_str("sending_ip", 0, rec.sending_ip, "198.51.100.10");
	/* Without options: nothing. */
	rs_record_reset(&rec);
	assert_int_equal(rs_format_parse(&rs_postfix_format, DEFER,
	                                 strlen(DEFER), &rec, &why),
	                 RS_PARSE_EVENT);
	assert_null(rec.sending_ip.p);
	rs_format_opts_destroy(o);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_errors),
	    cmocka_unit_test(test_lookup_order),
	    cmocka_unit_test(test_parse_applies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
