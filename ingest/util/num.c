/* SPDX-License-Identifier: Apache-2.0 */
/*
 * num.c - numbers and durations from byte slices; see num.h.
 */
#include "util/num.h"

/* Is c an ASCII digit? */
static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

size_t rs_num_decimal(const char *p, size_t n, double *out)
{
	double v = 0, scale = 0.1;
	size_t i = 0;

	if (n > 24) {
		n = 24;
	}
	while (i < n && is_digit(p[i])) {
		v = v * 10 + (p[i] - '0');
		i++;
	}
	if (i == 0) {
		return 0;
	}
	if (i + 1 < n && p[i] == '.' && is_digit(p[i + 1])) {
		i++;
		while (i < n && is_digit(p[i])) {
			v += (p[i] - '0') * scale;
			scale /= 10;
			i++;
		}
	}
	*out = v;
	return i;
}

int rs_num_seconds(const char *p, size_t n, double *out)
{
	double v;

	if (n == 0 || n > 24 || rs_num_decimal(p, n, &v) != n) {
		return -1;
	}
	*out = v;
	return 0;
}

int rs_num_hms(const char *p, size_t n, double *out)
{
	size_t i = 0;
	double days = 0;
	int v[3];

	if (p == NULL) {
		return -1;
	}
	while (i < n && i < 6 && is_digit(p[i])) {
		days = days * 10 + (p[i] - '0');
		i++;
	}
	if (i < n && p[i] == '+' && i > 0) {
		p += i + 1;
		n -= i + 1;
	} else {
		days = 0;
	}
	if (n != 8 || p[2] != ':' || p[5] != ':') {
		return -1;
	}
	for (int k = 0; k < 3; k++) {
		if (!is_digit(p[k * 3]) || !is_digit(p[k * 3 + 1])) {
			return -1;
		}
		v[k] = (p[k * 3] - '0') * 10 + (p[k * 3 + 1] - '0');
	}
	*out = days * 86400 + v[0] * 3600 + v[1] * 60 + v[2];
	return 0;
}

double rs_num_units(const char *p, size_t n)
{
	const char *e = p + n;
	double total = 0;
	int units = 0;

	while (p < e && is_digit(*p)) {
		double v;
		size_t used = rs_num_decimal(p, (size_t)(e - p), &v);

		p += used;
		if (p >= e) {
			return -1;
		}
		switch (*p++) {
		case 'w':
			total += v * 604800;
			break;
		case 'd':
			total += v * 86400;
			break;
		case 'h':
			total += v * 3600;
			break;
		case 'm':
			total += v * 60;
			break;
		case 's':
			total += v;
			break;
		default:
			return -1;
		}
		units++;
	}
	return units > 0 ? total : -1;
}

int rs_num_uint(const char *p, size_t n, uint64_t *out)
{
	uint64_t v = 0;

	if (n == 0 || n > 18) {
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		if (!is_digit(p[i])) {
			return -1;
		}
		v = v * 10 + (uint64_t)(p[i] - '0');
	}
	*out = v;
	return 0;
}

int rs_num_epoch_ms(const char *p, size_t n, int64_t *ms)
{
	size_t i = 0, k;
	uint64_t v = 0;
	int64_t frac = 0, scale = 100;

	/* 19 digits fit: 10^19 - 1 < 2^64. */
	while (i < n && i < 19 && is_digit(p[i])) {
		v = v * 10 + (uint64_t)(p[i] - '0');
		i++;
	}
	k = i;
	if (k == 0 || (i < n && is_digit(p[i]))) {
		return -1;
	}
	if (i < n && p[i] == '.') {
		for (i++; i < n && is_digit(p[i]); i++) {
			frac += (p[i] - '0') * scale;
			scale /= 10;
		}
	}
	if (i != n) {
		return -1;
	}
	if (k <= 11) {
		*ms = (int64_t)v * 1000 + frac;
	} else if (k <= 14) {
		*ms = (int64_t)v;
	} else if (k <= 17) {
		*ms = (int64_t)(v / 1000);
	} else {
		*ms = (int64_t)(v / 1000000);
	}
	return 0;
}

size_t rs_num_tai64n(const char *p, size_t n, int64_t *ms)
{
	/* 2^62 + 10: the TAI64 label of the Unix epoch (tai64nlocal). */
	const uint64_t epoch = 0x400000000000000aULL;
	uint64_t secs = 0, nano = 0;

	if (n < 25 || p[0] != '@') {
		return 0;
	}
	for (size_t i = 1; i < 25; i++) {
		int v = rs_num_hex(p[i]);
		if (v < 0) {
			return 0;
		}
		if (i <= 16) {
			secs = secs << 4 | (uint64_t)v;
		} else {
			nano = nano << 4 | (uint64_t)v;
		}
	}
	if (secs < epoch || secs - epoch > 253402300799ULL ||
	    nano > 999999999) {
		return 0;
	}
	*ms = (int64_t)(secs - epoch) * 1000 + (int64_t)(nano / 1000000);
	return 25;
}
