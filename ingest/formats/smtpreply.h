/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtpreply.h - read the parts of an SMTP reply that every parser needs:
 * the basic code, the enhanced status code (RFC 3463) and the SMTP stage
 * named by the log ("in reply to RCPT TO command", "after MAIL FROM:<x>").
 */
#ifndef RS_SMTPREPLY_H
#define RS_SMTPREPLY_H

#include <stddef.h>
#include <stdint.h>

#include "event/record.h"

/*
 * If [p, p+n) starts with a reply "NNN[ -]" (N a digit, first 2..5), return
 * the code and, when "x.y.z" follows, set *enhanced to it. Returns 0 when
 * there is no reply code at the start. enhanced may be NULL.
 */
uint32_t rs_smtpreply_codes(const char *p, size_t n, rs_str_t *enhanced);

/*
 * Find the first reply code in free text: a "NNN" followed by space, '-'
 * or end, at the start or after a non-alphanumeric byte. Returns a pointer
 * to it (and fills *code / *enhanced) or NULL.
 */
const char *rs_smtpreply_find(const char *p, size_t n, uint32_t *code,
                              rs_str_t *enhanced);

/*
 * Is [p, p+n) an enhanced status code "c.sss.ddd" with c in 2, 4, 5?
 * Returns its length at p (0 if not). Need not span all of n.
 */
size_t rs_smtpreply_enhanced_len(const char *p, size_t n);

/*
 * Stage for the SMTP command a log names: "MAIL FROM", "RCPT TO", "DATA",
 * "end of DATA", "EHLO", "HELO", "LHLO", "STARTTLS", "AUTH", ".",
 * "initial connection", case-insensitive, with any argument after it
 * ("MAIL FROM:<x>", "RCPT TO:<x>", "pipelined DATA"). RS_STAGE_UNKNOWN
 * when the command is not recognised.
 */
rs_stage_t rs_smtpreply_stage_of_command(const char *p, size_t n);

/*
 * Stage evidence inside a reply text as a user pastes it: "(in reply to
 * RCPT TO command)", "after end of data", "refused to talk to me",
 * "while receiving the initial server greeting", ... RS_STAGE_UNKNOWN when
 * the text does not say.
 */
rs_stage_t rs_smtpreply_stage_in_text(const char *p, size_t n);

/*
 * Stage proved by a failure text that the sending MTA wrote itself, with no
 * SMTP reply in it ("Connection timed out", "retry timeout exceeded",
 * "Cannot start TLS: handshake failure", "SASL authentication failed",
 * "Host or domain name not found", qmail-remote's "1.2.3.4 does not like
 * recipient."): one table for every format, so that
 * the same words give the same stage whichever MTA logged them.
 * RS_STAGE_UNKNOWN when no phrase is in the text. Phrases are matched
 * case-insensitively anywhere in the text; queue decisions win over TLS,
 * TLS over authentication, authentication over a named command, a named
 * command over connection failures.
 */
rs_stage_t rs_smtpreply_stage_of_failure(const char *p, size_t n);

/* Does an MTA failure text say that the retry period ran out ("retry
 * timeout exceeded", "have been failing for a long time")? */
int rs_smtpreply_is_expiry(const char *p, size_t n);

#endif
