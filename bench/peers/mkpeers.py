#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""mkpeers.py - the regex peers' cause-class list, generated from replyscan's
own knowledge, so that the accuracy and agreement columns of bench/run
compare engines, not rule sets.

    mkpeers.py [--rules DIR] [--classify FILE] --out DIR

Writes DIR/classes.regex (CLASS<TAB>REGEX[<TAB>COND], first match wins,
matched case-insensitively against the whole log line of a failure) and
DIR/conditions.regex (NAME<TAB>REGEX) for pcre2loop.c, reloop.py and
grepfloor.sh (grep -P), and copies the hand-written line-shape files
(prefilter.txt, failure.regex, stages.regex) beside them:

 1. every classifying rule of rules/*.yaml, in replyscan's precedence
    (rules/README.md): provider-scoped rules first, then higher priority,
    then load order (file name, position); one line per rule, its
    patterns joined as (?:p1)|(?:p2)...; a rule whose joined regex PCRE2
    refuses as too large (bounded repeats of groups are copied out: the
    localized rules' gaps) becomes one line per pattern, in the same
    place, which matches the same lines in the same order;
 2. a provider scope becomes a condition on the line (matched once per
    line, when a rule first needs it, as an engineer would cache it): the
    provider's MX suffix after a dot or a space (an MX host name, not a
    recipient address), or one of its wording patterns (providers.yaml);
 3. a codes scope becomes a condition too: one of the codes as a reply
    code (`4xx` -> 4[0-9][0-9]);
 4. the reply-start and reply-end anchors (^ $ of a pattern) become the
    places a reply starts or ends inside a log line (after "said: ",
    "stat=", "smtp;", a quote ...), as well as a line-level list can;
 5. then the classifier's own fallbacks, read from
    ingest/classify/classify.c: the enhanced status codes (E(s, d, CLASS),
    E_ANY(s, CLASS)) and the basic codes (B(n, CLASS)).

What a flat line-level list still cannot carry: the provider of a reply
whose MX is not on the line, a stage-dependent basic-code reading, and
the normalised reply text (qmail's '_' for spaces). Needs PyYAML.
"""

import argparse
import ctypes
import ctypes.util
import os
import re
import shutil
import sys

import yaml

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))

# Where a reply starts inside a log line, and where it ends.
START = r'(?:^|(?<=said: )|(?<=stat=)|(?<=smtp;)|(?<=")|(?<=: )|(?<=\))\s?)'
END = r'(?=$|"|,|\s\(in reply to|\s\(#)'


PCRE2_CASELESS = 0x8
PCRE2_ERROR_PATTERN_TOO_LARGE = 120


def pcre2_too_large():
    """A test: does PCRE2 (libpcre2-8, the library pcre2loop.c and grep -P
    link) refuse a regex as too large? None when the library is missing."""
    name = ctypes.util.find_library("pcre2-8")
    if name is None:
        return None
    lib = ctypes.CDLL(name)
    compile_ = lib.pcre2_compile_8
    compile_.restype = ctypes.c_void_p
    compile_.argtypes = [ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint32,
                         ctypes.POINTER(ctypes.c_int),
                         ctypes.POINTER(ctypes.c_size_t), ctypes.c_void_p]
    free = lib.pcre2_code_free_8
    free.argtypes = [ctypes.c_void_p]

    def too_large(rx):
        err, off = ctypes.c_int(), ctypes.c_size_t()
        b = rx.encode()
        code = compile_(b, len(b), PCRE2_CASELESS, ctypes.byref(err),
                        ctypes.byref(off), None)
        if code:
            free(code)
            return False
        return err.value == PCRE2_ERROR_PATTERN_TOO_LARGE
    return too_large


def as_list(v):
    """A string or a list of strings as a list."""
    return v if isinstance(v, list) else [v]


def anchors(p):
    """p with its ^ and $ anchors (outside a class) moved to reply bounds."""
    out, i, depth_class = [], 0, False
    while i < len(p):
        c = p[i]
        if c == "\\" and i + 1 < len(p):
            out.append(p[i:i + 2])
            i += 2
            continue
        if depth_class:
            if c == "]":
                depth_class = False
            out.append(c)
        elif c == "[":
            depth_class = True
            out.append(c)
            if p[i + 1:i + 2] == "^":
                out.append("^")
                i += 1
            if p[i + 1:i + 2] == "]":
                out.append("]")
                i += 1
        elif c == "^":
            out.append(START)
        elif c == "$":
            out.append(END)
        else:
            out.append(c)
        i += 1
    return "".join(out)


def code_rx(codes):
    """A regex for one of the scope's reply codes."""
    alts = []
    for c in as_list(codes):
        c = str(c)
        alts.append(c.replace("x", "[0-9]"))
    return r"(?:^|[^0-9.])(?:%s)[ -]" % "|".join(alts)


def provider_rx(prov):
    """A regex for the provider's MX host or wording on the line."""
    alts = [r"(?:\.|[\s=(\[])%s\b" % re.escape(s.lower()) for s in as_list(prov.get("mx", []))]
    alts += ["(?:%s)" % p for p in as_list(prov.get("patterns", []))]
    return "|".join(alts)


def fallbacks(path):
    """[(class, regex)] of the enhanced-code and basic-code tables."""
    with open(path) as f:
        src = f.read()
    out, anys = [], []
    for s, d, c in re.findall(r"\bE\((\d+), (\d+), ([A-Z_]+)\)", src):
        if c != "UNSPECIFIED":
            out.append((c.lower(), r"(?:^|[^0-9.])[45]\.%s\.%s(?![0-9])" % (s, d)))
    for s, c in re.findall(r"\bE_ANY\((\d+), ([A-Z_]+)\)", src):
        anys.append((c.lower(), r"(?:^|[^0-9.])[45]\.%s\.[0-9]{1,3}(?![0-9])" % s))
    basic = [(c.lower(), r"(?:^|[^0-9.])%s[ -]" % n)
             for n, c in re.findall(r"\bB\((\d{3}), ([A-Z_]+)\)", src)]
    return out + anys + basic


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rules", default=os.path.join(ROOT, "rules"))
    ap.add_argument("--classify", default=os.path.join(ROOT, "ingest", "classify", "classify.c"))
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    with open(os.path.join(args.rules, "providers.yaml")) as f:
        provs = {p["id"]: p for p in yaml.safe_load(f)["providers"]}
    rules = []
    files = sorted(f for f in os.listdir(args.rules)
                   if f.endswith(".yaml") and not f.startswith(".") and f != "providers.yaml")
    for fi, name in enumerate(files):
        with open(os.path.join(args.rules, name)) as f:
            doc = yaml.safe_load(f) or {}
        for ri, r in enumerate(doc.get("rules", [])):
            if not r.get("class"):
                continue
            scope = r.get("scope") or {}
            key = (0 if scope.get("provider") else 1, -int(r.get("priority", 0)), fi, ri)
            rules.append((key, r, scope))
    rules.sort(key=lambda x: x[0])
    lines = ["# classes.regex generated by bench/peers/mkpeers.py from rules/*.yaml and",
             "# the fallback tables of ingest/classify/classify.c: do not edit, run it again.",
             "# CLASS<TAB>REGEX (PCRE2 / Python re / grep -P), first match wins."]
    skipped = split = 0
    conds = {}
    too_large = pcre2_too_large()
    for _, r, scope in rules:
        pieces = ["(?:%s)" % anchors(p) for p in as_list(r["patterns"])]
        rx = "|".join(pieces)
        parts, names = [], []
        if scope.get("provider"):
            names.append(scope["provider"])
            parts.append(provider_rx(provs[scope["provider"]]))
        if scope.get("codes"):
            names.append("codes-" + "-".join(str(c) for c in as_list(scope["codes"])))
            parts.append(code_rx(scope["codes"]))
        cond = ""
        if parts:
            name = "+".join(names)
            conds[name] = parts[0] if len(parts) == 1 else \
                "^" + "".join("(?=.*(?:%s))" % p for p in parts)
            cond = "\t" + name
        try:
            re.compile(rx.encode(), re.I)
        except re.error as e:
            skipped += 1
            sys.stderr.write("mkpeers: %s: not usable outside Hyperscan (%s), left out\n"
                             % (r["id"], e))
            continue
        if too_large is not None and len(pieces) > 1 and too_large(rx):
            split += 1
            for piece in pieces:
                lines.append("# %s\n%s\t%s%s" % (r["id"], r["class"], piece,
                                                 cond))
            continue
        lines.append("# %s\n%s\t%s%s" % (r["id"], r["class"], rx, cond))
    lines.append("# --- fallbacks: enhanced status code, then basic code (classify.c)")
    for cls, rx in fallbacks(args.classify):
        lines.append("%s\t%s" % (cls, rx))
    os.makedirs(args.out, exist_ok=True)
    with open(os.path.join(args.out, "classes.regex"), "w") as f:
        f.write("\n".join(lines) + "\n")
    with open(os.path.join(args.out, "conditions.regex"), "w") as f:
        f.write("# conditions.regex generated by bench/peers/mkpeers.py: a provider scope\n"
                "# or a codes scope of rules/*.yaml, NAME<TAB>REGEX (caseless).\n")
        for name, rx in conds.items():
            f.write("%s\t%s\n" % (name, rx))
    for name in ("prefilter.txt", "failure.regex", "stages.regex"):
        shutil.copy(os.path.join(HERE, name), args.out)
    print("%d rules, %d left out, %d split into one line per pattern"
          % (len(rules) - skipped, skipped, split))
    return 0


if __name__ == "__main__":
    sys.exit(main())
