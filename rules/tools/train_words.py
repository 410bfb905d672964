#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Train rules/words.model, the learned word step of the classifier.

A multinomial logistic regression (softmax, L2) over the words and
neighbouring word pairs of a reply's normal form (the text the rules read: continuation prefixes
removed, the leading codes once; words lower-cased, digit runs folded to
one '0', codes and numbers dropped; with NORM, URLs, e-mail addresses
and host names read as one placeholder word each, and the model file
says so in its "normalise" line). The tokenizer below is the one of
ingest/classify/words.c, byte for byte.

Training data, and nothing else:
  * the DEVELOPMENT parts of tests/fixtures/replies, listed below by name
    (never a held-back part, and no glob: a new part is added here on
    purpose, or not at all);
  * the PROBE sets of tests/fixtures/replies (wordings gathered from
    primary sources, listed below by name), as DATA says (chosen by
    --cv-data: rules/README.md);
  * every match example of every classifying rule (rules/*.yaml),
    labelled with its rule's class (`replyscan rules examples`).

The normal forms come from the program itself (`replyscan explain --json`,
whose "words" object carries the text the model reads), over a copy of
the rules directory without its words.model, so the model never feeds its
own training. Output is deterministic: same inputs, same bytes.

  train_words.py --replyscan build/replyscan              # write rules/words.model
  train_words.py --replyscan build/replyscan --check rules/words.model
  train_words.py --replyscan build/replyscan --cv 5       # choose the settings
  train_words.py --replyscan build/replyscan --cv 5 --cv-by row   # the old folds
  train_words.py --replyscan build/replyscan --cv 5 --cv-variants  # vs variants
  train_words.py --replyscan build/replyscan --flip [--orders 1]  # jitter
  train_words.py --replyscan build/replyscan --cv 5 --cv-data - probe group:10
                                                  # what it trains on
  train_words.py --replyscan build/replyscan --flip --data probe
  train_words.py --replyscan build/replyscan --cv 10 --cv-misses FILE
  train_words.py --replyscan build/replyscan --solver lbfgs --out FILE
  train_words.py --replyscan build/replyscan --solver lbfgs --flip
  train_words.py --replyscan build/replyscan --solver lbfgs \
                 --mixed-mu 0.002 --flip
  train_words.py --replyscan build/replyscan --cv 10 --cv-solvers \
                 --cv-mixed 0.0005 0.001 0.002
  train_words.py --lbfgs build/words_lbfgs --lbfgs-check

--cv-data SPEC... trains the chosen model on other data (a data spec,
parse_data: the probe sets too, duplicate wordings sharing one weight,
a source group's or a part's rows capped at a total weight, the rule
examples weighed otherwise, class weights) against DATA, the data chosen,
on the same folds by source; its test rows are development rows only,
and a probe row leaves the training of its own source group's fold and
of the folds of development rows with its words. --data SPEC puts SPEC in
DATA's place for --cv, --cv-variants and --flip.

--cv-misses FILE (with --cv K) writes the development rows the whole
classifier gets wrong out of fold (the wording rules first, then the
chosen model trained without the row's fold in the word step, as the
program places it) as TSV: part, text, label, out-of-fold class and the
step that decided (rules, precise code, word step, enhanced fallback,
basic fallback, none), in the parts' row order; the totals (misses by
step and by label -> verdict) go to standard error. The rows the word
step gets wrong there are the wordings no rule knows yet.

--cv's folds group the development rows by source (source_group: one
page, paste, thread or file), as the later held-back parts were split, so
a test row never has a sibling of its own source in training (rows of one
log or page share hostnames, IDs and a provider's wording, which a model
can learn by heart); rule examples copied from a test row leave that
fold's training. --cv-by row draws folds by row, the first method, which
overstates how the model does on sources it never saw.

The model is trained by stochastic gradient descent in a fixed order (the
training replies sorted by a hash of their text and class) with a fixed
schedule, ORDERS times, each in its own fixed order (a hash of the run's
number and that key), and the weights written are the mean of the runs:
15 passes stop short of convergence, so one run's weights move with the
order, and a small change of the training set (a row more or less)
reordered the pass and moved the answers on unrelated replies; the mean
of three orders flips about 40 % fewer unseen replies (rules/README.md).
--solver lbfgs (a study, not the model file's trainer: rules/README.md,
"Deciding the word step's trainer") minimises, to convergence, the
softmax cross-entropy plus (L2_LBFGS + LBFGS_MU times a feature's
occurrences in the training replies) / 2 times its squared weights (the
"mixed" penalty; the biases free) by full-batch L-BFGS from zero
(lbfgs()), so that the optimum, unique, moves smoothly with the data;
same features, rounding, pruning and output. The solver is a C program,
rules/tools/words_lbfgs.c, built next to replyscan (words_lbfgs; --lbfgs
PATH to name another), which takes the steps of the Python reference
lbfgs_reference() sum for sum (--lbfgs-check, ctest words_lbfgs, on the
objective SGD descends: L2 / 2 times each feature's occurrences times
its squared weights). --cv K --cv-solvers scores both trainers on the
same folds by source (--cv-mixed MU...: lbfgs at each MU); --flip with
--solver lbfgs gives its flip rate (--flip-fold F: one of the two folds;
--mixed-mu MU: at MU). The other trainers studied (L-BFGS with SGD's
per-occurrence decay, stopped early, with a plain L2 or a square-root
penalty; other thresholds for them) lost by --cv and their options are
gone; their figures and commands are in rules/README.md.
The weights are the same on every run; they are written
rounded to four significant digits, and weights whose size is below
PRUNE are left out (a feature with none left is not written). --cv also
scores the naive Bayes model the file held before (version 1, which
words.c still reads) for comparison.

Python standard library only.
"""
import argparse
import hashlib
import json
import math
from operator import add
import os
import re
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
REPLIES = os.path.join(ROOT, "tests", "fixtures", "replies")
# The development parts, by name. Never heldback*.tsv.
DEV_PARTS = ["dev.tsv", "dev-r6.tsv", "dev-r7.tsv", "dev-r8.tsv", "dev-r9.tsv",
             "dev-r10.tsv", "dev-r11.tsv", "dev-r12.tsv", "dev-r13.tsv",
             "dev-r14.tsv", "dev-r15.tsv", "dev-r16.tsv", "dev-r17.tsv",
             "dev-r18.tsv", "dev-r19.tsv", "dev-r20.tsv", "dev-r21.tsv",
             "dev-r22.tsv", "dev-r23.tsv", "dev-r24.tsv", "dev-r25.tsv",
             "dev-r26.tsv", "dev-r27.tsv", "dev-r28.tsv",
             "dev-r29.tsv", "dev-r30.tsv", "dev-r31.tsv"]
# The probe sets (tests/fixtures/replies/README.md), which train when DATA
# says "probe" (--cv-data decided so), by name like the parts above.
PROBE_PARTS = ["probe-r24.tsv", "probe-r26.tsv", "probe-r27.tsv",
               "probe-r28.tsv", "probe-r29.tsv", "probe-r30.tsv",
               "probe-r31.tsv", "probe-r32.tsv", "probe-r33.tsv",
               "probe-r34.tsv", "probe-r35.tsv"]
# What the model trains on and how each training reply weighs (a data
# spec, data_weights); empty: the development rows and the rule examples,
# each reply weighing 1. --cv-data chose "probe" (rules/README.md), but
# the model trained so took heldback-r10 under its CI floor on the merged
# data, and floors are never lowered: not adopted (rules/README.md says
# why); --data probe still trains it for a comparison.
DATA = ""

# Chosen by --cv 5 (folds by source) on the development rows
# (rules/README.md has the table); NORM below too.
EPOCHS = 15       # passes over the training replies
ORDERS = 3        # models trained in their own fixed orders, averaged
RATE = 0.5        # learning rate of pass e (0-based): RATE / (1 + e)
L2 = 1e-2         # weight decay, applied to the features of each update
# --solver: "sgd" (the model file's) or "lbfgs" (a penalised objective
# minimised to convergence, lbfgs(): a study, rules/README.md "Deciding
# the word step's trainer").
SOLVER = "sgd"
# lbfgs's penalty, "mixed": (L2_LBFGS + LBFGS_MU times a feature's
# occurrences in the training replies) / 2 times its squared weights, the
# biases free (lbfgs_problem). L2_LBFGS is words34's plain L2 chosen by
# --cv 5 (rules/README.md "Why early-stopped SGD beats the converged
# model"), LBFGS_MU chosen by --cv 10 --cv-solvers --cv-mixed among
# 0.0005, 0.001 and 0.002 ("Deciding the word step's trainer": the
# trainer passed its four conditions but took a CI floor down, so SGD
# stays the model file's trainer).
L2_LBFGS = 0.1
LBFGS_MU = 0.002
LBFGS_HISTORY = 5   # pairs kept
LBFGS_TOL = 1e-3    # stop when no gradient entry is larger
LBFGS_MOST = 1000   # iterations at most
LBFGS_LOG = None    # where lbfgs() reports progress (stderr with --solver)
# rules/tools/words_lbfgs.c built: --lbfgs, else next to --replyscan.
LBFGS_BIN = None
PRUNE = 0.01      # weights of a smaller size are not written
THRESHOLD = 0.3        # decides before the weaker code fallbacks
THRESHOLD_ALONE = 0.05  # decides when no fallback would
MIN_DOCS = 1      # a feature must occur in at least this many training replies
MIN_SOURCES = 1   # and in replies of at least this many sources (a rule's
                  # examples are one source)
BIGRAMS = True
CODES = True      # the reply's codes are features too
ALPHA = 0.03      # naive Bayes, only for the comparison in --cv
MAX_WORD = 24     # RS_WORDS_MAX_WORD

# The enhanced and basic codes that decide before the word step
# (`precise` in ingest/classify/classify.c); --cv reads verdicts by them.
PRECISE_ENHANCED = {"1.2", "1.6", "1.7", "1.8", "1.10", "2.1", "2.2", "2.3",
                    "3.4", "4.7", "5.3", "7.8", "7.9", "7.10", "7.11", "7.12",
                    "7.13", "7.17"} | {"7.%d" % d for d in range(20, 31)}
PRECISE_BASIC = {"521", "530", "534", "535", "538", "556"}


# Bytes that end a span: whitespace and the brackets, quotes and
# separators that hold an address (<a@b>, [1.2.3.4], to=..., "host").
SPAN_END = frozenset(b" \t\n\r\v\f<>[]()\"',;=`")
# The last labels that make a name of two labels a host name; with three
# or more labels any last label of two letters or more does.
TLDS = frozenset(b"""com net org edu gov mil int info biz io co me us uk de
fr nl be ch at it es pt pl ru ua cz se no dk fi jp cn kr tw hk in au nz ca
br mx ar eu""".split())
# What a span of each kind is replaced with: one word, in no real text.
PLACEHOLDER = {"url": b"xxurl", "email": b"xxemail", "ip": b"xxip",
               "host": b"xxhost", "id": b"xxid"}
KINDS = ("url", "email", "ip", "host", "id")  # words.c's order
# Which kinds are replaced (chosen by --cv); "id": a word with two or
# more digit runs (queue IDs, hashes), after folding.
NORM = frozenset(("url", "email", "host"))
COPY_NORM = frozenset(PLACEHOLDER)


def is_host(s):
    """Is s (lower-case bytes) a host or domain name: labels of letters,
    digits and '-', the last of letters only (two or more), and three
    labels or more or a last label in TLDS?"""
    labels = s.split(b".")
    if len(labels) < 2:
        return False
    for lab in labels:
        if not lab or any(not (97 <= b <= 122 or 48 <= b <= 57 or b == 45)
                          for b in lab):
            return False
    last = labels[-1]
    if len(last) < 2 or any(not 97 <= b <= 122 for b in last):
        return False
    return len(labels) >= 3 or last in TLDS


def is_ipv4(s):
    """Four dot-separated runs of one to three digits, maybe ':port'."""
    host, _, port = s.partition(b":")
    if port and not port.isdigit():
        return False
    parts = host.split(b".")
    return len(parts) == 4 and all(1 <= len(p) <= 3 and p.isdigit()
                                   for p in parts)


def span_kind(span):
    """The kind of a span (bytes between SPAN_END bytes) that stands for
    something a source names and no other does, or None: "url"
    (scheme://..., or a host name followed by '/'), "email" (an '@' inside),
    "ip" (IPv4), "host". Leading ':' and trailing '.', ':', '!', '?' (a
    sentence's end) are not part of it."""
    s = bytes(b + 32 if 65 <= b <= 90 else b for b in span)
    s = s.lstrip(b":").rstrip(b".:!?")
    if not s:
        return None
    if b"://" in s:
        return "url"
    at = s.find(b"@")
    if 0 < at < len(s) - 1:
        return "email"
    if is_ipv4(s):
        return "ip"
    slash = s.find(b"/")
    if slash > 0 and is_host(s[:slash]):
        return "url"
    if is_host(s):
        return "host"
    return None


def words(text, norm=None):
    """The words of a normal form, as words.c forms them; with norm (the
    kinds of span_kind, and "id"), each span of a kind in norm is one
    placeholder word instead."""
    norm = NORM if norm is None else norm
    data = text.encode("utf-8", "surrogateescape") + b" "
    out = []
    cur = bytearray()
    letter = over = digit = False
    i = 0
    while i < len(data):
        b = data[i]
        if norm and (i == 0 or data[i - 1] in SPAN_END) and \
                b not in SPAN_END:
            j = i
            while data[j] not in SPAN_END:
                j += 1
            kind = span_kind(data[i:j])
            if kind in norm:
                out.append(PLACEHOLDER[kind])
                i = j
                continue
        i += 1
        if 65 <= b <= 90:
            b += 32
        if (97 <= b <= 122) or (48 <= b <= 57) or b >= 0x80:
            if 48 <= b <= 57:
                if digit:
                    continue
                digit = True
                b = 48
            else:
                digit = False
                letter = True
            if len(cur) < MAX_WORD:
                cur.append(b)
            else:
                over = True
            continue
        if cur and letter and not over:
            if "id" in norm and cur.count(b"0") >= 2:
                out.append(PLACEHOLDER["id"])
            else:
                out.append(bytes(cur))
        cur = bytearray()
        letter = over = digit = False
    return out


def features(text, bigrams, norm=None):
    ws = words(text, norm)
    fs = list(ws)
    if bigrams:
        fs += [a + b"+" + b for a, b in zip(ws, ws[1:])]
    return fs


def code_features(code, enh):
    """The codes as features, as words.c forms them: "code:x.7.1" for an
    enhanced code without its class digit, "code:550", "code:none"."""
    out = []
    if (3 <= len(enh) <= 11 and enh[1] == "." and
            all(ch in "0123456789." for ch in enh)):
        out.append(("code:x" + enh[1:]).encode())
    if 100 <= code <= 999:
        out.append(b"code:%d" % code)
    return out or [b"code:none"]


def doc_features(e, norm=None):
    """The features of an explain --json answer: words, pairs, codes.
    The codes are the ones the classifier gave the word step ("words":
    {"reply_code", "enhanced_code"}: the parser's, completed by the
    normaliser's, such as a qmail-style "#4.3.0"), so that the trainer
    sees what the classifier sees (variants34)."""
    w = e["words"]
    return (features(w["text"], True, norm) +
            code_features(w["reply_code"], w["enhanced_code"]))


def read_tsv(path):
    """(text, class, source) rows of a labelled TSV with a header row."""
    rows = []
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        head = f.readline().rstrip("\n").split("\t")
        ci = head.index("class")
        si = head.index("source")
        for line in f:
            cols = line.rstrip("\n").split("\t")
            if len(cols) > ci and cols[0] and cols[ci] != "uncategorized":
                rows.append((cols[0], cols[ci],
                             cols[si] if len(cols) > si else ""))
    return rows


def source_group(source):
    """The source a development row comes from, for grouping: the first
    word of its source column (one page, paste, thread, file or named
    document, as split.py splits the later collections by source), with
    a repository file's commit, path and line left out
    ("owner/repo@0123abc:path:12" is "owner/repo") and a URL's fragment
    and line suffix too, so that rows of one log, page or file share it."""
    w = source.split()[0] if source.split() else ""
    w = w.strip(",;()[]\"'")
    m = re.match(r"([A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+)@[0-9a-f]{7,40}\b", w)
    if m:
        return m.group(1)
    w = w.split("#")[0]
    return re.sub(r"(:[0-9]+(-[0-9]+)?)+$", "", w)


def rules_copy(rules_dir):
    """A temporary copy of the rules directory without words.model."""
    tmp = tempfile.mkdtemp(prefix="train_words.")
    for name in sorted(os.listdir(rules_dir)):
        if name.endswith(".yaml"):
            os.symlink(os.path.abspath(os.path.join(rules_dir, name)),
                       os.path.join(tmp, name))
    return tmp


def run(cmd, stdin=None):
    res = subprocess.run(cmd, input=stdin, stdout=subprocess.PIPE,
                         check=True)
    return res.stdout.decode("utf-8", "surrogateescape")


def explain_all(replyscan, rules, texts):
    """explain --json of every text: the normal form and the rules'
    verdict (class and rule id) without the word model."""
    clean = [t.replace("\r", " ").replace("\n", " ") for t in texts]
    data = ("\n".join(clean) + "\n").encode("utf-8", "surrogateescape")
    out = run([replyscan, "explain", "--json", "--rules", rules, "-"], data)
    res = [json.loads(line) for line in out.splitlines() if line]
    if len(res) != len(texts):
        sys.exit("train_words.py: explain gave %d answers for %d replies"
                 % (len(res), len(texts)))
    return res


def linear_predict(classes, start, rows, fs):
    """(class, posterior, known) as words.c scores features fs: start (log
    priors or biases) plus each known feature's row, softmax; a reply with
    no known word (codes do not count) gets nothing."""
    s = list(start)
    known = 0
    for f in fs:
        row = rows.get(f)
        if row is None:
            continue
        known += not f.startswith(b"code:")
        s = [a + b for a, b in zip(s, row)]
    if known == 0:
        return None, 0.0, 0
    best = max(range(len(s)), key=lambda i: (s[i], -i))
    z = sum(math.exp(v - s[best]) for v in s)
    return classes[best], 1.0 / z, known


class Model:
    """Multinomial naive Bayes (the version 1 file), kept for --cv's
    comparison."""

    def __init__(self, docs, alpha, min_docs, bigrams):
        """docs: [(features, class)]."""
        self.alpha = alpha
        self.bigrams = bigrams
        df = {}
        for fs, *_ in docs:
            for f in set(fs):
                df[f] = df.get(f, 0) + 1
        self.vocab = sorted(f for f, n in df.items() if n >= min_docs)
        vset = set(self.vocab)
        self.classes = sorted({d[1] for d in docs})
        ci = {c: i for i, c in enumerate(self.classes)}
        self.ndocs = [0] * len(self.classes)
        self.counts = {}
        for fs, c, *_ in docs:
            self.ndocs[ci[c]] += 1
            for f in fs:
                if f in vset:
                    row = self.counts.setdefault(f, [0] * len(self.classes))
                    row[ci[c]] += 1
        self.vocab = [f for f in self.vocab if f in self.counts]
        self.prepare()

    def prepare(self):
        C = len(self.classes)
        V = len(self.vocab)
        total = [0] * C
        for row in self.counts.values():
            for i in range(C):
                total[i] += row[i]
        D = sum(self.ndocs)
        self.prior = [math.log(n / D) for n in self.ndocs]
        self.logp = {}
        for f, row in self.counts.items():
            self.logp[f] = [math.log((row[i] + self.alpha) /
                                     (total[i] + self.alpha * V))
                            for i in range(C)]

    def predict(self, fs):
        """(class, posterior, known) as words.c scores features fs."""
        return linear_predict(self.classes, self.prior, self.logp, fs)


def sgd(data, features, C, epochs, rate, l2, average):
    """(bias, weights) after SGD over data [(features, class index, key,
    update weight)] in its order: pass e at rate / (1 + e), decay applied
    to the features of each update. With average (a pass, 0-based), the
    mean of the weights after each update from that pass on (averaged SGD,
    Polyak and Ruppert): w_T - u / T, u the sum of each update's change
    times the updates before it in the window."""
    w = {f: [0.0] * C for f in features}
    bias = [0.0] * C
    u = ub = None
    t = 0
    for e in range(epochs):
        lr = rate / (1 + e)
        decay = 1 - lr * l2
        if average is not None and e == average:
            u = {f: [0.0] * C for f in features}
            ub = [0.0] * C
        for fs, y, _, dw in data:
            # map(add): the same sums in the same order as a
            # comprehension over zip(), a third faster.
            s = list(bias)
            for f in fs:
                s = list(map(add, s, w[f]))
            top = max(s)
            p = [math.exp(v - top) for v in s]
            z = sum(p)
            g = [lr * v / z for v in p]
            g[y] -= lr
            if dw != 1:
                g = [v * dw for v in g]
            if u is None:
                bias = [a - d for a, d in zip(bias, g)]
                for f in fs:
                    w[f] = [a * decay - d for a, d in zip(w[f], g)]
                continue
            ub = [x - t * d for x, d in zip(ub, g)]
            bias = [a - d for a, d in zip(bias, g)]
            for f in fs:
                row = w[f]
                new = [a * decay - d for a, d in zip(row, g)]
                u[f] = [x + t * (n - a) for x, n, a in zip(u[f], new, row)]
                w[f] = new
            t += 1
    if u is not None and t:
        bias = [a - x / t for a, x in zip(bias, ub)]
        w = {f: [a - x / t for a, x in zip(row, u[f])]
             for f, row in w.items()}
    return bias, w


def lbfgs_problem(data, features, C, l2, penalty="occurrences", mu=0.0):
    """The objective lbfgs() minimises, in the form both solvers read:
    the features in order, per reply (its features' indices, class index,
    update weight), and per feature its L2 scale by the penalty:
    "occurrences", l2 times its occurrences in the replies (the objective
    SGD descends; --lbfgs-check's); "mixed", l2 + mu times its
    occurrences (a plain L2 penalty when mu is 0)."""
    feats = sorted(features)
    index = {f: j for j, f in enumerate(feats)}
    occ = [0.0] * len(feats)
    rows = []
    for fs, y, _, dw in data:
        idx = [index[f] for f in fs]
        for j in idx:
            occ[j] += 1.0
        rows.append((idx, y, dw))
    if penalty == "mixed":
        return feats, rows, [l2 + mu * v for v in occ]
    if penalty != "occurrences":
        raise ValueError("penalty %r" % penalty)
    return feats, rows, [l2 * v for v in occ]


def lbfgs(data, features, C, l2, history=None, tol=None, most=None,
          log=None, solve=None, penalty="occurrences", mu=0.0):
    """(bias, weights, iterations, objective) minimising, to convergence,
    the objective the SGD above descends: sum over replies of update
    weight times the softmax cross-entropy, plus l2 / 2 times, for each
    feature, its occurrences in the training replies times its squared
    weights (sgd decays a feature's weights by 1 - rate * l2 at each
    occurrence it updates, so a frequent feature is held l2 per
    occurrence); the biases are not decayed. The objective is convex with
    one optimum; it is reached by L-BFGS (a fixed history of HISTORY
    pairs, full batch, from zero, backtracking line search on the
    sufficient-decrease condition), which stops when no gradient entry is
    larger than tol, or after MOST iterations. solve: words_lbfgs (the
    C program, rules/tools/words_lbfgs.c: the default) or
    lbfgs_reference (the same steps in Python, only to check the C
    program: --lbfgs-check). Sums run in a fixed order, so the result is
    the same on every run. penalty "mixed": (l2 + mu times its
    occurrences) / 2 times each feature's squared weights instead
    (lbfgs_problem)."""
    history = LBFGS_HISTORY if history is None else history
    tol = LBFGS_TOL if tol is None else tol
    most = LBFGS_MOST if most is None else most
    feats, rows, scale = lbfgs_problem(data, features, C, l2, penalty, mu)
    x, it, fx = (solve or words_lbfgs)(C, scale, rows, history, tol, most,
                                       log)
    w = {f: x[C * j:C * j + C] for j, f in enumerate(feats)}
    return x[C * len(feats):], w, it, fx


def words_lbfgs(C, scale, rows, history, tol, most, log=None):
    """(x, iterations, objective) from the C solver LBFGS_BIN: the problem
    (lbfgs_problem) written as its input (words_lbfgs.c's header says the
    format; floats by repr(), which strtod() reads back exactly), the
    weights read back as doubles (the feature rows, then the biases).
    Its progress goes to log (None: nowhere)."""
    from array import array
    if not LBFGS_BIN or not os.access(LBFGS_BIN, os.X_OK):
        sys.exit("train_words.py: the L-BFGS solver %s is missing: build it "
                 "(cmake --build build makes words_lbfgs next to replyscan) "
                 "or give --lbfgs PATH" % (LBFGS_BIN or "words_lbfgs"))
    tmp = tempfile.mkdtemp(prefix="train_words.")
    prob = os.path.join(tmp, "problem")
    out = os.path.join(tmp, "weights")
    try:
        with open(prob, "w") as f:
            f.write("replyscan-lbfgs 1\nclasses %d\nfeatures %d\n"
                    "history %d\ntol %r\nmost %d\nscale\n"
                    % (C, len(scale), history, float(tol), most))
            f.write("".join("%r\n" % v for v in scale))
            f.write("rows %d\n" % len(rows))
            for idx, y, dw in rows:
                f.write("%r %d %d%s\n" % (float(dw), y, len(idx),
                                          "".join(" %d" % j for j in idx)))
        p = subprocess.run([LBFGS_BIN, prob, out], stdout=subprocess.PIPE,
                           stderr=log or subprocess.DEVNULL,
                           universal_newlines=True)
        if p.returncode != 0:
            sys.exit("train_words.py: %s failed (exit %d)"
                     % (LBFGS_BIN, p.returncode))
        x = array("d")
        with open(out, "rb") as f:
            x.frombytes(f.read())
    finally:
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)
    words = p.stdout.split()
    if len(x) != C * (len(scale) + 1) or len(words) != 6 or \
            words[0] != "iterations":
        sys.exit("train_words.py: %s: unexpected output" % LBFGS_BIN)
    return x.tolist(), int(words[1]), float(words[3])


def lbfgs_reference(C, scale, rows, history, tol, most, log=None):
    """words_lbfgs's steps in pure Python (far slower), the reference
    that --lbfgs-check holds the C program to; the same arguments and
    answer. The gradient of a reply touches only its own features' rows."""
    from operator import mul
    P = C * (len(scale) + 1)            # the bias is the last row
    occ = [v for v in scale for _ in range(C)] + [0.0] * C
    B = C * len(scale)
    rows = [([C * j for j in idx], y, dw) for idx, y, dw in rows]

    def value_grad(x):
        g = list(map(mul, occ, x))
        fx = 0.5 * sum(map(mul, g, x))
        bias = x[B:]
        for offs, y, dw in rows:
            s = bias
            for o in offs:
                s = list(map(add, s, x[o:o + C]))
            top = max(s)
            p = [math.exp(v - top) for v in s]
            z = sum(p)
            fx += dw * (math.log(z) + top - s[y])
            d = [dw * v / z for v in p]
            d[y] -= dw
            for o in offs:
                g[o:o + C] = map(add, g[o:o + C], d)
            g[B:] = map(add, g[B:], d)
        return fx, g

    x = [0.0] * P
    fx, g = value_grad(x)
    S, Y, R = [], [], []
    it = 0
    while it < most:
        gmax = max(map(abs, g))
        if gmax <= tol:
            break
        # Two-loop recursion: d = -H g.
        q = g
        alphas = []
        for s, yv, rho in zip(reversed(S), reversed(Y), reversed(R)):
            a = rho * sum(map(mul, s, q))
            alphas.append(a)
            q = [qi - a * yi for qi, yi in zip(q, yv)]
        if S:
            gamma = sum(map(mul, S[-1], Y[-1])) / sum(map(mul, Y[-1], Y[-1]))
        else:
            gamma = 1.0 / math.sqrt(sum(map(mul, g, g)))
        r = [gamma * v for v in q]
        for s, yv, rho, a in zip(S, Y, R, reversed(alphas)):
            b = rho * sum(map(mul, yv, r))
            r = [ri + (a - b) * si for ri, si in zip(r, s)]
        slope = -sum(map(mul, g, r))
        if slope >= 0:                  # not a descent direction: restart
            S, Y, R = [], [], []
            r = [v / math.sqrt(sum(map(mul, g, g))) for v in g]
            slope = -sum(map(mul, g, r))
        step = 1.0
        while True:
            xn = [xi - step * ri for xi, ri in zip(x, r)]
            fn, gn = value_grad(xn)
            if fn <= fx + 1e-4 * step * slope or step < 1e-10:
                break
            step *= 0.5
        s = [a - b for a, b in zip(xn, x)]
        yv = [a - b for a, b in zip(gn, g)]
        sy = sum(map(mul, s, yv))
        if sy > 1e-12:
            S.append(s)
            Y.append(yv)
            R.append(1.0 / sy)
            if len(S) > history:
                del S[0], Y[0], R[0]
        x, fx, g = xn, fn, gn
        it += 1
        if log is not None and it % 10 == 0:
            print("lbfgs: iteration %d, objective %.6f, largest gradient "
                  "%.3g" % (it, fx, max(map(abs, g))), file=log)
    if log is not None:
        print("lbfgs: %d iterations, objective %.6f, largest gradient %.3g"
              % (it, fx, max(map(abs, g))), file=log)
    return x, it, fx


def lbfgs_check(out=sys.stdout):
    """--lbfgs-check: the C solver against lbfgs_reference() on a small
    made-up problem (words and classes drawn by a fixed seed, a class's
    words more likely in its replies, update weights 0.5, 1 and 2): after
    5 and 40 iterations and to convergence, the same iteration count, the
    objective within 1e-6 (relative) and every weight within 1e-9; and
    two runs of the C solver give the same weights. Returns the exit
    status."""
    import random
    rng = random.Random(33)
    C, F, l2 = 6, 300, 1e-2
    data = []
    for _ in range(400):
        y = rng.randrange(C)
        fs = [b"w%d" % (rng.randrange(F) if rng.random() < 0.5
                        else (y * 37 + rng.randrange(20)) % F)
              for _ in range(rng.randint(1, 12))]
        data.append((fs, y, "", rng.choice((1.0, 0.5, 2.0))))
    feats = {f for fs, _, _, _ in data for f in fs}
    bad = 0
    for most, tol in ((5, 0.0), (40, 0.0), (1000, 1e-4)):
        b1, w1, i1, f1 = lbfgs(data, feats, C, l2, tol=tol, most=most,
                               solve=lbfgs_reference)
        b2, w2, i2, f2 = lbfgs(data, feats, C, l2, tol=tol, most=most)
        b3, w3, i3, f3 = lbfgs(data, feats, C, l2, tol=tol, most=most)
        diff = max(abs(a - b) for f in w1 for a, b in zip(w1[f], w2[f]))
        diff = max([diff] + [abs(a - b) for a, b in zip(b1, b2)])
        same = (b2, w2, i2, f2) == (b3, w3, i3, f3)
        ok = (i1 == i2 and abs(f1 - f2) <= 1e-6 * max(1.0, abs(f1)) and
              diff <= 1e-9 and same)
        bad += not ok
        print("lbfgs-check: at most %d iterations, tol %g: Python %d "
              "iterations, objective %.10f; C %d, %.10f; largest weight "
              "difference %.3g; C twice the same: %s: %s"
              % (most, tol, i1, f1, i2, f2, diff, "yes" if same else "no",
                 "ok" if ok else "FAILED"), file=out)
    return 1 if bad else 0


class Logistic:
    """Multinomial logistic regression over feature counts: class c's
    score is bias[c] plus weight[f][c] for each known feature occurrence
    f (words.c scores a version 2 file so), posteriors by softmax."""

    def __init__(self, docs, epochs, rate, l2, min_docs, prune,
                 min_sources=1, source_power=0.0, bigrams=True,
                 average=None, orders=1, solver="sgd",
                 penalty="occurrences", mu=0.0):
        """docs: [(features, class, source group)] or [(features, class,
        source group, weight)]. A reply's update weighs its weight when
        given (data_weights), else n ** -source_power, n the replies of
        its source group.
        average: None, or the pass (0-based) from which the weights
        written are the mean of the weights after every update (averaged
        SGD); orders: how many models, each trained in its own fixed
        order, whose weights are averaged; solver "lbfgs": the same
        objective minimised to convergence instead (lbfgs(); epochs,
        rate, average and orders do not apply; penalty, mu: its L2
        penalty, lbfgs_problem())."""
        if docs and len(docs[0]) > 3:
            given = [d[3] for d in docs]
            docs = [d[:3] for d in docs]
        else:
            given = None
        if not bigrams:
            docs = [([f for f in fs if b"+" not in f], c, g)
                    for fs, c, g in docs]
        df = {}
        srcs = {}
        size = {}
        for _, _, g in docs:
            size[g] = size.get(g, 0) + 1
        for fs, _, g in docs:
            for f in set(fs):
                df[f] = df.get(f, 0) + 1
                if min_sources > 1:
                    srcs.setdefault(f, set()).add(g)
        self.classes = sorted({d[1] for d in docs})
        ci = {c: i for i, c in enumerate(self.classes)}
        C = len(self.classes)
        self.ndocs = [0] * C
        w = {f: [0.0] * C for f, n in df.items()
             if n >= min_docs and (min_sources <= 1 or
                                   len(srcs[f]) >= min_sources)}
        data = []
        for j, (fs, c, g) in enumerate(docs):
            self.ndocs[ci[c]] += 1
            dw = size[g] ** -source_power if source_power else 1
            if given is not None:
                dw = given[j]
            data.append(([f for f in fs if f in w], ci[c],
                         hashlib.sha1(b" ".join(fs) + c.encode())
                         .hexdigest(), dw))
        if solver == "lbfgs":
            data.sort(key=lambda d: (d[2], d[1]))
            bias, w, _, _ = lbfgs(data, w, C, l2, penalty=penalty, mu=mu,
                                  log=LBFGS_LOG)
        else:
            runs = []
            for k in range(orders):
                # Order 0 is the order of a single model; order k sorts by
                # a hash of k and the order-0 key, so every order is fixed.
                key = (lambda d: (d[2], d[1])) if k == 0 else (
                    lambda d, k=k: (hashlib.sha1(b"%d " % k + d[2].encode())
                                    .hexdigest(), d[1]))
                runs.append(sgd(sorted(data, key=key), w, C, epochs, rate,
                                l2, average))
            bias = [sum(r[0][i] for r in runs) / orders for i in range(C)]
            w = {f: [sum(r[1][f][i] for r in runs) / orders
                     for i in range(C)] for f in w}
        self.raw = (bias, w)
        self.finish(prune)

    def finish(self, prune):
        """What is written is what is scored: rounded, small weights out."""
        bias, w = self.raw
        self.bias = [rnd(b) for b in bias]
        self.w = {}
        for f, row in w.items():
            row = [rnd(v) if abs(v) >= prune else 0.0 for v in row]
            if any(row):
                self.w[f] = row
        self.vocab = sorted(self.w)

    def predict(self, fs):
        """(class, posterior, known) as words.c scores features fs."""
        return linear_predict(self.classes, self.bias, self.w, fs)

    def entries(self):
        return sum(1 for row in self.w.values() for v in row if v)

    def write(self, out):
        out.write("# replyscan word model: multinomial logistic regression "
                  "over the words and word\n"
                  "# pairs of a reply's normal form and its codes. "
                  "Generated by "
                  "rules/tools/train_words.py; do not edit.\n"
                  "# Trained on: %s and every classifying rule's match "
                  "examples.\n"
                  "# Format (rules/README.md): class NAME TRAINING_REPLIES "
                  "BIAS; word FEATURE CLASS_INDEX:WEIGHT...\n"
                  % trained_on())
        if DATA:
            out.write("# Data (train_words.py DATA): %s\n" % DATA)
        out.write("replyscan-words 2\n")
        out.write("threshold %g\nthreshold_alone %g\n"
                  % (THRESHOLD, THRESHOLD_ALONE))
        if NORM:
            out.write("normalise %s\n"
                      % " ".join(k for k in KINDS if k in NORM))
        for c, n, b in zip(self.classes, self.ndocs, self.bias):
            out.write("class %s %d %s\n" % (c, n, fmt(b)))
        for f in self.vocab:
            cells = " ".join("%d:%s" % (i, fmt(v))
                             for i, v in enumerate(self.w[f]) if v)
            out.write("word %s %s\n" % (f.decode("utf-8", "surrogateescape"),
                                       cells))


def trained_on():
    """The parts trained on, for the model's header comment: one line
    for the development parts, as before, and the probe sets on a
    comment line of their own (words.c skips a comment line whole, so
    its length does not matter; two lines read better)."""
    text = ", ".join("tests/fixtures/replies/" + p for p in DEV_PARTS)
    if parse_data(DATA).get("probe"):
        text += ",\n# " + ", ".join("tests/fixtures/replies/" + p
                                    for p in PROBE_PARTS) + ","
    return text


def stale(have, want):
    """Why the model text have is not the one trained (want), or None.
    Lines must be the same but for a weight's last written digit: training
    calls the C library's exp() millions of times, and another build of it
    (glibc picks an FMA variant by CPU) may round a last bit otherwise,
    which can flip a weight that sits on a rounding boundary. Staleness
    (another row, label or example) changes the class counts, the
    features or many weights by far more."""
    h, w = have.splitlines(), want.splitlines()
    if len(h) != len(w):
        return "%d lines, the training gives %d" % (len(h), len(w))
    for n, (x, y) in enumerate(zip(h, w), 1):
        if x == y:
            continue
        xs, ys = x.split(" "), y.split(" ")
        if len(xs) != len(ys) or xs[0] not in ("class", "word"):
            return "line %d differs" % n
        for u, v in zip(xs, ys):
            if u == v:
                continue
            try:
                fu = float(u.split(":")[-1])
                fv = float(v.split(":")[-1])
            except ValueError:
                return "line %d differs" % n
            if u.split(":")[:-1] != v.split(":")[:-1] or \
                    abs(fu - fv) > 1.5e-3 * max(abs(fu), abs(fv)):
                return "line %d differs" % n
    return None


def rnd(v):
    """v rounded to four significant digits, as written."""
    return float(fmt(v))


def fmt(v):
    return "%.4g" % v


def without_codes(fs, codes):
    """fs, or fs without its code features when codes is false."""
    return fs if codes else [f for f in fs if not f.startswith(b"code:")]


def precise(rule_id):
    """Did a fallback that decides before the word step decide?"""
    if rule_id.startswith("enhanced:"):
        return rule_id[len("enhanced:") + 2:] in PRECISE_ENHANCED
    if rule_id.startswith("basic:"):
        return rule_id[len("basic:"):] in PRECISE_BASIC
    return False


def fold_of(text, k):
    return int(hashlib.sha1(text.encode("utf-8", "surrogateescape"))
               .hexdigest(), 16) % k


NO_RULES = """rules:
  - id: cv.none
    class: policy_other
    patterns: ['zzqqxxnevermatches']
    description: A rule that never matches, for --cv.
    advice: None.
    source: train_words.py --cv.
    examples:
      match: ['zzqqxxnevermatches']
"""


def final_class(pred, verdict, threshold, threshold_alone):
    """The class the classifier gives with the word step in its place:
    after the wording rules and the precise codes, before the other
    fallbacks when sure (threshold), and after them when they gave
    nothing and the best class is more likely than not (threshold_alone).
    Also whether the word step decided."""
    got = verdict["cause"]
    if verdict["decided_by"] == "the reply's wording" or pred[2] == 0:
        return got, False
    if not precise(verdict["rule_id"]) and pred[1] >= threshold:
        return pred[0], True
    if got == "uncategorized" and pred[1] >= threshold_alone:
        return pred[0], True
    return got, False


def cv_folds(k, by, dev, dev_ex, ex_docs, ex_dev):
    """Each development row's fold and, per rule example, the folds whose
    training must leave it out. By "row" (the first method): a hash of the
    text, the examples always train. By "source": a hash of the row's
    source group (source_group), so that a source's rows are all in one
    fold and a test row has no sibling of its own source in training; and
    an example with the same words as a development row (a rule's example
    copied from it) goes with that row's fold, so that no test row is
    trained on under a rule's name. The other examples always train: at
    run time they are all in the model too."""
    if by == "row":
        return ([fold_of(t, k) for t, _, _ in dev],
                [frozenset()] * len(ex_docs))
    folds = [fold_of(source_group(src), k) for _, _, src in dev]
    out = [frozenset(folds[i] for i in rows) for rows in ex_dev]
    return folds, out


def parse_data(spec):
    """A data spec (DATA, --data, --cv-data) as a dict: comma-separated
    words, each NAME or NAME:VALUE:
      probe        the probe sets train too, as rows of their own source
                   groups;
      dedupe       real rows (development and probe) with the same words
                   once addresses, hosts, URLs and IDs are placeholders
                   (COPY_NORM) and the same class share a weight of 1;
      group:G      a source group's real rows weigh G at most together;
      part:P       a part's (a dev or probe file's) real rows weigh P at
                   most together;
      examples:W   each rule example weighs W (a real row 1);
      class:A      each class's replies are weighed by (mean class mass /
                   the class's mass) ** A, at most 10 times;
    applied in this order; then all weights are scaled to a mean of 1, so
    the learning rate's scale stays."""
    out = {}
    for w in spec.replace(" ", "").split(","):
        if not w:
            continue
        name, _, val = w.partition(":")
        if name not in ("probe", "dedupe", "group", "part", "examples",
                        "class"):
            sys.exit("train_words.py: unknown data word %r" % w)
        out[name] = float(val) if val else True
    return out


def data_weights(spec, items):
    """The weight of each training item (features, class, group, kind,
    part, copy key) under a parsed data spec (parse_data), or None when
    every item weighs 1."""
    w = [1.0] * len(items)
    real = [i for i, it in enumerate(items) if it[3] != "example"]

    def cap(keyf, most):
        mass = {}
        for i in real:
            mass[keyf(items[i])] = mass.get(keyf(items[i]), 0.0) + w[i]
        for i in real:
            m = mass[keyf(items[i])]
            if m > most:
                w[i] *= most / m
    if spec.get("dedupe"):
        n = {}
        for i in real:
            k = (items[i][5], items[i][1])
            n[k] = n.get(k, 0) + 1
        for i in real:
            w[i] /= n[(items[i][5], items[i][1])]
    if spec.get("group"):
        cap(lambda it: it[2], spec["group"])
    if spec.get("part"):
        cap(lambda it: it[4], spec["part"])
    if "examples" in spec:
        for i, it in enumerate(items):
            if it[3] == "example":
                w[i] *= spec["examples"]
    if spec.get("class"):
        mass = {}
        for i, it in enumerate(items):
            mass[it[1]] = mass.get(it[1], 0.0) + w[i]
        mean = sum(mass.values()) / len(mass)
        for i, it in enumerate(items):
            w[i] *= min(10.0, (mean / mass[it[1]]) ** spec["class"])
    if all(x == 1.0 for x in w):
        return None
    scale = len(w) / sum(w)
    return [x * scale for x in w]


def all_features(more, dev_ex, ex_docs, norm=None):
    """The features of the development rows, the rule examples and the
    probe rows (those only when loaded)."""
    return ([doc_features(e, norm) for e in dev_ex],
            [doc_features(e, norm) for e, _, _ in ex_docs],
            [doc_features(e, norm) for e in more["probe_ex"]])


def probe_folds(k, by, folds, more):
    """Per probe row, the folds whose training must leave it out: its own
    source group's fold (the same hash as a development row's, so a
    source shared with development rows is never in its test fold's
    training) and the folds of development rows with its words (a copy);
    none by row."""
    if by == "row":
        return [frozenset()] * len(more["probe"])
    return [frozenset([fold_of(source_group(src), k)] +
                      [folds[i] for i in rows])
            for (_, _, src, _), rows in zip(more["probe"], more["probe_dev"])]


def cv_setup(k, by, dev, dev_ex, ex_docs, ex_dev, more, norm=None):
    """k folds over the development rows, by row or by source, and the
    features of every reply: (folds, ex_out, pr_out, feats), as cv_folds,
    probe_folds and all_features give them."""
    folds, ex_out = cv_folds(k, by, dev, dev_ex, ex_docs, ex_dev)
    return (folds, ex_out, probe_folds(k, by, folds, more),
            all_features(more, dev_ex, ex_docs, norm))


def decay(solver=None):
    """The weight decay of a trainer (SOLVER's by default)."""
    return L2_LBFGS if (solver or SOLVER) == "lbfgs" else L2


def penalty(solver=None):
    """Logistic's penalty arguments for a trainer (SOLVER's by default):
    SGD's decay is per occurrence; lbfgs's is "mixed"."""
    if (solver or SOLVER) == "lbfgs":
        return {"penalty": "mixed", "mu": LBFGS_MU}
    return {"penalty": "occurrences", "mu": 0.0}


def chosen_model(train):
    """The model the constants above choose, trained on train."""
    return Logistic(train, EPOCHS, RATE, decay(), MIN_DOCS, PRUNE,
                    MIN_SOURCES, orders=ORDERS, solver=SOLVER,
                    **penalty())


def fold_models(k, setup, spec, dev, ex_docs, more, make=chosen_model,
                codes=True):
    """One model per fold (setup: cv_setup's), make(training replies) on
    the training replies of the data spec spec (assemble) with that fold
    left out; and the number of training replies of each."""
    folds, ex_out, pr_out, feats = setup
    models, sizes = [], []
    for f in range(k):
        train = assemble(spec, dev, ex_docs, more, feats, f, folds, ex_out,
                         pr_out, codes=codes)
        sizes.append(len(train))
        models.append(make(train))
    return models, sizes


def predict_out_of_fold(models, folds, feats):
    """Each development row's prediction by its own fold's model."""
    return [models[f].predict(fs) for f, fs in zip(folds, feats)]


def out_of_fold(k, setup, spec, dev, ex_docs, more):
    """Out-of-fold predictions of the chosen model (chosen_model) trained
    on the data spec spec, per development row, and the training replies
    of all folds together."""
    models, sizes = fold_models(k, setup, spec, dev, ex_docs, more)
    return predict_out_of_fold(models, setup[0], setup[3][0]), sum(sizes)


def assemble(spec, dev, ex_docs, more, feats, fold=None, folds=None,
             ex_out=None, pr_out=None, drop=frozenset(), codes=True):
    """The training replies [(features, class, group[, weight])] under a
    data spec (a string, parse_data): the rule examples, the development
    rows and, with "probe", the probe rows; with fold, those of that fold
    (and the examples and probe rows it must leave out: ex_out, pr_out)
    left out; drop: development row indices left out too (--flip)."""
    spec = parse_data(spec)
    dev_f, ex_f, pr_f = feats
    items = []
    for j, (_, c, g) in enumerate(ex_docs):
        if fold is None or fold not in ex_out[j]:
            items.append((ex_f[j], c, g, "example", "rules",
                          more["ex_key"][j]))
    for i, (_, c, src) in enumerate(dev):
        if (fold is None or folds[i] != fold) and i not in drop:
            items.append((dev_f[i], c, source_group(src), "dev",
                          more["dev_part"][i], more["dev_key"][i]))
    if spec.get("probe"):
        if not more["probe"]:
            sys.exit("train_words.py: probe rows not loaded")
        for j, (_, c, src, part) in enumerate(more["probe"]):
            if fold is None or fold not in pr_out[j]:
                items.append((pr_f[j], c, source_group(src), "probe", part,
                              more["probe_key"][j]))
    w = data_weights(spec, items)
    return [(without_codes(it[0], codes), it[1], it[2]) +
            ((w[n],) if w else ()) for n, it in enumerate(items)]


def fit(kind, train, opt):
    if kind == "nb":
        return Model(train, opt["alpha"], 1, True)
    return Logistic(train, opt["epochs"], opt["rate"], opt["l2"],
                    opt.get("min_docs", 1), 0.0,
                    opt.get("min_sources", 1), opt.get("source_power", 0),
                    opt.get("bigrams", True), opt.get("average"),
                    opt.get("orders", 1), opt.get("solver", "sgd"),
                    opt.get("penalty", "occurrences"), opt.get("mu", 0.0))


# --cv's settings: (kind, options); codes, prunes and thresholds are
# crossed with each.
CV_SETTINGS = [("nb", {"alpha": 0.03})] + [
    ("logistic", dict({"epochs": 15, "rate": 0.5, "l2": 1e-3}, **o))
    for o in ({}, {"epochs": 8}, {"min_sources": 2}, {"min_sources": 3},
              {"l2": 3e-3}, {"l2": 3e-3, "bigrams": 0},
              {"l2": 3e-3, "source_power": 0.5}, {"l2": 1e-2},
              {"l2": 1e-2, "source_power": 0.5}, {"l2": 3e-2},
              {"l2": 1e-2, "norm": frozenset(("url", "email", "host"))},
              {"l2": 1e-2, "norm": frozenset(KINDS)},
              {"l2": 1e-2, "norm": frozenset(("url", "email", "host")),
               "orders": 3})]
CV_THRESHOLDS = (0.2, 0.3, 0.4, 0.5, 0.7)
CV_ALONE = (0.05, 0.2)


def cross_validate(k, by, dev, dev_ex, nr_ex, ex_docs, ex_dev, more,
                   settings=None, codes_opts=(True,), prunes=(0.01,),
                   thresholds=CV_THRESHOLDS, alone=CV_ALONE, out=sys.stdout):
    """k folds over the development rows, by row or by source (cv_folds).
    Two figures per setting, both on out-of-fold predictions:
      pipeline  the whole classifier on the development rows (rules
                first). The rules were written against these rows, so the
                rows they miss are few and odd: this says whether the word
                step costs anything;
      no_rules  the same with no wording rule at all (codes, then the word
                step): how the step does on replies the rules would miss.
    The setting chosen: the best no_rules among those whose pipeline figure
    is not below the rules' own, then the better pipeline, then the
    smaller model (the larger prune). Naive Bayes (the version 1 model) is
    scored too, for comparison. Returns the rows printed, as tuples."""
    settings = CV_SETTINGS if settings is None else settings
    n = len(dev)
    base = sum(1 for (t, c, _), e in zip(dev, dev_ex) if e["cause"] == c)
    base_nr = sum(1 for (t, c, _), e in zip(dev, nr_ex) if e["cause"] == c)
    folds, ex_out = cv_folds(k, by, dev, dev_ex, ex_docs, ex_dev)
    print("cv: %d folds by %s over %d development rows (%d sources; %d of "
          "the %d rule examples leave a fold's training with the rows "
          "they copy); data %s" % (
              k, by, n, len({source_group(s) for _, _, s in dev}),
              sum(1 for o in ex_out if o), len(ex_docs), DATA or "-"),
          file=out)
    print("rules alone: %d of %d (%.2f %%); codes alone: %d (%.2f %%)"
          % (base, n, 100.0 * base / n, base_nr, 100.0 * base_nr / n),
          file=out)
    print("model\tsettings\tcodes\tprune\tthreshold\t"
          "threshold_alone\tpipeline\tno_rules\tstep_rows\t"
          "step_precision (no_rules)\tentries", file=out)
    best = None
    rows = []
    for kind, opt in settings:
        setup = cv_setup(k, by, dev, dev_ex, ex_docs, ex_dev, more,
                         opt.get("norm", NORM))
        for codes in codes_opts:
            feats = [without_codes(fs, codes) for fs in setup[3][0]]
            fitted, _ = fold_models(
                k, setup, DATA, dev, ex_docs, more,
                lambda t, kind=kind, opt=opt: fit(
                    kind, [x[:3] for x in t] if kind == "nb" else t, opt),
                codes)
            for prune in (prunes if kind == "logistic" else (0.0,)):
                entries = 0
                for m in fitted:
                    if kind == "logistic":
                        m.finish(prune)
                        entries += m.entries()
                preds = predict_out_of_fold(fitted, folds, feats)
                setting = " ".join(
                    "%s %s" % (n, ",".join(x for x in KINDS if x in v) or "-")
                    if n == "norm" else ("%s %s" if isinstance(v, str)
                                         else "%s %g") % (n, v)
                    for n, v in sorted(opt.items()))
                for th in thresholds:
                    for tl in alone:
                        if tl > th:
                            continue
                        pipe = nrul = step = right = 0
                        for i, (t, c, _) in enumerate(dev):
                            got, _ = final_class(preds[i], dev_ex[i], th, tl)
                            pipe += got == c
                            got, by_words = final_class(preds[i], nr_ex[i],
                                                        th, tl)
                            nrul += got == c
                            step += by_words
                            right += by_words and got == c
                        row = (kind, setting, "yes" if codes else "no",
                               prune, th, tl, 100.0 * pipe / n,
                               100.0 * nrul / n, step,
                               100.0 * right / step if step else 0.0,
                               entries // k)
                        rows.append(row)
                        print("%s\t%s\t%s\t%g\t%g\t%g\t%.2f\t%.2f\t%d\t"
                              "%.1f\t%d" % row, file=out)
                        out.flush()
                        if kind != "logistic":
                            continue
                        key = (pipe >= base, nrul, pipe, prune)
                        if best is None or key > best[0]:
                            best = (key, setting, codes, prune, th, tl, pipe,
                                    nrul)
    if best is not None:
        _, setting, codes, prune, th, tl, pipe, nrul = best
        print("chosen: logistic %s, codes %s, prune %g, threshold %g, "
              "threshold_alone %g: pipeline %.2f %%, no_rules %.2f %%"
              % (setting, "yes" if codes else "no", prune, th, tl,
                 100.0 * pipe / n, 100.0 * nrul / n), file=out)
    return rows


class Nearest:
    """The training replies nearest to a text, for --cv-variants (not in
    the model): cosine over TF-IDF vectors, a feature's weight
    (1 + log count) * idf, idf = 1 + log((1 + N) / (1 + df)), N the
    training replies; an inverted index, so a query touches only the
    replies sharing a feature with it."""

    def __init__(self, docs):
        """docs: [(features, class)]."""
        df = {}
        for fs, _ in docs:
            for f in set(fs):
                df[f] = df.get(f, 0) + 1
        n = len(docs)
        self.idf = {f: 1 + math.log((1 + n) / (1 + d)) for f, d in df.items()}
        self.classes = [c for _, c in docs]
        self.post = {}
        for j, (fs, _) in enumerate(docs):
            v = self.vector(fs)
            for f, x in v.items():
                self.post.setdefault(f, []).append((j, x))

    def vector(self, fs):
        tf = {}
        for f in fs:
            if f in self.idf:
                tf[f] = tf.get(f, 0) + 1
        v = {f: (1 + math.log(x)) * self.idf[f] for f, x in tf.items()}
        norm = math.sqrt(sum(x * x for x in v.values()))
        return {f: x / norm for f, x in v.items()}

    def query(self, fs, top=10):
        """[(cosine, class)] of the top nearest training replies, best
        first (ties: the earlier training reply)."""
        acc = {}
        for f, x in self.vector(fs).items():
            for j, y in self.post[f]:
                acc[j] = acc.get(j, 0.0) + x * y
        best = sorted(acc.items(), key=lambda t: (-t[1], t[0]))[:top]
        return [(s, self.classes[j]) for j, s in best]


def char_grams(e, n=4):
    """The character n-grams (of code points) of a reply's words joined
    by single spaces, with a space before and after."""
    s = (b" " + b" ".join(words(e["words"]["text"])) + b" ").decode(
        "utf-8", "surrogateescape")
    return [s[i:i + n] for i in range(max(1, len(s) - n + 1))]


# Code points of scripts written without spaces between words (kana, the
# CJK ideographs, Hangul syllables): one run of them is one word today.
CJK = re.compile("[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]")


def cjk_bigrams(e):
    """A feature per pair of neighbouring characters of each word that
    holds a CJK character ("cjk:" and the pair), for --cv-variants."""
    out = []
    for w in words(e["words"]["text"]):
        s = w.decode("utf-8", "surrogateescape")
        if CJK.search(s):
            out += [("cjk:" + s[i:i + 2]).encode("utf-8", "surrogateescape")
                    for i in range(len(s) - 1)]
    return out


def place(verdict, sure, alone):
    """The class and what decided it when a word step that offers `sure`
    (a class, or None) before the weaker code fallbacks and `alone` after
    them stands where words.c's does (final_class)."""
    if verdict["decided_by"] == "the reply's wording":
        return verdict["cause"], "rules"
    if precise(verdict["rule_id"]):
        return verdict["cause"], "precise code"
    if sure is not None:
        return sure, "word step"
    if verdict["cause"] != "uncategorized":
        rid = verdict["rule_id"]
        return verdict["cause"], rid.split(":")[0] + " fallback"
    if alone is not None:
        return alone, "word step"
    return verdict["cause"], "none"


def cv_variants(k, dev, dev_ex, nr_ex, ex_docs, ex_dev, more,
                out=sys.stdout):
    """--cv-variants: the chosen model (the constants above) against
    variants of the word step, on the same out-of-fold predictions (folds
    by source), each with the pipeline and no_rules figures, the pipeline's
    rows right per fold less the chosen model's (the noise to beat), and
    what decided the pipeline's rows outside the rules (rows, share
    right). The variants:
      threshold T          the linear model before the weaker code
                           fallbacks at T (0: instead of them);
      nearest REP T        the nearest training reply (over "chars": of
                           the examples and development rows only)
                           decides first when
                           its cosine is T or more, else the linear model;
                           REP "features" (the model's own: words, pairs,
                           codes) or "chars" (character 4-grams of the
                           words);
      nearest after the fallbacks REP T
                           the nearest reply instead of the linear model
                           where no code fallback answers (threshold_alone),
                           when its cosine is T or more;
      vote REP A N T       the linear posteriors weigh 1 - A, the N
                           nearest replies' cosines (normalised to sum 1,
                           times the best cosine) A; the best class at T;
      cjk bigrams          the linear model with a feature per pair of
                           neighbouring characters in a word of kana, CJK
                           ideographs or Hangul.
    Then, for the rows the enhanced and basic fallbacks decide, how many
    they get right and how many the linear model's best class would."""
    n = len(dev)
    folds, ex_out, pr_out, three = cv_setup(k, "source", dev, dev_ex,
                                            ex_docs, ex_dev, more)
    feats = three[0]
    ex_feats = [(fs, c, g) for fs, (_, c, g) in zip(three[1], ex_docs)]
    grams = [char_grams(e) for e in dev_ex]
    ex_grams = [char_grams(e) for e, _, _ in ex_docs]
    cjk = [cjk_bigrams(e) for e in dev_ex]
    ex_cjk = [cjk_bigrams(e) for e, _, _ in ex_docs]
    three_cjk = ([fs + x for fs, x in zip(three[0], cjk)],
                 [fs + x for fs, x in zip(three[1], ex_cjk)],
                 [fs + cjk_bigrams(e)
                  for fs, e in zip(three[2], more["probe_ex"])])
    res = [None] * n
    for f in range(k):
        ex_in = [j for j, o in enumerate(ex_out) if f not in o]
        dev_in = [i for i in range(n) if folds[i] != f]
        train = assemble(DATA, dev, ex_docs, more, three, f, folds, ex_out,
                         pr_out)
        m = chosen_model(train)
        mc = Logistic(assemble(DATA, dev, ex_docs, more, three_cjk, f, folds,
                               ex_out, pr_out),
                      EPOCHS, RATE, L2, MIN_DOCS, PRUNE, MIN_SOURCES)
        near_f = Nearest([(t[0], t[1]) for t in train])
        near_c = Nearest([(ex_grams[j], ex_feats[j][1]) for j in ex_in] +
                         [(grams[i], dev[i][1]) for i in dev_in])
        for i in range(n):
            if folds[i] != f:
                continue
            s = list(m.bias)
            for x in feats[i]:
                row = m.w.get(x)
                if row is not None:
                    s = [a + b for a, b in zip(s, row)]
            top = max(s)
            z = sum(math.exp(v - top) for v in s)
            res[i] = {"pred": m.predict(feats[i]),
                      "post": {c: math.exp(v - top) / z
                               for c, v in zip(m.classes, s)},
                      "cjk": mc.predict(feats[i] + cjk[i]),
                      "features": near_f.query(feats[i]),
                      "chars": near_c.query(grams[i])}

    def linear(key, th, tl):
        def f(i):
            c, p, known = res[i][key]
            return (c if known and p >= th else None,
                    c if known and p >= tl else None)
        return f

    def nearest(rep, t):
        def f(i):
            nn = res[i][rep]
            if nn and nn[0][0] >= t:
                return nn[0][1], nn[0][1]
            return linear("pred", THRESHOLD, THRESHOLD_ALONE)(i)
        return f

    def nearest_alone(rep, t):
        def f(i):
            sure, alone = linear("pred", THRESHOLD, THRESHOLD_ALONE)(i)
            nn = res[i][rep]
            if nn and nn[0][0] >= t:
                return sure, nn[0][1]
            return sure, alone
        return f

    def vote(rep, a, top, th):
        def f(i):
            nn = res[i][rep][:top]
            known = res[i]["pred"][2]
            d = {}
            if known:
                for c, q in res[i]["post"].items():
                    d[c] = (1 - a) * q
            tot = sum(s for s, _ in nn)
            for s, c in nn:
                d[c] = d.get(c, 0.0) + (a if known else 1) * s / tot * nn[0][0]
            if not d:
                return None, None
            best = max(sorted(d), key=lambda c: d[c])
            return (best if d[best] >= th else None,
                    best if d[best] >= THRESHOLD_ALONE else None)
        return f

    variants = [("chosen (threshold %g)" % THRESHOLD,
                 linear("pred", THRESHOLD, THRESHOLD_ALONE))]
    variants += [("threshold %g" % t, linear("pred", t, min(t, 0.05)))
                 for t in (0.0, 0.2, 0.4, 0.5)]
    variants += [("nearest %s %g" % (r, t), nearest(r, t))
                 for r in ("features", "chars") for t in (0.7, 0.8, 0.9, 0.95)]
    variants += [("nearest after the fallbacks %s %g" % (r, t),
                  nearest_alone(r, t))
                 for r in ("features", "chars") for t in (0.0, 0.4)]
    variants += [("vote %s %g %d %g" % (r, a, top, th), vote(r, a, top, th))
                 for r in ("features", "chars") for a in (0.2, 0.35)
                 for top in (3, 10) for th in (0.3, 0.4)]
    variants += [("cjk bigrams", linear("cjk", THRESHOLD, THRESHOLD_ALONE))]
    print("cv-variants: %d folds by source over %d development rows; "
          "pipeline, no_rules, pipeline rows right per fold less the chosen "
          "model's, then what decided the pipeline's rows outside the rules "
          "(rows / right)" % (k, n), file=out)
    base = None
    for name, var in variants:
        fold_ok = [0] * k
        ok = [0, 0]
        by = {}
        for i, (_, c, _) in enumerate(dev):
            sure, alone = var(i)
            for r, ex in enumerate((dev_ex, nr_ex)):
                got, what = place(ex[i], sure, alone)
                ok[r] += got == c
                if r == 0:
                    fold_ok[folds[i]] += got == c
                    if what != "rules":
                        b = by.setdefault(what, [0, 0])
                        b[0] += 1
                        b[1] += got == c
        base = base or fold_ok
        print("%s\t%.2f\t%.2f\t%s\t%s" % (
            name, 100.0 * ok[0] / n, 100.0 * ok[1] / n,
            " ".join("%+d" % (a - b) for a, b in zip(fold_ok, base)),
            ", ".join("%s %d / %.1f %%" % (w, r, 100.0 * g / r)
                      for w, (r, g) in sorted(by.items()))), file=out)
        out.flush()
    for lab, ex in (("pipeline", dev_ex), ("no_rules", nr_ex)):
        agg = {}
        for i, (_, c, _) in enumerate(dev):
            got, what = place(ex[i], *linear("pred", THRESHOLD,
                                             THRESHOLD_ALONE)(i))
            if what in ("enhanced fallback", "basic fallback"):
                a = agg.setdefault(what, [0, 0, 0])
                a[0] += 1
                a[1] += got == c
                a[2] += res[i]["pred"][0] == c
        print("fallback rows (%s): %s" % (lab, "; ".join(
            "%s %d, right %d, the model's best class right %d"
            % (w, a[0], a[1], a[2]) for w, a in sorted(agg.items()))),
            file=out)


def cv_misses(k, path, dev, dev_ex, ex_docs, ex_dev, more, out=sys.stdout):
    """--cv-misses FILE: the development rows whose out-of-fold final
    verdict is wrong, k folds by source (cv_folds), the chosen model (the
    constants above, DATA): the whole classifier, the wording rules first
    and the fold's model in the word step (place: before the weaker code
    fallbacks at THRESHOLD, after them at THRESHOLD_ALONE). FILE ('-':
    standard output) gets a header and one TSV line per miss: part, text,
    label, out-of-fold class, deciding step (rules, precise code, word
    step, enhanced fallback, basic fallback, none); in the order of the
    parts and their rows, so the same inputs give the same bytes. out gets
    the totals: rows right, misses by step and by (label -> verdict)."""
    n = len(dev)
    setup = cv_setup(k, "source", dev, dev_ex, ex_docs, ex_dev, more)
    preds, _ = out_of_fold(k, setup, DATA, dev, ex_docs, more)
    misses = []
    steps = {}
    for i, (text, c, _) in enumerate(dev):
        cl, p, known = preds[i]
        sure = cl if known and p >= THRESHOLD else None
        alone = cl if known and p >= THRESHOLD_ALONE else None
        got, what = place(dev_ex[i], sure, alone)
        st = steps.setdefault(what, [0, 0])
        st[0] += 1
        st[1] += got == c
        if got != c:
            misses.append((more["dev_part"][i], text, c, got, what))
    f = sys.stdout if path == "-" else open(path, "w", encoding="utf-8",
                                           errors="surrogateescape")
    try:
        f.write("part\ttext\tlabel\tcv_class\tstep\n")
        for row in misses:
            f.write("\t".join(x.replace("\t", " ").replace("\n", " ")
                              for x in row) + "\n")
    finally:
        if f is not sys.stdout:
            f.close()
    print("cv-misses: %d folds by source over %d development rows (%d "
          "sources), data %s: %d right (%.2f %%), %d misses" % (
              k, n, len({source_group(s) for _, _, s in dev}), DATA or "-",
              n - len(misses), 100.0 * (n - len(misses)) / n, len(misses)),
          file=out)
    print("by step (rows decided, misses):", file=out)
    for what, (r, g) in sorted(steps.items(), key=lambda x: -x[1][0]):
        print("  %s\t%d\t%d" % (what, r, r - g), file=out)
    pairs = {}
    for _, _, c, got, _ in misses:
        pairs[(c, got)] = pairs.get((c, got), 0) + 1
    print("by label -> verdict:", file=out)
    for (c, got), x in sorted(pairs.items(), key=lambda x: (-x[1], x[0])):
        print("  %s -> %s\t%d" % (c, got, x), file=out)


def cv_data(k, specs, dev, dev_ex, nr_ex, ex_docs, ex_dev, more,
            out=sys.stdout):
    """--cv-data: the chosen model (the constants above) trained on other
    training data (data specs, parse_data), on the same k folds by source
    over the development rows, against DATA (the first line). Per spec:
    the training replies of a fold (mean), pipeline and no_rules (as
    cross_validate), the rows the word step decided in the no_rules run and
    its precision there, and per fold the pipeline's and the no_rules
    run's rows right less DATA's (the noise to beat). Test rows are
    development rows only; probe rows and rule examples only train."""
    n = len(dev)
    setup = cv_setup(k, "source", dev, dev_ex, ex_docs, ex_dev, more)
    folds = setup[0]
    print("cv-data: %d folds by source over %d development rows (%d "
          "sources), %d probe rows; threshold %g, threshold_alone %g, "
          "orders %d" % (k, n, len({source_group(s) for _, _, s in dev}),
                         len(more["probe"]), THRESHOLD, THRESHOLD_ALONE,
                         ORDERS), file=out)
    print("data\ttraining\tpipeline\tno_rules\tstep_rows\t"
          "step_precision\tpipeline per fold\tno_rules per fold", file=out)
    base = None
    for spec in [DATA] + [x for x in specs if x != DATA]:
        preds, size = out_of_fold(k, setup, spec, dev, ex_docs, more)
        fp = [0] * k
        fn = [0] * k
        step = right = 0
        for i, (_, c, _) in enumerate(dev):
            got, _ = final_class(preds[i], dev_ex[i], THRESHOLD,
                                 THRESHOLD_ALONE)
            fp[folds[i]] += got == c
            got, by_words = final_class(preds[i], nr_ex[i], THRESHOLD,
                                        THRESHOLD_ALONE)
            fn[folds[i]] += got == c
            step += by_words
            right += by_words and got == c
        base = base or (fp, fn)
        print("%s\t%d\t%.2f\t%.2f\t%d\t%.1f\t%s\t%s" % (
            spec or "-", size // k, 100.0 * sum(fp) / n,
            100.0 * sum(fn) / n, step, 100.0 * right / step if step else 0,
            " ".join("%+d" % (a - b) for a, b in zip(fp, base[0])),
            " ".join("%+d" % (a - b) for a, b in zip(fn, base[1]))),
            file=out)
        out.flush()


def flip_rate(dev, dev_ex, nr_ex, ex_docs, ex_dev, more, out=sys.stdout,
              which=(0, 1)):
    """How much the model's answers jitter with a small change of its
    training set: for source folds 0 and 1 of --cv 5, train on the other
    folds, and again with 1 % of the development rows (seeds 1, 2, 3) left
    out too; print how many of the fold's rows (unseen by both) get
    another no-rules verdict (codes, then the word step), and the total."""
    import random
    n = len(dev)
    folds, ex_out, pr_out, three = cv_setup(5, "source", dev, dev_ex,
                                            ex_docs, ex_dev, more)
    feats = three[0]
    total = 0
    for fold in which:
        test = [i for i in range(n) if folds[i] == fold]

        def verdicts(drop):
            m = chosen_model(assemble(DATA, dev, ex_docs, more, three,
                                      fold, folds, ex_out, pr_out, drop))
            return [final_class(m.predict(feats[i]), nr_ex[i], THRESHOLD,
                                THRESHOLD_ALONE)[0] for i in test]
        base = verdicts(set())
        flips = []
        for seed in (1, 2, 3):
            rest = [i for i in range(n) if folds[i] != fold]
            drop = set(random.Random(seed).sample(rest, n // 100))
            flips.append(sum(1 for a, b in zip(base, verdicts(drop))
                             if a != b))
        total += sum(flips)
        print("fold %d: %d unseen rows, flips with 1 %% left out (seeds "
              "1 2 3): %s" % (fold, len(test),
                              " ".join(str(f) for f in flips)), file=out)
        out.flush()
    print("flips: %d (%s, data %s)" % (
        total, "orders %d" % ORDERS if SOLVER == "sgd" else SOLVER,
        DATA or "-"), file=out)


def load(replyscan, rules, cv, probes=False):
    """The training data: (dev, dev_ex, nr_ex, ex_docs, ex_dev, more). dev: the
    development rows (text, class, source); dev_ex: explain --json of each
    (rules without words.model); nr_ex: the same with no wording rule
    (only for cv, else None); ex_docs: each rule example's (explain
    --json answer, class, group), the group its rule ("rule:ID") or, for an example with
    the same words as development rows, the first such row's source
    group; ex_dev: per example, the indices of those rows. more: a dict,
    dev_part (each development row's file), probe (with probes: each probe
    row's (text, class, source, file)), probe_ex (their explain --json),
    probe_dev (per probe row, the development rows with its words), and
    dev_key, ex_key, probe_key (each reply's words with COPY_NORM)."""
    dev = []
    dev_part = []
    for part in DEV_PARTS:
        rows = read_tsv(os.path.join(REPLIES, part))
        dev += rows
        dev_part += [part] * len(rows)
    probe = []
    for part in (PROBE_PARTS if probes else []):
        probe += [r + (part,) for r in read_tsv(os.path.join(REPLIES, part))]
    tmp = rules_copy(rules)
    try:
        out = run([replyscan, "rules", "examples", tmp])
        examples = []
        for line in out.splitlines()[1:]:
            cols = line.split("\t")
            if cols[0]:
                examples.append((cols[0], cols[1],
                                 cols[2] if len(cols) > 2 else ""))
        ex = explain_all(replyscan, tmp, [t for t, _, _ in dev] +
                         [t for t, _, _ in examples] +
                         [r[0] for r in probe])
        nr_ex = None
        if cv:
            nr = tempfile.mkdtemp(prefix="train_words.")
            try:
                with open(os.path.join(nr, "00-none.yaml"), "w") as f:
                    f.write(NO_RULES)
                os.symlink(os.path.abspath(os.path.join(rules,
                                                        "providers.yaml")),
                           os.path.join(nr, "providers.yaml"))
                nr_ex = explain_all(replyscan, nr, [t for t, _, _ in dev])
            finally:
                for name in os.listdir(nr):
                    os.unlink(os.path.join(nr, name))
                os.rmdir(nr)
    finally:
        for name in os.listdir(tmp):
            os.unlink(os.path.join(tmp, name))
        os.rmdir(tmp)
    dev_ex = ex[:len(dev)]
    # A copy: the same words once every address, host, URL and ID is a
    # placeholder (whatever NORM is), so that an example copied from a
    # row with its addresses made up is found too.
    key = lambda e: tuple(words(e["words"]["text"], COPY_NORM))
    by_words = {}
    for i, e in enumerate(dev_ex):
        by_words.setdefault(key(e), []).append(i)
    ex_docs = []
    ex_dev = []
    for e, (_, c, rule) in zip(ex[len(dev):], examples):
        rows = by_words.get(key(e), [])
        ex_dev.append(rows)
        g = source_group(dev[rows[0]][2]) if rows else "rule:" + rule
        ex_docs.append((e, c, g))
    probe_ex = ex[len(dev) + len(examples):]
    more = {"dev_part": dev_part, "probe": probe, "probe_ex": probe_ex,
            "probe_dev": [by_words.get(key(e), []) for e in probe_ex],
            "dev_key": [key(e) for e in dev_ex],
            "ex_key": [key(e) for e, _, _ in ex_docs],
            "probe_key": [key(e) for e in probe_ex]}
    return dev, dev_ex, nr_ex, ex_docs, ex_dev, more


def main():
    global ORDERS, DATA, SOLVER, LBFGS_LOG, LBFGS_BIN, LBFGS_MU
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--replyscan", default=os.path.join(ROOT, "build",
                                                        "replyscan"))
    ap.add_argument("--rules", default=os.path.join(ROOT, "rules"))
    ap.add_argument("--out", default=None,
                    help="where to write (default RULES/words.model)")
    ap.add_argument("--check", metavar="FILE",
                    help="compare with FILE instead of writing; exit 1 "
                         "when it differs (a stale model)")
    ap.add_argument("--cv", type=int, metavar="K",
                    help="K-fold cross-validation on the development rows")
    ap.add_argument("--cv-by", choices=("source", "row"), default="source",
                    help="--cv's folds: by source (all rows of a source in "
                         "one fold; the default) or by row (a hash of the "
                         "text, the first method, for comparison)")
    ap.add_argument("--cv-variants", action="store_true",
                    help="with --cv K: the chosen model against variants "
                         "of the word step (nearest replies, thresholds, "
                         "CJK character pairs) on the same folds by source")
    ap.add_argument("--cv-misses", metavar="FILE",
                    help="with --cv K: write the development rows whose "
                         "out-of-fold final verdict (rules first, the "
                         "fold's model in the word step; folds by source) "
                         "is wrong to FILE ('-': standard output) as TSV: "
                         "part, text, label, out-of-fold class, deciding "
                         "step; totals on standard error")
    ap.add_argument("--flip", action="store_true",
                    help="the flip rate: how many unseen development rows "
                         "change verdict when 1 %% of the rows leave "
                         "training (rules/README.md)")
    ap.add_argument("--flip-fold", type=int, choices=(0, 1),
                    help="with --flip: fold 0 or 1 only (to run the two "
                         "in parallel)")
    ap.add_argument("--orders", type=int, metavar="K",
                    help="average K orders instead of %d (to compare with "
                         "--flip or --cv-variants; not for the model file)"
                         % ORDERS)
    ap.add_argument("--data", metavar="SPEC",
                    help="train on SPEC instead of %r (a data spec: "
                         "probe, dedupe, group:G, part:P, examples:W, "
                         "class:A, comma-separated; '-' for none) with "
                         "--cv, --cv-variants, --flip; not for the model "
                         "file" % (DATA or "-"))
    ap.add_argument("--cv-data", nargs="+", metavar="SPEC",
                    help="with --cv K: the chosen model trained on each "
                         "data SPEC against today's data, on the same "
                         "folds by source")
    ap.add_argument("--solver", choices=("sgd", "lbfgs"), default=SOLVER,
                    help="sgd: %d passes, %d orders averaged (the model "
                         "file's); lbfgs: full-batch L-BFGS to convergence "
                         "with the penalty (%g + MU times a feature's "
                         "occurrences) / 2 times its squared weights (a "
                         "study, rules/README.md 'Deciding the word step's "
                         "trainer'; with --out, --flip, --cv-solvers; not "
                         "for the model file)" % (EPOCHS, ORDERS, L2_LBFGS))
    ap.add_argument("--cv-solvers", action="store_true",
                    help="with --cv K: the chosen settings trained by sgd "
                         "and by lbfgs on the same folds by source, at the "
                         "model's thresholds")
    ap.add_argument("--cv-mixed", nargs="+", type=float, metavar="MU",
                    help="with --cv K --cv-solvers: lbfgs at each MU "
                         "instead of at %g" % LBFGS_MU)
    ap.add_argument("--mixed-mu", type=float, metavar="MU",
                    help="lbfgs's MU instead of %g (a study, with --out, "
                         "--flip)" % LBFGS_MU)
    ap.add_argument("--lbfgs", metavar="PATH",
                    help="the L-BFGS solver (rules/tools/words_lbfgs.c, "
                         "built); default: words_lbfgs next to --replyscan")
    ap.add_argument("--lbfgs-check", action="store_true",
                    help="check the C solver against the same steps in "
                         "Python on a small made-up problem; exit 1 when "
                         "they differ")
    a = ap.parse_args()
    LBFGS_BIN = a.lbfgs or os.path.join(os.path.dirname(
        os.path.abspath(a.replyscan)), "words_lbfgs")
    if a.lbfgs_check:
        return lbfgs_check()
    if a.mixed_mu is not None:
        if not (a.out or a.flip) or a.solver != "lbfgs":
            ap.error("--mixed-mu is for a study: give --solver lbfgs and "
                     "--out FILE or --flip")
        LBFGS_MU = a.mixed_mu
    if a.solver != SOLVER:
        if not (a.out or a.check or a.cv or a.flip):
            ap.error("--solver %s is a study: give --out FILE, --check, "
                     "--cv or --flip (rules/words.model is the SGD "
                     "model's)" % a.solver)
        SOLVER = a.solver
        LBFGS_LOG = sys.stderr
    if a.orders:
        ORDERS = a.orders
    if a.data is not None:
        DATA = "" if a.data == "-" else a.data
    specs = ["" if x == "-" else x for x in a.cv_data or []]
    for x in specs + [DATA]:
        parse_data(x)
    probes = any(parse_data(x).get("probe") for x in specs + [DATA])

    dev, dev_ex, nr_ex, ex_docs, ex_dev, more = load(
        a.replyscan, a.rules, a.cv or a.flip, probes)
    if a.flip:
        flip_rate(dev, dev_ex, nr_ex, ex_docs, ex_dev, more,
                  which=(a.flip_fold,) if a.flip_fold is not None
                  else (0, 1))
        return 0
    if a.cv and a.cv_misses:
        cv_misses(a.cv, a.cv_misses, dev, dev_ex, ex_docs, ex_dev, more,
                  out=sys.stderr)
        return 0
    if a.cv and a.cv_data:
        cv_data(a.cv, specs, dev, dev_ex, nr_ex, ex_docs, ex_dev, more)
        return 0
    if a.cv and a.cv_solvers:
        chosen = {"epochs": EPOCHS, "rate": RATE, "orders": ORDERS}
        cross_validate(a.cv, a.cv_by, dev, dev_ex, nr_ex, ex_docs, ex_dev,
                       more, settings=[
                           ("logistic", dict(chosen, solver="sgd", l2=L2))] +
                       [("logistic", dict(chosen, solver="lbfgs",
                                          l2=L2_LBFGS, penalty="mixed", mu=x))
                        for x in a.cv_mixed or [LBFGS_MU]],
                       thresholds=(THRESHOLD,), alone=(THRESHOLD_ALONE,))
        return 0
    if a.cv and a.cv_variants:
        cv_variants(a.cv, dev, dev_ex, nr_ex, ex_docs, ex_dev, more)
        return 0
    if a.cv:
        cross_validate(a.cv, a.cv_by, dev, dev_ex, nr_ex, ex_docs, ex_dev,
                       more)
        return 0
    docs = assemble(DATA, dev, ex_docs, more,
                    all_features(more, dev_ex, ex_docs), codes=CODES)
    if not BIGRAMS:
        docs = [([f for f in d[0] if b"+" not in f],) + d[1:]
                for d in docs]
    m = chosen_model(docs)
    import io
    buf = io.StringIO()
    m.write(buf)
    text = buf.getvalue()
    if a.check:
        with open(a.check, encoding="utf-8", errors="surrogateescape") as f:
            why = stale(f.read(), text)
            if why:
                print("%s is stale: retrain with rules/tools/train_words.py "
                      "(rule examples or development rows changed): %s"
                      % (a.check, why), file=sys.stderr)
                return 1
        print("%s: up to date (%d features, %d classes)"
              % (a.check, len(m.vocab), len(m.classes)))
        return 0
    path = a.out or os.path.join(a.rules, "words.model")
    with open(path, "w", encoding="utf-8", errors="surrogateescape") as f:
        f.write(text)
    print("%s: %d features, %d classes, %d training replies"
          % (path, len(m.vocab), len(m.classes), len(docs)), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
