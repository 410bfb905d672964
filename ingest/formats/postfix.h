/*
 * postfix.h - Postfix delivery agent lines (smtp, lmtp, error, qmgr, ...).
 *
 * @locality any thread; stateless, allocates nothing.
 */
#ifndef RS_POSTFIX_H
#define RS_POSTFIX_H

#include "event/record.h"
#include "formats/syslog.h"

/* Is this syslog program a Postfix one ("postfix/smtp", "postfix-x/qmgr",
 * "postfix/name/smtp")? */
int rs_postfix_program_matches(rs_str_t program);

/* Parse the message part of a Postfix line. Lines that are not delivery
 * outcomes (smtpd, cleanup, qmgr from=, ...) give RS_PARSE_SKIP. */
rs_parse_result_t rs_postfix_parse(const rs_syslog_t *sl, rs_record_t *rec,
                                   const char **why);

#endif
