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
#include "formats/smtpreply.h"
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

/* ---------------------------------------------------------------------
 * The byte-at-a-time normaliser as it was before words were copied in
 * runs: the reference the faster loop must equal, byte for byte.
 * ------------------------------------------------------------------- */

static int ref_is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Is there an Exim line break (the two bytes '\\' 'n') at p? */
static int ref_escaped_newline(const char *p, const char *e)
{
	return e - p >= 2 && p[0] == '\\' && p[1] == 'n';
}

/*
 * Length of a continuation prefix of the leading code at p (including
 * the white space after it), 0 when there is none.
 */
static size_t ref_prefix_len(const char *p, const char *e, const char code[3],
                             rs_str_t enh, int multiline)
{
	const char *q = p + 4;
	size_t elen;

	if (e - p < 4 || memcmp(p, code, 3) != 0 ||
	    (p[3] != '-' && p[3] != ' ')) {
		return 0;
	}
	elen = rs_smtpreply_enhanced_len(q, (size_t)(e - q));
	if (elen == 0) {
		/* "NNN-" / "NNN " alone: a prefix of a multi-line reply. */
		return multiline ? 4 : 0;
	}
	if (!multiline && (elen != enh.n || memcmp(q, enh.p, enh.n) != 0)) {
		return 0;
	}
	q += elen;
	/* The enhanced code ends at white space or the end of the text. */
	if (q < e && !ref_is_space(*q) && !ref_escaped_newline(q, e)) {
		return 0;
	}
	return (size_t)(q - p);
}

/*
 * An enhanced code that qmail and Exchange write after '#' instead of at
 * the start: "... (#5.4.6)", "<mx.example.com #4.4.7>". The last one
 * wins (the MTA's own verdict comes last).
 */
static rs_str_t ref_hash_enhanced(const char *p, size_t n)
{
	rs_str_t found = RS_STR_NULL;
	const char *e = p + n;

	for (const char *h = memchr(p, '#', n); h != NULL && h + 1 < e;
	     h = memchr(h + 1, '#', (size_t)(e - h - 1))) {
		size_t l =
		    rs_smtpreply_enhanced_len(h + 1, (size_t)(e - h - 1));
		if (l > 0) {
			found = rs_str(h + 1, l);
		}
	}
	return found;
}

static void ref_normalise(const char *p, size_t n, char *out, size_t cap,
                          rs_normalised_t *res)
{
	const char *e = p + n, *s = p;
	size_t o = 0;
	int multiline, space = 0;
	char code[3];

	memset(res, 0, sizeof(*res));
	if (cap < n) {
		n = cap;
		e = p + n;
	}
	/* Leading white space never matters. */
	while (s < e && (ref_is_space(*s) || ref_escaped_newline(s, e))) {
		s += ref_is_space(*s) ? 1 : 2;
	}
	res->code = rs_smtpreply_codes(s, (size_t)(e - s), &res->enhanced);
	if (res->code != 0 &&
	    cap < 4 + (res->enhanced.p != NULL ? res->enhanced.n : 0)) {
		/* No room for the leading codes: no output. */
		return;
	}
	if (res->code == 0) {
		/* No reply code: only white space is folded. */
		multiline = 0;
	} else {
		multiline = e - s > 3 && s[3] == '-';
		memcpy(code, s, 3);
		/* The leading code once, as "NNN X.Y.Z ". */
		memcpy(out, s, 3);
		o = 3;
		s += 3;
		while (s < e && (*s == '-' || *s == ' ' || *s == '\t')) {
			s++;
		}
		if (res->enhanced.p != NULL) {
			out[o++] = ' ';
			memcpy(out + o, res->enhanced.p, res->enhanced.n);
			o += res->enhanced.n;
			s = res->enhanced.p + res->enhanced.n;
		}
		space = 1;
	}
	while (s < e) {
		size_t skip;

		if (ref_is_space(*s) || ref_escaped_newline(s, e)) {
			s += ref_is_space(*s) ? 1 : 2;
			space = 1;
			continue;
		}
		if (space && res->code != 0 &&
		    (skip = ref_prefix_len(s, e, code, res->enhanced,
		                           multiline)) > 0) {
			s += skip;
			res->continued++;
			continue;
		}
		/*
		 * A space may be put back where the input had none ("550x"
		 * gives "550 x"), so the normal form can outgrow the input:
		 * stop at the caller's room, never past it.
		 */
		if (o + (space && o > 0 ? 2 : 1) > cap) {
			break;
		}
		if (space && o > 0) {
			out[o++] = ' ';
		}
		space = 0;
		out[o++] = *s++;
	}
	res->len = o;
	if (res->enhanced.p == NULL) {
		res->enhanced = ref_hash_enhanced(p, n);
	}
}

/*
 * Random replies made of codes, prefixes, white space, Exim's "\\n",
 * lone backslashes and '#' codes, at every room from none to more than
 * the input: the same output bytes and the same codes as the reference.
 */
static void test_matches_reference(void **state)
{
	static const char *const parts[] = {
	    "550",        "550-",       "550 ",
	    "5.7.1",      "4.2.0",      " ",
	    "  ",         "\t",         "\r\n",
	    "\\n",        "\\",         "n",
	    "#5.4.6",     "(#4.4.7)",   "-",
	    "word",       "x",          ".",
	    "550-5.7.1 ", "421 4.7.0 ", "\\n550-5.7.1 ",
	    "Try",        "again"};
	char in[128], out_ref[160], out_new[160];
	unsigned seed = 4242;

	(void)state;
	for (int round = 0; round < 100000; round++) {
		size_t n = 0, cap;
		int k;
		rs_normalised_t a, b;

		seed = seed * 1103515245u + 12345u;
		k = (int)((seed >> 16) % 16);
		for (int i = 0; i < k; i++) {
			const char *pt;
			size_t l;

			seed = seed * 1103515245u + 12345u;
			pt = parts[(seed >> 16) %
			           (sizeof(parts) / sizeof(parts[0]))];
			l = strlen(pt);
			if (n + l > sizeof(in)) {
				break;
			}
			memcpy(in + n, pt, l);
			n += l;
		}
		seed = seed * 1103515245u + 12345u;
		cap = (seed >> 16) % (n + 9);
		memset(out_ref, 0, sizeof(out_ref));
		memset(out_new, 0, sizeof(out_new));
		ref_normalise(in, n, out_ref, cap, &a);
		rs_normalise_reply(in, n, out_new, cap, &b);
		assert_int_equal(a.len, b.len);
		assert_memory_equal(out_ref, out_new, sizeof(out_ref));
		assert_int_equal(a.code, b.code);
		assert_ptr_equal(a.enhanced.p, b.enhanced.p);
		assert_int_equal(a.enhanced.n, b.enhanced.n);
		assert_int_equal(a.continued, b.continued);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_cases),
	    cmocka_unit_test(test_truncations),
	    cmocka_unit_test(test_matches_reference),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
