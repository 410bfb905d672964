/*
 * parse.c - format dispatch: one line to the parser of its format.
 *
 * Auto-detection costs a few byte comparisons per line, so that the
 * ordinary traffic of a busy MTA (connects, cleanup, qmgr) is rejected
 * before any parser runs: a syslog line whose program is neither Postfix
 * nor Sendmail is skipped right after the split.
 */
#include "formats/parse.h"

#include <string.h>

#include "formats/exim.h"
#include "formats/kumomta.h"
#include "formats/postfix.h"
#include "formats/reply.h"
#include "formats/sendmail.h"
#include "util/str.h"
#include "formats/syslog.h"

static const char *const format_names[] = {
    "auto", "postfix", "exim", "sendmail", "kumomta", "reply",
};

int rs_parse_format_from_name(const char *name)
{
	for (size_t i = 0; i < sizeof(format_names) / sizeof(format_names[0]);
	     i++) {
		if (strcmp(name, format_names[i]) == 0) {
			return (int)i;
		}
	}
	return -1;
}

const char *rs_parse_format_name(rs_format_t format)
{
	if ((size_t)format >= sizeof(format_names) / sizeof(format_names[0])) {
		return "unknown";
	}
	return format_names[format];
}

/* Split a syslog line and hand it to Postfix or Sendmail by program. */
static rs_parse_result_t parse_syslog(rs_format_t format, const char *line,
                                      size_t len, rs_record_t *rec,
                                      const char **why)
{
	rs_syslog_t sl;

	if (rs_syslog_split(line, len, &sl) != 0) {
		if (format != RS_FORMAT_AUTO) {
			*why = "not a syslog line (expected \"<time> <host> "
			       "<program>[pid]: <message>\")";
			return RS_PARSE_MALFORMED;
		}
		return RS_PARSE_SKIP;
	}
	if (format != RS_FORMAT_SENDMAIL &&
	    rs_postfix_program_matches(sl.program)) {
		return rs_postfix_parse(&sl, rec, why);
	}
	if (format != RS_FORMAT_POSTFIX &&
	    rs_sendmail_program_matches(sl.program)) {
		return rs_sendmail_parse(&sl, rec, why);
	}
	/* Exim may log through syslog: "exim[123]: <main log line>". */
	if (format == RS_FORMAT_AUTO &&
	    rs_exim_line_matches(sl.msg.p, sl.msg.n)) {
		return rs_exim_parse(sl.msg.p, sl.msg.n, rec, why);
	}
	return RS_PARSE_SKIP;
}

rs_parse_result_t rs_parse_line(rs_format_t format, const char *line,
                                size_t len, rs_record_t *rec, const char **why)
{
	const char *dummy;

	if (why == NULL) {
		why = &dummy;
	}
	*why = NULL;
	if (len > 0 && line[len - 1] == '\r') {
		len--;
	}
	switch (format) {
	case RS_FORMAT_POSTFIX:
	case RS_FORMAT_SENDMAIL:
		return parse_syslog(format, line, len, rec, why);
	case RS_FORMAT_EXIM:
		return rs_exim_parse(line, len, rec, why);
	case RS_FORMAT_KUMOMTA:
		return rs_kumomta_parse(line, len, rec, why);
	case RS_FORMAT_REPLY:
		return rs_reply_parse(line, len, rec, why);
	case RS_FORMAT_AUTO:
		break;
	}
	if (len == 0) {
		return RS_PARSE_SKIP;
	}
	if (line[0] == '{') {
		return rs_kumomta_parse(line, len, rec, why);
	}
	if (rs_str_isdigit(line[0]) && rs_exim_line_matches(line, len)) {
		rs_parse_result_t res = rs_exim_parse(line, len, rec, why);
		/* A syslog line with a "YYYY-MM-DD HH:MM:SS" stamp looks alike.
		 */
		if (res != RS_PARSE_SKIP) {
			return res;
		}
		rs_record_reset(rec);
	}
	return parse_syslog(RS_FORMAT_AUTO, line, len, rec, why);
}
