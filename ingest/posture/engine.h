/* SPDX-License-Identifier: Apache-2.0 */
/*
 * engine.h - the posture engine: DeferralEvents in (evread.h), scope
 * windows updated (scopes.h, window.h), the policy evaluated (policy.h),
 * PostureDecisions out through a callback.
 *
 * Time is the events' own log time: the engine's clock is the newest
 * log_time_unix_ms it has seen, so a recorded day replays as it happened,
 * as fast as it can be read. Every event counts in four scopes: its
 * sending IP/pool x receiver site, the site, the sending IP/pool and the
 * fleet. When the clock crosses a bucket boundary the engine sweeps every
 * scope: postures whose hold has passed and whose rate fell below the
 * release rate return to observe, held postures are re-published every
 * `refresh`, and scopes idle for `idle` with no posture are removed.
 *
 * Ownership: the engine keeps a pointer to the policy (which must outlive
 * it) and owns its tables. @locality one thread; a caller sharing it with
 * an HTTP thread takes rs_posture_lock around calls.
 */
#ifndef RS_POSTURE_ENGINE_H
#define RS_POSTURE_ENGINE_H

#include <stddef.h>
#include <stdint.h>

#include "posture/evread.h"
#include "posture/policy.h"
#include "replyscan/v1/posture.pb-c.h"

typedef struct rs_posture rs_posture_t;

/* Called for each decision; d and its strings live until it returns. */
typedef void (*rs_posture_emit_fn)(void *ctx,
                                   const Replyscan__V1__PostureDecision *d);

typedef struct rs_posture_stats {
	uint64_t events;     /* counted in their scopes */
	uint64_t feedback;   /* feedback-loop records: not attempts */
	uint64_t no_time;    /* without a log time: not counted */
	uint64_t too_old;    /* older than the windows' span */
	uint64_t table_full; /* scopes refused at max_scopes */
	uint64_t expired;    /* idle scopes removed */
	uint64_t decisions;  /* changes */
	uint64_t refreshes;  /* slow refreshes */
	uint64_t hygiene;    /* hits of posture-none rules */
	/* attempts each policy rule matched, a rollup's count included (the
	 * rule examples check a posture-none rule by it) */
	uint64_t rule_hits[RS_PRULES_MAX];
	size_t scopes;        /* live now */
	size_t by_posture[4]; /* live scopes per rs_pposture_t */
} rs_posture_stats_t;

/* NULL on allocation failure. */
rs_posture_t *rs_posture_new(const rs_policy_t *policy, rs_posture_emit_fn emit,
                             void *ctx);
void rs_posture_free(rs_posture_t *e);

/* Count one event (and sweep first when its time starts a new bucket). */
void rs_posture_add(rs_posture_t *e, const rs_pevent_t *ev);

/* Move the clock to now_ms without an event (sweeps when due). */
void rs_posture_tick(rs_posture_t *e, int64_t now_ms);

/* The engine's clock: the newest log time seen, 0 before any. */
int64_t rs_posture_now(const rs_posture_t *e);

/*
 * Take a decision read back from the decisions topic as the scope's
 * current posture (its hold and since), so that a restarted instance
 * keeps holds longer than the window it re-reads. Returns 0, or -1 when
 * the decision names no known rule or the table is full.
 */
int rs_posture_restore(rs_posture_t *e,
                       const Replyscan__V1__PostureDecision *d);

void rs_posture_stats(const rs_posture_t *e, rs_posture_stats_t *st);

/*
 * Call fn for every scope with a posture other than plain observe (a
 * rule decided it), in no particular order, with the decision as it
 * would be published now.
 */
void rs_posture_foreach(rs_posture_t *e, rs_posture_emit_fn fn, void *ctx);

/* For a caller that shares the engine with another thread. */
void rs_posture_lock(rs_posture_t *e);
void rs_posture_unlock(rs_posture_t *e);

#endif
