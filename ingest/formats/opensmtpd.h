/* SPDX-License-Identifier: Apache-2.0 */
/*
 * opensmtpd.h - OpenSMTPD delivery lines (smtpd "mta delivery" / "mda
 * delivery", the 2016-2018 "mta event=delivery" and the 2013-2016
 * "relay: <Result> for <evpid>:" forms), through syslog or bare.
 *
 * @locality any thread; stateless, allocates nothing.
 */
#ifndef RS_OPENSMTPD_H
#define RS_OPENSMTPD_H

#include "formats/format.h"

extern const rs_format_t rs_opensmtpd_format;

#endif
