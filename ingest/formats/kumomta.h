/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kumomta.h - KumoMTA JSON log records (TransientFailure, Bounce,
 * Expiration; Delivery with --all).
 *
 * @locality any thread; stateless. Decoded strings go to the record arena.
 */
#ifndef RS_KUMOMTA_H
#define RS_KUMOMTA_H

#include "formats/format.h"

/* The KumoMTA format: one JSON record per line. */
extern const rs_format_t rs_kumomta_format;

#endif
