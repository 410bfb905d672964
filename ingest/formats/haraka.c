/* SPDX-License-Identifier: Apache-2.0 */
/*
 * haraka.c - Haraka outbound delivery lines to records.
 *
 * Haraka's logger (logger.js) writes one record per line in one of three
 * formats: default "[LEVEL] [uuid] [origin] message", logfmt "level=L
 * uuid=U origin=O message=M k=v ..." and JSON {"level":..,"uuid":..,
 * "origin":..,"message":..,...}. In logfmt and JSON the fields of a logged
 * plain object are merged into the record; in the default format they are
 * appended to the message as k=v pairs. Values are quoted with '"' when
 * empty or holding a space, '=', '"' or '\', and '"' and '\' are escaped
 * with '\' (JSON: JSON escapes). Before the record may come a
 * Date.toISOString() stamp (timestamps=true), a multilog tai64n label or
 * its tai64nlocal form, or a syslog prefix (the syslog plugin, a tag that
 * starts "haraka"); the documentation's examples say "source" where the code
 * writes "origin", so both are read.
 *
 * Outcomes, all from origin "outbound" (outbound/hmail.js):
 *  - "recipient <a> deferred: <reply>" -> DEFERRED, "recipient <a>
 *    rejected: <reply>" -> BOUNCED, per recipient, stage rcpt_to (Haraka
 *    logs these for RCPT TO replies, and for the per-recipient replies
 *    after an LMTP DATA, which it does not tell apart).
 *  - "Temp failing <file> for <N> seconds: <err>" -> DEFERRED. <err>
 *    "Upstream error: <reply>" is the reply to a command other than RCPT
 *    (stage unknown); other texts are Haraka's own ("Tried all MXs",
 *    "DNS lookup failure: ...") and their stage is what
 *    rs_smtpreply_stage_of_failure reads.
 *  - "bouncing mail: <err>" -> BOUNCED, or EXPIRED (stage queue) for
 *    "Too many failures (...)", Haraka giving up after its retry
 *    intervals. "Bouncing mail: " (capital B, as a patched hmail.js seen
 *    in a public log writes it) is read the same.
 *  - "delivered file=<f> domain=<d> host=<h> ip=<ip> port=<p> ...
 *    response=<r> delay=<s> ..." (a logged object; before 2017 a string)
 *    -> SENT with remote_host, remote_ip, remote_port, delays.total, the
 *    response as reply_text and domain as recipient_domain (the line
 *    names no recipient).
 * "Temp failing ...: Some recipients temp failed: <a>, <b>" and "bouncing
 * mail: Some recipients failed: <a>" are SKIPPED: the per-recipient lines
 * before them are the events (one failure is not counted twice). So are
 * "Double bounce:", every inbound ([core]) line and every other message.
 *
 * The queue_id is the uuid (transaction and attempt, "...D4F9A6.1.1").
 * Haraka logs no sending address on these lines (get_mx's bind appears
 * only in a DEBUG pool line): sending_ip comes from the sources map.
 *
 * Ownership: slices point into the line, or into the record arena for an
 * unescaped message or value. @locality any thread; stateless.
 */
#include "formats/haraka.h"

#include "formats/fields.h"
#include "formats/smtpreply.h"
#include "formats/syslog.h"
#include "util/json.h"
#include "util/num.h"
#include "util/str.h"

#define LIT_LEN(s) (sizeof(s) - 1)

static const char *const levels[] = {
    "DATA", "PROTOCOL", "DEBUG", "INFO",  "NOTICE",
    "WARN", "ERROR",    "CRIT",  "ALERT", "EMERG",
};

/* Is [p, p+n) one of Haraka's level names? */
static int is_level(const char *p, size_t n)
{
	for (size_t i = 0; i < sizeof(levels) / sizeof(levels[0]); i++) {
		if (rs_str_eq(p, n, levels[i])) {
			return 1;
		}
	}
	return 0;
}

/* The log record, whatever its format. */
typedef enum { FMT_DEFAULT, FMT_LOGFMT, FMT_JSON } haraka_fmt_t;

typedef struct haraka_rec {
	haraka_fmt_t fmt;
	rs_str_t uuid;
	rs_str_t origin;
	rs_str_t message; /* unescaped */
	rs_str_t body;    /* the record, after any stamp or prefix */
} haraka_rec_t;

/* A level name at p, then the literal after: its end, or NULL. */
static const char *level_then(const char *p, const char *e, const char *after)
{
	const char *q = p;

	while (q < e && q - p < 9 && *q >= 'A' && *q <= 'Z') {
		q++;
	}
	if (!is_level(p, (size_t)(q - p)) ||
	    !rs_str_starts(q, (size_t)(e - q), after)) {
		return NULL;
	}
	return q + strlen(after);
}

/*
 * Does a record of one of the three formats start at [p, p+n)? The level
 * must be one of Haraka's, followed by the uuid, so that other programs'
 * logfmt or JSON lines are not taken for Haraka's.
 */
static int record_start(const char *p, size_t n)
{
	const char *e = p + n;

	if (rs_str_starts(p, n, "{\"level\":\"")) {
		return level_then(p + LIT_LEN("{\"level\":\""), e,
		                  "\",\"uuid\":\"") != NULL;
	}
	if (rs_str_starts(p, n, "level=")) {
		return level_then(p + LIT_LEN("level="), e, " uuid=") != NULL;
	}
	if (n > 0 && p[0] == '[') {
		return rs_str_starts(p, n, "[outbound] ") ||
		       level_then(p + 1, e, "] [") != NULL;
	}
	return 0;
}

/* Is the syslog tag Haraka's ("haraka", "haraka-out", ".../haraka")? */
static int is_program(rs_str_t program)
{
	rs_str_t base = rs_fields_program_base(program);

	return base.p != NULL && rs_str_starts(base.p, base.n, "haraka");
}

/*
 * Does an ISO stamp of Date.toISOString() ("2020-02-04T03:19:47.480Z ")
 * or tai64nlocal ("2026-07-23 20:55:28.029305500  ") start [p, p+n), with
 * a record after it? Only the shape is checked, cheaply: Exim's main log
 * lines start with such a date too, and reach here for every line Exim
 * skips.
 */
static int stamped_record(const char *p, size_t n)
{
	size_t i;

	if (n < 26 || p[4] != '-' || p[19] != '.') {
		return 0;
	}
	if (p[10] == 'T') {
		return p[23] == 'Z' && p[24] == ' ' &&
		       record_start(p + 25, n - 25);
	}
	for (i = 20; i < n && rs_str_isdigit(p[i]); i++) {
	}
	while (i < n && p[i] == ' ') {
		i++;
	}
	return p[10] == ' ' && i < n && record_start(p + i, n - i);
}

/*
 * Strip what may stand before the record: an ISO stamp (toISOString or
 * tai64nlocal) or a tai64n label and its spaces, or a syslog prefix with
 * the tag haraka. The record's start, or NULL when there is none.
 */
static const char *strip_prefix(rs_logline_t *ll, rs_record_t *rec)
{
	const char *p = ll->p, *e = ll->p + ll->n;
	const rs_syslog_t *sl;
	size_t used = 0;
	int64_t ms = 0;

	if (ll->n > 0 && rs_str_isdigit(p[0]) && stamped_record(p, ll->n)) {
		used = rs_syslog_parse_iso(p, ll->n, &ms);
	} else if (ll->n > 0 && p[0] == '@') {
		used = rs_num_tai64n(p, ll->n, &ms);
	}
	if (used > 0 && p + used < e && p[used] == ' ') {
		const char *r = p + used;
		while (r < e && *r == ' ') {
			r++;
		}
		if (record_start(r, (size_t)(e - r))) {
			rec->log_time = rs_str(p, used);
			rec->log_time_ms = ms;
			return r;
		}
	}
	if (record_start(p, ll->n)) {
		return p;
	}
	sl = rs_logline_syslog(ll);
	if (sl != NULL && is_program(sl->program) &&
	    record_start(sl->msg.p, sl->msg.n)) {
		rs_fields_from_syslog(rec, sl);
		return sl->msg.p;
	}
	return NULL;
}

/* A value without its backslash escapes (a copy in the arena if any). */
static int unescape(rs_record_t *rec, const rs_fields_kv_t *kv, rs_str_t *out)
{
	char *dst;

	if (!kv->escaped) {
		*out = kv->val;
		return 0;
	}
	dst = rs_record_arena_alloc(rec, kv->val.n);
	if (dst == NULL) {
		return -1;
	}
	*out = rs_str(dst, rs_fields_kv_unescape(kv->val, dst));
	rec->arena_used -= kv->val.n - out->n;
	return 0;
}

/* "[LEVEL] [uuid] [origin] message" (or the cut "[outbound] message"). */
static int read_default(const char *p, const char *e, haraka_rec_t *h)
{
	rs_str_t part[3];
	int nparts = 0;

	while (nparts < 3 && p < e && *p == '[') {
		const char *close = memchr(p, ']', (size_t)(e - p));
		if (close == NULL) {
			return -1;
		}
		part[nparts++] = rs_str(p + 1, (size_t)(close - p - 1));
		p = close + 1;
		if (p < e && *p == ' ') {
			p++;
		}
		if (nparts == 1 && !is_level(part[0].p, part[0].n)) {
			break; /* "[outbound] ...": level and uuid cut */
		}
	}
	if (nparts == 3) {
		h->uuid = part[1];
		h->origin = part[2];
	} else if (nparts == 1) {
		h->origin = part[0];
	} else {
		return -1;
	}
	h->message = rs_str(p, (size_t)(e - p));
	return 0;
}

/* logfmt: level=, uuid=, origin= (or source=), message=. */
static int read_logfmt(rs_record_t *rec, const char *p, const char *e,
                       haraka_rec_t *h)
{
	rs_fields_kv_t kv;
	int has_message = 0;

	while (rs_fields_kv_next(&p, e, &kv)) {
		if (rs_str_eq(kv.key.p, kv.key.n, "uuid")) {
			h->uuid = kv.val;
		} else if (rs_str_eq(kv.key.p, kv.key.n, "origin") ||
		           rs_str_eq(kv.key.p, kv.key.n, "source")) {
			h->origin = kv.val;
		} else if (rs_str_eq(kv.key.p, kv.key.n, "message")) {
			if (unescape(rec, &kv, &h->message) != 0) {
				return -1;
			}
			has_message = 1;
			break; /* merged object keys follow */
		}
	}
	return has_message ? 0 : -1;
}

/* JSON: the four fields; the rest is checked for syntax only. */
static int read_json(rs_record_t *rec, const char *p, const char *e,
                     haraka_rec_t *h, const char **why)
{
	rs_json_iter_t it;
	rs_str_t key, val;
	int r;

	rs_json_open(&it, p, e, 1);
	while ((r = rs_json_next(&it, '}', &key, &val, why)) == 1) {
		rs_str_t *dst = NULL;

		if (rs_json_key_is(key, "uuid")) {
			dst = &h->uuid;
		} else if (rs_json_key_is(key, "origin") ||
		           rs_json_key_is(key, "source")) {
			dst = &h->origin;
		} else if (rs_json_key_is(key, "message")) {
			dst = &h->message;
		}
		if (dst != NULL && rs_json_string_value(rec, val, dst) != 0) {
			*why = "Haraka JSON record: uuid, origin or message is "
			       "not a valid string";
			return -1;
		}
	}
	if (r < 0) {
		return -1;
	}
	if (rs_json_skip_ws(it.p, e) != e) {
		*why = "Haraka JSON record: text after the JSON object";
		return -1;
	}
	return 0;
}

/* One field of a delivered object: name, value (unescaped as needed). */
static void delivered_field(rs_record_t *rec, rs_str_t key, rs_str_t val)
{
	if (rs_str_eq(key.p, key.n, "host")) {
		rec->remote_host = val;
	} else if (rs_str_eq(key.p, key.n, "domain")) {
		rec->recipient_domain = val;
	} else if (rs_str_eq(key.p, key.n, "ip")) {
		if (rs_str_is_ip(val.p, val.n)) {
			rec->remote_ip = val;
		}
	} else if (rs_str_eq(key.p, key.n, "port")) {
		rec->remote_port = rs_fields_port(val.p, val.n);
	} else if (rs_str_eq(key.p, key.n, "response")) {
		rec->reply_text = val;
		rec->reply_code =
		    rs_smtpreply_codes(val.p, val.n, &rec->enhanced_code);
	} else if (rs_str_eq(key.p, key.n, "delay")) {
		double d;
		if (rs_num_seconds(val.p, val.n, &d) == 0) {
			rec->delays.total = d;
		}
	}
}

/* The fields of a delivered line: k=v pairs in [p, e), or JSON keys. */
static int read_delivered(rs_record_t *rec, const haraka_rec_t *h,
                          const char *p, const char *e)
{
	if (h->fmt == FMT_JSON) {
		rs_json_iter_t it;
		rs_str_t key, val, s;
		const char *why;

		rs_json_open(&it, h->body.p, e, 1);
		while (rs_json_next(&it, '}', &key, &val, &why) == 1) {
			if (val.n > 0 && val.p[0] == '"') {
				if (rs_json_string_value(rec, val, &s) != 0) {
					return -1;
				}
			} else {
				s = val; /* numbers: port, delay */
			}
			delivered_field(rec, key, s);
		}
		return 0;
	}
	for (rs_fields_kv_t kv; rs_fields_kv_next(&p, e, &kv);) {
		rs_str_t v;

		if (unescape(rec, &kv, &v) != 0) {
			return -1;
		}
		delivered_field(rec, kv.key, v);
	}
	return 0;
}

/* Set reply_text and what it says from a failure text. */
static void set_failure(rs_record_t *rec, rs_str_t text)
{
	rec->reply_text = text;
	rec->reply_code =
	    rs_smtpreply_codes(text.p, text.n, &rec->enhanced_code);
	if (rec->reply_code == 0) {
		rec->stage = rs_smtpreply_stage_of_failure(text.p, text.n);
	}
}

/* Does [m, m+n) start "bouncing mail: " (hmail.js) or "Bouncing mail: "? */
static int bouncing_mail(const char *m, size_t n)
{
	return n > 0 && (m[0] == 'b' || m[0] == 'B') &&
	       rs_str_starts(m + 1, n - 1, "ouncing mail: ");
}

/* The outcome in an outbound message m (unescaped). */
static rs_parse_result_t read_outcome(rs_record_t *rec, const haraka_rec_t *h,
                                      const char **why)
{
	const char *m = h->message.p, *e = h->message.p + h->message.n;
	size_t n = h->message.n;
	const char *q;

	while (m < e && *m == ' ') {
		m++;
		n--;
	}
	if (rs_str_starts(m, n, "recipient <")) {
		const char *close = memchr(m, '>', n);
		int deferred;

		if (close == NULL || close + 2 > e) {
			*why = "Haraka recipient line cut inside the address";
			return RS_PARSE_MALFORMED;
		}
		q = close + 1;
		if (rs_str_starts(q, (size_t)(e - q), " deferred: ")) {
			deferred = 1;
			q += LIT_LEN(" deferred: ");
		} else if (rs_str_starts(q, (size_t)(e - q), " rejected: ")) {
			deferred = 0;
			q += LIT_LEN(" rejected: ");
		} else {
			return RS_PARSE_SKIP;
		}
		rec->status = deferred ? RS_STATUS_DEFERRED : RS_STATUS_BOUNCED;
		rs_record_set_recipient(
		    rec, rs_str(m + LIT_LEN("recipient <"),
		                (size_t)(close - m - LIT_LEN("recipient <"))));
		set_failure(rec, rs_str(q, (size_t)(e - q)));
		rec->stage = RS_STAGE_RCPT_TO;
		return RS_PARSE_EVENT;
	}
	if (rs_str_starts(m, n, "Temp failing ")) {
		q = rs_str_find(m, n, " seconds: ");
		if (q == NULL) {
			*why = "Haraka \"Temp failing\" line without \"for N "
			       "seconds: <reason>\"";
			return RS_PARSE_MALFORMED;
		}
		q += LIT_LEN(" seconds: ");
		if (rs_str_starts(q, (size_t)(e - q),
		                  "Some recipients temp ")) {
			return RS_PARSE_SKIP;
		}
		rec->status = RS_STATUS_DEFERRED;
		if (rs_str_starts(q, (size_t)(e - q), "Upstream error: ")) {
			q += LIT_LEN("Upstream error: ");
		}
		set_failure(rec, rs_str(q, (size_t)(e - q)));
		return RS_PARSE_EVENT;
	}
	if (bouncing_mail(m, n)) {
		q = m + LIT_LEN("bouncing mail: ");
		if (rs_str_starts(q, (size_t)(e - q),
		                  "Some recipients failed")) {
			return RS_PARSE_SKIP;
		}
		rec->status = RS_STATUS_BOUNCED;
		set_failure(rec, rs_str(q, (size_t)(e - q)));
		if (rs_str_starts(q, (size_t)(e - q), "Too many failures")) {
			rec->status = RS_STATUS_EXPIRED;
			rec->stage = RS_STAGE_QUEUE;
		}
		return RS_PARSE_EVENT;
	}
	/* Default format: the object appended to an empty message. */
	if (rs_str_starts(m, n, "delivered file=")) {
		rec->status = RS_STATUS_SENT;
		if (read_delivered(rec, h, m, e) != 0) {
			*why = "Haraka delivered line: record arena full";
			return RS_PARSE_MALFORMED;
		}
		return RS_PARSE_EVENT;
	}
	/* logfmt and JSON: the object's keys are the record's. */
	if (n == 0 && h->fmt != FMT_DEFAULT &&
	    rs_str_find(h->body.p, h->body.n,
	                h->fmt == FMT_JSON ? "\"delivered file\":"
	                                   : " delivered file=") != NULL) {
		rec->status = RS_STATUS_SENT;
		if (read_delivered(rec, h, h->body.p, h->body.p + h->body.n) !=
		    0) {
			*why = "Haraka delivered line: a value cannot be read";
			return RS_PARSE_MALFORMED;
		}
		return RS_PARSE_EVENT;
	}
	return RS_PARSE_SKIP;
}

/*
 * What read_outcome() makes of a default-format message [m, e): 0 a
 * skip, 1 a sent event (its fields need no arena), -1 anything else
 * (a failure, a malformed line, or not sure).
 */
static int default_outcome(const char *m, const char *e)
{
	const char *q;
	size_t n;

	while (m < e && *m == ' ') {
		m++;
	}
	n = (size_t)(e - m);
	if (rs_str_starts(m, n, "recipient <")) {
		const char *close = memchr(m, '>', n);

		if (close == NULL || close + 2 > e) {
			return -1;
		}
		q = close + 1;
		return rs_str_starts(q, (size_t)(e - q), " deferred: ") ||
		               rs_str_starts(q, (size_t)(e - q), " rejected: ")
		           ? -1
		           : 0;
	}
	if (rs_str_starts(m, n, "Temp failing ")) {
		q = rs_str_find(m, n, " seconds: ");
		if (q == NULL) {
			return -1;
		}
		q += LIT_LEN(" seconds: ");
		return rs_str_starts(q, (size_t)(e - q),
		                     "Some recipients temp ")
		           ? 0
		           : -1;
	}
	if (bouncing_mail(m, n)) {
		q = m + LIT_LEN("bouncing mail: ");
		return rs_str_starts(q, (size_t)(e - q),
		                     "Some recipients failed")
		           ? 0
		           : -1;
	}
	if (rs_str_starts(m, n, "delivered file=")) {
		/* Escaped values are unescaped into the arena, which may be
		 * full: only a line without a backslash is sure to read. */
		return memchr(m, '\\', n) == NULL ? 1 : -1;
	}
	return 0;
}

/*
 * The skip path (format.h): the prefix is stripped as detect() does, and
 * a record of the default format ("[LEVEL] [uuid] [origin] message") is
 * judged by its origin and its message's first words, as parse() and
 * read_outcome() would: inbound and pool chatter, "Looking up",
 * "Attempting to deliver" and the summary lines after per-recipient
 * ones are not ours; a delivered line is dropped when sent events are.
 * logfmt and JSON records are parsed as usual.
 */
static rs_skip_t haraka_skips(rs_logline_t *ll)
{
	rs_record_t scratch;
	haraka_rec_t h;
	const char *p, *e = ll->p + ll->n;
	int out;

	if (rs_fields_foreign_syslog(ll, is_program)) {
		return RS_SKIP_NOT_MINE;
	}
	p = strip_prefix(ll, &scratch);
	if (p == NULL) {
		return RS_SKIP_NOT_MINE;
	}
	if (*p != '[') {
		return RS_SKIP_UNSURE;
	}
	while (e > p && (e[-1] == ' ' || e[-1] == '\t')) {
		e--;
	}
	memset(&h, 0, sizeof(h));
	if (read_default(p, e, &h) != 0) {
		return RS_SKIP_UNSURE;
	}
	if (!rs_str_eq(h.origin.p, h.origin.n, "outbound")) {
		return RS_SKIP_NOT_MINE;
	}
	out = default_outcome(h.message.p, h.message.p + h.message.n);
	if (out == 0) {
		return RS_SKIP_NOT_MINE;
	}
	return out == 1 && ll->drop_sent ? RS_SKIP_DROP : RS_SKIP_UNSURE;
}

static int haraka_detect(rs_logline_t *ll)
{
	rs_record_t scratch;

	if (rs_fields_foreign_syslog(ll, is_program)) {
		return 0;
	}
	return strip_prefix(ll, &scratch) != NULL;
}

static rs_parse_result_t haraka_parse(rs_logline_t *ll, rs_record_t *rec,
                                      const char **why)
{
	const char *p = strip_prefix(ll, rec), *e = ll->p + ll->n;
	haraka_rec_t h;
	int r;

	if (p == NULL) {
		const rs_syslog_t *sl = rs_logline_syslog(ll);

		if (sl != NULL && !is_program(sl->program)) {
			return RS_PARSE_SKIP;
		}
		if (ll->n == 0) {
			return RS_PARSE_SKIP;
		}
		*why = "not a Haraka log record (expected \"[LEVEL] [uuid] "
		       "[origin] ...\", level=... or {\"level\":...})";
		return RS_PARSE_MALFORMED;
	}
	while (e > p && (e[-1] == ' ' || e[-1] == '\t')) {
		e--;
	}
	memset(&h, 0, sizeof(h));
	h.body = rs_str(p, (size_t)(e - p));
	if (*p == '{') {
		h.fmt = FMT_JSON;
		r = read_json(rec, p, e, &h, why);
	} else if (*p == 'l') {
		h.fmt = FMT_LOGFMT;
		r = read_logfmt(rec, p, e, &h);
		if (r != 0) {
			*why = "Haraka logfmt record without a message= field";
		}
	} else {
		h.fmt = FMT_DEFAULT;
		r = read_default(p, e, &h);
		if (r != 0) {
			*why = "Haraka record: a [bracket] is not closed";
		}
	}
	if (r != 0) {
		return RS_PARSE_MALFORMED;
	}
	rec->mta = RS_MTA_HARAKA;
	if (!rs_str_eq(h.origin.p, h.origin.n, "outbound")) {
		return RS_PARSE_SKIP;
	}
	if (h.uuid.n > 0 && !rs_str_eq(h.uuid.p, h.uuid.n, "-")) {
		rec->queue_id = h.uuid;
	}
	return read_outcome(rec, &h, why);
}

const rs_format_t rs_haraka_format = {
    .name = "haraka",
    .summary = "Haraka outbound lines (default, logfmt or JSON format)",
    .flags = RS_FORMAT_READS_JSON,
    .mta = RS_MTA_HARAKA,
    .detect = haraka_detect,
    .parse = haraka_parse,
    .skips = haraka_skips,
};
