/* SPDX-License-Identifier: Apache-2.0 */
/*
 * output.h - a PostureDecision as text: JSON (one object per line, the
 * proto field names, lowercase enum names), delimited protobuf, and the
 * commands a sender could apply (printed, never executed): PowerMTA
 * `pmta` commands and KumoMTA `kcli` commands / shaping TOML.
 *
 * Both exporters' syntax was checked against public references (sources
 * in posture/README.md); neither has been run against the product.
 */
#ifndef RS_POSTURE_OUTPUT_H
#define RS_POSTURE_OUTPUT_H

#include "replyscan/v1/posture.pb-c.h"
#include "util/buf.h"

typedef enum rs_poutput_format {
	RS_POUTPUT_JSON = 0,
	RS_POUTPUT_PB,
	RS_POUTPUT_PMTA,
	RS_POUTPUT_KUMOMTA,
} rs_poutput_format_t;

/* "json", "pb", "pmta", "kumomta" -> format; -1 if none. */
int rs_poutput_parse(const char *name);

/* Append d in format to out (a line, or nothing when the exporter has no
 * command for it, e.g. an observe decision). */
void rs_poutput_write(const Replyscan__V1__PostureDecision *d,
                      rs_poutput_format_t format, rs_buf_t *out);

/* Duration as "1h30m", "45s" (for commands and the page). */
void rs_poutput_duration(rs_buf_t *out, int64_t ms);

#endif
