/* SPDX-License-Identifier: Apache-2.0 */
/*
 * envelope.c - take the log line out of a log shipper's JSON object; see
 * envelope.h for the fields read.
 *
 * One walk over the object's members keeps, per field kind, the raw
 * value of the most specific key seen; only the chosen values are
 * decoded. The few nested objects that carry syslog fields (log.syslog,
 * process, host) are walked only when the message is a bare MSG. Cost:
 * the JSON walk, some 4,000 instructions for a 400-byte Filebeat object
 * (callgrind); KumoMTA's records are recognised by their first key and
 * an unescaped "response":{ without a walk.
 */
#include "formats/envelope.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "formats/format_opts.h"
#include "formats/syslog.h"
#include "util/json.h"
#include "util/num.h"
#include "util/str.h"

enum { F_MSG, F_PROG, F_PID, F_HOST, F_TIME, F_COUNT };

/* The raw value kept for each field kind and the rank of its key (lower
 * is more specific). */
typedef struct found {
	rs_str_t v[F_COUNT];
	int rank[F_COUNT];
	int has_type;     /* "type": KumoMTA's record type */
	int has_response; /* "response": KumoMTA's SMTP reply */
	/* The log, process and host objects, walked only when the message
	 * is no whole syslog line (their fields rebuild one). */
	rs_str_t nested[3];
	rs_str_t times[8]; /* every time field, by rank */
} found_t;

/* A key of the envelope, its length, the field kind it gives and its
 * rank. */
typedef struct key_rank {
	const char *key;
	size_t len; /* taken once here, not per member and key (strlen) */
	int field;
	int rank;
} key_rank_t;

/* A key and its length, for the tables below. */
#define KEY(k) k, sizeof(k) - 1

static const key_rank_t top_keys[] = {
    {KEY("message"), F_MSG, 1},
    {KEY("MESSAGE"), F_MSG, 2},
    {KEY("msg"), F_MSG, 3},
    {KEY("log"), F_MSG, 4}, /* a string; an object is walked (Filebeat) */
    {KEY("SYSLOG_IDENTIFIER"), F_PROG, 1},
    {KEY("appname"), F_PROG, 3},
    {KEY("ident"), F_PROG, 4},
    {KEY("programname"), F_PROG, 5},
    {KEY("program"), F_PROG, 6},
    {KEY("SYSLOG_PID"), F_PID, 1},
    {KEY("_PID"), F_PID, 3},
    {KEY("procid"), F_PID, 4},
    {KEY("pid"), F_PID, 5},
    {KEY("_HOSTNAME"), F_HOST, 2},
    {KEY("hostname"), F_HOST, 3},
    {KEY("logsource"), F_HOST, 4},
    {KEY("host"), F_HOST, 5}, /* a string; an object is walked (ECS) */
    {KEY("timereported"), F_TIME, 1},
    {KEY("__REALTIME_TIMESTAMP"), F_TIME, 2},
    {KEY("timestamp"), F_TIME, 3},
    {KEY("time"), F_TIME, 4},
    {KEY("@timestamp"), F_TIME, 5},
    {KEY("date"), F_TIME, 6},
};

/* log.syslog.* (Filebeat's syslog processor, ECS). */
static const key_rank_t syslog_keys[] = {
    {KEY("appname"), F_PROG, 2},
    {KEY("procid"), F_PID, 2},
    {KEY("hostname"), F_HOST, 1},
};

/* process.* (ECS). */
static const key_rank_t process_keys[] = {
    {KEY("name"), F_PROG, 7},
    {KEY("pid"), F_PID, 6},
};

/* host.* (ECS: the shipper's host, the least specific). */
static const key_rank_t host_keys[] = {
    {KEY("hostname"), F_HOST, 6},
    {KEY("name"), F_HOST, 7},
};

#define NKEYS(a) (sizeof(a) / sizeof((a)[0]))

/* Can val be the log line: a string, or journald's array of byte values?
 * (A message key whose value is anything else is passed over, so that the
 * next key in rank can give the line.) */
static int is_line(rs_str_t val)
{
	return val.n > 0 && (val.p[0] == '"' || val.p[0] == '[');
}

/* Keep val as the field's value when its key outranks the one kept; a
 * message only when it can be the line. */
static void offer(found_t *f, int field, int rank, rs_str_t val)
{
	if (rs_json_is_null(val) || (field == F_MSG && !is_line(val))) {
		return;
	}
	if (field == F_TIME && rank < 8) {
		f->times[rank] = val;
	}
	if (f->v[field].p == NULL || rank < f->rank[field]) {
		f->v[field] = val;
		f->rank[field] = rank;
	}
}

/* Offer val under key if the table names the key. */
static void offer_key(found_t *f, const key_rank_t *t, size_t n, rs_str_t key,
                      rs_str_t val)
{
	for (size_t i = 0; i < n; i++) {
		if (key.n == t[i].len && memcmp(key.p, t[i].key, key.n) == 0) {
			offer(f, t[i].field, t[i].rank, val);
			return;
		}
	}
}

/* Walk the object val (depth its nesting) and offer its members from t;
 * a member named "syslog" whose value is an object is walked with the
 * log.syslog keys when t is NULL (the "log" object). -1 with *why. */
static int walk(found_t *f, rs_str_t val, int depth, const key_rank_t *t,
                size_t n, const char **why)
{
	rs_json_iter_t it;
	rs_str_t key, v;
	int r;

	rs_json_open(&it, val.p, val.p + val.n, depth);
	while ((r = rs_json_next(&it, '}', &key, &v, why)) == 1) {
		if (t != NULL) {
			offer_key(f, t, n, key, v);
		} else if (rs_json_key_is(key, "syslog") && v.n > 0 &&
		           v.p[0] == '{' &&
		           walk(f, v, depth + 1, syslog_keys,
		                NKEYS(syslog_keys), why) != 0) {
			return -1;
		}
	}
	return r < 0 ? -1 : 0;
}

/* One member of the envelope; custom: formats.json.message_field (p NULL:
 * none), its length taken once per line rather than once per member. */
static void take(found_t *f, rs_str_t custom, rs_str_t key, rs_str_t val)
{
	int object = val.n > 0 && val.p[0] == '{';

	if (custom.p != NULL && key.n == custom.n &&
	    memcmp(key.p, custom.p, key.n) == 0) {
		offer(f, F_MSG, 0, val);
		return;
	}
	if (rs_json_key_is(key, "type")) {
		f->has_type = 1;
	} else if (rs_json_key_is(key, "response")) {
		f->has_response = 1;
	}
	if (object) {
		int k = rs_json_key_is(key, "log")       ? 0
		        : rs_json_key_is(key, "process") ? 1
		        : rs_json_key_is(key, "host")    ? 2
		                                         : -1;
		if (k >= 0) {
			f->nested[k] = val;
			return;
		}
	}
	offer_key(f, top_keys, NKEYS(top_keys), key, val);
}

/* Walk the nested objects take() set aside. 0, or -1 with *why. */
static int walk_nested(found_t *f, const char **why)
{
	if ((f->nested[0].p != NULL &&
	     walk(f, f->nested[0], 2, NULL, 0, why) != 0) ||
	    (f->nested[1].p != NULL && walk(f, f->nested[1], 2, process_keys,
	                                    NKEYS(process_keys), why) != 0) ||
	    (f->nested[2].p != NULL &&
	     walk(f, f->nested[2], 2, host_keys, NKEYS(host_keys), why) != 0)) {
		return -1;
	}
	return 0;
}

/* journald's MESSAGE that is not UTF-8: an array of byte values, decoded
 * into the arena. 0, or -1 with *why. */
static int byte_array(rs_record_t *rec, rs_str_t val, rs_str_t *out,
                      const char **why)
{
	rs_json_iter_t it;
	rs_str_t key, v;
	char *dst;
	size_t n = 0;
	int r;

	/* Each byte takes at least two bytes of JSON ("1,"). */
	dst = rs_record_arena_alloc(rec, val.n / 2 + 1);
	if (dst == NULL) {
		*why = "JSON line: the message does not fit the record arena";
		return -1;
	}
	rs_json_open(&it, val.p, val.p + val.n, 2);
	while ((r = rs_json_next(&it, ']', &key, &v, why)) == 1) {
		uint64_t b;

		if (v.n > 3 || rs_num_uint(v.p, v.n, &b) != 0 || b > 255) {
			r = -1;
			break;
		}
		dst[n++] = (char)b;
	}
	/* dst is the last allocation: keep the n bytes decoded, or none
	 * when the array is bad (the record stays as it was). */
	if (r < 0) {
		rec->arena_used -= val.n / 2 + 1;
		*why = "JSON line: the message array is not of byte values";
		return -1;
	}
	rec->arena_used -= val.n / 2 + 1 - n;
	*out = rs_str(dst, n);
	return 0;
}

/* The text of a string value, a number's digits as written; 0, or an
 * rs_json_string_value code (an object or array is no string). */
static int text_of(rs_record_t *rec, rs_str_t val, rs_str_t *out)
{
	if (val.p == NULL) {
		*out = RS_STR_NULL;
		return 0;
	}
	if (val.p[0] == '{' || val.p[0] == '[') {
		return RS_JSON_NOT_STRING;
	}
	if (val.p[0] != '"') {
		*out = val; /* a number, true, false */
		return 0;
	}
	return rs_json_string_value(rec, val, out);
}

/* Are all n bytes at p digits (n > 0)? */
static int all_digits(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (!rs_str_isdigit(p[i])) {
			return 0;
		}
	}
	return n > 0;
}

/*
 * The stamp of the rebuilt line: the time field's text (a syslog stamp,
 * checked when the line is split), or its number as ISO 8601 in buf;
 * absent when neither.
 */
static rs_str_t stamp_of(rs_record_t *rec, rs_str_t val, char *buf, size_t size)
{
	rs_str_t t;
	int64_t ms;
	time_t s;
	struct tm tm;
	int w;

	if (text_of(rec, val, &t) != 0 || t.p == NULL || t.n == 0) {
		return RS_STR_NULL;
	}
	if (rs_num_epoch_ms(t.p, t.n, &ms) != 0) {
		return t;
	}
	s = (time_t)(ms / 1000);
	if (gmtime_r(&s, &tm) == NULL) {
		return RS_STR_NULL;
	}
	w = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
	             tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
	             tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	if (w <= 0 || (size_t)w >= size) {
		return RS_STR_NULL;
	}
	return rs_str(buf, (size_t)w);
}

/* Does s hold a byte that would end a syslog tag or token early? */
static int has_stop(rs_str_t s)
{
	for (size_t i = 0; i < s.n; i++) {
		unsigned char c = (unsigned char)s.p[i];
		if (c <= ' ' || c == '[' || c == ']' || c == ':') {
			return 1;
		}
	}
	return 0;
}

/* Copy s to d; the byte after it. */
static char *put(char *d, rs_str_t s)
{
	memcpy(d, s.p, s.n);
	return d + s.n;
}

/* "STAMP HOST PROG[PID]: MSG" into the arena; absent when it does not
 * fit. */
static rs_str_t build_line(rs_record_t *rec, rs_str_t stamp, rs_str_t host,
                           rs_str_t prog, rs_str_t pid, rs_str_t msg)
{
	size_t n = stamp.n + 1 + host.n + 1 + prog.n + (pid.n ? pid.n + 2 : 0) +
	           2 + msg.n;
	char *line = rs_record_arena_alloc(rec, n), *d;

	if (line == NULL) {
		return RS_STR_NULL;
	}
	d = put(line, stamp);
	*d++ = ' ';
	d = put(d, host);
	*d++ = ' ';
	d = put(d, prog);
	if (pid.n > 0) {
		*d++ = '[';
		d = put(d, pid);
		*d++ = ']';
	}
	*d++ = ':';
	*d++ = ' ';
	put(d, msg);
	return rs_str(line, n);
}

/*
 * The syslog line of a bare MSG, with stand-ins for a missing time or
 * host; a time text that is no syslog stamp (the split does not read all
 * of it) counts as missing. Absent when the line does not fit.
 */
static rs_str_t rebuild(rs_record_t *rec, const found_t *f, rs_str_t prog,
                        rs_str_t msg, rs_envelope_t *env, rs_syslog_t *sl,
                        int *split)
{
	static const char epoch[] = "1970-01-01T00:00:00Z";
	char tbuf[48];
	rs_str_t stamp = stamp_of(rec, f->v[F_TIME], tbuf, sizeof(tbuf));
	rs_str_t host = RS_STR_NULL, pid = RS_STR_NULL, line;

	if (text_of(rec, f->v[F_HOST], &host) != 0 || host.n == 0 ||
	    has_stop(host)) {
		host = rs_str("-", 1);
		env->synth_host = 1;
	}
	if (text_of(rec, f->v[F_PID], &pid) != 0 || !all_digits(pid.p, pid.n)) {
		pid = RS_STR_NULL;
	}
	if (stamp.p != NULL) {
		line = build_line(rec, stamp, host, prog, pid, msg);
		if (line.p == NULL) {
			return line;
		}
		if (rs_syslog_split(line.p, line.n, sl) == 0 &&
		    sl->time.n == stamp.n) {
			*split = 1;
			return line;
		}
		rec->arena_used -= line.n; /* the last allocation */
	}
	env->synth_time = 1;
	return build_line(rec, rs_str(epoch, sizeof(epoch) - 1), host, prog,
	                  pid, msg);
}

/* Unix ms of the most specific time field that carries a year (ISO 8601
 * or a number since the epoch); -1 when none does. */
static int64_t envelope_ms(rs_record_t *rec, const found_t *f)
{
	for (size_t r = 0; r < 8; r++) {
		rs_str_t t;
		int64_t ms;

		if (f->times[r].p == NULL ||
		    text_of(rec, f->times[r], &t) != 0 || t.p == NULL ||
		    t.n == 0) {
			continue;
		}
		if (rs_num_epoch_ms(t.p, t.n, &ms) == 0) {
			return ms;
		}
		if (rs_syslog_parse_iso(t.p, t.n, &ms) > 0) {
			return ms;
		}
	}
	return -1;
}

/*
 * An RFC 3164 stamp has no year; the split took the current one (or the
 * last). The shipper's own time says when the line was read: the stamp
 * is of the latest year that puts it no later than a day after that (a
 * day for local time against UTC), so replayed old topics keep their
 * year and a December line read in January its. Does sl's stamp want
 * such a year?
 */
static int needs_year(const rs_syslog_t *sl)
{
	const char *p = sl->time.p;

	/* "Sep 25 ..." but not journalctl's "Sun 2026-12-06 ...". */
	return sl->time.n >= 15 && p[0] >= 'A' && p[0] <= 'Z' &&
	       !(sl->time.n > 8 && p[8] == '-') && sl->time_ms > 0;
}

/* The year of sl's stamp (needs_year) from env_ms, as said above. */
static void year_from_envelope(rs_syslog_t *sl, int64_t env_ms)
{
	const char *p = sl->time.p;
	time_t s = (time_t)(sl->time_ms / 1000);
	int64_t frac = sl->time_ms % 1000, best = -1;
	struct tm tm, env;
	time_t es = (time_t)(env_ms / 1000);

	if (gmtime_r(&s, &tm) == NULL || gmtime_r(&es, &env) == NULL) {
		return;
	}
	/* The split dates "Feb 29" in a year without one as Mar 1: the
	 * stamp's own day is the one to place. */
	if (memcmp(p, "Feb 29", 6) == 0 && tm.tm_mday != 29) {
		tm.tm_mon = 1;
		tm.tm_mday = 29;
	}
	/* Down to four years back: the last Feb 29 may be that old (any
	 * other day is placed by env_year - 1 at the latest). */
	for (int y = env.tm_year + 1; y >= env.tm_year - 4 && best < 0; y--) {
		struct tm c = tm;
		int64_t t;

		c.tm_year = y;
		t = (int64_t)timegm(&c) * 1000 + frac;
		/* Feb 29 of a year without one rolls over: not a candidate. */
		if (c.tm_mon == tm.tm_mon && c.tm_mday == tm.tm_mday &&
		    t <= env_ms + 86400000) {
			best = t;
		}
	}
	if (best >= 0) {
		sl->time_ms = best;
	}
}

/*
 * inner over the n bytes at p (NULL: none) inside ll, with ll's options,
 * drop_sent and side data: the prescan read this same inner line
 * (pipeline/prescan.c). One place for rs_envelope_unwrap and
 * rs_envelope_unpack, so that the two reads cannot drift apart.
 */
static void inner_init(const rs_logline_t *ll, const char *p, size_t n,
                       rs_logline_t *inner)
{
	rs_logline_init(inner, p != NULL ? p : "", n);
	inner->opts = ll->opts;
	inner->drop_sent = ll->drop_sent;
	inner->aux = ll->aux;
	inner->aux_len = ll->aux_len;
	inner->aux_format = ll->aux_format;
}

int rs_envelope_unwrap(const rs_logline_t *ll, rs_record_t *rec, int flags,
                       rs_logline_t *inner, rs_envelope_t *env,
                       const char **why)
{
	const char *e = ll->p + ll->n;
	const char *field = rs_format_opts_json_message_field(ll->opts);
	rs_str_t custom =
	    field != NULL ? rs_str(field, strlen(field)) : RS_STR_NULL;
	size_t used0 = rec->arena_used;
	int native = flags & RS_ENVELOPE_NATIVE;
	rs_json_iter_t it;
	rs_str_t key, val, msg, prog = RS_STR_NULL, line;
	rs_syslog_t sl;
	found_t f;
	int r, split;

	memset(env, 0, sizeof(*env));
	memset(&f, 0, sizeof(f));
	/* Haraka's JSON records (formats/haraka.c). KumoMTA writes "type"
	 * first and always a "response" object: an unescaped "response":{
	 * can only be a key, so such a line is not walked here at all (the
	 * walk below still tells other key orders apart). */
	if (native && (rs_str_starts(ll->p, ll->n, "{\"level\":\"") ||
	               (rs_str_starts(ll->p, ll->n, "{\"type\":\"") &&
	                memmem(ll->p, ll->n, "\"response\":{", 12) != NULL))) {
		return RS_ENVELOPE_NONE;
	}
	rs_json_open(&it, ll->p, e, 1);
	while ((r = rs_json_next(&it, '}', &key, &val, why)) == 1) {
		take(&f, custom, key, val);
		/* A KumoMTA record: no need to walk the rest of it. */
		if (native && f.has_type && f.has_response) {
			return RS_ENVELOPE_NONE;
		}
	}
	if (r == 0 && rs_json_skip_ws(it.p, e) != e) {
		*why = "JSON line: text after the object";
		r = -1;
	}
	if (r < 0) {
		/* KumoMTA reports its broken records as it always did. */
		return native ? RS_ENVELOPE_NONE : RS_ENVELOPE_BAD;
	}
	if (native && f.has_type && (f.has_response || f.v[F_MSG].p == NULL)) {
		return RS_ENVELOPE_NONE;
	}
	val = f.v[F_MSG];
	if (val.p == NULL) {
		*why = "JSON line without a message field";
		return RS_ENVELOPE_BAD;
	}
	if (val.p[0] == '[') {
		if (byte_array(rec, val, &msg, why) != 0) {
			return RS_ENVELOPE_BAD;
		}
	} else {
		switch (rs_json_string_value(rec, val, &msg)) {
		case 0:
			break;
		case RS_JSON_ARENA_FULL:
			*why = "JSON line: the message does not fit the record "
			       "arena";
			return RS_ENVELOPE_BAD;
		default:
			*why = "JSON line: bad escape in the message";
			return RS_ENVELOPE_BAD;
		}
	}
	/* Docker and Kubernetes keep the line's own newline. */
	while (msg.n > 0 &&
	       (msg.p[msg.n - 1] == '\n' || msg.p[msg.n - 1] == '\r')) {
		msg.n--;
	}
	line = msg;
	/* A whole syslog line is read as it is, split once here; only a
	 * bare MSG needs the fields of the nested objects. */
	split = rs_syslog_split(msg.p, msg.n, &sl) == 0 ? 1 : -1;
	if (split < 0 && walk_nested(&f, why) != 0) {
		rec->arena_used = used0;
		return RS_ENVELOPE_BAD;
	}
	if (split < 0 && f.v[F_PROG].p != NULL &&
	    text_of(rec, f.v[F_PROG], &prog) == 0 && prog.n > 0 &&
	    !has_stop(prog)) {
		/* rsyslog's msg keeps the space after the tag's colon. */
		while (msg.n > 0 && msg.p[0] == ' ') {
			msg.p++;
			msg.n--;
		}
		split = 0;
		line = rebuild(rec, &f, prog, msg, env, &sl, &split);
		if (line.p == NULL) {
			rec->arena_used = used0;
			*why = "JSON line: the message does not fit the record "
			       "arena";
			return RS_ENVELOPE_BAD;
		}
	}
	env->year_ms = -1;
	if (split > 0 && f.v[F_TIME].p != NULL && needs_year(&sl)) {
		int64_t env_ms = envelope_ms(rec, &f);

		if (env_ms > 0 && (flags & RS_ENVELOPE_BYTES)) {
			env->year_ms = env_ms;
		} else if (env_ms > 0) {
			year_from_envelope(&sl, env_ms);
		}
	}
	inner_init(ll, line.p, line.n, inner);
	/* The split of these very bytes, done above: handed on as
	 * rs_logline_syslog() would have made it (0: not split yet). */
	if (split != 0 && inner->n == line.n) {
		inner->syslog_state = split;
		if (split > 0) {
			inner->sl = sl;
		}
	}
	/* Set the line's bytes aside: a parser that resets the record
	 * (auto-detection) starts its arena after them. */
	env->carved = rec->arena_used;
	if (env->carved > 0) {
		rec->arena += env->carved;
		rec->arena_cap -= env->carved;
		rec->arena_used = 0;
	}
	return RS_ENVELOPE_LINE;
}

/* The head of a packed unwrap (rs_envelope_pack), copied in and out
 * with memcpy (the buffer keeps no alignment). */
typedef struct packed {
	int64_t year_ms;
	size_t off; /* the line at ll->p + off; FOLLOWS: after this head */
	size_t len;
	int result;
	int synth_time;
	int synth_host;
} packed_t;

#define FOLLOWS SIZE_MAX

int rs_envelope_pack(rs_buf_t *out, const rs_logline_t *ll, int result,
                     const rs_logline_t *inner, const rs_envelope_t *env)
{
	packed_t h;

	memset(&h, 0, sizeof(h));
	h.result = result;
	h.year_ms = -1;
	h.off = FOLLOWS;
	if (result == RS_ENVELOPE_LINE) {
		h.year_ms = env->year_ms;
		h.len = inner->n;
		h.synth_time = env->synth_time;
		h.synth_host = env->synth_host;
		if (inner->p >= ll->p && inner->n <= ll->n &&
		    (size_t)(inner->p - ll->p) <= ll->n - inner->n) {
			h.off = (size_t)(inner->p - ll->p);
		}
	}
	rs_buf_append(out, &h, sizeof(h));
	if (h.off == FOLLOWS && h.len > 0) {
		rs_buf_append(out, inner->p, h.len);
	}
	return out->failed ? -1 : 0;
}

int rs_envelope_unpack(const rs_logline_t *ll, rs_logline_t *inner,
                       rs_envelope_t *env, const char **why)
{
	packed_t h;
	const char *line = NULL;

	memset(env, 0, sizeof(*env));
	env->year_ms = -1;
	if (ll->unwrapped_len >= sizeof(h)) {
		memcpy(&h, ll->unwrapped, sizeof(h));
		if (h.result == RS_ENVELOPE_NONE &&
		    ll->unwrapped_len == sizeof(h)) {
			return RS_ENVELOPE_NONE;
		}
		/* The line's bytes follow the head, or are ll's own. */
		if (h.result == RS_ENVELOPE_LINE && h.off == FOLLOWS &&
		    ll->unwrapped_len - sizeof(h) == h.len) {
			line = ll->unwrapped + sizeof(h);
		} else if (h.result == RS_ENVELOPE_LINE &&
		           ll->unwrapped_len == sizeof(h) && h.off <= ll->n &&
		           h.len <= ll->n - h.off) {
			line = ll->p + h.off;
		}
	}
	if (line == NULL) {
		*why = "JSON line: the prescan's unwrap is not of this line";
		return RS_ENVELOPE_BAD;
	}
	env->synth_time = h.synth_time;
	env->synth_host = h.synth_host;
	inner_init(ll, h.len > 0 ? line : NULL, h.len, inner);
	/* The year the prescan left to the parse (RS_ENVELOPE_BYTES). */
	if (h.year_ms > 0 &&
	    rs_syslog_split(inner->p, inner->n, &inner->sl) == 0) {
		year_from_envelope(&inner->sl, h.year_ms);
		inner->syslog_state = 1;
	}
	return RS_ENVELOPE_LINE;
}

void rs_envelope_finish(const rs_envelope_t *env, rs_record_t *rec,
                        rs_parse_result_t res)
{
	if (env->carved > 0) {
		rec->arena -= env->carved;
		rec->arena_cap += env->carved;
		rec->arena_used += env->carved;
	}
	if (res != RS_PARSE_EVENT) {
		return;
	}
	if (env->synth_time) {
		rec->log_time = RS_STR_NULL;
		rec->log_time_ms = 0;
	}
	if (env->synth_host) {
		rec->log_host = RS_STR_NULL;
	}
}
