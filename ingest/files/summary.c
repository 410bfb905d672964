/* SPDX-License-Identifier: Apache-2.0 */
/*
 * summary.c - class x stage table and top receivers.
 *
 * Receivers are kept in an open-addressing hash table keyed by the
 * lower-cased domain, each with a count per class, so that the top list
 * can say which class dominates for each receiver. The table doubles when
 * half full; memory grows with the number of distinct domains only.
 */
#include "files/summary.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

typedef struct receiver {
	char *domain; /* NULL: empty slot */
	uint64_t total;
	uint64_t by_cause[RS_CAUSE__COUNT];
} receiver_t;

struct rs_summary {
	receiver_t *tab;
	size_t cap; /* power of two */
	size_t used;
	rs_summary_event_fn event_fn; /* rs_summary_set_event_hook */
	void *event_ctx;
};

rs_summary_t *rs_summary_new(void)
{
	rs_summary_t *s = calloc(1, sizeof(*s));

	if (s == NULL) {
		return NULL;
	}
	s->cap = 1024;
	s->tab = calloc(s->cap, sizeof(receiver_t));
	if (s->tab == NULL) {
		free(s);
		return NULL;
	}
	return s;
}

void rs_summary_destroy(rs_summary_t *s)
{
	if (s == NULL) {
		return;
	}
	for (size_t i = 0; i < s->cap; i++) {
		free(s->tab[i].domain);
	}
	free(s->tab);
	free(s);
}

/* FNV-1a over the lower-cased bytes. */
static uint64_t hash(const char *p, size_t n)
{
	uint64_t h = 1469598103934665603ULL;

	for (size_t i = 0; i < n; i++) {
		h ^= rs_str_lower((unsigned char)p[i]);
		h *= 1099511628211ULL;
	}
	return h;
}

/* Does the stored (lower-case) domain equal p case-insensitively? */
static int same(const char *stored, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (stored[i] == '\0' ||
		    (unsigned char)stored[i] !=
		        rs_str_lower((unsigned char)p[i])) {
			return 0;
		}
	}
	return stored[n] == '\0';
}

/* Double the table; -1 when out of memory. */
static int rehash(rs_summary_t *s)
{
	size_t ncap = s->cap * 2;
	receiver_t *nt = calloc(ncap, sizeof(receiver_t));

	if (nt == NULL) {
		return -1;
	}
	for (size_t i = 0; i < s->cap; i++) {
		receiver_t *r = &s->tab[i];
		size_t j;

		if (r->domain == NULL) {
			continue;
		}
		j = hash(r->domain, strlen(r->domain)) & (ncap - 1);
		while (nt[j].domain != NULL) {
			j = (j + 1) & (ncap - 1);
		}
		nt[j] = *r;
	}
	free(s->tab);
	s->tab = nt;
	s->cap = ncap;
	return 0;
}

/* Find or insert the receiver for a domain; NULL when out of memory. */
static receiver_t *lookup(rs_summary_t *s, const char *p, size_t n)
{
	size_t i;

	if (s->used * 2 >= s->cap && rehash(s) < 0) {
		return NULL;
	}
	i = hash(p, n) & (s->cap - 1);
	while (s->tab[i].domain != NULL) {
		if (same(s->tab[i].domain, p, n)) {
			return &s->tab[i];
		}
		i = (i + 1) & (s->cap - 1);
	}
	s->tab[i].domain = malloc(n + 1);
	if (s->tab[i].domain == NULL) {
		return NULL;
	}
	for (size_t k = 0; k < n; k++) {
		s->tab[i].domain[k] = (char)rs_str_lower((unsigned char)p[k]);
	}
	s->tab[i].domain[n] = '\0';
	s->used++;
	return &s->tab[i];
}

int rs_summary_add_batch(rs_summary_t *s, const rs_batch_t *batch)
{
	for (size_t i = 0; i < batch->nevents; i++) {
		const rs_event_meta_t *m = &batch->events[i];
		receiver_t *r;
		const char *k = batch->keys.data + m->key_off;
		size_t n = m->key_len;

		if (n == 0) {
			k = "(none)";
			n = 6;
		}
		r = lookup(s, k, n);
		if (r == NULL) {
			return -1;
		}
		r->total++;
		r->by_cause[m->cause]++;
		if (s->event_fn != NULL) {
			s->event_fn(s->event_ctx, batch->out.data + m->off,
			            m->len);
		}
	}
	return 0;
}

void rs_summary_set_event_hook(rs_summary_t *s, rs_summary_event_fn fn,
                               void *ctx)
{
	s->event_fn = fn;
	s->event_ctx = ctx;
}

/* qsort order: most failures first, then by name. */
static int by_total(const void *a, const void *b)
{
	const receiver_t *x = *(const receiver_t *const *)a;
	const receiver_t *y = *(const receiver_t *const *)b;

	if (x->total != y->total) {
		return x->total < y->total ? 1 : -1;
	}
	return strcmp(x->domain, y->domain);
}

void rs_summary_print(const rs_summary_t *s, const rs_counts_t *t, size_t top,
                      FILE *out)
{
	uint64_t stage_tot[RS_STAGE__COUNT] = {0};
	receiver_t **list;
	size_t n = 0;

	fprintf(out, "events by class and stage (%llu events)\n\n",
	        (unsigned long long)t->events);
	fprintf(out, "%-22s %8s", "class", "total");
	for (int st = 1; st < RS_STAGE__COUNT; st++) {
		fprintf(out, " %11s", rs_taxonomy_stage_name((rs_stage_t)st));
	}
	fputc('\n', out);
	for (int c = 0; c < RS_CAUSE__COUNT; c++) {
		uint64_t tot = 0;

		for (int st = 0; st < RS_STAGE__COUNT; st++) {
			tot += t->by_cause_stage[c][st];
		}
		if (tot == 0) {
			continue;
		}
		fprintf(out, "%-22s %8llu",
		        rs_taxonomy_cause_name((rs_cause_t)c),
		        (unsigned long long)tot);
		for (int st = 1; st < RS_STAGE__COUNT; st++) {
			uint64_t v = t->by_cause_stage[c][st];
			stage_tot[st] += v;
			if (v == 0) {
				fprintf(out, " %11s", ".");
			} else {
				fprintf(out, " %11llu", (unsigned long long)v);
			}
		}
		fputc('\n', out);
	}
	fprintf(out, "%-22s %8llu", "all", (unsigned long long)t->events);
	for (int st = 1; st < RS_STAGE__COUNT; st++) {
		fprintf(out, " %11llu", (unsigned long long)stage_tot[st]);
	}
	fputc('\n', out);

	list = malloc((s->used ? s->used : 1) * sizeof(*list));
	if (list == NULL) {
		return;
	}
	for (size_t i = 0; i < s->cap; i++) {
		if (s->tab[i].domain != NULL) {
			list[n++] = &s->tab[i];
		}
	}
	qsort(list, n, sizeof(*list), by_total);
	fprintf(out, "\ntop receivers (recipient domain)\n\n");
	fprintf(out, "%-40s %8s  %s\n", "domain", "events", "main class");
	for (size_t i = 0; i < n && i < top; i++) {
		int best = 0;

		for (int c = 1; c < RS_CAUSE__COUNT; c++) {
			if (list[i]->by_cause[c] > list[i]->by_cause[best]) {
				best = c;
			}
		}
		fprintf(out, "%-40s %8llu  %s (%llu)\n", list[i]->domain,
		        (unsigned long long)list[i]->total,
		        rs_taxonomy_cause_name((rs_cause_t)best),
		        (unsigned long long)list[i]->by_cause[best]);
	}
	free(list);
}

/* ------------------------------------------------------------------ */
/* The tee sink                                                       */
/* ------------------------------------------------------------------ */

/* rs_sink_t.write: count, then write through. */
static int tee_write(rs_sink_t *sink, rs_batch_t *b, char *errstr,
                     size_t errstr_size)
{
	rs_summary_tee_t *tee = sink->ctx;

	if (rs_summary_add_batch(tee->summary, b) < 0) {
		snprintf(errstr, errstr_size, "out of memory in the summary");
		return -1;
	}
	return tee->next->write(tee->next, b, errstr, errstr_size);
}

/* rs_sink_t.flush of the next sink, if it has one. */
static int tee_flush(rs_sink_t *sink, char *errstr, size_t errstr_size)
{
	rs_summary_tee_t *tee = sink->ctx;

	return tee->next->flush != NULL
	           ? tee->next->flush(tee->next, errstr, errstr_size)
	           : 0;
}

/* rs_sink_t.tick of the next sink, if it has one. */
static int tee_tick(rs_sink_t *sink, char *errstr, size_t errstr_size)
{
	rs_summary_tee_t *tee = sink->ctx;

	return tee->next->tick != NULL
	           ? tee->next->tick(tee->next, errstr, errstr_size)
	           : 0;
}

void rs_summary_tee_init(rs_summary_tee_t *tee, rs_summary_t *s,
                         rs_sink_t *next)
{
	memset(tee, 0, sizeof(*tee));
	tee->sink.write = tee_write;
	tee->sink.flush = tee_flush;
	tee->sink.tick = tee_tick;
	tee->sink.ctx = tee;
	tee->next = next;
	tee->summary = s;
	tee->sink.rollup_flush_each = next->rollup_flush_each;
}
