/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record.c - reset and arena helpers for rs_record_t.
 */
#include "event/record.h"

#include <string.h>

void rs_record_reset(rs_record_t *rec)
{
	char *arena = rec->arena;
	size_t cap = rec->arena_cap;

	memset(rec, 0, sizeof(*rec));
	rec->stage = RS_STAGE_UNKNOWN;
	rec->delays.total = -1;
	rec->delays.before_queue = -1;
	rec->delays.in_queue = -1;
	rec->delays.connection = -1;
	rec->delays.transmission = -1;
	rec->arena = arena;
	rec->arena_cap = cap;
}

char *rs_record_arena_alloc(rs_record_t *rec, size_t n)
{
	char *p;

	if (rec->arena == NULL || n > rec->arena_cap - rec->arena_used) {
		return NULL;
	}
	p = rec->arena + rec->arena_used;
	rec->arena_used += n;
	return p;
}

char *rs_record_arena_copy(rs_record_t *rec, const char *p, size_t n)
{
	char *dst = rs_record_arena_alloc(rec, n);

	if (dst != NULL && n > 0) {
		memcpy(dst, p, n);
	}
	return dst;
}

void rs_record_set_recipient(rs_record_t *rec, rs_str_t addr)
{
	rec->recipient = addr;
	for (size_t i = addr.n; i-- > 0;) {
		if (addr.p[i] == '@') {
			if (i + 1 < addr.n) {
				rec->recipient_domain.p = addr.p + i + 1;
				rec->recipient_domain.n = addr.n - i - 1;
			}
			return;
		}
	}
}
