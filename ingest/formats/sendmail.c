/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sendmail.c - Sendmail delivery lines: "<qid>: to=<a>[,<b>...],
 * [ctladdr=<x> (uid/gid),] delay=[D+]HH:MM:SS, xdelay=HH:MM:SS, mailer=m,
 * pri=N, relay=host. [ip], dsn=X.Y.Z, stat=<text>".
 *
 * Ownership: every slice written into the record points into the syslog
 * message the caller passed; nothing is copied or allocated.
 *
 * Fields are found by key: a key counts where it starts the message or
 * follows a space or a comma, and only before "stat=", because the stat
 * text is free text that runs to the end of the line and may itself hold
 * ", uid=0, gid=122". Searching by key rather than splitting on ", " lets a
 * mangled "relay=relay_id dsn=4.0.0" (no comma) still yield its dsn.
 * Optional "reply=" and "stage=" fields are read where present (before or
 * after stat=); the corpus has none, so their form is assumed: reply= holds
 * the remote reply, stage= an SMTP command name.
 *
 * Choices:
 *   - to= with several recipients ("<a>,<b>,<b>"): the record takes the
 *     first. Sendmail logs one line per delivery attempt, whatever the
 *     number of recipients, so the event stands for the attempt.
 *   - Status: "Sent..." sent, "Deferred..." deferred, "queued" is not an
 *     attempt (skipped); any other text is a failure whose class comes from
 *     dsn= (5 bounced, 4 deferred, 2 sent), else from the reply code, else
 *     bounced (Sendmail writes every temporary failure as "Deferred").
 *   - Stage: stage= when present; else the reason text when it has no SMTP
 *     reply ("Connection timed out with x." and other socket or DNS errors
 *     are RS_STAGE_CONNECT, "TLS handshake" is starttls); a reply without a
 *     stage= is RS_STAGE_UNKNOWN because Sendmail does not say which command
 *     it answered.
 *   - relay= host names lose their trailing dot ("mx.example.com." ->
 *     "mx.example.com") so that they compare equal to Postfix's.
 *
 * @locality any thread; stateless, allocates nothing.
 */
#include "formats/sendmail.h"

#include <string.h>

#include "formats/fields.h"
#include "formats/smtpreply.h"
#include "util/num.h"
#include "util/str.h"

#define LIT_LEN(s) (sizeof(s) - 1)

int rs_sendmail_program_matches(rs_str_t program)
{
	/* "sendmail", "sm-mta", "sm-msp-queue", also under a path prefix
	 * ("sendmail/sm-mta"). */
	rs_str_t b = rs_fields_program_base(program);

	return b.p != NULL && (rs_str_eq(b.p, b.n, "sendmail") ||
	                       rs_str_eq(b.p, b.n, "sm-mta") ||
	                       rs_str_eq(b.p, b.n, "sm-msp-queue"));
}

/* Start of the field (", key=") whose value begins at v. */
static const char *field_start(const char *v, size_t key_len, const char *p)
{
	const char *s = v - key_len;

	if (s > p && s[-1] == ' ') {
		s--;
	}
	if (s > p && s[-1] == ',') {
		s--;
	}
	return s;
}

/*
 * End of a free-text value (stat=, reply=) at v: the start of the next
 * ", reply=" / ", stage=" / ", stat=" field after it, or end.
 */
static const char *text_end(const char *v, const char *end)
{
	static const char *const next[] = {", reply=", ", stage=", ", stat="};
	const char *e = end;

	for (size_t i = 0; i < sizeof(next) / sizeof(next[0]); i++) {
		const char *hit = rs_str_find(v, (size_t)(end - v), next[i]);
		if (hit != NULL && hit < e) {
			e = hit;
		}
	}
	return e;
}

/*
 * Optional field key (reply=, stage=): before stat= like any other field,
 * or after the stat text where text_end() cut it (", key=" only, so that
 * the stat text's own words are not taken for a field).
 */
static rs_str_t optional_field(const char *p, const char *head_end,
                               const char *stat_v, const char *end,
                               const char *key)
{
	const char *v = rs_fields_key(p, (size_t)(head_end - p), key);

	if (v != NULL) {
		return rs_fields_comma_value(v, head_end);
	}
	/* Each t points at ", <key>=" (at least 8 bytes before end). */
	for (const char *t = text_end(stat_v, end); t < end;
	     t = text_end(t + 2, end)) {
		if (rs_str_starts(t + 2, (size_t)(end - t - 2), key)) {
			v = t + 2 + strlen(key);
			return rs_str_trim(
			    rs_str(v, (size_t)(text_end(v, end) - v)));
		}
	}
	return RS_STR_NULL;
}

/*
 * First recipient of a to= value: "<a>,<b>" -> "a", "a,b" -> "a",
 * "postmaster" -> "postmaster", and with a display name, as Sendmail logs
 * the To: header of "sendmail -t", "Vasya <a>" -> "a". Returns -1 when
 * '<' never closes.
 */
static int first_recipient(rs_str_t to, rs_str_t *out)
{
	size_t i, e;

	for (i = 0; i < to.n && to.p[i] != ',' && to.p[i] != '<'; i++) {
	}
	if (i < to.n && to.p[i] == '<') {
		e = rs_fields_angle_end(to.p + i, to.n - i);
		if (e == 0) {
			return -1;
		}
		*out = rs_str(to.p + i + 1, e - 2);
		return 0;
	}
	*out = rs_str(to.p, i);
	return 0;
}

/*
 * relay= forms: "host. [ip]", "host [ip]", "[ip] [ip]" (no name), "host.",
 * "localhost", a smart host written with quotes in sendmail.mc
 * ("'smtp.1and1.com'"), a bare address ("192.168.1.2"), and the mangled
 * "relay_id dsn=4.0.0" (host "relay_id").
 */
static void set_relay(rs_record_t *rec, rs_str_t relay)
{
	const char *p = relay.p, *end = relay.p + relay.n;
	const char *sp = memchr(p, ' ', relay.n);
	const char *name_end = sp == NULL ? end : sp;

	if (relay.n == 0) {
		return;
	}
	if (p[0] == '[') {
		/* An address literal in place of the name. */
		rec->remote_ip =
		    rs_fields_bracket_ip(p, (size_t)(name_end - p));
	} else {
		const char *h = p;
		size_t hn = (size_t)(name_end - p);
		if (hn >= 2 && h[0] == '\'' && h[hn - 1] == '\'') {
			h++;
			hn -= 2;
		}
		if (hn > 0 && h[hn - 1] == '.') {
			hn--;
		}
		if (hn > 0) {
			rec->remote_host = rs_str(h, hn);
			if (rs_str_is_ip(h, hn)) {
				rec->remote_ip = rec->remote_host;
			}
		}
	}
	if (sp != NULL && sp + 1 < end && sp[1] == '[') {
		rs_str_t ip =
		    rs_fields_bracket_ip(sp + 1, (size_t)(end - sp - 1));
		if (ip.p != NULL) {
			rec->remote_ip = ip;
		}
	}
}

/* The reply part of a stat= text: after "Deferred: ", inside "Sent (...)".
 */
static rs_str_t reply_of_stat(rs_str_t stat)
{
	if (rs_str_starts(stat.p, stat.n, "Deferred: ")) {
		return rs_str_trim(rs_str(stat.p + LIT_LEN("Deferred: "),
		                          stat.n - LIT_LEN("Deferred: ")));
	}
	if (rs_str_starts(stat.p, stat.n, "Sent (") &&
	    stat.p[stat.n - 1] == ')') {
		return rs_str(stat.p + LIT_LEN("Sent ("),
		              stat.n - LIT_LEN("Sent (") - 1);
	}
	return stat;
}

/* Delivery status for a stat= text and dsn=; -1 for "queued" (no attempt).
 */
static int status_of(rs_str_t stat, rs_str_t dsn, uint32_t code)
{
	if (rs_str_starts(stat.p, stat.n, "Sent")) {
		return RS_STATUS_SENT;
	}
	if (rs_str_starts(stat.p, stat.n, "Deferred")) {
		return RS_STATUS_DEFERRED;
	}
	if (rs_str_eq(stat.p, stat.n, "queued")) {
		return -1;
	}
	if (dsn.p != NULL && dsn.n > 0) {
		switch (dsn.p[0]) {
		case '2':
			return RS_STATUS_SENT;
		case '4':
			return RS_STATUS_DEFERRED;
		case '5':
			return RS_STATUS_BOUNCED;
		default:
			break;
		}
	}
	if (code >= 400 && code < 500) {
		return RS_STATUS_DEFERRED;
	}
	return RS_STATUS_BOUNCED;
}

/* A syslog line whose program is Sendmail's. */
static int sendmail_detect(rs_logline_t *ll)
{
	const rs_syslog_t *sl = rs_logline_syslog(ll);

	return sl != NULL && rs_sendmail_program_matches(sl->program);
}

/* What every delivery line has, read by parse() and the skip path alike. */
typedef struct sm_head {
	const rs_syslog_t *sl;
	const char *p;        /* after "<qid>: " */
	const char *end;      /* end of the message */
	const char *stat_v;   /* the stat= value */
	const char *head_end; /* start of the stat= field */
	size_t qlen;
	rs_str_t stat; /* trimmed stat text, not empty */
	rs_str_t to;   /* the to= value */
} sm_head_t;

/*
 * Read the head of a delivery line: the syslog prefix, the queue id, to=
 * and stat=. RS_PARSE_EVENT when the line goes on to be a delivery,
 * otherwise what parse() returns for it (*why set on MALFORMED).
 */
static rs_parse_result_t read_head(rs_logline_t *ll, sm_head_t *h,
                                   const char **why)
{
	rs_parse_result_t res;
	const char *p;
	size_t n, qlen;

	h->sl = rs_fields_syslog_of(ll, rs_sendmail_program_matches, &res, why);
	if (h->sl == NULL) {
		return res;
	}
	p = h->sl->msg.p;
	n = h->sl->msg.n;
	qlen = rs_fields_qid(p, n);
	if (qlen < 6 || qlen + 1 >= n || p[qlen + 1] != ' ') {
		qlen = 0;
	}
	if (qlen == 0 || !rs_str_starts(p + qlen + 2, n - qlen - 2, "to=")) {
		/* from=, NOQUEUE, "lost input channel", "done", DSN notes. */
		return RS_PARSE_SKIP;
	}
	h->qlen = qlen;
	h->p = p + qlen + 2;
	h->end = p + n;
	n -= qlen + 2;
	h->stat_v = rs_fields_key(h->p, n, "stat=");
	if (h->stat_v == NULL) {
		*why = "Sendmail delivery line has to= but no stat= field";
		return RS_PARSE_MALFORMED;
	}
	h->head_end = field_start(h->stat_v, LIT_LEN("stat="), h->p);
	h->stat = rs_str_trim(rs_str(
	    h->stat_v, (size_t)(text_end(h->stat_v, h->end) - h->stat_v)));
	if (h->stat.n == 0) {
		*why = "Sendmail stat= is empty";
		return RS_PARSE_MALFORMED;
	}
	h->to = rs_fields_comma_value(h->p + LIT_LEN("to="), h->head_end);
	return RS_PARSE_EVENT;
}

/*
 * The skip path (format.h): parse() skips every line without " to=" after
 * its queue id; one memchr per '=' finds out. A delivery whose stat text
 * starts "Sent" is a sent event once its head reads (status_of() asks the
 * stat text first), so it is dropped when the run drops sent events.
 */
static rs_skip_t sendmail_skips(rs_logline_t *ll)
{
	const char *to, *status;
	const char *why;
	sm_head_t h;
	rs_str_t rcpt;

	rs_logline_keys(ll, &to, &status);
	if (to == NULL) {
		return RS_SKIP_NOT_MINE;
	}
	if (!ll->drop_sent || read_head(ll, &h, &why) != RS_PARSE_EVENT ||
	    !rs_str_starts(h.stat.p, h.stat.n, "Sent") ||
	    first_recipient(h.to, &rcpt) != 0) {
		return RS_SKIP_UNSURE;
	}
	return RS_SKIP_DROP;
}

/* The message part of a Sendmail syslog line. */
static rs_parse_result_t sendmail_parse(rs_logline_t *ll, rs_record_t *rec,
                                        const char **why)
{
	rs_parse_result_t res;
	sm_head_t h;
	const char *p, *end, *v, *stat_v, *head_end;
	rs_str_t to, stat, dsn = RS_STR_NULL, reply, stage = RS_STR_NULL;
	int status;

	res = read_head(ll, &h, why);
	if (res != RS_PARSE_EVENT) {
		return res;
	}
	rec->mta = RS_MTA_SENDMAIL;
	rs_fields_from_syslog(rec, h.sl);
	rec->queue_id = rs_str(h.sl->msg.p, h.qlen);
	p = h.p;
	end = h.end;
	stat_v = h.stat_v;
	head_end = h.head_end;
	stat = h.stat;
	to = h.to;
	if (first_recipient(to, &rec->recipient) != 0) {
		*why = "the to= address has no closing '>' (line cut short?)";
		return RS_PARSE_MALFORMED;
	}
	rs_record_set_recipient(rec, rec->recipient);

	v = rs_fields_key(p, (size_t)(head_end - p), "dsn=");
	if (v != NULL) {
		dsn = rs_fields_comma_value(v, head_end);
	}
	v = rs_fields_key(p, (size_t)(head_end - p), "relay=");
	if (v != NULL) {
		set_relay(rec, rs_fields_comma_value(v, head_end));
	}
	v = rs_fields_key(p, (size_t)(head_end - p), "delay=");
	if (v != NULL) {
		rs_str_t d = rs_fields_comma_value(v, head_end);
		double secs;
		rec->delays.total =
		    rs_num_hms(d.p, d.n, &secs) == 0 ? secs : -1;
	}
	v = rs_fields_key(p, (size_t)(head_end - p), "xdelay=");
	if (v != NULL) {
		rs_str_t d = rs_fields_comma_value(v, head_end);
		double secs;
		rec->delays.transmission =
		    rs_num_hms(d.p, d.n, &secs) == 0 ? secs : -1;
	}
	/* reply= and stage= may sit before stat= or follow its text. */
	stage = optional_field(p, head_end, stat_v, end, "stage=");
	reply = optional_field(p, head_end, stat_v, end, "reply=");
	if (reply.p == NULL) {
		reply = reply_of_stat(stat);
	}

	rec->reply_text = reply;
	rec->reply_code =
	    rs_smtpreply_codes(reply.p, reply.n, &rec->enhanced_code);
	if (rec->enhanced_code.p == NULL && dsn.p != NULL &&
	    rs_smtpreply_enhanced_len(dsn.p, dsn.n) == dsn.n) {
		rec->enhanced_code = dsn;
	}
	status = status_of(stat, dsn, rec->reply_code);
	if (status < 0) {
		return RS_PARSE_SKIP;
	}
	rec->status = (rs_status_t)status;
	if (stage.p != NULL) {
		rec->stage = rs_smtpreply_stage_of_command(stage.p, stage.n);
	} else if (rs_str_ifind(reply.p, reply.n, "tls handshake") != NULL) {
		rec->stage = RS_STAGE_STARTTLS;
	} else if (rec->reply_code == 0) {
		rec->stage = rs_smtpreply_stage_of_failure(reply.p, reply.n);
	}
	return RS_PARSE_EVENT;
}

const rs_format_t rs_sendmail_format = {
    .name = "sendmail",
    .summary = "Sendmail syslog lines (sendmail, sm-mta: stat=)",
    .flags = 0,
    .mta = RS_MTA_SENDMAIL,
    .detect = sendmail_detect,
    .parse = sendmail_parse,
    .skips = sendmail_skips,
};
