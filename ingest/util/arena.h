/* SPDX-License-Identifier: Apache-2.0 */
/*
 * arena.h - a chunked bump allocator: many small strings and arrays that
 * live and die together (a loaded rule set), freed in one call.
 *
 * Ownership: the arena owns every chunk; pointers it hands out stay valid
 * until rs_arena_free. @locality one thread at a time.
 */
#ifndef RS_ARENA_H
#define RS_ARENA_H

#include <stddef.h>

typedef struct rs_arena rs_arena_t;

/* n bytes aligned for any type from *arena (NULL starts an empty one);
 * NULL when out of memory. */
void *rs_arena_alloc(rs_arena_t **arena, size_t n);

/* A NUL-terminated copy of n bytes of s; NULL when out of memory. */
char *rs_arena_strndup(rs_arena_t **arena, const char *s, size_t n);

/* Free every chunk; NULL is allowed. */
void rs_arena_free(rs_arena_t *arena);

#endif
