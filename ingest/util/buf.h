/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf.h - a growable byte buffer for output batches.
 *
 * Ownership: the buffer owns its memory; rs_buf_free releases it. Growth
 * doubles the capacity, so appending a batch costs amortised O(1) and the
 * buffer is reused from batch to batch (rs_buf_reset keeps the memory).
 * Allocation failure is sticky: rs_buf_failed() tells, and appends become
 * no-ops, so that callers check once per batch, not per write.
 */
#ifndef RS_BUF_H
#define RS_BUF_H

#include <stddef.h>
#include <stdint.h>

typedef struct rs_buf {
	char *data;
	size_t len;
	size_t cap;
	int failed;
} rs_buf_t;

/* Make room for n more bytes; returns a pointer to them or NULL. */
char *rs_buf_reserve(rs_buf_t *buf, size_t n);

/* Append bytes. */
void rs_buf_append(rs_buf_t *buf, const void *p, size_t n);

/* Append a NUL-terminated string (without the NUL). */
void rs_buf_puts(rs_buf_t *buf, const char *s);

/* Append one byte. */
void rs_buf_putc(rs_buf_t *buf, char c);

/* Append an unsigned / signed integer in decimal. */
void rs_buf_put_u64(rs_buf_t *buf, uint64_t v);
void rs_buf_put_i64(rs_buf_t *buf, int64_t v);

/* Append a protobuf base-128 varint. */
void rs_buf_put_varint(rs_buf_t *buf, uint64_t v);

/* Forget the contents, keep the memory. */
void rs_buf_reset(rs_buf_t *buf);

/* Release the memory. */
void rs_buf_free(rs_buf_t *buf);

#endif
