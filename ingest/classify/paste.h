/* SPDX-License-Identifier: Apache-2.0 */
/*
 * paste.h - classify one text as a user pastes it, through exactly the
 * path the pipeline takes, so that `explain`, `eval`, the rule examples
 * and `classify` can never read the same text two ways.
 *
 * A pasted text is a bare reply ("550 5.1.1 User unknown"), a reply in a
 * wrapper the reply format knows ("host X[ip] said: ..."), or a whole MTA
 * log line (a Postfix "status=deferred (...)" line, an Exim "**" line).
 * The text is offered first to the formats auto-detection tries (one line
 * alone: no prescan state, no options; again behind placeholder first
 * fields when it was pasted without them, paste.c); when one of them reads it
 * as a failure (deferred, bounced or expired) with a reply or a failure text,
 * that record is classified as the pipeline classifies it: the reply the
 * parser extracted, its codes, the stage the log proves and the MX host.
 * Anything else (no format takes the line, it skips or cannot read it, a
 * delivery, a receiver-side reject log no parser reads) goes through the
 * reply format's parser, as `classify --input-format reply` reads it.
 *
 * @locality any thread, with that thread's own scratch.
 */
#ifndef RS_PASTE_H
#define RS_PASTE_H

#include <stddef.h>

#include "classify/classify.h"
#include "event/record.h"
#include "formats/format.h"

/*
 * Parse text (len bytes, one line) as described above into rec, whose
 * arena the caller provides (some kilobytes: formats that decode JSON
 * copy into it; it is reset here), and classify it into verdict with
 * rs_classify_record. stage, when not RS_STAGE_UNSPECIFIED, replaces the
 * stage read from the text; mx, when not NULL, becomes rec->remote_host
 * (the receiving MX for provider rules) unless the text names its host
 * itself. *format (when format is not NULL) gets the format whose parser
 * read the text: a log format, or &rs_reply_format. 0, or -1 when the
 * classifier failed (a bug).
 */
int rs_paste_classify(const rs_rules_t *rules, rs_rules_scratch_t *scratch,
                      const char *text, size_t len, rs_stage_t stage,
                      const char *mx, rs_record_t *rec, rs_verdict_t *verdict,
                      const rs_format_t **format);

#endif
