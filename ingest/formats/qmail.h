/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qmail.h - qmail-send delivery results ("delivery N: deferral: ...",
 * "failure:", "success:"), joined with the "starting delivery N: msg M to
 * remote R" line before them for the recipient.
 *
 * @locality parse: any thread, stateless; the prescan that joins the two
 * lines: the pipeline's source thread (format.h).
 */
#ifndef RS_QMAIL_H
#define RS_QMAIL_H

#include "formats/format.h"

/* Open deliveries the prescan remembers at most (all inputs together);
 * the oldest is forgotten first. qmail's concurrencyremote is at most a
 * few hundred per host, so this covers tens of hosts in one stream. */
#define RS_QMAIL_MAX_OPEN 4096

extern const rs_format_t rs_qmail_format;

#endif
