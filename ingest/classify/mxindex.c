/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mxindex.c - MX suffix lookup by hash; see mxindex.h.
 *
 * Open addressing with linear probing, at most half full. The host is
 * hashed from its end one byte at a time, so the hash of every suffix
 * comes out of a single backward pass; at each label boundary (the host's
 * start, or just after a '.') that suffix is probed. The first hit going
 * backwards would be the shortest suffix, so the pass keeps the last hit:
 * the longest. Keys are compared in full on a hit (hashes collide).
 */
#include "classify/mxindex.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

typedef struct slot {
	const char *mx; /* NULL: empty */
	size_t len;
	uint64_t hash;
	long provider;
} slot_t;

struct rs_mxindex {
	slot_t *slots;
	size_t mask; /* slots - 1; a power of two */
	size_t maxlen;
};

/* One step of the backward hash: fold byte c in front of the suffix. */
static uint64_t hash_step(uint64_t h, unsigned char c)
{
	return (h ^ c) * 0x100000001b3ull;
}

/* The hash of the suffix s (lower case), built as the lookup builds it. */
static uint64_t hash_of(const char *s, size_t n)
{
	uint64_t h = 0xcbf29ce484222325ull;

	for (size_t k = n; k > 0; k--) {
		h = hash_step(h, (unsigned char)s[k - 1]);
	}
	return h;
}

rs_mxindex_t *rs_mxindex_new(size_t nprov, const char *const *const *mx,
                             const size_t *const *mx_len, const size_t *nmx)
{
	rs_mxindex_t *ix = calloc(1, sizeof(*ix));
	size_t total = 0, cap = 16;

	if (ix == NULL) {
		return NULL;
	}
	for (size_t i = 0; i < nprov; i++) {
		total += nmx[i];
	}
	while (cap < total * 2) {
		cap *= 2;
	}
	ix->slots = calloc(cap, sizeof(*ix->slots));
	if (ix->slots == NULL) {
		free(ix);
		return NULL;
	}
	ix->mask = cap - 1;
	for (size_t i = 0; i < nprov; i++) {
		for (size_t j = 0; j < nmx[i]; j++) {
			uint64_t h = hash_of(mx[i][j], mx_len[i][j]);
			size_t at = (size_t)h & ix->mask;
			int dup = 0;

			while (ix->slots[at].mx != NULL) {
				slot_t *s = &ix->slots[at];
				if (s->hash == h && s->len == mx_len[i][j] &&
				    memcmp(s->mx, mx[i][j], s->len) == 0) {
					dup =
					    1; /* the first provider keeps it */
					break;
				}
				at = (at + 1) & ix->mask;
			}
			if (dup) {
				continue;
			}
			ix->slots[at].mx = mx[i][j];
			ix->slots[at].len = mx_len[i][j];
			ix->slots[at].hash = h;
			ix->slots[at].provider = (long)i;
			if (mx_len[i][j] > ix->maxlen) {
				ix->maxlen = mx_len[i][j];
			}
		}
	}
	return ix;
}

void rs_mxindex_destroy(rs_mxindex_t *ix)
{
	if (ix == NULL) {
		return;
	}
	free(ix->slots);
	free(ix);
}

/* Does the stored suffix s equal the host bytes p (any case)? */
static int same(const slot_t *s, const char *p, size_t n)
{
	if (s->len != n) {
		return 0;
	}
	for (size_t k = 0; k < n; k++) {
		unsigned char c = (unsigned char)p[k];
		if (c >= 'A' && c <= 'Z') {
			c = (unsigned char)(c + 32);
		}
		if (c != (unsigned char)s->mx[k]) {
			return 0;
		}
	}
	return 1;
}

/* The provider of the suffix p[0..n) with hash h, or -1. */
static long probe(const rs_mxindex_t *ix, uint64_t h, const char *p, size_t n)
{
	size_t at = (size_t)h & ix->mask;

	while (ix->slots[at].mx != NULL) {
		const slot_t *s = &ix->slots[at];
		if (s->hash == h && same(s, p, n)) {
			return s->provider;
		}
		at = (at + 1) & ix->mask;
	}
	return -1;
}

long rs_mxindex_find(const rs_mxindex_t *ix, const char *host, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ull;
	long best = -1;

	if (ix == NULL || host == NULL) {
		return -1;
	}
	while (len > 0 && host[len - 1] == '.') {
		len--;
	}
	for (size_t k = len; k > 0; k--) {
		unsigned char c = (unsigned char)host[k - 1];
		size_t n = len - (k - 1);

		if (n > ix->maxlen) {
			break; /* no longer suffix is listed */
		}
		if (c >= 'A' && c <= 'Z') {
			c = (unsigned char)(c + 32);
		}
		h = hash_step(h, c);
		/* A label boundary: the host's start or just after a dot. */
		if (k == 1 || host[k - 2] == '.') {
			long p = probe(ix, h, host + k - 1, n);
			if (p >= 0) {
				best = p;
			}
		}
	}
	return best;
}
