/* SPDX-License-Identifier: Apache-2.0 */
/*
 * classify.c - one SMTP reply in, one cause class out.
 *
 * The reply text is scanned once with the rule set's Hyperscan database;
 * the matching rules whose scope holds are ranked by the precedence of
 * rules/README.md, and the best classifying rule wins. When no rule
 * classifies, the enhanced status code (RFC 3463 and the IANA registry of
 * RFC 5248) decides, then the basic reply code (RFC 5321, 4954, 7504).
 *
 * @locality any thread; each thread passes its own rs_rules_scratch_t.
 * Ownership: the verdict points into the rule set and into static tables
 * of this file; nothing is allocated per call.
 * Hazards: the text may hold any bytes (invalid UTF-8, NUL) and is not
 * NUL-terminated; Hyperscan takes an unsigned int length, so a text longer
 * than UINT_MAX bytes is scanned only up to that length.
 */
#include "classify/classify.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include "classify/normalise.h"
#include "classify/rules_private.h"

/* ------------------------------------------------------------------ */
/* Enhanced status codes (RFC 3463, IANA registry of RFC 5248)          */
/* ------------------------------------------------------------------ */

/* Detail wildcard: the subject's default for details not listed. */
#define ANY_DETAIL 0xffffu

/* One subject.detail and its class, with static rule ids per class. */
struct enhanced_map {
	unsigned subject;
	unsigned detail;
	rs_cause_t cause;
	const char *id4;
	const char *id5;
	int precise; /* decides before the word model (EP) */
};

#define E(s, d, c)                                                             \
	{                                                                      \
		s, d, RS_CAUSE_##c, "enhanced:4." #s "." #d,                   \
		    "enhanced:5." #s "." #d, 0                                 \
	}
#define EP(s, d, c)                                                            \
	{                                                                      \
		s, d, RS_CAUSE_##c, "enhanced:4." #s "." #d,                   \
		    "enhanced:5." #s "." #d, 1                                 \
	}
#define E_ANY(s, c)                                                            \
	{                                                                      \
		s, ANY_DETAIL, RS_CAUSE_##c, "enhanced:4." #s ".x",            \
		    "enhanced:5." #s ".x", 0                                   \
	}

/*
 * Every registered code of subjects 1-7 whose meaning names a cause; the
 * others (X.0.0, X.1.0, X.1.4, X.1.5, X.1.9, X.2.0, X.2.4, X.3.6, X.4.0,
 * X.6.4) fall through to the basic code. An unregistered detail of
 * subject 3, 5, 6 or 7 takes the subject's default ("enhanced:5.7.x").
 * The reasoning per code is in rules/README.md.
 */
static const struct enhanced_map enhanced_table[] = {
    E(1, 1, USER_UNKNOWN),         /* bad destination mailbox address */
    EP(1, 2, BAD_DOMAIN),          /* bad destination system address */
    E(1, 3, USER_UNKNOWN),         /* bad destination mailbox syntax */
    EP(1, 6, MAILBOX_DISABLED),    /* mailbox has moved */
    EP(1, 7, INVALID_SENDER),      /* bad sender's mailbox syntax */
    EP(1, 8, INVALID_SENDER),      /* bad sender's system address */
    EP(1, 10, BAD_DOMAIN),         /* recipient has null MX, RFC 7505 */
    EP(2, 1, MAILBOX_DISABLED),    /* mailbox disabled */
    EP(2, 2, MAILBOX_FULL),        /* mailbox full */
    EP(2, 3, MESSAGE_TOO_LARGE),   /* message length exceeds limit */
    E(3, 0, SERVICE_UNAVAILABLE),  /* other mail system status */
    E(3, 1, SERVICE_UNAVAILABLE),  /* mail system full */
    E(3, 2, SERVICE_UNAVAILABLE),  /* not accepting network messages */
    E(3, 3, SERVICE_UNAVAILABLE),  /* system not capable of features */
    EP(3, 4, MESSAGE_TOO_LARGE),   /* message too big for system */
    E(3, 5, SERVICE_UNAVAILABLE),  /* system incorrectly configured */
    E(3, 6, UNSPECIFIED),          /* priority changed: not a failure */
    E_ANY(3, SERVICE_UNAVAILABLE), /* mail system status */
    E(4, 1, NETWORK_CONNECTION),   /* no answer from host */
    E(4, 2, NETWORK_CONNECTION),   /* bad connection */
    E(4, 3, DNS_FAILURE),          /* directory server failure */
    E(4, 4, BAD_DOMAIN),           /* unable to route (no MX/A) */
    E(4, 5, SERVICE_UNAVAILABLE),  /* mail system congestion */
    E(4, 6, ROUTING_ERROR),        /* routing loop detected */
    EP(4, 7, EXPIRED),             /* delivery time expired */
    E(5, 0, PROTOCOL_ERROR),       /* other protocol status */
    E(5, 1, PROTOCOL_ERROR),       /* invalid command */
    E(5, 2, PROTOCOL_ERROR),       /* syntax error */
    EP(5, 3, TOO_MANY_RECIPIENTS), /* too many recipients */
    E(5, 4, PROTOCOL_ERROR),       /* invalid command arguments */
    E(5, 5, PROTOCOL_ERROR),       /* wrong protocol version */
    E(5, 6, PROTOCOL_ERROR),       /* AUTH exchange line too long */
    E_ANY(5, PROTOCOL_ERROR),      /* mail delivery protocol status */
    E(6, 0, CONTENT_POLICY),       /* other media error */
    E(6, 1, CONTENT_POLICY),       /* media not supported */
    E(6, 2, CONTENT_POLICY),       /* conversion required, prohibited */
    E(6, 3, CONTENT_POLICY),       /* conversion required, unsupported */
    E(6, 4, UNSPECIFIED),          /* conversion with loss performed */
    E(6, 5, CONTENT_POLICY),       /* conversion failed */
    E(6, 6, CONTENT_POLICY),       /* message content not available */
    E(6, 7, CONTENT_POLICY),       /* non-ASCII addresses not permitted */
    E(6, 8, CONTENT_POLICY),       /* UTF-8 reply required */
    E(6, 9, CONTENT_POLICY),       /* UTF-8 header cannot be transferred */
    E(6, 10, CONTENT_POLICY),      /* UTF-8 reply required (RFC 6533) */
    E_ANY(6, CONTENT_POLICY),      /* message content or media */
    E(7, 0, POLICY_OTHER),         /* other security or policy status */
    E(7, 1, POLICY_OTHER),         /* delivery not authorized */
    E(7, 2, POLICY_OTHER),         /* list expansion prohibited */
    E(7, 3, POLICY_OTHER),         /* security conversion not possible */
    E(7, 4, POLICY_OTHER),         /* security features not supported */
    E(7, 5, POLICY_OTHER),         /* cryptographic failure */
    E(7, 6, POLICY_OTHER),         /* crypto algorithm not supported */
    E(7, 7, POLICY_OTHER),         /* message integrity failure */
    EP(7, 8, AUTH_FAILURE),        /* authentication credentials invalid */
    EP(7, 9, AUTH_FAILURE),        /* authentication mechanism too weak */
    EP(7, 10, TLS_REQUIRED),       /* encryption needed */
    EP(7, 11, TLS_REQUIRED),       /* encryption required for mechanism */
    EP(7, 12, AUTH_FAILURE),       /* password transition needed */
    EP(7, 13, MAILBOX_DISABLED),   /* user account disabled */
    E(7, 14, POLICY_OTHER),        /* trust relationship required */
    E(7, 15, POLICY_OTHER),        /* priority level too low */
    E(7, 16, MESSAGE_TOO_LARGE),   /* too big for the priority */
    EP(7, 17, MAILBOX_DISABLED),   /* mailbox owner has changed */
    E(7, 18, POLICY_OTHER),        /* domain owner has changed */
    E(7, 19, POLICY_OTHER),        /* RRVS test cannot be completed */
    EP(7, 20, AUTH_FAILURE),       /* no passing DKIM signature */
    EP(7, 21, AUTH_FAILURE),       /* no acceptable DKIM signature */
    EP(7, 22, AUTH_FAILURE),       /* no author-matched DKIM signature */
    EP(7, 23, AUTH_FAILURE),       /* SPF validation failed */
    EP(7, 24, AUTH_FAILURE),       /* SPF validation error */
    EP(7, 25, REVERSE_DNS),        /* reverse DNS validation failed */
    EP(7, 26, AUTH_FAILURE),       /* multiple authentication checks */
    EP(7, 27, INVALID_SENDER),     /* sender address has null MX */
    EP(7, 28, RATE_LIMIT),         /* mail flood detected */
    EP(7, 29, AUTH_FAILURE),       /* ARC validation failure */
    EP(7, 30, TLS_REQUIRED),       /* REQUIRETLS support required */
    E_ANY(7, POLICY_OTHER),        /* security or policy status */
};

#undef E
#undef EP
#undef E_ANY

/* Read 1-3 digits at p[*i]; -1 when there are none or too many. */
static long read_number(const char *p, size_t n, size_t *i)
{
	long v = 0;
	size_t start = *i;

	while (*i < n && p[*i] >= '0' && p[*i] <= '9' && *i - start < 3) {
		v = v * 10 + (p[*i] - '0');
		(*i)++;
	}
	if (*i == start || (*i < n && p[*i] >= '0' && p[*i] <= '9')) {
		return -1;
	}
	return v;
}

/*
 * Look up "c.s.d" (exactly len bytes); class, cause and static rule id,
 * or NULL when the code is malformed, a success, or not in the table.
 */
static const struct enhanced_map *enhanced_lookup(const char *code, size_t len,
                                                  char *cls)
{
	const struct enhanced_map *dflt = NULL;
	size_t i = 2;
	long subject;
	long detail;

	if (code == NULL || len < 5 || (code[0] != '4' && code[0] != '5') ||
	    code[1] != '.') {
		return NULL;
	}
	subject = read_number(code, len, &i);
	if (subject < 0 || i >= len || code[i] != '.') {
		return NULL;
	}
	i++;
	detail = read_number(code, len, &i);
	if (detail < 0 || i != len) {
		return NULL;
	}
	*cls = code[0];
	for (size_t k = 0;
	     k < sizeof(enhanced_table) / sizeof(enhanced_table[0]); k++) {
		const struct enhanced_map *m = &enhanced_table[k];
		if (m->subject != (unsigned)subject) {
			continue;
		}
		if (m->detail == (unsigned)detail) {
			return m;
		}
		if (m->detail == ANY_DETAIL) {
			dflt = m;
		}
	}
	return dflt;
}

/*
 * Can this basic code answer AUTH? RFC 4954 sections 4 and 6: 432, 454,
 * 500, 501, 503, 504, 534, 535, 538 (0: no basic code to say otherwise).
 */
static int auth_reply_code(uint32_t basic)
{
	switch (basic) {
	case 0:
	case 432:
	case 454:
	case 500:
	case 501:
	case 503:
	case 504:
	case 534:
	case 535:
	case 538:
		return 1;
	default:
		return 0;
	}
}

/*
 * The SMTP command an enhanced code is given in reply to, where RFC 3463
 * and RFC 5248 make it plain: addressing the recipient (X.1.1-X.1.6,
 * X.1.10, mailbox status X.2.1/X.2.2, too many recipients X.5.3, account
 * X.7.13/X.7.17) at RCPT TO; the sender's address (X.1.7/X.1.8, null MX
 * X.7.27, REQUIRETLS X.7.30) at MAIL FROM; the message's size, media or
 * content and the checks that need the body (DKIM, DMARC, ARC,
 * X.7.20-X.7.22, X.7.26, X.7.29) after the end of data; credentials
 * (X.7.8, X.7.9, X.7.11, X.7.12) at AUTH when the basic code is one AUTH
 * can draw (a 554 5.7.9 is a policy refusal of the message, not of
 * credentials); delivery time X.4.7 in the queue. X.6.7 (a non-ASCII
 * address without SMTPUTF8, RFC 6531) is the sender's or a recipient's
 * address, given at MAIL FROM or RCPT TO, so it names neither. Everything
 * else (X.7.1, X.5.x, X.4.x, X.3.x ...) names no command.
 * RS_STAGE_UNSPECIFIED when none.
 */
static rs_stage_t enhanced_stage(const char *code, size_t len, uint32_t basic)
{
	size_t i = 2;
	long subject, detail;

	if (code == NULL || len < 5 || (code[0] != '4' && code[0] != '5') ||
	    code[1] != '.') {
		return RS_STAGE_UNSPECIFIED;
	}
	subject = read_number(code, len, &i);
	if (subject < 0 || i >= len || code[i] != '.') {
		return RS_STAGE_UNSPECIFIED;
	}
	i++;
	detail = read_number(code, len, &i);
	if (detail < 0 || i != len) {
		return RS_STAGE_UNSPECIFIED;
	}
	switch (subject) {
	case 1:
		if (detail == 7 || detail == 8) {
			return RS_STAGE_MAIL_FROM;
		}
		if ((detail >= 1 && detail <= 6) || detail == 10) {
			return RS_STAGE_RCPT_TO;
		}
		break;
	case 2:
		if (detail == 1 || detail == 2) {
			return RS_STAGE_RCPT_TO;
		}
		if (detail == 3) {
			return RS_STAGE_END_OF_DATA;
		}
		break;
	case 3:
		if (detail == 4) {
			return RS_STAGE_END_OF_DATA;
		}
		break;
	case 4:
		if (detail == 7) {
			return RS_STAGE_QUEUE;
		}
		break;
	case 5:
		if (detail == 3) {
			return RS_STAGE_RCPT_TO;
		}
		break;
	case 6:
		return detail == 7 ? RS_STAGE_UNSPECIFIED
		                   : RS_STAGE_END_OF_DATA;
	case 7:
		switch (detail) {
		case 7:
		case 20:
		case 21:
		case 22:
		case 26:
		case 29:
			return RS_STAGE_END_OF_DATA;
		case 8:
		case 9:
		case 11:
		case 12:
			return auth_reply_code(basic) ? RS_STAGE_AUTH
			                              : RS_STAGE_UNSPECIFIED;
		case 13:
		case 17:
			return RS_STAGE_RCPT_TO;
		case 27:
		case 30:
			return RS_STAGE_MAIL_FROM;
		default:
			break;
		}
		break;
	default:
		break;
	}
	return RS_STAGE_UNSPECIFIED;
}

/* Class of an enhanced code alone, from the table above. */
rs_cause_t rs_classify_enhanced(const char *code, size_t len)
{
	char cls;
	const struct enhanced_map *m = enhanced_lookup(code, len, &cls);

	return m != NULL ? m->cause : RS_CAUSE_UNSPECIFIED;
}

/* ------------------------------------------------------------------ */
/* Basic reply codes (RFC 5321, RFC 4954, RFC 7504)                     */
/* ------------------------------------------------------------------ */

struct basic_map {
	uint32_t code;
	rs_cause_t cause;
	const char *id;
	int precise; /* decides before the word model (BP) */
};

#define B(n, c)                                                                \
	{                                                                      \
		n, RS_CAUSE_##c, "basic:" #n, 0                                \
	}
#define BP(n, c)                                                               \
	{                                                                      \
		n, RS_CAUSE_##c, "basic:" #n, 1                                \
	}

/*
 * Conservative: only codes with one meaning are listed. 450, 452, 454,
 * 550-554 are used for many different causes and decide nothing.
 */
static const struct basic_map basic_table[] = {
    B(421, SERVICE_UNAVAILABLE), /* service not available, closing */
    B(451, SERVICE_UNAVAILABLE), /* local error in processing */
    B(455, PROTOCOL_ERROR),      /* cannot accommodate parameters */
    B(500, PROTOCOL_ERROR),      /* syntax error, command unrecognised */
    B(501, PROTOCOL_ERROR),      /* syntax error in arguments */
    B(502, PROTOCOL_ERROR),      /* command not implemented */
    B(503, PROTOCOL_ERROR),      /* bad sequence of commands */
    B(504, PROTOCOL_ERROR),      /* parameter not implemented */
    BP(521, BAD_DOMAIN),         /* host does not accept mail, RFC 7504 */
    BP(530, AUTH_FAILURE),       /* authentication required, RFC 4954 */
    BP(534, AUTH_FAILURE),       /* mechanism too weak, RFC 4954 */
    BP(535, AUTH_FAILURE),       /* credentials invalid, RFC 4954 */
    BP(538, TLS_REQUIRED),       /* encryption required, RFC 4954 */
    B(555, PROTOCOL_ERROR),      /* MAIL/RCPT parameters not recognised */
    BP(556, BAD_DOMAIN),         /* domain does not accept mail, RFC 7504 */
};

#undef B
#undef BP

/* Entry of the basic table for code, or NULL. */
static const struct basic_map *basic_lookup(uint32_t code)
{
	for (size_t i = 0; i < sizeof(basic_table) / sizeof(basic_table[0]);
	     i++) {
		if (basic_table[i].code == code) {
			return &basic_table[i];
		}
	}
	return NULL;
}

/* Class of a basic reply code alone, from the table above. */
rs_cause_t rs_classify_basic(uint32_t code)
{
	const struct basic_map *m = basic_lookup(code);

	return m != NULL ? m->cause : RS_CAUSE_UNSPECIFIED;
}

/* ------------------------------------------------------------------ */
/* The code's class digit and the stage                                */
/* ------------------------------------------------------------------ */

struct stage_map {
	char digit; /* '4' or '5' */
	rs_stage_t stage;
	rs_cause_t cause;
	const char *id;
};

/*
 * The last resort before uncategorized: a refusal whose words and codes
 * say nothing more is read by the command it answered. A permanent
 * refusal of RCPT TO is, in practice, a recipient the receiver does not
 * take; of MAIL FROM, the sender; of the connection or greeting, the
 * sending host. TLS and AUTH stages name their own cause whatever the
 * code.
 */
static const struct stage_map stage_table[] = {
    {'5', RS_STAGE_RCPT_TO, RS_CAUSE_USER_UNKNOWN, "stage:5xx.rcpt_to"},
    {'5', RS_STAGE_MAIL_FROM, RS_CAUSE_INVALID_SENDER, "stage:5xx.mail_from"},
    {'5', RS_STAGE_CONNECT, RS_CAUSE_IP_POLICY_BLOCK, "stage:5xx.connect"},
    {'5', RS_STAGE_GREETING, RS_CAUSE_IP_POLICY_BLOCK, "stage:5xx.greeting"},
    {'5', RS_STAGE_HELO, RS_CAUSE_HELO_IDENTITY, "stage:5xx.helo"},
    {'5', RS_STAGE_STARTTLS, RS_CAUSE_TLS_REQUIRED, "stage:5xx.starttls"},
    {'4', RS_STAGE_STARTTLS, RS_CAUSE_TLS_REQUIRED, "stage:4xx.starttls"},
    {'5', RS_STAGE_AUTH, RS_CAUSE_AUTH_FAILURE, "stage:5xx.auth"},
    {'4', RS_STAGE_AUTH, RS_CAUSE_AUTH_FAILURE, "stage:4xx.auth"},
};

/* Entry for a basic code and a stage, or NULL. */
static const struct stage_map *stage_lookup(uint32_t code, rs_stage_t stage)
{
	char digit = code >= 400 && code < 500   ? '4'
	             : code >= 500 && code < 600 ? '5'
	                                         : 0;

	for (size_t i = 0; i < sizeof(stage_table) / sizeof(stage_table[0]);
	     i++) {
		if (stage_table[i].digit == digit &&
		    stage_table[i].stage == stage) {
			return &stage_table[i];
		}
	}
	return NULL;
}

/* The basic code decides; the enhanced class digit when there is none. */
const char *rs_classify_permanence(uint32_t reply_code, const char *enhanced,
                                   size_t enhanced_len)
{
	if (reply_code >= 400 && reply_code < 500) {
		return "temporary";
	}
	if (reply_code >= 500 && reply_code < 600) {
		return "permanent";
	}
	if (enhanced != NULL && enhanced_len >= 5 && enhanced[1] == '.') {
		if (enhanced[0] == '4') {
			return "temporary";
		}
		if (enhanced[0] == '5') {
			return "permanent";
		}
	}
	return "unknown";
}

/* ------------------------------------------------------------------ */
/* Scan and precedence                                                 */
/* ------------------------------------------------------------------ */

/* Hyperscan match callback: note each rule once, and the first provider. */
static int on_match(unsigned int id, unsigned long long from,
                    unsigned long long to, unsigned int flags, void *ctx)
{
	rs_rules_scratch_t *s = ctx;
	size_t nrules = s->rules->nrules;

	(void)from;
	(void)to;
	(void)flags;
	if (id < nrules) {
		if (!s->seen[id]) {
			s->seen[id] = 1;
			s->hits[s->nhits++] = id;
		}
	} else {
		long p = (long)(id - nrules);
		if (s->wording_provider < 0 || p < s->wording_provider) {
			s->wording_provider = p;
		}
	}
	return 0;
}

/* Does the rule's scope hold for this input and detected provider? */
static int scope_holds(const rs_rule_t *r, const rs_classify_in_t *in,
                       long provider)
{
	if (r->stage_mask != 0 && ((unsigned)in->stage >= 32 ||
	                           (r->stage_mask & (1u << in->stage)) == 0)) {
		return 0;
	}
	if (r->provider >= 0 && r->provider != provider) {
		return 0;
	}
	if (r->ncodes > 0) {
		size_t i;
		for (i = 0; i < r->ncodes; i++) {
			if (in->reply_code >= r->codes[i].lo &&
			    in->reply_code <= r->codes[i].hi) {
				break;
			}
		}
		if (i == r->ncodes) {
			return 0;
		}
	}
	return 1;
}

/*
 * Does a rank before b? Classifying rules before tag-only rules, then
 * (1) provider-scoped before generic, (2) higher priority, (3) load order.
 */
static int ranks_before(const rs_rule_t *a, const rs_rule_t *b)
{
	int ac = a->cause != RS_CAUSE_UNSPECIFIED;
	int bc = b->cause != RS_CAUSE_UNSPECIFIED;
	int ap = a->provider >= 0;
	int bp = b->provider >= 0;

	if (ac != bc) {
		return ac;
	}
	if (ap != bp) {
		return ap;
	}
	if (a->priority != b->priority) {
		return a->priority > b->priority;
	}
	return a->order < b->order;
}

/* Add a tag unless present or the list is full. */
static void add_tag(rs_verdict_t *out, const char *tag)
{
	if (out->ntags >= RS_CLASSIFY_MAX_TAGS) {
		return;
	}
	for (size_t i = 0; i < out->ntags; i++) {
		if (strcmp(out->tags[i], tag) == 0) {
			return;
		}
	}
	out->tags[out->ntags++] = tag;
}

/* Longest MX suffix match on a label boundary; NULL when none. Called
 * for every event: one hash probe per label (classify/mxindex.c). */
const char *rs_classify_provider(const rs_rules_t *rules, const char *host,
                                 size_t host_len)
{
	long p;

	if (rules == NULL || host == NULL) {
		return NULL;
	}
	p = rs_mxindex_find(rules->mxindex, host, host_len);
	return p >= 0 ? rules->providers[p].id : NULL;
}

/* Provider index of the MX host, else of the wording, else -1. */
static long detect_provider(const rs_rules_t *rules,
                            const rs_rules_scratch_t *s,
                            const rs_classify_in_t *in)
{
	if (in->mx_host != NULL && in->mx_host_len > 0) {
		long p = rs_mxindex_find(rules->mxindex, in->mx_host,
		                         in->mx_host_len);
		if (p >= 0) {
			return p;
		}
	}
	return s->wording_provider;
}

/*
 * Where the reply was most likely given when the log does not say: the
 * first matching stage rule (a rule with infers_stage and neither class
 * nor tags), else the first matching rule (in precedence order) that names
 * a stage, else the enhanced code's command.
 */
static void infer_stage(const rs_rules_t *rules,
                        const rs_rules_scratch_t *scratch,
                        const rs_classify_in_t *in, rs_verdict_t *out)
{
	rs_stage_t st;

	if (out->stage_source == RS_STAGE_SOURCE_LOG) {
		return;
	}
	/* Stage rules (no class, no tags: they only name the command of a
	 * wrapper wording) come first; then any rule that names a stage. */
	for (size_t i = 0; i < scratch->ncand; i++) {
		const rs_rule_t *r = &rules->rules[scratch->cand[i]];

		if (r->cause == RS_CAUSE_UNSPECIFIED && r->ntags == 0 &&
		    r->infers_stage != RS_STAGE_UNSPECIFIED) {
			out->stage_inferred = r->infers_stage;
			out->stage_source = RS_STAGE_SOURCE_REPLY_WORDING;
			return;
		}
	}
	for (size_t i = 0; i < scratch->ncand; i++) {
		st = rules->rules[scratch->cand[i]].infers_stage;
		if (st != RS_STAGE_UNSPECIFIED) {
			out->stage_inferred = st;
			out->stage_source = RS_STAGE_SOURCE_REPLY_WORDING;
			return;
		}
	}
	st =
	    enhanced_stage(in->enhanced_code, in->enhanced_len, in->reply_code);
	if (st != RS_STAGE_UNSPECIFIED) {
		out->stage_inferred = st;
		out->stage_source = RS_STAGE_SOURCE_ENHANCED_CODE;
	}
}

/*
 * The last step of stage inference, once the class is decided: the command
 * a refusal of this class can only answer, when neither the log, the
 * wording nor the enhanced code said where. It reads the verdict and never
 * feeds back into it (the class fallbacks above use only the log's,
 * wording's and enhanced code's stage). RFC 5321 section 4.3.2 gives which
 * replies each command may draw; the table is in rules/README.md.
 */
rs_stage_t rs_classify_class_stage(rs_cause_t cause, uint32_t reply_code)
{
	switch (cause) {
	/* Properties of one recipient: known at RCPT TO, the first moment
	 * the receiver sees the address (greylisting's triplet is complete
	 * there too, RFC 6647 section 2). */
	case RS_CAUSE_USER_UNKNOWN:
	case RS_CAUSE_MAILBOX_FULL:
	case RS_CAUSE_MAILBOX_DISABLED:
	case RS_CAUSE_RELAY_DENIED:
	case RS_CAUSE_TOO_MANY_RECIPIENTS:
	case RS_CAUSE_GREYLISTING:
		return RS_STAGE_RCPT_TO;
	case RS_CAUSE_INVALID_SENDER:
		return RS_STAGE_MAIL_FROM;
	case RS_CAUSE_HELO_IDENTITY:
		return RS_STAGE_HELO;
	/* Verdicts on the message itself: the body exists only after the
	 * final dot. */
	case RS_CAUSE_CONTENT_SPAM:
	case RS_CAUSE_CONTENT_POLICY:
	case RS_CAUSE_VIRUS:
	case RS_CAUSE_MESSAGE_TOO_LARGE:
		return RS_STAGE_END_OF_DATA;
	case RS_CAUSE_EXPIRED:
		return RS_STAGE_QUEUE;
	/* A connection limit is enforced when the connection is accepted. */
	case RS_CAUSE_CONNECTION_LIMIT:
		return RS_STAGE_GREETING;
	/* A receiver too busy or broken to serve that closes the channel
	 * (421, RFC 5321 section 3.8) says so in its banner: Sendmail's
	 * load refusal, Postfix postscreen's "421 4.3.2 Service currently
	 * unavailable", Exim's smtp_accept_max. With other codes it comes
	 * at any command. */
	case RS_CAUSE_SERVICE_UNAVAILABLE:
		return reply_code == 421 ? RS_STAGE_GREETING
		                         : RS_STAGE_UNSPECIFIED;
	/* Refusing the client's IP: 554 is the only refusal RFC 5321 allows
	 * at connection establishment (and 421 closes the channel there); any
	 * other code is an access check at a later command. */
	case RS_CAUSE_IP_POLICY_BLOCK:
	case RS_CAUSE_REVERSE_DNS:
		return reply_code == 421 || reply_code == 554
		           ? RS_STAGE_GREETING
		           : RS_STAGE_UNSPECIFIED;
	/* No reply code: the sending MTA's own words about a failure before
	 * or while connecting (its DNS lookup, the TCP connect). With a code,
	 * the receiver said it, at any command. */
	case RS_CAUSE_NETWORK_CONNECTION:
	case RS_CAUSE_DNS_FAILURE:
		return reply_code == 0 ? RS_STAGE_CONNECT
		                       : RS_STAGE_UNSPECIFIED;
	case RS_CAUSE_BAD_DOMAIN:
		if (reply_code == 0) {
			return RS_STAGE_CONNECT;
		}
		/* RFC 7504: 521 is a host's greeting when it takes no mail. */
		return reply_code == 521 ? RS_STAGE_GREETING : RS_STAGE_RCPT_TO;
	default:
		/* Blocklists (Postfix answers them at RCPT TO), reputation,
		 * rates, SPF/DKIM/SMTP AUTH, TLS, protocol, service and other
		 * policy refusals come at any command. */
		return RS_STAGE_UNSPECIFIED;
	}
}

/*
 * The last step of stage inference: the basic reply code, where RFC 5321
 * section 4.3.2 (with RFC 4954 and RFC 7504) and practice leave it one
 * point. 450 is a reply to RCPT TO (or a policy refusal of DATA); 554 is
 * allowed only at connection establishment and after DATA, and the
 * connection-time ones are refusals of the client that the class step
 * has placed already, so what is left is after the data - except a
 * blocklist or reputation refusal, which comes at the greeting or at
 * RCPT TO; 521 is the banner of a host that takes no mail (RFC 7504);
 * 530 (authentication required, RFC 4954 section 6) answers the first
 * command that needs it, MAIL FROM. UNSPECIFIED for every other code:
 * 421, 451, 452, 550-553 and the 50x syntax replies come at many
 * commands.
 */
rs_stage_t rs_classify_code_stage(uint32_t reply_code, rs_cause_t cause)
{
	switch (reply_code) {
	case 450:
		return RS_STAGE_RCPT_TO;
	case 521:
		return RS_STAGE_GREETING;
	case 530:
		return RS_STAGE_MAIL_FROM;
	case 554:
		return cause == RS_CAUSE_BLOCKLIST ||
		               cause == RS_CAUSE_SENDER_REPUTATION
		           ? RS_STAGE_UNSPECIFIED
		           : RS_STAGE_END_OF_DATA;
	default:
		return RS_STAGE_UNSPECIFIED;
	}
}

/*
 * Once the class is decided and nothing before placed the reply: the first
 * matching stage hint (a rule with stage_hint: words that suggest the
 * command, such as "recipient"), else the class, else the basic code.
 * None of these feeds the class: decide_cause has run.
 */
static void infer_stage_late(const rs_rules_t *rules,
                             const rs_rules_scratch_t *scratch,
                             const rs_classify_in_t *in, rs_verdict_t *out)
{
	rs_stage_t st;

	if (out->stage_source != RS_STAGE_SOURCE_NONE) {
		return;
	}
	for (size_t i = 0; i < scratch->ncand; i++) {
		st = rules->rules[scratch->cand[i]].stage_hint;
		if (st != RS_STAGE_UNSPECIFIED) {
			out->stage_inferred = st;
			out->stage_source = RS_STAGE_SOURCE_REPLY_WORDING;
			return;
		}
	}
	st = rs_classify_class_stage(out->cause, in->reply_code);
	if (st != RS_STAGE_UNSPECIFIED) {
		out->stage_inferred = st;
		out->stage_source = RS_STAGE_SOURCE_CLASS;
		return;
	}
	st = rs_classify_code_stage(in->reply_code, out->cause);
	if (st != RS_STAGE_UNSPECIFIED) {
		out->stage_inferred = st;
		out->stage_source = RS_STAGE_SOURCE_REPLY_CODE;
	}
}

void rs_verdict_init(rs_verdict_t *out, rs_stage_t logged)
{
	memset(out, 0, sizeof(*out));
	out->cause = RS_CAUSE_UNCATEGORIZED;
	out->basis = RS_BASIS_NONE;
	out->rule_id = "";
	if (logged != RS_STAGE_UNSPECIFIED && logged != RS_STAGE_UNKNOWN) {
		out->stage_inferred = logged;
		out->stage_source = RS_STAGE_SOURCE_LOG;
	} else {
		out->stage_inferred = RS_STAGE_UNKNOWN;
		out->stage_source = RS_STAGE_SOURCE_NONE;
	}
}

/* Scan once, rank the matching rules, else fall back to the codes. */
/*
 * The input as the rules see it: the reply in its normal form (in the
 * scratch's buffer, grown when a reply is longer), and the leading codes
 * the normaliser read where the parser had none (or only a default X.0.0).
 */
static void normalise_input(rs_rules_scratch_t *scratch,
                            const rs_classify_in_t *in, rs_classify_in_t *eff)
{
	const char *text = in->text != NULL ? in->text : "";
	size_t len = in->text != NULL ? in->text_len : 0;
	rs_normalised_t nr;

	scratch->norm_len = 0;
	*eff = *in;
	eff->text = text;
	eff->text_len = len;
	if (len + 1 > scratch->norm_cap) {
		size_t cap = len + 1 > scratch->norm_cap * 2
		                 ? len + 1
		                 : scratch->norm_cap * 2;
		char *p = realloc(scratch->norm, cap);
		if (p == NULL) {
			/* out of memory: match the text as it is */
			scratch->norm_code = eff->reply_code;
			scratch->norm_enhanced = eff->enhanced_code;
			scratch->norm_enhanced_len = eff->enhanced_len;
			return;
		}
		scratch->norm = p;
		scratch->norm_cap = cap;
	}
	rs_normalise_reply(text, len, scratch->norm, scratch->norm_cap, &nr);
	scratch->norm_len = nr.len;
	eff->text = scratch->norm;
	eff->text_len = nr.len;
	if (eff->reply_code == 0 && nr.code != 0) {
		eff->reply_code = nr.code;
	}
	/*
	 * A parser's "X.0.0" (sendmail's and Postfix's dsn= default when the
	 * reply named none) carries only the class digit; an enhanced code the
	 * reply writes itself (qmail's and Exchange's "#4.3.0") says more.
	 */
	if (nr.enhanced.p != NULL &&
	    (eff->enhanced_code == NULL ||
	     (eff->enhanced_len == 5 &&
	      memcmp(eff->enhanced_code + 1, ".0.0", 4) == 0 &&
	      nr.enhanced.n > 0 &&
	      nr.enhanced.p[0] == eff->enhanced_code[0]))) {
		eff->enhanced_code = nr.enhanced.p;
		eff->enhanced_len = nr.enhanced.n;
	}
	/*
	 * The word step's codes: these, but a parser's default X.0.0 that the
	 * reply does not write itself counts as none, as it does bare
	 * (variants34: the same reply in Postfix's log line, dsn=4.0.0, and
	 * pasted alone read code:x.0.0 against code:none).
	 */
	scratch->norm_code = eff->reply_code;
	scratch->norm_enhanced = eff->enhanced_code;
	scratch->norm_enhanced_len = eff->enhanced_len;
	if (nr.enhanced.p == NULL && eff->enhanced_code != NULL &&
	    eff->enhanced_len == 5 &&
	    memcmp(eff->enhanced_code + 1, ".0.0", 4) == 0) {
		scratch->norm_enhanced = NULL;
		scratch->norm_enhanced_len = 0;
	}
}

/*
 * The learned word evidence (words.h) for the normal form and the codes
 * the word step reads (normalise_input), kept in the verdict; wr->known is 0
 * without a model or a known word.
 */
static void score_words(const rs_rules_t *rules,
                        const rs_rules_scratch_t *scratch,
                        rs_words_result_t *wr, rs_verdict_t *out)
{
	rs_words_score(rules->words, scratch->norm, scratch->norm_len,
	               scratch->norm_code, scratch->norm_enhanced,
	               scratch->norm_enhanced_len, 0, wr);
	out->words_known = wr->known;
	out->words_cause = wr->cause;
	out->words_posterior = wr->posterior;
}

/* The word model decides. */
static void decide_words(const rs_words_result_t *wr, rs_verdict_t *out)
{
	out->cause = wr->cause;
	out->basis = RS_BASIS_WORDS;
	out->rule_id = wr->rule_id;
}

/* An enhanced status code decides (cls: the code's class, '4' or '5'). */
static void decide_enhanced(const struct enhanced_map *em, char cls,
                            rs_verdict_t *out)
{
	out->cause = em->cause;
	out->basis = RS_BASIS_ENHANCED;
	out->rule_id = cls == '4' ? em->id4 : em->id5;
}

/* A basic reply code decides. */
static void decide_basic(const struct basic_map *bm, rs_verdict_t *out)
{
	out->cause = bm->cause;
	out->basis = RS_BASIS_BASIC;
	out->rule_id = bm->id;
}

/*
 * The class: the winning rule, else the precise codes, else the learned
 * word evidence when sure (threshold), else the other codes, else the
 * stage, else the word evidence when more likely than not
 * (threshold_alone); rules/README.md, "Classification order".
 */
static void decide_cause(const rs_rules_t *rules,
                         const rs_rules_scratch_t *scratch,
                         const rs_rule_t *winner, const rs_classify_in_t *in,
                         rs_verdict_t *out)
{
	char cls = 0; /* set by enhanced_lookup when it finds a code */
	const struct enhanced_map *em;
	const struct basic_map *bm;
	rs_words_result_t wr;

	if (winner != NULL) {
		out->cause = winner->cause;
		out->basis = RS_BASIS_RULE;
		out->rule = winner;
		out->rule_id = winner->id;
		return;
	}
	em = enhanced_lookup(in->enhanced_code, in->enhanced_len, &cls);
	if (em != NULL && em->cause == RS_CAUSE_UNSPECIFIED) {
		em = NULL;
	}
	bm = basic_lookup(in->reply_code);
	if (em != NULL && em->precise) {
		decide_enhanced(em, cls, out);
		return;
	}
	if (em == NULL && bm != NULL && bm->precise) {
		decide_basic(bm, out);
		return;
	}
	score_words(rules, scratch, &wr, out);
	if (wr.decides) {
		decide_words(&wr, out);
		return;
	}
	if (em != NULL) {
		decide_enhanced(em, cls, out);
		return;
	}
	if (bm != NULL) {
		decide_basic(bm, out);
		return;
	}
	{
		rs_stage_t st = in->stage != RS_STAGE_UNKNOWN &&
		                        in->stage != RS_STAGE_UNSPECIFIED
		                    ? in->stage
		                    : out->stage_inferred;
		const struct stage_map *m = stage_lookup(in->reply_code, st);
		if (m != NULL) {
			out->cause = m->cause;
			out->basis = RS_BASIS_STAGE;
			out->rule_id = m->id;
			return;
		}
	}
	if (wr.decides_alone) {
		decide_words(&wr, out);
	}
}

int rs_classify(const rs_rules_t *rules, rs_rules_scratch_t *scratch,
                const rs_classify_in_t *raw, rs_verdict_t *out)
{
	rs_classify_in_t eff;
	const rs_classify_in_t *in = &eff;
	const char *text;
	size_t len;
	const rs_rule_t *winner = NULL;
	long provider;
	hs_error_t err;

	rs_verdict_init(out, raw->stage);
	/* A scratch sized for another set would overrun its arrays. */
	if (scratch == NULL || scratch->rules != rules) {
		return -1;
	}
	normalise_input(scratch, raw, &eff);
	text = eff.text;
	len = eff.text_len;
	scratch->nhits = 0;
	scratch->ncand = 0;
	scratch->wording_provider = -1;
	if (len > UINT_MAX) {
		len = UINT_MAX;
	}
	err = hs_scan(rules->db, text, (unsigned int)len, 0, scratch->hs,
	              on_match, scratch);
	for (size_t i = 0; i < scratch->nhits; i++) {
		scratch->seen[scratch->hits[i]] = 0;
	}
	if (err != HS_SUCCESS) {
		scratch->nhits = 0;
		return -1;
	}

	provider = detect_provider(rules, scratch, in);
	if (provider >= 0) {
		out->provider = rules->providers[provider].id;
		add_tag(out, rules->providers[provider].tag);
	}

	/* Keep rules whose scope holds, insertion-sorted by precedence. */
	for (size_t i = 0; i < scratch->nhits; i++) {
		const rs_rule_t *r = &rules->rules[scratch->hits[i]];
		size_t j;

		if (!scope_holds(r, in, provider)) {
			continue;
		}
		j = scratch->ncand;
		while (j > 0 &&
		       ranks_before(r, &rules->rules[scratch->cand[j - 1]])) {
			scratch->cand[j] = scratch->cand[j - 1];
			j--;
		}
		scratch->cand[j] = scratch->hits[i];
		scratch->ncand++;
	}
	for (size_t i = 0; i < scratch->ncand; i++) {
		const rs_rule_t *r = &rules->rules[scratch->cand[i]];

		if (i < RS_CLASSIFY_MAX_MATCHES) {
			out->matches[out->nmatches++] = r;
		}
		for (size_t t = 0; t < r->ntags; t++) {
			add_tag(out, r->tags[t]);
		}
	}
	if (scratch->ncand > 0) {
		const rs_rule_t *first = &rules->rules[scratch->cand[0]];
		if (first->cause != RS_CAUSE_UNSPECIFIED) {
			winner = first;
		}
	}
	infer_stage(rules, scratch, in, out);
	decide_cause(rules, scratch, winner, in, out);
	infer_stage_late(rules, scratch, in, out);
	return 0;
}

int rs_classify_record(const rs_rules_t *rules, rs_rules_scratch_t *scratch,
                       const rs_record_t *rec, rs_verdict_t *out)
{
	rs_classify_in_t in;

	rs_classify_in_from_record(&in, rec);
	return rs_classify(rules, scratch, &in, out);
}
