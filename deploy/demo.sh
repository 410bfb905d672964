#!/usr/bin/env bash
# SPDX-License-Identifier: Apache-2.0
# Quick start: install the dependencies, build replyscan, and run the main
# job - the Kafka stage - on its embedded default: librdkafka's in-process
# mock cluster fed with the bundled sample corpus (synthetic traffic of an
# outbound MTA fleet). Prints the events by cause class and SMTP stage.
set -euo pipefail
cd "$(dirname "$0")/.."
bash deploy/install-deps.sh
cmake -S . -B build -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j2
echo
build/replyscan run --demo
