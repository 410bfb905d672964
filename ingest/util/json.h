/* SPDX-License-Identifier: Apache-2.0 */
/*
 * json.h - a JSON reader that validates and iterates without allocating:
 * a value skipper (RFC 8259 grammar, nesting bounded by RS_JSON_MAX_DEPTH),
 * an object/array iterator that hands out raw value slices, and a string
 * decoder (\" \\ \/ \b \f \n \r \t \uXXXX with surrogate pairs).
 *
 * Why not jansson here: a DOM parser allocates once per value for every
 * record, on the hot path, to read a handful of fields of log records
 * (KumoMTA, Haraka). jansson stays for the cold paths (metrics statistics).
 *
 * Errors are static sentences in *why ("JSON ends inside an object").
 * Everything is bounded by the end pointer; input need not be
 * NUL-terminated. @locality any thread; pure functions.
 */
#ifndef RS_JSON_H
#define RS_JSON_H

#include <stddef.h>
#include <string.h>

#include "event/record.h"

/* Deepest nesting of arrays and objects accepted. */
#define RS_JSON_MAX_DEPTH 64

/* Reading position inside one object or array. */
typedef struct rs_json_iter {
	const char *p;
	const char *e;
	int depth; /* of the container being iterated */
	int first;
} rs_json_iter_t;

/* Skip JSON whitespace. */
const char *rs_json_skip_ws(const char *p, const char *e);

/* Skip one JSON value at p; the byte after it, or NULL with *why set. */
const char *rs_json_skip_value(const char *p, const char *e, int depth,
                               const char **why);

/* Start iterating the container whose opening bracket is at p. */
void rs_json_open(rs_json_iter_t *it, const char *p, const char *e, int depth);

/*
 * Step to the next element of a container closed by `close` ('}' or ']'):
 * 1 with the raw value (and, for objects, the key without quotes), 0 after
 * the closing bracket, -1 with *why on a syntax error.
 */
int rs_json_next(rs_json_iter_t *it, char close, rs_str_t *key, rs_str_t *val,
                 const char **why);

/*
 * Decode the body of a JSON string (between the quotes) into dst, stopping
 * before the first character that does not fit in cap. Returns 0 and the
 * length in *out, or -1 on a malformed escape or a lone surrogate. The
 * decoded text is never longer than the body.
 */
int rs_json_decode_string(const char *p, size_t n, char *dst, size_t cap,
                          size_t *out);

/* rs_json_string_value results besides 0. */
#define RS_JSON_NOT_STRING 1 /* the value is not a string */
#define RS_JSON_ARENA_FULL 2 /* the decoded copy did not fit */
#define RS_JSON_BAD_STRING 3 /* a malformed escape or lone surrogate */

/*
 * The text of a string value val (raw, quotes included): the body itself
 * when it has no escape, else a decoded copy in rec's arena. null or an
 * absent value gives RS_STR_NULL and 0. Otherwise 0 or one of the codes
 * above, with *out absent.
 */
int rs_json_string_value(rs_record_t *rec, rs_str_t val, rs_str_t *out);

/* Is the key slice equal to the literal? (Inline: lit's length folds.) */
static inline int rs_json_key_is(rs_str_t key, const char *lit)
{
	size_t l = strlen(lit);
	return key.n == l && memcmp(key.p, lit, l) == 0;
}

/* Is the value JSON null (or absent)? */
static inline int rs_json_is_null(rs_str_t val)
{
	return val.p == NULL || (val.n == 4 && memcmp(val.p, "null", 4) == 0);
}

#endif
