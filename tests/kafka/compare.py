#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Compare the events of a Kafka run with `replyscan classify` on the same input.

usage: compare.py EXPECTED.json ACTUAL.json exact|at-least|bytes

Both files hold replyscan JSON events, one per line. Fields that differ by
design (ingest time and provenance) are ignored. `exact`: the same multiset
of events, none missing, none extra. `at-least`: every expected event is
present at least as often as expected (at-least-once delivery); extra
copies are duplicates and are reported, not failed. `bytes`: as exact, but
the events are compared as text, byte for byte, after cutting the same
fields out of the text (`"ingest_time_unix_ms":N` and the provenance at
the end, from `"source":`), so key order, escaping and number formatting
must match too. Prints one summary line and exits 1 on failure.
"""
import collections
import json
import re
import sys

DROP = ("ingest_time_unix_ms", "source", "line", "partition", "offset")
# The same fields in the text: the ingest time, and the provenance that
# ends every event ("source", then "line" or "line", "partition", "offset").
CUT = re.compile(r',"ingest_time_unix_ms":[0-9]+|,"source":.*(?=\}$)')


def load_text(path):
    c = collections.Counter()
    with open(path, encoding="utf-8") as f:
        for n, raw in enumerate(f, 1):
            raw = raw.rstrip("\n")
            if not raw:
                continue
            cut, k = CUT.subn("", raw)
            if k != 2:
                sys.exit(f"compare.py: {path}:{n}: no ingest time or provenance to cut")
            c[cut] += 1
    return c


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
    if len(sys.argv) != 4 or sys.argv[3] not in ("exact", "at-least", "bytes"):
        sys.exit(__doc__)
    mode = sys.argv[3]
    read = load_text if mode == "bytes" else load
    exp, act = read(sys.argv[1]), read(sys.argv[2])
    missing = sum((exp - act).values())
    extra = sum((act - exp).values())
    unknown = sum(v for k, v in act.items() if k not in exp)
    print(f"expected {sum(exp.values())} events, got {sum(act.values())}: "
          f"{missing} missing, {extra - unknown} duplicates, {unknown} unexpected")
    if missing or unknown or (mode != "at-least" and extra):
        for k, v in list((exp - act).items())[:3]:
            print(f"  missing x{v}: {k[:300]}")
        for k, v in list((act - exp).items())[:3]:
            print(f"  extra x{v}: {k[:300]}")
        sys.exit(1)


main()
