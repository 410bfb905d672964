/* SPDX-License-Identifier: Apache-2.0 */
/*
 * mxindex.h - the providers' MX host suffixes in a hash table, so that
 * finding the provider of an event's MX host costs one hash probe per
 * label of the host instead of a comparison with every suffix of every
 * provider (called for every failure the classifier sees).
 *
 * The answer is the one of the linear scan it replaces: the longest
 * suffix that ends the host on a label boundary ("notgoogle.com" is not
 * google.com), the host compared without case and without trailing dots;
 * between providers listing the same suffix, the first listed wins.
 *
 * Ownership: an index owns its table; the suffix strings are borrowed
 * from the rule set and must outlive it. @locality built once at load;
 * read-only and shared by every thread afterwards.
 */
#ifndef RS_MXINDEX_H
#define RS_MXINDEX_H

#include <stddef.h>

typedef struct rs_mxindex rs_mxindex_t;

/*
 * An index of nprov providers; provider i has nmx[i] suffixes mx[i][j]
 * (lower case, no leading or trailing dot) of lengths mx_len[i][j]. NULL
 * when out of memory.
 */
rs_mxindex_t *rs_mxindex_new(size_t nprov, const char *const *const *mx,
                             const size_t *const *mx_len, const size_t *nmx);

/* Free the table; NULL is allowed. */
void rs_mxindex_destroy(rs_mxindex_t *ix);

/* The provider index of host (len bytes, any case), or -1. */
long rs_mxindex_find(const rs_mxindex_t *ix, const char *host, size_t len);

#endif
