/* SPDX-License-Identifier: Apache-2.0 */
/*
 * examples.c - every rule's examples through the full classifier, the way
 * a pasted reply goes (classify/paste.c): a match example must be matched
 * by its rule with the rule's scope holding and end with the rule's class;
 * a no_match example must not be matched. rules/README.md documents it.
 *
 * @locality any thread, with that thread's own scratch.
 */
#include "classify/examples.h"

#include <stdio.h>
#include <string.h>

#include "classify/paste.h"
#include "classify/rules_private.h"

/* Write up to max bytes of text into buf, printable, for messages. */
static void quote_text(char *buf, size_t size, const char *text, size_t n)
{
	size_t max = 120;
	size_t o = 0;

	for (size_t i = 0; i < n && i < max && o + 4 < size; i++) {
		unsigned char c = (unsigned char)text[i];
		buf[o++] = (c >= 0x20 && c < 0x7f) ? (char)c : '?';
	}
	if (n > max && o + 4 < size) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o < size ? o : size - 1] = '\0';
}

/*
 * Run one example through the classifier. 0 when it gives what the rule
 * expects; -1 with "file:line: sentence" in msg otherwise.
 */
static int check_example(const rs_rules_t *rules, rs_rules_scratch_t *scratch,
                         const rs_rule_t *rule, const rs_rule_example_t *ex,
                         char *msg, size_t msg_size)
{
	rs_verdict_t v;
	rs_record_t rec;
	char arena[8192]; /* for a log line whose parser decodes JSON */
	size_t rule_index = (size_t)(rule - rules->rules);
	int matched = 0;
	char quoted[160];

	memset(&rec, 0, sizeof(rec));
	rec.arena = arena;
	rec.arena_cap = sizeof(arena);
	quote_text(quoted, sizeof(quoted), ex->text, ex->text_len);
	if (rs_paste_classify(rules, scratch, ex->text, ex->text_len, ex->stage,
	                      ex->mx, &rec, &v, NULL) != 0) {
		snprintf(msg, msg_size,
		         "%s:%u: rule '%s': the example \"%s\" cannot be "
		         "scanned.",
		         rule->file, ex->line, rule->id, quoted);
		return -1;
	}
	for (size_t i = 0; i < scratch->ncand; i++) {
		if (scratch->cand[i] == rule_index) {
			matched = 1;
			break;
		}
	}
	if (!ex->must_match) {
		if (matched) {
			snprintf(msg, msg_size,
			         "%s:%u: rule '%s' matches its no_match "
			         "example \"%s\".",
			         rule->file, ex->line, rule->id, quoted);
			return -1;
		}
		return 0;
	}
	if (!matched) {
		snprintf(msg, msg_size,
		         "%s:%u: rule '%s' does not match its example \"%s\" "
		         "(check the patterns and the scope).",
		         rule->file, ex->line, rule->id, quoted);
		return -1;
	}
	if (rule->cause != RS_CAUSE_UNSPECIFIED && v.cause != rule->cause) {
		snprintf(msg, msg_size,
		         "%s:%u: the example \"%s\" of rule '%s' is classified "
		         "%s by rule '%s', not %s (raise the priority or "
		         "narrow the other rule).",
		         rule->file, ex->line, quoted, rule->id,
		         rs_taxonomy_cause_name(v.cause), v.rule_id,
		         rs_taxonomy_cause_name(rule->cause));
		return -1;
	}
	return 0;
}

size_t rs_examples_run(const rs_rules_t *rules, rs_rules_scratch_t *scratch,
                       FILE *out, int stop_first, size_t *npassed, char *first,
                       size_t first_size)
{
	return rs_examples_run_range(rules, scratch, 0, rules->nrules, out,
	                             stop_first, npassed, first, first_size);
}

size_t rs_examples_run_range(const rs_rules_t *rules,
                             rs_rules_scratch_t *scratch, size_t from,
                             size_t to, FILE *out, int stop_first,
                             size_t *npassed, char *first, size_t first_size)
{
	size_t failed = 0;
	size_t passed = 0;
	char msg[1024];

	for (size_t i = from; i < to && i < rules->nrules; i++) {
		const rs_rule_t *rule = &rules->rules[i];
		for (size_t j = 0; j < rule->nexamples; j++) {
			if (check_example(rules, scratch, rule,
			                  &rule->examples[j], msg,
			                  sizeof(msg)) == 0) {
				passed++;
				continue;
			}
			failed++;
			if (out != NULL) {
				fprintf(out, "%s\n", msg);
			}
			if (stop_first) {
				if (first != NULL && first_size > 0) {
					snprintf(first, first_size, "%s", msg);
				}
				goto done;
			}
		}
	}
done:
	if (npassed != NULL) {
		*npassed = passed;
	}
	return failed;
}
