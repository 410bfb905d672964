/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evread.c - DeferralEvent fields from wire bytes, and the delimited
 * stream reader (evread.h). The field numbers are those of
 * proto/replyscan/v1/event.proto.
 */
#include "posture/evread.h"

#include <stdlib.h>
#include <string.h>

static int varint(const unsigned char **p, const unsigned char *e, uint64_t *v)
{
	uint64_t x = 0;

	for (int shift = 0; shift < 64 && *p < e; shift += 7) {
		unsigned char b = *(*p)++;

		x |= (uint64_t)(b & 0x7f) << shift;
		if ((b & 0x80) == 0) {
			*v = x;
			return 0;
		}
	}
	return -1;
}

int rs_pevent_decode(const void *data, size_t len, rs_pevent_t *ev)
{
	const unsigned char *p = data, *e = p + len;
	rs_str_t ip = {0}, pool = {0}, vmta = {0}, host = {0};

	memset(ev, 0, sizeof(*ev));
	while (p < e) {
		uint64_t key, v;
		rs_str_t s;

		if (varint(&p, e, &key) != 0) {
			return -1;
		}
		switch (key & 7) {
		case 0:
			if (varint(&p, e, &v) != 0) {
				return -1;
			}
			switch (key >> 3) {
			case 2:
				ev->t_ms = (int64_t)v;
				break;
			case 8:
				ev->status = (int)v;
				break;
			case 16:
				ev->reply_code = (unsigned)v;
				break;
			case 20:
				ev->cause = (int)v;
				break;
			case 36:
				ev->count =
				    v > UINT32_MAX ? UINT32_MAX : (uint32_t)v;
				break;
			default:
				break;
			}
			break;
		case 2:
			if (varint(&p, e, &v) != 0 || v > (uint64_t)(e - p)) {
				return -1;
			}
			s.p = (const char *)p;
			s.n = (size_t)v;
			p += v;
			switch (key >> 3) {
			case 4:
				host = s;
				break;
			case 10:
				ev->recipient_domain = s;
				break;
			case 12:
				ev->remote_host = s;
				break;
			case 17:
				ev->enhanced_code = s;
				break;
			case 18:
				ev->reply_text = s;
				break;
			case 22:
				if (ev->ntags < RS_PEV_MAX_TAGS) {
					ev->tags[ev->ntags++] = s;
				}
				break;
			case 30:
				ip = s;
				break;
			case 31:
				pool = s;
				break;
			case 32:
				vmta = s;
				break;
			default:
				break;
			}
			break;
		case 1:
			if (e - p < 8) {
				return -1;
			}
			p += 8;
			break;
		case 5:
			if (e - p < 4) {
				return -1;
			}
			p += 4;
			break;
		default:
			return -1;
		}
	}
	ev->sending = ip.n ? ip : pool.n ? pool : vmta.n ? vmta : host;
	if (ev->count == 0) {
		ev->count = 1; /* one line; a rollup says how many */
	}
	return 0;
}

void rs_pbreader_init(rs_pbreader_t *r, FILE *in)
{
	memset(r, 0, sizeof(*r));
	r->in = in;
}

void rs_pbreader_free(rs_pbreader_t *r)
{
	free(r->buf);
	r->buf = NULL;
}

/* Have at least need bytes from pos in the buffer, reading more. */
static int fill(rs_pbreader_t *r, size_t need)
{
	while (r->len - r->pos < need && !r->eof) {
		size_t got;

		if (r->pos > 0) {
			memmove(r->buf, r->buf + r->pos, r->len - r->pos);
			r->offset += r->pos;
			r->len -= r->pos;
			r->pos = 0;
		}
		if (r->cap - r->len < need || r->cap - r->len < 65536) {
			size_t cap = r->cap ? r->cap * 2 : 1 << 20;
			unsigned char *b;

			while (cap - r->len < need) {
				cap *= 2;
			}
			b = realloc(r->buf, cap);
			if (b == NULL) {
				return -1;
			}
			r->buf = b;
			r->cap = cap;
		}
		got = fread(r->buf + r->len, 1, r->cap - r->len, r->in);
		r->len += got;
		if (got == 0) {
			r->eof = 1;
		}
	}
	return r->len - r->pos >= need ? 0 : -1;
}

int rs_pbreader_next(rs_pbreader_t *r, const void **data, size_t *len,
                     char *errstr, size_t errstr_size)
{
	const unsigned char *p, *e;
	uint64_t n;

	fill(r, 10);
	if (r->pos == r->len) {
		return 0;
	}
	p = r->buf + r->pos;
	e = r->buf + r->len;
	if (varint(&p, e, &n) != 0 || n > (64u << 20)) {
		snprintf(errstr, errstr_size,
		         "byte %llu: not a message length (is the input "
		         "`classify --format pb`?)",
		         (unsigned long long)(r->offset + r->pos));
		return -1;
	}
	r->pos = (size_t)(p - r->buf);
	if (fill(r, (size_t)n) != 0) {
		snprintf(
		    errstr, errstr_size,
		    "byte %llu: the stream ends inside a %llu-byte message",
		    (unsigned long long)(r->offset + r->pos),
		    (unsigned long long)n);
		return -1;
	}
	*data = r->buf + r->pos;
	*len = (size_t)n;
	r->pos += (size_t)n;
	return 1;
}
