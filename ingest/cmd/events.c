/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd/events.c - `replyscan events --brokers B --topic T`: read the
 * DeferralEvents of an output topic and print them as JSON lines, the same
 * JSON that `classify` writes. For operators who want to look at the
 * stream, and for the end-to-end tests that compare the two.
 *
 * The topic is read from the beginning of every partition (no consumer
 * group, nothing committed) up to the end as it was when reading started
 * (--follow keeps reading).
 */
#include <getopt.h>
#include <librdkafka/rdkafka.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "event/eventjson.h"
#include "kafka/client.h"
#include "replyscan/v1/event.pb-c.h"
#include "util/str.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: replyscan events --brokers HOST:PORT --topic TOPIC "
	    "[--follow] [--timeout SECS]\n"
	    "                        [--isolation LEVEL]\n"
	    "\n"
	    "Print the replyscan.v1.DeferralEvent messages of TOPIC as JSON "
	    "lines, the\n"
	    "same JSON as `replyscan classify` (messages of "
	    "kafka.output_format json\n"
	    "are printed as they are). Reads every partition from "
	    "the start up\n"
	    "to its end, or keeps reading with --follow; gives up after "
	    "--timeout\n"
	    "seconds (default 30) without a message. --isolation "
	    "read_committed (the\n"
	    "default) shows only events of committed transactions "
	    "(kafka.delivery_guarantee:\n"
	    "exactly_once); read_uncommitted shows aborted ones too.\n");
}

/* A message of kafka.output_format json (content-type header). */
static int is_json(const rd_kafka_message_t *m)
{
	rd_kafka_headers_t *hdrs = NULL;
	const void *v = NULL;
	size_t n = 0;
	static const char json[] = "application/json";

	if (rd_kafka_message_headers(m, &hdrs) != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    rd_kafka_header_get_last(hdrs, "content-type", &v, &n) !=
	        RD_KAFKA_RESP_ERR_NO_ERROR) {
		return 0;
	}
	return v != NULL && n == sizeof(json) - 1 && memcmp(v, json, n) == 0;
}

/* What print_message needs: the topic, a buffer, the counts. */
typedef struct print_ctx {
	const char *topic;
	rs_buf_t *out;
	uint64_t n;
	int bad;
} print_ctx_t;

/* One message of the topic to standard output as a JSON line. */
static void print_message(const rd_kafka_message_t *m, void *opaque)
{
	print_ctx_t *ctx = opaque;
	Replyscan__V1__DeferralEvent *ev;

	if (m->err) {
		fprintf(stderr, "replyscan: %s\n", rd_kafka_message_errstr(m));
		return;
	}
	if (is_json(m)) {
		/* kafka.output_format: json - already the line. */
		fwrite(m->payload, 1, m->len, stdout);
		fputc('\n', stdout);
		ctx->n++;
		return;
	}
	ev = replyscan__v1__deferral_event__unpack(NULL, m->len, m->payload);
	if (ev == NULL) {
		fprintf(stderr, "replyscan: %s/%d/%lld: not a DeferralEvent\n",
		        ctx->topic, m->partition, (long long)m->offset);
		ctx->bad++;
		return;
	}
	rs_buf_reset(ctx->out);
	rs_eventjson_write(ev, RS_EVENTJSON_CLEAN, ctx->out);
	rs_buf_putc(ctx->out, '\n');
	fwrite(ctx->out->data, 1, ctx->out->len, stdout);
	replyscan__v1__deferral_event__free_unpacked(ev, NULL);
	ctx->n++;
}

int rs_cmd_events(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"brokers", required_argument, NULL, 'b'},
	    {"topic", required_argument, NULL, 't'},
	    {"follow", no_argument, NULL, 'f'},
	    {"timeout", required_argument, NULL, 'T'},
	    {"isolation", required_argument, NULL, 'I'},
	    RS_CLI_OPTS_END,
	};
	const char *brokers = NULL, *topic = NULL;
	int follow = 0, c, rc = RS_EXIT_FAILURE, status;
	long timeout_s = 30;
	/* Partitions are assigned, not subscribed: the group only names
	 * the client; nothing is committed. */
	static const rs_kafka_prop_t defaults[] = {
	    {"group.id", "replyscan-events"},
	    {"enable.partition.eof", "true"},
	    {"enable.auto.commit", "false"},
	};
	rs_kafka_prop_t isolation = {"isolation.level", "read_committed"};
	rs_kafkaclient_conf_t cc;
	rs_kafkaclient_t *client;
	rd_kafka_t *rk;
	rs_buf_t out = {0};
	print_ctx_t ctx = {0};
	char err[512];
	int left = 0, bad = 0;
	uint64_t n = 0;

	optind = 1;
	while ((c = rs_cli_getopt(argc, argv, "b:t:fT:I:h", opts, usage,
	                          &status)) > 0) {
		switch (c) {
		case 'b':
			brokers = optarg;
			break;
		case 't':
			topic = optarg;
			break;
		case 'f':
			follow = 1;
			break;
		case 'T':
			timeout_s =
			    rs_cli_parse_count("--timeout", optarg, 1, 86400);
			if (timeout_s < 0) {
				return RS_EXIT_USAGE;
			}
			break;
		case 'I':
			if (strcmp(optarg, "read_committed") != 0 &&
			    strcmp(optarg, "read_uncommitted") != 0) {
				fprintf(stderr,
				        "replyscan: --isolation: '%s' is not "
				        "read_committed or read_uncommitted\n",
				        optarg);
				return RS_EXIT_USAGE;
			}
			isolation.value = optarg;
			break;
		}
	}
	if (c == RS_CLI_STOP) {
		return status;
	}
	if (brokers == NULL || topic == NULL || optind != argc) {
		usage(stderr);
		return RS_EXIT_USAGE;
	}
	cc = rs_kafkaclient_conf(RD_KAFKA_CONSUMER, "consumer", brokers,
	                         defaults, RS_KAFKA_NPROPS(defaults));
	cc.props = &isolation;
	cc.nprops = 1;
	client = rs_kafkaclient_new(&cc, err, sizeof(err));
	if (client == NULL) {
		fprintf(stderr, "replyscan: %s\n", err);
		return RS_EXIT_FAILURE;
	}
	rk = rs_kafkaclient_handle(client);
	rd_kafka_poll_set_consumer(rk);
	left = rs_kafkaclient_assign_all(rk, topic);
	if (left < 0) {
		fprintf(stderr,
		        "replyscan: %s: cannot read the topic's "
		        "metadata (does it exist?)\n",
		        topic);
		goto out;
	}
	ctx.topic = topic;
	ctx.out = &out;
	left = rs_kafkaclient_read_to_end(rk, left, follow, timeout_s * 1000,
	                                  print_message, &ctx);
	n = ctx.n;
	bad = ctx.bad;
	fflush(stdout);
	if (left > 0 && !follow) {
		fprintf(stderr,
		        "replyscan: gave up after %ld s without messages; %d "
		        "partitions not read to the end\n",
		        timeout_s, left);
		goto out;
	}
	fprintf(stderr, "replyscan: %llu events read from %s\n",
	        (unsigned long long)n, topic);
	rc = bad > 0 ? RS_EXIT_FAILURE : RS_EXIT_OK;
out:
	rs_buf_free(&out);
	rd_kafka_consumer_close(rk);
	rs_kafkaclient_destroy(client);
	return rc;
}
