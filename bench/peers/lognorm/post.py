#!/usr/bin/env python3
"""post.py - the small post-step of the lognormalizer peer.

lognormalizer (with the rulebase of mkrulebase.py) has parsed every line;
its CSV output (`-e csv -E 'kw class sstage cmd what excmd kcmd'`) has one
row per input line, empty for the lines that are not failures. This step
only looks values up, it parses nothing:

  class  the "class" field when the shape set one, else the class of the
         wording "kw" in keywords.tsv
  stage  the "sstage" field when the shape proves one; else the SMTP
         command or phase the line named (cmd, what, excmd, kcmd) through
         the table below; else the wording's stage from keywords.tsv; else
         "unknown"

Writes `LINE<TAB>CLASS<TAB>STAGE` per failure line. Standard library only.

usage: post.py [--keywords FILE] CSV > TSV
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


def read_keywords(path):
    """{literal: (class, stage or None)}, with the case variants mkrulebase.py adds."""
    m = {}
    with open(path, encoding="utf-8") as f:
        for raw in f:
            line = raw.rstrip("\n")
            if not line or line.startswith("#"):
                continue
            cols = line.split("\t")
            lit = cols[1]
            val = (cols[0], cols[2] if len(cols) > 2 else None)
            variants = [lit]
            if lit[0].isalpha():
                variants += [lit.lower(), lit[0].upper() + lit[1:]]
            for v in variants:
                m.setdefault(v, val)
    return m


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--keywords", default=os.path.join(HERE, "keywords.tsv"))
    ap.add_argument("csv")
    args = ap.parse_args()
    kws = read_keywords(args.keywords)

    out = sys.stdout
    with open(args.csv, encoding="utf-8", errors="replace", newline="") as f:
        for n, row in enumerate(csv.reader(f, escapechar="\\", doublequote=False), 1):
            if len(row) < 7:
                continue
            kw, cls, sstage, cmd, what, excmd, kcmd = row[:7]
            if not kw and not cls:
                continue
            kcls, kstage = kws.get(kw, ("uncategorized", None)) if kw else ("uncategorized", None)
            stage = sstage or None
            for t in (cmd, what, excmd, kcmd):
                if stage is None and t:
                    stage = phase_stage(t)
            stage = stage or kstage or "unknown"
            out.write("%d\t%s\t%s\n" % (n, cls or kcls, stage))


if __name__ == "__main__":
    main()
