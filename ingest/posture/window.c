/* SPDX-License-Identifier: Apache-2.0 */
/*
 * window.c - the ring of time buckets behind every posture scope
 * (window.h).
 */
#include "posture/window.h"

#include <string.h>

void rs_pw_init(rs_pw_t *w)
{
	memset(w, 0, sizeof(*w));
	w->head = -1;
}

rs_pw_bucket_t *rs_pw_at(rs_pw_t *w, int64_t n)
{
	if (n < 0) {
		return NULL;
	}
	if (w->head < 0 || n - w->head >= RS_PW_BUCKETS) {
		/* Empty, or everything has aged out at once. */
		memset(w->b, 0, sizeof(w->b));
		w->head = n;
	} else if (n > w->head) {
		for (int64_t i = w->head + 1; i <= n; i++) {
			memset(&w->b[i % RS_PW_BUCKETS], 0, sizeof(w->b[0]));
		}
		w->head = n;
	} else if (w->head - n >= RS_PW_BUCKETS) {
		return NULL;
	}
	return &w->b[n % RS_PW_BUCKETS];
}

void rs_pw_sum(const rs_pw_t *w, int64_t now, int k, rs_pw_bucket_t *out)
{
	memset(out, 0, sizeof(*out));
	if (k > RS_PW_BUCKETS) {
		k = RS_PW_BUCKETS;
	}
	if (w->head < 0) {
		return;
	}
	for (int64_t n = now - k + 1; n <= now; n++) {
		const rs_pw_bucket_t *b;

		/* Only numbers the ring holds: not newer than its head, not
		 * older than its span. */
		if (n < 0 || n > w->head || w->head - n >= RS_PW_BUCKETS) {
			continue;
		}
		b = &w->b[n % RS_PW_BUCKETS];
		out->attempts += b->attempts;
		out->failures += b->failures;
		for (int s = 0; s < RS_PW_SLOTS; s++) {
			out->hits[s] += b->hits[s];
		}
		out->sites |= b->sites;
	}
}

unsigned rs_pw_receivers(uint64_t sites)
{
	unsigned bits = (unsigned)__builtin_popcountll(sites);

	/* Linear counting: m bits with z zero bits stand for about
	 * -m ln(z/m) distinct sites; exact enough for "at least 5". */
	if (bits == 0) {
		return 0;
	}
	if (bits >= 64) {
		return 64 * 4; /* saturated: at least a few hundred */
	}
	{
		double z = 64.0 - bits;
		double est = -64.0 * __builtin_log(z / 64.0);

		return (unsigned)(est + 0.5);
	}
}
