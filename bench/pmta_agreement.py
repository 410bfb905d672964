#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""pmta_agreement.py - how often PowerMTA's bounceCat and replyscan's class agree.

Reads replyscan's JSON events (`replyscan classify --input-format pmta`)
and, for every failure event (deferred, bounced, expired) that carries a
`pmta:<bounceCat>` tag, says whether replyscan's class is one that
bounceCat can mean. PowerMTA's 17 categories are coarser than replyscan's
29 classes, so one category agrees with several classes (the table below,
a judgement written from the category names; `other` claims nothing and
is counted apart). Prints a Markdown table by category: events, agreeing,
the classes replyscan gave, and the agreement share.

usage: pmta_agreement.py EVENTS.json [...]   ('-' for stdin)
Standard library only. Exit status 0, or 2 on unreadable input.
"""

import collections
import json
import sys

# bounceCat -> the replyscan classes that agree with it.
AGREES = {
    "bad-mailbox": {"user_unknown", "mailbox_disabled"},
    "inactive-mailbox": {"mailbox_disabled", "user_unknown"},
    "bad-domain": {"bad_domain", "dns_failure"},
    "routing-errors": {"routing_error", "bad_domain", "dns_failure"},
    "quota-issues": {"mailbox_full"},
    "spam-related": {"content_spam", "blocklist", "sender_reputation"},
    "virus-related": {"virus"},
    "content-related": {"content_policy", "content_spam",
                        "message_too_large"},
    "policy-related": {"ip_policy_block", "policy_other", "rate_limit",
                       "reverse_dns", "helo_identity", "auth_failure",
                       "tls_required", "content_policy", "blocklist",
                       "sender_reputation", "too_many_recipients",
                       "greylisting"},
    "relaying-issues": {"relay_denied"},
    "invalid-sender": {"invalid_sender"},
    "protocol-errors": {"protocol_error"},
    "message-expired": {"expired"},
    "no-answer-from-host": {"network_connection", "service_unavailable"},
    "bad-connection": {"network_connection", "connection_limit",
                       "service_unavailable"},
    "bad-configuration": {"routing_error", "tls_required", "auth_failure",
                          "relay_denied"},
}


def events(paths):
    for path in paths:
        f = sys.stdin if path == "-" else open(path, encoding="utf-8")
        with f:
            for row in f:
                if row.strip():
                    yield json.loads(row)


def main(argv):
    if not argv:
        print(__doc__.strip().splitlines()[-3], file=sys.stderr)
        return 2
    per = collections.OrderedDict()
    try:
        for ev in events(argv):
            if ev.get("status") not in ("deferred", "bounced", "expired"):
                continue
            cats = [t[5:] for t in ev.get("tags", ()) if t.startswith("pmta:")]
            if not cats:
                continue
            cat, cls = cats[0], ev.get("cause", "")
            row = per.setdefault(cat, [0, 0, collections.Counter()])
            row[0] += 1
            row[1] += cls in AGREES.get(cat, ())
            row[2][cls] += 1
    except (OSError, ValueError) as e:
        print("pmta_agreement.py: %s" % e, file=sys.stderr)
        return 2
    print("| bounceCat | events | agree | replyscan classes | agreement |")
    print("|---|--:|--:|---|--:|")
    total = agree = 0
    for cat in sorted(per):
        n, a, classes = per[cat]
        claims = cat in AGREES
        total += n if claims else 0
        agree += a if claims else 0
        print("| `%s` | %d | %s | %s | %s |" % (
            cat, n, a if claims else "-",
            ", ".join("%s %d" % kv for kv in classes.most_common()),
            "%.0f %%" % (100.0 * a / n) if claims else "(no claim)"))
    print("| all that claim a cause | %d | %d | | %s |" % (
        total, agree, "%.0f %%" % (100.0 * agree / total) if total else "-"))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
