/*
 * format.h - the format interface: one descriptor per MTA log format, all
 * of them in one table (formats/registry.c) that auto-detection,
 * --input-format, the configuration and the help texts read.
 *
 * Adding a format is one new file formats/<name>.c that defines a
 * descriptor, one row in the registry table, and fixtures.
 *
 * A parser sees the line through an rs_logline_t: the bytes of the line
 * (without the newline and a trailing CR) and, split on first use and
 * then shared by every parser that asks, its syslog prefix. So a line
 * that several formats look at during auto-detection is split once.
 *
 * Ownership: descriptors are static; a logline points into the caller's
 * batch and owns nothing. @locality any thread; parsers are stateless and
 * allocate nothing (decoded text goes to the record's arena).
 */
#ifndef RS_FORMAT_H
#define RS_FORMAT_H

#include <stddef.h>

#include "event/record.h"
#include "formats/syslog.h"

/* One input line as the parsers see it. */
typedef struct rs_logline {
	const char *p; /* the line, without '\n' and a trailing '\r' */
	size_t n;
	int syslog_state; /* private: 0 not split yet, 1 split, -1 no prefix */
	rs_syslog_t sl;   /* private: valid when syslog_state == 1 */
} rs_logline_t;

/* Each line is one SMTP reply: every line, also an empty one, is an event,
 * and successful (2xx) replies are events without --all. */
#define RS_FORMAT_REPLY_PER_LINE 0x1u
/* Not tried by auto-detection (it would claim every line). */
#define RS_FORMAT_EXPLICIT_ONLY 0x2u

typedef struct rs_format rs_format_t;

struct rs_format {
	const char *name;    /* as --input-format and the config spell it */
	const char *summary; /* one line for --help and the reference */
	unsigned flags;      /* RS_FORMAT_* */
	/*
	 * Auto-detection: could this line be of this format? A few byte
	 * comparisons, no full parse. NULL: never detected.
	 */
	int (*detect)(rs_logline_t *ll);
	/*
	 * Parse one line into rec (already reset). RS_PARSE_SKIP for a line
	 * of this format that is not a delivery outcome; RS_PARSE_MALFORMED
	 * with a static sentence in *why (never NULL) for a line that claims
	 * the format but cannot be read.
	 */
	rs_parse_result_t (*parse)(rs_logline_t *ll, rs_record_t *rec,
	                           const char **why);
};

/* Point ll at a line; a trailing '\r' is dropped. */
void rs_logline_init(rs_logline_t *ll, const char *p, size_t n);

/* The line's syslog prefix, split on first use; NULL when it has none. */
const rs_syslog_t *rs_logline_syslog(rs_logline_t *ll);

/* The "auto" format: each line goes to the first format that detects it
 * and does not skip it. */
const rs_format_t *rs_format_auto(void);

/* The format named name (n bytes, any case), "auto" included; NULL when
 * unknown. */
const rs_format_t *rs_format_find(const char *name, size_t n);

/* Formats in table order; index 0 is "auto". */
size_t rs_format_count(void);
const rs_format_t *rs_format_at(size_t i);

/*
 * Every format name joined by sep ("auto, postfix, exim, ..."), for help
 * texts and error messages; cut to fit size. Returns buf.
 */
const char *rs_format_names(char *buf, size_t size, const char *sep);

/*
 * Parse one line (without its newline) in the given format. rec must have
 * been reset. On RS_PARSE_MALFORMED, *why (if why is not NULL) gets a
 * static sentence.
 */
rs_parse_result_t rs_format_parse(const rs_format_t *fmt, const char *line,
                                  size_t len, rs_record_t *rec,
                                  const char **why);

#endif
