/* SPDX-License-Identifier: Apache-2.0 */
/*
 * qmail.c - qmail-send delivery results to records.
 *
 * qmail-send writes no time stamp of its own; the logger adds one: a
 * TAI64N label ("@4000000038c3eeb104a13804 ", multilog), its tai64nlocal
 * form ("2013-06-22 14:19:30.670252500 ", local time, read as UTC), Unix
 * seconds with a fraction ("1054189746.373645 ", accustamp, splogger), or
 * a syslog prefix with the tag "qmail" (splogger, "qmail: " then Unix
 * seconds). Lines without a stamp are read too.
 *
 * Lines (notqmail qmail-send.c):
 *   starting delivery D: msg M to local|remote R
 *   delivery D: success: <report>     -> SENT
 *   delivery D: deferral: <report>    -> DEFERRED
 *   delivery D: failure: <report>     -> BOUNCED
 *   delivery D: report mangled, will defer -> DEFERRED
 * Every other qmail-send line (new msg, info msg, status:, bounce msg,
 * end msg, warning:, alert:) and "starting delivery" itself is SKIPPED.
 * A line that has no qmail shape at all is MALFORMED.
 *
 * The recipient and the message. A result line names only its delivery
 * number D; "starting delivery D: msg M to remote R" before it names the
 * recipient R and the message M. The prescan (on the pipeline's source
 * thread, in input order) remembers each started delivery and hands its
 * R and M to the result line as side data; the result line then gives
 * recipient R and queue_id M. Open deliveries are kept per input (file or
 * Kafka partition) and log host, at most RS_QMAIL_MAX_OPEN of them; the
 * oldest is forgotten first. A result without its start line in the
 * stream (cut off, or forgotten) is an event without a recipient.
 *
 * The report (its first 8 KiB; the event keeps 1 KiB of the reply). qmail-send
 * makes the report safe for the log: every byte below 33 or above 126 (and '%')
 * becomes '_', and each line break '/'. So "_" is read as a space (an
 * underscore of the original text is lost), and '/' as the end of a report
 * line. qmail-remote's reports are fixed phrases around the remote reply:
 * "<ip>_does_not_like_recipient./
 * Remote_host_said:_550_.../Giving_up_on_<ip>./". The reply is the lines
 * after "Remote host said: " that start with a reply code, joined by a
 * space (as Postfix logs multi-line replies); it is reply_text, with its
 * code. A report without a remote reply ("Sorry, I wasn't able to
 * establish an SMTP connection. (#4.4.1)") is reply_text itself, its
 * "#x.y.z" the enhanced code. The leading "<ip>_" of a remote report is
 * remote_ip; a report that starts "(<rcpt>)_<ip>_" (a patched
 * qmail-remote, seen in a 2004 log) gives remote_ip after it, and the
 * recipient when the start line did not. The stage comes from qmail-remote's
 * phrases through the shared table (rs_smtpreply_stage_of_failure: "does not
 * like recipient" is rcpt_to, "failed after I sent the message" end_of_data,
 * ...).
 *
 * Ownership: slices point into the line, the batch's side data (R, M) or
 * the record arena (the decoded report). @locality parse: any thread,
 * stateless; the prescan state: the source thread only.
 */
#include "formats/qmail.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/fields.h"
#include "formats/smtpreply.h"
#include "formats/syslog.h"
#include "util/num.h"
#include "util/str.h"

#define LIT_LEN(s) (sizeof(s) - 1)

/* Longest recipient, message number and log host kept per delivery. */
#define RCPT_MAX 320
#define MSG_MAX 20
#define HOST_MAX 64

/* Bytes of a report decoded; the event keeps 1024 of the reply anyway. */
#define REPORT_MAX 8192

/* Hash buckets of the open-delivery map (a power of two). */
#define BUCKETS (2 * RS_QMAIL_MAX_OPEN)

/* ---------------------------------------------------------------------
 * Line shape.
 * ------------------------------------------------------------------- */

/* A qmail line split: its stamp and the qmail-send text after it. */
typedef struct qline {
	rs_str_t time;
	int64_t time_ms;
	rs_str_t host;    /* syslog host, absent without syslog */
	rs_str_t program; /* "qmail" of splogger */
	rs_str_t body;
} qline_t;

/* "YYYY-MM-DD HH:MM:SS.n..." (tai64nlocal): its length, 0 if none. */
static size_t local_stamp(const char *p, size_t n, int64_t *ms)
{
	size_t used;

	if (n < 21 || p[4] != '-' || p[10] != ' ' || p[19] != '.') {
		return 0;
	}
	used = rs_syslog_parse_iso(p, n, ms);
	return used > 20 ? used : 0;
}

/* "1054189746.123136" (Unix seconds with a fraction): its length. */
static size_t unix_stamp(const char *p, size_t n, int64_t *ms)
{
	size_t i = 0, dot = 0;

	while (i < n && i < 32 && (rs_str_isdigit(p[i]) || p[i] == '.')) {
		if (p[i] == '.' && dot == 0) {
			dot = i;
		}
		i++;
	}
	/* At least 9 digits of seconds (2001 on), a fraction after. */
	if (dot < 9 || dot + 1 >= i || i >= n || p[i] != ' ' ||
	    rs_num_epoch_ms(p, i, ms) != 0) {
		return 0;
	}
	return i;
}

/* An optional stamp and a space at p: the bytes they take. */
static size_t any_stamp(const char *p, size_t n, rs_str_t *time, int64_t *ms)
{
	size_t used = 0;

	if (n > 0 && p[0] == '@') {
		used = rs_num_tai64n(p, n, ms);
	} else if (n > 0 && rs_str_isdigit(p[0])) {
		used = local_stamp(p, n, ms);
		if (used == 0) {
			used = unix_stamp(p, n, ms);
		}
	}
	if (used == 0 || used >= n || p[used] != ' ') {
		return 0;
	}
	*time = rs_str(p, used);
	return used + 1;
}

/* Is the syslog tag splogger's ("qmail", "qmail-send")? */
static int is_program(rs_str_t program)
{
	rs_str_t base = rs_fields_program_base(program);

	return base.p != NULL && rs_str_starts(base.p, base.n, "qmail");
}

/* Split ll; 0, or -1 when it has no qmail shape (no syslog, no stamp,
 * no "qmail: " and no qmail-send word first). */
static int split(rs_logline_t *ll, qline_t *q)
{
	const char *p = ll->p;
	size_t n = ll->n, used;
	const rs_syslog_t *sl;

	memset(q, 0, sizeof(*q));
	used = any_stamp(p, n, &q->time, &q->time_ms);
	if (used == 0 && (sl = rs_logline_syslog(ll)) != NULL) {
		if (!is_program(sl->program)) {
			return -1;
		}
		q->time = sl->time;
		q->time_ms = sl->time_ms;
		q->host = sl->host;
		q->program = sl->program;
		p = sl->msg.p;
		n = sl->msg.n;
		/* splogger's own stamp is the more precise one. */
		used = any_stamp(p, n, &q->time, &q->time_ms);
	} else if (used == 0 && rs_str_starts(p, n, "qmail: ")) {
		q->program = rs_str(p, 5);
		p += LIT_LEN("qmail: ");
		n -= LIT_LEN("qmail: ");
		used = any_stamp(p, n, &q->time, &q->time_ms);
	}
	q->body = rs_str(p + used, n - used);
	return 0;
}

/* Does a qmail-send result or start line begin at [p, p+n)? */
static int delivery_line(const char *p, size_t n)
{
	return (rs_str_starts(p, n, "delivery ") && n > LIT_LEN("delivery ") &&
	        rs_str_isdigit(p[LIT_LEN("delivery ")])) ||
	       rs_str_starts(p, n, "starting delivery ");
}

/* "D: " at p: the delivery number's digits, and the text after ": ". */
static const char *delivery_number(const char *p, const char *e, rs_str_t *d)
{
	const char *q = p;

	while (q < e && q - p < 20 && rs_str_isdigit(*q)) {
		q++;
	}
	if (q == p || q + 2 > e || q[0] != ':' || q[1] != ' ') {
		return NULL;
	}
	*d = rs_str(p, (size_t)(q - p));
	return q + 2;
}

/* ---------------------------------------------------------------------
 * The report.
 * ------------------------------------------------------------------- */

/* Decode (the first REPORT_MAX bytes of) the report into the arena:
 * '_' -> ' '; '/' kept. */
static int decode(rs_record_t *rec, rs_str_t r, rs_str_t *out)
{
	char *dst;

	if (r.n > REPORT_MAX) {
		r.n = REPORT_MAX;
	}
	dst = rs_record_arena_alloc(rec, r.n);

	if (dst == NULL) {
		return -1;
	}
	for (size_t i = 0; i < r.n; i++) {
		dst[i] = r.p[i] == '_' ? ' ' : r.p[i];
	}
	*out = rs_str(dst, r.n);
	return 0;
}

/*
 * The remote reply in a decoded report: what follows "Remote host said: "
 * up to the report's last '/' or to qmail-remote's "Giving up on" line.
 * A '/' before a line that starts with a reply code is a line break of a
 * multi-line reply and becomes a space (as Postfix joins them); any other
 * '/' is the reply's own (a URL) and stays. Absent when there is none.
 */
static rs_str_t remote_reply(rs_str_t d)
{
	const char *said = rs_str_find(d.p, d.n, "Remote host said: ");
	char *p, *e = (char *)d.p + d.n, *end;

	if (said == NULL) {
		return RS_STR_NULL;
	}
	p = (char *)said + LIT_LEN("Remote host said: ");
	end = e;
	for (char *q = p; q < e; q++) {
		char *next = q + 1;

		if (*q != '/') {
			continue;
		}
		if (next == e ||
		    rs_str_starts(next, (size_t)(e - next), "Giving up on ")) {
			end = q;
			break;
		}
		if (rs_smtpreply_codes(next, (size_t)(e - next), NULL) != 0) {
			*q = ' ';
		}
	}
	while (end > p && end[-1] == ' ') {
		end--;
	}
	return rs_str(p, (size_t)(end - p));
}

/* "#5.1.1" in qmail's own text: the code. */
static rs_str_t hash_code(rs_str_t d)
{
	for (const char *h = memchr(d.p, '#', d.n); h != NULL;
	     h = memchr(h + 1, '#', (size_t)(d.p + d.n - h - 1))) {
		size_t l = rs_smtpreply_enhanced_len(
		    h + 1, (size_t)(d.p + d.n - h - 1));
		if (l > 0) {
			return rs_str(h + 1, l);
		}
	}
	return RS_STR_NULL;
}

/* Fill reply, codes, stage and remote_ip from the report r. */
static int read_report(rs_record_t *rec, rs_str_t r, const char **why)
{
	rs_str_t d, reply;
	size_t ip = 0;

	if (r.n == 0) {
		rec->reply_text = r;
		return 0;
	}
	if (decode(rec, r, &d) != 0) {
		*why = "qmail report: record arena full";
		return -1;
	}
	/* The stage is what qmail-remote's own words say, not the reply's
	 * ("sender was rejected ... 554 TLS is required" is mail_from). */
	{
		const char *said = rs_str_find(d.p, d.n, "Remote host said:");
		rec->stage = rs_smtpreply_stage_of_failure(
		    d.p, said != NULL ? (size_t)(said - d.p) : d.n);
	}
	/* "(<rcpt>) <ip> accepted ...": a patched qmail-remote names the
	 * recipient first; it is the recipient when no start line gave one
	 * (read from the raw report: '_' may be the address's own). */
	if (d.n > 0 && d.p[0] == '(') {
		const char *close = memchr(d.p, ')', d.n);
		const char *slash = memchr(d.p, '/', d.n);

		if (close != NULL && (slash == NULL || close < slash) &&
		    close + 1 < d.p + d.n && close[1] == ' ' &&
		    memchr(d.p, '@', (size_t)(close - d.p)) != NULL) {
			ip = (size_t)(close + 2 - d.p);
			if (rec->recipient.n == 0) {
				rs_record_set_recipient(
				    rec, rs_str(r.p + 1, ip - 3));
			}
		}
	}
	/* "<ip> does not like ..." / "Connected to <ip> but ...". */
	if (rs_str_starts(d.p + ip, d.n - ip, "Connected to ")) {
		ip += LIT_LEN("Connected to ");
	}
	{
		size_t k = ip;
		while (k < d.n &&
		       (rs_str_isdigit(d.p[k]) || d.p[k] == '.' ||
		        d.p[k] == ':' || (d.p[k] >= 'a' && d.p[k] <= 'f'))) {
			k++;
		}
		if (k > ip && k < d.n && d.p[k] == ' ' &&
		    rs_str_is_ip(d.p + ip, k - ip) &&
		    memchr(d.p + ip, '.', k - ip) != NULL) {
			rec->remote_ip = rs_str(d.p + ip, k - ip);
		}
	}
	reply = remote_reply(d);
	if (reply.n > 0) {
		rec->reply_text = reply;
		rec->reply_code =
		    rs_smtpreply_codes(reply.p, reply.n, &rec->enhanced_code);
		return 0;
	}
	/* qmail's own text: '/' ends its lines; drop the last one. */
	while (d.n > 0 && (d.p[d.n - 1] == '/' || d.p[d.n - 1] == ' ')) {
		d.n--;
	}
	for (size_t i = 0; i < d.n; i++) {
		if (d.p[i] == '/') {
			((char *)d.p)[i] = ' ';
		}
	}
	rec->reply_text = d;
	rec->enhanced_code = hash_code(d);
	return 0;
}

/* ---------------------------------------------------------------------
 * Side data: the start line's message and recipient.
 * ------------------------------------------------------------------- */

/* aux: [1 byte: 'L' local, 'R' remote][1 byte: len of M][M][R] */

static void apply_aux(rs_record_t *rec, rs_str_t aux)
{
	size_t ml;

	if (aux.p == NULL || aux.n < 2) {
		return;
	}
	ml = (unsigned char)aux.p[1];
	if (2 + ml > aux.n) {
		return;
	}
	rec->queue_id = rs_str(aux.p + 2, ml);
	if (aux.n > 2 + ml) {
		rs_record_set_recipient(rec,
		                        rs_str(aux.p + 2 + ml, aux.n - 2 - ml));
	}
}

/* ---------------------------------------------------------------------
 * The parser.
 * ------------------------------------------------------------------- */

static int qmail_scan_wants(const char *p, size_t n);

static int qmail_detect(rs_logline_t *ll)
{
	int syslog_first = ll->n > 0 && ll->p[0] >= 'A' && ll->p[0] <= 'Z';
	qline_t q;

	/* Another program's syslog line, or first bytes no qmail line has. */
	if (rs_fields_foreign_syslog(ll, is_program) ||
	    (!syslog_first && !qmail_scan_wants(ll->p, ll->n))) {
		return 0;
	}
	return split(ll, &q) == 0 && delivery_line(q.body.p, q.body.n);
}

static rs_parse_result_t qmail_parse(rs_logline_t *ll, rs_record_t *rec,
                                     const char **why)
{
	const char *p, *e;
	rs_str_t d;
	qline_t q;

	if (ll->n == 0) {
		return RS_PARSE_SKIP;
	}
	if (split(ll, &q) != 0) {
		/* Another program's syslog line. */
		return RS_PARSE_SKIP;
	}
	p = q.body.p;
	e = q.body.p + q.body.n;
	while (e > p && e[-1] == ' ') {
		e--;
	}
	if (!rs_str_starts(p, (size_t)(e - p), "delivery ")) {
		if (q.time.p == NULL && q.program.p == NULL &&
		    !rs_str_starts(p, (size_t)(e - p), "starting delivery ") &&
		    !rs_str_starts(p, (size_t)(e - p), "new msg ") &&
		    !rs_str_starts(p, (size_t)(e - p), "info msg ") &&
		    !rs_str_starts(p, (size_t)(e - p), "end msg ") &&
		    !rs_str_starts(p, (size_t)(e - p), "bounce msg ") &&
		    !rs_str_starts(p, (size_t)(e - p), "status: ")) {
			*why = "not a qmail-send line (no stamp, no \"qmail:\" "
			       "tag, no qmail-send word first)";
			return RS_PARSE_MALFORMED;
		}
		return RS_PARSE_SKIP;
	}
	p = delivery_number(p + LIT_LEN("delivery "), e, &d);
	if (p == NULL) {
		*why = "qmail delivery line without \"delivery N: \"";
		return RS_PARSE_MALFORMED;
	}
	rec->mta = RS_MTA_QMAIL;
	rec->log_time = q.time;
	rec->log_time_ms = q.time_ms;
	rec->log_host = q.host;
	rec->program = q.program;
	apply_aux(rec, rs_logline_aux(ll, &rs_qmail_format));
	if (rs_str_starts(p, (size_t)(e - p), "success:")) {
		rec->status = RS_STATUS_SENT;
		p += LIT_LEN("success:");
	} else if (rs_str_starts(p, (size_t)(e - p), "deferral:")) {
		rec->status = RS_STATUS_DEFERRED;
		p += LIT_LEN("deferral:");
	} else if (rs_str_starts(p, (size_t)(e - p), "failure:")) {
		rec->status = RS_STATUS_BOUNCED;
		p += LIT_LEN("failure:");
	} else if (rs_str_starts(p, (size_t)(e - p), "report mangled")) {
		rec->status = RS_STATUS_DEFERRED;
		rec->reply_text = rs_str(p, (size_t)(e - p));
		return RS_PARSE_EVENT;
	} else {
		*why = "qmail delivery line: not success:, deferral:, failure: "
		       "or \"report mangled\"";
		return RS_PARSE_MALFORMED;
	}
	if (p < e && *p == ' ') {
		p++;
	}
	if (read_report(rec, rs_str(p, (size_t)(e - p)), why) != 0) {
		return RS_PARSE_MALFORMED;
	}
	return RS_PARSE_EVENT;
}

/*
 * The skip path (format.h): detect()'s tests with one split of the line.
 * new msg, info msg, end msg, status: and every other program's line are
 * not ours, nor is "starting delivery" (the prescan reads it, parse()
 * skips it). A "delivery N: success:" line is dropped when sent events
 * are: parse() reads every such line (its report is decoded into the
 * record arena, REPORT_MAX bytes at most, which the pipeline's 64 KiB
 * arena always has room for on a reset record).
 */
static rs_skip_t qmail_skips(rs_logline_t *ll)
{
	int syslog_first = ll->n > 0 && ll->p[0] >= 'A' && ll->p[0] <= 'Z';
	const char *p, *e;
	rs_str_t d;
	qline_t q;

	if (rs_fields_foreign_syslog(ll, is_program) ||
	    (!syslog_first && !qmail_scan_wants(ll->p, ll->n)) ||
	    split(ll, &q) != 0 || !delivery_line(q.body.p, q.body.n) ||
	    rs_str_starts(q.body.p, q.body.n, "starting delivery ")) {
		return RS_SKIP_NOT_MINE;
	}
	if (!ll->drop_sent) {
		return RS_SKIP_UNSURE;
	}
	p = q.body.p;
	e = q.body.p + q.body.n;
	while (e > p && e[-1] == ' ') {
		e--;
	}
	p = delivery_number(p + LIT_LEN("delivery "), e, &d);
	return p != NULL && rs_str_starts(p, (size_t)(e - p), "success:")
	           ? RS_SKIP_DROP
	           : RS_SKIP_UNSURE;
}

/* ---------------------------------------------------------------------
 * The prescan: open deliveries, bounded.
 * ------------------------------------------------------------------- */

typedef struct open_dlv {
	int32_t next; /* bucket chain; -1 ends it */
	int live;
	const char *input;
	int32_t partition;
	uint64_t number;
	uint8_t host_len, msg_len;
	uint16_t rcpt_len;
	char kind; /* 'L' or 'R' */
	char host[HOST_MAX];
	char msg[MSG_MAX];
	char rcpt[RCPT_MAX];
} open_dlv_t;

struct rs_format_state {
	open_dlv_t *dlv;   /* RS_QMAIL_MAX_OPEN, allocated on first use */
	int32_t *buckets;  /* BUCKETS heads */
	uint64_t inserted; /* the next slot is inserted % MAX_OPEN */
};

static rs_format_state_t *qmail_state_new(const rs_format_opts_t *opts,
                                          char *errstr, size_t errstr_size)
{
	(void)opts;
	return rs_format_state_alloc(sizeof(rs_format_state_t), errstr,
	                             errstr_size);
}

static void qmail_state_destroy(rs_format_state_t *st)
{
	if (st != NULL) {
		free(st->dlv);
		free(st->buckets);
		free(st);
	}
}

/* The bucket of (input, partition, host, number). */
static size_t bucket_of(const char *input, int32_t partition, rs_str_t host,
                        uint64_t number)
{
	uint64_t h = 1469598103934665603ULL;

	h = (h ^ (uint64_t)(uintptr_t)input) * 1099511628211ULL;
	h = (h ^ (uint64_t)(uint32_t)partition) * 1099511628211ULL;
	h = (h ^ number) * 1099511628211ULL;
	for (size_t i = 0; i < host.n; i++) {
		h = (h ^ (unsigned char)host.p[i]) * 1099511628211ULL;
	}
	return (size_t)(h ^ (h >> 29)) & (BUCKETS - 1);
}

/* Unlink slot i from its bucket chain. */
static void unlink_slot(rs_format_state_t *st, size_t b, int32_t i)
{
	for (int32_t *link = &st->buckets[b]; *link >= 0;
	     link = &st->dlv[*link].next) {
		if (*link == i) {
			*link = st->dlv[i].next;
			st->dlv[i].live = 0;
			return;
		}
	}
}

/* The open delivery of a key, or -1. */
static int32_t find_open(const rs_format_state_t *st, size_t b,
                         const char *input, int32_t partition, rs_str_t host,
                         uint64_t number)
{
	for (int32_t i = st->buckets[b]; i >= 0; i = st->dlv[i].next) {
		const open_dlv_t *o = &st->dlv[i];

		if (o->number == number && o->input == input &&
		    o->partition == partition && o->host_len == host.n &&
		    (host.n == 0 || memcmp(o->host, host.p, host.n) == 0)) {
			return i;
		}
	}
	return -1;
}

/* "D: msg M to local|remote R": remember it (the oldest may go). */
static void remember(rs_format_state_t *st, const rs_scan_line_t *l,
                     rs_str_t host, const char *p, const char *e)
{
	rs_str_t d, m;
	uint64_t number;
	const char *q;
	open_dlv_t *o;
	size_t b;
	int32_t i;
	char kind;

	p = delivery_number(p, e, &d);
	if (p == NULL || rs_num_uint(d.p, d.n, &number) != 0 ||
	    !rs_str_starts(p, (size_t)(e - p), "msg ")) {
		return;
	}
	p += LIT_LEN("msg ");
	q = memchr(p, ' ', (size_t)(e - p));
	if (q == NULL || q == p || (size_t)(q - p) > MSG_MAX) {
		return;
	}
	m = rs_str(p, (size_t)(q - p));
	if (rs_str_starts(q, (size_t)(e - q), " to remote ")) {
		kind = 'R';
		q += LIT_LEN(" to remote ");
	} else if (rs_str_starts(q, (size_t)(e - q), " to local ")) {
		kind = 'L';
		q += LIT_LEN(" to local ");
	} else {
		return;
	}
	while (e > q && e[-1] == ' ') {
		e--;
	}
	if (st->dlv == NULL) {
		st->dlv = calloc(RS_QMAIL_MAX_OPEN, sizeof(*st->dlv));
		st->buckets = malloc(BUCKETS * sizeof(*st->buckets));
		if (st->dlv == NULL || st->buckets == NULL) {
			free(st->dlv);
			free(st->buckets);
			st->dlv = NULL;
			st->buckets = NULL;
			return; /* no join: results come without recipient */
		}
		memset(st->buckets, 0xff, BUCKETS * sizeof(*st->buckets));
	}
	b = bucket_of(l->input, l->partition, host, number);
	i = find_open(st, b, l->input, l->partition, host, number);
	if (i >= 0) {
		unlink_slot(st, b, i); /* the same number started again */
	}
	i = (int32_t)(st->inserted++ % RS_QMAIL_MAX_OPEN);
	o = &st->dlv[i];
	if (o->live) { /* the oldest open delivery is forgotten */
		unlink_slot(st,
		            bucket_of(o->input, o->partition,
		                      rs_str(o->host, o->host_len), o->number),
		            i);
	}
	o->input = l->input;
	o->partition = l->partition;
	o->number = number;
	o->host_len = (uint8_t)host.n;
	if (host.n > 0) {
		memcpy(o->host, host.p, host.n);
	}
	o->msg_len = (uint8_t)m.n;
	memcpy(o->msg, m.p, m.n);
	o->rcpt_len =
	    (uint16_t)((size_t)(e - q) < RCPT_MAX ? (size_t)(e - q) : RCPT_MAX);
	memcpy(o->rcpt, q, o->rcpt_len);
	o->kind = kind;
	o->live = 1;
	o->next = st->buckets[b];
	st->buckets[b] = i;
}

/* "D: <result>": hand the start line's M and R over; forget it. */
static void finish(rs_format_state_t *st, const rs_scan_line_t *l,
                   rs_str_t host, const char *p, const char *e, rs_buf_t *aux,
                   rs_scan_out_t *out)
{
	rs_str_t d;
	uint64_t number;
	size_t b;
	int32_t i;
	open_dlv_t *o;
	char head[2];

	if (st->dlv == NULL || delivery_number(p, e, &d) == NULL ||
	    rs_num_uint(d.p, d.n, &number) != 0) {
		return;
	}
	b = bucket_of(l->input, l->partition, host, number);
	i = find_open(st, b, l->input, l->partition, host, number);
	if (i < 0) {
		return;
	}
	o = &st->dlv[i];
	head[0] = o->kind;
	head[1] = (char)o->msg_len;
	out->aux_off = aux->len;
	rs_buf_append(aux, head, 2);
	rs_buf_append(aux, o->msg, o->msg_len);
	rs_buf_append(aux, o->rcpt, o->rcpt_len);
	out->aux_len = aux->failed ? 0 : 2 + o->msg_len + o->rcpt_len;
	unlink_slot(st, b, i);
}

static void qmail_prescan(rs_format_state_t *st, const rs_scan_line_t *l,
                          rs_buf_t *aux, rs_scan_out_t *out)
{
	rs_logline_t ll;
	qline_t q;
	const char *p, *e;
	rs_str_t host;

	rs_logline_init(&ll, l->p, l->n);
	if (split(&ll, &q) != 0) {
		return;
	}
	p = q.body.p;
	e = q.body.p + q.body.n;
	host = q.host.n <= HOST_MAX ? q.host : rs_str(q.host.p, HOST_MAX);
	if (rs_str_starts(p, (size_t)(e - p), "starting delivery ")) {
		remember(st, l, host, p + LIT_LEN("starting delivery "), e);
	} else if (rs_str_starts(p, (size_t)(e - p), "delivery ")) {
		finish(st, l, host, p + LIT_LEN("delivery "), e, aux, out);
	}
}

/*
 * Under auto: a line whose first bytes may hold a qmail-send delivery
 * line: a stamp ('@', a digit), the body itself ('s', 'd'), "qmail: ",
 * or a syslog prefix (RFC 3164 or ISO 8601) with " qmail" after the host.
 */
/* Does "qmail" follow the host that starts at h (a syslog line)? */
static int tag_after_host(const char *h, const char *e)
{
	size_t lim = (size_t)(e - h) < 64 ? (size_t)(e - h) : 64;
	const char *sp = memchr(h, ' ', lim);

	return sp != NULL &&
	       rs_str_starts(sp + 1, (size_t)(e - sp - 1), "qmail");
}

static int qmail_scan_wants(const char *p, size_t n)
{
	const char *sp;

	if (n < 12) {
		return 0;
	}
	switch (p[0]) {
	case '@':
		return 1;
	case 's':
		return rs_str_starts(p, n, "starting delivery ");
	case 'd':
		return rs_str_starts(p, n, "delivery ");
	case 'q':
		return rs_str_starts(p, n, "qmail: ");
	default:
		break;
	}
	if (rs_str_isdigit(p[0])) {
		/* tai64nlocal "YYYY-MM-DD HH:MM:SS.n" or "unixtime.n". */
		if ((n > 20 && p[4] == '-' && p[10] == ' ' && p[19] == '.') ||
		    (p[10] == '.' && rs_str_isdigit(p[9]))) {
			return 1;
		}
		/* An ISO 8601 syslog stamp (rsyslog's RFC 3339 format, a
		 * line rebuilt from a journald object): "STAMP host qmail". */
		if (n <= 20 || p[4] != '-' || p[10] != 'T') {
			return 0;
		}
		sp = memchr(p + 19, ' ', n - 19 < 24 ? n - 19 : 24);
		return sp != NULL && tag_after_host(sp + 1, p + n);
	}
	/* "Mmm dd hh:mm:ss host qmail: ...": the tag after the host. */
	if (n <= 16 || p[3] != ' ' || p[15] != ' ') {
		return 0;
	}
	return tag_after_host(p + 16, p + n);
}

const rs_format_t rs_qmail_format = {
    .name = "qmail",
    .summary = "qmail-send lines (delivery N: deferral:/failure:/success:)",
    .flags = 0,
    .mta = RS_MTA_QMAIL,
    .detect = qmail_detect,
    .parse = qmail_parse,
    .skips = qmail_skips,
    .state_new = qmail_state_new,
    .state_destroy = qmail_state_destroy,
    .scan_wants = qmail_scan_wants,
    .prescan = qmail_prescan,
};
