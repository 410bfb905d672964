#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Build the seed corpora tests/fuzz/corpus/<surface>/ from tests/fixtures.

Small on purpose (a few KiB per seed): libFuzzer grows its own corpus; the
seeds only have to reach each format and each kind of input once. Run from
anywhere: python3 tests/fuzz/make_corpus.py BUILD_DIR (BUILD_DIR holds
build/replyscan, used to make protobuf events for the `events` seeds).
Rewrites the corpus folders; the regression folders are never touched.
"""
import gzip
import os
import shutil
import struct
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
FIX = os.path.join(ROOT, "tests", "fixtures")
OUT = os.path.join(ROOT, "tests", "fuzz", "corpus")
BUILD = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build")

# Format table order (formats/registry.c), as `classify --help` lists it.
FORMATS = ["auto", "kumomta", "exim", "postfix", "sendmail", "pmta",
           "opensmtpd", "haraka", "qmail", "reply"]

# One or more fixture files per format (the first lines of each).
FORMAT_FILES = {
    "auto": ["sample/mixed.log"],
    "kumomta": ["kumomta/responses.jsonl", "kumomta/constructed.jsonl"],
    "exim": ["exim/exim-2012.log", "exim/syslog.log", "exim/selectors.log",
             "exim/public.log"],
    "postfix": ["postfix/kumina.log", "postfix/grok-msgonly.log",
                "multiline/postfix.log", "postfix/forums.log"],
    "sendmail": ["sendmail/sendmail.log", "sendmail/forums.log"],
    "pmta": ["pmta/v4-default-fields.csv", "pmta/header-multitype.csv",
             "pmta/headerless.csv"],
    "opensmtpd": ["opensmtpd/relay-2013.log", "opensmtpd/syslog-2019.log",
                  "opensmtpd/bare.log"],
    "haraka": ["haraka/default.log", "haraka/json.log", "haraka/logfmt.log"],
    "qmail": ["qmail/tai64n-doc.log", "qmail/unixtime-2003.log",
              "qmail/bare.log"],
    "reply": ["reply/postfix-msgonly.log"],
}


def lines(rel, n):
    with open(os.path.join(FIX, rel), "rb") as f:
        return f.read().split(b"\n")[:n]


def reset(surface):
    d = os.path.join(OUT, surface)
    shutil.rmtree(d, ignore_errors=True)
    os.makedirs(d)
    return d


def put(d, name, data):
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def replies(n):
    out = []
    with open(os.path.join(FIX, "replies", "dev.tsv"), "rb") as f:
        for row in f.read().split(b"\n")[1:]:
            if row:
                out.append(row.split(b"\t")[0])
    step = max(1, len(out) // n)
    return out[::step][:n]


def main():
    # reader: byte 0 max_line, byte 1 batch size, then the file.
    d = reset("reader")
    text = b"\n".join(lines("sample/mixed.log", 30)) + b"\n"
    put(d, "plain", b"\x3f\x10" + text)
    put(d, "plain-small-lines", b"\x02\x01" + text)
    put(d, "crlf-no-final-newline", b"\x3f\x40" + text.replace(b"\n", b"\r\n")[:-2])
    put(d, "gzip", b"\x3f\x10" + gzip.compress(text, mtime=0))
    put(d, "gzip-cut", b"\x3f\x10" + gzip.compress(text, mtime=0)[:200])
    zst = subprocess.run(["zstd", "-q", "-c"], input=text,
                         stdout=subprocess.PIPE, check=True).stdout
    put(d, "zstd", b"\x3f\x10" + zst)
    put(d, "zstd-cut", b"\x3f\x10" + zst[:150])

    # syslog: one line each.
    d = reset("syslog")
    for i, rel in enumerate(["postfix/kumina.log", "exim/syslog.log",
                             "opensmtpd/syslog-2019.log", "haraka/syslog.log",
                             "sendmail/sendmail.log"]):
        put(d, "line%d" % i, lines(rel, 1)[0])
    put(d, "iso", b"2024-03-01T10:11:12.345+02:00 mx1 postfix/smtp[12]: x")
    put(d, "unpadded-day", b"Dec 3 09:35:43 localhost postfix/smtp[11319]: x")

    # parse: byte 0 the format index, then lines of that format.
    d = reset("parse")
    for name, files in FORMAT_FILES.items():
        idx = FORMATS.index(name)
        for k, rel in enumerate(files):
            body = b"\n".join(lines(rel, 12))
            put(d, "%s-%d" % (name, k), bytes([idx]) + body)
    # Log shippers' JSON envelopes (formats/envelope.c), under auto and
    # under the formats of their payloads.
    env = lines("envelopes/shippers.jsonl", 13)
    for name in ("auto", "postfix", "exim", "sendmail"):
        put(d, "envelope-%s" % name, bytes([FORMATS.index(name)]) + b"\n".join(env))
    put(d, "envelope-edges", bytes([FORMATS.index("auto")]) + b"\n".join([
        b'{"message":"x"}', b'{"MESSAGE":[65,66,10]}', b'{"log":"a\\n"}',
        b'{"ident":"postfix/smtp","pid":7,"host":"h","time":1796599801123,'
        b'"message":" 4F: to=<a@b>, status=deferred (x)"}',
        b'{"log":{"syslog":{"appname":"sendmail"}},"message":"q"}',
        b'{"type":"Bounce","response":{}}', b'{"level":"INFO","message":"m"}',
        b'{"message":"\\u00e9\\ud83d\\ude00"}', b'{"foo":1}', b'{']))
    # The stateful formats' lines in envelopes: the prescan unwraps them
    # (a PowerMTA header in a non-default order, qmail start + result).
    fb = b'{"@timestamp":"2026-12-06T10:00:00Z","log":{"offset":1},"message":"%s"}'
    pmta = [fb % m for m in (b"type,dsnDiag,rcpt,vmta",
                             b"b,smtp;550 5.1.1 no,u@x.example,v1",
                             b"b,\\\"smtp;550 a\\nb\\\",u@x.example,v1")]
    qmail = [fb % m for m in (
        b"Jun 10 20:42:51 h qmail: 1591785771.1 starting delivery 3: msg 7 to remote u@x",
        b"Jun 10 20:43:36 h qmail: 1591785816.2 delivery 3: success: ok/")] + [
        b'{"__REALTIME_TIMESTAMP":"1591785900000000","_HOSTNAME":"h",'
        b'"SYSLOG_IDENTIFIER":"qmail","MESSAGE":"starting delivery 4: msg 8 to local v@x"}',
        b'{"__REALTIME_TIMESTAMP":"1591785901000000","_HOSTNAME":"h",'
        b'"SYSLOG_IDENTIFIER":"qmail","MESSAGE":"delivery 4: failure: no_mailbox/"}']
    for name, body in (("pmta", pmta), ("qmail", qmail)):
        for fmt in ("auto", name):
            put(d, "envelope-%s-%s" % (name, fmt), bytes([FORMATS.index(fmt)]) + b"\n".join(body))

    # normalise: byte 0 < 128 gives the full room.
    d = reset("normalise")
    for i, r in enumerate(replies(24)):
        put(d, "reply%02d" % i, b"\x00" + r)
    put(d, "multiline-postfix", b"\x00550-5.7.1 blocked 550-5.7.1 because 550 5.7.1 x")
    put(d, "multiline-exim", b"\x00452-4.2.2 over quota.\\n452 4.2.2 https://x")
    put(d, "short-room", b"\x85550 5.7.1,")

    # classify: code (2 bytes), stage, enhanced \0 mx \0 text.
    d = reset("classify")
    for i, r in enumerate(replies(32)):
        code = int(r[:3]) if r[:3].isdigit() else 0
        enh = b""
        parts = r.split(b" ")
        if len(parts) > 1 and parts[1][:1].isdigit() and parts[1].count(b".") == 2:
            enh = parts[1]
        put(d, "reply%02d" % i, struct.pack(">H", code) + bytes([i % 12]) +
            enh + b"\0mx%d.example.net\0" % i + r)
    put(d, "google", struct.pack(">H", 421) + b"\x07" + b"4.7.28\0aspmx.l.google.com\0"
        b"421-4.7.28 Gmail has detected an unusual rate of unsolicited mail")

    # event: status, stage, mta, code (2), flags, then NUL-separated strings.
    d = reset("event")
    strs = [b"Mar  1 10:11:12", b"mx1", b"postfix/smtp", b"4A1B2C", b"a@Example.COM",
            b"Example.COM", b"s@example.org", b"mx.example.com", b"192.0.2.1",
            b"4.7.1", b"421 4.7.1 try later", b"198.51.100.7", b"pool-a", b"vmta1",
            b"job9", b"tenant", b"camp", b"pmta:policy-related", b"/var/log/mail.log"]
    put(d, "full", bytes([1, 8, 1]) + struct.pack(">H", 421) + b"\x00" + b"\0".join(strs))
    delays = struct.pack("<5d", 1.5, 0.01, 0.2, 0.3, 1e3)
    put(d, "delays", bytes([2, 7, 2]) + struct.pack(">H", 550) + b"\x01" + delays +
        b"\0".join(strs))
    bad = list(strs)
    bad[10] = b"550 caf\xc3\xa9 \xff\xfe bad \x7f"
    bad[-1] = b"/var/log/\xffmail.log"
    put(d, "invalid-utf8", bytes([1, 1, 3]) + struct.pack(">H", 550) + b"\x00" + b"\0".join(bad))

    # events: bare DeferralEvent messages from `classify --format pb`.
    d = reset("events")
    exe = os.path.join(BUILD, "replyscan")
    src = os.path.join(FIX, "sample", "mixed.log")
    pb = subprocess.run([exe, "classify", "--quiet", "--format", "pb",
                         "--rules", os.path.join(ROOT, "rules"),
                         src], stdout=subprocess.PIPE, check=True).stdout
    pos = n = 0
    while pos < len(pb) and n < 16:
        size = shift = 0
        while True:
            b = pb[pos]
            pos += 1
            size |= (b & 0x7f) << shift
            shift += 7
            if b < 0x80:
                break
        put(d, "event%02d" % n, pb[pos:pos + size])
        pos += size
        n += 1

    # rules: a rule file, then \0 and a providers.yaml.
    d = reset("rules")
    prov = open(os.path.join(ROOT, "rules", "providers.yaml"), "rb").read()
    for name in ["05-stages.yaml", "10-network.yaml", "62-providers-yahoo.yaml"]:
        body = open(os.path.join(ROOT, "rules", name), "rb").read()
        # Whole rules only: cut before a rule that starts past 6000 bytes.
        cut = body.find(b"\n  - id:", 6000)
        put(d, name, (body if cut < 0 else body[:cut + 1]) + b"\0" + prov)
    bad_dir = os.path.join(FIX, "rules-bad")
    for case in sorted(os.listdir(bad_dir)):
        p = os.path.join(bad_dir, case)
        if not os.path.isdir(p):
            continue
        files = sorted(os.listdir(p))
        rules = [f for f in files if f != "providers.yaml"]
        data = open(os.path.join(p, rules[0]), "rb").read() if rules else b""
        if "providers.yaml" in files:
            data += b"\0" + open(os.path.join(p, "providers.yaml"), "rb").read()
        put(d, "bad-" + case, data)

    # words: a word model file, then \0 and a reply text.
    d = reset("words")
    model = open(os.path.join(ROOT, "rules", "words.model"), "rb").read()
    head = b"".join(model.splitlines(True)[:60])
    put(d, "bundled-head", head + b"\0" + b"550 5.1.1 mailbox unavailable")
    small = (b"replyscan-words 1\nalpha 1\nthreshold 0.9\nthreshold_alone 0.5\n"
             b"class mailbox_full 1\nclass user_unknown 2\nword full 0:3\n"
             b"word mailbox 0:1 1:1\nword unknown 1:3\nword not+allowed 1:1\n")
    put(d, "small", small + b"\0" + b"452 4.2.2 [TSS04] Mailbox FULL not allowed")
    norm = (b"replyscan-words 2\nthreshold 0.3\nthreshold_alone 0.05\n"
            b"normalise url email ip host id\nclass blocklist 1 0\n"
            b"class user_unknown 1 0\nword xxhost 0:1\nword xxip+blocked 0:2\n"
            b"word xxemail 1:1\nword xxid 1:0.5\n")
    put(d, "normalise", norm + b"\0" + b"550 5.7.1 [192.0.2.1:25] blocked by "
        b"zen.spamhaus.org. see https://x.example/q?ip=1 <u@example.com> "
        b"id a1b2c3 e.g. Node.js www.example.org/x mx..a.com")
    put(d, "bad-header", b"replyscan-words 2\n")
    put(d, "bad-class", small.replace(b"class user_unknown 2", b"class nope 2"))

    # config: a YAML file, then \0 and KEY=VALUE pairs.
    d = reset("config")
    cdir = os.path.join(FIX, "config")
    for name in sorted(os.listdir(cdir)):
        if name.endswith(".yaml"):
            put(d, name, open(os.path.join(cdir, name), "rb").read())
    put(d, "set", b"\0pipeline.threads=2\0kafka.consumer.fetch.max.bytes=1048576"
        b"\0kafka.producer.sasl.password=x\0output.format=json\0pipeline.max_line=64KiB")

    # cmdline: byte 0 bit 0 run (1) or classify (0), then NUL-separated args.
    d = reset("cmdline")
    vecs = [
        (0, [b"--input-format", b"postfix", b"--all", b"--format", b"json", b"x.log"]),
        (0, [b"-i", b"exim", b"--max-line", b"64KiB", b"--top", b"5", b"-q", b"a", b"b"]),
        (0, [b"--set", b"pipeline.threads=3", b"--print-config"]),
        (1, [b"--brokers", b"127.0.0.1:9092", b"-i", b"logs", b"-o", b"events",
             b"--dead-letter", b"dl", b"--threads", b"2"]),
        (1, [b"--dead-letter=a", b"--dead-letter=b", b"--dead-letter=c", b"--dead-letter=d"]),
        (1, [b"--config", b"missing.yaml", b"--help"]),
        (1, [b"--config-reference"]),
    ]
    for i, (cmd, args) in enumerate(vecs):
        put(d, "argv%d" % i, bytes([cmd]) + b"\0".join(args))


if __name__ == "__main__":
    main()
