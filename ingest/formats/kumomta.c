/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kumomta.c - KumoMTA JSON log records to records.
 *
 * kumod writes one compact JSON object per line, fields in no fixed order.
 * "type" decides: TransientFailure -> DEFERRED, Bounce -> BOUNCED,
 * Expiration -> EXPIRED (stage queue), Delivery -> SENT; Reception and
 * every other type (AdminBounce, OOB, Feedback, Rejection, ...) -> SKIP.
 * A line that is not one well-formed JSON object is MALFORMED.
 *
 * The JSON is read with util/json (validation and iteration without
 * allocation: the records are hot-path input); only strings with escapes
 * are decoded, into the record arena.
 *
 * Decisions:
 *  - A response whose content starts "KumoMTA internal:" is kumod's own
 *    text (it could not bind, reach a proxy, or connect), not a peer's
 *    reply: reply_code 0, enhanced code as given. With "failed to connect"
 *    in it (kumod gave up on every candidate host before a session) the
 *    stage is connect, otherwise unknown.
 *  - Stage from response.command: "MAIL FROM:<x>\r\n" mail_from, "RCPT
 *    TO:<x>\r\n" rcpt_to, "DATA" data, "." and ".\r\n" end_of_data, EHLO
 *    helo, STARTTLS starttls; a null command (not internal) is unknown.
 *    Expiration is always stage queue.
 *  - reply_text is response.content as logged: kumod keeps the code and
 *    the enhanced code out of it, in reply_code and enhanced_code.
 *  - enhanced_code {class, subject, detail} is formatted "c.s.d" into the
 *    arena; class must be 2, 4 or 5 and the others at most 999.
 *  - timestamp (Unix seconds, integer or with a fraction) -> log_time_ms,
 *    its number text -> log_time; an RFC 3339 string is read as well.
 *    delays.total = timestamp - created when both are numbers.
 *  - recipient is a string, or (newer kumod) an array whose first string
 *    is taken; recipient_domain is what follows its last '@'.
 *  - peer_address {name, addr}: addr is "ip:port", "[v6]:port", "ip" or
 *    a bare IPv6 address.
 *  - The sending side: egress_pool -> sending_pool, egress_source ->
 *    vmta, source_address.address ("10.0.0.1:53210", since 2024.09) ->
 *    sending_ip; tenant and campaign from the queue name
 *    "campaign:tenant@domain" (kumod's queue naming), else from meta's
 *    "tenant"/"campaign" when the log configuration lists them.
 *  - Keys are compared as raw bytes (kumod never escapes ASCII key
 *    names). A repeated key: the last one counts. Fields the record has no
 *    place for (site, headers, ...) are checked for syntax and ignored.
 *  - A Delivery record the run drops (no --all: ll->drop_sent) is read
 *    only as far as it can still be MALFORMED (types, escapes, the
 *    enhanced code, the arena); the times, addresses and stage, which
 *    cannot fail, are not worked out for an event nobody sees.
 *  - A read field of the wrong type (a number where a string belongs) and a
 *    lone UTF-16 surrogate in a decoded string are MALFORMED. Invalid UTF-8
 *    in strings is passed through untouched.
 *
 * Ownership: slices point into the line, or into the record arena for
 * decoded strings and the enhanced code. @locality any thread; stateless.
 *
 * Hazards: the arena may be full or absent. A string without escapes never
 * needs it (the raw slice is used); an escaped string or an enhanced code
 * that does not fit makes the line MALFORMED with a reason. Every read is
 * bounded by the line end; the line is not NUL-terminated.
 */
#include "formats/kumomta.h"

#include "formats/fields.h"
#include "formats/smtpreply.h"
#include "formats/syslog.h"
#include "util/json.h"
#include "util/num.h"
#include "util/str.h"

/* Bytes of response.command decoded to find the stage. */
#define COMMAND_PREFIX 32

/* ---------------------------------------------------------------------
 * Typed field readers.
 * ------------------------------------------------------------------- */

/*
 * Read a string value into *out: the raw body when it has no escape,
 * else a decoded copy in the arena. null or absent gives RS_STR_NULL.
 * -1 with *why (type_why when it is not a string) on failure.
 */
static int read_string(rs_record_t *rec, rs_str_t val, rs_str_t *out,
                       const char *type_why, const char **why)
{
	switch (rs_json_string_value(rec, val, out)) {
	case 0:
		return 0;
	case RS_JSON_NOT_STRING:
		*why = type_why;
		break;
	case RS_JSON_ARENA_FULL:
		*why = "KumoMTA record: record arena full, cannot decode an "
		       "escaped string";
		break;
	default:
		*why = "KumoMTA record: bad escape or lone UTF-16 surrogate "
		       "in a string";
		break;
	}
	return -1;
}

/* Format the enhanced code object {class, subject, detail} into the arena. */
static int read_enhanced(rs_record_t *rec, rs_str_t val, const char **why)
{
	rs_json_iter_t it;
	rs_str_t key, v;
	uint64_t part[3] = {0, 0, 0};
	int seen = 0, r;
	char buf[16], *dst;
	size_t n = 0;

	if (rs_json_is_null(val)) {
		return 0;
	}
	if (val.p[0] != '{') {
		*why = "KumoMTA record: \"enhanced_code\" is neither null nor "
		       "an object";
		return -1;
	}
	rs_json_open(&it, val.p, val.p + val.n, 2);
	while ((r = rs_json_next(&it, '}', &key, &v, why)) == 1) {
		int idx = rs_json_key_is(key, "class")     ? 0
		          : rs_json_key_is(key, "subject") ? 1
		          : rs_json_key_is(key, "detail")  ? 2
		                                           : -1;
		if (idx < 0) {
			continue;
		}
		if (rs_num_uint(v.p, v.n, &part[idx]) != 0) {
			*why = "KumoMTA record: \"enhanced_code\" member is "
			       "not a non-negative integer";
			return -1;
		}
		seen |= 1 << idx;
	}
	if (r < 0) {
		return -1;
	}
	if (seen != 7 || (part[0] != 2 && part[0] != 4 && part[0] != 5) ||
	    part[1] > 999 || part[2] > 999) {
		*why = "KumoMTA record: \"enhanced_code\" is not "
		       "{class 2/4/5, subject, detail 0-999}";
		return -1;
	}
	for (int i = 0; i < 3; i++) {
		char digits[3];
		int d = 0;
		uint64_t x = part[i];

		do {
			digits[d++] = (char)('0' + x % 10);
			x /= 10;
		} while (x > 0);
		while (d > 0) {
			buf[n++] = digits[--d];
		}
		if (i < 2) {
			buf[n++] = '.';
		}
	}
	dst = rs_record_arena_copy(rec, buf, n);
	if (dst == NULL) {
		*why = "KumoMTA record: record arena full, cannot store the "
		       "enhanced code";
		return -1;
	}
	rec->enhanced_code = rs_str(dst, n);
	return 0;
}

/* Split "ip:port", "[v6]:port", "ip" or a bare IPv6 address. */
static void split_addr(rs_str_t a, rs_str_t *ip, uint32_t *port)
{
	const char *colon;
	const char *pp = NULL;
	size_t port_len = 0;

	*ip = a;
	*port = 0;
	if (a.n == 0) {
		*ip = RS_STR_NULL;
		return;
	}
	if (a.p[0] == '[') {
		const char *close = memchr(a.p, ']', a.n);
		if (close == NULL) {
			return;
		}
		*ip = rs_str(a.p + 1, (size_t)(close - a.p - 1));
		if (close + 1 < a.p + a.n && close[1] == ':') {
			pp = close + 2;
			port_len = (size_t)(a.p + a.n - pp);
		}
	} else if ((colon = memchr(a.p, ':', a.n)) != NULL &&
	           memchr(colon + 1, ':', (size_t)(a.p + a.n - colon - 1)) ==
	               NULL) {
		*ip = rs_str(a.p, (size_t)(colon - a.p));
		pp = colon + 1;
		port_len = (size_t)(a.p + a.n - pp);
	}
	if (pp != NULL) {
		*port = rs_fields_port(pp, port_len);
	}
}

/* Split peer_address.addr into ip and port. */
static void set_peer_addr(rs_record_t *rec, rs_str_t a)
{
	split_addr(a, &rec->remote_ip, &rec->remote_port);
}

/* Read peer_address {name, addr}; with full 0 only what can fail. */
static int read_peer(rs_record_t *rec, rs_str_t val, int full, const char **why)
{
	rs_json_iter_t it;
	rs_str_t key, v, s;
	int r;

	if (rs_json_is_null(val)) {
		return 0;
	}
	if (val.p[0] != '{') {
		*why = "KumoMTA record: \"peer_address\" is neither null nor "
		       "an object";
		return -1;
	}
	rs_json_open(&it, val.p, val.p + val.n, 1);
	while ((r = rs_json_next(&it, '}', &key, &v, why)) == 1) {
		if (rs_json_key_is(key, "name")) {
			if (read_string(rec, v, &s,
			                "KumoMTA record: \"peer_address.name\" "
			                "is not a string",
			                why) != 0) {
				return -1;
			}
			rec->remote_host = s.n > 0 ? s : RS_STR_NULL;
		} else if (rs_json_key_is(key, "addr")) {
			if (read_string(rec, v, &s,
			                "KumoMTA record: \"peer_address.addr\" "
			                "is not a string",
			                why) != 0) {
				return -1;
			}
			rec->remote_ip = RS_STR_NULL;
			rec->remote_port = 0;
			if (s.p != NULL && full) {
				set_peer_addr(rec, s);
			}
		}
	}
	return r < 0 ? -1 : 0;
}

/* Read source_address {address, protocol, server}: the sending IP. */
static int read_source(rs_record_t *rec, rs_str_t val, const char **why)
{
	rs_json_iter_t it;
	rs_str_t key, v, s;
	uint32_t port;
	int r;

	if (rs_json_is_null(val)) {
		return 0;
	}
	if (val.p[0] != '{') {
		*why = "KumoMTA record: \"source_address\" is neither null "
		       "nor an object";
		return -1;
	}
	rs_json_open(&it, val.p, val.p + val.n, 1);
	while ((r = rs_json_next(&it, '}', &key, &v, why)) == 1) {
		if (!rs_json_key_is(key, "address")) {
			continue;
		}
		if (read_string(rec, v, &s,
		                "KumoMTA record: \"source_address.address\" "
		                "is not a string",
		                why) != 0) {
			return -1;
		}
		if (s.p != NULL) {
			split_addr(s, &rec->sending_ip, &port);
		}
	}
	return r < 0 ? -1 : 0;
}

/*
 * The tenant and campaign of a queue name "[campaign:][tenant@]domain
 * [!routing]" (kumod's QueueNameComponents: the first '@', then the
 * first ':' before it).
 */
static void read_queue(rs_record_t *rec, rs_str_t q)
{
	const char *at = q.p != NULL ? memchr(q.p, '@', q.n) : NULL;
	const char *colon;

	if (at == NULL) {
		return;
	}
	colon = memchr(q.p, ':', (size_t)(at - q.p));
	if (colon != NULL) {
		rec->campaign = rs_str(q.p, (size_t)(colon - q.p));
		rec->tenant = rs_str(colon + 1, (size_t)(at - colon - 1));
	} else {
		rec->tenant = rs_str(q.p, (size_t)(at - q.p));
	}
}

/* meta.tenant and meta.campaign, where the queue name had none. */
static int read_meta(rs_record_t *rec, rs_str_t val, const char **why)
{
	rs_json_iter_t it;
	rs_str_t key, v, s;
	int r;

	if (rs_json_is_null(val) || val.p[0] != '{') {
		return 0; /* meta is free-form: not ours to check */
	}
	rs_json_open(&it, val.p, val.p + val.n, 1);
	while ((r = rs_json_next(&it, '}', &key, &v, why)) == 1) {
		rs_str_t *dst = rs_json_key_is(key, "tenant") ? &rec->tenant
		                : rs_json_key_is(key, "campaign")
		                    ? &rec->campaign
		                    : NULL;
		if (dst == NULL || dst->n > 0 || v.n == 0 || v.p[0] != '"') {
			continue;
		}
		if (read_string(rec, v, &s,
		                "KumoMTA record: a meta value is not a string",
		                why) != 0) {
			return -1;
		}
		*dst = s;
	}
	return r < 0 ? -1 : 0;
}

/* The stage a response.command names ("RCPT TO:<x>\r\n", "."); with
 * full 0 only whether it decodes (RS_STAGE_UNKNOWN when it does). */
static rs_stage_t command_stage(rs_str_t val, int full, const char **why)
{
	char buf[COMMAND_PREFIX];
	size_t n;

	if (val.n < 2 || val.p[0] != '"' ||
	    rs_json_decode_string(val.p + 1, val.n - 2, buf, sizeof(buf), &n) !=
	        0) {
		*why = "KumoMTA record: \"response.command\" is not a valid "
		       "string";
		return RS_STAGE_UNSPECIFIED;
	}
	if (!full) {
		return RS_STAGE_UNKNOWN;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
		n--;
	}
	return rs_smtpreply_stage_of_command(buf, n);
}

/* Read response {code, enhanced_code, content, command}; with full 0 only
 * what can fail. */
static int read_response(rs_record_t *rec, rs_str_t val, int full,
                         const char **why)
{
	rs_json_iter_t it;
	rs_str_t key, v, command = RS_STR_NULL;
	uint64_t code = 0;
	int r;

	if (rs_json_is_null(val)) {
		return 0;
	}
	if (val.p[0] != '{') {
		*why = "KumoMTA record: \"response\" is neither null nor an "
		       "object";
		return -1;
	}
	rs_json_open(&it, val.p, val.p + val.n, 1);
	while ((r = rs_json_next(&it, '}', &key, &v, why)) == 1) {
		if (rs_json_key_is(key, "code")) {
			if (!rs_json_is_null(v) &&
			    rs_num_uint(v.p, v.n, &code) != 0) {
				*why = "KumoMTA record: \"response.code\" is "
				       "not a non-negative integer";
				return -1;
			}
		} else if (rs_json_key_is(key, "enhanced_code")) {
			rec->enhanced_code = RS_STR_NULL;
			if (read_enhanced(rec, v, why) != 0) {
				return -1;
			}
		} else if (rs_json_key_is(key, "content")) {
			if (read_string(rec, v, &rec->reply_text,
			                "KumoMTA record: \"response.content\" "
			                "is not a string",
			                why) != 0) {
				return -1;
			}
		} else if (rs_json_key_is(key, "command")) {
			command = v;
		}
	}
	if (r < 0) {
		return -1;
	}
	rec->reply_code = (code >= 200 && code <= 599) ? (uint32_t)code : 0;
	if (!rs_json_is_null(command)) {
		rec->stage = command_stage(command, full, why);
		if (rec->stage == RS_STAGE_UNSPECIFIED) {
			return -1;
		}
	}
	if (rs_str_starts(rec->reply_text.p, rec->reply_text.n,
	                  "KumoMTA internal:")) {
		rec->reply_code = 0;
		if (rs_json_is_null(command) &&
		    rs_str_find(rec->reply_text.p, rec->reply_text.n,
		                "failed to connect") != NULL) {
			rec->stage = RS_STAGE_CONNECT;
		}
	}
	return 0;
}

/* Read recipient: a string, or an array whose first element is taken;
 * with full 0 only what can fail. */
static int read_recipient(rs_record_t *rec, rs_str_t val, int full,
                          const char **why)
{
	static const char *const type_why =
	    "KumoMTA record: \"recipient\" is not a string or an array of "
	    "strings";

	if (!rs_json_is_null(val) && val.p[0] == '[') {
		rs_json_iter_t it;
		rs_str_t key, first;
		int r;

		rs_json_open(&it, val.p, val.p + val.n, 1);
		r = rs_json_next(&it, ']', &key, &first, why);
		if (r < 0) {
			return -1;
		}
		val = r == 1 ? first : RS_STR_NULL;
	}
	if (read_string(rec, val, &rec->recipient, type_why, why) != 0) {
		return -1;
	}
	if (rec->recipient.p != NULL && full) {
		rs_record_set_recipient(rec, rec->recipient);
	}
	return 0;
}

/* The top-level fields this parser reads; absent ones stay {NULL, 0}. */
typedef struct kumo_fields {
	rs_str_t type, id, sender, recipient, timestamp, created, peer,
	    response, queue, egress_pool, egress_source, source, meta;
} kumo_fields_t;

/* Map a record type to a status; RS_STATUS_UNSPECIFIED means skip. */
static rs_status_t type_status(rs_str_t t)
{
	if (rs_json_key_is(t, "TransientFailure")) {
		return RS_STATUS_DEFERRED;
	}
	if (rs_json_key_is(t, "Bounce")) {
		return RS_STATUS_BOUNCED;
	}
	if (rs_json_key_is(t, "Expiration")) {
		return RS_STATUS_EXPIRED;
	}
	if (rs_json_key_is(t, "Delivery")) {
		return RS_STATUS_SENT;
	}
	return RS_STATUS_UNSPECIFIED;
}

/* Read timestamp and created into log_time, log_time_ms and delays; with
 * full 0 only what can fail (the types). */
static int read_times(rs_record_t *rec, const kumo_fields_t *f, int full,
                      const char **why)
{
	int64_t created_ms;

	if (rs_json_is_null(f->timestamp)) {
		return 0;
	}
	if (f->timestamp.p[0] == '"') {
		if (read_string(rec, f->timestamp, &rec->log_time,
		                "KumoMTA record: \"timestamp\" is not a string",
		                why) != 0) {
			return -1;
		}
		if (full &&
		    rs_syslog_parse_iso(rec->log_time.p, rec->log_time.n,
		                        &rec->log_time_ms) == 0) {
			rec->log_time_ms = 0;
		}
		return 0;
	}
	if (f->timestamp.p[0] != '-' && !rs_str_isdigit(f->timestamp.p[0])) {
		*why = "KumoMTA record: \"timestamp\" is neither a number nor "
		       "a string";
		return -1;
	}
	rec->log_time = f->timestamp;
	if (!full) {
		return 0;
	}
	if (rs_num_epoch_ms(f->timestamp.p, f->timestamp.n,
	                    &rec->log_time_ms) != 0) {
		rec->log_time_ms = 0;
		return 0;
	}
	if (!rs_json_is_null(f->created) &&
	    rs_num_epoch_ms(f->created.p, f->created.n, &created_ms) == 0 &&
	    created_ms <= rec->log_time_ms) {
		rec->delays.total =
		    (double)(rec->log_time_ms - created_ms) / 1000.0;
	}
	return 0;
}

/* The sending side: egress pool and source, source address, tenant;
 * with full 0 only what can fail. */
static int read_sending(rs_record_t *rec, const kumo_fields_t *f, int full,
                        const char **why)
{
	rs_str_t queue;

	if (read_string(rec, f->egress_pool, &rec->sending_pool,
	                "KumoMTA record: \"egress_pool\" is not a string",
	                why) != 0 ||
	    read_string(rec, f->egress_source, &rec->vmta,
	                "KumoMTA record: \"egress_source\" is not a string",
	                why) != 0 ||
	    read_source(rec, f->source, why) != 0 ||
	    read_string(rec, f->queue, &queue,
	                "KumoMTA record: \"queue\" is not a string",
	                why) != 0) {
		return -1;
	}
	if (full) {
		read_queue(rec, queue);
	}
	return read_meta(rec, f->meta, why);
}

/* A JSON object: kumod's one record per line. */
static int kumomta_detect(rs_logline_t *ll)
{
	/* Haraka's JSON records start so (formats/haraka.c); kumod's have
	 * no "level" field. */
	return ll->n > 0 && ll->p[0] == '{' &&
	       !rs_str_starts(ll->p, ll->n, "{\"level\":\"");
}

/* One kumod log record. */
static rs_parse_result_t kumomta_parse(rs_logline_t *ll, rs_record_t *rec,
                                       const char **why)
{
	const char *e = ll->p + ll->n;
	const char *p = rs_json_skip_ws(ll->p, e);
	kumo_fields_t f;
	rs_json_iter_t it;
	rs_str_t key, val, type;
	int r, full;

	memset(&f, 0, sizeof(f));
	if (p >= e || *p != '{') {
		*why = "KumoMTA record: line is not a JSON object";
		return RS_PARSE_MALFORMED;
	}
	rs_json_open(&it, p, e, 1);
	while ((r = rs_json_next(&it, '}', &key, &val, why)) == 1) {
		if (rs_json_key_is(key, "type")) {
			f.type = val;
		} else if (rs_json_key_is(key, "id")) {
			f.id = val;
		} else if (rs_json_key_is(key, "sender")) {
			f.sender = val;
		} else if (rs_json_key_is(key, "recipient")) {
			f.recipient = val;
		} else if (rs_json_key_is(key, "timestamp")) {
			f.timestamp = val;
		} else if (rs_json_key_is(key, "created")) {
			f.created = val;
		} else if (rs_json_key_is(key, "peer_address")) {
			f.peer = val;
		} else if (rs_json_key_is(key, "response")) {
			f.response = val;
		} else if (rs_json_key_is(key, "queue")) {
			f.queue = val;
		} else if (rs_json_key_is(key, "egress_pool")) {
			f.egress_pool = val;
		} else if (rs_json_key_is(key, "egress_source")) {
			f.egress_source = val;
		} else if (rs_json_key_is(key, "source_address")) {
			f.source = val;
		} else if (rs_json_key_is(key, "meta")) {
			f.meta = val;
		}
	}
	if (r < 0) {
		return RS_PARSE_MALFORMED;
	}
	if (rs_json_skip_ws(it.p, e) != e) {
		*why = "KumoMTA record: text after the JSON object";
		return RS_PARSE_MALFORMED;
	}
	if (rs_json_is_null(f.type) || f.type.p[0] != '"') {
		*why = "KumoMTA record: no \"type\" string";
		return RS_PARSE_MALFORMED;
	}
	/* Record types are plain ASCII words: compare the raw body. */
	type = rs_str(f.type.p + 1, f.type.n - 2);
	rec->status = type_status(type);
	if (rec->status == RS_STATUS_UNSPECIFIED) {
		return RS_PARSE_SKIP;
	}
	rec->mta = RS_MTA_KUMOMTA;
	/* A Delivery the run drops (no --all) is read only as far as it can
	 * still turn out malformed: the types, escapes and the arena; what
	 * cannot fail (times, addresses, the stage) is not worked out. */
	full = !(ll->drop_sent && rec->status == RS_STATUS_SENT);
	if (read_string(rec, f.id, &rec->queue_id,
	                "KumoMTA record: \"id\" is not a string", why) != 0 ||
	    read_string(rec, f.sender, &rec->sender,
	                "KumoMTA record: \"sender\" is not a string",
	                why) != 0 ||
	    read_recipient(rec, f.recipient, full, why) != 0 ||
	    read_times(rec, &f, full, why) != 0 ||
	    read_peer(rec, f.peer, full, why) != 0 ||
	    read_response(rec, f.response, full, why) != 0 ||
	    read_sending(rec, &f, full, why) != 0) {
		return RS_PARSE_MALFORMED;
	}
	if (rec->status == RS_STATUS_EXPIRED) {
		rec->stage = RS_STAGE_QUEUE;
	}
	return RS_PARSE_EVENT;
}

const rs_format_t rs_kumomta_format = {
    .name = "kumomta",
    .summary = "KumoMTA JSON log records (TransientFailure, Bounce, ...)",
    .flags = RS_FORMAT_READS_JSON,
    .mta = RS_MTA_KUMOMTA,
    .detect = kumomta_detect,
    .parse = kumomta_parse,
};
