/* SPDX-License-Identifier: Apache-2.0 */
/*
 * classify.h - the classifier: a pure function from (reply text, basic
 * code, enhanced code, stage, MX host) to (cause class, rule, tags).
 *
 * @locality any thread, with that thread's own scratch.
 * The reply is scanned once by the Hyperscan database of the rule set;
 * the winner among matching rules follows the documented precedence
 * (rules/README.md). Where no classifying rule matches, the enhanced status
 * code and then the basic code decide (RFC 3463 / IANA registry meanings).
 * Nothing is allocated.
 */
#ifndef RS_CLASSIFY_H
#define RS_CLASSIFY_H

#include <stddef.h>
#include <stdint.h>

#include "event/record.h"
#include "classify/rules.h"
#include "event/taxonomy.h"

#define RS_CLASSIFY_MAX_TAGS 8
#define RS_CLASSIFY_MAX_MATCHES 16

typedef struct rs_classify_in {
	const char *text; /* reply text; need not be NUL-terminated */
	size_t text_len;
	uint32_t reply_code;       /* 0 when none */
	const char *enhanced_code; /* "5.7.1", may be NULL */
	size_t enhanced_len;
	rs_stage_t stage;
	const char *mx_host; /* may be NULL */
	size_t mx_host_len;
} rs_classify_in_t;

typedef enum rs_verdict_basis {
	RS_BASIS_NONE = 0, /* uncategorized */
	RS_BASIS_RULE,     /* a text rule decided */
	RS_BASIS_ENHANCED, /* the enhanced status code decided */
	RS_BASIS_BASIC,    /* the basic reply code decided */
	RS_BASIS_STAGE,    /* the code's class digit and the stage decided */
	RS_BASIS_WORDS,    /* the learned word model decided (words.h) */
} rs_verdict_basis_t;

typedef struct rs_verdict {
	rs_cause_t cause;
	rs_verdict_basis_t basis;
	/* Where the reply was most likely given: the input's stage when the
	 * log proved it, else what the wording or the enhanced code imply,
	 * else (once the class is decided) a stage hint of the wording, what
	 * the class implies, or what the basic code implies. */
	rs_stage_t stage_inferred;
	rs_stage_source_t stage_source;
	const rs_rule_t *rule; /* winning rule when basis == RS_BASIS_RULE */
	const char *rule_id;   /* rule id, or "enhanced:5.1.1" / "basic:550" /
	                          "words:<class>"; "" if none */
	/* The word model's evidence when the word step was reached: known
	 * feature occurrences (0: not reached, or no known word), its best
	 * class and that class's posterior. */
	size_t words_known;
	rs_cause_t words_cause;
	double words_posterior;
	const char *provider;                   /* provider id or NULL */
	const char *tags[RS_CLASSIFY_MAX_TAGS]; /* "provider:google", ... */
	size_t ntags;
	/* Every rule that matched, winner first, for explain. */
	const rs_rule_t *matches[RS_CLASSIFY_MAX_MATCHES];
	size_t nmatches;
} rs_verdict_t;

/* The classifier's input for a parsed record (slices, nothing copied). */
static inline void rs_classify_in_from_record(rs_classify_in_t *in,
                                              const rs_record_t *rec)
{
	in->text = rec->reply_text.p ? rec->reply_text.p : "";
	in->text_len = rec->reply_text.n;
	in->reply_code = rec->reply_code;
	in->enhanced_code = rec->enhanced_code.p;
	in->enhanced_len = rec->enhanced_code.n;
	in->stage = rec->stage;
	in->mx_host = rec->remote_host.p;
	in->mx_host_len = rec->remote_host.n;
}

/* An empty verdict (uncategorized) whose inferred stage is the logged
 * stage when the log proves one. */
void rs_verdict_init(rs_verdict_t *out, rs_stage_t logged);

/* Classify one reply. Returns 0, or -1 if Hyperscan failed (a bug). */
int rs_classify(const rs_rules_t *rules, rs_rules_scratch_t *scratch,
                const rs_classify_in_t *in, rs_verdict_t *out);

/*
 * Classify a parsed record: its reply text, codes, logged stage and MX
 * host (rs_classify_in_from_record). This is the record->verdict step of
 * the pipeline's workers and of a pasted text (classify/paste.h), so the
 * two read a record one way. Returns 0, or -1 if Hyperscan failed.
 */
int rs_classify_record(const rs_rules_t *rules, rs_rules_scratch_t *scratch,
                       const rs_record_t *rec, rs_verdict_t *out);

/*
 * Provider id ("google", "microsoft", ...) for an MX host name by suffix
 * (providers.yaml), or NULL. Case-insensitive; a trailing dot is ignored;
 * the longest suffix on a label boundary wins.
 */
const char *rs_classify_provider(const rs_rules_t *rules, const char *host,
                                 size_t host_len);

/* Class for an enhanced status code alone ("5.2.2"); UNSPECIFIED if none. */
rs_cause_t rs_classify_enhanced(const char *code, size_t len);

/*
 * The stage a refusal of this class can only be given at, for the last
 * step of stage inference (stage_source "class"): user_unknown -> rcpt_to,
 * content verdicts -> end_of_data, ... (rules/README.md). reply_code 0
 * means the sending MTA's own words. UNSPECIFIED when the class comes at
 * any command.
 */
rs_stage_t rs_classify_class_stage(rs_cause_t cause, uint32_t reply_code);

/*
 * The stage a basic reply code is given at in practice, for the very last
 * step of stage inference (stage_source "reply_code"): 450 -> rcpt_to,
 * 521 -> greeting, 530 -> mail_from, 554 -> end_of_data (not for a
 * blocklist or reputation class). UNSPECIFIED for codes many commands
 * draw.
 */
rs_stage_t rs_classify_code_stage(uint32_t reply_code, rs_cause_t cause);

/* Class for a basic reply code alone (550); UNSPECIFIED if none. */
rs_cause_t rs_classify_basic(uint32_t code);

/* 4xx temporary, 5xx permanent: "temporary", "permanent" or "unknown". */
const char *rs_classify_permanence(uint32_t reply_code, const char *enhanced,
                                   size_t enhanced_len);

#endif
