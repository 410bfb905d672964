/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eventpb.c - DeferralEvent in protobuf wire format by hand; see eventpb.h.
 *
 * What protobuf-c 1.4 does for this proto3 message, and so what this
 * does: fields in field-number order; a singular field is left out when
 * it is zero (a NULL or empty string, 0, false, a double that compares
 * equal to 0, so -0.0 too, a NULL message); repeated strings are written
 * one by one, empty ones included; enums and int32 are written as int32
 * (a negative value as ten bytes, sign-extended), int64 as its two's
 * complement uint64, doubles as eight little-endian bytes; a nested
 * message as its length and its fields. There are no unknown fields in a
 * message this program builds.
 *
 * One walk over the fields writes straight into the output buffer,
 * checking its room field by field (it grows only while the buffer is
 * young). The delimited form leaves two bytes for the length, the usual
 * size of an event's, and moves the message when it needs one or three.
 */
#include "event/eventpb.h"

#include <string.h>

/* Wire types. */
#define WT_VARINT 0
#define WT_FIXED64 1
#define WT_LEN 2

/* Bytes a key and a varint take at most. */
#define KEY_MAX 5
#define VARINT_MAX 10

/* Room the delimited form leaves for the length: lengths of 128 to
 * 16383 bytes, which is what an event's is. */
#define LEN_GAP 2

/* Where the next bytes go in the output buffer. */
typedef struct pbw {
	rs_buf_t *out;
	uint8_t *p;   /* next byte */
	uint8_t *end; /* end of the room reserved so far */
} pbw_t;

/* Bytes of v as a varint. */
static inline size_t varint_len(uint64_t v)
{
	size_t n = 1;

	while (v >= 0x80) {
		v >>= 7;
		n++;
	}
	return n;
}

/* Make room for n more bytes; 0 when out of memory (out->failed). */
static inline int room(pbw_t *w, size_t n)
{
	char *dst;

	if ((size_t)(w->end - w->p) >= n) {
		return 1;
	}
	w->out->len = (size_t)((char *)w->p - w->out->data);
	dst = rs_buf_reserve(w->out, n);
	if (dst == NULL) {
		return 0;
	}
	w->p = (uint8_t *)dst;
	w->end = (uint8_t *)w->out->data + w->out->cap;
	return 1;
}

/* Write v as a varint; room already made. */
static inline void varint(pbw_t *w, uint64_t v)
{
	while (v >= 0x80) {
		*w->p++ = (uint8_t)(v | 0x80);
		v >>= 7;
	}
	*w->p++ = (uint8_t)v;
}

/* A varint field: key and value. */
static inline void put_varint_field(pbw_t *w, unsigned field, uint64_t v)
{
	if (room(w, KEY_MAX + VARINT_MAX)) {
		varint(w, (uint64_t)field << 3 | WT_VARINT);
		varint(w, v);
	}
}

/* A uint64 / uint32 field (also int64 as two's complement). */
static inline void put_u64(pbw_t *w, unsigned field, uint64_t v)
{
	if (v != 0) {
		put_varint_field(w, field, v);
	}
}

/* An int32 or enum field: negative values sign-extended to 64 bits. */
static inline void put_i32(pbw_t *w, unsigned field, int32_t v)
{
	if (v != 0) {
		put_varint_field(w, field, (uint64_t)(int64_t)v);
	}
}

static inline void put_double(pbw_t *w, unsigned field, double d)
{
	uint64_t bits;

	if (d == 0 || !room(w, KEY_MAX + 8)) {
		return;
	}
	varint(w, (uint64_t)field << 3 | WT_FIXED64);
	memcpy(&bits, &d, sizeof(bits));
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
	memcpy(w->p, &bits, 8);
#else
	for (int i = 0; i < 8; i++) {
		w->p[i] = (uint8_t)(bits >> (8 * i));
	}
#endif
	w->p += 8;
}

/* A string, written whatever it holds (an element of a repeated field). */
static inline void put_str_always(pbw_t *w, unsigned field, const char *s)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (!room(w, KEY_MAX + VARINT_MAX + n)) {
		return;
	}
	varint(w, (uint64_t)field << 3 | WT_LEN);
	varint(w, n);
	if (n > 0) {
		memcpy(w->p, s, n);
		w->p += n;
	}
}

/* A singular string: left out when NULL or empty. */
static inline void put_str(pbw_t *w, unsigned field, const char *s)
{
	if (s != NULL && s[0] != '\0') {
		put_str_always(w, field, s);
	}
}

/* Size of a Delays message's fields. */
static inline size_t delays_size(const Replyscan__V1__Delays *d)
{
	return 9 * (size_t)((d->total != 0) + (d->before_queue != 0) +
	                    (d->in_queue != 0) + (d->connection != 0) +
	                    (d->transmission != 0));
}

/* Every field of the event, in field-number order. */
static void put_event(pbw_t *w, const Replyscan__V1__DeferralEvent *ev)
{
	put_str(w, 1, ev->log_time);
	put_u64(w, 2, (uint64_t)ev->log_time_unix_ms);
	put_u64(w, 3, (uint64_t)ev->ingest_time_unix_ms);
	put_str(w, 4, ev->log_host);
	put_i32(w, 5, (int32_t)ev->mta);
	put_str(w, 6, ev->program);
	put_str(w, 7, ev->queue_id);
	put_i32(w, 8, (int32_t)ev->status);
	put_str(w, 9, ev->recipient);
	put_str(w, 10, ev->recipient_domain);
	put_str(w, 11, ev->sender);
	put_str(w, 12, ev->remote_host);
	put_str(w, 13, ev->remote_ip);
	put_u64(w, 14, ev->remote_port);
	put_i32(w, 15, (int32_t)ev->stage);
	put_u64(w, 16, ev->reply_code);
	put_str(w, 17, ev->enhanced_code);
	put_str(w, 18, ev->reply_text);
	put_u64(w, 19, ev->reply_text_truncated ? 1 : 0);
	put_i32(w, 20, (int32_t)ev->cause);
	put_str(w, 21, ev->rule_id);
	for (size_t i = 0; i < ev->n_tags; i++) {
		put_str_always(w, 22, ev->tags[i]);
	}
	if (ev->delays != NULL) {
		const Replyscan__V1__Delays *d = ev->delays;
		if (!room(w, KEY_MAX + VARINT_MAX)) {
			return;
		}
		varint(w, 23u << 3 | WT_LEN);
		varint(w, delays_size(d));
		put_double(w, 1, d->total);
		put_double(w, 2, d->before_queue);
		put_double(w, 3, d->in_queue);
		put_double(w, 4, d->connection);
		put_double(w, 5, d->transmission);
	}
	put_str(w, 24, ev->source);
	put_u64(w, 25, ev->line);
	put_i32(w, 26, ev->partition);
	put_u64(w, 27, (uint64_t)ev->offset);
	put_i32(w, 28, (int32_t)ev->stage_inferred);
	put_i32(w, 29, (int32_t)ev->stage_source);
	put_str(w, 30, ev->sending_ip);
	put_str(w, 31, ev->sending_pool);
	put_str(w, 32, ev->vmta);
	put_str(w, 33, ev->job_id);
	put_str(w, 34, ev->tenant);
	put_str(w, 35, ev->campaign);
	put_u64(w, 36, ev->aggregated_count);
}

void rs_eventpb_write(const Replyscan__V1__DeferralEvent *ev, int delim,
                      rs_buf_t *out)
{
	size_t start = out->len, body, size, k;
	pbw_t w;

	/* Some room first, so that the buffer has memory to point into. */
	if (rs_buf_reserve(out, KEY_MAX + VARINT_MAX + LEN_GAP) == NULL) {
		return;
	}
	w.out = out;
	w.p = (uint8_t *)out->data + out->len;
	w.end = (uint8_t *)out->data + out->cap;
	if (delim) {
		w.p += LEN_GAP;
	}
	body = (size_t)((char *)w.p - out->data);
	put_event(&w, ev);
	if (out->failed) {
		out->len = start;
		return;
	}
	out->len = (size_t)((char *)w.p - out->data);
	if (!delim) {
		return;
	}
	size = out->len - body;
	k = varint_len(size);
	if (k != LEN_GAP) {
		/* Move the message to make the length's room fit. */
		if (k > LEN_GAP && rs_buf_reserve(out, k - LEN_GAP) == NULL) {
			out->len = start;
			return;
		}
		memmove(out->data + start + k, out->data + body, size);
		out->len = start + k + size;
	}
	w.p = (uint8_t *)out->data + start;
	varint(&w, size);
}
