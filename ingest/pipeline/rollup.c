/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rollup.c - counting delivered lines per key and interval (rollup.h).
 *
 * An open-addressing table of entry indexes over an array of entries in
 * first-seen order, the key strings in one buffer. Taking entries out
 * rebuilds the array, the strings and the slots from what is left: it
 * happens once an interval, not per line.
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
	int64_t slot; /* log time / interval; -1 when the line has none */
	size_t off[K_N];
	uint32_t len[K_N];
	uint32_t count;
	int mta, stage;
	rs_provenance_t last; /* of the last line counted */
} entry_t;

/* The lowest offset counted of one partition in one interval. */
typedef struct mark {
	const char *topic;
	int32_t partition;
	int64_t slot;
	int64_t offset;
} mark_t;

struct rs_rollup {
	int64_t interval_ms;
	entry_t *e;
	size_t n, cap;
	uint32_t *slots; /* entry index + 1; 0 empty */
	size_t nslots;
	rs_buf_t strings;
	mark_t *marks;
	size_t nmarks, marks_cap;
	size_t last_mark; /* where the previous line's mark was */
	int64_t newest;
};

rs_rollup_t *rs_rollup_new(int64_t interval_ms)
{
	rs_rollup_t *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		return NULL;
	}
	r->interval_ms = interval_ms > 0 ? interval_ms : RS_ROLLUP_INTERVAL_MS;
	r->newest = -1;
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
	free(r->marks);
	rs_buf_free(&r->strings);
	free(r);
}

void rs_rollup_reset(rs_rollup_t *r)
{
	if (r->n > 0) {
		memset(r->slots, 0, r->nslots * sizeof(*r->slots));
	}
	r->n = 0;
	r->nmarks = 0;
	r->last_mark = 0;
	r->newest = -1;
	rs_buf_reset(&r->strings);
}

size_t rs_rollup_count(const rs_rollup_t *r)
{
	return r->n;
}

int64_t rs_rollup_newest(const rs_rollup_t *r)
{
	return r->newest;
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

static uint64_t key_hash(const rs_str_t k[K_N], int64_t slot, int mta,
                         int stage)
{
	uint64_t h = RS_HASH_SEED;

	for (int i = 0; i < K_N; i++) {
		h = mix(h, k[i].p, k[i].p != NULL ? k[i].n : 0);
	}
	h = mix(h, &slot, sizeof(slot));
	h ^= (uint64_t)mta << 8 ^ (uint64_t)stage;
	h ^= h >> 29;
	return h;
}

static int same(const rs_rollup_t *r, const entry_t *e, const rs_str_t k[K_N],
                int64_t slot, int mta, int stage)
{
	if (e->slot != slot || e->mta != mta || e->stage != stage) {
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

/* Rebuild the slots for the entries there are, at nslots. -1 when out of
 * memory (the old slots are kept). */
static int rehash(rs_rollup_t *r, size_t nslots)
{
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

/* Lower the mark of (topic, partition, slot) to offset. 0 or -1. */
static int mark(rs_rollup_t *r, const char *topic, int32_t partition,
                int64_t slot, int64_t offset)
{
	mark_t *m;

	if (r->last_mark < r->nmarks) {
		m = &r->marks[r->last_mark];
		if (m->topic == topic && m->partition == partition &&
		    m->slot == slot) {
			if (offset < m->offset) {
				m->offset = offset;
			}
			return 0;
		}
	}
	for (size_t i = 0; i < r->nmarks; i++) {
		m = &r->marks[i];
		if (m->topic == topic && m->partition == partition &&
		    m->slot == slot) {
			if (offset < m->offset) {
				m->offset = offset;
			}
			r->last_mark = i;
			return 0;
		}
	}
	if (r->nmarks == r->marks_cap) {
		size_t cap = r->marks_cap ? 2 * r->marks_cap : 16;
		mark_t *nm = realloc(r->marks, cap * sizeof(*nm));

		if (nm == NULL) {
			return -1;
		}
		r->marks = nm;
		r->marks_cap = cap;
	}
	m = &r->marks[r->nmarks];
	m->topic = topic;
	m->partition = partition;
	m->slot = slot;
	m->offset = offset;
	r->last_mark = r->nmarks++;
	return 0;
}

/* Add count lines of key k to the entry of (k, slot, mta, stage). */
static int add_key(rs_rollup_t *r, const rs_str_t k[K_N], int64_t slot, int mta,
                   int stage, uint32_t count, const rs_provenance_t *prov)
{
	uint64_t h = key_hash(k, slot, mta, stage);
	size_t j;
	entry_t *e;

	if (slot > r->newest) {
		r->newest = slot;
	}
	for (j = h & (r->nslots - 1); r->slots[j] != 0;
	     j = (j + 1) & (r->nslots - 1)) {
		e = &r->e[r->slots[j] - 1];
		if (e->hash == h && same(r, e, k, slot, mta, stage)) {
			e->count += count;
			e->last = *prov;
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
	e->slot = slot;
	e->mta = mta;
	e->stage = stage;
	e->count = count;
	e->last = *prov;
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
	if (2 * r->n > r->nslots && rehash(r, r->nslots * 2) != 0) {
		return -1;
	}
	return 0;
}

int rs_rollup_add(rs_rollup_t *r, const rs_record_t *rec,
                  const rs_provenance_t *prov)
{
	rs_str_t k[K_N];
	int64_t slot =
	    rec->log_time_ms > 0 ? rec->log_time_ms / r->interval_ms : -1;

	key_strings(rec, k);
	if (prov->partition >= 0 && prov->offset >= 0 &&
	    mark(r, prov->source, prov->partition, slot, prov->offset) != 0) {
		return -1;
	}
	return add_key(r, k, slot, (int)rec->mta, (int)rec->stage, 1, prov);
}

/* The key strings of entry e of r. */
static void entry_key(const rs_rollup_t *r, const entry_t *e, rs_str_t k[K_N])
{
	for (int i = 0; i < K_N; i++) {
		k[i].p = e->len[i] > 0 ? r->strings.data + e->off[i] : NULL;
		k[i].n = e->len[i];
	}
}

int rs_rollup_merge(rs_rollup_t *dst, const rs_rollup_t *src)
{
	for (size_t i = 0; i < src->nmarks; i++) {
		const mark_t *m = &src->marks[i];

		if (mark(dst, m->topic, m->partition, m->slot, m->offset) !=
		    0) {
			return -1;
		}
	}
	for (size_t i = 0; i < src->n; i++) {
		const entry_t *e = &src->e[i];
		rs_str_t k[K_N];

		entry_key(src, e, k);
		if (add_key(dst, k, e->slot, e->mta, e->stage, e->count,
		            &e->last) != 0) {
			return -1;
		}
	}
	return 0;
}

long rs_rollup_take(rs_rollup_t *r, int64_t before,
                    void (*fn)(void *ctx, const rs_record_t *rec,
                               const rs_provenance_t *prov),
                    void *ctx)
{
	rs_buf_t kept = {0};
	size_t n = 0, nm = 0, need = 0;
	long taken = 0;
	rs_record_t rec;

	for (size_t i = 0; i < r->n; i++) {
		if (r->e[i].slot >= before) {
			for (int f = 0; f < K_N; f++) {
				need += r->e[i].len[f];
			}
		} else {
			taken++;
		}
	}
	if (taken == 0) {
		return 0;
	}
	/* The strings of what stays, in a new buffer made before anything
	 * is handed out: out of memory takes nothing. */
	if (need > 0 && rs_buf_reserve(&kept, need) == NULL) {
		rs_buf_free(&kept);
		return -1;
	}
	memset(&rec, 0, sizeof(rec));
	for (size_t i = 0; i < r->n; i++) {
		entry_t *e = &r->e[i];
		rs_str_t k[K_N];

		if (e->slot >= before) {
			continue;
		}
		entry_key(r, e, k);
		rs_record_reset(&rec);
		rec.sending_ip = k[K_SENDING_IP];
		rec.sending_pool = k[K_SENDING_POOL];
		rec.vmta = k[K_VMTA];
		rec.log_host = k[K_LOG_HOST];
		rec.recipient_domain = k[K_DOMAIN];
		rec.remote_host = k[K_MX];
		rec.status = RS_STATUS_SENT;
		rec.mta = (rs_mta_t)e->mta;
		rec.stage = (rs_stage_t)e->stage;
		rec.log_time_ms = e->slot >= 0 ? e->slot * r->interval_ms : 0;
		rec.aggregated_count = e->count;
		fn(ctx, &rec, &e->last);
	}
	for (size_t i = 0; i < r->n; i++) {
		entry_t *e = &r->e[i];

		if (e->slot < before) {
			continue;
		}
		for (int f = 0; f < K_N; f++) {
			size_t off = kept.len;

			rs_buf_append(&kept, r->strings.data + e->off[f],
			              e->len[f]);
			e->off[f] = off;
		}
		r->e[n++] = *e;
	}
	for (size_t i = 0; i < r->nmarks; i++) {
		if (r->marks[i].slot >= before) {
			r->marks[nm++] = r->marks[i];
		}
	}
	r->nmarks = nm;
	r->last_mark = 0;
	rs_buf_free(&r->strings);
	r->strings = kept;
	r->n = n;
	memset(r->slots, 0, r->nslots * sizeof(*r->slots));
	for (size_t i = 0; i < r->n; i++) {
		size_t j = r->e[i].hash & (r->nslots - 1);

		while (r->slots[j] != 0) {
			j = (j + 1) & (r->nslots - 1);
		}
		r->slots[j] = (uint32_t)i + 1;
	}
	return taken;
}

int64_t rs_rollup_hold(const rs_rollup_t *r, const char *topic,
                       int32_t partition)
{
	int64_t low = -1;

	for (size_t i = 0; i < r->nmarks; i++) {
		const mark_t *m = &r->marks[i];

		if (m->topic == topic && m->partition == partition &&
		    (low < 0 || m->offset < low)) {
			low = m->offset;
		}
	}
	return low;
}
