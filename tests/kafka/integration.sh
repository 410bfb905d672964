#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Integration tests of `replyscan run` against a real Apache Kafka broker
# (deploy/kafka/kafka.sh, KRaft, single node, loopback). Each scenario
# replays a generated corpus into a fresh input topic, runs the stage, reads
# the output topic back with `replyscan events` and compares it with
# `replyscan classify` on the same corpus (tests/kafka/compare.py).
#
#   tests/kafka/integration.sh [BUILD_DIR] [SCENARIO...]
#
# Scenarios: e2e keyed metrics crash scaleout broker_restart outage missing_output
# dead_letter reload exactly_once (tests/kafka/exactly_once.sh: kill -9,
# rebalance, fencing and a broker restart with exactly-once delivery, 0
# missing and 0 duplicates read committed) secure_run (tests/kafka/
# secure_run.sh on a second broker started with --secure, in
# $RS_KAFKA_HOME-secure on port $RS_KAFKA_PORT + 100 unless
# RS_SECURE_RUN_HOME / RS_SECURE_RUN_PORT say otherwise) secure_scram (the
# same with SCRAM-SHA-512 against Kafka 3.9.2, RS_KAFKA_VERSION, in
# $RS_KAFKA_HOME-scram on port $RS_KAFKA_PORT + 110; RS_SCRAM_RUN_HOME /
# RS_SCRAM_RUN_PORT) gssapi (tests/kafka/gssapi_run.sh: Kerberos, on a
# broker started with --kerberos in $RS_KAFKA_HOME-kerberos on port
# $RS_KAFKA_PORT + 120; RS_GSSAPI_RUN_HOME / RS_GSSAPI_RUN_PORT) posture
# (tests/kafka/posture.sh) old_broker (tests/kafka/old_broker.sh: Kafka
# 2.4.1 in ZooKeeper mode in $RS_KAFKA_HOME-2.4.1 on port $RS_KAFKA_PORT +
# 150; exactly-once refused at start, at-least-once end to end; about 25 s).
# Ends with "N passed, N failed"; exits 1 if any failed.
# The broker is started if needed and left as it was found.
set -uo pipefail

cd "$(dirname "$0")/../.."
BUILD=${1:-build}
shift || true
. tests/kafka/lib.sh
rs_kafka_setup it it
broker

# The whole stage: replay, run until idle, compare exactly.
scenario_e2e() {
	local c in out pid
	c=$(corpus 20000 7)
	in_out e2e 3 || return 1
	replay_into "$in" "$c" || return 1
	run_stage e2e --group "$in-g" --input "$in" --output "$out" --exit-when-idle 4
	pid=$STAGE
	wait_for "$pid" 120 || return 1
	compare_topic "$c.expected.json" "$out" e2e exact || return 1
	committed_sum "$in-g" 20000 e2e || return 1
}

# Every format, the stateful ones too, replayed keyed by log host (`replay
# --key host`: a PowerMTA header and its rows, keyed by their file, and a
# qmail host's `starting delivery` lines and results each stay in one
# partition, in order): the events equal classify's on the file exactly.
scenario_keyed() {
	local c in out pid
	c=$(corpus 20000 29 all)
	grep -q '^type,timeLogged' "$c" && grep -q 'starting delivery' "$c" ||
		{ echo "the corpus lacks a PowerMTA header or qmail start lines"; return 1; }
	in_out keyed 3 || return 1
	replay_into "$in" "$c" --key host || return 1
	run_stage keyed --group "$in-g" --input "$in" --output "$out" --exit-when-idle 4
	pid=$STAGE
	wait_for "$pid" 120 || return 1
	compare_topic "$c.expected.json" "$out" keyed exact || return 1
	committed_sum "$in-g" 20000 keyed || return 1
}

# /metrics, /healthz and /readyz of a running stage.
scenario_metrics() {
	local c in out pid port=19464 body
	c=$(corpus 20000 7)
	in_out metrics 2 || return 1
	replay_into "$in" "$c" || return 1
	run_stage metrics --group "$in-g" --input "$in" --output "$out" \
		--metrics-listen "127.0.0.1:$port" --exit-when-idle 6
	pid=$STAGE
	sleep 4
	curl -fsS "http://127.0.0.1:$port/healthz" >/dev/null || { echo "/healthz failed"; return 1; }
	curl -fsS "http://127.0.0.1:$port/readyz" >/dev/null || { echo "/readyz failed"; return 1; }
	body=$(curl -fsS "http://127.0.0.1:$port/metrics") || { echo "/metrics failed"; return 1; }
	echo "$body" >"$WORK/metrics.txt"
	grep -q '^replyscan_lines_total 20000$' "$WORK/metrics.txt" || { echo "lines_total is not 20000"; grep lines_total "$WORK/metrics.txt"; return 1; }
	grep -q '^replyscan_events_total{cause="' "$WORK/metrics.txt" || { echo "no events_total series"; return 1; }
	grep -q '^replyscan_processing_latency_seconds_count ' "$WORK/metrics.txt" || { echo "no latency histogram"; return 1; }
	if command -v promtool >/dev/null; then
		promtool check metrics <"$WORK/metrics.txt" || return 1
	fi
	wait_for "$pid" 60 || return 1
}

# kill -9 mid-stream, restart: every event at least once.
scenario_crash() {
	local c in out pid replay_pid
	c=$(corpus 100000 11)
	in_out crash 3 || return 1
	replay_bg "$in" "$c" 25000
	replay_pid=$REPLAY
	run_stage crash1 --group "$in-g" --input "$in" --output "$out"
	pid=$STAGE
	sleep 2.5
	kill -9 "$pid"
	wait "$pid" 2>/dev/null
	log "stage killed with SIGKILL mid-stream; restarting"
	run_stage crash2 --group "$in-g" --input "$in" --output "$out" --exit-when-idle 5
	pid=$STAGE
	wait "$replay_pid" || return 1
	wait_for "$pid" 120 || return 1
	compare_topic "$c.expected.json" "$out" crash at-least
}

# Two members over 6 partitions; one leaves mid-stream; nothing is lost.
scenario_scaleout() {
	local c in out a b replay_pid
	c=$(corpus 100000 13)
	in_out scale 6 || return 1
	replay_bg "$in" "$c" 20000
	replay_pid=$REPLAY
	run_stage scaleA --group "$in-g" --input "$in" --output "$out"
	a=$STAGE
	run_stage scaleB --group "$in-g" --input "$in" --output "$out" --exit-when-idle 6
	b=$STAGE
	sleep 3
	kill -TERM "$a"
	wait_for "$a" 60 || { echo "member A did not stop cleanly"; return 1; }
	log "member A left the group; B takes over"
	wait "$replay_pid" || return 1
	wait_for "$b" 120 || return 1
	grep -q 'partitions assigned' "$WORK/scaleB.log" || return 1
	compare_topic "$c.expected.json" "$out" scale at-least
}

# The broker restarts mid-stream; the stage rides it out.
scenario_broker_restart() {
	local c in out pid replay_pid
	c=$(corpus 60000 17)
	in_out restart 3 || return 1
	replay_into "$in" "$c" || return 1
	run_stage restart --group "$in-g" --input "$in" --output "$out" --exit-when-idle 8 \
		--set kafka.consumer.max.poll.interval.ms=60000
	pid=$STAGE
	sleep 1
	log "restarting the broker under the stage"
	$K restart >/dev/null || return 1
	wait_for "$pid" 180 || return 1
	compare_topic "$c.expected.json" "$out" restart at-least
}

# The broker goes away mid-stream for longer than the producer's
# message.timeout.ms (lowered to 5 s; 15 s away, more with the restart):
# deliveries time out, the stage produces them again and finishes alone
# with --exit-when-idle; every event at least once (duplicates counted).
# linger.ms 1000 keeps up to a second of events in the producer's queue,
# so some are unsent whenever the broker goes: with the default 5 ms a
# stage that had caught up with the replay could have nothing in flight at
# that moment and no delivery to time out (it happened once in CI, on a
# loaded machine), and the scenario would not test the path it names.
scenario_outage() {
	local c in out pid
	c=$(corpus 40000 23)
	in_out outage 3 || return 1
	run_stage outage --group "$in-g" --input "$in" --output "$out" --exit-when-idle 10 \
		--set kafka.producer.message.timeout.ms=5000 \
		--set kafka.producer.linger.ms=1000 \
		--set kafka.consumer.max.poll.interval.ms=60000
	pid=$STAGE
	wait_assigned outage || return 1
	replay_held_bg "$in" "$c" 4000
	sleep 3
	broker_outage 15 || return 1
	wait "$REPLAY" || { echo "replay failed across the outage"; return 1; }
	wait_for "$pid" 240 || { echo "the stage did not finish by itself"; return 1; }
	grep -q 'Message timed out' "$WORK/outage.log" ||
		{ echo "no delivery timed out: the outage did not outlast message.timeout.ms"; return 1; }
	compare_topic "$c.expected.json" "$out" outage at-least
}

# No output topic: nothing committed, a clear error, then it recovers. The
# input holds only delivery failures, so that every line waits for an event
# to be written and no offset may be committed before the topic exists.
scenario_missing_output() {
	local c in out pid f=$WORK/failures-only.log
	c=$(corpus 20000 19)
	python3 - "$c" "$c.expected.json" >"$f" <<'PY' || return 1
import json, sys
want = {json.loads(l)["line"] for l in open(sys.argv[2], encoding="utf-8")}
with open(sys.argv[1], "rb") as src:
    for n, line in enumerate(src, 1):
        if n in want:
            sys.stdout.buffer.write(line)
PY
	$RS classify -q "$f" >"$f.expected.json" || return 1
	in=$(topic missing-in)
	out=$(topic missing-out)
	$K topic "$in" 2 || return 1
	replay_into "$in" "$f" || return 1
	run_stage missing --group "$in-g" --input "$in" --output "$out" --exit-when-idle 10
	pid=$STAGE
	sleep 8
	if [ -n "$($K offsets "$in-g" | awk '$3 != "-"')" ]; then
		echo "offsets were committed although the output topic is missing:"
		$K offsets "$in-g"
		return 1
	fi
	grep -qi "output topic does not exist" "$WORK/missing.log" || {
		echo "no clear error about the output topic in the stage's log"
		return 1
	}
	log "output topic missing: nothing committed, error logged; creating it"
	$K topic "$out" 2 || return 1
	wait_for "$pid" 180 || return 1
	compare_topic "$f.expected.json" "$out" missing at-least || return 1
	[ -n "$($K offsets "$in-g" | awk '$3 != "-"')" ] || { echo "nothing committed after recovery"; return 1; }
}

# Unreadable lines go to the dead-letter topic with the reason in a header.
scenario_dead_letter() {
	local in out dlq pid n
	in=$(topic dlq-in)
	out=$(topic dlq-out)
	dlq=$(topic dlq-dlq)
	$K topic "$in" 1 && $K topic "$out" 1 && $K topic "$dlq" 1 || return 1
	{
		head -c 2000 /dev/urandom | tr -d '\n' | head -c 1500
		echo
		echo 'Nov 27 10:00:00 mta1 postfix/smtp[1]: ABCDEF: to=<a@b.example>, relay=x, status=deferred'
		echo '{"type":"Bounce","id":'
	} >"$WORK/junk.log"
	replay_into "$in" "$WORK/junk.log" || return 1
	run_stage dlq --group "$in-g" --input "$in" --output "$out" --dead-letter "$dlq" --exit-when-idle 4
	pid=$STAGE
	wait_for "$pid" 60 || return 1
	n=$(kcat -b "$BROKERS" -C -t "$dlq" -e -q -f '%h\n' 2>/dev/null | grep -c 'replyscan-error=')
	[ "$n" -ge 2 ] || { echo "expected at least 2 dead-lettered lines, got $n"; return 1; }
}

# SIGHUP reloads the rules; a broken directory is refused and the old rules
# stay in force.
scenario_reload() {
	local in out pid rules=$WORK/rules port=19465
	in_out reload 1 || return 1
	rm -rf "$rules"
	cp -r "${REPLYSCAN_RULES:-rules}" "$rules"
	run_stage reload --group "$in-g" --input "$in" --output "$out" \
		--rules "$rules" --metrics-listen "127.0.0.1:$port"
	pid=$STAGE
	for _ in $(seq 100); do
		grep -q "stage started" "$WORK/reload.log" && break
		sleep 0.2
	done
	echo "rules: [ {id: broken" >"$rules/99-broken.yaml"
	kill -HUP "$pid"
	sleep 1
	grep -q 'reload refused; the old rules stay' "$WORK/reload.log" || { echo "broken reload not refused"; return 1; }
	# Into a file first: grep -q stops reading at its match, and under
	# pipefail curl's write error on the closed pipe (exit 23) would fail
	# the check although the line is there.
	curl -fsS "http://127.0.0.1:$port/metrics" >"$WORK/reload.metrics" || return 1
	grep -q '^replyscan_rules_reloads_total{result="error"} 1$' "$WORK/reload.metrics" ||
		{ echo "reload error not counted"; return 1; }
	rm "$rules/99-broken.yaml"
	kill -HUP "$pid"
	sleep 1
	grep -q 'rules reloaded' "$WORK/reload.log" || { echo "good reload not taken"; return 1; }
	# The stage still works after the swap.
	replay_into "$in" tests/fixtures/sample/mixed.log || return 1
	sleep 3
	kill -TERM "$pid"
	wait_for "$pid" 60 || return 1
	$RS classify -q tests/fixtures/sample/mixed.log >"$WORK/reload.expected.json"
	compare_topic "$WORK/reload.expected.json" "$out" reload exact
}

# Exactly-once: its own scenarios on this broker (it leaves it running).
scenario_exactly_once() {
	bash tests/kafka/exactly_once.sh "$BUILD"
}

# SASL_SSL end to end and its failures, on a broker of its own (--secure).
scenario_secure_run() {
	local home=${RS_KAFKA_HOME:-/var/tmp/replyscan-kafka}
	RS_KAFKA_JARS=${RS_KAFKA_JARS:-$home/lib} \
		RS_KAFKA_HOME=${RS_SECURE_RUN_HOME:-$home-secure} \
		RS_KAFKA_PORT=${RS_SECURE_RUN_PORT:-$((${RS_KAFKA_PORT:-9092} + 100))} \
		bash tests/kafka/secure_run.sh "$BUILD"
}

# SCRAM-SHA-512 over SASL_SSL: librdkafka 2.0.2 cannot log in with SCRAM
# to Kafka 4.x, so against 3.9.2 on a broker of its own.
scenario_secure_scram() {
	local home=${RS_KAFKA_HOME:-/var/tmp/replyscan-kafka}
	RS_KAFKA_JARS=${RS_KAFKA_JARS:-$home/lib} RS_KAFKA_VERSION=3.9.2 \
		RS_KAFKA_HOME=${RS_SCRAM_RUN_HOME:-$home-scram} \
		RS_KAFKA_PORT=${RS_SCRAM_RUN_PORT:-$((${RS_KAFKA_PORT:-9092} + 110))} \
		RS_SECURE_RUN_MECHANISM=SCRAM-SHA-512 \
		bash tests/kafka/secure_run.sh "$BUILD"
}

# GSSAPI (Kerberos) end to end and an unknown principal, on a broker of
# its own started with --kerberos (a KDC of its own beside it).
scenario_gssapi() {
	local home=${RS_KAFKA_HOME:-/var/tmp/replyscan-kafka}
	RS_KAFKA_JARS=${RS_KAFKA_JARS:-$home/lib} \
		RS_KAFKA_HOME=${RS_GSSAPI_RUN_HOME:-$home-kerberos} \
		RS_KAFKA_PORT=${RS_GSSAPI_RUN_PORT:-$((${RS_KAFKA_PORT:-9092} + 120))} \
		bash tests/kafka/gssapi_run.sh "$BUILD"
}

# An old broker (Kafka 2.4.1, no KIP-447) of its own: its own script.
scenario_old_broker() {
	RS_KAFKA_JARS=${RS_KAFKA_JARS:-${RS_KAFKA_HOME:-/var/tmp/replyscan-kafka}/lib} \
		bash tests/kafka/old_broker.sh "$BUILD"
}

# `replyscan posture` on the same broker: its own script, own topics.
scenario_posture() {
	bash tests/kafka/posture.sh "$BUILD"
}

# outage (at-least-once across a broker outage longer than
# message.timeout.ms) joined the default list after 7 of 7 runs (2 with
# busy loops on its CPU; an earlier 8 of 9, the ninth's cause not
# captured); about 1.3 min.
# gssapi (Kerberos on Kafka 4.4.0, about 40 s) joined after 6 of 6 runs.
# old_broker (about 25 s) joined after 4 of 4 runs (one with a first
# install from Maven).
all=(e2e keyed metrics crash scaleout broker_restart missing_output dead_letter reload exactly_once secure_run secure_scram gssapi posture outage old_broker)
if [ $# -gt 0 ]; then
	all=("$@")
fi
rs_kafka_run_all "kafka integration" "${all[@]}"
