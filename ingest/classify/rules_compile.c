/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_compile.c - every pattern of a rule set (rules, then providers'
 * wording) into one Hyperscan block-mode database, through the on-disk
 * cache of hscache.c, and the prototype scratch the workers clone.
 *
 * Hyperscan ids: pattern of rule i has id i, of provider p id nrules + p.
 * No HS_FLAG_SINGLEMATCH: classify.c's callback keeps each owner once
 * itself, and the flag's bookkeeping cost about 1,450 of the 25,000
 * instructions classify spent on a failure line (callgrind, see
 * bench/README.md). A pattern that does not compile is named with its file and
 * line (hs_compile_error_t.expression maps back to it).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hs/hs.h>

#include "classify/hscache.h"
#include "classify/rules_private.h"

int rs_rules_compile(rs_rules_t *rules, char *errstr, size_t errstr_size)
{
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
		snprintf(errstr, errstr_size, "%s: out of memory.", rules->dir);
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
	/* Not HS_FLAG_UTF8: replies may hold any bytes. Not
	 * HS_FLAG_SINGLEMATCH: see the top of this file. */
	for (size_t i = 0; i < total; i++) {
		flags[i] = HS_FLAG_CASELESS;
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
				snprintf(errstr, errstr_size,
				         "%s:%u: rule '%s': pattern '%s' does "
				         "not compile: %.*s.",
				         r->file, r->pattern_lines[e - first],
				         r->id, exprs[e], mlen, msg);
			} else {
				const rs_provider_t *p =
				    &rules->providers[id - rules->nrules];
				snprintf(errstr, errstr_size,
				         "%s:%u: provider '%s': pattern '%s' "
				         "does not compile: %.*s.",
				         p->file, p->pattern_lines[e - first],
				         p->id, exprs[e], mlen, msg);
			}
		} else {
			snprintf(errstr, errstr_size,
			         "%s: Hyperscan cannot compile the rule set: "
			         "%.*s.",
			         rules->dir, mlen, msg);
		}
		hs_free_compile_error(cerr);
		goto out;
	}
	if (hs_alloc_scratch(rules->db, &rules->proto) != HS_SUCCESS) {
		snprintf(errstr, errstr_size,
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
