/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_kafkaclient.c - what the stage says after librdkafka refused TLS
 * or SASL (rs_kafkaclient_auth_hint, kafka/client.c), for the reasons
 * librdkafka gives, recorded on real brokers (deploy/kafka/README.md):
 *
 * - GSSAPI from librdkafka before 2.11.0 against Kafka 4.0.0 ("SASL
 *   GSSAPI authentication not supported by broker"): the hint names the
 *   library's version and the way out, not the password; from 2.11.0 on
 *   the same text points at the Kerberos side;
 * - a Kerberos failure (no ticket, unknown principal): the Kerberos
 *   settings, not sasl.password;
 * - SCRAM refused as invalid credentials: before 2.6.1 the hint adds that
 *   Kafka 4.x refuses that library even with the right password;
 * - PLAIN's wrong password and TLS failures: as before.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>

#include "kafka/client.h"

#define V2_0_2 0x020002ff
#define V2_10_1 0x020a01ff
#define V2_11_0 0x020b00ff
#define V2_16_0 0x021000ff

static const char *hint(int err, const char *reason, int version)
{
	static char buf[512];

	memset(buf, 'x', sizeof(buf));
	rs_kafkaclient_auth_hint(err, reason, version, buf, sizeof(buf));
	return buf;
}

static void assert_has(const char *s, const char *needle)
{
	if (strstr(s, needle) == NULL) {
		fail_msg("\"%s\" lacks \"%s\"", s, needle);
	}
}

static void assert_lacks(const char *s, const char *needle)
{
	if (strstr(s, needle) != NULL) {
		fail_msg("\"%s\" holds \"%s\"", s, needle);
	}
}

/* librdkafka 2.0.2's reason against Kafka 4.0.0, which lists no JoinGroup
 * v0 (tests/kafka/gssapi_run.sh refused). */
static const char *gssapi_refused =
    "sasl_plaintext://localhost:29497/bootstrap: Failed to initialize SASL "
    "authentication: SASL GSSAPI authentication not supported by broker "
    "(after 0ms in state AUTH_REQ)";

static void test_gssapi_old_client_kafka4(void **state)
{
	const char *h;

	(void)state;
	h = hint(RD_KAFKA_RESP_ERR__AUTHENTICATION, gssapi_refused, V2_0_2);
	assert_has(h, "librdkafka 2.0.2, before 2.11.0, uses GSSAPI only with "
	              "brokers that list JoinGroup v0");
	assert_has(h, "Kafka 4.0.0 does not");
	assert_lacks(h, "sasl.password");
	h = hint(RD_KAFKA_RESP_ERR__AUTHENTICATION, gssapi_refused, V2_10_1);
	assert_has(h, "librdkafka 2.10.1, before 2.11.0");
}

static void test_gssapi_new_client(void **state)
{
	const char *h;

	(void)state;
	/* 2.11.0 and later: not the version; the Kerberos side. */
	h = hint(RD_KAFKA_RESP_ERR__AUTHENTICATION, gssapi_refused, V2_11_0);
	assert_lacks(h, "before 2.11.0");
	assert_has(h, "sasl.kerberos.keytab");
	/* A keytab whose principal the KDC does not know: kinit fails,
	 * then the handshake (recorded with librdkafka 2.0.2, Kafka 3.9.2). */
	h = hint(RD_KAFKA_RESP_ERR__AUTHENTICATION,
	         "sasl_plaintext://localhost:29297/bootstrap: Failed to "
	         "initialize SASL authentication: SASL handshake failed "
	         "(start (-1)): SASL(-1): generic failure: GSSAPI Error: No "
	         "credentials were supplied, or the credentials were "
	         "unavailable or inaccessible (No Kerberos credentials "
	         "available (default cache: FILE:/tmp/cc)) (after 0ms in "
	         "state AUTH_REQ)",
	         V2_0_2);
	assert_has(h, "sasl.kerberos.service.name");
	assert_lacks(h, "sasl.password");
	assert_lacks(h, "2.11.0");
}

static const char *scram_refused =
    "sasl_ssl://127.0.0.1:19095/bootstrap: SASL authentication error: "
    "Authentication failed during authentication due to invalid "
    "credentials with SASL mechanism SCRAM-SHA-512 (after 329ms in state "
    "AUTH_REQ)";

static void test_scram(void **state)
{
	const char *h;

	(void)state;
	h = hint(RD_KAFKA_RESP_ERR__AUTHENTICATION, scram_refused, V2_0_2);
	assert_has(h, "check sasl.username, sasl.password");
	assert_has(h, "librdkafka 2.0.2, before 2.6.1, is refused this way "
	              "by Kafka 4.0 or later even with the right password");
	h = hint(RD_KAFKA_RESP_ERR__AUTHENTICATION, scram_refused, V2_16_0);
	assert_has(h, "check sasl.username, sasl.password");
	assert_lacks(h, "2.6.1");
}

static void test_plain_and_tls(void **state)
{
	const char *h;

	(void)state;
	h = hint(RD_KAFKA_RESP_ERR__AUTHENTICATION,
	         "SASL authentication error: Authentication failed: Invalid "
	         "username or password (after 302ms in state AUTH_REQ)",
	         V2_0_2);
	assert_string_equal(h, " (check sasl.username, sasl.password or "
	                       "sasl.password_file, and sasl.mechanisms)");
	h = hint(RD_KAFKA_RESP_ERR__SSL,
	         "SSL handshake failed: error:0A000086:SSL routines::"
	         "certificate verify failed",
	         V2_0_2);
	assert_has(h, "ssl.ca.location's CA");
}

/* A short buffer is cut, never overrun. */
static void test_short_buffer(void **state)
{
	char buf[24];

	(void)state;
	memset(buf, 'x', sizeof(buf));
	rs_kafkaclient_auth_hint(RD_KAFKA_RESP_ERR__AUTHENTICATION,
	                         gssapi_refused, V2_0_2, buf, 16);
	assert_int_equal(strlen(buf), 15);
	assert_int_equal(buf[16], 'x');
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_gssapi_old_client_kafka4),
	    cmocka_unit_test(test_gssapi_new_client),
	    cmocka_unit_test(test_scram),
	    cmocka_unit_test(test_plain_and_tls),
	    cmocka_unit_test(test_short_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
