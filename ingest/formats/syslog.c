/* SPDX-License-Identifier: Apache-2.0 */
/*
 * syslog.c - split syslog lines (RFC 3164, ISO 8601 stamped, RFC 5424).
 *
 * Nothing is copied: the result points into the line. RFC 3164 stamps
 * carry no year; the year is taken from the wall clock once per thread per
 * second at most, so the hot path makes no system call per line.
 */
#include "formats/syslog.h"

#include <stdint.h>
#include <string.h>
#include <time.h>

#include "util/str.h"

static const char months[12][4] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                   "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};

/*
 * Bytes that end a syslog tag ("prog[pid]: "): '[', ':' and ' '. Every
 * syslog line passes its tag through this, so one table lookup per byte.
 */
static const unsigned char tag_stop[256] = {[(unsigned char)'['] = 1,
                                            [(unsigned char)':'] = 1,
                                            [(unsigned char)' '] = 1};

#if defined(__GNUC__) && defined(__BYTE_ORDER__) &&                            \
    __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define TAG_WORDS 1
#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/*
 * Tags are mostly longer than a word ("postfix/qmgr",
 * "postfix-198.51.100.47/smtp"), so they are passed over eight bytes at
 * a time: the high bit of each byte of the eight at p that is '[', ':'
 * or ' '; 0 when none is. A borrow can flag a byte above a flagged one,
 * never one below it, so the lowest flagged byte is the first stop.
 */
static uint64_t tag_stops8(const char *p)
{
	uint64_t x, a, b, c;

	memcpy(&x, p, sizeof(x));
	a = x ^ ('[' * ONES);
	b = x ^ (':' * ONES);
	c = x ^ (' ' * ONES);
	return (((a - ONES) & ~a) | ((b - ONES) & ~b) | ((c - ONES) & ~c)) &
	       HIGHS;
}
#else
#define TAG_WORDS 0
#endif

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian, m 1-12). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

/* Read exactly k digits at p into *v; 0 on success. */
static inline int digits(const char *p, size_t n, size_t k, int *v)
{
	int x = 0;

	if (n < k) {
		return -1;
	}
	for (size_t i = 0; i < k; i++) {
		if (!rs_str_isdigit(p[i])) {
			return -1;
		}
		x = x * 10 + (p[i] - '0');
	}
	*v = x;
	return 0;
}

/* Days in month m (1-12) of year y; leap years per the Gregorian rule. */
static int days_in_month(int y, int m)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30,
	                              31, 31, 30, 31, 30, 31};

	if (m == 2 && y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)) {
		return 29;
	}
	return mdays[m - 1];
}

/* The milliseconds of the fraction digits from p[i] on (more than three
 * digits are read and dropped); where the digits end. */
static size_t frac_ms_at(const char *p, size_t n, size_t i, int64_t *ms)
{
	int64_t scale = 100;

	for (*ms = 0; i < n && rs_str_isdigit(p[i]); i++) {
		*ms += (p[i] - '0') * scale;
		scale /= 10;
	}
	return i;
}

size_t rs_syslog_parse_iso(const char *p, size_t n, int64_t *ms)
{
	int y, mo, d, h, mi, s;
	int64_t frac_ms = 0;
	int64_t offset_s = 0;
	size_t i;

	if (n < 19 || digits(p, n, 4, &y) || p[4] != '-' ||
	    digits(p + 5, n - 5, 2, &mo) || p[7] != '-' ||
	    digits(p + 8, n - 8, 2, &d) || (p[10] != 'T' && p[10] != ' ') ||
	    digits(p + 11, n - 11, 2, &h) || p[13] != ':' ||
	    digits(p + 14, n - 14, 2, &mi) || p[16] != ':' ||
	    digits(p + 17, n - 17, 2, &s)) {
		return 0;
	}
	if (mo < 1 || mo > 12 || d < 1 || d > days_in_month(y, mo) || h > 23 ||
	    mi > 59 || s > 60) {
		return 0;
	}
	i = 19;
	if (i < n && (p[i] == '.' || p[i] == ',')) {
		i = frac_ms_at(p, n, i + 1, &frac_ms);
	}
	if (i < n && p[i] == 'Z') {
		i++;
	} else if (i < n && (p[i] == '+' || p[i] == '-')) {
		/* "+hh:mm", "+hhmm" or "+hh"; a zone left unread would be
		 * skipped by the caller and the time taken as UTC. */
		int oh, om = 0;
		size_t used = 0;
		if (digits(p + i + 1, n - i - 1, 2, &oh) == 0) {
			used = 3;
			if (i + 6 <= n && p[i + 3] == ':' &&
			    digits(p + i + 4, n - i - 4, 2, &om) == 0) {
				used = 6;
			} else if (digits(p + i + 3, n - i - 3, 2, &om) == 0) {
				used = 5;
			} else {
				om = 0;
			}
		}
		if (used == 0 || oh > 23 || om > 59) {
			return 0;
		}
		offset_s = (int64_t)oh * 3600 + om * 60;
		if (p[i] == '-') {
			offset_s = -offset_s;
		}
		i += used;
	}
	*ms = ((days_from_civil(y, (unsigned)mo, (unsigned)d) * 86400 +
	        h * 3600 + mi * 60 + s - offset_s) *
	       1000) +
	      frac_ms;
	return i;
}

/* The current UTC year and month, refreshed at most once a second. */
static void current_year_month(int *year, int *month)
{
	static _Thread_local time_t cached_at;
	static _Thread_local int cy, cm;
	time_t now = time(NULL);

	if (now != cached_at) {
		struct tm tm;
		gmtime_r(&now, &tm);
		cy = tm.tm_year + 1900;
		cm = tm.tm_mon + 1;
		cached_at = now;
	}
	*year = cy;
	*month = cm;
}

/* Month 1-12 of a three-letter English name at p, -1 if none. The
 * second letter narrows the candidates to at most three. */
static int month_of(const char *p)
{
	static const signed char by_second[26][3] = {
	    ['a' - 'a'] = {1, 3, 5},  /* Jan Mar May */
	    ['c' - 'a'] = {10, 0, 0}, /* Oct */
	    ['e' - 'a'] = {2, 9, 12}, /* Feb Sep Dec */
	    ['o' - 'a'] = {11, 0, 0}, /* Nov */
	    ['p' - 'a'] = {4, 0, 0},  /* Apr */
	    ['u' - 'a'] = {6, 7, 8},  /* Jun Jul Aug */
	};
	unsigned c = (unsigned char)p[1] - 'a';

	if (c >= 26) {
		return -1;
	}
	for (int i = 0; i < 3 && by_second[c][i] != 0; i++) {
		int m = by_second[c][i];
		if (memcmp(p, months[m - 1], 3) == 0) {
			return m;
		}
	}
	return -1;
}

/*
 * "Sep 25 18:26:36" (day space- or zero-padded) or "Sep 5 18:26:36" (day
 * not padded: syslog daemons that print "%e" without the pad, and logs
 * pasted through web forms that squeeze runs of spaces), with optional
 * fractional seconds ("Sep 25 18:26:36.123456", `journalctl -o
 * short-precise`); bytes used, 0 if not.
 */
static size_t parse_rfc3164_time(const char *p, size_t n, int64_t *ms)
{
	int mo = -1, d, h, mi, s, year, cur_month;
	size_t t; /* where "HH:MM:SS" starts */

	if (n < 14 || p[3] != ' ') {
		return 0;
	}
	if (rs_str_isdigit(p[4]) && p[5] == ' ') {
		t = 6; /* "Sep 5 " */
	} else if (n >= 15 && p[6] == ' ') {
		t = 7;
	} else {
		return 0;
	}
	if (p[t + 2] != ':' || p[t + 5] != ':') {
		return 0;
	}
	mo = month_of(p);
	if (mo < 0) {
		return 0;
	}
	if (t == 6 || p[4] == ' ') {
		if (digits(p + t - 2, 1, 1, &d)) {
			return 0;
		}
	} else if (digits(p + 4, 2, 2, &d)) {
		return 0;
	}
	/* No year in the stamp: allow Feb 29 whatever the year. */
	if (digits(p + t, 2, 2, &h) || digits(p + t + 3, 2, 2, &mi) ||
	    digits(p + t + 6, 2, 2, &s) || d < 1 ||
	    d > (mo == 2 ? 29 : days_in_month(1970, mo)) || h > 23 || mi > 59 ||
	    s > 60) {
		return 0;
	}
	current_year_month(&year, &cur_month);
	/* A December line read in January belongs to last year. */
	if (mo > cur_month + 1) {
		year--;
	}
	*ms = (days_from_civil(year, (unsigned)mo, (unsigned)d) * 86400 +
	       h * 3600 + mi * 60 + s) *
	      1000;
	t += 8;
	if (t + 1 < n && p[t] == '.' && rs_str_isdigit(p[t + 1])) {
		int64_t frac = 0;
		t = frac_ms_at(p, n, t + 1, &frac);
		*ms += frac;
	}
	return t;
}

/*
 * `journalctl -o short-full`: "Sun 2026-12-06 23:30:01 UTC" - weekday,
 * date and time, and a zone name, always there. Bytes used, 0 if not.
 * The zone is read as UTC ("UTC", "GMT") or left as written, as the
 * RFC 3164 stamp's local time is.
 */
static size_t parse_weekday_time(const char *p, size_t n, int64_t *ms)
{
	static const char days[] = "MonTueWedThuFriSatSun";
	size_t used, z;
	int known = 0;

	if (n < 4 + 19 + 2 || p[3] != ' ' || !rs_str_isdigit(p[4])) {
		return 0;
	}
	for (size_t k = 0; k < 21 && !known; k += 3) {
		known = memcmp(p, days + k, 3) == 0;
	}
	if (!known || p[14] != ' ') {
		return 0;
	}
	used = rs_syslog_parse_iso(p + 4, n - 4, ms);
	if (used != 19 || p[4 + used] != ' ') {
		return 0;
	}
	z = 4 + used + 1;
	while (z < n && p[z] != ' ') {
		z++;
	}
	return z > 4 + used + 1 ? z : 0;
}

/* Next space-delimited token starting at *i; advances past one space. */
static rs_str_t token(const char *p, size_t n, size_t *i)
{
	size_t start = *i;
	const char *sp = start < n ? memchr(p + start, ' ', n - start) : NULL;

	*i = sp != NULL ? (size_t)(sp - p) : (start < n ? n : start);
	rs_str_t t = rs_str(p + start, *i - start);
	if (*i < n) {
		(*i)++;
	}
	return t;
}

int rs_syslog_split(const char *line, size_t len, rs_syslog_t *out)
{
	size_t i = 0, used;
	int rfc5424 = 0;

	memset(out, 0, sizeof(*out));
	if (len > 0 && line[0] == '<') {
		size_t j = 1;
		while (j < len && j < 5 && rs_str_isdigit(line[j])) {
			j++;
		}
		if (j == 1 || j >= len || line[j] != '>') {
			return -1;
		}
		i = j + 1;
		if (i + 2 <= len && line[i] == '1' && line[i + 1] == ' ') {
			rfc5424 = 1;
			i += 2;
		}
	}
	used = parse_rfc3164_time(line + i, len - i, &out->time_ms);
	if (used == 0) {
		used = parse_weekday_time(line + i, len - i, &out->time_ms);
	}
	if (used == 0) {
		used = rs_syslog_parse_iso(line + i, len - i, &out->time_ms);
		/* ISO stamps may carry a zone name or more digits; skip to
		 * space. */
		while (used > 0 && i + used < len && line[i + used] != ' ') {
			used++;
		}
	}
	if (used == 0 || i + used >= len || line[i + used] != ' ') {
		return -1;
	}
	out->time = rs_str(line + i, used);
	i += used + 1;
	out->host = token(line, len, &i);
	if (out->host.n == 0) {
		return -1;
	}
	if (rfc5424) {
		rs_str_t app = token(line, len, &i);
		rs_str_t procid = token(line, len, &i);
		rs_str_t msgid = token(line, len, &i);
		(void)msgid;
		/* Structured data: "-" or one or more "[...]" elements. */
		if (i < len && line[i] == '-') {
			i += (i + 1 < len) ? 2 : 1;
		} else {
			while (i < len && line[i] == '[') {
				while (i < len && line[i] != ']') {
					i += (line[i] == '\\' && i + 1 < len)
					         ? 2
					         : 1;
				}
				i++;
			}
			if (i < len && line[i] == ' ') {
				i++;
			}
		}
		if (app.n == 0 || i > len) {
			return -1;
		}
		out->program = app;
		if (!(procid.n == 1 && procid.p[0] == '-')) {
			out->pid = procid;
		}
		out->msg = rs_str(line + i, len - i);
		return 0;
	}
	/* TAG: "prog[pid]: " or "prog: " */
	size_t start = i;
#if TAG_WORDS
	while (len - i >= 8) {
		uint64_t m = tag_stops8(line + i);
		if (m != 0) {
			i += (size_t)__builtin_ctzll(m) / 8;
			break;
		}
		i += 8;
	}
#endif
	while (i < len && !tag_stop[(unsigned char)line[i]]) {
		i++;
	}
	if (i == start || i >= len) {
		return -1;
	}
	out->program = rs_str(line + start, i - start);
	if (line[i] == '[') {
		size_t pstart = ++i;
		const char *close = memchr(line + i, ']', len - i);
		if (close == NULL) {
			return -1;
		}
		i = (size_t)(close - line);
		out->pid = rs_str(line + pstart, i - pstart);
		i++;
	}
	if (i >= len || line[i] != ':') {
		return -1;
	}
	i++;
	if (i < len && line[i] == ' ') {
		i++;
	}
	out->msg = rs_str(line + i, len - i);
	return 0;
}
