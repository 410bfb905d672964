#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `replyscan run` end to end over SASL_SSL on a real broker started with
# `deploy/kafka/kafka.sh start --secure` (its SASL_SSL listener, PLAIN: the
# mechanism Debian 12's librdkafka 2.0.2 can use against Kafka 4.x), with
# exactly-once delivery:
#   e2e       a corpus replayed on the plaintext listener is read and
#             written over SASL_SSL, the consumer's password from a file
#             (sasl.password_file), the producer's from the environment
#             (${ENV} expansion); the events read back committed equal
#             `classify`'s; --print-config shows neither secret.
#   password  a wrong password,
#   ca        a CA that did not sign the broker's certificate,
#   host      a broker address the certificate does not name:
#             each stops the stage with a non-zero status and an error
#             naming the cause, and commits no offset.
#
#   tests/kafka/secure_run.sh [BUILD_DIR] [SCENARIO...]
#
# The broker is the one of RS_KAFKA_HOME / RS_KAFKA_PORT, which must be
# started with --secure (the script starts it so if it is not running, and
# leaves it as found). RS_SECURE_RUN_MECHANISM picks the SASL mechanism
# (default PLAIN; SCRAM-SHA-512 against a broker started with
# RS_KAFKA_VERSION=3.9.2, the newest whose SCRAM librdkafka 2.0.2 can
# use). Ends with "N passed, N failed"; exits 1 if any failed.
set -uo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build}
shift || true
. tests/kafka/lib.sh
rs_kafka_setup secure-run sec
CHECK_TAIL=8
MECHANISM=${RS_SECURE_RUN_MECHANISM:-PLAIN}
broker_with secure
log "broker $($K status 2>&1 | grep -o 'kafka [0-9.]*') at $RS_KAFKA_ADDR, SASL_SSL at $RS_KAFKA_SASL_ADDR, $MECHANISM"

shared_input 20000 23

# run_secure NAME BROKERS PASSWORD_FILE CA [ARGS...]: the stage over
# SASL_SSL/PLAIN, exactly-once; the producer reads the password through
# ${RS_TEST_SASL_PASSWORD}. Its status is returned; log in WORK/NAME.log.
run_secure() {
	local name=$1 brokers=$2 pwfile=$3 ca=$4
	shift 4
	RS_TEST_SASL_PASSWORD=$(cat "$pwfile") \
		timeout 120 $RS run --brokers "$brokers" --threads 2 \
		--group "$IN-$name" --input "$IN" --output "sec-out-$RUN_ID-$name" \
		--exit-when-idle 3 \
		--set kafka.delivery_guarantee=exactly_once \
		--set kafka.transactional_id="$IN-$name" \
		--set kafka.consumer.security.protocol=SASL_SSL \
		--set kafka.consumer.sasl.mechanisms="$MECHANISM" \
		--set kafka.consumer.sasl.username="$RS_KAFKA_SASL_USER" \
		--set kafka.consumer.sasl.password_file="$pwfile" \
		--set kafka.consumer.ssl.ca.location="$ca" \
		--set kafka.producer.security.protocol=SASL_SSL \
		--set kafka.producer.sasl.mechanisms="$MECHANISM" \
		--set kafka.producer.sasl.username="$RS_KAFKA_SASL_USER" \
		--set 'kafka.producer.sasl.password=${RS_TEST_SASL_PASSWORD}' \
		--set kafka.producer.ssl.ca.location="$ca" \
		"$@" >"$WORK/$name.out" 2>"$WORK/$name.log"
}

scenario_e2e() {
	local secret
	secret=$(cat "$RS_KAFKA_SASL_PASSWORD_FILE")
	$K topic "sec-out-$RUN_ID-e2e" 2 >/dev/null 2>&1 || return 1
	run_secure e2e "$RS_KAFKA_SASL_ADDR" "$RS_KAFKA_SASL_PASSWORD_FILE" "$RS_KAFKA_CA" ||
		{ echo "the stage failed over SASL_SSL"; return 1; }
	compare_topic "$CORPUS.expected.json" "sec-out-$RUN_ID-e2e" e2e exact || return 1
	# The exactly-once start check got its answer over SASL_SSL too.
	grep -q 'msg="brokers checked for exactly-once (KIP-447)" answers=[1-9]' "$WORK/e2e.log" ||
		{ echo "the KIP-447 start check had no answer over SASL_SSL"; return 1; }
	run_secure print "$RS_KAFKA_SASL_ADDR" "$RS_KAFKA_SASL_PASSWORD_FILE" "$RS_KAFKA_CA" \
		--print-config || return 1
	grep -qF -- "$secret" "$WORK/print.out" && { echo "--print-config shows the password"; return 1; }
	grep -qF -- "$secret" "$WORK/e2e.log" && { echo "the log shows the password"; return 1; }
	grep -q '^kafka.producer.sasl.password: "\*\*\*"$' "$WORK/print.out" ||
		{ echo "--print-config does not mask sasl.password"; return 1; }
}

# negative NAME BROKERS PASSWORD_FILE CA MESSAGE: a non-zero status within
# the time limit, MESSAGE in the error, nothing committed.
negative() {
	local name=$1 brokers=$2 pwfile=$3 ca=$4 msg=$5 rc
	run_secure "$name" "$brokers" "$pwfile" "$ca"
	rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || { echo "$name: exit status $rc"; return 1; }
	grep 'level=error' "$WORK/$name.log" | grep -v 'msg=librdkafka' | grep -qF -- "$msg" ||
		{ echo "$name: no error naming the cause ($msg)"; return 1; }
	[ -z "$($K offsets "$IN-$name" 2>/dev/null)" ] || { echo "$name: offsets were committed"; return 1; }
	log "$name: exit $rc: $(grep 'level=error' "$WORK/$name.log" | grep -v 'msg=librdkafka' | head -n 1 | sed 's/.*error="//' | cut -c1-160)"
}

scenario_password() {
	local msg='SASL authentication error: Authentication failed: Invalid username or password'
	if [ "$MECHANISM" != PLAIN ]; then
		msg="Authentication failed during authentication due to invalid credentials with SASL mechanism $MECHANISM"
	fi
	echo not-the-password >"$WORK/wrong.password"
	negative password "$RS_KAFKA_SASL_ADDR" "$WORK/wrong.password" "$RS_KAFKA_CA" "$msg"
}

scenario_ca() {
	negative ca "$RS_KAFKA_SASL_ADDR" "$RS_KAFKA_SASL_PASSWORD_FILE" "$RS_KAFKA_UNTRUSTED_CA" \
		'certificate verify failed'
}

scenario_host() {
	# 127.1 is the broker's address, but not a name its certificate holds.
	negative host "127.1:${RS_KAFKA_SASL_ADDR##*:}" "$RS_KAFKA_SASL_PASSWORD_FILE" "$RS_KAFKA_CA" \
		'sasl_ssl://127.1:' || return 1
	grep -q 'certificate verify failed' "$WORK/host.log" || { echo "host: not a certificate failure"; return 1; }
}

all=(e2e password ca host)
if [ $# -gt 0 ]; then
	all=("$@")
fi
rs_kafka_run_all "kafka secure run" "${all[@]}"
