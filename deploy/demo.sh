#!/usr/bin/env bash
# Quick start: install the dependencies, build replyscan, and classify the
# bundled sample corpus (synthetic traffic of an outbound MTA fleet) into a
# summary by cause class and SMTP stage.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
echo
echo "== replyscan classify --format summary tests/fixtures/sample/mixed.log"
build/replyscan classify --format summary tests/fixtures/sample/mixed.log
echo
echo "== replyscan explain \"421 4.7.0 Not allowed\""
build/replyscan explain "421 4.7.0 Not allowed"
