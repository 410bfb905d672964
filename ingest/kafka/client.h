/* SPDX-License-Identifier: Apache-2.0 */
/*
 * client.h - every librdkafka handle of replyscan is made here: the
 * stage's consumer and producer, `replay`'s producer, `events`'
 * consumer and the handle that hosts the demo's mock cluster.
 *
 * A client builds its rd_kafka_conf_t from the brokers, replyscan's own
 * defaults and then the user's properties (so a property may override a
 * default), each error naming the property as the user wrote it
 * ("kafka.consumer.session.timeout.ms: ..."); it routes librdkafka's log
 * lines and error events into the daemon log (observe/log); it serves the
 * statistics callback; and it watches whether any broker is reachable,
 * from librdkafka's RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN error event until
 * the statistics show a broker up again or traffic flows.
 *
 * The client is the handle's opaque: the owner's callbacks (rebalance,
 * delivery report, statistics) are passed in the conf and called with the
 * owner's own opaque.
 *
 * Ownership: rs_kafkaclient_destroy destroys the handle (a consumer must
 * have been closed by its owner first, rd_kafka_consumer_close).
 * @locality the callbacks run where librdkafka calls them: rebalance,
 * delivery and statistics inside the owner's poll; log and error lines
 * on librdkafka's threads. rs_kafkaclient_down_since may be read from
 * any thread.
 */
#ifndef RS_KAFKA_CLIENT_H
#define RS_KAFKA_CLIENT_H

#include <librdkafka/rdkafka.h>
#include <stddef.h>
#include <stdint.h>

/* A librdkafka property, name and value as text. */
typedef struct rs_kafka_prop {
	const char *name;
	const char *value;
} rs_kafka_prop_t;

typedef struct rs_kafkaclient_conf {
	rd_kafka_type_t type; /* RD_KAFKA_CONSUMER or RD_KAFKA_PRODUCER */
	const char *name;     /* "consumer", "producer", ...: logs, errors */
	const char *brokers;  /* bootstrap.servers; NULL: not set here */
	/* The config key the user's properties live under, for errors
	 * ("kafka.producer"); NULL: the property's name alone. */
	const char *section;
	const rs_kafka_prop_t *defaults; /* replyscan's, applied first */
	size_t ndefaults;
	const rs_kafka_prop_t *props; /* the user's, applied last */
	size_t nprops;
	int stats_interval_ms; /* statistics every this many ms; 0: none */
	/* The owner's callbacks (each optional), called with opaque. */
	void (*on_stats)(void *opaque, const char *json, size_t len);
	void (*on_rebalance)(rd_kafka_t *rk, rd_kafka_resp_err_t err,
	                     rd_kafka_topic_partition_list_t *parts,
	                     void *opaque);
	void (*on_delivery)(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
	                    void *opaque);
	void *opaque;
} rs_kafkaclient_conf_t;

typedef struct rs_kafkaclient rs_kafkaclient_t;

/* The number of entries of an array of properties. */
#define RS_KAFKA_NPROPS(a) (sizeof(a) / sizeof((a)[0]))

/*
 * What every client's conf starts from: type, name, brokers (NULL: not set
 * here) and replyscan's defaults (ndefaults of them), nothing else set.
 */
rs_kafkaclient_conf_t rs_kafkaclient_conf(rd_kafka_type_t type,
                                          const char *name, const char *brokers,
                                          const rs_kafka_prop_t *defaults,
                                          size_t ndefaults);

/*
 * The stage's clients: the user's properties of section "kafka.consumer"
 * or "kafka.producer" (by the conf's type) and statistics every
 * stats_interval_ms (5000 when 0 or less).
 */
void rs_kafkaclient_conf_user(rs_kafkaclient_conf_t *conf,
                              const rs_kafka_prop_t *props, size_t nprops,
                              int stats_interval_ms);

/* Build the configuration and the handle. NULL with a sentence. */
rs_kafkaclient_t *rs_kafkaclient_new(const rs_kafkaclient_conf_t *conf,
                                     char *errstr, size_t errstr_size);

/*
 * Destroy the handle and make a new one from conf (the same as at
 * rs_kafkaclient_new, its arrays alive), keeping the client itself, so
 * that whoever watches it (the health check) still holds a valid
 * pointer. For a producer whose fatal error only a new one gets past.
 * 0, or -1 with a sentence (the client then has no handle: destroy it).
 * @locality the owner's thread; the old handle's callbacks have ended.
 */
int rs_kafkaclient_renew(rs_kafkaclient_t *c, const rs_kafkaclient_conf_t *conf,
                         char *errstr, size_t errstr_size);

/* The librdkafka handle, for the owner's calls. */
rd_kafka_t *rs_kafkaclient_handle(const rs_kafkaclient_t *c);

/*
 * Since when (rs_clock_mono_ms) no broker has been reachable; 0 while one
 * is. @locality any thread.
 */
int64_t rs_kafkaclient_down_since(const rs_kafkaclient_t *c);

/*
 * When no broker was last reachable: now during an outage, the moment
 * the last one ended after it, 0 if there never was one. @locality any
 * thread.
 */
int64_t rs_kafkaclient_last_outage_ms(const rs_kafkaclient_t *c);

/* The owner saw traffic (a message read, a delivery acknowledged): a
 * broker is reachable. @locality any thread; cheap when nothing changes. */
void rs_kafkaclient_reachable(rs_kafkaclient_t *c);

/*
 * Why the client cannot work, when a TLS handshake or the SASL login
 * failed before any broker was ever reachable (a wrong password, an
 * untrusted certificate, a host name the certificate does not name):
 * librdkafka would retry forever, so the owner stops instead. NULL while
 * no such failure was seen. @locality any thread.
 */
const char *rs_kafkaclient_failure(const rs_kafkaclient_t *c);

/* The first librdkafka releases (rd_kafka_version()) that every Kafka 4.x
 * lets log in with GSSAPI (4.0.0 refuses older ones; 4.4.0 does not), and
 * with SCRAM. */
#define RS_KAFKA_GSSAPI_KAFKA4 0x020b0000 /* 2.11.0 */
#define RS_KAFKA_SCRAM_KAFKA4 0x02060100  /* 2.6.1 */

/*
 * What rs_kafkaclient_failure adds to librdkafka's reason for a TLS (err
 * RD_KAFKA_RESP_ERR__SSL) or SASL (__AUTHENTICATION) failure: what to
 * check, into buf as " (...)". version is the librdkafka's
 * rd_kafka_version(): one before 2.11.0 refused GSSAPI by the broker's
 * API versions (Kafka 4.0.0), or before 2.6.1 refused SCRAM (Kafka 4.x),
 * is told so, with its version.
 */
void rs_kafkaclient_auth_hint(int err, const char *reason, int version,
                              char *buf, size_t size);

/*
 * Assign every partition of topic to the consumer rk, each from its first
 * offset (for commands that read a whole topic: events, posture's restore).
 * Returns how many partitions were assigned, or -1 when the topic's
 * metadata cannot be read (it does not exist, no broker answers in 10 s).
 */
int rs_kafkaclient_assign_all(rd_kafka_t *rk, const char *topic);

/*
 * Poll the consumer rk, which holds `left` assigned partitions (with
 * enable.partition.eof), handing every message but the end-of-partition
 * notes to on_message (errors too: m->err says). Stops when every
 * partition reported its end (never with follow) or after idle_ms without
 * a message. Returns how many partitions were not read to their end.
 * @locality the consumer's owner thread.
 */
int rs_kafkaclient_read_to_end(rd_kafka_t *rk, int left, int follow,
                               long idle_ms,
                               void (*on_message)(const rd_kafka_message_t *m,
                                                  void *opaque),
                               void *opaque);

/* One broker's answer for one Kafka API, from its ApiVersions response. */
typedef struct rs_kafka_apiver {
	char broker[128]; /* librdkafka's name for it: "host:port/id" */
	int max;          /* the highest version served; -1: not listed */
} rs_kafka_apiver_t;

/*
 * Ask the brokers of c's cluster which versions of Kafka API api_key they
 * serve: a short-lived handle of c's configuration (TLS and SASL
 * included) connects to every broker the metadata lists and reads the
 * answers from librdkafka's "feature" debug lines (its public API keeps
 * them private; 2.0.2 to 2.12 print "Broker API support:" and then
 * "  ApiKey NAME (KEY) Versions MIN..MAX" per API). Fills up to nout
 * answers, one per broker connection (the bootstrap one too), within
 * about timeout_ms and returns how many: 0 when no broker answered in
 * time or no line could be read, so the caller must treat 0 as "not
 * known", never as "not served". -1 with a sentence: no handle.
 * @locality the caller's thread; blocks up to about timeout_ms.
 */
int rs_kafkaclient_api_versions(const rs_kafkaclient_t *c, int api_key,
                                int timeout_ms, rs_kafka_apiver_t *out,
                                size_t nout, char *errstr, size_t errstr_size);

/* Destroy the handle and the client (NULL is fine). */
void rs_kafkaclient_destroy(rs_kafkaclient_t *c);

#endif
