/* SPDX-License-Identifier: Apache-2.0 */
/*
 * sendmail.h - Sendmail delivery lines (stat=, dsn=, relay=, reply=, stage=).
 *
 * @locality any thread; stateless, allocates nothing.
 */
#ifndef RS_SENDMAIL_H
#define RS_SENDMAIL_H

#include "event/record.h"
#include "formats/format.h"

/* The Sendmail format: syslog lines of sendmail, sm-mta, sm-msp-queue. */
extern const rs_format_t rs_sendmail_format;

/* Is this syslog program a Sendmail one ("sendmail", "sm-mta", ...)? */
int rs_sendmail_program_matches(rs_str_t program);

#endif
