/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_event.c - DeferralEvent encoding: JSON text, protobuf round trip
 * through protobuf-c's unpack, UTF-8 cleaning and length bounds, and the
 * hand-written protobuf writer (eventpb.c) byte for byte against
 * protobuf-c's pack.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event/event.h"
#include "event/eventjson.h"
#include "event/eventpb.h"
#include "formats/format.h"
#include "testutil.h"
#include "util/utf8.h"
#include "replyscan/v1/event.pb-c.h"
#include "util/str.h"

/* A record as the Postfix parser gives it for the seed case. */
static void seed_record(rs_record_t *rec, const char *line)
{
	memset(rec, 0, sizeof(*rec));
	rs_record_reset(rec);
	rec->mta = RS_MTA_POSTFIX;
	rec->status = RS_STATUS_DEFERRED;
	rec->stage = RS_STAGE_GREETING;
	rec->log_time = rs_str(line, 15);
	rec->log_time_ms = 1790000000000;
	rec->queue_id = rs_str("4F2A81C0B2", 10);
	rec->recipient = rs_str("user@Receiver.Example", 21);
	rec->recipient_domain = rs_str("Receiver.Example", 16);
	rec->remote_host = rs_str("mx.receiver.example", 19);
	rec->remote_ip = rs_str("203.0.113.25", 12);
	rec->remote_port = 25;
	rec->reply_code = 421;
	rec->enhanced_code = rs_str("4.7.0", 5);
	rec->reply_text = rs_str("421 4.7.0 Not allowed", 21);
	rec->delays.total = 1.5;
	rec->delays.before_queue = 0.1;
	rec->delays.in_queue = 0;
	rec->delays.connection = 1.25;
	rec->delays.transmission = 0.15;
}

static void seed_verdict(rs_verdict_t *v)
{
	rs_verdict_init(v, RS_STAGE_GREETING);
	v->cause = RS_CAUSE_IP_POLICY_BLOCK;
	v->basis = RS_BASIS_RULE;
	v->rule_id = "generic.ip_policy.not_allowed";
	v->tags[0] = "provider:example";
	v->tags[1] = "code:X1";
	v->ntags = 2;
}

static const rs_provenance_t file_prov = {"mail.log", 7, -1, -1};

static void test_json_seed(void **state)
{
	rs_event_encoder_t *enc = rs_event_encoder_new();
	rs_record_t rec;
	rs_verdict_t v;
	rs_buf_t out = {0};
	const char *line = "Sep 25 18:26:36 host postfix/smtp[1]: x";

	(void)state;
	seed_record(&rec, line);
	seed_verdict(&v);
	assert_int_equal(rs_event_encode(enc, RS_EVENT_JSON, &rec, &v,
	                                 &file_prov, 1234, &out),
	                 0);
	rs_buf_putc(&out, '\0');
	assert_string_equal(
	    out.data,
	    "{\"status\":\"deferred\",\"cause\":\"ip_policy_block\","
	    "\"stage\":\"greeting\",\"stage_inferred\":\"greeting\","
	    "\"stage_source\":\"log\",\"reply_code\":421,"
	    "\"enhanced_code\":\"4.7.0\","
	    "\"reply_text\":\"421 4.7.0 Not allowed\","
	    "\"rule_id\":\"generic.ip_policy.not_allowed\","
	    "\"tags\":[\"provider:example\",\"code:X1\"],"
	    "\"remote_host\":\"mx.receiver.example\","
	    "\"remote_ip\":\"203.0.113.25\",\"remote_port\":25,"
	    "\"sending_ip\":\"\",\"sending_pool\":\"\",\"vmta\":\"\","
	    "\"job_id\":\"\",\"tenant\":\"\",\"campaign\":\"\","
	    "\"recipient\":\"user@Receiver.Example\","
	    "\"recipient_domain\":\"receiver.example\",\"sender\":\"\","
	    "\"queue_id\":\"4F2A81C0B2\",\"mta\":\"postfix\","
	    "\"program\":\"\",\"log_host\":\"\","
	    "\"log_time\":\"Sep 25 18:26:36\","
	    "\"log_time_unix_ms\":1790000000000,"
	    "\"ingest_time_unix_ms\":1234,"
	    "\"delays\":{\"total\":1.5,\"before_queue\":0.1,"
	    "\"in_queue\":0,\"connection\":1.25,\"transmission\":0.15},"
	    "\"source\":\"mail.log\",\"line\":7}\n");
	rs_buf_free(&out);
	rs_event_encoder_destroy(enc);
}

static void test_json_escapes_and_kafka(void **state)
{
	rs_event_encoder_t *enc = rs_event_encoder_new();
	rs_record_t rec;
	rs_verdict_t v;
	rs_buf_t out = {0};
	static const char text[] =
	    "550 \"quoted\" back\\slash\ttab \x01 \xff \x7f end";
	rs_provenance_t kprov = {"mta-logs", 0, 3, 42};

	(void)state;
	seed_record(&rec, "Sep 25 18:26:36");
	rec.reply_text = rs_str(text, sizeof(text) - 1);
	seed_verdict(&v);
	v.ntags = 0;
	assert_int_equal(
	    rs_event_encode(enc, RS_EVENT_JSON, &rec, &v, &kprov, 1, &out), 0);
	rs_buf_putc(&out, '\0');
	assert_non_null(
	    strstr(out.data, "\"reply_text\":\"550 \\\"quoted\\\" "
	                     "back\\\\slash\\ttab \\u0001 \xef\xbf\xbd \\u007f "
	                     "end\""));
	assert_non_null(strstr(out.data, "\"tags\":[]"));
	assert_non_null(strstr(out.data, "\"source\":\"mta-logs\",\"line\":0,"
	                                 "\"partition\":3,\"offset\":42}\n"));
	rs_buf_free(&out);
	rs_event_encoder_destroy(enc);
}

static void test_pb_round_trip(void **state)
{
	rs_event_encoder_t *enc = rs_event_encoder_new();
	rs_record_t rec;
	rs_verdict_t v;
	rs_buf_t out = {0};
	Replyscan__V1__DeferralEvent *ev;
	uint64_t len = 0;
	size_t i = 0;
	int shift = 0;

	(void)state;
	seed_record(&rec, "Sep 25 18:26:36");
	seed_verdict(&v);
	assert_int_equal(rs_event_encode(enc, RS_EVENT_PB_DELIM, &rec, &v,
	                                 &file_prov, 99, &out),
	                 0);
	/* Varint length prefix, then exactly one message. */
	do {
		len |= (uint64_t)(out.data[i] & 0x7f) << shift;
		shift += 7;
	} while ((unsigned char)out.data[i++] & 0x80);
	assert_int_equal(i + len, out.len);
	ev = replyscan__v1__deferral_event__unpack(NULL, len,
	                                           (uint8_t *)out.data + i);
	assert_non_null(ev);
	assert_int_equal(ev->status, REPLYSCAN__V1__STATUS__STATUS_DEFERRED);
	assert_int_equal(ev->cause,
	                 REPLYSCAN__V1__CAUSE__CAUSE_IP_POLICY_BLOCK);
	assert_int_equal(ev->stage, REPLYSCAN__V1__STAGE__STAGE_GREETING);
	assert_int_equal(ev->mta, REPLYSCAN__V1__MTA__MTA_POSTFIX);
	assert_int_equal(ev->reply_code, 421);
	assert_string_equal(ev->enhanced_code, "4.7.0");
	assert_string_equal(ev->reply_text, "421 4.7.0 Not allowed");
	assert_string_equal(ev->remote_host, "mx.receiver.example");
	assert_string_equal(ev->remote_ip, "203.0.113.25");
	assert_int_equal(ev->remote_port, 25);
	assert_string_equal(ev->recipient, "user@Receiver.Example");
	assert_string_equal(ev->recipient_domain, "receiver.example");
	assert_string_equal(ev->queue_id, "4F2A81C0B2");
	assert_string_equal(ev->rule_id, "generic.ip_policy.not_allowed");
	assert_int_equal(ev->n_tags, 2);
	assert_string_equal(ev->tags[1], "code:X1");
	assert_non_null(ev->delays);
	assert_true(ev->delays->connection == 1.25);
	assert_string_equal(ev->source, "mail.log");
	assert_int_equal(ev->line, 7);
	assert_int_equal(ev->partition, -1);
	assert_int_equal(ev->offset, -1);
	assert_int_equal(ev->ingest_time_unix_ms, 99);
	assert_int_equal(ev->log_time_unix_ms, 1790000000000);
	replyscan__v1__deferral_event__free_unpacked(ev, NULL);
	rs_buf_free(&out);
	rs_event_encoder_destroy(enc);
}

static void test_reply_bounded(void **state)
{
	rs_event_encoder_t *enc = rs_event_encoder_new();
	rs_record_t rec;
	rs_verdict_t v;
	rs_buf_t out = {0};
	Replyscan__V1__DeferralEvent *ev;
	size_t big = 1 << 20;
	char *text = malloc(big);

	(void)state;
	/* 1 MB of "é" (2 bytes each): the cut must not split a character. */
	for (size_t i = 0; i + 1 < big; i += 2) {
		text[i] = '\xc3';
		text[i + 1] = '\xa9';
	}
	seed_record(&rec, "Sep 25 18:26:36");
	rec.reply_text = rs_str(text + 1, big - 1); /* starts mid-character */
	rec.delays.total = -1;
	rec.delays.before_queue = -1;
	rec.delays.in_queue = -1;
	rec.delays.connection = -1;
	rec.delays.transmission = -1;
	seed_verdict(&v);
	assert_int_equal(
	    rs_event_encode(enc, RS_EVENT_PB, &rec, &v, &file_prov, 1, &out),
	    0);
	ev = replyscan__v1__deferral_event__unpack(NULL, out.len,
	                                           (uint8_t *)out.data);
	assert_non_null(ev);
	assert_true(ev->reply_text_truncated);
	assert_true(strlen(ev->reply_text) <= RS_EVENT_REPLY_MAX);
	assert_true(strlen(ev->reply_text) >= RS_EVENT_REPLY_MAX - 3);
	/* The stray continuation byte became U+FFFD, then whole "é"s. */
	assert_memory_equal(ev->reply_text, "\xef\xbf\xbd\xc3\xa9", 5);
	assert_null(ev->delays);
	replyscan__v1__deferral_event__free_unpacked(ev, NULL);
	rs_buf_free(&out);
	rs_event_encoder_destroy(enc);
	free(text);
}

/* Invalid UTF-8 cases: input, expected output. */
static void test_utf8_clean(void **state)
{
	static const struct {
		const char *in;
		size_t n;
		const char *out;
	} cases[] = {
	    {"plain", 5, "plain"},
	    {"a\0b", 3,
	     "a\xef\xbf\xbd"
	     "b"},
	    {"\xc0\xaf", 2, "\xef\xbf\xbd\xef\xbf\xbd"}, /* overlong */
	    {"\xed\xa0\x80", 3, "\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd"},
	    {"\xf0\x9f\x98\x80", 4, "\xf0\x9f\x98\x80"}, /* emoji */
	    {"\xe2\x82", 2, "\xef\xbf\xbd\xef\xbf\xbd"}, /* truncated */
	};
	char dst[64];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		int trunc;
		size_t n = rs_utf8_clean(cases[i].in, cases[i].n, dst,
		                         sizeof(dst), &trunc);
		assert_int_equal(n, strlen(cases[i].out));
		assert_memory_equal(dst, cases[i].out, n);
		assert_false(trunc);
	}
}

/* Every field of the message descriptor is written to JSON, under its
 * protobuf name, and nothing else is: the field table cannot drift from
 * the schema. */
static void test_json_covers_schema(void **state)
{
	const ProtobufCMessageDescriptor *d =
	    &replyscan__v1__deferral_event__descriptor;
	size_t n;
	const char *const *names = rs_eventjson_names(&n);

	(void)state;
	assert_int_equal(n, d->n_fields);
	for (unsigned i = 0; i < d->n_fields; i++) {
		size_t k;
		for (k = 0; k < n; k++) {
			if (strcmp(names[k], d->fields[i].name) == 0) {
				break;
			}
		}
		if (k == n) {
			fail_msg("field %s is not written to JSON",
			         d->fields[i].name);
		}
	}
}

/* Encode as JSON directly and as protobuf read back and written as JSON
 * (what `events` prints): the same bytes, from a file and from Kafka. */
static void test_json_same_after_pb(void **state)
{
	static const rs_provenance_t kafka_prov = {"mta-logs", 0, 3, 12345};
	const rs_provenance_t *provs[] = {&file_prov, &kafka_prov};
	rs_event_encoder_t *enc = rs_event_encoder_new();
	rs_record_t rec;
	rs_verdict_t v;

	(void)state;
	for (size_t k = 0; k < 2; k++) {
		rs_buf_t json = {0}, pb = {0}, again = {0};
		Replyscan__V1__DeferralEvent *ev;

		seed_record(&rec, "Sep 25 18:26:36");
		seed_verdict(&v);
		if (k == 1) {
			rec.delays.total = -1;
			rec.delays.before_queue = -1;
			rec.delays.in_queue = -1;
			rec.delays.connection = -1;
			rec.delays.transmission = -1;
			rec.reply_text = rs_str("bad \xff\x00 bytes", 12);
		}
		assert_int_equal(rs_event_encode(enc, RS_EVENT_JSON, &rec, &v,
		                                 provs[k], 99, &json),
		                 0);
		assert_int_equal(rs_event_encode(enc, RS_EVENT_PB, &rec, &v,
		                                 provs[k], 99, &pb),
		                 0);
		ev = replyscan__v1__deferral_event__unpack(NULL, pb.len,
		                                           (uint8_t *)pb.data);
		assert_non_null(ev);
		rs_eventjson_write(ev, RS_EVENTJSON_CLEAN, &again);
		rs_buf_putc(&again, '\n');
		assert_int_equal(again.len, json.len);
		assert_memory_equal(again.data, json.data, json.len);
		replyscan__v1__deferral_event__free_unpacked(ev, NULL);
		rs_buf_free(&json);
		rs_buf_free(&pb);
		rs_buf_free(&again);
	}
	rs_event_encoder_destroy(enc);
}

/* Pack ev with protobuf-c (with a varint length first if delim). */
static void pack_protobuf_c(const Replyscan__V1__DeferralEvent *ev, int delim,
                            rs_buf_t *out)
{
	size_t size = replyscan__v1__deferral_event__get_packed_size(ev);
	char *dst;

	if (delim) {
		rs_buf_put_varint(out, size);
	}
	if (size == 0) {
		return;
	}
	dst = rs_buf_reserve(out, size);
	assert_non_null(dst);
	out->len += replyscan__v1__deferral_event__pack(ev, (uint8_t *)dst);
}

/* The writer and protobuf-c give the same bytes for ev, bare and
 * delimited; what names the case in a failure. */
static void check_same_bytes(const Replyscan__V1__DeferralEvent *ev,
                             const char *what)
{
	for (int delim = 0; delim <= 1; delim++) {
		rs_buf_t ours = {0}, theirs = {0};

		rs_eventpb_write(ev, delim, &ours);
		pack_protobuf_c(ev, delim, &theirs);
		assert_false(ours.failed);
		if (ours.len != theirs.len ||
		    (ours.len > 0 &&
		     memcmp(ours.data, theirs.data, ours.len) != 0)) {
			fail_msg("%s (delim %d): %zu bytes written, protobuf-c "
			         "packs %zu",
			         what, delim, ours.len, theirs.len);
		}
		rs_buf_free(&ours);
		rs_buf_free(&theirs);
	}
}

/* Set field f of a zeroed message to a value that is not zero. */
static void set_field(Replyscan__V1__DeferralEvent *ev,
                      const ProtobufCFieldDescriptor *f,
                      Replyscan__V1__Delays *delays, char **tags)
{
	char *m = (char *)ev + f->offset;

	if (f->label == PROTOBUF_C_LABEL_REPEATED) {
		assert_int_equal(f->type, PROTOBUF_C_TYPE_STRING);
		*(size_t *)((char *)ev + f->quantifier_offset) = 2;
		*(char ***)m = tags;
		return;
	}
	switch (f->type) {
	case PROTOBUF_C_TYPE_STRING:
		*(const char **)m = "value";
		break;
	case PROTOBUF_C_TYPE_INT64:
	case PROTOBUF_C_TYPE_UINT64:
		*(uint64_t *)m = 1234567890123;
		break;
	case PROTOBUF_C_TYPE_INT32:
	case PROTOBUF_C_TYPE_UINT32:
	case PROTOBUF_C_TYPE_ENUM:
		*(uint32_t *)m = 7;
		break;
	case PROTOBUF_C_TYPE_BOOL:
		*(protobuf_c_boolean *)m = 1;
		break;
	case PROTOBUF_C_TYPE_MESSAGE:
		*(Replyscan__V1__Delays **)m = delays;
		break;
	default:
		fail_msg("field %s: a type the writer does not know", f->name);
	}
}

/* Every field of the message descriptor, set alone, is written as
 * protobuf-c packs it: a field added to the .proto and not to eventpb.c
 * fails here. */
static void test_pb_writer_covers_schema(void **state)
{
	const ProtobufCMessageDescriptor *d =
	    &replyscan__v1__deferral_event__descriptor;
	static char tag_a[] = "provider:x", tag_b[] = "";
	char *tags[] = {tag_a, tag_b};
	Replyscan__V1__Delays delays;

	(void)state;
	replyscan__v1__delays__init(&delays);
	delays.in_queue = 2.5;
	for (unsigned i = 0; i < d->n_fields; i++) {
		Replyscan__V1__DeferralEvent ev;
		rs_buf_t ours = {0};

		replyscan__v1__deferral_event__init(&ev);
		set_field(&ev, &d->fields[i], &delays, tags);
		rs_eventpb_write(&ev, 0, &ours);
		/* Not left out: the field's key is there. */
		assert_true(ours.len > 1);
		check_same_bytes(&ev, d->fields[i].name);
		rs_buf_free(&ours);
	}
}

/* The edges of the wire format: negative int32 and int64, -0.0 and NaN
 * delays, empty and absent strings, empty repeated elements, lengths
 * that need two and three varint bytes, an empty nested message. */
static void test_pb_writer_edges(void **state)
{
	static char big[20000], mid[300];
	static char tag_a[] = "", tag_b[] = "code:TSS04";
	char *tags[] = {tag_a, tag_b, tag_a};
	Replyscan__V1__DeferralEvent ev;
	Replyscan__V1__Delays delays;

	(void)state;
	memset(big, 'b', sizeof(big) - 1);
	memset(mid, 'm', sizeof(mid) - 1);
	replyscan__v1__deferral_event__init(&ev);
	check_same_bytes(&ev, "empty message");
	replyscan__v1__delays__init(&delays);
	ev.delays = &delays;
	check_same_bytes(&ev, "empty delays");
	delays.total = -0.0;
	delays.before_queue = -1;
	delays.in_queue = 0.0 / 0.0;
	delays.connection = 1e300;
	delays.transmission = -2.75;
	ev.partition = -1;
	ev.offset = -1;
	ev.log_time_unix_ms = -86400000;
	ev.ingest_time_unix_ms = INT64_MAX;
	ev.line = UINT64_MAX;
	ev.remote_port = 65535;
	ev.reply_code = UINT32_MAX;
	ev.reply_text = big;
	ev.sender = mid;
	ev.recipient = NULL;
	ev.log_host = "";
	ev.tags = tags;
	ev.n_tags = 3;
	ev.reply_text_truncated = 1;
	ev.cause = REPLYSCAN__V1__CAUSE__CAUSE_UNCATEGORIZED;
	ev.stage_source = REPLYSCAN__V1__STAGE_SOURCE__STAGE_SOURCE_NONE;
	check_same_bytes(&ev, "edge values");
	ev.partition = INT32_MIN;
	ev.offset = INT64_MIN;
	check_same_bytes(&ev, "most negative");
}

/* Log fixtures of every format, parsed as the program parses them. */
static const char *const real_fixtures[] = {
    "postfix/agpl/lightmeter.log",
    "postfix/kumina.log",
    "postfix/winebarrel.log",
    "exim/exim-testsuite.log",
    "exim/syslog.log",
    "sendmail/sendmail.log",
    "kumomta/constructed.jsonl",
    "pmta/v4-default-fields.csv",
    "opensmtpd/smtp-out-2014.log",
    "multiline/postfix.log",
    "multiline/exim.log",
    "opensmtpd/event-delivery-2018.log",
};

/* Real events: every event of the fixtures, with verdicts of every cause
 * and up to three tags, from files and from Kafka, encoded by the
 * encoder; the bytes must be what protobuf-c packs for the message they
 * decode to, and what the writer writes for that message again. */
static void test_pb_writer_real_events(void **state)
{
	static const char *const tag_pool[] = {"provider:google",
	                                       "blocklist:spamhaus", "code:X1"};
	rs_event_encoder_t *enc = rs_event_encoder_new();
	size_t events = 0;

	(void)state;
	assert_non_null(enc);
	for (size_t f = 0; f < sizeof(real_fixtures) / sizeof(real_fixtures[0]);
	     f++) {
		rs_test_fixture_t fx;

		assert_int_equal(rs_test_fixture_load(real_fixtures[f], &fx),
		                 0);
		for (size_t i = 0; i < fx.count; i++) {
			rs_record_t rec;
			rs_verdict_t v;
			rs_provenance_t prov = {real_fixtures[f], i + 1, -1,
			                        -1};
			rs_buf_t out = {0};
			Replyscan__V1__DeferralEvent *ev;
			int delim = (int)(i & 1);
			size_t skip = 0;

			memset(&rec, 0, sizeof(rec));
			rs_record_reset(&rec);
			if (rs_format_parse(rs_format_auto(), fx.line[i],
			                    fx.len[i], &rec,
			                    NULL) != RS_PARSE_EVENT) {
				continue;
			}
			rs_verdict_init(&v, rec.stage);
			v.cause = (rs_cause_t)(events % RS_CAUSE__COUNT);
			v.rule_id = events % 3 == 0 ? "" : "generic.rule";
			v.ntags = events % 4;
			for (size_t t = 0; t < v.ntags; t++) {
				v.tags[t] = tag_pool[t];
			}
			if (events % 5 == 0) {
				prov.source = "mta-logs";
				prov.line = 0;
				prov.partition = (int32_t)(events % 7);
				prov.offset = (int64_t)(events * 1000003);
			}
			assert_int_equal(
			    rs_event_encode(
				enc, delim ? RS_EVENT_PB_DELIM : RS_EVENT_PB,
				&rec, &v, &prov,
				1790000000000 + (int64_t)events, &out),
			    0);
			if (delim) {
				while ((unsigned char)out.data[skip++] & 0x80) {
				}
			}
			ev = replyscan__v1__deferral_event__unpack(
			    NULL, out.len - skip, (uint8_t *)out.data + skip);
			assert_non_null(ev);
			{
				rs_buf_t theirs = {0};
				pack_protobuf_c(ev, delim, &theirs);
				if (theirs.len != out.len ||
				    memcmp(theirs.data, out.data, out.len) !=
				        0) {
					fail_msg(
					    "%s:%zu: the encoder's bytes are "
					    "not protobuf-c's",
					    real_fixtures[f], i + 1);
				}
				rs_buf_free(&theirs);
			}
			check_same_bytes(ev, real_fixtures[f]);
			replyscan__v1__deferral_event__free_unpacked(ev, NULL);
			rs_buf_free(&out);
			events++;
		}
		rs_test_fixture_free(&fx);
	}
	/* Many events, not a handful. */
	assert_true(events > 200);
	rs_event_encoder_destroy(enc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_json_seed),
	    cmocka_unit_test(test_json_escapes_and_kafka),
	    cmocka_unit_test(test_pb_round_trip),
	    cmocka_unit_test(test_reply_bounded),
	    cmocka_unit_test(test_utf8_clean),
	    cmocka_unit_test(test_json_covers_schema),
	    cmocka_unit_test(test_json_same_after_pb),
	    cmocka_unit_test(test_pb_writer_covers_schema),
	    cmocka_unit_test(test_pb_writer_edges),
	    cmocka_unit_test(test_pb_writer_real_events),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
