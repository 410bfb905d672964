#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# kafka-eos.sh - the throughput cost of exactly-once against at-least-once,
# on the local broker (deploy/kafka/kafka.sh).
#
#   bench/kafka-eos.sh [BUILD_DIR] [LINES] [ROUNDS]
#
# One input topic (6 partitions) is filled once with a generated corpus
# (bench/gen_corpus.py --classic, LINES lines, default 400000). Then each
# round runs `replyscan run` over the whole topic with a fresh consumer group
# and output topic, once at_least_once and once exactly_once (default
# transaction interval, 1 s), alternating, and times it from start to exit
# with --exit-when-idle 1 (the idle second is subtracted; start-up,
# including joining the group and, for exactly_once, init_transactions, is
# counted). Prints lines/s per run and the median of each mode, and the
# cost as a percentage. Honours RS_KAFKA_HOME / RS_KAFKA_PORT; starts the
# broker if needed and leaves it as found. The machine's other load moves
# the figures: compare the two modes within one invocation only.
set -euo pipefail

cd "$(dirname "$0")/.."
BUILD=${1:-build}
LINES=${2:-400000}
ROUNDS=${3:-3}
RS=$BUILD/replyscan
K=deploy/kafka/kafka.sh
WORK=$(mktemp -d /tmp/rs-kafka-eos-bench.XXXXXX)
started=0
cleanup() {
	if [ "$started" -eq 1 ]; then
		$K stop >/dev/null 2>&1 || true
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

if ! $K status >/dev/null 2>&1; then
	started=1
fi
BROKERS=$($K start)
id=$$
in=bench-eos-in-$id
python3 bench/gen_corpus.py --classic --lines "$LINES" --seed 5 --out "$WORK/corpus.log" >/dev/null
$K topic "$in" 6 >/dev/null 2>&1
$RS replay --quiet --brokers "$BROKERS" --topic "$in" "$WORK/corpus.log"

# run MODE ROUND: prints lines/s
run() {
	local mode=$1 r=$2 out=bench-eos-out-$id-$1-$2 t0 t1
	$K topic "$out" 6 >/dev/null 2>&1
	t0=$(date +%s.%N)
	$RS run --brokers "$BROKERS" --group "bench-eos-$id-$mode-$r" \
		--input "$in" --output "$out" --threads 2 --exit-when-idle 1 \
		--set kafka.delivery_guarantee="$mode" \
		--set kafka.transactional_id="bench-eos-$id-$r" \
		2>"$WORK/$mode-$r.log"
	t1=$(date +%s.%N)
	grep -q "stage stopped\" lines=$LINES " "$WORK/$mode-$r.log" || {
		echo "$mode round $r did not read $LINES lines:" >&2
		tail -n 5 "$WORK/$mode-$r.log" >&2
		exit 1
	}
	python3 -c "print(round($LINES / ($t1 - $t0 - 1)))"
}

alo=()
eos=()
for ((r = 1; r <= ROUNDS; r++)); do
	a=$(run at_least_once "$r")
	e=$(run exactly_once "$r")
	echo "round $r: at_least_once $a lines/s, exactly_once $e lines/s"
	alo+=("$a")
	eos+=("$e")
done
python3 - "${alo[*]}" "${eos[*]}" <<'PY'
import statistics, sys
a = statistics.median(int(x) for x in sys.argv[1].split())
e = statistics.median(int(x) for x in sys.argv[2].split())
print(f"median: at_least_once {a:.0f} lines/s, exactly_once {e:.0f} lines/s, "
      f"cost {100 * (a - e) / a:.1f}%")
PY
