#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""variants.py - does a verdict hold when the same reply comes in other clothes?

For every row of the development parts (tests/fixtures/replies/dev*.tsv) and
the probe sets (probe-r*.tsv) - never a held-back part - this makes variants
that carry no cause information, classifies the original and every variant
with `replyscan explain --json -` (one process per file, every text on one
line of its stdin; `explain` and `eval` classify through the same
rs_paste_classify path), and reports every row whose CLASS changes under a
variant, grouped by variant kind and by the deciding step (rule id, or the
code/stage/word basis) before -> after.  Labels are not read for the verdict:
a flip is a change against the row's own unvaried verdict, right or wrong.

Variant kinds, and why none of them carries cause information:

a. Variable parts swapped for others of the same shape.  A reply's IP
   addresses, mailbox addresses, host names, IDs, counts, URL paths and dates
   identify one message, one sender or one moment; the same receiver gives
   the same refusal with any of them.  Names a rule keys on are kept:
   a domain whose registrable part (last two labels, three under a short
   second level such as co.uk) occurs in a rule's patterns or in
   providers.yaml, or whose name ("gmail", "spamhaus") or a label before it
   ("cbl" of cbl.abuseat.org) occurs there as a word; an address or token
   that occurs in a pattern (delist@messaging.microsoft.com); codes of
   letters then digits (AS77712344, S3140), which name causes; 127.0.0.x
   (DNSBL return codes name the list's reason).  Examples, sources and
   comments of the rules are not read, so example.com is swapped.  Kinds:
     a-ipv4, a-ipv6   another documentation address (RFC 5737 / RFC 3849);
     a-email          another local part and, unless kept, another domain;
     a-host           host and domain names (not kept) -> other names with the
                      same number of labels;
     a-id             queue, tracking and session IDs (>= 10 letters and
                      digits in at least three runs, "E0F98106C46") -> the
                      same character classes, other characters;
     a-count          a number before a unit of count or time (seconds,
                      minutes, messages, recipients, connections, bytes ...)
                      -> another number;
     a-url            digits in a URL's path and query -> other digits, and
                      the URL's host as a-host;
     a-date           dates and times (ISO, RFC 5322, syslog) -> others.
b. Wrappers that sending MTAs and bounce writers put around a remote reply,
   as they write them; only for rows that start with a reply code (a remote
   reply).  A wrapper that names a command uses the row's own stage; a row
   with no stage gets only the wrappers that name none.  Flips where the
   wrapped verdict was decided by the code's class and the (now logged)
   stage are counted apart (kind "b-*-stage"): the stage is information the
   bare row lacked, so such a flip may be legitimate.
     b-postfix   Postfix smtp(8): "host %s said: %s (in reply to %s)", with
                 xfer_request "MAIL FROM command", "RCPT TO command", "DATA
                 command", "end of DATA command" (vdukhovni/postfix
                 postfix/src/smtp/smtp_proto.c at
                 4a25a6b519d57a762089f505f48e07a53bf2eaed), and "host %s
                 refused to talk to me: %s" for the greeting;
     b-postfix-log  the whole Postfix smtp(8) delivery line, read by the
                 Postfix log parser: "QID: to=<a>, relay=host[ip]:25, delay=,
                 delays=, dsn=X.Y.Z, status=bounced|deferred (host ... said:
                 ... (in reply to ... command))" (postfix src/global/log_adhoc.c
                 writes to=, relay=, delay=, delays=, dsn=, status=:
                 vdukhovni/postfix postfix/src/global/log_adhoc.c at
                 1faaf294ea3a8cc4c74a47b4cac5bc30e3815fb2; lines of
                 tests/fixtures/postfix/ in this repository);
     b-exim      Exim's mainlog delivery line: "** addr R=dnslookup
                 T=remote_smtp H=host [ip]: SMTP error from remote mail server
                 after RCPT TO:<addr>: TEXT" ("==" and "defer (-44)" for a 4xx)
                 (as Exim's own test suite logs it: tests/fixtures/exim/
                 exim-testsuite.log line 43 in this repository);
     b-exim-bounce  Exim's bounce message, its lines joined: "host H [ip]
                 SMTP error from remote mail server after CMD: TEXT" (an Exim
                 bounce writes "host H [ip]", "SMTP error from remote mail
                 server after CMD:" and the reply on lines of their own;
                 dev-r14.tsv line 24 is one such bounce quoted on the
                 linux-mm list, its lines joined);
     b-sendmail-log  sendmail's deferral line, 4xx rows only (sendmail puts
                 the remote reply in stat= only when it defers): "QID:
                 to=<a>, delay=, xdelay=, mailer=esmtp, pri=, relay=host.
                 [ip], dsn=X.Y.Z, stat=Deferred: TEXT" (tests/fixtures/
                 sendmail/ in this repository);
     b-dsn       RFC 3464 section 2.3.6: "Diagnostic-Code: smtp; TEXT" (real
                 ones in dev-r10.tsv line 46 and dev-r12.tsv line 29);
     b-exchange  Exchange's NDR: "Remote Server returned 'TEXT'" (real ones
                 in dev-r12.tsv lines 28, 81, 100: gitlab.com/stavros/
                 Spamnesty work item 183, pastebin.com/BkSdGH0x,
                 pastebin.com/ZkW4nRAU);
     b-gmail     Gmail's bounce: "The response from the remote server was:
                 TEXT" (dev-r8.tsv line 206, github.com/tiddlyhost/
                 tiddlyhost-com/issues/213).
   variants34 adds, each as the writing program writes it around a remote
   reply (lines of a multi-line bounce joined with a space):
     b-qmail     qmail-remote's report as qmail-send's bounce quotes it:
                 "IP does not like recipient. Remote host said: TEXT Giving
                 up on IP." (RCPT), "Connected to IP but sender was rejected.
                 Remote host said: TEXT" (MAIL), "IP failed after I sent the
                 message. Remote host said: TEXT" (end of DATA), "Remote host
                 said: TEXT" alone for a row with no stage (notqmail/notqmail
                 qmail-remote.c at d15ee51c9ddb9d233ad5ebc28fddf1de8378657d:
                 outsmtptext() writes "Remote host said: ", the RCPT loop
                 " does not like recipient.\n", quit("DConnected to "," but
                 sender was rejected"), quit("D"," failed after I sent the
                 message"), quit("DGiving up on ",""));
     b-exim-host Exim before 4.7x logged and bounced the host after the
                 command: "SMTP error from remote mail server after RCPT
                 TO:<a>: host H [ip]: TEXT" (tests/fixtures/exim/
                 exim-2012.log in this repository);
     b-sendmail-transcript  sendmail's DSN body: "----- Transcript of
                 session follows ----- ... while talking to H.: >>> CMD
                 <<< TEXT" (usersmtp.c echoes the command with ">>> " and a
                 4xx/5xx answer with "<<< " into the transcript; a real one in
                 dev-r8.tsv line 151, crisp-oss/email-bounce-parser fixture);
     b-postfix-bounce  Postfix's bounce body: "<a>: host H[ip] said: TEXT
                 (in reply to C command)" (bounce_notify_util.c writes the
                 recipient, then the dsn text of smtp_proto.c above);
     b-exchange-hash  Exchange 2007's NDR line "a #TEXT ##" (dev-r12.tsv
                 line 97, pastebin.com/zeZFJvKs);
     b-hmail     hMailServer's bounce: "Error Type: SMTP Remote server (IP)
                 issued an error. hMailServer sent: CMD Remote server
                 replied: TEXT" (hmailserver/hmailserver hmailserver/source/
                 Server/SMTP/SMTPClientConnection.cpp at
                 5ab27443aee313e5f8f4f5faf358e6c66e1d17ca);
     b-ses, b-sendgrid, b-mailgun, b-postmark, b-sparkpost  the JSON field
                 of an ESP's bounce event that carries the reply, the event
                 as one line: Amazon SES bounce notification
                 bouncedRecipients[].diagnosticCode "smtp; TEXT"
                 (docs.aws.amazon.com/ses/latest/dg/notification-contents.html);
                 SendGrid event webhook "reason" (docs.sendgrid.com/for-
                 developers/tracking-events/event); Mailgun "delivery-status"
                 {"code", "message"} (documentation.mailgun.com, events);
                 Postmark bounce webhook "Details" "smtp;TEXT"
                 (postmarkapp.com/developer/webhooks/bounce-webhook);
                 SparkPost bounce event "raw_reason" (developers.sparkpost.com
                 /api/events); JSON escapes applied;
     b-thunderbird  "An error occurred while sending mail. The mail server
                 responded: TEXT. Please check the message recipient A and
                 try again." (RCPT), TEXT the reply after its basic code, as
                 the client shows it; only for rows with an enhanced code,
                 which keeps the class digit (the Mozilla mail client's
                 MK_ERROR_SENDING_RCPT_COMMAND resource "An error occurred
                 while sending mail. The mail server responded: %s Please
                 check the message recipients and try again.", public code
                 index file id 354000710; the recipient-naming form and the
                 code-less reply as users paste it: "The mail server
                 responded: 5.1.2 The recipient address <...> is not a valid
                 RFC-5321 address. ... Please check the message recipient
                 ... and try again." on qemu-devel, code index file id
                 27925489318, and a Thunderbird user's "The mail server
                 responded: 5.1.1 Recipient address rejected ...", id
                 56831753904);
     b-smtplib   Python's SMTPRecipientsRefused as a traceback prints it:
                 "smtplib.SMTPRecipientsRefused: {'A': (CODE, b'REST')}"
                 (RCPT; python/cpython Lib/smtplib.py at
                 37bfecd2bc71961cbb30b28af3982159ca04601c: senderrs[each] =
                 (code, resp), resp the bytes after the code);
     b-nodemailer  "Can't send mail - all recipients were rejected: TEXT"
                 (RCPT; nodemailer/nodemailer lib/smtp-connection/index.js at
                 75a1504e10f20156ef2cecefc27e47e588ab2c80);
     b-javamail  "com.sun.mail.smtp.SMTPAddressFailedException: TEXT" (RCPT;
                 JavaMail's SMTPTransport throws it with the server's
                 response as its message).
   variants35 adds:
     b-exchange-diag  Exchange / Office 365's NDR block for administrators,
                 its lines joined: "Diagnostic information for
                 administrators: Generating server: H A Remote Server
                 returned 'TEXT' Original message headers:" (Microsoft's
                 support article on 5.7.133 RESOLVER.RST.SenderNotAuthent-
                 icatedForGroup, MicrosoftDocs/SupportArticles-docs, code
                 index file id 56699105176; the same block in Microsoft's
                 KB 3076419 article, "Remote Server returned '550 5.2.0
                 RESOLVER.ADR.BadPrimary; ...'", code index file id
                 3987476016).
     b-phpmailer  PHPMailer's ErrorInfo when the server refuses the
                 message at the end of DATA: "SMTP Error: data not
                 accepted. SMTP server error: DATA END command failed
                 Detail: DETAIL SMTP code: CODE Additional SMTP info:
                 X.Y.Z", DETAIL the reply with SMTP::sendCommand's cut of
                 "CODE " and a "d.d.d{1,2} " code from each line (the last
                 part only when such a code was cut); end of DATA rows
                 only (PHPMailer/PHPMailer at
                 4a489474e7ef8bbf03c1cb219d8939ea76a7fb40: src/SMTP.php
                 sendCommand and data()'s 'DATA END', src/PHPMailer.php
                 smtpSend's data_not_accepted, setError and the
                 smtp_error, smtp_detail, smtp_code, smtp_code_ex strings).
                 Its refused-recipient text ("SMTP Error: The following
                 recipients failed: A: DETAIL") keeps no code (quit()'s
                 QUIT clears the SMTP error first) and is not made.
c. Multi-line replies folded as MTAs log them: the text (after its codes)
   cut at word boundaries into two or three lines, each with the code
   repeated ("550-5.7.1 first 550 5.7.1 rest" as Postfix logs it, Postfix
   translating each newline to a space; "550-5.7.1 first\\n550 5.7.1 rest"
   with a literal backslash-n as Exim logs it; tests/fixtures/multiline/
   postfix.log and tests/fixtures/exim/public.log hold real ones).  A server chooses its line breaks; the cause is the same.
   Only for rows that start with a basic code and are not folded already.
     c-postfix, c-exim
d. Spacing and punctuation that no writer gives meaning to:
     d-space   every space doubled;
     d-period  a trailing period added (or removed when there is one);
     d-quote   the whole text in double quotes.

Usage:
  tests/variants.py [--replyscan build/replyscan] [--rules DIR] [-v]
                    [--check tests/variants-flips.txt] [--write FILE]
With --check, exit 1 when a kind flips more rows than the file allows (lines
"KIND COUNT"); --write writes today's counts in that form.  Measure again
with: python3 tests/variants.py --replyscan build/replyscan --write
tests/variants-flips.txt
"""

import argparse
import collections
import glob
import hashlib
import json
import os
import re
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REPLIES = os.path.join(HERE, "fixtures", "replies")

TLDS = set("""com net org edu gov mil int io info biz us uk de jp ru fr it nl
br cn au ca ch se no es pl cz in mx co eu be at dk fi kr tw vn th id my sg hk
nz za ar cl pt gr hu ro tr ua il ie sk si lt lv ee bg hr rs by kz tk me tv cc
ws xyz online site email local localdomain lan example test invalid arpa
""".split())

CODE_RE = re.compile(r"^\s*([245]\d\d)([ -])(?:([245]\.\d{1,3}\.\d{1,3})(\s|$))?")


def stable(s):
    return int(hashlib.sha1(s.encode("utf-8", "surrogateescape")).hexdigest()[:8], 16)


def load_rule_text(rules):
    """The text rules key on: every pattern of rules/*.yaml and the whole of
    providers.yaml (MX suffixes and wording), not the examples, sources or
    comments (which name example.com and the pages they cite)."""
    parts = []
    for f in sorted(glob.glob(os.path.join(rules, "*.yaml"))):
        with open(f, encoding="utf-8", errors="replace") as fh:
            lines = fh.read().split("\n")
        if os.path.basename(f) == "providers.yaml":
            parts += [l for l in lines if not l.lstrip().startswith(("#", "source:"))]
            continue
        ind = None
        for l in lines:
            st = l.lstrip()
            if ind is not None:
                if st.startswith("- ") and len(l) - len(st) >= ind:
                    parts.append(st)
                    continue
                ind = None
            if st.startswith("patterns:"):
                rest = st[len("patterns:"):].strip()
                if rest:
                    parts.append(rest)
                else:
                    ind = len(l) - len(st)
    # regex classes (\b, \s, \d, \w) apart; escaped characters as themselves
    t = re.sub(r"\\[bBsSdDwW]", " ", "\n".join(parts))
    return re.sub(r"\\([.\-@/])", r"\1", t).lower()


GENERIC_LABELS = set("""mail mx smtp relay mta inbound outbound www web out
prod eu us net com org host server mailhost email gateway edge cluster local
localhost localdomain example test invalid spam filter mailer exchange internal
corp lan dns ns smtpin""".split())


class Swapper:
    """Deterministic same-shape replacements; names a rule keys on are kept."""

    def __init__(self, rule_text):
        toks = re.findall(r"[a-z0-9][a-z0-9.@_%+=-]*[a-z0-9]", rule_text)
        self.tokens = set(toks)
        self.suffixes = set()
        for t in toks:
            t = t.split("@")[-1]
            labels = t.split(".")
            for i in range(len(labels) - 1):
                self.suffixes.add(".".join(labels[i:]))
        self.rule_text = rule_text
        self._kept = {}

    def kept_domain(self, dom):
        d = dom.lower().rstrip(".")
        if d in self._kept:
            return self._kept[d]
        labels = d.split(".")
        n = 3 if len(labels) >= 3 and len(labels[-2]) <= 3 and len(labels[-1]) == 2 else 2
        main = labels[-n]
        # the registrable domain in a pattern or providers.yaml, or its name
        # in a pattern's words ("spamhaus", "gmail", "tiscali")
        keep = (".".join(labels[-n:]) in self.suffixes or
                (len(main) >= 4 and main not in ("example", "localhost")
                 and re.search(r"(?<![a-z0-9])" + re.escape(main) + r"(?![a-z0-9-])",
                               self.rule_text) is not None))
        # a blocklist or provider named in a label before the registrable
        # domain ("cbl.abuseat.org", "bl.spamcop.net")
        for lab in labels[:-n]:
            if keep:
                break
            if len(lab) >= 3 and lab.isalpha() and lab not in GENERIC_LABELS:
                keep = re.search(r"(?<![a-z0-9])" + re.escape(lab) + r"(?![a-z0-9])",
                                 self.rule_text) is not None
        self._kept[d] = keep
        return keep

    def kept_token(self, tok):
        return tok.lower() in self.tokens


ORGS = ["tailwindtraders", "lakeside-school", "blueyonder-mail", "acmewidgets",
        "northbridge-law", "harborview"]
TLD_SWAP = {"com": "net", "net": "org", "org": "com"}
LOCALS = ["j.doe", "accounts", "m.rossi", "support2", "kim.lee"]


def swap_host(sw, host, exclude=""):
    if sw.kept_domain(host):
        return host
    labels = host.split(".")
    h = stable(host)
    org = ORGS[h % len(ORGS)]
    if org in host.lower():
        org = ORGS[(h + 1) % len(ORGS)]
    tld = labels[-1]
    tld = TLD_SWAP.get(tld.lower(), tld)
    if len(labels) == 2:
        return org + "." + tld
    prefix = ["mx%d" % (h % 9 + 1), "mail", "smtp-in", "relay", "edge"]
    out = [prefix[(h >> 4) % len(prefix)]]
    for i in range(len(labels) - 3):
        out.append(["eu", "cluster%d" % (i + 2), "prod", "int"][(h >> (8 + i)) % 4])
    return ".".join(out + [org, tld])


HOST_RE = re.compile(r"(?<![\w@.-])((?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+"
                     r"([A-Za-z]{2,12}))(?![\w-]|\.[A-Za-z0-9])")
EMAIL_RE = re.compile(r"(?<![\w.+-])([A-Za-z0-9._%+=-]+)@((?:[A-Za-z0-9-]+\.)+[A-Za-z]{2,12})(?![\w-])")
IPV4_RE = re.compile(r"(?<![\d.])(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})(?![\d]|\.\d)")
IPV6_RE = re.compile(r"(?<![\w:])((?:[0-9A-Fa-f]{1,4}:){2,7}[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{1,4})*)(?![\w:])")
ID_RE = re.compile(r"(?<![\w.@-])([A-Za-z0-9]{10,})(?![\w@-])")
COUNT_RE = re.compile(r"(?<![\w.:/-])(\d+)(\s*)(seconds?|secs?|minutes?|mins?|hours?|hrs?|days?|"
                      r"messages?|msgs?|mails?|e-?mails?|recipients?|rcpts?|connections?|"
                      r"bytes|[KMG]B|attempts?|times|sessions?|addresses|hits|errors?)\b", re.I)
URL_RE = re.compile(r"(https?://)([^/\s\"'<>)]+)([^\s\"'<>)]*)")
ISO_DATE_RE = re.compile(r"\b(19|20)\d\d-(0[1-9]|1[0-2])-([0-2]\d|3[01])")
TIME_RE = re.compile(r"(?<![\d:.])([01]\d|2[0-3]):([0-5]\d)(:[0-5]\d)?(?![\d:])")
RFC_DATE_RE = re.compile(r"\b(Mon|Tue|Wed|Thu|Fri|Sat|Sun),? (\d{1,2}) (Jan|Feb|Mar|Apr|May|Jun|"
                         r"Jul|Aug|Sep|Oct|Nov|Dec) ((?:19|20)\d\d)")
SYSLOG_DATE_RE = re.compile(r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) +(\d{1,2}) ")
MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split()
DAYS = "Mon Tue Wed Thu Fri Sat Sun".split()


def is_code_like(tok):
    return re.fullmatch(r"[245]\.\d{1,3}\.\d{1,3}", tok) is not None


def v_ipv4(sw, t):
    def rep(m):
        parts = [int(x) for x in m.groups()]
        if any(p > 255 for p in parts) or parts[0] == 127 or parts[0] == 0:
            return m.group(0)
        h = stable(m.group(0))
        return "%s.%d" % (["192.0.2", "198.51.100", "203.0.113"][h % 3], 10 + h % 240)
    return IPV4_RE.sub(rep, t)


def v_ipv6(sw, t):
    def rep(m):
        s = m.group(1)
        if s.count(":") < 2 or not re.search(r"[0-9a-fA-F]", s) or re.fullmatch(r"[\d:]+", s) and len(s) <= 8:
            return s
        h = stable(s)
        return "2001:db8:%x::%x" % (h % 0xfff + 1, (h >> 12) % 0xffff + 1)
    return IPV6_RE.sub(rep, t)


def v_email(sw, t):
    def rep(m):
        local, dom = m.group(1), m.group(2)
        if sw.kept_token(m.group(0)):
            return m.group(0)  # an address a rule names (delist@...)
        h = stable(m.group(0))
        nl = LOCALS[h % len(LOCALS)]
        if nl == local:
            nl = LOCALS[(h + 1) % len(LOCALS)]
        if local.lower() in ("postmaster", "abuse", "mailer-daemon", "root", "noreply", "no-reply"):
            nl = local
        return nl + "@" + swap_host(sw, dom)
    return EMAIL_RE.sub(rep, t)


def v_host(sw, t):
    def rep(m):
        host, tld = m.group(1), m.group(2)
        if tld.lower() not in TLDS or not re.search(r"[A-Za-z]", host[:-len(tld)]):
            return host
        lead = re.match(r"[245]\d\d-", host)
        if lead:
            # a continuation line's reply code before the name
            # ("554-kundenserver.de ..."): the code stays
            return lead.group(0) + v_host(sw, host[4:])
        return swap_host(sw, host)
    # not inside e-mail addresses or URLs: those are their own kinds
    out, last = [], 0
    for m in re.finditer(r"\S+", t):
        tok = m.group(0)
        out.append(t[last:m.start()])
        if "@" in tok or "://" in tok:
            out.append(tok)
        else:
            out.append(HOST_RE.sub(rep, tok))
        last = m.end()
    out.append(t[last:])
    return "".join(out)


def shift_chars(tok):
    out = []
    for c in tok:
        if c.isdigit():
            out.append(str((int(c) + 3) % 10))
        elif "a" <= c <= "f" and re.fullmatch(r"[0-9a-f]+", tok):
            out.append("abcdef"[("abcdef".index(c) + 2) % 6])
        elif "A" <= c <= "F" and re.fullmatch(r"[0-9A-F]+", tok):
            out.append("ABCDEF"[("ABCDEF".index(c) + 2) % 6])
        elif c.islower():
            out.append(chr((ord(c) - 97 + 7) % 26 + 97))
        elif c.isupper():
            out.append(chr((ord(c) - 65 + 7) % 26 + 65))
        else:
            out.append(c)
    return "".join(out)


def v_id(sw, t):
    def rep(m):
        tok = m.group(1)
        if len(re.findall(r"[A-Za-z]+|\d+", tok)) < 3:
            return tok  # letters then digits: an error code (AS77712344, S3140)
        if sw.kept_token(tok):
            return tok
        return shift_chars(tok)
    return ID_RE.sub(rep, t)


def v_count(sw, t):
    lead = CODE_RE.match(t)
    skip = lead.end(1) if lead else 0

    def rep(m):
        if m.start() < skip:
            return m.group(0)  # the reply code itself
        n = int(m.group(1))
        if len(m.group(1)) > 7:
            return m.group(0)
        new = n * 2 + 3 if n != 1 else 3
        unit = m.group(3)
        if n == 1 and not unit.lower().endswith("s") and unit.lower() not in ("kb", "mb", "gb"):
            return m.group(0)  # "1 minute" -> keep grammar simple
        return "%d%s%s" % (new, m.group(2), unit)
    return COUNT_RE.sub(rep, t)


def v_url(sw, t):
    def rep(m):
        scheme, host, rest = m.group(1), m.group(2), m.group(3)
        hostpart = host.split(":")[0]
        nh = swap_host(sw, hostpart) if re.search(r"[A-Za-z]", hostpart) and "." in hostpart else hostpart
        nrest = re.sub(r"\d", lambda d: str((int(d.group(0)) + 3) % 10), rest)
        return scheme + nh + host[len(hostpart):] + nrest
    return URL_RE.sub(rep, t)


def v_date(sw, t):
    t = ISO_DATE_RE.sub(lambda m: "2031-03-17", t)
    t = RFC_DATE_RE.sub(lambda m: "%s, %d %s %s" % (
        "Mon" if m.group(1) != "Mon" else "Thu", 17 if m.group(2) != "17" else 9,
        "Mar" if m.group(3) != "Mar" else "Oct", "2031"), t)
    t = SYSLOG_DATE_RE.sub(lambda m: "%s %2d " % ("Mar" if m.group(1) != "Mar" else "Oct",
                                                  17 if m.group(2) != "17" else 9), t)
    t = TIME_RE.sub(lambda m: "13:47" + (":09" if m.group(3) else "") if m.group(0)[:5] != "13:47"
                    else "04:12" + (":51" if m.group(3) else ""), t)
    return t


KIND_A = [("a-ipv4", v_ipv4), ("a-ipv6", v_ipv6), ("a-email", v_email),
          ("a-host", v_host), ("a-id", v_id), ("a-count", v_count),
          ("a-url", v_url), ("a-date", v_date)]

PF_CMD = {"mail_from": "MAIL FROM", "rcpt_to": "RCPT TO", "data": "DATA",
          "end_of_data": "end of DATA", "helo": "EHLO", "starttls": "STARTTLS"}
EXIM_CMD = {"mail_from": "MAIL FROM:<news@sender-co.net> SIZE=18234",
            "rcpt_to": "RCPT TO:<j.doe@harborview.org>", "data": "DATA",
            "end_of_data": "end of data", "helo": "EHLO mta1.sender-co.net",
            "starttls": "STARTTLS", "greeting": "initial connection"}


def wrappers(text, stage):
    out = []
    m = CODE_RE.match(text)
    if not m:
        return out
    t = text.strip()
    if stage == "greeting":
        out.append(("b-postfix", "host mx1.harborview.org[192.0.2.61] refused to talk to me: " + t))
    elif stage in PF_CMD:
        out.append(("b-postfix", "host mx1.harborview.org[192.0.2.61] said: %s (in reply to %s command)"
                    % (t, PF_CMD[stage])))
    if stage == "greeting" or stage in PF_CMD:
        said = ("refused to talk to me: %s" % t if stage == "greeting" else
                "said: %s (in reply to %s command)" % (t, PF_CMD[stage]))
        enh = m.group(3) or (m.group(1)[0] + ".0.0")
        out.append(("b-postfix-log",
                    "Mar 17 13:47:09 mta1 postfix/smtp[20817]: 4XbK2m1Qz9z3J: "
                    "to=<j.doe@harborview.org>, relay=mx1.harborview.org[192.0.2.61]:25, "
                    "delay=1.4, delays=0.08/0.01/0.62/0.69, dsn=%s, status=%s "
                    "(host mx1.harborview.org[192.0.2.61] %s)"
                    % (enh, "bounced" if m.group(1)[0] == "5" else "deferred", said)))
    if stage in EXIM_CMD:
        if m.group(1)[0] == "4":
            lead = "== j.doe@harborview.org R=dnslookup T=remote_smtp defer (-44) "
        else:
            lead = "** j.doe@harborview.org R=dnslookup T=remote_smtp "
        out.append(("b-exim", "2031-03-17 13:47:09 1qWDNd-0000000TOxJ-AtSg " + lead
                    + "H=mx1.harborview.org [192.0.2.61]: SMTP error from remote mail server after %s: %s"
                    % (EXIM_CMD[stage], t)))
    if stage in EXIM_CMD:
        out.append(("b-exim-bounce", "host mx1.harborview.org [192.0.2.61] SMTP error from remote "
                    "mail server after %s: %s" % (EXIM_CMD[stage], t)))
    if m.group(1)[0] == "4":
        out.append(("b-sendmail-log",
                    "Mar 17 13:47:09 mta1 sendmail[12566]: 2BHDl9Qd012566: to=<j.doe@harborview.org>, "
                    "delay=00:00:15, xdelay=00:00:15, mailer=esmtp, pri=34527, "
                    "relay=mx1.harborview.org. [192.0.2.61], dsn=%s, stat=Deferred: %s"
                    % (m.group(3) or "4.0.0", t)))
    out += wrappers34(t, m, stage)
    out.append(("b-dsn", "Diagnostic-Code: smtp; " + t))
    out.append(("b-exchange", "Remote Server returned '%s'" % t))
    out.append(("b-exchange-diag", "Diagnostic information for administrators: Generating server: "
                "mail.sender-co.net j.doe@harborview.org Remote Server returned '%s' "
                "Original message headers:" % t))
    out.append(("b-gmail", "The response from the remote server was: " + t))
    return out


def jstr(t):
    return json.dumps(t, ensure_ascii=False)


def wrappers34(t, m, stage):
    """The wrapper kinds of variants34 (see the docstring)."""
    out = []
    code, enh = m.group(1), m.group(3)
    rest = t[len(code) + 1:].strip() if not enh else t[m.end():].strip()
    rest_code = t[len(code) + 1:].strip()
    if stage == "rcpt_to":
        out.append(("b-qmail", "192.0.2.61 does not like recipient. Remote host said: %s "
                    "Giving up on 192.0.2.61." % t))
    elif stage == "mail_from":
        out.append(("b-qmail", "Connected to 192.0.2.61 but sender was rejected. Remote host said: " + t))
    elif stage == "end_of_data":
        out.append(("b-qmail", "192.0.2.61 failed after I sent the message. Remote host said: " + t))
    elif not stage:
        out.append(("b-qmail", "Remote host said: " + t))
    if stage in EXIM_CMD and stage != "greeting":
        out.append(("b-exim-host", "SMTP error from remote mail server after %s: host mx1.harborview.org "
                    "[192.0.2.61]: %s" % (EXIM_CMD[stage], t)))
    if stage in PF_CMD:
        cmd = {"mail_from": "MAIL From:<news@sender-co.net> SIZE=18234",
               "rcpt_to": "RCPT To:<j.doe@harborview.org>", "data": "DATA",
               "end_of_data": ".", "helo": "EHLO mta1.sender-co.net",
               "starttls": "STARTTLS"}[stage]
        out.append(("b-sendmail-transcript", "----- Transcript of session follows ----- ... while talking "
                    "to mx1.harborview.org.: >>> %s <<< %s" % (cmd, t)))
        out.append(("b-postfix-bounce", "<j.doe@harborview.org>: host mx1.harborview.org[192.0.2.61] said: "
                    "%s (in reply to %s command)" % (t, PF_CMD[stage])))
        hcmd = {"mail_from": "MAIL FROM:<news@sender-co.net>", "rcpt_to": "RCPT TO:<j.doe@harborview.org>",
                "data": "DATA", "end_of_data": ".", "helo": "EHLO mta1.sender-co.net",
                "starttls": "STARTTLS"}[stage]
        out.append(("b-hmail", "Error Type: SMTP Remote server (192.0.2.61) issued an error. hMailServer "
                    "sent: %s Remote server replied: %s" % (hcmd, t)))
    out.append(("b-exchange-hash", "j.doe@harborview.org #%s ##" % t))
    st = enh or (code[0] + ".0.0")
    out.append(("b-ses", '{"bounceType":"%s","bouncedRecipients":[{"emailAddress":"j.doe@harborview.org",'
                '"action":"failed","status":"%s","diagnosticCode":%s}]}'
                % ("Permanent" if code[0] == "5" else "Transient", st, jstr("smtp; " + t))))
    out.append(("b-sendgrid", '{"email":"j.doe@harborview.org","event":"%s","reason":%s,"status":"%s"}'
                % ("bounce" if code[0] == "5" else "deferred", jstr(t), st)))
    if m.group(2) == " ":  # a folded reply's first code joins its lines
        out.append(("b-mailgun", '{"event":"failed","recipient":"j.doe@harborview.org","delivery-status":'
                    '{"code":%s,"message":%s,"description":""}}' % (code, jstr(rest_code))))
    out.append(("b-postmark", '{"RecordType":"Bounce","Email":"j.doe@harborview.org","Details":%s}'
                % jstr("smtp;" + t)))
    out.append(("b-sparkpost", '{"type":"bounce","rcpt_to":"j.doe@harborview.org","raw_reason":%s}'
                % jstr(t)))
    if stage == "rcpt_to" and enh:
        out.append(("b-thunderbird", "An error occurred while sending mail. The mail server responded: %s. "
                    "Please check the message recipient j.doe@harborview.org and try again."
                    % rest_code.rstrip(".")))
    if stage == "rcpt_to":
        out.append(("b-smtplib", "smtplib.SMTPRecipientsRefused: {'j.doe@harborview.org': (%s, b%s)}"
                    % (code, repr(rest_code)) if "\\" not in rest_code else None))
        out.append(("b-nodemailer", "Can't send mail - all recipients were rejected: " + t))
        out.append(("b-javamail", "com.sun.mail.smtp.SMTPAddressFailedException: " + t))
    if stage == "end_of_data":
        # SMTP.php's sendCommand cuts "CODE " and a "d.d.d{1,2} " code
        # after it off each line: the detail; the codes come after it
        pm = re.match(r"(\d{3})[ -](?:(\d\.\d\.\d{1,2}) )?", t)
        if pm:
            cut = r"(?m)%s[ -]" % pm.group(1) + (re.escape(pm.group(2)) + " " if pm.group(2) else "")
            detail = re.sub(cut, "", t)
            out.append(("b-phpmailer", "SMTP Error: data not accepted. SMTP server error: DATA END command "
                        "failed Detail: %s SMTP code: %s%s" % (detail, pm.group(1), " Additional SMTP info: "
                                                                + pm.group(2) if pm.group(2) else "")))
    return [(k, v) for k, v in out if v]


def folds(text):
    m = CODE_RE.match(text)
    if not m:
        return []
    t = text.strip()
    code, enh = m.group(1), m.group(3)
    rest = t[m.end():].strip() if enh else t[len(m.group(1)) + 1:].strip()
    if re.search(r"\b%s[- ]" % code, rest) or "\\n" in rest or m.group(2) == "-":
        return []  # folded already
    words = rest.split(" ")
    if len(words) < 4:
        return []
    pre = code + "-" + (enh + " " if enh else "")
    last = code + " " + (enh + " " if enh else "")
    out = []
    for nparts, kind, joiner in ((2, "c-postfix", " "), (3, "c-postfix", " "),
                                 (2, "c-exim", "\\n"), (3, "c-exim", "\\n")):
        cut = [len(words) * i // nparts for i in range(nparts + 1)]
        lines = [" ".join(words[cut[i]:cut[i + 1]]) for i in range(nparts)]
        if any(not x for x in lines):
            continue
        s = joiner.join([pre + x for x in lines[:-1]] + [last + lines[-1]])
        out.append((kind, s))
    return out


def spacing(text):
    if not CODE_RE.match(text) and not re.match(r"\s*[245]\.\d{1,3}\.\d{1,3} ", text):
        return []  # a log line's own spacing is its format's, not a reply's
    t = text.strip()
    out = [("d-space", t.replace(" ", "  "))]
    if t.endswith("."):
        out.append(("d-period", t[:-1]))
    elif t and t[-1] not in ".!?)]'\"":
        out.append(("d-period", t + "."))
    if not (t.startswith('"') or t.startswith("'")):
        out.append(("d-quote", '"' + t + '"'))
    return out


def variants(sw, text, stage):
    out = []
    for kind, f in KIND_A:
        v = f(sw, text)
        if v != text:
            out.append((kind, v))
    out += wrappers(text, stage)
    out += folds(text)
    out += spacing(text)
    seen, res = set(), []
    for kind, v in out:
        if v != text and (kind, v) not in seen and "\t" not in v and "\n" not in v and v.strip():
            seen.add((kind, v))
            res.append((kind, v))
    return res


def read_rows(path):
    with open(path, encoding="utf-8", errors="surrogateescape", newline="\n") as fh:
        lines = fh.read().split("\n")
    head = lines[0].split("\t")
    sc = head.index("stage") if "stage" in head else -1
    rows = []
    for i, line in enumerate(lines[1:], start=2):
        line = line.rstrip("\r")
        if not line:
            continue
        c = line.split("\t")
        stage = c[sc] if 0 <= sc < len(c) else ""
        rows.append((i, c[0], c[1] if len(c) > 1 else "", stage))
    return rows


def stage_decided(j):
    """Was the verdict decided by the code's class and the stage?"""
    return "SMTP stage" in j.get("decided_by", "")


def step(j):
    if j.get("rule_id"):
        return j["rule_id"]
    d = j.get("decided_by", "")
    for k, name in (("wording", "rule"), ("enhanced", "code:enhanced"), ("SMTP stage", "code+stage"),
                    ("basic", "code:basic"), ("word", "words")):
        if k in d:
            return name
    return "none"


def explain(replyscan, rules, texts):
    cmd = [replyscan, "explain", "--json"] + (["--rules", rules] if rules else []) + ["-"]
    data = ("\n".join(texts) + "\n").encode("utf-8", "surrogateescape")
    p = subprocess.run(cmd, input=data, stdout=subprocess.PIPE, check=True)
    outs = p.stdout.decode("utf-8", "replace").splitlines()
    if len(outs) != len(texts):
        sys.exit("variants.py: %d texts, %d verdicts" % (len(texts), len(outs)))
    return outs


def run_all(replyscan, rules, files, sw):
    """Every row and variant of every file through two explain processes
    (the machine's two cores), never one process per text."""
    texts, meta, nrows = [], [], 0
    for path in files:
        for (ln, text, cls, stage) in read_rows(path):
            nrows += 1
            texts.append(text)
            meta.append((os.path.basename(path), ln, None, text, cls, stage))
            for kind, v in variants(sw, text, stage):
                texts.append(v)
                meta.append((os.path.basename(path), ln, kind, v, cls, stage))
    half = len(texts) // 2
    while half < len(texts) and meta[half][2] is not None:
        half += 1  # a row and its variants stay in one half
    with ThreadPoolExecutor(max_workers=2) as ex:
        parts = list(ex.map(lambda c: explain(replyscan, rules, c), [texts[:half], texts[half:]]))
    outs = parts[0] + parts[1]
    flips = []
    base = None
    for (name, ln, kind, text, cls, stage), o in zip(meta, outs):
        j = json.loads(o)
        if kind is None:
            base = j
            continue
        if j["cause"] != base["cause"]:
            k = kind
            if kind in STAGE_KINDS and stage_decided(j):
                k = kind + "-stage"
            flips.append({"file": name, "line": ln, "kind": k,
                          "label": cls, "before": base["cause"], "before_step": step(base),
                          "after": j["cause"], "after_step": step(j),
                          "text": base["reply"], "variant": text})
    return nrows, [m[2] for m in meta if m[2] is not None], flips


# wrappers that name the command (the row's stage): a flip the stage
# decides is counted apart, as "KIND-stage"
STAGE_KINDS = ("b-postfix", "b-postfix-log", "b-exim", "b-exim-bounce", "b-exim-host",
               "b-postfix-bounce", "b-qmail", "b-sendmail-transcript", "b-hmail", "b-phpmailer")

ALL_KINDS = [k for k, _ in KIND_A] + ["b-postfix", "b-postfix-stage", "b-postfix-log",
                                     "b-postfix-log-stage", "b-exim", "b-exim-stage",
                                     "b-exim-bounce", "b-exim-bounce-stage",
                                     "b-sendmail-log", "b-dsn", "b-exchange", "b-exchange-diag",
                                     "b-gmail",
                                     "b-qmail", "b-qmail-stage", "b-exim-host", "b-exim-host-stage",
                                     "b-sendmail-transcript", "b-sendmail-transcript-stage",
                                     "b-postfix-bounce", "b-postfix-bounce-stage", "b-exchange-hash",
                                     "b-hmail", "b-hmail-stage", "b-ses", "b-sendgrid", "b-mailgun", "b-postmark",
                                     "b-sparkpost", "b-thunderbird", "b-smtplib",
                                     "b-nodemailer", "b-javamail", "b-phpmailer", "b-phpmailer-stage",
                                     "c-postfix", "c-exim",
                                     "d-space", "d-period", "d-quote"]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--replyscan", default=os.path.join(ROOT, "build", "replyscan"))
    ap.add_argument("--rules", default=None, help="rules directory (default: the bundled rules)")
    ap.add_argument("-v", "--verbose", action="store_true", help="print every flip")
    ap.add_argument("--check", help="fail when a kind flips more rows than this file allows")
    ap.add_argument("--write", help="write today's flip counts per kind to this file")
    ap.add_argument("files", nargs="*", help="default: dev*.tsv and probe-r*.tsv")
    a = ap.parse_args()
    files = a.files or (sorted(glob.glob(os.path.join(REPLIES, "dev*.tsv")))
                        + sorted(glob.glob(os.path.join(REPLIES, "probe-r*.tsv"))))
    for f in files:
        if "heldback" in os.path.basename(f) or "collect" in os.path.basename(f):
            sys.exit("variants.py: %s: only development parts and probe sets" % f)
    sw = Swapper(load_rule_text(a.rules or os.path.join(ROOT, "rules")))
    nrows, nvar_kinds, flips = run_all(a.replyscan, a.rules, files, sw)
    nvar = len(nvar_kinds)
    # a row counts once per kind
    per_kind = collections.defaultdict(set)
    for f in flips:
        per_kind[f["kind"]].add((f["file"], f["line"]))
    print("%d rows, %d variants, %d flips (%d rows)" % (
        nrows, nvar, len(flips), len({(f["file"], f["line"]) for f in flips})))
    print("\nrows flipped per kind")
    for k in ALL_KINDS:
        print("  %-20s %5d" % (k, len(per_kind.get(k, ()))))
    by_step = collections.Counter((f["kind"], f["before_step"], f["after_step"]) for f in flips)
    print("\nflips by kind and deciding step (before -> after)")
    for (k, b, af), n in sorted(by_step.items(), key=lambda x: (ALL_KINDS.index(x[0][0]), -x[1])):
        print("  %-20s %4d  %s -> %s" % (k, n, b, af))
    if a.verbose:
        print("\nflips")
        for f in sorted(flips, key=lambda f: (ALL_KINDS.index(f["kind"]), f["file"], f["line"])):
            print("  [%s] %s:%d label %s: %s [%s] -> %s [%s]\n      %s\n   => %s" % (
                f["kind"], f["file"], f["line"], f["label"], f["before"], f["before_step"],
                f["after"], f["after_step"], f["text"], f["variant"]))
    counts = {k: len(per_kind.get(k, ())) for k in ALL_KINDS}
    if a.write:
        with open(a.write, "w") as fh:
            fh.write("# Rows whose class flips under a meaning-preserving variant, per kind, on\n"
                     "# dev*.tsv and probe-r*.tsv (tests/variants.py; ctest variants fails above\n"
                     "# these). Measure again: python3 tests/variants.py --replyscan\n"
                     "# build/replyscan --write tests/variants-flips.txt\n")
            for k in ALL_KINDS:
                fh.write("%s %d\n" % (k, counts[k]))
    if a.check:
        # the check itself must be able to fail: every kind makes variants,
        # and a reply whose cause does change is seen to flip
        made = collections.Counter(k for k in nvar_kinds)
        empty = [k for k in ALL_KINDS if not k.endswith("-stage") and made[k] == 0]
        for k in empty:
            print("variants.py: kind %s made no variant" % k, file=sys.stderr)
        canary = [json.loads(o)["cause"] for o in
                  explain(a.replyscan, a.rules, ["452 4.2.2 Mailbox full", "550 5.1.1 User unknown"])]
        if canary[0] == canary[1]:
            print("variants.py: the canary did not flip: %s" % canary, file=sys.stderr)
            return 1
        if empty:
            return 1
        allowed = {}
        with open(a.check) as fh:
            for line in fh:
                line = line.split("#")[0].split()
                if len(line) == 2:
                    allowed[line[0]] = int(line[1])
        bad = [k for k in ALL_KINDS if counts[k] > allowed.get(k, 0)]
        for k in bad:
            print("variants.py: %s flips %d rows, more than the %d allowed"
                  % (k, counts[k], allowed.get(k, 0)), file=sys.stderr)
        if bad:
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
