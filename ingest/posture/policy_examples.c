/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_examples.c - read a posture rule's examples from the policy's
 * YAML and run them through the engine with the whole policy
 * (policy_examples.h).
 */
#include "posture/policy_examples.h"

#include <stdlib.h>
#include <string.h>

/* "rule 'id', example K" or "rule 'id', example K (name)" into buf. */
static void example_label(const rs_prule_t *r, size_t k, const char *name,
                          char *buf, size_t size)
{
	if (name != NULL) {
		snprintf(buf, size, "rule '%s', example %zu (%s)", r->id, k + 1,
		         name);
	} else {
		snprintf(buf, size, "rule '%s', example %zu", r->id, k + 1);
	}
}

/* Read the lines of an events or expect list into ex's scenario. */
static int read_lines(const rs_yaml_doc_t *doc, const rs_yaml_node_t *list,
                      const char *key, const char *label, rs_pexample_t *ex,
                      char *errstr, size_t errstr_size)
{
	char what[256], err[512];

	snprintf(what, sizeof(what), "%s: %s", label, key);
	if (list->kind != RS_YAML_SEQUENCE) {
		return rs_yaml_fail(
		    doc, list->line, errstr, errstr_size,
		    "%s must be a list of lines%s", what,
		    strcmp(key, "expect") == 0 ? " ([] for no decision)" : "");
	}
	for (size_t i = 0; i < list->n; i++) {
		const rs_yaml_node_t *n = list->items[i];
		const char *s =
		    rs_yaml_string(doc, n, what, errstr, errstr_size);
		int rc;

		if (s == NULL) {
			return -1;
		}
		rc = strcmp(key, "events") == 0
		         ? rs_pscenario_add_events(&ex->sc, s, err, sizeof(err))
		         : rs_pscenario_add_expect(&ex->sc, s, n->line, err,
		                                   sizeof(err));
		if (rc != 0) {
			return rs_yaml_fail(doc, n->line, errstr, errstr_size,
			                    "%s: %s", what, err);
		}
	}
	return 0;
}

static int read_example(const rs_yaml_doc_t *doc, const rs_yaml_node_t *map,
                        const rs_prule_t *r, size_t k, rs_pexample_t *ex,
                        char *errstr, size_t errstr_size)
{
	rs_yaml_field_t f[] = {
	    {.name = "name"},
	    {.name = "events"},
	    {.name = "expect"},
	};
	size_t nf = sizeof(f) / sizeof(f[0]);
	const rs_yaml_node_t *v;
	char label[300];

	ex->line = map->line;
	example_label(r, k, NULL, label, sizeof(label));
	if (rs_yaml_fields(doc, map, f, nf, label, errstr, errstr_size) != 0) {
		return -1;
	}
	if ((v = rs_yaml_field(f, nf, "name")) != NULL) {
		const char *s =
		    rs_yaml_string(doc, v, "name", errstr, errstr_size);

		if (s == NULL || (ex->name = strdup(s)) == NULL) {
			return -1;
		}
		example_label(r, k, ex->name, label, sizeof(label));
	}
	if ((v = rs_yaml_field(f, nf, "events")) == NULL ||
	    (v->kind == RS_YAML_SEQUENCE && v->n == 0)) {
		return rs_yaml_fail(
		    doc, v != NULL ? v->line : map->line, errstr, errstr_size,
		    "%s has no events (a list of lines AT xCOUNT "
		    "every SECS key=value...)",
		    label);
	}
	if (read_lines(doc, v, "events", label, ex, errstr, errstr_size) != 0) {
		return -1;
	}
	if ((v = rs_yaml_field(f, nf, "expect")) == NULL) {
		return rs_yaml_fail(doc, map->line, errstr, errstr_size,
		                    "%s has no expect (a list of decisions AT "
		                    "SCOPE POSTURE RULE, [] for none)",
		                    label);
	}
	ex->expect_line = v->line;
	return read_lines(doc, v, "expect", label, ex, errstr, errstr_size);
}

int rs_policy_examples_read(const rs_yaml_doc_t *doc,
                            const rs_yaml_node_t *node, rs_prule_t *r,
                            char *errstr, size_t errstr_size)
{
	r->examples_line = node->line;
	if (node->kind != RS_YAML_SEQUENCE || node->n == 0) {
		return rs_yaml_fail(doc, node->line, errstr, errstr_size,
		                    "rule '%s': examples must be a non-empty "
		                    "list of {name, events, expect}",
		                    r->id);
	}
	r->examples = calloc(node->n, sizeof(*r->examples));
	if (r->examples == NULL) {
		return rs_yaml_fail(doc, node->line, errstr, errstr_size,
		                    "rule '%s': out of memory", r->id);
	}
	for (size_t i = 0; i < node->n; i++) {
		rs_pexample_t *ex = &r->examples[i];

		rs_pscenario_init(&ex->sc);
		r->nexamples = i + 1;
		if (read_example(doc, node->items[i], r, i, ex, errstr,
		                 errstr_size) != 0) {
			return -1;
		}
	}
	return 0;
}

void rs_policy_examples_free(rs_prule_t *r)
{
	for (size_t i = 0; i < r->nexamples; i++) {
		free(r->examples[i].name);
		rs_pscenario_free(&r->examples[i].sc);
	}
	free(r->examples);
	r->examples = NULL;
	r->nexamples = 0;
}

size_t rs_policy_examples_count(const rs_policy_t *p)
{
	size_t n = 0;

	for (size_t i = 0; i < p->nrules; i++) {
		n += p->rules[i].nexamples;
	}
	return n;
}

/* Does a passing example show rule i at work? */
static int at_work(const rs_policy_t *p, size_t i, const rs_pexample_t *ex,
                   const rs_pscen_result_t *res)
{
	const rs_prule_t *r = &p->rules[i];

	if (r->posture == RS_POSTURE_NONE) {
		return res->st.rule_hits[i] > 0;
	}
	for (size_t j = 0; j < ex->sc.nexp; j++) {
		if (strcmp(ex->sc.exp[j].rule, r->id) == 0) {
			return 1;
		}
	}
	return 0;
}

/*
 * Run example k of rule r: 0 when it passes (*work set when it shows r at
 * work), -1 with "file:line: sentence" in msg.
 */
static int run_example(const rs_policy_t *p, size_t i, size_t k, int *work,
                       char *msg, size_t msg_size)
{
	const rs_prule_t *r = &p->rules[i];
	const rs_pexample_t *ex = &r->examples[k];
	rs_pscen_result_t res;
	char why[1024], label[300];
	unsigned line;
	int rc = rs_pscenario_run(p, &ex->sc, &res, why, sizeof(why));

	if (rc == 0) {
		*work |= at_work(p, i, ex, &res);
		return 0;
	}
	example_label(r, k, ex->name, label, sizeof(label));
	line = ex->line;
	if (rc > 0) {
		line = res.bad < ex->sc.nexp && ex->sc.exp[res.bad].line
		           ? ex->sc.exp[res.bad].line
		           : ex->expect_line;
	}
	snprintf(msg, msg_size, "%s:%u: %s: %s.", p->path, line, label, why);
	return -1;
}

/* Count and report one failure; 1 when the run is to stop. */
static int report(const char *msg, FILE *out, int stop_first, char *first,
                  size_t first_size, size_t *failed)
{
	(*failed)++;
	if (out != NULL) {
		fprintf(out, "%s\n", msg);
	}
	if (stop_first && first != NULL && first_size > 0) {
		snprintf(first, first_size, "%s", msg);
	}
	return stop_first;
}

size_t rs_policy_examples_run(const rs_policy_t *p, FILE *out, int stop_first,
                              size_t *npassed, char *first, size_t first_size)
{
	size_t failed = 0, passed = 0;
	char msg[1600];

	for (size_t i = 0; i < p->nrules; i++) {
		const rs_prule_t *r = &p->rules[i];
		int work = 0, bad = 0;

		for (size_t k = 0; k < r->nexamples; k++) {
			if (run_example(p, i, k, &work, msg, sizeof(msg)) ==
			    0) {
				passed++;
				continue;
			}
			bad = 1;
			if (report(msg, out, stop_first, first, first_size,
			           &failed)) {
				goto done;
			}
		}
		if (r->nexamples == 0 || work || bad) {
			continue;
		}
		snprintf(msg, sizeof(msg),
		         "%s:%u: rule '%s': no example shows the rule at work "
		         "(one must expect a decision of the rule%s).",
		         p->path, r->examples_line, r->id,
		         r->posture == RS_POSTURE_NONE
		             ? "; for posture none, an event it matches"
		             : "");
		if (report(msg, out, stop_first, first, first_size, &failed)) {
			goto done;
		}
	}
done:
	if (npassed != NULL) {
		*npassed = passed;
	}
	return failed;
}
