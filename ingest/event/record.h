/* SPDX-License-Identifier: Apache-2.0 */
/*
 * record.h - one parsed delivery outcome, as the format parsers fill it.
 *
 * Ownership: every rs_str_t points into the input line or into the record's
 * arena; neither is owned by the record. The caller keeps the line alive
 * while the record is in use and resets the record (rs_record_reset) before
 * each line. No field is NUL-terminated; use the length.
 *
 * Hazards: the arena is fixed-size and provided by the caller (one per
 * worker thread); a parser that needs decoded text (JSON escapes) copies
 * into it with rs_record_arena_copy and must cope with it being full.
 */
#ifndef RS_RECORD_H
#define RS_RECORD_H

#include <stddef.h>
#include <stdint.h>

#include "event/taxonomy.h"
#include "util/str.h"

/* Postfix-style delay breakdown in seconds; negative means not logged. */
typedef struct rs_delays {
	double total;
	double before_queue;
	double in_queue;
	double connection;
	double transmission;
} rs_delays_t;

typedef struct rs_record {
	rs_mta_t mta;
	rs_status_t status;
	rs_stage_t stage;    /* RS_STAGE_UNKNOWN when the log does not say */
	rs_str_t log_time;   /* timestamp text as logged */
	int64_t log_time_ms; /* Unix ms, 0 when unknown or unparseable */
	rs_str_t log_host;   /* host that wrote the log line */
	rs_str_t program;    /* "postfix/smtp", "sendmail", ... */
	rs_str_t queue_id;
	rs_str_t recipient; /* address without angle brackets */
	rs_str_t recipient_domain;
	rs_str_t sender;
	rs_str_t remote_host; /* MX / relay host name */
	rs_str_t remote_ip;
	uint32_t remote_port;   /* 0 when not logged */
	uint32_t reply_code;    /* basic code 200..599, 0 when no SMTP reply */
	rs_str_t enhanced_code; /* "4.7.0", from the reply or the dsn= field */
	rs_str_t reply_text;    /* the reply or failure reason, whole */
	rs_delays_t delays;
	/* The sending side, where the log (or a configured map) says. */
	rs_str_t sending_ip;
	rs_str_t sending_pool; /* pool / virtual MTA pool / egress pool */
	rs_str_t vmta;         /* virtual MTA / egress source name */
	rs_str_t job_id;
	rs_str_t tenant;
	rs_str_t campaign;
	/* One tag the log line itself gives, appended to the event's tags
	 * after the classifier's (PowerMTA's bounceCat as "pmta:<cat>");
	 * absent for other formats. */
	rs_str_t extra_tag;
	/* A rollup event: the delivered lines it stands for; 0 for one
	 * line (pipeline.c). */
	uint32_t aggregated_count;
	/* Caller-provided scratch space for decoded strings. */
	char *arena;
	size_t arena_cap;
	size_t arena_used;
} rs_record_t;

/* What a parser made of one line. */
typedef enum rs_parse_result {
	RS_PARSE_EVENT = 0, /* a delivery outcome; the record is filled */
	RS_PARSE_SKIP = 1,  /* a valid line that is not a delivery outcome */
	RS_PARSE_MALFORMED = 2, /* claims this format but cannot be read */
} rs_parse_result_t;

/* Clear every field but keep the arena; call before parsing each line. */
void rs_record_reset(rs_record_t *rec);

/* Copy n bytes into the arena; returns the copy, or NULL when it is full. */
char *rs_record_arena_copy(rs_record_t *rec, const char *p, size_t n);

/* Set recipient to addr and recipient_domain to what follows its last '@'
 * (left absent when nothing follows). */
void rs_record_set_recipient(rs_record_t *rec, rs_str_t addr);

/* Reserve n bytes of arena; NULL when it is full. */
char *rs_record_arena_alloc(rs_record_t *rec, size_t n);

#endif
