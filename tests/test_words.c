/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_words.c - the learned word model (classify/words.c): a table of
 * malformed model files, each refused with its exact "file:line: sentence";
 * a missing file is no model, not an error; scoring of a small model
 * checked against naive Bayes (version 1) and logistic regression
 * (version 2) worked out by hand (words, digit folding, pairs, both
 * thresholds, the top words); the bundled rules/words.model loads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <math.h>

#include <cmocka.h>

#include "classify/words.h"

/* Write text to a fresh temporary file; its name in path. */
static void write_model(char *path, size_t size, const char *text)
{
	int fd;
	FILE *fp;

	snprintf(path, size, "/tmp/test_words.XXXXXX");
	fd = mkstemp(path);
	assert_true(fd >= 0);
	fp = fdopen(fd, "w");
	assert_non_null(fp);
	assert_int_equal(fputs(text, fp) >= 0, 1);
	assert_int_equal(fclose(fp), 0);
}

#define HEAD "replyscan-words 1\nalpha 1\nthreshold 0.9\nthreshold_alone 0.5\n"

/* A small model: two classes, one training reply each, alpha 1. */
static const char small_model[] = "# a comment, then a blank line\n"
				  "\n" HEAD "class mailbox_full 1\n"
				  "class user_unknown 1\n"
				  "word full 0:3\n"
				  "word mailbox 0:1 1:1\n"
				  "word unknown 1:3\n"
				  "word tss0 1:2\n"
				  "word not+allowed 1:1\n";

#define HEAD2 "replyscan-words 2\nthreshold 0.9\nthreshold_alone 0.5\n"

/* The same words as a logistic regression: a bias per class, weights. */
static const char small_model2[] = HEAD2 "class mailbox_full 1 0.25\n"
					 "class user_unknown 1 -0.25\n"
					 "word full 0:2.5 1:-1\n"
					 "word mailbox 0:0.5\n"
					 "word unknown 1:1.5e0\n"
					 "word tss0 0:-0.75 1:0.75\n"
					 "word not+allowed 1:2\n";

/* Version 2 with the reply's codes as features. */
static const char code_model[] = HEAD2 "class mailbox_full 1 0\n"
				       "class user_unknown 1 0\n"
				       "word mailbox 0:0.5\n"
				       "word code:x.1.1 1:2\n"
				       "word code:452 0:1\n"
				       "word code:none 1:0.25\n";

struct bad {
	const char *text;
	const char *want; /* after "PATH:" */
};

static void test_malformed(void **state)
{
	static const struct bad cases[] = {
	    {"", "1: the first line must be 'replyscan-words 1' or "
	         "'replyscan-words 2'."},
	    {"replyscan-words 3\n",
	     "1: the first line must be 'replyscan-words 1' or "
	     "'replyscan-words 2'."},
	    {"# c\nalpha 1\n",
	     "2: the first line must be 'replyscan-words 1' or "
	     "'replyscan-words 2'."},
	    {HEAD "colour blue\n",
	     "5: unknown key 'colour' (expected alpha, threshold, "
	     "threshold_alone, normalise, class or word)."},
	    {"replyscan-words 1\nalpha 0\n",
	     "2: alpha must be a number above 0 and at most 10."},
	    {"replyscan-words 1\nalpha 1\nalpha 2\n",
	     "3: alpha is given twice."},
	    {"replyscan-words 1\nthreshold 1.5\n",
	     "2: threshold must be a number above 0 and at most 1."},
	    {"replyscan-words 1\nthreshold 0.5\nthreshold_alone 0.9\n",
	     "3: threshold_alone (0.9) must not be above threshold (0.5)."},
	    {HEAD "class nonsense 1\n",
	     "5: unknown class 'nonsense' (TAXONOMY.md names the classes)."},
	    {HEAD "class uncategorized 1\n",
	     "5: unknown class 'uncategorized' (TAXONOMY.md names the "
	     "classes)."},
	    {HEAD "class virus 1\nclass virus 2\n",
	     "6: class 'virus' is listed twice."},
	    {HEAD "class virus 0\n",
	     "5: class 'virus' needs a whole number of training replies of "
	     "at least 1, not '0'."},
	    {HEAD "class virus\n", "5: expected 'class NAME DOCUMENTS'."},
	    {HEAD "class virus 1\nword full 0:1\n",
	     "6: word lines need at least two class lines before them."},
	    {HEAD "class virus 1\nclass expired 1\nword Full 0:1\n",
	     "7: 'Full' is not a feature (a word of lower-case letters, digit "
	     "runs as one 0, at most 24 bytes, or two joined by '+')."},
	    {HEAD "class virus 1\nclass expired 1\nword s3150 0:1\n",
	     "7: 's3150' is not a feature (a word of lower-case letters, "
	     "digit runs as one 0, at most 24 bytes, or two joined by '+')."},
	    {HEAD "class virus 1\nclass expired 1\nword 0 0:1\n",
	     "7: '0' is not a feature (a word of lower-case letters, digit "
	     "runs as one 0, at most 24 bytes, or two joined by '+')."},
	    {HEAD "class virus 1\nclass expired 1\nword a+b+c 0:1\n",
	     "7: 'a+b+c' is not a feature (a word of lower-case letters, "
	     "digit runs as one 0, at most 24 bytes, or two joined by '+')."},
	    {HEAD "class virus 1\nclass expired 1\nword full\n",
	     "7: expected 'word FEATURE CLASS:COUNT...'."},
	    {HEAD "class virus 1\nclass expired 1\nword full 2:1\n",
	     "7: '2' is not a class index (0 to 1, in the order of the class "
	     "lines)."},
	    {HEAD "class virus 1\nclass expired 1\nword full 0:0\n",
	     "7: '0' is not a count of at least 1."},
	    {HEAD "class virus 1\nclass expired 1\nword full 01\n",
	     "7: '01' is not CLASS:COUNT."},
	    {HEAD "class virus 1\nclass expired 1\nword full 0:1 0:2\n",
	     "7: class 0 is given twice."},
	    {HEAD "class virus 1\nclass expired 1\nword full 0:1\nclass "
	          "dns_failure 1\n",
	     "8: class lines must come before the word lines."},
	    {HEAD "class virus 1\nclass expired 1\nword full 0:1\nword x 1:1\n"
	          "word full 1:1\n",
	     "9: word 'full' is listed twice."},
	    {"replyscan-words 1\nalpha 1\nthreshold 0.9\n",
	     "4: the file ends without a threshold_alone line."},
	    {HEAD "class virus 1\nclass expired 1\n",
	     "7: the file ends without word lines."},
	    /* Version 2: biases and weights, no alpha. */
	    {"replyscan-words 2\nalpha 1\n",
	     "2: alpha belongs to version 1 (naive Bayes) only."},
	    {HEAD2 "class virus 1\n",
	     "4: expected 'class NAME DOCUMENTS BIAS'."},
	    {HEAD2 "class virus 1 inf\n",
	     "4: class 'virus' needs a bias (a finite number), not 'inf'."},
	    {HEAD2 "class virus 1 0.5x\n",
	     "4: class 'virus' needs a bias (a finite number), not '0.5x'."},
	    {HEAD2 "class virus 1 0\nclass expired 1 0\nword full\n",
	     "6: expected 'word FEATURE CLASS:WEIGHT...'."},
	    {HEAD2 "class virus 1 0\nclass expired 1 0\nword full 0\n",
	     "6: '0' is not CLASS:WEIGHT."},
	    {HEAD2 "class virus 1 0\nclass expired 1 0\nword full 0:0\n",
	     "6: '0' is not a weight (a finite number, not 0)."},
	    {HEAD2 "class virus 1 0\nclass expired 1 0\nword full 1:nan\n",
	     "6: 'nan' is not a weight (a finite number, not 0)."},
	    {HEAD2 "class virus 1 0\nclass expired 1 0\nword full 1:1 "
	           "1:-1\n",
	     "6: class 1 is given twice."},
	    {HEAD2 "class virus 1 0\nclass expired 1 0\nword code:05 0:1\n",
	     "6: 'code:05' is not a feature (a word of lower-case letters, "
	     "digit runs as one 0, at most 24 bytes, or two joined by '+')."},
	    {HEAD2 "class virus 1 0\nclass expired 1 0\nword code:5.1.1 "
	           "0:1\n",
	     "6: 'code:5.1.1' is not a feature (a word of lower-case letters, "
	     "digit runs as one 0, at most 24 bytes, or two joined by '+')."},
	    {"replyscan-words 2\nthreshold 0.9\nclass virus 1 0\n",
	     "4: the file ends without a threshold_alone line."},
	    /* normalise: known kinds, once, before the classes. */
	    {HEAD2 "normalise host mac\n",
	     "4: unknown kind 'mac' to normalise (url, email, ip, host, id)."},
	    {HEAD2 "normalise\n",
	     "4: expected 'normalise KIND...' (url, email, ip, host, id)."},
	    {HEAD2 "normalise ip ip\n", "4: 'ip' is given twice."},
	    {HEAD2 "normalise ip\nnormalise host\n",
	     "5: normalise is given twice."},
	    {HEAD2 "class virus 1 0\nnormalise ip\n",
	     "5: normalise must come before the class lines."},
	};
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char path[64], err[512], want[600];
		rs_words_t *m = (rs_words_t *)1;

		write_model(path, sizeof(path), cases[i].text);
		err[0] = '\0';
		assert_int_equal(rs_words_load(path, &m, err, sizeof(err)), -1);
		assert_null(m);
		snprintf(want, sizeof(want), "%s:%s", path, cases[i].want);
		if (strcmp(err, want) != 0) {
			print_error("case %zu: got \"%s\", want \"%s\"\n", i,
			            err, want);
		}
		assert_string_equal(err, want);
		unlink(path);
	}
}

static void test_missing_is_no_model(void **state)
{
	rs_words_t *m = (rs_words_t *)1;
	char err[256] = "";
	rs_words_result_t r;

	(void)state;
	assert_int_equal(
	    rs_words_load("/nonexistent/words.model", &m, err, sizeof(err)), 0);
	assert_null(m);
	assert_string_equal(err, "");
	rs_words_score(NULL, "550 mailbox full", 16, 550, NULL, 0, 1, &r);
	assert_int_equal(r.known, 0);
	assert_int_equal(r.decides, 0);
	assert_int_equal(r.decides_alone, 0);
	assert_string_equal(r.rule_id, "");
}

/* A comment line is skipped before it is split into fields: the
 * generated header lists every training part, more words than a line
 * of fields may have (at most one count per class, and three). */
static void test_long_comment(void **state)
{
	char path[64], err[256], model[4096];
	rs_words_t *m = NULL;
	size_t n = 0;

	(void)state;
	n += (size_t)snprintf(model + n, sizeof(model) - n, "  # Trained on:");
	for (int i = 0; i < 60; i++) {
		n +=
		    (size_t)snprintf(model + n, sizeof(model) - n,
		                     " tests/fixtures/replies/dev-r%d.tsv,", i);
	}
	assert_true(n + sizeof(small_model2) < sizeof(model));
	snprintf(model + n, sizeof(model) - n, "\n%s", small_model2);
	write_model(path, sizeof(path), model);
	assert_int_equal(rs_words_load(path, &m, err, sizeof(err)), 0);
	unlink(path);
	assert_non_null(m);
	assert_int_equal(rs_words_nfeatures(m), 5);
	rs_words_destroy(m);
}

/* The posterior of class 0 over two classes of equal prior, from the
 * log-likelihoods worked out by hand. */
static double posterior2(double l0, double l1)
{
	return 1.0 / (1.0 + exp(l1 - l0));
}

static void test_score(void **state)
{
	char path[64], err[256];
	rs_words_t *m = NULL;
	rs_words_result_t r;
	const char *t;
	double want;

	(void)state;
	write_model(path, sizeof(path), small_model);
	assert_int_equal(rs_words_load(path, &m, err, sizeof(err)), 0);
	unlink(path);
	assert_non_null(m);
	assert_int_equal(rs_words_nfeatures(m), 5);
	assert_int_equal(rs_words_nclasses(m), 2);
	assert_true(rs_words_threshold(m) == 0.9);
	assert_true(rs_words_threshold_alone(m) == 0.5);

	/* V = 5 features; class totals: mailbox_full 4, user_unknown 7.
	 * "mailbox" and "full" are known, the pair "mailbox+full" and the
	 * codes are not. */
	t = "452 4.2.2 Mailbox FULL";
	rs_words_score(m, t, strlen(t), 0, NULL, 0, 1, &r);
	assert_int_equal(r.known, 2);
	assert_int_equal(r.cause, RS_CAUSE_MAILBOX_FULL);
	assert_int_equal(r.second, RS_CAUSE_USER_UNKNOWN);
	want = posterior2(log(2.0 / 9) + log(4.0 / 9),
	                  log(2.0 / 12) + log(1.0 / 12));
	assert_true(fabs(r.posterior - want) < 1e-6);
	assert_int_equal(r.decides, want >= 0.9);
	assert_int_equal(r.decides_alone, 1);
	assert_string_equal(r.rule_id, "words:mailbox_full");
	/* "full" favours mailbox_full most: log(4/9) - log(1/12). */
	assert_true(r.ntop >= 1);
	assert_string_equal(r.top[0].feature, "full");
	assert_true(fabs(r.top[0].weight - (log(4.0 / 9) - log(1.0 / 12))) <
	            1e-6);

	/* Digit runs fold to one 0 ("TSS04" is tss0), pairs count, a
	 * repeated word counts twice, words over 24 bytes are skipped. */
	t = "421 [TSS04] not allowed unknown unknown "
	    "abcdefghijklmnopqrstuvwxyzfull";
	rs_words_score(m, t, strlen(t), 0, NULL, 0, 0, &r);
	assert_int_equal(r.known, 4);
	assert_int_equal(r.cause, RS_CAUSE_USER_UNKNOWN);
	assert_int_equal(r.ntop, 0);
	want = posterior2(2 * log(4.0 / 12) + log(3.0 / 12) + log(2.0 / 12),
	                  2 * log(1.0 / 9) + log(1.0 / 9) + log(1.0 / 9));
	assert_true(fabs(r.posterior - want) < 1e-6);
	assert_int_equal(r.decides, 1);

	/* Nothing known: no class, nothing decides. */
	t = "550 5.1.1 <a@b.example>: nope";
	rs_words_score(m, t, strlen(t), 0, NULL, 0, 1, &r);
	assert_int_equal(r.known, 0);
	assert_int_equal(r.cause, RS_CAUSE_UNSPECIFIED);
	assert_int_equal(r.decides_alone, 0);
	assert_int_equal(r.ntop, 0);
	rs_words_destroy(m);
}

/* Version 2: a class's score is its bias plus its weight of every known
 * feature occurrence. */
static void test_score_logistic(void **state)
{
	char path[64], err[256];
	rs_words_t *m = NULL;
	rs_words_result_t r;
	const char *t;
	double want;

	(void)state;
	write_model(path, sizeof(path), small_model2);
	assert_int_equal(rs_words_load(path, &m, err, sizeof(err)), 0);
	unlink(path);
	assert_non_null(m);
	assert_int_equal(rs_words_nfeatures(m), 5);
	assert_int_equal(rs_words_nclasses(m), 2);
	assert_true(rs_words_threshold(m) == 0.9);
	assert_true(rs_words_threshold_alone(m) == 0.5);

	/* "mailbox" and "full" known: mailbox_full 0.25 + 0.5 + 2.5 = 3.25,
	 * user_unknown -0.25 + 0 - 1 = -1.25. */
	t = "452 4.2.2 Mailbox FULL";
	rs_words_score(m, t, strlen(t), 0, NULL, 0, 1, &r);
	assert_int_equal(r.known, 2);
	assert_int_equal(r.cause, RS_CAUSE_MAILBOX_FULL);
	assert_int_equal(r.second, RS_CAUSE_USER_UNKNOWN);
	want = posterior2(3.25, -1.25);
	assert_true(fabs(r.posterior - want) < 1e-6);
	assert_int_equal(r.decides, 1);
	assert_int_equal(r.decides_alone, 1);
	assert_string_equal(r.rule_id, "words:mailbox_full");
	/* The top words: each feature's weight for the best class less
	 * its weight for the runner-up; full 2.5 - (-1), mailbox 0.5. */
	assert_int_equal(r.ntop, 2);
	assert_string_equal(r.top[0].feature, "full");
	assert_true(fabs(r.top[0].weight - 3.5) < 1e-6);
	assert_string_equal(r.top[1].feature, "mailbox");
	assert_true(fabs(r.top[1].weight - 0.5) < 1e-6);

	/* Digit runs fold ("TSS04" is tss0), the pair counts, a repeated
	 * word counts twice: mailbox_full 0.25 - 0.75 = -0.5, user_unknown
	 * -0.25 + 0.75 + 2 + 2 * 1.5 = 5.5. */
	t = "421 [TSS04] not allowed unknown unknown";
	rs_words_score(m, t, strlen(t), 0, NULL, 0, 0, &r);
	assert_int_equal(r.known, 4);
	assert_int_equal(r.cause, RS_CAUSE_USER_UNKNOWN);
	want = posterior2(5.5, -0.5);
	assert_true(fabs(r.posterior - want) < 1e-6);
	assert_int_equal(r.decides, 1);

	/* Below threshold, above threshold_alone: 0.25 - 0.75 + 0.5 = 0
	 * against -0.25 + 0.75 = 0.5, so user_unknown at 1/(1 + e^-0.5). */
	t = "TSS04 mailbox";
	rs_words_score(m, t, strlen(t), 0, NULL, 0, 0, &r);
	assert_int_equal(r.cause, RS_CAUSE_USER_UNKNOWN);
	want = posterior2(0.5, 0.0);
	assert_true(fabs(r.posterior - want) < 1e-6);
	assert_int_equal(r.decides, 0);
	assert_int_equal(r.decides_alone, 1);
	rs_words_destroy(m);
}

/* The codes weigh like words ("code:x.1.1", "code:452", "code:none"), but
 * a reply with no known word gets no evidence. */
static void test_score_codes(void **state)
{
	char path[64], err[256];
	rs_words_t *m = NULL;
	rs_words_result_t r;
	const char *t = "Mailbox unavailable";

	(void)state;
	write_model(path, sizeof(path), code_model);
	assert_int_equal(rs_words_load(path, &m, err, sizeof(err)), 0);
	unlink(path);
	assert_non_null(m);

	/* mailbox_full 0.5, user_unknown 2 (the enhanced code, its class
	 * digit left out); the basic code 550 is unknown. */
	rs_words_score(m, t, strlen(t), 550, "5.1.1", 5, 1, &r);
	assert_int_equal(r.known, 1);
	assert_int_equal(r.cause, RS_CAUSE_USER_UNKNOWN);
	assert_true(fabs(r.posterior - posterior2(2, 0.5)) < 1e-6);
	assert_int_equal(r.ntop, 2);
	assert_string_equal(r.top[0].feature, "code:x.1.1");
	assert_true(fabs(r.top[0].weight - 2) < 1e-6);
	assert_string_equal(r.top[1].feature, "mailbox");
	assert_true(fabs(r.top[1].weight + 0.5) < 1e-6);
	/* 4.1.1 is the same feature; with 452 mailbox_full gains 1. */
	rs_words_score(m, t, strlen(t), 452, "4.1.1", 5, 0, &r);
	assert_true(fabs(r.posterior - posterior2(2, 1.5)) < 1e-6);
	/* No code at all: code:none. */
	rs_words_score(m, t, strlen(t), 0, NULL, 0, 0, &r);
	assert_int_equal(r.cause, RS_CAUSE_MAILBOX_FULL);
	assert_true(fabs(r.posterior - posterior2(0.5, 0.25)) < 1e-6);
	/* A malformed enhanced code is no feature: only 452 and the word. */
	rs_words_score(m, t, strlen(t), 452, "4.1.x", 5, 0, &r);
	assert_int_equal(r.cause, RS_CAUSE_MAILBOX_FULL);
	assert_true(fabs(r.posterior - posterior2(1.5, 0)) < 1e-6);
	/* Codes alone are no evidence. */
	t = "Zqvk";
	rs_words_score(m, t, strlen(t), 550, "5.1.1", 5, 1, &r);
	assert_int_equal(r.known, 0);
	assert_int_equal(r.cause, RS_CAUSE_UNSPECIFIED);
	assert_int_equal(r.decides_alone, 0);
	assert_int_equal(r.ntop, 0);
	rs_words_destroy(m);
}

/* Spans normalised: one placeholder word each, pairs across them; the
 * words inside a replaced span are not features. Weights on class 0
 * only, so the score is their sum (class 1 scores 0). */
#define NORM_WORDS                                                             \
	"class mailbox_full 1 0\n"                                             \
	"class user_unknown 1 0\n"                                             \
	"word xxhost 0:0.001\n"                                                \
	"word xxip 0:0.002\n"                                                  \
	"word xxemail 0:0.004\n"                                               \
	"word xxurl 0:0.008\n"                                                 \
	"word xxid 0:0.016\n"                                                  \
	"word blocked 0:0.032\n"                                               \
	"word blocked+by 0:0.064\n"                                            \
	"word xxip+blocked 0:0.128\n"                                          \
	"word example 0:0.256\n"                                               \
	"word see+xxurl 0:0.512\n"                                             \
	"word node 0:1.024\n"                                                  \
	"word tss0 0:2.048\n"

static const char norm_model[] =
    HEAD2 "normalise url email ip host id\n" NORM_WORDS;
static const char host_model[] = HEAD2 "normalise host\n" NORM_WORDS;
static const char plain_model[] = HEAD2 NORM_WORDS;

/* The score of class 0 less class 1's, from the posterior, for the n
 * bytes at t. */
static double margin_n(const char *model, const char *t, size_t n,
                       size_t *known)
{
	char path[64], err[256];
	rs_words_t *m = NULL;
	rs_words_result_t r;
	double p;

	write_model(path, sizeof(path), model);
	assert_int_equal(rs_words_load(path, &m, err, sizeof(err)), 0);
	unlink(path);
	assert_non_null(m);
	rs_words_score(m, t, n, 0, NULL, 0, 0, &r);
	rs_words_destroy(m);
	*known = r.known;
	if (r.known == 0) {
		return 0;
	}
	p = r.cause == RS_CAUSE_MAILBOX_FULL ? r.posterior : 1 - r.posterior;
	return log(p / (1 - p));
}

static double margin(const char *model, const char *t, size_t *known)
{
	return margin_n(model, t, strlen(t), known);
}

static void test_normalise(void **state)
{
	const char *t;
	size_t known;

	(void)state;
	/* Words: client, xxip, blocked, by, xxhost ("5.7.1" has no letter
	 * and is no IP; the host's trailing '.' is the sentence's). Known:
	 * xxip, blocked, xxip+blocked, blocked+by, xxhost. */
	t = "550 5.7.1 Client [192.0.2.1] blocked by mx.Example.COM.";
	assert_true(fabs(margin(norm_model, t, &known) -
	                 (0.002 + 0.032 + 0.128 + 0.064 + 0.001)) < 1e-6);
	assert_int_equal(known, 5);
	/* Only hosts: the IP gives no word, so no xxip and no pair. */
	assert_true(fabs(margin(host_model, t, &known) -
	                 (0.032 + 0.064 + 0.001)) < 1e-6);
	assert_int_equal(known, 3);
	/* No normalise line: the host's words are words ("example"). */
	assert_true(fabs(margin(plain_model, t, &known) -
	                 (0.032 + 0.064 + 0.256)) < 1e-6);
	assert_int_equal(known, 3);

	/* Words: mail, from, xxemail (between < and >), refused, see,
	 * xxurl ('=' ends the span), or, xxurl (a host and a path), id,
	 * xxid (a0b0c0: two digit runs or more), tss0 (one), e, g, node,
	 * js (two labels, "js" no TLD), xxip (with its port); "1.2.3.4/24"
	 * is no IP and no host, and no word. */
	t = "Mail from <User@Example.COM> refused, see "
	    "https://example.com/x?y=1 or www.example.org/help; id a1b2c3 "
	    "TSS04 e.g. Node.js 1.2.3.4/24 10.0.0.1:25";
	assert_true(fabs(margin(norm_model, t, &known) -
	                 (0.004 + 0.008 + 0.512 + 0.008 + 0.016 + 2.048 +
	                  1.024 + 0.002)) < 1e-6);
	assert_int_equal(known, 8);
	/* Without normalising: example three times, tss0, node. */
	assert_true(fabs(margin(plain_model, t, &known) -
	                 (3 * 0.256 + 2.048 + 1.024)) < 1e-6);
	assert_int_equal(known, 5);

	/* Two labels need a known TLD; a sentence run together is none:
	 * "unavailable.please" and "e.g" are words, "gmail.com" a host. */
	t = "unavailable.please e.g gmail.com";
	assert_true(fabs(margin(norm_model, t, &known) - 0.001) < 1e-6);
	assert_int_equal(known, 1);
	/* An empty label, a last label with a digit, an '@' at either end:
	 * no span replaced, so "example" three times. */
	t = "a..com 1.2.3 mx.example.c0m @example.com example.com@";
	assert_true(fabs(margin(norm_model, t, &known) - 3 * 0.256) < 1e-6);
	assert_int_equal(known, 3);
	/* A NUL byte is no sentence's end: "mx.example.com\0" is no host
	 * (as train_words.py sees it), so its words are words. */
	{
		static const char nul[] = "blocked by mx.example.com\0";

		assert_true(
		    fabs(margin_n(norm_model, nul, sizeof(nul) - 1, &known) -
		         (0.032 + 0.064 + 0.256)) < 1e-6);
		assert_int_equal(known, 3);
	}
}

static void test_bundled_model(void **state)
{
	rs_words_t *m = NULL;
	char err[512] = "";
	rs_words_result_t r;
	const char *t = "452 4.2.2 The email account that you tried to reach "
			"is over quota";

	(void)state;
	assert_int_equal(
	    rs_words_load(RS_RULES_DIR "/words.model", &m, err, sizeof(err)),
	    0);
	if (m == NULL) {
		print_error("%s\n", err);
	}
	assert_non_null(m);
	assert_true(rs_words_nfeatures(m) > 1000);
	/*
	 * With the reply's own codes, as the classifier scores it: the codes
	 * are features since the logistic model (without them the words of
	 * Gmail's "account that you tried to reach is disabled" sentence weigh
	 * as much as "over quota", a coin toss), and the answer must be sure
	 * enough to decide before the weak code fallbacks.
	 */
	rs_words_score(m, t, strlen(t), 452, "4.2.2", 5, 1, &r);
	assert_int_equal(r.cause, RS_CAUSE_MAILBOX_FULL);
	assert_true(r.posterior >= 0.5);
	assert_true(r.ntop > 0);
	rs_words_destroy(m);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_missing_is_no_model),
	    cmocka_unit_test(test_long_comment),
	    cmocka_unit_test(test_score),
	    cmocka_unit_test(test_score_logistic),
	    cmocka_unit_test(test_score_codes),
	    cmocka_unit_test(test_normalise),
	    cmocka_unit_test(test_bundled_model),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
