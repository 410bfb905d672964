/* SPDX-License-Identifier: Apache-2.0 */
/*
 * output.c - decisions as JSON, protobuf and sender commands (output.h).
 */
#include "posture/output.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

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

/* Whether s is an IPv4 or IPv6 address (what `disable source` takes). */
static int is_ip(const char *s)
{
	int dots = 0, colons = 0;

	if (s[0] == '\0') {
		return 0;
	}
	for (const char *p = s; *p; p++) {
		if (*p == '.') {
			dots++;
		} else if (*p == ':') {
			colons++;
		} else if (!((*p >= '0' && *p <= '9') ||
		             (*p >= 'a' && *p <= 'f') ||
		             (*p >= 'A' && *p <= 'F'))) {
			return 0;
		}
	}
	return (dots == 3 && colons == 0) || colons >= 2;
}

static void line3(rs_buf_t *out, const char *a, const char *b, const char *c)
{
	rs_buf_puts(out, a);
	rs_buf_puts(out, b);
	rs_buf_puts(out, c);
	rs_buf_putc(out, '\n');
}

/*
 * PowerMTA. Queues are named domain/vmta (`pmta pause queue`, `pmta
 * resume queue`, `pmta set queue --mode=backoff|normal` take that, with
 * `*` for any); the site stands for a domain (or a domain-macro of that
 * name) and the sending side for its VirtualMTA. `pmta disable source`
 * and `enable source` take a source IP and a queue (any domain and any
 * VirtualMTA for every destination), so an IP-wide pause of a sending side that
 * is not an IP (a pool, a VirtualMTA) pauses its queues instead. Sources in
 * posture/README.md.
 */
static void pmta(const Replyscan__V1__PostureDecision *d, rs_buf_t *out)
{
	const char *dom = d->site[0] ? d->site : "*";
	const char *src = d->sending[0] ? d->sending : "*";
	int wide = d->level == REPLYSCAN__V1__SCOPE_LEVEL__SCOPE_LEVEL_IP ||
	           d->level == REPLYSCAN__V1__SCOPE_LEVEL__SCOPE_LEVEL_FLEET;
	char queue[600];

	snprintf(queue, sizeof(queue), "%s/%s", wide ? "*" : dom, src);
	comment(d, out);
	if (unnamed(d, out)) {
		return;
	}
	switch (d->posture) {
	case REPLYSCAN__V1__POSTURE__POSTURE_PAUSE:
		if (wide && is_ip(src)) {
			line3(out, "pmta disable source ", src, " */*");
		} else {
			line3(out, "pmta pause queue ", queue, "");
		}
		break;
	case REPLYSCAN__V1__POSTURE__POSTURE_THROTTLE:
		line3(out, "pmta set queue --mode=backoff ", queue, "");
		break;
	default:
		/* Back to observe: undo whatever the last posture did. */
		if (wide && is_ip(src)) {
			line3(out, "pmta enable source ", src, " */*");
		} else {
			line3(out, "pmta resume queue ", queue, "");
		}
		line3(out, "pmta set queue --mode=normal ", queue, "");
		break;
	}
}

/* Unix ms as RFC 3339 UTC ("2026-11-27T06:00:00Z"). */
static void rfc3339(rs_buf_t *out, int64_t ms)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	char tmp[32];

	gmtime_r(&t, &tm);
	strftime(tmp, sizeof(tmp), "%Y-%m-%dT%H:%M:%SZ", &tm);
	rs_buf_puts(out, tmp);
}

/*
 * KumoMTA (sources in posture/README.md): a pause is an admin suspension
 * (`kcli suspend` for a receiver domain, `kcli suspend-ready-q` for a
 * source toward a site, whose ready queue is named
 * source->site@smtp_client) and, for a source toward a site, the same
 * suspension as an entry of the TSA daemon's suspension document
 * ({"ready_q":[{rule_hash, site_name, reason, source, expires}]}); a
 * throttle is a traffic-shaping overlay entry: a domain table, or a
 * provider table for a site of the policy's sites: list, with a
 * sources table for one egress source.
 */
static void kumo(const Replyscan__V1__PostureDecision *d, rs_buf_t *out)
{
	rs_buf_t dur = {0};
	char tmp[64];
	/* A named site of the policy (google, yahoo) has no dot; a
	 * registered domain has one. */
	int provider = d->site[0] && strchr(d->site, '.') == NULL;

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
		if (d->sending[0]) {
			rs_buf_puts(out, "# as a TSA suspension entry: ");
			rs_buf_puts(out, "{\"ready_q\":[{\"rule_hash\":");
			rs_utf8_json_string(out, d->rule_id,
			                    strlen(d->rule_id));
			rs_buf_puts(out, ",\"site_name\":");
			rs_utf8_json_string(out, d->site, strlen(d->site));
			rs_buf_puts(out, ",\"reason\":\"replyscan ");
			rs_buf_puts(out, rs_posture_name(d->posture));
			rs_buf_puts(out, "\",\"source\":");
			rs_utf8_json_string(out, d->sending,
			                    strlen(d->sending));
			rs_buf_puts(out, ",\"expires\":\"");
			rfc3339(out, d->until_unix_ms);
			rs_buf_puts(out, "\"}]}\n");
		}
		break;
	case REPLYSCAN__V1__POSTURE__POSTURE_THROTTLE:
		if (provider) {
			rs_buf_puts(out, "# '");
			rs_buf_puts(out, d->site);
			rs_buf_puts(out,
			            "' is a site of the posture policy: "
			            "name the KumoMTA provider that matches "
			            "the same MX suffixes\n[provider.");
		} else {
			rs_buf_putc(out, '[');
		}
		rs_buf_putc(out, '"');
		rs_buf_puts(out, d->site[0] ? d->site : "default");
		rs_buf_putc(out, '"');
		if (d->sending[0]) {
			rs_buf_puts(out, ".sources.\"");
			rs_buf_puts(out, d->sending);
			rs_buf_putc(out, '"');
		}
		rs_buf_puts(out, "]\n");
		snprintf(tmp, sizeof(tmp), "max_message_rate = \"%.0f/min\"\n",
		         d->suggested_rate_per_min >= 1
		             ? d->suggested_rate_per_min
		             : 1.0);
		rs_buf_puts(out, tmp);
		break;
	default:
		rs_buf_puts(out, "# back to observe: remove the suspension or "
		                 "shaping entry above (kcli suspend-list, "
		                 "suspend-cancel; suspend-ready-q-list, "
		                 "suspend-ready-q-cancel)\n");
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
