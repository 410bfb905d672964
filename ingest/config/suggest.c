/* SPDX-License-Identifier: Apache-2.0 */
/*
 * suggest.c - "did you mean": the valid key closest to a mistyped one,
 * by edit distance of the whole name, of its last part ("threads" for
 * pipeline.threads), of a librdkafka property section
 * ("kafka.consumers.x"), or of a section name ("kafak"). The candidates
 * are the key table's names and the sections they make, so a new key is
 * suggested without a line here.
 */
#include "config/config_private.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

/* Levenshtein distance, ASCII case-insensitive, of short strings. */
static size_t edit_distance(const char *a, size_t an, const char *b, size_t bn)
{
	size_t row[96];

	if (bn >= sizeof(row) / sizeof(row[0])) {
		return SIZE_MAX;
	}
	for (size_t j = 0; j <= bn; j++) {
		row[j] = j;
	}
	for (size_t i = 1; i <= an; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= bn; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) ==
			                      tolower((unsigned char)b[j - 1])
			                  ? 0
			                  : 1;
			size_t best = diag + cost;

			if (up + 1 < best) {
				best = up + 1;
			}
			if (row[j - 1] + 1 < best) {
				best = row[j - 1] + 1;
			}
			row[j] = best;
			diag = up;
		}
	}
	return row[bn];
}

/* The part after the last dot. */
static const char *last_part(const char *s)
{
	const char *dot = strrchr(s, '.');

	return dot != NULL ? dot + 1 : s;
}

/* Candidate c (+ rest) for a mistyped key: keep it if it scores best. */
static void consider(const char *c, size_t cn, const char *rest, size_t score,
                     size_t *best, char *hint, size_t size)
{
	if (score < *best) {
		*best = score;
		snprintf(hint, size, "%.*s%s", (int)cn, c, rest);
	}
}

/* The valid key closest to a mistyped one into hint; "" when none is. */
static void closest_key(const char *key, char *hint, size_t size)
{
	const char *sname[RS_CONFIG_MAX_SECTIONS];
	size_t slen[RS_CONFIG_MAX_SECTIONS];
	size_t ns = rs_config_sections(sname, slen, RS_CONFIG_MAX_SECTIONS);
	size_t kn = strlen(key);
	size_t best = SIZE_MAX;

	hint[0] = '\0';
	for (size_t i = 0; i < rs_config_nkeys; i++) {
		const rs_config_key_t *k = &rs_config_keys[i];
		const char *c = k->name;
		size_t cn = strlen(c);
		const char *kl = last_part(key);
		const char *cl = last_part(c);
		size_t d;

		d = edit_distance(key, kn, c, cn);
		consider(c, cn, "", d, &best, hint, size);
		d = edit_distance(kl, strlen(kl), cl, strlen(cl));
		if (d != SIZE_MAX) {
			consider(c, cn, "", d + 1, &best, hint, size);
		}
		if (k->type == RS_CONFIG_PROPS) {
			/* Compare key's first two parts with the section. */
			const char *dot = key;

			for (size_t parts = 0; parts < 2 && dot != NULL;
			     parts++) {
				dot = strchr(dot + (parts > 0), '.');
			}
			if (dot != NULL && dot[1] != '\0') {
				d = edit_distance(key, (size_t)(dot - key), c,
				                  cn);
				consider(c, cn, dot, d, &best, hint, size);
			}
		}
	}
	/* Sections, for a mistyped section with a map under it. */
	for (size_t i = 0; best > 0 && i < ns; i++) {
		consider(sname[i], slen[i], "",
		         edit_distance(key, kn, sname[i], slen[i]), &best, hint,
		         size);
	}
	if (best == SIZE_MAX || (best > 2 && best * 3 > kn)) {
		hint[0] = '\0';
	}
}

void rs_config_unknown_key(const char *key, char *why, size_t why_size)
{
	const char *sname[RS_CONFIG_MAX_SECTIONS];
	size_t slen[RS_CONFIG_MAX_SECTIONS];
	size_t ns, used;
	char hint[128];

	closest_key(key, hint, sizeof(hint));
	if (hint[0] != '\0') {
		snprintf(why, why_size, "unknown key (did you mean %s?)", hint);
		return;
	}
	ns = rs_config_sections(sname, slen, RS_CONFIG_MAX_SECTIONS);
	used = (size_t)snprintf(why, why_size, "unknown key (the sections are");
	for (size_t i = 0; i < ns && used < why_size; i++) {
		int w = snprintf(why + used, why_size - used, "%s %.*s",
		                 i == 0        ? ""
		                 : i + 1 == ns ? " and"
		                               : ",",
		                 (int)slen[i], sname[i]);

		if (w < 0) {
			break;
		}
		used += (size_t)w;
	}
	if (used < why_size) {
		snprintf(why + used, why_size - used, ")");
	}
}
