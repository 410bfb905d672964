/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eventjson.h - a DeferralEvent message as one JSON object: the JSON that
 * `classify --format json`, `events` and the Kafka JSON output all write.
 *
 * The fields are listed once, in eventjson.c, in the order JSON shows
 * them (what an operator reads first), each by its protobuf field number;
 * where a field sits in the message and what type it has come from the
 * generated protobuf-c descriptor. Every JSON key is the protobuf field
 * name; enums are written as the lowercase names of TAXONOMY.md.
 *
 * @locality any thread; the field map is built once on first use.
 */
#ifndef RS_EVENTJSON_H
#define RS_EVENTJSON_H

#include <stddef.h>

#include "replyscan/v1/event.pb-c.h"
#include "util/buf.h"

/* Strings are taken as valid UTF-8 (the encoder cleaned them). */
#define RS_EVENTJSON_TRUSTED 0
/* Strings may be anything (a message read from a topic): clean them. */
#define RS_EVENTJSON_CLEAN 1

/* Append ev as one JSON object (no newline). */
void rs_eventjson_write(const Replyscan__V1__DeferralEvent *ev, int mode,
                        rs_buf_t *out);

/*
 * The JSON names in output order, for tests that check that every field
 * of the message descriptor is written: *n gets the count.
 */
const char *const *rs_eventjson_names(size_t *n);

#endif
