#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""reloop.py - the Python `re` peer of bench/run.

Does the job the way a Python engineer would script it: for every line of
the log, a literal prefilter (prefilter.txt), then the failure regexes
(failure.regex), then the ordered cause-class list (classes.regex, first
match wins, "uncategorized" when none does) and the ordered stage list
(stages.regex, "unknown" when none does). Writes one TSV row per failure
line: `LINE<TAB>CLASS<TAB>STAGE` (1-based line number). A class rule may
name a condition in a third column (conditions.regex, as bench/peers/
mkpeers.py writes them): the rule applies only when the line matches it;
each condition is matched at most once per line.

The lines are read as bytes, so invalid UTF-8 costs nothing and cannot
raise; the regexes are compiled as bytes patterns (ASCII \\b \\w \\s).
Standard library only.

usage: reloop.py [--rules DIR] [--out FILE] LOG
"""

import argparse
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def read_rules(path):
    """Non-comment, non-blank lines of a rule file, without the newline."""
    with open(path, "rb") as f:
        for raw in f:
            line = raw.rstrip(b"\r\n")
            if line.strip() == b"" or line.startswith(b"#"):
                continue
            yield line


def read_ordered(path, flags, conds=None):
    """An ordered NAME<TAB>REGEX[<TAB>COND] list as [(name, compiled, cond
    index or -1)]; conds maps condition names to indexes."""
    out = []
    for line in read_rules(path):
        name, sep, rx = line.partition(b"\t")
        if not sep:
            sys.exit("reloop.py: %s: no TAB in %r" % (path, line))
        rx, sep, cond = rx.partition(b"\t")
        c = -1
        if sep:
            if conds is None or cond.decode() not in conds:
                sys.exit("reloop.py: %s: unknown condition %r" % (path, cond))
            c = conds[cond.decode()]
        out.append((name.decode(), re.compile(rx, flags), c))
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", default=HERE, help="directory of the rule files")
    ap.add_argument("--out", default="-", help="output TSV (default stdout)")
    ap.add_argument("log")
    args = ap.parse_args()

    literals = list(read_rules(os.path.join(args.rules, "prefilter.txt")))
    failure = [re.compile(rx) for rx in read_rules(os.path.join(args.rules, "failure.regex"))]
    cpath = os.path.join(args.rules, "conditions.regex")
    conds = read_ordered(cpath, re.I) if os.path.exists(cpath) else []
    cindex = {name: i for i, (name, _, _) in enumerate(conds)}
    classes = read_ordered(os.path.join(args.rules, "classes.regex"), re.I, cindex)
    stages = read_ordered(os.path.join(args.rules, "stages.regex"), re.I)

    out = sys.stdout if args.out == "-" else open(args.out, "w")
    write = out.write
    with open(args.log, "rb") as f:
        for n, line in enumerate(f, 1):
            for lit in literals:
                if lit in line:
                    break
            else:
                continue
            for rx in failure:
                if rx.search(line):
                    break
            else:
                continue
            cls = "uncategorized"
            seen = [0] * len(conds)
            for name, rx, c in classes:
                if c >= 0:
                    if not seen[c]:
                        seen[c] = 2 if conds[c][1].search(line) else 1
                    if seen[c] == 1:
                        continue
                if rx.search(line):
                    cls = name
                    break
            stage = "unknown"
            for name, rx, _ in stages:
                if rx.search(line):
                    stage = name
                    break
            write("%d\t%s\t%s\n" % (n, cls, stage))
    if out is not sys.stdout:
        out.close()


if __name__ == "__main__":
    main()
