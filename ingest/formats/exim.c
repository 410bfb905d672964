/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exim.c - Exim main log delivery lines to records.
 *
 * A main log line is "<date> <time>[.frac] [+zone] [[pid]] <msgid> <rest>".
 * Delivery outcomes carry a flag after the message id: "==" deferred,
 * "**" failed, "=>" "->" ">>" "*>" delivered. Every other line with an
 * Exim timestamp (arrivals "<=", "Completed", daemon and connection lines,
 * host-level "H=" lines) is a valid line that is not an event: SKIP.
 * Only a line without the timestamp is MALFORMED (or a delivery line with
 * no address at all).
 *
 * Decisions (the taxonomy leaves them to the parser):
 *  - "<msgid> H=host [ip]...: <error>" lines (no flag) are skipped. Exim
 *    writes them for the host and then one "==" or "**" line per address
 *    for the same attempt; making both events counts one failure twice.
 *    The price: a few per-address lines keep only the errno text
 *    ("defer (dd): Network Error H=x [ip]") while the host line had the
 *    reply.
 *  - "** x: retry timeout exceeded" and "** x ...: all hosts for 'd' have
 *    been failing for a long time (and retry time not reached)" are
 *    status EXPIRED, stage queue: Exim bounced because the address had
 *    been failing for longer than its retry rule allows, which is what
 *    Postfix logs as status=expired and what TAXONOMY's class "expired"
 *    names. Other "**" lines are BOUNCED.
 *  - Outcomes decided inside the MTA without an SMTP exchange
 *    ("Unrouteable address", "retry time not reached", "explicitly
 *    queued", "first-pass only routing", "queue_smtp_domains",
 *    "connection/concurrency limit reached") have stage queue.
 *  - "Connection refused", "Connection timed out", "Network Error", ...
 *    with no "after <command>" have stage connect.
 *  - "PRDR error after DATA" replies come after the final dot:
 *    end_of_data. "in response to TLS-on-connect": starttls.
 *  - reply_text is the reply from its code on ("452 4.5.3 Try again",
 *    "850 NONSENSE") when the message carries one, else the whole message
 *    after the field list. A reply whose code is not a valid SMTP code
 *    keeps its text and gets reply_code 0.
 *  - I=[ip]:port (log_selector +outgoing_interface) is the sending IP.
 *  - The recipient is the first address of the line. For pipe, file and
 *    autoreply "addresses" ("|/bin/prog args", "/var/mail/x",
 *    ">postmaster", "save folder") the parent address in "<...>" is taken
 *    when it has an '@'.
 *
 * Ownership: every slice points into the caller's line; nothing is
 * allocated or copied. @locality any thread; stateless.
 *
 * Hazards: the line is not NUL-terminated and may end anywhere (the Exim
 * test suite has lines cut mid-reply and replies over 4,000 bytes); every
 * read is bounded by the end pointer. Pipe commands contain spaces, quotes
 * and '@': the address ends at the first field marker, not at the first
 * space. Host names and transports may be followed directly by ':'
 * ("T=remote_smtp: SMTP error", "[127.0.0.1]:10002: SMTP error") while TLS
 * cipher values contain ':' ("X=TLS1.2:ECDHE-RSA:128"): a value ends at a
 * space or at ':' followed by a space. Without log_timezone the timestamp
 * has no zone; UTC is assumed.
 *
 * Length (a little over 800 lines): the mainlog and syslog forms, both
 * message-id forms and the log_selector fields share one field reader;
 * the generic readers it uses live in formats/fields.c.
 */
#include "formats/exim.h"

#include "formats/fields.h"
#include "formats/smtpreply.h"
#include "util/num.h"
#include "util/str.h"
#include "formats/syslog.h"

/* Bytes of "YYYY-MM-DD HH:MM:SS" the line must start with. */
#define EXIM_STAMP_LEN 19

/* Longest "[...]" read as an IP address (IPv6 with a zone fits). */
#define IP_MAX 64

/* Longest "(helo name)" looked at after an inbound H= host name. */
#define HELO_MAX 256

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

/* One message phrase, the kind of text that follows it. */
enum lead_kind {
	LEAD_REPLY,     /* "<command>: [host h [ip]: ]<reply>" follows */
	LEAD_PRDR,      /* like LEAD_REPLY, always after the final dot */
	LEAD_COMMAND,   /* "<command>" follows, no reply */
	LEAD_MALFORMED, /* "... in response to <command>[: <reply>]" */
};

struct lead {
	const char *text;
	enum lead_kind kind;
};

/* Message phrases that name the SMTP command; first match wins. */
static const struct lead leads[] = {
    {"SMTP error from remote mail server after ", LEAD_REPLY},
    /* The wording of Exim before 4.50. */
    {"SMTP error from remote mailer after ", LEAD_REPLY},
    {"LMTP error after ", LEAD_REPLY},
    {"PRDR error after ", LEAD_PRDR},
    {"SMTP timeout after ", LEAD_COMMAND},
    {"LMTP timeout after ", LEAD_COMMAND},
    {"Remote host closed connection in response to ", LEAD_COMMAND},
    {"Malformed SMTP reply", LEAD_MALFORMED},
};

/* Is c an ASCII letter or digit? */
static int is_alnum(char c)
{
	return rs_str_isdigit(c) || (c >= 'a' && c <= 'z') ||
	       (c >= 'A' && c <= 'Z');
}

int rs_exim_line_matches(const char *line, size_t len)
{
	/* "YYYY-MM-DD HH:MM:SS" then ' ' or '.'; x marks a digit. */
	static const char shape[] = "xxxx-xx-xx xx:xx:xx";

	if (len < EXIM_STAMP_LEN + 1) {
		return 0;
	}
	for (size_t i = 0; i < EXIM_STAMP_LEN; i++) {
		if (shape[i] == 'x' ? !rs_str_isdigit(line[i])
		                    : line[i] != shape[i]) {
			return 0;
		}
	}
	return line[EXIM_STAMP_LEN] == ' ' || line[EXIM_STAMP_LEN] == '.';
}

/* Length of the timestamp and zone at the line start; 0 if none. */
static size_t parse_stamp(const char *line, size_t len, int64_t *ms)
{
	size_t n;

	if (!rs_exim_line_matches(line, len)) {
		return 0;
	}
	n = rs_syslog_parse_iso(line, len, ms);
	if (n < EXIM_STAMP_LEN) {
		return 0;
	}
	/* log_timezone adds " +hhmm" after the time. */
	if (n + 6 <= len && line[n] == ' ' &&
	    (line[n + 1] == '+' || line[n + 1] == '-') &&
	    rs_str_isdigit(line[n + 2]) && rs_str_isdigit(line[n + 3]) &&
	    rs_str_isdigit(line[n + 4]) && rs_str_isdigit(line[n + 5]) &&
	    (n + 6 == len || line[n + 6] == ' ')) {
		int64_t off =
		    ((line[n + 2] - '0') * 10 + (line[n + 3] - '0')) * 3600 +
		    ((line[n + 4] - '0') * 10 + (line[n + 5] - '0')) * 60;
		*ms -= (line[n + 1] == '+' ? off : -off) * 1000;
		n += 6;
	}
	return n;
}

/*
 * Is [p, p+n) an Exim message id? New form "10HmaX-000000005vi-0000"
 * (6-11-4, Exim 4.97+), old form "1RookS-000Pg8-VO" (6-6-2).
 */
static int is_msgid(const char *p, size_t n)
{
	size_t groups[3];
	size_t g = 0, run = 0;

	for (size_t i = 0; i < n; i++) {
		if (p[i] == '-') {
			if (g >= 2) {
				return 0;
			}
			groups[g++] = run;
			run = 0;
		} else if (is_alnum(p[i])) {
			run++;
		} else {
			return 0;
		}
	}
	if (g != 2) {
		return 0;
	}
	groups[2] = run;
	return groups[0] == 6 && ((groups[1] == 6 && groups[2] == 2) ||
	                          (groups[1] == 11 && groups[2] == 4));
}

/* Length of a field key "K=" / "QT=" at p (upper case, digits), 0 if not. */
static size_t field_key_len(const char *p, const char *e)
{
	size_t i = 0;

	if (p >= e || p[0] < 'A' || p[0] > 'Z') {
		return 0;
	}
	while (p + i < e && i < 4 &&
	       ((p[i] >= 'A' && p[i] <= 'Z') || rs_str_isdigit(p[i]))) {
		i++;
	}
	return (p + i < e && p[i] == '=') ? i + 1 : 0;
}

/* End of a plain field value: a space, or ':' before a space or the end. */
static const char *value_end(const char *p, const char *e)
{
	for (; p < e; p++) {
		if (*p == ' ' || (*p == ':' && (p + 1 == e || p[1] == ' '))) {
			break;
		}
	}
	return p;
}

/*
 * End of the address after the flag: the first " <" (parent), " K=" field,
 * " defer (", " :" or ": " / final ':'.
 */
static const char *address_end(const char *p, const char *e)
{
	for (const char *q = p; q < e; q++) {
		if (*q == ':' && (q + 1 == e || q[1] == ' ')) {
			return q;
		}
		if (*q != ' ') {
			continue;
		}
		if (q + 1 == e || q[1] == '<' || q[1] == ':' ||
		    field_key_len(q + 1, e) > 0 ||
		    rs_str_starts(q + 1, (size_t)(e - q - 1), "defer (")) {
			return q;
		}
	}
	return e;
}

/* A remote host as Exim logs it: "name [ip]:port". */
typedef struct exim_host {
	rs_str_t name;
	rs_str_t ip;
	uint32_t port;
} exim_host_t;

/*
 * Parse "name [ip][:port][*]" (also "(helo) [ip]", "name (helo) [ip]") at
 * p. Returns the end, or NULL when p does not hold a host.
 */
static const char *parse_host(const char *p, const char *e, exim_host_t *h)
{
	const char *name_end = p, *ip, *q;

	while (name_end < e && *name_end != ' ') {
		name_end++;
	}
	if (name_end == p) {
		return NULL;
	}
	q = name_end;
	/* An inbound "H=name (helo)" carries the HELO name in parentheses. */
	if (q + 1 < e && q[1] == '(') {
		size_t room = (size_t)(e - q - 1);
		const char *close =
		    memchr(q + 1, ')', room < HELO_MAX ? room : HELO_MAX);
		if (close == NULL) {
			return NULL;
		}
		q = close + 1;
	}
	if (q + 1 >= e || q[0] != ' ' || q[1] != '[') {
		return NULL;
	}
	ip = q + 2;
	/* Bounded: a hostile line must not make every "H=x [" scan it all. */
	q = memchr(ip, ']',
	           (size_t)(e - ip) < IP_MAX ? (size_t)(e - ip) : IP_MAX);
	if (q == NULL || q == ip || memchr(ip, ' ', (size_t)(q - ip)) != NULL) {
		return NULL;
	}
	h->name = rs_str(p, (size_t)(name_end - p));
	h->ip = rs_str(ip, (size_t)(q - ip));
	h->port = 0;
	q++;
	/* ":25", or the test suite's "PORT_S" placeholders (not a number). */
	if (q + 1 < e && q[0] == ':' && (is_alnum(q[1]) || q[1] == '_')) {
		const char *port = ++q;
		while (q < e && (is_alnum(*q) || *q == '_')) {
			q++;
		}
		h->port = rs_fields_port(port, (size_t)(q - port));
	}
	if (q < e && *q == '*') {
		q++;
	}
	return q;
}

/* Copy a parsed host into the record unless it already has one. */
static void set_host(rs_record_t *rec, const exim_host_t *h)
{
	if (rec->remote_ip.p == NULL) {
		rec->remote_host = h->name;
		rec->remote_ip = h->ip;
		rec->remote_port = h->port;
	}
}

/* End of a C="..." confirmation starting at the quote; Exim escapes \". */
static const char *quoted_end(const char *p, const char *e)
{
	for (p++; p < e; p++) {
		if (*p == '\\' && p + 1 < e) {
			p++;
		} else if (*p == '"') {
			return p;
		}
	}
	return NULL;
}

/*
 * After "<command>" find ": " and return the reply after it, moving past a
 * pre-4.85 "host name [ip]: " (whose host fills the record when no H=
 * field did). RS_STR_NULL when the command has no ": " after it.
 */
static rs_str_t reply_after_command(const char *cmd, const char *e,
                                    rs_record_t *rec)
{
	const char *r = rs_str_find(cmd, (size_t)(e - cmd), ": ");

	if (r == NULL) {
		return RS_STR_NULL;
	}
	r += 2;
	if (rs_str_starts(r, (size_t)(e - r), "host ")) {
		exim_host_t host;
		const char *h = parse_host(r + 5, e, &host);

		if (h != NULL && h + 1 < e && h[0] == ':' && h[1] == ' ') {
			set_host(rec, &host);
			r = h + 2;
		}
	}
	return rs_str(r, (size_t)(e - r));
}

/* Fill stage, reply code and reply text from the message [m, e). */
static void analyse_message(const char *m, const char *e, rs_record_t *rec)
{
	size_t n = (size_t)(e - m);

	rec->reply_text = rs_str(m, n);
	for (size_t i = 0; i < COUNT(leads); i++) {
		const char *hit = rs_str_find(m, n, leads[i].text);
		const char *cmd;
		rs_str_t reply = RS_STR_NULL;

		if (hit == NULL) {
			continue;
		}
		cmd = hit + strlen(leads[i].text);
		if (leads[i].kind == LEAD_MALFORMED) {
			cmd = rs_str_find(cmd, (size_t)(e - cmd),
			                  " in response to ");
			if (cmd == NULL) {
				return;
			}
			cmd += strlen(" in response to ");
		}
		rec->stage =
		    rs_smtpreply_stage_of_command(cmd, (size_t)(e - cmd));
		if (leads[i].kind == LEAD_PRDR) {
			rec->stage = RS_STAGE_END_OF_DATA;
		} else if (rec->stage == RS_STAGE_UNKNOWN &&
		           rs_str_starts(cmd, (size_t)(e - cmd),
		                         "TLS-on-connect")) {
			rec->stage = RS_STAGE_STARTTLS;
		}
		if (leads[i].kind != LEAD_COMMAND) {
			reply = reply_after_command(cmd, e, rec);
		}
		if (reply.p != NULL) {
			rec->reply_code = rs_smtpreply_codes(
			    reply.p, reply.n, &rec->enhanced_code);
			rec->reply_text = reply;
		}
		return;
	}
	rec->stage = rs_smtpreply_stage_of_failure(m, n);
	if (rec->stage == RS_STAGE_QUEUE && rec->status == RS_STATUS_BOUNCED &&
	    rs_smtpreply_is_expiry(m, n)) {
		rec->status = RS_STATUS_EXPIRED;
	}
}

/*
 * After "defer (errno): " Exim writes the errno text, then " H=host [ip]",
 * then ": message" ("Connection timed out H=x [ip]: SMTP timeout after
 * EHLO y"). Take the host from there when the fields had none.
 */
static void host_in_defer_body(const char *m, const char *e, rs_record_t *rec)
{
	const char *colon = rs_str_find(m, (size_t)(e - m), ": ");
	const char *lim = colon != NULL ? colon : e;
	const char *h = rs_str_find(m, (size_t)(lim - m), " H=");
	exim_host_t host;

	if (h != NULL && parse_host(h + 3, e, &host) != NULL) {
		set_host(rec, &host);
	}
}

/* Fill recipient and its domain from the address and its parent. */
static void set_recipient(rs_record_t *rec, rs_str_t addr, rs_str_t parent)
{
	int pseudo = addr.p[0] == '|' || addr.p[0] == '/' || addr.p[0] == '>' ||
	             memchr(addr.p, '@', addr.n) == NULL ||
	             (addr.p[0] != '"' && memchr(addr.p, ' ', addr.n) != NULL);
	rs_str_t r = addr;

	if (pseudo && parent.p != NULL &&
	    memchr(parent.p, '@', parent.n) != NULL) {
		r = parent;
		pseudo = 0;
	}
	if (pseudo) {
		rec->recipient = r; /* a pipe, file or bare name: no domain */
		return;
	}
	rs_record_set_recipient(rec, r);
}

/* The head of a delivery entry: message id, outcome and address. */
typedef struct entry_head {
	rs_str_t queue_id;
	rs_status_t status;
	rs_str_t addr;
	const char *rest; /* after the address */
} entry_head_t;

/*
 * Read "[[pid] ]<msgid> <flag> <address>" from [p, e): RS_PARSE_EVENT
 * when it is a delivery line's head (the line is an event from here on),
 * else what parse_entry() returns for the line.
 */
static rs_parse_result_t read_head(const char *p, const char *e,
                                   entry_head_t *h, const char **why)
{
	const char *tok;

	/* log_selector +pid: "[1234] " before the message id. */
	if (p < e && *p == '[') {
		const char *q = p + 1;
		while (q < e && rs_str_isdigit(*q)) {
			q++;
		}
		if (q > p + 1 && q + 1 < e && q[0] == ']' && q[1] == ' ') {
			p = q + 2;
		}
	}
	tok = p;
	while (p < e && *p != ' ') {
		p++;
	}
	if (!is_msgid(tok, (size_t)(p - tok))) {
		return RS_PARSE_SKIP;
	}
	h->queue_id = rs_str(tok, (size_t)(p - tok));
	/* The flag: two bytes after the id, then a space or the end. */
	if (e - p < 3 || (e - p > 3 && p[3] != ' ')) {
		return RS_PARSE_SKIP;
	}
	p++;
	if (p[0] == '=' && p[1] == '=') {
		h->status = RS_STATUS_DEFERRED;
	} else if (p[0] == '*' && p[1] == '*') {
		h->status = RS_STATUS_BOUNCED;
	} else if (p[1] == '>' &&
	           (p[0] == '=' || p[0] == '-' || p[0] == '>' || p[0] == '*')) {
		h->status = RS_STATUS_SENT;
	} else {
		return RS_PARSE_SKIP;
	}
	p += 2;
	/* One space, or more: "->  a@b <\" x\"@c>" is real. */
	while (p < e && *p == ' ') {
		p++;
	}
	tok = p;
	p = address_end(p, e);
	if (p == tok) {
		*why = "Exim delivery line without an address after the flag";
		return RS_PARSE_MALFORMED;
	}
	h->addr = rs_str(tok, (size_t)(p - tok));
	h->rest = p;
	return RS_PARSE_EVENT;
}

/*
 * The part of a line after the timestamp: "[[pid] ]<msgid> <flag> ...",
 * up to e. rec->mta and the time are already set.
 */
static rs_parse_result_t parse_entry(const char *p, const char *e,
                                     rs_record_t *rec, const char **why)
{
	const char *msg = NULL;
	rs_str_t addr, parent = RS_STR_NULL, confirm = RS_STR_NULL;
	int defer_body = 0;
	entry_head_t h;
	rs_parse_result_t res;

	/* What the head reads goes to the record, also on a skip. */
	h.queue_id = rec->queue_id;
	h.status = rec->status;
	res = read_head(p, e, &h, why);
	rec->queue_id = h.queue_id;
	rec->status = h.status;
	if (res != RS_PARSE_EVENT) {
		return res;
	}
	addr = h.addr;
	p = h.rest;

	/* The fields up to the message: "<parent> F=<s> R=r T=t H=h [ip]". */
	while (p < e) {
		size_t k;

		if (*p == ' ') {
			p++;
			continue;
		}
		if (*p == ':') {
			msg = p + 1;
			break;
		}
		if (*p == '<') {
			const char *q = memchr(p, '>', (size_t)(e - p));
			if (q == NULL) {
				break;
			}
			if (parent.p == NULL) {
				parent = rs_str(p + 1, (size_t)(q - p - 1));
			}
			p = q + 1;
			continue;
		}
		if (rs_str_starts(p, (size_t)(e - p), "defer (")) {
			const char *q = memchr(p, ')', (size_t)(e - p));
			if (q == NULL) {
				break;
			}
			p = q + 1;
			if (p < e && *p == ':') {
				msg = p + 1;
				defer_body = 1;
				break;
			}
			continue;
		}
		k = field_key_len(p, e);
		if (k == 2 && p[0] == 'H') {
			exim_host_t host;
			const char *q = parse_host(p + 2, e, &host);
			if (q != NULL) {
				set_host(rec, &host);
				p = q;
			} else {
				p = value_end(p, e);
			}
			continue;
		}
		/* +outgoing_interface: "I=[ip]:port", the sending side. */
		if (k == 2 && p[0] == 'I' && p + 2 < e && p[2] == '[') {
			rs_str_t ip =
			    rs_fields_bracket_ip(p + 2, (size_t)(e - p - 2));
			if (ip.p != NULL) {
				rec->sending_ip = ip;
			}
			p = value_end(p + 2, e);
			continue;
		}
		if (k == 2 && (p[0] == 'F' || p[0] == 'P') && p + 2 < e &&
		    p[2] == '<') {
			const char *q = memchr(p, '>', (size_t)(e - p));
			if (q == NULL) {
				break;
			}
			if (p[0] == 'F') {
				rec->sender =
				    rs_str(p + 3, (size_t)(q - p - 3));
			}
			p = q + 1;
			continue;
		}
		if (k == 2 && p[0] == 'C' && p + 2 < e && p[2] == '"') {
			const char *q = quoted_end(p + 2, e);
			if (q == NULL) {
				break;
			}
			confirm = rs_str(p + 3, (size_t)(q - p - 3));
			p = q + 1;
			continue;
		}
		if (k == 3 && p[0] == 'Q' && p[1] == 'T') {
			rec->delays.total =
			    rs_num_units(p + 3, (size_t)(e - p - 3));
		}
		p = value_end(p + k, e);
	}

	set_recipient(rec, addr, parent);
	if (rec->status == RS_STATUS_SENT) {
		if (confirm.p != NULL) {
			rec->reply_code = rs_smtpreply_codes(
			    confirm.p, confirm.n, &rec->enhanced_code);
			rec->reply_text = confirm;
		}
		return RS_PARSE_EVENT;
	}
	if (msg == NULL) {
		rec->reply_text = rs_str(e, 0);
		return RS_PARSE_EVENT;
	}
	while (msg < e && *msg == ' ') {
		msg++;
	}
	if (defer_body) {
		host_in_defer_body(msg, e, rec);
	}
	analyse_message(msg, e, rec);
	return RS_PARSE_EVENT;
}

/* Drop trailing CR, LF, spaces and tabs. */
static size_t trim_end(const char *line, size_t len)
{
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n' ||
	                   line[len - 1] == ' ' || line[len - 1] == '\t')) {
		len--;
	}
	return len;
}

/* A main log line: "YYYY-MM-DD HH:MM:SS[.fff] [+zone] <entry>". */
static rs_parse_result_t parse_main(const char *line, size_t len,
                                    rs_record_t *rec, const char **why)
{
	size_t n;

	len = trim_end(line, len);
	n = parse_stamp(line, len, &rec->log_time_ms);
	if (n == 0) {
		*why = "not an Exim main log line (no \"YYYY-MM-DD HH:MM:SS\" "
		       "timestamp at the start)";
		return RS_PARSE_MALFORMED;
	}
	rec->mta = RS_MTA_EXIM;
	rec->log_time = rs_str(line, n);
	if (n >= len || line[n] != ' ') {
		*why = "Exim main log line with nothing after the timestamp";
		return RS_PARSE_MALFORMED;
	}
	return parse_entry(line + n + 1, line + len, rec, why);
}

/* Is the syslog program Exim's ("exim", "exim4", ".../exim4")? */
static int is_exim_program(rs_str_t program)
{
	rs_str_t base = rs_fields_program_base(program);

	return base.p != NULL && rs_str_starts(base.p, base.n, "exim");
}

/*
 * "<host> exim[pid]: <message>": a syslog template without the date
 * (seen in fail2ban's test data), or "exim[pid]: <message>" without the
 * host either (as log viewers show a line). Fills *out (no time) and
 * returns it, or NULL when the line is not of that shape.
 */
static const rs_syslog_t *host_tag_prefix(const char *p, size_t n,
                                          rs_syslog_t *out)
{
	const char *sp = memchr(p, ' ', n), *tag, *q;
	rs_str_t host = RS_STR_NULL;

	if (sp == NULL || sp == p) {
		return NULL;
	}
	for (q = p; q < sp && *q != '['; q++) {
	}
	if (q < sp && is_exim_program(rs_str(p, (size_t)(q - p)))) {
		tag = p; /* no host */
	} else {
		host = rs_str(p, (size_t)(sp - p));
		tag = sp + 1;
	}
	for (q = tag; q < p + n && *q != '[' && *q != ' ' && *q != ':'; q++) {
	}
	if (q + 1 >= p + n || *q != '[' ||
	    !is_exim_program(rs_str(tag, (size_t)(q - tag)))) {
		return NULL;
	}
	memset(out, 0, sizeof(*out));
	out->host = host;
	out->program = rs_str(tag, (size_t)(q - tag));
	q = memchr(q, ']', (size_t)(p + n - q));
	if (q == NULL || q + 2 > p + n || q[1] != ':') {
		return NULL;
	}
	q += 2;
	if (q < p + n && *q == ' ') {
		q++;
	}
	out->msg = rs_str(q, (size_t)(p + n - q));
	return out;
}

/* A main log line, or an Exim line that came through syslog. */
static int exim_detect(rs_logline_t *ll)
{
	const rs_syslog_t *sl;

	if (ll->n > 0 && rs_str_isdigit(ll->p[0]) &&
	    rs_exim_line_matches(ll->p, ll->n)) {
		return 1;
	}
	sl = rs_logline_syslog(ll);
	if (sl == NULL) {
		/* Not a syslog line: perhaps one without the date. */
		rs_syslog_t bare;
		return host_tag_prefix(ll->p, ll->n, &bare) != NULL;
	}
	return is_exim_program(sl->program) ||
	       rs_exim_line_matches(sl->msg.p, sl->msg.n);
}

/* Is there a " => " ("->", ">>", "*>") in [p, p+n)? One memchr per '>':
 * arrivals and "Completed" lines have none or few. */
static int has_sent_flag(const char *p, size_t n)
{
	const char *e = p + n, *q = p;

	while (q < e && (q = memchr(q, '>', (size_t)(e - q))) != NULL) {
		if (q - p >= 2 && q[-2] == ' ' &&
		    (q[-1] == '=' || q[-1] == '-' || q[-1] == '>' ||
		     q[-1] == '*')) {
			return 1;
		}
		q++;
	}
	return 0;
}

/*
 * The skip path (format.h): a main log line whose head reads as a
 * delivery ("=>", "->", ">>", "*>") is a sent event from there on
 * (parse_entry() returns RS_PARSE_EVENT for every line whose head
 * reads), so it is dropped when the run drops sent events. Everything
 * else, Exim through syslog included, is parsed as usual.
 */
static rs_skip_t exim_skips(rs_logline_t *ll)
{
	entry_head_t h;
	const char *why;
	int64_t ms;
	size_t len, n;

	if (!ll->drop_sent || ll->n == 0 || !rs_str_isdigit(ll->p[0]) ||
	    !rs_exim_line_matches(ll->p, ll->n) ||
	    !has_sent_flag(ll->p + EXIM_STAMP_LEN, ll->n - EXIM_STAMP_LEN)) {
		return RS_SKIP_UNSURE;
	}
	len = trim_end(ll->p, ll->n);
	n = parse_stamp(ll->p, len, &ms);
	if (n == 0 || n >= len || ll->p[n] != ' ' ||
	    read_head(ll->p + n + 1, ll->p + len, &h, &why) != RS_PARSE_EVENT ||
	    h.status != RS_STATUS_SENT) {
		return RS_SKIP_UNSURE;
	}
	return RS_SKIP_DROP;
}

/*
 * Through syslog the message is the main log line, with its timestamp
 * (syslog_timestamp, Exim's default) or without it; the syslog prefix
 * gives the host, the program and, without Exim's own, the time.
 */
static rs_parse_result_t exim_parse(rs_logline_t *ll, rs_record_t *rec,
                                    const char **why)
{
	rs_syslog_t bare;
	const rs_syslog_t *sl;
	const char *m;
	size_t n;

	if (rs_exim_line_matches(ll->p, ll->n)) {
		rs_parse_result_t res = parse_main(ll->p, ll->n, rec, why);
		/* A syslog line with an ISO stamp looks alike until its
		 * message id is read. */
		if (res != RS_PARSE_SKIP ||
		    (sl = rs_logline_syslog(ll)) == NULL) {
			return res;
		}
		rs_record_reset(rec);
	}
	sl = rs_logline_syslog(ll);
	if (sl == NULL) {
		sl = host_tag_prefix(ll->p, ll->n, &bare);
	}
	if (sl == NULL) {
		*why = "not an Exim main log line (no \"YYYY-MM-DD HH:MM:SS\" "
		       "timestamp at the start) nor an Exim syslog line";
		return RS_PARSE_MALFORMED;
	}
	m = sl->msg.p;
	n = sl->msg.n;
	if (rs_exim_line_matches(m, n)) {
		rs_parse_result_t res = parse_main(m, n, rec, why);
		rec->log_host = sl->host;
		rec->program = sl->program;
		return res;
	}
	if (!is_exim_program(sl->program)) {
		return RS_PARSE_SKIP;
	}
	rec->mta = RS_MTA_EXIM;
	rs_fields_from_syslog(rec, sl);
	n = trim_end(m, n);
	return parse_entry(m, m + n, rec, why);
}

const rs_format_t rs_exim_format = {
    .name = "exim",
    .summary = "Exim main log lines, also through syslog (==, **, =>)",
    .flags = 0,
    .mta = RS_MTA_EXIM,
    .detect = exim_detect,
    .parse = exim_parse,
    .skips = exim_skips,
};
