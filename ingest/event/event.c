/*
 * event.c - DeferralEvent encoding: JSON, delimited protobuf, protobuf.
 *
 * The protobuf path fills a stack Replyscan__V1__DeferralEvent whose string
 * fields point into the encoder's arena (cleaned, NUL-terminated copies)
 * and packs it straight into the output buffer: protobuf-c's pack does not
 * allocate. The JSON path writes the same cleaned strings by hand, since
 * a JSON library would build a tree per line.
 */
#include "event/event.h"

#include <stdlib.h>
#include <string.h>

#include "replyscan/v1/event.pb-c.h"
#include "util/str.h"

/* Fields copied per event; arena size covers all of them at their bound. */
enum {
	F_LOG_TIME,
	F_LOG_HOST,
	F_PROGRAM,
	F_QUEUE_ID,
	F_RECIPIENT,
	F_DOMAIN,
	F_SENDER,
	F_REMOTE_HOST,
	F_REMOTE_IP,
	F_ENHANCED,
	F_REPLY,
	F__COUNT
};

#define ARENA_SIZE                                                             \
	(F__COUNT * (RS_EVENT_FIELD_MAX + 1) + RS_EVENT_REPLY_MAX + 1)

struct rs_event_encoder {
	char arena[ARENA_SIZE];
	size_t used;
	char *field[F__COUNT];
	size_t field_len[F__COUNT];
	int reply_truncated;
};

rs_event_encoder_t *rs_event_encoder_new(void)
{
	return calloc(1, sizeof(rs_event_encoder_t));
}

void rs_event_encoder_destroy(rs_event_encoder_t *enc)
{
	free(enc);
}

/* Length of a valid UTF-8 sequence at p (1-4), or 0 when invalid. */
static size_t utf8_seq_len(const unsigned char *p, size_t n)
{
	unsigned char c = p[0];

	if (c < 0x80) {
		return c == 0 ? 0 : 1;
	}
	if (c >= 0xc2 && c <= 0xdf) {
		return (n >= 2 && (p[1] & 0xc0) == 0x80) ? 2 : 0;
	}
	if (c >= 0xe0 && c <= 0xef) {
		if (n < 3 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80) {
			return 0;
		}
		if ((c == 0xe0 && p[1] < 0xa0) || (c == 0xed && p[1] > 0x9f)) {
			return 0; /* overlong, or a UTF-16 surrogate */
		}
		return 3;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (n < 4 || (p[1] & 0xc0) != 0x80 || (p[2] & 0xc0) != 0x80 ||
		    (p[3] & 0xc0) != 0x80) {
			return 0;
		}
		if ((c == 0xf0 && p[1] < 0x90) || (c == 0xf4 && p[1] > 0x8f)) {
			return 0;
		}
		return 4;
	}
	return 0;
}

size_t rs_event_utf8_clean(const char *src, size_t n, char *dst, size_t max,
                           int *truncated)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t i = 0, o = 0;

	*truncated = 0;
	while (i < n) {
		size_t l;

		/* Fast path for printable ASCII runs. */
		if (s[i] >= 0x20 && s[i] < 0x80) {
			if (o >= max) {
				*truncated = 1;
				break;
			}
			dst[o++] = (char)s[i++];
			continue;
		}
		l = utf8_seq_len(s + i, n - i);
		if (l == 0) {
			if (o + 3 > max) {
				*truncated = 1;
				break;
			}
			memcpy(dst + o, "\xef\xbf\xbd", 3);
			o += 3;
			i++;
			continue;
		}
		if (o + l > max) {
			*truncated = 1;
			break;
		}
		memcpy(dst + o, s + i, l);
		o += l;
		i += l;
	}
	return o;
}

/* Clean one slice into the arena as a NUL-terminated string. */
static void put_field(rs_event_encoder_t *enc, int f, rs_str_t s, size_t max)
{
	char *dst = enc->arena + enc->used;
	int truncated = 0;
	size_t n = 0;

	if (s.p != NULL) {
		n = rs_event_utf8_clean(s.p, s.n, dst, max, &truncated);
	}
	dst[n] = '\0';
	enc->field[f] = dst;
	enc->field_len[f] = n;
	enc->used += n + 1;
	if (f == F_REPLY) {
		enc->reply_truncated = truncated;
	}
}

/* Copy and clean every string of the record into the arena. */
static void prepare(rs_event_encoder_t *enc, const rs_record_t *rec)
{
	enc->used = 0;
	put_field(enc, F_LOG_TIME, rec->log_time, RS_EVENT_FIELD_MAX);
	put_field(enc, F_LOG_HOST, rec->log_host, RS_EVENT_FIELD_MAX);
	put_field(enc, F_PROGRAM, rec->program, RS_EVENT_FIELD_MAX);
	put_field(enc, F_QUEUE_ID, rec->queue_id, RS_EVENT_FIELD_MAX);
	put_field(enc, F_RECIPIENT, rec->recipient, RS_EVENT_FIELD_MAX);
	put_field(enc, F_DOMAIN, rec->recipient_domain, RS_EVENT_FIELD_MAX);
	for (size_t i = 0; i < enc->field_len[F_DOMAIN]; i++) {
		enc->field[F_DOMAIN][i] =
		    (char)rs_str_lower((unsigned char)enc->field[F_DOMAIN][i]);
	}
	put_field(enc, F_SENDER, rec->sender, RS_EVENT_FIELD_MAX);
	put_field(enc, F_REMOTE_HOST, rec->remote_host, RS_EVENT_FIELD_MAX);
	put_field(enc, F_REMOTE_IP, rec->remote_ip, RS_EVENT_FIELD_MAX);
	put_field(enc, F_ENHANCED, rec->enhanced_code, RS_EVENT_FIELD_MAX);
	put_field(enc, F_REPLY, rec->reply_text, RS_EVENT_REPLY_MAX);
}

/* Were any delays logged? */
static int has_delays(const rs_delays_t *d)
{
	return d->total >= 0 || d->before_queue >= 0 || d->in_queue >= 0 ||
	       d->connection >= 0 || d->transmission >= 0;
}

static const char hex[] = "0123456789abcdef";

void rs_event_json_string(rs_buf_t *out, const char *s, size_t n)
{
	size_t run = 0;

	rs_buf_putc(out, '"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c >= 0x20 && c != '"' && c != '\\') {
			continue;
		}
		rs_buf_append(out, s + run, i - run);
		run = i + 1;
		switch (c) {
		case '"':
			rs_buf_append(out, "\\\"", 2);
			break;
		case '\\':
			rs_buf_append(out, "\\\\", 2);
			break;
		case '\n':
			rs_buf_append(out, "\\n", 2);
			break;
		case '\r':
			rs_buf_append(out, "\\r", 2);
			break;
		case '\t':
			rs_buf_append(out, "\\t", 2);
			break;
		default: {
			char esc[6] = {'\\', 'u',         '0',
			               '0',  hex[c >> 4], hex[c & 15]};
			rs_buf_append(out, esc, 6);
		}
		}
	}
	rs_buf_append(out, s + run, n - run);
	rs_buf_putc(out, '"');
}

/* ,"key":"value" */
static void json_kv_str(rs_buf_t *out, const char *key, const char *v, size_t n)
{
	rs_buf_puts(out, key);
	rs_event_json_string(out, v, n);
}

/* Append a double with up to 3 decimals (delays are logged that way). */
static void json_double(rs_buf_t *out, double v)
{
	int64_t milli = (int64_t)(v * 1000.0 + (v >= 0 ? 0.5 : -0.5));
	int64_t whole = milli / 1000;
	int64_t frac = milli % 1000;

	if (frac < 0) {
		frac = -frac;
	}
	if (milli < 0 && whole == 0) {
		rs_buf_putc(out, '-');
	}
	rs_buf_put_i64(out, whole);
	if (frac != 0) {
		char tmp[4] = {'.', (char)('0' + frac / 100),
		               (char)('0' + frac / 10 % 10),
		               (char)('0' + frac % 10)};
		size_t l = 4;
		while (tmp[l - 1] == '0') {
			l--;
		}
		rs_buf_append(out, tmp, l);
	}
}

/* Write one event as a JSON object and newline. */
static void encode_json(rs_event_encoder_t *enc, const rs_record_t *rec,
                        const rs_verdict_t *v, const rs_provenance_t *prov,
                        int64_t ingest_ms, rs_buf_t *out)
{
	rs_buf_puts(out, "{\"status\":\"");
	rs_buf_puts(out, rs_taxonomy_status_name(rec->status));
	rs_buf_puts(out, "\",\"cause\":\"");
	rs_buf_puts(out, rs_taxonomy_cause_name(v->cause));
	rs_buf_puts(out, "\",\"stage\":\"");
	rs_buf_puts(out, rs_taxonomy_stage_name(rec->stage));
	rs_buf_puts(out, "\",\"reply_code\":");
	rs_buf_put_u64(out, rec->reply_code);
	json_kv_str(out, ",\"enhanced_code\":", enc->field[F_ENHANCED],
	            enc->field_len[F_ENHANCED]);
	json_kv_str(out, ",\"reply_text\":", enc->field[F_REPLY],
	            enc->field_len[F_REPLY]);
	if (enc->reply_truncated) {
		rs_buf_puts(out, ",\"reply_text_truncated\":true");
	}
	json_kv_str(out, ",\"rule_id\":", v->rule_id, strlen(v->rule_id));
	rs_buf_puts(out, ",\"tags\":[");
	for (size_t i = 0; i < v->ntags; i++) {
		if (i > 0) {
			rs_buf_putc(out, ',');
		}
		rs_event_json_string(out, v->tags[i], strlen(v->tags[i]));
	}
	rs_buf_putc(out, ']');
	json_kv_str(out, ",\"remote_host\":", enc->field[F_REMOTE_HOST],
	            enc->field_len[F_REMOTE_HOST]);
	json_kv_str(out, ",\"remote_ip\":", enc->field[F_REMOTE_IP],
	            enc->field_len[F_REMOTE_IP]);
	rs_buf_puts(out, ",\"remote_port\":");
	rs_buf_put_u64(out, rec->remote_port);
	json_kv_str(out, ",\"recipient\":", enc->field[F_RECIPIENT],
	            enc->field_len[F_RECIPIENT]);
	json_kv_str(out, ",\"recipient_domain\":", enc->field[F_DOMAIN],
	            enc->field_len[F_DOMAIN]);
	json_kv_str(out, ",\"sender\":", enc->field[F_SENDER],
	            enc->field_len[F_SENDER]);
	json_kv_str(out, ",\"queue_id\":", enc->field[F_QUEUE_ID],
	            enc->field_len[F_QUEUE_ID]);
	rs_buf_puts(out, ",\"mta\":\"");
	rs_buf_puts(out, rs_taxonomy_mta_name(rec->mta));
	rs_buf_putc(out, '"');
	json_kv_str(out, ",\"program\":", enc->field[F_PROGRAM],
	            enc->field_len[F_PROGRAM]);
	json_kv_str(out, ",\"log_host\":", enc->field[F_LOG_HOST],
	            enc->field_len[F_LOG_HOST]);
	json_kv_str(out, ",\"log_time\":", enc->field[F_LOG_TIME],
	            enc->field_len[F_LOG_TIME]);
	rs_buf_puts(out, ",\"log_time_unix_ms\":");
	rs_buf_put_i64(out, rec->log_time_ms);
	rs_buf_puts(out, ",\"ingest_time_unix_ms\":");
	rs_buf_put_i64(out, ingest_ms);
	if (has_delays(&rec->delays)) {
		const rs_delays_t *d = &rec->delays;
		rs_buf_puts(out, ",\"delays\":{\"total\":");
		json_double(out, d->total);
		rs_buf_puts(out, ",\"before_queue\":");
		json_double(out, d->before_queue);
		rs_buf_puts(out, ",\"in_queue\":");
		json_double(out, d->in_queue);
		rs_buf_puts(out, ",\"connection\":");
		json_double(out, d->connection);
		rs_buf_puts(out, ",\"transmission\":");
		json_double(out, d->transmission);
		rs_buf_putc(out, '}');
	}
	json_kv_str(out, ",\"source\":", prov->source, strlen(prov->source));
	rs_buf_puts(out, ",\"line\":");
	rs_buf_put_u64(out, prov->line);
	if (prov->partition >= 0) {
		rs_buf_puts(out, ",\"partition\":");
		rs_buf_put_i64(out, prov->partition);
		rs_buf_puts(out, ",\"offset\":");
		rs_buf_put_i64(out, prov->offset);
	}
	rs_buf_puts(out, "}\n");
}

/* Pack one event as protobuf, with a varint length prefix if delim. */
static void encode_pb(rs_event_encoder_t *enc, const rs_record_t *rec,
                      const rs_verdict_t *v, const rs_provenance_t *prov,
                      int64_t ingest_ms, int delim, rs_buf_t *out)
{
	Replyscan__V1__DeferralEvent ev = REPLYSCAN__V1__DEFERRAL_EVENT__INIT;
	Replyscan__V1__Delays delays = REPLYSCAN__V1__DELAYS__INIT;
	char *tags[RS_CLASSIFY_MAX_TAGS];
	size_t size;
	char *dst;

	ev.log_time = enc->field[F_LOG_TIME];
	ev.log_time_unix_ms = rec->log_time_ms;
	ev.ingest_time_unix_ms = ingest_ms;
	ev.log_host = enc->field[F_LOG_HOST];
	ev.mta = (Replyscan__V1__Mta)rec->mta;
	ev.program = enc->field[F_PROGRAM];
	ev.queue_id = enc->field[F_QUEUE_ID];
	ev.status = (Replyscan__V1__Status)rec->status;
	ev.recipient = enc->field[F_RECIPIENT];
	ev.recipient_domain = enc->field[F_DOMAIN];
	ev.sender = enc->field[F_SENDER];
	ev.remote_host = enc->field[F_REMOTE_HOST];
	ev.remote_ip = enc->field[F_REMOTE_IP];
	ev.remote_port = rec->remote_port;
	ev.stage = (Replyscan__V1__Stage)rec->stage;
	ev.reply_code = rec->reply_code;
	ev.enhanced_code = enc->field[F_ENHANCED];
	ev.reply_text = enc->field[F_REPLY];
	ev.reply_text_truncated = enc->reply_truncated;
	ev.cause = (Replyscan__V1__Cause)v->cause;
	/* protobuf-c takes non-const pointers but only reads them. */
	ev.rule_id = (char *)v->rule_id;
	for (size_t i = 0; i < v->ntags; i++) {
		tags[i] = (char *)v->tags[i];
	}
	ev.n_tags = v->ntags;
	ev.tags = tags;
	if (has_delays(&rec->delays)) {
		delays.total = rec->delays.total;
		delays.before_queue = rec->delays.before_queue;
		delays.in_queue = rec->delays.in_queue;
		delays.connection = rec->delays.connection;
		delays.transmission = rec->delays.transmission;
		ev.delays = &delays;
	}
	ev.source = (char *)prov->source;
	ev.line = prov->line;
	ev.partition = prov->partition;
	ev.offset = prov->offset;

	size = replyscan__v1__deferral_event__get_packed_size(&ev);
	if (delim) {
		rs_buf_put_varint(out, size);
	}
	dst = rs_buf_reserve(out, size);
	if (dst != NULL) {
		out->len +=
		    replyscan__v1__deferral_event__pack(&ev, (uint8_t *)dst);
	}
}

int rs_event_encode(rs_event_encoder_t *enc, rs_event_format_t format,
                    const rs_record_t *rec, const rs_verdict_t *verdict,
                    const rs_provenance_t *prov, int64_t ingest_ms,
                    rs_buf_t *out)
{
	prepare(enc, rec);
	switch (format) {
	case RS_EVENT_JSON:
		encode_json(enc, rec, verdict, prov, ingest_ms, out);
		break;
	case RS_EVENT_PB_DELIM:
		encode_pb(enc, rec, verdict, prov, ingest_ms, 1, out);
		break;
	case RS_EVENT_PB:
		encode_pb(enc, rec, verdict, prov, ingest_ms, 0, out);
		break;
	}
	return out->failed ? -1 : 0;
}
