/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reply.c - bare SMTP reply text, one per line, as a user pastes it.
 *
 * Every line is an event, also an empty or binary one: the caller promises
 * one output object per input line. The basic and enhanced codes are the
 * first ones found in the text (rs_smtpreply_find), or an enhanced code
 * alone at the start ("5.7.1 Access denied"); the status follows the basic
 * code: 2xx SENT, 5xx BOUNCED, 4xx, 3xx and no code DEFERRED. The stage is
 * what the text proves (rs_smtpreply_stage_in_text), else unknown.
 *
 * Pasted Postfix fragments keep their wrapper; the remote host is read
 * from it and, when a reply code follows, reply_text is the reply alone:
 *   "host X[ip] said: <reply>"          -> reply after "said: "
 *   (not when a reply code comes before the wrapper: the wrapper is then
 *   quoted inside that reply, as in Postfix's "Sender address rejected:
 *   unverified address: host X[ip] said: ...")
 *   "[host X[ip]] refused to talk to me: <reply>" -> reply after "me: "
 *   "SASL authentication failed; server X[ip] said: <reply>"
 *   "connect to X[ip]:port: <error>"    -> host, ip and port, text kept
 *   "SSL_connect error to X[ip]:port", "certificate verification failed
 *   for X[ip]:port" (the same)
 *   "lost connection with X[ip] ...", "conversation with X[ip] ..."
 * Lead-ins that bounce writers put before a remote reply are peeled off
 * when a reply code follows them (peel_lead), so that the rules and the
 * word step see the reply as they see it bare: "Diagnostic-Code: smtp;"
 * (RFC 3464), "Remote Server returned '...'" (Exchange), "The response
 * from the remote server was:" (Gmail), quotes around the whole text, and
 * Exim's "SMTP error from remote mail server after CMD: " (exim_lead).
 *
 * Ownership: slices point into the line; nothing is allocated.
 * @locality any thread; stateless.
 * Hazards: the line may hold NUL bytes, invalid UTF-8 or a megabyte of
 * text; everything is bounded by its length and linear in it.
 */
#include "formats/reply.h"

#include "formats/fields.h"
#include "formats/smtpreply.h"
#include "util/str.h"

/* Longest "[...]" read as an address: IPv6 with a zone, or a socket. */
#define IP_MAX 64

#define LIT_LEN(s) (sizeof(s) - 1)

/* What a Postfix wrapper is followed by. */
enum wrapper_kind {
	WRAP_REPLY, /* the remote reply */
	WRAP_PORT,  /* ":port: <error>" */
	WRAP_HOST,  /* free text; only the host is read */
};

/* A Postfix wrapper: "<before>X[ip]<after>". */
struct wrapper {
	const char *before;
	const char *after;
	enum wrapper_kind kind;
};

/* Wrappers whose host is worth reading, in order of preference. */
static const struct wrapper wrappers[] = {
    {"host ", " said: ", WRAP_REPLY},
    {"host ", " refused to talk to me: ", WRAP_REPLY},
    {"server ", " said: ", WRAP_REPLY},
    {"connect to ", ":", WRAP_PORT},
    {"SSL_connect error to ", ":", WRAP_PORT},
    {"certificate verification failed for ", ":", WRAP_PORT},
    {"lost connection with ", " ", WRAP_HOST},
    {"conversation with ", " ", WRAP_HOST},
};

/*
 * Find "<before>X[ip]<after>" in [p, e); fill host and ip and return the
 * byte after <after>, or NULL.
 */
static const char *find_wrapper(const char *p, const char *e,
                                const struct wrapper *w, rs_record_t *rec)
{
	size_t bl = strlen(w->before), al = strlen(w->after);

	for (const char *s = p; s < e;) {
		const char *hit = rs_str_find(s, (size_t)(e - s), w->before);
		const char *name, *open, *close;

		if (hit == NULL) {
			return NULL;
		}
		s = hit + 1;
		name = hit + bl;
		open = name;
		while (open < e && *open != '[' && *open != ' ') {
			open++;
		}
		if (open == name || open >= e || *open != '[') {
			continue;
		}
		close = memchr(open, ']',
		               (size_t)(e - open) < IP_MAX ? (size_t)(e - open)
		                                           : IP_MAX);
		if (close == NULL || close == open + 1 ||
		    memchr(open, ' ', (size_t)(close - open)) != NULL ||
		    (size_t)(e - close - 1) < al ||
		    memcmp(close + 1, w->after, al) != 0) {
			continue;
		}
		rec->remote_host = rs_str(name, (size_t)(open - name));
		rec->remote_ip = rs_str(open + 1, (size_t)(close - open - 1));
		return close + 1 + al;
	}
	return NULL;
}

/* Read the host out of a pasted Postfix wrapper; the reply part or NULL. */
static const char *read_wrapper(const char *p, const char *e, rs_record_t *rec)
{
	static const char me[] = "refused to talk to me: ";
	const char *hit;

	for (size_t i = 0; i < sizeof(wrappers) / sizeof(wrappers[0]); i++) {
		const char *after = find_wrapper(p, e, &wrappers[i], rec);

		if (after == NULL) {
			continue;
		}
		switch (wrappers[i].kind) {
		case WRAP_REPLY:
			return after;
		case WRAP_PORT:
			rec->remote_port =
			    rs_fields_port_prefix(after, (size_t)(e - after));
			return NULL;
		case WRAP_HOST:
			return NULL;
		}
	}
	/* "refused to talk to me: 421 ..." pasted without the host. */
	hit = rs_str_find(p, (size_t)(e - p), me);
	return hit != NULL ? hit + sizeof(me) - 1 : NULL;
}

/* Case-insensitive: does [p, e) start with lit (lower case)? */
static int istarts(const char *p, const char *e, const char *lit)
{
	size_t l = strlen(lit);

	if ((size_t)(e - p) < l) {
		return 0;
	}
	for (size_t i = 0; i < l; i++) {
		if (rs_str_lower((unsigned char)p[i]) !=
		    (unsigned char)lit[i]) {
			return 0;
		}
	}
	return 1;
}

static const char *skip_blanks(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t')) {
		p++;
	}
	return p;
}

/*
 * Peel one lead-in that bounce writers put before a remote reply off
 * [*p, *e), when a reply code follows it; 1 when one was peeled:
 *   "Diagnostic-Code: smtp; <reply>"  (RFC 3464 section 2.3.6; also the
 *                                      bare "smtp; <reply>")
 *   "Remote Server returned '<reply>'" (Exchange's NDR; inside it,
 *                                      "<host #X.Y.Z smtp; <reply>>")
 *   "The response from the remote server was: <reply>" (Gmail's bounce)
 *   "\"<reply>\"", "'<reply>'"        (the whole reply quoted)
 */
static int peel_lead(const char **pp, const char **ep, int depth)
{
	const char *p = skip_blanks(*pp, *ep), *e = *ep, *q = NULL;
	int closing = 0, angle = 0;

	while (e > p && (e[-1] == ' ' || e[-1] == '\t')) {
		e--;
	}
	if (istarts(p, e, "diagnostic-code:")) {
		q = skip_blanks(p + LIT_LEN("diagnostic-code:"), e);
		if (!istarts(q, e, "smtp;")) {
			return 0;
		}
		q = skip_blanks(q + LIT_LEN("smtp;"), e);
	} else if (istarts(p, e, "smtp;")) {
		q = skip_blanks(p + LIT_LEN("smtp;"), e);
	} else if (istarts(p, e, "remote server returned '")) {
		q = p + LIT_LEN("remote server returned '");
		closing = '\'';
		/* "<mx.example #5.4.14 smtp; 554 5.4.14 ...>" */
		if (q < e && *q == '<') {
			const char *s =
			    rs_str_ifind(q, (size_t)(e - q), " smtp;");
			const char *gt = memchr(q, '>', (size_t)(e - q));
			if (s != NULL &&
			    memchr(q, '#', (size_t)(s - q)) != NULL &&
			    (gt == NULL || gt > s)) {
				q = skip_blanks(s + LIT_LEN(" smtp;"), e);
				angle = 1;
			}
		}
	} else if (istarts(p, e, "the response from the remote server was:")) {
		q = skip_blanks(p + LIT_LEN("the response from the remote "
		                            "server was:"),
		                e);
	} else if (e - p >= 2 && (*p == '"' || *p == '\'') && e[-1] == *p) {
		q = p + 1;
		e--;
	}
	if (q == NULL) {
		return 0;
	}
	if (closing && e > q && e[-1] == closing) {
		e--;
	}
	if (angle && e > q && e[-1] == '>') {
		e--; /* the close of Exchange's "<host #... smtp; ...>" */
	}
	if (rs_smtpreply_codes(q, (size_t)(e - q), NULL) == 0) {
		/* A quoted lead-in: "'Diagnostic-Code: smtp; 550 ...'". */
		if (q == p + 1 && depth < 3 && peel_lead(&q, &e, depth + 1)) {
			*pp = q;
			*ep = e;
			return 1;
		}
		return 0;
	}
	*pp = q;
	*ep = e;
	return 1;
}

/*
 * Exim's "SMTP error from remote mail server after <command>: <reply>", as
 * its bounce message writes it under "host H [ip]" (the lines joined,
 * dev-r14.tsv line 24) and as Exim logged it in 2012 with the host after
 * the command ("... after RCPT TO:<a@b>: host H [ip]: 450 ...",
 * tests/fixtures/exim/exim-2012.log); "remote mailer" before Exim 4.50:
 * the reply after the first ": " that a reply code follows.
 * NULL when there is none, or when a reply code comes before the wrapper
 * (the wrapper is then quoted inside that reply).
 */
static const char *exim_lead(const char *p, const char *e)
{
	static const char *const leads[] = {
	    "SMTP error from remote mail server after ",
	    "SMTP error from remote mailer after ",
	};

	for (size_t i = 0; i < sizeof(leads) / sizeof(leads[0]); i++) {
		const char *hit = rs_str_find(p, (size_t)(e - p), leads[i]);
		const char *q;

		if (hit == NULL || rs_smtpreply_find(p, (size_t)(hit - p), NULL,
		                                     NULL) != NULL) {
			continue;
		}
		q = hit + strlen(leads[i]);
		while ((q = memchr(q, ':', (size_t)(e - q))) != NULL) {
			q++;
			if (q < e && *q == ' ') {
				const char *r = skip_blanks(q, e);

				if (rs_smtpreply_codes(r, (size_t)(e - r),
				                       NULL) != 0) {
					return r;
				}
			}
		}
	}
	return NULL;
}

/* Append code point c as UTF-8 at *o. */
static void put_utf8(char **o, unsigned long c)
{
	char *w = *o;

	if (c < 0x80) {
		*w++ = (char)c;
	} else if (c < 0x800) {
		*w++ = (char)(0xC0 | (c >> 6));
		*w++ = (char)(0x80 | (c & 0x3F));
	} else if (c < 0x10000) {
		*w++ = (char)(0xE0 | (c >> 12));
		*w++ = (char)(0x80 | ((c >> 6) & 0x3F));
		*w++ = (char)(0x80 | (c & 0x3F));
	} else {
		*w++ = (char)(0xF0 | (c >> 18));
		*w++ = (char)(0x80 | ((c >> 12) & 0x3F));
		*w++ = (char)(0x80 | ((c >> 6) & 0x3F));
		*w++ = (char)(0x80 | (c & 0x3F));
	}
	*o = w;
}

static int hexval(int c)
{
	return c >= '0' && c <= '9'   ? c - '0'
	       : c >= 'a' && c <= 'f' ? c - 'a' + 10
	       : c >= 'A' && c <= 'F' ? c - 'A' + 10
	                              : -1;
}

/* n hex digits at p (bounded by e) as a number; -1 when not hex. */
static long hexnum(const char *p, const char *e, int n)
{
	long v = 0;

	if (e - p < n) {
		return -1;
	}
	for (int i = 0; i < n; i++) {
		int h = hexval((unsigned char)p[i]);
		if (h < 0) {
			return -1;
		}
		v = v * 16 + h;
	}
	return v;
}

/*
 * The string literal that starts at p (after its opening quote q), up to
 * the unescaped closing q, decoded into rec's arena: JSON's escapes
 * (python = 0) or a Python bytes literal's (python = 1); a newline
 * escape becomes a space, as Postfix joins a multi-line reply. *endp is
 * set to the closing quote. RS_STR_NULL when the arena is full or the
 * literal does not close.
 */
static rs_str_t decode_literal(rs_record_t *rec, const char *p, const char *e,
                               char q, int python, const char **endp)
{
	const char *s = p;
	char *buf, *o;

	while (s < e && *s != q) {
		s += *s == '\\' && s + 1 < e ? 2 : 1;
	}
	if (s >= e) {
		return RS_STR_NULL;
	}
	*endp = s;
	/* a decoded escape is never longer than its source */
	buf = rs_record_arena_alloc(rec, (size_t)(s - p) + 1);
	if (buf == NULL) {
		return RS_STR_NULL;
	}
	o = buf;
	for (const char *r = p; r < s;) {
		long v;

		if (*r != '\\' || r + 1 >= s) {
			*o++ = *r++;
			continue;
		}
		r++;
		switch (*r) {
		case 'n':
		case 'r':
		case 't':
			*o++ = ' ';
			r++;
			break;
		case 'u':
			v = python ? -1 : hexnum(r + 1, s, 4);
			if (v < 0) {
				*o++ = '\\';
				break;
			}
			r += 5;
			if (v >= 0xD800 && v < 0xDC00 && s - r >= 6 &&
			    r[0] == '\\' && r[1] == 'u') {
				long lo = hexnum(r + 2, s, 4);
				if (lo >= 0xDC00 && lo < 0xE000) {
					v = 0x10000 + ((v - 0xD800) << 10) +
					    (lo - 0xDC00);
					r += 6;
				}
			}
			/* a lone surrogate: U+FFFD (3 bytes, 6 of source) */
			put_utf8(&o, v >= 0xD800 && v < 0xE000
			                 ? 0xFFFDul
			                 : (unsigned long)v);
			break;
		case 'x':
			v = python ? hexnum(r + 1, s, 2) : -1;
			if (v < 0) {
				*o++ = '\\';
				break;
			}
			*o++ = (char)v;
			r += 3;
			break;
		default: /* \" \' \\ \/ and the rest: the character */
			*o++ = *r++;
			break;
		}
	}
	return rs_str(buf, (size_t)(o - buf));
}

/*
 * Lead-ins of bounce writers, ESPs' event JSON and mail clients that quote
 * a remote reply after a fixed marker, with what they write after it
 * (tail, cut when the text ends with it; NULL: nothing). The sources are
 * cited in tests/variants.py (variants34) and tests/test_reply.c.
 */
struct marker {
	const char *lead; /* the reply follows it */
	const char *tail; /* cut from here to the end, when found after */
	int last;         /* the last occurrence of lead, not the first */
	int json;         /* lead is a JSON key: the reply is its string */
	int stage;        /* what names the stage before lead (STAGE_*) */
};

enum {
	STAGE_NONE,  /* nothing */
	STAGE_QMAIL, /* qmail-remote's words (rs_smtpreply_stage_of_failure) */
	STAGE_SENT,  /* the command after "sent: " / the last ">>> " */
	STAGE_RCPT,  /* the wrapper is written for RCPT TO only */
};

static const struct marker markers[] = {
    /* qmail-remote outsmtptext(); "Giving up on IP." after it */
    {"Remote host said: ", " Giving up on ", 0, 0, STAGE_QMAIL},
    /* hMailServer SMTPClientConnection.cpp */
    {"Remote server replied: ", NULL, 0, 0, STAGE_SENT},
    /* sendmail's session transcript: "<<< " before each 4xx/5xx line */
    {"<<< ", NULL, 1, 0, STAGE_SENT},
    /* Thunderbird composeMsgs.properties */
    {"The mail server responded: ", ". Please ", 0, 0, STAGE_NONE},
    /* Nodemailer smtp-connection */
    {"Can't send mail - all recipients were rejected: ", NULL, 0, 0,
     STAGE_RCPT},
    /* JavaMail SMTPTransport's exceptions */
    {"SMTPAddressFailedException: ", NULL, 0, 0, STAGE_RCPT},
    {"SMTPSendFailedException: ", NULL, 0, 0, STAGE_NONE},
    /* ESP event JSON: SES, Postmark, SendGrid, SparkPost */
    {"\"diagnosticCode\"", NULL, 0, 1, STAGE_NONE},
    {"\"Details\"", NULL, 0, 1, STAGE_NONE},
    {"\"reason\"", NULL, 0, 1, STAGE_NONE},
    {"\"raw_reason\"", NULL, 0, 1, STAGE_NONE},
};

/* The stage the words before a marker name, else RS_STAGE_UNKNOWN. */
static rs_stage_t marker_stage(const struct marker *m, const char *p,
                               const char *hit)
{
	const char *c;

	switch (m->stage) {
	case STAGE_QMAIL:
		return rs_smtpreply_stage_of_failure(p, (size_t)(hit - p));
	case STAGE_SENT:
		c = rs_str_rfind(p, (size_t)(hit - p), ">>> ");
		if (c == NULL) {
			c = rs_str_rfind(p, (size_t)(hit - p), " sent: ");
			c = c != NULL ? c + 3 : NULL;
		}
		return c != NULL ? rs_smtpreply_stage_of_command(
				       c + 4, (size_t)(hit - c - 4))
		                 : RS_STAGE_UNKNOWN;
	case STAGE_RCPT:
		return RS_STAGE_RCPT_TO;
	default:
		return RS_STAGE_UNKNOWN;
	}
}

/*
 * The reply after a marker, when a reply code (after an optional "smtp;")
 * follows it and none comes before it; *ep is moved back over the
 * marker's tail or the JSON string's close. NULL when no marker fits.
 */
static const char *marker_lead(const char *p, const char *e, const char **ep,
                               rs_stage_t *stage, rs_record_t *rec)
{
	for (size_t i = 0; i < sizeof(markers) / sizeof(markers[0]); i++) {
		const struct marker *m = &markers[i];
		const char *hit =
		    m->last ? rs_str_rfind(p, (size_t)(e - p), m->lead)
			    : rs_str_find(p, (size_t)(e - p), m->lead);
		const char *q, *end = e;

		if (hit == NULL || rs_smtpreply_find(p, (size_t)(hit - p), NULL,
		                                     NULL) != NULL) {
			continue;
		}
		q = hit + strlen(m->lead);
		if (m->json) {
			const char *close = NULL;
			rs_str_t v;

			/* "key": "value", blanks around the colon */
			q = skip_blanks(q, e);
			if (q >= e || *q != ':') {
				continue;
			}
			q = skip_blanks(q + 1, e);
			if (q >= e || *q != '"') {
				continue;
			}
			v = decode_literal(rec, q + 1, e, '"', 0, &close);

			if (v.p == NULL) {
				continue;
			}
			q = v.p;
			end = v.p + v.n;
		} else if (m->tail != NULL) {
			const char *t =
			    rs_str_rfind(q, (size_t)(e - q), m->tail);

			if (t != NULL) {
				end = t;
			}
		}
		if (istarts(q, end, "smtp;")) {
			q = skip_blanks(q + LIT_LEN("smtp;"), end);
		}
		if (rs_smtpreply_codes(q, (size_t)(end - q), NULL) != 0 ||
		    rs_smtpreply_enhanced_len(q, (size_t)(end - q)) > 0) {
			*ep = end;
			*stage = marker_stage(m, p, hit);
			return q;
		}
	}
	return NULL;
}

/*
 * Replies whose basic code the writer keeps apart from the text, rebuilt
 * as "<code> <text>" in rec's arena (*ep: its end; *stage: the command
 * the wrapper names):
 *   Mailgun's event JSON: "delivery-status": {"code": 550, "message":
 *   "5.1.1 ..."} (the message without the code, or with it);
 *   Python smtplib's SMTPRecipientsRefused as printed:
 *   "{'a@b': (550, b'5.1.1 ...')}" (RCPT TO).
 */
static const char *split_lead(const char *p, const char *e, const char **ep,
                              rs_stage_t *stage, rs_record_t *rec)
{
	const char *ds = rs_str_find(p, (size_t)(e - p), "\"delivery-status\"");
	const char *c = NULL, *t = NULL, *close = NULL;
	rs_str_t v = RS_STR_NULL;
	int python = 0;
	char *buf;

	if (ds != NULL) {
		const char *mc = rs_str_find(ds, (size_t)(e - ds), "\"code\":");
		const char *mm =
		    rs_str_find(ds, (size_t)(e - ds), "\"message\":\"");
		if (mc == NULL || mm == NULL) {
			return NULL;
		}
		c = skip_blanks(mc + LIT_LEN("\"code\":"), e);
		t = mm + LIT_LEN("\"message\":\"");
		v = decode_literal(rec, t, e, '"', 0, &close);
	} else {
		const char *x =
		    rs_str_find(p, (size_t)(e - p), "SMTPRecipientsRefused");
		const char *b;

		/* the exception's name, or its argument alone: "{'a@b': (" */
		if (x == NULL) {
			x = skip_blanks(p, e);
			if (e - x < 2 || x[0] != '{' || x[1] != '\'') {
				return NULL;
			}
		}
		c = rs_str_find(x, (size_t)(e - x), "': (");
		if (c == NULL) {
			return NULL;
		}
		c += LIT_LEN("': (");
		b = c;
		while (b < e && *b >= '0' && *b <= '9') {
			b++;
		}
		if (e - b < 3 || b[0] != ',' || b[1] != ' ') {
			return NULL;
		}
		b += 2;
		if (*b == 'b' || *b == 'u') {
			b++; /* Python 3's bytes, Python 2's unicode */
		}
		if (b >= e || (*b != '\'' && *b != '"')) {
			return NULL;
		}
		python = 1;
		v = decode_literal(rec, b + 1, e, *b, 1, &close);
	}
	if (v.p == NULL || e - c < 3 || c[0] < '2' || c[0] > '5' ||
	    c[1] < '0' || c[1] > '9' || c[2] < '0' || c[2] > '9' ||
	    (e - c > 3 && c[3] >= '0' && c[3] <= '9')) {
		return NULL;
	}
	if (rs_smtpreply_codes(v.p, v.n, NULL) != 0 && v.n >= 3 &&
	    memcmp(v.p, c, 3) == 0) {
		*ep = v.p + v.n; /* the message carries its code */
		*stage = python ? RS_STAGE_RCPT_TO : RS_STAGE_UNKNOWN;
		return v.p;
	}
	buf = rs_record_arena_alloc(rec, v.n + 4);
	if (buf == NULL) {
		return NULL;
	}
	memcpy(buf, c, 3);
	buf[3] = ' ';
	memcpy(buf + 4, v.p, v.n);
	*ep = buf + 4 + v.n;
	*stage = python ? RS_STAGE_RCPT_TO : RS_STAGE_UNKNOWN;
	return buf;
}

/*
 * Exchange 2007's NDR line "<addr> #<reply> ##" (dev-r12.tsv line 97):
 * the reply between " #" (or a leading "#") and the closing " ##", when
 * only an address comes before it.
 */
static const char *exchange_hash(const char *p, const char *e, const char **ep)
{
	const char *q = skip_blanks(p, e), *h;

	while (e > q && (e[-1] == ' ' || e[-1] == '\t')) {
		e--;
	}
	if (!rs_str_ends(q, (size_t)(e - q), " ##")) {
		return NULL;
	}
	h = memchr(q, '#', (size_t)(e - q));
	if (h == NULL || (h > q && (memchr(q, ' ', (size_t)(h - q)) != h - 1 ||
	                            memchr(q, '@', (size_t)(h - q)) == NULL))) {
		return NULL;
	}
	/* the reply between "#" and " ##": "a@b ##" has none */
	if (h + 1 >= e - 3 ||
	    rs_smtpreply_codes(h + 1, (size_t)(e - 3 - h - 1), NULL) == 0) {
		return NULL;
	}
	*ep = e - 3;
	return h + 1;
}

/*
 * PHPMailer's ErrorInfo, which puts its own words between its marker and
 * the reply and the codes after it: "SMTP Error: data not accepted. SMTP
 * server error: DATA END command failed Detail: <detail> SMTP code: <code>
 * Additional SMTP info: <x.y.z>" (PHPMailer/PHPMailer at
 * 4a489474e7ef8bbf03c1cb219d8939ea76a7fb40: src/PHPMailer.php setError
 * and its smtp_error, smtp_detail, smtp_code, smtp_code_ex strings;
 * src/SMTP.php sendCommand cuts the codes off each line of the reply into
 * the detail), rebuilt as "<code> [<x.y.z> ]<detail>" in rec's arena
 * (*ep: its end; *stage: the command named before "command failed").
 * NULL when the frame is not whole or a reply code comes before it.
 */
static const char *phpmailer_lead(const char *p, const char *e, const char **ep,
                                  rs_stage_t *stage, rs_record_t *rec)
{
	static const char lead[] = "SMTP server error: ";
	static const char det[] = " command failed Detail: ";
	static const char sc[] = " SMTP code: ";
	static const char ex[] = " Additional SMTP info: ";
	static const struct {
		const char *name;
		rs_stage_t stage;
	} cmds[] = {
	    {"DATA END", RS_STAGE_END_OF_DATA},
	    {"RCPT TO", RS_STAGE_RCPT_TO},
	    {"MAIL FROM", RS_STAGE_MAIL_FROM},
	    {"DATA", RS_STAGE_DATA},
	};
	const char *hit, *cmd, *d, *c, *x = NULL, *dp, *de;
	size_t xlen = 0;
	char *buf, *w;

	while (e > p && (e[-1] == ' ' || e[-1] == '\t')) {
		e--;
	}
	hit = rs_str_find(p, (size_t)(e - p), lead);
	if (hit == NULL ||
	    rs_smtpreply_find(p, (size_t)(hit - p), NULL, NULL) != NULL) {
		return NULL;
	}
	cmd = hit + LIT_LEN(lead);
	d = rs_str_find(cmd, (size_t)(e - cmd), det);
	if (d == NULL) {
		return NULL;
	}
	dp = d + LIT_LEN(det);
	c = rs_str_rfind(dp, (size_t)(e - dp), sc);
	if (c == NULL) {
		return NULL;
	}
	c += LIT_LEN(sc);
	if (e - c < 3 || c[0] < '2' || c[0] > '5' || c[1] < '0' || c[1] > '9' ||
	    c[2] < '0' || c[2] > '9') {
		return NULL;
	}
	if (c + 3 < e) {
		if ((size_t)(e - (c + 3)) <= LIT_LEN(ex) ||
		    memcmp(c + 3, ex, LIT_LEN(ex)) != 0) {
			return NULL;
		}
		x = c + 3 + LIT_LEN(ex);
		xlen = rs_smtpreply_enhanced_len(x, (size_t)(e - x));
		if (xlen == 0 || x + xlen != e) {
			return NULL;
		}
	}
	de = c - LIT_LEN(sc);
	while (de > dp && (de[-1] == ' ' || de[-1] == '\t' || de[-1] == '\r' ||
	                   de[-1] == '\n')) {
		de--;
	}
	buf = rs_record_arena_alloc(rec, 4 + xlen + 1 + (size_t)(de - dp));
	if (buf == NULL) {
		return NULL;
	}
	w = buf;
	memcpy(w, c, 3);
	w += 3;
	*w++ = ' ';
	if (xlen > 0) {
		memcpy(w, x, xlen);
		w += xlen;
		*w++ = ' ';
	}
	memcpy(w, dp, (size_t)(de - dp));
	w += de - dp;
	*stage = RS_STAGE_UNKNOWN;
	for (size_t i = 0; i < sizeof(cmds) / sizeof(cmds[0]); i++) {
		size_t n = strlen(cmds[i].name);

		if ((size_t)(d - cmd) == n &&
		    memcmp(cmd, cmds[i].name, n) == 0) {
			*stage = cmds[i].stage;
			break;
		}
	}
	*ep = w;
	return buf;
}

/*
 * Exchange / Office 365's NDR block for administrators, its lines joined:
 * "Diagnostic information for administrators: Generating server: H <addr>
 * Remote Server returned '<reply>' Original message headers: ..." (the
 * Microsoft support article on 5.7.133 RESOLVER.RST.SenderNotAuthenticated-
 * ForGroup, MicrosoftDocs/SupportArticles-docs, code index file id
 * 56699105176): the "Remote Server returned '...'" lead-in, when no reply
 * code comes before it, up to its closing quote at the end of the line or
 * before "Original message headers:"; peel_lead then takes the reply out.
 * NULL when there is none.
 */
static const char *exchange_diag(const char *p, const char *e, const char **ep)
{
	static const char lead[] = "remote server returned '";
	static const char tail[] = "original message headers:";
	const char *hit = rs_str_ifind(p, (size_t)(e - p), lead);
	const char *q;

	if (hit == NULL ||
	    rs_smtpreply_find(p, (size_t)(hit - p), NULL, NULL) != NULL) {
		return NULL;
	}
	q = hit + LIT_LEN(lead);
	while ((q = memchr(q, '\'', (size_t)(e - q))) != NULL) {
		const char *r = skip_blanks(q + 1, e);

		if (r == e || istarts(r, e, tail)) {
			*ep = q + 1;
			return hit;
		}
		q++;
	}
	return NULL;
}

/* One pasted reply per line; every line is an event. */
static rs_parse_result_t reply_parse(rs_logline_t *ll, rs_record_t *rec,
                                     const char **why)
{
	static const char empty[1] = "";
	const char *line = ll->p, *e, *reply;
	size_t len = ll->n;
	rs_stage_t wrapped_stage = RS_STAGE_UNKNOWN;
	const char *whole;
	size_t whole_len;
	uint32_t code = 0;

	if (line == NULL) {
		line = empty;
		len = 0;
	}
	while (len > 0 && (line[len - 1] == '\r' || line[len - 1] == '\n')) {
		len--;
	}
	e = line + len;
	whole = line;
	whole_len = len;
	rec->mta = RS_MTA_REPLY;
	/*
	 * An ESP's event JSON: the reply in its field is the text; a
	 * wrapper quoted inside that reply is the reply's own.
	 */
	if (skip_blanks(line, e) < e && *skip_blanks(line, e) == '{') {
		const char *je = e;
		const char *j = split_lead(line, e, &je, &wrapped_stage, rec);

		if (j == NULL) {
			je = e;
			j = marker_lead(line, e, &je, &wrapped_stage, rec);
		}
		if (j != NULL) {
			line = j;
			e = je;
			len = (size_t)(e - line);
		}
	}
	rec->reply_text = rs_str(line, len);
	reply = read_wrapper(line, e, rec);
	/*
	 * A reply code before the wrapper: the wrapper is quoted inside that
	 * reply (Postfix reject_unverified_sender "450 4.1.7 <a@b>: Sender
	 * address rejected: unverified address: host X[ip] said: 550 ..."),
	 * so the outer reply is the one to classify, and X is the probed host
	 * of the sender's domain, not the receiver.
	 */
	if (reply != NULL && rs_smtpreply_find(line, (size_t)(reply - line),
	                                       &code, NULL) != NULL) {
		reply = NULL;
		rec->remote_host = RS_STR_NULL;
		rec->remote_ip = RS_STR_NULL;
	}
	code = 0;
	if (reply != NULL &&
	    rs_smtpreply_codes(reply, (size_t)(e - reply), NULL) != 0) {
		rec->reply_text = rs_str(reply, (size_t)(e - reply));
	}
	if (reply == NULL) {
		const char *lp = line, *le = e;
		const char *ex = exim_lead(line, e);
		int peeled = 0;

		if (ex == NULL) {
			ex = marker_lead(line, e, &le, &wrapped_stage, rec);
		}
		if (ex == NULL) {
			ex = exchange_hash(line, e, &le);
		}
		if (ex == NULL) {
			ex = split_lead(line, e, &le, &wrapped_stage, rec);
		}
		if (ex == NULL) {
			ex = phpmailer_lead(line, e, &le, &wrapped_stage, rec);
		}
		if (ex != NULL) {
			lp = ex;
			peeled = 1;
		} else if ((ex = exchange_diag(line, e, &le)) != NULL) {
			lp = ex; /* peel_lead takes "Remote Server returned" */
		}

		while (peeled < 4 && peel_lead(&lp, &le, 0)) {
			peeled++;
		}
		if (peeled > 0) {
			rec->reply_text = rs_str(lp, (size_t)(le - lp));
		}
	}
	/*
	 * Postfix's "(in reply to CMD command)" after a reply names the stage
	 * (read from the whole line below), not the reply: cut it, as the
	 * Postfix log parser does (postfix.c read_status_text), so that a
	 * pasted fragment is matched as the same reply in a log line is.
	 */
	if (rs_smtpreply_codes(rec->reply_text.p, rec->reply_text.n, NULL) !=
	    0) {
		rs_str_t r = rs_str_trim(rec->reply_text);
		const char *w = rs_str_rfind(r.p, r.n, " (in reply to ");

		if (w != NULL && r.p[r.n - 1] == ')' &&
		    rs_str_ends(r.p, r.n - 1, " command") &&
		    memchr(w + 2, '(', (size_t)(r.p + r.n - w - 2)) == NULL) {
			rec->reply_text = rs_str(r.p, (size_t)(w - r.p));
		}
	}
	if (rs_smtpreply_find(rec->reply_text.p, rec->reply_text.n, &code,
	                      &rec->enhanced_code) == NULL) {
		/* "5.7.1 Access denied": an enhanced code without a basic one.
		 */
		size_t elen = rs_smtpreply_enhanced_len(rec->reply_text.p,
		                                        rec->reply_text.n);
		code = 0;
		rec->enhanced_code =
		    elen > 0 ? rs_str(rec->reply_text.p, elen) : RS_STR_NULL;
	}
	rec->reply_code = code;
	/* 3xx is no outcome yet: like no code, the mail is still queued. */
	if (code >= 500) {
		rec->status = RS_STATUS_BOUNCED;
	} else if (code >= 200 && code < 300) {
		rec->status = RS_STATUS_SENT;
	} else {
		rec->status = RS_STATUS_DEFERRED;
	}
	rec->stage = rs_smtpreply_stage_in_text(whole, whole_len);
	/* The command a wrapper names before the reply (qmail's "does not
	 * like recipient.", hMailServer's "hMailServer sent: RCPT TO:<a>",
	 * sendmail's ">>> RCPT To:<a>", a client's RCPT-only report). */
	if (rec->stage == RS_STAGE_UNKNOWN) {
		rec->stage = wrapped_stage;
	}
	(void)why;
	return RS_PARSE_EVENT;
}

const rs_format_t rs_reply_format = {
    .name = "reply",
    .summary = "one bare SMTP reply per line; every line is an event",
    .flags = RS_FORMAT_REPLY_PER_LINE | RS_FORMAT_EXPLICIT_ONLY,
    .mta = RS_MTA_REPLY,
    .detect = NULL,
    .parse = reply_parse,
};
