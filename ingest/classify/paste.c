/* SPDX-License-Identifier: Apache-2.0 */
/*
 * paste.c - a pasted text through the pipeline's parsers and its
 * record->verdict step; see paste.h.
 */
#include "classify/paste.h"

#include <string.h>

#include "formats/reply.h"

/* A failure the parser read a reply or a failure text for: what the
 * pipeline classifies from a log line. */
static int paste_is_failure(const rs_record_t *rec)
{
	switch (rec->status) {
	case RS_STATUS_DEFERRED:
	case RS_STATUS_BOUNCED:
	case RS_STATUS_EXPIRED:
		return rec->reply_text.p != NULL && rec->reply_text.n > 0;
	default:
		return 0;
	}
}

/*
 * What a log line pasted without its first fields gets in front of it, in
 * turn, when it is not read as it stands: people paste the message part
 * of a syslog line ("postfix/smtp[123]: QID: to=<..>, ... status=..."),
 * an Exim main log line from its message id on, or Postfix's delivery
 * record alone ("QID: to=<..>, relay=.., dsn=.., status=bounced (...)" or
 * from "to=" on). The stamps, host, program and queue id are placeholders
 * (the "msgonly" fixtures of tests/fixtures/postfix carry the same kind);
 * the formats alone decide whether the line is theirs (a Sendmail record,
 * "stat=", is not Postfix's), and nothing the classifier reads (reply,
 * codes, stage, MX) comes from a placeholder.
 */
static const char *const paste_stamps[] = {
    "",
    "Jan  1 00:00:00 paste ", /* RFC 3164 stamp and host */
    "2000-01-01 00:00:00 ",   /* Exim main log stamp */
    /* Postfix's delivery record pasted from its queue id, or from "to=":
     * only Postfix's parser reads it, and only with its "status=". */
    "Jan  1 00:00:00 paste postfix/smtp[0]: ",
    "Jan  1 00:00:00 paste postfix/smtp[0]: 00000: ",
};

#define PASTE_NSTAMPS (sizeof(paste_stamps) / sizeof(paste_stamps[0]))

/*
 * Offer stamp + text to auto-detection; 1 when a log format read it as a
 * failure (rec filled, its slices into the line at line), else 0. The
 * stamped line is built in the top of rec's arena, which the parse may
 * not use; the arena is whole again on return (rec->arena_cap), so the
 * record's slices stay valid until rec's next parse.
 */
static int paste_try_log(const char *stamp, const char *text, size_t len,
                         rs_record_t *rec)
{
	size_t sl = strlen(stamp), cap = rec->arena_cap;
	const char *line = text;
	int ok;

	rs_record_reset(rec);
	if (sl > 0) {
		char *buf;

		if (rec->arena == NULL || len > cap || sl > cap - len) {
			return 0;
		}
		buf = rec->arena + (cap - len - sl);
		memcpy(buf, stamp, sl);
		memcpy(buf + sl, text, len);
		line = buf;
		rec->arena_cap = cap - len - sl;
	}
	ok = rs_format_parse(rs_format_auto(), line, sl + len, rec, NULL) ==
	         RS_PARSE_EVENT &&
	     paste_is_failure(rec) && rs_format_of_mta(rec->mta) != NULL;
	rec->arena_cap = cap;
	return ok;
}

/* Parse text into rec (reset here) with the log format auto-detection
 * finds, else the reply format; the format that read it. */
static const rs_format_t *paste_parse(const char *text, size_t len,
                                      rs_record_t *rec)
{
	for (size_t i = 0; i < PASTE_NSTAMPS; i++) {
		if (paste_try_log(paste_stamps[i], text, len, rec)) {
			return rs_format_of_mta(rec->mta);
		}
	}
	rs_record_reset(rec);
	rs_format_parse(&rs_reply_format, text, len, rec, NULL);
	return &rs_reply_format;
}

int rs_paste_classify(const rs_rules_t *rules, rs_rules_scratch_t *scratch,
                      const char *text, size_t len, rs_stage_t stage,
                      const char *mx, rs_record_t *rec, rs_verdict_t *verdict,
                      const rs_format_t **format)
{
	const rs_format_t *fmt = paste_parse(text, len, rec);

	if (format != NULL) {
		*format = fmt;
	}
	if (stage != RS_STAGE_UNSPECIFIED) {
		rec->stage = stage;
	}
	if (mx != NULL && rec->remote_host.p == NULL) {
		rec->remote_host = rs_str(mx, strlen(mx));
	}
	return rs_classify_record(rules, scratch, rec, verdict);
}
