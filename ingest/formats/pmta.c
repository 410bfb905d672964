/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pmta.c - PowerMTA accounting files (acct-file, RFC 4180 CSV) to records.
 *
 * Length (about 1,000 lines, over the project's 800): the CSV field
 * reader, the column maps and the per-partition header prescan share one
 * row state and one set of error sentences; split apart they would pass
 * that state through every call. Keep new record types in the tables.
 *
 * A file starts with a header line naming its columns ("type,timeLogged,
 * ..."); every later row is read by those names, never by position: the
 * field set and its order are configurable per record type, files that
 * hold several record types carry the union of their fields with the
 * other types' columns left empty, and 4.x files have timeImprinted and
 * lack queue/vmtaPool. Which column map applies to a row:
 *   1. the last header line seen before it in the same file, or in the
 *      same Kafka topic partition (the prescan below tracks it);
 *   2. else formats.pmta.fields (rs_format_opts_set_pmta_fields);
 *   3. else the modern default header, or the 4.x default header when the
 *      row has exactly its 22 fields.
 * A row whose field count differs from its column map is MALFORMED with a
 * sentence naming the map, so a wrong formats.pmta.fields shows at once.
 *
 * Decisions:
 *  - Record types: d -> SENT (an event only with --all), b and rb ->
 *    BOUNCED, t and tq -> DEFERRED, f -> FEEDBACK (a feedback-loop
 *    complaint: an event, counted, never classified as a reply; its
 *    reply_text is the feedbackType, e.g. "abuse"). r (received) and rs
 *    (a remote status report that is not a final outcome) are SKIPPED, as
 *    are header lines. Any other type is MALFORMED.
 *  - dsnDiag "smtp;550 5.7.1 text" (also "Smtp;", "X-Unix;"): the
 *    diagnostic type before the first ';' is stripped; the rest is
 *    reply_text, its code reply_code. Without a dsnDiag the reply_text is
 *    dsnStatus as logged ("5.1.1 (bad destination mailbox address)").
 *  - enhanced_code: the reply's own, else the code that starts dsnStatus
 *    ("5.7.1 (delivery not authorized)").
 *  - dsnMta "host (ip)" -> remote_host, remote_ip; dlvDestinationIp when
 *    dsnMta has no address.
 *  - bounceCat -> the record's extra tag "pmta:<bounceCat>" beside the
 *    classifier's tags. A b row with bounceCat message-expired is EXPIRED,
 *    stage queue (PowerMTA gave up on the queue's lifetime).
 *  - The sending side: dlvSourceIp (for f rows, else repSourceIp) ->
 *    sending_ip, vmtaPool -> sending_pool, vmta -> vmta (else the part of
 *    queue "domain/vmta" after the '/'), jobId -> job_id.
 *  - Times: timeLogged is the event time, as time_t ("1178807915") or ISO
 *    ("2014-08-24 16:00:14+0530", iso-times); delays.total is timeLogged -
 *    timeQueued when both read.
 *  - The stage: PowerMTA does not log the command that was answered;
 *    unknown, or what rs_smtpreply_stage_of_failure reads in a dsnDiag
 *    without a reply code.
 *  - CSV: fields may be double-quoted (commas, doubled quotes "" and line
 *    breaks inside); a quote inside an unquoted field, text after a
 *    closing quote, or a quote left open is MALFORMED with the reason.
 *
 * Records split over lines. A quoted field may hold a line break, so one
 * record can span physical lines, and lines arrive one by one (from a
 * file split at '\n', or one Kafka message per line). The prescan joins
 * them: a row that ends inside a quoted field is held (per file or
 * partition) and the following lines of the same input are appended,
 * with the '\n' between them, until the quote closes; the whole record is
 * then parsed as the LAST of its physical lines (the event's line number
 * or offset is the last one), and the earlier lines are counted skipped.
 * A record is given up after RS_PMTA_JOIN_LINES lines or RS_PMTA_JOIN_BYTES
 * bytes (that line is MALFORMED, the next starts afresh), and one still
 * open at the end of its file makes that last line MALFORMED. Without the
 * prescan (rs_format_parse on one line) a row that ends inside quotes is
 * MALFORMED ("quoted field not closed").
 *
 * Ownership: slices point into the line, into the batch's aux data (a
 * joined record) or into the record arena (fields with doubled quotes,
 * the tag). @locality parse: any thread, stateless; the prescan state:
 * the pipeline's source thread only.
 *
 * Hazards: the line is not NUL-terminated; every read is bounded. The
 * column map of a header lives in the run state until the run ends, so a
 * line's side data may point to it from any worker.
 */
#include "formats/pmta.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/format_opts.h"
#include "formats/smtpreply.h"
#include "formats/syslog.h"
#include "util/num.h"
#include "util/str.h"

/* A record is given up after this many physical lines or bytes. */
#define RS_PMTA_JOIN_LINES 16
#define RS_PMTA_JOIN_BYTES (64 * 1024)

/* Distinct header lines kept per run, and inputs (files, partitions)
 * tracked at once; the least recently used input is forgotten. */
#define MAX_HEADERS 64
#define MAX_SCOPES 1024

/* Longest diagnostic type before ';' in dsnDiag ("smtp", "X-Unix"). */
#define DIAG_TYPE_MAX 16

/* ---------------------------------------------------------------------
 * Column names.
 * ------------------------------------------------------------------- */

static const struct {
	const char *name;
	rs_pmta_field_t field;
} names[] = {
    {"type", RS_PMTA_F_TYPE},
    {"timeLogged", RS_PMTA_F_TIME_LOGGED},
    {"timeQueued", RS_PMTA_F_TIME_QUEUED},
    {"orig", RS_PMTA_F_ORIG},
    {"rcpt", RS_PMTA_F_RCPT},
    {"dsnAction", RS_PMTA_F_DSN_ACTION},
    {"dsnStatus", RS_PMTA_F_DSN_STATUS},
    {"dsnDiag", RS_PMTA_F_DSN_DIAG},
    {"dsnMta", RS_PMTA_F_DSN_MTA},
    {"bounceCat", RS_PMTA_F_BOUNCE_CAT},
    {"dlvSourceIp", RS_PMTA_F_DLV_SOURCE_IP},
    {"dlvDestinationIp", RS_PMTA_F_DLV_DESTINATION_IP},
    {"vmta", RS_PMTA_F_VMTA},
    {"vmtaPool", RS_PMTA_F_VMTA_POOL},
    {"jobId", RS_PMTA_F_JOB_ID},
    {"queue", RS_PMTA_F_QUEUE},
    {"feedbackType", RS_PMTA_F_FEEDBACK_TYPE},
    {"repSourceIp", RS_PMTA_F_REP_SOURCE_IP},
};

#define NNAMES (sizeof(names) / sizeof(names[0]))

static const char default_header[] =
    "type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus,"
    "dsnDiag,dsnMta,bounceCat,srcType,srcMta,dlvType,dlvSourceIp,"
    "dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,jobId,envId,queue,"
    "vmtaPool";
static const char v4_header[] =
    "type,timeLogged,timeQueued,timeImprinted,orig,rcpt,orcpt,dsnAction,"
    "dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,dlvType,"
    "dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,jobId,"
    "envId";

/* Case-insensitive equality of [p, p+n) and the literal lit. */
static int eq_nocase(const char *p, size_t n, const char *lit)
{
	size_t l = strlen(lit);

	if (n != l) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (rs_str_lower((unsigned char)p[i]) !=
		    rs_str_lower((unsigned char)lit[i])) {
			return 0;
		}
	}
	return 1;
}

/* ---------------------------------------------------------------------
 * RFC 4180 fields.
 * ------------------------------------------------------------------- */

/* Reading position in one record. */
typedef struct csv {
	const char *p;
	const char *e;
	int done; /* the last field has been read */
} csv_t;

/*
 * The next field: 1 with its raw slice (between the quotes when quoted,
 * with "" still doubled) and *quoted, 0 after the last field, -1 with
 * *why on a CSV error. A record ending in ',' has a last empty field.
 */
static int csv_next(csv_t *c, rs_str_t *raw, int *quoted, const char **why)
{
	const char *p = c->p;

	if (c->done) {
		return 0;
	}
	if (p < c->e && *p == '"') {
		const char *q = p + 1;

		for (;;) {
			q = memchr(q, '"', (size_t)(c->e - q));
			if (q == NULL) {
				*why = "PowerMTA row: a quoted field is not "
				       "closed (a record cut short, or split "
				       "over lines that were not joined)";
				return -1;
			}
			if (q + 1 < c->e && q[1] == '"') {
				q += 2;
				continue;
			}
			break;
		}
		*raw = rs_str(p + 1, (size_t)(q - p - 1));
		*quoted = 1;
		q++;
		if (q == c->e) {
			c->done = 1;
		} else if (*q == ',') {
			q++;
		} else {
			*why = "PowerMTA row: text after the closing quote of "
			       "a field";
			return -1;
		}
		c->p = q;
		return 1;
	}
	{
		const char *comma = memchr(p, ',', (size_t)(c->e - p));
		const char *end = comma != NULL ? comma : c->e;

		if (memchr(p, '"', (size_t)(end - p)) != NULL) {
			*why = "PowerMTA row: a double quote inside a field "
			       "that is not quoted";
			return -1;
		}
		*raw = rs_str(p, (size_t)(end - p));
		*quoted = 0;
		if (comma == NULL) {
			c->done = 1;
			c->p = c->e;
		} else {
			c->p = comma + 1;
		}
		return 1;
	}
}

/*
 * Does a record that starts inside a quoted field (open) or not end
 * inside one after [p, p+n)? The CSV state machine of csv_next, without
 * its errors: a stray quote in an unquoted field is taken literally here
 * and reported when the record is parsed.
 */
static int ends_open(const char *p, size_t n, int open)
{
	/* Only quotes change the state, so go from quote to quote (memchr:
	 * most rows have none or a few). A quote outside a field opens one
	 * only at the start of a field: at the start of the line when the
	 * record starts there, or after a comma; after a closing quote or a
	 * literal one, a quote right after it is not at a field start. */
	int at_start = !open; /* the state at p[i] when i is a quote */
	size_t i = 0;

	while (i < n) {
		const char *q = memchr(p + i, '"', n - i);
		size_t j;

		if (q == NULL) {
			break;
		}
		j = (size_t)(q - p);
		if (open) {
			if (j + 1 < n && p[j + 1] == '"') {
				i = j + 2;
				continue;
			}
			open = 0;
		} else if (j == i ? at_start : p[j - 1] == ',') {
			open = 1;
		}
		at_start = 0;
		i = j + 1;
	}
	return open;
}

/* ---------------------------------------------------------------------
 * Column maps.
 * ------------------------------------------------------------------- */

int rs_pmta_columns_parse(const char *p, size_t n, int strict,
                          rs_pmta_columns_t *out, char *errstr,
                          size_t errstr_size)
{
	csv_t c = {p, p + n, 0};
	rs_str_t raw;
	int quoted, r, has_type = 0;
	const char *why = NULL;

	memset(out, 0, sizeof(*out));
	while ((r = csv_next(&c, &raw, &quoted, &why)) == 1) {
		size_t col = out->ncols;
		rs_pmta_field_t f = RS_PMTA_F_NONE;

		raw = rs_str_trim(raw);
		if (col == RS_PMTA_MAX_COLUMNS) {
			snprintf(errstr, errstr_size, "more than %d columns",
			         RS_PMTA_MAX_COLUMNS);
			return -1;
		}
		if (raw.n == 0) {
			snprintf(errstr, errstr_size, "column %zu has no name",
			         col + 1);
			return -1;
		}
		for (size_t i = 0; i < NNAMES; i++) {
			if (rs_str_eq(raw.p, raw.n, names[i].name)) {
				f = names[i].field;
				break;
			}
			if (strict && eq_nocase(raw.p, raw.n, names[i].name)) {
				snprintf(errstr, errstr_size,
				         "column %zu \"%.*s\" is not a "
				         "PowerMTA field name; did you mean "
				         "\"%s\"?",
				         col + 1, (int)raw.n, raw.p,
				         names[i].name);
				return -1;
			}
		}
		for (size_t k = 0; f != RS_PMTA_F_NONE && k < col; k++) {
			if (out->field[k] != f) {
				continue;
			}
			if (strict) {
				snprintf(errstr, errstr_size,
				         "column %zu \"%.*s\" is named twice "
				         "(first as column %zu)",
				         col + 1, (int)raw.n, raw.p, k + 1);
				return -1;
			}
			f = RS_PMTA_F_NONE; /* the first column wins */
		}
		has_type |= f == RS_PMTA_F_TYPE;
		out->field[col] = (uint8_t)f;
		out->ncols++;
	}
	if (r < 0) {
		snprintf(errstr, errstr_size, "%s", why);
		return -1;
	}
	if (!has_type) {
		snprintf(errstr, errstr_size,
		         "no \"type\" column (PowerMTA writes the record type "
		         "first)");
		return -1;
	}
	return 0;
}

/* The built-in headers' maps, made once (pthread_once: any thread). */
static rs_pmta_columns_t default_cols, v4_cols;
static pthread_once_t builtin_once = PTHREAD_ONCE_INIT;

static void build_builtin(void)
{
	char err[128];

	if (rs_pmta_columns_parse(default_header, sizeof(default_header) - 1, 1,
	                          &default_cols, err, sizeof(err)) != 0 ||
	    rs_pmta_columns_parse(v4_header, sizeof(v4_header) - 1, 1, &v4_cols,
	                          err, sizeof(err)) != 0) {
		abort(); /* a bug in the literals above */
	}
}

const rs_pmta_columns_t *rs_pmta_columns_default(void)
{
	pthread_once(&builtin_once, build_builtin);
	return &default_cols;
}

const rs_pmta_columns_t *rs_pmta_columns_v4(void)
{
	pthread_once(&builtin_once, build_builtin);
	return &v4_cols;
}

/* ---------------------------------------------------------------------
 * Side data of a line (written by the prescan, read by the parse).
 * ------------------------------------------------------------------- */

typedef struct pmta_aux {
	const rs_pmta_columns_t *cols; /* the header in force; NULL: none */
	const char *why;               /* the line is MALFORMED for this */
	size_t joined;                 /* bytes of a joined record after */
} pmta_aux_t;

/* The row's first bytes: a record type and a comma, or a header. */
static int row_start(const char *p, size_t n)
{
	if (n < 2) {
		return 0;
	}
	switch (p[0]) {
	case 'd':
	case 'b':
	case 't':
	case 'f':
	case 'r':
		break;
	default:
		return 0;
	}
	if (p[1] == ',') {
		return 1;
	}
	if (n >= 3 && p[2] == ',' &&
	    ((p[0] == 't' && p[1] == 'q') ||
	     (p[0] == 'r' && (p[1] == 'b' || p[1] == 's')))) {
		return 1;
	}
	return rs_str_starts(p, n, "type,");
}

/* ---------------------------------------------------------------------
 * Reading one row.
 * ------------------------------------------------------------------- */

/* The value of a field: raw, or with "" undoubled into the arena. */
static int field_value(rs_record_t *rec, rs_str_t raw, int quoted,
                       rs_str_t *out)
{
	char *dst;
	size_t n = 0;

	if (!quoted || memchr(raw.p, '"', raw.n) == NULL) {
		*out = raw;
		return 0;
	}
	dst = rs_record_arena_alloc(rec, raw.n);
	if (dst == NULL) {
		return -1;
	}
	for (size_t i = 0; i < raw.n; i++) {
		dst[n++] = raw.p[i];
		if (raw.p[i] == '"' && i + 1 < raw.n && raw.p[i + 1] == '"') {
			i++;
		}
	}
	rec->arena_used -= raw.n - n;
	*out = rs_str(dst, n);
	return 0;
}

/* Read a time: time_t digits or ISO 8601 with an offset. */
static int read_time(rs_str_t v, int64_t *ms)
{
	if (v.n == 0) {
		return -1;
	}
	if (rs_num_epoch_ms(v.p, v.n, ms) == 0) {
		return 0;
	}
	return rs_syslog_parse_iso(v.p, v.n, ms) == v.n ? 0 : -1;
}

/* "host (ip)" -> remote_host and remote_ip. */
static void read_dsn_mta(rs_record_t *rec, rs_str_t v)
{
	const char *open;

	v = rs_str_trim(v);
	if (v.n == 0) {
		return;
	}
	open = rs_str_find(v.p, v.n, " (");
	if (open != NULL && v.p[v.n - 1] == ')') {
		const char *ip = open + 2;
		size_t ipn = (size_t)(v.p + v.n - 1 - ip);

		if (rs_str_is_ip(ip, ipn)) {
			rec->remote_ip = rs_str(ip, ipn);
		}
		v.n = (size_t)(open - v.p);
	}
	if (v.n > 0) {
		rec->remote_host = v;
	}
}

/* Strip the diagnostic type of dsnDiag ("smtp;550 ..." -> "550 ..."). */
static rs_str_t strip_diag_type(rs_str_t v)
{
	size_t lim = v.n < DIAG_TYPE_MAX + 1 ? v.n : DIAG_TYPE_MAX + 1;
	const char *semi = v.n > 0 ? memchr(v.p, ';', lim) : NULL;

	if (semi == NULL || semi == v.p) {
		return rs_str_trim(v);
	}
	for (const char *q = v.p; q < semi; q++) {
		if (!(rs_str_isdigit(*q) || (*q >= 'a' && *q <= 'z') ||
		      (*q >= 'A' && *q <= 'Z') || *q == '-')) {
			return rs_str_trim(v);
		}
	}
	return rs_str_trim(rs_str(semi + 1, (size_t)(v.p + v.n - semi - 1)));
}

/* Record type -> status; RS_STATUS_UNSPECIFIED: skip; -1: unknown. */
static int type_status(rs_str_t t)
{
	if (rs_str_eq(t.p, t.n, "t") || rs_str_eq(t.p, t.n, "tq")) {
		return RS_STATUS_DEFERRED;
	}
	if (rs_str_eq(t.p, t.n, "b") || rs_str_eq(t.p, t.n, "rb")) {
		return RS_STATUS_BOUNCED;
	}
	if (rs_str_eq(t.p, t.n, "d")) {
		return RS_STATUS_SENT;
	}
	if (rs_str_eq(t.p, t.n, "f")) {
		return RS_STATUS_FEEDBACK;
	}
	if (rs_str_eq(t.p, t.n, "r") || rs_str_eq(t.p, t.n, "rs") ||
	    rs_str_eq(t.p, t.n, "type")) {
		return RS_STATUS_UNSPECIFIED;
	}
	return -1;
}

/* Why a row does not fit its column map, by where the map came from. */
enum cols_origin { FROM_HEADER, FROM_OPTS, FROM_DEFAULT };

static const char *misfit(enum cols_origin o)
{
	switch (o) {
	case FROM_HEADER:
		return "PowerMTA row: its field count differs from the "
		       "header line of its file (or partition)";
	case FROM_OPTS:
		return "PowerMTA row: its field count differs from "
		       "formats.pmta.fields; set it to this file's header";
	case FROM_DEFAULT:
		break;
	}
	return "PowerMTA row without a header: its field count fits neither "
	       "the default header (23 columns) nor the 4.x one (22); send "
	       "the file's header line first or set formats.pmta.fields";
}

/*
 * A row read by a column list that did not come from its own file (the
 * configured or the default one) may be of another field set with the
 * same count. Say so when a field holds what that field never holds.
 */
static const char *implausible(const rs_str_t *v)
{
	static const char *const actions[] = {
	    "failed", "delayed", "delivered", "relayed", "expanded", "bounced"};
	rs_str_t a = rs_str_trim(v[RS_PMTA_F_DSN_ACTION]);
	rs_str_t t;
	int64_t ms;
	size_t i;

	t = rs_str_trim(v[RS_PMTA_F_TIME_LOGGED]);
	if (t.n > 0 && read_time(t, &ms) != 0) {
		return "PowerMTA row does not fit its column list: timeLogged "
		       "is not a time (send the file's header line first or "
		       "set formats.pmta.fields)";
	}
	t = rs_str_trim(v[RS_PMTA_F_RCPT]);
	if (t.n > 0 && memchr(t.p, '@', t.n) == NULL) {
		return "PowerMTA row does not fit its column list: rcpt is "
		       "not an address (send the file's header line first or "
		       "set formats.pmta.fields)";
	}
	for (i = 0; a.n > 0 && i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (rs_str_eq(a.p, a.n, actions[i])) {
			break;
		}
	}
	if (a.n > 0 && i == sizeof(actions) / sizeof(actions[0])) {
		return "PowerMTA row does not fit its column list: dsnAction "
		       "is not a DSN action (send the file's header line "
		       "first or set formats.pmta.fields)";
	}
	return NULL;
}

/* Build "pmta:<cat>" in the arena as the record's extra tag. */
static int set_tag(rs_record_t *rec, rs_str_t cat)
{
	char *dst;

	cat = rs_str_trim(cat);
	if (cat.n == 0) {
		return 0;
	}
	dst = rs_record_arena_alloc(rec, 5 + cat.n);
	if (dst == NULL) {
		return -1;
	}
	memcpy(dst, "pmta:", 5);
	memcpy(dst + 5, cat.p, cat.n);
	rec->extra_tag = rs_str(dst, 5 + cat.n);
	return 0;
}

/* Fill the record from the fields of one row (by field id). */
static rs_parse_result_t fill(rs_record_t *rec, const rs_str_t *v,
                              const char **why)
{
	int64_t logged = 0, queued = 0;
	int st = type_status(v[RS_PMTA_F_TYPE]);
	rs_str_t diag, status = rs_str_trim(v[RS_PMTA_F_DSN_STATUS]);
	size_t elen;

	if (st < 0) {
		*why = "PowerMTA row: unknown record type (expected d, b, rb, "
		       "t, tq, f, r or rs)";
		return RS_PARSE_MALFORMED;
	}
	if (st == RS_STATUS_UNSPECIFIED) {
		return RS_PARSE_SKIP;
	}
	rec->mta = RS_MTA_POWERMTA;
	rec->status = (rs_status_t)st;
	if (rs_str_trim(v[RS_PMTA_F_TIME_LOGGED]).n > 0) {
		rec->log_time = rs_str_trim(v[RS_PMTA_F_TIME_LOGGED]);
		if (read_time(rec->log_time, &logged) == 0) {
			rec->log_time_ms = logged;
			if (read_time(rs_str_trim(v[RS_PMTA_F_TIME_QUEUED]),
			              &queued) == 0 &&
			    queued <= logged) {
				rec->delays.total =
				    (double)(logged - queued) / 1000.0;
			}
		}
	}
	if (v[RS_PMTA_F_ORIG].n > 0) {
		rec->sender = rs_str_trim(v[RS_PMTA_F_ORIG]);
	}
	if (v[RS_PMTA_F_RCPT].n > 0) {
		rs_record_set_recipient(rec, rs_str_trim(v[RS_PMTA_F_RCPT]));
	}
	read_dsn_mta(rec, v[RS_PMTA_F_DSN_MTA]);
	if (rec->remote_ip.p == NULL && v[RS_PMTA_F_DLV_DESTINATION_IP].n > 0) {
		rec->remote_ip = rs_str_trim(v[RS_PMTA_F_DLV_DESTINATION_IP]);
	}
	elen = rs_smtpreply_enhanced_len(status.p, status.n);
	diag = strip_diag_type(v[RS_PMTA_F_DSN_DIAG]);
	if (rec->status == RS_STATUS_FEEDBACK) {
		rec->reply_text = rs_str_trim(v[RS_PMTA_F_FEEDBACK_TYPE]);
	} else if (diag.n > 0) {
		rec->reply_text = diag;
		rec->reply_code =
		    rs_smtpreply_codes(diag.p, diag.n, &rec->enhanced_code);
	} else if (status.n > 0) {
		rec->reply_text = status;
	}
	if (rec->enhanced_code.p == NULL && elen > 0) {
		rec->enhanced_code = rs_str(status.p, elen);
	}
	if (rec->status == RS_STATUS_BOUNCED &&
	    rs_str_eq(v[RS_PMTA_F_BOUNCE_CAT].p, v[RS_PMTA_F_BOUNCE_CAT].n,
	              "message-expired")) {
		rec->status = RS_STATUS_EXPIRED;
		rec->stage = RS_STAGE_QUEUE;
	} else if (rec->reply_code == 0 && rec->reply_text.n > 0 &&
	           rec->status != RS_STATUS_FEEDBACK) {
		rec->stage = rs_smtpreply_stage_of_failure(rec->reply_text.p,
		                                           rec->reply_text.n);
	}
	rec->sending_ip = rs_str_trim(v[RS_PMTA_F_DLV_SOURCE_IP]);
	if (rec->sending_ip.n == 0) {
		rec->sending_ip = rs_str_trim(v[RS_PMTA_F_REP_SOURCE_IP]);
	}
	rec->sending_pool = rs_str_trim(v[RS_PMTA_F_VMTA_POOL]);
	rec->vmta = rs_str_trim(v[RS_PMTA_F_VMTA]);
	if (rec->vmta.n == 0 && v[RS_PMTA_F_QUEUE].n > 0) {
		rs_str_t q = v[RS_PMTA_F_QUEUE];
		const char *slash = memchr(q.p, '/', q.n);
		if (slash != NULL && slash + 1 < q.p + q.n) {
			rec->vmta =
			    rs_str(slash + 1, (size_t)(q.p + q.n - slash - 1));
		}
	}
	rec->job_id = rs_str_trim(v[RS_PMTA_F_JOB_ID]);
	if (set_tag(rec, v[RS_PMTA_F_BOUNCE_CAT]) != 0) {
		*why = "PowerMTA row: record arena full";
		return RS_PARSE_MALFORMED;
	}
	return RS_PARSE_EVENT;
}

/* Read one record [p, p+n) by cols (NULL: options, then the defaults). */
static rs_parse_result_t parse_row(const char *p, size_t n,
                                   const rs_pmta_columns_t *cols,
                                   const rs_format_opts_t *opts,
                                   rs_record_t *rec, const char **why)
{
	rs_str_t raw[RS_PMTA_MAX_COLUMNS];
	unsigned char quoted[RS_PMTA_MAX_COLUMNS];
	rs_str_t v[RS_PMTA_F__COUNT];
	enum cols_origin origin = FROM_HEADER;
	csv_t c = {p, p + n, 0};
	size_t nf = 0;
	int q, r;

	while ((r = csv_next(&c, &raw[nf], &q, why)) == 1) {
		quoted[nf] = (unsigned char)q;
		if (++nf == RS_PMTA_MAX_COLUMNS && !c.done) {
			*why = "PowerMTA row: more fields than any header may "
			       "name";
			return RS_PARSE_MALFORMED;
		}
	}
	if (r < 0) {
		return RS_PARSE_MALFORMED;
	}
	if (cols == NULL && (cols = rs_format_opts_pmta_fields(opts)) != NULL) {
		origin = FROM_OPTS;
	}
	if (cols == NULL) {
		origin = FROM_DEFAULT;
		cols = nf == rs_pmta_columns_v4()->ncols
		           ? rs_pmta_columns_v4()
		           : rs_pmta_columns_default();
	}
	/* A header line of any shape is no record. */
	if (nf > 0 && rs_str_eq(raw[0].p, raw[0].n, "type")) {
		return RS_PARSE_SKIP;
	}
	if (nf != cols->ncols) {
		*why = misfit(origin);
		return RS_PARSE_MALFORMED;
	}
	memset(v, 0, sizeof(v));
	for (size_t i = 0; i < nf; i++) {
		rs_pmta_field_t f = (rs_pmta_field_t)cols->field[i];

		if (f == RS_PMTA_F_NONE) {
			continue;
		}
		if (field_value(rec, raw[i], quoted[i], &v[f]) != 0) {
			*why = "PowerMTA row: record arena full";
			return RS_PARSE_MALFORMED;
		}
	}
	if (v[RS_PMTA_F_TYPE].n == 0) {
		*why = "PowerMTA row: the record type is empty";
		return RS_PARSE_MALFORMED;
	}
	if (origin != FROM_HEADER && (*why = implausible(v)) != NULL) {
		return RS_PARSE_MALFORMED;
	}
	return fill(rec, v, why);
}

static int pmta_detect(rs_logline_t *ll)
{
	return row_start(ll->p, ll->n);
}

static rs_parse_result_t pmta_parse(rs_logline_t *ll, rs_record_t *rec,
                                    const char **why)
{
	rs_str_t aux = rs_logline_aux(ll, &rs_pmta_format);
	pmta_aux_t a;

	if (aux.p == NULL || aux.n < sizeof(a)) {
		if (ll->n == 0) {
			return RS_PARSE_SKIP;
		}
		return parse_row(ll->p, ll->n, NULL, ll->opts, rec, why);
	}
	memcpy(&a, aux.p, sizeof(a));
	if (a.why != NULL) {
		*why = a.why;
		return RS_PARSE_MALFORMED;
	}
	if (a.joined > 0 && a.joined == aux.n - sizeof(a)) {
		return parse_row(aux.p + sizeof(a), a.joined, a.cols, ll->opts,
		                 rec, why);
	}
	return parse_row(ll->p, ll->n, a.cols, ll->opts, rec, why);
}

/*
 * The skip path (format.h): a d row that parse() turns into a sent event,
 * dropped without reading its values. Only a single-line row read by its
 * file's header, with the record type first: a row read by the configured
 * or default columns must also pass implausible(), and a joined record
 * lives in the side data; those are left to parse(). What parse() could
 * still refuse is checked here as it checks it: the CSV syntax and the
 * field count by the same csv_next(), and the record arena: a field with
 * doubled quotes (undoubled into the arena) or a bounceCat longer than
 * DROP_CAT_MAX (the "pmta:" tag) is left to parse(), so a dropped row
 * needs at most 5 + DROP_CAT_MAX bytes of arena, far below what a caller
 * that sets drop_sent gives (the pipeline's worker: 64 KiB).
 */
#define DROP_CAT_MAX 64

static rs_skip_t pmta_skips(rs_logline_t *ll)
{
	const rs_pmta_columns_t *cols;
	const char *why = NULL;
	size_t nf = 0;
	pmta_aux_t a;
	rs_str_t raw;
	csv_t c;
	int q, r;

	/* Only a row the prescan claimed (RS_FORMAT_SKIPS_CLAIMED). */
	if (ll->aux_format != &rs_pmta_format || ll->aux == NULL ||
	    !ll->drop_sent || ll->aux_len < sizeof(a) || ll->n < 2 ||
	    ll->p[0] != 'd' || ll->p[1] != ',') {
		return RS_SKIP_UNSURE;
	}
	memcpy(&a, ll->aux, sizeof(a));
	cols = a.cols;
	if (a.why != NULL || a.joined > 0 || cols == NULL || cols->ncols == 0 ||
	    cols->field[0] != RS_PMTA_F_TYPE) {
		return RS_SKIP_UNSURE;
	}
	c.p = ll->p;
	c.e = ll->p + ll->n;
	c.done = 0;
	while ((r = csv_next(&c, &raw, &q, &why)) == 1) {
		if (nf >= cols->ncols) {
			return RS_SKIP_UNSURE; /* a misfit: MALFORMED */
		}
		/* A second type column would decide the type instead. */
		if ((q && memchr(raw.p, '"', raw.n) != NULL) ||
		    (nf > 0 && cols->field[nf] == RS_PMTA_F_TYPE)) {
			return RS_SKIP_UNSURE;
		}
		if (cols->field[nf] == RS_PMTA_F_BOUNCE_CAT &&
		    raw.n > DROP_CAT_MAX) {
			return RS_SKIP_UNSURE;
		}
		nf++;
	}
	if (r < 0 || nf != cols->ncols) {
		return RS_SKIP_UNSURE;
	}
	return RS_SKIP_DROP;
}

/* ---------------------------------------------------------------------
 * The prescan: headers per input, records split over lines.
 * ------------------------------------------------------------------- */

typedef struct header {
	char *text;
	size_t n;
	rs_pmta_columns_t cols;
} header_t;

/* One input: a file, or a Kafka topic partition. */
typedef struct scope {
	const char *input;
	int32_t partition;
	const rs_pmta_columns_t *cols; /* header in force; NULL: none */
	char *pend;                    /* an open record's lines so far */
	size_t pend_len, pend_cap;
	unsigned pend_lines;
	uint64_t last_use;
} scope_t;

struct rs_format_state {
	header_t headers[MAX_HEADERS];
	size_t nheaders;
	scope_t scopes[MAX_SCOPES];
	size_t nscopes;
	size_t cur; /* the scope of the previous line */
	uint64_t clock;
	size_t npending; /* scopes with an open record */
};

static rs_format_state_t *pmta_state_new(const rs_format_opts_t *opts,
                                         char *errstr, size_t errstr_size)
{
	(void)opts;
	return rs_format_state_alloc(sizeof(rs_format_state_t), errstr,
	                             errstr_size);
}

static void pmta_state_destroy(rs_format_state_t *st)
{
	if (st == NULL) {
		return;
	}
	for (size_t i = 0; i < st->nheaders; i++) {
		free(st->headers[i].text);
	}
	for (size_t i = 0; i < st->nscopes; i++) {
		free(st->scopes[i].pend);
	}
	free(st);
}

/* Forget a scope's open record. */
static void drop_pending(rs_format_state_t *st, scope_t *s)
{
	if (s->pend_lines > 0) {
		st->npending--;
	}
	s->pend_len = 0;
	s->pend_lines = 0;
}

/* The scope of a line; a new one replaces the least recently used. */
static scope_t *find_scope(rs_format_state_t *st, const rs_scan_line_t *l)
{
	scope_t *s = st->nscopes > 0 ? &st->scopes[st->cur] : NULL;
	size_t victim = 0;

	st->clock++;
	if (s != NULL && s->input == l->input && s->partition == l->partition) {
		s->last_use = st->clock;
		return s;
	}
	for (size_t i = 0; i < st->nscopes; i++) {
		s = &st->scopes[i];
		if (s->input == l->input && s->partition == l->partition) {
			st->cur = i;
			s->last_use = st->clock;
			return s;
		}
		if (s->last_use < st->scopes[victim].last_use) {
			victim = i;
		}
	}
	if (st->nscopes < MAX_SCOPES) {
		victim = st->nscopes++;
	} else {
		drop_pending(st, &st->scopes[victim]);
	}
	s = &st->scopes[victim];
	s->input = l->input;
	s->partition = l->partition;
	s->cols = NULL;
	s->pend_len = 0;
	s->pend_lines = 0;
	s->last_use = st->clock;
	st->cur = victim;
	return s;
}

/* The interned column map of a header line; NULL with *why. */
static const rs_pmta_columns_t *
intern_header(rs_format_state_t *st, const char *p, size_t n, const char **why)
{
	header_t *h;
	char err[128];

	for (size_t i = 0; i < st->nheaders; i++) {
		h = &st->headers[i];
		if (h->n == n && memcmp(h->text, p, n) == 0) {
			return &h->cols;
		}
	}
	if (st->nheaders == MAX_HEADERS) {
		*why = "PowerMTA header: more distinct header lines than one "
		       "run keeps (64); rows after it are read by the default "
		       "columns";
		return NULL;
	}
	h = &st->headers[st->nheaders];
	if (rs_pmta_columns_parse(p, n, 0, &h->cols, err, sizeof(err)) != 0) {
		*why = "PowerMTA header: cannot be read (an empty or quoted "
		       "column name, more than 256 columns, or no \"type\")";
		return NULL;
	}
	h->text = malloc(n);
	if (h->text == NULL) {
		*why = "PowerMTA header: out of memory";
		return NULL;
	}
	memcpy(h->text, p, n);
	h->n = n;
	st->nheaders++;
	return &h->cols;
}

/* Append side data for a line to aux. */
static void put_aux(rs_buf_t *aux, rs_scan_out_t *out,
                    const rs_pmta_columns_t *cols, const char *why,
                    const char *joined, size_t joined_len)
{
	pmta_aux_t a = {cols, why, joined_len};

	out->aux_off = aux->len;
	rs_buf_append(aux, &a, sizeof(a));
	if (joined_len > 0) {
		rs_buf_append(aux, joined, joined_len);
	}
	out->aux_len = aux->failed ? 0 : sizeof(a) + joined_len;
}

/* Why a record split over lines is given up. */
static const char too_long[] =
    "PowerMTA row: a quoted field runs over more than 16 lines or 64 KiB; "
    "the record is given up";
static const char open_at_end[] =
    "PowerMTA row: a quoted field is still open at the end of the file";

/* Add [p, p+n) (after a '\n' unless first) to the scope's open record. */
static int pend_add(rs_format_state_t *st, scope_t *s, const char *p, size_t n)
{
	size_t need = s->pend_len + (s->pend_lines > 0 ? 1 : 0) + n;

	if (s->pend_lines >= RS_PMTA_JOIN_LINES || need > RS_PMTA_JOIN_BYTES) {
		return -1;
	}
	if (need > s->pend_cap) {
		size_t cap = s->pend_cap ? s->pend_cap : 1024;
		char *np;
		while (cap < need) {
			cap *= 2;
		}
		np = realloc(s->pend, cap);
		if (np == NULL) {
			return -1;
		}
		s->pend = np;
		s->pend_cap = cap;
	}
	if (s->pend_lines > 0) {
		s->pend[s->pend_len++] = '\n';
	} else {
		st->npending++;
	}
	memcpy(s->pend + s->pend_len, p, n);
	s->pend_len += n;
	s->pend_lines++;
	return 0;
}

/* The prescan of one line; see the top of this file. */
static void prescan_line(rs_format_state_t *st, const rs_scan_line_t *l,
                         rs_buf_t *aux, rs_scan_out_t *out)
{
	scope_t *s = find_scope(st, l);
	const char *why = NULL;
	int cont;

	if (l->line_no == 1) { /* a file starts: its own header, if any */
		drop_pending(st, s);
		s->cols = NULL;
	}
	cont = s->pend_lines > 0;
	if (!cont) {
		if (!row_start(l->p, l->n)) {
			return;
		}
		if (rs_str_starts(l->p, l->n, "type,")) {
			s->cols = intern_header(st, l->p, l->n, &why);
			if (why != NULL) {
				put_aux(aux, out, NULL, why, NULL, 0);
			}
			return;
		}
		if (!ends_open(l->p, l->n, 0)) {
			if (s->cols != NULL) {
				put_aux(aux, out, s->cols, NULL, NULL, 0);
			}
			return;
		}
	}
	/* A line that opens a record or continues an open one. */
	if (pend_add(st, s, l->p, l->n) != 0) {
		why = too_long;
	} else if (!ends_open(l->p, l->n, cont)) {
		put_aux(aux, out, s->cols, NULL, s->pend, s->pend_len);
		drop_pending(st, s);
		return;
	} else if (l->input_ends) {
		why = open_at_end;
	} else {
		out->absorbed = 1;
		return;
	}
	drop_pending(st, s);
	put_aux(aux, out, s->cols, why, NULL, 0);
}

/* While a record of some input is open, every line must be seen. */
static void pmta_prescan(rs_format_state_t *st, const rs_scan_line_t *l,
                         rs_buf_t *aux, rs_scan_out_t *out)
{
	prescan_line(st, l, aux, out);
	out->hold = st->npending > 0;
}

/* Under auto: rows and header lines (and, while out->hold, all). */
static int pmta_scan_wants(const char *p, size_t n)
{
	return row_start(p, n);
}

const rs_format_t rs_pmta_format = {
    .name = "pmta",
    .summary = "PowerMTA accounting CSV (acct-file: d, b, t, tq, f rows)",
    .flags = RS_FORMAT_SKIPS_CLAIMED,
    .mta = RS_MTA_POWERMTA,
    .detect = pmta_detect,
    .parse = pmta_parse,
    .skips = pmta_skips,
    .state_new = pmta_state_new,
    .state_destroy = pmta_state_destroy,
    .scan_wants = pmta_scan_wants,
    .prescan = pmta_prescan,
};
