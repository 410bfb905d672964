/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hash.h - FNV-1a over bytes, for the open-addressing tables of the
 * worker's rollup and the posture stage (keys that never leave the
 * process, so the function may change with the program).
 *
 * @locality any thread; nothing here keeps state.
 */
#ifndef RS_HASH_H
#define RS_HASH_H

#include <stddef.h>
#include <stdint.h>

/* The FNV-1a offset basis: the h to start from. */
#define RS_HASH_SEED 1469598103934665603ull

/* Fold [p, p+n) into h, FNV-1a; a caller chains fields through it. */
static inline uint64_t rs_hash_bytes(uint64_t h, const void *p, size_t n)
{
	const unsigned char *s = p;

	for (size_t i = 0; i < n; i++) {
		h = (h ^ s[i]) * 1099511628211ull;
	}
	return h;
}

#endif
