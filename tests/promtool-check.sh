#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# promtool-check.sh TEST_METRICS - render the known metrics state with
# `TEST_METRICS --render` and lint it with `promtool check metrics`.
# Exits 77 (skipped) where promtool is not installed (Debian: prometheus).
set -eu
if ! command -v promtool >/dev/null 2>&1; then
	echo "promtool not found; skipped"
	exit 77
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$1" --render "$out"
promtool check metrics <"$out"
echo "promtool check metrics: ok"
