#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# profile.sh - where a line's time goes, by phase, for one replyscan binary.
#
#   bench/profile.sh BINARY [LINES]      (default 200000 lines)
#
# Generates a corpus (bench/gen_corpus.py, with its truth), splits it into
# the failure lines and the other lines, and reports for each part and for
# the whole corpus (one worker thread, --format pb):
#   - CPU ns/line: user+sys time of the best of three runs, startup (an
#     empty input) taken off; a shared machine makes this noisy;
#   - instructions/line by phase under valgrind's callgrind (deterministic,
#     so before/after comparisons hold on a busy machine): source (read
#     and line split, prescan), parse (format detection and parsing, the
#     skip path included), classify (normalise, Hyperscan, precedence),
#     encode (the event's bytes). Startup is taken off the total.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
	echo "usage: bench/profile.sh BINARY [LINES]" >&2
	exit 2
fi
bin=$(realpath "$1")
lines=${2:-200000}
. bench/callgrind.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rules=$(pwd)/rules

python3 bench/gen_corpus.py --lines "$lines" --seed 1 --out "$work/all.log" \
	--truth "$work/truth.tsv"
python3 - "$work" <<'PY'
import sys
w = sys.argv[1]
fail = set()
for row in open(w + "/truth.tsv"):
    f = row.split("\t")[0]
    if f.isdigit():
        fail.add(int(f))
with open(w + "/all.log", "rb") as src, open(w + "/fail.log", "wb") as fl, \
        open(w + "/other.log", "wb") as ot:
    for i, line in enumerate(src, 1):
        (fl if i in fail else ot).write(line)
PY

run() { "$bin" classify -q -r "$rules" -t1 -f pb "$1" >/dev/null; }

# Best-of-three CPU seconds (user+sys) of one run.
cpu() {
	local best=""
	for _ in 1 2 3; do
		local t
		t=$( { /usr/bin/time -f "%U %S" "$bin" classify -q -r "$rules" -t1 \
			-f pb "$1" >/dev/null; } 2>&1 | awk '{print $1 + $2}')
		if [ -z "$best" ] || awk -v a="$t" -v b="$best" 'BEGIN{exit !(a<b)}'; then
			best=$t
		fi
	done
	echo "$best"
}

: >"$work/empty.log"
run "$work/empty.log" # warm the rule cache
base_cpu=$(cpu "$work/empty.log")

have_cg=0
if command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null; then
	have_cg=1
	# Twice: under valgrind Hyperscan sees other CPU features, so the
	# first run compiles (and caches) a database of its own.
	for _ in 1 2; do
		cg "$bin" "$work/empty.log" "$work/cg.empty"
	done
fi

printf '%-7s %9s %9s | %9s %9s %9s %9s %9s\n' part lines "cpu ns" \
	"instr" source parse classify encode
for part in other fail all; do
	f="$work/$part.log"
	n=$(wc -l <"$f")
	c=$(cpu "$f")
	ns=$(awk -v c="$c" -v b="$base_cpu" -v n="$n" \
		'BEGIN { printf "%.0f", (c - b) * 1e9 / n }')
	if [ "$have_cg" -eq 1 ]; then
		cg "$bin" "$f" "$work/cg.$part"
		tot=$(cg_total "$work/cg.$part")
		emp=$(cg_total "$work/cg.empty")
		# Each phase less what startup spent in it (the rule examples
		# run through the classifier at load).
		src=$(($(cg_incl "$work/cg.$part" source_main) - $(cg_incl "$work/cg.empty" source_main)))
		prs=$(($(cg_incl "$work/cg.$part" rs_format_parse_logline) - $(cg_incl "$work/cg.empty" rs_format_parse_logline)))
		cls=$(($(cg_incl "$work/cg.$part" rs_classify) - $(cg_incl "$work/cg.empty" rs_classify)))
		enc=$(($(cg_incl "$work/cg.$part" rs_event_encode) - $(cg_incl "$work/cg.empty" rs_event_encode)))
		awk -v p="$part" -v n="$n" -v ns="$ns" -v t="$tot" -v e="$emp" \
			-v s="${src:-0}" -v a="${prs:-0}" -v c="${cls:-0}" -v x="${enc:-0}" \
			'BEGIN { printf "%-7s %9d %9s | %9.0f %9.0f %9.0f %9.0f %9.0f\n",
				p, n, ns, (t - e) / n, s / n, a / n, c / n, x / n }'
	else
		printf '%-7s %9d %9s | (valgrind not installed)\n' "$part" "$n" "$ns"
	fi
done
echo "(per line of each part; instr = instructions under callgrind, startup off)"
