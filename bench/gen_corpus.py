#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""gen_corpus.py - deterministic synthetic MTA log corpus with ground truth.

Writes the syslog traffic of a busy OUTBOUND mail fleet: Postfix (about 75 %
of the lines: several hosts, BSD and RFC 3339 timestamps, multi-instance
"postfix-<inst>/smtp"), Exim main log (about 10 %, old "1RookS-000Pg8-VO" and
new "10HmaX-000000005vi-0000" message ids), Sendmail (about 8 %) and KumoMTA
JSON records (about 7 %). About 87 % of the lines are ordinary traffic; the
rest are delivery failures spread over every cause class and SMTP stage of
TAXONOMY.md, with provider wordings written for this generator.

--truth FILE writes one TSV row per failure line (1-based line number) with
the class and stage a correct classifier must report. Lines that carry a
failure but are not a delivery outcome (Postfix non-final "host X said:",
Exim host-level "H=" lines, Postfix NOQUEUE rejects of inbound mail) are
ordinary lines here, as replyscan's parsers skip them by design.

Determinism: everything comes from one random.Random(seed); no clock, no
environment, no set iteration. Same seed and --lines -> byte-identical output.

Python 3.11+ standard library only. Run with --help for the options.
"""

import argparse
import bisect
import datetime
import json
import random
import shutil
import subprocess
import sys

CLASSES = (
    "ip_policy_block", "blocklist", "sender_reputation", "rate_limit",
    "connection_limit", "greylisting", "reverse_dns", "helo_identity",
    "auth_failure", "tls_required", "content_spam", "content_policy", "virus",
    "message_too_large", "mailbox_full", "user_unknown", "mailbox_disabled",
    "bad_domain", "dns_failure", "network_connection", "relay_denied",
    "invalid_sender", "protocol_error", "service_unavailable",
    "too_many_recipients", "expired", "routing_error", "policy_other",
    "uncategorized",
)
STAGES = (
    "connect", "greeting", "helo", "starttls", "auth", "mail_from",
    "rcpt_to", "data", "end_of_data", "queue", "unknown",
)
MTAS = ("postfix", "exim", "sendmail", "kumomta")

# Share of LINES per MTA, and of failure lines overall.
MTA_LINE_SHARE = {"postfix": 0.75, "exim": 0.10, "sendmail": 0.08,
                  "kumomta": 0.07}
FAIL_SHARE = 0.125

# Relative weight of each class among failures (all must be > 0).
CLASS_WEIGHT = {
    "user_unknown": 18, "network_connection": 9, "rate_limit": 7,
    "service_unavailable": 6, "mailbox_full": 5, "sender_reputation": 5,
    "ip_policy_block": 5, "blocklist": 5, "greylisting": 5,
    "mailbox_disabled": 3, "bad_domain": 3, "dns_failure": 3,
    "connection_limit": 3, "content_spam": 3, "auth_failure": 3,
    "expired": 3, "tls_required": 2, "content_policy": 1.5,
    "reverse_dns": 1.5, "invalid_sender": 1.5, "policy_other": 1.5,
    "helo_identity": 1, "message_too_large": 1, "relay_denied": 1,
    "protocol_error": 1, "too_many_recipients": 1, "uncategorized": 0.8,
    "routing_error": 0.7, "virus": 0.6,
}

START_EPOCH = 1795737600  # 2026-11-27 00:00:00 UTC
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep",
          "Oct", "Nov", "Dec")
B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
B60 = B62[:60]
PF_LONG = "0123456789BCDFGHJKLMNPQRSTVWXYZbcdfghjklmnpqrstvwxy"

rng = random.Random(1)  # replaced in main(); module functions use it


def weighted(pairs):
    """(items, cumulative weights) for pick()."""
    items, cum, t = [], [], 0.0
    for it, w in pairs:
        t += w
        items.append(it)
        cum.append(t)
    return items, cum


def pick(table):
    """One item of a weighted() table."""
    items, cum = table
    return items[bisect.bisect_right(cum, rng.random() * cum[-1])]


def ch(seq):
    """Uniform choice (rng.choice, named short for the templates)."""
    return seq[int(rng.random() * len(seq))]


def hexs(n, upper=False):
    """n random hex digits."""
    s = format(rng.getrandbits(4 * n), "0%dx" % n)
    return s.upper() if upper else s


def alnum(n, alphabet=B62):
    """n random characters of alphabet."""
    k = len(alphabet)
    return "".join(alphabet[int(rng.random() * k)] for _ in range(n))


def b62(v, width):
    """v in base 62, zero-padded to width."""
    out = []
    while v:
        v, r = divmod(v, 62)
        out.append(B62[r])
    s = "".join(reversed(out)) or "0"
    return s.rjust(width, "0")


def pfnum(x):
    """A delay the way Postfix prints it (2 significant digits)."""
    if x >= 10:
        return str(int(x))
    if x >= 1:
        s = "%.1f" % x
    elif x >= 0.01:
        s = "%.2f" % x
    else:
        return "0"
    s = s.rstrip("0").rstrip(".")
    return s or "0"


def hms(sec):
    """Sendmail delay: [D+]HH:MM:SS."""
    d, r = divmod(int(sec), 86400)
    h, r = divmod(r, 3600)
    m, s = divmod(r, 60)
    base = "%02d:%02d:%02d" % (h, m, s)
    return "%d+%s" % (d, base) if d else base


# ---------------------------------------------------------------------------
# Receiving side: providers, MX hosts, recipient domains
# ---------------------------------------------------------------------------

def ipv4(a, b, c=None, d=None):
    """An IPv4 address, random in the parts left None."""
    c = c if c is not None else int(rng.random() * 254) + 1
    d = d if d is not None else int(rng.random() * 253) + 2
    return "%d.%d.%d.%d" % (a, b, c, d)


# provider -> (consumer domains, MX templates, IPv4 /16 prefixes, IPv6 prefix)
PROVIDERS = {
    "google": (["gmail.com", "googlemail.com"],
               ["gmail-smtp-in.l.google.com",
                "alt1.gmail-smtp-in.l.google.com",
                "alt2.gmail-smtp-in.l.google.com"],
               [(142, 250), (74, 125), (173, 194), (64, 233), (108, 177)],
               "2607:f8b0:40%02x:c%02x::%x"),
    "microsoft": (["outlook.com", "hotmail.com", "live.com", "msn.com",
                   "hotmail.co.uk", "outlook.de"],
                  ["{dashed}.olc.protection.outlook.com"],
                  [(52, 101), (104, 47), (40, 92)],
                  "2a01:111:f400:7e%02x::%x:%x"),
    "yahoo": (["yahoo.com", "ymail.com", "aol.com", "yahoo.co.uk",
               "yahoo.fr", "rocketmail.com"],
              ["mta5.am0.yahoodns.net", "mta6.am0.yahoodns.net",
               "mta7.am0.yahoodns.net"],
              [(67, 195), (98, 136)], None),
    "apple": (["icloud.com", "me.com", "mac.com"],
              ["mx01.mail.icloud.com", "mx02.mail.icloud.com"],
              [(17, 57), (17, 42)], None),
    "comcast": (["comcast.net"],
                ["mx1a1.comcast.net", "mx2c1.comcast.net"],
                [(96, 103), (96, 102)], None),
    "gmx": (["gmx.de", "gmx.net", "gmx.com", "mail.com"],
            ["mx00.gmx.net", "mx01.gmx.net"], [(212, 227)], None),
    "webde": (["web.de"], ["mx-ha02.web.de", "mx-ha03.web.de"],
              [(212, 227)], None),
    "orange": (["orange.fr", "wanadoo.fr"], ["smtp-in.orange.fr"],
               [(80, 12), (193, 252)], None),
    "free": (["free.fr"], ["mx1.free.fr", "mx2.free.fr"], [(212, 27)],
             None),
    "mailru": (["mail.ru", "bk.ru", "inbox.ru", "list.ru"],
               ["mxs.mail.ru"], [(94, 100), (217, 69)], None),
    "yandex": (["yandex.ru", "ya.ru", "yandex.com"], ["mx.yandex.ru"],
               [(77, 88), (213, 180)], "2a02:6b8:0:%x::%x:%x"),
    "zoho": (["zoho.com", "zohomail.com"],
             ["mx.zoho.com", "mx2.zoho.com", "mx3.zoho.com"],
             [(204, 141), (136, 143)], None),
}

# Corporate mail hosting: MX templates and address space.
CORP_MX = {
    "google": (["aspmx.l.google.com", "alt1.aspmx.l.google.com",
                "alt2.aspmx.l.google.com"], None),
    "microsoft": (["{dashed}.mail.protection.outlook.com"], None),
    "proofpoint": (["mx0a-{pp}.pphosted.com", "mx0b-{pp}.pphosted.com"],
                   [(148, 163), (67, 231), (205, 220)]),
    "mimecast": (["{mcr}-smtp-inbound-1.mimecast.com",
                  "{mcr}-smtp-inbound-2.mimecast.com"],
                 [(205, 139), (207, 211), (195, 130)]),
    "barracuda": (["d{bc}a.ess.barracudanetworks.com",
                   "d{bc}b.ess.barracudanetworks.com"],
                  [(209, 222)]),
    "cisco": (["esa1.{label}.iphmx.com", "esa2.{label}.iphmx.com"],
              [(68, 232), (216, 71)]),
    "godaddy": (["smtp.secureserver.net", "mailstore1.secureserver.net"],
                [(68, 178)]),
    "selfhosted": (["mx1.{dom}", "mx2.{dom}", "mail.{dom}"], None),
}

CORP_SHARE = (("microsoft", 34), ("google", 24), ("proofpoint", 9),
              ("mimecast", 7), ("barracuda", 5), ("cisco", 5),
              ("godaddy", 3), ("selfhosted", 13))

# Share of recipients per consumer provider; the rest is corporate.
CONSUMER_SHARE = (("google", 28), ("microsoft", 12), ("yahoo", 9),
                  ("apple", 4), ("comcast", 2), ("gmx", 2), ("webde", 1.2),
                  ("orange", 1.5), ("free", 1), ("mailru", 1.2),
                  ("yandex", 0.8), ("zoho", 0.5))
CORPORATE_TOTAL = 36.0

CORP_WORDS = (
    "acme", "northwind", "globex", "initech", "umbrella", "contoso",
    "fabrikam", "tailspin", "wingtip", "litware", "proseware", "lucerne",
    "alpine", "bluebird", "cedar", "delta", "evergreen", "falcon", "granite",
    "harbor", "ironwood", "juniper", "keystone", "lakeside", "meridian",
    "nimbus", "oakridge", "pinnacle", "quantum", "redwood", "summit",
    "trident", "vertex", "willow", "zenith", "aurora", "beacon", "cobalt",
    "driftwood", "ember", "fjord", "glacier", "horizon", "indigo", "jasper",
    "kestrel", "lumen", "mosaic", "nova", "orchid", "prairie", "quarry",
    "riverbend", "sierra", "tundra", "upland", "vanguard", "westbrook",
)
CORP_SUFFIX = (
    "logistics", "health", "bank", "energy", "systems", "group", "labs",
    "foods", "media", "legal", "capital", "motors", "insurance", "retail",
    "tech", "partners", "consulting", "pharma", "realty", "travel",
    "analytics", "robotics", "apparel", "outdoors", "dental", "clinic",
)
CORP_TLD = ((".com", 10), (".net", 2), (".org", 1.5), (".de", 1.5),
            (".co.uk", 1.5), (".fr", 1), (".nl", 0.8), (".io", 0.8),
            (".ca", 0.7), (".com.au", 0.6), (".it", 0.5), (".es", 0.5),
            (".ch", 0.4), (".se", 0.4), (".pl", 0.4), (".jp", 0.3))

# Domains that do not exist (typos) or accept no mail (null MX).
TYPO_DOMAINS = ("gmial.com", "gmai.com", "gnail.com", "hotmial.com",
                "hotmal.com", "yaho.com", "yahooo.com", "outlok.com",
                "iclod.com", "comcast.nett", "gmx.dee", "gmail.co",
                "hotmail.cmo", "aol.co", "yandex.ry")


class Domain:
    """One recipient domain and its MX hosts [(name, [ipv4...], [ipv6...])]."""

    __slots__ = ("name", "prov", "mxs", "site")

    def __init__(self, name, prov, mxs):
        self.name = name
        self.prov = prov
        self.mxs = mxs
        if prov == "google" and "gmail" in mxs[0][0]:
            self.site = "(alt1|alt2)?.gmail-smtp-in.l.google.com"
        elif len(mxs) > 1:
            self.site = "(%s)" % "|".join(m[0] for m in mxs)
        else:
            self.site = mxs[0][0]


def make_mx(names, prefixes, v6fmt, shared_cache):
    """MX list for names; provider-wide hosts share addresses."""
    out = []
    for nm in names:
        if nm in shared_cache:
            out.append(shared_cache[nm])
            continue
        if prefixes:
            a, b = ch(prefixes)
            v4 = [ipv4(a, b) for _ in range(1 + int(rng.random() * 3))]
        else:
            v4 = [ipv4(ch((23, 45, 62, 78, 85, 91, 141, 185, 188, 193,
                            194, 195, 209, 212, 217)),
                       int(rng.random() * 254) + 1)]
        v6 = []
        if v6fmt:
            v6 = [v6fmt % (int(rng.random() * 30) + 1,
                           int(rng.random() * 30) + 1,
                           int(rng.random() * 250) + 1)]
        ent = (nm, v4, v6)
        if "{" not in nm and not nm.endswith(".example"):
            shared_cache[nm] = ent
        out.append(ent)
    return out


def build_domains():
    """All recipient domains, the pick table and per-provider tables."""
    cache = {}
    by_prov = {}
    table = []
    for prov, share in CONSUMER_SHARE:
        doms, mxs, pre, v6 = PROVIDERS[prov]
        for i, d in enumerate(doms):
            names = [m.replace("{dashed}", d.replace(".", "-"))
                     for m in mxs]
            dom = Domain(d, prov, make_mx(names, pre, v6, cache))
            w = share * (0.7 if i == 0 else 0.3 / max(1, len(doms) - 1))
            table.append((dom, w))
            by_prov.setdefault(prov, []).append((dom, w))
    # Corporate domains.
    seen = set()
    corp_table = weighted(CORP_SHARE)
    tld_table = weighted(CORP_TLD)
    corp = []
    while len(corp) < 700:
        w1 = ch(CORP_WORDS)
        form = rng.random()
        if form < 0.5:
            name = "%s-%s" % (w1, ch(CORP_SUFFIX))
        elif form < 0.8:
            name = "%s%s" % (w1, ch(CORP_SUFFIX))
        else:
            name = "%s%s" % (w1, ch(CORP_WORDS))
        name += pick(tld_table)
        if name in seen:
            continue
        seen.add(name)
        corp.append(name)
    for name in corp:
        prov = pick(corp_table)
        tmpl, pre = CORP_MX[prov]
        label = name.split(".")[0].replace("-", "")
        names = []
        for t in tmpl:
            names.append(t.replace("{dashed}", name.replace(".", "-"))
                         .replace("{dom}", name)
                         .replace("{pp}", "00%06d" % int(rng.random() * 1e6))
                         .replace("{mcr}", ch(("us", "eu", "uk", "de")))
                         .replace("{bc}", "%06d" % int(rng.random() * 1e6))
                         .replace("{label}", label))
        # Proofpoint/Barracuda/Mimecast names share a random part per domain.
        if prov in ("proofpoint", "barracuda", "mimecast"):
            names = [names[0], names[0].replace("mx0a", "mx0b")
                     .replace("a.ess", "b.ess").replace("-1.", "-2.")]
        if prov == "google":
            pre, v6 = PROVIDERS["google"][2], PROVIDERS["google"][3]
        elif prov == "microsoft":
            pre, v6 = PROVIDERS["microsoft"][2], None
        elif prov == "selfhosted":
            v6 = "2001:db8:%x:%x::%x" if rng.random() < 0.3 else None
            names = names[:1 + int(rng.random() * 2)]
        else:
            v6 = None
        dom = Domain(name, prov, make_mx(names, pre, v6, cache))
        w = CORPORATE_TOTAL / len(corp) * (0.3 + rng.random() * 1.4)
        table.append((dom, w))
        by_prov.setdefault(prov, []).append((dom, w))
    typo = [Domain(d, "nxdomain", [("mx." + d, ["0.0.0.0"], [])])
            for d in TYPO_DOMAINS]
    nullmx = []
    for _ in range(12):
        nm = "%s%s" % (ch(CORP_WORDS), ch((".com", ".net", ".org", ".de")))
        nullmx.append(Domain("mail-" + nm if rng.random() < 0.5 else nm,
                             "nullmx", [("." , ["0.0.0.0"], [])]))
    by_prov["nxdomain"] = [(d, 1.0) for d in typo]
    by_prov["nullmx"] = [(d, 1.0) for d in nullmx]
    return weighted(table), {p: weighted(v) for p, v in by_prov.items()}


FIRST = ("james", "mary", "john", "patricia", "robert", "jennifer",
         "michael", "linda", "david", "elizabeth", "william", "barbara",
         "richard", "susan", "joseph", "jessica", "thomas", "sarah",
         "chris", "karen", "daniel", "lisa", "matthew", "nancy", "anthony",
         "sandra", "mark", "ashley", "paul", "emily", "steven", "donna",
         "andrew", "michelle", "kevin", "carol", "brian", "amanda", "george",
         "melissa", "lukas", "anna", "jonas", "lea", "hugo", "chloe", "marco",
         "giulia", "pablo", "lucia", "ivan", "olga", "dmitry", "elena",
         "sven", "ingrid", "kenji", "yuki", "wei", "mei", "raj", "priya",
         "omar", "fatima", "noah", "mia", "liam", "zoe", "finn", "nora")
LAST = ("smith", "johnson", "williams", "brown", "jones", "garcia",
        "miller", "davis", "rodriguez", "martinez", "hernandez", "lopez",
        "wilson", "anderson", "thomas", "taylor", "moore", "jackson",
        "martin", "lee", "thompson", "white", "harris", "clark", "lewis",
        "walker", "hall", "young", "king", "wright", "mueller", "schmidt",
        "schneider", "fischer", "weber", "dubois", "moreau", "laurent",
        "rossi", "russo", "ferrari", "ivanov", "petrov", "novak", "kowalski",
        "nielsen", "jensen", "tanaka", "suzuki", "chen", "wang", "kumar",
        "singh", "silva", "santos", "oconnor", "murphy", "kelly", "byrne")
ROLE = ("info", "sales", "support", "contact", "office", "billing",
        "hello", "admin", "hr", "accounts", "orders", "team")


def local_part():
    """A recipient local part."""
    r = rng.random()
    f, l = ch(FIRST), ch(LAST)
    if r < 0.30:
        return "%s.%s" % (f, l)
    if r < 0.45:
        return "%s%s%d" % (f, l, int(rng.random() * 99))
    if r < 0.57:
        return "%s%s" % (f[0], l)
    if r < 0.66:
        return "%s_%s%02d" % (f, l, int(rng.random() * 100))
    if r < 0.74:
        return "%s.%s" % (l, f)
    if r < 0.82:
        return "%s%d" % (f, 1950 + int(rng.random() * 60))
    if r < 0.88:
        return ch(ROLE)
    if r < 0.94:
        return "%s.%s+%s" % (f, l, ch(("news", "shop", "promo", "lists")))
    return "%s%s%s" % (f[:3], l[:4], hexs(3))


# ---------------------------------------------------------------------------
# Sending side: brands (senders), fleet hosts
# ---------------------------------------------------------------------------

BRANDS = (
    "news.shopwave.com", "mail.trailhead-outfitters.com", "em.fitbloom.io",
    "notify.paylane.net", "bounce.cartwheel.store", "mg.brightnest.co",
    "email.urbanpantry.com", "send.lexora.de", "mail.petalpost.fr",
    "news.kinderbox.nl", "mailer.sporthub.co.uk", "em.tickettrail.com",
    "out.homesteady.com", "mail.voyagio.travel", "notify.medibook.health",
    "em.codecraft.dev", "news.tastebud.kitchen", "mail.greenleaf-bank.com",
    "alerts.parcelpath.com", "news.bookburrow.com", "mail.flexgym.club",
    "em.solarbright.energy", "notify.rentrover.com", "news.artisanloft.com",
)
SENDER_LOCAL = ("noreply", "no-reply", "newsletter", "news", "info",
                "notifications", "orders", "hello", "updates", "billing")

APP_HOSTS = [("app-web-%02d.int.example.net" % i, "10.20.%d.%d" % (i, 10 + i))
             for i in range(1, 9)] + [
    ("crm-worker-%d.int.example.net" % i, "10.30.1.%d" % (20 + i))
    for i in range(1, 4)] + [("unknown", "10.40.0.%d" % i) for i in (7, 8)]


class Inst:
    """One sending identity: program prefix, IPs, HELO name."""

    __slots__ = ("prefix", "ip4", "ip6", "helo", "short")

    def __init__(self, prefix, ip4, ip6, helo):
        self.prefix = prefix
        self.ip4 = ip4
        self.ip6 = ip6
        self.helo = helo
        self.short = helo.split(".")[0]


class Host:
    """A log-writing host: name, timestamp style, instances, pid pools."""

    def __init__(self, mta, name, style, insts, qid="short", oldexim=False,
                 prog="sm-mta", exim_pid=False):
        self.mta = mta
        self.name = name
        self.style = style  # 0 BSD syslog, 1 RFC 3339 syslog, 2 Exim
        self.insts = insts
        self.qid = qid
        self.oldexim = oldexim
        self.prog = prog
        self.exim_pid = exim_pid
        self.pids = {}
        self.pres = {}
        self.pre = " %s " % name

    def pid(self, svc):
        """A pid of service svc (a few long-lived processes each)."""
        pool = self.pids.get(svc)
        if pool is None:
            n = {"qmgr": 1, "pickup": 1, "anvil": 1, "scache": 1,
                 "bounce": 3, "error": 3, "cleanup": 6}.get(svc, 24)
            pool = [str(1000 + int(rng.random() * 60000)) for _ in range(n)]
            self.pids[svc] = pool
        return pool[int(rng.random() * len(pool))]

    def syslog_pre(self, prog, svc):
        """" host prog[pid]: " for one of svc's processes (cached)."""
        key = (prog, svc)
        pool = self.pres.get(key)
        if pool is None:
            self.pid(svc)
            pool = ["%s%s[%s]: " % (self.pre, prog, p)
                    for p in self.pids[svc]]
            self.pres[key] = pool
        return pool[int(rng.random() * len(pool))]


def build_fleet():
    """The sending fleet, fixed by the seed."""
    pf = []
    n = 10
    for i in range(1, 7):
        nm = "mta-out-%02d" % i
        pf.append(Host("postfix", nm, 0, [Inst(
            "postfix", "198.51.100.%d" % (n + i), "2001:db8:25::%x" % (n + i),
            nm + ".outbound.example.net")]))
    for i in (1, 2):
        nm = "smtp-fra1-%02d.outbound.example.net" % i
        pf.append(Host("postfix", nm, 1, [Inst(
            "postfix", "203.0.113.%d" % (20 + i), "2001:db8:26::%x" % i, nm)],
            qid="long"))
    for i in (1, 2):
        nm = "bulk-a%02d" % i
        insts = []
        for j in range(3):
            ip = "198.51.100.%d" % (40 + 3 * i + j)
            insts.append(Inst("postfix-" + ip, ip, "2001:db8:27::%x" % (
                10 * i + j), "b%d-%d.bulk.outbound.example.net" % (i, j)))
        pf.append(Host("postfix", nm, 0, insts))
    insts = [Inst("postfix-tx", "203.0.113.31", "2001:db8:28::1",
                  "tx1.outbound.example.net"),
             Inst("postfix-bulk", "203.0.113.32", "2001:db8:28::2",
                  "bulk1.outbound.example.net")]
    pf.append(Host("postfix", "tx-ams-01", 1, insts))
    pf.append(Host("postfix", "mailout3", 0, [Inst(
        "postfix", "198.51.100.61", "2001:db8:25::61",
        "mailout3.outbound.example.net")], qid="long"))
    ex = [Host("exim", "exim-app01", 2, [Inst("", "192.0.2.11", "2001:db8:30::11",
                                              "exim-app01.example.org")],
               exim_pid=True),
          Host("exim", "exim-app02", 2, [Inst("", "192.0.2.12", "2001:db8:30::12",
                                              "exim-app02.example.org")]),
          Host("exim", "legacy-mx1", 2, [Inst("", "192.0.2.13", "2001:db8:30::13",
                                              "legacy-mx1.example.org")],
               oldexim=True),
          Host("exim", "legacy-mx2", 2, [Inst("", "192.0.2.14", "2001:db8:30::14",
                                              "legacy-mx2.example.org")],
               oldexim=True)]
    sm = [Host("sendmail", "sm-relay1", 0, [Inst("", "192.0.2.31", "2001:db8:31::1",
                                                 "sm-relay1.example.org")]),
          Host("sendmail", "sm-relay2", 0, [Inst("", "192.0.2.32", "2001:db8:31::2",
                                                 "sm-relay2.example.org")],
               prog="sendmail"),
          Host("sendmail", "billing-gw", 0, [Inst("", "192.0.2.33",
                                                  "2001:db8:31::3",
                                                  "billing-gw.example.org")])]
    km = []
    for i in range(3):
        insts = []
        for j in range(4):
            ip = "203.0.113.%d" % (50 + 4 * i + j)
            insts.append(Inst("ip-" + ip.replace(".", "-"), ip,
                              "2001:db8:40::%x" % (4 * i + j),
                              "kumo%d.outbound.example.net" % (i + 1)))
        h = Host("kumomta", "kumo%d" % (i + 1), 3, insts)
        h.nodeid = "%s-%s-%s-%s-%s" % (hexs(8), hexs(4), "4" + hexs(3),
                                      ch("89ab") + hexs(3), hexs(12))
        km.append(h)
    return {"postfix": pf, "exim": ex, "sendmail": sm, "kumomta": km}


# ---------------------------------------------------------------------------
# Reply text placeholders, produced on demand
# ---------------------------------------------------------------------------

MS_PODS = (("DB5", "EUR03"), ("AM4", "EUR05"), ("BN8", "NAM12"),
           ("CO1", "NAM11"), ("DM6", "NAM10"), ("SN1", "NAM02"),
           ("HE1", "EUR04"), ("VI1", "EUR06"))
VIRUSES = ("Win.Trojan.Agent-1366532", "Doc.Dropper.Emotet-9952310-0",
           "Win.Malware.Qakbot-10006042-0", "Html.Phishing.Bank-5932",
           "Xls.Downloader.Generic-7012244-0", "Js.Trojan.Nemucod-1832")
EXTS = (".exe", ".scr", ".js", ".vbs", ".iso", ".bat", ".jar", ".lnk")


def _gid(c):
    return "%s%dsi%d%s.%d" % (alnum(2, "abcdefghijklmnopqrstuvwxyz"),
                              int(rng.random() * 90) + 10,
                              int(rng.random() * 9000000) + 1000000,
                              alnum(3, "abcdefghijklmnopqrstuvwxyz"),
                              int(rng.random() * 999) + 1)


def _msid(c):
    a, reg = ch(MS_PODS)
    n = int(rng.random() * 900) + 10
    return "%s%sFT%03d.eop-%s.prod.protection.outlook.com" % (
        a, reg, n, reg if rng.random() < 0.5 else reg.lower())


GENERATORS = {
    "gid": _gid,
    "msid": _msid,
    "n2": lambda c: str(int(rng.random() * 20) + 1),
    "mins": lambda c: str(int(rng.random() * 55) + 2),
    "mm": lambda c: "%02d" % (int(rng.random() * 25) + 5),
    "hrs": lambda c: str(int(rng.random() * 3) + 1),
    "qidr": lambda c: hexs(10, True),
    "id8": lambda c: hexs(8),
    "mcid": lambda c: alnum(22) + ".us" + str(int(rng.random() * 600) + 1),
    "score": lambda c: "%.1f" % (5 + rng.random() * 20),
    "virus": lambda c: ch(VIRUSES),
    "ext": lambda c: ch(EXTS),
    "maxsize": lambda c: ch(("10485760", "26214400", "20971520",
                             "52428800")),
    "ymta": lambda c: "mta%d.mail.%s.yahoo.com" % (
        int(rng.random() * 9000) + 1000, ch(("bf1", "gq1", "ne1", "ir2"))),
    "unix": lambda c: str(START_EPOCH + int(rng.random() * 86400)),
    "amid": lambda c: "%05d-%02d" % (int(rng.random() * 99999),
                                     int(rng.random() * 99)),
    "SDOMU": lambda c: c["sdom"].upper(),
    "newdom": lambda c: ch(CORP_WORDS) + "-" + ch(CORP_SUFFIX) + ".com",
    "rmxhost": lambda c: c["mx"].split(".")[0],
    "pmid": lambda c: hexs(6) + "-" + hexs(4),
    "helo": lambda c: c["inst"].helo,
    "hshort": lambda c: c["inst"].short,
    "n": lambda c: str(int(rng.random() * 99) + 1),
}


class Ctx(dict):
    """Template values; the rare ones are made when a template asks."""

    def __missing__(self, key):
        v = GENERATORS[key](self)
        self[key] = v
        return v


# ---------------------------------------------------------------------------
# Failure catalogue
# ---------------------------------------------------------------------------

# Provider groups a reply may come from.
GEN = ("selfhosted", "godaddy", "free", "zoho")
GENX = GEN + ("cisco", "barracuda", "proofpoint", "mimecast", "orange")
ANY = ("google", "microsoft", "yahoo", "apple", "comcast", "gmx", "webde",
       "orange", "free", "mailru", "yandex", "zoho", "proofpoint",
       "mimecast", "barracuda", "cisco", "godaddy", "selfhosted")


class Reply:
    """A remote SMTP reply: class, codes, text lines, stages, providers."""

    __slots__ = ("cls", "code", "enh", "lines", "stages", "provs", "w",
                 "kind")

    def __init__(self, cls, code, enh, lines, stages, provs, w=1.0):
        self.kind = "reply"
        self.cls = cls
        self.code = code
        self.enh = enh
        self.lines = [lines] if isinstance(lines, str) else list(lines)
        st = []
        for part in stages.split():
            name, _, wt = part.partition(":")
            assert name in STAGES, name
            st.append((name, float(wt or 1)))
        self.stages = st
        self.provs = provs if isinstance(provs, tuple) else (provs,)
        self.w = w


R = Reply
GM = "google"
MS = "microsoft"

REPLIES = [
    # --- Google -----------------------------------------------------------
    R("user_unknown", 550, "5.1.1", [
        "The email account that you tried to reach does not exist. Please try",
        "double-checking the recipient's email address for typos or",
        "unnecessary spaces. For more information, go to",
        " https://support.google.com/mail/?p=NoSuchUser {gid} - gsmtp"],
      "rcpt_to", GM, 6),
    R("mailbox_disabled", 550, "5.2.1", [
        "The email account that you tried to reach is disabled. For more",
        "information, go to",
        " https://support.google.com/mail/?p=DisabledUser {gid} - gsmtp"],
      "rcpt_to", GM, 2),
    R("mailbox_full", 452, "4.2.2", [
        "The recipient's inbox is out of storage space. Please direct the",
        "recipient to",
        " https://support.google.com/mail/?p=OverQuotaTemp {gid} - gsmtp"],
      "rcpt_to:3 end_of_data", GM, 3),
    R("mailbox_full", 552, "5.2.2", [
        "The recipient's inbox is out of storage space and inactive. Please",
        "direct the recipient to",
        " https://support.google.com/mail/?p=OverQuotaPerm {gid} - gsmtp"],
      "rcpt_to", GM, 1),
    R("rate_limit", 421, "4.7.28", [
        "[{ip}      {n2}] Our system has detected an unusual rate of",
        "unsolicited mail originating from your IP address. To protect our",
        "users from spam, mail sent from your IP address has been temporarily",
        "rate limited. For more information, go to",
        " https://support.google.com/mail/?p=UnsolicitedRateLimitError to",
        "review our Bulk Email Senders Guidelines. {gid} - gsmtp"],
      "end_of_data:4 rcpt_to", GM, 5),
    R("rate_limit", 550, "5.7.28", [
        "[{ip}      {n2}] Our system has detected an unusual rate of",
        "unsolicited mail originating from your IP address. To protect our",
        "users from spam, mail sent from your IP address has been blocked.",
        "Review our Bulk Senders Guidelines.",
        " https://support.google.com/mail/?p=UnsolicitedIPError {gid} - gsmtp"],
      "end_of_data", GM, 1),
    R("rate_limit", 452, "4.2.1", [
        "The recipient is receiving mail at a rate that prevents additional",
        "messages from being delivered. Please resend your message at a later",
        "time. If the recipient is able to receive mail at that time, your",
        "message will be delivered. For more information, go to",
        " https://support.google.com/mail/?p=ReceivingRate {gid} - gsmtp"],
      "rcpt_to", GM, 1.5),
    R("sender_reputation", 421, "4.7.0", [
        "[{ip}      {n2}] This message is suspicious due to the very low",
        "reputation of the sending IP address. To best protect our users from",
        "spam, the message has been blocked. For more information, go to",
        " https://support.google.com/mail/answer/188131 {gid} - gsmtp"],
      "end_of_data", GM, 4),
    R("sender_reputation", 550, "5.7.1", [
        "This message is suspicious due to the very low reputation of the",
        "sending domain. To best protect our users from spam, the message has",
        "been blocked. For more information, go to",
        " https://support.google.com/mail/answer/188131 {gid} - gsmtp"],
      "end_of_data", GM, 1.5),
    R("auth_failure", 550, "5.7.26", [
        "This mail has been blocked because the sender is unauthenticated.",
        "Gmail requires all senders to authenticate with either SPF or DKIM.",
        " Authentication results:  DKIM = did not pass  SPF [{sdom}] with ip:",
        "[{ip}] = did not pass  For instructions on setting up authentication,",
        "go to https://support.google.com/mail/answer/81126#authentication",
        "{gid} - gsmtp"],
      "end_of_data", GM, 4),
    R("auth_failure", 550, "5.7.26", [
        "Unauthenticated email from {sdom} is not accepted due to domain's",
        "DMARC policy. Please contact the administrator of {sdom} domain if",
        "this was a legitimate mail. To learn about the DMARC initiative, go",
        "to  https://support.google.com/mail/?p=DmarcRejection {gid} - gsmtp"],
      "end_of_data", GM, 2),
    R("auth_failure", 421, "4.7.27", [
        "Your email has been rate limited because SPF authentication didn't",
        "pass for this message. Gmail requires all bulk email senders to",
        "authenticate with SPF. For more information, go to",
        " https://support.google.com/mail/answer/81126#authentication {gid} - gsmtp"],
      "end_of_data", GM, 0.6),
    R("content_spam", 550, "5.7.1", [
        "[{ip}      {n2}] Our system has detected that this message is",
        "likely unsolicited mail. To reduce the amount of spam sent to Gmail,",
        "this message has been blocked. For more information, go to",
        " https://support.google.com/mail/?p=UnsolicitedMessageError {gid} - gsmtp"],
      "end_of_data", GM, 3),
    R("ip_policy_block", 550, "5.7.1", [
        "The IP you're using to send mail is not authorized to send email",
        "directly to our servers. Please use the SMTP relay at your service",
        "provider instead. For more information, go to",
        " https://support.google.com/mail/?p=NotAuthorizedError {gid} - gsmtp"],
      "mail_from rcpt_to:2", GM, 1.5),
    R("ip_policy_block", 421, "4.7.0",
      "IP not in whitelist for RCPT domain, closing connection. {gid} - gsmtp",
      "rcpt_to", GM, 0.7),
    R("reverse_dns", 550, "5.7.25", [
        "The IP address sending this message does not have a PTR record setup,",
        "or the corresponding forward DNS entry does not point to the sending",
        "IP. As a policy, Gmail does not accept messages from IPs with missing",
        "PTR records. For more information, go to",
        " https://support.google.com/mail/answer/81126#ip-practices {gid} - gsmtp"],
      "end_of_data:2 rcpt_to", GM, 1.5),
    R("message_too_large", 552, "5.2.3", [
        "Your message exceeded Google's message size limits. For more",
        "information, go to",
        " https://support.google.com/mail/?p=MaxSizeError {gid} - gsmtp"],
      "end_of_data:3 mail_from", GM, 1),
    R("content_policy", 552, "5.7.0", [
        "This message was blocked because its content presents a potential",
        "security issue. To review our message content and attachment content",
        "guidelines, go to",
        " https://support.google.com/mail/?p=BlockedMessage {gid} - gsmtp"],
      "end_of_data", GM, 1),
    R("service_unavailable", 421, "4.3.0",
      "Temporary System Problem.  Try again later ({n2}). {gid} - gsmtp",
      "greeting mail_from rcpt_to end_of_data:2", GM, 1.5),
    R("service_unavailable", 421, "4.7.0",
      "Try again later, closing connection. (EHLO) {gid} - gsmtp",
      "helo", GM, 1),
    R("too_many_recipients", 452, "4.5.3", [
        "Domain policy size per transaction exceeded, please try this",
        "recipient in a separate transaction. For more information, go to",
        " https://support.google.com/mail/?p=TooManyRecipientsError {gid} - gsmtp"],
      "rcpt_to", GM, 1),
    R("policy_other", 550, "5.7.1", [
        "The user or domain that you are sending to (or from) has a policy",
        "that prohibited the mail that you sent. Please contact your domain",
        "administrator for further details. For more information, go to",
        " https://support.google.com/a/answer/172179 {gid} - gsmtp"],
      "rcpt_to end_of_data", GM, 1),
    R("tls_required", 421, "4.7.0",
      "TLS required for RCPT domain, closing connection. {gid} - gsmtp",
      "rcpt_to", GM, 0.7),
    R("protocol_error", 555, "5.5.2", "Syntax error. {gid} - gsmtp",
      "mail_from", GM, 0.7),
    R("invalid_sender", 553, "5.1.7",
      "The sender address <{sender}> is not a valid RFC 5321 address. {gid} - gsmtp",
      "mail_from", GM, 0.5),
    # --- Microsoft ----------------------------------------------------------
    R("ip_policy_block", 550, "5.7.1",
      "Unfortunately, messages from [{ip}] weren't sent. Please contact your "
      "Internet service provider since part of their network is on our block "
      "list (S3150). You can also refer your provider to "
      "http://mail.live.com/mail/troubleshooting.aspx#errors. [{msid}]",
      "mail_from", MS, 4),
    R("sender_reputation", 550, "5.7.1",
      "Unfortunately, messages from [{ip}] weren't sent. Please contact your "
      "Internet service provider since part of their network is on our block "
      "list (S3140). You can also refer your provider to "
      "http://mail.live.com/mail/troubleshooting.aspx#errors. [{msid}]",
      "mail_from", MS, 3),
    R("sender_reputation", 451, "4.7.650",
      "The mail server [{ip}] has been temporarily rate limited due to IP "
      "reputation. For e-mail delivery information, see "
      "https://postmaster.live.com (S775) [{msid}]",
      "mail_from rcpt_to", MS, 1.5),
    R("ip_policy_block", 550, "5.7.606",
      "Access denied, banned sending IP [{ip}]. To request removal from this "
      "list please visit https://sender.office.com/ and follow the "
      "directions. For more information please go to "
      "http://go.microsoft.com/fwlink/?LinkID=526655 AS(1430) [{msid}]",
      "rcpt_to", MS, 1.5),
    R("service_unavailable", 451, "4.7.500",
      "Server busy. Please try again later from [{ip}]. (S77714) [{msid}]",
      "mail_from:2 rcpt_to", MS, 3),
    R("service_unavailable", 451, "4.7.500",
      "Server busy. Please try again later from [{ip}]. (AS761) [{msid}]",
      "rcpt_to", MS, 1),
    R("user_unknown", 550, "5.4.1",
      "Recipient address rejected: Access denied. AS(201806281) [{msid}]",
      "rcpt_to", MS, 3),
    R("user_unknown", 550, "5.5.0",
      "Requested action not taken: mailbox unavailable (S2017062302). [{msid}]",
      "rcpt_to", MS, 2),
    R("user_unknown", 550, "5.1.10",
      "RESOLVER.ADR.RecipientNotFound; Recipient {rcpt} not found by SMTP "
      "address lookup",
      "rcpt_to:2 end_of_data", MS, 1.5),
    R("auth_failure", 550, "5.7.509",
      "Access denied, sending domain [{SDOMU}] does not pass DMARC "
      "verification and has a DMARC policy of reject. [{msid}]",
      "end_of_data", MS, 2),
    R("connection_limit", 451, "4.7.652",
      "The mail server [{ip}] has exceeded the maximum number of "
      "connections. (S3115) [{msid}]",
      "mail_from rcpt_to", MS, 2),
    R("connection_limit", 421, "4.3.2",
      "The maximum number of concurrent server connections has exceeded a "
      "limit, closing transmission channel",
      "greeting", MS, 1),
    R("relay_denied", 550, "5.7.64",
      "TenantAttribution; Relay Access Denied [{msid}]",
      "rcpt_to", MS, 1),
    R("mailbox_full", 554, "5.2.2",
      "mailbox full; STOREDRV.Deliver.Exception:QuotaExceededException."
      "MapiExceptionShutoffQuotaExceeded; Failed to process message due to a "
      "permanent exception with message Cannot open mailbox.",
      "end_of_data", MS, 1.5),
    R("content_spam", 550, "5.7.1",
      "Message rejected as spam by Content Filtering.",
      "end_of_data", MS, 1),
    R("blocklist", 550, "5.7.1",
      "Service unavailable, Client host [{ip}] blocked using Spamhaus. To "
      "request removal from this list see "
      "https://www.spamhaus.org/query/ip/{ip} (AS3130). [{msid}]",
      "mail_from rcpt_to", MS, 1.5),
    R("tls_required", 451, "5.7.3",
      "STARTTLS is required to send mail [{msid}]",
      "mail_from", MS, 0.7),
    R("policy_other", 550, "5.7.1",
      "RESOLVER.RST.NotAuthorized; not authorized [Stage: CreateMessage]",
      "end_of_data", MS, 0.8),
    R("routing_error", 554, "5.4.14",
      "Hop count exceeded - possible mail loop ATTR34 [{msid}]",
      "end_of_data", MS, 0.5),
    R("message_too_large", 552, "5.3.4",
      "Message size exceeds fixed maximum message size",
      "mail_from end_of_data:2", MS, 0.6),
    # --- Yahoo / AOL --------------------------------------------------------
    R("sender_reputation", 421, "4.7.0",
      "[TSS04] Messages from {ip} temporarily deferred due to unexpected "
      "volume or user complaints - 4.16.55.1; see "
      "https://postmaster.yahooinc.com/error-codes",
      "mail_from:3 rcpt_to", "yahoo", 5),
    R("ip_policy_block", 421, "4.7.0",
      "[TSS09] All messages from {ip} will be permanently deferred; Retrying "
      "will NOT succeed. See https://postmaster.yahooinc.com/error-codes",
      "mail_from", "yahoo", 1),
    R("blocklist", 553, "5.7.1",
      "[BL21] Connections will not be accepted from {ip}, because the ip is "
      "in Spamhaus's list; see https://postmaster.yahooinc.com/error-codes",
      "greeting", "yahoo", 1),
    R("policy_other", 554, "5.7.9",
      "Message not accepted for policy reasons.  See "
      "https://postmaster.yahooinc.com/error-codes",
      "end_of_data", "yahoo", 1.5),
    R("user_unknown", 554, None,
      "delivery error: dd This user doesn't have a {rdom} account ({rcpt}) "
      "[0] - {ymta}",
      "end_of_data", "yahoo", 3),
    R("user_unknown", 552, None,
      "1 Requested mail action aborted, mailbox not found",
      "rcpt_to", "yahoo", 1),
    R("mailbox_disabled", 554, None,
      "delivery error: dd Sorry your message to {rcpt} cannot be delivered. "
      "This mailbox is disabled (554.30). - {ymta}",
      "end_of_data", "yahoo", 1.5),
    R("auth_failure", 550, "5.7.9",
      "This mail has been blocked because the sender is unauthenticated. "
      "Yahoo requires all senders to authenticate with either SPF or DKIM.",
      "end_of_data", "yahoo", 1.5),
    R("invalid_sender", 451, None,
      "Message temporarily deferred due to unresolvable RFC.5321 from domain; "
      "see https://postmaster.yahooinc.com/error-codes",
      "mail_from", "yahoo", 1),
    R("service_unavailable", 451, "4.3.2", "Internal error reading data",
      "mail_from rcpt_to", "yahoo", 1),
    # --- Apple --------------------------------------------------------------
    R("user_unknown", 550, "5.1.1", "<{rcpt}>: user does not exist",
      "rcpt_to", "apple", 3),
    R("policy_other", 554, "5.7.1",
      "[CS01] Message rejected due to local policy. Please visit "
      "https://support.apple.com/en-us/HT204137",
      "end_of_data", "apple", 1.5),
    R("mailbox_full", 552, "5.2.2", "<{rcpt}>: user is over quota",
      "rcpt_to", "apple", 1),
    R("blocklist", 550, "5.7.0",
      "Blocked - see https://support.proofpoint.com/dnsbl-lookup.cgi?ip={ip}",
      "greeting", "apple", 1),
    R("rate_limit", 421, "4.7.0",
      "[HM08] Message rejected due to high volume of mail from {ip}. "
      "Please try again later.",
      "mail_from end_of_data", "apple", 0.7),
    # --- Comcast ------------------------------------------------------------
    R("rate_limit", 421, None,
      "{rmxhost}.sys.comcast.net comcast {ip} Comcast RL000001 rate limited. "
      "Please see http://postmaster.comcast.net/smtp-error-codes.php#RL000001",
      "greeting", "comcast", 2),
    R("ip_policy_block", 554, None,
      "{rmxhost}.sys.comcast.net comcast {ip} Comcast BL004 Blocked for spam. "
      "Please see http://postmaster.comcast.net/smtp-error-codes.php#BL000004",
      "greeting", "comcast", 1.5),
    R("user_unknown", 550, "5.1.1", "<{rcpt}> recipient does not exist here.",
      "rcpt_to", "comcast", 2),
    # --- GMX / WEB.DE -------------------------------------------------------
    R("reverse_dns", 554, None, [
        "gmx.net ({rmxhost}) Nemesis ESMTP Service not available",
        "No SMTP service", "Bad DNS PTR resource record.",
        "For explanation visit "
        "https://postmaster.gmx.net/en/error-messages?ip={ip}&c=rdns"],
      "greeting", "gmx", 1.5),
    R("blocklist", 554, None, [
        "gmx.net ({rmxhost}) Nemesis ESMTP Service not available",
        "No SMTP service", "IP address is black listed.",
        "For explanation visit "
        "https://postmaster.gmx.net/en/error-messages?ip={ip}&c=bl"],
      "greeting", "gmx", 1),
    R("rate_limit", 450, "4.3.2",
      "Too many mails (mail bomb), try again in {hrs} hour(s) {mins} "
      "minute(s) and see ( https://www.gmx.net/serverrules ) {{mx-de011}}",
      "rcpt_to", ("gmx", "webde"), 1.5),
    R("ip_policy_block", 554, None, [
        "web.de ({rmxhost}) Nemesis ESMTP Service not available",
        "No SMTP service", "Reject due to policy restrictions.",
        "For explanation visit "
        "https://web.de/email/senderguidelines?ip={ip}&c=hi"],
      "greeting", "webde", 1.5),
    R("user_unknown", 550, None,
      "Requested action not taken: mailbox unavailable",
      "rcpt_to", ("gmx", "webde"), 2),
    R("mailbox_full", 552, None,
      "Requested mail action aborted: exceeded storage allocation",
      "rcpt_to", ("gmx", "webde"), 1),
    # --- Orange / Free ------------------------------------------------------
    R("connection_limit", 421, None,
      "mwinf{n2}00 ME Trop de connexions, veuillez verifier votre "
      "configuration. Too many connections, slow down. OFR005_104 [104]",
      "greeting", "orange", 1.5),
    R("ip_policy_block", 550, "5.7.1",
      "{ip} Adresse IP source refusee. Service refused for this IP address, "
      "please contact abuse@orange.fr. OFR004_104 [104]",
      "mail_from", "orange", 1),
    R("user_unknown", 550, "5.1.1",
      "<{rcpt}>: Recipient address rejected: {rdom}: user unknown",
      "rcpt_to", ("free", "orange"), 2),
    # --- Mail.ru / Yandex ---------------------------------------------------
    R("user_unknown", 550, None,
      "Message was not accepted -- invalid mailbox.  Local mailbox {rcpt} is "
      "unavailable: user not found",
      "rcpt_to", "mailru", 2),
    R("content_spam", 550, None,
      "spam message rejected. Please visit "
      "https://help.mail.ru/notspam-support/id?c={id8} or report details to "
      "abuse@corp.mail.ru. Error code: {id8}.",
      "end_of_data", "mailru", 1.5),
    R("rate_limit", 451, None,
      "Ratelimit exceeded for mailbox {rcpt}. Try to send mail later.",
      "rcpt_to", "mailru", 1),
    R("user_unknown", 550, "5.7.1", "No such user!", "rcpt_to", "yandex", 2),
    R("content_spam", 554, "5.7.1",
      "[2] Message rejected under suspicion of SPAM; https://ya.cc/1IrBc "
      "{unix}-{id8}",
      "end_of_data", "yandex", 1.5),
    R("mailbox_full", 552, "5.2.2", "Mailbox size limit exceeded",
      "rcpt_to", "yandex", 1),
    # --- Zoho ---------------------------------------------------------------
    R("user_unknown", 550, "5.1.1", "User does not exist - <{rcpt}>",
      "rcpt_to", "zoho", 2),
    R("relay_denied", 553, None, "Relaying disallowed", "rcpt_to", "zoho", 1),
    # --- Mimecast / Proofpoint / Barracuda / Cisco / GoDaddy ----------------
    R("user_unknown", 550, None,
      "Invalid Recipient - https://community.mimecast.com/docs/DOC-1369#550 "
      "[{mcid}]",
      "rcpt_to", "mimecast", 3),
    R("policy_other", 554, None,
      "Email rejected due to security policies - "
      "https://community.mimecast.com/docs/DOC-1369#554 [{mcid}]",
      "end_of_data", "mimecast", 1.5),
    R("blocklist", 550, None,
      "Rejected by RBL - https://community.mimecast.com/docs/DOC-1369#550 "
      "[{mcid}]",
      "greeting mail_from", "mimecast", 1),
    R("user_unknown", 550, "5.1.1", "User Unknown", "rcpt_to",
      "proofpoint", 3),
    R("blocklist", 554, None,
      "Blocked - see https://ipcheck.proofpoint.com/?ip={ip}",
      "greeting:2 mail_from", "proofpoint", 2),
    R("blocklist", 554, None,
      "Service unavailable; Client host [{ip}] blocked using Barracuda "
      "Reputation; http://www.barracudanetworks.com/reputation/?pr=1&ip={ip}",
      "greeting mail_from rcpt_to:2", "barracuda", 2),
    R("user_unknown", 550, None, "No such user ({rcpt})", "rcpt_to",
      "barracuda", 2),
    R("content_spam", 554, "5.7.1",
      "Message {pmid} scored too high on spam scale. For help please contact "
      "your administrator",
      "end_of_data", "barracuda", 1),
    R("user_unknown", 550, None, "#5.1.0 Address rejected.", "rcpt_to",
      "cisco", 2),
    R("connection_limit", 421, None,
      "Too many concurrent SMTP connections from this IP address; please try "
      "again later.",
      "greeting", "cisco", 2),
    R("too_many_recipients", 452, None,
      "Too many recipients received this session", "rcpt_to", "cisco", 1),
    R("uncategorized", 554, None, "Message refused.", "end_of_data",
      "cisco", 0.8),
    R("rate_limit", 550, "5.1.1",
      "<{rcpt}> Recipient rejected: too many recipients this hour from {ip}",
      "rcpt_to", "godaddy", 1),
    R("ip_policy_block", 554, None,
      "{rmxhost}.secureserver.net bizsmtp Your IP {ip} is not allowed to "
      "send to this host. Contact your hosting provider.",
      "greeting", "godaddy", 1),
    # --- Generic receivers (Postfix, Exim, Exchange, appliances) ------------
    R("user_unknown", 550, "5.1.1",
      "<{rcpt}>: Recipient address rejected: User unknown in virtual mailbox "
      "table", "rcpt_to", GEN, 4),
    R("user_unknown", 550, "5.1.1",
      "<{rcpt}>: Recipient address rejected: User unknown in local recipient "
      "table", "rcpt_to", GEN, 2),
    R("user_unknown", 550, None, "No Such User Here", "rcpt_to", GEN, 1),
    R("user_unknown", 550, "5.1.1", "<{rcpt}>... User unknown", "rcpt_to",
      GEN, 1),
    R("user_unknown", 550, None,
      "unknown user account <{rcpt}>", "rcpt_to end_of_data", GEN, 0.5),
    R("mailbox_full", 452, "4.2.2", "<{rcpt}>: Mailbox full", "rcpt_to",
      GEN, 2),
    R("mailbox_full", 452, "4.1.1",
      "<{rcpt}> user is over quota, please try again later", "rcpt_to",
      GENX, 1),
    R("mailbox_full", 552, "5.2.2",
      "<{rcpt}> Quota exceeded (mailbox for user is full)",
      "end_of_data rcpt_to", GEN, 1),
    R("mailbox_disabled", 550, "5.2.1", "<{rcpt}>: mailbox is disabled",
      "rcpt_to", GENX, 1.5),
    R("mailbox_disabled", 554, "5.2.1", "<{rcpt}>: account inactive",
      "rcpt_to", GEN, 1),
    R("mailbox_disabled", 551, "5.1.6",
      "User has moved; please try <{rcpt_local}@{newdom}>", "rcpt_to", GEN, 1),
    R("ip_policy_block", 554, "5.7.1",
      "<{rcpt}>: Client host rejected: Access denied", "rcpt_to", GENX, 2),
    R("ip_policy_block", 554, "5.7.1",
      "Service unavailable; Client host [{ip}] blocked", "rcpt_to", GEN, 1),
    R("ip_policy_block", 421, "4.7.0", "Not allowed", "greeting:2 mail_from",
      GEN, 1),
    R("ip_policy_block", 550, "5.7.1", "Access denied", "mail_from", GENX,
      1),
    R("blocklist", 554, "5.7.1",
      "Service unavailable; Client host [{ip}] blocked using zen.spamhaus.org; "
      "https://www.spamhaus.org/query/ip/{ip}", "rcpt_to", GENX, 4),
    R("blocklist", 554, "5.7.1",
      "Service unavailable; Client host [{ip}] blocked using bl.spamcop.net; "
      "Blocked - see https://www.spamcop.net/bl.shtml?{ip}", "rcpt_to", GEN, 2),
    R("blocklist", 554, "5.7.1",
      "Service unavailable; Client host [{ip}] blocked using "
      "b.barracudacentral.org; https://www.barracudacentral.org/rbl/"
      "listing?ip={ip}", "rcpt_to", GEN, 2),
    R("blocklist", 550, "5.7.1",
      "Service unavailable; Client host [{ip}] blocked using dnsbl.sorbs.net; "
      "Currently Sending Spam See: http://www.sorbs.net/lookup.shtml?{ip}",
      "rcpt_to", GEN, 1),
    R("blocklist", 550, None, [
        "Rejected because {ip} is in a black list at dnsbl-1.uceprotect.net",
        "IP {ip} is UCEPROTECT-Level 1 listed. See "
        "http://www.uceprotect.net/rblcheck.php?ipr={ip}"],
      "rcpt_to", GEN, 1),
    R("blocklist", 554, None,
      "{mx} ESMTP not accepting messages: {ip} listed at bl.mailspike.net",
      "greeting", GEN, 1),
    R("blocklist", 451, "4.7.1",
      "Service unavailable - try again later; {ip} is listed in RBL "
      "psbl.surriel.com", "rcpt_to", GEN, 0.7),
    R("sender_reputation", 421, "4.7.0",
      "Your IP {ip} has a poor reputation; deferring. Try again later",
      "greeting mail_from", GENX, 2),
    R("sender_reputation", 554, "5.7.1",
      "Your access to this mail system has been rejected due to the sending "
      "MTA's poor reputation. If you believe that this failure is in error, "
      "please contact the intended recipient via alternate means.",
      "mail_from rcpt_to", GENX, 1.5),
    R("rate_limit", 421, "4.7.0", "Rate limit exceeded, please try again later",
      "mail_from rcpt_to", GENX, 2),
    R("rate_limit", 451, "4.7.1",
      "Message rate exceeds limit for {sdom}, try again later",
      "mail_from rcpt_to", GEN, 1.5),
    R("rate_limit", 450, "4.7.1",
      "<{rcpt}>: Recipient address rejected: too many messages from {ip}, "
      "slow down", "rcpt_to", GEN, 1),
    R("rate_limit", 421, "4.7.0", "{mx} Error: too much mail from {ip}",
      "mail_from", GEN, 1),
    R("connection_limit", 421, "4.7.0",
      "{mx} Error: too many connections from {ip}", "greeting", GEN, 2),
    R("connection_limit", 421, "4.3.2",
      "Too many concurrent connections from your IP, try again later",
      "greeting helo", GEN, 1),
    R("connection_limit", 452, "4.3.2",
      "Too many connections from your IP {ip}", "greeting mail_from", GEN,
      0.7),
    R("greylisting", 450, "4.2.0",
      "<{rcpt}>: Recipient address rejected: Greylisted, see "
      "http://postgrey.schweikert.ch/help/{rdom}.html", "rcpt_to", GENX, 4),
    R("greylisting", 450, "4.7.1",
      "<{rcpt}>: Recipient address rejected: Greylisted for {mins} minutes",
      "rcpt_to", GENX, 2),
    R("greylisting", 451, "4.7.1",
      "Greylisting in action, please come back in 00:{mm}:00",
      "rcpt_to:2 data", GEN, 1.5),
    R("greylisting", 451, None, [
        "You have been greylisted. This is part of our standard anti-spam "
        "measures", "and your mail system should automatically try again "
        "later. We will accept", "this mail from you in {mins} seconds"],
      "rcpt_to", GEN, 1.5),
    R("greylisting", 451, "4.7.1",
      "Please try again later (greylisted)", "rcpt_to data", GEN, 1),
    R("reverse_dns", 450, "4.7.1",
      "Client host rejected: cannot find your reverse hostname, [{ip}]",
      "rcpt_to:3 greeting", GENX, 3),
    R("reverse_dns", 450, "4.7.25",
      "Client host rejected: cannot find your hostname, [{ip}]",
      "rcpt_to", GEN, 1.5),
    R("reverse_dns", 550, "5.7.25",
      "Client host rejected: cannot find your hostname, [{ip}]",
      "rcpt_to", GEN, 1),
    R("reverse_dns", 550, None,
      "Reverse DNS lookup failed for host {ip} (no PTR record)",
      "greeting helo", GEN, 0.7),
    R("helo_identity", 504, "5.5.2",
      "<{hshort}>: Helo command rejected: need fully-qualified hostname",
      "rcpt_to:3 helo", GENX, 3),
    R("helo_identity", 450, "4.7.1",
      "<{helo}>: Helo command rejected: Host not found", "rcpt_to", GEN, 1.5),
    R("helo_identity", 550, "5.7.1", "Invalid HELO name (See RFC2821 4.1.1.1)",
      "helo", GEN, 1),
    R("helo_identity", 501, "5.5.2", "<{hshort}>: Helo command rejected: "
      "Invalid name", "helo rcpt_to", GEN, 0.7),
    R("auth_failure", 550, "5.7.23",
      "<{rcpt}>: Recipient address rejected: Message rejected due to: SPF "
      "fail - not authorized. Please see http://www.open-spf.org/Why;"
      "id={sender};ip={ip};r=<UNKNOWN>", "rcpt_to", GENX, 2),
    R("auth_failure", 550, "5.7.1",
      "Email rejected per DMARC policy for {sdom}", "end_of_data", GENX, 1.5),
    R("auth_failure", 550, "5.7.1",
      "Message rejected: DKIM signature verification failed",
      "end_of_data", GEN, 1),
    R("auth_failure", 530, "5.7.0", "Authentication required", "mail_from",
      GEN, 0.5),
    R("tls_required", 530, "5.7.0", "Must issue a STARTTLS command first",
      "mail_from", GENX, 2),
    R("tls_required", 454, "4.7.0", "TLS not available due to local problem",
      "starttls", GENX, 2),
    R("tls_required", 554, "5.7.1", "TLS is required for mail to {rdom}",
      "mail_from rcpt_to", GEN, 0.7),
    R("content_spam", 550, "5.7.1", "Message rejected as spam", "end_of_data",
      GENX, 2),
    R("content_spam", 554, "5.7.1", "Spam message rejected", "end_of_data",
      GEN, 1.5),
    R("content_spam", 554, "5.7.0", "Reject, id={amid} - spam", "end_of_data",
      GEN, 1),
    R("content_spam", 550, None,
      "Rejected: message looks like spam (score {score})", "end_of_data",
      GEN, 1),
    R("content_policy", 554, "5.7.1",
      "Message rejected: prohibited attachment type (invoice{ext})",
      "end_of_data", GENX, 2),
    R("content_policy", 550, "5.6.0",
      "Message not RFC 5322 compliant: missing Date header", "end_of_data",
      GEN, 1),
    R("content_policy", 554, "5.7.1",
      "Message rejected: header policy violation", "end_of_data", GEN, 1),
    R("virus", 554, "5.7.0", "Reject, id={amid} - INFECTED: {virus}",
      "end_of_data", GENX, 2),
    R("virus", 550, None,
      "This message contains a virus ({virus}) and has been rejected",
      "end_of_data", GEN, 1),
    R("virus", 550, "5.7.1", "Virus found in message", "end_of_data", GEN, 1),
    R("message_too_large", 552, "5.3.4", "Message size exceeds fixed limit",
      "mail_from end_of_data:2", GENX, 3),
    R("message_too_large", 552, None,
      "Message size exceeds maximum permitted", "mail_from end_of_data", GEN,
      1),
    R("message_too_large", 552, "5.2.3",
      "Message exceeds maximum size of {maxsize} bytes", "end_of_data", GEN,
      1),
    R("bad_domain", 550, "5.1.2",
      "<{rcpt}>: Recipient address rejected: Domain not found", "rcpt_to",
      GEN, 1),
    R("bad_domain", 556, "5.1.10",
      "Recipient address {rcpt} has null MX", "rcpt_to", GEN, 0.6),
    R("dns_failure", 451, "4.4.3",
      "Temporary DNS lookup failure, try again later", "rcpt_to mail_from",
      GEN, 1),
    R("dns_failure", 450, "4.4.3",
      "<{rcpt}>: Recipient address rejected: DNS SERVFAIL while looking up "
      "{rdom}, try again later", "rcpt_to", GEN, 0.7),
    R("network_connection", 421, "4.4.2", "{mx} Error: timeout exceeded",
      "data end_of_data", GEN, 1),
    R("relay_denied", 554, "5.7.1", "<{rcpt}>: Relay access denied",
      "rcpt_to", GENX, 4),
    R("relay_denied", 550, "5.7.1", "Unable to relay for {rcpt}", "rcpt_to",
      GEN, 1),
    R("relay_denied", 550, None, "relay not permitted", "rcpt_to", GEN, 1),
    R("relay_denied", 454, "4.7.1", "<{rcpt}>: Relay access denied",
      "rcpt_to", GEN, 0.7),
    R("invalid_sender", 450, "4.1.8",
      "<{sender}>: Sender address rejected: Domain not found", "rcpt_to",
      GENX, 2),
    R("invalid_sender", 553, "5.1.8",
      "<{sender}>: Sender address rejected: Domain not found", "mail_from",
      GEN, 1),
    R("invalid_sender", 450, "4.1.7",
      "<{sender}>: Sender address rejected: unverified address: Address "
      "verification in progress", "rcpt_to", GEN, 1),
    R("invalid_sender", 550, "5.1.7", "Invalid sender address <{sender}>",
      "mail_from", GEN, 0.7),
    R("protocol_error", 503, "5.5.1", "Error: bad sequence of commands",
      "data rcpt_to", GEN, 1.5),
    R("protocol_error", 500, "5.5.2", "Error: bad syntax", "mail_from", GEN,
      1),
    R("protocol_error", 421, "4.7.0", "{mx} Error: too many errors",
      "rcpt_to data", GEN, 1),
    R("protocol_error", 501, "5.5.4", "Syntax error in parameters or "
      "arguments", "mail_from", GEN, 1),
    R("service_unavailable", 421, "4.3.2", "Service not available",
      "greeting:2 helo", GENX, 2),
    R("service_unavailable", 421, None,
      "{mx} Service not available, closing transmission channel", "greeting",
      GEN, 1),
    R("service_unavailable", 451, "4.3.0", "Error: queue file write error",
      "end_of_data", GEN, 1.5),
    R("service_unavailable", 451, "4.3.0",
      "<{sender}>: Temporary lookup failure", "rcpt_to", GEN, 1),
    R("service_unavailable", 452, "4.3.1", "Insufficient system storage",
      "mail_from", GEN, 1),
    R("service_unavailable", 451, None,
      "Temporary local problem - please try later", "rcpt_to end_of_data",
      GEN, 1.5),
    R("service_unavailable", 450, "4.3.2", "try again later", "greeting", GEN,
      0.7),
    R("service_unavailable", 451, "4.3.5", "Server configuration problem",
      "rcpt_to", GEN, 0.7),
    R("too_many_recipients", 452, "4.5.3", "Error: too many recipients",
      "rcpt_to", GENX, 2),
    R("too_many_recipients", 452, "4.5.3", "Too many recipients", "rcpt_to",
      GEN + (MS,), 1),
    R("routing_error", 554, "5.4.0", "Error: too many hops", "end_of_data",
      GEN, 1),
    R("routing_error", 550, "5.4.6",
      "Routing loop detected -- too many Received: headers", "end_of_data",
      GEN, 0.7),
    R("routing_error", 550, "5.4.4", "Unable to route to {rdom}", "rcpt_to",
      GEN, 0.5),
    R("policy_other", 550, "5.7.1", "Delivery not authorized, message refused",
      "rcpt_to end_of_data", GENX, 2),
    R("policy_other", 550, "5.7.1", "Command rejected", "mail_from", GEN, 1),
    R("policy_other", 550, "5.7.0", "Message rejected by policy",
      "end_of_data", GEN, 1),
    R("policy_other", 550, None, "Administrative prohibition",
      "rcpt_to", GEN, 0.7),
    # Replies that say nothing about the cause.
    R("uncategorized", 554, None, "Transaction failed", "end_of_data", GEN, 2),
    R("uncategorized", 550, None, "Message rejected", "end_of_data rcpt_to",
      GEN, 1.5),
    R("uncategorized", 554, "5.0.0", "Error", "end_of_data", GEN, 1),
    R("uncategorized", 550, "5.0.0", "<{rcpt}>... Unknown error", "rcpt_to",
      GEN, 1),
    R("uncategorized", 550, None, "ZX-{n2}{qidr} see log for details",
      "end_of_data", GEN, 0.7),
    R("uncategorized", 550, None, "#5.0.0 X-Unix; 255", "end_of_data", GEN,
      0.5),
]

# SMTP AUTH replies of a smarthost (only rendered by Postfix: SASL failure).
AUTH_REPLIES = [
    R("auth_failure", 535, "5.7.8",
      "Error: authentication failed: authentication failure", "auth", ANY, 3),
    R("auth_failure", 535, "5.7.8", "Authentication credentials invalid",
      "auth", ANY, 2),
    R("auth_failure", 535, None, "Incorrect authentication data", "auth",
      ANY, 1),
]
SMARTHOSTS = (("smtp-relay.gmail.com", "142.250.102.28"),
              ("email-smtp.eu-west-1.amazonaws.com", "52.17.153.14"),
              ("smtp.sendgrid.net", "167.89.123.58"),
              ("relay.partner-isp.example", "192.0.2.200"))


class Special:
    """A failure written by the MTA itself (no remote reply, or fixed)."""

    __slots__ = ("kind", "name", "mta", "cls", "stage", "provs", "w")

    def __init__(self, mta, name, cls, stage, provs=ANY, w=1.0):
        self.kind = "special"
        self.mta = mta
        self.name = name
        self.cls = cls
        self.stage = stage
        self.provs = provs
        self.w = w


S = Special
SPECIALS = [
    S("postfix", "pf_connect", "network_connection", "connect", w=5),
    S("postfix", "pf_lost_greeting", "network_connection", "greeting", w=2),
    S("postfix", "pf_lost_helo", "network_connection", "helo", w=0.7),
    S("postfix", "pf_lost_mail", "network_connection", "mail_from", w=0.5),
    S("postfix", "pf_lost_rcpt", "network_connection", "rcpt_to", w=1),
    S("postfix", "pf_lost_data", "network_connection", "data", w=0.3),
    S("postfix", "pf_lost_eod", "network_connection", "end_of_data", w=0.7),
    S("postfix", "pf_suspend_connect", "network_connection", "queue", w=1.5),
    S("postfix", "pf_suspend_lost", "network_connection", "queue", w=0.5),
    S("postfix", "pf_dns_temp", "dns_failure", "connect", w=3),
    S("postfix", "pf_suspend_dns", "dns_failure", "queue", w=0.7),
    S("postfix", "pf_dns_nx", "bad_domain", "connect", ("nxdomain",), w=3),
    S("postfix", "pf_nullmx", "bad_domain", "connect", ("nullmx",), w=1),
    S("postfix", "pf_tls", "tls_required", "starttls", w=2),
    S("postfix", "pf_loop", "routing_error", "unknown", GEN, w=0.5),
    S("postfix", "pf_expired", "expired", "queue", w=1),
    S("exim", "ex_connect", "network_connection", "connect", w=4),
    S("exim", "ex_timeout", "network_connection", None, w=2),
    S("exim", "ex_closed", "network_connection", None, w=1),
    S("exim", "ex_tls", "tls_required", "starttls", w=1.5),
    S("exim", "ex_auth", "auth_failure", "auth", w=0.7),
    S("exim", "ex_dns", "dns_failure", "connect", w=2),
    S("exim", "ex_unroute", "routing_error", "queue", ("nxdomain",), w=1),
    S("exim", "ex_expired", "expired", "queue", w=1),
    S("sendmail", "sm_timeout", "network_connection", "connect", w=3),
    S("sendmail", "sm_refused", "network_connection", "connect", w=1),
    S("sendmail", "sm_reset", "network_connection", "unknown", w=1),
    S("sendmail", "sm_dns", "dns_failure", "connect", w=2),
    S("sendmail", "sm_hostunknown", "bad_domain", "connect", ("nxdomain",),
      w=2),
    S("kumomta", "km_connect", "network_connection", "connect", w=4),
    S("kumomta", "km_expired", "expired", "queue", w=1),
]

# Stages each MTA can render a remote reply at, and what the log then proves.
PF_CMD = {"helo": "EHLO", "starttls": "STARTTLS", "mail_from": "MAIL FROM",
          "rcpt_to": "RCPT TO", "data": "DATA", "end_of_data": "end of DATA"}
REPLY_STAGES = {
    "postfix": ("greeting", "helo", "starttls", "mail_from", "rcpt_to",
                "data", "end_of_data"),
    "exim": ("greeting", "helo", "starttls", "mail_from", "rcpt_to", "data",
             "end_of_data"),
    "kumomta": ("greeting", "helo", "starttls", "mail_from", "rcpt_to",
                "data", "end_of_data"),
    "sendmail": ("greeting", "helo", "starttls", "mail_from", "rcpt_to",
                 "data", "end_of_data"),
}


def reply_ok_for(mta, sc):
    """Can mta log this reply (at one of its stages)?"""
    if sc.stages[0][0] == "auth":
        return mta == "postfix"
    if mta == "sendmail":
        # Sendmail logs the reply text only for temporary failures; a
        # permanent one becomes "User unknown" etc. (see sm_reply).
        return sc.code < 500 or sc.cls == "user_unknown"
    return True


def build_catalogue():
    """mta -> class -> weighted table of (scenario)."""
    cat = {m: {} for m in MTAS}
    for m in MTAS:
        for sc in REPLIES + AUTH_REPLIES:
            if reply_ok_for(m, sc):
                cat[m].setdefault(sc.cls, []).append((sc, sc.w))
        for sp in SPECIALS:
            if sp.mta == m:
                cat[m].setdefault(sp.cls, []).append((sp, sp.w))
    return {m: {c: weighted(v) for c, v in d.items()} for m, d in cat.items()}


# ---------------------------------------------------------------------------
# The generator
# ---------------------------------------------------------------------------

# ---------------------------------------------------------------------------
# The newer formats: PowerMTA accounting, OpenSMTPD, Haraka, qmail
# ---------------------------------------------------------------------------
#
# Their lines come from a second random stream (rng2, seeded from --seed)
# and are interleaved into the stream above at NEW_SHARE of the lines, so
# that the Postfix/Exim/Sendmail/KumoMTA lines are those of the classic
# corpus (--classic), in the same order: a corpus of N lines holds the
# first ~0.88 N lines of the classic corpus of N lines. The new lines take
# their time from the classic stream's clock.

NEW_MTAS = ("powermta", "opensmtpd", "haraka", "qmail")
NEW_SHARE = 0.12
NEW_LINE_SHARE = {"powermta": 0.05, "opensmtpd": 0.025, "haraka": 0.025,
                  "qmail": 0.02}

PMTA_HEADER = ("type,timeLogged,timeQueued,orig,rcpt,orcpt,dsnAction,"
               "dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,srcMta,dlvType,"
               "dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,vmta,"
               "jobId,envId,queue,vmtaPool")

# PowerMTA's bounce category for a class: what PowerMTA's own classifier
# would most likely say (synthetic: PowerMTA's rules are not public).
PMTA_CAT = {
    "user_unknown": "bad-mailbox", "mailbox_disabled": "inactive-mailbox",
    "mailbox_full": "quota-issues", "bad_domain": "bad-domain",
    "dns_failure": "bad-domain", "routing_error": "routing-errors",
    "relay_denied": "relaying-issues", "invalid_sender": "invalid-sender",
    "protocol_error": "protocol-errors", "virus": "virus-related",
    "content_spam": "spam-related", "blocklist": "spam-related",
    "sender_reputation": "spam-related", "content_policy": "content-related",
    "message_too_large": "content-related", "expired": "message-expired",
    "network_connection": "bad-connection",
    "service_unavailable": "no-answer-from-host",
    "connection_limit": "bad-connection",
}

# qmail-remote's phrase for the command a remote reply answered.
QMAIL_PHRASE = {
    "greeting": "Connected_to_{rip}_but_greeting_failed.",
    "helo": "Connected_to_{rip}_but_my_name_was_rejected.",
    "mail_from": "Connected_to_{rip}_but_sender_was_rejected.",
    "rcpt_to": "{rip}_does_not_like_recipient.",
    "data": "{rip}_failed_on_DATA_command.",
    "end_of_data": "{rip}_failed_after_I_sent_the_message.",
}


def csv_field(s):
    """RFC 4180: quoted when it holds a comma, a quote or a line break."""
    if any(ch_ in s for ch_ in ',"\r\n'):
        return '"' + s.replace('"', '""') + '"'
    return s


def qmail_safe(s):
    """qmail-send's logsafe(): bytes outside 33..126 and '%' become '_'."""
    return "".join(c if 33 <= ord(c) <= 126 and c != "%" else "_"
                   for c in s)


class NewFormats:
    """Episodes of the newer formats (methods of Gen, on rng2)."""

    def nf_init(self, seed):
        global rng
        saved = rng
        self.set_clock(START_EPOCH + 6 * 3600)
        rng = self.rng2 = random.Random(seed * 1000003 + 7)
        self.nf_table = weighted((m, NEW_LINE_SHARE[m] / s) for m, s in (
            ("powermta", 1.15), ("opensmtpd", 4.8), ("haraka", 3.8),
            ("qmail", 6.3)))  # mean lines per episode, measured
        self.nf_p_fail = {"powermta": 0.135, "opensmtpd": 0.62,
                          "haraka": 0.34, "qmail": 0.82}
        cat = {}
        for sc in REPLIES:
            cat.setdefault(sc.cls, []).append((sc, sc.w))
        self.nf_cat = {c: weighted(v) for c, v in cat.items()}
        self.nf_hosts = {
            "powermta": [Host("powermta", "pmta%d" % i, 4, [Inst(
                "vmta-%d-%d" % (i, j), "203.0.113.%d" % (100 + 4 * i + j),
                "2001:db8:50::%x" % (4 * i + j), "pmta%d.outbound.example.net" % i) for j in range(4)])
                for i in (1, 2)],
            "opensmtpd": [Host("opensmtpd", "smtpd-out%d" % i, 0, [Inst(
                "smtpd", "192.0.2.%d" % (60 + i), "2001:db8:56::%x" % i,
                "smtpd-out%d.example.org" % i)]) for i in (1, 2)],
            "haraka": [Host("haraka", "haraka-out%d" % i, 6, [Inst(
                "outbound", "192.0.2.%d" % (70 + i), "2001:db8:57::%x" % i,
                "haraka-out%d.example.org" % i)]) for i in (1, 2)],
            "qmail": [Host("qmail", "qmail-out%d" % i, 7, [Inst(
                "qmail", "192.0.2.%d" % (80 + i), "2001:db8:58::%x" % i,
                "qmail-out%d.example.org" % i)]) for i in (1, 2)],
        }
        self.nf_host_tables = {m: weighted((h, 1.0) for h in hs)
                               for m, hs in self.nf_hosts.items()}
        self.nf_dlv = 1000  # qmail delivery numbers
        self.nf_k = 4
        self.nf_active = []
        for _ in range(self.nf_k):
            ep = self.nf_episode()
            ep.reverse()
            self.nf_active.append(ep)
        rng = saved

    def nf_next(self):
        """The next item of the newer formats (on rng2)."""
        global rng
        saved = rng
        rng = self.rng2
        i = int(rng.random() * self.nf_k)
        ep = self.nf_active[i]
        item = ep.pop()
        if not ep:
            ep = self.nf_episode()
            ep.reverse()
            self.nf_active[i] = ep
        frac = rng.random()
        rng = saved
        return item, frac

    def nf_line(self, item, frac):
        """The text of an item of the newer formats at the current clock."""
        kind, a, b, age, _ = item
        sec = self.clock_sec
        if kind == 4:
            return "%s%d,%d%s" % (a, sec, sec - age, b)
        if kind == 6:
            return "%s.%03dZ %s%s" % (self.iso_base, int(frac * 1000), a, b)
        if kind == 7:
            return "%s %s%s" % (tai64n(sec + frac), a, b)
        return self.bsd_ts + a + b

    def nf_episode(self):
        mta = pick(self.nf_table)
        host = pick(self.nf_host_tables[mta])
        fail = rng.random() < self.nf_p_fail[mta]
        sc, stage = None, None
        if fail:
            sc = self.nf_failure(mta)
            dom = self.domain_for(sc.provs) if sc is not None else \
                pick(self.dom_table)
        else:
            dom = pick(self.dom_table)
        c = self.new_ctx(host, dom)
        if sc is not None:
            stage = self.nf_stage(mta, sc)
        return getattr(self, "nf_" + mta)(host, c, fail, sc, stage)

    def nf_failure(self, mta):
        """A reply scenario this MTA can log, or None for its own text."""
        if rng.random() < 0.12:
            return None
        while True:
            cls = pick(self.class_table)
            tab = self.nf_cat.get(cls)
            if tab is None:
                continue
            sc = pick(tab)
            if sc.stages[0][0] == "auth":
                continue
            if mta == "qmail" and not any(s in QMAIL_PHRASE
                                          for s, _ in sc.stages):
                continue
            return sc

    def nf_stage(self, mta, sc):
        pairs = [(s, w) for s, w in sc.stages if s != "auth" and
                 (mta != "qmail" or s in QMAIL_PHRASE)]
        return pick(weighted(pairs)) if pairs else sc.stages[0][0]

    # PowerMTA accounting ---------------------------------------------------

    def nf_powermta(self, host, c, fail, sc, stage):
        inst = c["inst"]
        size = ch(SIZES) + int(rng.random() * 900)
        job = "job-%d" % (int(rng.random() * 400) + 1)
        pool = "pool-%s" % ("a" if inst.prefix.endswith(("0", "1")) else "b")
        src = "%s (%s)" % ch(APP_HOSTS)
        esmtp = csv_field("PIPELINING,8BITMIME,SIZE,STARTTLS")

        def row(rtype, action, status, diag, cat, truth=None, age=0):
            tail = ",".join((
                c["sender"], c["rcpt"], "", action, status, csv_field(diag),
                "%s (%s)" % (c["mx"], c["rip"]), cat, "smtp", src, "smtp",
                inst.ip4, c["rip"], esmtp, str(size), inst.prefix, job, "",
                "%s/%s" % (c["rdom"], inst.prefix), pool))
            return (4, rtype + ",", "," + tail, age, truth)

        out = []
        if rng.random() < 0.004:
            out.append(row("f", "", "", "", ""))
        if not fail:
            out.append(row("d", "relayed", "2.0.0 (success)",
                            "smtp;250 2.0.0 " + self.ok_text(c), "success",
                            age=1 + int(rng.random() * 30)))
            return out
        if sc is None:
            if rng.random() < 0.5:
                out.append(row(
                    "b", "failed", "4.4.7 (delivery time expired)", "",
                    "message-expired",
                    ("expired", "expired", "queue", 0, "4.4.7", "powermta"),
                    age=86400 * 3 + int(rng.random() * 86400)))
            else:
                out.append(row(
                    "t", "delayed", "4.4.1 (no answer from host)",
                    "smtp;Connection timed out", "bad-connection",
                    ("deferred", "network_connection", "connect", 0, "4.4.1",
                     "powermta"), age=60 + int(rng.random() * 7200)))
            return out
        lines = [t.format_map(c) for t in sc.lines]
        enh = sc.enh or "%d.0.0" % (sc.code // 100)
        diag = "smtp;" + flat_pf(sc.code, sc.enh, lines)
        cat = PMTA_CAT.get(sc.cls, "policy-related" if sc.cls in (
            "ip_policy_block", "rate_limit", "reverse_dns", "helo_identity",
            "auth_failure", "tls_required", "policy_other",
            "too_many_recipients", "greylisting") else "other")
        status = "deferred" if sc.code < 500 else "bounced"
        out.append(row("t" if status == "deferred" else "b",
                       "delayed" if status == "deferred" else "failed",
                       "%s (%s)" % (enh, ch(("delivery not authorized",
                                             "other or undefined status",
                                             "bad destination mailbox "
                                             "address"))),
                       diag, cat,
                       (status, sc.cls, "unknown", sc.code, sc.enh or enh,
                        "powermta"),
                       age=1 + int(rng.random() * 40000)))
        return out

    # OpenSMTPD -------------------------------------------------------------

    def nf_opensmtpd(self, host, c, fail, sc, stage):
        sess = hexs(16)
        pre = host.syslog_pre("smtpd", "smtpd")
        out = [(0, pre, "%s mta connecting address=smtp://%s:25 host=%s" % (
            sess, c["rip"], c["mx"]), 0, None),
            (0, pre, "%s mta connected" % sess, 0, None)]
        if rng.random() < 0.6:
            out.append((0, pre, "%s mta tls ciphers=TLSv1.3:"
                        "TLS_AES_256_GCM_SHA384:256" % sess, 0, None))
        head = ('%s mta delivery evpid=%s from=<%s> to=<%s> rcpt=<-> '
                'source="%s" relay="%s (%s)" delay=%ds ' % (
                    sess, hexs(16), c["sender"], c["rcpt"], c["inst"].ip4,
                    c["rip"], c["mx"], int(rng.random() * 40)))
        if not fail:
            body = head + 'result="Ok" stat="250 2.0.0 %s"' % self.ok_text(c)
            out.append((0, pre, body, 0, None))
        elif sc is None:
            body = head + 'result="TempFail" stat="Network error on ' \
                          'destination MXs"'
            out.append((0, pre, body, 0, (
                "deferred", "network_connection", "connect", 0, "",
                "opensmtpd")))
        else:
            # Only the last line of a multi-line reply reaches stat.
            last = sc.lines[-1].format_map(c).strip()
            stat = "%d %s %s" % (sc.code, sc.enh, last) if sc.enh else \
                "%d %s" % (sc.code, last)
            result = "TempFail" if sc.code < 500 else "PermFail"
            out.append((0, pre, head + 'result="%s" stat="%s"' % (
                result, stat), 0, (
                "deferred" if sc.code < 500 else "bounced", sc.cls,
                "unknown", sc.code, sc.enh, "opensmtpd")))
        out.append((0, pre, "%s mta disconnected reason=quit messages=1" %
                    sess, 0, None))
        return out

    # Haraka ----------------------------------------------------------------

    def nf_haraka(self, host, c, fail, sc, stage):
        uuid = "%s-%s-%s-%s-%s.1.1" % (hexs(8, True), hexs(4, True),
                                       hexs(4, True), hexs(4, True),
                                       hexs(12, True))
        f = "%d_%d_0_%d_%s_%d_%s" % (
            self.clock_sec * 1000 + int(rng.random() * 999),
            self.clock_sec * 1000 + int(rng.random() * 999),
            int(rng.random() * 60000), alnum(6), int(rng.random() * 99),
            c["inst"].helo)

        def item(level, msg, truth=None):
            return (6, "[%s] [%s] [outbound] " % (level, uuid), msg, 0,
                    truth)

        out = [item("INFO", "Looking up A records for: %s" % c["mx"]),
               item("INFO", "Attempting to deliver to: %s:25 (0) (0)" %
                    c["rip"])]
        if not fail:
            out.append(item(
                "NOTICE", ' delivered file=%s domain=%s host=%s ip=%s '
                'port=25 mode=SMTP tls=Y auth=N response="%s" delay=%s '
                'fails=0 rcpts=1/0/0' % (f, c["rdom"], c["mx"], c["rip"],
                                        self.ok_text(c),
                                        pfnum(0.1 + rng.random() * 3))))
            return out
        if sc is None:
            out.append(item("ERROR", "Ongoing connection failed to %s:25 : "
                            "socket timeout waiting on connect" % c["rip"]))
            out.append(item("INFO", "Temp failing %s for 64 seconds: Tried "
                            "all MXs" % f, (
                                "deferred", "network_connection", "unknown",
                                0, "", "haraka")))
            return out
        lines = [t.format_map(c).strip() for t in sc.lines]
        reply = "%d %s%s" % (sc.code, sc.enh + " " if sc.enh else "",
                             " ".join(lines))
        status = "deferred" if sc.code < 500 else "bounced"
        if stage == "rcpt_to":
            out.append(item("NOTICE", "recipient <%s> %s: %s" % (
                c["rcpt"], "deferred" if status == "deferred" else
                "rejected", reply), (status, sc.cls, "rcpt_to", sc.code,
                                     sc.enh, "haraka")))
            if status == "deferred":
                out.append(item("INFO", "Temp failing %s for 64 seconds: "
                                "Some recipients temp failed: <%s>" % (
                                    f, c["rcpt"])))
            else:
                out.append(item("INFO", "bouncing mail: Some recipients "
                                "failed: <%s>" % c["rcpt"]))
        elif status == "deferred":
            out.append(item("INFO", "Temp failing %s for 64 seconds: "
                            "Upstream error: %s" % (f, reply), (
                                status, sc.cls, "unknown", sc.code, sc.enh,
                                "haraka")))
        else:
            out.append(item("INFO", "bouncing mail: %s" % reply, (
                status, sc.cls, "unknown", sc.code, sc.enh, "haraka")))
        return out

    # qmail -------------------------------------------------------------------

    def nf_qmail(self, host, c, fail, sc, stage):
        msg = 100000 + int(rng.random() * 800000)
        self.nf_dlv += 1
        d = self.nf_dlv
        out = [(7, "", "new msg %d" % msg, 0, None),
               (7, "", "info msg %d: bytes %d from <%s> qp %d uid 1000" % (
                   msg, ch(SIZES), c["sender"], int(rng.random() * 30000)),
                0, None),
               (7, "", "starting delivery %d: msg %d to remote %s" % (
                   d, msg, c["rcpt"]), 0, None),
               (7, "", "status: local 0/10 remote %d/120" % (
                   1 + int(rng.random() * 40)), 0, None)]
        if not fail:
            rep = "%s_accepted_message./Remote_host_said:_%s/" % (
                c["rip"], qmail_safe("250 " + self.ok_text(c)))
            out.append((7, "", "delivery %d: success: %s" % (d, rep), 0,
                        None))
        elif sc is None:
            out.append((7, "", "delivery %d: deferral: Sorry,_I_wasn't_able_"
                        "to_establish_an_SMTP_connection._(#4.4.1)/" % d, 0,
                        ("deferred", "network_connection", "connect", 0,
                         "4.4.1", "qmail")))
        else:
            lines = [t.format_map(c) for t in sc.lines]
            n = len(lines)
            said = "/".join(qmail_safe(
                "%d%s%s %s" % (sc.code, " " if i == n - 1 else "-", sc.enh,
                               t) if sc.enh else
                "%d%s%s" % (sc.code, " " if i == n - 1 else "-", t))
                for i, t in enumerate(lines))
            rep = QMAIL_PHRASE[stage].format_map(c) + \
                "/Remote_host_said:_" + said + "/"
            if stage == "rcpt_to":
                rep += "Giving_up_on_%s./" % c["rip"]
            status = "deferred" if sc.code < 500 else "bounced"
            out.append((7, "", "delivery %d: %s: %s" % (
                d, "deferral" if status == "deferred" else "failure", rep),
                0, (status, sc.cls, stage, sc.code, sc.enh, "qmail")))
        out.append((7, "", "end msg %d" % msg, 0, None))
        return out


OK_GOOGLE = "OK  {unix} {gid} - gsmtp"
TLS_CIPHERS = (("TLSv1.3", "TLS_AES_256_GCM_SHA384", "256/256"),
               ("TLSv1.3", "TLS_AES_128_GCM_SHA256", "128/128"),
               ("TLSv1.2", "ECDHE-RSA-AES256-GCM-SHA384", "256/256"))
SIZES = (2841, 5120, 8834, 14211, 23876, 31022, 48870, 65212, 102334, 183221)


class Gen(NewFormats):
    """Builds episodes (the lines of one delivery attempt) and emits lines."""

    def __init__(self, nlines, seed=None, fail_share=None, share_seed=1):
        self.nlines = nlines
        self.dom_table, self.prov_tables = build_domains()
        self.fleet = build_fleet()
        self.cat = build_catalogue()
        self.class_table = weighted(CLASS_WEIGHT.items())
        self.prov_cache = {}
        self.host_tables = {m: weighted((h, 1.0) for h in hs)
                            for m, hs in self.fleet.items()}
        share = {"postfix": 4.9, "exim": 2.6, "sendmail": 1.66,
                 "kumomta": 1.62}  # mean lines per episode, measured
        self.mta_table = weighted((m, MTA_LINE_SHARE[m] / share[m])
                                  for m in MTAS)
        # Probability that an episode is a failure, per MTA (tuned so that
        # failure lines are FAIL_SHARE of all lines).
        self.p_fail = {"postfix": 0.63, "exim": 0.34, "sendmail": 0.21,
                       "kumomta": 0.21}
        self.locals = [local_part() for _ in range(40000)]
        self.senders = []
        for _ in range(4000):
            brand = ch(BRANDS)
            if rng.random() < 0.55:
                snd = "bounce+%s-%s@%s" % (hexs(6), hexs(8), brand)
            else:
                snd = "%s@%s" % (ch(SENDER_LOCAL), brand)
            self.senders.append((snd, brand))
        self.coverage = self.coverage_plan()
        # Episodes average about 4.4 lines: spend the plan in the first
        # half of the run (all of it for runs of a few thousand lines).
        self.p_force = min(0.5, 9.0 * len(self.coverage) / nlines)
        # The newer formats, on their own random stream (None: --classic).
        self.rng2 = None
        if seed is not None:
            self.nf_init(seed)
        # --failure-share: scale every failure probability by the odds
        # ratio of the wanted share to the natural one, then steer the rest
        # by dropping classic-stream lines of the kind in excess (on a third
        # random stream, so the default corpus does not change).
        self.fail_share = fail_share
        self.rng3 = None
        if fail_share is not None:
            k = (fail_share / (1 - fail_share)) / (FAIL_SHARE / (1 - FAIL_SHARE))
            for tab in (self.p_fail, getattr(self, "nf_p_fail", {})):
                for m, p in tab.items():
                    tab[m] = p * k / (p * k + 1 - p)
            self.rng3 = random.Random(share_seed * 7919 + 3)

    # -- helpers -----------------------------------------------------------

    def domain_for(self, provs):
        """A recipient domain served by one of provs."""
        tab = self.prov_cache.get(provs)
        if tab is None:
            pairs = []
            for p in provs:
                items, cum = self.prov_tables.get(p, ([], []))
                prev = 0.0
                for it, c in zip(items, cum):
                    pairs.append((it, c - prev))
                    prev = c
            tab = weighted(pairs)
            self.prov_cache[provs] = tab
        return pick(tab)

    def new_ctx(self, host, dom):
        """Template values for one message to a recipient at dom."""
        rand = rng.random
        insts = host.insts
        inst = insts[int(rand() * len(insts))]
        mxs = dom.mxs
        mxn, v4, v6 = mxs[int(rand() * len(mxs))]
        if v6 and rand() < 0.25:
            rip = v6[int(rand() * len(v6))]
            ip = inst.ip6
        else:
            rip = v4[int(rand() * len(v4))]
            ip = inst.ip4
        lps = self.locals
        lp = lps[int(rand() * len(lps))]
        snd = self.senders
        sender, brand = snd[int(rand() * len(snd))]
        return Ctx(ip=ip, rcpt=lp + "@" + dom.name, rcpt_local=lp,
                   rdom=dom.name, sender=sender, sdom=brand, mx=mxn, rip=rip,
                   inst=inst, dom=dom, mxs=mxs)

    def coverage_plan(self):
        """Forced failures so that every class and stage shows up."""
        plan = []
        for cls in CLASSES:
            for m in ("postfix", "exim", "kumomta", "sendmail"):
                tab = self.cat[m].get(cls)
                if tab:
                    plan.append((m, cls, None))
                    break
        want = {"connect": ("postfix", "pf_connect"),
                "greeting": ("postfix", "greeting"),
                "helo": ("exim", "helo"),
                "starttls": ("postfix", "pf_tls"),
                "auth": ("postfix", "auth"),
                "mail_from": ("exim", "mail_from"),
                "rcpt_to": ("kumomta", "rcpt_to"),
                "data": ("postfix", "data"),
                "end_of_data": ("exim", "end_of_data"),
                "queue": ("exim", "ex_expired"),
                "unknown": ("sendmail", "unknown")}
        for st in STAGES:
            m, what = want[st]
            plan.append((m, None, what))
        rng.shuffle(plan)
        return plan

    def choose_failure(self, mta, forced=None):
        """(scenario, stage wanted or None) for a failure on mta."""
        if forced is not None:
            _, cls, what = forced
            if cls is not None:
                return pick(self.cat[mta][cls]), None
            for table in self.cat[mta].values():
                for sc in table[0]:
                    if sc.kind == "special" and sc.name == what:
                        return sc, None
            # A reply at stage `what` (or any reply for sendmail).
            cands = []
            for table in self.cat[mta].values():
                for sc in table[0]:
                    if sc.kind != "reply":
                        continue
                    if what == "unknown" and sc.code < 500:
                        cands.append(sc)
                    elif any(s == what for s, _ in sc.stages):
                        cands.append(sc)
            return ch(cands), (None if what == "unknown" else what)
        while True:
            cls = pick(self.class_table)
            tab = self.cat[mta].get(cls)
            if tab:
                return pick(tab), None

    def reply_stage(self, mta, sc, want):
        """Stage at which the reply is given."""
        if want is not None:
            return want
        ok = REPLY_STAGES[mta]
        pairs = [(s, w) for s, w in sc.stages if s in ok or s == "auth"]
        if len(pairs) == 1:
            return pairs[0][0]
        return pick(weighted(pairs))

    # -- episodes ----------------------------------------------------------

    def episode(self):
        """Lines of one new episode, as emit items, in order."""
        forced = None
        if self.coverage and rng.random() < self.p_force:
            forced = self.coverage.pop()
            mta = forced[0]
            fail = True
        else:
            if rng.random() < 0.01:
                return self.noise()
            mta = pick(self.mta_table)
            fail = rng.random() < self.p_fail[mta]
        host = pick(self.host_tables[mta])
        if fail:
            sc, want = self.choose_failure(mta, forced)
            if sc.kind == "special" and sc.provs is not ANY:
                dom = self.domain_for(tuple(sc.provs))
            elif sc.kind == "reply":
                dom = self.domain_for(sc.provs)
            else:
                dom = pick(self.dom_table)
            c = self.new_ctx(host, dom)
            return getattr(self, "fail_" + mta)(host, c, sc, want)
        c = self.new_ctx(host, pick(self.dom_table))
        return getattr(self, "ok_" + mta)(host, c)

    # Postfix -------------------------------------------------------------

    def pf_qid(self, host):
        if host.qid == "long":
            return alnum(10, PF_LONG) + "z" + alnum(2 + int(rng.random() * 3),
                                                   PF_LONG)
        return hexs(10 if rng.random() < 0.8 else 11, True)

    def pf_item(self, host, inst, svc, body, truth=None, pre=None):
        if pre is None:
            pre = host.syslog_pre(inst.prefix + "/" + svc, svc)
        return (host.style, pre, body, 0, truth)

    def pf_head(self, host, c, qid, fresh):
        """Submission lines of a new message, or qmgr line of a retry."""
        inst = c["inst"]
        size = ch(SIZES) + int(rng.random() * 900)
        c["size"] = size
        out = []
        qm = "%s: from=<%s>, size=%d, nrcpt=1 (queue active)" % (
            qid, c["sender"], size)
        if not fresh:
            return [self.pf_item(host, inst, "qmgr", qm)]
        mid = "%s.%s@%s" % (hexs(16), hexs(8), c["sdom"])
        if rng.random() < 0.3:
            out.append(self.pf_item(host, inst, "pickup",
                                    "%s: uid=%d from=<%s>" % (
                                        qid, ch((33, 1001, 1002, 998)),
                                        c["sender"])))
            out.append(self.pf_item(host, inst, "cleanup",
                                    "%s: message-id=<%s>" % (qid, mid)))
            out.append(self.pf_item(host, inst, "qmgr", qm))
            return out
        ah, aip = ch(APP_HOSTS)
        sp = host.syslog_pre(inst.prefix + "/smtpd", "smtpd")
        out.append(self.pf_item(host, inst, "smtpd",
                                "connect from %s[%s]" % (ah, aip), pre=sp))
        if rng.random() < 0.3:
            out.append(self.pf_item(
                host, inst, "smtpd",
                "%s: client=%s[%s], sasl_method=PLAIN, sasl_username=%s" % (
                    qid, ah, aip, ch(("app", "crm", "billing", "news"))),
                pre=sp))
        else:
            out.append(self.pf_item(host, inst, "smtpd",
                                    "%s: client=%s[%s]" % (qid, ah, aip),
                                    pre=sp))
        out.append(self.pf_item(host, inst, "cleanup",
                                "%s: message-id=<%s>" % (qid, mid)))
        out.append(self.pf_item(host, inst, "qmgr", qm))
        tls = rng.random() < 0.5
        out.append(self.pf_item(
            host, inst, "smtpd", pre=sp, body=
            "disconnect from %s[%s] ehlo=%d%s mail=1 rcpt=1 data=1 quit=1 "
            "commands=%d" % (ah, aip, 2 if tls else 1,
                             " starttls=1" if tls else "", 7 if tls else 5)))
        return out

    def pf_delays(self, fresh, conn=True):
        if fresh:
            a = rng.random() * 0.3
            b = rng.random() * 0.05
        else:
            a = 300 + rng.random() * 200000
            b = rng.random() * 2
        cc = rng.random() * 1.5 if conn else 0
        d = rng.random() * 0.8 if conn else 0
        return "delay=%s, delays=%s/%s/%s/%s" % (
            pfnum(a + b + cc + d), pfnum(a), pfnum(b), pfnum(cc), pfnum(d))

    def ok_postfix(self, host, c):
        qid = self.pf_qid(host)
        fresh = rng.random() < 0.72
        out = self.pf_head(host, c, qid, fresh)
        inst = c["inst"]
        mx, rip = c["mx"], c["rip"]
        sp = host.syslog_pre(inst.prefix + "/smtp", "smtp")
        if rng.random() < 0.4:
            v, ciph, bits = ch(TLS_CIPHERS)
            kind = ("Verified" if c["dom"].prov in ("google", "microsoft")
                    else ch(("Trusted", "Untrusted", "Anonymous")))
            out.append(self.pf_item(
                host, inst, "smtp",
                "%s TLS connection established to %s[%s]:25: %s with cipher "
                "%s (%s bits)" % (kind, mx, rip, v, ciph, bits), pre=sp))
        out.append(self.pf_item(
            host, inst, "smtp", pre=sp, body=
            "%s: to=<%s>, relay=%s[%s]:25, %s, dsn=2.0.0, status=sent "
            "(250 2.0.0 %s)" % (qid, c["rcpt"], mx, rip,
                                self.pf_delays(fresh), self.ok_text(c))))
        out.append(self.pf_item(host, inst, "qmgr", "%s: removed" % qid))
        return out

    def ok_text(self, c):
        prov = c["dom"].prov
        if prov == "google":
            return OK_GOOGLE.format_map(c)
        if prov == "microsoft":
            return "OK <%s@%s> [Hostname=%s]" % (
                hexs(12), c["sdom"], c["msid"].split(".")[0])
        if prov == "yahoo":
            return "ok dirdel"
        if prov == "mimecast":
            return "Ok %s" % c["mcid"]
        return "Ok: queued as %s" % hexs(10, True)

    def fail_postfix(self, host, c, sc, want):
        qid = self.pf_qid(host)
        inst = c["inst"]
        r = c["rcpt"]
        if sc.kind == "special" and sc.name == "pf_expired":
            out = [self.pf_item(
                host, inst, "qmgr",
                "%s: from=<%s>, status=%s, returned to sender" % (
                    qid, c["sender"],
                    "force-expired" if rng.random() < 0.05 else "expired"),
                ("expired", "expired", "queue", 0, ""))]
            return out + self.pf_bounce_tail(host, inst, qid)
        fresh = rng.random() < 0.4
        out = self.pf_head(host, c, qid, fresh)
        mx, rip = c["mx"], c["rip"]
        relay = "%s[%s]:25" % (mx, rip)
        svc = "smtp"
        conn = True
        if sc.kind == "reply":
            stage = self.reply_stage("postfix", sc, want)
            lines = [t.format_map(c) for t in sc.lines]
            reply = flat_pf(sc.code, sc.enh, lines)
            enh = sc.enh or "%d.0.0" % (sc.code // 100)
            status = "deferred" if sc.code < 500 else "bounced"
            dsn = enh
            tstage = stage
            if stage == "auth":
                sh, sip = ch(SMARTHOSTS)
                relay = "%s[%s]:587" % (sh, sip)
                text = "SASL authentication failed; server %s[%s] said: %s" % (
                    sh, sip, reply)
                status = "deferred"
                dsn = "4" + enh[1:]
            elif stage == "greeting":
                # smtp_skip_5xx_greeting: a 5xx banner defers the message.
                text = "host %s[%s] refused to talk to me: %s" % (
                    mx, rip, reply)
                status = "deferred"
                dsn = "4" + enh[1:]
                if want is None and rng.random() < 0.15:
                    # qmgr marked the host dead: no new attempt was made.
                    text = "delivery temporarily suspended: " + text
                    tstage = "queue"
                    svc = "error"
                    relay = "none"
                    conn = False
            else:
                cmd = PF_CMD[stage]
                if stage == "helo" and rng.random() < 0.1:
                    cmd = "HELO"
                text = "host %s[%s] said: %s (in reply to %s command)" % (
                    mx, rip, reply, cmd)
                others = [m for m in c["mxs"] if m[0] != mx]
                if status == "deferred" and others and rng.random() < 0.2:
                    # Non-final line: another MX said the same before; the
                    # parser skips it, the status= line below is the event.
                    omx, o4, _ = others[0]
                    out.append(self.pf_item(
                        host, inst, "smtp",
                        "%s: host %s[%s] said: %s (in reply to %s command)" % (
                            qid, omx, ch(o4), reply, cmd)))
            # The parser takes the reply's enhanced code, else dsn=.
            truth = (status, sc.cls, tstage, sc.code, sc.enh or dsn)
        else:
            text, dsn, status, relay, svc, conn = self.pf_special(sc, c)
            truth = (status, sc.cls, sc.stage, 0, dsn)
            if sc.name == "pf_tls" and " refused to start TLS: " in text:
                truth = (status, sc.cls, sc.stage, 454, "4.7.0")
        body = "%s: to=<%s>, relay=%s, %s, dsn=%s, status=%s (%s)" % (
            qid, r, relay, self.pf_delays(fresh, conn), dsn, status, text)
        out.append(self.pf_item(host, inst, svc, body, truth))
        if status == "bounced":
            out += self.pf_bounce_tail(host, inst, qid)
        return out

    def pf_bounce_tail(self, host, inst, qid):
        return [self.pf_item(host, inst, "bounce",
                             "%s: sender non-delivery notification: %s" % (
                                 qid, self.pf_qid(host))),
                self.pf_item(host, inst, "qmgr", "%s: removed" % qid)]

    def pf_special(self, sp, c):
        """(text, dsn, status, relay, service, connected) of a special."""
        mx, rip = c["mx"], c["rip"]
        hp = "%s[%s]" % (mx, rip)
        relay = hp + ":25"
        n = sp.name
        if n in ("pf_connect", "pf_suspend_connect"):
            if ":" in rip:
                why = ch(("Network is unreachable", "Connection timed out"))
            else:
                why = pick(CONNECT_WHY)
            text = "connect to %s:25: %s" % (hp, why)
            if n == "pf_suspend_connect":
                return ("delivery temporarily suspended: " + text, "4.4.1",
                        "deferred", "none", "error", False)
            return text, "4.4.1", "deferred", "none", "smtp", False
        if n.startswith("pf_lost_") or n == "pf_suspend_lost":
            doing = {
                "pf_lost_greeting": ("receiving the initial server greeting",),
                "pf_suspend_lost": ("receiving the initial server greeting",),
                "pf_lost_helo": ("performing the EHLO handshake",
                                 "performing the HELO handshake"),
                "pf_lost_mail": ("sending MAIL FROM",),
                "pf_lost_rcpt": ("sending RCPT TO",),
                "pf_lost_data": ("sending DATA command",),
                "pf_lost_eod": ("sending end of data -- message may be sent "
                                "more than once", "sending message body"),
            }[n]
            if rng.random() < 0.5:
                text = "lost connection with %s while %s" % (hp, ch(doing))
            else:
                text = "conversation with %s timed out while %s" % (
                    hp, ch(doing))
            if n == "pf_suspend_lost":
                return ("delivery temporarily suspended: " + text, "4.4.2",
                        "deferred", "none", "error", False)
            return text, "4.4.2", "deferred", relay, "smtp", True
        if n in ("pf_dns_temp", "pf_suspend_dns"):
            t = ch(("MX", "MX", "MX", "A", "AAAA"))
            name = c["rdom"] if t == "MX" else mx
            text = ("Host or domain name not found. Name service error for "
                    "name=%s type=%s: Host not found, try again" % (name, t))
            if n == "pf_suspend_dns":
                return ("delivery temporarily suspended: " + text, "4.4.3",
                        "deferred", "none", "error", False)
            return text, "4.4.3", "deferred", "none", "smtp", False
        if n == "pf_dns_nx":
            text = ("Host or domain name not found. Name service error for "
                    "name=%s type=%s: Host not found" % (
                        c["rdom"], ch(("A", "AAAA", "MX"))))
            return text, "5.4.4", "bounced", "none", "smtp", False
        if n == "pf_nullmx":
            return ("Domain %s does not accept mail (nullMX)" % c["rdom"],
                    "5.1.10", "bounced", "none", "smtp", False)
        if n == "pf_tls":
            v = rng.random()
            if v < 0.35:
                return ("Cannot start TLS: handshake failure", "4.7.5",
                        "deferred", relay, "smtp", True)
            if v < 0.6:
                return ("TLS is required, but was not offered by host %s" % hp,
                        "4.7.4", "deferred", relay, "smtp", True)
            if v < 0.8:
                return ("Server certificate not verified", "4.7.5",
                        "deferred", relay, "smtp", True)
            return ("TLS is required, but host %s refused to start TLS: 454 "
                    "4.7.0 TLS not available due to local problem" % hp,
                    "4.7.0", "deferred", relay, "smtp", True)
        if n == "pf_loop":
            return ("mail for %s loops back to myself" % c["rdom"], "5.4.6",
                    "bounced", "none", "smtp", False)
        raise AssertionError(n)

    # Exim ----------------------------------------------------------------

    def ex_mid(self, host):
        t = self.clock_sec + int(rng.random() * 3)
        if host.oldexim:
            return "%s-%s-%s" % (b62(t, 6), b62(int(rng.random() * 99999), 6),
                                 alnum(2))
        return "%s-%s-%s" % (b62(t, 6), b62(int(rng.random() * 4194304), 11),
                             b62(int(rng.random() * 14776336), 4))

    def ex_item(self, host, body, truth=None):
        pre = " "
        if host.exim_pid:
            pre = " [%s] " % host.pid("exim")
        return (2, pre, body, 0, truth)

    def ok_exim(self, host, c):
        mid = self.ex_mid(host)
        out = []
        if rng.random() < 0.75:
            out.append(self.ex_item(host, self.ex_arrival(host, c, mid)))
        v, ciph, bits = ch(TLS_CIPHERS)
        x = "TLS1.3:%s:%s" % (ciph, bits.split("/")[0]) if v == "TLSv1.3" \
            else "TLS1.2:%s:%s" % (ciph, bits.split("/")[0])
        out.append(self.ex_item(
            host, "%s => %s R=dnslookup T=remote_smtp H=%s [%s] X=%s CV=yes "
                  "C=\"250 2.0.0 %s\"" % (mid, c["rcpt"], c["mx"], c["rip"],
                                          x, self.ok_text(c))))
        out.append(self.ex_item(host, "%s Completed" % mid))
        return out

    def ex_arrival(self, host, c, mid):
        ah, aip = ch(APP_HOSTS)
        c["size"] = ch(SIZES) + int(rng.random() * 900)
        return ("%s <= %s H=%s [%s] P=esmtps X=TLS1.3:TLS_AES_256_GCM_SHA384:"
                "256 CV=no S=%d id=%s.%s@%s" % (
                    mid, c["sender"], ah, aip, c["size"], hexs(16), hexs(6),
                    c["sdom"]))

    def fail_exim(self, host, c, sc, want):
        mid = self.ex_mid(host)
        out = []
        if rng.random() < 0.4:
            out.append(self.ex_item(host, self.ex_arrival(host, c, mid)))
        else:
            c["size"] = ch(SIZES) + int(rng.random() * 900)
        r, mx, rip = c["rcpt"], c["mx"], c["rip"]
        hostpart = "H=%s [%s]" % (mx, rip)
        if sc.kind == "reply":
            stage = self.reply_stage("exim", sc, want)
            lines = [t.format_map(c) for t in sc.lines]
            reply = flat_exim(sc.code, sc.enh, lines)
            cmd = {
                "greeting": "initial connection",
                "helo": "EHLO " + c["helo"],
                "starttls": "STARTTLS",
                "mail_from": "%sMAIL FROM:<%s> SIZE=%d" % (
                    "pipelined " if rng.random() < 0.1 else "", c["sender"],
                    c["size"] + 600),
                "rcpt_to": "RCPT TO:<%s>" % r,
                "data": ("pipelined " if rng.random() < 0.1 else "") + "DATA",
                "end_of_data": "end of data",
            }[stage]
            errno = {"mail_from": "-45", "rcpt_to": "-44", "data": "-46",
                     "end_of_data": "-46"}.get(stage, "0")
            err = "SMTP error from remote mail server after %s" % cmd
            if sc.code < 500:
                status = "deferred"
                if host.oldexim:
                    body = "%s == %s R=dnslookup T=remote_smtp defer (%s): " \
                           "%s: host %s [%s]: %s" % (mid, r, errno, err, mx,
                                                    rip, reply)
                else:
                    body = "%s == %s R=dnslookup T=remote_smtp defer (%s) " \
                           "%s: %s: %s" % (mid, r, errno, hostpart, err, reply)
            else:
                status = "bounced"
                if host.oldexim:
                    body = "%s ** %s R=dnslookup T=remote_smtp: %s: host %s " \
                           "[%s]: %s" % (mid, r, err, mx, rip, reply)
                else:
                    tls = ""
                    if stage not in ("greeting", "helo", "starttls") and \
                            rng.random() < 0.6:
                        tls = " X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes"
                    fpart = " F=<%s>" % c["sender"] if rng.random() < 0.3 \
                        else ""
                    body = "%s ** %s%s R=dnslookup T=remote_smtp %s%s : %s: " \
                           "%s" % (mid, r, fpart, hostpart, tls, err, reply)
            if stage in ("greeting", "helo", "starttls") and not host.oldexim:
                out.append(self.ex_item(host, "%s %s: %s: %s" % (
                    mid, hostpart, err, reply)))
            truth = (status, sc.cls, stage, sc.code, sc.enh or "")
            out.append(self.ex_item(host, body, truth))
            if status == "bounced":
                out += self.ex_bounce_tail(host, mid, c)
            return out
        n = sc.name
        stage = sc.stage
        status = "deferred"
        pre = "%s == %s R=dnslookup T=remote_smtp defer" % (mid, r)
        if n == "ex_connect":
            errno, why = pick(EXIM_CONNECT)
            body = "%s (%s): %s" % (pre, errno, why)
        elif n == "ex_timeout":
            stage, cmd = ch((("greeting", "initial connection"),
                             ("helo", "EHLO " + c["helo"]),
                             ("mail_from", "MAIL FROM:<%s> SIZE=%d" % (
                                 c["sender"], c["size"] + 600)),
                             ("rcpt_to", "RCPT TO:<%s>" % r),
                             ("end_of_data", "end of data")))
            body = "%s (110): Connection timed out %s: SMTP timeout after %s" % (
                pre, hostpart, cmd)
        elif n == "ex_closed":
            stage, cmd = ch((("helo", "EHLO " + c["helo"]),
                             ("mail_from", "MAIL FROM:<%s> SIZE=%d" % (
                                 c["sender"], c["size"] + 600)),
                             ("rcpt_to", "RCPT TO:<%s>" % r),
                             ("data", "DATA")))
            body = "%s (-18) %s: Remote host closed connection in response " \
                   "to %s" % (pre, hostpart, cmd)
        elif n == "ex_tls":
            body = "%s (-37) %s: TLS session: %s" % (pre, hostpart, ch((
                "(SSL_connect): error:0A000410:SSL routines::sslv3 alert "
                "handshake failure",
                "(gnutls_handshake): A TLS fatal alert has been received.",
                "(certificate verification failed): certificate has expired",
                "(SSL_connect): error:0A000086:SSL routines::certificate "
                "verify failed")))
        elif n == "ex_auth":
            body = "%s == %s R=smarthost T=remote_smtp_smarthost defer (-42): " \
                   "authentication required but authentication attempt(s) " \
                   "failed" % (mid, r)
        elif n == "ex_dns":
            body = "%s == %s R=dnslookup defer (-1): host lookup did not " \
                   "complete" % (mid, r)
        elif n == "ex_unroute":
            status = "bounced"
            body = "%s ** %s : Unrouteable address" % (mid, r)
        elif n == "ex_expired":
            status = "expired"
            body = "%s ** %s: retry timeout exceeded" % (mid, r)
        else:
            raise AssertionError(n)
        out.append(self.ex_item(host, body, (status, sc.cls, stage, 0, "")))
        if status != "deferred":
            out += self.ex_bounce_tail(host, mid, c)
        return out

    def ex_bounce_tail(self, host, mid, c):
        bmid = self.ex_mid(host)
        return [self.ex_item(host, "%s <= <> R=%s U=Debian-exim P=local S=%d"
                             % (bmid, mid, c["size"] + 1900)),
                self.ex_item(host, "%s Completed" % mid)]

    # Sendmail ------------------------------------------------------------

    def sm_qid(self):
        t = self.clock_sec - START_EPOCH
        return "%s%s%s%s%s%s%s%06d" % (
            B60[26], B60[10], B60[27], B60[(t // 3600) % 24],
            B60[(t // 60) % 60], B60[t % 60], alnum(2, B60),
            int(rng.random() * 99999))

    def sm_item(self, host, body, truth=None, pre=None):
        if pre is None:
            pre = host.syslog_pre(host.prog, "sm")
        return (0, pre, body, 0, truth)

    def sm_from(self, host, c, qid):
        ah, aip = ch(APP_HOSTS)
        c["size"] = ch(SIZES) + int(rng.random() * 900)
        return self.sm_item(host, (
            "%s: from=<%s>, size=%d, class=0, nrcpts=1, msgid=<%s.%s@%s>, "
            "bodytype=8BITMIME, proto=ESMTP, daemon=MTA, relay=%s [%s]" % (
                qid, c["sender"], c["size"], hexs(12), hexs(6), c["sdom"],
                ah, aip)))

    def sm_to(self, c, qid, fresh, tail):
        d = 1 + rng.random() * 4 if fresh else 600 + rng.random() * 400000
        x = min(d, 0.5 + rng.random() * 3)
        ctl = ""
        if rng.random() < 0.3:
            ctl = "ctladdr=<%s> (1001/1001), " % c["sender"]
        return ("%s: to=<%s>, %sdelay=%s, xdelay=%s, mailer=esmtp, pri=%d, %s" %
                (qid, c["rcpt"], ctl, hms(d), hms(x),
                 30000 + int(rng.random() * 900000), tail))

    def ok_sendmail(self, host, c):
        qid = self.sm_qid()
        fresh = rng.random() < 0.7
        out = [self.sm_from(host, c, qid)] if fresh else []
        out.append(self.sm_item(host, self.sm_to(
            c, qid, fresh, "relay=%s. [%s], dsn=2.0.0, stat=Sent (%s)" % (
                c["mx"], c["rip"], self.ok_text(c))),
            pre=out[0][1] if out else None))
        return out

    def fail_sendmail(self, host, c, sc, want):
        qid = self.sm_qid()
        fresh = rng.random() < 0.35
        out = [self.sm_from(host, c, qid)] if fresh else []
        relay = "relay=%s. [%s]" % (c["mx"], c["rip"])
        if sc.kind == "reply":
            lines = [t.format_map(c) for t in sc.lines]
            if sc.code >= 500:
                # Permanent: Sendmail logs the category, not the reply.
                dsn = sc.enh if sc.enh and sc.enh.startswith("5.1.") \
                    else "5.1.1"
                tail = "%s, dsn=%s, stat=User unknown" % (relay, dsn)
                truth = ("bounced", sc.cls, "unknown", 0, dsn)
            else:
                first = flat_sm(sc.code, sc.enh, lines)
                dsn = sc.enh or "4.0.0"
                tail = "%s, dsn=%s, stat=Deferred: %s" % (relay, dsn, first)
                truth = ("deferred", sc.cls, "unknown", sc.code, dsn)
        else:
            n = sc.name
            mx = c["mx"]
            status, dsn = "deferred", "4.0.0"
            if n == "sm_timeout":
                stat = "Deferred: Connection timed out with %s." % mx
            elif n == "sm_refused":
                stat = "Deferred: Connection refused by %s." % mx
            elif n == "sm_reset":
                stat = "Deferred: Connection reset by %s." % mx
            elif n == "sm_dns":
                stat = "Deferred: Name server: %s.: host name lookup failure" \
                       % c["rdom"]
                relay = "relay=%s." % c["rdom"]
            elif n == "sm_hostunknown":
                stat = "Host unknown (Name server: %s.: host not found)" % \
                       c["rdom"]
                relay = "relay=%s." % c["rdom"]
                status, dsn = "bounced", "5.1.2"
            else:
                raise AssertionError(n)
            tail = "%s, dsn=%s, stat=%s" % (relay, dsn, stat)
            truth = (status, sc.cls, sc.stage, 0, dsn)
        out.append(self.sm_item(host, self.sm_to(c, qid, fresh, tail), truth,
                                pre=out[0][1] if out else None))
        if truth[0] == "bounced":
            out.append(self.sm_item(host, "%s: %s: DSN: %s" % (
                qid, self.sm_qid(), "User unknown" if sc.kind == "reply"
                else "Host unknown (Name server: %s.: host not found)" %
                c["rdom"])))
        return out

    # KumoMTA -------------------------------------------------------------

    def km_record(self, host, c, rtype, resp, peer, attempts, extra_tail=""):
        """(head, tail) of a JSON record around timestamp/created."""
        inst = c["inst"]
        kid = c.get("kid")
        if kid is None:
            kid = c["kid"] = hexs(32)
        head = ('{"type":"%s","id":"%s","sender":"%s","recipient":%s,'
                '"queue":"%s","site":"%s","size":%d,"response":%s,'
                '"peer_address":%s,' % (
                    rtype, kid, c["sender"], json.dumps(c["rcpt"]),
                    c["rdom"], c["dom"].site if rtype != "Reception" else "",
                    c["size"], resp, peer))
        rec = rtype == "Reception"
        tail = ('"num_attempts":%d,"bounce_classification":"Uncategorized",'
                '"egress_pool":%s,"egress_source":%s,"feedback_report":null,'
                '"meta":{},"headers":{},"delivery_protocol":%s,'
                '"reception_protocol":"ESMTP","nodeid":"%s"%s}' % (
                    attempts, "null" if rec else '"pool-%s"' %
                    c["sdom"].split(".")[1],
                    "null" if rec else '"%s"' % inst.prefix,
                    "null" if rec else '"ESMTP"', host.nodeid, extra_tail))
        return head, tail

    def km_item(self, head, tail, age, truth=None):
        return (3, head, tail, age, truth)

    def km_reception(self, host, c):
        ah, aip = ch(APP_HOSTS)
        c["size"] = ch(SIZES) + int(rng.random() * 900)
        head, tail = self.km_record(
            host, c, "Reception",
            '{"code":250,"enhanced_code":null,"content":"","command":null}',
            '{"name":"%s","addr":"%s"}' % (ah if ah != "unknown" else "", aip),
            0)
        return self.km_item(head, tail, 0)

    def ok_kumomta(self, host, c):
        fresh = rng.random() < 0.7
        out = [self.km_reception(host, c)] if fresh else []
        if not fresh:
            c["size"] = ch(SIZES) + int(rng.random() * 900)
        resp = json.dumps({"code": 250, "enhanced_code": {
            "class": 2, "subject": 0, "detail": 0},
            "content": self.ok_text(c), "command": ".\r\n"},
            separators=(",", ":"))
        head, tail = self.km_record(
            host, c, "Delivery", resp,
            '{"name":"%s","addr":"%s"}' % (c["mx"], c["rip"]),
            1 if fresh else 2 + int(rng.random() * 6),
            ',"tls_cipher":"TLS13_AES_256_GCM_SHA384",'
            '"tls_protocol_version":"TLSv1_3"')
        out.append(self.km_item(head, tail, 1 + int(rng.random() * 5) if fresh
                                else 600 + int(rng.random() * 90000)))
        return out

    def fail_kumomta(self, host, c, sc, want):
        fresh = rng.random() < 0.35
        out = [self.km_reception(host, c)] if fresh else []
        if not fresh:
            c["size"] = ch(SIZES) + int(rng.random() * 900)
        attempts = 1 if fresh else 2 + int(rng.random() * 8)
        age = 1 + int(rng.random() * 5) if fresh else 600 + int(
            rng.random() * 200000)
        peer = '{"name":"%s","addr":"%s"}' % (c["mx"], c["rip"])
        if sc.kind == "reply":
            stage = self.reply_stage("kumomta", sc, want)
            lines = [t.format_map(c) for t in sc.lines]
            content = " ".join(lines)
            cmd = {
                "greeting": None,
                "helo": "EHLO %s\r\n" % c["helo"],
                "starttls": "STARTTLS\r\n",
                "mail_from": "MAIL FROM:<%s>\r\n" % c["sender"],
                "rcpt_to": "RCPT TO:<%s>\r\n" % c["rcpt"],
                "data": "DATA\r\n",
                "end_of_data": ".\r\n" if rng.random() < 0.8 else ".",
            }[stage]
            enh = None
            if sc.enh:
                a, b, d = sc.enh.split(".")
                enh = {"class": int(a), "subject": int(b), "detail": int(d)}
            resp = json.dumps({"code": sc.code, "enhanced_code": enh,
                               "content": content, "command": cmd},
                              separators=(",", ":"))
            rtype = "TransientFailure" if sc.code < 500 else "Bounce"
            status = "deferred" if sc.code < 500 else "bounced"
            truth = (status, sc.cls, "unknown" if cmd is None else stage,
                     sc.code, sc.enh or "")
        elif sc.name == "km_connect":
            why = ch(("Connection refused (os error 111)",
                      "Connection timed out (os error 110)",
                      "No route to host (os error 113)",
                      "timed out after 60s"))
            content = ("KumoMTA internal: failed to connect to any candidate "
                       "hosts: connect to %s:25 and read initial banner: %s" %
                       (c["rip"], why))
            resp = json.dumps({"code": 400, "enhanced_code": None,
                               "content": content, "command": None},
                              separators=(",", ":"))
            rtype, peer = "TransientFailure", "null"
            truth = ("deferred", sc.cls, "connect", 0, "")
        elif sc.name == "km_expired":
            due = datetime.datetime.fromtimestamp(
                self.clock_sec + 1800 + int(rng.random() * 7200),
                datetime.timezone.utc)
            exp = datetime.datetime.fromtimestamp(
                self.clock_sec + int(rng.random() * 1200),
                datetime.timezone.utc)
            content = ("Next delivery time would be at %s.%06d UTC which "
                       "exceeds the expiry time %s.%06d UTC configured via "
                       "set_scheduling" % (
                           due.strftime("%Y-%m-%d %H:%M:%S"),
                           int(rng.random() * 1e6),
                           exp.strftime("%Y-%m-%d %H:%M:%S"),
                           int(rng.random() * 1e6)))
            resp = json.dumps({"code": 551, "enhanced_code": {
                "class": 5, "subject": 4, "detail": 7}, "content": content,
                "command": None}, separators=(",", ":"))
            rtype, peer = "Expiration", "null"
            attempts = 5 + int(rng.random() * 20)
            age = 86400 * 3 + int(rng.random() * 86400)
            truth = ("expired", "expired", "queue", 551, "5.4.7")
        else:
            raise AssertionError(sc.name)
        head, tail = self.km_record(host, c, rtype, resp, peer, attempts)
        out.append(self.km_item(head, tail, age, truth))
        return out

    # Noise ---------------------------------------------------------------

    def noise(self):
        """One line that is neither a delivery nor a failure outcome."""
        host = pick(self.host_tables["postfix"])
        inst = ch(host.insts)
        r = rng.random()
        if r < 0.4:
            ah, aip = ch(APP_HOSTS)
            body = "statistics: max connection rate %d/60s for (smtp:%s) at " \
                   "%s" % (int(rng.random() * 40) + 1, aip, self.bsd_ts)
            return [self.pf_item(host, inst, "anvil", body)]
        if r < 0.6:
            return [self.pf_item(host, inst, "scache",
                                 "statistics: domain lookup hits=%d miss=%d "
                                 "success=%d%%" % (
                                     int(rng.random() * 900), int(
                                         rng.random() * 300),
                                     int(rng.random() * 100)))]
        rip = ipv4(ch((45, 80, 91, 103, 185, 194)), int(rng.random() * 254))
        lp = local_part()
        body = ("NOQUEUE: reject: RCPT from unknown[%s]: 554 5.7.1 <%s@%s>: "
                "Relay access denied; from=<%s@%s> to=<%s@%s> proto=ESMTP "
                "helo=<%s>" % (rip, lp, "partner.example.com", ch(FIRST),
                               ch(CORP_WORDS) + ".biz", lp,
                               "partner.example.com", ch(("User", "ylmf-pc",
                                                          "WIN-" + hexs(6, True)))))
        return [self.pf_item(host, inst, "smtpd", body)]

    # Emission ------------------------------------------------------------

    def set_clock(self, sec):
        dt = datetime.datetime.fromtimestamp(sec, datetime.timezone.utc)
        self.clock_sec = sec
        self.bsd_ts = "%s %2d %02d:%02d:%02d" % (
            MONTHS[dt.month - 1], dt.day, dt.hour, dt.minute, dt.second)
        self.iso_base = dt.strftime("%Y-%m-%dT%H:%M:%S")
        self.exim_ts = dt.strftime("%Y-%m-%d %H:%M:%S")

    def run(self, write, truth_write, stats):
        """Emit nlines lines; write(list of str) receives chunks."""
        self.set_clock(START_EPOCH + 6 * 3600)
        t = float(self.clock_sec)
        k = 6
        active = []
        for _ in range(k):
            ep = self.episode()
            ep.reverse()
            active.append(ep)
        buf = []
        tbuf = []
        nfail = 0
        rand = rng.random
        sec = self.clock_sec
        rand2 = self.rng2.random if self.rng2 is not None else None
        rand3 = self.rng3.random if self.rng3 is not None else None
        want = self.fail_share
        for lineno in range(1, self.nlines + 1):
            if rand2 is not None and (lineno == 1 or rand2() < NEW_SHARE):
                # A line of the newer formats; the classic stream waits.
                if lineno == 1:
                    line, truth, mta = PMTA_HEADER, None, "powermta"
                else:
                    item, frac = self.nf_next()
                    line = self.nf_line(item, frac)
                    truth = item[4]
                    mta = NEW_MTA_OF_KIND[item[0]]
                buf.append(line)
                if truth is not None:
                    nfail += 1
                    status, cls, stage, code, enh, mta = truth
                    tbuf.append("%d\t%s\t%s\t%s\t%s\t%d\t%s\n" % (
                        lineno, mta, status, cls, stage, code, enh or ""))
                    if stats is not None:
                        stats.fail(mta, status, cls, stage)
                if stats is not None:
                    stats.lines[mta] += 1
                continue
            while True:
                t += rand() * 0.008
                if int(t) != sec:
                    sec = int(t)
                    self.set_clock(sec)
                i = int(rand() * k)
                ep = active[i]
                kind, a, b, age, truth = ep.pop()
                if not ep:
                    ep = self.episode()
                    ep.reverse()
                    active[i] = ep
                if rand3 is None:
                    break
                # Drop a line of the kind in excess, more often the further
                # the share so far is from the wanted one.
                gap = (nfail - want * (lineno - 1)) / max(1.0, 0.002 * lineno)
                if truth is None:
                    gap = -gap
                if gap <= 0 or rand3() >= min(0.98, gap):
                    break
            if kind == 0:
                line = self.bsd_ts + a + b
            elif kind == 1:
                line = "%s.%06d+00:00%s%s" % (self.iso_base,
                                              int((t - sec) * 1e6), a, b)
            elif kind == 2:
                line = self.exim_ts + a + b
            else:
                line = '%s"timestamp":%d,"created":%d,%s' % (a, sec, sec - age,
                                                            b)
            buf.append(line)
            if truth is not None:
                nfail += 1
                mta = ("postfix", "postfix", "exim", "kumomta")[kind]
                if kind == 0 and "postfix" not in a:
                    mta = "sendmail"
                status, cls, stage, code, enh = truth
                tbuf.append("%d\t%s\t%s\t%s\t%s\t%d\t%s\n" % (
                    lineno, mta, status, cls, stage, code, enh))
                if stats is not None:
                    stats.fail(mta, status, cls, stage)
            if stats is not None:
                stats.line(kind, a)
            if len(buf) >= 8192:
                write(buf)
                buf = []
                if tbuf:
                    truth_write(tbuf)
                    tbuf = []
        if buf:
            write(buf)
        if tbuf:
            truth_write(tbuf)
        return nfail


# The MTA of an item kind of the newer formats (0 is OpenSMTPD's syslog).
NEW_MTA_OF_KIND = {0: "opensmtpd", 4: "powermta", 6: "haraka", 7: "qmail"}


def tai64n(t):
    """The TAI64N label of Unix time t (as multilog writes it)."""
    sec = int(t)
    return "@%016x%08x" % (0x400000000000000A + sec, int((t - sec) * 1e9))


CONNECT_WHY = weighted((("Connection timed out", 5),
                        ("Connection refused", 3),
                        ("No route to host", 1)))
EXIM_CONNECT = weighted(((("111", "Connection refused"), 3),
                         (("110", "Connection timed out"), 4),
                         (("113", "No route to host"), 1),
                         (("101", "Network is unreachable"), 0.5)))


def flat_pf(code, enh, lines):
    """A multi-line reply as Postfix logs it: lines joined by spaces."""
    n = len(lines)
    if n == 1:
        return "%d %s %s" % (code, enh, lines[0]) if enh else \
            "%d %s" % (code, lines[0])
    parts = []
    for i, t in enumerate(lines):
        sep = " " if i == n - 1 else "-"
        parts.append("%d%s%s %s" % (code, sep, enh, t) if enh else
                     "%d%s%s" % (code, sep, t))
    return " ".join(parts)


def flat_exim(code, enh, lines):
    """A multi-line reply as Exim logs it: lines joined by a literal \\n."""
    n = len(lines)
    parts = []
    for i, t in enumerate(lines):
        sep = " " if i == n - 1 else "-"
        parts.append("%d%s%s %s" % (code, sep, enh, t) if enh else
                     "%d%s%s" % (code, sep, t))
    return "\\n".join(parts)


def flat_sm(code, enh, lines):
    """Sendmail logs the first line of a reply only."""
    sep = "-" if len(lines) > 1 else " "
    t = lines[0]
    return "%d%s%s %s" % (code, sep, enh, t) if enh else \
        "%d%s%s" % (code, sep, t)


# ---------------------------------------------------------------------------
# Statistics (--stats)
# ---------------------------------------------------------------------------

class Stats:
    """Counts by MTA, status, class and stage; printed to stderr."""

    def __init__(self):
        self.lines = {m: 0 for m in MTAS + NEW_MTAS}
        self.fails = {m: 0 for m in MTAS + NEW_MTAS}
        self.status = {}
        self.cls = {c: {m: 0 for m in MTAS + ("newer",)} for c in CLASSES}
        self.stage = {s: {m: 0 for m in MTAS + ("newer",)} for s in STAGES}

    def line(self, kind, a):
        if kind == 0:
            m = "postfix" if "postfix" in a else "sendmail"
        else:
            m = ("postfix", "postfix", "exim", "kumomta")[kind]
        self.lines[m] += 1

    def fail(self, mta, status, cls, stage):
        self.fails[mta] += 1
        self.status[status] = self.status.get(status, 0) + 1
        col = mta if mta in MTAS else "newer"
        self.cls[cls][col] += 1
        self.stage[stage][col] += 1

    def report(self, out):
        total = sum(self.lines.values())
        nf = sum(self.fails.values())
        p = out.write
        p("lines %d, failure lines %d (%.2f%%)\n" % (total, nf,
                                                     100.0 * nf / max(1, total)))
        p("\n%-10s %9s %7s %9s %7s\n" % ("mta", "lines", "share", "failures",
                                        "fail%"))
        for m in MTAS + NEW_MTAS:
            p("%-10s %9d %6.2f%% %9d %6.2f%%\n" % (
                m, self.lines[m], 100.0 * self.lines[m] / max(1, total),
                self.fails[m], 100.0 * self.fails[m] / max(1, self.lines[m])))
        p("\nstatus: %s\n" % ", ".join("%s %d" % kv for kv in
                                        sorted(self.status.items())))
        for title, table, keys in (("class", self.cls, CLASSES),
                                   ("stage", self.stage, STAGES)):
            p("\n%-20s %8s %7s %8s %8s %8s %8s %8s\n" % (
                title, "total", "share", "postfix", "exim", "sendmail",
                "kumomta", "newer"))
            for k in keys:
                row = table[k]
                tot = sum(row.values())
                p("%-20s %8d %6.2f%% %8d %8d %8d %8d %8d\n" % (
                    k, tot, 100.0 * tot / max(1, nf), row["postfix"],
                    row["exim"], row["sendmail"], row["kumomta"],
                    row["newer"]))
        miss_c = [c for c in CLASSES if not sum(self.cls[c].values())]
        miss_s = [s for s in STAGES if not sum(self.stage[s].values())]
        return miss_c, miss_s


# ---------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------

def main(argv=None):
    ap = argparse.ArgumentParser(
        description="Write a deterministic synthetic MTA log corpus "
                    "(Postfix, Exim, Sendmail, KumoMTA) with ground truth.")
    ap.add_argument("--lines", type=int, default=1000000,
                    help="number of log lines (default 1000000)")
    ap.add_argument("--seed", type=int, default=1, help="random seed "
                    "(default 1)")
    ap.add_argument("--out", default="-", help="output file, '-' for stdout "
                    "(default)")
    ap.add_argument("--truth", help="write the ground-truth TSV here")
    ap.add_argument("--zstd", action="store_true",
                    help="compress the log through the zstd command")
    ap.add_argument("--classic", action="store_true",
                    help="only Postfix, Exim, Sendmail and KumoMTA (the "
                         "corpus before the newer formats, byte for byte)")
    ap.add_argument("--failure-share", type=float, metavar="S",
                    help="share of delivery-failure lines, 0.001-0.9 (default: "
                         "the natural mix, about 0.127)")
    ap.add_argument("--stats", action="store_true",
                    help="print counts by MTA, class and stage to stderr and "
                         "check that every class and stage occurs")
    args = ap.parse_args(argv)
    if args.lines < 1:
        ap.error("--lines must be at least 1")
    if args.failure_share is not None and not 0.001 <= args.failure_share <= 0.9:
        ap.error("--failure-share must be between 0.001 and 0.9")

    global rng
    rng = random.Random(args.seed)

    proc = None
    if args.zstd:
        zstd = shutil.which("zstd")
        if zstd is None:
            sys.stderr.write("gen_corpus: --zstd given but no 'zstd' command "
                             "in PATH; install zstd or drop --zstd\n")
            return 2
        dest = sys.stdout.buffer if args.out == "-" else open(args.out, "wb")
        proc = subprocess.Popen([zstd, "-q", "-c", "-3"],
                                stdin=subprocess.PIPE, stdout=dest)
        sink = proc.stdin
    elif args.out == "-":
        sink = sys.stdout.buffer
    else:
        sink = open(args.out, "wb")

    def write(lines):
        sink.write(("\n".join(lines) + "\n").encode("utf-8"))

    tf = None
    if args.truth:
        tf = open(args.truth, "w", encoding="utf-8", newline="\n")
        tf.write("line\tmta\tstatus\tclass\tstage\treply_code\t"
                 "enhanced_code\n")

    def truth_write(rows):
        if tf is not None:
            tf.write("".join(rows))

    stats = Stats() if args.stats else None
    gen = Gen(args.lines, None if args.classic else args.seed,
              args.failure_share, args.seed)
    gen.run(write, truth_write, stats)
    if tf is not None:
        tf.close()
    if proc is not None:
        proc.stdin.close()
        if proc.wait() != 0:
            sys.stderr.write("gen_corpus: zstd failed\n")
            return 1
    elif sink is not sys.stdout.buffer:
        sink.close()
    else:
        sink.flush()
    if stats is not None:
        miss_c, miss_s = stats.report(sys.stderr)
        if miss_c or miss_s:
            msg = "missing classes: %s; missing stages: %s" % (
                ", ".join(miss_c) or "-", ", ".join(miss_s) or "-")
            if args.lines >= 2000:
                sys.stderr.write("gen_corpus: FAIL: %s\n" % msg)
                return 1
            sys.stderr.write("gen_corpus: note: %s (fewer than 2000 lines)\n"
                             % msg)
        else:
            sys.stderr.write("\nall %d classes and %d stages present\n" % (
                len(CLASSES), len(STAGES)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
