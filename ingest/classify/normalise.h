/* SPDX-License-Identifier: Apache-2.0 */
/*
 * normalise.h - one SMTP reply text made ready for matching, the same way
 * for every parser, `explain`, `eval` and the rule examples (the
 * classifier calls it; nothing else needs to).
 *
 * MTAs log a multi-line reply as one string with every line's code
 * repeated: Postfix joins the lines with a space ("550-5.7.1 blocked
 * because the sending domain has a very low 550-5.7.1 reputation ..."),
 * Exim with the two characters backslash-n ("452-4.2.2 over quota.\n452
 * 4.2.2 https://..."). The repeated prefixes split the wording that rules
 * look for. The normal form keeps the leading code once, as "NNN X.Y.Z ",
 * drops every continuation prefix, turns Exim's "\n" into a space and
 * folds runs of white space into one space. The event keeps the original
 * text; only the matching sees the normal form.
 *
 * @locality any thread; pure function over caller memory.
 */
#ifndef RS_NORMALISE_H
#define RS_NORMALISE_H

#include <stddef.h>
#include <stdint.h>

#include "util/str.h"

/* What the normaliser read. */
typedef struct rs_normalised {
	size_t len;         /* bytes written to the output */
	uint32_t code;      /* the leading basic code, 0 when none */
	rs_str_t enhanced;  /* the leading enhanced code, in the input; else
	                       one written after '#' (qmail, Exchange) */
	unsigned continued; /* continuation prefixes removed */
} rs_normalised_t;

/*
 * Write the normal form of [p, p+n) to out (room for cap bytes). The
 * normal form is at most one byte longer than the input (a space put back
 * after a leading code: "550x" gives "550 x"), so cap >= n + 1 loses
 * nothing; with less room the output stops short, never past cap.
 * A continuation prefix is the leading code again at a word boundary:
 * "NNN-" or "NNN " followed by the same enhanced code, or, when the reply
 * starts "NNN-" (a multi-line reply), followed by any enhanced code or by
 * nothing. (So inside a multi-line 550 reply the words "550 messages"
 * lose their number: a price paid for the common case.)
 */
void rs_normalise_reply(const char *p, size_t n, char *out, size_t cap,
                        rs_normalised_t *res);

#endif
