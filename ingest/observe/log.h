/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.h - the daemon's structured log: one record per line, in logfmt
 * (ts=... level=info component=kafka msg="..." key=value) or as one JSON
 * object per line.
 *
 * Threads: rs_log_init and rs_log_set_clock run once at start-up, before
 * any other thread logs; rs_log may then be called from any thread. Each
 * record is formatted into a buffer on the caller's stack and written with
 * a single fwrite, which stdio serialises, so records never interleave.
 * A record longer than RS_LOG_LINE_MAX is cut and marked truncated=true.
 *
 * Fields: the caller writes extra fields as a printf format producing
 * "key=value key2=value2". A value that may hold spaces is written in
 * double quotes by the caller (error="%s"); rs_log takes such a value up
 * to the last quote that is followed by the end or by " key=", so quotes
 * inside the value survive. A word without '=' after an unquoted value is
 * taken as part of that value. Values are re-escaped for the output
 * format, so the caller never escapes anything.
 */
#ifndef RS_LOG_H
#define RS_LOG_H

#include <stdio.h>
#include <time.h>

#define RS_LOG_LINE_MAX 8192

/*
 * The levels and formats with their names, the one list that the log,
 * the configuration (log.level, log.format) and its reference read:
 * X(value, "name") for each, in order from 0.
 */
#define RS_LOG_LEVELS(X)                                                       \
	X(RS_LOG_DEBUG, "debug")                                               \
	X(RS_LOG_INFO, "info")                                                 \
	X(RS_LOG_WARN, "warn")                                                 \
	X(RS_LOG_ERROR, "error")

#define RS_LOG_FORMATS(X)                                                      \
	X(RS_LOG_LOGFMT, "logfmt")                                             \
	X(RS_LOG_JSON, "json")

#define RS_LOG_ENUM_VALUE(value, name) value,

typedef enum rs_log_level { RS_LOG_LEVELS(RS_LOG_ENUM_VALUE) } rs_log_level_t;

typedef enum rs_log_format {
	RS_LOG_FORMATS(RS_LOG_ENUM_VALUE)
} rs_log_format_t;

/*
 * Set the lowest level written, the format and the stream (NULL: stderr).
 * Before any call the log writes info and above, logfmt, to stderr.
 * @locality start-up, before other threads log.
 */
void rs_log_init(rs_log_level_t min_level, rs_log_format_t fmt, FILE *out);

/*
 * Write one record. component and msg must not be NULL; fields_fmt may be
 * NULL. @locality any thread.
 */
void rs_log(rs_log_level_t level, const char *component, const char *msg,
            const char *fields_fmt, ...) __attribute__((format(printf, 4, 5)));

/* Would a record of this level be written? (to skip costly arguments) */
int rs_log_enabled(rs_log_level_t level);

/* "debug", "info", "warn", "error" to a level; -1 when unknown. */
int rs_log_level_from_name(const char *name);
const char *rs_log_level_name(rs_log_level_t level);

/* "logfmt", "json" to a format; -1 when unknown. */
int rs_log_format_from_name(const char *name);
const char *rs_log_format_name(rs_log_format_t fmt);

/*
 * Test seam: the wall clock used for ts= (NULL restores the real clock,
 * CLOCK_REALTIME). @locality start-up, like rs_log_init.
 */
typedef void (*rs_log_clock_fn)(struct timespec *now);
void rs_log_set_clock(rs_log_clock_fn fn);

#endif
