/* SPDX-License-Identifier: Apache-2.0 */
/*
 * window.h - the sliding-window counters of one posture scope: a ring of
 * RS_PW_BUCKETS fixed-width time buckets (the width is the policy's
 * `bucket`, 5 minutes by default, so the ring spans one hour), each with
 * the attempts, the failures, the events per policy rule slot and a small
 * bitmap of the receiver sites that failed. A window of k buckets is the
 * sum of the newest k; nothing is allocated, a scope's ring is
 * sizeof(rs_pw_t) bytes (see README "Posture" for the figure).
 *
 * Time is a bucket number (log time / width). The ring moves forward with
 * the newest number it has seen; an event older than the ring's span is
 * refused (counted by the caller), one inside the span lands in its own
 * bucket, so events a little out of order still count.
 *
 * @locality one thread (the posture engine's).
 */
#ifndef RS_POSTURE_WINDOW_H
#define RS_POSTURE_WINDOW_H

#include <stdint.h>

#define RS_PW_BUCKETS 12
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
	int64_t head; /* bucket number of the newest bucket; -1: empty */
	rs_pw_bucket_t b[RS_PW_BUCKETS];
} rs_pw_t;

/* An empty ring. */
void rs_pw_init(rs_pw_t *w);

/*
 * The bucket for bucket number n, moving the ring forward (and clearing
 * what falls out) when n is newer than its head; NULL when n is older
 * than the ring's span.
 */
rs_pw_bucket_t *rs_pw_at(rs_pw_t *w, int64_t n);

/*
 * The sum of the k newest buckets as of bucket number now (buckets now-k+1
 * .. now; counters add, site bitmaps OR) into *out. Buckets the ring has
 * not reached yet count as empty.
 */
void rs_pw_sum(const rs_pw_t *w, int64_t now, int k, rs_pw_bucket_t *out);

/* Number of receiver sites an OR of site bitmaps stands for. */
unsigned rs_pw_receivers(uint64_t sites);

#endif
