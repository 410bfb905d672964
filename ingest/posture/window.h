/* SPDX-License-Identifier: Apache-2.0 */
/*
 * window.h - the sliding-window counters of one posture scope, at two
 * resolutions so that 1-minute, 10-minute and 1-hour windows live side by
 * side in one fixed-size record:
 *
 *   fine    RS_PW_FINE buckets of the policy's `bucket` width (1 minute by
 *           default): the newest 10 minutes, one bucket per minute;
 *   coarse  RS_PW_COARSE buckets of RS_PW_FOLD fine widths (10 minutes by
 *           default): the 50 minutes before those.
 *
 * Each bucket holds the attempts, the failures, the events per policy rule
 * slot and a small bitmap of the receiver sites that failed. Events always
 * land in a fine bucket; when the ring moves on, a fine bucket that leaves
 * it is folded (added; bitmaps OR) into the coarse bucket of its time, so
 * coarse bucket j holds exactly the fine buckets j*FOLD .. j*FOLD+FOLD-1
 * that have left the fine ring. Nothing is allocated: a ring is
 * sizeof(rs_pw_t) bytes (README "Posture" states the figure per scope).
 *
 * Time is a fine bucket number (log time / width). A window of k fine
 * widths as of bucket `now` counts the fine buckets now-k+1 .. now that
 * the fine ring still holds, and every coarse bucket lying wholly inside
 * that range; a coarse bucket straddling the window's start is left out.
 * So a window of at most RS_PW_FINE widths is exact to the bucket, and a
 * longer one (a multiple of RS_PW_FOLD, at most RS_PW_MAX_WINDOW) covers
 * between k - RS_PW_FOLD + 1 and k widths (51 to 60 minutes for 1 h at
 * the default width), the same "the current bucket is partial" rounding
 * as a single ring, one coarse bucket wide.
 *
 * The ring moves forward with the newest number it has seen; an event
 * older than the fine ring lands in its coarse bucket while the coarse
 * ring still holds that, and is refused (NULL; counted by the caller)
 * past it: between RS_PW_SPAN - RS_PW_FOLD + 1 and RS_PW_SPAN widths back.
 *
 * @locality one thread (the posture engine's).
 */
#ifndef RS_POSTURE_WINDOW_H
#define RS_POSTURE_WINDOW_H

#include <stdint.h>

#define RS_PW_FINE 10  /* fine buckets */
#define RS_PW_FOLD 10  /* fine widths per coarse bucket */
#define RS_PW_COARSE 5 /* coarse buckets */
/* The longest window, in fine widths (1 h at 1-minute buckets). */
#define RS_PW_MAX_WINDOW (RS_PW_FINE + RS_PW_COARSE * RS_PW_FOLD)
/* How far back an event is still counted, at most, in fine widths. */
#define RS_PW_SPAN RS_PW_MAX_WINDOW
#define RS_PW_SLOTS 8 /* policy rules that count events (policy.h) */

typedef struct rs_pw_bucket {
	uint32_t attempts;
	uint32_t failures;
	uint32_t hits[RS_PW_SLOTS];
	/* Receiver sites with a failure, one bit per site hash mod 64; the
	 * popcount estimates how many receivers failed (README). */
	uint64_t sites;
} rs_pw_bucket_t;

typedef struct rs_pw {
	int64_t head; /* fine number of the newest fine bucket; -1: empty */
	rs_pw_bucket_t fine[RS_PW_FINE];
	rs_pw_bucket_t coarse[RS_PW_COARSE];
} rs_pw_t;

/* An empty ring. */
void rs_pw_init(rs_pw_t *w);

/*
 * The bucket that counts fine number n, moving the ring forward (folding
 * what leaves the fine ring, clearing what leaves the coarse one) when n
 * is newer than its head: a fine bucket, or for a late n that has left
 * the fine ring, its coarse bucket. NULL when n is older than the coarse
 * ring holds.
 */
rs_pw_bucket_t *rs_pw_at(rs_pw_t *w, int64_t n);

/*
 * The sum of a window of k fine widths as of fine number now (counters
 * add, site bitmaps OR) into *out, by the rule in the header comment.
 * Buckets the ring has not reached yet count as empty. Returns the number
 * of fine widths the sum covers (k, or fewer where a coarse bucket
 * straddles the window's start or the ring has moved past part of it).
 */
int rs_pw_sum(const rs_pw_t *w, int64_t now, int k, rs_pw_bucket_t *out);

/*
 * Whether a window of k fine widths is counted as the header comment
 * says: 1..RS_PW_FINE, or a multiple of RS_PW_FOLD up to RS_PW_MAX_WINDOW.
 */
int rs_pw_window_ok(int64_t k);

/* Number of receiver sites an OR of site bitmaps stands for. */
unsigned rs_pw_receivers(uint64_t sites);

#endif
