/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_ruleset.c - the reference-counted rule set in force: a swap makes
 * the new set current at once, a set still held by a worker stays usable
 * until its last release (ASan and valgrind see any use after free or
 * leak), and workers that acquire, classify and release while the main
 * thread swaps never see a half-replaced set.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pthread.h>

#include <cmocka.h>

#include "classify/classify.h"
#include "classify/rules.h"
#include "classify/ruleset.h"

#define PRECEDENCE RS_FIXTURES "/rules-precedence"

/* Load a rule directory or fail the test. */
static rs_rules_t *load(const char *dir)
{
	char err[1024];
	rs_rules_t *r = rs_rules_load(dir, err, sizeof(err));

	if (r == NULL) {
		fail_msg("%s", err);
	}
	return r;
}

/* Classify "421 4.7.0 Not allowed" with rules; the class. */
static rs_cause_t classify_seed(const rs_rules_t *rules)
{
	static const char text[] = "421 4.7.0 Not allowed";
	char err[256];
	rs_rules_scratch_t *s = rs_rules_scratch_new(rules, err, sizeof(err));
	rs_classify_in_t in;
	rs_verdict_t v;

	assert_non_null(s);
	memset(&in, 0, sizeof(in));
	in.text = text;
	in.text_len = sizeof(text) - 1;
	in.reply_code = 421;
	in.enhanced_code = "4.7.0";
	in.enhanced_len = 5;
	in.stage = RS_STAGE_UNKNOWN;
	assert_int_equal(rs_classify(rules, s, &in, &v), 0);
	rs_rules_scratch_destroy(s);
	return v.cause;
}

static void test_swap_and_release(void **state)
{
	rs_rules_t *a = load(RS_RULES_DIR), *b = load(PRECEDENCE);
	rs_cause_t with_a = classify_seed(a), with_b = classify_seed(b);
	rs_ruleset_t *set = rs_ruleset_new(a);
	const rs_rules_t *held, *now;
	uint64_t gen, gen2;

	(void)state;
	assert_int_not_equal(with_a, with_b);
	assert_non_null(set);
	assert_int_equal(rs_ruleset_generation(set), 1);
	held = rs_ruleset_acquire(set, &gen);
	assert_ptr_equal(held, a);
	assert_int_equal(gen, 1);

	rs_ruleset_swap(set, b);
	assert_int_equal(rs_ruleset_generation(set), 2);
	now = rs_ruleset_acquire(set, &gen2);
	assert_ptr_equal(now, b);
	assert_int_equal(gen2, 2);
	/* The replaced set is still whole while it is held. */
	assert_int_equal(classify_seed(held), with_a);
	rs_ruleset_release(set, held); /* frees a */
	assert_int_equal(classify_seed(now), with_b);
	rs_ruleset_release(set, now);

	/* Nobody holds the current set: a swap frees it at once. */
	rs_ruleset_swap(set, load(RS_RULES_DIR));
	assert_int_equal(rs_ruleset_generation(set), 3);
	now = rs_ruleset_acquire(set, &gen);
	assert_int_equal(classify_seed(now), with_a);
	rs_ruleset_release(set, now);
	rs_ruleset_destroy(set);
}

/* Two references to one retired set: freed at the second release. */
static void test_two_holders(void **state)
{
	rs_ruleset_t *set = rs_ruleset_new(load(PRECEDENCE));
	const rs_rules_t *h1, *h2;
	uint64_t gen;

	(void)state;
	h1 = rs_ruleset_acquire(set, &gen);
	h2 = rs_ruleset_acquire(set, &gen);
	assert_ptr_equal(h1, h2);
	rs_ruleset_swap(set, load(PRECEDENCE));
	rs_ruleset_release(set, h1);
	assert_int_equal(classify_seed(h2), classify_seed(h2));
	rs_ruleset_release(set, h2);
	/* Destroy with a retired set still held would leak; none is. */
	rs_ruleset_destroy(set);
}

typedef struct worker_state {
	rs_ruleset_t *set;
	int iterations;
	int seen_a, seen_b;
	rs_cause_t with_a, with_b;
	int bad;
} worker_state_t;

/* Acquire, classify, release in a loop, like a pipeline worker. */
static void *worker(void *arg)
{
	worker_state_t *ws = arg;

	for (int i = 0; i < ws->iterations; i++) {
		uint64_t gen;
		const rs_rules_t *r = rs_ruleset_acquire(ws->set, &gen);
		rs_cause_t c = classify_seed(r);

		if (c == ws->with_a) {
			ws->seen_a++;
		} else if (c == ws->with_b) {
			ws->seen_b++;
		} else {
			ws->bad++;
		}
		rs_ruleset_release(ws->set, r);
	}
	return NULL;
}

static void test_concurrent_swaps(void **state)
{
	rs_rules_t *a = load(RS_RULES_DIR), *b = load(PRECEDENCE);
	worker_state_t ws[3];
	pthread_t th[3];
	rs_ruleset_t *set;

	(void)state;
	memset(ws, 0, sizeof(ws));
	for (int t = 0; t < 3; t++) {
		ws[t].with_a = classify_seed(a);
		ws[t].with_b = classify_seed(b);
		ws[t].iterations = 300;
	}
	rs_rules_destroy(b);
	set = rs_ruleset_new(a);
	for (int t = 0; t < 3; t++) {
		ws[t].set = set;
		assert_int_equal(pthread_create(&th[t], NULL, worker, &ws[t]),
		                 0);
	}
	for (int k = 0; k < 12; k++) {
		rs_ruleset_swap(set,
		                load(k % 2 == 0 ? PRECEDENCE : RS_RULES_DIR));
	}
	for (int t = 0; t < 3; t++) {
		pthread_join(th[t], NULL);
		assert_int_equal(ws[t].bad, 0);
		assert_int_equal(ws[t].seen_a + ws[t].seen_b, 300);
	}
	assert_int_equal(rs_ruleset_generation(set), 13);
	rs_ruleset_destroy(set);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_swap_and_release),
	    cmocka_unit_test(test_two_holders),
	    cmocka_unit_test(test_concurrent_swaps),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
