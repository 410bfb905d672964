/* SPDX-License-Identifier: Apache-2.0 */
/*
 * ruleset.h - the rule set in force, replaceable while workers run
 * (SIGHUP reload) without a lock per message.
 *
 * Workers compare the generation (one atomic load) at the start of each
 * batch; only when it changed do they take the lock, drop their reference
 * to the old set and take one to the new set. A replaced set is destroyed
 * when its last reference is dropped.
 *
 * @locality swap from any thread; acquire/release from workers.
 */
#ifndef RS_RULESET_H
#define RS_RULESET_H

#include <stdint.h>

#include "classify/rules.h"

typedef struct rs_ruleset rs_ruleset_t;

/* Takes ownership of rules. NULL when out of memory (rules untouched). */
rs_ruleset_t *rs_ruleset_new(rs_rules_t *rules);

/* Destroy; every reference must have been released. */
void rs_ruleset_destroy(rs_ruleset_t *set);

/* Make rules current (takes ownership); the old set dies with its last
 * reference. */
void rs_ruleset_swap(rs_ruleset_t *set, rs_rules_t *rules);

/* Generation of the current set: changes with every swap. */
uint64_t rs_ruleset_generation(rs_ruleset_t *set);

/* Take a reference to the current set; *gen gets its generation. */
const rs_rules_t *rs_ruleset_acquire(rs_ruleset_t *set, uint64_t *gen);

/* Drop a reference taken with rs_ruleset_acquire. */
void rs_ruleset_release(rs_ruleset_t *set, const rs_rules_t *rules);

#endif
