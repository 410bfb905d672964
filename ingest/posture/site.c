/* SPDX-License-Identifier: Apache-2.0 */
/*
 * site.c - MX host to receiver site (site.h).
 */
#include "posture/site.h"

#include <stdlib.h>
#include <string.h>

#include "posture/scopes.h"

struct rs_psites {
	rs_pnames_t *suffixes; /* suffix -> id */
	char **site;           /* [id] */
	size_t cap;
};

rs_psites_t *rs_psites_new(void)
{
	rs_psites_t *t = calloc(1, sizeof(*t));

	if (t == NULL || (t->suffixes = rs_pnames_new()) == NULL) {
		free(t);
		return NULL;
	}
	return t;
}

void rs_psites_free(rs_psites_t *t)
{
	if (t == NULL) {
		return;
	}
	for (size_t i = 0; i < t->cap; i++) {
		free(t->site[i]);
	}
	free(t->site);
	rs_pnames_free(t->suffixes);
	free(t);
}

int rs_psites_add(rs_psites_t *t, const char *suffix, const char *site)
{
	uint32_t id = rs_pnames_id(t->suffixes, suffix, strlen(suffix));
	char *copy;

	if (id == 0) {
		return -1;
	}
	if (id >= t->cap) {
		size_t cap = id * 2 + 8;
		char **s = realloc(t->site, cap * sizeof(*s));

		if (s == NULL) {
			return -1;
		}
		memset(s + t->cap, 0, (cap - t->cap) * sizeof(*s));
		t->site = s;
		t->cap = cap;
	}
	copy = strdup(site);
	if (copy == NULL) {
		return -1;
	}
	free(t->site[id]);
	t->site[id] = copy;
	return 0;
}

size_t rs_psites_count(const rs_psites_t *t)
{
	return rs_pnames_count(t->suffixes) - 1; /* less "*" */
}

static size_t put(char *out, size_t cap, const char *s, size_t n)
{
	if (cap == 0) {
		return 0;
	}
	if (n >= cap) {
		n = cap - 1;
	}
	if (n > 0) {
		memcpy(out, s, n);
	}
	out[n] = '\0';
	return n;
}

size_t rs_psites_rollup(const rs_psites_t *t, const char *host, size_t len,
                        char *out, size_t cap)
{
	char low[256];
	size_t dots[128], nd = 0;

	if (len > 0 && host[len - 1] == '.') {
		len--;
	}
	if (len == 0 || len >= sizeof(low)) {
		return put(out, cap, host, len < sizeof(low) ? 0 : len);
	}
	for (size_t i = 0; i < len; i++) {
		char c = host[i];

		low[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
		if (c == '.' && nd < sizeof(dots) / sizeof(dots[0])) {
			dots[nd++] = i;
		}
	}
	low[len] = '\0';
	/* Longest listed suffix first: the host itself, then after each
	 * dot from the left. */
	for (size_t k = 0; k <= nd; k++) {
		size_t from = k == 0 ? 0 : dots[k - 1] + 1;
		uint32_t id = 0;

		if (k > 0 && k == nd) {
			/* a bare top-level domain is never a site */
			break;
		}
		id = rs_pnames_lookup(t->suffixes, low + from, len - from);
		if (id != 0 && id < t->cap && t->site[id] != NULL) {
			return put(out, cap, t->site[id], strlen(t->site[id]));
		}
	}
	/* The registered domain: two labels, three under "co.uk" and
	 * the like. */
	if (nd == 0) {
		return put(out, cap, low, len);
	}
	{
		size_t last = dots[nd - 1];
		size_t from = nd >= 2 ? dots[nd - 2] + 1 : 0;
		size_t tld = len - last - 1, second = last - from;

		if (tld == 2 && second <= 3 && nd >= 2) {
			from = nd >= 3 ? dots[nd - 3] + 1 : 0;
		}
		return put(out, cap, low + from, len - from);
	}
}
