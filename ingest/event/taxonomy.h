/* SPDX-License-Identifier: Apache-2.0 */
/*
 * taxonomy.h - the classification contract: cause classes, SMTP stages,
 * delivery statuses and MTA kinds, with their stable lowercase names.
 *
 * The numeric values equal the protobuf enum values in
 * proto/replyscan/v1/event.proto (0 = unspecified); append, never renumber.
 * Names are those of TAXONOMY.md and are what JSON output and rule files use.
 */
#ifndef RS_TAXONOMY_H
#define RS_TAXONOMY_H

#include <stddef.h>

typedef enum rs_cause {
	RS_CAUSE_UNSPECIFIED = 0,
	RS_CAUSE_IP_POLICY_BLOCK,
	RS_CAUSE_BLOCKLIST,
	RS_CAUSE_SENDER_REPUTATION,
	RS_CAUSE_RATE_LIMIT,
	RS_CAUSE_CONNECTION_LIMIT,
	RS_CAUSE_GREYLISTING,
	RS_CAUSE_REVERSE_DNS,
	RS_CAUSE_HELO_IDENTITY,
	RS_CAUSE_AUTH_FAILURE,
	RS_CAUSE_TLS_REQUIRED,
	RS_CAUSE_CONTENT_SPAM,
	RS_CAUSE_CONTENT_POLICY,
	RS_CAUSE_VIRUS,
	RS_CAUSE_MESSAGE_TOO_LARGE,
	RS_CAUSE_MAILBOX_FULL,
	RS_CAUSE_USER_UNKNOWN,
	RS_CAUSE_MAILBOX_DISABLED,
	RS_CAUSE_BAD_DOMAIN,
	RS_CAUSE_DNS_FAILURE,
	RS_CAUSE_NETWORK_CONNECTION,
	RS_CAUSE_RELAY_DENIED,
	RS_CAUSE_INVALID_SENDER,
	RS_CAUSE_PROTOCOL_ERROR,
	RS_CAUSE_SERVICE_UNAVAILABLE,
	RS_CAUSE_TOO_MANY_RECIPIENTS,
	RS_CAUSE_EXPIRED,
	RS_CAUSE_ROUTING_ERROR,
	RS_CAUSE_POLICY_OTHER,
	RS_CAUSE_UNCATEGORIZED,
	RS_CAUSE__COUNT
} rs_cause_t;

typedef enum rs_stage {
	RS_STAGE_UNSPECIFIED = 0,
	RS_STAGE_CONNECT,
	RS_STAGE_GREETING,
	RS_STAGE_HELO,
	RS_STAGE_STARTTLS,
	RS_STAGE_AUTH,
	RS_STAGE_MAIL_FROM,
	RS_STAGE_RCPT_TO,
	RS_STAGE_DATA,
	RS_STAGE_END_OF_DATA,
	RS_STAGE_QUEUE,
	RS_STAGE_UNKNOWN,
	RS_STAGE__COUNT
} rs_stage_t;

typedef enum rs_status {
	RS_STATUS_UNSPECIFIED = 0,
	RS_STATUS_DEFERRED,
	RS_STATUS_BOUNCED,
	RS_STATUS_EXPIRED,
	RS_STATUS_SENT,
	RS_STATUS_FEEDBACK, /* feedback-loop complaint: counted, not classified
	                     */
	RS_STATUS__COUNT
} rs_status_t;

typedef enum rs_mta {
	RS_MTA_UNSPECIFIED = 0,
	RS_MTA_POSTFIX,
	RS_MTA_EXIM,
	RS_MTA_SENDMAIL,
	RS_MTA_KUMOMTA,
	RS_MTA_REPLY,
	RS_MTA_POWERMTA,
	RS_MTA_OPENSMTPD,
	RS_MTA_HARAKA,
	RS_MTA_QMAIL,
	RS_MTA__COUNT
} rs_mta_t;

/* Where an inferred stage comes from (proto StageSource). */
typedef enum rs_stage_source {
	RS_STAGE_SOURCE_UNSPECIFIED = 0,
	RS_STAGE_SOURCE_LOG,
	RS_STAGE_SOURCE_REPLY_WORDING,
	RS_STAGE_SOURCE_ENHANCED_CODE,
	RS_STAGE_SOURCE_NONE,
	RS_STAGE_SOURCE_CLASS, /* appended: the verdict's class implies it */
	RS_STAGE_SOURCE_REPLY_CODE, /* appended: the basic reply code does */
	RS_STAGE_SOURCE__COUNT
} rs_stage_source_t;

/* Lowercase names ("ip_policy_block", "rcpt_to", ...); never NULL. */
const char *rs_taxonomy_cause_name(rs_cause_t cause);
const char *rs_taxonomy_stage_name(rs_stage_t stage);
const char *rs_taxonomy_status_name(rs_status_t status);
const char *rs_taxonomy_mta_name(rs_mta_t mta);
const char *rs_taxonomy_stage_source_name(rs_stage_source_t source);

/* Name to value; -1 when the name is unknown. n is the name's length. */
int rs_taxonomy_cause_parse(const char *name, size_t n);
int rs_taxonomy_stage_parse(const char *name, size_t n);

/* One sentence saying what the class means, for explain and docs. */
const char *rs_taxonomy_cause_meaning(rs_cause_t cause);

#endif
