#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# smoke.sh - self-check of deploy/kafka/kafka.sh against a real broker.
#
# Starts a broker of its own (a temporary RS_KAFKA_HOME on port
# $RS_SMOKE_KAFKA_PORT, default 19092, so a broker already running on 9092 is
# left alone), sharing the jar cache of the default home so that only the
# very first run on a machine pays for the Maven install. Then, with kcat
# (librdkafka, the same library the C stage uses): creates a 3-partition
# topic, produces 1000 keyed lines, consumes them back in a consumer group,
# checks the count, the content and the committed offsets, restarts the
# broker and checks that data and offsets survived, and stops it.
# Exits 0 only if every check passed; prints "smoke: N passed, N failed".
# Needs: bash, kcat, java (17+), mvn (first run), flock, coreutils.

set -uo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
readonly REPO
readonly KAFKA_SH=$REPO/deploy/kafka/kafka.sh
readonly PORT=${RS_SMOKE_KAFKA_PORT:-19092}
readonly TOPIC=smoke
readonly N=1000

. "$REPO/tests/kafka/lib.sh"

# Print the wall-clock time of running "$@" in seconds (e.g. 4.21); the
# command's standard output goes to $out_file.
timed() {
	local t0 t1 rc ms
	t0=$(date +%s%N)
	"$@" >"$out_file"
	rc=$?
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	elapsed=$(printf '%d.%02d' $((ms / 1000)) $((ms % 1000 / 10)))
	return $rc
}

# Consume topic $TOPIC in group $1 from the earliest offset until the end of
# every partition; print the messages as "key value" lines.
consume_group() {
	timeout 120 kcat -b "$addr" -G "$1" -X auto.offset.reset=earliest \
		-X enable.partition.eof=true -e -q -f '%k %s\n' "$TOPIC"
}

need_tools smoke kcat java mvn flock timeout

selfcheck_start smoke "$PORT" "${RS_SMOKE_KEEP:-}"
out_file=$home/out

# 1. Start: installs if needed, formats the fresh home, prints the address.
timed "$KAFKA_SH" start || fail "kafka.sh start failed"
[[ $(cat "$out_file") == "$addr" ]] ||
	fail "start printed '$(cat "$out_file")', expected '$addr'"
ok "start printed $addr (${elapsed} s, fresh data dir)"

timed "$KAFKA_SH" start || fail "second kafka.sh start failed"
[[ $(cat "$out_file") == "$addr" ]] || fail "second start printed '$(cat "$out_file")'"
ok "start while running is a no-op (${elapsed} s)"

"$KAFKA_SH" status >/dev/null || fail "status says not running after start"
ok "status exits 0 while running"

# 2. Topic: 3 partitions, and creating it again is not an error.
"$KAFKA_SH" topic "$TOPIC" 3 2>/dev/null || fail "kafka.sh topic failed"
"$KAFKA_SH" topic "$TOPIC" 3 2>/dev/null || fail "kafka.sh topic (again) failed"
parts=$(kcat -b "$addr" -L -t "$TOPIC" | grep -c "partition [0-9]*, leader 1")
[[ $parts == 3 ]] || fail "topic has $parts partitions with a leader, expected 3"
ok "topic $TOPIC has 3 partitions; creating it twice is fine"

# 3. Produce N keyed lines (keys spread them over the partitions).
seq 1 "$N" | sed 's/.*/k&:line &/' |
	kcat -b "$addr" -P -t "$TOPIC" -K : -X acks=all -X enable.idempotence=true ||
	fail "kcat producer failed"
ends=$(kcat -b "$addr" -Q -t "$TOPIC:0:-1" -t "$TOPIC:1:-1" -t "$TOPIC:2:-1" 2>/dev/null)
total=0
nonempty=0
while read -r _ _ off; do
	total=$((total + off))
	((off > 0)) && nonempty=$((nonempty + 1))
done < <(echo "$ends" | sed -n 's/^\([^ ]*\) \[\([0-9]*\)\] offset \([0-9]*\)$/\1 \2 \3/p')
[[ $total == "$N" && $nonempty == 3 ]] ||
	fail "log end offsets sum to $total over $nonempty partitions, expected $N over 3"
ok "produced $N lines over 3 partitions"

# 4. Consume them in a group: exactly N, each line once, key matching value.
consume_group smoke-g1 >"$home/c1" || fail "group consumer failed"
got=$(wc -l <"$home/c1")
[[ $got == "$N" ]] || fail "group consumer got $got lines, expected $N"
seq 1 "$N" | sed 's/.*/k& line &/' | sort >"$home/want"
sort "$home/c1" | cmp -s - "$home/want" || fail "consumed lines differ from the produced ones"
ok "group consumer read exactly $N lines, all distinct and intact"

# 5. The group's offsets were committed: a second run reads nothing.
consume_group smoke-g1 >"$home/c2" || fail "second group consumer failed"
got=$(wc -l <"$home/c2")
[[ $got == 0 ]] || fail "second run of the group got $got lines, expected 0"
ok "committed offsets: second run of the group read 0 lines"

# 6. Restart (stop, status, start) and check that data and offsets survived.
timed "$KAFKA_SH" stop || fail "kafka.sh stop failed"
ok "stop (${elapsed} s)"
"$KAFKA_SH" status >/dev/null
[[ $? == 3 ]] || fail "status does not exit 3 after stop"
ok "status exits 3 when stopped"
timed "$KAFKA_SH" start || fail "kafka.sh start after stop failed"
[[ $(cat "$out_file") == "$addr" ]] || fail "restart printed '$(cat "$out_file")'"
ok "start after stop (${elapsed} s, existing data dir)"

consume_group smoke-g2 >"$home/c3" || fail "new group after restart failed"
sort "$home/c3" | cmp -s - "$home/want" ||
	fail "after restart a new group read $(wc -l <"$home/c3") lines, not the same $N"
ok "after restart a new group reads the same $N lines"

seq 1001 1010 | sed 's/.*/k&:line &/' | kcat -b "$addr" -P -t "$TOPIC" -K : ||
	fail "producer after restart failed"
consume_group smoke-g1 >"$home/c4" || fail "old group after restart failed"
got=$(sort -k 3 -n "$home/c4" | cut -d ' ' -f 3 | tr '\n' ' ')
[[ $got == "1001 1002 1003 1004 1005 1006 1007 1008 1009 1010 " ]] ||
	fail "old group after restart read [$got], expected only lines 1001..1010"
ok "after restart the old group resumes from its committed offsets"

# 7. Stop for good.
"$KAFKA_SH" stop 2>/dev/null || fail "final kafka.sh stop failed"
if "$KAFKA_SH" status >/dev/null; then
	fail "broker still running after stop"
fi
ok "final stop"
selfcheck_finish
