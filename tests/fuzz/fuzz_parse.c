/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_parse.c - every format parser, as the pipeline drives it.
 *
 * Input: byte 0 picks the format (index into the format table, "auto"
 * included, so every parser is reached); the rest is a log split on
 * newlines. The lines go through the stateful formats' prescan in input
 * order (PowerMTA headers, qmail deliveries), then each is parsed alone
 * from its own exact-size copy, so ASan catches a read past the line,
 * and a line the prescan unwrapped is parsed again without its unwrap:
 * both reads must agree.
 * Parsers are total: every line gives an event, a skip or a malformed
 * verdict with a reason, and every field of an event can be read. Each
 * event is encoded as JSON, which must be valid JSON.
 */
#include "fuzz.h"

#include <jansson.h>
#include <string.h>

#include "classify/classify.h"
#include "event/event.h"
#include "formats/format.h"
#include "pipeline/pipeline.h"
#include "pipeline/prescan.h"

#define ARENA 8192

static char arena[ARENA];
static rs_event_encoder_t *enc;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	enc = rs_event_encoder_new();
	RS_FUZZ_CHECK(enc != NULL);
	return 0;
}

/* Read every byte of s (ASan checks them); returns a byte sum. */
static unsigned touch(rs_str_t s)
{
	unsigned sum = 0;

	RS_FUZZ_CHECK(s.n < (1u << 24));
	RS_FUZZ_CHECK(s.n == 0 || s.p != NULL);
	for (size_t i = 0; i < s.n; i++) {
		sum += (unsigned char)s.p[i];
	}
	return sum;
}

static void check_record(const rs_record_t *rec)
{
	volatile unsigned sum = 0;

	RS_FUZZ_CHECK((unsigned)rec->status < RS_STATUS__COUNT);
	RS_FUZZ_CHECK((unsigned)rec->stage < RS_STAGE__COUNT);
	RS_FUZZ_CHECK(rec->reply_code == 0 ||
	              (rec->reply_code >= 100 && rec->reply_code <= 999));
	RS_FUZZ_CHECK(rec->arena_used <= rec->arena_cap);
	sum += touch(rec->log_time) + touch(rec->log_host) +
	       touch(rec->program) + touch(rec->queue_id) +
	       touch(rec->recipient) + touch(rec->recipient_domain) +
	       touch(rec->sender) + touch(rec->remote_host) +
	       touch(rec->remote_ip) + touch(rec->enhanced_code) +
	       touch(rec->reply_text) + touch(rec->sending_ip) +
	       touch(rec->sending_pool) + touch(rec->vmta) +
	       touch(rec->job_id) + touch(rec->tenant) + touch(rec->campaign) +
	       touch(rec->extra_tag);
	(void)sum;
}

static void encode(const rs_record_t *rec, uint64_t line_no)
{
	rs_verdict_t v;
	rs_provenance_t prov = {"fuzz.log", line_no, -1, -1};
	rs_buf_t out = {0};
	json_error_t jerr;
	json_t *j;

	rs_verdict_init(&v, rec->stage);
	v.cause = RS_CAUSE_UNSPECIFIED;
	RS_FUZZ_CHECK(
	    rs_event_encode(enc, RS_EVENT_JSON, rec, &v, &prov, 0, &out) == 0);
	j = json_loadb(out.data, out.len, JSON_DECODE_INT_AS_REAL, &jerr);
	if (j == NULL) {
		fprintf(stderr, "not JSON (%s): %.*s\n", jerr.text,
		        (int)out.len, out.data);
	}
	RS_FUZZ_CHECK(j != NULL);
	json_decref(j);
	rs_buf_free(&out);
}

/* Line i parsed without the prescan's unwrap gives res and rec's event
 * (the worker unwraps the object itself). */
static void alone(const rs_format_t *fmt, const rs_batch_t *batch, size_t i,
                  rs_parse_result_t res, const rs_record_t *rec)
{
	static char arena2[ARENA];
	rs_record_t rec2;
	rs_logline_t ll;
	const char *why = NULL;

	rec2.arena = arena2;
	rec2.arena_cap = sizeof(arena2);
	rs_record_reset(&rec2);
	rs_batch_logline(batch, i, &ll);
	ll.unwrapped = NULL;
	ll.unwrapped_len = 0;
	RS_FUZZ_CHECK(rs_format_parse_logline(fmt, &ll, &rec2, &why) == res);
	if (res == RS_PARSE_EVENT) {
		RS_FUZZ_CHECK(rec2.status == rec->status &&
		              rec2.reply_code == rec->reply_code &&
		              rec2.log_time_ms == rec->log_time_ms &&
		              rec2.log_time.n == rec->log_time.n &&
		              rec2.log_host.n == rec->log_host.n &&
		              rec2.recipient.n == rec->recipient.n &&
		              rec2.reply_text.n == rec->reply_text.n);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const rs_format_t *fmt;
	rs_prescan_t *ps;
	rs_batch_t batch;
	rs_record_t rec;
	char err[256];
	char **copies;
	size_t nlines = 0, pos;

	if (size < 1) {
		return 0;
	}
	fmt = rs_format_at(data[0] % rs_format_count());
	memset(&batch, 0, sizeof(batch));
	batch.source = "fuzz.log";
	batch.input_ends = 1;
	copies = calloc(size, sizeof(*copies));
	RS_FUZZ_CHECK(copies != NULL);
	for (pos = 1; pos < size;) {
		const uint8_t *nl = memchr(data + pos, '\n', size - pos);
		size_t len = nl ? (size_t)(nl - (data + pos)) : size - pos;

		copies[nlines] = malloc(len > 0 ? len : 1);
		RS_FUZZ_CHECK(copies[nlines] != NULL);
		if (len > 0) {
			memcpy(copies[nlines], data + pos, len);
		}
		RS_FUZZ_CHECK(rs_batch_add_line(&batch, copies[nlines], len,
		                                nlines + 1, -1, 0) == 0);
		nlines++;
		pos += len + 1;
	}
	ps = rs_prescan_new(fmt, NULL, err, sizeof(err));
	RS_FUZZ_CHECK(ps != NULL);
	RS_FUZZ_CHECK(rs_prescan_batch(ps, &batch) == 0);
	rec.arena = arena;
	rec.arena_cap = sizeof(arena);
	for (size_t i = 0; i < batch.nlines; i++) {
		const rs_line_t *line = &batch.lines[i];
		rs_logline_t ll;
		const char *why = NULL;
		rs_parse_result_t res;

		if (line->flags & RS_LINE_ABSORBED) {
			continue;
		}
		rs_record_reset(&rec);
		RS_FUZZ_CHECK(line->aux_off + line->aux_len <= batch.aux.len);
		RS_FUZZ_CHECK(line->unwrap_off + line->unwrap_len <=
		              batch.aux.len);
		rs_batch_logline(&batch, i, &ll);
		res = rs_format_parse_logline(fmt, &ll, &rec, &why);
		/* The prescan's unwrap handed over reads as the line alone. */
		if (line->unwrap_len > 0 && line->len < ARENA / 2) {
			alone(fmt, &batch, i, res, &rec);
		}
		switch (res) {
		case RS_PARSE_EVENT:
			check_record(&rec);
			encode(&rec, line->line_no);
			break;
		case RS_PARSE_SKIP:
			break;
		case RS_PARSE_MALFORMED:
			RS_FUZZ_CHECK(why != NULL && why[0] != '\0');
			break;
		default:
			RS_FUZZ_CHECK(!"parse result out of range");
		}
	}
	rs_prescan_destroy(ps);
	rs_batch_free(&batch);
	for (size_t i = 0; i < nlines; i++) {
		free(copies[i]);
	}
	free(copies);
	return 0;
}
