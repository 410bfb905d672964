/* SPDX-License-Identifier: Apache-2.0 */
/*
 * arena.c - the chunked bump allocator; see arena.h.
 */
#include "util/arena.h"

#include <stdlib.h>
#include <string.h>

struct rs_arena {
	struct rs_arena *next;
	size_t used;
	size_t cap;
	max_align_t data[];
};

#define ARENA_CHUNK 65536

void *rs_arena_alloc(rs_arena_t **arena, size_t n)
{
	struct rs_arena *a = *arena;
	size_t align = sizeof(max_align_t);
	size_t need = (n + align - 1) / align * align;

	if (need < n) {
		return NULL;
	}
	if (a == NULL || a->cap - a->used < need) {
		size_t cap = need > ARENA_CHUNK ? need : ARENA_CHUNK;
		struct rs_arena *c = malloc(sizeof(*c) + cap);
		if (c == NULL) {
			return NULL;
		}
		c->next = a;
		c->used = 0;
		c->cap = cap;
		*arena = c;
		a = c;
	}
	void *p = (char *)a->data + a->used;
	a->used += need;
	return p;
}

/* Copy n bytes into the arena and NUL-terminate them. */
char *rs_arena_strndup(rs_arena_t **arena, const char *s, size_t n)
{
	char *p = rs_arena_alloc(arena, n + 1);

	if (p == NULL) {
		return NULL;
	}
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Free every chunk of an arena. */
void rs_arena_free(rs_arena_t *a)
{
	while (a != NULL) {
		struct rs_arena *next = a->next;
		free(a);
		a = next;
	}
}
