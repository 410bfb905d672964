/* SPDX-License-Identifier: Apache-2.0 */
/*
 * words.h - learned word evidence: a linear model over the words and word
 * pairs of a reply's normal form (rules/words.model, trained by
 * rules/tools/train_words.py from the development replies and the rules'
 * examples): multinomial naive Bayes (file version 1) or multinomial
 * logistic regression (version 2), scored alike. The classifier asks it only
 * for replies no wording rule classified (rules/README.md, "Learned word
 * evidence").
 *
 * Ownership: rs_words_load returns a model the caller destroys with
 * rs_words_destroy; it hangs off its rule set and is swapped with it.
 * @locality loading on one thread; scoring on any thread, read-only:
 * nothing is allocated and nothing is written but the caller's result.
 *
 * Words: bytes after lower-casing ASCII; a word is a run of letters,
 * digits and bytes >= 0x80, every run of digits folded to one '0'; a
 * word with no letter left (codes, addresses, numbers) or longer than
 * RS_WORDS_MAX_WORD bytes is skipped. Features are the words and each
 * pair of neighbouring words kept, written "first+second". A model file
 * may name kinds of span to normalise first ("normalise url email host":
 * a URL, e-mail address, IPv4 address or host name between blanks,
 * brackets or quotes is one placeholder word, "xxurl" ...; "id": a word
 * with two digit runs or more is "xxid"); rules/README.md has the rules.
 */
#ifndef RS_WORDS_H
#define RS_WORDS_H

#include <stddef.h>
#include <stdint.h>

#include "event/taxonomy.h"

#define RS_WORDS_MAX_WORD 24
#define RS_WORDS_TOP 5

typedef struct rs_words rs_words_t;

/* One feature of the evidence and how much it favours the best class
 * over the runner-up: what it adds to the best class's score less what it
 * adds to the runner-up's (naive Bayes: the natural log of the likelihood
 * ratio; logistic regression: the difference of the two weights). */
typedef struct rs_words_hit {
	char feature[2 * RS_WORDS_MAX_WORD + 2];
	double weight;
} rs_words_hit_t;

typedef struct rs_words_result {
	size_t known;        /* feature occurrences the model knows */
	rs_cause_t cause;    /* best class; UNSPECIFIED when known == 0 */
	double posterior;    /* its posterior probability, 0 when none */
	rs_cause_t second;   /* runner-up class */
	int decides;         /* known > 0 and posterior >= threshold */
	int decides_alone;   /* known > 0 and posterior >= threshold_alone */
	const char *rule_id; /* "words:<class>" of the best class, or "" */
	rs_words_hit_t top[RS_WORDS_TOP]; /* filled only when asked */
	size_t ntop;
} rs_words_result_t;

/*
 * Load a model file. A file that does not exist is no error: 0 with *out
 * NULL (no word step). Else 0 with the model in *out, or -1 with
 * "path:line: sentence" in errstr.
 */
int rs_words_load(const char *path, rs_words_t **out, char *errstr,
                  size_t errstr_size);

void rs_words_destroy(rs_words_t *model);

/*
 * Score the normal form [text, text+len) of a reply and its codes (code:
 * the basic reply code, 0 for none; enh: the enhanced code "5.7.1", NULL
 * for none), which are features too ("code:550", "code:x.7.1",
 * "code:none"). With top, the features that favour the best class most are
 * listed too (for explain; a second pass). Never fails.
 */
void rs_words_score(const rs_words_t *model, const char *text, size_t len,
                    uint32_t code, const char *enh, size_t enh_len, int top,
                    rs_words_result_t *res);

/* The posterior a class needs to decide before the weaker code
 * fallbacks, and (threshold_alone, never higher) when nothing else
 * would decide; in (0, 1]. */
double rs_words_threshold(const rs_words_t *model);
double rs_words_threshold_alone(const rs_words_t *model);

/* Number of features and of classes; bytes held in memory. */
size_t rs_words_nfeatures(const rs_words_t *model);
size_t rs_words_nclasses(const rs_words_t *model);
size_t rs_words_memory(const rs_words_t *model);

#endif
