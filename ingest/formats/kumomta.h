/*
 * kumomta.h - KumoMTA JSON log records (TransientFailure, Bounce,
 * Expiration; Delivery with --all).
 *
 * @locality any thread; stateless. Decoded strings go to the record arena.
 */
#ifndef RS_KUMOMTA_H
#define RS_KUMOMTA_H

#include <stddef.h>

#include "event/record.h"

/* Parse one JSON record (one line). */
rs_parse_result_t rs_kumomta_parse(const char *line, size_t len,
                                   rs_record_t *rec, const char **why);

#endif
