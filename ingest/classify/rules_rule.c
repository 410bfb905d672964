/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_rule.c - one rule of a rule file: id, class, priority, patterns,
 * scope (stage, provider, codes), tags, texts, infers_stage or
 * stage_hint and the examples. The format is documented in rules/README.md.
 *
 * Ownership: strings and arrays go to the set's arena. Errors are
 * "file:line: sentence." naming the rule.
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "classify/rules_load.h"
#include "util/arena.h"
#include "util/str.h"

#define PRIORITY_LIMIT 1000

/* ------------------------------------------------------------------ */
/* Field parsers                                                       */
/* ------------------------------------------------------------------ */

/* Read a "string or list" of patterns into *out (non-empty). */
int rs_ruleload_patterns(struct load *ld, const rs_yaml_node_t *node,
                         const char ***out, unsigned **lines, size_t *n,
                         const char *owner)
{
	long count = rs_ruleload_strings(ld, node, "patterns");

	if (count < 0) {
		return -1;
	}
	if (count == 0) {
		return rs_ruleload_fail_at(
		    ld, (node)->line,
		    "%s has an empty 'patterns' list; give at least "
		    "one pattern.",
		    owner);
	}
	*out = rs_arena_alloc(&ld->rules->arena, sizeof(**out) * (size_t)count);
	*lines =
	    rs_arena_alloc(&ld->rules->arena, sizeof(**lines) * (size_t)count);
	if (*out == NULL || *lines == NULL) {
		return rs_ruleload_fail_at(ld, (node)->line, "out of memory.");
	}
	for (long i = 0; i < count; i++) {
		const rs_yaml_node_t *item =
		    rs_yaml_strings_at(node, (size_t)i);
		const char *p = rs_ruleload_string(ld, item, "a pattern");
		if (p == NULL) {
			return -1;
		}
		(*out)[i] = p;
		(*lines)[i] = (item)->line;
	}
	*n = (size_t)count;
	return 0;
}

/* Parse one scope code: "550", "4xx", "55x". */
static int parse_code(const char *s, rs_code_range_t *r)
{
	unsigned lo = 0;
	unsigned hi = 0;
	int wild = 0;

	if (strlen(s) != 3 || s[0] < '2' || s[0] > '5') {
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		char c = s[i];
		if (c == 'x' || c == 'X') {
			wild = 1;
			lo = lo * 10;
			hi = hi * 10 + 9;
		} else if (c >= '0' && c <= '9' && !wild) {
			lo = lo * 10 + (unsigned)(c - '0');
			hi = hi * 10 + (unsigned)(c - '0');
		} else {
			return -1;
		}
	}
	r->lo = (uint16_t)lo;
	r->hi = (uint16_t)hi;
	return 0;
}

/* Parse a rule's scope mapping into rule. */
static int parse_scope(struct load *ld, const rs_yaml_node_t *node,
                       rs_rule_t *rule)
{
	key_slot_t keys[] = {
	    {"stage", NULL, 0}, {"provider", NULL, 0}, {"codes", NULL, 0}};
	const size_t nkeys = sizeof(keys) / sizeof(keys[0]);
	const rs_yaml_node_t *v;
	char what[160];

	snprintf(what, sizeof(what), "the scope of rule '%s'", rule->id);
	if (rs_ruleload_fields(ld, node, keys, nkeys, what) != 0) {
		return -1;
	}
	if ((v = rs_yaml_field(keys, nkeys, "stage")) != NULL) {
		long n = rs_ruleload_strings(ld, v, "scope 'stage'");
		if (n < 0) {
			return -1;
		}
		if (n == 0) {
			return rs_ruleload_fail_at(
			    ld, (v)->line,
			    "scope 'stage' of rule '%s' is an empty "
			    "list; omit it to allow every stage.",
			    rule->id);
		}
		for (long i = 0; i < n; i++) {
			const rs_yaml_node_t *item =
			    rs_yaml_strings_at(v, (size_t)i);
			int st;
			if (item->kind != RS_YAML_SCALAR) {
				return rs_ruleload_fail_at(
				    ld, (item)->line,
				    "a stage must be a string.");
			}
			st = rs_taxonomy_stage_parse((const char *)item->text,
			                             item->len);
			if (st < 0) {
				return rs_ruleload_fail_at(
				    ld, (item)->line,
				    "unknown stage '%.*s' in the scope of rule "
				    "'%s' (valid: connect, greeting, helo, "
				    "starttls, auth, mail_from, rcpt_to, data, "
				    "end_of_data, queue, unknown).",
				    (int)item->len, (const char *)item->text,
				    rule->id);
			}
			rule->stage_mask |= 1u << st;
		}
	}
	if ((v = rs_yaml_field(keys, nkeys, "provider")) != NULL) {
		const char *id = rs_ruleload_string(ld, v, "scope 'provider'");
		if (id == NULL) {
			return -1;
		}
		rule->provider = rs_ruleload_provider_find(ld->rules, id);
		if (rule->provider < 0) {
			return rs_ruleload_fail_at(
			    ld, (v)->line,
			    "unknown provider '%s' in the scope of "
			    "rule '%s' (providers are defined in %s%s).",
			    id, rule->id, RS_RULES_PROVIDERS_FILE,
			    ld->rules->nproviders == 0
				? ", which defines none here"
				: "");
		}
	}
	if ((v = rs_yaml_field(keys, nkeys, "codes")) != NULL) {
		long n = rs_ruleload_strings(ld, v, "scope 'codes'");
		if (n < 0) {
			return -1;
		}
		if (n == 0) {
			return rs_ruleload_fail_at(
			    ld, (v)->line,
			    "scope 'codes' of rule '%s' is an empty "
			    "list; omit it to allow every code.",
			    rule->id);
		}
		rule->codes = rs_arena_alloc(&ld->rules->arena,
		                             sizeof(*rule->codes) * (size_t)n);
		if (rule->codes == NULL) {
			return rs_ruleload_fail_at(ld, (v)->line,
			                           "out of memory.");
		}
		for (long i = 0; i < n; i++) {
			const rs_yaml_node_t *item =
			    rs_yaml_strings_at(v, (size_t)i);
			const char *s = rs_ruleload_string(ld, item, "a code");
			if (s == NULL) {
				return -1;
			}
			if (parse_code(s, &rule->codes[i]) != 0) {
				return rs_ruleload_fail_at(
				    ld, (item)->line,
				    "invalid code '%s' in the scope "
				    "of rule '%s' (use a reply code "
				    "such as 550, or a class such as "
				    "4xx or 55x).",
				    s, rule->id);
			}
		}
		rule->ncodes = (size_t)n;
	}
	return 0;
}

/* Parse one example item (a string or {text, stage, mx}). */
static int parse_example(struct load *ld, const rs_yaml_node_t *node,
                         rs_rule_t *rule, int must_match, rs_rule_example_t *ex)
{
	memset(ex, 0, sizeof(*ex));
	ex->must_match = must_match;
	ex->line = (node)->line;
	ex->stage = RS_STAGE_UNSPECIFIED;
	if (node->kind == RS_YAML_MAPPING) {
		key_slot_t keys[] = {
		    {"text", NULL, 0}, {"stage", NULL, 0}, {"mx", NULL, 0}};
		const size_t nkeys = sizeof(keys) / sizeof(keys[0]);
		const rs_yaml_node_t *v;
		char what[160];

		snprintf(what, sizeof(what), "an example of rule '%s'",
		         rule->id);
		if (rs_ruleload_fields(ld, node, keys, nkeys, what) != 0) {
			return -1;
		}
		if ((v = rs_yaml_field(keys, nkeys, "text")) == NULL) {
			return rs_ruleload_fail_at(
			    ld, (node)->line,
			    "an example of rule '%s' has no 'text'.", rule->id);
		}
		node = v;
		if ((v = rs_yaml_field(keys, nkeys, "stage")) != NULL) {
			int st;
			if (v->kind != RS_YAML_SCALAR) {
				return rs_ruleload_fail_at(
				    ld, (v)->line,
				    "an example's stage must be a "
				    "string.");
			}
			st = rs_taxonomy_stage_parse((const char *)v->text,
			                             v->len);
			if (st < 0) {
				return rs_ruleload_fail_at(
				    ld, (v)->line,
				    "unknown stage '%.*s' in an "
				    "example of rule '%s'.",
				    (int)v->len, (const char *)v->text,
				    rule->id);
			}
			ex->stage = (rs_stage_t)st;
		}
		if ((v = rs_yaml_field(keys, nkeys, "mx")) != NULL) {
			ex->mx = rs_ruleload_string(ld, v, "an example's mx");
			if (ex->mx == NULL) {
				return -1;
			}
		}
	}
	if (node->kind != RS_YAML_SCALAR) {
		return rs_ruleload_fail_at(
		    ld, (node)->line,
		    "an example of rule '%s' must be a string or a "
		    "mapping with 'text'.",
		    rule->id);
	}
	ex->text = rs_ruleload_string(ld, node, "an example text");
	if (ex->text == NULL) {
		return -1;
	}
	ex->text_len = node->len;
	return 0;
}

/* Parse a rule's examples mapping {match: [...], no_match: [...]}. */
static int parse_examples(struct load *ld, const rs_yaml_node_t *node,
                          rs_rule_t *rule)
{
	key_slot_t keys[] = {{"match", NULL, 0}, {"no_match", NULL, 0}};
	const size_t nkeys = sizeof(keys) / sizeof(keys[0]);
	const rs_yaml_node_t *lists[2];
	long counts[2] = {0, 0};
	char what[160];
	size_t k = 0;

	snprintf(what, sizeof(what), "the examples of rule '%s'", rule->id);
	if (rs_ruleload_fields(ld, node, keys, nkeys, what) != 0) {
		return -1;
	}
	lists[0] = rs_yaml_field(keys, nkeys, "match");
	lists[1] = rs_yaml_field(keys, nkeys, "no_match");
	for (int i = 0; i < 2; i++) {
		if (lists[i] == NULL) {
			continue;
		}
		if (lists[i]->kind != RS_YAML_SEQUENCE) {
			return rs_ruleload_fail_at(
			    ld, (lists[i])->line,
			    "examples '%s' of rule '%s' must be a "
			    "list.",
			    i == 0 ? "match" : "no_match", rule->id);
		}
		counts[i] = (long)lists[i]->n;
	}
	if (counts[0] == 0) {
		return rs_ruleload_fail_at(
		    ld, (node)->line,
		    "rule '%s' has no 'match' example; give at "
		    "least one real reply it must match.",
		    rule->id);
	}
	rule->examples = rs_arena_alloc(&ld->rules->arena,
	                                sizeof(*rule->examples) *
	                                    (size_t)(counts[0] + counts[1]));
	if (rule->examples == NULL) {
		return rs_ruleload_fail_at(ld, (node)->line, "out of memory.");
	}
	for (int i = 0; i < 2; i++) {
		if (lists[i] == NULL) {
			continue;
		}
		for (size_t it = 0; it < lists[i]->n; it++) {
			const rs_yaml_node_t *item = lists[i]->items[it];
			if (item == NULL) {
				return rs_ruleload_fail_at(
				    ld, (lists[i])->line,
				    "an example of rule '%s' cannot be "
				    "read.",
				    rule->id);
			}
			if (parse_example(ld, item, rule, i == 0,
			                  &rule->examples[k]) != 0) {
				return -1;
			}
			k++;
		}
	}
	rule->nexamples = k;
	return 0;
}

/* Is a rule id already taken? Returns the earlier rule or NULL. */
/* A key naming one SMTP stage (infers_stage, stage_hint): 0, or -1 said. */
static int parse_stage_key(struct load *ld, const rs_yaml_node_t *v,
                           const char *key, const char *id, rs_stage_t *out)
{
	int st = -1;

	if (v->kind == RS_YAML_SCALAR) {
		st = rs_taxonomy_stage_parse((const char *)v->text, v->len);
	}
	if (st < 0 || st == RS_STAGE_UNKNOWN) {
		return rs_ruleload_fail_at(
		    ld, v->line,
		    "%s of rule '%s' must be one SMTP stage of TAXONOMY.md "
		    "(connect, greeting, helo, starttls, auth, mail_from, "
		    "rcpt_to, data, end_of_data, queue).",
		    key, id);
	}
	*out = (rs_stage_t)st;
	return 0;
}

static const rs_rule_t *rule_find(const rs_rules_t *rules, const char *id,
                                  size_t upto)
{
	for (size_t i = 0; i < upto; i++) {
		if (strcmp(rules->rules[i].id, id) == 0) {
			return &rules->rules[i];
		}
	}
	return NULL;
}

/* "rule 'id'" for messages about a rule mapping not parsed yet. */
static const char *rule_name(struct load *ld, const rs_yaml_node_t *node,
                             char *buf, size_t size)
{
	snprintf(buf, size, "a rule");
	if (node->kind != RS_YAML_MAPPING) {
		return buf;
	}
	for (size_t pair = 0; pair < node->n; pair++) {
		const rs_yaml_node_t *k = node->keys[pair];
		const rs_yaml_node_t *v = node->items[pair];
		if (k != NULL && v != NULL && rs_yaml_scalar_is(k, "id") &&
		    v->kind == RS_YAML_SCALAR && v->len < 120) {
			snprintf(buf, size, "rule '%.*s'", (int)v->len,
			         (const char *)v->text);
			break;
		}
	}
	return buf;
}

/* Parse one rule mapping and append it to the set. */
int rs_ruleload_rule(struct load *ld, const rs_yaml_node_t *node)
{
	key_slot_t keys[] = {
	    {"id", NULL, 0},           {"class", NULL, 0},
	    {"priority", NULL, 0},     {"patterns", NULL, 0},
	    {"scope", NULL, 0},        {"tags", NULL, 0},
	    {"description", NULL, 0},  {"advice", NULL, 0},
	    {"source", NULL, 0},       {"examples", NULL, 0},
	    {"infers_stage", NULL, 0}, {"stage_hint", NULL, 0},
	};
	const size_t nkeys = sizeof(keys) / sizeof(keys[0]);
	rs_rules_t *rules = ld->rules;
	rs_rule_t *rule;
	const rs_rule_t *dup;
	const rs_yaml_node_t *v;
	char what[160];

	if (rs_ruleload_fields(ld, node, keys, nkeys,
	                       rule_name(ld, node, what, sizeof(what))) != 0) {
		return -1;
	}
	if (rules->nrules == ld->caprules) {
		size_t cap = ld->caprules ? ld->caprules * 2 : 64;
		rs_rule_t *r = realloc(rules->rules, cap * sizeof(*r));
		if (r == NULL) {
			return rs_ruleload_fail_at(ld, (node)->line,
			                           "out of memory.");
		}
		rules->rules = r;
		ld->caprules = cap;
	}
	rule = &rules->rules[rules->nrules];
	memset(rule, 0, sizeof(*rule));
	rule->provider = -1;
	rule->file = ld->path;
	rule->line = (node)->line;
	rule->order = rules->nrules;
	rule->advice = "";

	if ((v = rs_yaml_field(keys, nkeys, "id")) == NULL) {
		return rs_ruleload_fail_at(ld, (node)->line,
		                           "a rule has no 'id'.");
	}
	if ((rule->id = rs_ruleload_string(ld, v, "a rule id")) == NULL) {
		return -1;
	}
	if (strlen(rule->id) > RULE_ID_MAX || !all_bytes(rule->id, id_byte)) {
		return rs_ruleload_fail_at(
		    ld, (v)->line,
		    "invalid rule id '%s' (use at most %d of "
		    "a-z 0-9 _ . -).",
		    rule->id, RULE_ID_MAX);
	}
	if ((dup = rule_find(rules, rule->id, rules->nrules)) != NULL) {
		return rs_ruleload_fail_at(
		    ld, (v)->line,
		    "duplicate rule id '%s' (first defined at "
		    "%s:%u).",
		    rule->id, dup->file, dup->line);
	}
	if ((v = rs_yaml_field(keys, nkeys, "class")) != NULL) {
		int c;
		if (v->kind != RS_YAML_SCALAR) {
			return rs_ruleload_fail_at(
			    ld, (v)->line,
			    "the class of rule '%s' must be a string.",
			    rule->id);
		}
		c = rs_taxonomy_cause_parse((const char *)v->text, v->len);
		if (c < 0) {
			return rs_ruleload_fail_at(
			    ld, (v)->line,
			    "unknown class '%.*s' in rule '%s' (use "
			    "a lowercase class name of TAXONOMY.md, "
			    "such as ip_policy_block or user_unknown).",
			    (int)v->len, (const char *)v->text, rule->id);
		}
		rule->cause = (rs_cause_t)c;
	}
	if ((v = rs_yaml_field(keys, nkeys, "infers_stage")) != NULL &&
	    parse_stage_key(ld, v, "infers_stage", rule->id,
	                    &rule->infers_stage) < 0) {
		return -1;
	}
	if ((v = rs_yaml_field(keys, nkeys, "stage_hint")) != NULL &&
	    parse_stage_key(ld, v, "stage_hint", rule->id, &rule->stage_hint) <
	        0) {
		return -1;
	}
	if ((v = rs_yaml_field(keys, nkeys, "priority")) != NULL) {
		char *end;
		long p;
		if (v->kind != RS_YAML_SCALAR || v->len == 0) {
			return rs_ruleload_fail_at(
			    ld, (v)->line,
			    "the priority of rule '%s' must be an "
			    "integer.",
			    rule->id);
		}
		errno = 0;
		p = strtol((const char *)v->text, &end, 10);
		if (errno != 0 || end != (const char *)v->text + v->len ||
		    p < -PRIORITY_LIMIT || p > PRIORITY_LIMIT) {
			return rs_ruleload_fail_at(
			    ld, (v)->line,
			    "the priority of rule '%s' must be an "
			    "integer from %d to %d.",
			    rule->id, -PRIORITY_LIMIT, PRIORITY_LIMIT);
		}
		rule->priority = (int)p;
	}
	if ((v = rs_yaml_field(keys, nkeys, "patterns")) == NULL) {
		return rs_ruleload_fail_at(
		    ld, (node)->line, "rule '%s' has no 'patterns'.", rule->id);
	}
	{
		char owner[160];
		snprintf(owner, sizeof(owner), "rule '%s'", rule->id);
		if (rs_ruleload_patterns(ld, v, &rule->patterns,
		                         &rule->pattern_lines, &rule->npatterns,
		                         owner) != 0) {
			return -1;
		}
	}
	if ((v = rs_yaml_field(keys, nkeys, "scope")) != NULL &&
	    parse_scope(ld, v, rule) != 0) {
		return -1;
	}
	if ((v = rs_yaml_field(keys, nkeys, "tags")) != NULL) {
		long n = rs_ruleload_strings(ld, v, "tags");
		if (n < 0) {
			return -1;
		}
		rule->tags = rs_arena_alloc(&rules->arena,
		                            sizeof(*rule->tags) * (size_t)n);
		if (n > 0 && rule->tags == NULL) {
			return rs_ruleload_fail_at(ld, (v)->line,
			                           "out of memory.");
		}
		for (long i = 0; i < n; i++) {
			const rs_yaml_node_t *item =
			    rs_yaml_strings_at(v, (size_t)i);
			const char *t = rs_ruleload_string(ld, item, "a tag");
			if (t == NULL) {
				return -1;
			}
			if (!all_bytes(t, tag_byte) ||
			    strncmp(t, "provider:", 9) == 0) {
				return rs_ruleload_fail_at(
				    ld, (item)->line,
				    "invalid tag '%s' in rule '%s' "
				    "(use letters, digits and _ . - : "
				    "/ +; provider tags are added by "
				    "the classifier).",
				    t, rule->id);
			}
			rule->tags[i] = t;
		}
		rule->ntags = (size_t)n;
	}
	if (rule->stage_hint != RS_STAGE_UNSPECIFIED &&
	    (rule->cause != RS_CAUSE_UNSPECIFIED || rule->ntags != 0 ||
	     rule->infers_stage != RS_STAGE_UNSPECIFIED)) {
		/* A hint is read after the class is decided; with a class,
		 * tags or infers_stage the rule would mean two things. */
		return rs_ruleload_fail_at(
		    ld, (node)->line,
		    "rule '%s' has a 'stage_hint' and also a 'class', "
		    "'tags' or 'infers_stage'; a stage hint rule names "
		    "only the stage its words suggest.",
		    rule->id);
	}
	if (rule->cause == RS_CAUSE_UNSPECIFIED && rule->ntags == 0 &&
	    rule->infers_stage == RS_STAGE_UNSPECIFIED &&
	    rule->stage_hint == RS_STAGE_UNSPECIFIED) {
		return rs_ruleload_fail_at(
		    ld, (node)->line,
		    "rule '%s' has neither a 'class' nor 'tags' nor "
		    "'infers_stage' nor 'stage_hint'; it would do nothing.",
		    rule->id);
	}
	if ((v = rs_yaml_field(keys, nkeys, "description")) == NULL) {
		return rs_ruleload_fail_at(ld, (node)->line,
		                           "rule '%s' has no 'description'.",
		                           rule->id);
	}
	if ((rule->description = rs_ruleload_string(ld, v, "description")) ==
	    NULL) {
		return -1;
	}
	if ((v = rs_yaml_field(keys, nkeys, "advice")) != NULL) {
		if ((rule->advice = rs_ruleload_string(ld, v, "advice")) ==
		    NULL) {
			return -1;
		}
	} else if (rule->cause != RS_CAUSE_UNSPECIFIED) {
		return rs_ruleload_fail_at(
		    ld, (node)->line, "rule '%s' has a class but no 'advice'.",
		    rule->id);
	}
	if ((v = rs_yaml_field(keys, nkeys, "source")) == NULL) {
		return rs_ruleload_fail_at(
		    ld, (node)->line,
		    "rule '%s' has no 'source'; say where the "
		    "wording comes from.",
		    rule->id);
	}
	if ((rule->source = rs_ruleload_string(ld, v, "source")) == NULL) {
		return -1;
	}
	if ((v = rs_yaml_field(keys, nkeys, "examples")) == NULL) {
		return rs_ruleload_fail_at(
		    ld, (node)->line,
		    "rule '%s' has no 'examples'; give at least one "
		    "real reply it must match.",
		    rule->id);
	}
	if (parse_examples(ld, v, rule) != 0) {
		return -1;
	}
	rules->nrules++;
	return 0;
}
