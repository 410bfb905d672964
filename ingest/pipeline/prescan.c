/* SPDX-License-Identifier: Apache-2.0 */
/*
 * prescan.c - run the stateful formats' prescans over filled batches; see
 * prescan.h and the design note in formats/format.h.
 *
 * Under "auto" each line goes to the stateful formats in registry order;
 * the first one that attaches side data to it or absorbs it takes it.
 * A format that holds an open record (rs_scan_out_t.hold) is shown every
 * line until it lets go, because the continuation lines of a record do
 * not start like a record.
 */
#include "pipeline/prescan.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/envelope.h"
#include "util/compiler.h"

typedef struct prescan_fmt {
	const rs_format_t *fmt;
	rs_format_state_t *st;
	int hold;
} prescan_fmt_t;

struct rs_prescan {
	int all_lines; /* an explicit stateful format: every line */
	int any_hold;  /* some format holds an open record */
	prescan_fmt_t *fmts;
	size_t nfmts;
	/* Lines in a shipper's JSON object are unwrapped as the workers
	 * unwrap them (formats/envelope.h), in this reused record. */
	const rs_format_opts_t *opts;
	rs_record_t rec;
};

rs_prescan_t *rs_prescan_new(const rs_format_t *fmt,
                             const rs_format_opts_t *opts, char *errstr,
                             size_t errstr_size)
{
	rs_prescan_t *ps = calloc(1, sizeof(*ps));
	size_t n = rs_format_count();

	if (ps == NULL || (ps->fmts = calloc(n, sizeof(*ps->fmts))) == NULL) {
		free(ps);
		snprintf(errstr, errstr_size, "out of memory");
		return NULL;
	}
	if (fmt == rs_format_auto()) {
		fmt = NULL;
	}
	for (size_t i = 0; i < n; i++) {
		const rs_format_t *f = rs_format_at(i);
		prescan_fmt_t *pf;

		if (f->prescan == NULL || (fmt != NULL && f != fmt) ||
		    (fmt == NULL && (f->flags & RS_FORMAT_EXPLICIT_ONLY))) {
			continue;
		}
		pf = &ps->fmts[ps->nfmts];
		pf->fmt = f;
		pf->st = f->state_new(opts, errstr, errstr_size);
		if (pf->st == NULL) {
			rs_prescan_destroy(ps);
			return NULL;
		}
		ps->nfmts++;
	}
	ps->all_lines = fmt != NULL;
	ps->opts = opts;
	if (ps->nfmts > 0 &&
	    (ps->rec.arena = malloc(RS_PIPELINE_ARENA)) == NULL) {
		rs_prescan_destroy(ps);
		snprintf(errstr, errstr_size, "out of memory");
		return NULL;
	}
	ps->rec.arena_cap = RS_PIPELINE_ARENA;
	return ps;
}

void rs_prescan_destroy(rs_prescan_t *ps)
{
	if (ps == NULL) {
		return;
	}
	for (size_t i = 0; i < ps->nfmts; i++) {
		ps->fmts[i].fmt->state_destroy(ps->fmts[i].st);
	}
	free(ps->fmts);
	free(ps->rec.arena);
	free(ps);
}

/* Does some format hold an open record (and so see every line)? */
static int any_hold(const rs_prescan_t *ps)
{
	for (size_t k = 0; k < ps->nfmts; k++) {
		if (ps->fmts[k].hold) {
			return 1;
		}
	}
	return 0;
}

int rs_prescan_active(const rs_prescan_t *ps)
{
	return ps != NULL && ps->nfmts > 0;
}

/*
 * A line that starts with '{': the line inside a shipper's envelope into
 * *p, *n, the very bytes a worker's parse reads (rs_format_parse_logline
 * unwraps it with the same options; under auto KumoMTA and Haraka
 * records stay themselves). Valid until the next call. A line that is no
 * envelope, or a bad one, is left as it is. What the unwrap gave is
 * packed into the batch's aux for the worker, which so does not walk the
 * object again (formats/envelope.h, rs_envelope_pack); a bad one is left
 * to the worker, which reports why. -1 when aux could not grow. Out of
 * line: a plain line pays one byte test and no frame.
 */
static RS_NOINLINE int unwrap(rs_prescan_t *ps, rs_batch_t *batch,
                              rs_line_t *line, const char **p, size_t *n)
{
	rs_logline_t ll, inner;
	rs_envelope_t env;
	const char *why;
	size_t off = batch->aux.len;
	int r;

	rs_logline_init(&ll, *p, *n);
	ll.opts = ps->opts;
	ps->rec.arena_used = 0;
	r = rs_envelope_unwrap(&ll, &ps->rec,
	                       RS_ENVELOPE_BYTES |
	                           (ps->all_lines ? 0 : RS_ENVELOPE_NATIVE),
	                       &inner, &env, &why);
	if (r == RS_ENVELOPE_BAD) {
		return 0;
	}
	if (rs_envelope_pack(&batch->aux, &ll, r, &inner, &env) != 0) {
		return -1;
	}
	line->unwrap_off = off;
	line->unwrap_len = batch->aux.len - off;
	if (r != RS_ENVELOPE_LINE) {
		return 0;
	}
	/* Only the carve is undone: the line's bytes stay in the arena. */
	rs_envelope_finish(&env, &ps->rec, RS_PARSE_SKIP);
	*p = inner.p;
	*n = inner.n;
	return 0;
}

int rs_prescan_batch(rs_prescan_t *ps, rs_batch_t *batch)
{
	if (!rs_prescan_active(ps)) {
		return 0;
	}
	for (size_t i = 0; i < batch->nlines; i++) {
		rs_line_t *line = &batch->lines[i];
		rs_scan_line_t sl;
		const char *p = line->p;
		size_t n = line->len;
		size_t k = 0;
		int wanted = 0; /* format k wants the line, already asked */

		if (line->flags & RS_LINE_OVERSIZED) {
			continue;
		}
		if (n > 0 && p[n - 1] == '\r') {
			n--;
		}
		if (n > 0 && p[0] == '{' &&
		    unwrap(ps, batch, line, &p, &n) != 0) {
			return -1;
		}
		/* The common case under auto, first and cheap: no format
		 * holds a record and none wants the line by its first bytes
		 * (the source thread runs this over every line). */
		if (!ps->all_lines && !ps->any_hold) {
			while (k < ps->nfmts &&
			       !ps->fmts[k].fmt->scan_wants(p, n)) {
				k++;
			}
			if (k == ps->nfmts) {
				continue;
			}
			wanted = 1;
		}
		for (; k < ps->nfmts; k++) {
			prescan_fmt_t *pf = &ps->fmts[k];
			rs_scan_out_t out = {0, 0, 0, 0};

			if (wanted) {
				wanted = 0;
			} else if (!ps->all_lines && !pf->hold &&
			           !pf->fmt->scan_wants(p, n)) {
				continue;
			}
			sl.p = p;
			sl.n = n;
			sl.input = line->topic ? line->topic : batch->source;
			sl.partition = line->partition;
			sl.line_no = line->line_no;
			sl.input_ends =
			    batch->input_ends && i + 1 == batch->nlines;
			pf->fmt->prescan(pf->st, &sl, &batch->aux, &out);
			if (pf->hold != out.hold) {
				pf->hold = out.hold;
				ps->any_hold = any_hold(ps);
			}
			if (out.absorbed) {
				line->flags |= RS_LINE_ABSORBED;
			} else if (out.aux_len > 0) {
				line->aux_off = out.aux_off;
				line->aux_len = out.aux_len;
				line->aux_format = pf->fmt;
			} else {
				continue;
			}
			break;
		}
	}
	return batch->aux.failed ? -1 : 0;
}
