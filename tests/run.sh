#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# The project's test command (the README's and CI's): install what is
# missing, check formatting, then build and run every test twice - a
# normal build and an ASan+UBSan build - and the rule examples.
#   tests/run.sh              everything above
#   tests/run.sh --valgrind   also run the unit tests under valgrind
set -euo pipefail
cd "$(dirname "$0")/.."

valgrind=0
for arg in "$@"; do
	case "$arg" in
	--valgrind) valgrind=1 ;;
	*) echo "usage: tests/run.sh [--valgrind]" >&2; exit 2 ;;
	esac
done

bash deploy/install-deps.sh

echo "== formatting (clang-format)"
bash tests/check-format.sh

echo "== build and unit tests"
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
ctest --test-dir build --output-on-failure -j2

echo "== rule examples"
build/replyscan rules test

echo "== posture policy examples"
build/replyscan posture --check-policy --policy posture/policy.yaml

echo "== accuracy on labelled replies (tests/fixtures/replies: development and held-back parts)"
# The parts are split.py's output: re-running it must give them byte for
# byte, so that no relabel lives only in a generated file.
parts_sum() { cat tests/fixtures/replies/dev*.tsv tests/fixtures/replies/heldback*.tsv | sha256sum; }
before=$(parts_sum)
python3 tests/fixtures/replies/split.py >/dev/null
[ "$(parts_sum)" = "$before" ] ||
	{ echo "split.py does not reproduce the committed development and held-back parts"; exit 1; }
# agree30's blind labels still hold the sample that was drawn.
python3 tests/fixtures/replies/agreement/sample.py --check
python3 tests/fixtures/replies/agreement/sample.py --round 2 --check
build/replyscan eval --quiet --min-accuracy 97.5 --max-uncategorized 1 \
	tests/fixtures/replies/dev.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 87.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 84.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-fresh.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 97.5 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r6.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 79.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r6.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r7.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 70.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r7.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 97.5 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r8.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 86.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r8.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 96.5 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r9.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 84.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r9.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 97 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r10.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 84 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r10.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 96 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r11.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 95.5 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r12.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 83.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r12.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 97 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r13.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 81 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r13.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 97 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r14.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 85.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r14.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 96.5 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r15.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 89 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r15.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 94 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r16.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 83.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r16.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 97 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r17.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 88 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r17.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 93 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r18.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 85.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r18.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 95 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r19.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 87.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r19.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 78.5 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r20.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 71 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r20.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 88 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r21.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 63.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r21.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 87.5 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r22.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 20 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r22.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 70 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r23.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 55.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r23.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 90 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r24.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 78.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r24.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 90.5 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r25.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 78 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r25.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 72.5 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r26.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 82.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r26.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 86.5 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r27.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 73.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r27.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 57 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r28.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 25 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r28.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 87.5 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r29.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 62.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r29.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 57 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r30.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 61.5 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r30.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 50 --max-uncategorized 1 \
	tests/fixtures/replies/dev-r31.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 50 --max-uncategorized 1 \
	tests/fixtures/replies/heldback-r31.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 96 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r24.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r26.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r27.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 97.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r28.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r29.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r30.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 97.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r31.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r32.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r33.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 93 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r34.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 93.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r35.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r36.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 97.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r37.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 86 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r38.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 81 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r39.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 96 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r40.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 97.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r41.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r42.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 90 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r43.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 88.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r44.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r45.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 85.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r46.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 88.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r47.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 99 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r48.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r49.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 91.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r50.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r51.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 97.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r52.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 97.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r53.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 96.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r54.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 94.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r55.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 95 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r56.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r57.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r58.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 96.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r59.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r60.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 95.0 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r61.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r62.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 88.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r63.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 98.0 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r64.tsv | tail -n 2
build/replyscan eval --quiet --min-accuracy 93.5 --max-uncategorized 1 \
	tests/fixtures/replies/probe-r65.tsv | tail -n 2

echo "== an analytics engine reads the events (tests/analytics: ClickHouse embedded by chdb)"
[ -x build/venv-analytics/bin/python ] || python3 -m venv build/venv-analytics
build/venv-analytics/bin/pip install -q --disable-pip-version-check \
	-r tests/analytics/requirements.txt
build/venv-analytics/bin/python tests/analytics/chdb_check.py --replyscan build/replyscan

echo "== benchmark smoke run (bench/run --smoke: every tool on 20,000 lines)"
python3 bench/run --smoke --no-kafka | tail -n 12

echo "== build and unit tests under ASan+UBSan"
cmake -S . -B build-asan -G Ninja -DCMAKE_BUILD_TYPE=Debug -DRS_SANITIZE=ON >/dev/null
cmake --build build-asan -j2
ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1 \
	ctest --test-dir build-asan --output-on-failure -j2

echo "== fuzzing: every harness for a bounded time (tests/fuzz/run.sh --ci)"
bash tests/fuzz/run.sh --ci

echo "== deploy checks (package, systemd unit, manifests, alerts, docs)"
bash tests/deploy/check.sh --build build

echo "== Kafka integration tests (real broker from deploy/kafka)"
bash tests/kafka/integration.sh build

if [ "$valgrind" -eq 1 ]; then
	echo "== unit tests under valgrind"
	RS_VALGRIND=1 ctest --test-dir build --output-on-failure \
		--overwrite MemoryCheckCommandOptions="--error-exitcode=1 --leak-check=full --errors-for-leak-kinds=definite" \
		-T memcheck -E metrics_promtool
fi
echo "== all tests passed"
