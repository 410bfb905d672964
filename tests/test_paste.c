/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_paste.c - a pasted text is read the way the pipeline reads it
 * (classify/paste.c): a whole MTA log line through the format auto-
 * detection finds and the pipeline's record->verdict step, anything else
 * through the reply format.
 *
 * Every log line below is a line of a fixture under tests/fixtures/ (the
 * test checks that it is there; the fixtures' README.md and SOURCES.tsv
 * name where each came from). The KumoMTA record is from
 * kumomta/constructed.jsonl, built from kumod's own responses (see that
 * README). The bare reply is a dev.tsv-style Postfix reply.
 *
 * Group fixture: rules/ (RS_RULES_DIR) loaded once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "classify/classify.h"
#include "classify/paste.h"
#include "classify/rules.h"
#include "formats/format.h"
#include "formats/reply.h"
#include "testutil.h"

/* A loaded set, one scratch and two records with their arenas. */
struct fixture {
	rs_rules_t *rules;
	rs_rules_scratch_t *scratch;
	rs_record_t rec, ref;
	char arena[16384], ref_arena[16384];
};

static int group_setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));

	if (f == NULL) {
		return -1;
	}
	if (rs_test_rules_open(RS_RULES_DIR, &f->rules, &f->scratch) != 0) {
		free(f);
		return -1;
	}
	f->rec.arena = f->arena;
	f->rec.arena_cap = sizeof(f->arena);
	f->ref.arena = f->ref_arena;
	f->ref.arena_cap = sizeof(f->ref_arena);
	*state = f;
	return 0;
}

static int group_teardown(void **state)
{
	struct fixture *f = *state;

	rs_rules_scratch_destroy(f->scratch);
	rs_rules_destroy(f->rules);
	free(f);
	return 0;
}

/* One log line, what is pasted of it, and what must come out. */
struct log_case {
	const char *file; /* under tests/fixtures/ */
	const char *line; /* the whole line, as in file */
	size_t cut;       /* bytes of line not pasted (a stamp left off) */
	const char *format;
	const char *reply; /* the reply the parser extracts */
	rs_stage_t stage;  /* the stage the log proves */
	rs_cause_t cause;  /* RS_CAUSE_UNSPECIFIED: a learned verdict, not
	                      pinned here (the pipeline's is checked) */
};

#define PF_GREY                                                                \
	"Jan  1 00:00:00 host postfix/smtp[1]: 232EAC2E55: "                   \
	"to=<to@sample.net>, "                                                 \
	"relay=sample.net[10.0.0.1]:25, delay=5.7, "                           \
	"delays=0.05/0.02/5.3/0.3, dsn=4.7.1, status=deferred (host "          \
	"sample.net[10.0.0.1] said: 450 4.7.1 <to@sample.net>: Recipient "     \
	"address rejected: Greylisted (in reply to RCPT TO command))"
#define PF_CONNECT                                                             \
	"Nov 17 12:26:48 #### postfix/smtp[4284]: 46F82C0FB4: "                \
	"to=<****@gmail.com>, orig_to=<****@****.edu.ph>, relay=none, "        \
	"delay=8831, delays=8764/0.11/67/0, dsn=4.4.1, status=deferred "       \
	"(connect to alt4.gmail-smtp-in.l.google.com[209.85.143.26]:25: "      \
	"Connection timed out)"
#define PF_EXPIRED                                                             \
	"Jul 10 13:39:13 srv24-s-st postfix/qmgr[3043]: EC1ECDF0510: "         \
	"from=<user6@start-cbs.ru>, status=expired, returned to sender"
#define PF_LOOP                                                                \
	"Jan  1 00:00:00 host postfix/smtp[1]: 76EB0D13: "                     \
	"to=<user@example.com>, relay=none, delay=1, status=bounced (mail "    \
	"for mail.example.com loops back to myself)"
#define EXIM_MAIN                                                              \
	"2012-02-13 15:02:02 1RwtdJ-0000Ac-Ch ** "                             \
	"lqkwrzreonkhhtql@terraoil.ru "                                        \
	"R=dnslookup T=remote_smtp: SMTP error from remote mail server after " \
	"RCPT TO:<lqkwrzreonkhhtql@terraoil.ru>: host mail-s56.1gb.ru "        \
	"[81.177.159.3]: 553 We do not relay without RFC2554 authentication."
#define EXIM_TAG                                                               \
	"exim[14706]: 2006-11-21 15:01:39 1Gmary-0002iA-00 ** "                \
	"xxxxxxxx@some-domain.com R=dnslookup T=remote_smtp: SMTP error from " \
	"remote mailer after RCPT TO:<xxxxxxxx@some-domain.com>: host "        \
	"mx.some-domain.com [1.1.1.1]: 550 Mailbox unavailable "               \
	"<xxxxxxxxxxx@some-domain.com>"
#define EXIM_SYSLOG                                                            \
	"Feb 14 18:12:49 192.168.55.51 exim[63062]: 2025-02-14 18:12:49.175 "  \
	"[63062] 1tivSh-00000000ALP-0mWt == root@domain.ru R=localuser "       \
	"T=local_delivery defer (-53) DT=0.000s: Retry time not yet reached"
#define SENDMAIL                                                               \
	"Apr 09 09:29:51 infraportal.stfc.ac.uk sm-msp-queue[15093]: "         \
	"0397TlbT013757: to=postmaster, delay=00:59:37, xdelay=00:00:03, "     \
	"mailer=relay, pri=234149, relay=csf-mail.rl.ac.uk [130.246.180.28], " \
	"dsn=4.7.1, stat=Deferred: 454 4.7.1 "                                 \
	"<postmaster@infraportal.stfc.ac.uk>: Relay access denied"
#define QMAIL                                                                  \
	"2003-05-28 00:37:24.417470 delivery 2518: deferral: "                 \
	"Sorry,_I_couldn't_find_any_host_by_that_name._(#4.1.2)/"
#define OPENSMTPD                                                              \
	"Mar 22 17:56:37 mercury smtpd[45037]: 8f4864084ecc48f4 mta "          \
	"event=delivery evpid=7077717e797a776e from=<puffy@example.com> "      \
	"to=<bill@hotmail.com> rcpt=<-> source=\"203.0.113.1\" "               \
	"relay=\"104.47.38.33 (104.47.38.33)\" delay=1s result=\"PermFail\" "  \
	"stat=\"550 5.7.1 Unfortunately, messages from [203.0.113.1] weren't " \
	"sent. Please contact your Internet service provider since part of "   \
	"their network is on our block list (AS3150). You can also refer "     \
	"your provider to "                                                    \
	"http://mail.live.com/mail/troubleshooting.aspx#errors. "              \
	"[BL2NAM02FT031.eop-nam02.prod.protection.outlook.com]\""
#define KUMOMTA                                                                \
	"{\"type\":\"Bounce\",\"id\":\"f68462cf36ca11ee99f450ebf67f93bd\","    \
	"\"sender\":\"wez@example.com\",\"recipient\":\"wez@example.com."      \
	"org\","                                                               \
	"\"queue\":\"example.com.org\",\"site\":\"\",\"size\":518,"            \
	"\"response\":{\"code\":501,\"enhanced_code\":{\"class\":5,"           \
	"\"subject\":1,\"detail\":3},\"content\":\"Invalid recipient address " \
	"syntax\",\"command\":\"RCPT TO:<sender@example.com:2025>\\r\\n\"},"   \
	"\"peer_address\":{\"name\":\"foo.lan\",\"addr\":\"127.0.0.1\"},"      \
	"\"timestamp\":1691595584,\"created\":1691595584,\"num_attempts\":0,"  \
	"\"bounce_classification\":\"Uncategorized\",\"egress_pool\":null,"    \
	"\"egress_source\":null,\"feedback_report\":null,\"meta\":{},"         \
	"\"headers\":{},\"delivery_protocol\":null,\"reception_protocol\":"    \
	"\"ESMTP\",\"nodeid\":\"4eb22880-dc03-44dc-a4d1-4d0e68ac7845\"}"
#define HARAKA                                                                 \
	"Apr 30 07:23:39 mta-gw haraka[19479]: [NOTICE] "                      \
	"[0E174DE1-B730-471F-AA64-4B7D27F814D5.1.1] [outbound] recipient "     \
	"<testmailing1@area13.com> rejected: 550 5.1.1 "                       \
	"<testbadrcpt@remote.com>: Recipient address rejected: User unknown "  \
	"in relay recipient table"

/* Length of a syslog stamp and host ("Mmm dd hh:mm:ss host "). */
#define STAMP(host) (sizeof("Mmm dd hh:mm:ss " host " ") - 1)

static const struct log_case log_cases[] = {
    {"postfix/logwatch-msgonly.log", PF_GREY, 0, "postfix",
     "450 4.7.1 <to@sample.net>: Recipient address rejected: Greylisted",
     RS_STAGE_RCPT_TO, RS_CAUSE_GREYLISTING},
    {"postfix/forums.log", PF_CONNECT, 0, "postfix",
     "connect to alt4.gmail-smtp-in.l.google.com[209.85.143.26]:25: "
     "Connection timed out",
     RS_STAGE_CONNECT, RS_CAUSE_NETWORK_CONNECTION},
    {"postfix/forums.log", PF_EXPIRED, 0, "postfix",
     "expired, returned to sender", RS_STAGE_QUEUE, RS_CAUSE_EXPIRED},
    {"exim/exim-2012.log", EXIM_MAIN, 0, "exim",
     "553 We do not relay without RFC2554 authentication.", RS_STAGE_RCPT_TO,
     RS_CAUSE_RELAY_DENIED},
    {"exim/public.log", EXIM_TAG, 0, "exim",
     "550 Mailbox unavailable <xxxxxxxxxxx@some-domain.com>", RS_STAGE_RCPT_TO,
     RS_CAUSE_USER_UNKNOWN},
    {"exim/syslog.log", EXIM_SYSLOG, 0, "exim", "Retry time not yet reached",
     RS_STAGE_QUEUE, RS_CAUSE_UNSPECIFIED},
    {"sendmail/forums.log", SENDMAIL, 0, "sendmail",
     "454 4.7.1 <postmaster@infraportal.stfc.ac.uk>: Relay access denied",
     RS_STAGE_UNKNOWN, RS_CAUSE_RELAY_DENIED},
    {"qmail/mixed-stamps-2003.log", QMAIL, 0, "qmail",
     "Sorry, I couldn't find any host by that name. (#4.1.2)", RS_STAGE_CONNECT,
     RS_CAUSE_DNS_FAILURE},
    {"opensmtpd/event-delivery-2018.log", OPENSMTPD, 0, "opensmtpd",
     "550 5.7.1 Unfortunately, messages from [203.0.113.1] weren't sent. "
     "Please contact your Internet service provider since part of their "
     "network is on our block list (AS3150). You can also refer your "
     "provider to http://mail.live.com/mail/troubleshooting.aspx#errors. "
     "[BL2NAM02FT031.eop-nam02.prod.protection.outlook.com]",
     RS_STAGE_UNKNOWN, RS_CAUSE_IP_POLICY_BLOCK},
    {"kumomta/constructed.jsonl", KUMOMTA, 0, "kumomta",
     "Invalid recipient address syntax", RS_STAGE_RCPT_TO,
     RS_CAUSE_USER_UNKNOWN},
    {"haraka/syslog.log", HARAKA, 0, "haraka",
     "550 5.1.1 <testbadrcpt@remote.com>: Recipient address rejected: User "
     "unknown in relay recipient table",
     RS_STAGE_RCPT_TO, RS_CAUSE_USER_UNKNOWN},
    /* Pasted without the first fields: the syslog stamp and host, the
     * Exim main log's stamp. */
    {"postfix/forums.log", PF_CONNECT, STAMP("####"), "postfix",
     "connect to alt4.gmail-smtp-in.l.google.com[209.85.143.26]:25: "
     "Connection timed out",
     RS_STAGE_CONNECT, RS_CAUSE_NETWORK_CONNECTION},
    {"postfix/logwatch-msgonly.log", PF_GREY, STAMP("host"), "postfix",
     "450 4.7.1 <to@sample.net>: Recipient address rejected: Greylisted",
     RS_STAGE_RCPT_TO, RS_CAUSE_GREYLISTING},
    {"exim/exim-2012.log", EXIM_MAIN, sizeof("2012-02-13 15:02:02 ") - 1,
     "exim", "553 We do not relay without RFC2554 authentication.",
     RS_STAGE_RCPT_TO, RS_CAUSE_RELAY_DENIED},
    /* Postfix's delivery record alone: from its queue id, from "to=". */
    {"postfix/logwatch-msgonly.log", PF_LOOP,
     STAMP("host") + sizeof("postfix/smtp[1]: ") - 1, "postfix",
     "mail for mail.example.com loops back to myself", RS_STAGE_UNKNOWN,
     RS_CAUSE_ROUTING_ERROR},
    {"postfix/logwatch-msgonly.log", PF_LOOP,
     STAMP("host") + sizeof("postfix/smtp[1]: 76EB0D13: ") - 1, "postfix",
     "mail for mail.example.com loops back to myself", RS_STAGE_UNKNOWN,
     RS_CAUSE_ROUTING_ERROR},
    {"sendmail/forums.log", SENDMAIL, STAMP("infraportal.stfc.ac.uk"),
     "sendmail",
     "454 4.7.1 <postmaster@infraportal.stfc.ac.uk>: Relay access denied",
     RS_STAGE_UNKNOWN, RS_CAUSE_RELAY_DENIED},
};

/* Fail unless file (under tests/fixtures/) has line as one of its lines. */
static void assert_in_fixture(const char *file, const char *line)
{
	rs_test_fixture_t fx;
	size_t n = strlen(line);
	int found = 0;

	assert_int_equal(rs_test_fixture_load(file, &fx), 0);
	for (size_t i = 0; i < fx.count && !found; i++) {
		found = fx.len[i] == n && memcmp(fx.line[i], line, n) == 0;
	}
	rs_test_fixture_free(&fx);
	if (!found) {
		fail_msg("%s: not a line of the fixture: %.60s...", file, line);
	}
}

/* The pipeline's verdict for a whole log line: auto-detection, then
 * rs_classify_record (pipeline.c's worker step). */
static void pipeline_verdict(struct fixture *f, const char *line,
                             rs_verdict_t *v)
{
	const char *why = NULL;

	rs_record_reset(&f->ref);
	assert_int_equal(rs_format_parse(rs_format_auto(), line, strlen(line),
	                                 &f->ref, &why),
	                 RS_PARSE_EVENT);
	assert_int_equal(rs_classify_record(f->rules, f->scratch, &f->ref, v),
	                 0);
}

/* A log line of each format: the parser's reply, codes, logged stage,
 * the class, and the very verdict the pipeline gives the whole line. */
static void test_log_lines(void **state)
{
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(log_cases) / sizeof(log_cases[0]); i++) {
		const struct log_case *c = &log_cases[i];
		const char *text = c->line + c->cut;
		const rs_format_t *fmt = NULL;
		rs_verdict_t v, want;

		assert_in_fixture(c->file, c->line);
		pipeline_verdict(f, c->line, &want);
		assert_int_equal(rs_paste_classify(f->rules, f->scratch, text,
		                                   strlen(text),
		                                   RS_STAGE_UNSPECIFIED, NULL,
		                                   &f->rec, &v, &fmt),
		                 0);
		assert_non_null(fmt);
		if (strcmp(fmt->name, c->format) != 0) {
			fail_msg("case %zu: format %s, want %s", i, fmt->name,
			         c->format);
		}
		rs_test_check_str("reply", (int)i, f->rec.reply_text, c->reply);
		assert_int_equal(f->rec.stage, c->stage);
		/* The same record as the pipeline's. */
		assert_int_equal(f->rec.reply_code, f->ref.reply_code);
		assert_int_equal(f->rec.enhanced_code.n,
		                 f->ref.enhanced_code.n);
		assert_int_equal(f->rec.remote_host.n, f->ref.remote_host.n);
		/* The same verdict. */
		if (c->cause != RS_CAUSE_UNSPECIFIED && v.cause != c->cause) {
			fail_msg("case %zu: class %s, want %s", i,
			         rs_taxonomy_cause_name(v.cause),
			         rs_taxonomy_cause_name(c->cause));
		}
		assert_int_equal(v.cause, want.cause);
		assert_string_equal(v.rule_id, want.rule_id);
		assert_int_equal(v.stage_inferred, want.stage_inferred);
		assert_int_equal(v.stage_source, want.stage_source);
		if (c->stage != RS_STAGE_UNKNOWN) {
			assert_int_equal(v.stage_source, RS_STAGE_SOURCE_LOG);
		}
	}
}

/* Texts that take the reply path: the verdict is the reply format's. */
static void test_reply_path(void **state)
{
	static const struct {
		const char *file; /* NULL: not from a log fixture */
		const char *text;
		rs_cause_t cause;
	} cases[] = {
	    /* A bare reply. */
	    {NULL,
	     "550 5.1.1 <jane@example.org>: Recipient address rejected: User "
	     "unknown in local recipient table",
	     RS_CAUSE_USER_UNKNOWN},
	    /* A receiver-side reject: no parser reads it as a delivery. */
	    {"postfix/fail2ban.log",
	     "Jul 12 07:47:48 saturn postfix/smtpd[8738]: NOQUEUE: reject: "
	     "RCPT from 1-2-3-4-example.com[1.2.3.4]: 554 5.7.1 "
	     "<smtp@example.com>: Relay access denied; "
	     "from=<john@example.com> to=<smtp@example.org> proto=SMTP "
	     "helo=<198.51.100.17>",
	     RS_CAUSE_RELAY_DENIED},
	    /* Sendmail's delivery record alone (sendmail/forums.log's
	     * line from "to=" on): "stat=", so not Postfix's record. */
	    {NULL,
	     "to=postmaster, delay=00:59:37, xdelay=00:00:03, mailer=relay, "
	     "pri=234149, relay=csf-mail.rl.ac.uk [130.246.180.28], "
	     "dsn=4.7.1, stat=Deferred: 454 4.7.1 "
	     "<postmaster@infraportal.stfc.ac.uk>: Relay access denied",
	     RS_CAUSE_RELAY_DENIED},
	    /* A wrapper the reply format knows, without the program tag
	     * that would make it a log line. */
	    {NULL,
	     "status=bounced (host mx.example.com[192.0.2.1] said: 554 5.7.1 "
	     "<jag@example.com>: Relay access denied (in reply to RCPT TO "
	     "command))",
	     RS_CAUSE_RELAY_DENIED},
	};
	struct fixture *f = *state;

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const char *text = cases[i].text;
		size_t n = strlen(text);
		const rs_format_t *fmt = NULL;
		rs_verdict_t v, want;
		rs_classify_in_t in;

		if (cases[i].file != NULL) {
			assert_in_fixture(cases[i].file, text);
		}
		rs_record_reset(&f->ref);
		rs_format_parse(&rs_reply_format, text, n, &f->ref, NULL);
		rs_classify_in_from_record(&in, &f->ref);
		assert_int_equal(rs_classify(f->rules, f->scratch, &in, &want),
		                 0);
		assert_int_equal(rs_paste_classify(f->rules, f->scratch, text,
		                                   n, RS_STAGE_UNSPECIFIED,
		                                   NULL, &f->rec, &v, &fmt),
		                 0);
		assert_ptr_equal(fmt, &rs_reply_format);
		assert_int_equal(f->rec.mta, RS_MTA_REPLY);
		assert_int_equal(v.cause, cases[i].cause);
		assert_int_equal(v.cause, want.cause);
		assert_string_equal(v.rule_id, want.rule_id);
		assert_int_equal(v.stage_inferred, want.stage_inferred);
	}
}

/* The caller's stage replaces the logged one; the caller's MX is used
 * only when the text names no host; no format out-pointer is needed. */
static void test_stage_and_mx(void **state)
{
	struct fixture *f = *state;
	static const char bare[] = "550 5.7.1 Message rejected";
	rs_verdict_t v;

	assert_int_equal(rs_paste_classify(f->rules, f->scratch, PF_GREY,
	                                   strlen(PF_GREY), RS_STAGE_DATA,
	                                   "mx.example.net", &f->rec, &v, NULL),
	                 0);
	assert_int_equal(f->rec.stage, RS_STAGE_DATA);
	rs_test_check_str("mx", 0, f->rec.remote_host, "sample.net");
	assert_int_equal(
	    rs_paste_classify(f->rules, f->scratch, bare, sizeof(bare) - 1,
	                      RS_STAGE_UNSPECIFIED,
	                      "gmail-smtp-in.l.google.com", &f->rec, &v, NULL),
	    0);
	rs_test_check_str("mx", 0, f->rec.remote_host,
	                  "gmail-smtp-in.l.google.com");
	assert_string_equal(v.provider, "google");
}

/* A record with no arena still reads a plain log line as it stands (the
 * placeholder stamps need the arena; without one they are not tried). */
static void test_no_arena(void **state)
{
	struct fixture *f = *state;
	rs_record_t rec;
	rs_verdict_t v;
	const rs_format_t *fmt = NULL;
	const char *cut = PF_CONNECT + STAMP("####");

	memset(&rec, 0, sizeof(rec));
	assert_int_equal(rs_paste_classify(f->rules, f->scratch, PF_CONNECT,
	                                   strlen(PF_CONNECT),
	                                   RS_STAGE_UNSPECIFIED, NULL, &rec, &v,
	                                   &fmt),
	                 0);
	assert_string_equal(fmt->name, "postfix");
	assert_int_equal(rs_paste_classify(f->rules, f->scratch, cut,
	                                   strlen(cut), RS_STAGE_UNSPECIFIED,
	                                   NULL, &rec, &v, &fmt),
	                 0);
	assert_ptr_equal(fmt, &rs_reply_format);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_log_lines),
	    cmocka_unit_test(test_reply_path),
	    cmocka_unit_test(test_stage_and_mx),
	    cmocka_unit_test(test_no_arena),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
