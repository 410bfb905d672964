/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules.h - the rule set: YAML rule files compiled into one Hyperscan
 * block-mode database, plus the providers map (MX host suffix -> provider).
 *
 * Ownership: rs_rules_load returns a set that the caller destroys with
 * rs_rules_destroy. After loading it is immutable and may be shared by any
 * number of threads; each thread needs its own rs_rules_scratch_t.
 * Rule pointers (const rs_rule_t *) stay valid for the life of the set.
 *
 * Errors: loading fails on the first broken file with "file:line: sentence"
 * in errstr (bad YAML, unknown key or class, invalid pattern, duplicate id,
 * an example its own rule does not match: loading runs every example).
 */
#ifndef RS_RULES_H
#define RS_RULES_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "event/taxonomy.h"

typedef struct rs_rules rs_rules_t;
typedef struct rs_rules_scratch rs_rules_scratch_t;
typedef struct rs_rule rs_rule_t;
typedef struct rs_words rs_words_t;

/*
 * Load every *.yaml file of dir (sorted by name) and compile the database.
 * NULL on failure with the reason in errstr.
 */
rs_rules_t *rs_rules_load(const char *dir, char *errstr, size_t errstr_size);

/* Destroy a set; NULL is allowed. */
void rs_rules_destroy(rs_rules_t *rules);

/* Number of classifying and tagging rules. */
size_t rs_rules_count(const rs_rules_t *rules);

/* The learned word model (rules/words.model), NULL when the directory
 * has none (no word step). Lives as long as the set. */
const rs_words_t *rs_rules_words(const rs_rules_t *rules);

/* The normal form of the reply this scratch classified last (for
 * explain: the text the rules and the word model read). */
const char *rs_rules_scratch_normal(const rs_rules_scratch_t *scratch,
                                    size_t *len);

/* The codes the classifier read with that normal form (the word step
 * scores them): the parser's, completed by the codes the normaliser
 * read where the parser had none or only a default X.0.0. *enhanced is
 * NULL when there is none; valid until the scratch's next use. */
void rs_rules_scratch_codes(const rs_rules_scratch_t *scratch, uint32_t *code,
                            const char **enhanced, size_t *enhanced_len);

/* The directory the set was loaded from. */
const char *rs_rules_dir(const rs_rules_t *rules);

/* One scratch per thread; NULL on failure with the reason in errstr. */
rs_rules_scratch_t *rs_rules_scratch_new(const rs_rules_t *rules, char *errstr,
                                         size_t errstr_size);
void rs_rules_scratch_destroy(rs_rules_scratch_t *scratch);

/*
 * Run every rule's examples (must match / must not match) through the full
 * classifier and print one line per failure to out. Returns the number of
 * failures; *npassed receives the number of examples that passed.
 */
size_t rs_rules_test(const rs_rules_t *rules, FILE *out, size_t *npassed);

/*
 * Every rule, one tab-separated row each after a header row: id, class
 * ("-" for a tag-only rule), priority, scope ("provider:google
 * stage:rcpt_to code:5xx", "-" for none), infers_stage (a stage hint
 * as "hint:rcpt_to", "-" for none), number of patterns, tags, file:line.
 * In load order.
 */
void rs_rules_list(const rs_rules_t *rules, FILE *out);

/*
 * Every match example of every classifying rule, one tab-separated row
 * each after a header row: text (tabs and line breaks as spaces), class,
 * rule id. In load order. The word model's trainer reads them.
 */
void rs_rules_examples(const rs_rules_t *rules, FILE *out);

/* Rule accessors; the strings live as long as the set. */
const char *rs_rule_id(const rs_rule_t *rule);
rs_cause_t
rs_rule_cause(const rs_rule_t *rule); /* UNSPECIFIED: tag-only rule */
const char *rs_rule_description(const rs_rule_t *rule);
const char *rs_rule_advice(const rs_rule_t *rule);
const char *rs_rule_file(const rs_rule_t *rule);
unsigned rs_rule_line(const rs_rule_t *rule);

#endif
