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

#include "formats/smtpreply.h"
#include "util/str.h"

#define LIT_LEN(s) (sizeof(s) - 1)

/* Reasons without an SMTP reply that fail before the session (lower case).
 */
static const char *const connect_phrases[] = {
    "connection timed out with",
    "connection refused by",
    "no route to host",
    "network is unreachable",
    "host is unreachable",
    "host is down",
    "host unknown",
    "name server timeout",
    "host not found",
    /* DNS failures: no SMTP reply, as Postfix's are counted at connect. */
    "host name lookup failure",
};

int rs_sendmail_program_matches(rs_str_t program)
{
	const char *base;
	size_t n;

	if (program.p == NULL || program.n == 0) {
		return 0;
	}
	/* "sendmail", "sm-mta", "sm-msp-queue", also under a path prefix
	 * ("sendmail/sm-mta"). */
	base = program.p + program.n;
	while (base > program.p && base[-1] != '/') {
		base--;
	}
	n = (size_t)(program.p + program.n - base);
	return rs_str_eq(base, n, "sendmail") || rs_str_eq(base, n, "sm-mta") ||
	       rs_str_eq(base, n, "sm-msp-queue");
}

/* Length of an alphanumeric queue id at p followed by ": "; 0 if none. */
static size_t queue_id_len(const char *p, size_t n)
{
	size_t i = 0;

	while (i < n && i <= 32 &&
	       ((p[i] >= '0' && p[i] <= '9') || (p[i] >= 'A' && p[i] <= 'Z') ||
	        (p[i] >= 'a' && p[i] <= 'z'))) {
		i++;
	}
	if (i < 6 || i > 32 || i + 1 >= n || p[i] != ':' || p[i + 1] != ' ') {
		return 0;
	}
	if (rs_str_eq(p, i, "NOQUEUE")) {
		return 0;
	}
	return i;
}

/*
 * First "key=" in [p, p+n) at the start or after a space or a comma;
 * returns a pointer to the value (after '='), or NULL.
 */
static const char *find_key(const char *p, size_t n, const char *key)
{
	size_t l = strlen(key);
	const char *q = p, *end = p + n;

	while (q < end) {
		const char *hit = rs_str_find(q, (size_t)(end - q), key);
		if (hit == NULL) {
			return NULL;
		}
		if (hit == p || hit[-1] == ' ' || hit[-1] == ',') {
			return hit + l;
		}
		q = hit + 1;
	}
	return NULL;
}

/* Value at v up to the next ", " or end. */
static rs_str_t value_at(const char *v, const char *end)
{
	const char *sep = rs_str_find(v, (size_t)(end - v), ", ");

	return rs_str(v, (size_t)((sep == NULL ? end : sep) - v));
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
	const char *v = find_key(p, (size_t)(head_end - p), key);

	if (v != NULL) {
		return value_at(v, head_end);
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
 * "postmaster" -> "postmaster". Returns -1 when '<' never closes.
 */
static int first_recipient(rs_str_t to, rs_str_t *out)
{
	size_t i;

	if (to.n > 0 && to.p[0] == '<') {
		int quoted = 0;
		for (i = 1; i < to.n; i++) {
			if (quoted) {
				if (to.p[i] == '\\') {
					i++;
				} else if (to.p[i] == '"') {
					quoted = 0;
				}
			} else if (to.p[i] == '"') {
				quoted = 1;
			} else if (to.p[i] == '>') {
				*out = rs_str(to.p + 1, i - 1);
				return 0;
			}
		}
		return -1;
	}
	for (i = 0; i < to.n && to.p[i] != ','; i++) {
	}
	*out = rs_str(to.p, i);
	return 0;
}

/* Address inside "[...]" at p (IPv6: prefix dropped); absent if invalid. */
static rs_str_t bracket_ip(const char *p, size_t n)
{
	const char *close;

	if (n < 2 || p[0] != '[') {
		return RS_STR_NULL;
	}
	close = memchr(p, ']', n);
	if (close == NULL) {
		return RS_STR_NULL;
	}
	p++;
	if (rs_str_starts(p, (size_t)(close - p), "IPv6:")) {
		p += LIT_LEN("IPv6:");
	}
	return rs_str_is_ip(p, (size_t)(close - p))
	           ? rs_str(p, (size_t)(close - p))
	           : RS_STR_NULL;
}

/*
 * relay= forms: "host. [ip]", "host [ip]", "[ip] [ip]" (no name), "host.",
 * "localhost", and the mangled "relay_id dsn=4.0.0" (host "relay_id").
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
		rec->remote_ip = bracket_ip(p, (size_t)(name_end - p));
	} else {
		size_t hn = (size_t)(name_end - p);
		if (hn > 0 && p[hn - 1] == '.') {
			hn--;
		}
		if (hn > 0) {
			rec->remote_host = rs_str(p, hn);
		}
	}
	if (sp != NULL && sp + 1 < end && sp[1] == '[') {
		rs_str_t ip = bracket_ip(sp + 1, (size_t)(end - sp - 1));
		if (ip.p != NULL) {
			rec->remote_ip = ip;
		}
	}
}

/* Seconds of "[D+]HH:MM:SS"; -1 when it is not that. */
static double parse_hms(rs_str_t s)
{
	const char *p = s.p;
	size_t n = s.n, i = 0;
	double days = 0;
	int v[3];

	if (p == NULL) {
		return -1;
	}
	while (i < n && i < 6 && rs_str_isdigit(p[i])) {
		days = days * 10 + (p[i] - '0');
		i++;
	}
	if (i < n && p[i] == '+' && i > 0) {
		p += i + 1;
		n -= i + 1;
	} else {
		days = 0;
	}
	if (n != 8 || p[2] != ':' || p[5] != ':') {
		return -1;
	}
	for (int k = 0; k < 3; k++) {
		if (!rs_str_isdigit(p[k * 3]) ||
		    !rs_str_isdigit(p[k * 3 + 1])) {
			return -1;
		}
		v[k] = (p[k * 3] - '0') * 10 + (p[k * 3 + 1] - '0');
	}
	return days * 86400 + v[0] * 3600 + v[1] * 60 + v[2];
}

/* Stage proved by a reason text without an SMTP reply. */
static rs_stage_t stage_of_reason(rs_str_t r)
{
	for (size_t i = 0;
	     i < sizeof(connect_phrases) / sizeof(connect_phrases[0]); i++) {
		if (rs_str_ifind(r.p, r.n, connect_phrases[i]) != NULL) {
			return RS_STAGE_CONNECT;
		}
	}
	return RS_STAGE_UNKNOWN;
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

/* The message part of a Sendmail syslog line. */
static rs_parse_result_t sendmail_parse(rs_logline_t *ll, rs_record_t *rec,
                                        const char **why)
{
	const rs_syslog_t *sl = rs_logline_syslog(ll);
	const char *p, *end, *v, *stat_v, *head_end;
	size_t n, qlen;
	rs_str_t to, stat, dsn = RS_STR_NULL, reply, stage = RS_STR_NULL;
	int status;

	if (sl == NULL) {
		*why = "not a syslog line (expected \"<time> <host> "
		       "<program>[pid]: <message>\")";
		return RS_PARSE_MALFORMED;
	}
	if (!rs_sendmail_program_matches(sl->program)) {
		return RS_PARSE_SKIP;
	}
	p = sl->msg.p;
	n = sl->msg.n;
	if (p == NULL) {
		return RS_PARSE_SKIP;
	}
	qlen = queue_id_len(p, n);
	if (qlen == 0 || !rs_str_starts(p + qlen + 2, n - qlen - 2, "to=")) {
		/* from=, NOQUEUE, "lost input channel", "done", DSN notes. */
		return RS_PARSE_SKIP;
	}
	rec->mta = RS_MTA_SENDMAIL;
	rec->log_time = sl->time;
	rec->log_time_ms = sl->time_ms;
	rec->log_host = sl->host;
	rec->program = sl->program;
	rec->queue_id = rs_str(p, qlen);
	p += qlen + 2;
	n -= qlen + 2;
	end = p + n;

	stat_v = find_key(p, n, "stat=");
	if (stat_v == NULL) {
		*why = "Sendmail delivery line has to= but no stat= field";
		return RS_PARSE_MALFORMED;
	}
	head_end = field_start(stat_v, LIT_LEN("stat="), p);
	stat = rs_str_trim(
	    rs_str(stat_v, (size_t)(text_end(stat_v, end) - stat_v)));
	if (stat.n == 0) {
		*why = "Sendmail stat= is empty";
		return RS_PARSE_MALFORMED;
	}
	to = value_at(p + LIT_LEN("to="), head_end);
	if (first_recipient(to, &rec->recipient) != 0) {
		*why = "the to= address has no closing '>' (line cut short?)";
		return RS_PARSE_MALFORMED;
	}
	rs_record_set_recipient(rec, rec->recipient);

	v = find_key(p, (size_t)(head_end - p), "dsn=");
	if (v != NULL) {
		dsn = value_at(v, head_end);
	}
	v = find_key(p, (size_t)(head_end - p), "relay=");
	if (v != NULL) {
		set_relay(rec, value_at(v, head_end));
	}
	v = find_key(p, (size_t)(head_end - p), "delay=");
	if (v != NULL) {
		rec->delays.total = parse_hms(value_at(v, head_end));
	}
	v = find_key(p, (size_t)(head_end - p), "xdelay=");
	if (v != NULL) {
		rec->delays.transmission = parse_hms(value_at(v, head_end));
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
		rec->stage = stage_of_reason(reply);
	}
	return RS_PARSE_EVENT;
}

const rs_format_t rs_sendmail_format = {
    .name = "sendmail",
    .summary = "Sendmail syslog lines (sendmail, sm-mta: stat=)",
    .flags = 0,
    .detect = sendmail_detect,
    .parse = sendmail_parse,
};
