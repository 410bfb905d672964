#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Run the libFuzzer harnesses (tests/fuzz/fuzz_<surface>.c) for a bounded
# time each. Builds them first in build-fuzz (CC=clang, -DRS_FUZZ=ON).
#
#   tests/fuzz/run.sh --ci                 every harness, 12 s each (CI)
#   tests/fuzz/run.sh --time 600 parse     one harness for 10 minutes
#   tests/fuzz/run.sh --list               the surfaces
#   --no-build: use the harnesses already built (two runs side by side)
#
# Each harness starts from its seeds (corpus/<surface>) plus what earlier
# runs found (build-fuzz/fuzz-corpus/<surface>, kept between runs, never
# committed), with its dictionary when there is one. Limits: -max_len
# per surface, -timeout (seconds one input may take: parsers are per-line
# and must never hang), -rss_limit_mb (the service's stated memory
# bound, see README "Fuzzing"), LeakSanitizer on. A crash, leak, timeout
# or out-of-memory stops the run with the input saved under
# build-fuzz/fuzz-artifacts/<surface>/: once fixed, copy it to
# tests/fuzz/regress/<surface>/ so that ctest replays it for ever.
set -euo pipefail
cd "$(dirname "$0")/../.."

SURFACES=(reader syslog parse normalise classify event events rules config cmdline words)
secs=60
build=build-fuzz
jobs=2
nobuild=0
list=()
while [ $# -gt 0 ]; do
	case "$1" in
	--ci) secs=12 ;;
	--time) secs="$2"; shift ;;
	--build) build="$2"; shift ;;
	--no-build) nobuild=1 ;;
	--list) printf '%s\n' "${SURFACES[@]}"; exit 0 ;;
	-h|--help) sed -n '2,19p' "$0"; exit 0 ;;
	-*) echo "usage: tests/fuzz/run.sh [--ci] [--time SECS] [--build DIR] [surface...]" >&2; exit 2 ;;
	*) list+=("$1") ;;
	esac
	shift
done
[ ${#list[@]} -gt 0 ] || list=("${SURFACES[@]}")

max_len() {
	case "$1" in
	reader) echo 16384 ;;
	rules) echo 24576 ;;
	config) echo 8192 ;;
	parse) echo 8192 ;;
	*) echo 4096 ;;
	esac
}

# The memory bound: 256 MiB, under the service's MemoryMax=512M, but more
# where the harness compiles the whole rule set with Hyperscan under ASan:
# libFuzzer checks the PEAK RSS, and the compile's peak counts (700 rules,
# no cache: 527 MB under ASan against 129 MB in the plain build; 628 rules
# fitted 512). classify compiles it once at start-up, rules one small set
# per input.
rss_limit() {
	case "$1" in
	classify) echo 768 ;;
	rules) echo 512 ;;
	*) echo 256 ;;
	esac
}

if ! command -v clang >/dev/null; then
	echo "fuzz: clang is missing (deploy/install-deps.sh installs it)" >&2
	exit 1
fi
if [ "$nobuild" -eq 0 ]; then
	CC=clang cmake -S . -B "$build" -G Ninja \
		-DCMAKE_BUILD_TYPE=RelWithDebInfo -DRS_FUZZ=ON >/dev/null
	targets=()
	for s in "${list[@]}"; do targets+=("fuzz_$s"); done
	cmake --build "$build" -j"$jobs" --target "${targets[@]}"
fi

export ASAN_OPTIONS="detect_leaks=1:allocator_may_return_null=1:quarantine_size_mb=16:malloc_context_size=10${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# The rules harness compiles many small rule sets: no on-disk cache.
export REPLYSCAN_CACHE_DIR=

failed=0
for s in "${list[@]}"; do
	work="$PWD/$build/fuzz-corpus/$s"
	art="$PWD/$build/fuzz-artifacts/$s"
	mkdir -p "$work" "$art"
	dict=()
	[ -f "tests/fuzz/$s.dict" ] && dict=(-dict="$PWD/tests/fuzz/$s.dict")
	log="$build/fuzz-$s.log"
	echo "== fuzz_$s: ${secs} s"
	if "$build/tests/fuzz/fuzz_$s" -max_total_time="$secs" \
		-max_len="$(max_len "$s")" -timeout=10 -rss_limit_mb="$(rss_limit "$s")" \
		-detect_leaks=1 -print_final_stats=1 "${dict[@]}" \
		-artifact_prefix="$art/" "$work" "$PWD/tests/fuzz/corpus/$s" \
		>"$log" 2>&1; then
		grep -E '^stat::(number_of_executed_units|peak_rss_mb)|^#[0-9]+.*DONE' "$log" |
			tail -n 3 | sed 's/^/   /'
	else
		failed=1
		echo "fuzz_$s FAILED; the end of $log:" >&2
		tail -n 40 "$log" >&2
		ls -1 "$art" >&2 || true
	fi
done
if [ "$failed" -ne 0 ]; then
	echo "fuzz: a harness failed (inputs above; fix, then add them to tests/fuzz/regress/<surface>/)" >&2
	exit 1
fi
echo "fuzz: ${#list[@]} harnesses ran ${secs} s each without a finding"
