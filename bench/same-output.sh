#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# same-output.sh - prove that a change to the engine's speed changed no
# output: run two replyscan binaries over every log fixture and a
# generated corpus, under "auto" and every explicit format, with and
# without --all, one and two threads, and compare stdout (the events) and
# the closing line on stderr (the counts, timing removed) byte for byte.
#
#   bench/same-output.sh OLD_BINARY NEW_BINARY [CORPUS_LINES [SEED]]
#
# OLD_BINARY is usually a build of the commit before the change
# (git worktree add /tmp/base <commit> && cmake ... there). Exit 0 when
# every run agrees, 1 with the first differing run named otherwise.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 2 ]; then
	echo "usage: bench/same-output.sh OLD_BINARY NEW_BINARY [CORPUS_LINES [SEED]]" >&2
	exit 2
fi
old=$1
new=$2
lines=${3:-200000}
seed=${4:-7}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

python3 bench/gen_corpus.py --lines "$lines" --seed "$seed" --out "$work/corpus.log"
inputs=("$work/corpus.log")
while IFS= read -r f; do
	inputs+=("$f")
done < <(find tests/fixtures -type f \( -name '*.log' -o -name '*.txt' \
	-o -name '*.csv' -o -name '*.json' -o -name '*.jsonl' \
	-o -name '*.tsv' \) | sort)

# Every format the binary knows, from its own error message.
read -r -a formats < <("$new" classify -i '?' /dev/null 2>&1 |
	sed -n 's/.* is not one of //p' | tr -d ',')

# The closing line without its timing ("in 0.123 s (456 lines/s)").
counts() { sed -E 's/ in [0-9.]+ s \([0-9]+ lines\/s\)//' "$1"; }

runs=0
for input in "${inputs[@]}"; do
	for fmt in "${formats[@]}"; do
		for all in "" "--all"; do
			# Two threads only on the corpus: fixtures fill one batch.
			threads=(1)
			if [ "$input" = "$work/corpus.log" ]; then
				threads=(1 2)
			fi
			for t in "${threads[@]}"; do
				args=(classify -r rules -t "$t" -i "$fmt" $all "$input")
				"$old" "${args[@]}" >"$work/old.out" 2>"$work/old.err" || true
				"$new" "${args[@]}" >"$work/new.out" 2>"$work/new.err" || true
				# ingest_time_unix_ms is the wall clock: not compared.
				sed -i -E 's/"ingest_time_unix_ms":[0-9]+/"ingest_time_unix_ms":0/' \
					"$work/old.out" "$work/new.out"
				if ! cmp -s "$work/old.out" "$work/new.out" ||
					! cmp -s <(counts "$work/old.err") <(counts "$work/new.err"); then
					echo "DIFFER: replyscan ${args[*]}" >&2
					diff <(counts "$work/old.err") <(counts "$work/new.err") >&2 || true
					diff "$work/old.out" "$work/new.out" | head -n 10 >&2 || true
					exit 1
				fi
				runs=$((runs + 1))
			done
		done
	done
done
echo "same output: $runs runs over ${#inputs[@]} inputs x ${#formats[@]} formats x (--all or not) (the corpus also with 2 threads)"
