/* SPDX-License-Identifier: Apache-2.0 */
/*
 * exim.h - Exim main log delivery lines ("==" defer, "**" bounce, "=>"),
 * as Exim writes them to its main log or through syslog.
 *
 * @locality any thread; stateless, allocates nothing.
 */
#ifndef RS_EXIM_H
#define RS_EXIM_H

#include <stddef.h>

#include "event/record.h"
#include "formats/format.h"

/* The Exim format. */
extern const rs_format_t rs_exim_format;

/* Does the line look like an Exim main log line ("YYYY-MM-DD HH:MM:SS ")? */
int rs_exim_line_matches(const char *line, size_t len);

#endif
