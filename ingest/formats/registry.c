/* SPDX-License-Identifier: Apache-2.0 */
/*
 * registry.c - the table of formats, the "auto" format, and the logline
 * helpers; see format.h.
 *
 * Auto-detection asks each format's detect() in table order and parses
 * with the first one that says yes (a line a stateful format's prescan
 * claimed goes to that format first); a parser that then skips the line
 * hands it to the next detecting format (a syslog line with an ISO stamp
 * looks like an Exim main log line until its message id is read). A
 * format's skips() hook answers first where it can do so cheaply (the
 * skip path: format.h). A line
 * no format detects is skipped, not malformed: the ordinary traffic of a
 * busy MTA (smtpd, cleanup, qmgr) is thrown away after a few byte
 * comparisons and at most one syslog split.
 *
 * @locality any thread; the table is static and read-only.
 */
#include "formats/format.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "formats/envelope.h"
#include "formats/exim.h"
#include "formats/format_opts.h"
#include "formats/haraka.h"
#include "formats/kumomta.h"
#include "formats/opensmtpd.h"
#include "formats/pmta.h"
#include "formats/postfix.h"
#include "formats/qmail.h"
#include "formats/reply.h"
#include "formats/sendmail.h"
#include "util/compiler.h"

static rs_parse_result_t auto_parse(rs_logline_t *ll, rs_record_t *rec,
                                    const char **why);

static const rs_format_t auto_format = {
    .name = "auto",
    .summary = "decide line by line among the formats below",
    .flags = RS_FORMAT_EXPLICIT_ONLY,
    .mta = RS_MTA_UNSPECIFIED,
    .detect = NULL,
    .parse = auto_parse,
};

/*
 * Every format, in auto-detection order; "auto" first. The busiest MTAs
 * come first; every detect() after postfix runs on each line Postfix
 * skips (smtpd, cleanup, qmgr ...), so those are a few byte comparisons
 * on the already split syslog prefix.
 */
static const rs_format_t *const formats[] = {
    &auto_format,         &rs_kumomta_format,  &rs_exim_format,
    &rs_postfix_format,   &rs_sendmail_format, &rs_pmta_format,
    &rs_opensmtpd_format, &rs_haraka_format,   &rs_qmail_format,
    &rs_reply_format,
};

#define NFORMATS (sizeof(formats) / sizeof(formats[0]))

void rs_logline_init(rs_logline_t *ll, const char *p, size_t n)
{
	if (n > 0 && p[n - 1] == '\r') {
		n--;
	}
	ll->p = p;
	ll->n = n;
	ll->opts = NULL;
	ll->aux = NULL;
	ll->aux_len = 0;
	ll->aux_format = NULL;
	ll->drop_sent = 0;
	ll->unwrapped = NULL;
	ll->unwrapped_len = 0;
	ll->syslog_state = 0;
	ll->keys_state = 0;
}

void rs_logline_keys(rs_logline_t *ll, const char **to_eq,
                     const char **status_val)
{
	if (!ll->keys_state) {
		const char *p = ll->p, *e = ll->p + ll->n, *q = ll->p;

		ll->to_eq = NULL;
		ll->status_val = NULL;
		while (q < e && (q = memchr(q, '=', (size_t)(e - q))) != NULL) {
			size_t before = (size_t)(q - p);

			if (ll->to_eq == NULL && before >= 3 &&
			    memcmp(q - 3, " to", 3) == 0) {
				ll->to_eq = q;
			} else if (ll->status_val == NULL && before >= 6 &&
			           memcmp(q - 6, "status", 6) == 0) {
				ll->status_val = q + 1;
			}
			q++;
		}
		ll->keys_state = 1;
	}
	*to_eq = ll->to_eq;
	*status_val = ll->status_val;
}

rs_str_t rs_logline_aux(const rs_logline_t *ll, const rs_format_t *fmt)
{
	if (ll->aux == NULL || ll->aux_format != fmt) {
		return RS_STR_NULL;
	}
	return rs_str(ll->aux, ll->aux_len);
}

const rs_syslog_t *rs_logline_syslog(rs_logline_t *ll)
{
	if (ll->syslog_state == 0) {
		ll->syslog_state =
		    rs_syslog_split(ll->p, ll->n, &ll->sl) == 0 ? 1 : -1;
	}
	return ll->syslog_state == 1 ? &ll->sl : NULL;
}

/* The first detecting format that does not skip the line decides. */
static rs_parse_result_t auto_parse(rs_logline_t *ll, rs_record_t *rec,
                                    const char **why)
{
	int dirty = 0; /* a parser that skipped may have written to rec */

	if (ll->n == 0) {
		return RS_PARSE_SKIP;
	}
	/* A format whose prescan attached side data claimed the line (the
	 * last line of a joined record need not look like a record). */
	if (ll->aux_format != NULL) {
		rs_parse_result_t res;

		/* Only a drop: parse() is not preceded by detect() here, so
		 * "not mine" would not say that it skips. */
		if (ll->drop_sent && ll->aux_format->skips != NULL &&
		    ll->aux_format->skips(ll) == RS_SKIP_DROP) {
			return RS_PARSE_SKIP;
		}
		res = ll->aux_format->parse(ll, rec, why);
		if (res != RS_PARSE_SKIP) {
			return res;
		}
		dirty = 1;
	}
	for (size_t i = 1; i < NFORMATS; i++) {
		const rs_format_t *f = formats[i];
		rs_parse_result_t res;

		if ((f->flags & RS_FORMAT_EXPLICIT_ONLY) || f->detect == NULL ||
		    f == ll->aux_format) {
			continue;
		}
		if (f->skips != NULL && !(f->flags & RS_FORMAT_SKIPS_CLAIMED)) {
			rs_skip_t sk = f->skips(ll);
			if (sk == RS_SKIP_DROP) {
				return RS_PARSE_SKIP;
			}
			if (sk == RS_SKIP_NOT_MINE) {
				continue;
			}
		}
		if (!f->detect(ll)) {
			continue;
		}
		if (dirty) {
			rs_record_reset(rec);
		}
		res = f->parse(ll, rec, why);
		if (res != RS_PARSE_SKIP) {
			return res;
		}
		dirty = 1;
	}
	return RS_PARSE_SKIP;
}

void *rs_format_state_alloc(size_t size, char *errstr, size_t errstr_size)
{
	void *st = calloc(1, size);

	if (st == NULL) {
		snprintf(errstr, errstr_size, "out of memory");
	}
	return st;
}

const rs_format_t *rs_format_auto(void)
{
	return &auto_format;
}

const rs_format_t *rs_format_find(const char *name, size_t n)
{
	for (size_t i = 0; i < NFORMATS; i++) {
		if (strlen(formats[i]->name) == n &&
		    strncasecmp(formats[i]->name, name, n) == 0) {
			return formats[i];
		}
	}
	return NULL;
}

const rs_format_t *rs_format_of_mta(rs_mta_t mta)
{
	for (size_t i = 1; i < NFORMATS; i++) {
		if (formats[i]->mta == mta) {
			return formats[i];
		}
	}
	return NULL;
}

size_t rs_format_count(void)
{
	return NFORMATS;
}

const rs_format_t *rs_format_at(size_t i)
{
	return i < NFORMATS ? formats[i] : NULL;
}

const char *rs_format_names(char *buf, size_t size, const char *sep)
{
	size_t used = 0;

	if (size == 0) {
		return buf;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < NFORMATS && used < size; i++) {
		int w = snprintf(buf + used, size - used, "%s%s",
		                 i > 0 ? sep : "", formats[i]->name);
		if (w < 0) {
			break;
		}
		used += (size_t)w;
	}
	return buf;
}

/* The line as it is (no envelope to take off). */
static inline rs_parse_result_t parse_line(const rs_format_t *fmt,
                                           rs_logline_t *ll, rs_record_t *rec,
                                           const char **why)
{
	rs_parse_result_t res;

	/* A chosen format takes the skip path's drops as auto_parse() does;
	 * only drops: "not mine" says nothing about what parse() alone
	 * makes of a line that detect() refuses. */
	if (fmt->skips != NULL && ll->drop_sent &&
	    fmt->skips(ll) == RS_SKIP_DROP) {
		return RS_PARSE_SKIP;
	}
	res = fmt->parse(ll, rec, why);
	if (res == RS_PARSE_EVENT && ll->opts != NULL) {
		rs_format_opts_apply_source(ll->opts, rec);
	}
	return res;
}

/* A line that starts with '{': a shipper's envelope, or not (out of line:
 * plain lines pay one byte test and no frame for it). */
static RS_NOINLINE rs_parse_result_t parse_json(const rs_format_t *fmt,
                                                rs_logline_t *ll,
                                                rs_record_t *rec,
                                                const char **why)
{
	rs_logline_t inner;
	rs_envelope_t env;
	rs_parse_result_t res;
	int r;

	/* The prescan unwrapped the line already (pipeline/prescan.c), with
	 * the same options: its result is taken as it stands. */
	if (ll->unwrapped != NULL) {
		r = rs_envelope_unpack(ll, &inner, &env, why);
	} else {
		r = rs_envelope_unwrap(
		    ll, rec, fmt == &auto_format ? RS_ENVELOPE_NATIVE : 0,
		    &inner, &env, why);
	}
	switch (r) {
	case RS_ENVELOPE_NONE:
		return parse_line(fmt, ll, rec, why);
	case RS_ENVELOPE_BAD:
		return RS_PARSE_MALFORMED;
	default:
		break;
	}
	res = parse_line(fmt, &inner, rec, why);
	rs_envelope_finish(&env, rec, res);
	return res;
}

/*
 * A log shipper's JSON object (formats/envelope.h) is taken off before
 * the format reads the line inside; formats that read JSON themselves
 * and one-reply-per-line input never see one taken off. Under "auto"
 * their records are told apart first. A plain line pays one byte test.
 */
rs_parse_result_t rs_format_parse_logline(const rs_format_t *fmt,
                                          rs_logline_t *ll, rs_record_t *rec,
                                          const char **why)
{
	*why = NULL;
	if (ll->n > 0 && ll->p[0] == '{' &&
	    !(fmt->flags & (RS_FORMAT_READS_JSON | RS_FORMAT_REPLY_PER_LINE))) {
		return parse_json(fmt, ll, rec, why);
	}
	return parse_line(fmt, ll, rec, why);
}

rs_parse_result_t rs_format_parse(const rs_format_t *fmt, const char *line,
                                  size_t len, rs_record_t *rec,
                                  const char **why)
{
	rs_logline_t ll;
	const char *dummy;

	if (why == NULL) {
		why = &dummy;
	}
	rs_logline_init(&ll, line, len);
	return rs_format_parse_logline(fmt, &ll, rec, why);
}
