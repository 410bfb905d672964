/* SPDX-License-Identifier: Apache-2.0 */
/*
 * site.h - the MX rollup: a receiver's MX host (or, without one, the
 * recipient's domain) to the name of its site, the unit receivers apply
 * limits to. The policy lists sites as suffixes ("l.google.com" and
 * "gmail.com" -> google, "mail.protection.outlook.com" -> microsoft,
 * "yahoodns.net" -> yahoo); a host matches the longest listed suffix
 * that is the host itself or ends it after a dot. Any other host rolls up
 * to its registered domain, taken as the last two labels, or three when
 * the second-last is a short second level under a country code
 * ("co.uk", "com.au").
 *
 * @locality one thread; a table is filled before it is read.
 */
#ifndef RS_POSTURE_SITE_H
#define RS_POSTURE_SITE_H

#include <stddef.h>

typedef struct rs_psites rs_psites_t;

rs_psites_t *rs_psites_new(void);
void rs_psites_free(rs_psites_t *t);

/* Map suffix (lower case, no leading dot) to site. 0, -1 on OOM. */
int rs_psites_add(rs_psites_t *t, const char *suffix, const char *site);

/* Listed suffixes. */
size_t rs_psites_count(const rs_psites_t *t);

/*
 * The site of host[0..len) (case-insensitive, a trailing dot ignored),
 * written NUL-terminated into out (truncated to cap - 1); its length.
 * An empty host gives "".
 */
size_t rs_psites_rollup(const rs_psites_t *t, const char *host, size_t len,
                        char *out, size_t cap);

#endif
