#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# `replyscan run` end to end over SASL_PLAINTEXT with GSSAPI (Kerberos) on
# a real broker started with `deploy/kafka/kafka.sh start --kerberos` (a
# KDC of its own on loopback, realm REPLYSCAN.TEST, keytabs made at start),
# with exactly-once delivery:
#   e2e       a corpus replayed on the plaintext listener is read and
#             written over GSSAPI, both clients logging in with the client
#             keytab (librdkafka runs kinit); the events read back
#             committed equal `classify`'s.
#   stranger  a keytab whose principal the KDC does not know: the stage
#             stops with a non-zero status, the error points at the
#             Kerberos settings (not a password), nothing is committed.
#   refused   librdkafka before 2.11.0 against a broker that lists no
#             JoinGroup v0 (Kafka 4.0.0): the stage stops with a non-zero
#             status and an error naming the library's version as the
#             cause, nothing committed.
# The default list is e2e and stranger, or refused alone when the
# librdkafka replyscan runs with is older than 2.11.0 and the broker is
# Kafka 4.0.0 (RS_KAFKA_VERSION=4.0.0 kafka.sh start --kerberos).
#
#   tests/kafka/gssapi_run.sh [BUILD_DIR] [SCENARIO...]
#
# The broker is the one of RS_KAFKA_HOME / RS_KAFKA_PORT, which must be
# started with --kerberos (the script starts it so if it is not running,
# and leaves it as found). RS_LIBRDKAFKA (tests/kafka/lib.sh) picks the
# librdkafka; its build must have sasl_gssapi in builtin.features (Debian
# 12's 2.0.2 and the `crate` build do, the `wheel` one does not). Ends with
# "N passed, N failed"; exits 1 if any failed.
set -uo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build}
shift || true
. tests/kafka/lib.sh
rs_kafka_setup gssapi-run krb
CHECK_TAIL=8
broker_with kerberos
KAFKA_VERSION=$($K status 2>&1 | grep -o 'kafka [0-9.]*' | cut -d' ' -f2)
LIB_VERSION=${RS_LIBRDKAFKA_VERSION:-$(python3 -c 'import ctypes
l = ctypes.CDLL("librdkafka.so.1")
l.rd_kafka_version_str.restype = ctypes.c_char_p
print(l.rd_kafka_version_str().decode())')}
log "broker kafka $KAFKA_VERSION at $RS_KAFKA_ADDR, GSSAPI at $RS_KAFKA_GSSAPI_ADDR; librdkafka $LIB_VERSION"

shared_input 20000 29

# run_gssapi NAME PRINCIPAL KEYTAB [ARGS...]: the stage over
# SASL_PLAINTEXT/GSSAPI, exactly-once, its tickets in a cache of its own.
# Its status is returned; log in WORK/NAME.log.
run_gssapi() {
	local name=$1 principal=$2 keytab=$3 c
	local args=()
	shift 3
	for c in consumer producer; do
		args+=(--set "kafka.$c.security.protocol=SASL_PLAINTEXT"
			--set "kafka.$c.sasl.mechanisms=GSSAPI"
			--set "kafka.$c.sasl.kerberos.service.name=$RS_KAFKA_KRB_SERVICE"
			--set "kafka.$c.sasl.kerberos.principal=$principal"
			--set "kafka.$c.sasl.kerberos.keytab=$keytab")
	done
	KRB5CCNAME=FILE:$WORK/$name.ccache \
		timeout 120 $RS run --brokers "$RS_KAFKA_GSSAPI_ADDR" --threads 2 \
		--group "$IN-$name" --input "$IN" --output "krb-out-$RUN_ID-$name" \
		--exit-when-idle 3 \
		--set kafka.delivery_guarantee=exactly_once \
		--set kafka.transactional_id="$IN-$name" \
		"${args[@]}" "$@" >"$WORK/$name.out" 2>"$WORK/$name.log"
}

scenario_e2e() {
	$K topic "krb-out-$RUN_ID-e2e" 2 >/dev/null 2>&1 || return 1
	run_gssapi e2e "$RS_KAFKA_KRB_PRINCIPAL" "$RS_KAFKA_KRB_KEYTAB" ||
		{ echo "the stage failed over GSSAPI"; return 1; }
	compare_topic "$CORPUS.expected.json" "krb-out-$RUN_ID-e2e" e2e exact
}

# negative NAME PRINCIPAL KEYTAB MESSAGE: a non-zero status within the
# time limit, MESSAGE in the error, nothing committed.
negative() {
	local name=$1 principal=$2 keytab=$3 msg=$4 rc
	$K topic "krb-out-$RUN_ID-$name" 2 >/dev/null 2>&1 || return 1
	run_gssapi "$name" "$principal" "$keytab"
	rc=$?
	[ "$rc" -ne 0 ] && [ "$rc" -ne 124 ] || { echo "$name: exit status $rc"; return 1; }
	grep 'level=error' "$WORK/$name.log" | grep -v 'msg=librdkafka' | grep -qF -- "$msg" ||
		{ echo "$name: no error naming the cause ($msg)"; return 1; }
	[ -z "$($K offsets "$IN-$name" 2>/dev/null)" ] || { echo "$name: offsets were committed"; return 1; }
	log "$name: exit $rc: $(grep 'level=error' "$WORK/$name.log" | grep -v 'msg=librdkafka' | head -n 1 | sed 's/.*error="//' | cut -c1-400)"
}

scenario_stranger() {
	negative stranger "stranger@$RS_KAFKA_KRB_REALM" "$RS_KAFKA_KRB_STRANGER_KEYTAB" \
		'No Kerberos credentials available' || return 1
	grep -q 'check the Kerberos side: sasl.kerberos.keytab' "$WORK/stranger.log" ||
		{ echo "stranger: the error does not point at the Kerberos settings"; return 1; }
}

scenario_refused() {
	negative refused "$RS_KAFKA_KRB_PRINCIPAL" "$RS_KAFKA_KRB_KEYTAB" \
		"SASL GSSAPI authentication not supported by broker (after" || return 1
	grep -qF "librdkafka $LIB_VERSION, before 2.11.0, uses GSSAPI only with brokers that list JoinGroup v0" \
		"$WORK/refused.log" ||
		{ echo "refused: the error does not name the library's version as the cause"; return 1; }
}

# Is librdkafka $1 older than 2.11.0?
before_2_11() {
	python3 -c 'import sys; v = tuple(int(x) for x in sys.argv[1].split(".")[:3]); sys.exit(0 if v < (2, 11, 0) else 1)' "$1"
}

all=(e2e stranger)
if [ "$KAFKA_VERSION" = 4.0.0 ] && before_2_11 "$LIB_VERSION"; then
	all=(refused)
fi
if [ $# -gt 0 ]; then
	all=("$@")
fi
rs_kafka_run_all "kafka gssapi run" "${all[@]}"
