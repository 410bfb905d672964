/*
 * rules.c - load the YAML rule files of a directory, compile every pattern
 * into one Hyperscan block-mode database, and check each rule's examples.
 *
 * The file format is documented in rules/README.md. providers.yaml (if
 * present) is read first; the other *.yaml files follow in strcmp order,
 * and a rule's load order (file order, then position) is the last tie
 * breaker of the classifier's precedence.
 *
 * Ownership: strings and arrays of a set live in its arena and are freed
 * with it; the YAML document is freed as soon as its file is read.
 * Hazards: every error names "file:line"; libyaml counts lines from 0.
 * A set is built by one thread and then only read; rs_rules_scratch_new
 * clones the prototype scratch, which Hyperscan allows from any thread.
 */
#include "classify/rules.h"

#include "classify/hscache.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <hs/hs.h>
#include <yaml.h>

#include "classify/classify.h"
#include "event/record.h"
#include "classify/rules_private.h"
#include "formats/smtpreply.h"
#include "util/str.h"

#define RULE_ID_MAX 100
#define PRIORITY_LIMIT 1000
#define PROVIDERS_FILE "providers.yaml"

/* ------------------------------------------------------------------ */
/* Arena: every string and array of a set, freed in one go.            */
/* ------------------------------------------------------------------ */

struct rs_arena {
	struct rs_arena *next;
	size_t used;
	size_t cap;
	max_align_t data[];
};

#define ARENA_CHUNK 65536

/* Allocate n bytes aligned for any type from *arena; NULL when out of
 * memory. */
static void *arena_alloc(struct rs_arena **arena, size_t n)
{
	struct rs_arena *a = *arena;
	size_t align = sizeof(max_align_t);
	size_t need = (n + align - 1) / align * align;

	if (need < n) {
		return NULL;
	}
	if (a == NULL || a->cap - a->used < need) {
		size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
		struct rs_arena *c = malloc(sizeof(*c) + cap);
		if (c == NULL) {
			return NULL;
		}
		c->next = a;
		c->used = 0;
		c->cap = cap;
		*arena = c;
		a = c;
	}
	void *p = (char *)a->data + a->used;
	a->used += need;
	return p;
}

/* Copy n bytes into the arena and NUL-terminate them. */
static char *arena_strndup(struct rs_arena **arena, const char *s, size_t n)
{
	char *p = arena_alloc(arena, n + 1);

	if (p == NULL) {
		return NULL;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Free every chunk of an arena. */
static void arena_free(struct rs_arena *a)
{
	while (a != NULL) {
		struct rs_arena *next = a->next;
		free(a);
		a = next;
	}
}

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
	s = arena_strndup(&ld->rules->arena,
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
	*out = arena_alloc(&ld->rules->arena, sizeof(**out) * (size_t)count);
	*lines =
	    arena_alloc(&ld->rules->arena, sizeof(**lines) * (size_t)count);
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
		rule->codes = arena_alloc(&ld->rules->arena,
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
	rule->examples =
	    arena_alloc(&ld->rules->arena, sizeof(*rule->examples) *
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
	    {"id", NULL, 0},          {"class", NULL, 0},
	    {"priority", NULL, 0},    {"patterns", NULL, 0},
	    {"scope", NULL, 0},       {"tags", NULL, 0},
	    {"description", NULL, 0}, {"advice", NULL, 0},
	    {"source", NULL, 0},      {"examples", NULL, 0},
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
		rule->tags =
		    arena_alloc(&rules->arena, sizeof(*rule->tags) * (size_t)n);
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
	tag = arena_alloc(&rules->arena, tag_len + 1);
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
		p->mx = arena_alloc(&rules->arena, sizeof(*p->mx) * (size_t)n);
		p->mx_len =
		    arena_alloc(&rules->arena, sizeof(*p->mx_len) * (size_t)n);
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

	ld->path = arena_strndup(&ld->rules->arena, path, strlen(path));
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
/* Directory, compilation, examples                                    */
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

/* Compile every rule and provider pattern into one database. */
static int compile_db(struct load *ld)
{
	rs_rules_t *rules = ld->rules;
	size_t total = 0;
	size_t k = 0;
	const char **exprs;
	unsigned *flags;
	unsigned *ids;
	hs_compile_error_t *cerr = NULL;
	hs_error_t err;
	int rc = -1;

	for (size_t i = 0; i < rules->nrules; i++) {
		total += rules->rules[i].npatterns;
	}
	for (size_t i = 0; i < rules->nproviders; i++) {
		total += rules->providers[i].npatterns;
	}
	exprs = calloc(total, sizeof(*exprs));
	flags = calloc(total, sizeof(*flags));
	ids = calloc(total, sizeof(*ids));
	if (exprs == NULL || flags == NULL || ids == NULL) {
		fail_plain(ld->errstr, ld->errstr_size, "%s: out of memory.",
		           rules->dir);
		goto out;
	}
	for (size_t i = 0; i < rules->nrules; i++) {
		for (size_t j = 0; j < rules->rules[i].npatterns; j++) {
			exprs[k] = rules->rules[i].patterns[j];
			ids[k] = (unsigned)i;
			k++;
		}
	}
	for (size_t i = 0; i < rules->nproviders; i++) {
		for (size_t j = 0; j < rules->providers[i].npatterns; j++) {
			exprs[k] = rules->providers[i].patterns[j];
			ids[k] = (unsigned)(rules->nrules + i);
			k++;
		}
	}
	/* Not HS_FLAG_UTF8: replies may hold any bytes. */
	for (size_t i = 0; i < total; i++) {
		flags[i] = HS_FLAG_CASELESS | HS_FLAG_SINGLEMATCH;
	}
	err = rs_hscache_compile(exprs, flags, ids, (unsigned)total,
	                         HS_MODE_BLOCK, &rules->db, &cerr);
	if (err != HS_SUCCESS) {
		const char *msg = cerr != NULL && cerr->message != NULL
		                      ? cerr->message
		                      : "unknown error";
		/* Hyperscan ends its sentences with a dot; so do we. */
		int mlen = (int)strlen(msg);
		if (mlen > 0 && msg[mlen - 1] == '.') {
			mlen--;
		}
		if (cerr != NULL && cerr->expression >= 0 &&
		    (size_t)cerr->expression < total) {
			size_t e = (size_t)cerr->expression;
			unsigned id = ids[e];
			/* Count back to the pattern's index in its owner. */
			size_t first = e;
			while (first > 0 && ids[first - 1] == id) {
				first--;
			}
			if (id < rules->nrules) {
				const rs_rule_t *r = &rules->rules[id];
				ld->path = r->file;
				fail_at(ld, r->pattern_lines[e - first],
				        "rule '%s': pattern '%s' does not "
				        "compile: %.*s.",
				        r->id, exprs[e], mlen, msg);
			} else {
				const rs_provider_t *p =
				    &rules->providers[id - rules->nrules];
				ld->path = p->file;
				fail_at(ld, p->pattern_lines[e - first],
				        "provider '%s': pattern '%s' does not "
				        "compile: %.*s.",
				        p->id, exprs[e], mlen, msg);
			}
		} else {
			fail_plain(ld->errstr, ld->errstr_size,
			           "%s: Hyperscan cannot compile the rule "
			           "set: %.*s.",
			           rules->dir, mlen, msg);
		}
		hs_free_compile_error(cerr);
		goto out;
	}
	if (hs_alloc_scratch(rules->db, &rules->proto) != HS_SUCCESS) {
		fail_plain(ld->errstr, ld->errstr_size,
		           "%s: cannot allocate Hyperscan scratch space.",
		           rules->dir);
		goto out;
	}
	rc = 0;
out:
	free(exprs);
	free(flags);
	free(ids);
	return rc;
}

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
	rs_classify_in_t in;
	rs_verdict_t v;
	rs_str_t enh = RS_STR_NULL;
	uint32_t code = 0;
	size_t rule_index = (size_t)(rule - rules->rules);
	int matched = 0;
	char quoted[160];

	memset(&in, 0, sizeof(in));
	in.text = ex->text;
	in.text_len = ex->text_len;
	if (rs_smtpreply_find(ex->text, ex->text_len, &code, &enh) == NULL) {
		/* "5.2.3 Message too large": an enhanced code alone. */
		size_t el = rs_smtpreply_enhanced_len(ex->text, ex->text_len);
		if (el > 0) {
			enh = rs_str(ex->text, el);
		}
	}
	in.reply_code = code;
	in.enhanced_code = enh.p;
	in.enhanced_len = enh.n;
	in.stage = ex->stage != RS_STAGE_UNSPECIFIED
	               ? ex->stage
	               : rs_smtpreply_stage_in_text(ex->text, ex->text_len);
	if (ex->mx != NULL) {
		in.mx_host = ex->mx;
		in.mx_host_len = strlen(ex->mx);
	}
	quote_text(quoted, sizeof(quoted), ex->text, ex->text_len);
	if (rs_classify(rules, scratch, &in, &v) != 0) {
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

/*
 * Check every example. Failures are printed to out (if not NULL); with
 * stop_first, the first failure is copied to first and the run stops.
 */
static size_t run_examples(const rs_rules_t *rules, rs_rules_scratch_t *scratch,
                           FILE *out, int stop_first, size_t *npassed,
                           char *first, size_t first_size)
{
	size_t failed = 0;
	size_t passed = 0;
	char msg[1024];

	for (size_t i = 0; i < rules->nrules; i++) {
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

/* ------------------------------------------------------------------ */
/* Public interface                                                    */
/* ------------------------------------------------------------------ */

rs_rules_t *rs_rules_load(const char *dir, char *errstr, size_t errstr_size)
{
	struct load ld;
	rs_rules_t *rules;
	rs_rules_scratch_t *scratch = NULL;
	char **names = NULL;
	size_t nnames = 0;
	char *path = NULL;
	size_t path_size;
	size_t dlen;

	if (errstr != NULL && errstr_size > 0) {
		errstr[0] = '\0';
	}
	if (dir == NULL) {
		fail_plain(errstr, errstr_size, "no rule directory given.");
		return NULL;
	}
	rules = calloc(1, sizeof(*rules));
	if (rules == NULL) {
		fail_plain(errstr, errstr_size, "%s: out of memory.", dir);
		return NULL;
	}
	memset(&ld, 0, sizeof(ld));
	ld.rules = rules;
	ld.errstr = errstr;
	ld.errstr_size = errstr_size;
	dlen = strlen(dir);
	while (dlen > 1 && dir[dlen - 1] == '/') {
		dlen--;
	}
	rules->dir = strndup(dir, dlen);
	if (rules->dir == NULL) {
		fail_plain(errstr, errstr_size, "%s: out of memory.", dir);
		goto fail;
	}
	if (list_dir(rules->dir, &names, &nnames, errstr, errstr_size) != 0) {
		goto fail;
	}
	if (nnames == 0) {
		fail_plain(errstr, errstr_size,
		           "%s: no .yaml rule files in the directory.",
		           rules->dir);
		goto fail;
	}
	/* dir + '/' + a directory entry name (at most 255 bytes) + NUL. */
	path_size = dlen + 1 + 255 + 1;
	path = malloc(path_size);
	if (path == NULL) {
		fail_plain(errstr, errstr_size, "%s: out of memory.", dir);
		goto fail;
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
				goto fail;
			}
		}
	}
	if (rules->nrules == 0) {
		fail_plain(errstr, errstr_size,
		           "%s: the rule files define no rules.", rules->dir);
		goto fail;
	}
	if (compile_db(&ld) != 0) {
		goto fail;
	}
	scratch = rs_rules_scratch_new(rules, errstr, errstr_size);
	if (scratch == NULL) {
		goto fail;
	}
	if (run_examples(rules, scratch, NULL, 1, NULL, errstr, errstr_size) !=
	    0) {
		goto fail;
	}
	rs_rules_scratch_destroy(scratch);
	for (size_t i = 0; i < nnames; i++) {
		free(names[i]);
	}
	free(names);
	free(path);
	return rules;
fail:
	rs_rules_scratch_destroy(scratch);
	for (size_t i = 0; i < nnames; i++) {
		free(names[i]);
	}
	free(names);
	free(path);
	rs_rules_destroy(rules);
	return NULL;
}

/* Free the database, the prototype scratch, the arrays and the arena. */
void rs_rules_destroy(rs_rules_t *rules)
{
	if (rules == NULL) {
		return;
	}
	hs_free_scratch(rules->proto);
	hs_free_database(rules->db);
	free(rules->rules);
	free(rules->providers);
	arena_free(rules->arena);
	free(rules->dir);
	free(rules);
}

/* Number of rules (classifying and tag-only). */
size_t rs_rules_count(const rs_rules_t *rules)
{
	return rules != NULL ? rules->nrules : 0;
}

/* The directory the set was loaded from, without a trailing slash. */
const char *rs_rules_dir(const rs_rules_t *rules)
{
	return rules != NULL ? rules->dir : NULL;
}

/* Clone the prototype Hyperscan scratch and size the match buffers. */
rs_rules_scratch_t *rs_rules_scratch_new(const rs_rules_t *rules, char *errstr,
                                         size_t errstr_size)
{
	rs_rules_scratch_t *s;
	size_t n;

	if (rules == NULL || rules->proto == NULL) {
		fail_plain(errstr, errstr_size, "the rule set is not loaded.");
		return NULL;
	}
	n = rules->nrules > 0 ? rules->nrules : 1;
	s = calloc(1, sizeof(*s));
	if (s == NULL) {
		goto oom;
	}
	s->rules = rules;
	s->wording_provider = -1;
	s->hits = calloc(n, sizeof(*s->hits));
	s->cand = calloc(n, sizeof(*s->cand));
	s->seen = calloc(n, sizeof(*s->seen));
	if (s->hits == NULL || s->cand == NULL || s->seen == NULL) {
		goto oom;
	}
	if (hs_clone_scratch(rules->proto, &s->hs) != HS_SUCCESS) {
		rs_rules_scratch_destroy(s);
		fail_plain(errstr, errstr_size,
		           "cannot clone the Hyperscan scratch space.");
		return NULL;
	}
	return s;
oom:
	rs_rules_scratch_destroy(s);
	fail_plain(errstr, errstr_size, "out of memory for a rule scratch.");
	return NULL;
}

/* Free a scratch; NULL is allowed. */
void rs_rules_scratch_destroy(rs_rules_scratch_t *scratch)
{
	if (scratch == NULL) {
		return;
	}
	hs_free_scratch(scratch->hs);
	free(scratch->hits);
	free(scratch->cand);
	free(scratch->seen);
	free(scratch);
}

/* Run every example with a scratch of its own; print failures to out. */
size_t rs_rules_test(const rs_rules_t *rules, FILE *out, size_t *npassed)
{
	rs_rules_scratch_t *scratch;
	char err[256];
	size_t failed;

	if (npassed != NULL) {
		*npassed = 0;
	}
	if (rules == NULL) {
		return 1;
	}
	scratch = rs_rules_scratch_new(rules, err, sizeof(err));
	if (scratch == NULL) {
		if (out != NULL) {
			fprintf(out, "%s\n", err);
		}
		return 1;
	}
	failed = run_examples(rules, scratch, out, 0, npassed, NULL, 0);
	rs_rules_scratch_destroy(scratch);
	return failed;
}

/* Accessors: the strings live in the set's arena. */
const char *rs_rule_id(const rs_rule_t *rule)
{
	return rule->id;
}

rs_cause_t rs_rule_cause(const rs_rule_t *rule)
{
	return rule->cause;
}

const char *rs_rule_description(const rs_rule_t *rule)
{
	return rule->description;
}

const char *rs_rule_advice(const rs_rule_t *rule)
{
	return rule->advice;
}

const char *rs_rule_file(const rs_rule_t *rule)
{
	return rule->file;
}

unsigned rs_rule_line(const rs_rule_t *rule)
{
	return rule->line;
}

/* Longest MX suffix match on a label boundary; NULL when none. */
const char *rs_rules_provider_for_host(const rs_rules_t *rules,
                                       const char *host, size_t host_len)
{
	const char *best = NULL;
	size_t best_len = 0;

	if (rules == NULL || host == NULL) {
		return NULL;
	}
	while (host_len > 0 && host[host_len - 1] == '.') {
		host_len--;
	}
	/* Called for every event: compare from the end, where suffixes of
	 * other providers differ at once, with lengths known from load. */
	for (size_t i = 0; i < rules->nproviders; i++) {
		const rs_provider_t *p = &rules->providers[i];
		for (size_t j = 0; j < p->nmx; j++) {
			size_t n = p->mx_len[j], k;
			const char *tail;
			if (n > host_len || n <= best_len) {
				continue;
			}
			tail = host + host_len - n;
			for (k = n; k > 0; k--) {
				unsigned char c = (unsigned char)tail[k - 1];
				if (c >= 'A' && c <= 'Z') {
					c = (unsigned char)(c + 32);
				}
				if (c != (unsigned char)p->mx[j][k - 1]) {
					break;
				}
			}
			if (k > 0) {
				continue;
			}
			/* Label boundary: "notgoogle.com" is not google. */
			if (n < host_len && tail[-1] != '.') {
				continue;
			}
			best = p->id;
			best_len = n;
		}
	}
	return best;
}
