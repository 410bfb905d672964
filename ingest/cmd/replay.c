/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd/replay.c - `replyscan replay FILE... --brokers B --topic T`: produce
 * a recorded corpus (plain, gzip or zstd) into Kafka, one message per
 * line, as fast as possible or at --rate lines per second, with a
 * progress line on stderr. The work is kafka/replay.c; this file is the
 * command line.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "kafka/replay.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: replyscan replay --brokers HOST:PORT --topic TOPIC "
	    "[--rate N] [--key none|host|file] [-X prop=value]... FILE...\n"
	    "\n"
	    "Produce every line of FILE (plain, gzip or zstd; '-' is stdin) "
	    "as one\n"
	    "Kafka message.\n"
	    "  --rate N        at most N lines per second (default: as fast "
	    "as possible)\n"
	    "  --key K         the message key: none (default: spread over "
	    "every\n"
	    "                  partition), host (the syslog line's host, "
	    "else the file\n"
	    "                  name: a host's lines stay in one partition, "
	    "in order, as\n"
	    "                  the stateful formats need), file (the file "
	    "name)\n"
	    "  -X prop=value   librdkafka producer property (repeatable)\n"
	    "  --quiet         no progress line\n");
}

/* The -X properties: names copied out of argv, values pointing in. */
typedef struct props {
	rs_kafka_prop_t *v;
	size_t n, cap;
} props_t;

static void props_free(props_t *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free((void *)p->v[i].name);
	}
	free(p->v);
}

/* Add "name=value"; -1 (and a message) when it is not that. */
static int props_add(props_t *p, const char *arg)
{
	const char *eq = strchr(arg, '=');
	char *name;

	if (eq == NULL || eq == arg) {
		fprintf(stderr, "replyscan: -X %s: expected prop=value\n", arg);
		return -1;
	}
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 8;
		rs_kafka_prop_t *v = realloc(p->v, cap * sizeof(*v));

		if (v == NULL) {
			fprintf(stderr, "replyscan: out of memory\n");
			return -1;
		}
		p->v = v;
		p->cap = cap;
	}
	name = strndup(arg, (size_t)(eq - arg));
	if (name == NULL) {
		fprintf(stderr, "replyscan: out of memory\n");
		return -1;
	}
	p->v[p->n].name = name;
	p->v[p->n++].value = eq + 1;
	return 0;
}

int rs_cmd_replay(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"brokers", required_argument, NULL, 'b'},
	    {"topic", required_argument, NULL, 't'},
	    {"rate", required_argument, NULL, 'r'},
	    {"quiet", no_argument, NULL, 'q'},
	    {"key", required_argument, NULL, 'k'},
	    RS_CLI_OPTS_END,
	};
	rs_kafkareplay_conf_t conf;
	props_t props = {NULL, 0, 0};
	int c, rc = RS_EXIT_USAGE, status;

	memset(&conf, 0, sizeof(conf));
	optind = 1;
	while ((c = rs_cli_getopt(argc, argv, "b:t:r:X:qhk:", opts, usage,
	                          &status)) > 0) {
		switch (c) {
		case 'b':
			conf.brokers = optarg;
			break;
		case 't':
			conf.topic = optarg;
			break;
		case 'r':
			conf.rate = rs_cli_parse_count("--rate", optarg, 1,
			                               1000000000L);
			if (conf.rate < 0) {
				goto out;
			}
			break;
		case 'X':
			if (props_add(&props, optarg) != 0) {
				goto out;
			}
			break;
		case 'q':
			conf.quiet = 1;
			break;
		case 'k':
			if (strcmp(optarg, "none") == 0) {
				conf.key = RS_KAFKAREPLAY_KEY_NONE;
			} else if (strcmp(optarg, "host") == 0) {
				conf.key = RS_KAFKAREPLAY_KEY_HOST;
			} else if (strcmp(optarg, "file") == 0) {
				conf.key = RS_KAFKAREPLAY_KEY_FILE;
			} else {
				fprintf(stderr,
				        "replyscan: --key %s: expected none, "
				        "host or file\n",
				        optarg);
				goto out;
			}
			break;
		}
	}
	if (c == RS_CLI_STOP) {
		rc = status;
		goto out;
	}
	if (conf.brokers == NULL || conf.topic == NULL || optind >= argc) {
		usage(stderr);
		goto out;
	}
	conf.files = argv + optind;
	conf.nfiles = (size_t)(argc - optind);
	conf.props = props.v;
	conf.nprops = props.n;
	switch (rs_kafkareplay(&conf)) {
	case RS_KAFKAREPLAY_OK:
		rc = RS_EXIT_OK;
		break;
	case RS_KAFKAREPLAY_CONFIG:
		rc = RS_EXIT_USAGE;
		break;
	default:
		rc = RS_EXIT_FAILURE;
		break;
	}
out:
	props_free(&props);
	return rc;
}
