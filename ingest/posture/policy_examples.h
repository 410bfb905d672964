/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy_examples.h - the examples of posture policy rules: each a short
 * event stream in the scenario format (scenario.h) and the decisions the
 * whole policy must give for it, in order (posture/README.md, "Examples
 * are tests"). Loading a policy runs them through the real engine and
 * refuses a policy whose examples fail; `replyscan posture --check-policy`
 * runs them all and lists every failure, as `replyscan rules test` does
 * for the classification rules.
 *
 * A run is a pure function of the policy and the example: a fresh engine
 * per example, its clock the events' own time.
 *
 * Ownership: the examples belong to their rule; rs_policy_free frees them
 * through rs_policy_examples_free. @locality any thread.
 */
#ifndef RS_POSTURE_POLICY_EXAMPLES_H
#define RS_POSTURE_POLICY_EXAMPLES_H

#include <stddef.h>
#include <stdio.h>

#include "posture/policy.h"
#include "posture/scenario.h"
#include "util/yaml.h"

struct rs_pexample {
	unsigned line;        /* the example's first line */
	unsigned expect_line; /* line of its expect key */
	char *name;           /* NULL when not given */
	rs_pscenario_t sc;
};

/*
 * Read the examples node of rule r: a list of mappings {name (optional),
 * events (list of events lines), expect (list of decisions, [] for
 * none)}. 0, or -1 with "file:line: sentence" naming the rule and the
 * example in errstr.
 */
int rs_policy_examples_read(const rs_yaml_doc_t *doc,
                            const rs_yaml_node_t *node, rs_prule_t *r,
                            char *errstr, size_t errstr_size);

/* Free the examples of r. */
void rs_policy_examples_free(rs_prule_t *r);

/*
 * Run every example of every rule of p. An example passes when the
 * decisions are the expected ones; a rule with examples also needs one
 * that shows it at work (a passing example expecting a decision of the
 * rule, or, for a posture none rule, matching one of its events).
 * Failures are printed to out (if not NULL), one "file:line: sentence"
 * each; with stop_first the first is copied to first (if not NULL) and
 * the run stops. Returns the number of failures; *npassed (if not NULL)
 * the examples that passed.
 */
size_t rs_policy_examples_run(const rs_policy_t *p, FILE *out, int stop_first,
                              size_t *npassed, char *first, size_t first_size);

/* The number of examples of p's rules. */
size_t rs_policy_examples_count(const rs_policy_t *p);

#endif
