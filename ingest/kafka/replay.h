/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay.h - produce recorded log files into a Kafka topic, one message
 * per line, as fast as possible or at a fixed rate: the engine of
 * `replyscan replay`, and how `run --demo` fills its input topic.
 *
 * A line-by-line tool, not a stage: it reports on standard error (a
 * progress line unless quiet, and every failure as "replyscan: ...") and
 * waits up to 60 s at the end for every line to be acknowledged.
 *
 * @locality the calling thread; nothing is shared.
 */
#ifndef RS_KAFKA_REPLAY_H
#define RS_KAFKA_REPLAY_H

#include <stddef.h>

#include "kafka/client.h"

/*
 * How each line is keyed (--key). Over Kafka, the state of a stateful
 * format (a PowerMTA header and its rows, a qmail result and its
 * `starting delivery` line) is kept per partition: only keyed lines
 * stay together.
 */
typedef enum rs_kafkareplay_key {
	RS_KAFKAREPLAY_KEY_NONE = 0, /* no key: spread over every partition */
	RS_KAFKAREPLAY_KEY_HOST,     /* the syslog host, else the file name */
	RS_KAFKAREPLAY_KEY_FILE,     /* the file name ("-": stdin) */
} rs_kafkareplay_key_t;

typedef struct rs_kafkareplay_conf {
	const char *brokers;
	const char *topic;
	char *const *files; /* plain, gzip or zstd; "-" is stdin */
	size_t nfiles;
	long rate;                    /* lines per second; 0: no limit */
	const rs_kafka_prop_t *props; /* producer properties (-X) */
	size_t nprops;
	int quiet; /* no progress line */
	rs_kafkareplay_key_t key;
} rs_kafkareplay_conf_t;

/* What rs_kafkareplay returns. */
#define RS_KAFKAREPLAY_OK 0
#define RS_KAFKAREPLAY_FAILED 1 /* an input, a produce or an ack failed */
#define RS_KAFKAREPLAY_CONFIG 2 /* the producer cannot be made */

/*
 * The key of one line of the file named source (NULL: stdin) under mode:
 * points *key at it (inside line or source) and returns its length; 0
 * when the line goes without a key. Pure; no allocation.
 */
size_t rs_kafkareplay_line_key(rs_kafkareplay_key_t mode, const char *source,
                               const char *line, size_t len, const char **key);

/* Replay every file, in order. One of RS_KAFKAREPLAY_*. */
int rs_kafkareplay(const rs_kafkareplay_conf_t *conf);

#endif
