/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_events.c - the `events` command's decoder: any bytes read from a
 * topic are unpacked as a DeferralEvent; what unpacks is written as JSON
 * (strings cleaned, as `events` does) and must be valid JSON, and the
 * message must pack again.
 */
#include "fuzz.h"

#include <jansson.h>

#include "event/eventjson.h"
#include "replyscan/v1/event.pb-c.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Replyscan__V1__DeferralEvent *ev;
	rs_buf_t out = {0};
	json_error_t jerr;
	json_t *j;
	size_t n;
	uint8_t *again;

	ev = replyscan__v1__deferral_event__unpack(NULL, size, data);
	if (ev == NULL) {
		return 0;
	}
	rs_eventjson_write(ev, RS_EVENTJSON_CLEAN, &out);
	RS_FUZZ_CHECK(!out.failed);
	j = json_loadb(out.data, out.len, JSON_DECODE_INT_AS_REAL, &jerr);
	if (j == NULL) {
		fprintf(stderr, "not JSON (%s): %.*s\n", jerr.text,
		        (int)out.len, out.data);
	}
	RS_FUZZ_CHECK(j != NULL);
	json_decref(j);
	n = replyscan__v1__deferral_event__get_packed_size(ev);
	again = malloc(n > 0 ? n : 1);
	RS_FUZZ_CHECK(again != NULL);
	RS_FUZZ_CHECK(replyscan__v1__deferral_event__pack(ev, again) == n);
	free(again);
	replyscan__v1__deferral_event__free_unpacked(ev, NULL);
	rs_buf_free(&out);
	return 0;
}
