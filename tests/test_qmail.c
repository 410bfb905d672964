/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_qmail.c - the qmail-send parser against every line of
 * tests/fixtures/qmail read through the prescan as the pipeline reads
 * them (the result lines get the recipient and message of their
 * "starting delivery" line), with the expected values written out; the
 * report shapes of qmail-remote no real line shows (4xx deferral,
 * multi-line replies, refusals at each command, connection failures);
 * the open-delivery map (per log host, per input, bounded, oldest
 * forgotten); and bad input (empty, 1 MB, NUL, invalid UTF-8, every
 * truncation of every line from an exact-size heap copy).
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
#include "formats/qmail.h"
#include "pipeline/prescan.h"
#include "testutil.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

struct expect {
	const char *file;
	int line;
	rs_status_t status;
	rs_stage_t stage;
	uint32_t code;
	const char *enh;
	const char *rcpt;
	const char *qid;
	const char *ip;
	int64_t time_ms; /* -1: not checked (syslog stamps have no year) */
	const char *reply;
};

#define D RS_STATUS_DEFERRED
#define B RS_STATUS_BOUNCED
#define S RS_STATUS_SENT
#define U RS_STAGE_UNKNOWN

static const struct expect outcomes[] = {
    {"qmail/bare.log", 1, B, U, 0, NULL, NULL, NULL, NULL, 0,
     "Unable to run qmail-remote."},
    {"qmail/nostamp-2004.log", 5, S, U, 250, "2.7.0",
     "linux-kernel@vger.kernel.org", "192270", "12.107.209.244", 0,
     "250 2.7.0 nothing apparently wrong i"},
    {"qmail/nostamp-2004.log", 6, S, U, 250, "2.0.0", "user1@redhat.com",
     "192270", "66.187.233.31", 0, "250 2.0.0 i7HHVve1030758 Message acce"},
    {"qmail/nostamp-2004.log", 7, S, U, 250, "2.6.0", "user2@gmx.net", "192270",
     "213.165.64.100", 0, "250 2.6.0 {mx028} Message accepted"},
    {"qmail/splogger-doc.log", 5, S, U, 0, NULL, "me@domain", "53", NULL, 0,
     "did 1+0+0"},
    {"qmail/splogger-doc.log", 12, B, U, 0, "5.1.1", "nonexistent@domain", "53",
     NULL, 0, "No such address.  #5.1.1"},
    {"qmail/splogger-doc.log", 20, S, U, 0, NULL, "me@domain", "54", NULL, 0,
     "did 1+0+0"},
    {"qmail/splogger-doc.log", 27, S, U, 0, NULL, "me@wherever", "53",
     "1.2.3.4", 0, "1.2.3.4 accepted message. ..."},
    {"qmail/tai64n-doc.log", 1, S, U, 0, NULL, NULL, NULL, NULL,
     1029932830529LL, "did 1+0+0"},
    {"qmail/tai64n-doc.log", 2, S, U, 0, NULL, NULL, NULL, NULL,
     1029932830529LL, "did 1+0+0"},
    {"qmail/tai64n-lwq.log", 4, S, U, 250, NULL, "lwq@w3.to", "93869",
     "209.85.127.177", 952364711077LL,
     "250 CAA01516 Message accepted for delivery"},
    {"qmail/tai64nlocal.log", 1, D, U, 0, NULL, NULL, NULL, NULL,
     1371910770670LL,
     "Sorry but i don't understand SMTP response : local error: "
     "unexpected message"},
    {"qmail/tai64nlocal.log", 2, D, U, 0, NULL, NULL, NULL, NULL,
     1371550109273LL,
     "Sorry but i don't understand SMTP response : failed to parse "
     "certificate from server: negative serial number"},
    {"qmail/unixtime-2003.log", 5, S, U, 250, NULL, "user@tripnet.se", "161214",
     "195.100.21.7", 1054189746373LL, "250 OK id=19LGuQ-0003OJ-00"},
    {"qmail/unixtime-2003.log", 12, S, U, 0, NULL, "user@bayour.com", "161214",
     NULL, 1054189754376LL, "did 0+0+1"},
    {"qmail/unixtime-2003.log", 19, B, RS_STAGE_RCPT_TO, 550, NULL,
     "fjkdasljf@nocrew.org", "161214", "213.242.147.30", 1054194596057LL,
     "550 Unknown local part fjkdasljf in <fjkdasljf@nocrew.org>"},
    {"qmail/unixtime-2003.log", 27, B, U, 0, "5.1.1",
     "87smtjy4le.fsf@papadoc.bayour.com", "161214", NULL, 1054189046239LL,
     "Sorry, no mailbox here by that name. (#5.1.1)"},
    /* A patched qmail-remote: "(<rcpt>)_<ip>_accepted_message." */
    {"qmail/tai64n-lkml-2004.log", 2, S, U, 250, NULL, "user1@linutronix.de",
     NULL, "213.239.205.147", 1100944282485LL, "250 Ok: queued as 1D47365C044"},
    {"qmail/tai64n-lkml-2004.log", 4, S, U, 250, NULL, "user2@tebibyte.org",
     NULL, "82.161.9.107", 1100944283076LL, "250 Ok: queued as A38AD684"},
    {"qmail/tai64n-lkml-2004.log", 6, B, RS_STAGE_RCPT_TO, 550, "5.1.1", NULL,
     NULL, "130.57.1.11", 1100944283150LL,
     "550 5.1.1 <user3@novell.com> is not a valid mailbox. 550 No such "
     "recipient"},
    {"qmail/tai64n-lkml-2004.log", 8, S, U, 250, "2.0.0", "user4@redhat.com",
     NULL, "66.187.233.32", 1100944284040LL,
     "250 2.0.0 iAK9pMqT000648 Message accepted for delivery"},
    {"qmail/tai64n-lkml-2004.log", 10, S, U, 250, "2.7.0",
     "linux-kernel@vger.kernel.org", NULL, "12.107.209.244", 1100944284809LL,
     "250 2.7.0 nothing apparently wrong in the message.; S261490AbUKTJvY"},
    {"qmail/tai64n-lkml-2004.log", 12, S, U, 250, "2.6.0", "linux-mm@kvack.org",
     NULL, "66.96.29.28", 1100944286069LL,
     "250 2.6.0 S26517AbUKTJvQ message accepted"},
    {"qmail/tai64n-lkml-2004.log", 14, S, U, 250, "2.0.0", "user5@osdl.org",
     NULL, "65.172.181.4", 1100944286404LL,
     "250 2.0.0 iAK9pMPE008452 Message accepted for delivery"},
    {"qmail/tai64n-lkml-2004.log", 16, S, U, 250, NULL, "user6@cyberone.com.au",
     NULL, "203.29.91.92", 1100944288581LL, "250 OK id=1CVRtv-0003cD-LZ"},
    {"qmail/tai64n-lkml-2004.log", 18, S, U, 250, NULL, "user7@cyclades.com",
     NULL, "64.186.161.6", 1100944290955LL, "250 Ok: queued as 041F080041B"},
    /* The poster masked the IP: no remote_ip. */
    {"qmail/fluentd-readme-2014.log", 5, S, U, 250, NULL,
     "glidenote@********.co.jp", "3890", NULL, 1392180611947LL,
     "250 ok 1392180611 qp 10394"},
    /* Plesk: splogger stamps in syslog, qmail-remote-handlers between. */
    {"qmail/plesk-syslog-2020.log", 4, S, U, 250, NULL, "user@jadoo.com.au",
     "76424444", "103.146.112.32", 1591785816273LL,
     "250 OK id=1jiyCl-0004o3-HE"},
    /* tai64nlocal with 6 decimals next to unix-time stamps. */
    {"qmail/mixed-stamps-2003.log", 5, D, RS_STAGE_CONNECT, 0, "4.1.2", NULL,
     NULL, NULL, 1054082244417LL,
     "Sorry, I couldn't find any host by that name. (#4.1.2)"},
    {"qmail/mixed-stamps-2003.log", 6, S, U, 0, NULL, NULL, NULL, NULL,
     1054096268233LL, "did 0+0+1"},
    {"qmail/mixed-stamps-2003.log", 7, S, U, 0, NULL, NULL, NULL, NULL,
     1054081228052LL, "did 0+0+1"},
};

static const char *const files[] = {
    "qmail/bare.log",
    "qmail/fluentd-readme-2014.log",
    "qmail/matchup-doc.log",
    "qmail/mixed-stamps-2003.log",
    "qmail/negatives-fail2ban.log",
    "qmail/nostamp-2004.log",
    "qmail/plesk-syslog-2020.log",
    "qmail/splogger-doc.log",
    "qmail/tai64n-doc.log",
    "qmail/tai64n-lkml-2004.log",
    "qmail/tai64n-lwq.log",
    "qmail/tai64nlocal.log",
    "qmail/unixtime-2003.log",
};

static char arena[65536];

static void new_rec(rs_record_t *rec)
{
	memset(rec, 0, sizeof(*rec));
	rec->arena = arena;
	rec->arena_cap = sizeof(arena);
	rs_record_reset(rec);
}

static void check(const struct expect *x, const rs_record_t *rec)
{
	assert_int_equal(rec->mta, RS_MTA_QMAIL);
	assert_int_equal(rec->status, x->status);
	assert_int_equal(rec->stage, x->stage);
	assert_int_equal(rec->reply_code, x->code);
	rs_test_check_str("enhanced_code", x->line, rec->enhanced_code, x->enh);
	rs_test_check_str("recipient", x->line, rec->recipient, x->rcpt);
	rs_test_check_str("queue_id", x->line, rec->queue_id, x->qid);
	rs_test_check_str("remote_ip", x->line, rec->remote_ip, x->ip);
	if (x->time_ms >= 0) {
		assert_int_equal(rec->log_time_ms, x->time_ms);
	}
	rs_test_check_str("reply_text", x->line, rec->reply_text, x->reply);
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
	assert_int_equal(rs_test_outcomes(&rs_qmail_format, files,
	                                  N_ELEM(files), find_outcome,
	                                  check_outcome, arena, sizeof(arena)),
	                 N_ELEM(outcomes));
}

/* Parse one line alone (no start line seen). */
static rs_parse_result_t parse1(const char *line, rs_record_t *rec,
                                const char **why)
{
	new_rec(rec);
	return rs_format_parse(&rs_qmail_format, line, strlen(line), rec, why);
}

/* qmail-remote's report shapes, written from qmail-remote.c. */
static void test_remote_reports(void **state)
{
	static const struct {
		const char *line;
		rs_status_t status;
		rs_stage_t stage;
		uint32_t code;
		const char *enh;
		const char *ip;
		const char *reply;
	} cases[] = {
	    {"delivery 7: deferral: Connected_to_192.0.2.25_but_sender_was_"
	     "rejected./Remote_host_said:_451_4.7.1_Greylisted,_try_later/",
	     D, RS_STAGE_MAIL_FROM, 451, "4.7.1", "192.0.2.25",
	     "451 4.7.1 Greylisted, try later"},
	    {"delivery 8: failure: 192.0.2.25_does_not_like_recipient./"
	     "Remote_host_said:_550-5.1.1_The_email_account_that_you_tried_"
	     "to_reach_does_not_exist./550_5.1.1_Please_try_double-checking"
	     "/Giving_up_on_192.0.2.25./",
	     B, RS_STAGE_RCPT_TO, 550, "5.1.1", "192.0.2.25",
	     "550-5.1.1 The email account that you tried to reach does not "
	     "exist. 550 5.1.1 Please try double-checking"},
	    {"delivery 9: deferral: Connected_to_192.0.2.25_but_greeting_"
	     "failed./Remote_host_said:_421_4.7.0_Too_many_connections/",
	     D, RS_STAGE_GREETING, 421, "4.7.0", "192.0.2.25",
	     "421 4.7.0 Too many connections"},
	    {"delivery 10: deferral: Connected_to_192.0.2.25_but_my_name_was_"
	     "rejected./Remote_host_said:_450_HELO_name_invalid/",
	     D, RS_STAGE_HELO, 450, NULL, "192.0.2.25",
	     "450 HELO name invalid"},
	    {"delivery 11: failure: 192.0.2.25_failed_on_DATA_command./"
	     "Remote_host_said:_554_5.7.1_Relay_denied/",
	     B, RS_STAGE_DATA, 554, "5.7.1", "192.0.2.25",
	     "554 5.7.1 Relay denied"},
	    {"delivery 12: deferral: 192.0.2.25_failed_after_I_sent_the_"
	     "message./Remote_host_said:_452_4.2.2_Mailbox_full/",
	     D, RS_STAGE_END_OF_DATA, 452, "4.2.2", "192.0.2.25",
	     "452 4.2.2 Mailbox full"},
	    {"delivery 13: deferral: Sorry,_I_wasn't_able_to_establish_an_"
	     "SMTP_connection._(#4.4.1)/",
	     D, RS_STAGE_CONNECT, 0, "4.4.1", NULL,
	     "Sorry, I wasn't able to establish an SMTP connection. (#4.4.1)"},
	    {"delivery 14: failure: Sorry,_I_couldn't_find_any_host_named_"
	     "nx.example._(#5.1.2)/",
	     B, RS_STAGE_CONNECT, 0, "5.1.2", NULL,
	     "Sorry, I couldn't find any host named nx.example. (#5.1.2)"},
	    /* A URL's '/' stays; the TLS words of the reply do not make the
	     * stage, qmail-remote's do. */
	    {"delivery 17: failure: Connected_to_192.0.2.25_but_sender_was_"
	     "rejected./Remote_host_said:_554-5.7.1_TLS_is_required,_see/"
	     "554_5.7.1_https://x.example/tls_help/",
	     B, RS_STAGE_MAIL_FROM, 554, "5.7.1", "192.0.2.25",
	     "554-5.7.1 TLS is required, see 554 5.7.1 "
	     "https://x.example/tls help"},
	    {"delivery 15: report mangled, will defer", D, U, 0, NULL, NULL,
	     "report mangled, will defer"},
	    {"delivery 16: deferral: ", D, U, 0, NULL, NULL, ""},
	};
	rs_record_t rec;
	const char *why;

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		if (parse1(cases[i].line, &rec, &why) != RS_PARSE_EVENT) {
			fail_msg("case %zu: %s", i, why ? why : "");
		}
		assert_int_equal(rec.status, cases[i].status);
		assert_int_equal(rec.stage, cases[i].stage);
		assert_int_equal(rec.reply_code, cases[i].code);
		rs_test_check_str("enhanced", (int)i, rec.enhanced_code,
		                  cases[i].enh);
		rs_test_check_str("remote_ip", (int)i, rec.remote_ip,
		                  cases[i].ip);
		rs_test_check_str("reply", (int)i, rec.reply_text,
		                  cases[i].reply);
		assert_null(rec.recipient.p);
	}
	/* Not qmail-send lines at all; another program's syslog line. */
	assert_int_equal(parse1("hello world", &rec, &why), RS_PARSE_MALFORMED);
	assert_int_equal(parse1("delivery x: failure: y", &rec, &why),
	                 RS_PARSE_MALFORMED);
	assert_int_equal(parse1("delivery 5: exploded: y", &rec, &why),
	                 RS_PARSE_MALFORMED);
	assert_int_equal(
	    parse1("Jul  5 10:00:00 mx postfix/smtp[2]: x", &rec, &why),
	    RS_PARSE_SKIP);
	assert_int_equal(parse1("new msg 5", &rec, &why), RS_PARSE_SKIP);
}

/* Run lines through one qmail state; parse line i with its side data. */
typedef struct run {
	rs_format_state_t *st;
	rs_buf_t aux;
	rs_scan_out_t out;
} run_t;

static rs_parse_result_t feed(run_t *r, const char *line, const char *input,
                              int32_t partition, rs_record_t *rec)
{
	rs_scan_line_t l = {line, strlen(line), input, partition, 0, 0};
	rs_logline_t ll;
	const char *why;

	memset(&r->out, 0, sizeof(r->out));
	rs_qmail_format.prescan(r->st, &l, &r->aux, &r->out);
	new_rec(rec);
	rs_logline_init(&ll, line, l.n);
	if (r->out.aux_len > 0) {
		ll.aux = r->aux.data + r->out.aux_off;
		ll.aux_len = r->out.aux_len;
		ll.aux_format = &rs_qmail_format;
	}
	return rs_format_parse_logline(&rs_qmail_format, &ll, rec, &why);
}

/* Deliveries are kept per log host and per input; a result forgets its
 * start; more than RS_QMAIL_MAX_OPEN open ones forget the oldest. */
static void test_open_deliveries(void **state)
{
	run_t r;
	rs_record_t rec;
	char err[128], line[160];

	(void)state;
	memset(&r, 0, sizeof(r));
	r.st = rs_qmail_format.state_new(NULL, err, sizeof(err));
	assert_non_null(r.st);
	/* Two hosts through one syslog stream, the same numbers. */
	feed(&r,
	     "Aug  1 05:30:08 mx1 qmail: 901967408.1 starting delivery 1: msg "
	     "10 to remote a@one.example",
	     "in", -1, &rec);
	feed(&r,
	     "Aug  1 05:30:08 mx2 qmail: 901967408.2 starting delivery 1: msg "
	     "20 to remote b@two.example",
	     "in", -1, &rec);
	assert_int_equal(feed(&r,
	                      "Aug  1 05:30:09 mx2 qmail: 901967409.1 "
	                      "delivery 1: success: did_1+0+0/",
	                      "in", -1, &rec),
	                 RS_PARSE_EVENT);
	rs_test_check_str("recipient", 1, rec.recipient, "b@two.example");
	rs_test_check_str("queue_id", 1, rec.queue_id, "20");
	rs_test_check_str("log_host", 1, rec.log_host, "mx2");
	assert_int_equal(rec.log_time_ms, 901967409100LL);
	feed(&r,
	     "Aug  1 05:30:09 mx1 qmail: 901967409.2 delivery 1: deferral: "
	     "x/",
	     "in", -1, &rec);
	rs_test_check_str("recipient", 2, rec.recipient, "a@one.example");
	/* Once finished, a delivery is forgotten. */
	feed(&r, "Aug  1 05:30:09 mx1 qmail: delivery 1: deferral: x/", "in",
	     -1, &rec);
	assert_null(rec.recipient.p);
	/* Another input (Kafka partition) has its own numbers. */
	feed(&r, "starting delivery 5: msg 50 to remote p0@x.example", "t", 0,
	     &rec);
	feed(&r, "delivery 5: success: did_1+0+0/", "t", 1, &rec);
	assert_null(rec.recipient.p);
	feed(&r, "delivery 5: success: did_1+0+0/", "t", 0, &rec);
	rs_test_check_str("recipient", 3, rec.recipient, "p0@x.example");
	/* A number started again replaces the old start. */
	feed(&r, "starting delivery 6: msg 60 to local old@x.example", "t", 0,
	     &rec);
	feed(&r, "starting delivery 6: msg 61 to local new@x.example", "t", 0,
	     &rec);
	feed(&r, "delivery 6: success: did_1+0+0/", "t", 0, &rec);
	rs_test_check_str("recipient", 4, rec.recipient, "new@x.example");
	rs_test_check_str("queue_id", 4, rec.queue_id, "61");
	/* Bounded: the oldest of MAX_OPEN + 1 open deliveries is gone. */
	for (int i = 0; i <= RS_QMAIL_MAX_OPEN; i++) {
		snprintf(line, sizeof(line),
		         "starting delivery %d: msg %d to remote u%d@x.example",
		         1000 + i, i, i);
		feed(&r, line, "b", -1, &rec);
	}
	feed(&r, "delivery 1000: failure: x/", "b", -1, &rec);
	assert_null(rec.recipient.p);
	feed(&r, "delivery 1001: failure: x/", "b", -1, &rec);
	rs_test_check_str("recipient", 5, rec.recipient, "u1@x.example");
	snprintf(line, sizeof(line), "delivery %d: failure: x/",
	         1000 + RS_QMAIL_MAX_OPEN);
	feed(&r, line, "b", -1, &rec);
	assert_non_null(rec.recipient.p);
	rs_qmail_format.state_destroy(r.st);
	rs_buf_free(&r.aux);
}

/* Under auto the prescan sees qmail's lines, not others' (first bytes). */
static void test_scan_wants(void **state)
{
	static const char *const yes[] = {
	    "@4000000038c3eeb104a13804 delivery 1: success: x/",
	    "1054189746.123136 starting delivery 119: msg 1 to remote a@b",
	    "2013-06-22 14:19:30.670252500 delivery 1: deferral: x/",
	    "starting delivery 1: msg 2 to local a@b",
	    "delivery 245: failure: Unable_to_run_qmail-remote./",
	    "qmail: delivery 1: success: did_1+0+0/",
	    "Aug  1 05:30:08 host qmail: 901967408.113926 new msg 19287",
	};
	static const char *const no[] = {
	    "Jul  5 10:00:00 mx postfix/smtp[2]: 3F1A2B4C5D: to=<u@x>",
	    "2026-11-27 06:00:01 1xWp06-0000000FFJZ-ovEl == a@b R=x",
	    "2026-11-27T06:00:01.123456+00:00 mx postfix/smtp[2]: x",
	    "d,1691595584,a@b.example",
	    "short",
	};

	(void)state;
	for (size_t i = 0; i < N_ELEM(yes); i++) {
		assert_true(rs_qmail_format.scan_wants(yes[i], strlen(yes[i])));
	}
	for (size_t i = 0; i < N_ELEM(no); i++) {
		if (rs_qmail_format.scan_wants(no[i], strlen(no[i]))) {
			fail_msg("wanted: %s", no[i]);
		}
	}
}

static rs_parse_result_t parse_exact(const char *line, size_t len)
{
	return rs_test_parse_exact(&rs_qmail_format, line, len, NULL, 1, arena,
	                           sizeof(arena));
}

static void test_truncation(void **state)
{
	size_t cuts = 0, events = 0;

	(void)state;
	rs_test_cut_fixtures(&rs_qmail_format, files, N_ELEM(files), NULL, 1,
	                     arena, sizeof(arena), &cuts, &events);
	assert_true(cuts > 4000);
	assert_true(events > 800);
}

static void test_bad_input(void **state)
{
	static const char head[] = "1054194596.057500 delivery 183: failure: "
				   "1.2.3.4_does_not_like_recipient./"
				   "Remote_host_said:_550_";
	const size_t big = 1024 * 1024;
	rs_record_t rec;
	const char *why;
	char *buf;
	size_t n = sizeof(head) - 1;

	(void)state;
	assert_int_equal(parse_exact("", 0), RS_PARSE_SKIP);
	buf = malloc(n + big + 2);
	assert_non_null(buf);
	memcpy(buf, head, n);
	memset(buf + n, 'x', big);
	buf[n + big] = '/';
	new_rec(&rec);
	assert_int_equal(
	    rs_format_parse(&rs_qmail_format, buf, n + big + 1, &rec, &why),
	    RS_PARSE_EVENT);
	/* The first 8 KiB of the report are read. */
	assert_int_equal(rec.reply_code, 550);
	assert_true(rec.reply_text.n > 4000 && rec.reply_text.n <= 8192);
	assert_int_equal(parse_exact(buf, n + big + 1), RS_PARSE_EVENT);
	/* An arena too small for even that: malformed with the reason. */
	memset(&rec, 0, sizeof(rec));
	rs_record_reset(&rec);
	assert_int_equal(
	    rs_format_parse(&rs_qmail_format, buf, n + big + 1, &rec, &why),
	    RS_PARSE_MALFORMED);
	assert_string_equal(why, "qmail report: record arena full");
	free(buf);
	/* NUL in the report; invalid UTF-8 carried as bytes. */
	{
		char line[128];
		memcpy(line, head, n);
		memcpy(line + n, "a\0b/", 4);
		new_rec(&rec);
		assert_int_equal(
		    rs_format_parse(&rs_qmail_format, line, n + 4, &rec, &why),
		    RS_PARSE_EVENT);
		assert_int_equal(rec.reply_text.n, 7);
		memcpy(line + n, "\xff\xfe/", 3);
		new_rec(&rec);
		assert_int_equal(
		    rs_format_parse(&rs_qmail_format, line, n + 3, &rec, &why),
		    RS_PARSE_EVENT);
		rs_test_check_str("reply_text", 0, rec.reply_text,
		                  "550 \xff\xfe");
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_fixtures),
	    cmocka_unit_test(test_remote_reports),
	    cmocka_unit_test(test_open_deliveries),
	    cmocka_unit_test(test_scan_wants),
	    cmocka_unit_test(test_truncation),
	    cmocka_unit_test(test_bad_input),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
