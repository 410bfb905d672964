/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd/posture.c - `replyscan posture`: DeferralEvents in, posture
 * decisions out (posture/engine.h). Offline from delimited protobuf files
 * or stdin (`classify --format pb`), as fast as they can be read in the
 * events' own log time; or from the events topic as a consumer group,
 * decisions produced to a topic keyed by scope. Either way decisions are
 * printed (JSON, pb, or PowerMTA / KumoMTA commands), and /posture is
 * served on --listen.
 *
 * Kafka mode keeps no local state: when a partition new to the instance
 * is assigned it seeks back one window (offsets_for_times) and rebuilds
 * the windows from the events (a partition it already counted goes on
 * where it stopped); before that it reads the decisions topic (compacted:
 * one record per scope) to take back postures whose hold outlasts the
 * window.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "event/taxonomy.h"
#include "kafka/client.h"
#include "observe/metrics.h"
#include "posture/engine.h"
#include "posture/evread.h"
#include "posture/output.h"
#include "posture/page.h"
#include "posture/policy_examples.h"
#include "posture/scopes.h"
#include "util/buf.h"
#include "util/clock.h"

static void usage(FILE *out)
{
	fputs(
	    "usage: replyscan posture [OPTIONS] [FILE|-]...\n"
	    "       replyscan posture --brokers HOST:PORT --group G --input "
	    "TOPIC\n"
	    "                         [--output TOPIC] [OPTIONS]\n"
	    "\n"
	    "Aggregate DeferralEvents into a retry posture (observe, "
	    "throttle, pause)\n"
	    "per sending IP/pool x receiver site, site, sending IP and fleet, "
	    "by the\n"
	    "rules of a policy file, and print each decision as it is made. "
	    "Offline it\n"
	    "reads varint-delimited events (`replyscan classify --format "
	    "pb`) from the\n"
	    "FILEs or stdin, in the events' own log time, as fast as it can.\n"
	    "Delivered events (`classify --all`, or rolled up by `classify "
	    "--rollup`:\n"
	    "a rollup counts as its aggregated_count) give the windows their "
	    "attempts.\n"
	    "\n"
	    "  --policy FILE       the policy (default: posture/policy.yaml "
	    "of the\n"
	    "                      installation, or "
	    "$REPLYSCAN_POSTURE_POLICY)\n"
	    "  --check-policy      load the policy, run its rules' examples "
	    "(each failure\n"
	    "                      on stderr as file:line: sentence), print "
	    "\"FILE: N rules,\n"
	    "                      M examples passed, ...\" and exit (2 when "
	    "one fails)\n"
	    "  --format F          json (default), pb, pmta, kumomta: "
	    "decisions, or the\n"
	    "                      sender commands they stand for (printed, "
	    "never run)\n"
	    "  --summary           at the end, print the scopes still paused, "
	    "throttled\n"
	    "                      or observed by a rule as a table (stderr)\n"
	    "  --listen ADDR:PORT  serve /posture (HTML), /posture.json and "
	    "/metrics\n"
	    "  --brokers HOST:PORT Kafka mode: read the events topic ...\n"
	    "  --group G           ... as consumer group G ...\n"
	    "  --input TOPIC       ... from TOPIC ...\n"
	    "  --output TOPIC      ... and produce decisions to TOPIC, keyed "
	    "by scope\n"
	    "                      (create it with cleanup.policy=compact)\n"
	    "  --idle-exit SECS    Kafka mode: stop after SECS without an "
	    "event\n"
	    "  --wall-clock        Kafka mode: when idle, move the clock with "
	    "the wall\n"
	    "                      clock so holds end without new events\n"
	    "  --quiet             no statistics line at the end\n"
	    "\n"
	    "Exit status: 0 ok, 1 an input or Kafka failure, 2 usage or "
	    "policy error.\n",
	    out);
}

typedef struct pctx {
	rs_poutput_format_t format;
	rs_buf_t out;
	rd_kafka_t *producer;
	const char *output;
	uint64_t produce_errors;
} pctx_t;

static void on_decision(void *opaque, const Replyscan__V1__PostureDecision *d)
{
	pctx_t *c = opaque;

	rs_poutput_write(d, c->format, &c->out);
	if (c->out.len > (1 << 16)) {
		fwrite(c->out.data, 1, c->out.len, stdout);
		rs_buf_reset(&c->out);
	}
	if (c->producer != NULL) {
		size_t n = replyscan__v1__posture_decision__get_packed_size(d);
		uint8_t *p = malloc(n ? n : 1);

		if (p == NULL) {
			c->produce_errors++;
			return;
		}
		replyscan__v1__posture_decision__pack(d, p);
		for (;;) {
			rd_kafka_resp_err_t err = rd_kafka_producev(
			    c->producer, RD_KAFKA_V_TOPIC(c->output),
			    RD_KAFKA_V_VALUE(p, n),
			    RD_KAFKA_V_KEY(d->scope, strlen(d->scope)),
			    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_FREE),
			    RD_KAFKA_V_END);

			if (err == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
				rd_kafka_poll(c->producer, 100);
				continue;
			}
			if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
				fprintf(stderr,
				        "replyscan: %s: cannot produce the "
				        "decision for %s: %s\n",
				        c->output, d->scope,
				        rd_kafka_err2str(err));
				c->produce_errors++;
				free(p);
			}
			break;
		}
	}
}

static void flush_out(pctx_t *c)
{
	if (c->out.len > 0) {
		fwrite(c->out.data, 1, c->out.len, stdout);
	}
	rs_buf_reset(&c->out);
	fflush(stdout);
}

/* The policy file: the option, the environment, the build or install
 * tree next to the program, the configured install prefix. */
const char *rs_cmd_posture_policy(const char *opt, char *out, size_t size)
{
	char rules[PATH_MAX / 2];

	if (rs_cli_find(opt, "REPLYSCAN_POSTURE_POLICY", "posture/policy.yaml",
	                0, out, size) != NULL) {
		return out;
	}
	rs_cli_rules_dir(NULL, rules, sizeof(rules));
	snprintf(out, size, "%s/../posture/policy.yaml", rules);
	return out;
}

static void summary_row(void *opaque, const Replyscan__V1__PostureDecision *d)
{
	FILE *f = opaque;

	fprintf(f, "%-9s %-48s %-26s %6llu/%-6llu %5.1f%%  %s\n",
	        rs_posture_name(d->posture), d->scope, d->rule_id,
	        (unsigned long long)d->hits, (unsigned long long)d->attempts,
	        100 * d->rate,
	        d->cause ? rs_taxonomy_cause_name((rs_cause_t)d->cause) : "");
}

static void print_summary(rs_posture_t *e)
{
	fprintf(stderr, "%-9s %-48s %-26s %13s %6s  %s\n", "posture", "scope",
	        "rule", "hits/attempts", "rate", "class");
	rs_posture_lock(e);
	rs_posture_foreach(e, summary_row, stderr);
	rs_posture_unlock(e);
}

static void print_stats(rs_posture_t *e, double secs)
{
	rs_posture_stats_t st;

	rs_posture_lock(e);
	rs_posture_stats(e, &st);
	rs_posture_unlock(e);
	fprintf(stderr,
	        "replyscan: %llu events (%.0f/s), %zu scopes active, %llu "
	        "expired, %zu paused, %zu throttled; %llu decisions, %llu "
	        "refreshes; %llu recipient-level (hygiene) hits; not "
	        "counted: %llu without time, %llu too old, %llu feedback, "
	        "%llu over max_scopes\n",
	        (unsigned long long)st.events,
	        secs > 0 ? (double)st.events / secs : 0.0, st.scopes,
	        (unsigned long long)st.expired, st.by_posture[RS_POSTURE_PAUSE],
	        st.by_posture[RS_POSTURE_THROTTLE],
	        (unsigned long long)st.decisions,
	        (unsigned long long)st.refreshes,
	        (unsigned long long)st.hygiene, (unsigned long long)st.no_time,
	        (unsigned long long)st.too_old, (unsigned long long)st.feedback,
	        (unsigned long long)st.table_full);
}

/* ---- offline ---- */

static int run_file(rs_posture_t *e, const char *path, pctx_t *c)
{
	FILE *in = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	rs_pbreader_t r;
	const void *data;
	size_t len;
	char err[256];
	int rc = 0, got;
	unsigned batch = 0;
	uint64_t msgno = 0;

	if (in == NULL) {
		fprintf(stderr, "replyscan: cannot open %s: %s\n", path,
		        strerror(errno));
		return -1;
	}
	rs_pbreader_init(&r, in);
	rs_posture_lock(e);
	while ((got = rs_pbreader_next(&r, &data, &len, err, sizeof(err))) >
	       0) {
		rs_pevent_t ev;

		msgno++;
		if (rs_pevent_decode(data, len, &ev) != 0) {
			fprintf(stderr,
			        "replyscan: %s: message %llu is not a "
			        "DeferralEvent\n",
			        path, (unsigned long long)msgno);
			rc = -1;
			continue;
		}
		rs_posture_add(e, &ev);
		/* Let the HTTP thread in now and then. */
		if (++batch == 4096) {
			batch = 0;
			rs_posture_unlock(e);
			rs_posture_lock(e);
		}
	}
	rs_posture_unlock(e);
	if (got < 0) {
		fprintf(stderr, "replyscan: %s: %s\n", path, err);
		rc = -1;
	}
	rs_pbreader_free(&r);
	if (in != stdin) {
		fclose(in);
	}
	(void)c;
	return rc;
}

/* ---- Kafka ---- */

static volatile sig_atomic_t stop_flag;

static void on_signal(int sig)
{
	(void)sig;
	stop_flag = 1;
}

/*
 * The consumer's state: the longest window, the partitions assigned now,
 * and per partition of the input topic (one topic, indexed by partition)
 * the offset after the last event this instance counted, -1 before any.
 * The windows keep what was counted across a rebalance, so a partition
 * assigned again must go on from there: seeking it one window back, as a
 * partition new to the instance is, would count those events twice (the
 * eager protocol revokes and reassigns every partition whenever a member
 * joins or leaves).
 */
typedef struct kctx {
	int64_t window_ms;
	int assigned;
	int64_t *counted; /* [ncounted] */
	int32_t ncounted;
} kctx_t;

/* Remember that offset of partition was counted. -1 out of memory (the
 * partition is then read one window back when assigned again). */
static int counted_set(kctx_t *k, int32_t partition, int64_t offset)
{
	if (partition < 0) {
		return -1;
	}
	if (partition >= k->ncounted) {
		int32_t n = partition + 1 > 2 * k->ncounted ? partition + 1
		                                            : 2 * k->ncounted;
		int64_t *c = realloc(k->counted, (size_t)n * sizeof(*c));

		if (c == NULL) {
			return -1;
		}
		for (int32_t i = k->ncounted; i < n; i++) {
			c[i] = -1;
		}
		k->counted = c;
		k->ncounted = n;
	}
	k->counted[partition] = offset + 1;
	return 0;
}

/* The offset after the last event of partition counted here; -1 none. */
static int64_t counted_next(const kctx_t *k, int32_t partition)
{
	return partition >= 0 && partition < k->ncounted ? k->counted[partition]
	                                                 : -1;
}

/* Every assignment of a partition new to this instance starts one window
 * back: the windows are rebuilt from the topic, nothing is read from a
 * local store. A partition it counted before goes on after its last
 * counted event, or one window back if that is later. */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	kctx_t *k = opaque;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		int64_t since = (int64_t)time(NULL) * 1000 - k->window_ms;

		for (int i = 0; i < parts->cnt; i++) {
			parts->elems[i].offset = since;
		}
		if (rd_kafka_offsets_for_times(rk, parts, 10000) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR) {
			for (int i = 0; i < parts->cnt; i++) {
				parts->elems[i].offset =
				    RD_KAFKA_OFFSET_BEGINNING;
			}
		}
		for (int i = 0; i < parts->cnt; i++) {
			rd_kafka_topic_partition_t *p = &parts->elems[i];
			int64_t next = counted_next(k, p->partition);
			const char *how = "one window back";

			if (next >= 0 &&
			    (p->offset == RD_KAFKA_OFFSET_BEGINNING ||
			     (p->offset >= 0 && p->offset < next))) {
				p->offset = next;
				how = "after the events counted here";
			}
			/* -1: no message that new; start at the end. */
			if (p->offset < 0 &&
			    p->offset != RD_KAFKA_OFFSET_BEGINNING) {
				p->offset = RD_KAFKA_OFFSET_END;
			}
			fprintf(stderr,
			        "replyscan: assigned %s/%d from offset %lld "
			        "(%s)\n",
			        p->topic, p->partition, (long long)p->offset,
			        how);
		}
		rd_kafka_assign(rk, parts);
		k->assigned += parts->cnt;
	} else {
		for (int i = 0; i < parts->cnt; i++) {
			fprintf(stderr, "replyscan: revoked %s/%d\n",
			        parts->elems[i].topic,
			        parts->elems[i].partition);
		}
		rd_kafka_assign(rk, NULL);
		k->assigned = 0;
	}
}

/* What restore_message needs: the engine and the counts. */
typedef struct restore_ctx {
	rs_posture_t *e;
	unsigned long read, taken;
} restore_ctx_t;

/* One record of the decisions topic: take its posture back. */
static void restore_message(const rd_kafka_message_t *m, void *opaque)
{
	restore_ctx_t *rc = opaque;
	Replyscan__V1__PostureDecision *d;

	if (m->err != 0 || (d = replyscan__v1__posture_decision__unpack(
				NULL, m->len, m->payload)) == NULL) {
		return;
	}
	rc->read++;
	/* Later records of a key replace earlier ones. */
	if (rs_posture_restore(rc->e, d) == 0) {
		rc->taken++;
	}
	replyscan__v1__posture_decision__free_unpacked(d, NULL);
}

/* Read the decisions topic to its end and take back what it holds. */
static int restore(rs_posture_t *e, const char *brokers, const char *topic)
{
	static const rs_kafka_prop_t defaults[] = {
	    {"group.id", "replyscan-posture-restore"},
	    {"enable.partition.eof", "true"},
	    {"enable.auto.commit", "false"},
	};
	rs_kafkaclient_conf_t cc;
	rs_kafkaclient_t *client;
	rd_kafka_t *rk;
	restore_ctx_t rc = {0};
	char err[512];
	int left;

	cc = rs_kafkaclient_conf(RD_KAFKA_CONSUMER, "restore", brokers,
	                         defaults, RS_KAFKA_NPROPS(defaults));
	client = rs_kafkaclient_new(&cc, err, sizeof(err));
	if (client == NULL) {
		fprintf(stderr, "replyscan: %s\n", err);
		return -1;
	}
	rk = rs_kafkaclient_handle(client);
	rd_kafka_poll_set_consumer(rk);
	left = rs_kafkaclient_assign_all(rk, topic);
	if (left < 0) {
		/* No decisions topic yet: nothing to take back. */
		fprintf(stderr,
		        "replyscan: %s: no decisions to restore (topic not "
		        "readable)\n",
		        topic);
		rd_kafka_consumer_close(rk);
		rs_kafkaclient_destroy(client);
		return 0;
	}
	rc.e = e;
	left = rs_kafkaclient_read_to_end(rk, left, 0, 10000, restore_message,
	                                  &rc);
	fprintf(stderr,
	        "replyscan: %s: %lu decisions read, %lu postures taken "
	        "back\n",
	        topic, rc.read, rc.taken);
	rd_kafka_consumer_close(rk);
	rs_kafkaclient_destroy(client);
	return left > 0 ? -1 : 0;
}

static int run_kafka(rs_posture_t *e, const rs_policy_t *pol,
                     const char *brokers, const char *group, const char *input,
                     const char *output, long idle_exit, int wall_clock,
                     pctx_t *c)
{
	rs_kafka_prop_t defaults[] = {
	    {"group.id", group},
	    {"enable.auto.commit", "false"},
	    {"auto.offset.reset", "earliest"},
	    /* A killed instance's partitions move on after 10 s, not
	     * librdkafka's 45 s: the state is rebuilt from the topic anyway. */
	    {"session.timeout.ms", "10000"},
	};
	static const rs_kafka_prop_t pdefaults[] = {
	    {"linger.ms", "50"},
	    {"enable.idempotence", "true"},
	};
	kctx_t k = {rs_policy_window_ms(pol), 0, NULL, 0};
	rs_kafkaclient_conf_t cc;
	rs_kafkaclient_t *cons = NULL, *prod = NULL;
	rd_kafka_t *rk;
	rd_kafka_topic_partition_list_t *sub;
	char err[512];
	int64_t last_msg = rs_clock_mono_ms();
	struct sigaction sa;
	int rc = 0;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	if (output != NULL) {
		if (restore(e, brokers, output) != 0) {
			fprintf(stderr,
			        "replyscan: %s: could not read the "
			        "decisions to their end; holds longer "
			        "than the window may be lost\n",
			        output);
		}
		cc = rs_kafkaclient_conf(RD_KAFKA_PRODUCER, "producer", brokers,
		                         pdefaults, RS_KAFKA_NPROPS(pdefaults));
		prod = rs_kafkaclient_new(&cc, err, sizeof(err));
		if (prod == NULL) {
			fprintf(stderr, "replyscan: %s\n", err);
			return -1;
		}
		c->producer = rs_kafkaclient_handle(prod);
		c->output = output;
	}
	cc = rs_kafkaclient_conf(RD_KAFKA_CONSUMER, "consumer", brokers,
	                         defaults, RS_KAFKA_NPROPS(defaults));
	cc.on_rebalance = on_rebalance;
	cc.opaque = &k;
	cons = rs_kafkaclient_new(&cc, err, sizeof(err));
	if (cons == NULL) {
		fprintf(stderr, "replyscan: %s\n", err);
		rs_kafkaclient_destroy(prod);
		c->producer = NULL;
		return -1;
	}
	rk = rs_kafkaclient_handle(cons);
	rd_kafka_poll_set_consumer(rk);
	sub = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(sub, input, RD_KAFKA_PARTITION_UA);
	if (rd_kafka_subscribe(rk, sub) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		fprintf(stderr, "replyscan: cannot subscribe to %s\n", input);
		rc = -1;
		stop_flag = 1;
	}
	rd_kafka_topic_partition_list_destroy(sub);
	fprintf(stderr, "replyscan: posture started (group %s, input %s)\n",
	        group, input);
	while (!stop_flag) {
		rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 200);
		rs_pevent_t ev;

		if (c->producer != NULL) {
			rd_kafka_poll(c->producer, 0);
		}
		if (m == NULL) {
			if (wall_clock) {
				rs_posture_lock(e);
				rs_posture_tick(e, (int64_t)time(NULL) * 1000);
				rs_posture_unlock(e);
			}
			flush_out(c);
			/* Idle counts only while partitions are assigned. */
			if (k.assigned == 0) {
				last_msg = rs_clock_mono_ms();
			}
			if (idle_exit > 0 &&
			    rs_clock_mono_ms() - last_msg > idle_exit * 1000) {
				break;
			}
			continue;
		}
		if (m->err) {
			if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				fprintf(stderr, "replyscan: %s\n",
				        rd_kafka_message_errstr(m));
			}
			rd_kafka_message_destroy(m);
			continue;
		}
		last_msg = rs_clock_mono_ms();
		counted_set(&k, m->partition, m->offset);
		if (rs_pevent_decode(m->payload, m->len, &ev) != 0) {
			fprintf(stderr,
			        "replyscan: %s/%d/%lld: not a DeferralEvent\n",
			        input, m->partition, (long long)m->offset);
		} else {
			rs_posture_lock(e);
			rs_posture_add(e, &ev);
			rs_posture_unlock(e);
		}
		rd_kafka_message_destroy(m);
	}
	flush_out(c);
	rd_kafka_consumer_close(rk);
	rs_kafkaclient_destroy(cons);
	free(k.counted);
	if (c->producer != NULL) {
		if (rd_kafka_flush(c->producer, 30000) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR) {
			fprintf(stderr,
			        "replyscan: %s: decisions not all "
			        "delivered within 30 s\n",
			        output);
			rc = -1;
		}
		rs_kafkaclient_destroy(prod);
		c->producer = NULL;
	}
	if (c->produce_errors > 0) {
		rc = -1;
	}
	return rc;
}

/*
 * --check-policy: read the policy, run every rule's examples listing each
 * failure on stderr (as `rules test` does), and print what it holds.
 */
static int check_policy(const char *file)
{
	char err[1024];
	rs_policy_t *pol = rs_policy_read(file, err, sizeof(err));
	size_t passed = 0, failed, total;

	if (pol == NULL) {
		fprintf(stderr, "replyscan: %s\n", err);
		return RS_EXIT_USAGE;
	}
	failed = rs_policy_examples_run(pol, stderr, 0, &passed, NULL, 0);
	total = rs_policy_examples_count(pol);
	for (size_t i = 0; i < pol->nrules; i++) {
		if (pol->rules[i].nexamples == 0) {
			fprintf(stderr,
			        "replyscan: %s:%u: note: rule '%s' has no "
			        "examples\n",
			        pol->path, pol->rules[i].line,
			        pol->rules[i].id);
		}
	}
	if (failed > 0) {
		printf("%s: %zu rules, %zu of %zu examples passed, %zu "
		       "failure%s\n",
		       pol->path, pol->nrules, passed, total, failed,
		       failed == 1 ? "" : "s");
		rs_policy_free(pol);
		return RS_EXIT_USAGE;
	}
	printf("%s: %zu rules, %zu examples passed, %zu site suffixes, "
	       "bucket %llds (and %llds past %llds), window up to %llds, %zu "
	       "bytes per scope\n",
	       pol->path, pol->nrules, passed, rs_psites_count(pol->sites),
	       (long long)(pol->bucket_ms / 1000),
	       (long long)(RS_PW_FOLD * pol->bucket_ms / 1000),
	       (long long)(RS_PW_FINE * pol->bucket_ms / 1000),
	       (long long)(rs_policy_window_ms(pol) / 1000),
	       (size_t)RS_PSCOPE_BYTES);
	rs_policy_free(pol);
	return RS_EXIT_OK;
}

int rs_cmd_posture(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"policy", required_argument, NULL, 'p'},
	    {"check-policy", no_argument, NULL, 'C'},
	    {"format", required_argument, NULL, 'f'},
	    {"summary", no_argument, NULL, 's'},
	    {"listen", required_argument, NULL, 'l'},
	    {"brokers", required_argument, NULL, 'b'},
	    {"group", required_argument, NULL, 'g'},
	    {"input", required_argument, NULL, 'i'},
	    {"output", required_argument, NULL, 'o'},
	    {"idle-exit", required_argument, NULL, 'I'},
	    {"wall-clock", no_argument, NULL, 'W'},
	    {"quiet", no_argument, NULL, 'q'},
	    RS_CLI_OPTS_END,
	};
	const char *policy_opt = NULL, *listen = NULL, *brokers = NULL,
		   *group = NULL, *input = NULL, *output = NULL;
	int check = 0, summary = 0, quiet = 0, wall = 0, c, rc = RS_EXIT_OK,
	    status;
	long idle_exit = 0;
	char path[PATH_MAX], err[1024];
	pctx_t ctx = {0};
	rs_policy_t *pol;
	rs_posture_t *e;
	rs_metrics_t *m = NULL;
	double t0;

	optind = 1;
	while ((c = rs_cli_getopt(argc, argv, "p:Cf:sl:b:g:i:o:I:Wqh", opts,
	                          usage, &status)) > 0) {
		switch (c) {
		case 'p':
			policy_opt = optarg;
			break;
		case 'C':
			check = 1;
			break;
		case 'f':
			if (rs_poutput_parse(optarg) < 0) {
				fprintf(stderr,
				        "replyscan: --format %s: use json, pb, "
				        "pmta or kumomta\n",
				        optarg);
				return RS_EXIT_USAGE;
			}
			ctx.format =
			    (rs_poutput_format_t)rs_poutput_parse(optarg);
			break;
		case 's':
			summary = 1;
			break;
		case 'l':
			listen = optarg;
			break;
		case 'b':
			brokers = optarg;
			break;
		case 'g':
			group = optarg;
			break;
		case 'i':
			input = optarg;
			break;
		case 'o':
			output = optarg;
			break;
		case 'I':
			idle_exit =
			    rs_cli_parse_count("--idle-exit", optarg, 1, 86400);
			if (idle_exit < 0) {
				return RS_EXIT_USAGE;
			}
			break;
		case 'W':
			wall = 1;
			break;
		case 'q':
			quiet = 1;
			break;
		}
	}
	if (c == RS_CLI_STOP) {
		return status;
	}
	if ((brokers != NULL) != (input != NULL) ||
	    (brokers != NULL && (group == NULL || optind != argc)) ||
	    (brokers == NULL && (group != NULL || output != NULL))) {
		fprintf(stderr,
		        "replyscan: Kafka mode needs --brokers, --group "
		        "and --input (and no FILE)\n");
		usage(stderr);
		return RS_EXIT_USAGE;
	}
	if (check) {
		return check_policy(
		    rs_cmd_posture_policy(policy_opt, path, sizeof(path)));
	}
	pol = rs_policy_load(
	    rs_cmd_posture_policy(policy_opt, path, sizeof(path)), err,
	    sizeof(err));
	if (pol == NULL) {
		fprintf(stderr, "replyscan: %s\n", err);
		return RS_EXIT_USAGE;
	}
	e = rs_posture_new(pol, on_decision, &ctx);
	if (e == NULL) {
		fprintf(stderr, "replyscan: out of memory\n");
		rs_policy_free(pol);
		return RS_EXIT_FAILURE;
	}
	if (listen != NULL) {
		m = rs_metrics_new();
		if (m != NULL) {
			rs_metrics_set_pages(m, rs_ppage_serve, rs_ppage_extra,
			                     e);
			rs_metrics_set_ready(m, 1);
		}
		if (m == NULL ||
		    rs_metrics_listen(m, listen, err, sizeof(err)) != 0) {
			fprintf(stderr, "replyscan: %s\n",
			        m ? err : "out of memory");
			rs_metrics_destroy(m);
			rs_posture_free(e);
			rs_policy_free(pol);
			return RS_EXIT_USAGE;
		}
		fprintf(stderr, "replyscan: /posture on http://%s (port %u)\n",
		        listen, rs_metrics_port(m));
	}
	t0 = rs_clock_mono_s();
	if (brokers != NULL) {
		if (run_kafka(e, pol, brokers, group, input, output, idle_exit,
		              wall, &ctx) != 0) {
			rc = RS_EXIT_FAILURE;
		}
	} else if (optind == argc) {
		rc = run_file(e, "-", &ctx) == 0 ? RS_EXIT_OK : RS_EXIT_FAILURE;
	} else {
		for (int i = optind; i < argc; i++) {
			if (run_file(e, argv[i], &ctx) != 0) {
				rc = RS_EXIT_FAILURE;
			}
		}
	}
	flush_out(&ctx);
	if (!quiet) {
		print_stats(e, rs_clock_mono_s() - t0);
	}
	if (summary) {
		print_summary(e);
	}
	/* With --listen, an offline run keeps serving its final state until
	 * a signal, so that the page can be looked at. */
	if (m != NULL && brokers == NULL) {
		struct sigaction sa;

		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = on_signal;
		sigaction(SIGINT, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		fprintf(stderr, "replyscan: input done; serving /posture until "
		                "SIGTERM\n");
		while (!stop_flag) {
			pause();
		}
	}
	rs_metrics_destroy(m);
	rs_posture_free(e);
	rs_policy_free(pol);
	rs_buf_free(&ctx.out);
	return rc;
}
