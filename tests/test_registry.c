/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_registry.c - the format table and auto-detection: names and
 * lookups; every real fixture line gives under "auto" what its own format
 * gives; no format claims another format's lines as events (no false
 * positives across the fixtures); the syslog prefix of a line is split
 * once however many formats look at it. Fixture files are read as the
 * pipeline reads them: prescanned first (stateful formats see their
 * headers and start lines), under their own format and under auto.
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
#include "formats/exim.h"
#include "formats/format.h"
#include "formats/haraka.h"
#include "formats/kumomta.h"
#include "formats/opensmtpd.h"
#include "formats/pmta.h"
#include "formats/postfix.h"
#include "formats/qmail.h"
#include "formats/reply.h"
#include "formats/sendmail.h"
#include "testutil.h"

#define ARENA_SIZE 65536

/* Fixture files and the format (and MTA) their lines are written in. */
static const struct {
	const char *file;
	const rs_format_t *format;
	rs_mta_t mta;
} fixtures[] = {
    {"postfix/agpl/lightmeter.log", &rs_postfix_format, RS_MTA_POSTFIX},
    {"postfix/agpl/cuttlefish.log", &rs_postfix_format, RS_MTA_POSTFIX},
    {"postfix/kumina.log", &rs_postfix_format, RS_MTA_POSTFIX},
    {"postfix/winebarrel.log", &rs_postfix_format, RS_MTA_POSTFIX},
    {"exim/exim-testsuite.log", &rs_exim_format, RS_MTA_EXIM},
    {"exim/exim-2012.log", &rs_exim_format, RS_MTA_EXIM},
    {"exim/syslog.log", &rs_exim_format, RS_MTA_EXIM},
    {"exim/selectors.log", &rs_exim_format, RS_MTA_EXIM},
    {"multiline/postfix.log", &rs_postfix_format, RS_MTA_POSTFIX},
    {"multiline/exim.log", &rs_exim_format, RS_MTA_EXIM},
    {"sendmail/sendmail.log", &rs_sendmail_format, RS_MTA_SENDMAIL},
    {"kumomta/constructed.jsonl", &rs_kumomta_format, RS_MTA_KUMOMTA},
    {"kumomta/reception.jsonl", &rs_kumomta_format, RS_MTA_KUMOMTA},
    {"pmta/bounce-readme-2016.csv", &rs_pmta_format, RS_MTA_POWERMTA},
    {"pmta/bounce-reordered-2016.csv", &rs_pmta_format, RS_MTA_POWERMTA},
    {"pmta/header-columns-sparkpost.csv", &rs_pmta_format, RS_MTA_POWERMTA},
    {"pmta/header-multitype.csv", &rs_pmta_format, RS_MTA_POWERMTA},
    {"pmta/headerless.csv", &rs_pmta_format, RS_MTA_POWERMTA},
    {"pmta/v4-default-fields.csv", &rs_pmta_format, RS_MTA_POWERMTA},
    {"opensmtpd/bare.log", &rs_opensmtpd_format, RS_MTA_OPENSMTPD},
    {"opensmtpd/event-delivery-2018.log", &rs_opensmtpd_format,
     RS_MTA_OPENSMTPD},
    {"opensmtpd/mda-2025.log", &rs_opensmtpd_format, RS_MTA_OPENSMTPD},
    {"opensmtpd/relay-2013.log", &rs_opensmtpd_format, RS_MTA_OPENSMTPD},
    {"opensmtpd/smtp-out-2014.log", &rs_opensmtpd_format, RS_MTA_OPENSMTPD},
    {"opensmtpd/syslog-2019.log", &rs_opensmtpd_format, RS_MTA_OPENSMTPD},
    {"opensmtpd/trace-2014.log", &rs_opensmtpd_format, RS_MTA_OPENSMTPD},
    {"haraka/default.log", &rs_haraka_format, RS_MTA_HARAKA},
    {"haraka/fragments.log", &rs_haraka_format, RS_MTA_HARAKA},
    {"haraka/json.log", &rs_haraka_format, RS_MTA_HARAKA},
    {"haraka/logfmt.log", &rs_haraka_format, RS_MTA_HARAKA},
    {"haraka/multilog.log", &rs_haraka_format, RS_MTA_HARAKA},
    {"haraka/syslog.log", &rs_haraka_format, RS_MTA_HARAKA},
    {"haraka/timestamps.log", &rs_haraka_format, RS_MTA_HARAKA},
    {"haraka/constructed.log", &rs_haraka_format, RS_MTA_HARAKA},
    {"qmail/bare.log", &rs_qmail_format, RS_MTA_QMAIL},
    {"qmail/matchup-doc.log", &rs_qmail_format, RS_MTA_QMAIL},
    {"qmail/negatives-fail2ban.log", &rs_qmail_format, RS_MTA_QMAIL},
    {"qmail/nostamp-2004.log", &rs_qmail_format, RS_MTA_QMAIL},
    {"qmail/splogger-doc.log", &rs_qmail_format, RS_MTA_QMAIL},
    {"qmail/tai64n-doc.log", &rs_qmail_format, RS_MTA_QMAIL},
    {"qmail/tai64n-lwq.log", &rs_qmail_format, RS_MTA_QMAIL},
    {"qmail/tai64nlocal.log", &rs_qmail_format, RS_MTA_QMAIL},
    {"qmail/unixtime-2003.log", &rs_qmail_format, RS_MTA_QMAIL},
};

/* Negative-control files: valid lines of their format, no outcome. */
static int no_events_expected(const char *file)
{
	return strstr(file, "reception") != NULL ||
	       strstr(file, "smtp-out") != NULL ||
	       strstr(file, "trace-") != NULL ||
	       strstr(file, "haraka/json") != NULL ||
	       strstr(file, "haraka/logfmt") != NULL ||
	       strstr(file, "matchup") != NULL ||
	       strstr(file, "negatives") != NULL ||
	       strstr(file, "multitype") != NULL ||
	       strstr(file, "headerless") != NULL;
}

#define NFIXTURES (sizeof(fixtures) / sizeof(fixtures[0]))

static char arena[ARENA_SIZE];

/* Parse one line with fmt into a fresh record; the result. */
static rs_parse_result_t parse(const rs_format_t *fmt, const char *p, size_t n,
                               rs_record_t *rec)
{
	const char *why = NULL;
	rs_parse_result_t res;

	memset(rec, 0, sizeof(*rec));
	rec->arena = arena;
	rec->arena_cap = sizeof(arena);
	rs_record_reset(rec);
	res = rs_format_parse(fmt, p, n, rec, &why);
	if (res == RS_PARSE_MALFORMED) {
		assert_non_null(why);
	}
	return res;
}

static void test_names(void **state)
{
	char buf[256];

	(void)state;
	assert_ptr_equal(rs_format_find("auto", 4), rs_format_auto());
	assert_ptr_equal(rs_format_at(0), rs_format_auto());
	assert_ptr_equal(rs_format_find("POSTFIX", 7), &rs_postfix_format);
	assert_ptr_equal(rs_format_find("exim", 4), &rs_exim_format);
	assert_ptr_equal(rs_format_find("reply", 5), &rs_reply_format);
	assert_null(rs_format_find("exi", 3));
	assert_null(rs_format_find("", 0));
	assert_null(rs_format_find("postfixx", 8));
	assert_null(rs_format_at(rs_format_count()));
	rs_format_names(buf, sizeof(buf), "|");
	assert_string_equal(buf, "auto|kumomta|exim|postfix|sendmail|pmta|"
	                         "opensmtpd|haraka|qmail|reply");
	/* A too small buffer is cut, still terminated. */
	rs_format_names(buf, 8, ", ");
	assert_int_equal(strlen(buf), 7);
	for (size_t i = 0; i < rs_format_count(); i++) {
		const rs_format_t *f = rs_format_at(i);
		assert_non_null(f->name);
		assert_non_null(f->summary);
		assert_non_null(f->parse);
		assert_ptr_equal(rs_format_find(f->name, strlen(f->name)), f);
		/* Every real format names its MTA; a stateful one has all
		 * four prescan hooks, a stateless one none. */
		if (i > 0) {
			assert_int_not_equal(f->mta, RS_MTA_UNSPECIFIED);
		}
		assert_int_equal(f->state_new != NULL, f->prescan != NULL);
		assert_int_equal(f->state_destroy != NULL, f->prescan != NULL);
		assert_int_equal(f->scan_wants != NULL, f->prescan != NULL);
	}
	/* reply claims every line: never tried by auto. */
	assert_true(rs_reply_format.flags & RS_FORMAT_EXPLICIT_ONLY);
	assert_true(rs_reply_format.flags & RS_FORMAT_REPLY_PER_LINE);
}

/* Every fixture line: auto gives the same result and MTA as the file's
 * own format; the other formats never make an event of it. */
static void test_auto_agrees(void **state)
{
	(void)state;
	for (size_t f = 0; f < NFIXTURES; f++) {
		rs_test_fixture_t fx;
		rs_batch_t b_own, b_auto;
		rs_prescan_t *ps_own, *ps_auto;
		size_t events = 0;

		assert_int_equal(rs_test_fixture_load(fixtures[f].file, &fx),
		                 0);
		ps_own = rs_test_batch_scan(&fx, fixtures[f].file,
		                            fixtures[f].format, NULL, &b_own);
		ps_auto = rs_test_batch_scan(&fx, fixtures[f].file, NULL, NULL,
		                             &b_auto);
		assert_non_null(ps_own);
		assert_non_null(ps_auto);
		for (size_t i = 0; i < fx.count; i++) {
			rs_record_t own, aut, other;
			const char *why;
			rs_parse_result_t r_own, r_auto;

			memset(&own, 0, sizeof(own));
			own.arena = arena;
			own.arena_cap = sizeof(arena) / 2;
			aut = own;
			aut.arena = arena + sizeof(arena) / 2;
			r_own = rs_test_batch_parse(
			    &b_own, i, fixtures[f].format, NULL, &own, &why);
			r_auto = rs_test_batch_parse(&b_auto, i, NULL, NULL,
			                             &aut, &why);
			if (r_own != RS_PARSE_MALFORMED && r_auto != r_own) {
				fail_msg("%s:%zu: auto gives %d, %s gives %d",
				         fixtures[f].file, i + 1, r_auto,
				         fixtures[f].format->name, r_own);
			}
			if (r_auto == RS_PARSE_EVENT) {
				events++;
				assert_int_equal(aut.mta, fixtures[f].mta);
				assert_int_equal(aut.status, own.status);
				assert_int_equal(aut.stage, own.stage);
				assert_int_equal(aut.reply_code,
				                 own.reply_code);
			}
			for (size_t k = 1; k < rs_format_count(); k++) {
				const rs_format_t *o = rs_format_at(k);
				if (o == fixtures[f].format ||
				    (o->flags & RS_FORMAT_EXPLICIT_ONLY)) {
					continue;
				}
				if (parse(o, fx.line[i], fx.len[i], &other) ==
				    RS_PARSE_EVENT) {
					fail_msg("%s:%zu: format %s takes a "
					         "%s line as an event",
					         fixtures[f].file, i + 1,
					         o->name,
					         fixtures[f].format->name);
				}
			}
		}
		if (!no_events_expected(fixtures[f].file)) {
			assert_true(events > 0);
		}
		rs_prescan_destroy(ps_own);
		rs_prescan_destroy(ps_auto);
		rs_batch_free(&b_own);
		rs_batch_free(&b_auto);
		rs_test_fixture_free(&fx);
	}
}

/*
 * What a format's skips() says about a line, checked against what
 * detect() and parse() make of it: NOT_MINE only for a line detect()
 * refuses or parse() skips, DROP only (and only with drop_sent) for a
 * sent event. Returns the answer.
 */
static rs_skip_t check_skip(const rs_format_t *f, const char *p, size_t n,
                            int drop_sent, const char *where)
{
	rs_logline_t ll;
	rs_record_t rec;
	rs_skip_t sk;
	rs_parse_result_t res;
	int detected;

	rs_logline_init(&ll, p, n);
	ll.drop_sent = drop_sent;
	sk = f->skips(&ll);
	rs_logline_init(&ll, p, n);
	detected = f->detect(&ll);
	res = parse(f, p, n, &rec);
	if (sk == RS_SKIP_NOT_MINE && detected && res != RS_PARSE_SKIP) {
		fail_msg("%s: %s skips() says not mine, parse() gives %d",
		         where, f->name, res);
	}
	if (sk == RS_SKIP_DROP &&
	    (!drop_sent || !detected || res != RS_PARSE_EVENT ||
	     rec.status != RS_STATUS_SENT)) {
		fail_msg("%s: %s skips() drops a line that is no sent event",
		         where, f->name);
	}
	return sk;
}

/* The skip path never hides an event or a malformed line: every fixture
 * line, with and without --all, through every format's skips(). */
static void test_skips_exact(void **state)
{
	size_t answered = 0, dropped = 0;

	(void)state;
	for (size_t f = 0; f < NFIXTURES; f++) {
		rs_test_fixture_t fx;
		char where[256];

		assert_int_equal(rs_test_fixture_load(fixtures[f].file, &fx),
		                 0);
		for (size_t i = 0; i < fx.count; i++) {
			snprintf(where, sizeof(where), "%s:%zu",
			         fixtures[f].file, i + 1);
			for (size_t k = 1; k < rs_format_count(); k++) {
				const rs_format_t *o = rs_format_at(k);
				if (o->skips == NULL) {
					continue;
				}
				for (int ds = 0; ds <= 1; ds++) {
					rs_skip_t sk =
					    check_skip(o, fx.line[i], fx.len[i],
					               ds, where);
					answered += sk != RS_SKIP_UNSURE;
					dropped += sk == RS_SKIP_DROP;
				}
			}
		}
		rs_test_fixture_free(&fx);
	}
	/* The path is taken, not only safe. */
	assert_true(answered > 100);
	/* The fixtures hold three well-formed Postfix sent lines. */
	assert_true(dropped >= 3);
}

/* Lines made to sit on the edges of the skip path, with the answer each
 * must get when sent events are dropped. */
static void test_skips_edges(void **state)
{
	static const struct {
		const rs_format_t *fmt;
		const char *line;
		rs_skip_t want;
	} cases[] = {
	    {&rs_postfix_format,
	     "Nov 27 06:00:00 mx postfix/qmgr[1]: 0A1B2C3D4E: removed",
	     RS_SKIP_NOT_MINE},
	    {&rs_postfix_format,
	     "Nov 27 06:00:00 mx postfix/smtp[1]: 0A1B2C3D4E: to=<a@b.c>, "
	     "relay=m.b.c[192.0.2.1]:25, delay=1, dsn=2.0.0, status=sent "
	     "(250 ok)",
	     RS_SKIP_DROP},
	    /* A deferral: always parsed. */
	    {&rs_postfix_format,
	     "Nov 27 06:00:00 mx postfix/smtp[1]: 0A1B2C3D4E: to=<a@b.c>, "
	     "relay=none, delay=1, dsn=4.4.1, status=deferred (timeout)",
	     RS_SKIP_UNSURE},
	    /* Sent, but the address never closes: malformed, not dropped. */
	    {&rs_postfix_format,
	     "Nov 27 06:00:00 mx postfix/smtp[1]: 0A1B2C3D4E: to=<a@b.c, "
	     "status=sent (250 ok)",
	     RS_SKIP_UNSURE},
	    /* Sent without its reason in parentheses: malformed. */
	    {&rs_postfix_format,
	     "Nov 27 06:00:00 mx postfix/smtp[1]: 0A1B2C3D4E: to=<a@b.c>, "
	     "status=sent",
	     RS_SKIP_UNSURE},
	    /* A qmgr expiry has no " to=" but is an event. */
	    {&rs_postfix_format,
	     "Nov 27 06:00:00 mx postfix/qmgr[1]: 0A1B2C3D4E: from=<a@b.c>, "
	     "status=expired, returned to sender",
	     RS_SKIP_UNSURE},
	    {&rs_sendmail_format,
	     "Nov 27 06:00:00 mx sm-mta[1]: QAR6000001: from=<a@b.c>, "
	     "size=1, class=0, nrcpts=1",
	     RS_SKIP_NOT_MINE},
	    {&rs_sendmail_format,
	     "Nov 27 06:00:00 mx sm-mta[1]: QAR6000001: to=<a@b.c>, "
	     "stat=Deferred: Connection timed out",
	     RS_SKIP_UNSURE},
	    {&rs_sendmail_format,
	     "Nov 27 06:00:00 mx sm-mta[1]: QAR6000001: to=<a@b.c>, "
	     "delay=00:00:01, mailer=esmtp, relay=m.b.c. [192.0.2.1], "
	     "dsn=2.0.0, stat=Sent (ok)",
	     RS_SKIP_DROP},
	    /* Sent, but the address never closes: malformed. */
	    {&rs_sendmail_format,
	     "Nov 27 06:00:00 mx sm-mta[1]: QAR6000001: to=<a@b.c, "
	     "dsn=2.0.0, stat=Sent (ok)",
	     RS_SKIP_UNSURE},
	    /* Sent with an empty stat text after all: malformed. */
	    {&rs_sendmail_format,
	     "Nov 27 06:00:00 mx sm-mta[1]: QAR6000001: to=<a@b.c>, stat= ",
	     RS_SKIP_UNSURE},
	    /* "queued" is skipped by parse(), "Sent" only counts first. */
	    {&rs_sendmail_format,
	     "Nov 27 06:00:00 mx sm-mta[1]: QAR6000001: to=<a@b.c>, "
	     "dsn=2.0.0, stat=queued",
	     RS_SKIP_UNSURE},
	    {&rs_exim_format,
	     "2026-11-27 06:00:00 1xWp09-0004hf-da => a@b.c R=dnslookup "
	     "T=remote_smtp H=m.b.c [192.0.2.1] C=\"250 ok\"",
	     RS_SKIP_DROP},
	    {&rs_exim_format,
	     "2026-11-27 06:00:00 [15424] 1xWp09-00000009ndL-JEwZ -> a@b.c "
	     "R=dnslookup T=remote_smtp",
	     RS_SKIP_DROP},
	    /* A deferral: always parsed. */
	    {&rs_exim_format,
	     "2026-11-27 06:00:00 1xWp09-0004hf-da == a@b.c R=dnslookup "
	     "T=remote_smtp defer (-44): SMTP error",
	     RS_SKIP_UNSURE},
	    /* Delivered, but no address after the flag: malformed. */
	    {&rs_exim_format, "2026-11-27 06:00:00 1xWp09-0004hf-da =>  ",
	     RS_SKIP_UNSURE},
	    /* An arrival, a bad date, a line through syslog: parsed. */
	    {&rs_exim_format,
	     "2026-11-27 06:00:00 1xWp09-0004hf-da <= s@b.c H=x [10.0.0.1]",
	     RS_SKIP_UNSURE},
	    {&rs_exim_format,
	     "2026-13-27 06:00:00 1xWp09-0004hf-da => a@b.c R=dnslookup",
	     RS_SKIP_UNSURE},
	    {&rs_exim_format,
	     "Nov 27 06:00:00 mx exim[1]: 1xWp09-0004hf-da => a@b.c "
	     "R=dnslookup",
	     RS_SKIP_UNSURE},
	    /* Not Sendmail's program: not its line to drop. */
	    {&rs_sendmail_format,
	     "Nov 27 06:00:00 mx other[1]: QAR6000001: to=<a@b.c>, "
	     "stat=Sent (ok)",
	     RS_SKIP_UNSURE},
	    /* OpenSMTPD: session chatter is not its to parse. */
	    {&rs_opensmtpd_format,
	     "Jul  6 06:01:40 mx smtpd[7]: 5df87c903d709659 mta connecting "
	     "address=smtp://192.0.2.1:25 host=m.b.c",
	     RS_SKIP_NOT_MINE},
	    {&rs_opensmtpd_format,
	     "smtpd[7]: 5df87c903d709659 smtp disconnected reason=quit",
	     RS_SKIP_NOT_MINE},
	    {&rs_opensmtpd_format, "smtp-out: Connecting to smtp://192.0.2.1",
	     RS_SKIP_NOT_MINE},
	    /* A failure, bare and through syslog: parsed. */
	    {&rs_opensmtpd_format,
	     "5df87c903d709659 mta delivery evpid=c405e39ad6bbc64f "
	     "from=<a@b.c> to=<d@e.f> rcpt=<-> source=\"192.0.2.9\" "
	     "relay=\"192.0.2.1 (m.e.f)\" delay=2s result=\"TempFail\" "
	     "stat=\"421 4.7.0 Try again later\"",
	     RS_SKIP_UNSURE},
	    {&rs_opensmtpd_format,
	     "Jul  6 06:01:40 mx smtpd[7]: relay: PermFail for "
	     "c405e39ad6bbc64f: from=<a@b.c>, to=<d@e.f>, relay=192.0.2.1 "
	     "(m.e.f), delay=1s, stat=550 5.1.1 No such user",
	     RS_SKIP_UNSURE},
	    /* A delivery line without result=: malformed, so parsed. */
	    {&rs_opensmtpd_format,
	     "5df87c903d709659 mta delivery evpid=c405e39ad6bbc64f "
	     "from=<a@b.c> to=<d@e.f>",
	     RS_SKIP_UNSURE},
	    /* Another program's line is not OpenSMTPD's. */
	    {&rs_opensmtpd_format,
	     "Jul  6 06:01:40 mx postfix/smtp[7]: 5df87c903d709659 mta "
	     "delivery result=TempFail",
	     RS_SKIP_NOT_MINE},
	    /* Haraka: inbound and outbound chatter, summary lines. */
	    {&rs_haraka_format,
	     "[PROTOCOL] [DAA706AE-4EA6-4651-816F-C14B4C0BED7E.6] [core] "
	     "S: 550 5.1.1 recipient <a@b.c> rejected: no such user",
	     RS_SKIP_NOT_MINE},
	    {&rs_haraka_format,
	     "2020-02-04T03:19:47.480Z [INFO] [DAA706AE.1.1] [outbound] "
	     "Looking up A records for: m.b.c",
	     RS_SKIP_NOT_MINE},
	    {&rs_haraka_format,
	     "[NOTICE] [DAA706AE.1.1] [outbound] bouncing mail: Some "
	     "recipients failed: <a@b.c>",
	     RS_SKIP_NOT_MINE},
	    {&rs_haraka_format,
	     "[NOTICE] [DAA706AE.1.1] [outbound] Temp failing "
	     "1580786387480_1 for 64 seconds: Some recipients temp failed: "
	     "<a@b.c>",
	     RS_SKIP_NOT_MINE},
	    {&rs_haraka_format,
	     "[INFO] [DAA706AE.1.1] [outbound] recipient <a@b.c> accepted: "
	     "250 2.1.5 ok",
	     RS_SKIP_NOT_MINE},
	    /* Failures: parsed, also with a stamp. */
	    {&rs_haraka_format,
	     "[NOTICE] [DAA706AE.1.1] [outbound] recipient <a@b.c> "
	     "rejected: 550 5.1.1 No such user",
	     RS_SKIP_UNSURE},
	    {&rs_haraka_format,
	     "2020-02-04T03:19:47.480Z [NOTICE] [DAA706AE.1.1] [outbound] "
	     "Temp failing 1580786387480_1 for 64 seconds: Upstream error: "
	     "421 4.7.0 Try again later",
	     RS_SKIP_UNSURE},
	    {&rs_haraka_format,
	     "[NOTICE] [DAA706AE.1.1] [outbound] bouncing mail: Too many "
	     "failures (Tried all MXs)",
	     RS_SKIP_UNSURE},
	    /* Cut inside the address, or without "N seconds:": malformed. */
	    {&rs_haraka_format,
	     "[NOTICE] [DAA706AE.1.1] [outbound] recipient <a@b.c",
	     RS_SKIP_UNSURE},
	    {&rs_haraka_format,
	     "[NOTICE] [DAA706AE.1.1] [outbound] Temp failing now",
	     RS_SKIP_UNSURE},
	    /* A bracket left open: malformed. */
	    {&rs_haraka_format, "[NOTICE] [DAA706AE.1.1 [outbound] delivered",
	     RS_SKIP_UNSURE},
	    /* Delivered: a sent event; with an escaped value not sure. */
	    {&rs_haraka_format,
	     "[INFO] [DAA706AE.1.1] [outbound] delivered file=x domain=b.c "
	     "host=m.b.c ip=192.0.2.1 port=25 response=\"250 ok\" delay=1",
	     RS_SKIP_DROP},
	    {&rs_haraka_format,
	     "[INFO] [DAA706AE.1.1] [outbound] delivered file=x "
	     "response=\"250 \\\"ok\\\"\"",
	     RS_SKIP_UNSURE},
	    /* logfmt and JSON records are parsed. */
	    {&rs_haraka_format,
	     "level=INFO uuid=DAA706AE.1.1 origin=outbound message=\"Looking "
	     "up A records\"",
	     RS_SKIP_UNSURE},
	    /* qmail: every line but a result is not its to parse. */
	    {&rs_qmail_format, "@4000000038c3eeb027f41c7c new msg 93869",
	     RS_SKIP_NOT_MINE},
	    {&rs_qmail_format,
	     "@4000000038c3eeb02877ee94 starting delivery 2392: msg 93869 to "
	     "remote a@b.c",
	     RS_SKIP_NOT_MINE},
	    {&rs_qmail_format,
	     "@4000000038c3eeb104a13804 delivery 2392: success: "
	     "192.0.2.1_accepted_message./Remote_host_said:_250_ok/",
	     RS_SKIP_DROP},
	    {&rs_qmail_format,
	     "1054189746.123136 delivery 17: success: did_0+0+1/",
	     RS_SKIP_DROP},
	    /* Failures, a mangled report, a bad number: parsed. */
	    {&rs_qmail_format,
	     "@4000000038c3eeb104a13804 delivery 2392: deferral: "
	     "192.0.2.1_does_not_like_recipient./Remote_host_said:_451_4.7.1"
	     "_Try_later/Giving_up_on_192.0.2.1./",
	     RS_SKIP_UNSURE},
	    {&rs_qmail_format,
	     "@4000000038c3eeb104a13804 delivery 2392: failure: "
	     "Sorry,_no_mailbox_here_by_that_name._(#5.1.1)/",
	     RS_SKIP_UNSURE},
	    {&rs_qmail_format,
	     "@4000000038c3eeb104a13804 delivery 2392: report mangled, will "
	     "defer",
	     RS_SKIP_UNSURE},
	    {&rs_qmail_format,
	     "@4000000038c3eeb104a13804 delivery 2392 success: did_0+0+1/",
	     RS_SKIP_UNSURE},
	    {&rs_qmail_format,
	     "Nov 27 06:00:00 mx postfix/smtp[1]: delivery 1: success: x",
	     RS_SKIP_NOT_MINE},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		rs_skip_t sk =
		    check_skip(cases[i].fmt, cases[i].line,
		               strlen(cases[i].line), 1, "edge case");
		if (sk != cases[i].want) {
			fail_msg("edge case %zu: skips() gives %d, want %d", i,
			         sk, cases[i].want);
		}
		/* With --all nothing is dropped. */
		assert_int_not_equal(check_skip(cases[i].fmt, cases[i].line,
		                                strlen(cases[i].line), 0,
		                                "edge case"),
		                     RS_SKIP_DROP);
	}
}

/*
 * The skip path as a run uses it: lines prescanned in a batch (so a
 * PowerMTA row sees its header, a qmail result its start line), then
 * parsed under auto and under their own format, once without and once
 * with --all. What a line must give, by kind:
 *   'F' a failure: the same event both times (never dropped);
 *   'D' sent: dropped by the skip path without --all, a sent event with;
 *   'S' sent: a sent event with --all; without, dropped or a sent event
 *       (which the run drops), as the parser decides;
 *   'N' no event either way; 'M' malformed either way.
 */
typedef struct skip_case {
	char kind;
	const char *line;
} skip_case_t;

#define PMTA_HEADER                                                            \
	"type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,"      \
	"dsnDiag,dsnMta,bounceCat,srcType,srcMta,dlvType,dlvSourceIp,"         \
	"dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,queue,"   \
	"vmtaPool"

static const skip_case_t skip_pmta[] = {
    {'N', PMTA_HEADER},
    {'D', "d,1795759200,1795759174,bounce+4623e9@mail.example.net,"
          "wei.taylor@aol.com,,relayed,2.0.0 (success),smtp;250 2.0.0 ok "
          "dirdel,mta7.am0.yahoodns.net (98.136.221.146),success,smtp,"
          "app.example.net (10.20.1.11),smtp,203.0.113.111,98.136.221.146,"
          "\"PIPELINING,8BITMIME,SIZE,STARTTLS\",102755,vmta-2-3,job-179,,"
          "aol.com/vmta-2-3,pool-b"},
    {'F', "b,1795759212,1795474228,news@out.example.net,awalker@yahoo.com,,"
          "failed,4.4.7 (delivery time expired),,mta6.am0.yahoodns.net "
          "(98.136.189.206),message-expired,smtp,app.example.net "
          "(10.20.2.12),smtp,203.0.113.110,98.136.189.206,\"PIPELINING\","
          "3441,vmta-2-2,job-78,,yahoo.com/vmta-2-2,pool-b"},
    {'F', "t,1795759212,1795759200,news@out.example.net,a@gmail.com,,"
          "delayed,4.7.28 (delivery not authorized),\"smtp;421 4.7.28 "
          "rate limited, try later\",mx.gmail.com (192.0.2.1),"
          "policy-related,smtp,app.example.net (10.20.2.12),smtp,"
          "203.0.113.110,192.0.2.1,,3441,vmta-2-2,job-78,,"
          "gmail.com/vmta-2-2,pool-b"},
    {'F', "b,1795759212,1795759200,news@out.example.net,a@gmail.com,,"
          "failed,5.1.1 (bad destination mailbox address),smtp;550 5.1.1 "
          "no such user,mx.gmail.com (192.0.2.1),bad-mailbox,smtp,app "
          "(10.20.2.12),smtp,203.0.113.110,192.0.2.1,,3441,vmta,job,,"
          "gmail.com/vmta,pool-b"},
    /* Sent rows the skip path leaves to the parse: doubled quotes in a
     * field (undoubled into the arena), a long bounceCat (the tag). */
    {'S', "d,1795759200,1795759174,a@b.example,c@d.example,,relayed,"
          "2.0.0 (success),\"smtp;250 2.0.0 \"\"ok\"\"\",mx.d.example "
          "(192.0.2.2),success,smtp,app (10.0.0.1),smtp,203.0.113.1,"
          "192.0.2.2,,1,vmta,job,,d.example/vmta,pool"},
    {'S', "d,1795759200,1795759174,a@b.example,c@d.example,,relayed,"
          "2.0.0 (success),smtp;250 ok,mx.d.example (192.0.2.2),"
          "success-success-success-success-success-success-success-"
          "success-success,smtp,app (10.0.0.1),smtp,203.0.113.1,"
          "192.0.2.2,,1,vmta,job,,d.example/vmta,pool"},
    /* Sent rows that do not fit: malformed, never dropped. */
    {'M', "d,1795759200,1795759174,a@b.example,c@d.example,,relayed"},
    {'M', "d,1795759200,1795759174,a@b.example,c@d.example,,relayed,"
          "2.0.0 (success),smtp;250 \"ok\",mx.d.example (192.0.2.2),"
          "success,smtp,app (10.0.0.1),smtp,203.0.113.1,192.0.2.2,,1,"
          "vmta,job,,d.example/vmta,pool"},
    {'M', "d,1795759200,1795759174,a@b.example,c@d.example,,relayed,"
          "2.0.0 (success),smtp;250 ok,mx.d.example (192.0.2.2),"
          "success,smtp,app (10.0.0.1),smtp,203.0.113.1,192.0.2.2,,1,"
          "vmta,job,,d.example/vmta,pool,one-too-many"},
};

static const skip_case_t skip_syslog[] = {
    {'F', "Nov 27 06:00:00 mta-out-06 postfix/smtp[49999]: 4877A1E18B: "
          "to=<lucia.silva@fabrikam.example>, relay=mx1.fabrikam.example"
          "[192.0.2.175]:25, delay=0.15, delays=0/0/0.03/0.11, dsn=4.3.2, "
          "status=deferred (host mx1.fabrikam.example[192.0.2.175] refused "
          "to talk to me: 450 4.3.2 try again later)"},
    {'F', "Nov 27 06:00:00 bulk-a02 postfix-198.51.100.47/smtp[58397]: "
          "1C93D8506A: to=<anthony@nova.example>, relay=none, delay=114850, "
          "delays=114850/0.22/0/0, dsn=4.4.1, status=deferred (connect to "
          "alt2.aspmx.l.google.com[173.194.203.104]:25: Connection timed "
          "out)"},
    {'D', "Nov 27 06:00:00 mta-out-05 postfix/smtp[25562]: F2E82CB5CE: "
          "to=<karen@icloud.com>, relay=mx01.mail.icloud.com"
          "[17.57.124.92]:25, delay=1, delays=0.11/0.01/0.73/0.19, "
          "dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as AAFA8BE22E)"},
    {'N', "Nov 27 06:00:00 mta-out-05 postfix/qmgr[1]: F2E82CB5CE: "
          "from=<a@b.example>, size=1234, nrcpt=1 (queue active)"},
    {'N', "Nov 27 06:00:00 mta-out-05 postfix/smtpd[1]: connect from "
          "app[10.0.0.1]"},
    {'F', "Nov 27 06:00:00 sm-relay1 sm-mta[22439]: QAR6003E079910: "
          "to=<tgarcia@northwind.example>, delay=00:00:04, "
          "xdelay=00:00:02, mailer=esmtp, pri=212818, relay=mx1.northwind"
          ".example. [192.0.2.22], dsn=4.4.3, stat=Deferred: 451 4.4.3 "
          "Temporary DNS lookup failure, try again later"},
    {'D', "Nov 27 06:00:00 sm-relay2 sendmail[55217]: QAR600XH022771: "
          "to=<pab@gmail.com>, delay=00:00:03, xdelay=00:00:01, "
          "mailer=esmtp, pri=265529, relay=gmail-smtp-in.l.google.com. "
          "[142.250.194.66], dsn=2.0.0, stat=Sent (OK 1795794580 - gsmtp)"},
    {'F', "Nov 27 06:00:00 smtpd-out2 smtpd[44208]: e7e7c6326d1b2895 mta "
          "delivery evpid=8f742c99c0963b4a from=<bounce@notify.example> "
          "to=<lea.clark@zoho.com> rcpt=<-> source=\"192.0.2.62\" "
          "relay=\"136.143.209.245 (mx2.zoho.com)\" delay=28s "
          "result=\"TempFail\" stat=\"451 4.4.3 Temporary DNS lookup "
          "failure, try again later\""},
    {'N', "Nov 27 06:00:00 smtpd-out1 smtpd[46567]: 653afd19b1971799 mta "
          "connected"},
};

static const skip_case_t skip_exim[] = {
    {'F', "2026-11-27 06:00:00 1xWp04-0009Nu-5B == kenji@quarry.example "
          "R=dnslookup T=remote_smtp defer (-44): SMTP error from remote "
          "mail server after RCPT TO:<kenji@quarry.example>: host "
          "mx1.quarry.example [192.0.2.140]: 451 4.3.5 Server "
          "configuration problem"},
    {'F', "2026-11-27 06:00:00 1xWp04-0000000GI57-OyFN ** giulia@vanguard"
          ".example R=dnslookup T=remote_smtp H=mx.vanguard.example "
          "[192.0.2.9]: SMTP error from remote mail server after RCPT "
          "TO:<giulia@vanguard.example>: 550 5.1.1 User unknown"},
    {'D', "2026-11-27 06:00:00 1xWp04-0000By-38 => lclark@icloud.com "
          "R=dnslookup T=remote_smtp H=mx02.mail.icloud.com [17.42.59.46] "
          "X=TLS1.2:ECDHE-RSA-AES256-GCM-SHA384:256 CV=yes C=\"250 2.0.0 "
          "Ok: queued as 8E8BEB05EA\""},
    {'N', "2026-11-27 06:00:00 1xWp04-0000By-38 <= news@mail.example "
          "H=app.example [10.20.8.18] P=esmtps S=1234"},
    {'N', "2026-11-27 06:00:00 1xWp04-0000By-38 Completed"},
};

static const skip_case_t skip_kumo[] = {
    {'F', "{\"type\":\"Bounce\",\"id\":\"2330abb7\",\"sender\":\"news@n."
          "example\",\"recipient\":\"sarah@gmail.com\",\"queue\":\"gmail."
          "com\",\"response\":{\"code\":552,\"enhanced_code\":{\"class\":5,"
          "\"subject\":2,\"detail\":2},\"content\":\"The recipient's inbox "
          "is out of storage space\",\"command\":\"RCPT TO:<sarah@gmail."
          "com>\\r\\n\"},\"peer_address\":{\"name\":\"alt1.gmail-smtp-in.l."
          "google.com\",\"addr\":\"173.194.1.114\"},\"timestamp\":"
          "1795759200,\"created\":1795759100}"},
    {'F', "{\"type\":\"TransientFailure\",\"id\":\"16a66a7e\",\"sender\":"
          "\"a@n.example\",\"recipient\":\"l@googlemail.com\",\"queue\":"
          "\"googlemail.com\",\"response\":{\"code\":400,\"enhanced_code\":"
          "null,\"content\":\"KumoMTA internal: failed to connect to any "
          "candidate hosts\",\"command\":null},\"peer_address\":null,"
          "\"timestamp\":1795759200}"},
    {'S', "{\"type\":\"Delivery\",\"id\":\"4589a5d9\",\"sender\":\"b@n."
          "example\",\"recipient\":\"billing@yahoo.com\",\"queue\":\"yahoo."
          "com\",\"response\":{\"code\":250,\"enhanced_code\":{\"class\":2,"
          "\"subject\":0,\"detail\":0},\"content\":\"ok dirdel\",\"command\":"
          "\".\\r\\n\"},\"peer_address\":{\"name\":\"mta7.am0.yahoodns.net\","
          "\"addr\":\"98.136.221.146\"},\"timestamp\":1795759200}"},
    /* A Delivery with escapes, a string time and an array recipient. */
    {'S', "{\"type\":\"Delivery\",\"id\":\"a\\u00e9\",\"recipient\":[\"x@y."
          "example\"],\"timestamp\":\"2026-11-27T06:00:00Z\",\"response\":"
          "{\"code\":250,\"content\":\"ok \\\"queued\\\"\",\"command\":\"."
          "\\r\\n\"},\"peer_address\":{\"name\":\"m\",\"addr\":\"[2001:db8::1]"
          ":25\"},\"queue\":\"c:t@y.example\"}"},
    /* Delivery records that are malformed only past their type: a lone
     * surrogate, a time that is neither number nor string, a command
     * that does not decode, an enhanced code of class 3, a peer name
     * that is a number. Never dropped. */
    {'M', "{\"type\":\"Delivery\",\"response\":{\"content\":\"\\ud800x\"}}"},
    {'M', "{\"type\":\"Delivery\",\"timestamp\":true}"},
    {'M', "{\"type\":\"Delivery\",\"response\":{\"command\":\"\\x\"}}"},
    {'M', "{\"type\":\"Delivery\",\"response\":{\"enhanced_code\":{"
          "\"class\":3,\"subject\":0,\"detail\":0}}}"},
    {'M', "{\"type\":\"Delivery\",\"peer_address\":{\"name\":7}}"},
    /* A Delivery record of the wrong shape: malformed, not dropped. */
    {'M', "{\"type\":\"Delivery\",\"id\":7,\"timestamp\":1795759200}"},
    {'M', "{\"type\":\"Delivery\",\"id\":\"x\",\"timestamp\":1795759200"},
    {'N', "{\"type\":\"Reception\",\"id\":\"x\",\"timestamp\":1795759200}"},
};

static const skip_case_t skip_haraka[] = {
    {'F', "2026-11-27T06:00:00.521Z [NOTICE] [70751207-8860-41A0.1.1] "
          "[outbound] recipient <thomas@icloud.com> rejected: 550 5.1.1 "
          "<thomas@icloud.com>: user does not exist"},
    {'F', "2026-11-27T06:00:01.522Z [NOTICE] [0B712AE7-8006-8399.1.1] "
          "[outbound] recipient <fatima@acme.example> deferred: 452 4.1.1 "
          "<fatima@acme.example> user is over quota"},
    {'D', "2026-11-27T06:00:05.218Z [NOTICE] [2B807FCF-D1C1-10B8.1.1] "
          "[outbound]  delivered file=1795759204396_1_haraka-out1 "
          "domain=mail.ru host=mxs.mail.ru ip=217.69.165.101 port=25 "
          "mode=SMTP tls=Y auth=N response=\"Ok: queued as 02B4CA5DD8\" "
          "delay=2.3 fails=0 rcpts=1/0/0"},
};

static const skip_case_t skip_qmail[] = {
    {'N', "@400000006b091c6a06e1c0ca starting delivery 1001: msg 331688 "
          "to remote a@gmail.com"},
    {'F', "@400000006b091c6a16ab8a4e delivery 1001: deferral: Sorry,_I_"
          "wasn't_able_to_establish_an_SMTP_connection._(#4.4.1)/"},
    {'N', "@400000006b091c6a06e1c0cb starting delivery 1002: msg 331689 "
          "to remote b@outlook.com"},
    {'D', "@400000006b091c6a1d5b279b delivery 1002: success: 40.92.108.211"
          "_accepted_message./Remote_host_said:_250_OK/"},
    {'N', "@400000006b091c6a06e1c0cc starting delivery 1003: msg 331690 "
          "to remote c@yahoo.com"},
    {'F', "@400000006b091c6e092653c3 delivery 1003: failure: 192.0.2.3_"
          "does_not_like_recipient./Remote_host_said:_550_5.1.1_no_such_"
          "user/Giving_up_on_192.0.2.3./"},
};

/* One group of lines through a batch under fmt (NULL: auto). */
static size_t check_skip_group(const char *name, const skip_case_t *cases,
                               size_t n, const rs_format_t *fmt)
{
	rs_test_fixture_t fx;
	rs_batch_t b;
	rs_prescan_t *ps;
	size_t dropped = 0;

	fx.data = NULL;
	fx.count = n;
	fx.line = calloc(n, sizeof(*fx.line));
	fx.len = calloc(n, sizeof(*fx.len));
	assert_non_null(fx.line);
	assert_non_null(fx.len);
	for (size_t i = 0; i < n; i++) {
		fx.line[i] = cases[i].line;
		fx.len[i] = strlen(cases[i].line);
	}
	ps = rs_test_batch_scan(&fx, name, fmt, NULL, &b);
	assert_non_null(ps);
	for (size_t i = 0; i < n; i++) {
		rs_record_t all, drop;
		const char *why;
		rs_parse_result_t r_all, r_drop;
		char kind = cases[i].kind;

		memset(&all, 0, sizeof(all));
		all.arena = arena;
		all.arena_cap = sizeof(arena) / 2;
		drop = all;
		drop.arena = arena + sizeof(arena) / 2;
		r_all =
		    rs_test_batch_parse_drop(&b, i, fmt, NULL, 0, &all, &why);
		r_drop =
		    rs_test_batch_parse_drop(&b, i, fmt, NULL, 1, &drop, &why);
		switch (kind) {
		case 'F':
			if (r_all != RS_PARSE_EVENT ||
			    r_drop != RS_PARSE_EVENT ||
			    all.status == RS_STATUS_SENT ||
			    drop.status != all.status ||
			    drop.stage != all.stage || drop.mta != all.mta ||
			    drop.reply_code != all.reply_code) {
				fail_msg(
				    "%s line %zu (%s): a failure lost: %d/%d "
				    "status %d/%d",
				    name, i + 1, fmt ? fmt->name : "auto",
				    r_all, r_drop, all.status, drop.status);
			}
			break;
		case 'D':
		case 'S':
			if (r_all != RS_PARSE_EVENT ||
			    all.status != RS_STATUS_SENT) {
				fail_msg("%s line %zu (%s): no sent event with "
				         "--all: %d",
				         name, i + 1, fmt ? fmt->name : "auto",
				         r_all);
			}
			if (r_drop == RS_PARSE_SKIP) {
				dropped++;
			} else if (kind == 'D' || r_drop != RS_PARSE_EVENT ||
			           drop.status != RS_STATUS_SENT) {
				fail_msg("%s line %zu (%s): sent line not "
				         "dropped: %d",
				         name, i + 1, fmt ? fmt->name : "auto",
				         r_drop);
			}
			break;
		case 'N':
		case 'M':
		default: {
			rs_parse_result_t want =
			    kind == 'N' ? RS_PARSE_SKIP : RS_PARSE_MALFORMED;
			if (r_all != want || r_drop != want) {
				fail_msg("%s line %zu (%s): %d/%d, want %d",
				         name, i + 1, fmt ? fmt->name : "auto",
				         r_all, r_drop, want);
			}
			break;
		}
		}
	}
	rs_prescan_destroy(ps);
	rs_batch_free(&b);
	free(fx.line);
	free(fx.len);
	return dropped;
}

/* Failure lines of every format keep their events without --all; sent
 * lines are dropped by the skip path (kind 'D' always) and kept with
 * --all; under auto and under each line's own format. */
static void test_skip_path_keeps_failures(void **state)
{
	static const struct {
		const char *name;
		const skip_case_t *cases;
		size_t n;
		const rs_format_t *own[4];
	} groups[] = {
	    {"pmta",
	     skip_pmta,
	     sizeof(skip_pmta) / sizeof(skip_pmta[0]),
	     {&rs_pmta_format}},
	    {"exim",
	     skip_exim,
	     sizeof(skip_exim) / sizeof(skip_exim[0]),
	     {&rs_exim_format}},
	    {"kumomta",
	     skip_kumo,
	     sizeof(skip_kumo) / sizeof(skip_kumo[0]),
	     {&rs_kumomta_format}},
	    {"haraka",
	     skip_haraka,
	     sizeof(skip_haraka) / sizeof(skip_haraka[0]),
	     {&rs_haraka_format}},
	    {"qmail",
	     skip_qmail,
	     sizeof(skip_qmail) / sizeof(skip_qmail[0]),
	     {&rs_qmail_format}},
	    {"syslog",
	     skip_syslog,
	     sizeof(skip_syslog) / sizeof(skip_syslog[0]),
	     {NULL}},
	};
	size_t want = 0, dropped = 0;

	(void)state;
	for (size_t g = 0; g < sizeof(groups) / sizeof(groups[0]); g++) {
		for (size_t i = 0; i < groups[g].n; i++) {
			want += groups[g].cases[i].kind == 'D';
		}
		dropped += check_skip_group(groups[g].name, groups[g].cases,
		                            groups[g].n, NULL);
		for (size_t k = 0; k < 4 && groups[g].own[k] != NULL; k++) {
			dropped +=
			    check_skip_group(groups[g].name, groups[g].cases,
			                     groups[g].n, groups[g].own[k]);
		}
	}
	/* Every 'D' line was dropped under auto at least. */
	assert_true(dropped >= want);
}

/* Every fixture line, under auto and its own format, prescanned as a run
 * does: without --all the same events and malformed lines as with it,
 * only sent events gone. */
static void test_skip_path_fixtures(void **state)
{
	size_t dropped = 0;

	(void)state;
	for (size_t f = 0; f < NFIXTURES; f++) {
		for (int own = 0; own <= 1; own++) {
			const rs_format_t *fmt =
			    own ? fixtures[f].format : NULL;
			rs_test_fixture_t fx;
			rs_batch_t b;
			rs_prescan_t *ps;

			assert_int_equal(
			    rs_test_fixture_load(fixtures[f].file, &fx), 0);
			ps = rs_test_batch_scan(&fx, fixtures[f].file, fmt,
			                        NULL, &b);
			assert_non_null(ps);
			for (size_t i = 0; i < fx.count; i++) {
				rs_record_t all, drop;
				const char *why;
				rs_parse_result_t r_all, r_drop;

				memset(&all, 0, sizeof(all));
				all.arena = arena;
				all.arena_cap = sizeof(arena) / 2;
				drop = all;
				drop.arena = arena + sizeof(arena) / 2;
				r_all = rs_test_batch_parse_drop(
				    &b, i, fmt, NULL, 0, &all, &why);
				r_drop = rs_test_batch_parse_drop(
				    &b, i, fmt, NULL, 1, &drop, &why);
				if (r_all == RS_PARSE_EVENT &&
				    all.status == RS_STATUS_SENT &&
				    r_drop == RS_PARSE_SKIP) {
					dropped++;
					continue;
				}
				if (r_drop != r_all ||
				    (r_all == RS_PARSE_EVENT &&
				     (drop.status != all.status ||
				      drop.stage != all.stage ||
				      drop.reply_code != all.reply_code))) {
					fail_msg(
					    "%s:%zu (%s): %d without --all, "
					    "%d with",
					    fixtures[f].file, i + 1,
					    fmt ? fmt->name : "auto", r_drop,
					    r_all);
				}
			}
			rs_prescan_destroy(ps);
			rs_batch_free(&b);
			rs_test_fixture_free(&fx);
		}
	}
	/* The fixtures' sent lines do take the path. */
	assert_true(dropped > 10);
}

/* Lines no format detects are skipped, not malformed, under auto. */
static void test_auto_skips_unknown(void **state)
{
	static const char *const lines[] = {
	    "",
	    "hello world",
	    "Jan  1 00:00:00 host kernel: eth0 link up",
	    "Jan  1 00:00:00 host postfix/smtpd[1]: connect from x[1.2.3.4]",
	    "Jan  1 00:00:00 host postfix/cleanup[1]: ABCDE12345: "
	    "message-id=<x@y>",
	    "2024-01-02 03:04:05 1rAbCd-0001Xy-7k <= a@b.example H=x [1.2.3.4]",
	    "\xff\xfe\x00binary",
	};
	rs_record_t rec;

	(void)state;
	for (size_t i = 0; i < sizeof(lines) / sizeof(lines[0]); i++) {
		size_t n = i == 6 ? 9 : strlen(lines[i]);
		assert_int_equal(parse(rs_format_auto(), lines[i], n, &rec),
		                 RS_PARSE_SKIP);
	}
}

/* A trailing CR is not part of the line for any format. */
static void test_crlf(void **state)
{
	static const char line[] =
	    "Jul  5 10:00:00 mx postfix/smtp[2]: 3F1A2B4C5D: "
	    "to=<u@example.com>, relay=mx.example.com[192.0.2.1]:25, "
	    "delay=1, delays=0.1/0/0.5/0.4, dsn=4.7.0, status=deferred "
	    "(host mx.example.com[192.0.2.1] said: 421 4.7.0 Not allowed "
	    "(in reply to RCPT TO command))\r";
	rs_record_t rec;

	(void)state;
	assert_int_equal(parse(rs_format_auto(), line, strlen(line), &rec),
	                 RS_PARSE_EVENT);
	assert_int_equal(rec.stage, RS_STAGE_RCPT_TO);
	assert_int_equal(rec.reply_text.p[rec.reply_text.n - 1], 'd');
}

/* The syslog split is done once and shared. */
static void test_logline_split_once(void **state)
{
	static const char line[] = "Jul  5 10:00:00 mx sm-mta[2]: x";
	rs_logline_t ll;
	const rs_syslog_t *a, *b;

	(void)state;
	rs_logline_init(&ll, line, strlen(line));
	a = rs_logline_syslog(&ll);
	b = rs_logline_syslog(&ll);
	assert_non_null(a);
	assert_ptr_equal(a, b);
	assert_int_equal(a->program.n, 6);
	rs_logline_init(&ll, "no prefix", 9);
	assert_null(rs_logline_syslog(&ll));
	assert_null(rs_logline_syslog(&ll));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_auto_agrees),
	    cmocka_unit_test(test_skips_exact),
	    cmocka_unit_test(test_skips_edges),
	    cmocka_unit_test(test_skip_path_keeps_failures),
	    cmocka_unit_test(test_skip_path_fixtures),
	    cmocka_unit_test(test_auto_skips_unknown),
	    cmocka_unit_test(test_crlf),
	    cmocka_unit_test(test_logline_split_once),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
