/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_kafkareplay.c - the message key `replyscan replay --key` gives each
 * line (rs_kafkareplay_line_key, kafka/replay.c): the syslog host in
 * every syslog form the parsers read, the file name for lines that carry
 * no host (PowerMTA accounting rows and their header, KumoMTA's JSON,
 * Exim's own mainlog), nothing under --key none. The end-to-end proof
 * (a host's stateful lines kept together over a real broker) is the
 * `keyed` scenario of tests/kafka/integration.sh.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kafka/replay.h"

typedef struct key_case {
	rs_kafkareplay_key_t mode;
	const char *source; /* NULL: stdin */
	const char *line;
	const char *want; /* NULL: no key */
} key_case_t;

static const key_case_t cases[] = {
    /* RFC 3164, as Postfix, Sendmail, qmail and Exim via syslog write */
    {RS_KAFKAREPLAY_KEY_HOST, "mail.log",
     "Jun  1 01:37:01 relay3 exim[3203]: 1ImWfq-0000000PIJK-YmdM == "
     "user@hotmail.com R=dnslookup T=remote_smtp defer (110): Connection "
     "timed out",
     "relay3"},
    {RS_KAFKAREPLAY_KEY_HOST, "mail.log",
     "Dec  7 10:00:01 mx-out-2 qmail: 1733565601.123456 starting delivery "
     "12: msg 4711 to remote user@example.org",
     "mx-out-2"},
    /* RFC 5424 with its priority */
    {RS_KAFKAREPLAY_KEY_HOST, "mail.log",
     "<22>1 2026-12-07T10:00:01.123Z edge-7.example.net postfix/smtp 4242 "
     "- - 4B1C2D3E4F: to=<a@example.org>, status=deferred",
     "edge-7.example.net"},
    /* ISO 8601 timestamp, as rsyslog's high-precision template writes */
    {RS_KAFKAREPLAY_KEY_HOST, NULL,
     "2026-12-07T10:00:01.123456+01:00 smtp-a sendmail[991]: 2B7A0q0001: "
     "to=<b@example.org>, stat=Deferred",
     "smtp-a"},
    /* no host: the file name keys the line (the PowerMTA header with its
     * rows, KumoMTA's JSON, Exim's mainlog) */
    {RS_KAFKAREPLAY_KEY_HOST, "acct-2026-12-07.csv",
     "type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,dsnStatus",
     "acct-2026-12-07.csv"},
    {RS_KAFKAREPLAY_KEY_HOST, "kumo.jsonl",
     "{\"type\":\"TransientFailure\",\"id\":\"1d98076abbbc11ed\"}",
     "kumo.jsonl"},
    {RS_KAFKAREPLAY_KEY_HOST, NULL,
     "2026-12-07 10:00:01 1qWDNd-0000000TOxJ-AtSg == u@example.org "
     "R=dnslookup T=remote_smtp defer (-53): retry time not reached",
     "-"},
    {RS_KAFKAREPLAY_KEY_HOST, "x.log", "", "x.log"},
    /* --key file: the file name even where a host is written */
    {RS_KAFKAREPLAY_KEY_FILE, "relays/mx1.log",
     "Jun  1 01:37:01 relay3 exim[3203]: 1ImWfq-0000000PIJK-YmdM == x",
     "relays/mx1.log"},
    {RS_KAFKAREPLAY_KEY_FILE, NULL, "anything", "-"},
    /* --key none */
    {RS_KAFKAREPLAY_KEY_NONE, "mail.log",
     "Jun  1 01:37:01 relay3 exim[3203]: 1ImWfq-0000000PIJK-YmdM == x", NULL},
};

static void test_line_keys(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const key_case_t *c = &cases[i];
		const char *key = (const char *)&key; /* not NULL */
		size_t n = rs_kafkareplay_line_key(c->mode, c->source, c->line,
		                                   strlen(c->line), &key);

		if (c->want == NULL) {
			if (n != 0 || key != NULL) {
				fail_msg("case %zu: a key for \"%s\"", i,
				         c->line);
			}
			continue;
		}
		if (n != strlen(c->want) || memcmp(key, c->want, n) != 0) {
			fail_msg("case %zu: key \"%.*s\", want \"%s\"", i,
			         (int)n, key != NULL ? key : "", c->want);
		}
	}
}

/* The key points into the line itself: no copy, and a line that is not
 * NUL-terminated is not read past its length. */
static void test_key_inside_line(void **state)
{
	char buf[] = "Jun  1 01:37:01 relay3 exim[3203]: msgXXXX";
	const char *key;
	size_t n;

	(void)state;
	n = rs_kafkareplay_line_key(RS_KAFKAREPLAY_KEY_HOST, "f", buf,
	                            strlen(buf), &key);
	assert_int_equal(n, 6);
	assert_ptr_equal(key, buf + 16);
	/* cut before the host ends: not a syslog line, so the file keys it */
	n = rs_kafkareplay_line_key(RS_KAFKAREPLAY_KEY_HOST, "f", buf, 18,
	                            &key);
	assert_int_equal(n, 1);
	assert_string_equal(key, "f");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_line_keys),
	    cmocka_unit_test(test_key_inside_line),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
