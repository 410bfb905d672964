#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The stage against a real broker older than Kafka 2.5 (README.md,
# "Compatibility"): Apache Kafka 2.4.1 by default, in ZooKeeper mode with a
# ZooKeeper of its own (deploy/kafka/kafka.sh, RS_KAFKA_VERSION), in a home
# of its own beside RS_KAFKA_HOME (-2.4.1) on RS_KAFKA_PORT + 150.
#
#   tests/kafka/old_broker.sh [BUILD_DIR] [SCENARIO...]
#
# Scenarios:
#   refused   exactly-once is refused at start: the broker has transactions
#             but not KIP-447 (TxnOffsetCommit v3), so the stage exits with
#             status 2 and a sentence naming the broker's releases, Kafka
#             2.5 and at_least_once, before init_transactions: no offset
#             committed for its group, nothing in the output topic, even
#             read uncommitted
#   e2e       at-least-once still works: 20,000 lines replayed, every event
#             equal to classify's once, the group's offsets at the end
# RS_OLD_KAFKA_VERSION=0.10.2.2 runs "refused" against a broker without
# transactions at all (the stage's existing refusal, "does not support
# transactions"); e2e is not offered there (the stage's idempotent producer
# needs 0.11). The broker is stopped at the end. Ends with "kafka old
# broker: N passed, N failed"; exits 1 if any failed.
set -uo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build}
shift || true
export RS_KAFKA_VERSION=${RS_OLD_KAFKA_VERSION:-2.4.1}
base=${RS_KAFKA_HOME:-/var/tmp/replyscan-kafka}
export RS_KAFKA_JARS=${RS_KAFKA_JARS:-$base/lib}
export RS_KAFKA_HOME=$base-$RS_KAFKA_VERSION
export RS_KAFKA_PORT=$((${RS_KAFKA_PORT:-9092} + 150))
. tests/kafka/lib.sh
rs_kafka_setup old old
passed=0
failed=0
failures=()

# Exactly-once on a broker without KIP-447: refused at start, nothing done.
scenario_refused() {
	local c in out pid rc n
	broker
	c=$(corpus 2000 23)
	in_out refused 1 || return 1
	if [[ $RS_KAFKA_VERSION == 0.* ]]; then
		# An idempotent producer needs 0.11.
		replay_into "$in" "$c" -X enable.idempotence=false || return 1
	else
		replay_into "$in" "$c" || return 1
	fi
	run_stage refused --group "$in-g" --input "$in" --output "$out" \
		--set kafka.delivery_guarantee=exactly_once \
		--set kafka.transactional_id="$in-t" --exit-when-idle 3
	pid=$STAGE
	wait_for "$pid" 90
	rc=$?
	[ "$rc" -eq 2 ] || { echo "exit status $rc, not 2"; return 1; }
	if [[ $RS_KAFKA_VERSION == 0.* ]]; then
		grep -q 'the broker does not support transactions' "$WORK/refused.log" ||
			{ echo "the refusal does not say the broker has no transactions"; return 1; }
	else
		grep -q 'exactly_once needs Kafka 2.5 or later' "$WORK/refused.log" &&
			grep -q 'KIP-447' "$WORK/refused.log" &&
			grep -q 'serves TxnOffsetCommit up to version 2 only (Kafka 2.1 to 2.4)' "$WORK/refused.log" &&
			grep -q 'at_least_once' "$WORK/refused.log" ||
			{ echo "the refusal does not name KIP-447, the releases and what to do"; return 1; }
		# Refused before init_transactions, not by it.
		! grep -q 'cannot start transactions' "$WORK/refused.log" ||
			{ echo "refused by init_transactions, not the start check"; return 1; }
	fi
	log "refused: $(grep -o 'error="[^"]*' "$WORK/refused.log" | head -n 1 | cut -c 8-)"
	if [ -n "$($K offsets "$in-g" | awk '$3 != "-"')" ]; then
		echo "offsets committed for the refused stage's group:"
		$K offsets "$in-g"
		return 1
	fi
	n=$(events "$out" read_uncommitted | wc -l)
	[ "$n" -eq 0 ] || { echo "$n events in the output topic"; return 1; }
}

# At-least-once on the old broker: every event once, offsets committed.
scenario_e2e() {
	local c in out pid
	broker
	c=$(corpus 20000 29)
	in_out e2e 3 || return 1
	replay_into "$in" "$c" || return 1
	run_stage e2e --group "$in-g" --input "$in" --output "$out" --exit-when-idle 4
	pid=$STAGE
	wait_for "$pid" 120 || return 1
	compare_topic "$c.expected.json" "$out" e2e exact || return 1
	committed_sum "$in-g" 20000 e2e || return 1
}

need_tools "kafka old broker" java mvn python3
if [ $# -gt 0 ]; then
	all=("$@")
elif [[ $RS_KAFKA_VERSION == 0.* ]]; then
	all=(refused)
else
	all=(refused e2e)
fi
log "Kafka $RS_KAFKA_VERSION in $RS_KAFKA_HOME, port $RS_KAFKA_PORT"
rs_kafka_run_all "kafka old broker" "${all[@]}"
status=$?
# Always stopped: nothing else uses this home.
started_broker=1
exit "$status"
