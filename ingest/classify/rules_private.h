/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_private.h - the layout of a loaded rule set, shared by the files
 * that build it (rules.c, rules_yaml.c, rules_compile.c), classify.c
 * (which scans with it) and examples.c. Nothing else may include this
 * file; everyone else goes through rules.h and classify.h.
 *
 * Ownership: every string and array hangs off the set's arena and lives as
 * long as the set. The set is immutable after rs_rules_load returns.
 * Hyperscan ids: id i < nrules is rules[i]; id nrules + p is providers[p]
 * (a provider's wording patterns). All patterns of one owner share its id;
 * the match callback notes each rule once (seen[]) and the lowest
 * provider, so repeated reports of an id change nothing.
 */
#ifndef RS_RULES_PRIVATE_H
#define RS_RULES_PRIVATE_H

#include <stddef.h>
#include <stdint.h>

#include <hs/hs.h>

#include "classify/mxindex.h"
#include "classify/rules.h"
#include "classify/words.h"
#include "util/arena.h"
#include "event/taxonomy.h"

/* An inclusive range of basic reply codes: "4xx" is 400..499. */
typedef struct rs_code_range {
	uint16_t lo;
	uint16_t hi;
} rs_code_range_t;

/* One example of a rule: a text that must (or must not) match it. */
typedef struct rs_rule_example {
	const char *text;
	size_t text_len;
	rs_stage_t stage; /* RS_STAGE_UNSPECIFIED: read from the text */
	const char *mx;   /* NULL when not given */
	int must_match;
	unsigned line;
} rs_rule_example_t;

struct rs_rule {
	const char *id;
	rs_cause_t cause; /* RS_CAUSE_UNSPECIFIED: tag-only rule */
	/* Stage a reply matched by this rule was most likely given at, for
	 * replies whose log does not say; RS_STAGE_UNSPECIFIED: none. */
	rs_stage_t infers_stage;
	/* A stage hint: the stage the reply's words suggest, weaker than
	 * infers_stage; read only after the class is decided, so it never
	 * feeds the class. RS_STAGE_UNSPECIFIED: none. */
	rs_stage_t stage_hint;
	int priority;
	size_t order; /* load order: file name order, then position */
	const char *description;
	const char *advice; /* "" for a tag-only rule without advice */
	const char *source;
	const char *file;
	unsigned line;
	const char **patterns;
	unsigned *pattern_lines;
	size_t npatterns;
	const char **tags;
	size_t ntags;
	/* Scope: every given condition must hold. */
	uint32_t stage_mask; /* bit per rs_stage_t; 0 = any stage */
	int provider;        /* index into providers, -1 = any */
	rs_code_range_t *codes;
	size_t ncodes; /* 0 = any code */
	rs_rule_example_t *examples;
	size_t nexamples;
};

/* A receiving provider: MX host suffixes and wording patterns. */
typedef struct rs_provider {
	const char *id;
	const char *tag; /* "provider:<id>" */
	const char **mx; /* lower case, no trailing dot */
	size_t *mx_len;
	size_t nmx;
	const char **patterns;
	unsigned *pattern_lines;
	size_t npatterns;
	const char *file;
	unsigned line;
} rs_provider_t;

struct rs_rules {
	char *dir;
	rs_arena_t *arena;
	rs_rule_t *rules;
	size_t nrules;
	rs_provider_t *providers;
	size_t nproviders;
	hs_database_t *db;
	hs_scratch_t *proto;   /* cloned by rs_rules_scratch_new */
	rs_mxindex_t *mxindex; /* the providers' MX suffixes by hash */
	rs_words_t *words;     /* words.model, NULL when there is none */
};

/*
 * Per-thread state. After rs_classify returns, cand[0..ncand) holds the
 * indexes of the rules that matched and whose scope held, in precedence
 * order (rs_rules_test reads it to check examples).
 */
struct rs_rules_scratch {
	const rs_rules_t *rules;
	hs_scratch_t *hs;
	uint32_t *hits; /* rules reported by Hyperscan, in report order */
	size_t nhits;
	uint8_t *seen; /* per rule: already in hits */
	uint32_t *cand;
	size_t ncand;
	long wording_provider; /* lowest provider index whose wording hit */
	char *norm; /* the normal form of the reply being classified */
	size_t norm_cap;
	size_t norm_len; /* its length */
	/* The codes the classifier used with it (the parser's, completed by
	 * the normaliser's; normalise_input in classify.c). */
	uint32_t norm_code;
	const char *norm_enhanced; /* NULL: none */
	size_t norm_enhanced_len;
};

/* Read every rule file of rules->dir into the set (rules_yaml.c). 0, or
 * -1 with "file:line: sentence" in errstr. */
int rs_rules_parse_dir(rs_rules_t *rules, char *errstr, size_t errstr_size);

/* Compile the set's patterns into its database and prototype scratch
 * (rules_compile.c). 0, or -1 with the failing pattern's file:line. */
int rs_rules_compile(rs_rules_t *rules, char *errstr, size_t errstr_size);

#endif
