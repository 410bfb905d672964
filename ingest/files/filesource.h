/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filesource.h - a pipeline source over files and stdin.
 *
 * Reads each path in turn (plain, gzip or zstd; "-" is stdin), splits the
 * bytes into lines and hands them out in batches of about batch_bytes.
 * A batch never mixes files, so its provenance is one file name. Lines
 * longer than max_line are cut: the batch gets a line flagged
 * RS_LINE_OVERSIZED (counted malformed by the workers) and the rest of the
 * line is discarded. A file that cannot be opened or read is reported on
 * stderr with its name and counted in failed_files; the others go on.
 *
 * @locality next() on the pipeline's source thread only.
 */
#ifndef RS_FILESOURCE_H
#define RS_FILESOURCE_H

#include <stddef.h>

#include "pipeline/pipeline.h"

typedef struct rs_filesource rs_filesource_t;

/* paths is borrowed and must outlive the source. */
rs_filesource_t *rs_filesource_new(char *const *paths, size_t npaths,
                                   size_t batch_bytes, size_t max_line);
void rs_filesource_destroy(rs_filesource_t *fs);

/* The rs_source_t to hand to rs_pipeline_run. */
rs_source_t *rs_filesource_source(rs_filesource_t *fs);

/* Files that could not be opened or read to the end. */
size_t rs_filesource_failed_files(const rs_filesource_t *fs);

#endif
