#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Compare the events of a Kafka run with `replyscan classify` on the same input.

usage: compare.py EXPECTED.json ACTUAL.json exact|at-least

Both files hold replyscan JSON events, one per line. Fields that differ by
design (ingest time and provenance) are ignored. `exact`: the same multiset
of events, none missing, none extra. `at-least`: every expected event is
present at least as often as expected (at-least-once delivery); extra
copies are duplicates and are reported, not failed. Prints one summary line
and exits 1 on failure.
"""
import collections
import json
import sys

DROP = ("ingest_time_unix_ms", "source", "line", "partition", "offset")


def load(path):
    c = collections.Counter()
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            raw = raw.strip()
            if not raw:
                continue
            try:
                ev = json.loads(raw)
            except json.JSONDecodeError as e:
                sys.exit(f"compare.py: {path}:{n}: not JSON: {e}")
            for k in DROP:
                ev.pop(k, None)
            c[json.dumps(ev, sort_keys=True)] += 1
    return c


def main():
    if len(sys.argv) != 4 or sys.argv[3] not in ("exact", "at-least"):
        sys.exit(__doc__)
    exp, act, mode = load(sys.argv[1]), load(sys.argv[2]), sys.argv[3]
    missing = sum((exp - act).values())
    extra = sum((act - exp).values())
    unknown = sum(v for k, v in act.items() if k not in exp)
    print(f"expected {sum(exp.values())} events, got {sum(act.values())}: "
          f"{missing} missing, {extra - unknown} duplicates, {unknown} unexpected")
    if missing or unknown or (mode == "exact" and extra):
        for k, v in list((exp - act).items())[:3]:
            print(f"  missing x{v}: {k[:300]}")
        for k, v in list((act - exp).items())[:3]:
            print(f"  extra x{v}: {k[:300]}")
        sys.exit(1)


main()
