/* SPDX-License-Identifier: Apache-2.0 */
/*
 * window.c - the two-resolution ring of time buckets behind every posture
 * scope (window.h).
 */
#include "posture/window.h"

#include <string.h>

void rs_pw_init(rs_pw_t *w)
{
	memset(w, 0, sizeof(*w));
	w->head = -1;
}

/* The newest coarse number with folded content at fine head h; -1 none. */
static int64_t coarse_head(int64_t h)
{
	return h >= RS_PW_FINE ? (h - RS_PW_FINE) / RS_PW_FOLD : -1;
}

static void add_into(rs_pw_bucket_t *to, const rs_pw_bucket_t *from)
{
	to->attempts += from->attempts;
	to->failures += from->failures;
	for (int s = 0; s < RS_PW_SLOTS; s++) {
		to->hits[s] += from->hits[s];
	}
	to->sites |= from->sites;
}

static int64_t max64(int64_t a, int64_t b)
{
	return a > b ? a : b;
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* Move the head from w->head (>= 0) forward to n. */
static void advance(rs_pw_t *w, int64_t n)
{
	int64_t h0 = w->head, c0 = coarse_head(h0), c1 = coarse_head(n);

	/* Coarse numbers c0+1 .. c1 start empty (their slots held numbers
	 * RS_PW_COARSE older); when the jump is longer than the coarse
	 * ring, every slot does. */
	for (int64_t j = max64(c0 + 1, c1 - RS_PW_COARSE + 1); j <= c1; j++) {
		memset(&w->coarse[j % RS_PW_COARSE], 0, sizeof(w->coarse[0]));
	}
	/* Fine numbers h0-F+1 .. n-F leave the fine ring: fold those that
	 * it held into their coarse bucket while that is still in the
	 * coarse ring, before their slots are reused. */
	for (int64_t f = max64(h0 - RS_PW_FINE + 1, 0);
	     f <= min64(n - RS_PW_FINE, h0); f++) {
		rs_pw_bucket_t *b = &w->fine[f % RS_PW_FINE];

		if (f / RS_PW_FOLD > c1 - RS_PW_COARSE) {
			add_into(&w->coarse[(f / RS_PW_FOLD) % RS_PW_COARSE],
			         b);
		}
		memset(b, 0, sizeof(*b));
	}
	for (int64_t f = max64(h0 + 1, n - RS_PW_FINE + 1); f <= n; f++) {
		memset(&w->fine[f % RS_PW_FINE], 0, sizeof(w->fine[0]));
	}
	w->head = n;
}

rs_pw_bucket_t *rs_pw_at(rs_pw_t *w, int64_t n)
{
	int64_t ch;

	if (n < 0) {
		return NULL;
	}
	if (w->head < 0) {
		memset(w->fine, 0, sizeof(w->fine));
		memset(w->coarse, 0, sizeof(w->coarse));
		w->head = n;
	} else if (n > w->head) {
		advance(w, n);
	}
	if (n > w->head - RS_PW_FINE) {
		return &w->fine[n % RS_PW_FINE];
	}
	/* A late event: its coarse bucket (n <= head-F, so n / FOLD <=
	 * coarse head) if the coarse ring still holds it. */
	ch = coarse_head(w->head);
	if (n / RS_PW_FOLD > ch - RS_PW_COARSE) {
		return &w->coarse[(n / RS_PW_FOLD) % RS_PW_COARSE];
	}
	return NULL;
}

int rs_pw_sum(const rs_pw_t *w, int64_t now, int k, rs_pw_bucket_t *out)
{
	int64_t lo, h = w->head, ch, covered = 0;

	memset(out, 0, sizeof(*out));
	if (k > RS_PW_MAX_WINDOW) {
		k = RS_PW_MAX_WINDOW;
	}
	if (k <= 0 || now < 0) {
		return 0;
	}
	lo = now - k + 1;
	if (h < 0) {
		return k; /* nothing yet: the whole window is known empty */
	}
	/* The fine ring's part, and numbers past the head (empty). */
	for (int64_t f = max64(max64(lo, h - RS_PW_FINE + 1), 0);
	     f <= min64(now, h); f++) {
		add_into(out, &w->fine[f % RS_PW_FINE]);
		covered++;
	}
	if (now > h) {
		covered += now - max64(h + 1, lo) + 1;
	}
	/* The folded part: each coarse bucket whose numbers all lie inside
	 * [lo, now]; one straddling lo is left out. */
	ch = coarse_head(h);
	for (int64_t j = max64(lo <= 0 ? 0 : (lo + RS_PW_FOLD - 1) / RS_PW_FOLD,
	                       ch - RS_PW_COARSE + 1);
	     j <= ch; j++) {
		int64_t last = min64((j + 1) * RS_PW_FOLD - 1, h - RS_PW_FINE);

		if (last > now) {
			break;
		}
		add_into(out, &w->coarse[j % RS_PW_COARSE]);
		covered += last - j * RS_PW_FOLD + 1;
	}
	return (int)covered;
}

int rs_pw_window_ok(int64_t k)
{
	return (k >= 1 && k <= RS_PW_FINE) ||
	       (k % RS_PW_FOLD == 0 && k <= RS_PW_MAX_WINDOW && k > 0);
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
