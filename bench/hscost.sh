#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# hscost.sh - what each rule file adds to the Hyperscan scan of a reply.
#
#   bench/hscost.sh [RULES_DIR]       (default rules/)
#
# Compiles all patterns of RULES_DIR into one database (caseless, block
# mode, as ingest/classify/rules_compile.c does), then once more without
# each file, and counts under callgrind the instructions of hs_scan over
# the reply texts of tests/fixtures/replies/dev*.tsv (development parts
# only; the held-back parts are never read). Prints instructions per reply
# for the whole set, for the set without its gapped patterns (a repeat
# that spans a run of bytes: *, +, {m,n} with n - m > 3) and for those
# alone, and, per file, its pattern count and what leaving it out saves
# (HSCOST_TOTALS=1: the three totals only). Deterministic, so it holds on
# a busy machine; the database is built for AVX2 (valgrind has no
# AVX-512). Needs valgrind, a C compiler, Hyperscan's headers and PyYAML.
set -euo pipefail
cd "$(dirname "$0")/.."
rules=${1:-rules}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cc -O2 -Wall -Wextra -Werror -o "$work/hscost" bench/hscost.c -lhs
python3 - "$rules" "$work" <<'PY'
import glob, os, re, sys, yaml
rules, work = sys.argv[1:]
with open(work + "/pats.tsv", "w") as out:
    for f in sorted(glob.glob(rules + "/*.yaml")):
        d = yaml.safe_load(open(f, encoding="utf-8")) or {}
        for key in ("rules", "providers"):
            for r in d.get(key) or []:
                ps = r.get("patterns") or []
                for p in [ps] if isinstance(ps, str) else ps:
                    out.write(os.path.basename(f) + "\t" + p + "\n")
# A gapped pattern holds a repeat that spans a run of bytes: *, + or
# {m,n} with n - m > 3 or no n (the [^;]{0,N} and .{0,N} joins).
gap = re.compile(r"(?<!\\)(\*|\+|\{(\d*),(\d*)\})")
def gapped(p):
    for m in gap.finditer(p):
        if m.group(1) in "*+" or not m.group(3) or \
                int(m.group(3)) - int(m.group(2) or 0) > 3:
            return True
    return False
with open(work + "/pats.tsv") as f, open(work + "/gapped.txt", "w") as g, \
        open(work + "/plain.txt", "w") as n:
    for row in f:
        p = row.split("\t", 1)[1]
        (g if gapped(p.rstrip("\n")) else n).write(p)
with open(work + "/texts.txt", "w") as out:
    for f in sorted(glob.glob("tests/fixtures/replies/dev*.tsv")):
        for i, row in enumerate(open(f, encoding="utf-8", errors="replace")):
            if i:
                out.write(row.split("\t")[0] + "\n")
PY
texts=$(wc -l <"$work/texts.txt")

# cost PATTERNS: instructions per reply of scanning texts.txt.
cost() {
	"$work/hscost" compile "$1" "$work/db"
	valgrind --tool=callgrind --toggle-collect=scan_all \
		--callgrind-out-file="$work/cg" "$work/hscost" scan "$work/db" \
		"$work/texts.txt" >/dev/null 2>&1
	(cd / && callgrind_annotate "$work/cg") 2>/dev/null |
		awk -v n="$texts" '/PROGRAM TOTALS/ { gsub(",", "", $1); printf "%.0f", $1 / n }'
}

cut -f2- "$work/pats.tsv" >"$work/all.txt"
all=$(cost "$work/all.txt")
echo "all $(wc -l <"$work/all.txt") patterns: $all instructions per reply ($texts replies)"
echo "without the $(wc -l <"$work/gapped.txt") gapped patterns: $(cost "$work/plain.txt"); the gapped alone: $(cost "$work/gapped.txt")"
if [ "${HSCOST_TOTALS:-}" ]; then exit 0; fi
printf 'file\tpatterns\twithout\tsaves\n'
for f in $(cut -f1 "$work/pats.tsv" | sort -u); do
	awk -F'\t' -v f="$f" '$1 != f { sub(/^[^\t]*\t/, ""); print }' \
		"$work/pats.tsv" >"$work/wo.txt"
	n=$(awk -F'\t' -v f="$f" '$1 == f' "$work/pats.tsv" | wc -l)
	w=$(cost "$work/wo.txt")
	printf '%s\t%s\t%s\t%s\n' "$f" "$n" "$w" "$((all - w))"
done
