#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# profile-kinds.sh - instructions per line by line kind and phase, for one
# or two replyscan binaries (issue 16: which lines cost what, before and
# after a change).
#
#   bench/profile-kinds.sh BINARY [OLD_BINARY] [LINES]   (default 200000)
#
# Generates the benchmark corpus (bench/gen_corpus.py --seed 1, with its
# truth), splits it by line kind: per format, failure lines (those with a
# truth row) apart from the others, and the others by what they are
# (Postfix by program and status=sent, Exim arrivals, deliveries and
# Completed, KumoMTA by record type, PowerMTA by row type, delivered and
# success lines of Haraka and qmail, Sendmail stat=Sent). Each part (the
# PowerMTA parts with the file's header line first) and the whole corpus
# run through `classify -t1 --format pb` under valgrind's callgrind; per
# line: total instructions less an empty run's (start-up), and the phases
# as bench/profile.sh takes them (source, parse, classify, encode). With
# OLD_BINARY each figure is "old -> new". Instruction counts do not move
# with the machine's load, unlike wall clock.
set -euo pipefail
cd "$(dirname "$0")/.."

if [ $# -lt 1 ]; then
	echo "usage: bench/profile-kinds.sh BINARY [OLD_BINARY] [LINES]" >&2
	exit 2
fi
new=$(realpath "$1")
old=""
lines=200000
if [ $# -ge 2 ]; then
	if [ -x "$2" ] && [ ! -d "$2" ]; then
		old=$(realpath "$2")
		lines=${3:-200000}
	else
		lines=$2
	fi
fi
command -v valgrind >/dev/null && command -v callgrind_annotate >/dev/null || {
	echo "profile-kinds.sh: valgrind (callgrind) is not installed" >&2
	exit 2
}
. bench/callgrind.sh
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rules=$(pwd)/rules

python3 bench/gen_corpus.py --lines "$lines" --seed 1 --out "$work/all.log" \
	--truth "$work/truth.tsv"
python3 - "$work" <<'PY'
import collections, re, sys
w = sys.argv[1]
fail = set()
for row in open(w + "/truth.tsv"):
    f = row.split("\t")[0]
    if f.isdigit():
        fail.add(int(f))
postfix = re.compile(rb" postfix[^ /]*/([a-z-]+)\[")
sendmail = re.compile(rb" (?:sm-mta|sendmail)\[")
opensmtpd = re.compile(rb"^\S+ \S+ \S+ \S+ smtpd\[")
exim = re.compile(rb"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d (?:\[\d+\] )?\w{6}-\w+-\w+ (\S+)")
haraka = re.compile(rb"^\d{4}-\d\d-\d\dT\S+ \[[A-Z]+\] ")
kumo = re.compile(rb'^\{"type":"(\w+)"')
pmta_types = (b"d", b"t", b"b", b"f", b"r", b"tq", b"rb", b"rs")
header = None
out = collections.defaultdict(list)
for i, line in enumerate(open(w + "/all.log", "rb"), 1):
    f = i in fail
    if line.startswith(b"type,"):
        header = line
        continue
    if line.split(b",", 1)[0] in pmta_types:
        k = "powermta " + ("failure" if f else line.split(b",", 1)[0].decode() + " rows")
    elif line.startswith(b"{"):
        m = kumo.match(line)
        k = "kumomta " + ("failure" if f else (m.group(1).decode() if m else "other"))
    elif line.startswith(b"@4000"):
        k = "qmail " + ("failure" if f else "success" if b"success:" in line else "other")
    elif (m := postfix.search(line)):
        k = "postfix " + ("failure" if f else "status=sent" if b"status=sent" in line
                          else m.group(1).decode())
    elif sendmail.search(line):
        k = "sendmail " + ("failure" if f else "stat=Sent" if b"stat=Sent" in line else "other")
    elif opensmtpd.search(line):
        k = "opensmtpd " + ("failure" if f else "other")
    elif haraka.search(line):
        k = "haraka " + ("failure" if f else "delivered" if b" delivered " in line else "other")
    elif (m := exim.search(line)):
        t = m.group(1).decode()
        k = "exim " + ("failure" if f else {"=>": "=>", "->": "=>", "<=": "<=",
                                             "Completed": "Completed"}.get(t, "other"))
    else:
        k = "noise " + ("failure" if f else "other")
    out[k].append(line)
with open(w + "/kinds.txt", "w") as idx:
    for n, (k, ls) in enumerate(sorted(out.items(), key=lambda kv: -len(kv[1]))):
        with open(f"{w}/k{n}.log", "wb") as o:
            if k.startswith("powermta") and header:
                o.write(header)
            o.writelines(ls)
        print(f"k{n}\t{len(ls)}\t{k}", file=idx)
    print(f"all\t{sum(len(v) for v in out.values()) + (1 if header else 0)}\twhole corpus", file=idx)
PY

# One binary over every part: "total source parse classify encode" per
# line of each part, one row per part in kinds.txt order.
measure() {
	local bin=$1 tag=$2
	: >"$work/empty.log"
	# Twice: the first run under valgrind compiles its own rule cache.
	cg "$bin" "$work/empty.log" "$work/cg.empty"
	cg "$bin" "$work/empty.log" "$work/cg.empty"
	local e es ep ec ee
	e=$(cg_total "$work/cg.empty")
	es=$(cg_incl "$work/cg.empty" source_main)
	ep=$(cg_incl "$work/cg.empty" rs_format_parse_logline)
	ec=$(cg_incl "$work/cg.empty" rs_classify)
	ee=$(cg_incl "$work/cg.empty" rs_event_encode)
	while IFS=$'\t' read -r f n _; do
		local t s p c x
		cg "$bin" "$work/$f.log" "$work/cg.part"
		t=$(($(cg_total "$work/cg.part") - e))
		s=$(($(cg_incl "$work/cg.part" source_main) - es))
		p=$(($(cg_incl "$work/cg.part" rs_format_parse_logline) - ep))
		c=$(($(cg_incl "$work/cg.part" rs_classify) - ec))
		x=$(($(cg_incl "$work/cg.part" rs_event_encode) - ee))
		awk -v n="$n" -v t="$t" -v s="$s" -v p="$p" -v c="$c" -v x="$x" \
			'BEGIN { printf "%.0f %.0f %.0f %.0f %.0f\n", t/n, s/n, p/n, c/n, x/n }'
	done <"$work/kinds.txt" >"$work/$tag.txt"
}

measure "$new" new
if [ -n "$old" ]; then
	measure "$old" old
fi
printf '| lines of | lines | total | source | parse | classify | encode |\n'
printf '|---|--:|--:|--:|--:|--:|--:|\n'
paste "$work/kinds.txt" "$work/new.txt" $([ -n "$old" ] && echo "$work/old.txt") |
	awk -F'\t' -v both="${old:+1}" '{
		split($4, a, " ")
		if (both) { split($5, b, " ") }
		printf "| %s | %d |", $3, $2
		for (i = 1; i <= 5; i++) {
			if (both && a[i] != b[i]) { printf " %s -> %s |", b[i], a[i] }
			else { printf " %s |", a[i] }
		}
		printf "\n"
	}'
echo "(instructions per line under callgrind, start-up off; ${lines} lines, seed 1)"
