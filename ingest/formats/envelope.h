/* SPDX-License-Identifier: Apache-2.0 */
/*
 * envelope.h - log lines that a log shipper wrapped in a JSON object.
 *
 * Large senders rarely put raw syslog text into Kafka: Filebeat, Vector,
 * Fluent Bit, Fluentd, Logstash, rsyslog's omkafka and journald's JSON
 * export wrap each line in an object. The line (or only its syslog MSG
 * part) is in one string field, the program, pid, host and time of the
 * MSG part, when the shipper split them off, in others:
 *
 *   message  "message", "MESSAGE" (journald: a string, or an array of
 *            byte values when not UTF-8), "msg" (rsyslog), "log" (Fluent
 *            Bit tail, Docker: with its trailing "\n"), or the field
 *            named by formats.json.message_field, which wins
 *   program  SYSLOG_IDENTIFIER, log.syslog.appname, appname, ident,
 *            programname, program, process.name
 *   pid      SYSLOG_PID, log.syslog.procid, _PID, procid, pid,
 *            process.pid (a string or a number)
 *   host     log.syslog.hostname, _HOSTNAME, hostname, logsource, host
 *            (a string), host.hostname, host.name
 *   time     timereported, __REALTIME_TIMESTAMP, timestamp, time,
 *            @timestamp, date: an ISO 8601 or RFC 3164 stamp, or a number
 *            of seconds (with a fraction), ms, us or ns since the epoch
 * (most specific first: the first listed that the object has is used).
 *
 * When the message is a whole log line, or no program is given, it is
 * parsed as the line. Otherwise the line "TIME HOST PROGRAM[PID]: MSG"
 * is rebuilt in the record's arena, so every parser reads it as it reads
 * a syslog line; a missing time or host leaves the event's log_time or
 * log_host absent. An RFC 3164 stamp (no year) takes its year from the
 * object's time when that has one. The arena bytes the line takes are
 * set aside for the parse (a parser that resets the record does not
 * overwrite them) and handed back after it by rs_envelope_finish.
 *
 * The pipeline's prescan unwraps each line on its source thread (it needs
 * the lines of stateful formats) and hands the result to the worker that
 * parses the line (rs_envelope_pack, rs_envelope_unpack), which so does
 * not walk the object a second time.
 *
 * @locality any thread; allocates nothing (the record's arena only; the
 * buffer rs_envelope_pack appends to grows as rs_buf_t does).
 */
#ifndef RS_ENVELOPE_H
#define RS_ENVELOPE_H

#include <stddef.h>
#include <stdint.h>

#include "event/record.h"
#include "formats/format.h"
#include "util/buf.h"

/* rs_envelope_unwrap results. */
#define RS_ENVELOPE_NONE 0 /* not an envelope: parse the line as it is */
#define RS_ENVELOPE_LINE 1 /* inner holds the line inside the envelope */
#define RS_ENVELOPE_BAD 2  /* an envelope without a usable line: *why */

/* rs_envelope_unwrap flags. */
/* Auto-detection, where the JSON formats keep their lines (Haraka's
 * {"level":...} records; KumoMTA records, which have "type" and
 * "response") and JSON errors are theirs to report. */
#define RS_ENVELOPE_NATIVE 0x1
/* The line's bytes are wanted now and its parse comes later (the
 * pipeline's prescan, rs_envelope_pack): the syslog split handed on in
 * inner keeps the year it took, and the object's time that would give
 * it another is left in year_ms. */
#define RS_ENVELOPE_BYTES 0x2

/* What rs_envelope_finish needs to know of an unwrap. */
typedef struct rs_envelope {
	size_t carved;  /* arena bytes set aside for the line */
	int synth_time; /* the rebuilt line's stamp stands for "none" */
	int synth_host; /* its host stands for "none" */
	/* RS_ENVELOPE_BYTES: Unix ms of the object's time that gives the
	 * line's RFC 3164 stamp its year; -1 when there is none to give. */
	int64_t year_ms;
} rs_envelope_t;

/*
 * Read ll (a line that starts with '{') as a shipper's envelope; flags
 * RS_ENVELOPE_*. On RS_ENVELOPE_LINE inner is a logline over the line inside,
 * with ll's options, drop_sent and side data (the prescan unwrapped the line
 * too), and the arena is carved (rs_envelope_finish
 * must follow the parse). On RS_ENVELOPE_BAD *why is a static sentence
 * and the record is as it was.
 */
int rs_envelope_unwrap(const rs_logline_t *ll, rs_record_t *rec, int flags,
                       rs_logline_t *inner, rs_envelope_t *env,
                       const char **why);

/*
 * Hand an unwrap with RS_ENVELOPE_BYTES (result RS_ENVELOPE_NONE or
 * RS_ENVELOPE_LINE, inner and env as it gave them) on to the parse of the
 * same line ll, which may run on another thread: appended to out, with
 * the line's bytes unless they are a slice of ll's own (the JSON string
 * had no escape). Taken back by rs_envelope_unpack from the logline's
 * unwrapped field. -1 when out could not grow (out->failed).
 */
int rs_envelope_pack(rs_buf_t *out, const rs_logline_t *ll, int result,
                     const rs_logline_t *inner, const rs_envelope_t *env);

/*
 * The unwrap packed for ll (ll->unwrapped, ll->unwrapped_len), as
 * rs_envelope_unwrap without RS_ENVELOPE_BYTES would give it: the result,
 * inner with its stamp's year taken from the object's time, env with
 * nothing carved; RS_ENVELOPE_BAD with *why for bytes that are no pack
 * of ll. Costs a syslog split when a year is given, nothing else.
 */
int rs_envelope_unpack(const rs_logline_t *ll, rs_logline_t *inner,
                       rs_envelope_t *env, const char **why);

/* After parsing inner: give the carved arena back, and drop the stand-in
 * time and host from an event. */
void rs_envelope_finish(const rs_envelope_t *env, rs_record_t *rec,
                        rs_parse_result_t res);

#endif
