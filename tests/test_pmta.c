/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pmta.c - the PowerMTA accounting parser: every line of
 * tests/fixtures/pmta with the expected values written out (read through
 * the prescan, as the pipeline reads them, so that each file's header
 * applies); the column maps (header, configured list, the two defaults,
 * 4.x sets, header_* columns, reordering); CSV quoting (commas, doubled
 * quotes, records split over lines and their limits); record types and
 * times; and bad input (empty, 1 MB, NUL, invalid UTF-8, every truncation
 * of every real line from an exact-size heap copy, for ASan).
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
#include "formats/pmta.h"
#include "pipeline/prescan.h"
#include "testutil.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))
#define ARENA 65536

static char arena[ARENA];

static void new_rec(rs_record_t *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->arena = arena;
	rec->arena_cap = sizeof(arena);
	rs_record_reset(rec);
}

/* Parse one line alone (no header, no side data) with options opts. */
static rs_parse_result_t parse1(const char *line, const rs_format_opts_t *opts,
                                rs_record_t *rec, const char **why)
{
	rs_logline_t ll;

	new_rec(rec);
	rs_logline_init(&ll, line, strlen(line));
	ll.opts = opts;
	return rs_format_parse_logline(&rs_pmta_format, &ll, rec, why);
}

/* ------------------------------------------------- expected, per fixture */

struct expect {
	int line;
	rs_parse_result_t res;
	rs_status_t status;
	uint32_t code;
	const char *enh;
	const char *rcpt;
	const char *domain;
	const char *sender;
	const char *host;
	const char *ip;
	const char *sending_ip;
	const char *vmta;
	const char *tag;
	const char *time;
	int64_t time_ms;
	const char *head; /* reply_text starts with this */
};

#define SKIPPED(n)                                                             \
	{                                                                      \
		n, RS_PARSE_SKIP, 0, 0, NULL, NULL, NULL, NULL, NULL, NULL,    \
		    NULL, NULL, NULL, NULL, 0, NULL                            \
	}
#define BAD(n)                                                                 \
	{                                                                      \
		n, RS_PARSE_MALFORMED, 0, 0, NULL, NULL, NULL, NULL, NULL,     \
		    NULL, NULL, NULL, NULL, NULL, 0, NULL                      \
	}

static const char gmail_550[] =
    "550 5.1.1 The email account that you tried to reach does not exist.";

static const struct {
	const char *file;
	struct expect rows[4];
	size_t nrows;
} fixtures[] = {
    {"pmta/bounce-readme-2016.csv",
     {SKIPPED(1),
      {2, RS_PARSE_EVENT, RS_STATUS_BOUNCED, 0, "5.1.2", "XXX@domain.com",
       "domain.com", "mailwizz@example.com", NULL, NULL, "1.1.1.1",
       "vmta-mymta04", "pmta:bad-domain", NULL, 0,
       "5.1.2 (bad destination system: no such domain)"},
      {3, RS_PARSE_EVENT, RS_STATUS_BOUNCED, 0, "5.1.1",
       "YYY@anotherdomain.com", "anotherdomain.com", "mailwizz@example.com",
       "mx1.destindomain.com", "2.2.2.2", "1.1.1.1", "vmta-mymta03",
       "pmta:bad-mailbox", NULL, 0, "5.1.1 (bad destination mailbox address)"}},
     3},
    {"pmta/bounce-reordered-2016.csv",
     {SKIPPED(1),
      {2, RS_PARSE_EVENT, RS_STATUS_BOUNCED, 550, "5.1.1",
       "recipient@gmail.com", "gmail.com", "mail@724mail50.buynbag.com",
       "gmail-smtp-in.l.google.com", "64.233.161.27", "85.206.170.50",
       "pmta-vmta47", "pmta:bad-mailbox", NULL, 0, gmail_550},
      {3, RS_PARSE_EVENT, RS_STATUS_BOUNCED, 550, "5.1.1",
       "recipient@gmail.com", "gmail.com", "mail@724mail51.buynbag.com",
       "gmail-smtp-in.l.google.com", "209.85.233.27", "85.206.170.51",
       "pmta-vmta48", "pmta:bad-mailbox", NULL, 0, gmail_550}},
     3},
    {"pmta/header-columns-sparkpost.csv",
     {SKIPPED(1),
      {2, RS_PARSE_EVENT, RS_STATUS_SENT, 0, NULL,
       "test+00102830@not-orange.fr.bouncy-sink.trymsys.net",
       "not-orange.fr.bouncy-sink.trymsys.net", NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, 0, NULL},
      {3, RS_PARSE_EVENT, RS_STATUS_SENT, 0, NULL,
       "test+00113980@not-orange.fr.bouncy-sink.trymsys.net",
       "not-orange.fr.bouncy-sink.trymsys.net", NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, 0, NULL},
      {4, RS_PARSE_EVENT, RS_STATUS_SENT, 0, NULL,
       "test+00183623@not-orange.fr.bouncy-sink.trymsys.net",
       "not-orange.fr.bouncy-sink.trymsys.net", NULL, NULL, NULL, NULL, NULL,
       NULL, NULL, 0, NULL}},
     4},
    {"pmta/header-multitype.csv", {SKIPPED(1)}, 1},
    /* Line 1: a real row of a custom field set, without its header;
     * line 2: a mangled documentation row whose count fits by chance. */
    {"pmta/headerless.csv", {BAD(1), BAD(2)}, 2},
    {"pmta/v4-default-fields.csv",
     {SKIPPED(1),
      {2, RS_PARSE_EVENT, RS_STATUS_SENT, 250, "2.0.0", "RECIPIENT@YMAIL.COM",
       "YMAIL.COM", "Emailstatements.cards@hdfcbank.net",
       "mta7.am0.yahoodns.net", "66.196.118.35", "172.30.149.109", "CAMPAIGN",
       "pmta:success", "2014-08-24 16:00:14+0530", 1408876214000LL,
       "250 ok dirdel"}},
     2},
};

/* Every fixture line through the prescan, then parsed as a worker does. */
static void test_fixtures(void **state)
{
	(void)state;
	for (size_t f = 0; f < N_ELEM(fixtures); f++) {
		rs_test_fixture_t fx;
		rs_batch_t b;
		rs_prescan_t *ps;

		assert_int_equal(rs_test_fixture_load(fixtures[f].file, &fx),
		                 0);
		assert_int_equal(fx.count, fixtures[f].nrows);
		ps = rs_test_batch_scan(&fx, fixtures[f].file, &rs_pmta_format,
		                        NULL, &b);
		assert_non_null(ps);
		for (size_t i = 0; i < fixtures[f].nrows; i++) {
			const struct expect *x = &fixtures[f].rows[i];
			rs_record_t rec;
			const char *why;
			rs_parse_result_t res;

			new_rec(&rec);
			res = rs_test_batch_parse(&b, i, &rs_pmta_format, NULL,
			                          &rec, &why);
			if (res != x->res) {
				fail_msg("%s:%d: result %d, want %d (%s)",
				         fixtures[f].file, x->line, res, x->res,
				         why ? why : "");
			}
			if (res == RS_PARSE_MALFORMED) {
				assert_non_null(why);
			}
			if (res != RS_PARSE_EVENT) {
				continue;
			}
			assert_int_equal(rec.mta, RS_MTA_POWERMTA);
			assert_int_equal(rec.status, x->status);
			assert_int_equal(rec.reply_code, x->code);
			assert_int_equal(rec.stage, RS_STAGE_UNKNOWN);
			rs_test_check_str("enhanced_code", x->line,
			                  rec.enhanced_code, x->enh);
			rs_test_check_str("recipient", x->line, rec.recipient,
			                  x->rcpt);
			rs_test_check_str("recipient_domain", x->line,
			                  rec.recipient_domain, x->domain);
			rs_test_check_str("sender", x->line, rec.sender,
			                  x->sender);
			rs_test_check_str("remote_host", x->line,
			                  rec.remote_host, x->host);
			rs_test_check_str("remote_ip", x->line, rec.remote_ip,
			                  x->ip);
			if (x->sending_ip != NULL) {
				rs_test_check_str("sending_ip", x->line,
				                  rec.sending_ip,
				                  x->sending_ip);
			} else {
				assert_int_equal(rec.sending_ip.n, 0);
			}
			if (x->vmta != NULL) {
				rs_test_check_str("vmta", x->line, rec.vmta,
				                  x->vmta);
			} else {
				assert_int_equal(rec.vmta.n, 0);
			}
			rs_test_check_str("extra_tag", x->line, rec.extra_tag,
			                  x->tag);
			rs_test_check_str("log_time", x->line, rec.log_time,
			                  x->time);
			assert_int_equal(rec.log_time_ms, x->time_ms);
			if (x->head == NULL) {
				assert_int_equal(rec.reply_text.n, 0);
			} else if (rec.reply_text.n < strlen(x->head) ||
			           memcmp(rec.reply_text.p, x->head,
			                  strlen(x->head)) != 0) {
				fail_msg("%s:%d: reply_text [%.*s]",
				         fixtures[f].file, x->line,
				         (int)rec.reply_text.n,
				         rec.reply_text.p);
			}
		}
		rs_prescan_destroy(ps);
		rs_batch_free(&b);
		rs_test_fixture_free(&fx);
	}
}

/* The v4 row's delay: timeLogged - timeQueued. */
static void test_delay_and_headerless_v4(void **state)
{
	rs_test_fixture_t fx;
	rs_record_t rec;
	const char *why;

	(void)state;
	assert_int_equal(
	    rs_test_fixture_load("pmta/v4-default-fields.csv", &fx), 0);
	/* Without its header the 22-field row is read by the 4.x default. */
	{
		char *row = strndup(fx.line[1], fx.len[1]);
		assert_int_equal(parse1(row, NULL, &rec, &why), RS_PARSE_EVENT);
		rs_test_check_secs("delay", 2, rec.delays.total,
		                   1408876214.0 - 1404988202.0);
		rs_test_check_str("sending_ip", 2, rec.sending_ip,
		                  "172.30.149.109");
		free(row);
	}
	rs_test_fixture_free(&fx);
}

/* ----------------------------------------------------------- columns */

static void test_columns_parse(void **state)
{
	rs_pmta_columns_t c;
	char err[256];

	(void)state;
	assert_int_equal(rs_pmta_columns_default()->ncols, 23);
	assert_int_equal(rs_pmta_columns_v4()->ncols, 22);
	assert_int_equal(rs_pmta_columns_default()->field[0], RS_PMTA_F_TYPE);
	assert_int_equal(rs_pmta_columns_v4()->field[3], RS_PMTA_F_NONE);
	assert_int_equal(rs_pmta_columns_default()->field[22],
	                 RS_PMTA_F_VMTA_POOL);

	assert_int_equal(rs_pmta_columns_parse("type,rcpt,header_x-a", 20, 1,
	                                       &c, err, sizeof(err)),
	                 0);
	assert_int_equal(c.ncols, 3);
	assert_int_equal(c.field[1], RS_PMTA_F_RCPT);
	assert_int_equal(c.field[2], RS_PMTA_F_NONE);
	/* Quoted names are names too. */
	assert_int_equal(rs_pmta_columns_parse("\"type\",\"rcpt\"", 13, 1, &c,
	                                       err, sizeof(err)),
	                 0);
	assert_int_equal(c.field[1], RS_PMTA_F_RCPT);

	assert_int_equal(
	    rs_pmta_columns_parse("rcpt,orig", 9, 1, &c, err, sizeof(err)), -1);
	assert_string_equal(err, "no \"type\" column (PowerMTA writes the "
	                         "record type first)");
	assert_int_equal(
	    rs_pmta_columns_parse("type,,rcpt", 10, 1, &c, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "column 2 has no name");
	assert_int_equal(rs_pmta_columns_parse("type,rcpt,rcpt", 14, 1, &c, err,
	                                       sizeof(err)),
	                 -1);
	assert_string_equal(err, "column 3 \"rcpt\" is named twice (first as "
	                         "column 2)");
	/* Not strict (a file's header): the first column wins. */
	assert_int_equal(rs_pmta_columns_parse("type,rcpt,rcpt", 14, 0, &c, err,
	                                       sizeof(err)),
	                 0);
	assert_int_equal(c.field[2], RS_PMTA_F_NONE);
	assert_int_equal(
	    rs_pmta_columns_parse("type,dsndiag", 12, 1, &c, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "column 2 \"dsndiag\" is not a PowerMTA field "
	                         "name; did you mean \"dsnDiag\"?");
	assert_int_equal(
	    rs_pmta_columns_parse("type,\"rcpt", 10, 1, &c, err, sizeof(err)),
	    -1);
	{
		/* 257 columns. */
		char big[257 * 4 + 8];
		size_t n = (size_t)snprintf(big, sizeof(big), "type");
		for (int i = 1; i < 257; i++) {
			n += (size_t)snprintf(big + n, sizeof(big) - n, ",c%d",
			                      i % 10);
		}
		assert_int_equal(
		    rs_pmta_columns_parse(big, n, 0, &c, err, sizeof(err)), -1);
		assert_string_equal(err, "more than 256 columns");
	}
}

/* formats.pmta.fields through the options; its misfit sentence. */
static void test_configured_fields(void **state)
{
	rs_format_opts_t *opts = rs_format_opts_new();
	rs_record_t rec;
	const char *why;
	char err[256];

	(void)state;
	assert_non_null(opts);
	assert_null(rs_format_opts_pmta_fields(opts));
	assert_int_equal(
	    rs_format_opts_set_pmta_fields(opts, "", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "formats.pmta.fields: the column list is "
	                            "empty"));
	assert_int_equal(
	    rs_format_opts_set_pmta_fields(opts, "type,Rcpt", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "formats.pmta.fields: column 2 \"Rcpt\" is "
	                         "not a PowerMTA field name; did you mean "
	                         "\"rcpt\"?");
	assert_int_equal(
	    rs_format_opts_set_pmta_fields(
		opts, "type,timeLogged,rcpt,dsnStatus,dsnDiag,bounceCat,vmta",
		err, sizeof(err)),
	    0);
	assert_non_null(rs_format_opts_pmta_fields(opts));
	assert_int_equal(
	    parse1("t,1691595584,a@b.example,4.7.0 (x),smtp;421 4.7.0 Try "
	           "later,policy-related,vm1",
	           opts, &rec, &why),
	    RS_PARSE_EVENT);
	assert_int_equal(rec.status, RS_STATUS_DEFERRED);
	assert_int_equal(rec.reply_code, 421);
	rs_test_check_str("vmta", 0, rec.vmta, "vm1");
	rs_test_check_str("tag", 0, rec.extra_tag, "pmta:policy-related");
	assert_int_equal(rec.log_time_ms, 1691595584000LL);
	assert_int_equal(parse1("t,1691595584,a@b.example", opts, &rec, &why),
	                 RS_PARSE_MALFORMED);
	assert_string_equal(why, "PowerMTA row: its field count differs from "
	                         "formats.pmta.fields; set it to this file's "
	                         "header");
	/* A count that fits but values that do not. */
	assert_int_equal(
	    parse1("t,a@b.example,1691595584,x,y,z,vm1", opts, &rec, &why),
	    RS_PARSE_MALFORMED);
	assert_non_null(strstr(why, "timeLogged is not a time"));
	rs_format_opts_destroy(opts);
}

/* Rows without a header: the modern default, the 4.x one, misfits. */
static void test_default_columns(void **state)
{
	static const char modern[] =
	    "t,2024-05-01 10:00:00+0000,2024-05-01 09:00:00+0000,"
	    "s@sender.example,u@rcpt.example,,delayed,4.7.1 (delivery not "
	    "authorized),\"smtp;421 4.7.1 [TSS04] Messages from 192.0.2.7 "
	    "temporarily deferred, see https://x.example\",mx.rcpt.example "
	    "(203.0.113.5),policy-related,smtp,,smtp,192.0.2.7,203.0.113.5,"
	    "\"PIPELINING,SIZE\",2048,vmta-7,job-42,,rcpt.example/vmta-7,"
	    "pool-a";
	rs_record_t rec;
	const char *why;

	(void)state;
	assert_int_equal(parse1(modern, NULL, &rec, &why), RS_PARSE_EVENT);
	assert_int_equal(rec.status, RS_STATUS_DEFERRED);
	assert_int_equal(rec.reply_code, 421);
	rs_test_check_str("enhanced", 0, rec.enhanced_code, "4.7.1");
	rs_test_check_str("reply_text", 0, rec.reply_text,
	                  "421 4.7.1 [TSS04] Messages from 192.0.2.7 "
	                  "temporarily deferred, see https://x.example");
	rs_test_check_str("remote_host", 0, rec.remote_host, "mx.rcpt.example");
	rs_test_check_str("remote_ip", 0, rec.remote_ip, "203.0.113.5");
	rs_test_check_str("sending_ip", 0, rec.sending_ip, "192.0.2.7");
	rs_test_check_str("sending_pool", 0, rec.sending_pool, "pool-a");
	rs_test_check_str("vmta", 0, rec.vmta, "vmta-7");
	rs_test_check_str("job_id", 0, rec.job_id, "job-42");
	rs_test_check_str("tag", 0, rec.extra_tag, "pmta:policy-related");
	rs_test_check_secs("delay", 0, rec.delays.total, 3600);
	assert_int_equal(rec.log_time_ms, 1714557600000LL);
	assert_int_equal(parse1("b,1,2,3", NULL, &rec, &why),
	                 RS_PARSE_MALFORMED);
	assert_non_null(strstr(why, "fits neither the default header (23 "
	                            "columns) nor the 4.x one (22)"));
}

/* Record types, times, dsnDiag types, dsnMta shapes, queue, feedback. */
static void test_types_and_fields(void **state)
{
	/* type,timeLogged,timeQueued,rcpt,dsnStatus,dsnDiag,dsnMta,
	 * bounceCat,dlvSourceIp,vmta,queue,feedbackType,repSourceIp */
	static const char cols[] =
	    "type,timeLogged,timeQueued,rcpt,dsnStatus,dsnDiag,dsnMta,"
	    "bounceCat,dlvSourceIp,vmta,queue,feedbackType,repSourceIp";
	rs_format_opts_t *opts = rs_format_opts_new();
	rs_record_t rec;
	const char *why;
	char err[256];

	(void)state;
	assert_int_equal(
	    rs_format_opts_set_pmta_fields(opts, cols, err, sizeof(err)), 0);
	assert_int_equal(
	    parse1("tq,1178807915,1178807900,u@x.example,4.4.1 (no answer),,,"
	           "no-answer-from-host,192.0.2.1,,x.example/vm-q,,",
	           opts, &rec, &why),
	    RS_PARSE_EVENT);
	assert_int_equal(rec.status, RS_STATUS_DEFERRED);
	rs_test_check_str("vmta from queue", 0, rec.vmta, "vm-q");
	rs_test_check_str("reply_text", 0, rec.reply_text, "4.4.1 (no answer)");
	rs_test_check_secs("delay", 0, rec.delays.total, 15);
	assert_int_equal(
	    parse1("rb,1178807915,,u@x.example,5.1.1 (bad),X-Unix;550 no such "
	           "user,mx.x.example,bad-mailbox,,,,,",
	           opts, &rec, &why),
	    RS_PARSE_EVENT);
	assert_int_equal(rec.status, RS_STATUS_BOUNCED);
	rs_test_check_str("reply_text", 0, rec.reply_text, "550 no such user");
	rs_test_check_str("remote_host", 0, rec.remote_host, "mx.x.example");
	assert_null(rec.remote_ip.p);
	/* A bounce after the queue lifetime is an expiry. */
	assert_int_equal(parse1("b,1178807915,,u@x.example,4.4.7 (expired),"
	                        "smtp;421 timed out,,message-expired,,,,,",
	                        opts, &rec, &why),
	                 RS_PARSE_EVENT);
	assert_int_equal(rec.status, RS_STATUS_EXPIRED);
	assert_int_equal(rec.stage, RS_STAGE_QUEUE);
	/* Without a code, the MTA's words may prove the stage. */
	assert_int_equal(parse1("t,1178807915,,u@x.example,4.4.1 (no answer),"
	                        "\"smtp;Connection timed out\",,bad-connection,"
	                        ",,,,",
	                        opts, &rec, &why),
	                 RS_PARSE_EVENT);
	assert_int_equal(rec.reply_code, 0);
	assert_int_equal(rec.stage, RS_STAGE_CONNECT);
	/* Feedback: its type is the text; the reported source IP. */
	assert_int_equal(parse1("f,1178807915,,u@x.example,,,,,,,,abuse,"
	                        "198.51.100.9",
	                        opts, &rec, &why),
	                 RS_PARSE_EVENT);
	assert_int_equal(rec.status, RS_STATUS_FEEDBACK);
	rs_test_check_str("reply_text", 0, rec.reply_text, "abuse");
	rs_test_check_str("sending_ip", 0, rec.sending_ip, "198.51.100.9");
	assert_int_equal(rec.reply_code, 0);
	/* r and rs are not outcomes; unknown types are errors. */
	assert_int_equal(
	    parse1("r,1178807915,,u@x.example,,,,,,,,,", opts, &rec, &why),
	    RS_PARSE_SKIP);
	assert_int_equal(
	    parse1("rs,1178807915,,u@x.example,,,,,,,,,", opts, &rec, &why),
	    RS_PARSE_SKIP);
	assert_int_equal(
	    parse1("x,1178807915,,u@x.example,,,,,,,,,", opts, &rec, &why),
	    RS_PARSE_MALFORMED);
	assert_non_null(strstr(why, "unknown record type"));
	assert_int_equal(
	    parse1(",1178807915,,u@x.example,,,,,,,,,", opts, &rec, &why),
	    RS_PARSE_MALFORMED);
	/* By a configured list, an unreadable time means a wrong list. */
	assert_int_equal(
	    parse1("t,yesterday,,u@x.example,,,,,,,,,", opts, &rec, &why),
	    RS_PARSE_MALFORMED);
	assert_non_null(strstr(why, "timeLogged is not a time"));
	rs_format_opts_destroy(opts);
}

/* ----------------------------------------------------------------- CSV */

static void test_csv_quoting(void **state)
{
	static const char cols[] = "type,rcpt,dsnDiag,bounceCat";
	rs_format_opts_t *opts = rs_format_opts_new();
	rs_record_t rec;
	const char *why;
	char err[256];

	(void)state;
	assert_int_equal(
	    rs_format_opts_set_pmta_fields(opts, cols, err, sizeof(err)), 0);
	/* Commas and doubled quotes inside quotes. */
	assert_int_equal(parse1("b,u@x.example,\"smtp;550 5.7.1 \"\"spam\"\", "
	                        "rejected, see x\",spam-related",
	                        opts, &rec, &why),
	                 RS_PARSE_EVENT);
	rs_test_check_str("reply_text", 0, rec.reply_text,
	                  "550 5.7.1 \"spam\", rejected, see x");
	/* The guide's example: two inches,"2""" */
	assert_int_equal(parse1("b,u@x.example,\"2\"\"\",x", opts, &rec, &why),
	                 RS_PARSE_EVENT);
	rs_test_check_str("reply_text", 0, rec.reply_text, "2\"");
	/* An empty last field after a trailing comma. */
	assert_int_equal(parse1("b,u@x.example,smtp;550 x,", opts, &rec, &why),
	                 RS_PARSE_EVENT);
	assert_null(rec.extra_tag.p);
	/* Broken rows, each with its reason. */
	assert_int_equal(
	    parse1("b,u@x.example,\"smtp;550 x\"y,z", opts, &rec, &why),
	    RS_PARSE_MALFORMED);
	assert_string_equal(why, "PowerMTA row: text after the closing quote "
	                         "of a field");
	assert_int_equal(
	    parse1("b,u@x.example,smtp;550 \"x\",z", opts, &rec, &why),
	    RS_PARSE_MALFORMED);
	assert_string_equal(why, "PowerMTA row: a double quote inside a field "
	                         "that is not quoted");
	assert_int_equal(parse1("b,u@x.example,\"smtp;550 x", opts, &rec, &why),
	                 RS_PARSE_MALFORMED);
	assert_non_null(strstr(why, "a quoted field is not closed"));
	/* A CR before the newline is not data. */
	assert_int_equal(
	    parse1("b,u@x.example,smtp;550 x,cat\r", opts, &rec, &why),
	    RS_PARSE_EVENT);
	rs_test_check_str("tag", 0, rec.extra_tag, "pmta:cat");
	rs_format_opts_destroy(opts);
}

/* Run lines through a fresh prescan as one file; parse line i. */
typedef struct scan {
	rs_test_fixture_t fx;
	rs_batch_t b;
	rs_prescan_t *ps;
} scan_t;

static void scan_text(scan_t *s, const char *const *lines, size_t n)
{
	memset(s, 0, sizeof(*s));
	s->fx.line = (const char **)lines;
	s->fx.count = n;
	s->fx.len = calloc(n, sizeof(size_t));
	assert_non_null(s->fx.len);
	for (size_t i = 0; i < n; i++) {
		s->fx.len[i] = strlen(lines[i]);
	}
	s->ps =
	    rs_test_batch_scan(&s->fx, "t.csv", &rs_pmta_format, NULL, &s->b);
	assert_non_null(s->ps);
}

static void scan_free(scan_t *s)
{
	rs_prescan_destroy(s->ps);
	rs_batch_free(&s->b);
	free(s->fx.len);
}

static rs_parse_result_t scan_parse(scan_t *s, size_t i, rs_record_t *rec,
                                    const char **why)
{
	new_rec(rec);
	return rs_test_batch_parse(&s->b, i, &rs_pmta_format, NULL, rec, why);
}

/* A record split over lines is joined and read as its last line. */
static void test_split_records(void **state)
{
	static const char *const lines[] = {
	    "type,rcpt,dsnDiag,bounceCat",
	    "b,a@x.example,\"smtp;550-5.7.1 first line",
	    "550-5.7.1 second, with a comma",
	    "550 5.7.1 \"\"third\"\"\",policy-related",
	    "b,b@x.example,smtp;550 5.1.1 no,bad-mailbox",
	    "t,c@x.example,\"smtp;421 open to the end",
	};
	scan_t s;
	rs_record_t rec;
	const char *why;

	(void)state;
	scan_text(&s, lines, N_ELEM(lines));
	assert_int_equal(scan_parse(&s, 0, &rec, &why), RS_PARSE_SKIP);
	assert_true(s.b.lines[1].flags & RS_LINE_ABSORBED);
	assert_true(s.b.lines[2].flags & RS_LINE_ABSORBED);
	assert_int_equal(scan_parse(&s, 1, &rec, &why), RS_PARSE_SKIP);
	assert_int_equal(scan_parse(&s, 2, &rec, &why), RS_PARSE_SKIP);
	assert_int_equal(scan_parse(&s, 3, &rec, &why), RS_PARSE_EVENT);
	rs_test_check_str("reply_text", 4, rec.reply_text,
	                  "550-5.7.1 first line\n550-5.7.1 second, with a "
	                  "comma\n550 5.7.1 \"third\"");
	rs_test_check_str("recipient", 4, rec.recipient, "a@x.example");
	assert_int_equal(rec.reply_code, 550);
	assert_int_equal(scan_parse(&s, 4, &rec, &why), RS_PARSE_EVENT);
	rs_test_check_str("recipient", 5, rec.recipient, "b@x.example");
	/* Still open when the file ends: the last line says so. */
	assert_int_equal(scan_parse(&s, 5, &rec, &why), RS_PARSE_MALFORMED);
	assert_string_equal(why, "PowerMTA row: a quoted field is still open "
	                         "at the end of the file");
	scan_free(&s);
}

/* A quote that never closes is given up after 16 lines. */
static void test_split_limit(void **state)
{
	const char *lines[40];
	scan_t s;
	rs_record_t rec;
	const char *why;
	size_t n = 0;

	(void)state;
	lines[n++] = "type,rcpt,dsnDiag";
	lines[n++] = "b,a@x.example,\"smtp;550 never closed";
	for (int i = 0; i < 20; i++) {
		lines[n++] = "more text";
	}
	lines[n++] = "b,b@x.example,smtp;550 fine";
	scan_text(&s, lines, n);
	/* Lines 2..17 absorbed, line 18 gives the record up. */
	for (size_t i = 1; i < 17; i++) {
		assert_true(s.b.lines[i].flags & RS_LINE_ABSORBED);
	}
	assert_int_equal(scan_parse(&s, 17, &rec, &why), RS_PARSE_MALFORMED);
	assert_non_null(strstr(why, "more than 16 lines"));
	/* Then lines are read afresh: "more text" is no row. */
	assert_false(s.b.lines[18].flags & RS_LINE_ABSORBED);
	assert_int_equal(scan_parse(&s, n - 1, &rec, &why), RS_PARSE_EVENT);
	rs_test_check_str("recipient", 0, rec.recipient, "b@x.example");
	scan_free(&s);
}

/* A header applies to the rest of its file; a new header replaces it; a
 * new file (line 1) starts without one; partitions keep their own. */
static void test_header_scopes(void **state)
{
	rs_format_state_t *st;
	rs_buf_t aux;
	rs_scan_out_t out;
	rs_scan_line_t l;
	rs_record_t rec;
	const char *why;
	char err[128];
	struct {
		const char *line;
		const char *input;
		int32_t part;
		uint64_t line_no;
		rs_parse_result_t want;
		const char *rcpt;
	} steps[] = {
	    {"type,rcpt,orig", "topic", 0, 0, RS_PARSE_SKIP, NULL},
	    {"type,orig,rcpt", "topic", 1, 0, RS_PARSE_SKIP, NULL},
	    {"b,r0@x.example,s@x.example", "topic", 0, 0, RS_PARSE_EVENT,
	     "r0@x.example"},
	    {"b,s@x.example,r1@x.example", "topic", 1, 0, RS_PARSE_EVENT,
	     "r1@x.example"},
	    {"type,orig,rcpt", "topic", 0, 0, RS_PARSE_SKIP, NULL},
	    {"b,s@x.example,r2@x.example", "topic", 0, 0, RS_PARSE_EVENT,
	     "r2@x.example"},
	    /* A file: line 1 drops what a previous file of that name set. */
	    {"type,rcpt,orig", "f.csv", -1, 1, RS_PARSE_SKIP, NULL},
	    {"b,r3@x.example,s@x.example", "f.csv", -1, 2, RS_PARSE_EVENT,
	     "r3@x.example"},
	    {"b,r4@x.example,s@x.example", "f.csv", -1, 1, RS_PARSE_MALFORMED,
	     NULL},
	};

	(void)state;
	memset(&aux, 0, sizeof(aux));
	st = rs_pmta_format.state_new(NULL, err, sizeof(err));
	assert_non_null(st);
	for (size_t i = 0; i < N_ELEM(steps); i++) {
		rs_logline_t ll;
		size_t off = aux.len;

		memset(&out, 0, sizeof(out));
		l.p = steps[i].line;
		l.n = strlen(l.p);
		l.input = steps[i].input;
		l.partition = steps[i].part;
		l.line_no = steps[i].line_no;
		l.input_ends = 0;
		rs_pmta_format.prescan(st, &l, &aux, &out);
		assert_false(out.absorbed);
		new_rec(&rec);
		rs_logline_init(&ll, l.p, l.n);
		if (out.aux_len > 0) {
			assert_int_equal(out.aux_off, off);
			ll.aux = aux.data + out.aux_off;
			ll.aux_len = out.aux_len;
			ll.aux_format = &rs_pmta_format;
		}
		if (rs_format_parse_logline(&rs_pmta_format, &ll, &rec, &why) !=
		    steps[i].want) {
			fail_msg("step %zu: unexpected result (%s)", i,
			         why ? why : "");
		}
		if (steps[i].rcpt != NULL) {
			rs_test_check_str("recipient", (int)i, rec.recipient,
			                  steps[i].rcpt);
		}
	}
	rs_pmta_format.state_destroy(st);
	rs_buf_free(&aux);
}

/* ---------------------------------------------------------- bad input */

/* Parse an exact-size copy of [line, line+len) with opts. */
static rs_parse_result_t parse_exact(const char *line, size_t len,
                                     const rs_format_opts_t *opts)
{
	return rs_test_parse_exact(&rs_pmta_format, line, len, opts,
	                           opts != NULL, arena, sizeof(arena));
}

/* Every cut of every real line, alone and with its file's header. */
static void test_truncation(void **state)
{
	size_t cuts = 0, events = 0;

	(void)state;
	for (size_t f = 0; f < N_ELEM(fixtures); f++) {
		rs_test_fixture_t fx;
		rs_format_opts_t *opts = rs_format_opts_new();
		char err[256];
		char *hdr;

		assert_int_equal(rs_test_fixture_load(fixtures[f].file, &fx),
		                 0);
		hdr = strndup(fx.line[0], fx.len[0]);
		if (strncmp(hdr, "type,", 5) != 0 ||
		    rs_format_opts_set_pmta_fields(opts, hdr, err,
		                                   sizeof(err)) != 0) {
			rs_format_opts_destroy(opts);
			opts = NULL;
		}
		for (size_t i = 0; i < fx.count; i++) {
			for (size_t cut = 0; cut <= fx.len[i]; cut++) {
				events += parse_exact(fx.line[i], cut, NULL) ==
				          RS_PARSE_EVENT;
				if (opts != NULL) {
					events +=
					    parse_exact(fx.line[i], cut,
					                opts) == RS_PARSE_EVENT;
				}
				cuts++;
			}
		}
		free(hdr);
		rs_format_opts_destroy(opts);
		rs_test_fixture_free(&fx);
	}
	assert_true(cuts > 2000);
	assert_true(events > 0);
}

static void test_bad_input(void **state)
{
	const size_t big = 1024 * 1024;
	rs_format_opts_t *opts = rs_format_opts_new();
	rs_record_t rec;
	const char *why;
	char err[128];
	char *buf;

	(void)state;
	assert_int_equal(rs_format_opts_set_pmta_fields(opts,
	                                                "type,rcpt,"
	                                                "dsnDiag",
	                                                err, sizeof(err)),
	                 0);
	assert_int_equal(parse_exact("", 0, NULL), RS_PARSE_SKIP);
	assert_int_equal(parse_exact("", 0, opts), RS_PARSE_SKIP);
	assert_int_equal(parse1(",", opts, &rec, &why), RS_PARSE_MALFORMED);

	/* 1 MB in dsnDiag: one event holding all of it. */
	buf = malloc(big + 64);
	assert_non_null(buf);
	memcpy(buf, "b,u@x.example,smtp;550 ", 23);
	memset(buf + 23, 'x', big);
	buf[23 + big] = '\0';
	assert_int_equal(parse1(buf, opts, &rec, &why), RS_PARSE_EVENT);
	assert_int_equal(rec.reply_text.n, big + 4);
	assert_int_equal(parse_exact(buf, 23 + big, opts), RS_PARSE_EVENT);
	/* 1 MB of commas: more fields than any header. */
	memset(buf, ',', big);
	buf[0] = 'b';
	buf[big] = '\0';
	assert_int_equal(parse1(buf, opts, &rec, &why), RS_PARSE_MALFORMED);
	assert_int_equal(parse_exact(buf, big, NULL), RS_PARSE_MALFORMED);
	free(buf);

	/* NUL inside a field: lengths rule. */
	{
		static const char nul[] = "b,u@x.example,smtp;550 a\0b";
		rs_logline_t ll;
		new_rec(&rec);
		rs_logline_init(&ll, nul, sizeof(nul) - 1);
		ll.opts = opts;
		assert_int_equal(
		    rs_format_parse_logline(&rs_pmta_format, &ll, &rec, &why),
		    RS_PARSE_EVENT);
		assert_int_equal(rec.reply_text.n, 7);
	}
	/* Invalid UTF-8 is carried as bytes. */
	assert_int_equal(
	    parse1("b,u@x.example,smtp;550 \xff\xfe\xc3(", opts, &rec, &why),
	    RS_PARSE_EVENT);
	rs_test_check_str("reply_text", 0, rec.reply_text, "550 \xff\xfe\xc3(");
	rs_format_opts_destroy(opts);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixtures),
	    cmocka_unit_test(test_delay_and_headerless_v4),
	    cmocka_unit_test(test_columns_parse),
	    cmocka_unit_test(test_configured_fields),
	    cmocka_unit_test(test_default_columns),
	    cmocka_unit_test(test_types_and_fields),
	    cmocka_unit_test(test_csv_quoting),
	    cmocka_unit_test(test_split_records),
	    cmocka_unit_test(test_split_limit),
	    cmocka_unit_test(test_header_scopes),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
