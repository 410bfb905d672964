/* SPDX-License-Identifier: Apache-2.0 */
/*
 * utf8.h - UTF-8 for output: the length of a valid sequence, a copy made
 * valid (invalid bytes and NUL become U+FFFD, cut at a character
 * boundary), and a JSON string literal. Shared by the event encoders, the
 * daemon log and explain.
 *
 * @locality any thread; pure functions.
 */
#ifndef RS_UTF8_H
#define RS_UTF8_H

#include <stddef.h>

#include "util/buf.h"

/*
 * Length (1-4) of the valid UTF-8 sequence at p (n >= 1 bytes), or 0 when
 * it is invalid: a bad lead or continuation byte, an overlong form, a
 * UTF-16 surrogate, a value past U+10FFFF, or cut by n. NUL is length 1.
 */
size_t rs_utf8_seq_len(const unsigned char *p, size_t n);

/*
 * Copy src into dst as valid UTF-8 of at most max bytes (dst has room for
 * max bytes), replacing invalid sequences and NUL by U+FFFD. Returns the
 * bytes written; *truncated is set when src did not fit.
 */
size_t rs_utf8_clean(const char *src, size_t n, char *dst, size_t max,
                     int *truncated);

/*
 * The JSON escape of byte c into esc (\" \\ \n \u001f, and DEL as
 * \u007f so that logs and events never carry a raw control byte);
 * returns its length, or 0 when c stands for itself.
 */
size_t rs_utf8_json_escape(unsigned char c, char esc[6]);

/* Append s as a JSON string literal (quotes included), escaping '"', '\'
 * and control bytes; s must be valid UTF-8. */
void rs_utf8_json_string(rs_buf_t *out, const char *s, size_t n);

#endif
