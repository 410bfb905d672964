#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""threads.py - where the time of one replyscan run goes, thread by thread.

    bench/threads.py [--runs N] -- BINARY classify -q -t 2 -f pb FILE

Runs the command N times (default 3) under `perf record -a` with the
scheduler's switch, fork and exit tracepoints (root, or
perf_event_paranoid <= -1), and reports for the run of least total CPU
time, per thread: the CPU time it was on a core, the time it slept
(blocked on the ring's lock or condition variables, or on I/O) and the
time it was runnable but waited for a core. Threads are named by the
order replyscan starts them: the main thread (start-up, then the sink),
the threads of the start-up example check, then the source and the
workers (the last 1 + T threads started, T from -t).

Phases of the main thread's wall clock:
  start-up  exec to the source thread's start (rules loaded and checked);
  run       the source thread's start to the last worker's exit;
  tail      the last worker's exit to the process's exit (the sink's last
            writes, freeing, exit).

CPU times come from the switch events (ns resolution), not from sampling;
they hold on a shared machine as far as a thread's own work does not
change with the load (caches and frequency do change). Wall times are
indications only there.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

# The command name before "pid/tid" may hold spaces (a JVM's "G1 Young
# RemSet" thread): the patterns start at the pid/tid, not the line's start.
SWITCH = re.compile(
    r"\s(-?\d+)/(-?\d+)\s+\[(\d+)\]\s+([\d.]+):\s+sched:sched_switch:\s+"
    r"prev_comm=.* prev_pid=(\d+) prev_prio=-?\d+ prev_state=(\S+) ==> "
    r"next_comm=.* next_pid=(\d+) next_prio=-?\d+")
FORK = re.compile(
    r"\s(-?\d+)/(-?\d+)\s+\[\d+\]\s+([\d.]+):\s+sched:sched_process_fork:"
    r".* pid=(\d+) child_comm=.* child_pid=(\d+)")
EXIT = re.compile(
    r"\s(-?\d+)/(-?\d+)\s+\[\d+\]\s+([\d.]+):\s+sched:sched_process_exit:"
    r".* pid=(\d+)")


def threads_of(argv):
    for i, a in enumerate(argv):
        if a in ("-t", "--threads") and i + 1 < len(argv):
            return int(argv[i + 1])
        if a.startswith("-t") and a[2:].isdigit():
            return int(a[2:])
        if a.startswith("--threads="):
            return int(a.split("=", 1)[1])
    return 1


def one_run(cmd, work):
    data = os.path.join(work, "perf.data")
    with open(os.devnull, "wb") as null:
        subprocess.run(
            ["perf", "record", "-q", "-a", "-o", data,
             "-e", "sched:sched_switch", "-e", "sched:sched_process_fork",
             "-e", "sched:sched_process_exit", "--"] + cmd,
            stdout=null, check=True)
    out = subprocess.run(
        ["perf", "script", "-i", data, "-F",
         "comm,pid,tid,cpu,time,event,trace"],
        capture_output=True, text=True, check=True).stdout
    return out


def analyse(text, nthreads):
    events = []
    unread = 0
    for line in text.splitlines():
        m = SWITCH.search(line)
        if not m and "sched:sched_switch:" in line:
            unread += 1
        if m:
            events.append(("sw", float(m.group(4)), int(m.group(5)),
                           m.group(6), int(m.group(7)), int(m.group(3))))
            continue
        m = FORK.search(line)
        if m:
            events.append(("fork", float(m.group(3)), int(m.group(4)),
                           int(m.group(5))))
            continue
        m = EXIT.search(line)
        if m:
            events.append(("exit", float(m.group(3)), int(m.group(4))))
    if unread:
        print("threads.py: %d switch events not understood; CPU times "
              "are short" % unread, file=sys.stderr)
    # perf-exec's switch-in starts the command; its pid is the process.
    m = re.search(r"next_comm=perf-exec next_pid=(\d+)", text)
    if not m:
        sys.exit("threads.py: the command's start is not in the trace")
    root = int(m.group(1))
    tids = [root]
    forks = {}
    for e in events:
        if e[0] == "fork" and e[2] in tids:
            tids.append(e[3])
            forks[e[3]] = e[1]
    exits = {}
    for e in events:
        if e[0] == "exit" and e[2] in tids:
            exits[e[2]] = e[1]
    start = None
    on = {}
    cpu = {t: 0.0 for t in tids}
    sleep = {t: 0.0 for t in tids}
    ready = {t: 0.0 for t in tids}
    off = {}
    spans = []  # (tid, on, off): every time a thread held a core
    for e in events:
        if e[0] != "sw":
            continue
        _, ts, prev, state, nxt, _c = e
        if prev in cpu and prev in on:
            t0 = on.pop(prev)
            cpu[prev] += ts - t0
            spans.append((prev, t0, ts))
            off[prev] = (ts, state)
        if nxt in cpu:
            if start is None and nxt == root:
                start = ts
            on[nxt] = ts
            if nxt in off:
                t0, st = off.pop(nxt)
                if st.startswith("R"):
                    ready[nxt] += ts - t0
                else:
                    sleep[nxt] += ts - t0
            elif nxt in forks:
                ready[nxt] += ts - forks[nxt]
    for t, ts in on.items():  # still on a core at exit
        if t in exits:
            cpu[t] += exits[t] - ts
            spans.append((t, ts, exits[t]))
    end = max(exits.values())
    children = tids[1:]
    pipe = children[-(nthreads + 1):]
    names = {root: "main (start-up, sink)"}
    for i, t in enumerate(children[:-(nthreads + 1)]):
        names[t] = "start-up examples %d" % (i + 1)
    names[pipe[0]] = "source"
    for i, t in enumerate(pipe[1:]):
        names[t] = "worker %d" % (i + 1)
    src_start = forks[pipe[0]]
    last_worker = max(exits.get(t, end) for t in pipe[1:])
    # CPU of each phase, all threads together.
    bounds = [start, src_start, last_worker, end]
    phase_cpu = [0.0, 0.0, 0.0]
    for _t, a, b in spans:
        for k in range(3):
            lo, hi = max(a, bounds[k]), min(b, bounds[k + 1])
            if hi > lo:
                phase_cpu[k] += hi - lo
    return {
        "phase_cpu": phase_cpu,
        "tids": tids, "names": names, "cpu": cpu, "sleep": sleep,
        "ready": ready, "start": start, "end": end,
        "startup": src_start - start, "run": last_worker - src_start,
        "tail": end - last_worker,
    }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--lines", type=int, default=0,
                    help="lines of the input, for ns/line")
    ap.add_argument("cmd", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.cmd[1:] if a.cmd and a.cmd[0] == "--" else a.cmd
    if not cmd:
        ap.error("no command")
    n = threads_of(cmd)
    best = None
    with tempfile.TemporaryDirectory() as work:
        for _ in range(a.runs):
            r = analyse(one_run(cmd, work), n)
            tot = sum(r["cpu"].values())
            if best is None or tot < best[0]:
                best = (tot, r)
    tot, r = best
    per = (lambda s: " %8.0f" % (s * 1e9 / a.lines)) if a.lines else \
        (lambda s: "")
    print("%-24s %9s %9s %9s%s" % ("thread", "cpu ms", "sleep ms",
                                   "ready ms",
                                   " ns/line" if a.lines else ""))
    for t in r["tids"]:
        print("%-24s %9.1f %9.1f %9.1f%s" % (
            r["names"][t], r["cpu"][t] * 1e3, r["sleep"][t] * 1e3,
            r["ready"][t] * 1e3, per(r["cpu"][t])))
    print("%-24s %9.1f %29s%s" % ("total", tot * 1e3, "", per(tot)))
    print("wall %.1f ms: start-up %.1f, run %.1f, tail %.1f" % (
        (r["end"] - r["start"]) * 1e3, r["startup"] * 1e3,
        r["run"] * 1e3, r["tail"] * 1e3))
    print("cpu ms of all threads: start-up %.1f, run %.1f, tail %.1f" %
          tuple(c * 1e3 for c in r["phase_cpu"]))
    print("load average: %s" % open("/proc/loadavg").read().strip())


if __name__ == "__main__":
    main()
