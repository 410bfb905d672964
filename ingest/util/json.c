/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.c - the allocation-free JSON reader; see json.h.
 */
#include "util/json.h"

#include <stdint.h>
#include <string.h>

#include "util/num.h"
#include "util/str.h"

/* Skip JSON whitespace. */
const char *rs_json_skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
		p++;
	}
	return p;
}

/* Four hex digits at p (p + 4 <= end is checked by the caller); -1 if not. */
static long hex4(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int d = rs_num_hex(p[i]);
		if (d < 0) {
			return -1;
		}
		v = v * 16 + d;
	}
	return v;
}

/* Bytes with every byte b: (uint64_t)b * ONES. */
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/*
 * The special bytes among the eight at p: '"', '\\' and control bytes
 * (< 0x20), each as the high bit of its byte in the result; 0 when there
 * is none. These are the exact "some byte is zero" / "some byte is less
 * than n" word tricks: a borrow can flag a byte above a special one, never
 * one below it, so the lowest flagged byte is special.
 */
static uint64_t string_special8(const char *p)
{
	uint64_t x, q, b;

	memcpy(&x, p, sizeof(x));
	q = x ^ ('"' * ONES);
	b = x ^ ('\\' * ONES);
	return (((x - 0x20 * ONES) & ~x) | ((q - ONES) & ~q) |
	        ((b - ONES) & ~b)) &
	       HIGHS;
}

/*
 * WORD_SKIP(m): how many ordinary bytes come before the first special one
 * of a word whose string_special8() is m (not 0); WORD_TAIL: how many
 * bytes from there are then read one by one. Without a way to find the
 * lowest flagged byte, the whole word is.
 */
#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                            \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define WORD_SKIP(m) ((size_t)__builtin_ctzll(m) / 8)
#define WORD_TAIL 1
#else
#define WORD_SKIP(m) ((size_t)0)
#define WORD_TAIL 8
#endif

/* p after a backslash: the last byte of the escape, or NULL with *why. */
static const char *skip_escape(const char *p, const char *e, const char **why)
{
	if (p >= e) {
		*why = "JSON: unterminated string";
		return NULL;
	}
	switch (*p) {
	case '"':
	case '\\':
	case '/':
	case 'b':
	case 'f':
	case 'n':
	case 'r':
	case 't':
		return p;
	case 'u':
		if (e - p < 5 || hex4(p + 1) < 0) {
			*why = "JSON: \\u escape without four hex digits";
			return NULL;
		}
		return p + 4;
	default:
		*why = "JSON: unknown escape in a string";
		return NULL;
	}
}

/*
 * p at '"': the byte after the closing quote, or NULL with *why set.
 * Log records are mostly plain strings, so runs of eight ordinary bytes
 * are passed over a word at a time, up to the first special byte; that
 * byte (or, near the end, the rest) is read on its own.
 */
static const char *skip_string(const char *p, const char *e, const char **why)
{
	p++;
	while (p < e) {
		const char *stop;

		stop = e;
		while (e - p >= 8) {
			uint64_t m = string_special8(p);
			if (m != 0) {
				p += WORD_SKIP(m);
				stop = p + WORD_TAIL;
				break;
			}
			p += 8;
		}
		for (; p < stop; p++) {
			unsigned char c = (unsigned char)*p;

			if (c == '"') {
				return p + 1;
			}
			if (c < 0x20) {
				*why = "JSON: control byte inside a string";
				return NULL;
			}
			if (c == '\\') {
				p = skip_escape(p + 1, e, why);
				if (p == NULL) {
					return NULL;
				}
			}
		}
	}
	*why = "JSON: unterminated string";
	return NULL;
}

/* A JSON number at p: the byte after it, or NULL. */
static const char *skip_number(const char *p, const char *e)
{
	if (p < e && *p == '-') {
		p++;
	}
	if (p >= e || !rs_str_isdigit(*p)) {
		return NULL;
	}
	if (*p == '0') {
		p++;
	} else {
		while (p < e && rs_str_isdigit(*p)) {
			p++;
		}
	}
	if (p < e && *p == '.') {
		p++;
		if (p >= e || !rs_str_isdigit(*p)) {
			return NULL;
		}
		while (p < e && rs_str_isdigit(*p)) {
			p++;
		}
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-')) {
			p++;
		}
		if (p >= e || !rs_str_isdigit(*p)) {
			return NULL;
		}
		while (p < e && rs_str_isdigit(*p)) {
			p++;
		}
	}
	return p;
}

/* Start iterating the container whose opening bracket is at p. */
void rs_json_open(rs_json_iter_t *it, const char *p, const char *e, int depth)
{
	it->p = p + 1;
	it->e = e;
	it->depth = depth;
	it->first = 1;
}

/*
 * Step to the next element of a container closed by `close`: 1 with the
 * value (and, for objects, the key without quotes), 0 after the closing
 * bracket, -1 with *why on a syntax error.
 */
int rs_json_next(rs_json_iter_t *it, char close, rs_str_t *key, rs_str_t *val,
                 const char **why)
{
	const char *p = rs_json_skip_ws(it->p, it->e);
	const char *e = it->e;
	const char *end;

	if (p < e && *p == close && it->first) {
		it->p = p + 1;
		return 0;
	}
	if (!it->first) {
		if (p < e && *p == close) {
			it->p = p + 1;
			return 0;
		}
		if (p >= e || *p != ',') {
			*why = p >= e ? "JSON ends inside an "
			                "object or array"
			              : "JSON: expected ',' or a "
			                "closing bracket in JSON";
			return -1;
		}
		p = rs_json_skip_ws(p + 1, e);
	}
	it->first = 0;
	if (close == '}') {
		if (p >= e || *p != '"') {
			*why = p >= e ? "JSON ends inside an "
			                "object"
			              : "JSON: expected a quoted key "
			                "in a JSON object";
			return -1;
		}
		end = skip_string(p, e, why);
		if (end == NULL) {
			return -1;
		}
		*key = rs_str(p + 1, (size_t)(end - p - 2));
		p = rs_json_skip_ws(end, e);
		if (p >= e || *p != ':') {
			*why = "JSON: expected ':' after a key in "
			       "a JSON object";
			return -1;
		}
		p = rs_json_skip_ws(p + 1, e);
	}
	end = rs_json_skip_value(p, e, it->depth, why);
	if (end == NULL) {
		return -1;
	}
	*val = rs_str(p, (size_t)(end - p));
	it->p = end;
	return 1;
}

/* Skip the object or array at p; the byte after it, or NULL. */
static const char *skip_container(const char *p, const char *e, int depth,
                                  const char **why)
{
	rs_json_iter_t it;
	rs_str_t key, val;
	char close = *p == '{' ? '}' : ']';
	int r;

	if (depth > RS_JSON_MAX_DEPTH) {
		*why = "JSON nested too deeply";
		return NULL;
	}
	rs_json_open(&it, p, e, depth);
	while ((r = rs_json_next(&it, close, &key, &val, why)) == 1) {
	}
	return r == 0 ? it.p : NULL;
}

/* Skip one JSON value at p; the byte after it, or NULL with *why set. */
const char *rs_json_skip_value(const char *p, const char *e, int depth,
                               const char **why)
{
	const char *end;

	if (p >= e) {
		*why = "JSON ends where a value should be";
		return NULL;
	}
	switch (*p) {
	case '"':
		return skip_string(p, e, why);
	case '{':
	case '[':
		return skip_container(p, e, depth + 1, why);
	case 't':
		if (rs_str_starts(p, (size_t)(e - p), "true")) {
			return p + 4;
		}
		break;
	case 'f':
		if (rs_str_starts(p, (size_t)(e - p), "false")) {
			return p + 5;
		}
		break;
	case 'n':
		if (rs_str_starts(p, (size_t)(e - p), "null")) {
			return p + 4;
		}
		break;
	default:
		end = skip_number(p, e);
		if (end != NULL) {
			return end;
		}
		break;
	}
	*why = "not a JSON value (string, number, object, array, true, false "
	       "or null)";
	return NULL;
}

/* Put code point cp as UTF-8 at dst if it fits in cap; bytes, 0 if not. */
static size_t put_utf8(char *dst, size_t cap, unsigned long cp)
{
	size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

	if (n > cap) {
		return 0;
	}
	switch (n) {
	case 1:
		dst[0] = (char)cp;
		break;
	case 2:
		dst[0] = (char)(0xc0 | (cp >> 6));
		dst[1] = (char)(0x80 | (cp & 0x3f));
		break;
	case 3:
		dst[0] = (char)(0xe0 | (cp >> 12));
		dst[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		dst[2] = (char)(0x80 | (cp & 0x3f));
		break;
	default:
		dst[0] = (char)(0xf0 | (cp >> 18));
		dst[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		dst[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		dst[3] = (char)(0x80 | (cp & 0x3f));
		break;
	}
	return n;
}

/*
 * Decode the body of a JSON string (between the quotes) into dst, stopping
 * before the first character that does not fit in cap. Returns 0 and the
 * length in *out, or -1 on a malformed escape or a lone surrogate. The
 * decoded text is never longer than the body.
 */
int rs_json_decode_string(const char *p, size_t n, char *dst, size_t cap,
                          size_t *out)
{
	const char *e = p + n;
	size_t o = 0;

	while (p < e) {
		unsigned long cp;
		size_t w;

		if (*p != '\\') {
			if (o >= cap) {
				break;
			}
			dst[o++] = *p++;
			continue;
		}
		if (e - p < 2) {
			return -1;
		}
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
			cp = (unsigned char)p[1];
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u': {
			long hi = e - p >= 6 ? hex4(p + 2) : -1;
			long lo;

			if (hi < 0 || (hi >= 0xdc00 && hi <= 0xdfff)) {
				return -1;
			}
			cp = (unsigned long)hi;
			if (hi >= 0xd800 && hi <= 0xdbff) {
				lo =
				    (e - p >= 12 && p[6] == '\\' && p[7] == 'u')
					? hex4(p + 8)
					: -1;
				if (lo < 0xdc00 || lo > 0xdfff) {
					return -1;
				}
				cp = 0x10000 +
				     (((unsigned long)hi - 0xd800) << 10) +
				     ((unsigned long)lo - 0xdc00);
				p += 6;
			}
			p += 4;
			break;
		}
		default:
			return -1;
		}
		w = put_utf8(dst + o, cap - o, cp);
		if (w == 0) {
			break;
		}
		o += w;
		p += 2;
	}
	*out = o;
	return 0;
}

int rs_json_string_value(rs_record_t *rec, rs_str_t val, rs_str_t *out)
{
	rs_str_t body;
	char *dst;
	size_t used;

	*out = RS_STR_NULL;
	if (rs_json_is_null(val)) {
		return 0;
	}
	if (val.n < 2 || val.p[0] != '"') {
		return RS_JSON_NOT_STRING;
	}
	body = rs_str(val.p + 1, val.n - 2);
	if (memchr(body.p, '\\', body.n) == NULL) {
		*out = body;
		return 0;
	}
	dst = rs_record_arena_alloc(rec, body.n);
	if (dst == NULL) {
		return RS_JSON_ARENA_FULL;
	}
	if (rs_json_decode_string(body.p, body.n, dst, body.n, &used) != 0) {
		rec->arena_used -= body.n;
		return RS_JSON_BAD_STRING;
	}
	/* Give back what decoding saved; dst was the last allocation. */
	rec->arena_used -= body.n - used;
	*out = rs_str(dst, used);
	return 0;
}
