/* SPDX-License-Identifier: Apache-2.0 */
/*
 * event.h - turn a parsed record and its verdict into a DeferralEvent,
 * encoded as JSON (one object per line), as length-delimited protobuf, or
 * as a bare protobuf message (one Kafka message).
 *
 * @locality any thread, with that thread's own rs_event_encoder_t.
 * Every string is made valid UTF-8 (invalid bytes and NUL become U+FFFD)
 * and bounded: reply_text to RS_EVENT_REPLY_MAX bytes, other strings to
 * RS_EVENT_FIELD_MAX, cut at a character boundary. The encoder reuses its
 * memory from line to line, so steady state allocates nothing.
 */
#ifndef RS_EVENT_H
#define RS_EVENT_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "classify/classify.h"
#include "event/record.h"

#define RS_EVENT_REPLY_MAX 1024
#define RS_EVENT_FIELD_MAX 512

typedef enum rs_event_format {
	RS_EVENT_JSON = 0, /* one JSON object and '\n' */
	RS_EVENT_PB_DELIM, /* varint length, then the message */
	RS_EVENT_PB,       /* the message alone */
} rs_event_format_t;

/* Where the line came from. */
typedef struct rs_provenance {
	const char *source; /* file path, "-" for stdin, or Kafka topic */
	uint64_t line;      /* 1-based line in a file; 0 for Kafka */
	int32_t partition;  /* Kafka partition; -1 for files */
	int64_t offset;     /* Kafka offset; -1 for files */
} rs_provenance_t;

typedef struct rs_event_encoder rs_event_encoder_t;

/* New encoder, NULL when out of memory. */
rs_event_encoder_t *rs_event_encoder_new(void);
void rs_event_encoder_destroy(rs_event_encoder_t *enc);

/*
 * Append one event to out in the given format. Returns 0, or -1 when out
 * of memory (out->failed is then set too).
 */
int rs_event_encode(rs_event_encoder_t *enc, rs_event_format_t format,
                    const rs_record_t *rec, const rs_verdict_t *verdict,
                    const rs_provenance_t *prov, int64_t ingest_ms,
                    rs_buf_t *out);

#endif
