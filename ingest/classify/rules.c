/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules.c - a rule set: load a directory (rules_yaml.c reads the files,
 * rules_compile.c builds the Hyperscan database, examples.c runs every
 * rule's examples through the classifier), per-thread scratch, accessors.
 *
 * Ownership: strings and arrays of a set live in its arena and are freed
 * with it. A set is built by one thread and then only read;
 * rs_rules_scratch_new clones the prototype scratch, which Hyperscan
 * allows from any thread.
 */
#include "classify/rules.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hs/hs.h>

#include "classify/examples.h"
#include "classify/rules_private.h"
#include "util/arena.h"

/* Build the MX suffix index of the loaded providers. 0, or -1 when out of
 * memory. */
static int index_mx(rs_rules_t *rules)
{
	size_t n = rules->nproviders;
	const char *const **mx = calloc(n ? n : 1, sizeof(*mx));
	const size_t **mx_len = calloc(n ? n : 1, sizeof(*mx_len));
	size_t *nmx = calloc(n ? n : 1, sizeof(*nmx));

	if (mx != NULL && mx_len != NULL && nmx != NULL) {
		for (size_t i = 0; i < n; i++) {
			mx[i] = rules->providers[i].mx;
			mx_len[i] = rules->providers[i].mx_len;
			nmx[i] = rules->providers[i].nmx;
		}
		rules->mxindex = rs_mxindex_new(n, mx, mx_len, nmx);
	}
	free(mx);
	free(mx_len);
	free(nmx);
	return rules->mxindex != NULL ? 0 : -1;
}

/* The learned word model of the directory, if it has one (words.h). 0, or
 * -1 with "file:line: sentence" in errstr. */
static int load_words(rs_rules_t *rules, char *errstr, size_t errstr_size)
{
	char path[4096];

	if ((size_t)snprintf(path, sizeof(path), "%s/words.model",
	                     rules->dir) >= sizeof(path)) {
		snprintf(errstr, errstr_size, "%s: path too long.", rules->dir);
		return -1;
	}
	return rs_words_load(path, &rules->words, errstr, errstr_size);
}

/* The second part of the load-time example check, on a thread of its own. */
typedef struct examples_part {
	const rs_rules_t *rules;
	rs_rules_scratch_t *scratch;
	size_t from, to;
	size_t failed;
	char first[1024];
} examples_part_t;

static void *examples_part_main(void *arg)
{
	examples_part_t *x = arg;

	x->failed =
	    rs_examples_run_range(x->rules, x->scratch, x->from, x->to, NULL, 1,
	                          NULL, x->first, sizeof(x->first));
	return NULL;
}

/*
 * Every example must pass before a set is used: about 40 % of loading a
 * cached set, which every run waits for before its first line. With more
 * than one CPU the rules holding the second half of the examples are
 * checked on a second thread. The failure reported is the one a single
 * pass stops at: the first part's, else the second's. 0, or -1 with it in
 * errstr.
 */
static int check_examples(const rs_rules_t *rules, rs_rules_scratch_t *scratch,
                          char *errstr, size_t errstr_size)
{
	examples_part_t hi;
	pthread_t thread;
	int threaded = 0;
	size_t total = 0, half = 0, mid = rules->nrules;
	size_t failed;
	char err[256];

	memset(&hi, 0, sizeof(hi));
	for (size_t i = 0; i < rules->nrules; i++) {
		total += rules->rules[i].nexamples;
	}
	for (size_t i = 0; i < rules->nrules && 2 * half < total; i++) {
		half += rules->rules[i].nexamples;
		mid = i + 1;
	}
	if (total >= 64 && mid < rules->nrules &&
	    sysconf(_SC_NPROCESSORS_ONLN) > 1) {
		hi.scratch = rs_rules_scratch_new(rules, err, sizeof(err));
		hi.rules = rules;
		hi.from = mid;
		hi.to = rules->nrules;
		threaded =
		    hi.scratch != NULL &&
		    pthread_create(&thread, NULL, examples_part_main, &hi) == 0;
	}
	failed = rs_examples_run_range(rules, scratch, 0,
	                               threaded ? mid : rules->nrules, NULL, 1,
	                               NULL, errstr, errstr_size);
	if (threaded) {
		pthread_join(thread, NULL);
		if (failed == 0 && hi.failed != 0) {
			snprintf(errstr, errstr_size, "%s", hi.first);
			failed = hi.failed;
		}
	}
	rs_rules_scratch_destroy(hi.scratch);
	return failed != 0 ? -1 : 0;
}

rs_rules_t *rs_rules_load(const char *dir, char *errstr, size_t errstr_size)
{
	rs_rules_t *rules;
	rs_rules_scratch_t *scratch;
	size_t dlen;

	if (errstr != NULL && errstr_size > 0) {
		errstr[0] = '\0';
	}
	if (dir == NULL) {
		snprintf(errstr, errstr_size, "no rule directory given.");
		return NULL;
	}
	rules = calloc(1, sizeof(*rules));
	if (rules == NULL) {
		snprintf(errstr, errstr_size, "%s: out of memory.", dir);
		return NULL;
	}
	dlen = strlen(dir);
	while (dlen > 1 && dir[dlen - 1] == '/') {
		dlen--;
	}
	rules->dir = strndup(dir, dlen);
	if (rules->dir == NULL) {
		snprintf(errstr, errstr_size, "%s: out of memory.", dir);
		goto fail;
	}
	if (rs_rules_parse_dir(rules, errstr, errstr_size) != 0 ||
	    rs_rules_compile(rules, errstr, errstr_size) != 0) {
		goto fail;
	}
	if (index_mx(rules) != 0) {
		snprintf(errstr, errstr_size, "%s: out of memory.", rules->dir);
		goto fail;
	}
	if (load_words(rules, errstr, errstr_size) != 0) {
		goto fail;
	}
	scratch = rs_rules_scratch_new(rules, errstr, errstr_size);
	if (scratch == NULL) {
		goto fail;
	}
	if (check_examples(rules, scratch, errstr, errstr_size) != 0) {
		rs_rules_scratch_destroy(scratch);
		goto fail;
	}
	rs_rules_scratch_destroy(scratch);
	return rules;
fail:
	rs_rules_destroy(rules);
	return NULL;
}

/* Free the database, the prototype scratch, the arrays and the arena. */
void rs_rules_destroy(rs_rules_t *rules)
{
	if (rules == NULL) {
		return;
	}
	rs_mxindex_destroy(rules->mxindex);
	rs_words_destroy(rules->words);
	hs_free_scratch(rules->proto);
	hs_free_database(rules->db);
	free(rules->rules);
	free(rules->providers);
	rs_arena_free(rules->arena);
	free(rules->dir);
	free(rules);
}

/* Number of rules (classifying and tag-only). */
size_t rs_rules_count(const rs_rules_t *rules)
{
	return rules != NULL ? rules->nrules : 0;
}

/* The word model, or NULL when the directory has none. */
const rs_words_t *rs_rules_words(const rs_rules_t *rules)
{
	return rules != NULL ? rules->words : NULL;
}

/* The normal form of the reply the scratch classified last. */
const char *rs_rules_scratch_normal(const rs_rules_scratch_t *scratch,
                                    size_t *len)
{
	*len = scratch != NULL && scratch->norm != NULL ? scratch->norm_len : 0;
	return *len > 0 ? scratch->norm : "";
}

void rs_rules_scratch_codes(const rs_rules_scratch_t *scratch, uint32_t *code,
                            const char **enhanced, size_t *enhanced_len)
{
	*code = scratch != NULL ? scratch->norm_code : 0;
	*enhanced = scratch != NULL ? scratch->norm_enhanced : NULL;
	*enhanced_len = *enhanced != NULL ? scratch->norm_enhanced_len : 0;
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
		snprintf(errstr, errstr_size, "the rule set is not loaded.");
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
	s->norm_cap = 4096;
	s->norm = malloc(s->norm_cap);
	if (s->hits == NULL || s->cand == NULL || s->seen == NULL ||
	    s->norm == NULL) {
		goto oom;
	}
	if (hs_clone_scratch(rules->proto, &s->hs) != HS_SUCCESS) {
		rs_rules_scratch_destroy(s);
		snprintf(errstr, errstr_size,
		         "cannot clone the Hyperscan scratch space.");
		return NULL;
	}
	return s;
oom:
	rs_rules_scratch_destroy(s);
	snprintf(errstr, errstr_size, "out of memory for a rule scratch.");
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
	free(scratch->norm);
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
	failed = rs_examples_run(rules, scratch, out, 0, npassed, NULL, 0);
	rs_rules_scratch_destroy(scratch);
	return failed;
}

/* The scope of a rule as "provider:x stage:a|b code:4xx|550", "-" for none. */
static void print_scope(const rs_rules_t *rules, const rs_rule_t *r, FILE *out)
{
	const char *sep = "";

	if (r->provider >= 0) {
		fprintf(out, "provider:%s", rules->providers[r->provider].id);
		sep = " ";
	}
	if (r->stage_mask != 0) {
		const char *bar = "";

		fprintf(out, "%sstage:", sep);
		for (unsigned s = 0; s < 32; s++) {
			if (r->stage_mask & (1u << s)) {
				fprintf(out, "%s%s", bar,
				        rs_taxonomy_stage_name((rs_stage_t)s));
				bar = "|";
			}
		}
		sep = " ";
	}
	for (size_t i = 0; i < r->ncodes; i++) {
		const rs_code_range_t *c = &r->codes[i];

		fprintf(out, "%s", i == 0 ? (*sep ? " code:" : "code:") : "|");
		if (c->lo % 100 == 0 && c->hi == c->lo + 99) {
			fprintf(out, "%uxx", c->lo / 100u);
		} else {
			fprintf(out, "%u", c->lo);
		}
		sep = " ";
	}
	if (*sep == '\0') {
		fputc('-', out);
	}
}

void rs_rules_list(const rs_rules_t *rules, FILE *out)
{
	fputs("id\tclass\tpriority\tscope\tinfers_stage\tpatterns\ttags\t"
	      "where\n",
	      out);
	for (size_t i = 0; i < rules->nrules; i++) {
		const rs_rule_t *r = &rules->rules[i];

		fprintf(out, "%s\t%s\t%d\t", r->id,
		        r->cause == RS_CAUSE_UNSPECIFIED
		            ? "-"
		            : rs_taxonomy_cause_name(r->cause),
		        r->priority);
		print_scope(rules, r, out);
		if (r->stage_hint != RS_STAGE_UNSPECIFIED) {
			fprintf(out, "\thint:%s\t%zu\t",
			        rs_taxonomy_stage_name(r->stage_hint),
			        r->npatterns);
		} else {
			fprintf(out, "\t%s\t%zu\t",
			        r->infers_stage == RS_STAGE_UNSPECIFIED
			            ? "-"
			            : rs_taxonomy_stage_name(r->infers_stage),
			        r->npatterns);
		}
		for (size_t t = 0; t < r->ntags; t++) {
			fprintf(out, "%s%s", t == 0 ? "" : ",", r->tags[t]);
		}
		fprintf(out, "%s\t%s:%u\n", r->ntags == 0 ? "-" : "", r->file,
		        r->line);
	}
}

/* Every match example of every classifying rule, one TSV row each. */
void rs_rules_examples(const rs_rules_t *rules, FILE *out)
{
	fputs("text\tclass\trule\n", out);
	for (size_t i = 0; i < rules->nrules; i++) {
		const rs_rule_t *r = &rules->rules[i];

		if (r->cause == RS_CAUSE_UNSPECIFIED) {
			continue;
		}
		for (size_t j = 0; j < r->nexamples; j++) {
			const rs_rule_example_t *ex = &r->examples[j];

			if (!ex->must_match) {
				continue;
			}
			for (size_t k = 0; k < ex->text_len; k++) {
				char c = ex->text[k];
				fputc(c == '\t' || c == '\n' || c == '\r' ? ' '
				                                          : c,
				      out);
			}
			fprintf(out, "\t%s\t%s\n",
			        rs_taxonomy_cause_name(r->cause), r->id);
		}
	}
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
