/* SPDX-License-Identifier: Apache-2.0 */
/*
 * page.c - /posture as JSON and HTML, and the posture series (page.h).
 */
#include "posture/page.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event/taxonomy.h"
#include "posture/output.h"

typedef struct rows {
	rs_buf_t *out;
	int n;
	int html;
	int want; /* posture shown in this pass */
} rows_t;

static void iso(rs_buf_t *out, int64_t ms)
{
	char tmp[32];
	time_t t = (time_t)(ms / 1000);
	struct tm tm;

	if (ms <= 0 || gmtime_r(&t, &tm) == NULL) {
		rs_buf_puts(out, "-");
		return;
	}
	strftime(tmp, sizeof(tmp), "%Y-%m-%d %H:%M:%SZ", &tm);
	rs_buf_puts(out, tmp);
}

static void esc(rs_buf_t *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<':
			rs_buf_puts(out, "&lt;");
			break;
		case '>':
			rs_buf_puts(out, "&gt;");
			break;
		case '&':
			rs_buf_puts(out, "&amp;");
			break;
		case '"':
			rs_buf_puts(out, "&quot;");
			break;
		default:
			rs_buf_putc(out, *s);
			break;
		}
	}
}

static void json_row(void *ctx, const Replyscan__V1__PostureDecision *d)
{
	rows_t *r = ctx;

	if (r->n++ > 0) {
		rs_buf_putc(r->out, ',');
	}
	rs_poutput_write(d, RS_POUTPUT_JSON, r->out);
	/* the writer ends each object with a newline: keep it, JSON
	 * allows it */
}

void rs_ppage_json(rs_posture_t *e, rs_buf_t *out)
{
	rows_t r = {out, 0, 0, 0};
	rs_posture_stats_t st;

	rs_posture_lock(e);
	rs_posture_stats(e, &st);
	rs_buf_puts(out, "{\"now_unix_ms\":");
	rs_buf_put_i64(out, rs_posture_now(e));
	rs_buf_puts(out, ",\"scopes_active\":");
	rs_buf_put_u64(out, st.scopes);
	rs_buf_puts(out, ",\"paused\":");
	rs_buf_put_u64(out, st.by_posture[RS_POSTURE_PAUSE]);
	rs_buf_puts(out, ",\"throttled\":");
	rs_buf_put_u64(out, st.by_posture[RS_POSTURE_THROTTLE]);
	rs_buf_puts(out, ",\"events\":");
	rs_buf_put_u64(out, st.events);
	rs_buf_puts(out, ",\"scopes\":[");
	rs_posture_foreach(e, json_row, &r);
	rs_posture_unlock(e);
	rs_buf_puts(out, "]}\n");
}

static void html_row(void *ctx, const Replyscan__V1__PostureDecision *d)
{
	rows_t *r = ctx;
	rs_buf_t *out = r->out;
	char tmp[160];

	if ((int)d->posture != r->want) {
		return;
	}
	r->n++;
	rs_buf_puts(out, "<tr class=\"");
	rs_buf_puts(out, rs_posture_name(d->posture));
	rs_buf_puts(out, "\"><td>");
	rs_buf_puts(out, rs_posture_name(d->posture));
	rs_buf_puts(out, "</td><td>");
	esc(out, d->scope);
	rs_buf_puts(out, "</td><td>");
	esc(out, d->rule_id);
	rs_buf_puts(out, "</td><td>");
	esc(out, d->cause ? rs_taxonomy_cause_name((rs_cause_t)d->cause) : "");
	snprintf(tmp, sizeof(tmp),
	         "</td><td>%" PRIu64 " of %" PRIu64 " (%.1f%%), %u "
	         "receivers, %us</td><td>",
	         d->hits, d->attempts, 100 * d->rate, d->receivers,
	         d->window_s);
	rs_buf_puts(out, tmp);
	iso(out, d->since_unix_ms);
	rs_buf_puts(out, "</td><td>");
	iso(out, d->until_unix_ms);
	rs_buf_puts(out, "</td><td>");
	if (d->suggested_rate_per_min > 0) {
		snprintf(tmp, sizeof(tmp), "%.0f/min",
		         d->suggested_rate_per_min);
		rs_buf_puts(out, tmp);
	}
	rs_buf_puts(out, "</td><td class=\"reply\">");
	esc(out, d->reply_text);
	rs_buf_puts(out, "</td></tr>\n");
}

void rs_ppage_html(rs_posture_t *e, rs_buf_t *out)
{
	static const int order[] = {RS_POSTURE_PAUSE, RS_POSTURE_THROTTLE,
	                            RS_POSTURE_OBSERVE};
	rows_t r = {out, 0, 1, 0};
	rs_posture_stats_t st;
	char tmp[256];

	rs_posture_lock(e);
	rs_posture_stats(e, &st);
	rs_buf_puts(
	    out,
	    "<!DOCTYPE html>\n<html lang=\"en\"><head><meta "
	    "charset=\"utf-8\"><title>replyscan posture</title>\n<style>"
	    "body{font:14px sans-serif;margin:1em}table{border-collapse:"
	    "collapse}td,th{border:1px solid #ccc;padding:3px 6px;text-align:"
	    "left;vertical-align:top}tr.pause td:first-child{background:"
	    "#f4b4b4}tr.throttle td:first-child{background:#f6dc9a}"
	    "tr.observe td:first-child{background:#cde}td.reply{max-width:"
	    "40em;font-size:12px}</style></head><body>\n"
	    "<h1>replyscan posture</h1>\n<p id=\"summary\">As of ");
	iso(out, rs_posture_now(e));
	snprintf(tmp, sizeof(tmp),
	         " (log time): <b id=\"paused\">%zu</b> paused, <b "
	         "id=\"throttled\">%zu</b> throttled; %zu active scopes, "
	         "%" PRIu64 " events.</p>\n",
	         st.by_posture[RS_POSTURE_PAUSE],
	         st.by_posture[RS_POSTURE_THROTTLE], st.scopes, st.events);
	rs_buf_puts(out, tmp);
	rs_buf_puts(out, "<table id=\"scopes\"><thead><tr><th>posture</th>"
	                 "<th>scope</th><th>rule</th><th>class</th>"
	                 "<th>evidence (window)</th><th>since</th>"
	                 "<th>until</th><th>suggested rate</th>"
	                 "<th>reply</th></tr></thead><tbody>\n");
	for (int i = 0; i < 3; i++) {
		r.want = order[i];
		rs_posture_foreach(e, html_row, &r);
	}
	rs_posture_unlock(e);
	if (r.n == 0) {
		rs_buf_puts(out, "<tr><td colspan=\"9\">every scope is "
		                 "observed: nothing to change</td></tr>\n");
	}
	rs_buf_puts(out, "</tbody></table>\n<p>JSON: <a "
	                 "href=\"/posture.json\">/posture.json</a></p>\n"
	                 "</body></html>\n");
}

void rs_ppage_metrics(rs_posture_t *e, rs_buf_t *out)
{
	rs_posture_stats_t st;
	char tmp[512];

	rs_posture_lock(e);
	rs_posture_stats(e, &st);
	rs_posture_unlock(e);
	snprintf(tmp, sizeof(tmp),
	         "# HELP replyscan_posture_scopes Active scopes by posture.\n"
	         "# TYPE replyscan_posture_scopes gauge\n"
	         "replyscan_posture_scopes{posture=\"observe\"} %zu\n"
	         "replyscan_posture_scopes{posture=\"throttle\"} %zu\n"
	         "replyscan_posture_scopes{posture=\"pause\"} %zu\n",
	         st.by_posture[RS_POSTURE_OBSERVE],
	         st.by_posture[RS_POSTURE_THROTTLE],
	         st.by_posture[RS_POSTURE_PAUSE]);
	rs_buf_puts(out, tmp);
	snprintf(tmp, sizeof(tmp),
	         "# HELP replyscan_posture_events_total Events counted into "
	         "scope windows.\n"
	         "# TYPE replyscan_posture_events_total counter\n"
	         "replyscan_posture_events_total %" PRIu64 "\n"
	         "# HELP replyscan_posture_decisions_total Posture changes "
	         "published.\n"
	         "# TYPE replyscan_posture_decisions_total counter\n"
	         "replyscan_posture_decisions_total %" PRIu64 "\n",
	         st.events, st.decisions);
	rs_buf_puts(out, tmp);
}

int rs_ppage_serve(void *ctx, const char *url, rs_buf_t *out,
                   const char **ctype)
{
	if (strcmp(url, "/posture") == 0 || strcmp(url, "/posture/") == 0) {
		rs_ppage_html(ctx, out);
		*ctype = "text/html; charset=utf-8";
		return 0;
	}
	if (strcmp(url, "/posture.json") == 0) {
		rs_ppage_json(ctx, out);
		*ctype = "application/json";
		return 0;
	}
	return -1;
}

void rs_ppage_extra(void *ctx, rs_buf_t *out)
{
	rs_ppage_metrics(ctx, out);
}
