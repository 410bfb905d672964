/* SPDX-License-Identifier: Apache-2.0 */
/*
 * demo.c - `replyscan run --demo`; see demo.h.
 *
 * The sample corpus is found next to the binary: ../tests/fixtures/sample
 * in a build tree, ../share/replyscan/sample in an install tree, else the
 * packaged /usr/share/replyscan/sample.
 */
#include "cmd/demo.h"

#include <librdkafka/rdkafka_mock.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cmd/cmd.h"
#include "kafka/client.h"
#include "kafka/replay.h"
#include "posture/engine.h"

#define DEMO_INPUT "mta-logs"
#define DEMO_OUTPUT "deferral-events"

struct rs_demo {
	rs_kafkaclient_t *host; /* hosts the mock cluster; talks to none */
	rd_kafka_mock_cluster_t *mc;
	rs_summary_t *summary;
	/* the events also go through `replyscan posture` (its table ends
	 * the report); NULL when the policy does not load */
	rs_policy_t *policy;
	rs_posture_t *posture;
};

/* Each event the stage produced, into the posture engine. */
static void to_posture(void *ctx, const void *event, size_t len)
{
	rs_pevent_t ev;

	if (rs_pevent_decode(event, len, &ev) == 0) {
		rs_posture_add(ctx, &ev);
	}
}

static void posture_row(void *ctx, const Replyscan__V1__PostureDecision *d)
{
	int *n = ctx;

	printf("  %-9s %-44s %-16s %llu of %llu attempts\n",
	       rs_posture_name(d->posture), d->scope, d->rule_id,
	       (unsigned long long)d->hits, (unsigned long long)d->attempts);
	(*n)++;
}

/* Find the bundled sample corpus next to the binary. */
static const char *sample_path(char *out, size_t size)
{
	static const char *const rel[] = {
	    "../tests/fixtures/sample/mixed.log",
	    "../share/replyscan/sample/mixed.log",
	};
	char exe[PATH_MAX - 64];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	struct stat st;

	if (n > 0) {
		char *slash;

		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash != NULL) {
			*slash = '\0';
			for (size_t i = 0; i < 2; i++) {
				char real[PATH_MAX];

				snprintf(out, size, "%s/%s", exe, rel[i]);
				if (stat(out, &st) != 0) {
					continue;
				}
				if (realpath(out, real) != NULL &&
				    strlen(real) < size) {
					memcpy(out, real, strlen(real) + 1);
				}
				return out;
			}
		}
	}
	snprintf(out, size, "%s", "/usr/share/replyscan/sample/mixed.log");
	return out;
}

/* The mock cluster and its two topics. -1 (said on stderr) on failure. */
static int start_cluster(rs_demo_t *d)
{
	static const rs_kafka_prop_t host_props[] = {{"log_level", "3"}};
	rs_kafkaclient_conf_t cc;
	char err[512];

	cc = rs_kafkaclient_conf(RD_KAFKA_PRODUCER, "mock-cluster", NULL,
	                         host_props, RS_KAFKA_NPROPS(host_props));
	d->host = rs_kafkaclient_new(&cc, err, sizeof(err));
	if (d->host == NULL) {
		fprintf(stderr, "replyscan: %s\n", err);
		return -1;
	}
	d->mc = rd_kafka_mock_cluster_new(rs_kafkaclient_handle(d->host), 1);
	if (d->mc == NULL) {
		fprintf(stderr, "replyscan: cannot start the mock cluster\n");
		return -1;
	}
	rd_kafka_mock_topic_create(d->mc, DEMO_INPUT, 3, 1);
	rd_kafka_mock_topic_create(d->mc, DEMO_OUTPUT, 3, 1);
	return 0;
}

/* Point the configuration at the mock cluster. 0 or -1 (said). */
static int configure(const rs_demo_t *d, rs_config_t *cfg)
{
	const struct {
		const char *key;
		const char *value;
	} keys[] = {
	    {"kafka.brokers", rd_kafka_mock_cluster_bootstraps(d->mc)},
	    {"kafka.input", DEMO_INPUT},
	    {"kafka.output", DEMO_OUTPUT},
	    {"kafka.group", "replyscan-demo"},
	    {"pipeline.exit_when_idle", "3"},
	};
	char err[512];

	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
		if (rs_config_set(cfg, keys[i].key, keys[i].value, "--demo",
		                  err, sizeof(err)) != 0) {
			fprintf(stderr, "replyscan: %s\n", err);
			return -1;
		}
	}
	return 0;
}

rs_demo_t *rs_demo_start(rs_config_t *cfg, char *const *files, size_t nfiles)
{
	rs_demo_t *d = calloc(1, sizeof(*d));
	rs_kafkareplay_conf_t replay;
	char sample[PATH_MAX];
	char *one[1];

	if (d == NULL || (d->summary = rs_summary_new()) == NULL) {
		fprintf(stderr, "replyscan: out of memory\n");
		rs_demo_stop(d);
		return NULL;
	}
	{
		char path[PATH_MAX], err[512];

		d->policy = rs_policy_load(
		    rs_cmd_posture_policy(NULL, path, sizeof(path)), err,
		    sizeof(err));
		if (d->policy == NULL) {
			fprintf(stderr, "replyscan: no posture table: %s\n",
			        err);
		} else if ((d->posture = rs_posture_new(d->policy, NULL,
		                                        NULL)) != NULL) {
			rs_summary_set_event_hook(d->summary, to_posture,
			                          d->posture);
		}
	}
	if (start_cluster(d) != 0 || configure(d, cfg) != 0) {
		rs_demo_stop(d);
		return NULL;
	}
	if (nfiles == 0) {
		one[0] = (char *)sample_path(sample, sizeof(sample));
		files = one;
		nfiles = 1;
	}
	printf("replyscan demo: librdkafka mock cluster at %s\n",
	       rd_kafka_mock_cluster_bootstraps(d->mc));
	for (size_t i = 0; i < nfiles; i++) {
		printf("replaying %s into topic " DEMO_INPUT "\n", files[i]);
	}
	fflush(stdout);
	memset(&replay, 0, sizeof(replay));
	replay.brokers = cfg->kafka.brokers;
	replay.topic = DEMO_INPUT;
	replay.files = files;
	replay.nfiles = nfiles;
	if (rs_kafkareplay(&replay) != RS_KAFKAREPLAY_OK) {
		rs_demo_stop(d);
		return NULL;
	}
	printf("running the stage: " DEMO_INPUT " -> " DEMO_OUTPUT
	       " (exits after 3 s without input)\n");
	fflush(stdout);
	return d;
}

rs_summary_t *rs_demo_summary(rs_demo_t *demo)
{
	return demo->summary;
}

void rs_demo_report(const rs_demo_t *demo, const rs_counts_t *totals)
{
	printf("\n%llu lines consumed, %llu events produced, %llu "
	       "skipped, %llu malformed\n\n",
	       (unsigned long long)totals->lines,
	       (unsigned long long)totals->events,
	       (unsigned long long)totals->skipped,
	       (unsigned long long)totals->malformed);
	rs_summary_print(demo->summary, totals, 10, stdout);
	if (demo->posture != NULL) {
		rs_posture_stats_t st;
		int n = 0;

		rs_posture_stats(demo->posture, &st);
		printf("\nretry posture (replyscan posture, %llu events in "
		       "%zu scopes):\n",
		       (unsigned long long)st.events, st.scopes);
		rs_posture_foreach(demo->posture, posture_row, &n);
		if (n == 0) {
			printf("  every scope observe: nothing to throttle "
			       "or pause (%llu recipient-level failures are "
			       "list hygiene)\n",
			       (unsigned long long)st.hygiene);
		}
	}
}

void rs_demo_stop(rs_demo_t *demo)
{
	if (demo == NULL) {
		return;
	}
	if (demo->mc != NULL) {
		rd_kafka_mock_cluster_destroy(demo->mc);
	}
	rs_kafkaclient_destroy(demo->host);
	rs_summary_destroy(demo->summary);
	rs_posture_free(demo->posture);
	rs_policy_free(demo->policy);
	free(demo);
}
