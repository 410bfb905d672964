/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy.c - read posture/policy.yaml (policy.h) with the project's YAML
 * layer: unknown keys are refused and every error names file:line. The
 * rules' examples are read and run by policy_examples.c.
 */
#include "posture/policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/taxonomy.h"
#include "posture/policy_examples.h"
#include "util/yaml.h"

const char *rs_posture_name(int posture)
{
	switch (posture) {
	case RS_POSTURE_OBSERVE:
		return "observe";
	case RS_POSTURE_THROTTLE:
		return "throttle";
	case RS_POSTURE_PAUSE:
		return "pause";
	default:
		return "none";
	}
}

const char *rs_plevel_name(int level)
{
	switch (level) {
	case RS_PLEVEL_IP_SITE:
		return "ip_site";
	case RS_PLEVEL_SITE:
		return "site";
	case RS_PLEVEL_IP:
		return "ip";
	case RS_PLEVEL_FLEET:
		return "fleet";
	default:
		return "unknown";
	}
}

int64_t rs_policy_duration(const char *s)
{
	char *end;
	double v;
	int64_t mult = 1000;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || errno != 0 || v < 0) {
		return -1;
	}
	if (*end != '\0') {
		switch (*end) {
		case 's':
			break;
		case 'm':
			mult = 60000;
			break;
		case 'h':
			mult = 3600000;
			break;
		case 'd':
			mult = 86400000;
			break;
		default:
			return -1;
		}
		if (end[1] != '\0') {
			return -1;
		}
	}
	if (v * (double)mult > 9e15) {
		return -1;
	}
	return (int64_t)(v * (double)mult + 0.5);
}

typedef struct pload {
	const rs_yaml_doc_t *doc;
	char *err;
	size_t errsz;
} pload_t;

static int fail(pload_t *ld, unsigned line, const char *what, const char *why)
{
	return rs_yaml_fail(ld->doc, line, ld->err, ld->errsz, "%s %s", what,
	                    why);
}

static int get_duration(pload_t *ld, const rs_yaml_node_t *n, const char *what,
                        int64_t *out)
{
	const char *s = rs_yaml_string(ld->doc, n, what, ld->err, ld->errsz);

	if (s == NULL) {
		return -1;
	}
	*out = rs_policy_duration(s);
	if (*out <= 0) {
		return fail(ld, n->line, what,
		            "must be a positive duration such as 90s, 10m, "
		            "1h or 2d");
	}
	return 0;
}

static int get_number(pload_t *ld, const rs_yaml_node_t *n, const char *what,
                      double lo, double hi, double *out)
{
	const char *s = rs_yaml_string(ld->doc, n, what, ld->err, ld->errsz);
	char *end;

	if (s == NULL) {
		return -1;
	}
	errno = 0;
	*out = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || *out < lo || *out > hi) {
		return rs_yaml_fail(ld->doc, n->line, ld->err, ld->errsz,
		                    "%s must be a number from %g to %g", what,
		                    lo, hi);
	}
	return 0;
}

static int get_strings(pload_t *ld, const rs_yaml_node_t *n, const char *what,
                       char ***out, size_t *nout)
{
	long k = rs_yaml_strings(ld->doc, n, what, ld->err, ld->errsz);

	if (k < 0) {
		return -1;
	}
	*out = calloc((size_t)k + 1, sizeof(**out));
	if (*out == NULL) {
		return fail(ld, n->line, what,
		            "cannot be stored: out of memory");
	}
	for (long i = 0; i < k; i++) {
		const char *s =
		    rs_yaml_string(ld->doc, rs_yaml_strings_at(n, (size_t)i),
		                   what, ld->err, ld->errsz);

		if (s == NULL) {
			return -1;
		}
		(*out)[i] = strdup(s);
		*nout = (size_t)i + 1;
		if ((*out)[i] == NULL) {
			return fail(ld, n->line, what,
			            "cannot be stored: out of memory");
		}
	}
	return 0;
}

static int read_match(pload_t *ld, const rs_yaml_node_t *map, rs_prule_t *r)
{
	rs_yaml_field_t f[] = {
	    {.name = "classes"},
	    {.name = "tags"},
	    {.name = "codes"},
	    {.name = "status"},
	};
	const rs_yaml_node_t *v;
	size_t nf = sizeof(f) / sizeof(f[0]);

	if (rs_yaml_fields(ld->doc, map, f, nf, "match", ld->err, ld->errsz) !=
	    0) {
		return -1;
	}
	if ((v = rs_yaml_field(f, nf, "classes")) != NULL) {
		long k = rs_yaml_strings(ld->doc, v, "match.classes", ld->err,
		                         ld->errsz);

		if (k < 0) {
			return -1;
		}
		for (long i = 0; i < k; i++) {
			const rs_yaml_node_t *s =
			    rs_yaml_strings_at(v, (size_t)i);
			int c = rs_taxonomy_cause_parse(s->text, s->len);

			if (c <= 0) {
				return rs_yaml_fail(
				    ld->doc, s->line, ld->err, ld->errsz,
				    "match.classes: unknown class '%s' (see "
				    "TAXONOMY.md)",
				    s->text);
			}
			r->classes |= 1u << c;
		}
	}
	if ((v = rs_yaml_field(f, nf, "status")) != NULL) {
		long k = rs_yaml_strings(ld->doc, v, "match.status", ld->err,
		                         ld->errsz);

		if (k < 0) {
			return -1;
		}
		for (long i = 0; i < k; i++) {
			const rs_yaml_node_t *s =
			    rs_yaml_strings_at(v, (size_t)i);

			if (rs_yaml_scalar_is(s, "deferred")) {
				r->statuses |= 1u << RS_STATUS_DEFERRED;
			} else if (rs_yaml_scalar_is(s, "bounced")) {
				r->statuses |= 1u << RS_STATUS_BOUNCED;
			} else if (rs_yaml_scalar_is(s, "expired")) {
				r->statuses |= 1u << RS_STATUS_EXPIRED;
			} else {
				return rs_yaml_fail(
				    ld->doc, s->line, ld->err, ld->errsz,
				    "match.status: unknown status '%s' "
				    "(valid: deferred, bounced, expired)",
				    s->text);
			}
		}
	}
	if ((v = rs_yaml_field(f, nf, "tags")) != NULL &&
	    get_strings(ld, v, "match.tags", &r->tags, &r->ntags) != 0) {
		return -1;
	}
	if ((v = rs_yaml_field(f, nf, "codes")) != NULL &&
	    get_strings(ld, v, "match.codes", &r->codes, &r->ncodes) != 0) {
		return -1;
	}
	return 0;
}

static int read_rule(pload_t *ld, rs_policy_t *p, const rs_yaml_node_t *map,
                     rs_prule_t *r)
{
	rs_yaml_field_t f[] = {
	    {.name = "id"},
	    {.name = "match"},
	    {.name = "scope"},
	    {.name = "window"},
	    {.name = "min_hits"},
	    {.name = "min_rate"},
	    {.name = "release_rate"},
	    {.name = "min_receivers"},
	    {.name = "posture"},
	    {.name = "hold"},
	    {.name = "throttle_factor"},
	    {.name = "advice"},
	    {.name = "examples"},
	};
	size_t nf = sizeof(f) / sizeof(f[0]);
	const rs_yaml_node_t *v;
	const char *s;
	int64_t window_ms = 2 * p->bucket_ms;
	double d;

	r->line = map->line;
	if (rs_yaml_fields(ld->doc, map, f, nf, "rule", ld->err, ld->errsz) !=
	    0) {
		return -1;
	}
	if ((v = rs_yaml_field(f, nf, "id")) == NULL) {
		return fail(ld, map->line, "rule", "has no id");
	}
	if ((s = rs_yaml_string(ld->doc, v, "id", ld->err, ld->errsz)) ==
	        NULL ||
	    (r->id = strdup(s)) == NULL) {
		return -1;
	}
	if ((v = rs_yaml_field(f, nf, "match")) == NULL) {
		return rs_yaml_fail(ld->doc, map->line, ld->err, ld->errsz,
		                    "rule %s has no match", r->id);
	}
	if (read_match(ld, v, r) != 0) {
		return -1;
	}
	r->level = RS_PLEVEL_IP_SITE;
	if ((v = rs_yaml_field(f, nf, "scope")) != NULL) {
		static const char *const names[] = {"ip_site", "site", "ip",
		                                    "fleet"};
		r->level = 0;
		for (int i = 0; i < 4; i++) {
			if (rs_yaml_scalar_is(v, names[i])) {
				r->level = i + 1;
			}
		}
		if (r->level == 0) {
			return fail(ld, v->line, "scope",
			            "must be ip_site, site, ip or fleet");
		}
	}
	if ((v = rs_yaml_field(f, nf, "window")) != NULL &&
	    get_duration(ld, v, "window", &window_ms) != 0) {
		return -1;
	}
	if (v != NULL && (window_ms % p->bucket_ms != 0 ||
	                  !rs_pw_window_ok(window_ms / p->bucket_ms))) {
		return rs_yaml_fail(
		    ld->doc, v->line, ld->err, ld->errsz,
		    "window must be 1 to %d buckets (bucket %lld s), or a "
		    "multiple of %d buckets up to %d",
		    RS_PW_FINE, (long long)(p->bucket_ms / 1000), RS_PW_FOLD,
		    RS_PW_MAX_WINDOW);
	}
	r->window_buckets = (int)(window_ms / p->bucket_ms);
	r->min_hits = 1;
	if ((v = rs_yaml_field(f, nf, "min_hits")) != NULL) {
		if (get_number(ld, v, "min_hits", 1, 1e9, &d) != 0) {
			return -1;
		}
		r->min_hits = (uint32_t)d;
	}
	if ((v = rs_yaml_field(f, nf, "min_rate")) != NULL &&
	    get_number(ld, v, "min_rate", 0, 1, &r->min_rate) != 0) {
		return -1;
	}
	r->release_rate = r->min_rate / 2;
	if ((v = rs_yaml_field(f, nf, "release_rate")) != NULL &&
	    get_number(ld, v, "release_rate", 0, 1, &r->release_rate) != 0) {
		return -1;
	}
	if (r->release_rate > r->min_rate) {
		return fail(ld, v->line, "release_rate",
		            "must not exceed min_rate (the hysteresis needs "
		            "release <= enter)");
	}
	if ((v = rs_yaml_field(f, nf, "min_receivers")) != NULL) {
		if (get_number(ld, v, "min_receivers", 0, 200, &d) != 0) {
			return -1;
		}
		r->min_receivers = (unsigned)d;
	}
	if ((v = rs_yaml_field(f, nf, "posture")) == NULL) {
		return rs_yaml_fail(ld->doc, map->line, ld->err, ld->errsz,
		                    "rule %s has no posture", r->id);
	}
	if (rs_yaml_scalar_is(v, "observe")) {
		r->posture = RS_POSTURE_OBSERVE;
	} else if (rs_yaml_scalar_is(v, "throttle")) {
		r->posture = RS_POSTURE_THROTTLE;
	} else if (rs_yaml_scalar_is(v, "pause")) {
		r->posture = RS_POSTURE_PAUSE;
	} else if (rs_yaml_scalar_is(v, "none")) {
		r->posture = RS_POSTURE_NONE;
	} else {
		return fail(ld, v->line, "posture",
		            "must be observe, throttle, pause or none");
	}
	r->hold_ms = 30 * 60000;
	if ((v = rs_yaml_field(f, nf, "hold")) != NULL &&
	    get_duration(ld, v, "hold", &r->hold_ms) != 0) {
		return -1;
	}
	r->throttle_factor = 0.5;
	if ((v = rs_yaml_field(f, nf, "throttle_factor")) != NULL &&
	    get_number(ld, v, "throttle_factor", 0.01, 1,
	               &r->throttle_factor) != 0) {
		return -1;
	}
	if ((v = rs_yaml_field(f, nf, "advice")) != NULL) {
		if ((s = rs_yaml_string(ld->doc, v, "advice", ld->err,
		                        ld->errsz)) == NULL ||
		    (r->advice = strdup(s)) == NULL) {
			return -1;
		}
	}
	if ((v = rs_yaml_field(f, nf, "examples")) != NULL) {
		if (rs_policy_examples_read(ld->doc, v, r, ld->err,
		                            ld->errsz) != 0) {
			return -1;
		}
		r->examples_line = f[nf - 1].line; /* the key's */
	}
	return 0;
}

static int read_sites(pload_t *ld, rs_policy_t *p, const rs_yaml_node_t *map)
{
	if (map->kind != RS_YAML_MAPPING) {
		return fail(ld, map->line, "sites",
		            "must be a mapping of site name to MX suffixes");
	}
	for (size_t i = 0; i < map->n; i++) {
		const rs_yaml_node_t *v = map->items[i];
		long k =
		    rs_yaml_strings(ld->doc, v, "sites", ld->err, ld->errsz);

		if (k < 0) {
			return -1;
		}
		for (long j = 0; j < k; j++) {
			const rs_yaml_node_t *s =
			    rs_yaml_strings_at(v, (size_t)j);

			if (s->len == 0 || s->text[0] == '.' ||
			    strchr(s->text, '*') != NULL) {
				return rs_yaml_fail(
				    ld->doc, s->line, ld->err, ld->errsz,
				    "sites.%s: '%s' must be a host suffix "
				    "without a leading dot or '*' "
				    "(l.google.com)",
				    map->keys[i]->text, s->text);
			}
			if (rs_psites_add(p->sites, s->text,
			                  map->keys[i]->text) != 0) {
				return fail(ld, s->line, "sites",
				            "cannot be stored: out of memory");
			}
		}
	}
	return 0;
}

static int read_policy(pload_t *ld, rs_policy_t *p)
{
	rs_yaml_field_t f[] = {
	    {.name = "bucket"},     {.name = "refresh"}, {.name = "idle"},
	    {.name = "max_scopes"}, {.name = "sites"},   {.name = "rules"},
	};
	size_t nf = sizeof(f) / sizeof(f[0]);
	const rs_yaml_node_t *root = rs_yaml_root(ld->doc), *v;
	double d;
	int slots = 0;

	if (root == NULL) {
		return rs_yaml_fail(ld->doc, 1, ld->err, ld->errsz,
		                    "the policy is empty (it needs rules)");
	}
	if (rs_yaml_fields(ld->doc, root, f, nf, "the policy", ld->err,
	                   ld->errsz) != 0) {
		return -1;
	}
	p->bucket_ms = 60000;
	if ((v = rs_yaml_field(f, nf, "bucket")) != NULL &&
	    get_duration(ld, v, "bucket", &p->bucket_ms) != 0) {
		return -1;
	}
	if (p->bucket_ms < 1000) {
		return fail(ld, v->line, "bucket", "must be at least 1s");
	}
	p->refresh_ms = 15 * 60000;
	if ((v = rs_yaml_field(f, nf, "refresh")) != NULL &&
	    get_duration(ld, v, "refresh", &p->refresh_ms) != 0) {
		return -1;
	}
	p->idle_ms = RS_PW_SPAN * p->bucket_ms;
	if ((v = rs_yaml_field(f, nf, "idle")) != NULL &&
	    get_duration(ld, v, "idle", &p->idle_ms) != 0) {
		return -1;
	}
	p->max_scopes = 1000000;
	if ((v = rs_yaml_field(f, nf, "max_scopes")) != NULL) {
		if (get_number(ld, v, "max_scopes", 4, 1e8, &d) != 0) {
			return -1;
		}
		p->max_scopes = (size_t)d;
	}
	if ((v = rs_yaml_field(f, nf, "sites")) != NULL &&
	    read_sites(ld, p, v) != 0) {
		return -1;
	}
	if ((v = rs_yaml_field(f, nf, "rules")) == NULL ||
	    v->kind != RS_YAML_SEQUENCE || v->n == 0) {
		return fail(ld, v != NULL ? v->line : root->line, "rules",
		            "must be a non-empty list");
	}
	if (v->n > RS_PRULES_MAX) {
		return rs_yaml_fail(ld->doc, v->items[RS_PRULES_MAX]->line,
		                    ld->err, ld->errsz,
		                    "rules: at most %d rules", RS_PRULES_MAX);
	}
	for (size_t i = 0; i < v->n; i++) {
		rs_prule_t *r = &p->rules[i];

		if (read_rule(ld, p, v->items[i], r) != 0) {
			p->nrules = i + 1;
			return -1;
		}
		p->nrules = i + 1;
		r->slot = -1;
		if (r->posture != RS_POSTURE_NONE) {
			if (slots == RS_PW_SLOTS) {
				return rs_yaml_fail(
				    ld->doc, r->line, ld->err, ld->errsz,
				    "rule %s: at most %d rules with a posture "
				    "(each counts in its own window slot; "
				    "posture none rules count none)",
				    r->id, RS_PW_SLOTS);
			}
			r->slot = slots++;
		}
		for (size_t j = 0; j < i; j++) {
			if (strcmp(p->rules[j].id, p->rules[i].id) == 0) {
				return rs_yaml_fail(
				    ld->doc, p->rules[i].line, ld->err,
				    ld->errsz,
				    "rule id '%s' is used twice (first at "
				    "line %u)",
				    p->rules[i].id, p->rules[j].line);
			}
		}
	}
	return 0;
}

/* Read doc (taking it) into a policy; with examples, run them too. */
static rs_policy_t *load(rs_yaml_doc_t *doc, const char *name, int examples,
                         char *errstr, size_t errstr_size)
{
	rs_policy_t *p;
	pload_t ld = {doc, errstr, errstr_size};

	if (doc == NULL) {
		return NULL;
	}
	p = calloc(1, sizeof(*p));
	if (p == NULL || (p->sites = rs_psites_new()) == NULL ||
	    (p->path = strdup(name)) == NULL) {
		snprintf(errstr, errstr_size, "%s: out of memory", name);
		rs_policy_free(p);
		rs_yaml_free(doc);
		return NULL;
	}
	if (read_policy(&ld, p) != 0) {
		rs_policy_free(p);
		p = NULL;
	}
	rs_yaml_free(doc);
	/* Like the rule files' examples: a policy that contradicts its own
	 * examples is refused, with the first failure. */
	if (p != NULL && examples &&
	    rs_policy_examples_run(p, NULL, 1, NULL, errstr, errstr_size) !=
	        0) {
		rs_policy_free(p);
		p = NULL;
	}
	return p;
}

rs_policy_t *rs_policy_load(const char *path, char *errstr, size_t errstr_size)
{
	return load(rs_yaml_load_file(path, errstr, errstr_size), path, 1,
	            errstr, errstr_size);
}

rs_policy_t *rs_policy_read(const char *path, char *errstr, size_t errstr_size)
{
	return load(rs_yaml_load_file(path, errstr, errstr_size), path, 0,
	            errstr, errstr_size);
}

rs_policy_t *rs_policy_load_buffer(const char *name, const char *data,
                                   size_t len, char *errstr, size_t errstr_size)
{
	return load(rs_yaml_load_buffer(name, data, len, errstr, errstr_size),
	            name, 1, errstr, errstr_size);
}

static void free_strings(char **s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(s[i]);
	}
	free(s);
}

void rs_policy_free(rs_policy_t *p)
{
	if (p == NULL) {
		return;
	}
	for (size_t i = 0; i < p->nrules; i++) {
		free(p->rules[i].id);
		free(p->rules[i].advice);
		free_strings(p->rules[i].tags, p->rules[i].ntags);
		free_strings(p->rules[i].codes, p->rules[i].ncodes);
		rs_policy_examples_free(&p->rules[i]);
	}
	rs_psites_free(p->sites);
	free(p->path);
	free(p);
}

int64_t rs_policy_window_ms(const rs_policy_t *p)
{
	int k = 1;

	for (size_t i = 0; i < p->nrules; i++) {
		if (p->rules[i].window_buckets > k) {
			k = p->rules[i].window_buckets;
		}
	}
	return k * p->bucket_ms;
}
