/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ruleset.c - reference-counted current rule set; see ruleset.h.
 *
 * Sets that were replaced but are still referenced wait in a short list;
 * reloads are rare (an operator's SIGHUP), so the list stays tiny.
 */
#include "classify/ruleset.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

typedef struct entry {
	rs_rules_t *rules;
	unsigned refs;
	struct entry *next;
} entry_t;

struct rs_ruleset {
	pthread_mutex_t lock;
	_Atomic uint64_t generation;
	entry_t *current;
	entry_t *retired; /* replaced, still referenced */
};

rs_ruleset_t *rs_ruleset_new(rs_rules_t *rules)
{
	rs_ruleset_t *set = calloc(1, sizeof(*set));

	if (set == NULL) {
		return NULL;
	}
	set->current = calloc(1, sizeof(entry_t));
	if (set->current == NULL) {
		free(set);
		return NULL;
	}
	set->current->rules = rules;
	pthread_mutex_init(&set->lock, NULL);
	atomic_init(&set->generation, 1);
	return set;
}

void rs_ruleset_destroy(rs_ruleset_t *set)
{
	if (set == NULL) {
		return;
	}
	while (set->retired != NULL) {
		entry_t *e = set->retired;
		set->retired = e->next;
		rs_rules_destroy(e->rules);
		free(e);
	}
	rs_rules_destroy(set->current->rules);
	free(set->current);
	pthread_mutex_destroy(&set->lock);
	free(set);
}

void rs_ruleset_swap(rs_ruleset_t *set, rs_rules_t *rules)
{
	entry_t *e = calloc(1, sizeof(*e));
	entry_t *old;

	if (e == NULL) {
		/* Keep the old set rather than lose it. */
		rs_rules_destroy(rules);
		return;
	}
	e->rules = rules;
	pthread_mutex_lock(&set->lock);
	old = set->current;
	set->current = e;
	if (old->refs == 0) {
		rs_rules_destroy(old->rules);
		free(old);
	} else {
		old->next = set->retired;
		set->retired = old;
	}
	atomic_fetch_add(&set->generation, 1);
	pthread_mutex_unlock(&set->lock);
}

uint64_t rs_ruleset_generation(rs_ruleset_t *set)
{
	return atomic_load_explicit(&set->generation, memory_order_acquire);
}

const rs_rules_t *rs_ruleset_acquire(rs_ruleset_t *set, uint64_t *gen)
{
	const rs_rules_t *rules;

	pthread_mutex_lock(&set->lock);
	set->current->refs++;
	rules = set->current->rules;
	*gen = atomic_load(&set->generation);
	pthread_mutex_unlock(&set->lock);
	return rules;
}

void rs_ruleset_release(rs_ruleset_t *set, const rs_rules_t *rules)
{
	entry_t **pp;

	pthread_mutex_lock(&set->lock);
	if (set->current->rules == rules) {
		set->current->refs--;
		pthread_mutex_unlock(&set->lock);
		return;
	}
	for (pp = &set->retired; *pp != NULL; pp = &(*pp)->next) {
		entry_t *e = *pp;
		if (e->rules != rules) {
			continue;
		}
		if (--e->refs == 0) {
			*pp = e->next;
			rs_rules_destroy(e->rules);
			free(e);
		}
		break;
	}
	pthread_mutex_unlock(&set->lock);
}
