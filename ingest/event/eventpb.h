/* SPDX-License-Identifier: Apache-2.0 */
/*
 * eventpb.h - a DeferralEvent message in protobuf wire format, written by
 * hand: the bytes protobuf-c's pack gives for the same message, at a
 * fraction of its cost (protobuf-c reads its field descriptors for every
 * field of every message; this knows the fields).
 *
 * The schema stays proto/replyscan/v1/event.proto and its generated
 * protobuf-c code: the message is the generated struct, decoding (`events`,
 * posture's reader) stays with protobuf-c, and test_event checks, against
 * the generated descriptor, that every field is written and that the
 * bytes equal protobuf-c's for many events. A field added to the .proto
 * must be added to eventpb.c too; that test fails until it is.
 *
 * @locality any thread; no state.
 */
#ifndef RS_EVENTPB_H
#define RS_EVENTPB_H

#include "replyscan/v1/event.pb-c.h"
#include "util/buf.h"

/*
 * Append ev in protobuf wire format, preceded by its length as a varint
 * when delim is set. Out of memory leaves out->failed set.
 */
void rs_eventpb_write(const Replyscan__V1__DeferralEvent *ev, int delim,
                      rs_buf_t *out);

#endif
