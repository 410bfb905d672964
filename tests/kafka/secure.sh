#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# secure.sh - self-check of the secure listeners of deploy/kafka/kafka.sh.
#
# Starts a broker of its own with `kafka.sh start --secure` in a temporary
# RS_KAFKA_HOME on ports $RS_SECURE_KAFKA_PORT .. +3 (default 19096: plain,
# controller, SSL, SASL_SSL), sharing the jar cache of the default home. Then:
#   - the generated files are private and the certificate is what clients
#     expect (SAN DNS:localhost, IP:127.0.0.1, signed by the CA);
#   - round trips with kcat (librdkafka, as in the C stage) over SSL and over
#     SASL_SSL (PLAIN; SCRAM-SHA-512 where kcat's librdkafka can, see below),
#     and over SASL_SSL with SCRAM-SHA-512 with Kafka's Java client;
#   - the negative cases fail, with the messages that deploy/kafka/README.md
#     records: a wrong password (SCRAM and PLAIN), a CA that did not sign the
#     broker's certificate, and a host name that is not in the certificate.
# librdkafka before 2.6.1 cannot log in with SCRAM to Kafka 4.x: with such a
# kcat, the SCRAM round trip is expected to fail with "invalid credentials",
# and the SCRAM wrong-password case is proved with the Java client instead.
# Exits 0 only if every result was the expected one; prints
# "secure: N passed, N failed". RS_SECURE_KEEP=1 keeps the home.
# Needs: bash, kcat, java (17+), openssl, mvn (first run), flock, coreutils.

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly REPO
readonly KAFKA_SH=$REPO/deploy/kafka/kafka.sh
readonly PORT=${RS_SECURE_KAFKA_PORT:-19096}
readonly TOPIC=secure
readonly N=200

# What librdkafka and the broker print in each case (README.md).
readonly MSG_CERT='SSL handshake failed: error:0A000086:SSL routines::certificate verify failed: broker certificate could not be verified'
readonly MSG_SCRAM='SASL authentication error: Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512'
readonly MSG_PLAIN='SASL authentication error: Authentication failed: Invalid username or password'
readonly MSG_JAVA_SCRAM='Authentication failed during authentication due to invalid credentials with SASL mechanism SCRAM-SHA-512'

. "$REPO/tests/kafka/lib.sh"

# Exit 0 if version $1 (x.y.z) is at least $2.
version_ge() {
	[[ $(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1) == "$2" ]]
}

# Produce one line with kcat and options "$@" that must fail; leave kcat's
# output in $home/neg.out and fail the test unless it contains $MSG.
expect_kcat_failure() {
	local what=$1
	shift
	if echo "must not arrive" | timeout 60 kcat "$@" -P -t "$TOPIC" \
		>"$home/neg.out" 2>&1; then
		fail "$what: kcat produced, expected a failure"
	fi
	grep -F -- "$MSG" "$home/neg.out" >/dev/null ||
		fail "$what: expected '$MSG', kcat printed: $(cat "$home/neg.out")"
	ok "$what fails: $(grep -F -m 1 -- "$MSG" "$home/neg.out" | sed 's/.*bootstrap: //')"
}

# Consume topic $TOPIC in group $1 with kcat options "${@:2}" until the end
# of every partition; print the messages, one per line.
consume_group() {
	local group=$1
	shift
	timeout 120 kcat "$@" -G "$group" -X auto.offset.reset=earliest \
		-X enable.partition.eof=true -e -q "$TOPIC"
}

# Write a Java client configuration for SCRAM-SHA-512 with password $2 to $1.
java_scram_config() {
	(
		umask 077
		printf '%s\n' "security.protocol=SASL_SSL" \
			"sasl.mechanism=SCRAM-SHA-512" \
			"sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=\"$RS_KAFKA_SASL_USER\" password=\"$2\";" \
			"ssl.truststore.type=PEM" \
			"ssl.truststore.location=$RS_KAFKA_CA" >"$1"
	)
}

need_tools secure kcat java mvn openssl flock timeout

selfcheck_start secure "$PORT" "${RS_SECURE_KEEP:-}"
unset RS_KAFKA_SSL_PORT RS_KAFKA_SASL_PORT RS_KAFKA_SECURITY RS_KAFKA_SASL_USER

# 1. Start with the secure listeners; learn their addresses and files.
t0=$(date +%s%N)
out=$("$KAFKA_SH" start --secure) || fail "kafka.sh start --secure failed"
ms=$((($(date +%s%N) - t0) / 1000000))
[[ $out == "$addr" ]] || fail "start --secure printed '$out', expected '$addr'"
ok "start --secure printed $addr ($((ms / 1000)).$((ms % 1000 / 100)) s, fresh home)"

env_text=$("$KAFKA_SH" secure-env) || fail "kafka.sh secure-env failed"
eval "$env_text"
[[ $RS_KAFKA_SSL_ADDR == "127.0.0.1:$((PORT + 2))" &&
	$RS_KAFKA_SASL_ADDR == "127.0.0.1:$((PORT + 3))" ]] ||
	fail "secure-env gave SSL $RS_KAFKA_SSL_ADDR, SASL_SSL $RS_KAFKA_SASL_ADDR"
ok "secure-env: SSL $RS_KAFKA_SSL_ADDR, SASL_SSL $RS_KAFKA_SASL_ADDR, user $RS_KAFKA_SASL_USER"

"$KAFKA_SH" status | grep -F "ssl $RS_KAFKA_SSL_ADDR" >/dev/null ||
	fail "status does not name the SSL listener"
out=$("$KAFKA_SH" start --secure 2>/dev/null) || fail "second start --secure failed"
[[ $out == "$addr" ]] || fail "second start --secure printed '$out'"
ok "status names the secure listeners; start --secure while running is a no-op"

# 2. The secrets are private; the certificate is the one clients expect.
[[ $(stat -c %a "$home/tls") == 700 ]] || fail "$home/tls is not mode 700"
for f in "$home"/tls/* "$home/config/server.properties"; do
	[[ $(stat -c %a "$f") == 600 ]] || fail "$f is mode $(stat -c %a "$f"), not 600"
done
ok "tls/ is 0700, its files and the rendered server.properties 0600"
openssl verify -CAfile "$RS_KAFKA_CA" -verify_ip 127.0.0.1 "$home/tls/broker.pem" \
	>/dev/null 2>&1 || fail "broker.pem does not verify against the CA for 127.0.0.1"
openssl verify -CAfile "$RS_KAFKA_CA" -verify_hostname localhost \
	"$home/tls/broker.pem" >/dev/null 2>&1 ||
	fail "broker.pem does not verify against the CA for localhost"
if openssl verify -CAfile "$RS_KAFKA_UNTRUSTED_CA" "$home/tls/broker.pem" \
	>/dev/null 2>&1; then
	fail "broker.pem verifies against the untrusted CA"
fi
ok "broker certificate: signed by the CA for localhost and 127.0.0.1, not by the untrusted CA"

"$KAFKA_SH" topic "$TOPIC" 2 2>/dev/null || fail "kafka.sh topic failed"

# 3. Round trips with kcat over SSL and over SASL_SSL with PLAIN.
seq 1 "$N" | sed 's/^/ssl /' |
	kcat -F "$RS_KAFKA_SSL_CONFIG" -b "$RS_KAFKA_SSL_ADDR" -P -t "$TOPIC" \
		-X acks=all 2>"$home/err" || fail "kcat producer over SSL: $(cat "$home/err")"
consume_group g-ssl -F "$RS_KAFKA_SSL_CONFIG" -b "$RS_KAFKA_SSL_ADDR" \
	>"$home/c1" 2>"$home/err" || fail "kcat group consumer over SSL: $(cat "$home/err")"
seq 1 "$N" | sed 's/^/ssl /' | sort >"$home/want"
sort "$home/c1" | cmp -s - "$home/want" ||
	fail "over SSL read $(wc -l <"$home/c1") lines, not the $N produced"
ok "SSL: kcat produced $N lines and a group read them back"

seq 1 "$N" | sed 's/^/plain /' |
	kcat -F "$RS_KAFKA_SASL_PLAIN_CONFIG" -b "$RS_KAFKA_SASL_ADDR" -P \
		-t "$TOPIC" -X acks=all 2>"$home/err" ||
	fail "kcat producer over SASL_SSL/PLAIN: $(cat "$home/err")"
consume_group g-plain -F "$RS_KAFKA_SASL_PLAIN_CONFIG" -b "$RS_KAFKA_SASL_ADDR" \
	>"$home/c2" 2>"$home/err" ||
	fail "kcat group consumer over SASL_SSL/PLAIN: $(cat "$home/err")"
[[ $(grep -c '^plain ' "$home/c2") == "$N" && $(wc -l <"$home/c2") == $((2 * N)) ]] ||
	fail "over SASL_SSL/PLAIN read $(wc -l <"$home/c2") lines, expected $((2 * N))"
ok "SASL_SSL PLAIN: kcat produced $N lines and a group read all $((2 * N))"

# 4. SCRAM-SHA-512: Kafka's Java client proves the broker side; kcat is
# expected to work only with librdkafka 2.6.1 or later.
java_scram_config "$home/java-scram.properties" "$(cat "$RS_KAFKA_SASL_PASSWORD_FILE")"
seq 1 "$N" | sed 's/^/scram /' |
	"$KAFKA_SH" tool org.apache.kafka.tools.ConsoleProducer \
		--bootstrap-server "$RS_KAFKA_SASL_ADDR" \
		--command-config "$home/java-scram.properties" --topic "$TOPIC" \
		>"$home/jp.out" 2>&1 || fail "Java producer over SCRAM: $(cat "$home/jp.out")"
if grep -E 'ERROR|Exception' "$home/jp.out" >/dev/null; then
	fail "Java producer over SCRAM: $(cat "$home/jp.out")"
fi
timeout 120 "$KAFKA_SH" tool org.apache.kafka.tools.consumer.ConsoleConsumer \
	--bootstrap-server "$RS_KAFKA_SASL_ADDR" \
	--command-config "$home/java-scram.properties" --topic "$TOPIC" \
	--from-beginning --max-messages $((3 * N)) >"$home/c3" 2>"$home/err" ||
	fail "Java consumer over SCRAM: $(cat "$home/err")"
[[ $(grep -c '^scram ' "$home/c3") == "$N" ]] ||
	fail "Java consumer over SCRAM read $(grep -c '^scram ' "$home/c3") scram lines, not $N"
ok "SASL_SSL SCRAM-SHA-512: Kafka's Java client produced $N lines and read them back"

java_scram_config "$home/java-wrong.properties" wrong-password
echo "must not arrive" |
	"$KAFKA_SH" tool org.apache.kafka.tools.ConsoleProducer \
		--bootstrap-server "$RS_KAFKA_SASL_ADDR" \
		--command-config "$home/java-wrong.properties" --topic "$TOPIC" \
		>"$home/jw.out" 2>&1
grep -F "$MSG_JAVA_SCRAM" "$home/jw.out" >/dev/null ||
	fail "Java producer with a wrong SCRAM password did not fail as expected: $(cat "$home/jw.out")"
ok "SASL_SSL SCRAM-SHA-512 with a wrong password fails in the Java client"

rdk=$(kcat -V 2>&1 | sed -n 's/.*librdkafka \([0-9][0-9.]*\).*/\1/p' | head -n 1)
[[ -n $rdk ]] || fail "cannot read librdkafka's version from kcat -V"
if version_ge "$rdk" 2.6.1; then
	seq 1 "$N" | sed 's/^/kcat-scram /' |
		kcat -F "$RS_KAFKA_SASL_CONFIG" -b "$RS_KAFKA_SASL_ADDR" -P -t "$TOPIC" \
			2>"$home/err" || fail "kcat producer over SCRAM: $(cat "$home/err")"
	consume_group g-scram -F "$RS_KAFKA_SASL_CONFIG" -b "$RS_KAFKA_SASL_ADDR" \
		>"$home/c4" 2>"$home/err" || fail "kcat consumer over SCRAM: $(cat "$home/err")"
	[[ $(grep -c '^kcat-scram ' "$home/c4") == "$N" ]] ||
		fail "kcat over SCRAM read $(grep -c '^kcat-scram ' "$home/c4") lines, not $N"
	ok "SASL_SSL SCRAM-SHA-512: kcat (librdkafka $rdk) round trip"
else
	MSG=$MSG_SCRAM expect_kcat_failure \
		"kcat SCRAM-SHA-512 with the right password (librdkafka $rdk < 2.6.1, known)" \
		-F "$RS_KAFKA_SASL_CONFIG" -b "$RS_KAFKA_SASL_ADDR"
fi

# 5. Negative cases, each against a configuration that works otherwise.
MSG=$MSG_SCRAM expect_kcat_failure "wrong password, SCRAM-SHA-512" \
	-F "$RS_KAFKA_SASL_CONFIG" -X sasl.password=wrong-password \
	-b "$RS_KAFKA_SASL_ADDR"
MSG=$MSG_PLAIN expect_kcat_failure "wrong password, PLAIN" \
	-F "$RS_KAFKA_SASL_PLAIN_CONFIG" -X sasl.password=wrong-password \
	-b "$RS_KAFKA_SASL_ADDR"
MSG=$MSG_CERT expect_kcat_failure "untrusted CA over SSL" \
	-F "$RS_KAFKA_SSL_CONFIG" -X "ssl.ca.location=$RS_KAFKA_UNTRUSTED_CA" \
	-b "$RS_KAFKA_SSL_ADDR"
MSG=$MSG_CERT expect_kcat_failure "untrusted CA over SASL_SSL" \
	-F "$RS_KAFKA_SASL_PLAIN_CONFIG" -X "ssl.ca.location=$RS_KAFKA_UNTRUSTED_CA" \
	-b "$RS_KAFKA_SASL_ADDR"
MSG=$MSG_CERT expect_kcat_failure "wrong host name ($RS_KAFKA_SSL_WRONG_HOST_ADDR) over SSL" \
	-F "$RS_KAFKA_SSL_CONFIG" -b "$RS_KAFKA_SSL_WRONG_HOST_ADDR"
# Same address without the host name check: it is the name that failed.
echo "wrong host, unchecked" |
	kcat -F "$RS_KAFKA_SSL_CONFIG" -b "$RS_KAFKA_SSL_WRONG_HOST_ADDR" -P \
		-t "$TOPIC" -X ssl.endpoint.identification.algorithm=none \
		2>"$home/err" ||
	fail "$RS_KAFKA_SSL_WRONG_HOST_ADDR fails even without the host name check: $(cat "$home/err")"
ok "$RS_KAFKA_SSL_WRONG_HOST_ADDR works with ssl.endpoint.identification.algorithm=none"

# 6. Stop.
"$KAFKA_SH" stop 2>/dev/null || fail "kafka.sh stop failed"
if "$KAFKA_SH" status >/dev/null; then
	fail "broker still running after stop"
fi
if "$KAFKA_SH" secure-env >/dev/null 2>&1; then
	fail "secure-env succeeds with the broker stopped"
fi
ok "stop; secure-env refuses a stopped broker"
selfcheck_finish
