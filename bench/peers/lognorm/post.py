#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""post.py - the small post-step of the lognormalizer peer, timed apart.

lognormalizer (with the rulebase of mkrulebase.py) has parsed every line
and named the class itself (the matching rule's c_<class> tag, turned into
the "class" field by annotate=); its CSV output (`-e csv -E 'class sstage
kstage cmd what excmd kcmd'`) has one row per input line, empty for the
lines that are not failures. This step parses nothing and decides no
class; it only writes the TSV bench/accuracy.py reads, with the stage:

  stage  the "sstage" field when the shape proves one; else the SMTP
         command or phase the line named (cmd, what, excmd, kcmd) through
         the table below; else the wording's stage ("kstage"); else
         "unknown"

Writes `LINE<TAB>CLASS<TAB>STAGE` per failure line. Standard library only.

usage: post.py CSV > TSV
"""

import argparse
import csv
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# Command or phase text (lower case, by prefix) -> stage.
PHASES = [
    ("rcpt to", "rcpt_to"),
    ("mail from", "mail_from"),
    ("end of data", "end_of_data"),
    ("sending end of data", "end_of_data"),
    ("sending message body", "end_of_data"),
    (".", "end_of_data"),
    ("data", "data"),
    ("sending data", "data"),
    ("pipelined data", "data"),
    ("pipelined mail from", "mail_from"),
    ("pipelined rcpt to", "rcpt_to"),
    ("sending rcpt to", "rcpt_to"),
    ("sending mail from", "mail_from"),
    ("ehlo", "helo"),
    ("helo", "helo"),
    ("lhlo", "helo"),
    ("performing the ehlo", "helo"),
    ("performing the helo", "helo"),
    ("performing the lhlo", "helo"),
    ("starttls", "starttls"),
    ("performing the tls", "starttls"),
    ("auth", "auth"),
    ("initial connection", "greeting"),
    ("receiving the initial server greeting", "greeting"),
]


def phase_stage(text):
    """Stage of a command or phase text, or None."""
    t = text.strip().strip('"').lower()
    if not t or t == "null":
        return None
    best = None
    for prefix, stage in PHASES:
        if t.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
            best = (prefix, stage)
    return best[1] if best else None


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("csv")
    args = ap.parse_args()

    out = sys.stdout
    with open(args.csv, encoding="utf-8", errors="replace", newline="") as f:
        for n, row in enumerate(csv.reader(f, escapechar="\\", doublequote=False), 1):
            if len(row) < 7:
                continue
            cls, sstage, kstage, cmd, what, excmd, kcmd = row[:7]
            if not cls:
                continue
            stage = sstage or None
            for t in (cmd, what, excmd, kcmd):
                if stage is None and t:
                    stage = phase_stage(t)
            stage = stage or kstage or "unknown"
            out.write("%d\t%s\t%s\n" % (n, cls, stage))


if __name__ == "__main__":
    main()
