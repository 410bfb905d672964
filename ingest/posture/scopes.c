/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scopes.c - interned names and the open-addressing scope table
 * (scopes.h).
 */
#include "posture/scopes.h"

#include <stdlib.h>
#include <string.h>

#include "util/hash.h"

static uint64_t hash_bytes(const void *p, size_t n)
{
	uint64_t h = rs_hash_bytes(RS_HASH_SEED, p, n); /* then a mix */

	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	return h;
}

static uint64_t hash_key(uint64_t k)
{
	k ^= k >> 33;
	k *= 0xff51afd7ed558ccdull;
	k ^= k >> 33;
	k *= 0xc4ceb9fe1a85ec53ull;
	k ^= k >> 33;
	return k;
}

/* ---- names ---- */

typedef struct pname {
	char *s;
	uint64_t hash;
} pname_t;

struct rs_pnames {
	pname_t *names; /* [id], id 0 unused */
	size_t n, cap;
	uint32_t *slots; /* id, 0 empty */
	size_t nslots;
};

rs_pnames_t *rs_pnames_new(void)
{
	rs_pnames_t *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		return NULL;
	}
	t->nslots = 1024;
	t->slots = calloc(t->nslots, sizeof(*t->slots));
	t->cap = 256;
	t->names = calloc(t->cap, sizeof(*t->names));
	t->n = 1;
	if (t->slots == NULL || t->names == NULL ||
	    rs_pnames_id(t, "*", 1) != RS_PNAME_ANY) {
		rs_pnames_free(t);
		return NULL;
	}
	return t;
}

void rs_pnames_free(rs_pnames_t *t)
{
	if (t == NULL) {
		return;
	}
	for (size_t i = 1; i < t->n; i++) {
		free(t->names[i].s);
	}
	free(t->names);
	free(t->slots);
	free(t);
}

static int names_grow(rs_pnames_t *t)
{
	size_t nslots = t->nslots * 2;
	uint32_t *slots = calloc(nslots, sizeof(*slots));

	if (slots == NULL) {
		return -1;
	}
	for (size_t id = 1; id < t->n; id++) {
		size_t i = t->names[id].hash & (nslots - 1);

		while (slots[i] != 0) {
			i = (i + 1) & (nslots - 1);
		}
		slots[i] = (uint32_t)id;
	}
	free(t->slots);
	t->slots = slots;
	t->nslots = nslots;
	return 0;
}

uint32_t rs_pnames_id(rs_pnames_t *t, const char *name, size_t len)
{
	uint64_t h = hash_bytes(name, len);
	size_t i = h & (t->nslots - 1);
	char *copy;

	while (t->slots[i] != 0) {
		const pname_t *p = &t->names[t->slots[i]];

		if (p->hash == h && strncmp(p->s, name, len) == 0 &&
		    p->s[len] == '\0') {
			return t->slots[i];
		}
		i = (i + 1) & (t->nslots - 1);
	}
	if (t->n >= UINT32_MAX - 1) {
		return 0;
	}
	if (t->n == t->cap) {
		pname_t *names = realloc(t->names, 2 * t->cap * sizeof(*names));

		if (names == NULL) {
			return 0;
		}
		t->names = names;
		t->cap *= 2;
	}
	copy = malloc(len + 1);
	if (copy == NULL) {
		return 0;
	}
	memcpy(copy, name, len);
	copy[len] = '\0';
	t->names[t->n].s = copy;
	t->names[t->n].hash = h;
	t->slots[i] = (uint32_t)t->n;
	t->n++;
	if (2 * t->n > t->nslots && names_grow(t) != 0) {
		/* Still correct, only fuller; the next call tries again. */
	}
	return (uint32_t)(t->n - 1);
}

uint32_t rs_pnames_lookup(const rs_pnames_t *t, const char *name, size_t len)
{
	uint64_t h = hash_bytes(name, len);
	size_t i = h & (t->nslots - 1);

	while (t->slots[i] != 0) {
		const pname_t *p = &t->names[t->slots[i]];

		if (p->hash == h && strncmp(p->s, name, len) == 0 &&
		    p->s[len] == '\0') {
			return t->slots[i];
		}
		i = (i + 1) & (t->nslots - 1);
	}
	return 0;
}

const char *rs_pnames_get(const rs_pnames_t *t, uint32_t id)
{
	return id > 0 && id < t->n ? t->names[id].s : "";
}

uint64_t rs_pnames_hash(const rs_pnames_t *t, uint32_t id)
{
	return id > 0 && id < t->n ? t->names[id].hash : 0;
}

size_t rs_pnames_count(const rs_pnames_t *t)
{
	return t->n - 1;
}

/* ---- scopes ---- */

struct rs_pscopes {
	rs_pscope_t *rec; /* dense */
	size_t n, cap, max;
	uint64_t *keys;  /* index: key, 0 empty */
	uint32_t *where; /* index: dense position */
	size_t nslots;
};

rs_pscopes_t *rs_pscopes_new(size_t max)
{
	rs_pscopes_t *t = calloc(1, sizeof(*t));

	if (t == NULL) {
		return NULL;
	}
	t->max = max > 0 && max < UINT32_MAX ? max : 1;
	t->nslots = 64;
	t->keys = calloc(t->nslots, sizeof(*t->keys));
	t->where = calloc(t->nslots, sizeof(*t->where));
	if (t->keys == NULL || t->where == NULL) {
		rs_pscopes_free(t);
		return NULL;
	}
	return t;
}

void rs_pscopes_free(rs_pscopes_t *t)
{
	if (t == NULL) {
		return;
	}
	for (size_t i = 0; i < t->n; i++) {
		free(t->rec[i].reply);
	}
	free(t->rec);
	free(t->keys);
	free(t->where);
	free(t);
}

static size_t slot_of(const rs_pscopes_t *t, uint64_t key)
{
	size_t i = hash_key(key) & (t->nslots - 1);

	while (t->keys[i] != 0 && t->keys[i] != key) {
		i = (i + 1) & (t->nslots - 1);
	}
	return i;
}

static int index_grow(rs_pscopes_t *t)
{
	size_t nslots = t->nslots * 2;
	uint64_t *keys = calloc(nslots, sizeof(*keys));
	uint32_t *where = calloc(nslots, sizeof(*where));
	uint64_t *ok = t->keys;
	uint32_t *ow = t->where;
	size_t on = t->nslots;

	if (keys == NULL || where == NULL) {
		free(keys);
		free(where);
		return -1;
	}
	t->keys = keys;
	t->where = where;
	t->nslots = nslots;
	for (size_t i = 0; i < on; i++) {
		if (ok[i] != 0) {
			size_t j = slot_of(t, ok[i]);

			t->keys[j] = ok[i];
			t->where[j] = ow[i];
		}
	}
	free(ok);
	free(ow);
	return 0;
}

rs_pscope_t *rs_pscopes_find(const rs_pscopes_t *t, uint64_t key)
{
	size_t i = slot_of(t, key);

	return t->keys[i] == key ? &t->rec[t->where[i]] : NULL;
}

rs_pscope_t *rs_pscopes_get(rs_pscopes_t *t, uint64_t key, int *created)
{
	size_t i = slot_of(t, key);
	rs_pscope_t *s;

	*created = 0;
	if (t->keys[i] == key) {
		return &t->rec[t->where[i]];
	}
	if (t->n >= t->max) {
		return NULL;
	}
	if (2 * (t->n + 1) > t->nslots) {
		if (index_grow(t) != 0) {
			return NULL;
		}
		i = slot_of(t, key);
	}
	if (t->n == t->cap) {
		size_t cap = t->cap ? 2 * t->cap : 64;
		rs_pscope_t *rec;

		if (cap > t->max) {
			cap = t->max;
		}
		rec = realloc(t->rec, cap * sizeof(*rec));
		if (rec == NULL) {
			return NULL;
		}
		t->rec = rec;
		t->cap = cap;
	}
	s = &t->rec[t->n];
	memset(s, 0, sizeof(*s) - sizeof(s->w));
	rs_pw_init(&s->w);
	s->key = key;
	s->posture = 1; /* observe */
	t->keys[i] = key;
	t->where[i] = (uint32_t)t->n;
	t->n++;
	*created = 1;
	return s;
}

void rs_pscopes_remove_at(rs_pscopes_t *t, size_t pos)
{
	size_t i = slot_of(t, t->rec[pos].key), j;

	free(t->rec[pos].reply);
	/* Backward-shift deletion keeps every probe chain unbroken. */
	t->keys[i] = 0;
	j = i;
	for (;;) {
		size_t home;

		j = (j + 1) & (t->nslots - 1);
		if (t->keys[j] == 0) {
			break;
		}
		home = hash_key(t->keys[j]) & (t->nslots - 1);
		/* Move j into the hole i unless its home lies cyclically in
		 * (i, j]. */
		if ((i <= j) ? (home <= i || home > j)
		             : (home <= i && home > j)) {
			t->keys[i] = t->keys[j];
			t->where[i] = t->where[j];
			t->keys[j] = 0;
			i = j;
		}
	}
	t->n--;
	if (pos != t->n) {
		t->rec[pos] = t->rec[t->n];
		t->where[slot_of(t, t->rec[pos].key)] = (uint32_t)pos;
	}
}

size_t rs_pscopes_count(const rs_pscopes_t *t)
{
	return t->n;
}

rs_pscope_t *rs_pscopes_at(rs_pscopes_t *t, size_t i)
{
	return &t->rec[i];
}
