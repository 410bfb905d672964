/* SPDX-License-Identifier: Apache-2.0 */
/*
 * buf.c - growable byte buffer; see buf.h.
 */
#include "util/buf.h"

#include <stdlib.h>
#include <string.h>

char *rs_buf_reserve(rs_buf_t *buf, size_t n)
{
	if (buf->failed) {
		return NULL;
	}
	if (n > SIZE_MAX / 2 - buf->len) {
		buf->failed = 1;
		return NULL;
	}
	if (buf->len + n > buf->cap) {
		size_t cap = buf->cap ? buf->cap : 4096;
		char *p;

		while (cap < buf->len + n) {
			cap *= 2;
		}
		p = realloc(buf->data, cap);
		if (p == NULL) {
			buf->failed = 1;
			return NULL;
		}
		buf->data = p;
		buf->cap = cap;
	}
	return buf->data + buf->len;
}

void rs_buf_append(rs_buf_t *buf, const void *p, size_t n)
{
	char *dst = rs_buf_reserve(buf, n);

	if (dst != NULL && n > 0) {
		memcpy(dst, p, n);
		buf->len += n;
	}
}

void rs_buf_puts(rs_buf_t *buf, const char *s)
{
	rs_buf_append(buf, s, strlen(s));
}

void rs_buf_putc(rs_buf_t *buf, char c)
{
	char *dst = rs_buf_reserve(buf, 1);

	if (dst != NULL) {
		*dst = c;
		buf->len++;
	}
}

void rs_buf_put_u64(rs_buf_t *buf, uint64_t v)
{
	char tmp[24];
	size_t i = sizeof(tmp);

	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v != 0);
	rs_buf_append(buf, tmp + i, sizeof(tmp) - i);
}

void rs_buf_put_i64(rs_buf_t *buf, int64_t v)
{
	if (v < 0) {
		rs_buf_putc(buf, '-');
		rs_buf_put_u64(buf, (uint64_t)0 - (uint64_t)v);
	} else {
		rs_buf_put_u64(buf, (uint64_t)v);
	}
}

void rs_buf_put_varint(rs_buf_t *buf, uint64_t v)
{
	char tmp[10];
	size_t i = 0;

	while (v >= 0x80) {
		tmp[i++] = (char)((v & 0x7f) | 0x80);
		v >>= 7;
	}
	tmp[i++] = (char)v;
	rs_buf_append(buf, tmp, i);
}

void rs_buf_reset(rs_buf_t *buf)
{
	buf->len = 0;
}

void rs_buf_free(rs_buf_t *buf)
{
	free(buf->data);
	memset(buf, 0, sizeof(*buf));
}
