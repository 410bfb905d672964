/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event.c - DeferralEvent encoding: JSON, delimited protobuf, protobuf.
 *
 * Both paths first fill one Replyscan__V1__DeferralEvent (fill(): the only
 * place that maps record fields to event fields) whose strings point into
 * the encoder's arena (cleaned, NUL-terminated copies). Protobuf is
 * written straight into the output buffer by eventpb.c (the bytes
 * protobuf-c's pack would give, several times faster); JSON by
 * eventjson.c, the table that `events` uses too.
 */
#include "event/event.h"

#include <stdlib.h>
#include <string.h>

#include "event/eventjson.h"
#include "event/eventpb.h"
#include "replyscan/v1/event.pb-c.h"
#include "util/str.h"
#include "util/utf8.h"

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
	F_SENDING_IP,
	F_SENDING_POOL,
	F_VMTA,
	F_JOB_ID,
	F_TENANT,
	F_CAMPAIGN,
	F_EXTRA_TAG,
	F_SOURCE, /* the provenance: a file path can be any bytes */
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
	/* The message of the event being encoded. */
	Replyscan__V1__DeferralEvent ev;
	Replyscan__V1__Delays delays;
	char *tags[RS_CLASSIFY_MAX_TAGS + 1]; /* the verdict's, the extra */
};

rs_event_encoder_t *rs_event_encoder_new(void)
{
	return calloc(1, sizeof(rs_event_encoder_t));
}

void rs_event_encoder_destroy(rs_event_encoder_t *enc)
{
	free(enc);
}

/* Clean one slice into the arena as a NUL-terminated string. */
static void put_field(rs_event_encoder_t *enc, int f, rs_str_t s, size_t max)
{
	char *dst = enc->arena + enc->used;
	int truncated = 0;
	size_t n = 0;

	if (s.p != NULL) {
		n = rs_utf8_clean(s.p, s.n, dst, max, &truncated);
	}
	dst[n] = '\0';
	enc->field[f] = dst;
	enc->field_len[f] = n;
	enc->used += n + 1;
	if (f == F_REPLY) {
		enc->reply_truncated = truncated;
	}
}

/* Copy and clean every string of the record and the provenance's source
 * into the arena. */
static void prepare(rs_event_encoder_t *enc, const rs_record_t *rec,
                    const rs_provenance_t *prov)
{
	rs_str_t source = {prov->source,
	                   prov->source != NULL ? strlen(prov->source) : 0};

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
	put_field(enc, F_SENDING_IP, rec->sending_ip, RS_EVENT_FIELD_MAX);
	put_field(enc, F_SENDING_POOL, rec->sending_pool, RS_EVENT_FIELD_MAX);
	put_field(enc, F_VMTA, rec->vmta, RS_EVENT_FIELD_MAX);
	put_field(enc, F_JOB_ID, rec->job_id, RS_EVENT_FIELD_MAX);
	put_field(enc, F_TENANT, rec->tenant, RS_EVENT_FIELD_MAX);
	put_field(enc, F_CAMPAIGN, rec->campaign, RS_EVENT_FIELD_MAX);
	put_field(enc, F_EXTRA_TAG, rec->extra_tag, RS_EVENT_FIELD_MAX);
	put_field(enc, F_SOURCE, source, RS_EVENT_FIELD_MAX);
}

/* Were any delays logged? */
static int has_delays(const rs_delays_t *d)
{
	return d->total >= 0 || d->before_queue >= 0 || d->in_queue >= 0 ||
	       d->connection >= 0 || d->transmission >= 0;
}

/*
 * The record, verdict and provenance as a DeferralEvent message: the one
 * place that says which record field feeds which event field. Strings
 * point into the encoder's arena (cleaned) or into the verdict's rule set.
 */
static void fill(rs_event_encoder_t *enc, const rs_record_t *rec,
                 const rs_verdict_t *v, const rs_provenance_t *prov,
                 int64_t ingest_ms)
{
	Replyscan__V1__DeferralEvent *ev = &enc->ev;

	replyscan__v1__deferral_event__init(ev);
	ev->log_time = enc->field[F_LOG_TIME];
	ev->log_time_unix_ms = rec->log_time_ms;
	ev->ingest_time_unix_ms = ingest_ms;
	ev->log_host = enc->field[F_LOG_HOST];
	ev->mta = (Replyscan__V1__Mta)rec->mta;
	ev->program = enc->field[F_PROGRAM];
	ev->queue_id = enc->field[F_QUEUE_ID];
	ev->status = (Replyscan__V1__Status)rec->status;
	ev->recipient = enc->field[F_RECIPIENT];
	ev->recipient_domain = enc->field[F_DOMAIN];
	ev->sender = enc->field[F_SENDER];
	ev->remote_host = enc->field[F_REMOTE_HOST];
	ev->remote_ip = enc->field[F_REMOTE_IP];
	ev->remote_port = rec->remote_port;
	ev->stage = (Replyscan__V1__Stage)rec->stage;
	ev->reply_code = rec->reply_code;
	ev->enhanced_code = enc->field[F_ENHANCED];
	ev->reply_text = enc->field[F_REPLY];
	ev->reply_text_truncated = enc->reply_truncated;
	ev->cause = (Replyscan__V1__Cause)v->cause;
	/* protobuf-c takes non-const pointers but only reads them. */
	ev->rule_id = (char *)v->rule_id;
	for (size_t i = 0; i < v->ntags; i++) {
		enc->tags[i] = (char *)v->tags[i];
	}
	ev->n_tags = v->ntags;
	/* The log's own tag follows the classifier's (record.h). */
	if (enc->field_len[F_EXTRA_TAG] > 0) {
		enc->tags[ev->n_tags++] = enc->field[F_EXTRA_TAG];
	}
	ev->tags = enc->tags;
	if (has_delays(&rec->delays)) {
		replyscan__v1__delays__init(&enc->delays);
		enc->delays.total = rec->delays.total;
		enc->delays.before_queue = rec->delays.before_queue;
		enc->delays.in_queue = rec->delays.in_queue;
		enc->delays.connection = rec->delays.connection;
		enc->delays.transmission = rec->delays.transmission;
		ev->delays = &enc->delays;
	}
	ev->source = enc->field[F_SOURCE];
	ev->line = prov->line;
	ev->partition = prov->partition;
	ev->offset = prov->offset;
	ev->stage_inferred = (Replyscan__V1__Stage)v->stage_inferred;
	ev->stage_source = (Replyscan__V1__StageSource)v->stage_source;
	ev->sending_ip = enc->field[F_SENDING_IP];
	ev->sending_pool = enc->field[F_SENDING_POOL];
	ev->vmta = enc->field[F_VMTA];
	ev->job_id = enc->field[F_JOB_ID];
	ev->tenant = enc->field[F_TENANT];
	ev->campaign = enc->field[F_CAMPAIGN];
	ev->aggregated_count = rec->aggregated_count;
}

int rs_event_encode(rs_event_encoder_t *enc, rs_event_format_t format,
                    const rs_record_t *rec, const rs_verdict_t *verdict,
                    const rs_provenance_t *prov, int64_t ingest_ms,
                    rs_buf_t *out)
{
	prepare(enc, rec, prov);
	fill(enc, rec, verdict, prov, ingest_ms);
	switch (format) {
	case RS_EVENT_JSON:
		rs_eventjson_write(&enc->ev, RS_EVENTJSON_TRUSTED, out);
		rs_buf_putc(out, '\n');
		break;
	case RS_EVENT_PB_DELIM:
		rs_eventpb_write(&enc->ev, 1, out);
		break;
	case RS_EVENT_PB:
		rs_eventpb_write(&enc->ev, 0, out);
		break;
	}
	return out->failed ? -1 : 0;
}
