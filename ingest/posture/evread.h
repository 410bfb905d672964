/* SPDX-License-Identifier: Apache-2.0 */
/*
 * evread.h - the fields of a DeferralEvent the posture engine needs,
 * read straight from the protobuf wire bytes without unpacking (no
 * allocation: strings point into the message), and the reader of a
 * varint-length-delimited stream of them (`classify --format pb`).
 *
 * @locality one thread; a stream reader is not shared.
 */
#ifndef RS_POSTURE_EVREAD_H
#define RS_POSTURE_EVREAD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "util/str.h"

#define RS_PEV_MAX_TAGS 16

typedef struct rs_pevent {
	int64_t t_ms; /* log_time_unix_ms */
	int status;   /* rs_status_t */
	int cause;    /* rs_cause_t */
	unsigned reply_code;
	rs_str_t enhanced_code;
	rs_str_t reply_text;
	rs_str_t recipient_domain;
	rs_str_t remote_host;
	/* the sending side: the first non-empty of sending_ip,
	 * sending_pool, vmta, log_host */
	rs_str_t sending;
	rs_str_t tags[RS_PEV_MAX_TAGS];
	size_t ntags;
	/* The attempts the event stands for: aggregated_count of a rollup
	 * of delivered lines, else 1 (0 in a hand-made event means 1). */
	uint32_t count;
} rs_pevent_t;

/* Decode one DeferralEvent message. 0, or -1 when the bytes are not one. */
int rs_pevent_decode(const void *data, size_t len, rs_pevent_t *ev);

typedef struct rs_pbreader {
	FILE *in;
	unsigned char *buf;
	size_t cap, len, pos;
	uint64_t offset; /* stream offset of buf[0] */
	int eof;
} rs_pbreader_t;

void rs_pbreader_init(rs_pbreader_t *r, FILE *in);
void rs_pbreader_free(rs_pbreader_t *r);

/*
 * The next message: 1 with *data and *len (valid until the next call), 0 at
 * the end of the stream, -1 with a sentence (naming the byte offset) in
 * errstr when the stream is cut or a length is impossible.
 */
int rs_pbreader_next(rs_pbreader_t *r, const void **data, size_t *len,
                     char *errstr, size_t errstr_size);

#endif
