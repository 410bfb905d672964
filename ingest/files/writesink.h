/* SPDX-License-Identifier: Apache-2.0 */
/*
 * writesink.h - a pipeline sink that writes encoded events to a file
 * descriptor (stdout) or counts them into a summary, and reports the
 * first malformed lines on stderr as "source:line: reason".
 *
 * @locality the pipeline's sink thread.
 */
#ifndef RS_WRITESINK_H
#define RS_WRITESINK_H

#include <stddef.h>

#include "pipeline/pipeline.h"
#include "files/summary.h"

typedef struct rs_writesink rs_writesink_t;

/*
 * fd: where encoded events go (-1: nowhere). summary: if not NULL, events
 * are counted into it (borrowed). max_reports: malformed lines shown on
 * stderr before they are only counted.
 */
rs_writesink_t *rs_writesink_new(int fd, rs_summary_t *summary,
                                 size_t max_reports);
void rs_writesink_destroy(rs_writesink_t *ws);
rs_sink_t *rs_writesink_sink(rs_writesink_t *ws);

#endif
