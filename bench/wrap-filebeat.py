#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""wrap-filebeat.py - every line of a log as a Filebeat 8 filestream event
(one JSON object a line, the line in "message"), to measure and check the
reading of log shippers' envelopes (README, "Lines in a log shipper's JSON
object"):

    bench/wrap-filebeat.py IN OUT

The object's @timestamp is fixed (2026-12-07T05:00:00Z), so RFC 3164
stamps take the year a plain read gives them in December 2026.
"""
import json
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit("usage: bench/wrap-filebeat.py IN OUT")
    off = 0
    with open(sys.argv[1], "rb") as f, open(sys.argv[2], "w") as out:
        for raw in f:
            line = raw.rstrip(b"\n").decode("utf-8", "surrogateescape")
            obj = {
                "@timestamp": "2026-12-07T05:00:00.000Z",
                "@metadata": {"beat": "filebeat", "type": "_doc",
                              "version": "8.11.0"},
                "log": {"offset": off,
                        "file": {"path": "/var/log/mail.log"}},
                "message": line,
                "input": {"type": "filestream"},
                "host": {"name": "mx1.example.net"},
                "agent": {"type": "filebeat", "version": "8.11.0",
                          "ephemeral_id":
                          "5d1c7a9e-3b0f-4e0a-9d6c-2f1a8b7c6d5e",
                          "id": "0b6f4a1e-8c2d-4f3b-9a7e-1c5d3e2f4a6b",
                          "name": "mx1"},
                "ecs": {"version": "8.0.0"},
            }
            out.write(json.dumps(obj, separators=(",", ":"),
                                 ensure_ascii=False) + "\n")
            off += len(raw)


if __name__ == "__main__":
    main()
