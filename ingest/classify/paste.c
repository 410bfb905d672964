/* SPDX-License-Identifier: Apache-2.0 */
/*
 * paste.c - a pasted reply through the reply parser and the classifier;
 * see paste.h.
 */
#include "classify/paste.h"

#include <string.h>

#include "formats/reply.h"

int rs_paste_classify(const rs_rules_t *rules, rs_rules_scratch_t *scratch,
                      const char *text, size_t len, rs_stage_t stage,
                      const char *mx, rs_record_t *rec, rs_verdict_t *verdict)
{
	rs_classify_in_t in;
	const char *why;

	rs_record_reset(rec);
	rs_format_parse(&rs_reply_format, text, len, rec, &why);
	if (stage != RS_STAGE_UNSPECIFIED) {
		rec->stage = stage;
	}
	rs_classify_in_from_record(&in, rec);
	if (mx != NULL && rec->remote_host.p == NULL) {
		in.mx_host = mx;
		in.mx_host_len = strlen(mx);
	}
	return rs_classify(rules, scratch, &in, verdict);
}
