/* SPDX-License-Identifier: Apache-2.0 */
/*
 * utf8.c - UTF-8 validation, cleaning and JSON string literals; see
 * utf8.h.
 */
#include "util/utf8.h"

#include <stdint.h>
#include <string.h>

size_t rs_utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];

	if (c < 0x80) {
		return 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		return (n >= 2 && (p[1] & 0xc0) == 0x80) ? 2 : 0;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80) {
			return 0;
		}
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f)) {
			return 0; /* overlong, or a UTF-16 surrogate */
		}
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80) {
			return 0;
		}
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f)) {
			return 0;
		}
		return 4;
	}
	return 0;
}

/*
 * Length of the run of bytes 0x01-0x7f at p, which are copied as they
 * are; eight bytes at a time, since every event's strings pass here and
 * are nearly always ASCII.
 */
static size_t ascii_run(const unsigned char *p, size_t n)
{
	const uint64_t high = 0x8080808080808080ull;
	const uint64_t ones = 0x0101010101010101ull;
	size_t i = 0;

	while (i + 8 <= n) {
		uint64_t w;

		memcpy(&w, p + i, 8);
		/* A byte >= 0x80, or a NUL byte, ends the run. */
		if ((w & high) != 0 || ((w - ones) & ~w & high) != 0) {
			break;
		}
		i += 8;
	}
	while (i < n && p[i] != 0 && p[i] < 0x80) {
		i++;
	}
	return i;
}

size_t rs_utf8_clean(const char *src, size_t n, char *dst, size_t max,
                     int *truncated)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0;

	*truncated = 0;
	while (i < n) {
		size_t l = ascii_run(s + i, n - i);

		if (l > 0) {
			if (l > max - o) {
				memcpy(dst + o, s + i, max - o);
				o = max;
				*truncated = 1;
				break;
			}
			memcpy(dst + o, s + i, l);
			o += l;
			i += l;
			continue;
		}
		l = s[i] == 0 ? 0 : rs_utf8_seq_len(s + i, n - i);
		if (l == 0) {
			if (o + 3 > max) {
				*truncated = 1;
				break;
			}
			memcpy(dst + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		if (o + l > max) {
			*truncated = 1;
			break;
		}
		memcpy(dst + o, s + i, l);
		o += l;
		i += l;
	}
	return o;
}

static const char hex[] = "0123456789abcdef";

size_t rs_utf8_json_escape(unsigned char c, char esc[6])
{
	static const char shortcut[0x20] = {
	    ['\n'] = 'n', ['\r'] = 'r', ['\t'] = 't'};

	if (c == '"' || c == '\\') {
		esc[0] = '\\';
		esc[1] = (char)c;
		return 2;
	}
	if (c >= 0x20 && c != 0x7f) {
		return 0;
	}
	esc[0] = '\\';
	if (c < 0x20 && shortcut[c] != 0) {
		esc[1] = shortcut[c];
		return 2;
	}
	esc[1] = 'u';
	esc[2] = '0';
	esc[3] = '0';
	esc[4] = hex[c >> 4];
	esc[5] = hex[c & 15];
	return 6;
}

void rs_utf8_json_string(rs_buf_t *out, const char *s, size_t n)
{
	size_t run = 0;

	rs_buf_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		char esc[6];
		size_t k;

		if (c >= 0x20 && c != '"' && c != '\\' && c != 0x7f) {
			continue;
		}
		k = rs_utf8_json_escape(c, esc);
		rs_buf_append(out, s + run, i - run);
		rs_buf_append(out, esc, k);
		run = i + 1;
	}
	rs_buf_append(out, s + run, n - run);
	rs_buf_putc(out, '"');
}
