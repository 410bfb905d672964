/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay.c - log files into a topic, one message per line; see replay.h.
 *
 * Lines are read with the pipeline's own file source (so gzip, zstd and
 * stdin work as in classify) and produced without a key unless --key
 * says otherwise: librdkafka spreads them over every partition, as a
 * fleet of MTAs would. Keyed by log host (or file), the lines of one host
 * land in one partition in their order, as a host-keyed shipper sends
 * them, which the stateful formats need. Lines longer than 16 MiB are not
 * sent and make the run fail.
 */
#include "kafka/replay.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "files/filesource.h"
#include "formats/syslog.h"
#include "util/clock.h"

#define REPLAY_MAX_LINE (16 * 1024 * 1024)

typedef struct replay_state {
	uint64_t acked;
	uint64_t failed;
	char first_error[256];
} replay_state_t;

/* Delivery report. @locality inside rd_kafka_poll / rd_kafka_flush. */
static void on_delivery(rd_kafka_t *rk, const rd_kafka_message_t *rkm,
                        void *opaque)
{
	replay_state_t *st = opaque;

	(void)rk;
	if (rkm->err) {
		if (st->failed++ == 0) {
			snprintf(st->first_error, sizeof(st->first_error), "%s",
			         rd_kafka_err2str(rkm->err));
		}
	} else {
		st->acked++;
	}
}

size_t rs_kafkareplay_line_key(rs_kafkareplay_key_t mode, const char *source,
                               const char *line, size_t len, const char **key)
{
	rs_syslog_t sl;

	*key = NULL;
	if (mode == RS_KAFKAREPLAY_KEY_NONE) {
		return 0;
	}
	if (mode == RS_KAFKAREPLAY_KEY_HOST &&
	    rs_syslog_split(line, len, &sl) == 0 && sl.host.n > 0) {
		*key = sl.host.p;
		return sl.host.n;
	}
	*key = source != NULL ? source : "-";
	return strlen(*key);
}

/* Produce one line (keyed when keylen > 0), waiting while the local queue
 * is full. */
static rd_kafka_resp_err_t produce(rd_kafka_t *rk, const char *topic,
                                   const rs_line_t *line, const char *key,
                                   size_t keylen)
{
	for (;;) {
		rd_kafka_resp_err_t e = rd_kafka_producev(
		    rk, RD_KAFKA_V_TOPIC(topic),
		    RD_KAFKA_V_KEY((void *)key, keylen),
		    RD_KAFKA_V_VALUE((void *)line->p, line->len),
		    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);

		if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
			return e;
		}
		rd_kafka_poll(rk, 50);
	}
}

int rs_kafkareplay(const rs_kafkareplay_conf_t *conf)
{
	/* Lines carry no key: spread them over every partition rather than
	 * sticking to one per batch. */
	static const rs_kafka_prop_t defaults[] = {
	    {"linger.ms", "20"},
	    {"sticky.partitioning.linger.ms", "0"},
	    {"compression.type", "lz4"},
	    {"enable.idempotence", "true"},
	    {"queue.buffering.max.kbytes", "65536"},
	};
	replay_state_t st = {0};
	rs_kafkaclient_conf_t cc;
	rs_kafkaclient_t *client;
	rd_kafka_t *rk;
	rs_filesource_t *fs;
	rs_source_t *src;
	rs_batch_t b = {0};
	char err[512];
	uint64_t sent = 0, oversized = 0;
	double t0, last_report;
	int rc = RS_KAFKAREPLAY_FAILED;

	cc = rs_kafkaclient_conf(RD_KAFKA_PRODUCER, "producer", conf->brokers,
	                         defaults, RS_KAFKA_NPROPS(defaults));
	cc.props = conf->props;
	cc.nprops = conf->nprops;
	cc.on_delivery = on_delivery;
	cc.opaque = &st;
	client = rs_kafkaclient_new(&cc, err, sizeof(err));
	if (client == NULL) {
		fprintf(stderr, "replyscan: %s\n", err);
		return RS_KAFKAREPLAY_CONFIG;
	}
	rk = rs_kafkaclient_handle(client);
	fs = rs_filesource_new(conf->files, conf->nfiles, 1024 * 1024,
	                       REPLAY_MAX_LINE);
	if (fs == NULL) {
		fprintf(stderr, "replyscan: out of memory\n");
		rs_kafkaclient_destroy(client);
		return RS_KAFKAREPLAY_FAILED;
	}
	src = rs_filesource_source(fs);
	t0 = last_report = rs_clock_mono_s();
	for (;;) {
		int got;

		rs_batch_reset(&b);
		got = src->next(src, &b, err, sizeof(err));
		if (got < 0) {
			fprintf(stderr, "replyscan: %s\n", err);
			goto out;
		}
		if (got == 0) {
			break;
		}
		for (size_t i = 0; i < b.nlines; i++) {
			rd_kafka_resp_err_t e;
			const char *key;
			size_t keylen;

			if (b.lines[i].flags & RS_LINE_OVERSIZED) {
				oversized++;
				continue;
			}
			if (conf->rate > 0) {
				double due =
				    t0 + (double)sent / (double)conf->rate;
				double wait = due - rs_clock_mono_s();

				if (wait > 0) {
					usleep((useconds_t)(wait * 1e6));
				}
			}
			keylen = rs_kafkareplay_line_key(conf->key, b.source,
			                                 b.lines[i].p,
			                                 b.lines[i].len, &key);
			e = produce(rk, conf->topic, &b.lines[i], key, keylen);
			if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
				fprintf(stderr,
				        "replyscan: cannot produce to %s: %s\n",
				        conf->topic, rd_kafka_err2str(e));
				goto out;
			}
			sent++;
		}
		rd_kafka_poll(rk, 0);
		if (!conf->quiet && rs_clock_mono_s() - last_report >= 1.0) {
			double el = rs_clock_mono_s() - t0;

			fprintf(stderr,
			        "\rreplay: %llu lines sent, %llu acknowledged, "
			        "%.0f lines/s   ",
			        (unsigned long long)sent,
			        (unsigned long long)st.acked,
			        (double)sent / el);
			last_report = rs_clock_mono_s();
		}
	}
	rd_kafka_flush(rk, 60000);
	if (!conf->quiet) {
		double el = rs_clock_mono_s() - t0;

		fprintf(
		    stderr,
		    "\rreplay: %llu lines sent, %llu acknowledged in %.2f s "
		    "(%.0f lines/s)\n",
		    (unsigned long long)sent, (unsigned long long)st.acked, el,
		    el > 0 ? (double)sent / el : 0.0);
	}
	if (oversized > 0) {
		fprintf(
		    stderr,
		    "replyscan: %llu lines longer than 16 MiB were not sent\n",
		    (unsigned long long)oversized);
	}
	if (st.acked != sent) {
		fprintf(
		    stderr,
		    "replyscan: %llu of %llu lines were not acknowledged%s%s\n",
		    (unsigned long long)(sent - st.acked),
		    (unsigned long long)sent, st.failed ? ": " : "",
		    st.first_error);
		goto out;
	}
	if (rs_filesource_failed_files(fs) == 0 && oversized == 0) {
		rc = RS_KAFKAREPLAY_OK;
	}
out:
	rs_batch_free(&b);
	rs_filesource_destroy(fs);
	rs_kafkaclient_destroy(client);
	return rc;
}
