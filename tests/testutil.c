/* SPDX-License-Identifier: Apache-2.0 */
/*
 * testutil.c - fixture loading and slice/delay assertions shared by the
 * test programs (see testutil.h for the contracts).
 *
 * Failure messages name the field, the fixture line and both values, with
 * lengths and the first differing byte, because a slice may hold bytes
 * that do not print (NUL, control bytes): those are shown as \xNN. The
 * message is written in pieces with print_error() so that nothing is
 * allocated before fail() jumps out of the test.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "testutil.h"

#include "posture/policy.h"

int rs_test_fixture_load(const char *rel, rs_test_fixture_t *f)
{
	char path[1024];
	FILE *fp;
	long size;
	size_t n, count, i;
	const char *p, *end;

	memset(f, 0, sizeof(*f));
	snprintf(path, sizeof(path), "%s/%s", RS_FIXTURES, rel);
	fp = fopen(path, "rb");
	if (fp == NULL) {
		print_error("cannot open fixture %s: %s\n", path,
		            strerror(errno));
		return -1;
	}
	if (fseek(fp, 0, SEEK_END) != 0 || (size = ftell(fp)) < 0 ||
	    fseek(fp, 0, SEEK_SET) != 0) {
		print_error("cannot size fixture %s: %s\n", path,
		            strerror(errno));
		goto fail;
	}
	if (size == 0) {
		print_error("fixture %s is empty\n", path);
		goto fail;
	}
	n = (size_t)size;
	f->data = malloc(n);
	if (f->data == NULL) {
		print_error("no memory for fixture %s (%zu bytes)\n", path, n);
		goto fail;
	}
	if (fread(f->data, 1, n, fp) != n) {
		print_error("short read of fixture %s\n", path);
		goto fail;
	}
	fclose(fp);
	fp = NULL;

	/* Count first so that the arrays fit any file, however many lines. */
	count = 0;
	end = f->data + n;
	for (p = f->data; p < end; count++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		p = nl == NULL ? end : nl + 1;
	}
	f->line = malloc(count * sizeof(*f->line));
	f->len = malloc(count * sizeof(*f->len));
	if (f->line == NULL || f->len == NULL) {
		print_error("no memory for the %zu lines of fixture %s\n",
		            count, path);
		goto fail;
	}
	for (p = f->data, i = 0; i < count; i++) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl == NULL ? (size_t)(end - p) : (size_t)(nl - p);

		f->line[i] = p;
		f->len[i] = len;
		p += len + 1;
	}
	f->count = count;
	return 0;

fail:
	if (fp != NULL) {
		fclose(fp);
	}
	rs_test_fixture_free(f);
	return -1;
}

void rs_test_fixture_free(rs_test_fixture_t *f)
{
	free(f->data);
	free(f->line);
	free(f->len);
	memset(f, 0, sizeof(*f));
}

int rs_test_rules_open(const char *dir, rs_rules_t **rules,
                       rs_rules_scratch_t **scratch)
{
	char err[1024];

	*rules = rs_rules_load(dir, err, sizeof(err));
	if (*rules == NULL) {
		print_error("%s\n", err);
		return -1;
	}
	*scratch = rs_rules_scratch_new(*rules, err, sizeof(err));
	if (*scratch == NULL) {
		print_error("%s\n", err);
		rs_rules_destroy(*rules);
		*rules = NULL;
		return -1;
	}
	return 0;
}

/* Print [p, p+n) in brackets, bytes that do not print as \xNN. */
static void print_slice(const char *p, size_t n)
{
	size_t i = 0;

	print_error("[");
	while (i < n) {
		size_t run = 0;

		while (i + run < n && (unsigned char)p[i + run] >= 0x20 &&
		       (unsigned char)p[i + run] != 0x7f) {
			run++;
		}
		if (run > 0) {
			print_error("%.*s", (int)run, p + i);
			i += run;
			continue;
		}
		print_error("\\x%02x", (unsigned char)p[i]);
		i++;
	}
	print_error("]");
}

/* "line N: " before a message, or nothing for line 0. */
static void print_where(int line)
{
	if (line != 0) {
		print_error("line %d: ", line);
	}
}

void rs_test_check_str(const char *what, int line, rs_str_t s, const char *want)
{
	size_t wn, i;

	if (want == NULL) {
		if (s.p != NULL) {
			print_where(line);
			print_error("%s = ", what);
			print_slice(s.p, s.n);
			print_error(" (%zu bytes), want absent\n", s.n);
			fail();
		}
		return;
	}
	wn = strlen(want);
	if (s.p == NULL) {
		print_where(line);
		print_error("%s absent, want ", what);
		print_slice(want, wn);
		print_error("\n");
		fail();
		return;
	}
	if (s.n == wn && memcmp(s.p, want, wn) == 0) {
		return;
	}
	for (i = 0; i < s.n && i < wn && s.p[i] == want[i]; i++) {
	}
	print_where(line);
	print_error("%s = ", what);
	print_slice(s.p, s.n);
	print_error(" (%zu bytes), want ", s.n);
	print_slice(want, wn);
	print_error(" (%zu bytes), first difference at byte %zu\n", wn, i);
	fail();
}

void rs_test_check_secs(const char *what, int line, double got, double want)
{
	double d = got - want;

	if (d > 1e-6 || d < -1e-6) {
		print_where(line);
		print_error("%s = %g, want %g\n", what, got, want);
		fail();
	}
}

rs_prescan_t *rs_test_batch_scan(const rs_test_fixture_t *f, const char *input,
                                 const rs_format_t *fmt,
                                 const rs_format_opts_t *opts, rs_batch_t *b)
{
	char err[256];
	rs_prescan_t *ps;

	memset(b, 0, sizeof(*b));
	b->source = input;
	b->input_ends = 1;
	for (size_t i = 0; i < f->count; i++) {
		if (rs_batch_add_line(b, f->line[i], f->len[i], i + 1, -1, 0) <
		    0) {
			print_error("no memory for a batch line\n");
			return NULL;
		}
	}
	ps = rs_prescan_new(fmt != NULL ? fmt : rs_format_auto(), opts, err,
	                    sizeof(err));
	if (ps == NULL) {
		print_error("prescan: %s\n", err);
		return NULL;
	}
	if (rs_prescan_batch(ps, b) < 0) {
		print_error("prescan: out of memory\n");
		rs_prescan_destroy(ps);
		return NULL;
	}
	return ps;
}

rs_parse_result_t rs_test_batch_parse(const rs_batch_t *b, size_t i,
                                      const rs_format_t *fmt,
                                      const rs_format_opts_t *opts,
                                      rs_record_t *rec, const char **why)
{
	return rs_test_batch_parse_drop(b, i, fmt, opts, 0, rec, why);
}

rs_parse_result_t rs_test_batch_parse_drop(const rs_batch_t *b, size_t i,
                                           const rs_format_t *fmt,
                                           const rs_format_opts_t *opts,
                                           int drop_sent, rs_record_t *rec,
                                           const char **why)
{
	const rs_line_t *line = &b->lines[i];
	rs_logline_t ll;

	rs_record_reset(rec);
	*why = NULL;
	if (line->flags & RS_LINE_ABSORBED) {
		return RS_PARSE_SKIP;
	}
	rs_batch_logline(b, i, &ll);
	ll.opts = opts;
	ll.drop_sent = drop_sent;
	return rs_format_parse_logline(fmt != NULL ? fmt : rs_format_auto(),
	                               &ll, rec, why);
}

void rs_test_check_bounds(const rs_record_t *rec, const char *buf, size_t len)
{
	const rs_str_t *f[] = {
	    &rec->log_time,      &rec->log_host,    &rec->program,
	    &rec->queue_id,      &rec->recipient,   &rec->recipient_domain,
	    &rec->sender,        &rec->remote_host, &rec->remote_ip,
	    &rec->enhanced_code, &rec->reply_text,  &rec->sending_ip,
	    &rec->sending_pool,  &rec->vmta,        &rec->job_id,
	    &rec->tenant,        &rec->campaign,    &rec->extra_tag};

	for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		const char *p = f[i]->p;

		if (p == NULL) {
			continue;
		}
		if (rec->arena != NULL && p >= rec->arena &&
		    p + f[i]->n <= rec->arena + rec->arena_cap) {
			continue;
		}
		if (p < buf || p + f[i]->n > buf + len) {
			fail_msg("field %zu lies outside the line and the "
			         "arena",
			         i);
		}
	}
}

rs_parse_result_t rs_test_parse_exact(const rs_format_t *fmt, const char *line,
                                      size_t len, const rs_format_opts_t *opts,
                                      int force, char *arena, size_t arena_n)
{
	char *buf = malloc(len > 0 ? len : 1);
	rs_logline_t ll;
	rs_record_t rec;
	const char *why = NULL;
	rs_parse_result_t res = RS_PARSE_SKIP;

	assert_non_null(buf);
	memcpy(buf, line, len);
	memset(&rec, 0, sizeof(rec));
	rec.arena = arena;
	rec.arena_cap = arena_n;
	rs_record_reset(&rec);
	rs_logline_init(&ll, buf, len);
	ll.opts = opts;
	if (force || (fmt->detect != NULL && fmt->detect(&ll))) {
		res = rs_format_parse_logline(fmt, &ll, &rec, &why);
		if (res == RS_PARSE_MALFORMED && why == NULL) {
			fail_msg("MALFORMED without a reason");
		}
		if (res == RS_PARSE_EVENT) {
			rs_test_check_bounds(&rec, buf, len);
		}
	}
	free(buf);
	return res;
}

void rs_test_cut_fixtures(const rs_format_t *fmt, const char *const *files,
                          size_t nfiles, const rs_format_opts_t *opts,
                          int force, char *arena, size_t arena_n, size_t *cuts,
                          size_t *events)
{
	for (size_t f = 0; f < nfiles; f++) {
		rs_test_fixture_t fx;

		assert_int_equal(rs_test_fixture_load(files[f], &fx), 0);
		for (size_t i = 0; i < fx.count; i++) {
			for (size_t cut = 0; cut <= fx.len[i]; cut++) {
				*events +=
				    rs_test_parse_exact(
					fmt, fx.line[i], cut, opts, force,
					arena, arena_n) == RS_PARSE_EVENT;
				(*cuts)++;
			}
		}
		rs_test_fixture_free(&fx);
	}
}

size_t rs_test_outcomes(const rs_format_t *fmt, const char *const *files,
                        size_t nfiles, int (*find)(const char *file, int line),
                        void (*check)(int index, const rs_record_t *rec),
                        char *arena, size_t arena_n)
{
	size_t seen = 0;

	for (size_t f = 0; f < nfiles; f++) {
		rs_test_fixture_t fx;
		rs_batch_t b;
		rs_prescan_t *ps;

		assert_int_equal(rs_test_fixture_load(files[f], &fx), 0);
		ps = rs_test_batch_scan(&fx, files[f], fmt, NULL, &b);
		assert_non_null(ps);
		for (size_t i = 0; i < fx.count; i++) {
			int x = find(files[f], (int)i + 1);
			rs_record_t rec;
			const char *why;
			rs_parse_result_t res;

			memset(&rec, 0, sizeof(rec));
			rec.arena = arena;
			rec.arena_cap = arena_n;
			res = rs_test_batch_parse(&b, i, fmt, NULL, &rec, &why);
			if (x < 0) {
				if (res != RS_PARSE_SKIP) {
					fail_msg("%s:%zu: result %d, want skip "
					         "(%s)",
					         files[f], i + 1, res,
					         why ? why : "");
				}
				continue;
			}
			if (res != RS_PARSE_EVENT) {
				fail_msg("%s:%zu: result %d (%s)", files[f],
				         i + 1, res, why ? why : "");
			}
			check(x, &rec);
			seen++;
		}
		rs_prescan_destroy(ps);
		rs_batch_free(&b);
		rs_test_fixture_free(&fx);
	}
	return seen;
}

void rs_test_policy_refused(const char *text, const char *want)
{
	char err[1024] = "";
	rs_policy_t *p = rs_policy_load_buffer("p.yaml", text, strlen(text),
	                                       err, sizeof(err));

	if (p != NULL) {
		rs_policy_free(p);
		fail_msg("loaded, want error %s", want);
	}
	if (strcmp(err, want) != 0) {
		fail_msg("error\n  %s\nwant\n  %s", err, want);
	}
}
