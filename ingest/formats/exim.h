/*
 * exim.h - Exim main log delivery lines ("==" defer, "**" bounce, "H=").
 *
 * @locality any thread; stateless, allocates nothing.
 */
#ifndef RS_EXIM_H
#define RS_EXIM_H

#include <stddef.h>

#include "event/record.h"

/* Does the line look like an Exim main log line ("YYYY-MM-DD HH:MM:SS ")? */
int rs_exim_line_matches(const char *line, size_t len);

/* Parse one Exim main log line. */
rs_parse_result_t rs_exim_parse(const char *line, size_t len, rs_record_t *rec,
                                const char **why);

#endif
