/*
 * sendmail.h - Sendmail delivery lines (stat=, dsn=, relay=, reply=, stage=).
 *
 * @locality any thread; stateless, allocates nothing.
 */
#ifndef RS_SENDMAIL_H
#define RS_SENDMAIL_H

#include "event/record.h"
#include "formats/syslog.h"

/* Is this syslog program a Sendmail one ("sendmail", "sm-mta", ...)? */
int rs_sendmail_program_matches(rs_str_t program);

/* Parse the message part of a Sendmail line. */
rs_parse_result_t rs_sendmail_parse(const rs_syslog_t *sl, rs_record_t *rec,
                                    const char **why);

#endif
