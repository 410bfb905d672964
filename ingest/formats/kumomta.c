/*
 * kumomta.c - KumoMTA JSON log records to records.
 *
 * kumod writes one compact JSON object per line, fields in no fixed order.
 * "type" decides: TransientFailure -> DEFERRED, Bounce -> BOUNCED,
 * Expiration -> EXPIRED (stage queue), Delivery -> SENT; Reception and
 * every other type (AdminBounce, OOB, Feedback, Rejection, ...) -> SKIP.
 * A line that is not one well-formed JSON object is MALFORMED.
 *
 * Why a JSON reader of our own: jansson (like any DOM parser) builds a tree
 * with one allocation per value for every record, on the hot path, to read
 * eight of twenty-odd fields. The reader here checks the whole line in one
 * pass and allocates nothing: a value skipper (RFC 8259 grammar, nesting
 * bounded by JSON_MAX_DEPTH) and a string decoder (\" \\ \/ \b \f \n \r \t
 * \uXXXX with surrogate pairs) that writes to the record arena only for
 * strings that have escapes.
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
 *  - Keys are compared as raw bytes (kumod never escapes ASCII key
 *    names). A repeated key: the last one counts. Fields the record has no
 *    place for (site, queue, egress_pool, meta, headers, ...) are checked
 *    for syntax and ignored.
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

#include "formats/smtpreply.h"
#include "util/str.h"
#include "formats/syslog.h"

/* Deepest nesting of arrays and objects accepted in a record. */
#define JSON_MAX_DEPTH 64

/* Bytes of response.command decoded to find the stage. */
#define COMMAND_PREFIX 32

/* ---------------------------------------------------------------------
 * The JSON reader: validation without allocation.
 * ------------------------------------------------------------------- */

/* Skip JSON whitespace. */
static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) {
		p++;
	}
	return p;
}

/* Value of one hex digit, -1 if c is not one. */
static int hex_digit(char c)
{
	if (c >= '0' && c <= '9') {
		return c - '0';
	}
	if (c >= 'a' && c <= 'f') {
		return c - 'a' + 10;
	}
	if (c >= 'A' && c <= 'F') {
		return c - 'A' + 10;
	}
	return -1;
}

/* Four hex digits at p (p + 4 <= end is checked by the caller); -1 if not. */
static long hex4(const char *p)
{
	long v = 0;

	for (int i = 0; i < 4; i++) {
		int d = hex_digit(p[i]);
		if (d < 0) {
			return -1;
		}
		v = v * 16 + d;
	}
	return v;
}

/* p at '"': the byte after the closing quote, or NULL with *why set. */
static const char *skip_string(const char *p, const char *e, const char **why)
{
	for (p++; p < e; p++) {
		unsigned char c = (unsigned char)*p;

		if (c == '"') {
			return p + 1;
		}
		if (c < 0x20) {
			*why =
			    "KumoMTA record: control byte inside a JSON string";
			return NULL;
		}
		if (c != '\\') {
			continue;
		}
		if (++p >= e) {
			break;
		}
		switch (*p) {
		case '"':
		case '\\':
		case '/':
		case 'b':
		case 'f':
		case 'n':
		case 'r':
		case 't':
			break;
		case 'u':
			if (e - p < 5 || hex4(p + 1) < 0) {
				*why =
				    "KumoMTA record: \\u escape without four "
				    "hex digits";
				return NULL;
			}
			p += 4;
			break;
		default:
			*why =
			    "KumoMTA record: unknown escape in a JSON string";
			return NULL;
		}
	}
	*why = "KumoMTA record: unterminated JSON string";
	return NULL;
}

/* A JSON number at p: the byte after it, or NULL. */
static const char *skip_number(const char *p, const char *e)
{
	if (p < e && *p == '-') {
		p++;
	}
	if (p >= e || !rs_str_isdigit(*p)) {
		return NULL;
	}
	if (*p == '0') {
		p++;
	} else {
		while (p < e && rs_str_isdigit(*p)) {
			p++;
		}
	}
	if (p < e && *p == '.') {
		p++;
		if (p >= e || !rs_str_isdigit(*p)) {
			return NULL;
		}
		while (p < e && rs_str_isdigit(*p)) {
			p++;
		}
	}
	if (p < e && (*p == 'e' || *p == 'E')) {
		p++;
		if (p < e && (*p == '+' || *p == '-')) {
			p++;
		}
		if (p >= e || !rs_str_isdigit(*p)) {
			return NULL;
		}
		while (p < e && rs_str_isdigit(*p)) {
			p++;
		}
	}
	return p;
}

/* Reading position inside one object or array. */
typedef struct json_iter {
	const char *p;
	const char *e;
	int depth; /* of the container being iterated */
	int first;
} json_iter_t;

static const char *skip_value(const char *p, const char *e, int depth,
                              const char **why);

/* Start iterating the container whose opening bracket is at p. */
static void iter_open(json_iter_t *it, const char *p, const char *e, int depth)
{
	it->p = p + 1;
	it->e = e;
	it->depth = depth;
	it->first = 1;
}

/*
 * Step to the next element of a container closed by `close`: 1 with the
 * value (and, for objects, the key without quotes), 0 after the closing
 * bracket, -1 with *why on a syntax error.
 */
static int iter_next(json_iter_t *it, char close, rs_str_t *key, rs_str_t *val,
                     const char **why)
{
	const char *p = skip_ws(it->p, it->e);
	const char *e = it->e;
	const char *end;

	if (p < e && *p == close && it->first) {
		it->p = p + 1;
		return 0;
	}
	if (!it->first) {
		if (p < e && *p == close) {
			it->p = p + 1;
			return 0;
		}
		if (p >= e || *p != ',') {
			*why = p >= e ? "KumoMTA record: JSON ends inside an "
			                "object or array"
			              : "KumoMTA record: expected ',' or a "
			                "closing bracket in JSON";
			return -1;
		}
		p = skip_ws(p + 1, e);
	}
	it->first = 0;
	if (close == '}') {
		if (p >= e || *p != '"') {
			*why = p >= e ? "KumoMTA record: JSON ends inside an "
			                "object"
			              : "KumoMTA record: expected a quoted key "
			                "in a JSON object";
			return -1;
		}
		end = skip_string(p, e, why);
		if (end == NULL) {
			return -1;
		}
		*key = rs_str(p + 1, (size_t)(end - p - 2));
		p = skip_ws(end, e);
		if (p >= e || *p != ':') {
			*why = "KumoMTA record: expected ':' after a key in "
			       "a JSON object";
			return -1;
		}
		p = skip_ws(p + 1, e);
	}
	end = skip_value(p, e, it->depth, why);
	if (end == NULL) {
		return -1;
	}
	*val = rs_str(p, (size_t)(end - p));
	it->p = end;
	return 1;
}

/* Skip the object or array at p; the byte after it, or NULL. */
static const char *skip_container(const char *p, const char *e, int depth,
                                  const char **why)
{
	json_iter_t it;
	rs_str_t key, val;
	char close = *p == '{' ? '}' : ']';
	int r;

	if (depth > JSON_MAX_DEPTH) {
		*why = "KumoMTA record: JSON nested too deeply";
		return NULL;
	}
	iter_open(&it, p, e, depth);
	while ((r = iter_next(&it, close, &key, &val, why)) == 1) {
	}
	return r == 0 ? it.p : NULL;
}

/* Skip one JSON value at p; the byte after it, or NULL with *why set. */
static const char *skip_value(const char *p, const char *e, int depth,
                              const char **why)
{
	const char *end;

	if (p >= e) {
		*why = "KumoMTA record: JSON ends where a value should be";
		return NULL;
	}
	switch (*p) {
	case '"':
		return skip_string(p, e, why);
	case '{':
	case '[':
		return skip_container(p, e, depth + 1, why);
	case 't':
		if (rs_str_starts(p, (size_t)(e - p), "true")) {
			return p + 4;
		}
		break;
	case 'f':
		if (rs_str_starts(p, (size_t)(e - p), "false")) {
			return p + 5;
		}
		break;
	case 'n':
		if (rs_str_starts(p, (size_t)(e - p), "null")) {
			return p + 4;
		}
		break;
	default:
		end = skip_number(p, e);
		if (end != NULL) {
			return end;
		}
		break;
	}
	*why = "KumoMTA record: not a JSON value";
	return NULL;
}

/* Put code point cp as UTF-8 at dst if it fits in cap; bytes, 0 if not. */
static size_t put_utf8(char *dst, size_t cap, unsigned long cp)
{
	size_t n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;

	if (n > cap) {
		return 0;
	}
	switch (n) {
	case 1:
		dst[0] = (char)cp;
		break;
	case 2:
		dst[0] = (char)(0xc0 | (cp >> 6));
		dst[1] = (char)(0x80 | (cp & 0x3f));
		break;
	case 3:
		dst[0] = (char)(0xe0 | (cp >> 12));
		dst[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		dst[2] = (char)(0x80 | (cp & 0x3f));
		break;
	default:
		dst[0] = (char)(0xf0 | (cp >> 18));
		dst[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		dst[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		dst[3] = (char)(0x80 | (cp & 0x3f));
		break;
	}
	return n;
}

/*
 * Decode the body of a JSON string (between the quotes) into dst, stopping
 * before the first character that does not fit in cap. Returns 0 and the
 * length in *out, or -1 on a malformed escape or a lone surrogate. The
 * decoded text is never longer than the body.
 */
static int decode_string(const char *p, size_t n, char *dst, size_t cap,
                         size_t *out)
{
	const char *e = p + n;
	size_t o = 0;

	while (p < e) {
		unsigned long cp;
		size_t w;

		if (*p != '\\') {
			if (o >= cap) {
				break;
			}
			dst[o++] = *p++;
			continue;
		}
		if (e - p < 2) {
			return -1;
		}
		switch (p[1]) {
		case '"':
		case '\\':
		case '/':
			cp = (unsigned char)p[1];
			break;
		case 'b':
			cp = '\b';
			break;
		case 'f':
			cp = '\f';
			break;
		case 'n':
			cp = '\n';
			break;
		case 'r':
			cp = '\r';
			break;
		case 't':
			cp = '\t';
			break;
		case 'u': {
			long hi = e - p >= 6 ? hex4(p + 2) : -1;
			long lo;

			if (hi < 0 || (hi >= 0xdc00 && hi <= 0xdfff)) {
				return -1;
			}
			cp = (unsigned long)hi;
			if (hi >= 0xd800 && hi <= 0xdbff) {
				lo =
				    (e - p >= 12 && p[6] == '\\' && p[7] == 'u')
					? hex4(p + 8)
					: -1;
				if (lo < 0xdc00 || lo > 0xdfff) {
					return -1;
				}
				cp = 0x10000 +
				     (((unsigned long)hi - 0xd800) << 10) +
				     ((unsigned long)lo - 0xdc00);
				p += 6;
			}
			p += 4;
			break;
		}
		default:
			return -1;
		}
		w = put_utf8(dst + o, cap - o, cp);
		if (w == 0) {
			break;
		}
		o += w;
		p += 2;
	}
	*out = o;
	return 0;
}

/* ---------------------------------------------------------------------
 * Typed field readers.
 * ------------------------------------------------------------------- */

/* Is the key slice equal to the literal? */
static int key_is(rs_str_t key, const char *lit)
{
	size_t l = strlen(lit);
	return key.n == l && memcmp(key.p, lit, l) == 0;
}

/* Is the value JSON null (or absent)? */
static int is_null(rs_str_t val)
{
	return val.p == NULL || (val.n == 4 && memcmp(val.p, "null", 4) == 0);
}

/*
 * Read a string value into *out: the raw body when it has no escape,
 * else a decoded copy in the arena. null or absent gives RS_STR_NULL.
 * -1 with *why (type_why when it is not a string) on failure.
 */
static int read_string(rs_record_t *rec, rs_str_t val, rs_str_t *out,
                       const char *type_why, const char **why)
{
	rs_str_t body;
	char *dst;
	size_t used;

	*out = RS_STR_NULL;
	if (is_null(val)) {
		return 0;
	}
	if (val.n < 2 || val.p[0] != '"') {
		*why = type_why;
		return -1;
	}
	body = rs_str(val.p + 1, val.n - 2);
	if (memchr(body.p, '\\', body.n) == NULL) {
		*out = body;
		return 0;
	}
	dst = rs_record_arena_alloc(rec, body.n);
	if (dst == NULL) {
		*why = "KumoMTA record: record arena full, cannot decode an "
		       "escaped string";
		return -1;
	}
	if (decode_string(body.p, body.n, dst, body.n, &used) != 0) {
		*why = "KumoMTA record: bad escape or lone UTF-16 surrogate "
		       "in a string";
		return -1;
	}
	/* Give back what decoding saved; dst was the last allocation. */
	rec->arena_used -= body.n - used;
	*out = rs_str(dst, used);
	return 0;
}

/* Read a non-negative JSON integer (at most 18 digits); -1 if not one. */
static int read_uint(rs_str_t val, uint64_t *out)
{
	uint64_t v = 0;

	if (val.n == 0 || val.n > 18) {
		return -1;
	}
	for (size_t i = 0; i < val.n; i++) {
		if (!rs_str_isdigit(val.p[i])) {
			return -1;
		}
		v = v * 10 + (uint64_t)(val.p[i] - '0');
	}
	*out = v;
	return 0;
}

/* Unix seconds "1691595584" or "1691595584.25" to ms; -1 if not such. */
static int read_seconds(rs_str_t val, int64_t *ms)
{
	const char *dot = memchr(val.p, '.', val.n);
	size_t int_len = dot != NULL ? (size_t)(dot - val.p) : val.n;
	uint64_t secs;
	int64_t frac = 0, scale = 100;

	if (int_len > 12 || read_uint(rs_str(val.p, int_len), &secs) != 0) {
		return -1;
	}
	for (size_t i = int_len + 1; dot != NULL && i < val.n; i++) {
		if (!rs_str_isdigit(val.p[i])) {
			return -1;
		}
		frac += (val.p[i] - '0') * scale;
		scale /= 10;
	}
	*ms = (int64_t)secs * 1000 + frac;
	return 0;
}

/* Format the enhanced code object {class, subject, detail} into the arena. */
static int read_enhanced(rs_record_t *rec, rs_str_t val, const char **why)
{
	json_iter_t it;
	rs_str_t key, v;
	uint64_t part[3] = {0, 0, 0};
	int seen = 0, r;
	char buf[16], *dst;
	size_t n = 0;

	if (is_null(val)) {
		return 0;
	}
	if (val.p[0] != '{') {
		*why = "KumoMTA record: \"enhanced_code\" is neither null nor "
		       "an object";
		return -1;
	}
	iter_open(&it, val.p, val.p + val.n, 2);
	while ((r = iter_next(&it, '}', &key, &v, why)) == 1) {
		int idx = key_is(key, "class")     ? 0
		          : key_is(key, "subject") ? 1
		          : key_is(key, "detail")  ? 2
		                                   : -1;
		if (idx < 0) {
			continue;
		}
		if (read_uint(v, &part[idx]) != 0) {
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

/* Split peer_address.addr into ip and port. */
static void set_peer_addr(rs_record_t *rec, rs_str_t a)
{
	const char *colon;
	const char *port = NULL;
	size_t port_len = 0;

	if (a.n == 0) {
		return;
	}
	if (a.p[0] == '[') {
		const char *close = memchr(a.p, ']', a.n);
		if (close == NULL) {
			rec->remote_ip = a;
			return;
		}
		rec->remote_ip = rs_str(a.p + 1, (size_t)(close - a.p - 1));
		if (close + 1 < a.p + a.n && close[1] == ':') {
			port = close + 2;
			port_len = (size_t)(a.p + a.n - port);
		}
	} else if ((colon = memchr(a.p, ':', a.n)) != NULL &&
	           memchr(colon + 1, ':', (size_t)(a.p + a.n - colon - 1)) ==
	               NULL) {
		rec->remote_ip = rs_str(a.p, (size_t)(colon - a.p));
		port = colon + 1;
		port_len = (size_t)(a.p + a.n - port);
	} else {
		rec->remote_ip = a;
	}
	if (port != NULL) {
		uint64_t v;
		if (port_len <= 5 &&
		    read_uint(rs_str(port, port_len), &v) == 0 && v <= 65535) {
			rec->remote_port = (uint32_t)v;
		}
	}
}

/* Read peer_address {name, addr}. */
static int read_peer(rs_record_t *rec, rs_str_t val, const char **why)
{
	json_iter_t it;
	rs_str_t key, v, s;
	int r;

	if (is_null(val)) {
		return 0;
	}
	if (val.p[0] != '{') {
		*why = "KumoMTA record: \"peer_address\" is neither null nor "
		       "an object";
		return -1;
	}
	iter_open(&it, val.p, val.p + val.n, 1);
	while ((r = iter_next(&it, '}', &key, &v, why)) == 1) {
		if (key_is(key, "name")) {
			if (read_string(rec, v, &s,
			                "KumoMTA record: \"peer_address.name\" "
			                "is not a string",
			                why) != 0) {
				return -1;
			}
			rec->remote_host = s.n > 0 ? s : RS_STR_NULL;
		} else if (key_is(key, "addr")) {
			if (read_string(rec, v, &s,
			                "KumoMTA record: \"peer_address.addr\" "
			                "is not a string",
			                why) != 0) {
				return -1;
			}
			rec->remote_ip = RS_STR_NULL;
			rec->remote_port = 0;
			if (s.p != NULL) {
				set_peer_addr(rec, s);
			}
		}
	}
	return r < 0 ? -1 : 0;
}

/* The stage a response.command names ("RCPT TO:<x>\r\n", "."). */
static rs_stage_t command_stage(rs_str_t val, const char **why)
{
	char buf[COMMAND_PREFIX];
	size_t n;

	if (val.n < 2 || val.p[0] != '"' ||
	    decode_string(val.p + 1, val.n - 2, buf, sizeof(buf), &n) != 0) {
		*why = "KumoMTA record: \"response.command\" is not a valid "
		       "string";
		return RS_STAGE_UNSPECIFIED;
	}
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r')) {
		n--;
	}
	return rs_smtpreply_stage_of_command(buf, n);
}

/* Read response {code, enhanced_code, content, command}. */
static int read_response(rs_record_t *rec, rs_str_t val, const char **why)
{
	json_iter_t it;
	rs_str_t key, v, command = RS_STR_NULL;
	uint64_t code = 0;
	int r;

	if (is_null(val)) {
		return 0;
	}
	if (val.p[0] != '{') {
		*why = "KumoMTA record: \"response\" is neither null nor an "
		       "object";
		return -1;
	}
	iter_open(&it, val.p, val.p + val.n, 1);
	while ((r = iter_next(&it, '}', &key, &v, why)) == 1) {
		if (key_is(key, "code")) {
			if (!is_null(v) && read_uint(v, &code) != 0) {
				*why = "KumoMTA record: \"response.code\" is "
				       "not a non-negative integer";
				return -1;
			}
		} else if (key_is(key, "enhanced_code")) {
			rec->enhanced_code = RS_STR_NULL;
			if (read_enhanced(rec, v, why) != 0) {
				return -1;
			}
		} else if (key_is(key, "content")) {
			if (read_string(rec, v, &rec->reply_text,
			                "KumoMTA record: \"response.content\" "
			                "is not a string",
			                why) != 0) {
				return -1;
			}
		} else if (key_is(key, "command")) {
			command = v;
		}
	}
	if (r < 0) {
		return -1;
	}
	rec->reply_code = (code >= 200 && code <= 599) ? (uint32_t)code : 0;
	if (!is_null(command)) {
		rec->stage = command_stage(command, why);
		if (rec->stage == RS_STAGE_UNSPECIFIED) {
			return -1;
		}
	}
	if (rs_str_starts(rec->reply_text.p, rec->reply_text.n,
	                  "KumoMTA internal:")) {
		rec->reply_code = 0;
		if (is_null(command) &&
		    rs_str_find(rec->reply_text.p, rec->reply_text.n,
		                "failed to connect") != NULL) {
			rec->stage = RS_STAGE_CONNECT;
		}
	}
	return 0;
}

/* Read recipient: a string, or an array whose first element is taken. */
static int read_recipient(rs_record_t *rec, rs_str_t val, const char **why)
{
	static const char *const type_why =
	    "KumoMTA record: \"recipient\" is not a string or an array of "
	    "strings";

	if (!is_null(val) && val.p[0] == '[') {
		json_iter_t it;
		rs_str_t key, first;
		int r;

		iter_open(&it, val.p, val.p + val.n, 1);
		r = iter_next(&it, ']', &key, &first, why);
		if (r < 0) {
			return -1;
		}
		val = r == 1 ? first : RS_STR_NULL;
	}
	if (read_string(rec, val, &rec->recipient, type_why, why) != 0) {
		return -1;
	}
	if (rec->recipient.p != NULL) {
		rs_record_set_recipient(rec, rec->recipient);
	}
	return 0;
}

/* The top-level fields this parser reads; absent ones stay {NULL, 0}. */
typedef struct kumo_fields {
	rs_str_t type, id, sender, recipient, timestamp, created, peer,
	    response;
} kumo_fields_t;

/* Map a record type to a status; RS_STATUS_UNSPECIFIED means skip. */
static rs_status_t type_status(rs_str_t t)
{
	if (key_is(t, "TransientFailure")) {
		return RS_STATUS_DEFERRED;
	}
	if (key_is(t, "Bounce")) {
		return RS_STATUS_BOUNCED;
	}
	if (key_is(t, "Expiration")) {
		return RS_STATUS_EXPIRED;
	}
	if (key_is(t, "Delivery")) {
		return RS_STATUS_SENT;
	}
	return RS_STATUS_UNSPECIFIED;
}

/* Read timestamp and created into log_time, log_time_ms and delays. */
static int read_times(rs_record_t *rec, const kumo_fields_t *f,
                      const char **why)
{
	int64_t created_ms;

	if (is_null(f->timestamp)) {
		return 0;
	}
	if (f->timestamp.p[0] == '"') {
		if (read_string(rec, f->timestamp, &rec->log_time,
		                "KumoMTA record: \"timestamp\" is not a string",
		                why) != 0) {
			return -1;
		}
		if (rs_syslog_parse_iso(rec->log_time.p, rec->log_time.n,
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
	if (read_seconds(f->timestamp, &rec->log_time_ms) != 0) {
		rec->log_time_ms = 0;
		return 0;
	}
	if (!is_null(f->created) &&
	    read_seconds(f->created, &created_ms) == 0 &&
	    created_ms <= rec->log_time_ms) {
		rec->delays.total =
		    (double)(rec->log_time_ms - created_ms) / 1000.0;
	}
	return 0;
}

/* A JSON object: kumod's one record per line. */
static int kumomta_detect(rs_logline_t *ll)
{
	return ll->n > 0 && ll->p[0] == '{';
}

/* One kumod log record. */
static rs_parse_result_t kumomta_parse(rs_logline_t *ll, rs_record_t *rec,
                                       const char **why)
{
	const char *e = ll->p + ll->n;
	const char *p = skip_ws(ll->p, e);
	kumo_fields_t f;
	json_iter_t it;
	rs_str_t key, val, type;
	int r;

	memset(&f, 0, sizeof(f));
	if (p >= e || *p != '{') {
		*why = "KumoMTA record: line is not a JSON object";
		return RS_PARSE_MALFORMED;
	}
	iter_open(&it, p, e, 1);
	while ((r = iter_next(&it, '}', &key, &val, why)) == 1) {
		if (key_is(key, "type")) {
			f.type = val;
		} else if (key_is(key, "id")) {
			f.id = val;
		} else if (key_is(key, "sender")) {
			f.sender = val;
		} else if (key_is(key, "recipient")) {
			f.recipient = val;
		} else if (key_is(key, "timestamp")) {
			f.timestamp = val;
		} else if (key_is(key, "created")) {
			f.created = val;
		} else if (key_is(key, "peer_address")) {
			f.peer = val;
		} else if (key_is(key, "response")) {
			f.response = val;
		}
	}
	if (r < 0) {
		return RS_PARSE_MALFORMED;
	}
	if (skip_ws(it.p, e) != e) {
		*why = "KumoMTA record: text after the JSON object";
		return RS_PARSE_MALFORMED;
	}
	if (is_null(f.type) || f.type.p[0] != '"') {
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
	if (read_string(rec, f.id, &rec->queue_id,
	                "KumoMTA record: \"id\" is not a string", why) != 0 ||
	    read_string(rec, f.sender, &rec->sender,
	                "KumoMTA record: \"sender\" is not a string",
	                why) != 0 ||
	    read_recipient(rec, f.recipient, why) != 0 ||
	    read_times(rec, &f, why) != 0 || read_peer(rec, f.peer, why) != 0 ||
	    read_response(rec, f.response, why) != 0) {
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
    .flags = 0,
    .detect = kumomta_detect,
    .parse = kumomta_parse,
};
