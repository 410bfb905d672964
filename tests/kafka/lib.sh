# shellcheck shell=bash
# SPDX-License-Identifier: Apache-2.0
# tests/kafka/lib.sh - what the real-broker test scripts share; sourced,
# never run. Every script honours RS_KAFKA_HOME / RS_KAFKA_PORT through
# deploy/kafka/kafka.sh.
#
# Two kinds of script use it:
#
#  - scenario scripts (integration.sh, exactly_once.sh, posture.sh,
#    secure_run.sh): cd to the top of the repository, set BUILD, source this
#    file, call rs_kafka_setup, define scenario_NAME functions and end with
#    rs_kafka_run_all LABEL SCENARIO..., which runs each under `check` and
#    prints "LABEL: N passed, N failed" (tests/run.sh and .ci/run read it).
#    Variables a script may set after rs_kafka_setup: STAGE_ARGS (more
#    arguments of every `run_stage`), CHECK_TAIL (log lines shown on a
#    failure), CHECK_SKIP (a regular expression of logs not shown),
#    KEEP_WORK (non-empty: keep WORK at exit).
#
#  - self-checks of kafka.sh (smoke.sh, secure.sh): a broker of their own in
#    a temporary home; `ok` counts a check, `fail` stops at the first
#    failure (the later checks depend on the earlier) through
#    `selfcheck_finish`, which stops the broker and prints
#    "SELF_NAME: N passed, N failed".

passed=0
failed=0
failures=()

log() { echo "[$(date +%H:%M:%S)] $*"; }

# need_tools LABEL TOOL...: every TOOL on PATH, or a failed summary line.
need_tools() {
	local label=$1 tool
	shift
	for tool in "$@"; do
		command -v "$tool" >/dev/null || {
			echo "FAIL - $tool is not installed"
			echo "$label: 0 passed, 1 failed"
			exit 1
		}
	done
}

# ---------------------------------------------------------------- scenarios

# rs_kafka_setup NAME TOPIC_PREFIX: the variables every scenario script
# uses (RS, K, WORK, RUN_ID) and the cleanup at exit. The broker is not
# started here: `broker` does it, so that a scenario without one can run.
rs_kafka_setup() {
	RS=$BUILD/replyscan
	rs_librdkafka
	K=deploy/kafka/kafka.sh
	WORK=$(mktemp -d "/tmp/rs-kafka-$1.XXXXXX")
	TOPIC_PREFIX=$2
	RUN_ID=$$
	started_broker=0
	BROKERS=
	STAGE_ARGS=()
	CHECK_TAIL=15
	CHECK_SKIP=corpus
	KEEP_WORK=
	trap rs_kafka_cleanup EXIT
}

# RS_LIBRDKAFKA=wheel or crate (tests/kafka/newer-librdkafka.sh), or a
# directory holding a librdkafka.so.1: RS runs replyscan with that library
# first on LD_LIBRARY_PATH (nothing else does: kcat and kafka.sh keep the
# system's), RS_LIBRDKAFKA_DIR is that directory and RS_LIBRDKAFKA_VERSION
# its version, which every stage's
# "stage started" line must show for a scenario to pass (check). Unset or
# "system": the library replyscan was linked with.
rs_librdkafka() {
	local dir
	case ${RS_LIBRDKAFKA:-system} in
	system) return 0 ;;
	wheel | crate) dir=$(tests/kafka/newer-librdkafka.sh "$RS_LIBRDKAFKA") || exit 1 ;;
	*) dir=$RS_LIBRDKAFKA ;;
	esac
	RS_LIBRDKAFKA_VERSION=$(python3 -c 'import ctypes, sys
l = ctypes.CDLL(sys.argv[1] + "/librdkafka.so.1")
l.rd_kafka_version_str.restype = ctypes.c_char_p
print(l.rd_kafka_version_str().decode())' "$dir") || exit 1
	RS_LIBRDKAFKA_DIR=$dir
	RS="env LD_LIBRARY_PATH=$dir${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH} $RS"
	log "replyscan runs with librdkafka $RS_LIBRDKAFKA_VERSION from $dir" >&2
}

# Did every stage of the scenario run with RS_LIBRDKAFKA_VERSION? (true
# when RS_LIBRDKAFKA is not set)
rs_librdkafka_used() {
	local f bad=0
	[ -n "${RS_LIBRDKAFKA_VERSION:-}" ] || return 0
	for f in "$WORK"/*.log; do
		[ -e "$f" ] || continue
		if grep 'msg="stage started"' "$f" | grep -vq "librdkafka=$RS_LIBRDKAFKA_VERSION\b"; then
			echo "$f: a stage ran without librdkafka $RS_LIBRDKAFKA_VERSION:"
			grep 'msg="stage started"' "$f" | grep -o 'librdkafka=[^ ]*'
			bad=1
		fi
	done
	return "$bad"
}

# At exit: kill what is still running in the background, stop the broker
# if this script started it, remove WORK.
rs_kafka_cleanup() {
	local p
	for p in $(jobs -p); do kill -9 "$p" 2>/dev/null; done
	if [ "$started_broker" -eq 1 ]; then
		$K stop >/dev/null 2>&1
	fi
	if [ -n "$KEEP_WORK" ]; then
		echo "logs kept in $WORK"
	else
		rm -rf "$WORK"
	fi
}

# broker [--secure]: start the broker unless it runs (it is then left
# running at exit); its plaintext address in BROKERS. Exits on failure.
broker() {
	[ -n "$BROKERS" ] && return 0
	if ! $K status >/dev/null 2>&1; then
		started_broker=1
	fi
	BROKERS=$($K start "$@") || { echo "cannot start the Kafka broker"; exit 1; }
	log "broker at $BROKERS"
}

# Fresh topic names per scenario, so reruns never see old data.
topic() { echo "$TOPIC_PREFIX-$1-$RUN_ID"; }

# broker_with MODE: the broker started with --MODE (secure, kerberos) and
# the settings `kafka.sh MODE-env` prints (addresses, users, keytabs)
# set in this shell. Exits when the running broker lacks that listener.
broker_with() {
	local mode=$1 env_out
	broker "--$mode"
	env_out=$($K "$mode-env") || {
		echo "the broker of $($K status 2>&1 | head -n 1) runs without --$mode;"
		echo "give this script its own RS_KAFKA_HOME and RS_KAFKA_PORT"
		exit 1
	}
	eval "$env_out"
}

# shared_input LINES SEED: a corpus of LINES lines (CORPUS) replayed into
# a fresh 2-partition topic (IN) that every scenario of a script reads
# with a group of its own. Exits on failure.
shared_input() {
	CORPUS=$(corpus "$1" "$2")
	IN=$(topic in)
	$K topic "$IN" 2 >/dev/null 2>&1 || exit 1
	replay_into "$IN" "$CORPUS" || exit 1
}

# in_out NAME PARTS: fresh topics NAME-in and NAME-out of PARTS partitions
# each; their names in the caller's $in and $out.
in_out() {
	in=$(topic "$1-in")
	out=$(topic "$1-out")
	$K topic "$in" "$2" >/dev/null && $K topic "$out" "$2" >/dev/null
}

# replay_into TOPIC FILE [ARGS...]: the lines of FILE into TOPIC with
# `replyscan replay` (ARGS: e.g. --rate N).
replay_into() {
	local t=$1 f=$2
	shift 2
	$RS replay --quiet --brokers "$BROKERS" --topic "$t" "$@" "$f"
}

# replay_bg TOPIC FILE RATE: the same at RATE lines/s in the background
# (a job of this shell, killed at exit); its pid in $REPLAY.
replay_bg() {
	$RS replay --quiet --rate "$3" --brokers "$BROKERS" --topic "$1" "$2" &
	REPLAY=$!
}

# replay_held_bg TOPIC FILE RATE: replay_bg whose producer keeps its
# messages for 10 minutes (message.timeout.ms) instead of 30 s, so that the
# replay itself rides out a broker outage; its pid in $REPLAY.
replay_held_bg() {
	$RS replay --quiet --rate "$3" --brokers "$BROKERS" --topic "$1" \
		-X message.timeout.ms=600000 "$2" 2>>"$WORK/replay.err" &
	REPLAY=$!
}

# broker_outage SECONDS: stop the broker, keep it away SECONDS, start it
# again (its data kept). Logs how long it was really away: the start takes
# its own time on a loaded machine.
broker_outage() {
	local t0
	t0=$(date +%s)
	$K stop >/dev/null || { echo "cannot stop the broker"; return 1; }
	log "broker stopped; away for $1 s"
	sleep "$1"
	$K start >/dev/null || { echo "cannot start the broker again"; return 1; }
	log "broker back after $(($(date +%s) - t0)) s"
}

# corpus N SEED [all]: the path of a classic generated corpus of N lines
# (made once per run), next to what classify makes of it
# (PATH.expected.json). Classic: unkeyed replay spreads a stateful
# format's records (qmail's "starting delivery" line and its result) over
# partitions (see the README). "all": every format, the stateful ones too
# (a PowerMTA header and its rows, qmail's start lines), for a replay
# keyed by host.
corpus() {
	local n=$1 seed=$2 kind=${3:-classic} out flags=(--classic)
	if [ "$kind" = all ]; then
		out=$WORK/corpus-all-$n-$seed.log
		flags=()
	else
		out=$WORK/corpus-$n-$seed.log
	fi
	if [ ! -f "$out" ]; then
		python3 bench/gen_corpus.py "${flags[@]}" --lines "$n" --seed "$seed" --out "$out" >/dev/null
		$RS classify -q "$out" >"$out.expected.json"
	fi
	echo "$out"
}

# run_stage NAME ARGS...: `replyscan run` in the background with STAGE_ARGS
# and ARGS, its output and log in WORK/NAME.out and .log, its pid in $STAGE
# (not a command substitution: the shell must be its parent). A short
# session timeout lets the group notice a killed member quickly.
run_stage() {
	local name=$1
	shift
	$RS run --brokers "$BROKERS" --threads 2 \
		--set kafka.consumer.session.timeout.ms=10000 \
		"${STAGE_ARGS[@]}" "$@" >"$WORK/$name.out" 2>"$WORK/$name.log" &
	STAGE=$!
}

# wait_for PID LIMIT: wait for PID to exit within LIMIT seconds; its status
# is returned (124 and a kill -9 if it did not exit).
wait_for() {
	local pid=$1 limit=$2 i
	for ((i = 0; i < limit * 10; i++)); do
		if ! kill -0 "$pid" 2>/dev/null; then
			wait "$pid"
			return $?
		fi
		sleep 0.1
	done
	echo "process $pid still running after $limit s"
	kill -9 "$pid" 2>/dev/null
	return 124
}

# wait_log FILE PATTERN LIMIT [MESSAGE]: wait until FILE holds PATTERN.
wait_log() {
	local file=$1 pattern=$2 limit=$3 i
	for ((i = 0; i < limit * 10; i++)); do
		grep -q -- "$pattern" "$file" 2>/dev/null && return 0
		sleep 0.1
	done
	echo "${4:-no '$pattern' in $file after $limit s}"
	return 1
}

# Wait until stage NAME (its log WORK/NAME.log) has partitions (30 s).
wait_assigned() {
	wait_log "$WORK/$1.log" 'partitions assigned' 30 "$1 never got partitions"
}

# events TOPIC [ISOLATION]: the events of an output topic as JSON lines,
# read with ISOLATION (default read_committed, the command's own default).
events() {
	$RS events --brokers "$BROKERS" --topic "$1" --timeout 20 \
		--isolation "${2:-read_committed}" 2>"$WORK/events.err"
}

# compare_topic EXPECTED TOPIC NAME MODE [ISOLATION]: the events of TOPIC
# (kept in WORK/NAME.json) against classify's EXPECTED JSON lines with
# tests/kafka/compare.py MODE (exact or at-least).
compare_topic() {
	local expected=$1 out=$2 name=$3 mode=$4
	events "$out" "${5:-read_committed}" >"$WORK/$name.json" ||
		{ cat "$WORK/events.err"; return 1; }
	python3 tests/kafka/compare.py "$expected" "$WORK/$name.json" "$mode"
}

# committed_sum GROUP WANT NAME: the offsets GROUP committed (kept in
# WORK/NAME.offsets) add up to WANT, i.e. every input partition's committed
# offset is its end.
committed_sum() {
	$K offsets "$1" >"$WORK/$3.offsets"
	[ "$(awk '{ n += $3 } END { print n }' "$WORK/$3.offsets")" = "$2" ] || {
		echo "committed offsets do not add up to $2:"
		cat "$WORK/$3.offsets"
		return 1
	}
}

# check NAME COMMAND...: run one scenario, count it, show the last lines of
# the logs in WORK (but those matching CHECK_SKIP) when it fails.
check() {
	local name=$1 f
	shift
	log "== $name"
	if "$@" && rs_librdkafka_used; then
		log "PASS $name"
		passed=$((passed + 1))
	else
		log "FAIL $name"
		failed=$((failed + 1))
		failures+=("$name")
		for f in "$WORK"/*.log; do
			[ -e "$f" ] || continue # no log yet: the glob itself
			[[ $f =~ $CHECK_SKIP ]] && continue
			echo "--- $f (last lines)"
			grep -v 'facility=GETPID' "$f" | tail -n "$CHECK_TAIL"
		done
	fi
}

# rs_kafka_run_all LABEL SCENARIO...: each scenario_SCENARIO under check,
# then "LABEL: N passed, N failed"; the status is 0 only if none failed.
rs_kafka_run_all() {
	local label=$1 s
	shift
	for s in "$@"; do
		check "$s" "scenario_$s"
	done
	echo
	if [ "$failed" -gt 0 ]; then
		echo "failed: ${failures[*]}"
	fi
	echo "$label: $passed passed, $failed failed"
	[ "$failed" -eq 0 ]
}

# -------------------------------------------------------------- self-checks

# Record a passed check.
ok() {
	passed=$((passed + 1))
	echo "ok - $*"
}

# Record a failed check and stop: the later checks depend on the earlier.
fail() {
	failed=$((failed + 1))
	echo "FAIL - $*"
	selfcheck_finish
}

# selfcheck_start NAME PORT KEEP: a temporary broker home for a self-check
# (RS_KAFKA_HOME, on PORT; KEEP non-empty keeps it at exit), sharing the
# jar cache of the default home so that only the first run on a machine
# pays for the Maven install. Sets home, addr and the exit trap.
selfcheck_start() {
	SELF_NAME=$1
	SELF_KEEP=$3
	home=$(mktemp -d "/var/tmp/replyscan-kafka-$1.XXXXXX")
	export RS_KAFKA_HOME=$home
	export RS_KAFKA_PORT=$2
	unset RS_KAFKA_CONTROLLER_PORT KAFKA_PORT
	export RS_KAFKA_JARS=${RS_KAFKA_JARS:-/var/tmp/replyscan-kafka/lib}
	trap selfcheck_finish EXIT INT TERM
	addr=127.0.0.1:$2
}

# Stop the broker, remove the temporary home, print the summary and exit.
selfcheck_finish() {
	trap - EXIT INT TERM
	if [[ -n ${home:-} ]]; then
		if ((failed > 0)); then
			echo "--- last lines of the broker log:"
			tail -n 40 "$home/logs/server.log" 2>/dev/null
		fi
		"$KAFKA_SH" stop >/dev/null 2>&1
		if [[ -z $SELF_KEEP ]]; then
			rm -rf "$home"
		fi
	fi
	echo "$SELF_NAME: $passed passed, $failed failed"
	if ((failed > 0)); then
		exit 1
	fi
	exit 0
}
