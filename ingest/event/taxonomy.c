/* SPDX-License-Identifier: Apache-2.0 */
/*
 * taxonomy.c - names and meanings of the classification enums.
 *
 * The tables are indexed by enum value; their order is the contract of
 * TAXONOMY.md and the protobuf schema.
 */
#include "event/taxonomy.h"

#include <string.h>
#include <strings.h>

static const char *const cause_names[RS_CAUSE__COUNT] = {
    "unspecified",
    "ip_policy_block",
    "blocklist",
    "sender_reputation",
    "rate_limit",
    "connection_limit",
    "greylisting",
    "reverse_dns",
    "helo_identity",
    "auth_failure",
    "tls_required",
    "content_spam",
    "content_policy",
    "virus",
    "message_too_large",
    "mailbox_full",
    "user_unknown",
    "mailbox_disabled",
    "bad_domain",
    "dns_failure",
    "network_connection",
    "relay_denied",
    "invalid_sender",
    "protocol_error",
    "service_unavailable",
    "too_many_recipients",
    "expired",
    "routing_error",
    "policy_other",
    "uncategorized",
};

static const char *const cause_meanings[RS_CAUSE__COUNT] = {
    "No class was assigned.",
    "The receiver refuses the sending IP or host by its own local policy, "
    "without naming a public blocklist.",
    "The sending IP or domain is listed on a named DNS blocklist.",
    "The receiver refused or deferred the mail because of the sender's "
    "reputation or complaint history.",
    "The sender sent too many messages or recipients per unit of time.",
    "The sender opened too many concurrent or too frequent connections.",
    "The receiver deliberately refused the mail once to see whether the "
    "sender retries (greylisting).",
    "The sending IP has no PTR record, or its PTR and forward DNS do not "
    "match.",
    "The HELO/EHLO name is invalid, not fully qualified, or does not match "
    "the sending host.",
    "SPF, DKIM, DMARC or ARC failed, or the message or session is not "
    "authenticated.",
    "The receiver requires TLS, or the TLS negotiation failed.",
    "The receiver judged the message content to be spam.",
    "The message breaks a content, header or format policy of the receiver.",
    "The receiver found malware in the message.",
    "The message exceeds a size limit of the receiver.",
    "The recipient's mailbox is over its quota.",
    "The recipient address does not exist.",
    "The mailbox exists but is disabled, suspended, inactive or has moved.",
    "The recipient domain does not exist or accepts no mail.",
    "A DNS lookup failed temporarily.",
    "There was no SMTP reply: the TCP connection was refused, timed out, "
    "was lost or reset.",
    "The receiver does not relay mail for this recipient.",
    "The envelope sender address or its domain was rejected.",
    "An SMTP syntax or command sequence error, or too many errors.",
    "The receiver is busy, failing internally or out of storage, with no "
    "policy reason given.",
    "The message or session has more recipients than the receiver accepts.",
    "The message stayed in the queue past its lifetime and was returned.",
    "The message cannot be routed: mail loop, too many hops or no route.",
    "A policy refusal that no more specific class explains.",
    "No rule and no status code explained the reply.",
};

static const char *const stage_names[RS_STAGE__COUNT] = {
    "unspecified", "connect", "greeting", "helo",        "starttls", "auth",
    "mail_from",   "rcpt_to", "data",     "end_of_data", "queue",    "unknown",
};

static const char *const status_names[RS_STATUS__COUNT] = {
    "unspecified", "deferred", "bounced", "expired", "sent", "feedback",
};

static const char *const mta_names[RS_MTA__COUNT] = {
    "unspecified", "postfix",  "exim",      "sendmail", "kumomta",
    "reply",       "powermta", "opensmtpd", "haraka",   "qmail",
};

static const char *const stage_source_names[RS_STAGE_SOURCE__COUNT] = {
    "unspecified", "log",   "reply_wording", "enhanced_code",
    "none",        "class", "reply_code",
};

/* Look a value up in a name table, or "unspecified" when out of range. */
static const char *name_at(const char *const *table, int count, int value)
{
	if (value < 0 || value >= count) {
		return table[0];
	}
	return table[value];
}

/* Find name (length n, case-insensitive) in a table; -1 when absent. */
static int name_find(const char *const *table, int count, const char *name,
                     size_t n)
{
	for (int i = 1; i < count; i++) {
		if (strlen(table[i]) == n &&
		    strncasecmp(table[i], name, n) == 0) {
			return i;
		}
	}
	return -1;
}

const char *rs_taxonomy_cause_name(rs_cause_t cause)
{
	return name_at(cause_names, RS_CAUSE__COUNT, (int)cause);
}

const char *rs_taxonomy_stage_name(rs_stage_t stage)
{
	return name_at(stage_names, RS_STAGE__COUNT, (int)stage);
}

const char *rs_taxonomy_status_name(rs_status_t status)
{
	return name_at(status_names, RS_STATUS__COUNT, (int)status);
}

const char *rs_taxonomy_mta_name(rs_mta_t mta)
{
	return name_at(mta_names, RS_MTA__COUNT, (int)mta);
}

const char *rs_taxonomy_stage_source_name(rs_stage_source_t source)
{
	return name_at(stage_source_names, RS_STAGE_SOURCE__COUNT, (int)source);
}

int rs_taxonomy_cause_parse(const char *name, size_t n)
{
	return name_find(cause_names, RS_CAUSE__COUNT, name, n);
}

int rs_taxonomy_stage_parse(const char *name, size_t n)
{
	return name_find(stage_names, RS_STAGE__COUNT, name, n);
}

const char *rs_taxonomy_cause_meaning(rs_cause_t cause)
{
	return name_at(cause_meanings, RS_CAUSE__COUNT, (int)cause);
}
