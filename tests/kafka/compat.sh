#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The compatibility matrix of README.md ("Compatibility") for one
# librdkafka: the scenarios that matter on real brokers, each script run
# one after the other, every stage with the librdkafka RS_LIBRDKAFKA picks
# (tests/kafka/lib.sh: unset or system, wheel, crate, or a directory):
#   integration.sh e2e crash               at-least-once, Kafka 4.4.0
#   exactly_once.sh crash broker rebalance exactly-once, Kafka 4.4.0
#   secure_run.sh (PLAIN)                  SASL_SSL, Kafka 4.4.0
#   secure_run.sh (SCRAM-SHA-512)          against 4.4.0 with librdkafka
#                                          2.6.1 or later, else 3.9.2
#   gssapi_run.sh                          SASL_PLAINTEXT/GSSAPI against
#                                          Kafka 4.4.0, 4.0.0 and 3.9.2
#                                          (skipped when the build has no
#                                          sasl_gssapi)
#
#   tests/kafka/compat.sh [BUILD_DIR]
#
# Each broker gets a home of its own beside RS_KAFKA_HOME (-secure,
# -scram, -krb-VERSION) on RS_KAFKA_PORT + 100, 110, 120, 130, 140, sharing
# the jar cache, and is stopped at the end. Prints each script's summary
# line, then "compat: N passed, N failed" over the scripts; about 5
# minutes on 2 cores.
set -uo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build}
HOME_BASE=${RS_KAFKA_HOME:-/var/tmp/replyscan-kafka}
PORT_BASE=${RS_KAFKA_PORT:-9092}
export RS_KAFKA_JARS=${RS_KAFKA_JARS:-$HOME_BASE/lib}
passed=0
failed=0
failures=()

. tests/kafka/lib.sh
RS=$BUILD/replyscan
rs_librdkafka
lib=${RS_LIBRDKAFKA_VERSION:-$(python3 -c 'import ctypes
l = ctypes.CDLL("librdkafka.so.1")
l.rd_kafka_version_str.restype = ctypes.c_char_p
print(l.rd_kafka_version_str().decode())')}
features=$(python3 -c 'import ctypes, sys
l = ctypes.CDLL(sys.argv[1])
l.rd_kafka_conf_new.restype = ctypes.c_void_p
c = ctypes.c_void_p(l.rd_kafka_conf_new())
buf = ctypes.create_string_buffer(1024)
n = ctypes.c_size_t(1024)
l.rd_kafka_conf_get(c, b"builtin.features", buf, ctypes.byref(n))
print(buf.value.decode())' "${RS_LIBRDKAFKA_DIR:+$RS_LIBRDKAFKA_DIR/}librdkafka.so.1")
log "librdkafka $lib (builtin.features $features)"

# step LABEL HOME PORT VERSION SCRIPT [ARGS...]: one script on the broker
# of HOME (VERSION: Kafka release, empty for the pinned one); its summary
# line is kept.
step() {
	local label=$1 home=$2 port=$3 version=$4 out
	shift 4
	log "== $label"
	out=$(RS_KAFKA_HOME=$home RS_KAFKA_PORT=$port RS_KAFKA_VERSION=$version \
		"$@" 2>&1)
	local rc=$?
	echo "$out" | grep -E '^(kafka [a-z -]*: [0-9]+ passed|failed:|\[.*\] (PASS|FAIL) |\[.*\] watchdog: )'
	if [ "$rc" -eq 0 ]; then
		passed=$((passed + 1))
	else
		failed=$((failed + 1))
		failures+=("$label")
		echo "$out" | tail -n 40
	fi
	RS_KAFKA_HOME=$home RS_KAFKA_PORT=$port RS_KAFKA_VERSION=$version \
		deploy/kafka/kafka.sh stop >/dev/null 2>&1
}

# Is librdkafka $1 older than $2 (both x.y.z)?
older() {
	python3 -c 'import sys
t = lambda s: tuple(int(x) for x in s.split(".")[:3])
sys.exit(0 if t(sys.argv[1]) < t(sys.argv[2]) else 1)' "$1" "$2"
}

step "integration e2e crash (4.4.0)" "$HOME_BASE" "$PORT_BASE" "" \
	bash tests/kafka/integration.sh "$BUILD" e2e crash
step "exactly_once crash broker rebalance (4.4.0)" "$HOME_BASE" "$PORT_BASE" "" \
	bash tests/kafka/exactly_once.sh "$BUILD" crash broker rebalance
step "secure_run PLAIN (4.4.0)" "$HOME_BASE-secure" $((PORT_BASE + 100)) "" \
	bash tests/kafka/secure_run.sh "$BUILD"
if older "$lib" 2.6.1; then
	step "secure_run SCRAM-SHA-512 (3.9.2)" "$HOME_BASE-scram" $((PORT_BASE + 110)) 3.9.2 \
		env RS_SECURE_RUN_MECHANISM=SCRAM-SHA-512 bash tests/kafka/secure_run.sh "$BUILD"
else
	step "secure_run SCRAM-SHA-512 (4.4.0)" "$HOME_BASE-secure" $((PORT_BASE + 100)) "" \
		env RS_SECURE_RUN_MECHANISM=SCRAM-SHA-512 bash tests/kafka/secure_run.sh "$BUILD"
fi
if [[ ,$features, == *,sasl_gssapi,* ]]; then
	step "gssapi_run (4.4.0)" "$HOME_BASE-krb-4.4.0" $((PORT_BASE + 120)) "" \
		bash tests/kafka/gssapi_run.sh "$BUILD"
	step "gssapi_run (4.0.0)" "$HOME_BASE-krb-4.0.0" $((PORT_BASE + 130)) 4.0.0 \
		bash tests/kafka/gssapi_run.sh "$BUILD"
	step "gssapi_run (3.9.2)" "$HOME_BASE-krb-3.9.2" $((PORT_BASE + 140)) 3.9.2 \
		bash tests/kafka/gssapi_run.sh "$BUILD"
else
	log "GSSAPI skipped: librdkafka $lib has no sasl_gssapi"
fi
echo
if [ "$failed" -gt 0 ]; then
	echo "failed: ${failures[*]}"
fi
echo "compat: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
