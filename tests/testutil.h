/* SPDX-License-Identifier: Apache-2.0 */
/*
 * testutil.h - helpers shared by the cmocka test programs: a fixture file
 * read into memory and split into lines, and assertions on rs_str_t slices
 * and on delays that say which field of which line went wrong, a
 * posture policy text that must be refused with a given error, and a
 * rules directory loaded with its scratch for a group setup.
 *
 * Linked into every test program as the static library rs_testutil (see
 * tests/CMakeLists.txt). The check functions fail the running cmocka test,
 * so call them only from inside a test; rs_test_fixture_load() only
 * reports, so it also fits a group setup.
 */
#ifndef RS_TESTUTIL_H
#define RS_TESTUTIL_H

#include <stddef.h>

#include "classify/rules.h"
#include "event/record.h"
#include "formats/format.h"
#include "pipeline/pipeline.h"
#include "pipeline/prescan.h"

/*
 * A fixture file in memory, split into lines. Lines point into data, are
 * not NUL-terminated and hold no '\n'; the caller owns the fixture and
 * releases it with rs_test_fixture_free().
 */
typedef struct rs_test_fixture {
	char *data;
	const char **line;
	size_t *len;
	size_t count;
} rs_test_fixture_t;

/*
 * Read RS_FIXTURES/<rel> into f, one entry per line (a last line without
 * '\n' counts too; a final '\n' starts no empty line). 0, or -1 after
 * printing why (missing, unreadable or empty file, no memory) with f left
 * empty. No cap on the number of lines.
 */
int rs_test_fixture_load(const char *rel, rs_test_fixture_t *f);

/* Release what rs_test_fixture_load() allocated; f is left empty. */
void rs_test_fixture_free(rs_test_fixture_t *f);

/*
 * Load the rules directory dir and make a scratch for it, as a group
 * setup needs them: 0 with *rules and *scratch set (the caller destroys
 * both), or -1 after printing why, with nothing left to free.
 */
int rs_test_rules_open(const char *dir, rs_rules_t **rules,
                       rs_rules_scratch_t **scratch);

/*
 * Fail the test unless slice s holds exactly the bytes of want (NULL:
 * s must be absent, s.p == NULL). what names the field and line the
 * fixture line or table row in the message; line 0 omits it.
 */
void rs_test_check_str(const char *what, int line, rs_str_t s,
                       const char *want);

/* Fail the test unless got is within 1e-6 of want (delays in seconds). */
void rs_test_check_secs(const char *what, int line, double got, double want);

/*
 * Fail the test unless every slice of rec lies in [buf, buf+len) or in
 * rec's arena (the record of a line parsed from buf).
 */
void rs_test_check_bounds(const rs_record_t *rec, const char *buf, size_t len);

/*
 * Parse [line, line+len) with fmt and opts from a heap copy of exactly
 * len bytes, so that ASan reports any read past the end; only when fmt
 * detects the line, unless force. Checks that a MALFORMED result has a
 * reason and an EVENT's slices lie in the copy or the arena (of arena_n
 * bytes at arena). The result (RS_PARSE_SKIP when not detected).
 */
rs_parse_result_t rs_test_parse_exact(const rs_format_t *fmt, const char *line,
                                      size_t len, const rs_format_opts_t *opts,
                                      int force, char *arena, size_t arena_n);

/*
 * Parse every cut [0, cut) of every line of the fixture files from an
 * exact-size copy (rs_test_parse_exact with fmt, opts, force); add the
 * cuts made and the events they gave to *cuts and *events.
 */
void rs_test_cut_fixtures(const rs_format_t *fmt, const char *const *files,
                          size_t nfiles, const rs_format_opts_t *opts,
                          int force, char *arena, size_t arena_n, size_t *cuts,
                          size_t *events);

/*
 * Every line of the fixture files, read as the pipeline reads it (one
 * batch per file, prescanned for fmt) and parsed with fmt: find(file,
 * line) names the expected outcome of a 1-based line (an index, or -1
 * for none); a line without one must be skipped, one with one must be an
 * event, which check(index, record) then checks. Returns the number of
 * events checked.
 */
size_t rs_test_outcomes(const rs_format_t *fmt, const char *const *files,
                        size_t nfiles, int (*find)(const char *file, int line),
                        void (*check)(int index, const rs_record_t *rec),
                        char *arena, size_t arena_n);

/*
 * The fixture's lines as one batch of a file input named input (line
 * numbers from 1, the last line ending the file), prescanned for fmt
 * (NULL: auto) with opts as the pipeline's source thread does, so that
 * stateful formats see their headers and start lines. The batch points
 * into f; release it with rs_batch_free(). Returns the prescan, whose run
 * states the side data may point into: destroy it (rs_prescan_destroy)
 * after the last parse. NULL after printing why.
 */
rs_prescan_t *rs_test_batch_scan(const rs_test_fixture_t *f, const char *input,
                                 const rs_format_t *fmt,
                                 const rs_format_opts_t *opts, rs_batch_t *b);

/*
 * Parse line i of a prescanned batch with fmt as a worker does: an
 * absorbed line is RS_PARSE_SKIP, side data and opts are handed over.
 * rec must have an arena; it is reset here.
 */
rs_parse_result_t rs_test_batch_parse(const rs_batch_t *b, size_t i,
                                      const rs_format_t *fmt,
                                      const rs_format_opts_t *opts,
                                      rs_record_t *rec, const char **why);

/* The same, with drop_sent set as a run without --all sets it (the skip
 * path may then drop a sent event: RS_PARSE_SKIP). */
rs_parse_result_t rs_test_batch_parse_drop(const rs_batch_t *b, size_t i,
                                           const rs_format_t *fmt,
                                           const rs_format_opts_t *opts,
                                           int drop_sent, rs_record_t *rec,
                                           const char **why);

/*
 * Fail the test unless loading the policy text (named "p.yaml") is
 * refused with exactly the error want.
 */
void rs_test_policy_refused(const char *text, const char *want);

#endif
