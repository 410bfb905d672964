/* SPDX-License-Identifier: Apache-2.0 */
/*
 * normalise.c - the normal form of an SMTP reply for matching; see
 * normalise.h.
 *
 * One pass, output never longer than input. A prefix is only removed
 * where a reply line could start: at the beginning of the text or after
 * white space (or Exim's "\n"), so that "4550 messages" or "rate 550/h"
 * stay as they are.
 */
#include "classify/normalise.h"

#include <string.h>

#include "formats/smtpreply.h"

/* Is c white space between reply words? */
static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Bytes that can change the output inside a word: white space and the
 * '\\' of Exim's "\n". Every other byte is copied as it is. */
static const unsigned char word_stop[256] = {[(unsigned char)' '] = 1,
                                             [(unsigned char)'\t'] = 1,
                                             [(unsigned char)'\r'] = 1,
                                             [(unsigned char)'\n'] = 1,
                                             [(unsigned char)'\\'] = 1};

/* Is there an Exim line break (the two bytes '\\' 'n') at p? */
static int is_escaped_newline(const char *p, const char *e)
{
	return e - p >= 2 && p[0] == '\\' && p[1] == 'n';
}

/*
 * Length of a continuation prefix of the leading code at p (including
 * the white space after it), 0 when there is none.
 */
static size_t prefix_len(const char *p, const char *e, const char code[3],
                         rs_str_t enh, int multiline)
{
	const char *q = p + 4;
	size_t elen;

	if (e - p < 4 || memcmp(p, code, 3) != 0 ||
	    (p[3] != '-' && p[3] != ' ')) {
		return 0;
	}
	elen = rs_smtpreply_enhanced_len(q, (size_t)(e - q));
	if (elen == 0) {
		/* "NNN-" / "NNN " alone: a prefix of a multi-line reply. */
		return multiline ? 4 : 0;
	}
	if (!multiline && (elen != enh.n || memcmp(q, enh.p, enh.n) != 0)) {
		return 0;
	}
	q += elen;
	/* The enhanced code ends at white space or the end of the text. */
	if (q < e && !is_space(*q) && !is_escaped_newline(q, e)) {
		return 0;
	}
	return (size_t)(q - p);
}

/*
 * An enhanced code that qmail and Exchange write after '#' instead of at
 * the start: "... (#5.4.6)", "<mx.example.com #4.4.7>". The last one
 * wins (the MTA's own verdict comes last).
 */
static rs_str_t hash_enhanced(const char *p, size_t n)
{
	rs_str_t found = RS_STR_NULL;
	const char *e = p + n;

	for (const char *h = memchr(p, '#', n); h != NULL && h + 1 < e;
	     h = memchr(h + 1, '#', (size_t)(e - h - 1))) {
		size_t l =
		    rs_smtpreply_enhanced_len(h + 1, (size_t)(e - h - 1));
		if (l > 0) {
			found = rs_str(h + 1, l);
		}
	}
	return found;
}

void rs_normalise_reply(const char *p, size_t n, char *out, size_t cap,
                        rs_normalised_t *res)
{
	const char *e = p + n, *s = p;
	size_t o = 0;
	int multiline, space = 0;
	char code[3];

	memset(res, 0, sizeof(*res));
	if (cap < n) {
		n = cap;
		e = p + n;
	}
	/* Leading white space never matters. */
	while (s < e && (is_space(*s) || is_escaped_newline(s, e))) {
		s += is_space(*s) ? 1 : 2;
	}
	res->code = rs_smtpreply_codes(s, (size_t)(e - s), &res->enhanced);
	if (res->code != 0 &&
	    cap < 4 + (res->enhanced.p != NULL ? res->enhanced.n : 0)) {
		/* No room for the leading codes: no output. */
		return;
	}
	if (res->code == 0) {
		/* No reply code: only white space is folded. */
		multiline = 0;
	} else {
		multiline = e - s > 3 && s[3] == '-';
		memcpy(code, s, 3);
		/* The leading code once, as "NNN X.Y.Z ". */
		memcpy(out, s, 3);
		o = 3;
		s += 3;
		while (s < e && (*s == '-' || *s == ' ' || *s == '\t')) {
			s++;
		}
		if (res->enhanced.p != NULL) {
			out[o++] = ' ';
			memcpy(out + o, res->enhanced.p, res->enhanced.n);
			o += res->enhanced.n;
			s = res->enhanced.p + res->enhanced.n;
		}
		space = 1;
	}
	while (s < e) {
		size_t skip;

		/* Inside a word (its first byte written), the rest of it up to
		 * white space or '\\' is copied in one tight loop, as far as
		 * the room goes; what stops the run is read below. */
		if (!space) {
			const char *r = s;
			const char *lim =
			    (size_t)(e - s) > cap - o ? s + (cap - o) : e;
			char *d = out + o;

			while (r < lim && !word_stop[(unsigned char)*r]) {
				*d++ = *r++;
			}
			if (r > s) {
				o += (size_t)(r - s);
				s = r;
				continue;
			}
		}
		if (is_space(*s) || is_escaped_newline(s, e)) {
			s += is_space(*s) ? 1 : 2;
			space = 1;
			continue;
		}
		if (space && res->code != 0 &&
		    (skip = prefix_len(s, e, code, res->enhanced, multiline)) >
		        0) {
			s += skip;
			res->continued++;
			continue;
		}
		/*
		 * A space may be put back where the input had none ("550x"
		 * gives "550 x"), so the normal form can outgrow the input:
		 * stop at the caller's room, never past it.
		 */
		if (o + (space && o > 0 ? 2 : 1) > cap) {
			break;
		}
		if (space && o > 0) {
			out[o++] = ' ';
		}
		space = 0;
		out[o++] = *s++;
	}
	res->len = o;
	if (res->enhanced.p == NULL) {
		res->enhanced = hash_enhanced(p, n);
	}
}
