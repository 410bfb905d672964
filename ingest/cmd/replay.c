/*
 * cmd_replay.c - `replyscan replay FILE... --brokers B --topic T`: produce
 * a recorded corpus (plain, gzip or zstd) into Kafka, one message per
 * line, as fast as possible or at --rate lines per second, with a
 * progress line on stderr.
 */
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "files/filesource.h"
#include "util/clock.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: replyscan replay --brokers HOST:PORT --topic TOPIC "
	    "[--rate N] [-X prop=value]... FILE...\n"
	    "\n"
	    "Produce every line of FILE (plain, gzip or zstd; '-' is stdin) "
	    "as one\n"
	    "Kafka message.\n"
	    "  --rate N        at most N lines per second (default: as fast "
	    "as possible)\n"
	    "  -X prop=value   librdkafka producer property (repeatable)\n"
	    "  --quiet         no progress line\n");
}

typedef struct replay_state {
	uint64_t acked;
	uint64_t failed;
	char first_error[256];
} replay_state_t;

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

/* Set a property; prints the error. */
static int set_prop(rd_kafka_conf_t *kc, const char *name, const char *value)
{
	char err[256];

	if (rd_kafka_conf_set(kc, name, value, err, sizeof(err)) !=
	    RD_KAFKA_CONF_OK) {
		fprintf(stderr, "replyscan: %s: %s\n", name, err);
		return -1;
	}
	return 0;
}

/*
 * Produce every line of files to topic with the producer configuration kc
 * (takes ownership). rate 0: as fast as possible.
 */
static int replay(rd_kafka_conf_t *kc, const char *topic, char *const *files,
                  size_t nfiles, long rate, int quiet)
{
	replay_state_t st = {0};
	rd_kafka_t *rk;
	rs_filesource_t *fs;
	rs_source_t *src;
	rs_batch_t b = {0};
	char err[512];
	uint64_t sent = 0, oversized = 0;
	double t0, last_report;
	int rc = RS_EXIT_FAILURE;

	rd_kafka_conf_set_opaque(kc, &st);
	rd_kafka_conf_set_dr_msg_cb(kc, on_delivery);
	rk = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof(err));
	if (rk == NULL) {
		fprintf(stderr, "replyscan: cannot create the producer: %s\n",
		        err);
		rd_kafka_conf_destroy(kc);
		return RS_EXIT_FAILURE;
	}
	fs = rs_filesource_new(files, nfiles, 1024 * 1024, 16 * 1024 * 1024);
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

			if (b.lines[i].flags & RS_LINE_OVERSIZED) {
				oversized++;
				continue;
			}
			if (rate > 0) {
				double due = t0 + (double)sent / (double)rate;
				double wait = due - rs_clock_mono_s();
				if (wait > 0) {
					usleep((useconds_t)(wait * 1e6));
				}
			}
			for (;;) {
				e = rd_kafka_producev(
				    rk, RD_KAFKA_V_TOPIC(topic),
				    RD_KAFKA_V_VALUE((void *)b.lines[i].p,
				                     b.lines[i].len),
				    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
				    RD_KAFKA_V_END);
				if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL) {
					break;
				}
				rd_kafka_poll(rk, 50);
			}
			if (e != RD_KAFKA_RESP_ERR_NO_ERROR) {
				fprintf(stderr,
				        "replyscan: cannot produce to %s: %s\n",
				        topic, rd_kafka_err2str(e));
				goto out;
			}
			sent++;
		}
		rd_kafka_poll(rk, 0);
		if (!quiet && rs_clock_mono_s() - last_report >= 1.0) {
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
	if (!quiet) {
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
	rc = rs_filesource_failed_files(fs) > 0 || oversized > 0
	         ? RS_EXIT_FAILURE
	         : RS_EXIT_OK;
out:
	rs_batch_free(&b);
	rs_filesource_destroy(fs);
	rd_kafka_destroy(rk);
	return rc;
}

/* The producer settings replay starts from. NULL on a bad property. */
static rd_kafka_conf_t *replay_conf(const char *brokers)
{
	rd_kafka_conf_t *kc = rd_kafka_conf_new();

	/* Lines carry no key: spread them over every partition rather than
	 * sticking to one per batch, as a fleet of MTAs would. */
	if (set_prop(kc, "linger.ms", "20") ||
	    set_prop(kc, "sticky.partitioning.linger.ms", "0") ||
	    set_prop(kc, "compression.type", "lz4") ||
	    set_prop(kc, "enable.idempotence", "true") ||
	    set_prop(kc, "queue.buffering.max.kbytes", "65536") ||
	    (brokers != NULL && set_prop(kc, "bootstrap.servers", brokers))) {
		rd_kafka_conf_destroy(kc);
		return NULL;
	}
	return kc;
}

int rs_cmd_replay_files(const char *brokers, const char *topic,
                        char *const *files, size_t nfiles, long rate, int quiet)
{
	rd_kafka_conf_t *kc = replay_conf(brokers);

	if (kc == NULL) {
		return RS_EXIT_USAGE;
	}
	return replay(kc, topic, files, nfiles, rate, quiet);
}

int rs_cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"brokers", required_argument, NULL, 'b'},
	    {"topic", required_argument, NULL, 't'},
	    {"rate", required_argument, NULL, 'r'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	const char *brokers = NULL, *topic = NULL;
	long rate = 0;
	int quiet = 0, c;
	rd_kafka_conf_t *kc;

	kc = replay_conf(NULL);
	if (kc == NULL) {
		return RS_EXIT_USAGE;
	}
	optind = 1;
	while ((c = getopt_long(argc, argv, "b:t:r:X:qh", opts, NULL)) != -1) {
		char *eq;

		switch (c) {
		case 'b':
			brokers = optarg;
			break;
		case 't':
			topic = optarg;
			break;
		case 'r':
			rate = rs_cli_parse_count("--rate", optarg, 1,
			                          1000000000L);
			if (rate < 0) {
				rd_kafka_conf_destroy(kc);
				return RS_EXIT_USAGE;
			}
			break;
		case 'X':
			eq = strchr(optarg, '=');
			if (eq == NULL) {
				fprintf(stderr,
				        "replyscan: -X %s: expected "
				        "prop=value\n",
				        optarg);
				rd_kafka_conf_destroy(kc);
				return RS_EXIT_USAGE;
			}
			*eq = '\0';
			if (set_prop(kc, optarg, eq + 1)) {
				rd_kafka_conf_destroy(kc);
				return RS_EXIT_USAGE;
			}
			break;
		case 'q':
			quiet = 1;
			break;
		case 'h':
			usage(stdout);
			rd_kafka_conf_destroy(kc);
			return RS_EXIT_OK;
		default:
			usage(stderr);
			rd_kafka_conf_destroy(kc);
			return RS_EXIT_USAGE;
		}
	}
	if (brokers == NULL || topic == NULL || optind >= argc) {
		usage(stderr);
		rd_kafka_conf_destroy(kc);
		return RS_EXIT_USAGE;
	}
	if (set_prop(kc, "bootstrap.servers", brokers)) {
		rd_kafka_conf_destroy(kc);
		return RS_EXIT_USAGE;
	}
	return replay(kc, topic, argv + optind, (size_t)(argc - optind), rate,
	              quiet);
}
