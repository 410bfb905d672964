#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""accuracy.py - score a tool's classification against the corpus truth.

The truth is the TSV of bench/gen_corpus.py --truth (header `line mta
status class stage reply_code enhanced_code`, one row per failure line).
A tool's answer is either

  * a TSV (`--tsv`, the peers of bench/run): `LINE<TAB>CLASS[<TAB>STAGE]`
    per line the tool reports as a failure; a missing or empty STAGE means
    the tool gives no stage; or
  * replyscan's JSON events (`--json`): one object per line with "line",
    "cause" and "stage". Events of status "feedback" (PowerMTA feedback-loop
    complaints, counted but never classified) are not failures and are
    left out.

Measures, over the N failure lines of the truth:

  found            failure lines the tool reported
  class accuracy   lines reported with the truth's class / N (a failure line
                   the tool did not report counts as wrong)
  stage accuracy   the same for the stage, only when the tool gives stages
  false positives  reported lines that are not failure lines
  by_mta           class and stage accuracy per MTA of the truth

Prints one line of JSON (`--format json`, for bench/run) or a short text
report with the most frequent confusions (`--format text`, the default).
Exit status 0, or 2 on unreadable input. Standard library only.

usage: accuracy.py --truth TRUTH.tsv (--tsv FILE | --json FILE)
                   [--name NAME] [--format text|json] [--top N]
"""

import argparse
import collections
import json
import sys


def load_truth(path, mtas=None):
    """{line: (class, stage)} from the generator's truth TSV; the MTA of
    each line into mtas ({line: mta}) when given."""
    truth = {}
    with open(path, encoding="utf-8") as f:
        header = f.readline().rstrip("\n").split("\t")
        try:
            i_line = header.index("line")
            i_class = header.index("class")
            i_stage = header.index("stage")
            i_mta = header.index("mta")
        except ValueError:
            sys.exit("accuracy.py: %s: not a truth TSV (header %r)" % (path, header))
        for row in f:
            cols = row.rstrip("\n").split("\t")
            truth[int(cols[i_line])] = (cols[i_class], cols[i_stage])
            if mtas is not None:
                mtas[int(cols[i_line])] = cols[i_mta]
    return truth


def load_tsv(path):
    """{line: (class, stage or None)} from a peer's TSV."""
    got = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for row in f:
            cols = row.rstrip("\n").split("\t")
            if not cols[0].isdigit():
                continue
            stage = cols[2] if len(cols) > 2 and cols[2] != "" else None
            got[int(cols[0])] = (cols[1] if len(cols) > 1 else "", stage)
    return got


def load_json(path):
    """{line: (cause, stage)} from replyscan's JSON events."""
    got = {}
    with open(path, encoding="utf-8", errors="replace") as f:
        for row in f:
            if not row.strip():
                continue
            ev = json.loads(row)
            if ev.get("status") == "feedback":
                continue
            got[int(ev["line"])] = (ev.get("cause", ""), ev.get("stage"))
    return got


def score(truth, got, mtas=None):
    """The measures as a dict, plus the confusion counter."""
    n = len(truth)
    per = collections.defaultdict(lambda: [0, 0, 0])  # n, class, stage
    found = cls_ok = stage_ok = 0
    has_stage = any(s is not None for _, s in got.values())
    confusion = collections.Counter()
    for line, (t_cls, t_stage) in truth.items():
        g = got.get(line)
        m = per[mtas.get(line, "")] if mtas is not None else [0, 0, 0]
        m[0] += 1
        if g is None:
            confusion[(t_cls, "(not reported)")] += 1
            continue
        found += 1
        if g[0] == t_cls:
            cls_ok += 1
            m[1] += 1
        else:
            confusion[(t_cls, g[0])] += 1
        if g[1] == t_stage:
            stage_ok += 1
            m[2] += 1
    fp = sum(1 for line in got if line not in truth)
    res = {
        "failures": n,
        "reported": len(got),
        "found": found,
        "class_correct": cls_ok,
        "class_accuracy": cls_ok / n if n else 0.0,
        "stage_correct": stage_ok if has_stage else None,
        "stage_accuracy": (stage_ok / n if n else 0.0) if has_stage else None,
        "false_positives": fp,
        "by_mta": {k: {"failures": v[0], "class_accuracy": v[1] / v[0],
                       "stage_accuracy": (v[2] / v[0]) if has_stage
                       else None}
                   for k, v in sorted(per.items()) if v[0]},
    }
    return res, confusion


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--truth", required=True)
    src = ap.add_mutually_exclusive_group(required=True)
    src.add_argument("--tsv")
    src.add_argument("--json")
    ap.add_argument("--name", default="")
    ap.add_argument("--format", choices=("text", "json"), default="text")
    ap.add_argument("--top", type=int, default=10, help="confusions listed")
    args = ap.parse_args()

    mtas = {}
    try:
        truth = load_truth(args.truth, mtas)
        got = load_tsv(args.tsv) if args.tsv else load_json(args.json)
    except (OSError, ValueError) as e:
        print("accuracy.py: %s" % e, file=sys.stderr)
        return 2
    res, confusion = score(truth, got, mtas)
    res["name"] = args.name
    res["confusions"] = [[t, g, c] for (t, g), c in confusion.most_common(args.top)]
    if args.format == "json":
        print(json.dumps(res, sort_keys=True))
        return 0
    print("%s: %d failure lines, %d reported, %d found" %
          (args.name or "tool", res["failures"], res["reported"], res["found"]))
    print("  class accuracy  %.3f %% (%d)" % (100 * res["class_accuracy"], res["class_correct"]))
    if res["stage_accuracy"] is not None:
        print("  stage accuracy  %.3f %% (%d)" % (100 * res["stage_accuracy"], res["stage_correct"]))
    else:
        print("  stage accuracy  (no stage given)")
    print("  false positives %d" % res["false_positives"])
    for m, v in res["by_mta"].items():
        print("  %-10s %7d failures, class %.3f %%%s" % (
            m, v["failures"], 100 * v["class_accuracy"],
            "" if v["stage_accuracy"] is None else
            ", stage %.3f %%" % (100 * v["stage_accuracy"])))
    for t, g, c in res["confusions"]:
        print("  %6d  %s -> %s" % (c, t, g))
    return 0


if __name__ == "__main__":
    sys.exit(main())
