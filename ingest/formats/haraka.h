/* SPDX-License-Identifier: Apache-2.0 */
/*
 * haraka.h - Haraka outbound delivery lines in its three log formats
 * (default "[LEVEL] [uuid] [origin] message", logfmt, JSON), bare or
 * behind an ISO time stamp, multilog/tai64n stamps or syslog.
 *
 * @locality any thread; stateless.
 */
#ifndef RS_HARAKA_H
#define RS_HARAKA_H

#include "formats/format.h"

extern const rs_format_t rs_haraka_format;

#endif
