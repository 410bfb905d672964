/* SPDX-License-Identifier: Apache-2.0 */
/*
 * paste.h - classify one reply text as a user pastes it, through exactly
 * the path a bare-reply log line takes (the reply format's parser, then
 * the classifier), so that `explain`, `eval`, the rule examples and
 * `classify --input-format reply` can never read the same text two ways.
 *
 * @locality any thread, with that thread's own scratch.
 */
#ifndef RS_PASTE_H
#define RS_PASTE_H

#include <stddef.h>

#include "classify/classify.h"
#include "event/record.h"

/*
 * Parse text as the reply format does into rec (whose arena the caller
 * provides; it is reset here) and classify it into verdict. stage, when
 * not RS_STAGE_UNSPECIFIED, replaces the stage read from the text; mx,
 * when not NULL, is the receiving MX for provider rules unless the text
 * names its host itself. 0, or -1 when the classifier failed (a bug).
 */
int rs_paste_classify(const rs_rules_t *rules, rs_rules_scratch_t *scratch,
                      const char *text, size_t len, rs_stage_t stage,
                      const char *mx, rs_record_t *rec, rs_verdict_t *verdict);

#endif
