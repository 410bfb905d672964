/* SPDX-License-Identifier: Apache-2.0 */
/*
 * value.c - configuration values as text: integers, sizes with units,
 * durations with units, booleans, enum names, and the forms they are
 * written back in. Stricter than strtod and friends on purpose: no sign
 * where none makes sense, no exponent, hex, inf or nan, nothing trailing.
 */
#include "config/config_private.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define KIB ((double)1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)

const char *rs_config_show(const char *value, char *buf, size_t size)
{
	size_t n = strlen(value);

	if (n == 0) {
		snprintf(buf, size, "\"\"");
	} else if (n > RS_CONFIG_SHOW_MAX) {
		snprintf(buf, size, "%.*s...", RS_CONFIG_SHOW_MAX - 3, value);
	} else {
		snprintf(buf, size, "%s", value);
	}
	return buf;
}

int rs_config_parse_int(const char *s, long long *out)
{
	const char *p = s;
	char *end;

	if (*p == '+' || *p == '-') {
		p++;
	}
	if (!isdigit((unsigned char)*p)) {
		return -1;
	}
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0' ? 0 : -1;
}

/*
 * "123" or "12.5" at s; the length of the number, 0 if none. Stricter
 * than strtod: no sign, exponent, hex, inf or nan.
 */
static size_t scan_number(const char *s, double *out)
{
	size_t n = 0;
	char tmp[64];

	while (isdigit((unsigned char)s[n])) {
		n++;
	}
	if (n == 0) {
		return 0;
	}
	if (s[n] == '.' && isdigit((unsigned char)s[n + 1])) {
		n++;
		while (isdigit((unsigned char)s[n])) {
			n++;
		}
	}
	if (n >= sizeof(tmp)) {
		return 0;
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*out = strtod(tmp, NULL);
	return n;
}

/* A number and a unit of units[0..n) (case-insensitive with ci). */
typedef struct unit {
	const char *unit;
	double mult;
} unit_t;

static int parse_with_unit(const char *s, const unit_t *units, size_t n, int ci,
                           double *out)
{
	double v;
	size_t len = scan_number(s, &v);

	if (len == 0) {
		return -1;
	}
	s += len;
	while (*s == ' ') {
		s++;
	}
	for (size_t i = 0; i < n; i++) {
		if ((ci ? strcasecmp(s, units[i].unit)
		        : strcmp(s, units[i].unit)) == 0) {
			*out = v * units[i].mult;
			return 0;
		}
	}
	return -1;
}

int rs_config_parse_size(const char *s, double *out)
{
	static const unit_t units[] = {
	    {"", 1},      {"b", 1},     {"k", KIB},   {"kib", KIB},
	    {"kb", 1000}, {"m", MIB},   {"mib", MIB}, {"mb", 1e6},
	    {"g", GIB},   {"gib", GIB}, {"gb", 1e9},
	};

	if (parse_with_unit(s, units, sizeof(units) / sizeof(units[0]), 1,
	                    out) != 0) {
		return -1;
	}
	*out = floor(*out);
	return 0;
}

int rs_config_parse_seconds(const char *s, double *out)
{
	static const unit_t units[] = {
	    {"", 1},   {"s", 1},    {"ms", 0.001},
	    {"m", 60}, {"min", 60}, {"h", 3600},
	};

	return parse_with_unit(s, units, sizeof(units) / sizeof(units[0]), 0,
	                       out);
}

int rs_config_parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(s, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(s, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

void rs_config_format_size(double v, char *buf, size_t size)
{
	unsigned long long b = (unsigned long long)v;

	if (b != 0 && b % (1ULL << 30) == 0) {
		snprintf(buf, size, "%lluGiB", b >> 30);
	} else if (b != 0 && b % (1ULL << 20) == 0) {
		snprintf(buf, size, "%lluMiB", b >> 20);
	} else if (b != 0 && b % (1ULL << 10) == 0) {
		snprintf(buf, size, "%lluKiB", b >> 10);
	} else {
		snprintf(buf, size, "%llu", b);
	}
}

void rs_config_enum_names(const rs_config_enum_t *e, const char *sep, char *buf,
                          size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (; e->name != NULL && len < size; e++) {
		int r = snprintf(buf + len, size - len, "%s%s",
		                 len > 0 ? sep : "", e->name);

		if (r < 0) {
			break;
		}
		len += (size_t)r;
	}
}

const char *rs_config_enum_name(const rs_config_enum_t *e, int value)
{
	for (; e->name != NULL; e++) {
		if (e->value == value) {
			return e->name;
		}
	}
	return "?";
}
