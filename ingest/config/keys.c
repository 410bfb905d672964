/* SPDX-License-Identifier: Apache-2.0 */
/*
 * keys.c - the table of configuration keys: every key of replyscan with
 * its type, field, range, default and description, the names of its enum
 * values and the checks of its strings. Nothing else in the program
 * declares a key; see config_private.h for the shape of a row.
 *
 * Length (a little over 800 lines): one row of about ten lines per key,
 * kept in one table on purpose, so no key is declared anywhere else.
 *
 * Hazards: enum fields are written through int pointers, so every enum
 * stored in rs_config_t must have the size of an int (checked below).
 */
#include "config/config_private.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define KIB ((double)1024)
#define MIB (KIB * 1024)

_Static_assert(sizeof(rs_key_t) == sizeof(int), "enum size");
_Static_assert(sizeof(rs_log_level_t) == sizeof(int), "enum size");
_Static_assert(sizeof(rs_log_format_t) == sizeof(int), "enum size");
_Static_assert(sizeof(rs_config_compression_t) == sizeof(int), "enum size");
_Static_assert(sizeof(rs_config_malformed_t) == sizeof(int), "enum size");

/* ------------------------------------------------------------------ */
/* Checks of string values                                            */
/* ------------------------------------------------------------------ */

/* A Kafka topic name: [A-Za-z0-9._-]{1,249}. */
static int check_topic(const char *value, char *why, size_t why_size)
{
	size_t n = strlen(value);
	char tmp[RS_CONFIG_SHOW_MAX + 4];

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)value[i];

		if (!isalnum(c) && c != '.' && c != '_' && c != '-') {
			n = 0;
			break;
		}
	}
	if (n == 0 || n > 249 || strcmp(value, ".") == 0 ||
	    strcmp(value, "..") == 0) {
		snprintf(why, why_size,
		         "%s is not a topic name (letters, digits, '.', '_' "
		         "and '-', at most 249)",
		         rs_config_show(value, tmp, sizeof(tmp)));
		return -1;
	}
	return 0;
}

/* Like check_topic, but "" (no topic) is fine. */
static int check_topic_or_empty(const char *value, char *why, size_t why_size)
{
	return value[0] == '\0' ? 0 : check_topic(value, why, why_size);
}

/* "", or HOST:PORT / :PORT / [V6]:PORT with a port from 0 to 65535. */
static int check_listen(const char *value, char *why, size_t why_size)
{
	const char *colon = strrchr(value, ':');
	char tmp[RS_CONFIG_SHOW_MAX + 4];
	char *end;
	long port;

	if (value[0] == '\0') {
		return 0;
	}
	if (colon != NULL && colon[1] != '\0' &&
	    isdigit((unsigned char)colon[1])) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno == 0 && *end == '\0' && port >= 0 && port <= 65535 &&
		    strchr(value, ' ') == NULL) {
			return 0;
		}
	}
	snprintf(why, why_size,
	         "%s is not ADDR:PORT (e.g. 127.0.0.1:9464, or :9464 for "
	         "every address)",
	         rs_config_show(value, tmp, sizeof(tmp)));
	return -1;
}

/* A source name: <format>.<key>; the format and the value are checked
 * when the pipeline takes them (rs_config_format_opts). */
static int check_source(const char *name, char *why, size_t why_size)
{
	const char *dot = strchr(name, '.');
	char tmp[RS_CONFIG_SHOW_MAX + 4];

	if (dot == NULL || dot == name || dot[1] == '\0') {
		snprintf(why, why_size,
		         "%s is not <format>.<key> (e.g. "
		         "sources.postfix.mta3: \"198.51.100.11 pool-b\")",
		         rs_config_show(name, tmp, sizeof(tmp)));
		return -1;
	}
	return 0;
}

static const rs_config_check_t topic = {check_topic, "topic names"};
static const rs_config_check_t source = {check_source,
                                         "`<format>.<key>`: `IP [POOL]`"};
static const rs_config_check_t topic_or_empty = {check_topic_or_empty,
                                                 "topic names"};
static const rs_config_check_t listen_addr = {check_listen, "`ADDR:PORT`"};

/* ------------------------------------------------------------------ */
/* Enum names                                                         */
/* ------------------------------------------------------------------ */

static const rs_config_enum_t sent_enums[] = {
    {"rollup", RS_CONFIG_SENT_ROLLUP},
    {NULL, 0},
};

static const rs_config_enum_t key_enums[] = {
    {"recipient_domain", RS_KEY_RECIPIENT_DOMAIN},
    {"log_host", RS_KEY_LOG_HOST},
    {"remote_host", RS_KEY_REMOTE_HOST},
    {"none", RS_KEY_NONE},
    {NULL, 0},
};

static const rs_config_enum_t compression_enums[] = {
    {"none", RS_CONFIG_COMPRESSION_NONE},
    {"gzip", RS_CONFIG_COMPRESSION_GZIP},
    {"snappy", RS_CONFIG_COMPRESSION_SNAPPY},
    {"lz4", RS_CONFIG_COMPRESSION_LZ4},
    {"zstd", RS_CONFIG_COMPRESSION_ZSTD},
    {NULL, 0},
};

static const rs_config_enum_t delivery_enums[] = {
    {"at_least_once", RS_CONFIG_AT_LEAST_ONCE},
    {"exactly_once", RS_CONFIG_EXACTLY_ONCE},
    {NULL, 0},
};

static const rs_config_enum_t kafka_format_enums[] = {
    {"protobuf", RS_CONFIG_KAFKA_PROTOBUF},
    {"json", RS_CONFIG_KAFKA_JSON},
    {NULL, 0},
};

static const rs_config_enum_t malformed_enums[] = {
    {"skip", RS_CONFIG_MALFORMED_SKIP},
    {"dead_letter", RS_CONFIG_MALFORMED_DEAD_LETTER},
    {NULL, 0},
};

/* The log's own names (observe/log.h), not a copy of them. */
#define LOG_ENUM(value, name) {name, value},

static const rs_config_enum_t level_enums[] = {
    RS_LOG_LEVELS(LOG_ENUM) /* every level, then the end */
    {NULL, 0},
};

static const rs_config_enum_t output_enums[] = {
    {"json", RS_CONFIG_OUTPUT_JSON},
    {"pb", RS_CONFIG_OUTPUT_PB},
    {"summary", RS_CONFIG_OUTPUT_SUMMARY},
    {NULL, 0},
};

static const rs_config_enum_t log_format_enums[] = {
    RS_LOG_FORMATS(LOG_ENUM) /* every format, then the end */
    {NULL, 0},
};

/* ------------------------------------------------------------------ */
/* The table                                                          */
/* ------------------------------------------------------------------ */

#define OFF(field) offsetof(rs_config_t, field)
#define RUN RS_CONFIG_RUN
#define CLASSIFY RS_CONFIG_CLASSIFY
#define BOTH (RS_CONFIG_RUN | RS_CONFIG_CLASSIFY)

const rs_config_key_t rs_config_keys[] = {
    {
	.name = "kafka.brokers",
	.type = RS_CONFIG_STRING,
	.offset = OFF(kafka.brokers),
	.min = 1,
	.def = "127.0.0.1:9092",
	.desc = "Bootstrap brokers, comma-separated HOST:PORT.",
	.cmds = RUN,
	.flags =
	    {
		{
		    .name = "brokers",
		    .letter = 'b',
		    .cmds = RUN,
		    .arg = "HOST:PORT",
		    .help = "bootstrap brokers, comma-separated",
		},
	    },
    },
    {
	.name = "kafka.group",
	.type = RS_CONFIG_STRING,
	.offset = OFF(kafka.group),
	.min = 1,
	.def = "replyscan",
	.desc = "Consumer group; the instances of one group share the "
		"input partitions.",
	.cmds = RUN,
	.flags =
	    {
		{
		    .name = "group",
		    .letter = 'g',
		    .cmds = RUN,
		    .arg = "NAME",
		    .help = "consumer group",
		},
	    },
    },
    {
	.name = "kafka.input",
	.type = RS_CONFIG_LIST,
	.offset = OFF(kafka.input),
	.check = &topic,
	.desc = "Topics of MTA log lines to read (required): a list, or "
		"one name.",
	.cmds = RUN,
	.flags =
	    {
		{
		    .name = "input",
		    .letter = 'i',
		    .cmds = RUN,
		    .arg = "TOPIC",
		    .help = "a topic of log lines to read; repeatable",
		    .opts = RS_CONFIG_FLAG_APPEND,
		},
	    },
    },
    {
	.name = "kafka.output",
	.type = RS_CONFIG_STRING,
	.offset = OFF(kafka.output),
	.min = 1,
	.def = "deferral-events",
	.check = &topic,
	.desc = "Topic the deferral events are produced to.",
	.cmds = RUN,
	.flags =
	    {
		{
		    .name = "output",
		    .letter = 'o',
		    .cmds = RUN,
		    .arg = "TOPIC",
		    .help = "topic the events go to",
		},
	    },
    },
    {
	.name = "kafka.dead_letter",
	.type = RS_CONFIG_STRING,
	.offset = OFF(kafka.dead_letter),
	.def = "",
	.check = &topic_or_empty,
	.desc = "Topic for lines that cannot be read (see "
		"pipeline.on_malformed); empty: none.",
	.cmds = RUN,
	.flags =
	    {
		{
		    .name = "dead-letter",
		    .cmds = RUN,
		    .arg = "TOPIC",
		    .also_key = "pipeline.on_malformed",
		    .also_value = "dead_letter",
		    .help = "also produce unreadable lines to TOPIC",
		},
	    },
    },
    {
	.name = "kafka.key",
	.type = RS_CONFIG_ENUM,
	.offset = OFF(kafka.key),
	.def = "recipient_domain",
	.enums = key_enums,
	.desc = "Field that keys each event, so that one domain's events "
		"stay in order in one partition.",
	.cmds = RUN,
    },
    {
	.name = "kafka.compression",
	.type = RS_CONFIG_ENUM,
	.offset = OFF(kafka.compression),
	.def = "lz4",
	.enums = compression_enums,
	.desc = "Compression of the produced batches.",
	.cmds = RUN,
    },
    {
	.name = "kafka.output_format",
	.type = RS_CONFIG_ENUM,
	.offset = OFF(kafka.output_format),
	.def = "protobuf",
	.enums = kafka_format_enums,
	.desc = "What each output message holds: a replyscan.v1.DeferralEvent "
		"(protobuf), or the event's JSON object as `classify --format "
		"json` writes it, without the newline (json; header "
		"content-type: application/json).",
	.cmds = RUN,
    },
    {
	.name = "kafka.delivery_guarantee",
	.type = RS_CONFIG_ENUM,
	.offset = OFF(kafka.delivery_guarantee),
	.def = "at_least_once",
	.enums = delivery_enums,
	.desc = "at_least_once: input offsets are committed once the events "
		"are acknowledged (a crash may produce some events twice). "
		"exactly_once: events and offsets are written together in "
		"Kafka transactions; readers with isolation.level "
		"read_committed see every event once. exactly_once needs "
		"Kafka 2.5 or later on every broker (KIP-447); older brokers "
		"are refused at start (exit status 2, nothing committed).",
	.cmds = RUN,
    },
    {
	.name = "kafka.transactional_id",
	.type = RS_CONFIG_STRING,
	.offset = OFF(kafka.transactional_id),
	.def = "",
	.zero = "replyscan-<group>-<hostname>",
	.desc = "exactly_once: the producer's transactional.id. Keep it "
		"across restarts of one instance; give each instance its "
		"own (two with one id fence each other).",
	.cmds = RUN,
    },
    {
	.name = "kafka.transaction_interval",
	.type = RS_CONFIG_SECONDS,
	.offset = OFF(kafka.transaction_interval),
	.min = 0.01,
	.max = 300,
	.def = "1",
	.desc = "exactly_once: longest time a transaction stays open; "
		"events become visible to read_committed readers when it "
		"commits.",
	.cmds = RUN,
    },
    {
	.name = "kafka.transaction_events",
	.type = RS_CONFIG_INT,
	.offset = OFF(kafka.transaction_events),
	.min = 1,
	.max = 10000000,
	.def = "100000",
	.desc = "exactly_once: a transaction commits after this many "
		"events, even before kafka.transaction_interval.",
	.cmds = RUN,
    },
    {
	.name = "kafka.consumer",
	.type = RS_CONFIG_PROPS,
	.offset = OFF(kafka.consumer),
	.desc = "librdkafka consumer properties, passed as they are "
		"(kafka.consumer.session.timeout.ms: 45000).",
	.cmds = RUN,
    },
    {
	.name = "kafka.producer",
	.type = RS_CONFIG_PROPS,
	.offset = OFF(kafka.producer),
	.desc = "librdkafka producer properties, passed as they are "
		"(kafka.producer.linger.ms: 50).",
	.cmds = RUN,
    },
    {
	.name = "pipeline.threads",
	.type = RS_CONFIG_INT,
	.offset = OFF(pipeline.threads),
	.min = 1,
	.max = 256,
	.def = "0",
	.zero = "one per online CPU",
	.desc = "Worker threads that parse and classify.",
	.cmds = BOTH,
	.flags =
	    {
		{
		    .name = "threads",
		    .letter = 't',
		    .cmds = BOTH,
		    .arg = "N",
		    .help = "worker threads",
		},
	    },
    },
    {
	.name = "pipeline.rules",
	.type = RS_CONFIG_STRING,
	.offset = OFF(pipeline.rules),
	.def = "",
	.zero = "the bundled rules",
	.desc = "Directory of rule files; empty: the bundled rules. "
		"Reloaded on SIGHUP.",
	.cmds = BOTH,
	.flags =
	    {
		{
		    .name = "rules",
		    .letter = 'r',
		    .cmds = BOTH,
		    .arg = "DIR",
		    .help = "rules directory",
		},
	    },
    },
    {
	.name = "pipeline.input_format",
	.type = RS_CONFIG_FORMAT,
	.offset = OFF(pipeline.input_format),
	.def = "auto",
	.desc = "Log format of the input lines; auto decides line by "
		"line.",
	.cmds = BOTH,
	.flags =
	    {
		{
		    .name = "input-format",
		    .letter = 'i',
		    .cmds = CLASSIFY,
		    .arg = "F",
		    .help = "log format: {values}",
		},
	    },
    },
    {
	.name = "pipeline.include_sent",
	.type = RS_CONFIG_BOOL,
	.offset = OFF(pipeline.include_sent),
	.def = "false",
	.enums = sent_enums,
	.desc = "Also emit events for delivered (sent) messages: true, one "
		"per line; rollup, one per sending side (the first of "
		"sending_ip, sending_pool, vmta, log_host the line gives), "
		"recipient domain, MX host, MTA and log-time interval "
		"(pipeline.rollup_interval), status sent with "
		"aggregated_count: the denominators of `replyscan posture` "
		"in fewer bytes.",
	.cmds = BOTH,
	.flags =
	    {
		{
		    .name = "all",
		    .letter = 'a',
		    .cmds = CLASSIFY,
		    .value = "true",
		    .help = "also emit successful deliveries (status "
			    "sent)",
		},
		{
		    .name = "rollup",
		    .cmds = CLASSIFY,
		    .value = "rollup",
		    .help = "also emit successful deliveries, rolled up: "
			    "one event per sending side, domain, MX and "
			    "minute, with aggregated_count",
		},
	    },
    },
    {
	.name = "pipeline.rollup_interval",
	.type = RS_CONFIG_SECONDS,
	.offset = OFF(pipeline.rollup_interval),
	.min = 1,
	.max = 3600,
	.def = "60",
	.desc = "Log time one rollup of delivered lines counts "
		"(include_sent: rollup): an interval is written once a "
		"later one is seen, after as long again without input, or "
		"at the end; input is committed only up to the first line "
		"still in an open one (with exactly_once, whose "
		"transactions commit on their own clock, each batch writes "
		"what it counted).",
	.cmds = BOTH,
    },
    {
	.name = "pipeline.batch_bytes",
	.type = RS_CONFIG_SIZE,
	.offset = OFF(pipeline.batch_bytes),
	.min = 4 * KIB,
	.max = 64 * MIB,
	.def = "1MiB",
	.desc = "Input bytes gathered into one batch of work.",
	.cmds = BOTH,
    },
    {
	.name = "pipeline.queue_batches",
	.type = RS_CONFIG_INT,
	.offset = OFF(pipeline.queue_batches),
	.min = 2,
	.max = 1024,
	.def = "0",
	.zero = "2 * threads + 2",
	.desc = "Batches in flight between reading and producing; bounds "
		"memory.",
	.cmds = BOTH,
    },
    {
	.name = "pipeline.max_line",
	.type = RS_CONFIG_SIZE,
	.offset = OFF(pipeline.max_line),
	.min = KIB,
	.max = 256 * MIB,
	.def = "4MiB",
	.desc = "Longest line; longer ones are cut and counted malformed.",
	.cmds = BOTH,
	.flags =
	    {
		{
		    .name = "max-line",
		    .cmds = CLASSIFY,
		    .arg = "BYTES",
		    .help = "longer lines are counted malformed",
		},
	    },
    },
    {
	.name = "pipeline.on_malformed",
	.type = RS_CONFIG_ENUM,
	.offset = OFF(pipeline.on_malformed),
	.def = "skip",
	.enums = malformed_enums,
	.desc = "What to do with a line that claims a format but cannot "
		"be read: count it (skip) or also produce it to "
		"kafka.dead_letter.",
	.cmds = RUN,
    },
    {
	.name = "pipeline.exit_when_idle",
	.type = RS_CONFIG_SECONDS,
	.offset = OFF(pipeline.exit_when_idle),
	.min = 0,
	.max = 604800,
	.def = "0",
	.zero = "never",
	.desc = "End after this long without input (30, 1.5s, 500ms, 2m, "
		"1h) and with nothing pending: time while events wait for "
		"acknowledgements or to be produced again, or a transaction "
		"is open, being aborted or held back after an abort, or an "
		"assigned partition has lines left to read (for 60 s at "
		"the most, then a warning), does not count.",
	.cmds = RUN,
	.flags =
	    {
		{
		    .name = "exit-when-idle",
		    .cmds = RUN,
		    .arg = "SECS",
		    .help = "commit and exit after SECS without input "
			    "and nothing pending",
		},
	    },
    },
    {
	.name = "formats.pmta.fields",
	.type = RS_CONFIG_STRING,
	.offset = OFF(formats.pmta_fields),
	.def = "",
	.desc = "Column names of PowerMTA accounting rows that arrive without "
		"their header line (one row per Kafka message), comma-"
		"separated as PowerMTA writes them; empty: the modern default "
		"header (the 4.x one for 22-field rows). A header line in the "
		"input always wins.",
	.cmds = BOTH,
    },
    {
	.name = "formats.json.message_field",
	.type = RS_CONFIG_STRING,
	.offset = OFF(formats.json_message_field),
	.def = "",
	.desc = "Top-level key of a log shipper's JSON object (Filebeat, "
		"Vector, Fluent Bit, Logstash, journald, rsyslog) that "
		"holds the log line, tried before message, MESSAGE, msg "
		"and log; empty: those only.",
	.cmds = BOTH,
	.flags =
	    {
		{
		    .name = "json-message-field",
		    .cmds = BOTH,
		    .arg = "NAME",
		    .help = "JSON key of the log line in shippers' "
			    "objects",
		},
	    },
    },
    {
	.name = "sources",
	.type = RS_CONFIG_PROPS,
	.offset = OFF(sources),
	.check = &source,
	.desc = "Sending IP and pool for MTAs that do not log them per "
		"delivery: sources.<format>.<key>: \"IP [POOL]\" (or \"- "
		"POOL\"), where key is a syslog tag at a log host "
		"(postfix-out1/smtp@mta3), a tag, or a log host. What a log "
		"line says itself always wins.",
	.cmds = BOTH,
    },
    {
	.name = "metrics.listen",
	.type = RS_CONFIG_STRING,
	.offset = OFF(metrics.listen),
	.def = "",
	.check = &listen_addr,
	.desc = "ADDR:PORT of the Prometheus endpoint (/metrics, "
		"/healthz, /readyz); :PORT listens on every address; "
		"empty: off.",
	.cmds = RUN,
	.flags =
	    {
		{
		    .name = "metrics-listen",
		    .letter = 'm',
		    .cmds = RUN,
		    .arg = "A:P",
		    .help = "serve /metrics, /healthz and /readyz there",
		},
	    },
    },
    {
	.name = "metrics.unhealthy_after",
	.type = RS_CONFIG_SECONDS,
	.offset = OFF(metrics.unhealthy_after),
	.min = 1,
	.max = 86400,
	.def = "60",
	.zero = "never",
	.desc = "/healthz answers 503 once no broker has been reachable, or "
		"the oldest events have waited for the brokers' "
		"acknowledgements, this long.",
	.cmds = RUN,
    },
    {
	.name = "log.level",
	.type = RS_CONFIG_ENUM,
	.offset = OFF(log.level),
	.def = "info",
	.enums = level_enums,
	.desc = "Lowest level of the daemon log.",
	.cmds = RUN,
    },
    {
	.name = "log.format",
	.type = RS_CONFIG_ENUM,
	.offset = OFF(log.format),
	.def = "logfmt",
	.enums = log_format_enums,
	.desc = "Daemon log lines as logfmt or as JSON objects.",
	.cmds = RUN,
    },
    {
	.name = "output.format",
	.type = RS_CONFIG_ENUM,
	.offset = OFF(output.format),
	.def = "json",
	.enums = output_enums,
	.desc = "What classify writes: JSON lines with the DeferralEvent "
		"field names, varint-delimited DeferralEvent messages (pb), "
		"or a summary table by class and stage.",
	.cmds = CLASSIFY,
	.flags =
	    {
		{
		    .name = "format",
		    .letter = 'f',
		    .cmds = CLASSIFY,
		    .arg = "F",
		    .help = "{values}",
		},
	    },
    },
    {
	.name = "output.top",
	.type = RS_CONFIG_INT,
	.offset = OFF(output.top),
	.min = 0,
	.max = 1000000,
	.def = "20",
	.desc = "Receivers listed by the summary.",
	.cmds = CLASSIFY,
	.flags =
	    {
		{
		    .name = "top",
		    .cmds = CLASSIFY,
		    .arg = "N",
		    .help = "receivers listed by --format summary",
		},
	    },
    },
    {
	.name = "output.quiet",
	.type = RS_CONFIG_BOOL,
	.offset = OFF(output.quiet),
	.def = "false",
	.desc = "Leave out the closing line with the counts on standard "
		"error.",
	.cmds = CLASSIFY,
	.flags =
	    {
		{
		    .name = "quiet",
		    .letter = 'q',
		    .cmds = CLASSIFY,
		    .value = "true",
		    .help = "no closing line on stderr",
		},
	    },
    },
};

const size_t rs_config_nkeys =
    sizeof(rs_config_keys) / sizeof(rs_config_keys[0]);

_Static_assert(sizeof(rs_config_keys) / sizeof(rs_config_keys[0]) <=
                   RS_CONFIG_MAX_KEYS,
               "raise RS_CONFIG_MAX_KEYS");

/*
 * librdkafka properties that a key of ours sets, or that would break the
 * commit-after-write contract. section NULL: both sections.
 */
static const struct {
	const char *section;
	const char *name;
	const char *why;
} reserved[] = {
    {NULL, "bootstrap.servers", "set kafka.brokers instead"},
    {NULL, "metadata.broker.list", "set kafka.brokers instead"},
    {"kafka.consumer", "group.id", "set kafka.group instead"},
    {"kafka.consumer", "enable.auto.commit",
     "cannot be changed: replyscan commits offsets itself, once the "
     "events are written"},
    {"kafka.consumer", "enable.auto.offset.store",
     "cannot be changed: replyscan commits offsets itself, once the "
     "events are written"},
    {"kafka.producer", "transactional.id",
     "set kafka.transactional_id (with kafka.delivery_guarantee: "
     "exactly_once) instead"},
    {"kafka.producer", "compression.type", "set kafka.compression instead"},
    {"kafka.producer", "compression.codec", "set kafka.compression instead"},
};

/* ------------------------------------------------------------------ */
/* Lookup                                                             */
/* ------------------------------------------------------------------ */

const char *rs_config_type_name(rs_config_type_t type)
{
	static const char *const names[] = {
	    "string", "list of strings", "integer",
	    "size",   "seconds",         "boolean",
	    "enum",   "properties",      "format",
	};

	return (unsigned)type < sizeof(names) / sizeof(names[0]) ? names[type]
	                                                         : "?";
}

const rs_config_key_t *rs_config_key_find(const char *name, const char **prop)
{
	*prop = NULL;
	for (size_t i = 0; i < rs_config_nkeys; i++) {
		const rs_config_key_t *key = &rs_config_keys[i];
		size_t n = strlen(key->name);

		if (strcmp(name, key->name) == 0) {
			return key;
		}
		if (key->type == RS_CONFIG_PROPS &&
		    strncmp(name, key->name, n) == 0 && name[n] == '.' &&
		    name[n + 1] != '\0') {
			*prop = name + n + 1;
			return key;
		}
	}
	return NULL;
}

int rs_config_is_section(const char *name)
{
	size_t n = strlen(name);

	for (size_t i = 0; i < rs_config_nkeys; i++) {
		if (strncmp(rs_config_keys[i].name, name, n) == 0 &&
		    rs_config_keys[i].name[n] == '.') {
			return 1;
		}
	}
	return 0;
}

size_t rs_config_sections(const char **name, size_t *len, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; i < rs_config_nkeys; i++) {
		const char *k = rs_config_keys[i].name;
		const char *dot = strchr(k, '.');
		size_t l = dot != NULL ? (size_t)(dot - k) : strlen(k);
		size_t j;

		for (j = 0; j < n; j++) {
			if (len[j] == l && strncmp(name[j], k, l) == 0) {
				break;
			}
		}
		if (j == n && n < max) {
			name[n] = k;
			len[n++] = l;
		}
	}
	return n;
}

const char *rs_config_reserved(const char *section, const char *name)
{
	for (size_t i = 0; i < sizeof(reserved) / sizeof(reserved[0]); i++) {
		if ((reserved[i].section == NULL ||
		     strcmp(reserved[i].section, section) == 0) &&
		    strcmp(reserved[i].name, name) == 0) {
			return reserved[i].why;
		}
	}
	return NULL;
}
