/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.h - the configuration of `replyscan run` and `replyscan
 * classify`: a YAML file whose keys flatten to dotted names
 * (kafka.brokers, pipeline.threads, ...), then command-line flags and
 * --set KEY=VALUE through the same setter (config/cmdline.h).
 *
 * One table (keys.c) names every key with its type, field, range,
 * default, description, the commands that read it and the flags that set
 * it; the setter (config.c), the YAML loader
 * (load.c), validation, the printers (print.c) and the suggester
 * (suggest.c) all read it, so a key exists in one place only.
 *
 * Ownership: rs_config_t owns every string, list and property in it;
 * rs_config_free releases them. String fields are never NULL ("" means
 * unset). Errors are sentences of the form "origin: key: reason", where
 * origin is "file.yaml:LINE" or the flag the value came from.
 *
 * @locality start-up (main thread); after rs_config_validate the
 * structure is read-only and may be read from any thread.
 */
#ifndef RS_CONFIG_H
#define RS_CONFIG_H

#include <stddef.h>
#include <stdio.h>

#include "kafka/client.h"
#include "observe/log.h"
#include "formats/format.h"
#include "pipeline/pipeline.h"

/* Room for the table's keys (keys.c checks it at compile time). */
#define RS_CONFIG_MAX_KEYS 48

/* The commands that read a configuration; a key says which read it. */
#define RS_CONFIG_RUN 0x1u
#define RS_CONFIG_CLASSIFY 0x2u

/* pipeline.include_sent: a boolean, or rollup. */
typedef enum rs_config_sent {
	RS_CONFIG_SENT_NONE = 0,   /* delivered lines are skipped */
	RS_CONFIG_SENT_ALL = 1,    /* one event per delivered line */
	RS_CONFIG_SENT_ROLLUP = 2, /* one event per key and minute */
} rs_config_sent_t;

typedef enum rs_config_compression {
	RS_CONFIG_COMPRESSION_NONE = 0,
	RS_CONFIG_COMPRESSION_GZIP,
	RS_CONFIG_COMPRESSION_SNAPPY,
	RS_CONFIG_COMPRESSION_LZ4,
	RS_CONFIG_COMPRESSION_ZSTD,
} rs_config_compression_t;

typedef enum rs_config_delivery {
	RS_CONFIG_AT_LEAST_ONCE = 0, /* commit offsets after the events */
	RS_CONFIG_EXACTLY_ONCE,      /* events and offsets in transactions */
} rs_config_delivery_t;

/* What the Kafka stage writes per event. */
typedef enum rs_config_kafka_format {
	RS_CONFIG_KAFKA_PROTOBUF = 0, /* a replyscan.v1.DeferralEvent */
	RS_CONFIG_KAFKA_JSON,         /* classify's JSON object, no newline */
} rs_config_kafka_format_t;

typedef enum rs_config_malformed {
	RS_CONFIG_MALFORMED_SKIP = 0,    /* count the line and go on */
	RS_CONFIG_MALFORMED_DEAD_LETTER, /* also produce it to dead_letter */
} rs_config_malformed_t;

/* What `classify` writes. */
typedef enum rs_config_output {
	RS_CONFIG_OUTPUT_JSON = 0, /* one JSON object per line */
	RS_CONFIG_OUTPUT_PB,       /* varint-delimited DeferralEvents */
	RS_CONFIG_OUTPUT_SUMMARY,  /* a table by class and stage */
} rs_config_output_t;

/* A list of strings (topic names). */
typedef struct rs_config_list {
	char **v;
	size_t n;
} rs_config_list_t;

/* librdkafka properties in the order they were first set. */
typedef struct rs_config_props {
	rs_kafka_prop_t *v; /* name and value, owned by the config */
	char **origin;      /* where each was set, for error messages */
	size_t n;
} rs_config_props_t;

typedef struct rs_config {
	struct {
		const char *brokers;
		const char *group;
		rs_config_list_t input; /* topics to read; required */
		const char *output;
		const char *dead_letter; /* "": none */
		rs_key_t key;
		rs_config_compression_t compression;
		rs_config_props_t consumer; /* kafka.consumer.<property> */
		rs_config_props_t producer; /* kafka.producer.<property> */
		rs_config_delivery_t delivery_guarantee;
		const char *transactional_id; /* "": replyscan-<group>-<host> */
		double transaction_interval;  /* seconds */
		int transaction_events;
		rs_config_kafka_format_t output_format;
	} kafka;
	struct {
		int threads; /* 0: one per online CPU (rs_config_threads) */
		const char *rules; /* rules directory; "": the bundled rules */
		const rs_format_t *input_format; /* never NULL */
		int include_sent;                /* rs_config_sent_t */
		double rollup_interval; /* seconds of log time per rollup */
		size_t batch_bytes;
		int queue_batches; /* 0: 2 * threads + 2 */
		size_t max_line;
		rs_config_malformed_t on_malformed;
		double exit_when_idle; /* seconds; 0: never */
	} pipeline;
	struct {
		const char *pmta_fields;        /* "": the default header */
		const char *json_message_field; /* "": built-in names */
	} formats;
	rs_config_props_t sources; /* sources.<format>.<key>: "IP [POOL]" */
	struct {
		const char *listen;     /* "ADDR:PORT"; "": no endpoint */
		double unhealthy_after; /* seconds; 0: never unhealthy */
	} metrics;
	struct {
		rs_log_level_t level;
		rs_log_format_t format;
	} log;
	struct {
		rs_config_output_t format;
		int top;   /* receivers listed by the summary */
		int quiet; /* no closing line on stderr */
	} output;
	/* private: where each key was last set; NULL for its default */
	char *origins[RS_CONFIG_MAX_KEYS];
} rs_config_t;

/*
 * The parsers' options from formats.pmta.fields,
 * formats.json.message_field and sources.*: a new set
 * the caller frees with rs_format_opts_destroy, or NULL with "origin: key:
 * reason" in errstr. An empty configuration gives a valid empty set.
 */
rs_format_opts_t *rs_config_format_opts(const rs_config_t *cfg, char *errstr,
                                        size_t errstr_size);

/* Fill cfg with the defaults. */
void rs_config_init(rs_config_t *cfg);

/*
 * Apply a YAML file over cfg. Unknown keys, duplicate keys, values of the
 * wrong kind or out of range are errors naming "path:line: key". On error
 * the keys set before it stay set. A file may hold the keys of every
 * command (one file can serve run and classify); each command reads its
 * own. 0 or -1.
 */
int rs_config_load_file(rs_config_t *cfg, const char *path, char *errstr,
                        size_t errstr_size);

/*
 * Set one key from text, as a command-line override; origin (e.g.
 * "--threads", may be NULL) starts the error sentence. A list takes
 * comma-separated names; kafka.consumer.<p> and kafka.producer.<p> set
 * librdkafka property p. 0 or -1.
 */
int rs_config_set(rs_config_t *cfg, const char *key, const char *value,
                  const char *origin, char *errstr, size_t errstr_size);

/*
 * Like rs_config_set, but a list key keeps its names and gains the
 * comma-separated names of value (a repeated -i TOPIC). 0 or -1.
 */
int rs_config_append(rs_config_t *cfg, const char *key, const char *value,
                     const char *origin, char *errstr, size_t errstr_size);

/* The RS_CONFIG_* commands that read key (0: no such key). */
unsigned rs_config_key_cmds(const char *key);

/*
 * Check what no single key can, for the commands in cmds: the required
 * keys and topic loops of run. 0 or -1.
 */
int rs_config_validate(const rs_config_t *cfg, unsigned cmds, char *errstr,
                       size_t errstr_size);

/* Where key was last set ("file.yaml:12", "--threads"), NULL if default. */
const char *rs_config_origin(const rs_config_t *cfg, const char *key);

/* pipeline.threads and pipeline.queue_batches with 0 resolved. */
unsigned rs_config_threads(const rs_config_t *cfg);
unsigned rs_config_queue_batches(const rs_config_t *cfg);

/* "none", "gzip", ... (librdkafka's compression.codec values). */
const char *rs_config_compression_name(rs_config_compression_t c);

/* Release everything cfg owns; cfg may be initialised again after. */
void rs_config_free(rs_config_t *cfg);

/* "run" or "classify": the name of one RS_CONFIG_* command. */
const char *rs_config_cmd_name(unsigned cmd);

/*
 * The keys read by a command in cmds as a Markdown table: key, type,
 * default, allowed, meaning.
 */
void rs_config_print_reference(unsigned cmds, FILE *out);

/*
 * The effective values of the keys read by a command in cmds, one "key:
 * value" line each, readable back by rs_config_load_file; secret
 * librdkafka properties print "***".
 */
void rs_config_print(const rs_config_t *cfg, unsigned cmds, FILE *out);

#endif
