#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Benchmark `replyscan posture` (issue 13): offline events/s on one core,
the cost of the denominators, and the memory of 1M active scopes.

    python3 bench/posture.py [--build build] [--lines 1000000] [--seed 1] [--runs 5]

1. The bench corpus (gen_corpus.py, the same default corpus as bench/run)
   through `classify --all --format pb`, `classify --rollup --format pb`
   and `classify --format pb`.
2. Denominators: the delivered events `--all` adds, and the rollup events
   `--rollup` adds instead, in bytes per second of the corpus's log time;
   and the postures `posture` gives from each.
3. Speed: `posture --format pb FILE > /dev/null` pinned to one core
   (taskset -c 0), the events file in the page cache; wall time of the
   whole process, best and median of --runs.
4. Memory: 999,999 active scopes (199,999 sending IPs x 4 sites, with
   their ip, site and fleet scopes) from a generated event stream; the
   peak RSS of the process against the scopes x bytes-per-scope figure.
Standard library only; writes into /tmp/rs-bench-posture.
"""
import argparse
import os
import re
import shutil
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = "/tmp/rs-bench-posture"


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def field_str(num, s):
    b = s.encode()
    return varint(num << 3 | 2) + varint(len(b)) + b


def field_int(num, v):
    return varint(num << 3) + varint(v)


def read_events(path):
    """(log_time_unix_ms, status, sending side, recipient domain) of every
    message of a delimited DeferralEvent stream."""
    data = open(path, "rb").read()
    pos, out = 0, []

    def rv(p):
        x = s = 0
        while True:
            b = data[p]
            p += 1
            x |= (b & 0x7F) << s
            s += 7
            if b < 0x80:
                return x, p

    while pos < len(data):
        n, pos = rv(pos)
        end, p = pos + n, pos
        t = st = 0
        strs = {}
        while p < end:
            key, p = rv(p)
            wt, num = key & 7, key >> 3
            if wt == 0:
                v, p = rv(p)
                if num == 2:
                    t = v
                elif num == 8:
                    st = v
            elif wt == 2:
                ln, p = rv(p)
                if num in (4, 10, 30, 31, 32):
                    strs[num] = data[p:p + ln]
                p += ln
            elif wt == 1:
                p += 8
            elif wt == 5:
                p += 4
        sending = next((strs[k] for k in (30, 31, 32, 4) if strs.get(k)), b"")
        out.append((t, st, sending, strs.get(10, b"")))
        pos = end
    return out


def run_posture(rs, args, pin=True):
    cmd = ([shutil.which("taskset"), "-c", "0"] if pin and shutil.which("taskset") else []) + \
        ["/usr/bin/time", "-f", "maxrss_kb=%M", rs, "posture"] + args
    t0 = time.perf_counter()
    p = subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    wall = time.perf_counter() - t0
    if p.returncode != 0:
        sys.exit("posture failed: " + p.stderr)
    ev = int(re.search(r"replyscan: (\d+) events", p.stderr).group(1))
    rss = int(re.search(r"maxrss_kb=(\d+)", p.stderr).group(1))
    return wall, ev, rss, p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--build", default="build")
    ap.add_argument("--lines", type=int, default=1000000)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--runs", type=int, default=5)
    a = ap.parse_args()
    rs = os.path.abspath(os.path.join(a.build, "replyscan"))
    os.makedirs(WORK, exist_ok=True)
    log = os.path.join(WORK, "corpus-%d-%d.log" % (a.lines, a.seed))
    if not os.path.exists(log):
        print("generating %d lines (seed %d)" % (a.lines, a.seed), flush=True)
        subprocess.run([sys.executable, os.path.join(HERE, "gen_corpus.py"), "--lines",
                        str(a.lines), "--seed", str(a.seed), "--out", log], check=True)
    allpb, failpb, rollpb = log + ".all.pb", log + ".fail.pb", log + ".rollup.pb"
    for out, extra in ((allpb, ["--all"]), (failpb, []), (rollpb, ["--rollup"])):
        with open(out, "wb") as f:
            subprocess.run([rs, "classify", "-q", "--format", "pb"] + extra + [log],
                           stdout=f, check=True)

    # Denominators.
    evs = read_events(allpb)
    times = [e[0] for e in evs]
    span = (max(times) - min(times)) / 1000.0
    n_all, n_fail = len(evs), len(read_events(failpb))
    extra = os.path.getsize(allpb) - os.path.getsize(failpb)
    delivered = n_all - n_fail
    print("denominators: --all adds %d delivered events, %d bytes (%.0f bytes each) over "
          "%.0f s of log time: %.1f KB/s on top of %.1f KB/s of failure events"
          % (delivered, extra, extra / max(delivered, 1), span, extra / span / 1000,
             os.path.getsize(failpb) / span / 1000))
    # The rollup: one event per sending side, domain, MX, MTA and minute
    # of each input batch, with aggregated_count.
    n_roll = len(read_events(rollpb)) - n_fail
    rextra = os.path.getsize(rollpb) - os.path.getsize(failpb)
    print("rollup: --rollup adds %d rollup events for the %d delivered lines (%.2f lines "
          "each), %d bytes (%.0f bytes each): %.1f KB/s, %.0f%% of --all's bytes"
          % (n_roll, delivered, delivered / max(n_roll, 1), rextra, rextra / max(n_roll, 1),
             rextra / span / 1000, 100.0 * rextra / extra))
    for name, path in (("--all", allpb), ("--rollup", rollpb)):
        err = run_posture(rs, ["--format", "pb", path], pin=False)[3]
        m = re.search(r"(\d+) paused, (\d+) throttled; (\d+) decisions", err)
        print("postures from %-8s %s paused, %s throttled, %s decisions" % ((name,) + m.groups()))

    # Speed.
    subprocess.run(["cat", allpb], stdout=subprocess.DEVNULL, check=True)  # page cache
    walls, rss = [], 0
    for _ in range(a.runs):
        w, ev, r, err = run_posture(rs, ["--format", "pb", allpb])
        walls.append(w)
        rss = max(rss, r)
    best, med = min(walls), statistics.median(walls)
    print("speed: %d events, one core: best %.3f s = %.2fM events/s, median %.3f s = %.2fM "
          "events/s (whole process, %d runs); peak RSS %.1f MB"
          % (ev, best, ev / best / 1e6, med, ev / med / 1e6, a.runs, rss / 1024))
    print("       " + err.strip().splitlines()[0])

    # Memory of ~1M active scopes.
    ips, sites = 199999, ["gmail.com", "outlook.com", "yahoo.com", "example.org"]
    mx = {"gmail.com": "gmail-smtp-in.l.google.com", "outlook.com":
          "outlook-com.olc.protection.outlook.com", "yahoo.com": "mta5.am0.yahoodns.net",
          "example.org": "mx.example.org"}
    scopes_pb = os.path.join(WORK, "scopes.pb")
    t0 = 1795759200000
    with open(scopes_pb, "wb") as f:
        k = 0
        for i in range(ips):
            ip = "10.%d.%d.%d" % (i >> 16, (i >> 8) & 255, i & 255)
            for d in sites:
                m = (field_int(2, t0 + k) + field_int(8, 4) + field_str(10, d) +
                     field_str(12, mx[d]) + field_str(30, ip))
                f.write(varint(len(m)) + m)
                k += 1
    base_rss = run_posture(rs, ["--format", "pb", failpb], pin=False)[2]
    w, ev, r, err = run_posture(rs, [scopes_pb], pin=False)
    active = int(re.search(r"(\d+) scopes active", err).group(1))
    per = int(re.search(r"(\d+) bytes per scope",
                        subprocess.run([rs, "posture", "--check-policy"], capture_output=True,
                                       text=True).stdout).group(1))
    print("memory: %d active scopes: peak RSS %.0f MB (%.0f bytes per scope over the %.0f MB "
          "of a small run); stated %d bytes per scope = %.0f MB"
          % (active, r / 1024, (r - base_rss) * 1024 / active, base_rss / 1024, per,
             active * per / 1e6))


main()
