# SPDX-License-Identifier: Apache-2.0
# callgrind.sh - sourced by bench/profile.sh and bench/profile-kinds.sh:
# one replyscan run under valgrind's callgrind, and its instruction
# counts read back. Needs $rules (the rules directory) set by the caller.

# cg BINARY INPUT OUT: classify INPUT (one worker, --format pb) under
# callgrind into OUT.
cg() {
	valgrind --tool=callgrind --callgrind-out-file="$3" "$1" classify -q \
		-r "$rules" -t1 -f pb "$2" >/dev/null 2>&1
}

# Program total instructions of a callgrind file. Run from /: inside the
# source tree callgrind_annotate lists a function whose file it reaches by
# a relative path apart from the same function reached by an absolute one.
cg_total() {
	(cd / && callgrind_annotate "$1") 2>/dev/null |
		awk '/PROGRAM TOTALS/ { gsub(",", "", $1); print $1 }'
}

# Inclusive instructions of the first function matching a name (0 when
# none does).
cg_incl() {
	(cd / && callgrind_annotate --inclusive=yes --threshold=100 "$1") 2>/dev/null |
		awk -v f=":$2 " '!done && index($0, f) { gsub(",", "", $1); print $1; done = 1 }
			END { if (!done) print 0 }'
}
