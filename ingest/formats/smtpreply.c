/* SPDX-License-Identifier: Apache-2.0 */
/*
 * smtpreply.c - basic code, enhanced status code and stage of an SMTP reply.
 *
 * Everything works on byte ranges of the input line; nothing is copied or
 * allocated. Reply texts come from many MTAs and from users' pastes, so the
 * readers are lenient about what surrounds a code but strict about the
 * code itself (three digits, first 2-5; "c.sss.ddd" with c in 2, 4, 5).
 */
#include "formats/smtpreply.h"

#include <pthread.h>
#include <stdint.h>

#include "util/str.h"

/* Is c a byte that can end or precede a code token? */
static int is_boundary(char c)
{
	return !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') ||
	         (c >= 'A' && c <= 'Z') || c == '.' || c == '_');
}

size_t rs_smtpreply_enhanced_len(const char *p, size_t n)
{
	size_t i = 0;
	size_t digits;

	if (n < 5 || (p[0] != '2' && p[0] != '4' && p[0] != '5') ||
	    p[1] != '.') {
		return 0;
	}
	i = 2;
	for (digits = 0; i < n && rs_str_isdigit(p[i]) && digits < 3; i++) {
		digits++;
	}
	if (digits == 0 || i >= n || p[i] != '.') {
		return 0;
	}
	i++;
	for (digits = 0; i < n && rs_str_isdigit(p[i]) && digits < 3; i++) {
		digits++;
	}
	if (digits == 0 || (i < n && !is_boundary(p[i]))) {
		return 0;
	}
	return i;
}

uint32_t rs_smtpreply_codes(const char *p, size_t n, rs_str_t *enhanced)
{
	uint32_t code;
	size_t i;
	size_t elen;

	if (enhanced != NULL) {
		*enhanced = RS_STR_NULL;
	}
	if (n < 3 || p[0] < '2' || p[0] > '5' || !rs_str_isdigit(p[1]) ||
	    !rs_str_isdigit(p[2])) {
		return 0;
	}
	if (n > 3 && p[3] != ' ' && p[3] != '-' && p[3] != '\t' &&
	    is_boundary(p[3]) == 0) {
		return 0;
	}
	code =
	    (uint32_t)((p[0] - '0') * 100 + (p[1] - '0') * 10 + (p[2] - '0'));
	i = 3;
	while (i < n && (p[i] == ' ' || p[i] == '-' || p[i] == '\t')) {
		i++;
	}
	elen = rs_smtpreply_enhanced_len(p + i, n - i);
	if (elen > 0 && enhanced != NULL) {
		*enhanced = rs_str(p + i, elen);
	}
	return code;
}

const char *rs_smtpreply_find(const char *p, size_t n, uint32_t *code,
                              rs_str_t *enhanced)
{
	for (size_t i = 0; i + 3 <= n; i++) {
		uint32_t c;

		if (p[i] < '2' || p[i] > '5') {
			continue;
		}
		if (i > 0 && !is_boundary(p[i - 1])) {
			continue;
		}
		/* "4.7.0" is not a basic code, and inside text a bare number
		 * ("X-Unix; 255") is not one either: a code there must be
		 * followed by a space or '-'. */
		if (i + 3 < n && p[i + 3] != ' ' && p[i + 3] != '-') {
			continue;
		}
		if (i > 0 && i + 3 == n) {
			continue;
		}
		c = rs_smtpreply_codes(p + i, n - i, enhanced);
		if (c != 0) {
			if (code != NULL) {
				*code = c;
			}
			return p + i;
		}
	}
	return NULL;
}

/* One command name and the stage a reply to it belongs to. */
struct command_stage {
	const char *name; /* lower case */
	rs_stage_t stage;
};

/* Longest names first where one is a prefix of another. */
static const struct command_stage commands[] = {
    {"end of data", RS_STAGE_END_OF_DATA},
    {"data block", RS_STAGE_END_OF_DATA},
    {"mail from", RS_STAGE_MAIL_FROM},
    {"rcpt to", RS_STAGE_RCPT_TO},
    {"data", RS_STAGE_DATA},
    {"ehlo", RS_STAGE_HELO},
    {"helo", RS_STAGE_HELO},
    {"lhlo", RS_STAGE_HELO},
    {"starttls", RS_STAGE_STARTTLS},
    {"auth", RS_STAGE_AUTH},
    {"initial connection", RS_STAGE_GREETING},
    {"banner", RS_STAGE_GREETING},
    {"connect", RS_STAGE_GREETING},
    {".", RS_STAGE_END_OF_DATA},
    {"mail", RS_STAGE_MAIL_FROM},
    {"rcpt", RS_STAGE_RCPT_TO},
};

rs_stage_t rs_smtpreply_stage_of_command(const char *p, size_t n)
{
	rs_str_t s = rs_str_trim(rs_str(p, n));

	/* Exim says "pipelined MAIL FROM", "(pipelined) sending data block". */
	if (s.n >= 10 && rs_str_ifind(s.p, 10, "pipelined ") == s.p) {
		s.p += 10;
		s.n -= 10;
	} else if (s.n >= 12 && rs_str_ifind(s.p, 12, "(pipelined) ") == s.p) {
		s.p += 12;
		s.n -= 12;
	}
	if (s.n >= 8 && rs_str_ifind(s.p, 8, "sending ") == s.p) {
		s.p += 8;
		s.n -= 8;
	}
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		size_t l = strlen(commands[i].name);

		if (s.n < l || rs_str_ifind(s.p, l, commands[i].name) != s.p) {
			continue;
		}
		/* The name must end at a word boundary ("DATA", not
		 * "DATABASE"). */
		if (s.n > l && !is_boundary(s.p[l]) && s.p[l] != ':') {
			continue;
		}
		return commands[i].stage;
	}
	return RS_STAGE_UNKNOWN;
}

/* Phrases in reply or reason text that prove a stage. */
static const struct command_stage phrases[] = {
    {"delivery temporarily suspended", RS_STAGE_QUEUE},
    {"while receiving the initial server greeting", RS_STAGE_GREETING},
    {"refused to talk to me", RS_STAGE_GREETING},
    {"after initial connection", RS_STAGE_GREETING},
    {"while performing the ehlo", RS_STAGE_HELO},
    {"while performing the helo", RS_STAGE_HELO},
    {"while performing the lhlo", RS_STAGE_HELO},
    {"cannot start tls", RS_STAGE_STARTTLS},
    {"while performing the starttls", RS_STAGE_STARTTLS},
    {"after starttls", RS_STAGE_STARTTLS},
    {"sasl authentication failed", RS_STAGE_AUTH},
    {"while sending mail from", RS_STAGE_MAIL_FROM},
    {"while sending rcpt to", RS_STAGE_RCPT_TO},
    {"while sending data command", RS_STAGE_DATA},
    {"while sending message body", RS_STAGE_END_OF_DATA},
    {"while sending end of data", RS_STAGE_END_OF_DATA},
};

rs_stage_t rs_smtpreply_stage_in_text(const char *p, size_t n)
{
	const char *m;

	/* Postfix: "(in reply to RCPT TO command)"; take the last one. */
	m = NULL;
	for (const char *q = p; q < p + n;) {
		const char *hit =
		    rs_str_ifind(q, (size_t)(p + n - q), "in reply to ");
		if (hit == NULL) {
			break;
		}
		m = hit;
		q = hit + 12;
	}
	if (m != NULL) {
		const char *cmd = m + 12;
		const char *end =
		    rs_str_ifind(cmd, (size_t)(p + n - cmd), " command");
		if (end != NULL) {
			rs_stage_t st = rs_smtpreply_stage_of_command(
			    cmd, (size_t)(end - cmd));
			if (st != RS_STAGE_UNKNOWN) {
				return st;
			}
		}
	}
	/* Exim: "after RCPT TO:<x>", "after end of data". The command
	 * pointer is computed directly: "p - 1" would point before the
	 * array, which C does not allow even without a read. */
	{
		const char *cmd = NULL;
		if (n >= 6 && rs_str_ifind(p, 6, "after ") == p) {
			cmd = p + 6;
		} else if ((m = rs_str_ifind(p, n, " after ")) != NULL) {
			cmd = m + 7;
		}
		if (cmd != NULL) {
			rs_stage_t st = rs_smtpreply_stage_of_command(
			    cmd, (size_t)(p + n - cmd));
			if (st != RS_STAGE_UNKNOWN) {
				return st;
			}
		}
	}
	/* Exim: "Remote host closed connection in response to RCPT TO". */
	if ((m = rs_str_ifind(p, n, "in response to ")) != NULL) {
		const char *cmd = m + 15;
		rs_stage_t st =
		    rs_smtpreply_stage_of_command(cmd, (size_t)(p + n - cmd));
		if (st != RS_STAGE_UNKNOWN) {
			return st;
		}
	}
	for (size_t i = 0; i < sizeof(phrases) / sizeof(phrases[0]); i++) {
		if (rs_str_ifind(p, n, phrases[i].name) != NULL) {
			return phrases[i].stage;
		}
	}
	if (n >= 11 && rs_str_ifind(p, 11, "connect to ") == p) {
		return RS_STAGE_CONNECT;
	}
	return RS_STAGE_UNKNOWN;
}

/* Failure texts of the sending MTA (lower case), in precedence order. */
static const struct command_stage failure_phrases[] = {
    /* Decided inside the MTA, no new attempt: queue. */
    {"retry timeout exceeded", RS_STAGE_QUEUE},
    {"have been failing for a long time", RS_STAGE_QUEUE},
    {"retry time not reached", RS_STAGE_QUEUE},
    {"retry time not yet reached", RS_STAGE_QUEUE},
    {"unrouteable address", RS_STAGE_QUEUE},
    {"explicitly queued", RS_STAGE_QUEUE},
    {"first-pass only routing", RS_STAGE_QUEUE},
    {"queue_smtp_domains", RS_STAGE_QUEUE},
    {"connection limit reached", RS_STAGE_QUEUE},
    {"concurrency limit reached", RS_STAGE_QUEUE},
    /* TLS negotiation. */
    {"cannot start tls", RS_STAGE_STARTTLS},
    {"tls is required", RS_STAGE_STARTTLS},
    {"a tls session is required", RS_STAGE_STARTTLS},
    {"tls session", RS_STAGE_STARTTLS},
    {"tls error on connection", RS_STAGE_STARTTLS},
    {"tls handshake", RS_STAGE_STARTTLS},
    {"certificate verification", RS_STAGE_STARTTLS},
    {"server certificate not", RS_STAGE_STARTTLS},
    {"ssl_connect error", RS_STAGE_STARTTLS},
    {"starttls", RS_STAGE_STARTTLS},
    /* SMTP AUTH. */
    {"sasl authentication failed", RS_STAGE_AUTH},
    {"authentication required", RS_STAGE_AUTH},
    /* qmail-remote names the command a remote failure followed. */
    {"but greeting failed", RS_STAGE_GREETING},
    {"but my name was rejected", RS_STAGE_HELO},
    {"but sender was rejected", RS_STAGE_MAIL_FROM},
    {"does not like recipient", RS_STAGE_RCPT_TO},
    {"failed on data command", RS_STAGE_DATA},
    {"failed after i sent the message", RS_STAGE_END_OF_DATA},
    /* No TCP connection, or no address to connect to: connect. DNS
     * failures count here too: no SMTP reply was received. */
    {"wasn't able to establish an smtp connection", RS_STAGE_CONNECT},
    {"couldn't find any host", RS_STAGE_CONNECT},
    {"couldn't find a mail exchanger", RS_STAGE_CONNECT},
    {"connection refused", RS_STAGE_CONNECT},
    {"connection timed out", RS_STAGE_CONNECT},
    {"network error", RS_STAGE_CONNECT},
    {"network is unreachable", RS_STAGE_CONNECT},
    {"no route to host", RS_STAGE_CONNECT},
    {"host is unreachable", RS_STAGE_CONNECT},
    {"host is down", RS_STAGE_CONNECT},
    {"host unknown", RS_STAGE_CONNECT},
    {"name server timeout", RS_STAGE_CONNECT},
    {"host not found", RS_STAGE_CONNECT},
    {"host name lookup failure", RS_STAGE_CONNECT},
    {"host lookup did not complete", RS_STAGE_CONNECT},
    {"host or domain name not found", RS_STAGE_CONNECT},
    {"name service error", RS_STAGE_CONNECT},
    {"does not accept mail (nullmx)", RS_STAGE_CONNECT},
};

#define NFAILURE (sizeof(failure_phrases) / sizeof(failure_phrases[0]))
_Static_assert(NFAILURE <= 64, "failure phrases are indexed by 64-bit masks");

/* Per byte: the failure phrases that start with it (either case), and
 * each phrase's length; built once. */
static uint64_t failure_first[256];
static size_t failure_len[NFAILURE];
static pthread_once_t failure_once = PTHREAD_ONCE_INIT;

static void failure_init(void)
{
	for (size_t i = 0; i < NFAILURE; i++) {
		unsigned char c = (unsigned char)failure_phrases[i].name[0];

		failure_len[i] = strlen(failure_phrases[i].name);
		failure_first[c] |= (uint64_t)1 << i;
		if (c >= 'a' && c <= 'z') {
			failure_first[c - 32] |= (uint64_t)1 << i;
		}
	}
}

/* Does [p, p+l) equal lit (lower case) ignoring ASCII case? */
static int iequal(const char *p, const char *lit, size_t l)
{
	for (size_t j = 0; j < l; j++) {
		if (rs_str_lower((unsigned char)p[j]) !=
		    (unsigned char)lit[j]) {
			return 0;
		}
	}
	return 1;
}

/*
 * One pass over the text: at each byte only the phrases that start with
 * it, and only those before the best one found so far, are compared.
 */
rs_stage_t rs_smtpreply_stage_of_failure(const char *p, size_t n)
{
	size_t best = NFAILURE;

	pthread_once(&failure_once, failure_init);
	for (size_t i = 0; i < n && best > 0; i++) {
		uint64_t m = failure_first[(unsigned char)p[i]];

		m &= best >= 64 ? ~(uint64_t)0 : (((uint64_t)1 << best) - 1);
		while (m != 0) {
			size_t k = (size_t)__builtin_ctzll(m);

			m &= m - 1;
			if (failure_len[k] <= n - i &&
			    iequal(p + i, failure_phrases[k].name,
			           failure_len[k])) {
				best = k;
				break;
			}
		}
	}
	return best < NFAILURE ? failure_phrases[best].stage : RS_STAGE_UNKNOWN;
}

int rs_smtpreply_is_expiry(const char *p, size_t n)
{
	return rs_str_ifind(p, n, "retry timeout exceeded") != NULL ||
	       rs_str_ifind(p, n, "have been failing for a long time") != NULL;
}
