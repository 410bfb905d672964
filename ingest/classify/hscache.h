/* SPDX-License-Identifier: Apache-2.0 */
/*
 * hscache.h - hs_compile_multi with an on-disk cache of the compiled
 * database, so that `replyscan explain` and friends do not pay the
 * Hyperscan compile (hundreds of milliseconds for the default rules) on
 * every start.
 *
 * The cache key is a 128-bit hash of the Hyperscan version, the CPU
 * platform it builds for (features and tuning), the mode and every
 * expression with its flags and id; a database read back from the cache
 * is the one hs_compile_multi would have built. The cache lives in
 * $REPLYSCAN_CACHE_DIR, else $XDG_CACHE_HOME/replyscan, else
 * $HOME/.cache/replyscan; REPLYSCAN_CACHE_DIR set to "" turns it off. Any
 * cache failure (unwritable directory, corrupt or foreign file) falls back
 * to compiling; it is never an error.
 */
#ifndef RS_HSCACHE_H
#define RS_HSCACHE_H

#include <hs.h>

/* Same contract as hs_compile_multi (platform NULL: this machine). */
hs_error_t rs_hscache_compile(const char *const *exprs, const unsigned *flags,
                              const unsigned *ids, unsigned n, unsigned mode,
                              hs_database_t **db, hs_compile_error_t **cerr);

#endif
