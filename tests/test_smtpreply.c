/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_smtpreply.c - basic reply codes, enhanced status codes (RFC 3463,
 * incl. the three-digit details of 5.1.10 and 4.7.28), finding a code in
 * free text, the stage of a named command (Postfix, Exim, KumoMTA wording)
 * and the stage proved by a reply text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "formats/smtpreply.h"
#include "event/taxonomy.h"

#define N_ELEM(a) (sizeof(a) / sizeof((a)[0]))

/* Assert that slice s equals want (NULL: absent). */
static void check_str(const char *in, rs_str_t s, const char *want)
{
	if (want == NULL) {
		if (s.p != NULL) {
			fail_msg("[%s]: enhanced = [%.*s], want absent", in,
			         (int)s.n, s.p);
		}
		return;
	}
	if (s.p == NULL || s.n != strlen(want) || memcmp(s.p, want, s.n) != 0) {
		fail_msg("[%s]: enhanced = [%.*s], want [%s]", in,
		         s.p == NULL ? 0 : (int)s.n, s.p == NULL ? "" : s.p,
		         want);
	}
}

static void test_codes(void **state)
{
	static const struct {
		const char *in;
		uint32_t code;
		const char *enh;
	} cases[] = {
	    {"550 5.1.1 <a@b> User unknown", 550, "5.1.1"},
	    {"421-4.7.0 [1.2.3.4      15] Our system", 421, "4.7.0"},
	    {"550-5.1.1 The email account", 550, "5.1.1"},
	    {"550 5.1.10 RESOLVER.ADR.RecipientNotFound", 550, "5.1.10"},
	    {"450 4.7.28 unusual rate", 450, "4.7.28"},
	    {"250 2.0.0 Ok: queued as 153053D", 250, "2.0.0"},
	    {"451 DT:SPM 163 mx40", 451, NULL},
	    {"451-You have been greylisted", 451, NULL},
	    {"421 4.7.0 [TSS04] Messages", 421, "4.7.0"},
	    {"550  5.7.1  two spaces", 550, "5.7.1"},
	    {"550\t5.7.1 tab", 550, "5.7.1"},
	    {"554", 554, NULL},
	    {"550 5.1.1; semicolon", 550, "5.1.1"},
	    {"550 4.16.55.1; not an enhanced code", 550, NULL},
	    {"550 5.1.1000 too long", 550, NULL},
	    {"550 5.1234.1 subject too long", 550, NULL},
	    {"550 3.1.1 bad class", 550, NULL},
	    {"550 5.1 short", 550, NULL},
	    {"550 5..1 empty subject", 550, NULL},
	    {"600 six hundred", 0, NULL},
	    {"199 too low", 0, NULL},
	    {"55 two digits", 0, NULL},
	    {"5500 four digits", 0, NULL},
	    {"550.5 not a code", 0, NULL},
	    {"5x0 letters", 0, NULL},
	    {"User unknown", 0, NULL},
	    {"", 0, NULL},
	};

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		rs_str_t enh = {"junk", 4};
		uint32_t c =
		    rs_smtpreply_codes(cases[i].in, strlen(cases[i].in), &enh);
		if (c != cases[i].code) {
			fail_msg("[%s]: code %u, want %u", cases[i].in, c,
			         cases[i].code);
		}
		check_str(cases[i].in, enh, cases[i].enh);
	}
	/* enhanced may be NULL; the code alone still comes back. */
	assert_int_equal(rs_smtpreply_codes("452 4.2.2 full", 14, NULL), 452);
	/* The length bounds the read: "550" cut to "55". */
	assert_int_equal(rs_smtpreply_codes("550 5.1.1", 2, NULL), 0);
}

static void test_enhanced_len(void **state)
{
	static const struct {
		const char *in;
		size_t len;
	} cases[] = {
	    {"5.1.1", 5},    {"5.1.10", 6},   {"4.7.28", 6}, {"2.0.0", 5},
	    {"5.7.1 x", 5},  {"5.7.1;", 5},   {"5.7.1)", 5}, {"5.123.456", 9},
	    {"3.1.1", 0},    {"5.1", 0},      {"5.1.", 0},   {"5..1", 0},
	    {"5.1.1000", 0}, {"5.1234.1", 0}, {"5.1.1a", 0}, {"4.16.55.1", 0},
	    {"x5.1.1", 0},   {"", 0},
	};

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		size_t l =
		    rs_smtpreply_enhanced_len(cases[i].in, strlen(cases[i].in));
		if (l != cases[i].len) {
			fail_msg("[%s]: %zu, want %zu", cases[i].in, l,
			         cases[i].len);
		}
	}
}

static void test_find(void **state)
{
	static const struct {
		const char *in;
		long at; /* offset of the code, -1 for none */
		uint32_t code;
		const char *enh;
	} cases[] = {
	    {"host x[1.2.3.4] said: 550 5.1.1 bad", 22, 550, "5.1.1"},
	    {"error 421-4.3.2 try later", 6, 421, "4.3.2"},
	    {"(421 4.7.0 Not allowed)", 1, 421, "4.7.0"},
	    {"451", 0, 451, NULL},
	    {"messages from 10.20.30.40 were deferred", -1, 0, NULL},
	    {"version 4.7.0 only", -1, 0, NULL},
	    {"id=20120227140036M0700", -1, 0, NULL},
	    {"abc550 5.1.1", -1, 0, NULL},
	    {"no code here", -1, 0, NULL},
	    {"", -1, 0, NULL},
	};

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		uint32_t code = 0;
		rs_str_t enh = RS_STR_NULL;
		const char *in = cases[i].in;
		const char *hit =
		    rs_smtpreply_find(in, strlen(in), &code, &enh);
		long at = hit == NULL ? -1 : (long)(hit - in);

		if (at != cases[i].at || code != cases[i].code) {
			fail_msg("[%s]: at %ld code %u, want at %ld code %u",
			         in, at, code, cases[i].at, cases[i].code);
		}
		if (hit != NULL) {
			check_str(in, enh, cases[i].enh);
		}
	}
}

static void test_stage_of_command(void **state)
{
	static const struct {
		const char *in;
		rs_stage_t stage;
	} cases[] = {
	    {"MAIL FROM", RS_STAGE_MAIL_FROM},
	    {"MAIL FROM:<a@example.org>", RS_STAGE_MAIL_FROM},
	    {"mail from:<>", RS_STAGE_MAIL_FROM},
	    {"MAIL", RS_STAGE_MAIL_FROM},
	    {"RCPT TO", RS_STAGE_RCPT_TO},
	    {"RCPT TO:<x@example.org>", RS_STAGE_RCPT_TO},
	    {"RCPT", RS_STAGE_RCPT_TO},
	    {"DATA", RS_STAGE_DATA},
	    {"end of DATA", RS_STAGE_END_OF_DATA},
	    {"end of data", RS_STAGE_END_OF_DATA},
	    {".", RS_STAGE_END_OF_DATA},
	    {".\r\n", RS_STAGE_END_OF_DATA},
	    {"EHLO", RS_STAGE_HELO},
	    {"HELO name", RS_STAGE_HELO},
	    {"LHLO", RS_STAGE_HELO},
	    {"STARTTLS", RS_STAGE_STARTTLS},
	    {"AUTH PLAIN", RS_STAGE_AUTH},
	    {"initial connection", RS_STAGE_GREETING},
	    /* Exim's pipelining wordings. */
	    {"pipelined MAIL FROM", RS_STAGE_MAIL_FROM},
	    {"pipelined DATA", RS_STAGE_DATA},
	    {"pipelined end of data", RS_STAGE_END_OF_DATA},
	    {"(pipelined) sending data block", RS_STAGE_END_OF_DATA},
	    /* Postfix's "while sending ..." wordings. */
	    {"sending RCPT TO", RS_STAGE_RCPT_TO},
	    {"sending end of data -- message may be sent more than once",
	     RS_STAGE_END_OF_DATA},
	    {"  DATA  ", RS_STAGE_DATA},
	    {"DATABASE", RS_STAGE_UNKNOWN},
	    {"AUTHENTICATE", RS_STAGE_UNKNOWN},
	    {".foo", RS_STAGE_UNKNOWN},
	    {"QUIT", RS_STAGE_UNKNOWN},
	    {"RSET", RS_STAGE_UNKNOWN},
	    {"", RS_STAGE_UNKNOWN},
	};

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		rs_stage_t st = rs_smtpreply_stage_of_command(
		    cases[i].in, strlen(cases[i].in));
		if (st != cases[i].stage) {
			fail_msg("[%s]: %s, want %s", cases[i].in,
			         rs_taxonomy_stage_name(st),
			         rs_taxonomy_stage_name(cases[i].stage));
		}
	}
}

static void test_stage_in_text(void **state)
{
	static const struct {
		const char *in;
		rs_stage_t stage;
	} cases[] = {
	    {"host x[1.2.3.4] said: 550 5.1.1 bad (in reply to RCPT TO "
	     "command)",
	     RS_STAGE_RCPT_TO},
	    {"451 DT:SPM (in reply to end of DATA command)",
	     RS_STAGE_END_OF_DATA},
	    {"550 5.7.1 (S3140). x (in reply to MAIL FROM command)",
	     RS_STAGE_MAIL_FROM},
	    /* Two wrappers: the last one counts. */
	    {"(in reply to MAIL FROM command) then (in reply to RCPT TO "
	     "command)",
	     RS_STAGE_RCPT_TO},
	    {"SMTP error from remote mail server after RCPT TO:<a@b.example>: "
	     "550 no",
	     RS_STAGE_RCPT_TO},
	    {"SMTP error from remote mail server after pipelined DATA: 451 x",
	     RS_STAGE_DATA},
	    {"after end of data: 550 rejected", RS_STAGE_END_OF_DATA},
	    {"after DATA", RS_STAGE_DATA},
	    /* Exim's "closed connection in response to <command>". */
	    {"Remote host closed connection in response to RCPT TO:<a@b.ex>",
	     RS_STAGE_RCPT_TO},
	    {"Malformed SMTP reply (an empty line) in response to end of data",
	     RS_STAGE_END_OF_DATA},
	    {"SMTP error from remote mail server after initial connection: 554",
	     RS_STAGE_GREETING},
	    {"host x[1.2.3.4] refused to talk to me: 421 4.7.0 Not allowed",
	     RS_STAGE_GREETING},
	    {"lost connection with x[1.2.3.4] while receiving the initial "
	     "server greeting",
	     RS_STAGE_GREETING},
	    {"conversation with x[1.2.3.4] timed out while performing the EHLO "
	     "handshake",
	     RS_STAGE_HELO},
	    {"lost connection with x[1.2.3.4] while sending RCPT TO",
	     RS_STAGE_RCPT_TO},
	    {"lost connection with x[1.2.3.4] while sending message body",
	     RS_STAGE_END_OF_DATA},
	    {"Cannot start TLS: handshake failure", RS_STAGE_STARTTLS},
	    {"SASL authentication failed; server x said: 535 5.7.8",
	     RS_STAGE_AUTH},
	    {"connect to x[1.2.3.4]:25: Connection timed out",
	     RS_STAGE_CONNECT},
	    {"550 5.1.1 User unknown", RS_STAGE_UNKNOWN},
	    {"Please try again after 10 minutes", RS_STAGE_UNKNOWN},
	    {"(in reply to QUIT command)", RS_STAGE_UNKNOWN},
	    {"", RS_STAGE_UNKNOWN},
	};

	(void)state;
	for (size_t i = 0; i < N_ELEM(cases); i++) {
		rs_stage_t st = rs_smtpreply_stage_in_text(cases[i].in,
		                                           strlen(cases[i].in));
		if (st != cases[i].stage) {
			fail_msg("[%s]: %s, want %s", cases[i].in,
			         rs_taxonomy_stage_name(st),
			         rs_taxonomy_stage_name(cases[i].stage));
		}
	}
}

/* Every cut of a few texts from exact-size heap copies (for ASan). */
static void test_truncation(void **state)
{
	static const char *const texts[] = {
	    "550-5.1.10 x (in reply to end of DATA command)",
	    "SMTP error from remote mail server after pipelined MAIL "
	    "FROM:<a@b>: "
	    "451 4.7.28 rate",
	};

	(void)state;
	for (size_t i = 0; i < N_ELEM(texts); i++) {
		size_t len = strlen(texts[i]);
		for (size_t cut = 0; cut <= len; cut++) {
			char *buf = malloc(cut > 0 ? cut : 1);
			uint32_t code;
			rs_str_t enh;
			assert_non_null(buf);
			memcpy(buf, texts[i], cut);
			(void)rs_smtpreply_codes(buf, cut, &enh);
			(void)rs_smtpreply_find(buf, cut, &code, &enh);
			assert_true(rs_smtpreply_enhanced_len(buf, cut) <= cut);
			(void)rs_smtpreply_stage_of_command(buf, cut);
			(void)rs_smtpreply_stage_in_text(buf, cut);
			free(buf);
		}
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_codes),
	    cmocka_unit_test(test_enhanced_len),
	    cmocka_unit_test(test_find),
	    cmocka_unit_test(test_stage_of_command),
	    cmocka_unit_test(test_stage_in_text),
	    cmocka_unit_test(test_truncation),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
