/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prescan.h - the stateful part of reading a log: the prescans of the
 * stateful formats (formats/format.h), run by the pipeline's source
 * thread over every filled batch, in input order, before any worker sees
 * the batch (see pipeline.h for why).
 *
 * Ownership: an rs_prescan_t owns one run state per stateful format it
 * runs and a 64 KiB arena for unwrapping envelopes; side data goes into the
 * batch (rs_batch_t.aux), which owns it.
 * @locality the pipeline's source thread (one thread at a time).
 */
#ifndef RS_PRESCAN_H
#define RS_PRESCAN_H

#include <stddef.h>

#include "formats/format.h"
#include "pipeline/pipeline.h"

typedef struct rs_prescan rs_prescan_t;

/*
 * The prescans for input format fmt (NULL or "auto": every stateful
 * format of the registry, each on the lines its scan_wants() accepts);
 * NULL with a sentence in errstr on failure. For a stateless explicit
 * format the result runs nothing and costs nothing per line.
 */
rs_prescan_t *rs_prescan_new(const rs_format_t *fmt,
                             const rs_format_opts_t *opts, char *errstr,
                             size_t errstr_size);

/* Free the run states; NULL is allowed. */
void rs_prescan_destroy(rs_prescan_t *ps);

/* Does this prescan run anything at all? */
int rs_prescan_active(const rs_prescan_t *ps);

/*
 * Run the prescans over a filled batch, line by line: side data into
 * batch->aux and the lines' aux_* fields, RS_LINE_ABSORBED flags. A line
 * in a log shipper's JSON object is read inside it, as the workers read
 * it (formats/envelope.h), and the unwrap is handed to them in batch->aux
 * and the line's unwrap_* fields, so that they do not walk the object
 * again. 0, or -1 when out of memory (batch->aux could not grow).
 */
int rs_prescan_batch(rs_prescan_t *ps, rs_batch_t *batch);

#endif
