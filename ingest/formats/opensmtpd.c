/* SPDX-License-Identifier: Apache-2.0 */
/*
 * opensmtpd.c - OpenSMTPD delivery lines to records.
 *
 * Forms read (usr.sbin/smtpd mta.c, mda.c and their history):
 *   current    "<session> mta delivery evpid=<id> from=<s> to=<d> rcpt=<r|->
 *              source="<ip|->" relay="<ip> (<name>)" delay=<dur>
 *              result="<Ok|TempFail|PermFail>" stat="<text>""
 *   2016-2018  the same with "mta event=delivery"; before 2016-11 with
 *              unquoted values (relay=<ip> (<name>), result=Ok, stat=...)
 *   local      "<session> mda delivery evpid=... from=<s> to=<d>
 *              [rcpt=<r>] user=<u> delay=<dur> result=<R> stat=<text>"
 *              (unquoted; stat runs to the end of the line)
 *   2013-2016  "relay: <Result> for <evpid>: [session=<id>, ]from=<s>,
 *              to=<d>, [rcpt=<r>, ][source=<ip>, ]relay=<ip> (<name>),
 *              delay=<dur>, stat=<text>" (comma-separated)
 * each with a syslog prefix ("... smtpd[pid]: ", in 2013 "transfer[pid]:
 * "), a prefix cut to "smtpd[pid]: ", or none (a bare session id first).
 *
 * Decisions:
 *  - result Ok -> SENT, TempFail -> DEFERRED, PermFail -> BOUNCED (also
 *    "Loop detected"); another result is MALFORMED.
 *  - recipient is to= (the address delivered to); rcpt= (the original
 *    recipient, "-" when the same) is not kept.
 *  - source= is the sending IP (sending_ip; "-" means none); relay=
 *    "<ip> (<name>)" gives remote_ip and remote_host (the name, or the IP
 *    when the name is the IP again).
 *  - stat is reply_text: a reply code at its start gives reply_code and
 *    enhanced_code ("421 <x> Service not available"). OpenSMTPD does not
 *    log which command was answered: stage unknown, except where the
 *    text is the MTA's own failure (rs_smtpreply_stage_of_failure).
 *  - mda lines (local delivery through an MDA or LMTP) are outcomes too;
 *    their stat is OpenSMTPD's text ("Error (temporary failure: ...)"),
 *    not a peer's reply: reply_code 0.
 *  - delay=<dur> ("0s", "2s", "1d2h3m4s") -> delays.total.
 *  - Every other OpenSMTPD line (smtp connected/message/envelope,
 *    mta connecting/connected/tls, smtp-out:, smtp-in:, debug:, lookup:,
 *    the -T traces "mta: 0x...: <<< ...", "smtp: 0x...: >>> ...",
 *    "mproc: ", "imsg: ", "ramstat: ") is SKIPPED. A line that is not OpenSMTPD
 *    at all (no smtpd/transfer tag and no session id or known prefix) is
 *    MALFORMED; a delivery line without result= too.
 *
 * Ownership: slices point into the line. @locality any thread; stateless.
 *
 * Hazards: quoted values have no escapes; stat is the last field and its
 * text may hold '"', so a quoted stat runs to the last '"' of the line.
 */
#include "formats/opensmtpd.h"

#include "formats/fields.h"
#include "formats/smtpreply.h"
#include "util/num.h"
#include "util/str.h"

#define LIT_LEN(s) (sizeof(s) - 1)

/* Hex digits of an OpenSMTPD session or envelope id. */
#define ID_LEN 16

/* Is [p, p+n) a 16-digit lower-case hex id? */
static int is_id(const char *p, size_t n)
{
	if (n != ID_LEN) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		if (!rs_str_isdigit(p[i]) && !(p[i] >= 'a' && p[i] <= 'f')) {
			return 0;
		}
	}
	return 1;
}

/* Is the syslog tag OpenSMTPD's ("smtpd", in 2013 "transfer")? */
static int is_program(rs_str_t program)
{
	rs_str_t base = rs_fields_program_base(program);

	return base.p != NULL && (rs_str_eq(base.p, base.n, "smtpd") ||
	                          rs_str_eq(base.p, base.n, "transfer"));
}

/* A prefix cut to "smtpd[pid]: ": the message after it, or NULL. */
static const char *cut_prefix(const char *p, size_t n)
{
	const char *q;

	if (!rs_str_starts(p, n, "smtpd[")) {
		return NULL;
	}
	q = p + LIT_LEN("smtpd[");
	while (q < p + n && rs_str_isdigit(*q)) {
		q++;
	}
	if (q + 2 > p + n || q[0] != ']' || q[1] != ':') {
		return NULL;
	}
	q += 2;
	return q < p + n && *q == ' ' ? q + 1 : q;
}

/* Does a message (after any prefix) start like OpenSMTPD's? */
static int bare_message(const char *p, size_t n)
{
	return (n > ID_LEN && p[ID_LEN] == ' ' && is_id(p, ID_LEN)) ||
	       rs_str_starts(p, n, "relay: ") ||
	       rs_str_starts(p, n, "delivery: ") ||
	       rs_str_starts(p, n, "smtp-out: ") ||
	       rs_str_starts(p, n, "smtp-in: ") ||
	       rs_str_starts(p, n, "debug: ") ||
	       rs_str_starts(p, n, "lookup: ") ||
	       rs_str_starts(p, n, "mta: ") ||
	       rs_str_starts(p, n, "smtp: 0x") ||
	       rs_str_starts(p, n, "mproc: ") ||
	       rs_str_starts(p, n, "imsg: ") ||
	       rs_str_starts(p, n, "ramstat: ");
}

/* A value at v: quoted ("...", to the next '"', or with last set to the
 * last '"' of the line) or up to the next space. */
static rs_str_t value_at(const char *v, const char *e, int last)
{
	const char *q;

	if (v < e && *v == '"') {
		if (last) {
			for (q = e; q > v + 1 && q[-1] != '"'; q--) {
			}
			if (q > v + 1) {
				return rs_str(v + 1, (size_t)(q - 1 - v - 1));
			}
		} else if ((q = memchr(v + 1, '"', (size_t)(e - v - 1))) !=
		           NULL) {
			return rs_str(v + 1, (size_t)(q - v - 1));
		}
		return rs_str(v + 1, (size_t)(e - v - 1)); /* cut short */
	}
	q = memchr(v, ' ', (size_t)(e - v));
	return rs_str(v, (size_t)((q ? q : e) - v));
}

/* "<ip> (<name>)" (relay=) into remote_ip / remote_host. */
static void set_relay(rs_record_t *rec, rs_str_t r)
{
	const char *sp = memchr(r.p, ' ', r.n);
	rs_str_t ip = rs_str(r.p, sp ? (size_t)(sp - r.p) : r.n);

	if (rs_str_is_ip(ip.p, ip.n)) {
		rec->remote_ip = ip;
	}
	if (sp != NULL && sp + 2 < r.p + r.n && sp[1] == '(') {
		const char *name = sp + 2;
		const char *close =
		    memchr(name, ')', (size_t)(r.p + r.n - name));
		if (close != NULL && close > name) {
			rec->remote_host = rs_str(name, (size_t)(close - name));
			return;
		}
	}
	if (rec->remote_ip.p == NULL && ip.n > 0) {
		rec->remote_host = ip;
	}
}

/* result -> status; 0 when unknown. */
static rs_status_t result_status(rs_str_t r)
{
	if (rs_str_eq(r.p, r.n, "Ok")) {
		return RS_STATUS_SENT;
	}
	if (rs_str_eq(r.p, r.n, "TempFail")) {
		return RS_STATUS_DEFERRED;
	}
	if (rs_str_eq(r.p, r.n, "PermFail")) {
		return RS_STATUS_BOUNCED;
	}
	return RS_STATUS_UNSPECIFIED;
}

/* The reply, its codes and the stage from stat. mda: never a peer's. */
static void set_stat(rs_record_t *rec, rs_str_t stat, int mda)
{
	rec->reply_text = stat;
	if (!mda) {
		rec->reply_code =
		    rs_smtpreply_codes(stat.p, stat.n, &rec->enhanced_code);
	}
	if (rec->reply_code == 0 && rec->status != RS_STATUS_SENT) {
		rec->stage = rs_smtpreply_stage_of_failure(stat.p, stat.n);
	}
}

/* Set the sender and the recipient from "<addr>" values. */
static void set_addrs(rs_record_t *rec, rs_str_t from, rs_str_t to)
{
	if (from.p != NULL) {
		rec->sender = rs_fields_strip_angle(from);
	}
	if (to.p != NULL && to.n > 0) {
		rs_record_set_recipient(rec, rs_fields_strip_angle(to));
	}
}

/* The key=value fields of the current and 2016 forms, from p to e. */
static rs_parse_result_t parse_kv(const char *p, const char *e, int mda,
                                  rs_record_t *rec, const char **why)
{
	rs_str_t from = RS_STR_NULL, to = RS_STR_NULL, result = RS_STR_NULL;
	rs_str_t stat = RS_STR_NULL, v;

	while (p < e) {
		const char *eq;

		while (p < e && *p == ' ') {
			p++;
		}
		eq = memchr(p, '=', (size_t)(e - p));
		if (eq == NULL) {
			break;
		}
		if (rs_str_eq(p, (size_t)(eq - p), "stat")) {
			/* The last field: quoted to the last '"', or all. */
			stat = eq + 1 < e && eq[1] == '"'
			           ? value_at(eq + 1, e, 1)
			           : rs_str(eq + 1, (size_t)(e - eq - 1));
			break;
		}
		v = value_at(eq + 1, e, 0);
		if (rs_str_eq(p, (size_t)(eq - p), "evpid")) {
			rec->queue_id = v;
		} else if (rs_str_eq(p, (size_t)(eq - p), "from")) {
			from = v;
		} else if (rs_str_eq(p, (size_t)(eq - p), "to")) {
			to = v;
		} else if (rs_str_eq(p, (size_t)(eq - p), "source")) {
			if (!rs_str_eq(v.p, v.n, "-") && v.n > 0) {
				rec->sending_ip = v;
			}
		} else if (rs_str_eq(p, (size_t)(eq - p), "relay")) {
			/* Unquoted (2016): "<ip> (<name>)" runs on. */
			if (eq + 1 < e && eq[1] != '"') {
				const char *close =
				    memchr(v.p, ')', (size_t)(e - v.p));
				if (v.p + v.n + 1 < e && v.p[v.n + 1] == '(' &&
				    close != NULL) {
					v = rs_str(v.p,
					           (size_t)(close + 1 - v.p));
				}
			}
			set_relay(rec, v);
		} else if (rs_str_eq(p, (size_t)(eq - p), "delay")) {
			rec->delays.total = rs_num_units(v.p, v.n);
		} else if (rs_str_eq(p, (size_t)(eq - p), "result")) {
			result = v;
		}
		p = v.p + v.n;
		if (p < e && *p == '"') {
			p++;
		}
	}
	if (result.p == NULL) {
		*why = "OpenSMTPD delivery line without result=";
		return RS_PARSE_MALFORMED;
	}
	rec->status = result_status(result);
	if (rec->status == RS_STATUS_UNSPECIFIED) {
		*why =
		    "OpenSMTPD delivery line: result= is not Ok, TempFail or "
		    "PermFail";
		return RS_PARSE_MALFORMED;
	}
	set_addrs(rec, from, to);
	set_stat(rec, stat.p ? stat : rs_str(e, 0), mda);
	return RS_PARSE_EVENT;
}

/*
 * The 2013 form after "relay: " (or the local "delivery: "): "<Result>
 * for <evpid>: k=v, k=v, ..., stat=<text>".
 */
static rs_parse_result_t parse_relay(const char *p, const char *e, int mda,
                                     rs_record_t *rec, const char **why)
{
	const char *sp = memchr(p, ' ', (size_t)(e - p));
	const char *colon;
	rs_str_t from = RS_STR_NULL, to = RS_STR_NULL, stat = RS_STR_NULL;

	if (sp == NULL || !rs_str_starts(sp, (size_t)(e - sp), " for ")) {
		return RS_PARSE_SKIP; /* "relay: ..." of another kind */
	}
	rec->status = result_status(rs_str(p, (size_t)(sp - p)));
	if (rec->status == RS_STATUS_UNSPECIFIED) {
		return RS_PARSE_SKIP;
	}
	p = sp + LIT_LEN(" for ");
	colon = rs_str_find(p, (size_t)(e - p), ": ");
	if (colon == NULL) {
		*why = "OpenSMTPD relay line without \"<evpid>: \" after "
		       "\"for\"";
		return RS_PARSE_MALFORMED;
	}
	rec->queue_id = rs_str(p, (size_t)(colon - p));
	p = colon + 2;
	while (p < e) {
		const char *eq = memchr(p, '=', (size_t)(e - p));
		rs_str_t v;

		if (eq == NULL) {
			break;
		}
		if (rs_str_eq(p, (size_t)(eq - p), "stat")) {
			stat = rs_str(eq + 1, (size_t)(e - eq - 1));
			break;
		}
		v = rs_fields_comma_value(eq + 1, e);
		if (rs_str_eq(p, (size_t)(eq - p), "from")) {
			from = v;
		} else if (rs_str_eq(p, (size_t)(eq - p), "to")) {
			to = v;
		} else if (rs_str_eq(p, (size_t)(eq - p), "source")) {
			rec->sending_ip = v;
		} else if (rs_str_eq(p, (size_t)(eq - p), "relay")) {
			set_relay(rec, v);
		} else if (rs_str_eq(p, (size_t)(eq - p), "delay")) {
			rec->delays.total = rs_num_units(v.p, v.n);
		}
		p = v.p + v.n;
		if (p + 2 <= e && p[0] == ',' && p[1] == ' ') {
			p += 2;
		} else {
			break;
		}
	}
	set_addrs(rec, from, to);
	set_stat(rec, stat.p ? stat : rs_str(e, 0), mda);
	return RS_PARSE_EVENT;
}

/* The message after any prefix. */
static rs_parse_result_t parse_message(const char *p, size_t n,
                                       rs_record_t *rec, const char **why)
{
	const char *e = p + n;

	while (e > p && (e[-1] == ' ' || e[-1] == '\t')) {
		e--;
	}
	n = (size_t)(e - p);
	if (rs_str_starts(p, n, "relay: ")) {
		return parse_relay(p + LIT_LEN("relay: "), e, 0, rec, why);
	}
	if (rs_str_starts(p, n, "delivery: ")) {
		return parse_relay(p + LIT_LEN("delivery: "), e, 1, rec, why);
	}
	if (n > ID_LEN && p[ID_LEN] == ' ' && is_id(p, ID_LEN)) {
		const char *m = p + ID_LEN + 1;
		size_t mn = (size_t)(e - m);

		if (rs_str_starts(m, mn, "mta delivery ")) {
			return parse_kv(m + LIT_LEN("mta delivery "), e, 0, rec,
			                why);
		}
		if (rs_str_starts(m, mn, "mta event=delivery ")) {
			return parse_kv(m + LIT_LEN("mta event=delivery "), e,
			                0, rec, why);
		}
		if (rs_str_starts(m, mn, "mda delivery ")) {
			return parse_kv(m + LIT_LEN("mda delivery "), e, 1, rec,
			                why);
		}
	}
	return RS_PARSE_SKIP;
}

static int opensmtpd_detect(rs_logline_t *ll)
{
	const rs_syslog_t *sl;

	if (rs_fields_foreign_syslog(ll, is_program)) {
		return 0;
	}
	if (ll->n > 0 && ll->p[0] != '<' &&
	    (bare_message(ll->p, ll->n) || cut_prefix(ll->p, ll->n))) {
		return 1;
	}
	sl = rs_logline_syslog(ll);
	return sl != NULL && is_program(sl->program);
}

/*
 * Could parse_message() make an event of the message [p, p+n)? No for
 * every message it skips: all but "relay: ", "delivery: " and a session
 * id with "mta delivery ", "mta event=delivery " or "mda delivery ".
 */
static int outcome_message(const char *p, size_t n)
{
	const char *m;
	size_t mn;

	if (rs_str_starts(p, n, "relay: ") ||
	    rs_str_starts(p, n, "delivery: ")) {
		return 1;
	}
	if (n <= ID_LEN || p[ID_LEN] != ' ') {
		return 0;
	}
	m = p + ID_LEN + 1;
	mn = n - ID_LEN - 1;
	return rs_str_starts(m, mn, "mta delivery ") ||
	       rs_str_starts(m, mn, "mta event=delivery ") ||
	       rs_str_starts(m, mn, "mda delivery ");
}

/*
 * The skip path (format.h): detect()'s own tests, then the message's
 * first words. Session chatter (mta connecting, smtp connected, smtp-out:
 * ...) is skipped by parse_message() and is not ours; delivery lines are
 * parsed (a sent one is a few per session and needs the whole line read
 * to tell it is well-formed).
 */
static rs_skip_t opensmtpd_skips(rs_logline_t *ll)
{
	const rs_syslog_t *sl;
	const char *m;

	if (rs_fields_foreign_syslog(ll, is_program) || ll->n == 0) {
		return RS_SKIP_NOT_MINE;
	}
	if ((m = cut_prefix(ll->p, ll->n)) != NULL) {
		return outcome_message(m, (size_t)(ll->p + ll->n - m))
		           ? RS_SKIP_UNSURE
		           : RS_SKIP_NOT_MINE;
	}
	if (bare_message(ll->p, ll->n)) {
		return outcome_message(ll->p, ll->n) ? RS_SKIP_UNSURE
		                                     : RS_SKIP_NOT_MINE;
	}
	/* Neither a cut prefix nor a bare message: detect() wants the
	 * syslog tag smtpd or transfer. */
	sl = rs_logline_syslog(ll);
	if (sl == NULL || !is_program(sl->program)) {
		return RS_SKIP_NOT_MINE;
	}
	return outcome_message(sl->msg.p, sl->msg.n) ? RS_SKIP_UNSURE
	                                             : RS_SKIP_NOT_MINE;
}

static rs_parse_result_t opensmtpd_parse(rs_logline_t *ll, rs_record_t *rec,
                                         const char **why)
{
	const rs_syslog_t *sl;
	const char *m;
	rs_parse_result_t res;

	rec->mta = RS_MTA_OPENSMTPD;
	if (ll->n == 0) {
		return RS_PARSE_SKIP;
	}
	if ((m = cut_prefix(ll->p, ll->n)) != NULL) {
		rec->program = rs_str(ll->p, LIT_LEN("smtpd"));
		return parse_message(m, (size_t)(ll->p + ll->n - m), rec, why);
	}
	if (bare_message(ll->p, ll->n)) {
		return parse_message(ll->p, ll->n, rec, why);
	}
	sl = rs_logline_syslog(ll);
	if (sl == NULL) {
		*why = "not an OpenSMTPD line (no smtpd syslog tag, session id "
		       "or \"relay:\" first)";
		return RS_PARSE_MALFORMED;
	}
	if (!is_program(sl->program)) {
		return RS_PARSE_SKIP;
	}
	res = parse_message(sl->msg.p, sl->msg.n, rec, why);
	rs_fields_from_syslog(rec, sl);
	return res;
}

const rs_format_t rs_opensmtpd_format = {
    .name = "opensmtpd",
    .summary = "OpenSMTPD smtpd lines (mta/mda delivery, relay: ...)",
    .flags = 0,
    .mta = RS_MTA_OPENSMTPD,
    .detect = opensmtpd_detect,
    .parse = opensmtpd_parse,
    .skips = opensmtpd_skips,
};
