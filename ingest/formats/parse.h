/*
 * parse.h - the parser front: one line of any supported format to a record.
 *
 * @locality any thread; stateless.
 * RS_FORMAT_AUTO decides line by line: a JSON object is KumoMTA; an Exim
 * main-log line starts with "YYYY-MM-DD HH:MM:SS" and carries "==", "**"
 * or "H=" after the message id; a syslog line goes to Postfix or Sendmail
 * by its program name. Lines of no known format are skipped (counted by the
 * caller), not malformed.
 */
#ifndef RS_PARSE_H
#define RS_PARSE_H

#include <stddef.h>

#include "event/record.h"

typedef enum rs_format {
	RS_FORMAT_AUTO = 0,
	RS_FORMAT_POSTFIX,
	RS_FORMAT_EXIM,
	RS_FORMAT_SENDMAIL,
	RS_FORMAT_KUMOMTA,
	RS_FORMAT_REPLY,
} rs_format_t;

/* "auto", "postfix", ... to a format; -1 when unknown. */
int rs_parse_format_from_name(const char *name);
const char *rs_parse_format_name(rs_format_t format);

/*
 * Parse one line (without its newline). rec must have been reset. On
 * RS_PARSE_MALFORMED, *why (if not NULL) gets a static sentence.
 */
rs_parse_result_t rs_parse_line(rs_format_t format, const char *line,
                                size_t len, rs_record_t *rec, const char **why);

#endif
