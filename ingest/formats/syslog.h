/* SPDX-License-Identifier: Apache-2.0 */
/*
 * syslog.h - split a syslog line into timestamp, host, program, pid and
 * message, without copying.
 *
 * Accepted forms (an optional "<PRI>" first):
 *   RFC 3164   "Sep 25 18:26:36 host prog[pid]: msg"  (day space-padded,
 *              zero-padded or not padded, optional fractional seconds as
 *              `journalctl -o short-precise` writes them; the year is taken
 *              as the current one, or the previous one when that would put
 *              the line in the future)
 *   journalctl "Sun 2026-12-06 23:30:01 UTC host prog[pid]: msg"
 *              (`-o short-full`: weekday, date, time, zone name)
 *   ISO 8601   "2024-01-02T03:04:05.123+01:00 host prog[pid]: msg"
 *   RFC 5424   "<PRI>1 2024-01-02T03:04:05Z host prog pid msgid - msg"
 * The "[pid]" part is optional.
 */
#ifndef RS_SYSLOG_H
#define RS_SYSLOG_H

#include <stddef.h>
#include <stdint.h>

#include "event/record.h"

typedef struct rs_syslog {
	rs_str_t time;
	int64_t time_ms; /* Unix ms; 0 when the timestamp cannot be read */
	rs_str_t host;
	rs_str_t program;
	rs_str_t pid;
	rs_str_t msg;
} rs_syslog_t;

/* Split line; 0 on success, -1 when it is not a syslog line. */
int rs_syslog_split(const char *line, size_t len, rs_syslog_t *out);

/*
 * Parse an ISO 8601 / RFC 3339 timestamp "YYYY-MM-DD[T
 * ]HH:MM:SS[.frac][Z|+hh:mm]" at the start of p. Without a zone, UTC is
 * assumed. Returns the number of bytes used (0 when p is not such a timestamp)
 * and stores Unix ms in *ms.
 */
size_t rs_syslog_parse_iso(const char *p, size_t n, int64_t *ms);

#endif
