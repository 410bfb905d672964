/* SPDX-License-Identifier: Apache-2.0 */
/*
 * num.h - numbers and durations as logs and configuration files write
 * them, read from byte slices (no NUL needed, no locale, no allocation).
 *
 * @locality any thread; pure functions.
 */
#ifndef RS_NUM_H
#define RS_NUM_H

#include <stddef.h>
#include <stdint.h>

/*
 * A decimal number "D[.D]" (no sign, no exponent) at the start of p:
 * returns the bytes it spans and stores its value, or 0 when p does not
 * start with a digit. At most 24 bytes are read.
 */
size_t rs_num_decimal(const char *p, size_t n, double *out);

/* All of [p, p+n) is a decimal number (Postfix "delay=0.18"). 0 or -1. */
int rs_num_seconds(const char *p, size_t n, double *out);

/* "[D+]HH:MM:SS" (Sendmail delay=, xdelay=) in seconds. 0 or -1. */
int rs_num_hms(const char *p, size_t n, double *out);

/*
 * A duration in unit groups "1w2d3h4m5s", "0.123s", "2m" (Exim QT=/DT=,
 * OpenSMTPD delay=) at the start of p; the groups end at the first byte
 * that does not start one. Seconds, or -1 when there is no group.
 */
double rs_num_units(const char *p, size_t n);

/*
 * A time since the Unix epoch (all of p) to Unix ms: an integer with an
 * optional fraction ("1691595584", "1691595584.25"), its unit told by the
 * digits before the point: up to 11 seconds, up to 14 ms, up to 17 us, up
 * to 19 ns (a fraction of the smaller units is dropped). 0, or -1 for no
 * digits, a sign, more digits, or any other byte.
 */
int rs_num_epoch_ms(const char *p, size_t n, int64_t *ms);

/*
 * A TAI64N label "@4000000038c3eeb027f41c7c" (daemontools multilog: '@',
 * 16 hex digits of 2^62 + TAI seconds, 8 of nanoseconds) at the start of
 * p, to Unix ms as tai64nlocal computes it (TAI - 10 s, no later leap
 * seconds). Returns 25, the label's length, or 0 when p has none.
 */
size_t rs_num_tai64n(const char *p, size_t n, int64_t *ms);

/* The value of a hex digit (either case), or -1. Inline: JSON string
 * scanning checks every \u escape with it. */
static inline int rs_num_hex(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/* All of [p, p+n) is an unsigned decimal integer below 10^18. 0 or -1. */
int rs_num_uint(const char *p, size_t n, uint64_t *out);

#endif
