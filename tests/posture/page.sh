#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# /posture in a real headless browser: replay a generated corpus through
# `replyscan posture --listen`, then read /posture.json and /metrics with
# curl and /posture with Chromium (--dump-dom and --screenshot), and check
# that all of them agree with the decision stream (tests/posture/page.py).
#   tests/posture/page.sh BUILD_DIR      exit 77 (skipped) without chromium
set -euo pipefail
cd "$(dirname "$0")/../.."
RS=${1:-build}/replyscan
CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "no chromium: skipped"; exit 77; }
WORK=$(mktemp -d /tmp/rs-posture-page.XXXXXX)
PID=
cleanup() {
	[ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
	rm -rf "$WORK"
}
trap cleanup EXIT

python3 bench/gen_corpus.py --lines 20000 --seed 3 --out "$WORK/c.log" >/dev/null
$RS classify -q --all --format pb "$WORK/c.log" >"$WORK/c.pb"
$RS posture --quiet --listen 127.0.0.1:0 "$WORK/c.pb" >"$WORK/decisions.json" 2>"$WORK/err" &
PID=$!
for _ in $(seq 600); do
	grep -q "serving /posture" "$WORK/err" && break
	sleep 0.1
done
grep -q "serving /posture" "$WORK/err" || { cat "$WORK/err"; exit 1; }
PORT=$(sed -n 's/.*(port \([0-9]*\)).*/\1/p' "$WORK/err")
URL=http://127.0.0.1:$PORT
curl -fsS "$URL/posture.json" >"$WORK/posture.json"
curl -fsS "$URL/metrics" >"$WORK/metrics"
# Into a file first: grep -q quits at the first match, and under pipefail
# curl's write error on the closed pipe (exit 23) would fail the test.
curl -fsS "$URL/posture" >"$WORK/posture.html"
grep -q '<table id="scopes">' "$WORK/posture.html"
B=("$CHROMIUM" --headless --no-sandbox --disable-gpu --hide-scrollbars
	--user-data-dir="$WORK/profile" --window-size=1600,2000)
timeout 120 "${B[@]}" --dump-dom "$URL/posture" >"$WORK/dom.html" 2>/dev/null
timeout 120 "${B[@]}" --screenshot="$WORK/shot.png" "$URL/posture" >/dev/null 2>&1
python3 tests/posture/page.py "$WORK/decisions.json" "$WORK/posture.json" \
	"$WORK/dom.html" "$WORK/shot.png" "$WORK/metrics"
