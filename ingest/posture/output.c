/* SPDX-License-Identifier: Apache-2.0 */
/*
 * output.c - decisions as JSON, protobuf and sender commands (output.h).
 */
#include "posture/output.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "event/taxonomy.h"
#include "posture/policy.h"
#include "util/utf8.h"

int rs_poutput_parse(const char *name)
{
	static const char *const names[] = {"json", "pb", "pmta", "kumomta"};

	for (int i = 0; i < 4; i++) {
		if (strcmp(name, names[i]) == 0) {
			return i;
		}
	}
	return -1;
}

static void str(rs_buf_t *out, const char *key, const char *v, int comma)
{
	if (comma) {
		rs_buf_putc(out, ',');
	}
	rs_buf_putc(out, '"');
	rs_buf_puts(out, key);
	rs_buf_puts(out, "\":");
	rs_utf8_json_string(out, v ? v : "", v ? strlen(v) : 0);
}

static void num(rs_buf_t *out, const char *key, int64_t v)
{
	rs_buf_puts(out, ",\"");
	rs_buf_puts(out, key);
	rs_buf_puts(out, "\":");
	rs_buf_put_i64(out, v);
}

static void dbl(rs_buf_t *out, const char *key, double v)
{
	char tmp[64];

	snprintf(tmp, sizeof(tmp), ",\"%s\":%.4g", key, v);
	rs_buf_puts(out, tmp);
}

static void json(const Replyscan__V1__PostureDecision *d, rs_buf_t *out)
{
	rs_buf_putc(out, '{');
	str(out, "scope", d->scope, 0);
	str(out, "level", rs_plevel_name(d->level), 1);
	str(out, "sending", d->sending, 1);
	str(out, "site", d->site, 1);
	str(out, "posture", rs_posture_name(d->posture), 1);
	str(out, "rule_id", d->rule_id, 1);
	str(out, "cause",
	    d->cause ? rs_taxonomy_cause_name((rs_cause_t)d->cause) : "", 1);
	num(out, "attempts", (int64_t)d->attempts);
	num(out, "failures", (int64_t)d->failures);
	num(out, "hits", (int64_t)d->hits);
	dbl(out, "rate", d->rate);
	num(out, "receivers", d->receivers);
	num(out, "window_s", d->window_s);
	num(out, "since_unix_ms", d->since_unix_ms);
	num(out, "until_unix_ms", d->until_unix_ms);
	dbl(out, "suggested_rate_per_min", d->suggested_rate_per_min);
	str(out, "reply_text", d->reply_text, 1);
	str(out, "advice", d->advice, 1);
	num(out, "decided_unix_ms", d->decided_unix_ms);
	rs_buf_puts(out,
	            d->refresh ? ",\"refresh\":true}" : ",\"refresh\":false}");
	rs_buf_putc(out, '\n');
}

void rs_poutput_duration(rs_buf_t *out, int64_t ms)
{
	int64_t s = ms > 0 ? (ms + 999) / 1000 : 0;
	char tmp[64];

	if (s >= 3600) {
		snprintf(tmp, sizeof(tmp), "%" PRId64 "h", s / 3600);
		rs_buf_puts(out, tmp);
		s %= 3600;
		if (s / 60) {
			snprintf(tmp, sizeof(tmp), "%" PRId64 "m", s / 60);
			rs_buf_puts(out, tmp);
		}
		return;
	}
	if (s >= 60) {
		snprintf(tmp, sizeof(tmp), "%" PRId64 "m", s / 60);
		rs_buf_puts(out, tmp);
		s %= 60;
		if (s == 0) {
			return;
		}
	}
	snprintf(tmp, sizeof(tmp), "%" PRId64 "s", s);
	rs_buf_puts(out, tmp);
}

/* A comment line any of the exporters starts with. */
static void comment(const Replyscan__V1__PostureDecision *d, rs_buf_t *out)
{
	char tmp[128];

	rs_buf_puts(out, "# ");
	rs_buf_puts(out, d->scope);
	rs_buf_puts(out, ": ");
	rs_buf_puts(out, rs_posture_name(d->posture));
	rs_buf_puts(out, " (");
	rs_buf_puts(out, d->rule_id);
	snprintf(tmp, sizeof(tmp), ", %" PRIu64 "/%" PRIu64 " attempts",
	         d->hits, d->attempts);
	rs_buf_puts(out, tmp);
	rs_buf_puts(out, ")\n");
}

/*
 * "-" stands for a side the events do not name (no sending IP, pool,
 * VirtualMTA or host; no MX or recipient domain): no command can target
 * it. 1 after writing a comment that says so.
 */
static int unnamed(const Replyscan__V1__PostureDecision *d, rs_buf_t *out)
{
	if (strcmp(d->sending, "-") != 0 && strcmp(d->site, "-") != 0) {
		return 0;
	}
	rs_buf_puts(out, "# no command: the events do not name the sending "
	                 "IP or the receiver\n");
	return 1;
}

/*
 * PowerMTA queues are named domain/vmta; the site stands for a
 * domain-macro of the same name and the sending IP for its VirtualMTA.
 */
static void pmta(const Replyscan__V1__PostureDecision *d, rs_buf_t *out)
{
	const char *dom = d->site[0] ? d->site : "*";
	const char *src = d->sending[0] ? d->sending : "*";

	comment(d, out);
	if (unnamed(d, out)) {
		return;
	}
	switch (d->posture) {
	case REPLYSCAN__V1__POSTURE__POSTURE_PAUSE:
		if (d->level == REPLYSCAN__V1__SCOPE_LEVEL__SCOPE_LEVEL_IP ||
		    d->level == REPLYSCAN__V1__SCOPE_LEVEL__SCOPE_LEVEL_FLEET) {
			rs_buf_puts(out, "pmta disable source ");
			rs_buf_puts(out, src);
			rs_buf_putc(out, '\n');
		} else {
			rs_buf_puts(out, "pmta pause queue ");
			rs_buf_puts(out, dom);
			rs_buf_putc(out, '/');
			rs_buf_puts(out, src);
			rs_buf_putc(out, '\n');
		}
		break;
	case REPLYSCAN__V1__POSTURE__POSTURE_THROTTLE:
		rs_buf_puts(out, "pmta set queue --mode=backoff ");
		rs_buf_puts(out, dom);
		rs_buf_putc(out, '/');
		rs_buf_puts(out, src);
		rs_buf_putc(out, '\n');
		break;
	default:
		/* Back to observe: undo whatever the last posture did. */
		if (d->level == REPLYSCAN__V1__SCOPE_LEVEL__SCOPE_LEVEL_IP ||
		    d->level == REPLYSCAN__V1__SCOPE_LEVEL__SCOPE_LEVEL_FLEET) {
			rs_buf_puts(out, "pmta enable source ");
			rs_buf_puts(out, src);
			rs_buf_putc(out, '\n');
		} else {
			rs_buf_puts(out, "pmta resume queue ");
			rs_buf_puts(out, dom);
			rs_buf_putc(out, '/');
			rs_buf_puts(out, src);
			rs_buf_puts(out, "\npmta set queue --mode=normal ");
			rs_buf_puts(out, dom);
			rs_buf_putc(out, '/');
			rs_buf_puts(out, src);
			rs_buf_putc(out, '\n');
		}
		break;
	}
}

/*
 * KumoMTA: a pause is an admin suspension (`kcli suspend` for a
 * receiver domain, `kcli suspend-ready-q` for a source toward a site), a
 * throttle a traffic-shaping entry (the TOML the shaping helper reads:
 * a domain table, with a sources table for one egress source).
 */
static void kumo(const Replyscan__V1__PostureDecision *d, rs_buf_t *out)
{
	rs_buf_t dur = {0};
	char tmp[64];

	rs_poutput_duration(&dur, d->until_unix_ms - d->decided_unix_ms);
	rs_buf_putc(&dur, '\0');
	comment(d, out);
	if (unnamed(d, out)) {
		rs_buf_free(&dur);
		return;
	}
	switch (d->posture) {
	case REPLYSCAN__V1__POSTURE__POSTURE_PAUSE:
		if (d->site[0] == '\0') {
			rs_buf_puts(out, "# no KumoMTA suspension covers a "
			                 "source across every domain; take it "
			                 "out of its egress pool\n");
			break;
		}
		if (d->sending[0]) {
			/* KumoMTA names a ready queue source->site@smtp_client
			 * with its own site name (the MX set), which the
			 * events do not carry. */
			rs_buf_puts(out, "# replace '");
			rs_buf_puts(out, d->site);
			rs_buf_puts(out, "' with KumoMTA's site name of the "
			                 "ready queue (kcli queue-summary)\n");
			rs_buf_puts(out, "kcli suspend-ready-q --name '");
			rs_buf_puts(out, d->sending);
			rs_buf_puts(out, "->");
			rs_buf_puts(out, d->site);
			rs_buf_puts(out, "@smtp_client'");
		} else {
			rs_buf_puts(out, "kcli suspend --domain '");
			rs_buf_puts(out, d->site);
			rs_buf_putc(out, '\'');
		}
		rs_buf_puts(out, " --reason 'replyscan ");
		rs_buf_puts(out, d->rule_id);
		rs_buf_puts(out, "' --duration ");
		rs_buf_puts(out, dur.data);
		rs_buf_putc(out, '\n');
		break;
	case REPLYSCAN__V1__POSTURE__POSTURE_THROTTLE:
		rs_buf_puts(out, "[\"");
		rs_buf_puts(out, d->site[0] ? d->site : "default");
		rs_buf_puts(out, "\"");
		if (d->sending[0]) {
			rs_buf_puts(out, ".sources.\"");
			rs_buf_puts(out, d->sending);
			rs_buf_puts(out, "\"");
		}
		rs_buf_puts(out, "]\n");
		if (d->suggested_rate_per_min >= 1) {
			snprintf(tmp, sizeof(tmp),
			         "max_message_rate = \"%.0f/m\"\n",
			         d->suggested_rate_per_min);
		} else {
			snprintf(tmp, sizeof(tmp),
			         "max_message_rate = \"1/m\"\n");
		}
		rs_buf_puts(out, tmp);
		break;
	default:
		rs_buf_puts(out, "# back to observe: remove the suspension or "
		                 "shaping entry above (kcli suspend-list, "
		                 "suspend-cancel)\n");
		break;
	}
	rs_buf_free(&dur);
}

void rs_poutput_write(const Replyscan__V1__PostureDecision *d,
                      rs_poutput_format_t format, rs_buf_t *out)
{
	switch (format) {
	case RS_POUTPUT_PB: {
		size_t n = replyscan__v1__posture_decision__get_packed_size(d);
		uint8_t *p;

		rs_buf_put_varint(out, n);
		p = (uint8_t *)rs_buf_reserve(out, n);
		if (p != NULL) {
			replyscan__v1__posture_decision__pack(d, p);
			out->len += n;
		}
		break;
	}
	case RS_POUTPUT_PMTA:
		pmta(d, out);
		break;
	case RS_POUTPUT_KUMOMTA:
		kumo(d, out);
		break;
	default:
		json(d, out);
		break;
	}
}
