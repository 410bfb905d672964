/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fields.c - field readers shared by the format parsers; see fields.h.
 */
#include "formats/fields.h"

#include "util/str.h"

#define LIT_LEN(s) (sizeof(s) - 1)

/* Longest "[...]" read as an address: IPv6 with a zone fits. */
#define IP_MAX 64

/* Longest queue id taken. */
#define QID_MAX 32

/* Is c an ASCII letter or digit? */
static int is_alnum(char c)
{
	return rs_str_isdigit(c) || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

int rs_fields_kv_next(const char **pp, const char *e, rs_fields_kv_t *kv)
{
	const char *p = *pp;

	for (;;) {
		const char *k, *q;

		while (p < e && *p == ' ') {
			p++;
		}
		if (p >= e) {
			*pp = p;
			return 0;
		}
		k = p;
		while (p < e && *p != ' ' && *p != '=') {
			p++;
		}
		if (p >= e || *p == ' ' || p == k) {
			/* A word without '=' (or "=x"): not a pair. */
			while (p < e && *p != ' ') {
				p++;
			}
			continue;
		}
		kv->key = rs_str(k, (size_t)(p - k));
		p++;
		kv->escaped = 0;
		kv->quoted = p < e && *p == '"';
		if (!kv->quoted) {
			q = memchr(p, ' ', (size_t)(e - p));
			q = q != NULL ? q : e;
			kv->val = rs_str(p, (size_t)(q - p));
			*pp = q;
			return 1;
		}
		for (q = ++p; q < e && *q != '"'; q++) {
			if (*q == '\\' && q + 1 < e) {
				kv->escaped = 1;
				q++;
			}
		}
		kv->val = rs_str(p, (size_t)((q < e ? q : e) - p));
		*pp = q < e ? q + 1 : e;
		return 1;
	}
}

size_t rs_fields_kv_unescape(rs_str_t val, char *dst)
{
	size_t n = 0;

	for (size_t i = 0; i < val.n; i++) {
		if (val.p[i] == '\\' && i + 1 < val.n) {
			i++;
		}
		dst[n++] = val.p[i];
	}
	return n;
}

/* rs_fields_is_host_char() as a table: letters, digits, '.', '-', '_'.
 * Host names are walked byte by byte (backwards from a '['), so one
 * lookup per byte. */
static const unsigned char host_char[256] = {
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1,
    0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
    1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
    0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
};

int rs_fields_is_host_char(char c)
{
	return host_char[(unsigned char)c];
}

size_t rs_fields_qid(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && i <= QID_MAX && is_alnum(p[i])) {
		i++;
	}
	if (i == 0 || i > QID_MAX || i >= n || p[i] != ':' ||
	    rs_str_eq(p, i, "NOQUEUE")) {
		return 0;
	}
	return i;
}

size_t rs_fields_angle_end(const char *p, size_t n)
{
	int quoted = 0;

	for (size_t i = 1; i < n; i++) {
		if (quoted) {
			if (p[i] == '\\') {
				i++;
			} else if (p[i] == '"') {
				quoted = 0;
			}
			continue;
		}
		if (p[i] == '"') {
			quoted = 1;
		} else if (p[i] == '>') {
			return i + 1;
		} else if (p[i] == ',' && i + 1 < n && p[i + 1] == ' ') {
			return 0;
		}
	}
	return 0;
}

rs_str_t rs_fields_strip_angle(rs_str_t s)
{
	if (s.n >= 2 && s.p[0] == '<' && s.p[s.n - 1] == '>') {
		return rs_str(s.p + 1, s.n - 2);
	}
	return s;
}

const char *rs_fields_key_n(const char *p, size_t n, const char *key, size_t l)
{
	const char *q = p, *end = p + n;

	while (q < end) {
		const char *hit = rs_str_find_n(q, (size_t)(end - q), key, l);
		if (hit == NULL) {
			return NULL;
		}
		if (hit == p || hit[-1] == ' ' || hit[-1] == ',') {
			return hit + l;
		}
		q = hit + 1;
	}
	return NULL;
}

rs_str_t rs_fields_comma_value(const char *v, const char *end)
{
	const char *sep = rs_str_find(v, (size_t)(end - v), ", ");

	return rs_str(v, (size_t)((sep == NULL ? end : sep) - v));
}

uint32_t rs_fields_port(const char *p, size_t n)
{
	uint32_t v = 0;

	if (n == 0 || n > 5) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!rs_str_isdigit(p[i])) {
			return 0;
		}
		v = v * 10 + (uint32_t)(p[i] - '0');
	}
	return v <= 65535 ? v : 0;
}

uint32_t rs_fields_port_prefix(const char *p, size_t n)
{
	size_t d = 0;

	while (d < n && d <= 5 && rs_str_isdigit(p[d])) {
		d++;
	}
	return rs_fields_port(p, d);
}

int rs_fields_host_addr(const char *p, size_t n, rs_str_t *host, rs_str_t *ip,
                        uint32_t *port)
{
	for (size_t i = 1; i < n; i++) {
		/* Candidates start at a '[': go from one to the next. */
		const char *bracket = memchr(p + i, '[', n - i);
		size_t start, a, close, j;

		if (bracket == NULL) {
			break;
		}
		i = (size_t)(bracket - p);
		start = i;
		a = close = i + 1;
		if (!host_char[(unsigned char)p[i - 1]]) {
			continue;
		}
		while (start > 0 && host_char[(unsigned char)p[start - 1]]) {
			start--;
		}
		while (close < n && p[close] != ']' && p[close] != ' ') {
			close++;
		}
		if (close >= n || p[close] != ']' || close == a) {
			continue;
		}
		*host = rs_str(p + start, i - start);
		if (rs_str_starts(p + a, close - a, "IPv6:")) {
			a += LIT_LEN("IPv6:");
		}
		*ip = rs_str_is_ip(p + a, close - a) ? rs_str(p + a, close - a)
		                                     : RS_STR_NULL;
		*port = 0;
		j = close + 1;
		if (j + 1 < n && p[j] == ':') {
			*port = rs_fields_port_prefix(p + j + 1, n - j - 1);
		}
		return 1;
	}
	return 0;
}

rs_str_t rs_fields_bracket_ip(const char *p, size_t n)
{
	const char *close;

	if (n < 2 || p[0] != '[') {
		return RS_STR_NULL;
	}
	close = memchr(p, ']', n < IP_MAX + 2 ? n : IP_MAX + 2);
	if (close == NULL) {
		return RS_STR_NULL;
	}
	p++;
	if (rs_str_starts(p, (size_t)(close - p), "IPv6:")) {
		p += LIT_LEN("IPv6:");
	}
	return rs_str_is_ip(p, (size_t)(close - p))
	           ? rs_str(p, (size_t)(close - p))
	           : RS_STR_NULL;
}

const rs_syslog_t *rs_fields_syslog_of(rs_logline_t *ll,
                                       int (*is_program)(rs_str_t program),
                                       rs_parse_result_t *res, const char **why)
{
	const rs_syslog_t *sl = rs_logline_syslog(ll);

	if (sl == NULL) {
		*why = "not a syslog line (expected \"<time> <host> "
		       "<program>[pid]: <message>\")";
		*res = RS_PARSE_MALFORMED;
		return NULL;
	}
	if (!is_program(sl->program) || sl->msg.p == NULL) {
		*res = RS_PARSE_SKIP;
		return NULL;
	}
	return sl;
}
