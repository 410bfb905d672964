/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_event.c - the event encoders as a round trip: a record made from
 * the input is encoded as protobuf, decoded again and compared field by
 * field with what the encoder promises (each string made valid UTF-8 and
 * bounded, the domain lowercased); the JSON encoding must be valid JSON
 * and equal to the JSON of the decoded message; the length-delimited
 * form must be the varint length and the same message. The protobuf
 * bytes (eventpb.c's, written by hand) must be what protobuf-c packs for
 * the message they decode to, and what eventpb.c writes for it again.
 *
 * Input: byte 0 status, 1 stage, 2 mta, 3-4 reply code, 5 flags (bit 0:
 * delays follow as 5 raw doubles, any bit pattern), then the record's
 * strings and the provenance source, separated by NUL bytes.
 */
#include "fuzz.h"

#include <jansson.h>
#include <stddef.h>
#include <string.h>

#include "event/event.h"
#include "event/eventjson.h"
#include "event/eventpb.h"
#include "util/utf8.h"

static rs_event_encoder_t *enc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	enc = rs_event_encoder_new();
	RS_FUZZ_CHECK(enc != NULL);
	return 0;
}

/* Record string fields and the message fields they feed. */
static const struct {
	size_t rec;
	size_t ev;
	size_t max;
} fields[] = {
#define F(r, e, m)                                                             \
	{                                                                      \
		offsetof(rs_record_t, r),                                      \
		    offsetof(Replyscan__V1__DeferralEvent, e), m               \
	}
    F(log_time, log_time, RS_EVENT_FIELD_MAX),
    F(log_host, log_host, RS_EVENT_FIELD_MAX),
    F(program, program, RS_EVENT_FIELD_MAX),
    F(queue_id, queue_id, RS_EVENT_FIELD_MAX),
    F(recipient, recipient, RS_EVENT_FIELD_MAX),
    F(recipient_domain, recipient_domain, RS_EVENT_FIELD_MAX),
    F(sender, sender, RS_EVENT_FIELD_MAX),
    F(remote_host, remote_host, RS_EVENT_FIELD_MAX),
    F(remote_ip, remote_ip, RS_EVENT_FIELD_MAX),
    F(enhanced_code, enhanced_code, RS_EVENT_FIELD_MAX),
    F(reply_text, reply_text, RS_EVENT_REPLY_MAX),
    F(sending_ip, sending_ip, RS_EVENT_FIELD_MAX),
    F(sending_pool, sending_pool, RS_EVENT_FIELD_MAX),
    F(vmta, vmta, RS_EVENT_FIELD_MAX),
    F(job_id, job_id, RS_EVENT_FIELD_MAX),
    F(tenant, tenant, RS_EVENT_FIELD_MAX),
    F(campaign, campaign, RS_EVENT_FIELD_MAX),
#undef F
};
#define NFIELDS (sizeof(fields) / sizeof(fields[0]))

/* The next NUL-separated part of [*p, end). */
static rs_str_t part(const uint8_t **p, const uint8_t *end)
{
	rs_str_t s = {(const char *)*p, 0};
	const uint8_t *z = memchr(*p, '\0', (size_t)(end - *p));

	s.n = z ? (size_t)(z - *p) : (size_t)(end - *p);
	*p += s.n + (z != NULL);
	return s;
}

/* What the encoder makes of s: valid UTF-8, at most max bytes. */
static size_t clean(rs_str_t s, char *dst, size_t max)
{
	int truncated;

	return s.p ? rs_utf8_clean(s.p, s.n, dst, max, &truncated) : 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p, *end = data + size;
	rs_record_t rec;
	rs_verdict_t v;
	rs_provenance_t prov;
	rs_str_t src;
	char *source, want[RS_EVENT_REPLY_MAX];
	rs_buf_t pb = {0}, delim = {0}, js = {0}, js2 = {0}, again = {0};
	Replyscan__V1__DeferralEvent *ev;
	json_error_t jerr;
	json_t *j;
	size_t n, k;

	if (size < 6) {
		return 0;
	}
	memset(&rec, 0, sizeof(rec));
	rs_record_reset(&rec);
	rec.status = (rs_status_t)(data[0] % RS_STATUS__COUNT);
	rec.stage = (rs_stage_t)(data[1] % RS_STAGE__COUNT);
	rec.mta = (rs_mta_t)(data[2] % 8);
	rec.reply_code = ((unsigned)data[3] << 8 | data[4]) % 1000;
	p = data + 6;
	if ((data[5] & 1) && (size_t)(end - p) >= sizeof(rec.delays)) {
		memcpy(&rec.delays, p, sizeof(rec.delays));
		p += sizeof(rec.delays);
	} else {
		rec.delays.total = rec.delays.before_queue = -1;
		rec.delays.in_queue = rec.delays.connection = -1;
		rec.delays.transmission = -1;
	}
	for (k = 0; k < NFIELDS; k++) {
		*(rs_str_t *)((char *)&rec + fields[k].rec) = part(&p, end);
	}
	rec.extra_tag = part(&p, end);
	src = part(&p, end);
	source = rs_fuzz_strndup((const uint8_t *)src.p, src.n);
	prov.source = source;
	prov.line = size;
	prov.partition = -1;
	prov.offset = -1;
	rs_verdict_init(&v, rec.stage);
	v.cause = (rs_cause_t)(data[0] % RS_CAUSE__COUNT);

	RS_FUZZ_CHECK(
	    rs_event_encode(enc, RS_EVENT_PB, &rec, &v, &prov, 7, &pb) == 0);
	RS_FUZZ_CHECK(rs_event_encode(enc, RS_EVENT_PB_DELIM, &rec, &v, &prov,
	                              7, &delim) == 0);
	RS_FUZZ_CHECK(
	    rs_event_encode(enc, RS_EVENT_JSON, &rec, &v, &prov, 7, &js) == 0);

	/* The delimited form is the varint length and the same bytes. */
	RS_FUZZ_CHECK(
	    delim.len > pb.len &&
	    memcmp(delim.data + delim.len - pb.len, pb.data, pb.len) == 0);

	ev = replyscan__v1__deferral_event__unpack(NULL, pb.len,
	                                           (const uint8_t *)pb.data);
	RS_FUZZ_CHECK(ev != NULL);
	/* Byte for byte protobuf-c's packing, and the writer's again. */
	n = replyscan__v1__deferral_event__get_packed_size(ev);
	RS_FUZZ_CHECK(n == pb.len);
	{
		char *dst = rs_buf_reserve(&again, n);
		RS_FUZZ_CHECK(dst != NULL);
		RS_FUZZ_CHECK(replyscan__v1__deferral_event__pack(
				  ev, (uint8_t *)dst) == n);
		RS_FUZZ_CHECK(memcmp(dst, pb.data, n) == 0);
	}
	rs_buf_reset(&again);
	rs_eventpb_write(ev, 0, &again);
	RS_FUZZ_CHECK(again.len == pb.len &&
	              memcmp(again.data, pb.data, pb.len) == 0);
	for (k = 0; k < NFIELDS; k++) {
		rs_str_t s = *(rs_str_t *)((char *)&rec + fields[k].rec);
		const char *got = *(char **)((char *)ev + fields[k].ev);

		n = clean(s, want, fields[k].max);
		if (fields[k].rec == offsetof(rs_record_t, recipient_domain)) {
			for (size_t i = 0; i < n; i++) {
				if (want[i] >= 'A' && want[i] <= 'Z') {
					want[i] = (char)(want[i] - 'A' + 'a');
				}
			}
		}
		RS_FUZZ_CHECK(strlen(got) == n && memcmp(got, want, n) == 0);
	}
	n = clean(src, want, RS_EVENT_FIELD_MAX);
	RS_FUZZ_CHECK(strlen(ev->source) == n &&
	              memcmp(ev->source, want, n) == 0);
	RS_FUZZ_CHECK(ev->reply_code == rec.reply_code);
	RS_FUZZ_CHECK((int)ev->status == (int)rec.status);
	RS_FUZZ_CHECK((int)ev->stage == (int)rec.stage);
	RS_FUZZ_CHECK(ev->line == prov.line && ev->partition == -1 &&
	              ev->offset == -1);
	RS_FUZZ_CHECK(ev->ingest_time_unix_ms == 7);

	/* JSON: valid, and the same as the decoded message's JSON. */
	j = json_loadb(js.data, js.len, JSON_DECODE_INT_AS_REAL, &jerr);
	if (j == NULL) {
		fprintf(stderr, "not JSON (%s): %.*s\n", jerr.text, (int)js.len,
		        js.data);
	}
	RS_FUZZ_CHECK(j != NULL);
	json_decref(j);
	rs_eventjson_write(ev, RS_EVENTJSON_CLEAN, &js2);
	rs_buf_putc(&js2, '\n');
	RS_FUZZ_CHECK(js2.len == js.len &&
	              memcmp(js2.data, js.data, js.len) == 0);

	replyscan__v1__deferral_event__free_unpacked(ev, NULL);
	rs_buf_free(&pb);
	rs_buf_free(&delim);
	rs_buf_free(&js);
	rs_buf_free(&js2);
	rs_buf_free(&again);
	free(source);
	return 0;
}
