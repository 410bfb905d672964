#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Check /posture in a real headless browser (tests/posture/page.sh).

page.py DECISIONS.json POSTURE.json DOM.html SHOT.png METRICS.txt

The scopes paused and throttled must be the same in the decision stream
(the last decision of each scope), in /posture.json, in the DOM Chromium
rendered from /posture, and in /metrics; the screenshot must show the
rows' colours (content, not a pixel comparison). Standard library only.
"""
import json
import struct
import sys
import zlib
from html.parser import HTMLParser


def fail(msg):
    print("posture page: " + msg)
    sys.exit(1)


def from_stream(path):
    last = {}
    for line in open(path):
        d = json.loads(line)
        last[d["scope"]] = d["posture"]
    return {p: {s for s, q in last.items() if q == p} for p in ("pause", "throttle")}


class Rows(HTMLParser):
    def __init__(self):
        super().__init__()
        self.rows = []  # (class, [cells])
        self.cur = None
        self.cell = None
        self.ids = {}
        self.in_id = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr":
            self.cur = (a.get("class", ""), [])
        elif tag == "td" and self.cur is not None:
            self.cell = ""
        if "id" in a:
            self.in_id = a["id"]
            self.ids[a["id"]] = ""

    def handle_endtag(self, tag):
        if tag == "td" and self.cur is not None and self.cell is not None:
            self.cur[1].append(self.cell)
            self.cell = None
        elif tag == "tr" and self.cur is not None:
            self.rows.append(self.cur)
            self.cur = None
        if self.in_id is not None and tag in ("b", "p", "table"):
            self.in_id = None

    def handle_data(self, data):
        if self.cell is not None:
            self.cell += data
        if self.in_id is not None:
            self.ids[self.in_id] += data


def png_pixels(path):
    """RGB(A) 8-bit non-interlaced PNG -> (width, height, channels, rows)."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        fail(f"{path} is not a PNG")
    pos, idat, w = 8, b"", None
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            w, h, depth, ctype, _, _, inter = struct.unpack(">IIBBBBB", body)
            if depth != 8 or ctype not in (2, 6) or inter:
                fail(f"unexpected PNG format depth={depth} type={ctype}")
            ch = 3 if ctype == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw = zlib.decompress(idat)
    stride = w * ch
    rows, prev, i = [], bytearray(stride), 0
    for _ in range(h):
        f = raw[i]
        line = bytearray(raw[i + 1:i + 1 + stride])
        i += 1 + stride
        for x in range(stride):
            a = line[x - ch] if x >= ch else 0
            b = prev[x]
            c = prev[x - ch] if x >= ch else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pr = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[x] = (line[x] + pr) & 255
        rows.append(bytes(line))
        prev = line
    return w, h, ch, rows


def count_colour(png, rgb):
    w, h, ch, rows = png
    n = 0
    for r in rows:
        for x in range(0, w * ch, ch):
            if abs(r[x] - rgb[0]) <= 2 and abs(r[x + 1] - rgb[1]) <= 2 and abs(r[x + 2] - rgb[2]) <= 2:
                n += 1
    return n


def main():
    stream, pj, dom, shot, metrics = sys.argv[1:6]
    want = from_stream(stream)
    if not want["pause"] or not want["throttle"]:
        fail("the fixture gives no pause or no throttle; nothing to look at")
    doc = json.load(open(pj))
    got_json = {p: {d["scope"] for d in doc["scopes"] if d["posture"] == p} for p in ("pause", "throttle")}
    if got_json != want:
        fail(f"/posture.json differs from the decision stream: {got_json} vs {want}")
    if doc["paused"] != len(want["pause"]) or doc["throttled"] != len(want["throttle"]):
        fail("/posture.json counts differ from its rows")
    parser = Rows()
    parser.feed(open(dom).read())
    got_dom = {p: {cells[1] for cls, cells in parser.rows if cls == p} for p in ("pause", "throttle")}
    if got_dom != want:
        fail(f"the rendered page differs: {got_dom} vs {want}")
    for cls, cells in parser.rows:
        if cls in ("pause", "throttle") and (cells[0] != cls or " of " not in cells[4] or "Z" not in cells[5]):
            fail(f"row without evidence or since: {cells}")
    if parser.ids.get("paused", "").strip() != str(len(want["pause"])):
        fail(f"summary says {parser.ids.get('paused')!r} paused, want {len(want['pause'])}")
    m = open(metrics).read()
    for p in ("pause", "throttle"):
        line = f'replyscan_posture_scopes{{posture="{p}"}} {len(want[p])}'
        if line not in m.splitlines():
            fail(f"/metrics lacks '{line}'")
    png = png_pixels(shot)
    red = count_colour(png, (0xF4, 0xB4, 0xB4))
    amber = count_colour(png, (0xF6, 0xDC, 0x9A))
    if red < 100 or amber < 100:
        fail(f"screenshot shows {red} pause and {amber} throttle pixels")
    print(f"posture page: {len(want['pause'])} paused, {len(want['throttle'])} throttled "
          f"in stream, JSON, rendered DOM and metrics; screenshot {png[0]}x{png[1]} with "
          f"{red} pause and {amber} throttle pixels")


main()
