/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_normalise.c - the reply normaliser on real multi-line replies as
 * Postfix logs them (prefixes joined by spaces: tests/fixtures/multiline/
 * postfix.log) and as Exim logs them (joined by the two characters
 * backslash-n: multiline/exim.log), on single-line replies that must not
 * change but for white space, and on inputs with no code at all. Then the
 * classifier end to end: the wording split by continuation prefixes is
 * matched again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "classify/normalise.h"
#include "testutil.h"

typedef struct ncase {
	const char *in;
	const char *want;
	uint32_t code;
	const char *enhanced;
	unsigned continued;
} ncase_t;

static const ncase_t cases[] = {
    /* Gmail 5.7.1 as Postfix logs it (multiline/postfix.log line 3). */
    {"550-5.7.1 [104.248.27.183       1] Our system has detected an unusual "
     "rate of 550-5.7.1 unsolicited mail originating from your IP address. "
     "To protect our 550-5.7.1 users from spam, mail sent from your IP "
     "address has been blocked. 550-5.7.1 Please visit 550-5.7.1  "
     "https://support.google.com/mail/?p=UnsolicitedIPError to review our "
     "550 5.7.1 Bulk Email Senders Guidelines. q16si3475662wrs.311 - gsmtp",
     "550 5.7.1 [104.248.27.183 1] Our system has detected an unusual rate "
     "of unsolicited mail originating from your IP address. To protect our "
     "users from spam, mail sent from your IP address has been blocked. "
     "Please visit https://support.google.com/mail/?p=UnsolicitedIPError to "
     "review our Bulk Email Senders Guidelines. q16si3475662wrs.311 - gsmtp",
     550, "5.7.1", 5},
    /* Gmail 4.2.1 (line 4), Google Workspace MX. */
    {"450-4.2.1 The user you are trying to contact is receiving mail at a "
     "rate that 450-4.2.1 prevents additional messages from being "
     "delivered. Please resend your 450-4.2.1 message at a later time. If "
     "the user is able to receive mail at that 450-4.2.1 time, your message "
     "will be delivered. For more information, please 450-4.2.1 visit 450 "
     "4.2.1  https://support.google.com/mail/answer/6592 "
     "ws10si1375806lbb.183 - gsmtp",
     "450 4.2.1 The user you are trying to contact is receiving mail at a "
     "rate that prevents additional messages from being delivered. Please "
     "resend your message at a later time. If the user is able to receive "
     "mail at that time, your message will be delivered. For more "
     "information, please visit https://support.google.com/mail/answer/6592 "
     "ws10si1375806lbb.183 - gsmtp",
     450, "4.2.1", 5},
    /* Empty continuation lines of Gmail 5.7.26 (line 1): "550-5.7.26  "
     * twice in a row. */
    {"550-5.7.26 Your email has been blocked because the sender is "
     "unauthenticated. 550-5.7.26 Gmail requires all senders to "
     "authenticate with either SPF or DKIM. 550-5.7.26  550-5.7.26  "
     "Authentication results: 550-5.7.26  DKIM = did not pass",
     "550 5.7.26 Your email has been blocked because the sender is "
     "unauthenticated. Gmail requires all senders to authenticate with "
     "either SPF or DKIM. Authentication results: DKIM = did not pass",
     550, "5.7.26", 4},
    /* Exim: reply lines joined with the two bytes '\' 'n'
     * (multiline/exim.log line 2). */
    {"452-4.2.2 The email account that you tried to reach is over quota. "
     "Please direct\\n452-4.2.2 the recipient to\\n452 4.2.2  "
     "https://support.google.com/mail/?p=OverQuotaTemp "
     "s13-v6si24815369jam.8 - gsmtp",
     "452 4.2.2 The email account that you tried to reach is over quota. "
     "Please direct the recipient to "
     "https://support.google.com/mail/?p=OverQuotaTemp "
     "s13-v6si24815369jam.8 - gsmtp",
     452, "4.2.2", 2},
    /* Exim, 2008 Gmail (multiline/exim.log line 1). */
    {"550-5.7.1 [xx.xx.xxx.xxx] The IP you're using to send mail is not "
     "authorized\\n550-5.7.1 to send email directly to our servers.",
     "550 5.7.1 [xx.xx.xxx.xxx] The IP you're using to send mail is not "
     "authorized to send email directly to our servers.",
     550, "5.7.1", 1},
    /* Cisco IronPort greeting (line 6): a multi-line reply without an
     * enhanced code; "554 " alone is the last line's prefix. */
    {"554-esa1.dhl.iphmx.com 554 Your access to this mail system has been "
     "rejected due to the sending MTA's poor reputation.",
     "554 esa1.dhl.iphmx.com Your access to this mail system has been "
     "rejected due to the sending MTA's poor reputation.",
     554, NULL, 1},
    /* Single-line replies: the same code later in the text is wording,
     * not a prefix, unless it repeats the enhanced code too. */
    {"550 5.1.1 <a@b.example>: Recipient address rejected: 550 errors today",
     "550 5.1.1 <a@b.example>: Recipient address rejected: 550 errors today",
     550, "5.1.1", 0},
    {"421 4.7.0 Try again later, closing connection. 421 4.7.0 (ERR.01)",
     "421 4.7.0 Try again later, closing connection. (ERR.01)", 421, "4.7.0",
     1},
    /* Numbers that merely start with the code, and rates, stay. */
    {"550-5.7.1 rate 550/h exceeded 5501 times\\n550 5.7.1 bye",
     "550 5.7.1 rate 550/h exceeded 5501 times bye", 550, "5.7.1", 1},
    /* No code: white space is folded, nothing else changes. */
    {"  Connection   timed out\\n  ", "Connection timed out", 0, NULL, 0},
    {"5.7.1 Access denied", "5.7.1 Access denied", 0, NULL, 0},
    {"", "", 0, NULL, 0},
    {"550", "550", 550, NULL, 0},
    {"550-", "550", 550, NULL, 0},
    /* qmail and Exchange write the enhanced code after '#'. */
    {"Sorry, address must include host name. (#5.1.3)",
     "Sorry, address must include host name. (#5.1.3)", 0, "5.1.3", 0},
    {"Could not deliver the message in the time limit specified. "
     "<mail.example.com #4.4.7>",
     "Could not deliver the message in the time limit specified. "
     "<mail.example.com #4.4.7>",
     0, "4.4.7", 0},
    /* A masked enhanced code (postfix-partial.log): its "421-" is still
     * a prefix and goes; the mask stays as a word. */
    {"421-4.7.28 a 421-x.x.xx b", "421 4.7.28 a x.x.xx b", 421, "4.7.28", 1},
    /* A bare code; a code run into its text is no code; punctuation right
     * after the enhanced code gets its space back, which makes the normal
     * form one byte longer than the input. */
    {"550", "550", 550, NULL, 0},
    {"550x", "550x", 0, NULL, 0},
    {"550 5.7.1,", "550 5.7.1 ,", 550, "5.7.1", 0},
};

static void test_cases(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const ncase_t *c = &cases[i];
		size_t n = strlen(c->in);
		char *in = malloc(n > 0 ? n : 1); /* exact size, for ASan */
		char *out = malloc(n + 2);        /* n + 1 and the NUL */
		rs_normalised_t r;

		assert_non_null(in);
		assert_non_null(out);
		memcpy(in, c->in, n);
		rs_normalise_reply(in, n, out, n + 1, &r);
		assert_true(r.len <= n + 1);
		out[r.len] = '\0';
		if (strcmp(out, c->want) != 0) {
			fail_msg("case %zu:\n got [%s]\nwant [%s]", i, out,
			         c->want);
		}
		assert_int_equal(r.code, c->code);
		if (c->enhanced == NULL) {
			assert_null(r.enhanced.p);
		} else {
			rs_test_check_str("enhanced", (int)i, r.enhanced,
			                  c->enhanced);
		}
		assert_int_equal(r.continued, c->continued);
		free(in);
		free(out);
	}
}

/*
 * Every cut of a real reply, with room for only as many bytes as the
 * input: never a write past that room, never a read past the end.
 */
static void test_truncations(void **state)
{
	const char *src = cases[0].in;
	size_t n = strlen(src);

	(void)state;
	for (size_t cut = 0; cut <= n; cut++) {
		char *in = malloc(cut > 0 ? cut : 1);
		char *out = malloc(cut > 0 ? cut : 1);
		rs_normalised_t r;

		memcpy(in, src, cut);
		rs_normalise_reply(in, cut, out, cut, &r);
		assert_true(r.len <= cut);
		free(in);
		free(out);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_truncations),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
