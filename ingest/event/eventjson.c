/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eventjson.c - the DeferralEvent JSON writer; see eventjson.h.
 *
 * One table names every field in JSON order with its protobuf number and
 * how it is written; offsets and types come from the protobuf-c
 * descriptor, so a field appended to the schema needs one row here (and
 * test_event checks that none is missing).
 */
#include "event/eventjson.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "event/taxonomy.h"
#include "util/utf8.h"

/* How a field is written. */
typedef enum kind {
	K_STRING,  /* "text" ("" when unset) */
	K_UINT,    /* uint32 / uint64 */
	K_INT,     /* int32 / int64 */
	K_TRUE,    /* bool, written only when true */
	K_NONZERO, /* uint, written only when not 0 */
	K_STRINGS, /* repeated string: ["a","b"] */
	K_DOUBLES, /* a message of doubles ({"total":1.2,...}); omitted
	              when absent */
	K_KAFKA,   /* int, written only when the event came from Kafka
	              (partition >= 0) */
	K_STATUS,  /* enum names of taxonomy.h */
	K_CAUSE,
	K_STAGE,
	K_MTA,
	K_STAGE_SOURCE,
} kind_t;

typedef struct field {
	const char *name;
	unsigned number;
	kind_t kind;
} field_t;

/* The event in JSON order. */
static const field_t fields[] = {
    {"status", 8, K_STATUS},
    {"cause", 20, K_CAUSE},
    {"stage", 15, K_STAGE},
    {"stage_inferred", 28, K_STAGE},
    {"stage_source", 29, K_STAGE_SOURCE},
    {"reply_code", 16, K_UINT},
    {"enhanced_code", 17, K_STRING},
    {"reply_text", 18, K_STRING},
    {"reply_text_truncated", 19, K_TRUE},
    {"rule_id", 21, K_STRING},
    {"tags", 22, K_STRINGS},
    {"remote_host", 12, K_STRING},
    {"remote_ip", 13, K_STRING},
    {"remote_port", 14, K_UINT},
    {"sending_ip", 30, K_STRING},
    {"sending_pool", 31, K_STRING},
    {"vmta", 32, K_STRING},
    {"job_id", 33, K_STRING},
    {"tenant", 34, K_STRING},
    {"campaign", 35, K_STRING},
    {"recipient", 9, K_STRING},
    {"recipient_domain", 10, K_STRING},
    {"sender", 11, K_STRING},
    {"queue_id", 7, K_STRING},
    {"mta", 5, K_MTA},
    {"program", 6, K_STRING},
    {"log_host", 4, K_STRING},
    {"log_time", 1, K_STRING},
    {"log_time_unix_ms", 2, K_INT},
    {"ingest_time_unix_ms", 3, K_INT},
    {"delays", 23, K_DOUBLES},
    {"source", 24, K_STRING},
    {"line", 25, K_UINT},
    {"partition", 26, K_KAFKA},
    {"offset", 27, K_KAFKA},
    {"aggregated_count", 36, K_NONZERO},
};

#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* Per row: the descriptor of the field (built once). */
static const ProtobufCFieldDescriptor *field_desc[NFIELDS];
static const ProtobufCFieldDescriptor *partition_desc;
static const char *field_names[NFIELDS];
static pthread_once_t map_once = PTHREAD_ONCE_INIT;

static void map_init(void)
{
	const ProtobufCMessageDescriptor *d =
	    &replyscan__v1__deferral_event__descriptor;

	for (size_t i = 0; i < NFIELDS; i++) {
		field_desc[i] = protobuf_c_message_descriptor_get_field(
		    d, fields[i].number);
		field_names[i] = fields[i].name;
	}
	partition_desc = protobuf_c_message_descriptor_get_field(d, 26);
}

const char *const *rs_eventjson_names(size_t *n)
{
	pthread_once(&map_once, map_init);
	*n = NFIELDS;
	return field_names;
}

/* The bytes of a field inside the message. */
static const void *at(const void *msg, const ProtobufCFieldDescriptor *fd)
{
	return (const char *)msg + fd->offset;
}

/* An integer field as int64 / uint64 whatever its width. */
static int64_t get_int(const void *msg, const ProtobufCFieldDescriptor *fd)
{
	switch (fd->type) {
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_SINT32:
	case PROTOBUF_C_TYPE_SFIXED32:
	case PROTOBUF_C_TYPE_ENUM:
		return *(const int32_t *)at(msg, fd);
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_FIXED32:
		return *(const uint32_t *)at(msg, fd);
	case PROTOBUF_C_TYPE_BOOL:
		return *(const protobuf_c_boolean *)at(msg, fd);
	default:
		return *(const int64_t *)at(msg, fd);
	}
}

/* A string as a JSON literal, cleaned to valid UTF-8 if asked. */
static void put_string(rs_buf_t *out, const char *s, int mode)
{
	size_t n = s != NULL ? strlen(s) : 0;

	if (mode == RS_EVENTJSON_CLEAN && n > 0) {
		char tmp[4096];
		int truncated;
		/* Room for U+FFFD per byte of a bounded event string. */
		size_t m = rs_utf8_clean(s, n < 1024 ? n : 1024, tmp,
		                         sizeof(tmp), &truncated);
		rs_utf8_json_string(out, tmp, m);
		return;
	}
	rs_utf8_json_string(out, s != NULL ? s : "", n);
}

/* A double with up to 3 decimals (delays are logged that way). A value
 * the millisecond integer cannot hold (a message read from a topic may
 * carry any double) is written in exponent form; NaN and infinities,
 * which JSON has no numbers for, as null. */
static void put_double(rs_buf_t *out, double v)
{
	int64_t milli, whole, frac;

	if (isnan(v) || isinf(v)) {
		rs_buf_puts(out, "null");
		return;
	}
	if (v >= 1e15 || v <= -1e15) {
		char tmp[32];

		snprintf(tmp, sizeof(tmp), "%.17g", v);
		rs_buf_puts(out, tmp);
		return;
	}
	milli = (int64_t)(v * 1000.0 + (v >= 0 ? 0.5 : -0.5));
	whole = milli / 1000;
	frac = milli % 1000;

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

/* {"name":1.2,...} for a message whose fields are doubles. */
static void put_doubles(rs_buf_t *out, const ProtobufCMessage *m)
{
	const ProtobufCMessageDescriptor *d = m->descriptor;

	rs_buf_putc(out, '{');
	for (unsigned i = 0; i < d->n_fields; i++) {
		const ProtobufCFieldDescriptor *fd = &d->fields[i];

		if (i > 0) {
			rs_buf_putc(out, ',');
		}
		rs_buf_putc(out, '"');
		rs_buf_puts(out, fd->name);
		rs_buf_puts(out, "\":");
		put_double(out, *(const double *)at(m, fd));
	}
	rs_buf_putc(out, '}');
}

/* The lowercase name of an enum value. */
static const char *enum_name(kind_t kind, int v)
{
	switch (kind) {
	case K_STATUS:
		return rs_taxonomy_status_name((rs_status_t)v);
	case K_CAUSE:
		return rs_taxonomy_cause_name((rs_cause_t)v);
	case K_STAGE:
		return rs_taxonomy_stage_name((rs_stage_t)v);
	case K_STAGE_SOURCE:
		return rs_taxonomy_stage_source_name((rs_stage_source_t)v);
	default:
		return rs_taxonomy_mta_name((rs_mta_t)v);
	}
}

void rs_eventjson_write(const Replyscan__V1__DeferralEvent *ev, int mode,
                        rs_buf_t *out)
{
	int from_kafka;
	int first = 1;

	pthread_once(&map_once, map_init);
	from_kafka = get_int(ev, partition_desc) >= 0;
	rs_buf_putc(out, '{');
	for (size_t i = 0; i < NFIELDS; i++) {
		const field_t *f = &fields[i];
		const ProtobufCFieldDescriptor *fd = field_desc[i];
		const void *p = at(ev, fd);

		if (((f->kind == K_TRUE || f->kind == K_NONZERO) &&
		     get_int(ev, fd) == 0) ||
		    (f->kind == K_DOUBLES &&
		     *(const ProtobufCMessage *const *)p == NULL) ||
		    (f->kind == K_KAFKA && !from_kafka)) {
			continue;
		}
		if (!first) {
			rs_buf_putc(out, ',');
		}
		first = 0;
		rs_buf_putc(out, '"');
		rs_buf_puts(out, f->name);
		rs_buf_puts(out, "\":");
		switch (f->kind) {
		case K_STRING:
			put_string(out, *(char *const *)p, mode);
			break;
		case K_UINT:
		case K_NONZERO:
			if (fd->type == PROTOBUF_C_TYPE_UINT64) {
				rs_buf_put_u64(out, *(const uint64_t *)p);
			} else {
				rs_buf_put_u64(out, (uint64_t)get_int(ev, fd));
			}
			break;
		case K_INT:
		case K_KAFKA:
			rs_buf_put_i64(out, get_int(ev, fd));
			break;
		case K_TRUE:
			rs_buf_puts(out, "true");
			break;
		case K_STRINGS: {
			size_t n = *(const size_t *)((const char *)ev +
			                             fd->quantifier_offset);
			char *const *v = *(char *const *const *)p;

			rs_buf_putc(out, '[');
			for (size_t k = 0; k < n; k++) {
				if (k > 0) {
					rs_buf_putc(out, ',');
				}
				put_string(out, v[k], mode);
			}
			rs_buf_putc(out, ']');
			break;
		}
		case K_DOUBLES:
			put_doubles(out, *(const ProtobufCMessage *const *)p);
			break;
		case K_STATUS:
		case K_CAUSE:
		case K_STAGE:
		case K_MTA:
		case K_STAGE_SOURCE:
			rs_buf_putc(out, '"');
			rs_buf_puts(out,
			            enum_name(f->kind, (int)get_int(ev, fd)));
			rs_buf_putc(out, '"');
			break;
		}
	}
	rs_buf_putc(out, '}');
}
