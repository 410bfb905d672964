/* SPDX-License-Identifier: Apache-2.0 */
/*
 * postfix.c - Postfix delivery outcomes: the "<qid>: to=<...>, relay=...,
 * delay=..., delays=a/b/c/d, dsn=X.Y.Z, status=<st> (<text>)" lines of the
 * delivery agents and the qmgr "from=<...>, status=expired, returned to
 * sender" lines.
 *
 * Ownership: every slice written into the record points into the syslog
 * message the caller passed; nothing is copied or allocated.
 *
 * What is an event: only lines that carry a final status= for a recipient
 * (or a qmgr expiry). The non-final "<qid>: host X[ip] said: ... (in reply
 * to ...)" and "lost connection with ..." lines are skipped because the
 * status= line that follows repeats the outcome; counting both would count
 * one failure twice.
 *
 * Hazards: the status text nests parentheses ("(... (nullMX))"), so it ends
 * at the last ')' of the line, not the first. Lines cut by a syslog size
 * limit lose that ')'; the text then runs to the end of the line. Fields are
 * read by key, never by position: optional fields (orig_to=, conn_use=, tls=)
 * move the others about. Addresses may be quoted with spaces inside the angle
 * brackets ("<\"user 1234\"@icloud.com>").
 *
 * Stage choices that the log cannot prove directly, written down once:
 *   - DNS failures ("Host or domain name not found. Name service error ...",
 *     "does not accept mail (nullMX)") are RS_STAGE_CONNECT: no SMTP reply
 *     was received; the failure is in reaching the host.
 *   - "delivery temporarily suspended: <reason>" is RS_STAGE_QUEUE: Postfix
 *     made no new attempt (TAXONOMY.md); the reason stays in reply_text.
 *   - status=expired / force-expired is RS_STAGE_QUEUE.
 *   - Postfix before 2.3 (no port after the address, no dsn=): "while
 *     performing the initial protocol handshake", "connect to x[ip]: read
 *     timeout" and "... server dropped connection without sending the
 *     initial SMTP greeting" are RS_STAGE_GREETING, as their 2.3+
 *     successors ("while receiving the initial server greeting") are.
 *
 * @locality any thread; stateless, allocates nothing.
 */
#include "formats/postfix.h"

#include <string.h>

#include "formats/fields.h"
#include "formats/smtpreply.h"
#include "util/num.h"
#include "util/str.h"

#define LIT_LEN(s) (sizeof(s) - 1)

/* Services that deliver or defer mail; also accepted without "postfix/". */
static const char *const delivery_services[] = {
    "smtp", "lmtp", "error", "qmgr", "local", "virtual", "pipe",
};

/* The parts of one delivery line, as slices into the message. */
struct fields {
	rs_str_t to;
	int to_open; /* to= starts with '<' that never closes */
	rs_str_t from;
	rs_str_t relay;
	rs_str_t delay;
	rs_str_t delays;
	rs_str_t dsn;
	rs_str_t status;   /* the status word */
	const char *after; /* first byte after the status word */
};

int rs_postfix_program_matches(rs_str_t program)
{
	const char *p = program.p;
	size_t n = program.n;
	const char *svc;
	size_t svc_n;

	if (p == NULL || n == 0) {
		return 0;
	}
	svc = p + n;
	while (svc > p && svc[-1] != '/') {
		svc--;
	}
	svc_n = (size_t)(p + n - svc);
	if (svc_n == 0) {
		return 0;
	}
	/* "postfix/smtp", "postfix/name/smtp", "postfix-inst/smtp". */
	if (svc > p && (rs_str_starts(p, n, "postfix/") ||
	                (rs_str_starts(p, n, "postfix-") && svc > p + 9))) {
		return 1;
	}
	/* A bare "smtp" or a custom syslog_name "mailout/smtp": only the
	 * services that log delivery outcomes. */
	for (size_t i = 0;
	     i < sizeof(delivery_services) / sizeof(delivery_services[0]);
	     i++) {
		if (rs_str_eq(svc, svc_n, delivery_services[i])) {
			return 1;
		}
	}
	return 0;
}

/*
 * Length of the Postfix queue id at p (followed by ':'), 0 if none: short
 * ids are 5 or more upper-case hex digits, long ids (enable_long_queue_ids)
 * 10 or more letters and digits.
 */
static size_t queue_id_len(const char *p, size_t n)
{
	size_t len = rs_fields_qid(p, n);
	int hex = 1;

	for (size_t i = 0; i < len && hex; i++) {
		hex = rs_str_isdigit(p[i]) || (p[i] >= 'A' && p[i] <= 'F');
	}
	return len >= (hex ? 5u : 10u) ? len : 0;
}

/* The first ", " in [p, p+n), or NULL: memchr to each comma (a field
 * list has a dozen), cheaper than a general substring search per call. */
static const char *comma_space(const char *p, size_t n)
{
	const char *e = p + n;

	for (const char *q = p; q < e; q++) {
		q = memchr(q, ',', (size_t)(e - q));
		if (q == NULL || q + 1 >= e) {
			return NULL;
		}
		if (q[1] == ' ') {
			return q;
		}
	}
	return NULL;
}

/* Index just past the next ", " at or after i, or n when there is none. */
static size_t next_field_at(const char *p, size_t n, size_t i)
{
	const char *sep = comma_space(p + i, n - i);

	return sep == NULL ? n : (size_t)(sep - p) + 2;
}

/*
 * Read the "key=value, key=value, ..., status=<word>" list of a delivery or
 * qmgr line. Unknown keys are skipped; a field without '=' is skipped up to
 * the next ", ". Stops after the status word.
 */
static void read_fields(const char *p, size_t n, struct fields *f)
{
	size_t i = 0;

	memset(f, 0, sizeof(*f));
	while (i < n) {
		size_t k = i, v, e;
		rs_str_t key, val = RS_STR_NULL;

		while (k < n && ((p[k] >= 'a' && p[k] <= 'z') || p[k] == '_')) {
			k++;
		}
		if (k == i || k >= n || p[k] != '=') {
			i = next_field_at(p, n, i); /* not a field */
			continue;
		}
		key = rs_str(p + i, k - i);
		v = k + 1;
		if (rs_str_eq(key.p, key.n, "status")) {
			e = v;
			while (e < n && p[e] != ' ' && p[e] != ',' &&
			       p[e] != '(') {
				e++;
			}
			f->status = rs_str(p + v, e - v);
			f->after = p + e;
			return;
		}
		if (v < n && p[v] == '<') {
			e = rs_fields_angle_end(p + v, n - v);
			if (e > 0) {
				val = rs_str(p + v, e);
			} else if (rs_str_eq(key.p, key.n, "to")) {
				f->to_open = 1;
			}
		} else {
			const char *sep = comma_space(p + v, n - v);
			e = sep == NULL ? n - v : (size_t)(sep - p) - v;
			val = rs_str(p + v, e);
		}
		if (rs_str_eq(key.p, key.n, "to")) {
			f->to = val;
		} else if (rs_str_eq(key.p, key.n, "from")) {
			f->from = val;
		} else if (rs_str_eq(key.p, key.n, "relay")) {
			f->relay = val;
		} else if (rs_str_eq(key.p, key.n, "delay")) {
			f->delay = val;
		} else if (rs_str_eq(key.p, key.n, "delays")) {
			f->delays = val;
		} else if (rs_str_eq(key.p, key.n, "dsn")) {
			f->dsn = val;
		}
		i = next_field_at(p, n, v + e);
	}
}

/* Fill rec->delays from "delay=N" and "delays=a/b/c/d". */
static void set_delays(rs_record_t *rec, rs_str_t delay, rs_str_t delays)
{
	double part[4];
	size_t i = 0, k = 0;

	if (delay.p != NULL) {
		(void)rs_num_seconds(delay.p, delay.n, &rec->delays.total);
	}
	if (delays.p == NULL) {
		return;
	}
	while (k < 4 && i <= delays.n) {
		size_t j = i;
		while (j < delays.n && delays.p[j] != '/') {
			j++;
		}
		if (rs_num_seconds(delays.p + i, j - i, &part[k]) != 0) {
			return;
		}
		k++;
		i = j + 1;
	}
	if (k != 4 || i <= delays.n) {
		return; /* fewer or more than four parts */
	}
	rec->delays.before_queue = part[0];
	rec->delays.in_queue = part[1];
	rec->delays.connection = part[2];
	rec->delays.transmission = part[3];
}

/*
 * Stage from what Postfix was doing when a connection was lost or timed out:
 * the words after "while " ("receiving the initial server greeting",
 * "sending RCPT TO", "performing the EHLO handshake", "sending end of data --
 * message may be sent more than once", "sending message body").
 */
static rs_stage_t stage_of_doing(const char *p, size_t n)
{
	rs_stage_t st;

	/* Postfix before 2.3 named the banner and EHLO together "the
	 * initial protocol handshake": greeting, as TAXONOMY.md has it
	 * for an exchange the log cannot split. */
	if (rs_str_starts(p, n, "receiving the initial server greeting") ||
	    rs_str_starts(p, n, "performing the initial protocol handshake")) {
		return RS_STAGE_GREETING;
	}
	if (rs_str_starts(p, n, "performing the ")) {
		return rs_smtpreply_stage_of_command(
		    p + LIT_LEN("performing the "),
		    n - LIT_LEN("performing the "));
	}
	st = rs_smtpreply_stage_of_command(p, n);
	if (st != RS_STAGE_UNKNOWN) {
		return st;
	}
	if (rs_str_starts(p, n, "sending message body")) {
		return RS_STAGE_END_OF_DATA;
	}
	return RS_STAGE_UNKNOWN;
}

/*
 * Stage from the part of a status text that Postfix wrote itself (the
 * "lead", before any remote reply), for texts without "(in reply to ...)".
 */
static rs_stage_t stage_of_lead(const char *p, size_t n)
{
	const char *w;
	rs_stage_t st;

	if (rs_str_starts(p, n, "connect to ")) {
		/* Postfix before 2.3 waited for the banner inside its connect
		 * step: "connect to x[ip]: read timeout" (no banner in time)
		 * and "... server dropped connection without sending the
		 * initial SMTP greeting" failed after the TCP connect. */
		if (rs_str_ends(p, n, ": read timeout") ||
		    rs_str_find(p, n,
		                "without sending the initial SMTP "
		                "greeting") != NULL) {
			return RS_STAGE_GREETING;
		}
		return RS_STAGE_CONNECT;
	}
	if (rs_str_ifind(p, n, "refused to talk to me") != NULL) {
		return RS_STAGE_GREETING;
	}
	if (rs_str_starts(p, n, "lost connection with ") ||
	    rs_str_starts(p, n, "conversation with ")) {
		w = rs_str_find(p, n, " while ");
		if (w != NULL) {
			w += LIT_LEN(" while ");
			return stage_of_doing(w, (size_t)(p + n - w));
		}
		return RS_STAGE_UNKNOWN;
	}
	st = rs_smtpreply_stage_of_failure(p, n);
	return st != RS_STAGE_UNKNOWN ? st : rs_smtpreply_stage_in_text(p, n);
}

/*
 * The first of the phrases leads[] (each ending in ": ", NULL-terminated)
 * in [s, end), or NULL; *which gets its index. Every phrase holds ": "
 * only at its end, so the phrase whose ": " comes first is also the one
 * that starts first: one pass over the colons finds it, where a search per
 * phrase would read the text once each.
 */
static const char *find_lead(const char *s, const char *end,
                             const char *const *leads, size_t *which)
{
	for (const char *q = s; q < end; q++) {
		q = memchr(q, ':', (size_t)(end - q));
		if (q == NULL || q + 1 >= end) {
			return NULL;
		}
		if (q[1] != ' ') {
			continue;
		}
		for (size_t i = 0; leads[i] != NULL; i++) {
			size_t l = strlen(leads[i]) - 2;
			if ((size_t)(q - s) >= l &&
			    memcmp(q - l, leads[i], l) == 0) {
				*which = i;
				return q - l;
			}
		}
	}
	return NULL;
}

/*
 * Read the parenthesised status text [p, p+n): the remote reply (without
 * Postfix's "host X said: " and "(in reply to CMD command)" wrappers), its
 * codes, the stage, and the host named in the text. *host etc. receive the
 * text's host for the caller to use when relay= names none.
 */
static void read_status_text(const char *p, size_t n, rs_record_t *rec,
                             int *suspended, rs_str_t *host, rs_str_t *ip,
                             uint32_t *port)
{
	/* [1] gives stage greeting. */
	static const char *const leads[] = {
	    " said: ", " refused to talk to me: ", " refused to start TLS: ",
	    NULL};
	const char *s = p, *end = p + n;
	const char *m, *reply = NULL;
	size_t which;
	size_t lead_n;
	rs_stage_t stage = RS_STAGE_UNKNOWN;

	*suspended = 0;
	if (rs_str_starts(s, n, "delivery temporarily suspended: ")) {
		*suspended = 1;
		s += LIT_LEN("delivery temporarily suspended: ");
	}
	m = find_lead(s, end, leads, &which);
	if (m != NULL) {
		reply = m + strlen(leads[which]);
		lead_n = (size_t)(m - s);
		if (which == 1) {
			stage = RS_STAGE_GREETING;
		}
	} else {
		lead_n = (size_t)(end - s);
		/* A reply logged bare: "status=sent (250 2.0.0 Ok ...)". */
		if (rs_smtpreply_codes(s, lead_n, NULL) != 0) {
			reply = s;
			lead_n = 0;
		}
	}
	if (reply != NULL) {
		rs_str_t r = rs_str_trim(rs_str(reply, (size_t)(end - reply)));
		const char *w = rs_str_rfind(r.p, r.n, " (in reply to ");
		if (w != NULL) {
			const char *cmd = w + LIT_LEN(" (in reply to ");
			rs_str_t tail = rs_str(cmd, (size_t)(r.p + r.n - cmd));
			if (tail.n > 0 && tail.p[tail.n - 1] == ')') {
				tail.n--;
			}
			if (rs_str_ends(tail.p, tail.n, " command")) {
				stage = rs_smtpreply_stage_of_command(
				    tail.p, tail.n - LIT_LEN(" command"));
				r.n = (size_t)(w - r.p);
			}
		}
		rec->reply_text = r;
		rec->reply_code =
		    rs_smtpreply_codes(r.p, r.n, &rec->enhanced_code);
	} else {
		rec->reply_text = rs_str(p, n);
	}
	if (stage == RS_STAGE_UNKNOWN && lead_n > 0) {
		stage = stage_of_lead(s, lead_n);
	}
	rec->stage = stage;
	if (lead_n > 0) {
		(void)rs_fields_host_addr(s, lead_n, host, ip, port);
	}
}

/* Map a delivery agent's status word; -1 when it is not one. */
static int status_of_word(rs_str_t w)
{
	/* With soft_bounce = yes a bounce is logged as "SOFTBOUNCE" and
	 * the message stays queued: a deferral. */
	if (rs_str_eq(w.p, w.n, "deferred") ||
	    rs_str_eq(w.p, w.n, "SOFTBOUNCE")) {
		return RS_STATUS_DEFERRED;
	}
	if (rs_str_eq(w.p, w.n, "bounced") ||
	    rs_str_eq(w.p, w.n, "undeliverable-but-not-cached") ||
	    rs_str_eq(w.p, w.n, "undeliverable")) {
		return RS_STATUS_BOUNCED;
	}
	if (rs_str_eq(w.p, w.n, "expired") ||
	    rs_str_eq(w.p, w.n, "force-expired")) {
		return RS_STATUS_EXPIRED;
	}
	/* "deliverable" is an address-verification probe that succeeded. */
	if (rs_str_eq(w.p, w.n, "sent") || rs_str_eq(w.p, w.n, "deliverable")) {
		return RS_STATUS_SENT;
	}
	return -1;
}

/* "<qid>: to=<...>, ..., status=<st> (<text>)" */
static rs_parse_result_t parse_delivery(const char *p, size_t n,
                                        rs_record_t *rec, const char **why)
{
	struct fields f;
	const char *text, *close, *end = p + n;
	rs_str_t thost = RS_STR_NULL, tip = RS_STR_NULL;
	uint32_t tport = 0;
	int status, suspended;

	read_fields(p, n, &f);
	if (f.to_open) {
		*why = "the to= address has no closing '>' (line cut short?)";
		return RS_PARSE_MALFORMED;
	}
	if (f.status.p == NULL) {
		*why = "Postfix delivery line has to= but no status= field";
		return RS_PARSE_MALFORMED;
	}
	status = status_of_word(f.status);
	if (status < 0) {
		*why = "Postfix status= value is not one of deferred, "
		       "SOFTBOUNCE, bounced, expired, force-expired, "
		       "undeliverable, sent";
		return RS_PARSE_MALFORMED;
	}
	if (end - f.after < 2 || f.after[0] != ' ' || f.after[1] != '(') {
		*why = "Postfix status= is not followed by a reason in "
		       "parentheses (line cut short?)";
		return RS_PARSE_MALFORMED;
	}
	text = f.after + 2;
	close = rs_str_rfind(text, (size_t)(end - text), ")");
	if (close == NULL) {
		close = end; /* cut by a syslog size limit */
	}
	rec->status = (rs_status_t)status;
	if (f.to.p != NULL) {
		rs_record_set_recipient(rec, rs_fields_strip_angle(f.to));
	}
	if (f.relay.p != NULL) {
		(void)rs_fields_host_addr(f.relay.p, f.relay.n,
		                          &rec->remote_host, &rec->remote_ip,
		                          &rec->remote_port);
	}
	set_delays(rec, f.delay, f.delays);
	read_status_text(text, (size_t)(close - text), rec, &suspended, &thost,
	                 &tip, &tport);
	if (rec->remote_host.p == NULL && thost.p != NULL) {
		rec->remote_host = thost;
		rec->remote_ip = tip;
		rec->remote_port = tport;
	}
	if (rec->enhanced_code.p == NULL && f.dsn.p != NULL &&
	    rs_smtpreply_enhanced_len(f.dsn.p, f.dsn.n) == f.dsn.n) {
		rec->enhanced_code = f.dsn;
	}
	if (suspended || status == RS_STATUS_EXPIRED) {
		rec->stage = RS_STAGE_QUEUE;
	}
	return RS_PARSE_EVENT;
}

/* qmgr "<qid>: from=<x>, status=expired, returned to sender" */
static rs_parse_result_t parse_qmgr(const char *p, size_t n, rs_record_t *rec)
{
	struct fields f;

	read_fields(p, n, &f);
	if (f.status.p == NULL ||
	    status_of_word(f.status) != RS_STATUS_EXPIRED) {
		return RS_PARSE_SKIP;
	}
	rec->status = RS_STATUS_EXPIRED;
	rec->stage = RS_STAGE_QUEUE;
	if (f.from.p != NULL) {
		rec->sender = rs_fields_strip_angle(f.from);
	}
	rec->reply_text =
	    rs_str_trim(rs_str(f.status.p, (size_t)(p + n - f.status.p)));
	return RS_PARSE_EVENT;
}

/* A syslog line whose program is a Postfix delivery agent. */
static int postfix_detect(rs_logline_t *ll)
{
	const rs_syslog_t *sl = rs_logline_syslog(ll);

	return sl != NULL && rs_postfix_program_matches(sl->program);
}

/*
 * The skip path (format.h). A line parse() does not skip has " to=" after
 * its queue id, or is a qmgr line with a status= key (an expiry); without
 * either it is not Postfix's. A delivery line whose status is sent and
 * that parse_delivery() would read without complaint is dropped when the
 * run drops sent events; the checks are parse_delivery()'s own.
 */
static rs_skip_t postfix_skips(rs_logline_t *ll)
{
	const rs_syslog_t *sl;
	struct fields f;
	const char *p, *end;
	const char *status, *to;
	size_t n, qlen;

	rs_logline_keys(ll, &to, &status);
	if (to == NULL) {
		return status != NULL ? RS_SKIP_UNSURE : RS_SKIP_NOT_MINE;
	}
	/* Failures (most lines with " to=") go on at once to parse(). */
	if (!ll->drop_sent || status == NULL ||
	    (!rs_str_starts(status, (size_t)(ll->p + ll->n - status), "sent") &&
	     !rs_str_starts(status, (size_t)(ll->p + ll->n - status),
	                    "deliverable")) ||
	    (sl = rs_logline_syslog(ll)) == NULL ||
	    !rs_postfix_program_matches(sl->program) || sl->msg.p == NULL) {
		return RS_SKIP_UNSURE;
	}
	p = sl->msg.p;
	n = sl->msg.n;
	qlen = queue_id_len(p, n);
	if (qlen == 0 || qlen + 1 >= n || p[qlen + 1] != ' ') {
		return RS_SKIP_UNSURE;
	}
	p += qlen + 2;
	n -= qlen + 2;
	end = p + n;
	if (!rs_str_starts(p, n, "to=")) {
		return RS_SKIP_UNSURE;
	}
	read_fields(p, n, &f);
	if (f.to_open || f.status.p == NULL ||
	    status_of_word(f.status) != RS_STATUS_SENT || end - f.after < 2 ||
	    f.after[0] != ' ' || f.after[1] != '(') {
		return RS_SKIP_UNSURE;
	}
	return RS_SKIP_DROP;
}

/* The message part of a Postfix syslog line. */
static rs_parse_result_t postfix_parse(rs_logline_t *ll, rs_record_t *rec,
                                       const char **why)
{
	rs_parse_result_t res;
	const rs_syslog_t *sl =
	    rs_fields_syslog_of(ll, rs_postfix_program_matches, &res, why);
	const char *p;
	size_t n, qlen;

	if (sl == NULL) {
		return res;
	}
	p = sl->msg.p;
	n = sl->msg.n;
	qlen = queue_id_len(p, n);
	if (qlen == 0 || qlen + 1 >= n || p[qlen + 1] != ' ') {
		/* NOQUEUE rejects, warnings, connect/disconnect, TLS notes. */
		return RS_PARSE_SKIP;
	}
	rec->mta = RS_MTA_POSTFIX;
	rs_fields_from_syslog(rec, sl);
	rec->queue_id = rs_str(p, qlen);
	p += qlen + 2;
	n -= qlen + 2;
	if (rs_str_starts(p, n, "to=")) {
		return parse_delivery(p, n, rec, why);
	}
	if (rs_str_starts(p, n, "from=")) {
		return parse_qmgr(p, n, rec);
	}
	return RS_PARSE_SKIP;
}

const rs_format_t rs_postfix_format = {
    .name = "postfix",
    .summary = "Postfix syslog lines (smtp, lmtp, error, qmgr status=)",
    .flags = 0,
    .mta = RS_MTA_POSTFIX,
    .detect = postfix_detect,
    .parse = postfix_parse,
    .skips = postfix_skips,
};
