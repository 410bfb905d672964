/* SPDX-License-Identifier: Apache-2.0 */
/*
 * log.c - structured daemon log; see log.h.
 *
 * Ownership: the stream passed to rs_log_init stays the caller's; the log
 * never closes it. Hazards: the field string comes from a printf format,
 * so it is re-split into key/value pairs here (rules in log.h) and every
 * value is escaped again for the output format; bytes that are not UTF-8
 * become U+FFFD so that JSON output stays valid.
 */
#include "observe/log.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <string.h>

#include "util/utf8.h"

/* Room kept at the end of the line for closing quotes and "truncated". */
#define LOG_TAIL_RESERVE 64

static atomic_int log_min_level = RS_LOG_INFO;
static rs_log_format_t log_format = RS_LOG_LOGFMT;
static FILE *log_out;
static rs_log_clock_fn log_clock;

#define NAME_AT(value, name) [value] = name,
static const char *const level_names[] = {RS_LOG_LEVELS(NAME_AT)};
static const char *const format_names[] = {RS_LOG_FORMATS(NAME_AT)};

/* One record being built on the caller's stack. */
typedef struct log_line {
	char *p;
	size_t len;
	size_t cap; /* content limit; the tail reserve lies beyond it */
	int full;
	int open_string; /* cut inside a quoted value */
} log_line_t;

/* ------------------------------------------------------------------ */
/* Settings                                                           */
/* ------------------------------------------------------------------ */

void rs_log_init(rs_log_level_t min_level, rs_log_format_t fmt, FILE *out)
{
	atomic_store_explicit(&log_min_level, (int)min_level,
	                      memory_order_relaxed);
	log_format = fmt;
	log_out = out;
}

int rs_log_enabled(rs_log_level_t level)
{
	return (int)level >=
	       atomic_load_explicit(&log_min_level, memory_order_relaxed);
}

void rs_log_set_clock(rs_log_clock_fn fn)
{
	log_clock = fn;
}

/* Index of name in names[0..n), or -1. */
static int name_index(const char *const *names, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++) {
		if (strcmp(name, names[i]) == 0) {
			return (int)i;
		}
	}
	return -1;
}

#define NNAMES(a) (sizeof(a) / sizeof((a)[0]))

int rs_log_level_from_name(const char *name)
{
	return name_index(level_names, NNAMES(level_names), name);
}

const char *rs_log_level_name(rs_log_level_t level)
{
	return (unsigned)level < NNAMES(level_names) ? level_names[level]
	                                             : "unknown";
}

int rs_log_format_from_name(const char *name)
{
	return name_index(format_names, NNAMES(format_names), name);
}

const char *rs_log_format_name(rs_log_format_t fmt)
{
	return (unsigned)fmt < NNAMES(format_names) ? format_names[fmt]
	                                            : "unknown";
}

/* ------------------------------------------------------------------ */
/* Line building                                                      */
/* ------------------------------------------------------------------ */

/* Append n bytes, or mark the line full when they do not fit. */
static void line_put(log_line_t *l, const char *s, size_t n)
{
	if (l->full) {
		return;
	}
	if (n > l->cap - l->len) {
		l->full = 1;
		return;
	}
	memcpy(l->p + l->len, s, n);
	l->len += n;
}

/* Append a NUL-terminated string, or mark the line full. */
static void line_puts(log_line_t *l, const char *s)
{
	line_put(l, s, strlen(s));
}

/* Append into the tail reserve; only for the closing bytes. */
static void line_put_tail(log_line_t *l, const char *s)
{
	size_t n = strlen(s);

	memcpy(l->p + l->len, s, n);
	l->len += n;
}

/*
 * Append s[0..n) escaped for a double-quoted string (JSON rules, which
 * logfmt readers accept too). Stops at the limit, keeping whole escapes.
 */
static void line_put_escaped(log_line_t *l, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;

	while (i < n && !l->full) {
		unsigned char c = u[i];
		char esc[8];
		size_t k;

		k = rs_utf8_json_escape(c, esc);
		if (k != 0) {
			line_put(l, esc, k);
			i++;
			continue;
		}
		k = rs_utf8_seq_len(u + i, n - i);
		if (k == 0) {
			line_put(l, "\\ufffd", 6);
			i++;
			continue;
		}
		line_put(l, s + i, k);
		i += k;
	}
}

/* Does a logfmt value need double quotes? */
static int logfmt_needs_quotes(const char *s, size_t n)
{
	if (n == 0) {
		return 1;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c <= ' ' || c == '"' || c == '=' || c == '\\' ||
		    c >= 0x7f) {
			return 1;
		}
	}
	return 0;
}

/*
 * Append one key/value pair in the output format; first: no separator.
 * A pair whose key does not fit is dropped whole; a value that does not
 * fit is cut and its string left open for rs_log to close.
 */
static void line_put_field(log_line_t *l, const char *k, size_t kn,
                           const char *v, size_t vn, int first)
{
	size_t start = l->len;

	if (l->full) {
		return;
	}
	if (log_format == RS_LOG_JSON) {
		line_puts(l, first ? "\"" : ",\"");
		line_put_escaped(l, k, kn);
		line_put(l, "\":\"", 3);
		if (l->full) {
			l->len = start;
			return;
		}
		line_put_escaped(l, v, vn);
		line_put(l, "\"", 1);
		l->open_string = l->full;
		return;
	}
	if (!first) {
		line_put(l, " ", 1);
	}
	/* Keys come from our own code; keep them bare words all the same. */
	for (size_t i = 0; i < kn && !l->full; i++) {
		unsigned char c = (unsigned char)k[i];
		char ch = (c <= ' ' || c == '"' || c == '=' || c >= 0x7f)
		              ? '_'
		              : (char)c;
		line_put(l, &ch, 1);
	}
	line_put(l, "=", 1);
	/* A value too long for the line goes quoted, so that it can be cut. */
	if (logfmt_needs_quotes(v, vn) || vn > l->cap - l->len) {
		line_put(l, "\"", 1);
		if (l->full) {
			l->len = start;
			return;
		}
		line_put_escaped(l, v, vn);
		line_put(l, "\"", 1);
		l->open_string = l->full;
	} else {
		line_put(l, v, vn);
	}
	if (l->full && !l->open_string) {
		l->len = start;
	}
}

/* ------------------------------------------------------------------ */
/* Field splitting                                                    */
/* ------------------------------------------------------------------ */

static int is_key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

/* Does s[i..n) start, after spaces, with "key=" or end? */
static int at_next_field(const char *s, size_t i, size_t n)
{
	size_t j;

	while (i < n && s[i] == ' ') {
		i++;
	}
	if (i == n) {
		return 1;
	}
	j = i;
	while (j < n && is_key_char(s[j])) {
		j++;
	}
	return j > i && j < n && s[j] == '=';
}

/*
 * Split the caller's "k=v k2=\"v 2\" ..." and append each pair, after
 * the fixed fields.
 */
static void line_put_fields(log_line_t *l, const char *s, size_t n)
{
	size_t i = 0;

	while (i < n && !l->full) {
		size_t ks, kn, vs, vn;

		while (i < n && s[i] == ' ') {
			i++;
		}
		if (i == n) {
			break;
		}
		ks = i;
		while (i < n && s[i] != '=' && s[i] != ' ') {
			i++;
		}
		kn = i - ks;
		if (i == n || s[i] == ' ') {
			/* A bare word: a key without a value. */
			line_put_field(l, s + ks, kn, "", 0, 0);
			continue;
		}
		i++; /* '=' */
		if (i < n && s[i] == '"') {
			/* Quoted by the caller: up to a quote that ends it. */
			size_t q;

			vs = ++i;
			q = vs;
			while (q < n &&
			       !(s[q] == '"' && at_next_field(s, q + 1, n))) {
				q++;
			}
			vn = q - vs;
			i = q < n ? q + 1 : n;
		} else {
			/* Bare: to the next space, taking in words that are
			 * not "key=" (a %s that held spaces). */
			vs = i;
			for (;;) {
				while (i < n && s[i] != ' ') {
					i++;
				}
				if (at_next_field(s, i, n)) {
					break;
				}
				while (i < n && s[i] == ' ') {
					i++;
				}
			}
			vn = i - vs;
		}
		line_put_field(l, s + ks, kn, s + vs, vn, 0);
	}
}

/* ------------------------------------------------------------------ */
/* Records                                                            */
/* ------------------------------------------------------------------ */

/* "2026-11-27T19:00:00.123Z" into ts (at least 32 bytes). */
static void format_time(char *ts, size_t size)
{
	struct timespec now;
	struct tm tm;
	size_t n;

	if (log_clock != NULL) {
		log_clock(&now);
	} else {
		clock_gettime(CLOCK_REALTIME, &now);
	}
	gmtime_r(&now.tv_sec, &tm);
	n = strftime(ts, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(ts + n, size - n, ".%03ldZ", now.tv_nsec / 1000000L);
}

/* Build the record on the stack, then one fwrite. @locality any thread. */
void rs_log(rs_log_level_t level, const char *component, const char *msg,
            const char *fields_fmt, ...)
{
	char buf[RS_LOG_LINE_MAX];
	char fields[RS_LOG_LINE_MAX];
	char ts[40];
	log_line_t l = {buf, 0, sizeof(buf) - LOG_TAIL_RESERVE, 0, 0};
	size_t nfields = 0;
	FILE *out = log_out != NULL ? log_out : stderr;

	if (!rs_log_enabled(level)) {
		return;
	}
	if (fields_fmt != NULL) {
		va_list ap;
		int r;

		va_start(ap, fields_fmt);
		r = vsnprintf(fields, sizeof(fields), fields_fmt, ap);
		va_end(ap);
		if (r > 0) {
			nfields = (size_t)r < sizeof(fields)
			              ? (size_t)r
			              : sizeof(fields) - 1;
		}
	}
	format_time(ts, sizeof(ts));

	if (log_format == RS_LOG_JSON) {
		line_put(&l, "{", 1);
	}
	line_put_field(&l, "ts", 2, ts, strlen(ts), 1);
	line_put_field(&l, "level", 5, rs_log_level_name(level),
	               strlen(rs_log_level_name(level)), 0);
	line_put_field(&l, "component", 9, component, strlen(component), 0);
	line_put_field(&l, "msg", 3, msg, strlen(msg), 0);
	line_put_fields(&l, fields, nfields);

	if (l.full) {
		/* Close whatever was cut, inside the reserve. */
		if (l.open_string) {
			line_put_tail(&l, "\"");
		}
		line_put_tail(&l, log_format == RS_LOG_JSON
		                      ? ",\"truncated\":\"true\""
		                      : " truncated=true");
	}
	if (log_format == RS_LOG_JSON) {
		line_put_tail(&l, "}");
	}
	line_put_tail(&l, "\n");
	/* One call: stdio's lock keeps records whole across threads. */
	fwrite(l.p, 1, l.len, out);
	fflush(out);
}
