/* SPDX-License-Identifier: Apache-2.0 */
/*
 * postfix.h - Postfix delivery agent lines (smtp, lmtp, error, qmgr, ...).
 *
 * @locality any thread; stateless, allocates nothing.
 */
#ifndef RS_POSTFIX_H
#define RS_POSTFIX_H

#include "event/record.h"
#include "formats/format.h"

/* The Postfix format: syslog lines of the delivery agents. Lines that are
 * not delivery outcomes (smtpd, cleanup, qmgr from=, ...) are skipped. */
extern const rs_format_t rs_postfix_format;

/* Is this syslog program a Postfix one ("postfix/smtp", "postfix-x/qmgr",
 * "postfix/name/smtp")? */
int rs_postfix_program_matches(rs_str_t program);

#endif
