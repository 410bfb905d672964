/* SPDX-License-Identifier: Apache-2.0 */
/*
 * str.h - small inline helpers over byte slices (rs_str_t and ptr/len).
 *
 * Everything here works on lengths, never on NUL termination, so that the
 * parsers can point into the input line without copying it.
 */
#ifndef RS_STR_H
#define RS_STR_H

#include <stddef.h>
#include <string.h>

/* A slice of bytes, not NUL-terminated. p == NULL means "absent". */
typedef struct rs_str {
	const char *p;
	size_t n;
} rs_str_t;

#define RS_STR_NULL ((rs_str_t){NULL, 0})

/* Make a slice. */
static inline rs_str_t rs_str(const char *p, size_t n)
{
	rs_str_t s = {p, n};
	return s;
}

/* Does [p, p+n) equal the NUL-terminated literal lit? */
static inline int rs_str_eq(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n == l && memcmp(p, lit, l) == 0;
}

/* Does [p, p+n) start with the NUL-terminated literal lit? */
static inline int rs_str_starts(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n >= l && memcmp(p, lit, l) == 0;
}

/* Does [p, p+n) end with lit? */
static inline int rs_str_ends(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	return n >= l && memcmp(p + n - l, lit, l) == 0;
}

/*
 * First occurrence of the l bytes at lit in [p, p+n), or NULL; p when l
 * is 0 (as memmem). The literals of log parsing are short and the texts
 * a line long, where memmem's set-up per call costs more than the
 * search: memchr goes to each place of the literal's least common-looking
 * byte (punctuation before upper case before digits before lower case
 * and space: "=" of "to=", "," of ", ") and the literal is compared
 * there. Candidates come in increasing order, so the first hit is the
 * leftmost occurrence.
 */
static inline const char *rs_str_find_n(const char *p, size_t n,
                                        const char *lit, size_t l)
{
	size_t k = 0;
	int best = -1;
	const char *s, *end;

	if (l == 0) {
		return p;
	}
	if (l > n) {
		return NULL;
	}
	for (size_t i = 0; i < l; i++) {
		unsigned char c = (unsigned char)lit[i];
		int r = (c >= 'a' && c <= 'z') || c == ' ' ? 0
		        : (c >= '0' && c <= '9')           ? 1
		        : (c >= 'A' && c <= 'Z')           ? 2
		                                           : 3;
		if (r > best) {
			best = r;
			k = i;
		}
	}
	s = p + k;
	end = p + n - (l - 1 - k);
	while (s < end) {
		const char *h =
		    (const char *)memchr(s, lit[k], (size_t)(end - s));
		if (h == NULL) {
			return NULL;
		}
		if (memcmp(h - k, lit, l) == 0) {
			return h - k;
		}
		s = h + 1;
	}
	return NULL;
}

/* First occurrence of lit in [p, p+n), or NULL. */
static inline const char *rs_str_find(const char *p, size_t n, const char *lit)
{
	return rs_str_find_n(p, n, lit, strlen(lit));
}

/* Last occurrence of lit in [p, p+n), or NULL. */
static inline const char *rs_str_rfind(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	if (l == 0 || l > n) {
		return NULL;
	}
	for (size_t i = n - l + 1; i-- > 0;) {
		if (p[i] == lit[0] && memcmp(p + i, lit, l) == 0) {
			return p + i;
		}
	}
	return NULL;
}

/* ASCII lower-case of one byte. */
static inline unsigned char rs_str_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char)(c + 32) : c;
}

/* Case-insensitive (ASCII) first occurrence of lit (lower-case) in p. */
static inline const char *rs_str_ifind(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);
	if (l == 0) {
		return p;
	}
	if (l > n) {
		return NULL;
	}
	for (size_t i = 0; i + l <= n; i++) {
		size_t j = 0;
		while (j < l && rs_str_lower((unsigned char)p[i + j]) ==
		                    (unsigned char)lit[j]) {
			j++;
		}
		if (j == l) {
			return p + i;
		}
	}
	return NULL;
}

/* Trim ASCII spaces and tabs from both ends. */
static inline rs_str_t rs_str_trim(rs_str_t s)
{
	while (s.n > 0 && (s.p[0] == ' ' || s.p[0] == '\t')) {
		s.p++;
		s.n--;
	}
	while (s.n > 0 && (s.p[s.n - 1] == ' ' || s.p[s.n - 1] == '\t' ||
	                   s.p[s.n - 1] == '\r')) {
		s.n--;
	}
	return s;
}

static inline int rs_str_isdigit(char c)
{
	return c >= '0' && c <= '9';
}

/* Is [p, p+n) an IPv4 / IPv6 address literal (hex digits, ':' and '.'),
 * as opposed to a host name or a socket path? */
static inline int rs_str_is_ip(const char *p, size_t n)
{
	if (n == 0 || n > 64) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (!(rs_str_isdigit(c) || (c >= 'a' && c <= 'f') ||
		      (c >= 'A' && c <= 'F') || c == ':' || c == '.')) {
			return 0;
		}
	}
	return 1;
}

#endif
