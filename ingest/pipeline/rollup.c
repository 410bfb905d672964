/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rollup.c - counting a batch's delivered lines per key (rollup.h).
 */
#include "pipeline/rollup.h"

#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "util/hash.h"

/* The key's strings, in this order. */
enum { K_SENDING_IP, K_SENDING_POOL, K_VMTA, K_LOG_HOST, K_DOMAIN, K_MX, K_N };

typedef struct entry {
	uint64_t hash;
	int64_t minute; /* log time / 60 s; -1 when the line has none */
	size_t off[K_N];
	uint32_t len[K_N];
	uint32_t count;
	uint32_t line_idx;
	int mta, stage;
} entry_t;

struct rs_rollup {
	entry_t *e;
	size_t n, cap;
	uint32_t *slots; /* entry index + 1; 0 empty */
	size_t nslots;
	rs_buf_t strings;
};

rs_rollup_t *rs_rollup_new(void)
{
	rs_rollup_t *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		return NULL;
	}
	r->nslots = 256;
	r->slots = calloc(r->nslots, sizeof(*r->slots));
	if (r->slots == NULL) {
		free(r);
		return NULL;
	}
	return r;
}

void rs_rollup_destroy(rs_rollup_t *r)
{
	if (r == NULL) {
		return;
	}
	free(r->e);
	free(r->slots);
	rs_buf_free(&r->strings);
	free(r);
}

void rs_rollup_reset(rs_rollup_t *r)
{
	if (r->n > 0) {
		memset(r->slots, 0, r->nslots * sizeof(*r->slots));
	}
	r->n = 0;
	rs_buf_reset(&r->strings);
}

size_t rs_rollup_count(const rs_rollup_t *r)
{
	return r->n;
}

/*
 * The key's strings: the sending side is the first of sending_ip,
 * sending_pool, vmta, log_host that the line gives (the one `replyscan
 * posture` goes by), kept in its own field and the others left empty, so
 * that lines differing only in a field the side does not come from share
 * one rollup.
 */
static void key_strings(const rs_record_t *rec, rs_str_t k[K_N])
{
	const rs_str_t *side[] = {&rec->sending_ip, &rec->sending_pool,
	                          &rec->vmta, &rec->log_host};
	int found = 0;

	for (int i = 0; i < 4; i++) {
		int take = !found && side[i]->p != NULL && side[i]->n > 0;

		k[K_SENDING_IP + i] = take ? *side[i] : RS_STR_NULL;
		found |= take;
	}
	k[K_DOMAIN] = rec->recipient_domain;
	k[K_MX] = rec->remote_host;
}

static uint64_t mix(uint64_t h, const void *p, size_t n)
{
	static const unsigned char sep = 0xff; /* field separator */

	return rs_hash_bytes(rs_hash_bytes(h, p, n), &sep, 1);
}

static int same(const rs_rollup_t *r, const entry_t *e, const rs_str_t k[K_N],
                int64_t minute, int mta, int stage)
{
	if (e->minute != minute || e->mta != mta || e->stage != stage) {
		return 0;
	}
	for (int i = 0; i < K_N; i++) {
		if (e->len[i] != k[i].n ||
		    (k[i].n > 0 && memcmp(r->strings.data + e->off[i], k[i].p,
		                          k[i].n) != 0)) {
			return 0;
		}
	}
	return 1;
}

static int grow_slots(rs_rollup_t *r)
{
	size_t nslots = r->nslots * 2;
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (slots == NULL) {
		return -1;
	}
	for (size_t i = 0; i < r->n; i++) {
		size_t j = r->e[i].hash & (nslots - 1);

		while (slots[j] != 0) {
			j = (j + 1) & (nslots - 1);
		}
		slots[j] = (uint32_t)i + 1;
	}
	free(r->slots);
	r->slots = slots;
	r->nslots = nslots;
	return 0;
}

int rs_rollup_add(rs_rollup_t *r, const rs_record_t *rec, uint32_t line_idx)
{
	rs_str_t k[K_N];
	int64_t minute = rec->log_time_ms > 0 ? rec->log_time_ms / 60000 : -1;
	uint64_t h = RS_HASH_SEED;
	size_t j;
	entry_t *e;

	key_strings(rec, k);
	for (int i = 0; i < K_N; i++) {
		h = mix(h, k[i].p, k[i].p != NULL ? k[i].n : 0);
	}
	h = mix(h, &minute, sizeof(minute));
	h ^= (uint64_t)rec->mta << 8 ^ (uint64_t)rec->stage;
	h ^= h >> 29;
	for (j = h & (r->nslots - 1); r->slots[j] != 0;
	     j = (j + 1) & (r->nslots - 1)) {
		e = &r->e[r->slots[j] - 1];
		if (e->hash == h &&
		    same(r, e, k, minute, (int)rec->mta, (int)rec->stage)) {
			e->count++;
			e->line_idx = line_idx;
			return 0;
		}
	}
	if (r->n == r->cap) {
		size_t cap = r->cap ? 2 * r->cap : 64;
		entry_t *ne = realloc(r->e, cap * sizeof(*ne));

		if (ne == NULL) {
			return -1;
		}
		r->e = ne;
		r->cap = cap;
	}
	e = &r->e[r->n];
	e->hash = h;
	e->minute = minute;
	e->mta = (int)rec->mta;
	e->stage = (int)rec->stage;
	e->count = 1;
	e->line_idx = line_idx;
	for (int i = 0; i < K_N; i++) {
		size_t n = k[i].p != NULL ? k[i].n : 0;

		e->off[i] = r->strings.len;
		e->len[i] = (uint32_t)n;
		rs_buf_append(&r->strings, k[i].p, n);
	}
	if (r->strings.failed) {
		return -1;
	}
	r->slots[j] = (uint32_t)++r->n;
	if (2 * r->n > r->nslots && grow_slots(r) != 0) {
		return -1;
	}
	return 0;
}

void rs_rollup_record(const rs_rollup_t *r, size_t i, rs_record_t *rec,
                      uint32_t *line_idx)
{
	const entry_t *e = &r->e[i];
	rs_str_t *f[K_N];

	rs_record_reset(rec);
	f[K_SENDING_IP] = &rec->sending_ip;
	f[K_SENDING_POOL] = &rec->sending_pool;
	f[K_VMTA] = &rec->vmta;
	f[K_LOG_HOST] = &rec->log_host;
	f[K_DOMAIN] = &rec->recipient_domain;
	f[K_MX] = &rec->remote_host;
	for (int k = 0; k < K_N; k++) {
		f[k]->p = e->len[k] > 0 ? r->strings.data + e->off[k] : NULL;
		f[k]->n = e->len[k];
	}
	rec->status = RS_STATUS_SENT;
	rec->mta = (rs_mta_t)e->mta;
	rec->stage = (rs_stage_t)e->stage;
	rec->log_time_ms = e->minute >= 0 ? e->minute * 60000 : 0;
	rec->aggregated_count = e->count;
	*line_idx = e->line_idx;
}
