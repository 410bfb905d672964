/* SPDX-License-Identifier: Apache-2.0 */
/*
 * page.h - where people look: the posture of every scope a rule decided,
 * as JSON (/posture.json) and as a small HTML page (/posture: a table of
 * the scopes paused, throttled and observed, with their evidence and since
 * when; no external assets), and the Prometheus series of the engine
 * (replyscan_posture_scopes{posture=...} and counters), for the metrics
 * listener (observe/metrics.h rs_metrics_set_pages).
 *
 * @locality the HTTP thread; the engine is locked while it is read.
 */
#ifndef RS_POSTURE_PAGE_H
#define RS_POSTURE_PAGE_H

#include "posture/engine.h"
#include "util/buf.h"

/* The JSON document: {"now_unix_ms":..,"scopes":[decision...],...}. */
void rs_ppage_json(rs_posture_t *e, rs_buf_t *out);

/* The HTML page. */
void rs_ppage_html(rs_posture_t *e, rs_buf_t *out);

/* The Prometheus series. */
void rs_ppage_metrics(rs_posture_t *e, rs_buf_t *out);

/* An rs_metrics_page_fn over engine ctx: /posture and /posture.json. */
int rs_ppage_serve(void *ctx, const char *url, rs_buf_t *out,
                   const char **ctype);
/* An rs_metrics_extra_fn over engine ctx. */
void rs_ppage_extra(void *ctx, rs_buf_t *out);

#endif
