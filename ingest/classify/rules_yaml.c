/*
 * rules_yaml.c - read the YAML rule files of a directory into a rule set:
 * providers.yaml first, then every other *.yaml file in strcmp order
 * (a rule's load order, file then position, is the classifier's last tie
 * breaker). The file format is documented in rules/README.md.
 *
 * Ownership: strings and arrays go to the set's arena; the YAML document
 * is freed as soon as its file is read. Hazards: every error names
 * "file:line"; libyaml counts lines from 0.
 */
#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <yaml.h>

#include "classify/rules_private.h"
#include "util/arena.h"
#include "util/str.h"

#define RULE_ID_MAX 100
#define PRIORITY_LIMIT 1000
#define PROVIDERS_FILE "providers.yaml"

/* ------------------------------------------------------------------ */
/* Load context and error reporting                                    */
/* ------------------------------------------------------------------ */

struct load {
	rs_rules_t *rules;
	size_t caprules;
	const char *path; /* file being read (arena copy) */
	yaml_document_t *doc;
	char *errstr;
	size_t errstr_size;
};

/* Write "path:line: message" into the load's errstr; returns -1. */
static int fail_at(struct load *ld, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_at(struct load *ld, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ld->errstr == NULL || ld->errstr_size == 0) {
		return -1;
	}
	n = snprintf(ld->errstr, ld->errstr_size, "%s:%u: ", ld->path, line);
	if (n < 0 || (size_t)n >= ld->errstr_size) {
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(ld->errstr + n, ld->errstr_size - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Write a message without a line into errstr; returns -1. */
static int fail_plain(char *errstr, size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int fail_plain(char *errstr, size_t errstr_size, const char *fmt, ...)
{
	va_list ap;

	if (errstr == NULL || errstr_size == 0) {
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(errstr, errstr_size, fmt, ap);
	va_end(ap);
	return -1;
}

/* 1-based line of a node. */
static unsigned node_line(const yaml_node_t *node)
{
	return (unsigned)node->start_mark.line + 1;
}

/* ------------------------------------------------------------------ */
/* YAML node helpers                                                   */
/* ------------------------------------------------------------------ */

/* Is node a scalar equal to the literal s? */
static int scalar_is(const yaml_node_t *node, const char *s)
{
	size_t n = strlen(s);

	return node->type == YAML_SCALAR_NODE &&
	       node->data.scalar.length == n &&
	       memcmp(node->data.scalar.value, s, n) == 0;
}

/* Require a non-empty scalar and copy it into the arena; NULL on error. */
static const char *get_string(struct load *ld, const yaml_node_t *node,
                              const char *what)
{
	const char *s;

	if (node->type != YAML_SCALAR_NODE) {
		fail_at(ld, node_line(node), "%s must be a string.", what);
		return NULL;
	}
	if (node->data.scalar.length == 0) {
		fail_at(ld, node_line(node), "%s must not be empty.", what);
		return NULL;
	}
	s = rs_arena_strndup(&ld->rules->arena,
	                     (const char *)node->data.scalar.value,
	                     node->data.scalar.length);
	if (s == NULL) {
		fail_at(ld, node_line(node), "out of memory.");
	}
	return s;
}

/*
 * A "string or list of strings" field: number of items, and item i via
 * list_item. Returns -1 (after failing) when node is a mapping.
 */
static long list_count(struct load *ld, const yaml_node_t *node,
                       const char *what)
{
	if (node->type == YAML_SCALAR_NODE) {
		return 1;
	}
	if (node->type == YAML_SEQUENCE_NODE) {
		return (long)(node->data.sequence.items.top -
		              node->data.sequence.items.start);
	}
	return fail_at(ld, node_line(node),
	               "%s must be a string or a list of strings.", what);
}

/* Item i of a node counted by list_count. */
static yaml_node_t *list_item(struct load *ld, yaml_node_t *node, long i)
{
	if (node->type == YAML_SCALAR_NODE) {
		return node;
	}
	return yaml_document_get_node(ld->doc,
	                              node->data.sequence.items.start[i]);
}

/* One allowed key of a mapping and where its value was seen. */
struct key_slot {
	const char *name;
	yaml_node_t *value;
	unsigned line;
};

/*
 * Sort a mapping's pairs into slots by key name. Unknown and duplicate
 * keys are errors that name the valid keys. what says which mapping.
 */
static int map_keys(struct load *ld, yaml_node_t *map, struct key_slot *slots,
                    size_t nslots, const char *what)
{
	yaml_node_pair_t *pair;

	if (map->type != YAML_MAPPING_NODE) {
		return fail_at(ld, node_line(map), "%s must be a mapping.",
		               what);
	}
	for (pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(ld->doc, pair->value);
		size_t i;

		if (k == NULL || v == NULL || k->type != YAML_SCALAR_NODE) {
			return fail_at(ld, node_line(map),
			               "%s has a key that is not a string.",
			               what);
		}
		for (i = 0; i < nslots; i++) {
			if (scalar_is(k, slots[i].name)) {
				break;
			}
		}
		if (i == nslots) {
			char valid[256];
			size_t off = 0;

			valid[0] = '\0';
			for (size_t j = 0; j < nslots && off < sizeof(valid);
			     j++) {
				int w = snprintf(valid + off,
				                 sizeof(valid) - off, "%s%s",
				                 j ? ", " : "", slots[j].name);
				if (w < 0) {
					break;
				}
				off += (size_t)w;
			}
			return fail_at(ld, node_line(k),
			               "unknown key '%.*s' in %s (valid keys: "
			               "%s).",
			               (int)k->data.scalar.length,
			               (const char *)k->data.scalar.value, what,
			               valid);
		}
		if (slots[i].value != NULL) {
			return fail_at(
			    ld, node_line(k),
			    "duplicate key '%s' in %s (first at line "
			    "%u).",
			    slots[i].name, what, slots[i].line);
		}
		slots[i].value = v;
		slots[i].line = node_line(k);
	}
	return 0;
}

/* Find a slot by name (it exists: the caller declared it). */
static yaml_node_t *slot(struct key_slot *slots, size_t nslots,
                         const char *name)
{
	for (size_t i = 0; i < nslots; i++) {
		if (strcmp(slots[i].name, name) == 0) {
			return slots[i].value;
		}
	}
	return NULL;
}

/* ------------------------------------------------------------------ */
/* Field parsers                                                       */
/* ------------------------------------------------------------------ */

/* Is s made only of bytes accepted by ok()? */
static int all_bytes(const char *s, int (*ok)(int c))
{
	for (; *s != '\0'; s++) {
		if (!ok((unsigned char)*s)) {
			return 0;
		}
	}
	return 1;
}

/* Rule ids: [a-z0-9_.-]. */
static int id_byte(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '-';
}

/* Tags: printable, no spaces or quotes. */
static int tag_byte(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
	       c == ':' || c == '/' || c == '+';
}

/* MX host suffixes: lower-case host name bytes. */
static int host_byte(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '-';
}

/* Read a "string or list" of patterns into *out (non-empty). */
static int parse_patterns(struct load *ld, yaml_node_t *node, const char ***out,
                          unsigned **lines, size_t *n, const char *owner)
{
	long count = list_count(ld, node, "patterns");

	if (count < 0) {
		return -1;
	}
	if (count == 0) {
		return fail_at(ld, node_line(node),
		               "%s has an empty 'patterns' list; give at least "
		               "one pattern.",
		               owner);
	}
	*out = rs_arena_alloc(&ld->rules->arena, sizeof(**out) * (size_t)count);
	*lines =
	    rs_arena_alloc(&ld->rules->arena, sizeof(**lines) * (size_t)count);
	if (*out == NULL || *lines == NULL) {
		return fail_at(ld, node_line(node), "out of memory.");
	}
	for (long i = 0; i < count; i++) {
		yaml_node_t *item = list_item(ld, node, i);
		const char *p = get_string(ld, item, "a pattern");
		if (p == NULL) {
			return -1;
		}
		(*out)[i] = p;
		(*lines)[i] = node_line(item);
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

/* Index of a provider by id, or -1. */
static int provider_find(const rs_rules_t *rules, const char *id)
{
	for (size_t i = 0; i < rules->nproviders; i++) {
		if (strcmp(rules->providers[i].id, id) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* Parse a rule's scope mapping into rule. */
static int parse_scope(struct load *ld, yaml_node_t *node, rs_rule_t *rule)
{
	struct key_slot keys[] = {
	    {"stage", NULL, 0}, {"provider", NULL, 0}, {"codes", NULL, 0}};
	const size_t nkeys = sizeof(keys) / sizeof(keys[0]);
	yaml_node_t *v;
	char what[160];

	snprintf(what, sizeof(what), "the scope of rule '%s'", rule->id);
	if (map_keys(ld, node, keys, nkeys, what) != 0) {
		return -1;
	}
	if ((v = slot(keys, nkeys, "stage")) != NULL) {
		long n = list_count(ld, v, "scope 'stage'");
		if (n < 0) {
			return -1;
		}
		if (n == 0) {
			return fail_at(ld, node_line(v),
			               "scope 'stage' of rule '%s' is an empty "
			               "list; omit it to allow every stage.",
			               rule->id);
		}
		for (long i = 0; i < n; i++) {
			yaml_node_t *item = list_item(ld, v, i);
			int st;
			if (item->type != YAML_SCALAR_NODE) {
				return fail_at(ld, node_line(item),
				               "a stage must be a string.");
			}
			st = rs_taxonomy_stage_parse(
			    (const char *)item->data.scalar.value,
			    item->data.scalar.length);
			if (st < 0) {
				return fail_at(
				    ld, node_line(item),
				    "unknown stage '%.*s' in the scope of rule "
				    "'%s' (valid: connect, greeting, helo, "
				    "starttls, auth, mail_from, rcpt_to, data, "
				    "end_of_data, queue, unknown).",
				    (int)item->data.scalar.length,
				    (const char *)item->data.scalar.value,
				    rule->id);
			}
			rule->stage_mask |= 1u << st;
		}
	}
	if ((v = slot(keys, nkeys, "provider")) != NULL) {
		const char *id = get_string(ld, v, "scope 'provider'");
		if (id == NULL) {
			return -1;
		}
		rule->provider = provider_find(ld->rules, id);
		if (rule->provider < 0) {
			return fail_at(
			    ld, node_line(v),
			    "unknown provider '%s' in the scope of "
			    "rule '%s' (providers are defined in %s%s).",
			    id, rule->id, PROVIDERS_FILE,
			    ld->rules->nproviders == 0
				? ", which defines none here"
				: "");
		}
	}
	if ((v = slot(keys, nkeys, "codes")) != NULL) {
		long n = list_count(ld, v, "scope 'codes'");
		if (n < 0) {
			return -1;
		}
		if (n == 0) {
			return fail_at(ld, node_line(v),
			               "scope 'codes' of rule '%s' is an empty "
			               "list; omit it to allow every code.",
			               rule->id);
		}
		rule->codes = rs_arena_alloc(&ld->rules->arena,
		                             sizeof(*rule->codes) * (size_t)n);
		if (rule->codes == NULL) {
			return fail_at(ld, node_line(v), "out of memory.");
		}
		for (long i = 0; i < n; i++) {
			yaml_node_t *item = list_item(ld, v, i);
			const char *s = get_string(ld, item, "a code");
			if (s == NULL) {
				return -1;
			}
			if (parse_code(s, &rule->codes[i]) != 0) {
				return fail_at(
				    ld, node_line(item),
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
static int parse_example(struct load *ld, yaml_node_t *node, rs_rule_t *rule,
                         int must_match, rs_rule_example_t *ex)
{
	memset(ex, 0, sizeof(*ex));
	ex->must_match = must_match;
	ex->line = node_line(node);
	ex->stage = RS_STAGE_UNSPECIFIED;
	if (node->type == YAML_MAPPING_NODE) {
		struct key_slot keys[] = {
		    {"text", NULL, 0}, {"stage", NULL, 0}, {"mx", NULL, 0}};
		const size_t nkeys = sizeof(keys) / sizeof(keys[0]);
		yaml_node_t *v;
		char what[160];

		snprintf(what, sizeof(what), "an example of rule '%s'",
		         rule->id);
		if (map_keys(ld, node, keys, nkeys, what) != 0) {
			return -1;
		}
		if ((v = slot(keys, nkeys, "text")) == NULL) {
			return fail_at(ld, node_line(node),
			               "an example of rule '%s' has no 'text'.",
			               rule->id);
		}
		node = v;
		if ((v = slot(keys, nkeys, "stage")) != NULL) {
			int st;
			if (v->type != YAML_SCALAR_NODE) {
				return fail_at(ld, node_line(v),
				               "an example's stage must be a "
				               "string.");
			}
			st = rs_taxonomy_stage_parse(
			    (const char *)v->data.scalar.value,
			    v->data.scalar.length);
			if (st < 0) {
				return fail_at(
				    ld, node_line(v),
				    "unknown stage '%.*s' in an "
				    "example of rule '%s'.",
				    (int)v->data.scalar.length,
				    (const char *)v->data.scalar.value,
				    rule->id);
			}
			ex->stage = (rs_stage_t)st;
		}
		if ((v = slot(keys, nkeys, "mx")) != NULL) {
			ex->mx = get_string(ld, v, "an example's mx");
			if (ex->mx == NULL) {
				return -1;
			}
		}
	}
	if (node->type != YAML_SCALAR_NODE) {
		return fail_at(ld, node_line(node),
		               "an example of rule '%s' must be a string or a "
		               "mapping with 'text'.",
		               rule->id);
	}
	ex->text = get_string(ld, node, "an example text");
	if (ex->text == NULL) {
		return -1;
	}
	ex->text_len = node->data.scalar.length;
	return 0;
}

/* Parse a rule's examples mapping {match: [...], no_match: [...]}. */
static int parse_examples(struct load *ld, yaml_node_t *node, rs_rule_t *rule)
{
	struct key_slot keys[] = {{"match", NULL, 0}, {"no_match", NULL, 0}};
	const size_t nkeys = sizeof(keys) / sizeof(keys[0]);
	yaml_node_t *lists[2];
	long counts[2] = {0, 0};
	char what[160];
	size_t k = 0;

	snprintf(what, sizeof(what), "the examples of rule '%s'", rule->id);
	if (map_keys(ld, node, keys, nkeys, what) != 0) {
		return -1;
	}
	lists[0] = slot(keys, nkeys, "match");
	lists[1] = slot(keys, nkeys, "no_match");
	for (int i = 0; i < 2; i++) {
		if (lists[i] == NULL) {
			continue;
		}
		if (lists[i]->type != YAML_SEQUENCE_NODE) {
			return fail_at(ld, node_line(lists[i]),
			               "examples '%s' of rule '%s' must be a "
			               "list.",
			               i == 0 ? "match" : "no_match", rule->id);
		}
		counts[i] = (long)(lists[i]->data.sequence.items.top -
		                   lists[i]->data.sequence.items.start);
	}
	if (counts[0] == 0) {
		return fail_at(ld, node_line(node),
		               "rule '%s' has no 'match' example; give at "
		               "least one real reply it must match.",
		               rule->id);
	}
	rule->examples = rs_arena_alloc(&ld->rules->arena,
	                                sizeof(*rule->examples) *
	                                    (size_t)(counts[0] + counts[1]));
	if (rule->examples == NULL) {
		return fail_at(ld, node_line(node), "out of memory.");
	}
	for (int i = 0; i < 2; i++) {
		yaml_node_item_t *it;

		if (lists[i] == NULL) {
			continue;
		}
		for (it = lists[i]->data.sequence.items.start;
		     it < lists[i]->data.sequence.items.top; it++) {
			yaml_node_t *item =
			    yaml_document_get_node(ld->doc, *it);
			if (item == NULL) {
				return fail_at(
				    ld, node_line(lists[i]),
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
static const char *rule_name(struct load *ld, yaml_node_t *node, char *buf,
                             size_t size)
{
	snprintf(buf, size, "a rule");
	if (node->type != YAML_MAPPING_NODE) {
		return buf;
	}
	for (yaml_node_pair_t *pair = node->data.mapping.pairs.start;
	     pair < node->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(ld->doc, pair->key);
		yaml_node_t *v = yaml_document_get_node(ld->doc, pair->value);
		if (k != NULL && v != NULL && scalar_is(k, "id") &&
		    v->type == YAML_SCALAR_NODE &&
		    v->data.scalar.length < 120) {
			snprintf(buf, size, "rule '%.*s'",
			         (int)v->data.scalar.length,
			         (const char *)v->data.scalar.value);
			break;
		}
	}
	return buf;
}

/* Parse one rule mapping and append it to the set. */
static int parse_rule(struct load *ld, yaml_node_t *node)
{
	struct key_slot keys[] = {
	    {"id", NULL, 0},           {"class", NULL, 0},
	    {"priority", NULL, 0},     {"patterns", NULL, 0},
	    {"scope", NULL, 0},        {"tags", NULL, 0},
	    {"description", NULL, 0},  {"advice", NULL, 0},
	    {"source", NULL, 0},       {"examples", NULL, 0},
	    {"infers_stage", NULL, 0},
	};
	const size_t nkeys = sizeof(keys) / sizeof(keys[0]);
	rs_rules_t *rules = ld->rules;
	rs_rule_t *rule;
	const rs_rule_t *dup;
	yaml_node_t *v;
	char what[160];

	if (map_keys(ld, node, keys, nkeys,
	             rule_name(ld, node, what, sizeof(what))) != 0) {
		return -1;
	}
	if (rules->nrules == ld->caprules) {
		size_t cap = ld->caprules ? ld->caprules * 2 : 64;
		rs_rule_t *r = realloc(rules->rules, cap * sizeof(*r));
		if (r == NULL) {
			return fail_at(ld, node_line(node), "out of memory.");
		}
		rules->rules = r;
		ld->caprules = cap;
	}
	rule = &rules->rules[rules->nrules];
	memset(rule, 0, sizeof(*rule));
	rule->provider = -1;
	rule->file = ld->path;
	rule->line = node_line(node);
	rule->order = rules->nrules;
	rule->advice = "";

	if ((v = slot(keys, nkeys, "id")) == NULL) {
		return fail_at(ld, node_line(node), "a rule has no 'id'.");
	}
	if ((rule->id = get_string(ld, v, "a rule id")) == NULL) {
		return -1;
	}
	if (strlen(rule->id) > RULE_ID_MAX || !all_bytes(rule->id, id_byte)) {
		return fail_at(ld, node_line(v),
		               "invalid rule id '%s' (use at most %d of "
		               "a-z 0-9 _ . -).",
		               rule->id, RULE_ID_MAX);
	}
	if ((dup = rule_find(rules, rule->id, rules->nrules)) != NULL) {
		return fail_at(ld, node_line(v),
		               "duplicate rule id '%s' (first defined at "
		               "%s:%u).",
		               rule->id, dup->file, dup->line);
	}
	if ((v = slot(keys, nkeys, "class")) != NULL) {
		int c;
		if (v->type != YAML_SCALAR_NODE) {
			return fail_at(
			    ld, node_line(v),
			    "the class of rule '%s' must be a string.",
			    rule->id);
		}
		c = rs_taxonomy_cause_parse((const char *)v->data.scalar.value,
		                            v->data.scalar.length);
		if (c < 0) {
			return fail_at(
			    ld, node_line(v),
			    "unknown class '%.*s' in rule '%s' (use "
			    "a lowercase class name of TAXONOMY.md, "
			    "such as ip_policy_block or user_unknown).",
			    (int)v->data.scalar.length,
			    (const char *)v->data.scalar.value, rule->id);
		}
		rule->cause = (rs_cause_t)c;
	}
	if ((v = slot(keys, nkeys, "infers_stage")) != NULL) {
		int st = -1;
		if (v->type == YAML_SCALAR_NODE) {
			st = rs_taxonomy_stage_parse(
			    (const char *)v->data.scalar.value,
			    v->data.scalar.length);
		}
		if (st < 0 || st == RS_STAGE_UNKNOWN) {
			return fail_at(
			    ld, node_line(v),
			    "infers_stage of rule '%s' must be one "
			    "SMTP stage of TAXONOMY.md (connect, "
			    "greeting, helo, starttls, auth, mail_from, "
			    "rcpt_to, data, end_of_data, queue).",
			    rule->id);
		}
		rule->infers_stage = (rs_stage_t)st;
	}
	if ((v = slot(keys, nkeys, "priority")) != NULL) {
		char *end;
		long p;
		if (v->type != YAML_SCALAR_NODE || v->data.scalar.length == 0) {
			return fail_at(ld, node_line(v),
			               "the priority of rule '%s' must be an "
			               "integer.",
			               rule->id);
		}
		errno = 0;
		p = strtol((const char *)v->data.scalar.value, &end, 10);
		if (errno != 0 ||
		    end != (const char *)v->data.scalar.value +
		               v->data.scalar.length ||
		    p < -PRIORITY_LIMIT || p > PRIORITY_LIMIT) {
			return fail_at(ld, node_line(v),
			               "the priority of rule '%s' must be an "
			               "integer from %d to %d.",
			               rule->id, -PRIORITY_LIMIT,
			               PRIORITY_LIMIT);
		}
		rule->priority = (int)p;
	}
	if ((v = slot(keys, nkeys, "patterns")) == NULL) {
		return fail_at(ld, node_line(node),
		               "rule '%s' has no 'patterns'.", rule->id);
	}
	{
		char owner[160];
		snprintf(owner, sizeof(owner), "rule '%s'", rule->id);
		if (parse_patterns(ld, v, &rule->patterns, &rule->pattern_lines,
		                   &rule->npatterns, owner) != 0) {
			return -1;
		}
	}
	if ((v = slot(keys, nkeys, "scope")) != NULL &&
	    parse_scope(ld, v, rule) != 0) {
		return -1;
	}
	if ((v = slot(keys, nkeys, "tags")) != NULL) {
		long n = list_count(ld, v, "tags");
		if (n < 0) {
			return -1;
		}
		rule->tags = rs_arena_alloc(&rules->arena,
		                            sizeof(*rule->tags) * (size_t)n);
		if (n > 0 && rule->tags == NULL) {
			return fail_at(ld, node_line(v), "out of memory.");
		}
		for (long i = 0; i < n; i++) {
			yaml_node_t *item = list_item(ld, v, i);
			const char *t = get_string(ld, item, "a tag");
			if (t == NULL) {
				return -1;
			}
			if (!all_bytes(t, tag_byte) ||
			    strncmp(t, "provider:", 9) == 0) {
				return fail_at(
				    ld, node_line(item),
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
	if (rule->cause == RS_CAUSE_UNSPECIFIED && rule->ntags == 0) {
		return fail_at(ld, node_line(node),
		               "rule '%s' has neither a 'class' nor 'tags'; it "
		               "would do nothing.",
		               rule->id);
	}
	if ((v = slot(keys, nkeys, "description")) == NULL) {
		return fail_at(ld, node_line(node),
		               "rule '%s' has no 'description'.", rule->id);
	}
	if ((rule->description = get_string(ld, v, "description")) == NULL) {
		return -1;
	}
	if ((v = slot(keys, nkeys, "advice")) != NULL) {
		if ((rule->advice = get_string(ld, v, "advice")) == NULL) {
			return -1;
		}
	} else if (rule->cause != RS_CAUSE_UNSPECIFIED) {
		return fail_at(ld, node_line(node),
		               "rule '%s' has a class but no 'advice'.",
		               rule->id);
	}
	if ((v = slot(keys, nkeys, "source")) == NULL) {
		return fail_at(ld, node_line(node),
		               "rule '%s' has no 'source'; say where the "
		               "wording comes from.",
		               rule->id);
	}
	if ((rule->source = get_string(ld, v, "source")) == NULL) {
		return -1;
	}
	if ((v = slot(keys, nkeys, "examples")) == NULL) {
		return fail_at(ld, node_line(node),
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

/* Parse one provider mapping of providers.yaml. */
static int parse_provider(struct load *ld, yaml_node_t *node, size_t *cap)
{
	struct key_slot keys[] = {{"id", NULL, 0},
	                          {"name", NULL, 0},
	                          {"mx", NULL, 0},
	                          {"patterns", NULL, 0},
	                          {"source", NULL, 0}};
	const size_t nkeys = sizeof(keys) / sizeof(keys[0]);
	rs_rules_t *rules = ld->rules;
	rs_provider_t *p;
	yaml_node_t *v;
	size_t tag_len;
	char *tag;

	if (map_keys(ld, node, keys, nkeys, "a provider") != 0) {
		return -1;
	}
	if (rules->nproviders == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		rs_provider_t *np =
		    realloc(rules->providers, ncap * sizeof(*np));
		if (np == NULL) {
			return fail_at(ld, node_line(node), "out of memory.");
		}
		rules->providers = np;
		*cap = ncap;
	}
	p = &rules->providers[rules->nproviders];
	memset(p, 0, sizeof(*p));
	p->file = ld->path;
	p->line = node_line(node);
	if ((v = slot(keys, nkeys, "id")) == NULL) {
		return fail_at(ld, node_line(node), "a provider has no 'id'.");
	}
	if ((p->id = get_string(ld, v, "a provider id")) == NULL) {
		return -1;
	}
	if (!all_bytes(p->id, id_byte) || strlen(p->id) > RULE_ID_MAX) {
		return fail_at(ld, node_line(v),
		               "invalid provider id '%s' (use a-z 0-9 _ . -).",
		               p->id);
	}
	if (provider_find(rules, p->id) >= 0) {
		return fail_at(ld, node_line(v), "duplicate provider id '%s'.",
		               p->id);
	}
	tag_len = strlen("provider:") + strlen(p->id);
	tag = rs_arena_alloc(&rules->arena, tag_len + 1);
	if (tag == NULL) {
		return fail_at(ld, node_line(v), "out of memory.");
	}
	snprintf(tag, tag_len + 1, "provider:%s", p->id);
	p->tag = tag;
	if ((v = slot(keys, nkeys, "name")) != NULL &&
	    get_string(ld, v, "a provider name") == NULL) {
		return -1;
	}
	if ((v = slot(keys, nkeys, "source")) != NULL &&
	    get_string(ld, v, "a provider source") == NULL) {
		return -1;
	}
	if ((v = slot(keys, nkeys, "mx")) != NULL) {
		long n = list_count(ld, v, "mx");
		if (n < 0) {
			return -1;
		}
		p->mx =
		    rs_arena_alloc(&rules->arena, sizeof(*p->mx) * (size_t)n);
		p->mx_len = rs_arena_alloc(&rules->arena,
		                           sizeof(*p->mx_len) * (size_t)n);
		if (n > 0 && (p->mx == NULL || p->mx_len == NULL)) {
			return fail_at(ld, node_line(v), "out of memory.");
		}
		for (long i = 0; i < n; i++) {
			yaml_node_t *item = list_item(ld, v, i);
			const char *s = get_string(ld, item, "an mx suffix");
			if (s == NULL) {
				return -1;
			}
			if (!all_bytes(s, host_byte) || s[0] == '.' ||
			    s[strlen(s) - 1] == '.') {
				return fail_at(ld, node_line(item),
				               "invalid mx suffix '%s' of "
				               "provider '%s' (lower-case host "
				               "name, no leading or trailing "
				               "dot).",
				               s, p->id);
			}
			p->mx[i] = s;
			p->mx_len[i] = strlen(s);
		}
		p->nmx = (size_t)n;
	}
	if ((v = slot(keys, nkeys, "patterns")) != NULL) {
		char owner[160];
		snprintf(owner, sizeof(owner), "provider '%s'", p->id);
		if (parse_patterns(ld, v, &p->patterns, &p->pattern_lines,
		                   &p->npatterns, owner) != 0) {
			return -1;
		}
	}
	if (p->nmx == 0 && p->npatterns == 0) {
		return fail_at(ld, node_line(node),
		               "provider '%s' has neither 'mx' nor 'patterns'.",
		               p->id);
	}
	rules->nproviders++;
	return 0;
}

/* Report a libyaml parser error at its problem line, naming the line
 * where the enclosing construct started when libyaml knows it. */
static void yaml_error(struct load *ld, const yaml_parser_t *parser)
{
	unsigned line = (unsigned)parser->problem_mark.line + 1;
	unsigned cline = (unsigned)parser->context_mark.line + 1;

	if (parser->context != NULL && cline != line) {
		fail_at(ld, line,
		        "YAML syntax error: %s %s (started at line %u).",
		        parser->problem ? parser->problem : "unknown problem",
		        parser->context, cline);
	} else if (parser->context != NULL) {
		fail_at(ld, line, "YAML syntax error: %s %s.",
		        parser->problem ? parser->problem : "unknown problem",
		        parser->context);
	} else {
		fail_at(ld, line, "YAML syntax error: %s.",
		        parser->problem ? parser->problem : "unknown problem");
	}
}

/* Read one YAML file; providers says whether it is providers.yaml. */
static int load_file(struct load *ld, const char *path, int providers)
{
	yaml_parser_t parser;
	yaml_document_t doc;
	yaml_node_t *root;
	FILE *f;
	int rc = -1;
	const char *top = providers ? "providers" : "rules";
	size_t pcap = ld->rules->nproviders;

	ld->path = rs_arena_strndup(&ld->rules->arena, path, strlen(path));
	if (ld->path == NULL) {
		return fail_plain(ld->errstr, ld->errstr_size,
		                  "%s: out of memory.", path);
	}
	f = fopen(path, "rb");
	if (f == NULL) {
		return fail_plain(ld->errstr, ld->errstr_size,
		                  "%s: cannot open: %s.", path,
		                  strerror(errno));
	}
	if (!yaml_parser_initialize(&parser)) {
		fclose(f);
		return fail_plain(ld->errstr, ld->errstr_size,
		                  "%s: cannot initialise the YAML parser.",
		                  path);
	}
	yaml_parser_set_input_file(&parser, f);
	if (!yaml_parser_load(&parser, &doc)) {
		yaml_error(ld, &parser);
		goto out_parser;
	}
	ld->doc = &doc;
	root = yaml_document_get_root_node(&doc);
	if (root == NULL) {
		fail_at(ld, 1, "the file is empty; expected a '%s:' list.",
		        top);
		goto out_doc;
	}
	{
		struct key_slot keys[] = {{top, NULL, 0}};
		char what[64];
		yaml_node_t *list;

		snprintf(what, sizeof(what), "the top level of a %s file",
		         providers ? "providers" : "rule");
		if (map_keys(ld, root, keys, 1, what) != 0) {
			goto out_doc;
		}
		list = keys[0].value;
		if (list == NULL) {
			fail_at(ld, node_line(root), "no '%s:' list.", top);
			goto out_doc;
		}
		if (list->type != YAML_SEQUENCE_NODE) {
			fail_at(ld, node_line(list), "'%s' must be a list.",
			        top);
			goto out_doc;
		}
		for (yaml_node_item_t *it = list->data.sequence.items.start;
		     it < list->data.sequence.items.top; it++) {
			yaml_node_t *item = yaml_document_get_node(&doc, *it);
			int r = providers ? parse_provider(ld, item, &pcap)
			                  : parse_rule(ld, item);
			if (r != 0) {
				goto out_doc;
			}
		}
	}
	/* A second document would be silently ignored: refuse it. */
	{
		yaml_document_t next;
		if (!yaml_parser_load(&parser, &next)) {
			yaml_error(ld, &parser);
			goto out_doc;
		}
		if (yaml_document_get_root_node(&next) != NULL) {
			fail_at(ld, (unsigned)next.start_mark.line + 1,
			        "only one YAML document per file is allowed.");
			yaml_document_delete(&next);
			goto out_doc;
		}
		yaml_document_delete(&next);
	}
	rc = 0;
out_doc:
	ld->doc = NULL;
	yaml_document_delete(&doc);
out_parser:
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The directory                                                       */
/* ------------------------------------------------------------------ */

/* qsort comparator for file names. */
static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Does name end in ".yaml" and not start with '.'? */
static int is_yaml_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".yaml") == 0;
}

/* List the *.yaml names of dir, sorted; caller frees names and array. */
static int list_dir(const char *dir, char ***out, size_t *n, char *errstr,
                    size_t errstr_size)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t count = 0;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (d == NULL) {
		return fail_plain(errstr, errstr_size,
		                  "%s: cannot open the rule directory: %s.",
		                  dir, strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_yaml_name(de->d_name)) {
			continue;
		}
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nn = realloc(names, ncap * sizeof(*nn));
			if (nn == NULL) {
				goto oom;
			}
			names = nn;
			cap = ncap;
		}
		names[count] = strdup(de->d_name);
		if (names[count] == NULL) {
			goto oom;
		}
		count++;
	}
	closedir(d);
	if (count > 0) {
		qsort(names, count, sizeof(*names), name_cmp);
	}
	*out = names;
	*n = count;
	return 0;
oom:
	closedir(d);
	for (size_t i = 0; i < count; i++) {
		free(names[i]);
	}
	free(names);
	return fail_plain(errstr, errstr_size, "%s: out of memory.", dir);
}

int rs_rules_parse_dir(rs_rules_t *rules, char *errstr, size_t errstr_size)
{
	struct load ld;
	char **names = NULL;
	size_t nnames = 0;
	char *path = NULL;
	size_t path_size;
	int rc = -1;

	memset(&ld, 0, sizeof(ld));
	ld.rules = rules;
	ld.errstr = errstr;
	ld.errstr_size = errstr_size;
	if (list_dir(rules->dir, &names, &nnames, errstr, errstr_size) != 0) {
		return -1;
	}
	if (nnames == 0) {
		fail_plain(errstr, errstr_size,
		           "%s: no .yaml rule files in the directory.",
		           rules->dir);
		goto out;
	}
	/* dir + '/' + a directory entry name (at most 255 bytes) + NUL. */
	path_size = strlen(rules->dir) + 1 + 255 + 1;
	path = malloc(path_size);
	if (path == NULL) {
		fail_plain(errstr, errstr_size, "%s: out of memory.",
		           rules->dir);
		goto out;
	}
	/* Providers first: rule scopes name them. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < nnames; i++) {
			int is_prov = strcmp(names[i], PROVIDERS_FILE) == 0;
			if (is_prov != (pass == 0)) {
				continue;
			}
			snprintf(path, path_size, "%s/%s", rules->dir,
			         names[i]);
			if (load_file(&ld, path, is_prov) != 0) {
				goto out;
			}
		}
	}
	if (rules->nrules == 0) {
		fail_plain(errstr, errstr_size,
		           "%s: the rule files define no rules.", rules->dir);
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < nnames; i++) {
		free(names[i]);
	}
	free(names);
	free(path);
	return rc;
}
