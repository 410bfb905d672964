/* SPDX-License-Identifier: Apache-2.0 */
/*
 * examples.h - run the examples of a rule set's rules (rules/README.md,
 * "Examples are tests"). Loading runs them and refuses a set whose
 * examples fail; `replyscan rules test` runs them all and lists failures.
 */
#ifndef RS_EXAMPLES_H
#define RS_EXAMPLES_H

#include <stddef.h>
#include <stdio.h>

#include "classify/rules.h"

/*
 * Check every example with scratch. Failures are printed to out (if not
 * NULL), one "file:line: sentence" each; with stop_first, the first
 * failure is copied to first (if not NULL) and the run stops. Returns the
 * number of failures; *npassed (if not NULL) the number that passed.
 */
size_t rs_examples_run(const rs_rules_t *rules, rs_rules_scratch_t *scratch,
                       FILE *out, int stop_first, size_t *npassed, char *first,
                       size_t first_size);

/* The same over the rules [from, to) only. */
size_t rs_examples_run_range(const rs_rules_t *rules,
                             rs_rules_scratch_t *scratch, size_t from,
                             size_t to, FILE *out, int stop_first,
                             size_t *npassed, char *first, size_t first_size);

#endif
