/* SPDX-License-Identifier: Apache-2.0 */
/*
 * health.h - when the Kafka stage is unhealthy, for /healthz: no broker
 * has been reachable, by the consumer or by the producer, for
 * unhealthy_after seconds (librdkafka's ALL_BROKERS_DOWN, see
 * kafka/client.h); or the output has stalled: the oldest batch of events
 * has waited that long for the brokers' acknowledgements (a missing or
 * unwritable output topic, a producer that cannot deliver). Either makes
 * an orchestrator restart or page; a slow but moving stage stays healthy.
 *
 * The check reads only values the clients and the sink publish
 * atomically, so the metrics endpoint's thread may run it at any time.
 * Ownership: it borrows the clients and the sink; the stage unregisters
 * it (rs_metrics_set_health_check) before destroying them.
 */
#ifndef RS_KAFKA_HEALTH_H
#define RS_KAFKA_HEALTH_H

#include <stddef.h>
#include <stdint.h>

#include "kafka/client.h"
#include "kafka/kafkasink.h"

typedef struct rs_kafkahealth {
	double unhealthy_after;             /* seconds; 0: always healthy */
	const rs_kafkaclient_t *clients[2]; /* consumer, producer; NULL ok */
	const rs_kafkasink_t *sink;         /* NULL: no output to watch */
} rs_kafkahealth_t;

/*
 * 0 when healthy at now_ms (rs_clock_mono_ms), else -1 with the reason in
 * why, e.g. "no broker reachable by the producer for 75 s".
 */
int rs_kafkahealth_check_at(const rs_kafkahealth_t *h, int64_t now_ms,
                            char *why, size_t why_size);

/* The same now; an rs_metrics_health_fn (ctx: an rs_kafkahealth_t). */
int rs_kafkahealth_check(void *ctx, char *why, size_t why_size);

#endif
