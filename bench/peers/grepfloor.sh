#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# grepfloor.sh - the crude floor of bench/run: GNU grep -E with the shared
# rule files, the way a shell pipeline would do the job.
#
#   pass 1  grep -n -E -f failure.regex LOG     finds the failure lines
#   pass 2  one grep -n -i -P per rule of classes.regex, in file order, over
#           the failure lines of pass 1 (-P: the lists of mkpeers.py use
#           PCRE syntax; a rule's condition of conditions.regex, if it names
#           one, becomes a look-ahead: ^(?=.*(?:COND)).*?(?:REGEX))
#   join    a line takes the class of the first rule whose grep matched it,
#           "uncategorized" when none did
#
# So the class answer is the same first-match-wins answer as the other
# regex peers; what differs is the engine (GNU grep's DFA/regex matcher,
# one process and one pass per rule). grep gives no stage. Output:
# `LINE<TAB>CLASS` per failure line, on standard output. LC_ALL=C: bytes,
# no multibyte locale cost.
#
# usage: grepfloor.sh RULES_DIR LOG
set -euo pipefail
export LC_ALL=C

rules=$1
log=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Pass 1: the failure lines, their numbers and their text apart.
grep -v -e '^#' -e '^$' "$rules/failure.regex" >"$tmp/failure"
grep -n -E -f "$tmp/failure" "$log" >"$tmp/fail" || true
cut -d : -f 1 "$tmp/fail" >"$tmp/nums"
cut -d : -f 2- "$tmp/fail" >"$tmp/text"

# Pass 2: one grep per rule; hits are "INDEX<TAB>CLASS" in rule order.
declare -A cond=()
if [[ -f $rules/conditions.regex ]]; then
	while IFS=$'\t' read -r name crx; do
		cond[$name]=$crx
	done < <(grep -v -e '^#' -e '^$' "$rules/conditions.regex")
fi
: >"$tmp/hits"
grep -v -e '^#' -e '^$' "$rules/classes.regex" |
	while IFS=$'\t' read -r cls rx cname; do
		if [[ -n ${cname:-} ]]; then
			rx="^(?=.*(?:${cond[$cname]})).*?(?:$rx)"
		fi
		{ grep -n -i -P -e "$rx" "$tmp/text" || true; } |
			cut -d : -f 1 | sed "s/\$/\t$cls/" >>"$tmp/hits"
	done

# Join: the first rule listed for an index wins; index -> line number.
awk -F '\t' '
	FILENAME == ARGV[1] { if (!($1 in cls)) cls[$1] = $2; next }
	{ print $1 "\t" ((FNR in cls) ? cls[FNR] : "uncategorized") }
' "$tmp/hits" "$tmp/nums"
