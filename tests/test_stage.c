/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_stage.c - the Kafka stage (kafka/stage.c) end to end on
 * librdkafka's in-process mock cluster: it drains its input topic and
 * stops when idle, and a SIGHUP reload is reported as what it is.
 *
 * A link-time seam (-Wl,--wrap=rs_rules_scratch_new, see
 * tests/CMakeLists.txt) makes Hyperscan scratch allocation fail on
 * demand, so that the two ways a reload can fail after the rules load
 * are exercised: the reloader cannot make a scratch (refused, counted,
 * the old rules stay), or the reloader can and a worker then cannot (the
 * worker keeps the old rules and says so, once).
 *
 * The stage's log goes to a file that a helper thread reads to time the
 * signal; the helper blocks the stage's signals, as every thread of the
 * process must, so that only the stage's signal thread takes them.
 */
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "kafka/replay.h"
#include "kafka/stage.h"
#include "observe/log.h"
#include "util/clock.h"

/* ------------------------------------------------------------------ */
/* The seam                                                           */
/* ------------------------------------------------------------------ */

/* How many more scratches may be made before they fail; -1: no limit. */
static atomic_int scratch_budget = -1;

rs_rules_scratch_t *__real_rs_rules_scratch_new(const rs_rules_t *rules,
                                                char *errstr,
                                                size_t errstr_size);
rs_rules_scratch_t *__wrap_rs_rules_scratch_new(const rs_rules_t *rules,
                                                char *errstr,
                                                size_t errstr_size);

rs_rules_scratch_t *__wrap_rs_rules_scratch_new(const rs_rules_t *rules,
                                                char *errstr,
                                                size_t errstr_size)
{
	int left = atomic_load(&scratch_budget);

	while (left >= 0) {
		if (left == 0) {
			snprintf(errstr, errstr_size,
			         "injected: no Hyperscan scratch");
			return NULL;
		}
		if (atomic_compare_exchange_weak(&scratch_budget, &left,
		                                 left - 1)) {
			break;
		}
	}
	return __real_rs_rules_scratch_new(rules, errstr, errstr_size);
}

/* ------------------------------------------------------------------ */
/* Fixture                                                            */
/* ------------------------------------------------------------------ */

typedef struct fixture {
	rd_kafka_t *host;
	rd_kafka_mock_cluster_t *mc;
	char log_path[64];
	char input_path[64];
	FILE *log;
} fixture_t;

/* Write the first n lines of the sample corpus to path. */
static void write_input(const char *path, size_t n)
{
	FILE *in = fopen(RS_FIXTURES "/sample/mixed.log", "rb");
	FILE *out = fopen(path, "wb");
	char line[8192];

	assert_non_null(in);
	assert_non_null(out);
	for (size_t i = 0; i < n && fgets(line, sizeof(line), in) != NULL;
	     i++) {
		fputs(line, out);
	}
	fclose(in);
	fclose(out);
}

/* Replay the input file into topic "in". */
static void replay(const fixture_t *f)
{
	rs_kafkareplay_conf_t rc;
	char *files[1];

	files[0] = (char *)f->input_path;
	memset(&rc, 0, sizeof(rc));
	rc.brokers = rd_kafka_mock_cluster_bootstraps(f->mc);
	rc.topic = "in";
	rc.files = files;
	rc.nfiles = 1;
	rc.quiet = 1;
	assert_int_equal(rs_kafkareplay(&rc), RS_KAFKAREPLAY_OK);
}

static int setup(void **state)
{
	fixture_t *f = calloc(1, sizeof(*f));
	rd_kafka_conf_t *kc = rd_kafka_conf_new();
	char err[256];
	int fd;

	assert_non_null(f);
	rd_kafka_conf_set(kc, "log_level", "3", err, sizeof(err));
	f->host = rd_kafka_new(RD_KAFKA_PRODUCER, kc, err, sizeof(err));
	assert_non_null(f->host);
	f->mc = rd_kafka_mock_cluster_new(f->host, 1);
	assert_non_null(f->mc);
	rd_kafka_mock_topic_create(f->mc, "in", 1, 1);
	rd_kafka_mock_topic_create(f->mc, "out", 1, 1);
	snprintf(f->log_path, sizeof(f->log_path), "/tmp/test_stage_logXXXXXX");
	fd = mkstemp(f->log_path);
	assert_true(fd >= 0);
	f->log = fdopen(fd, "w");
	assert_non_null(f->log);
	snprintf(f->input_path, sizeof(f->input_path),
	         "/tmp/test_stage_inXXXXXX");
	fd = mkstemp(f->input_path);
	assert_true(fd >= 0);
	close(fd);
	write_input(f->input_path, 200);
	rs_log_init(RS_LOG_INFO, RS_LOG_LOGFMT, f->log);
	atomic_store(&scratch_budget, -1);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	fixture_t *f = *state;

	rs_log_init(RS_LOG_INFO, RS_LOG_LOGFMT, stderr);
	fclose(f->log);
	unlink(f->log_path);
	unlink(f->input_path);
	rd_kafka_mock_cluster_destroy(f->mc);
	rd_kafka_destroy(f->host);
	free(f);
	return 0;
}

/* The stage of the fixture: in -> out, one worker, idle exit after 3 s. */
static void stage_conf(const fixture_t *f, rs_stage_conf_t *sc)
{
	static char *topics[] = {"in"};

	memset(sc, 0, sizeof(*sc));
	sc->brokers = rd_kafka_mock_cluster_bootstraps(f->mc);
	sc->group = "test-stage";
	sc->topics = topics;
	sc->ntopics = 1;
	sc->output = "out";
	sc->compression = "none";
	sc->key = RS_KEY_RECIPIENT_DOMAIN;
	/* The reload's mechanics, not the shipped rules, are under test here
	 * (tests/kafka/integration.sh reloads those against a real broker): a
	 * small rules directory keeps each compile short, under valgrind too.
	 */
	sc->rules_dir = RS_FIXTURES "/rules-precedence";
	sc->input_format = rs_format_auto();
	sc->threads = 1;
	sc->batch_bytes = 64 * 1024;
	sc->max_line = 1024 * 1024;
	/* Under valgrind (tests/run.sh --valgrind sets RS_VALGRIND) a reload
	 * and a replay can take longer than 3 s of idle input. */
	sc->exit_when_idle = getenv("RS_VALGRIND") != NULL ? 15 : 3;
	sc->unhealthy_after = 60;
}

/* The whole log so far. Caller frees. */
static char *read_log(const fixture_t *f)
{
	FILE *in = fopen(f->log_path, "rb");
	char *text = NULL;
	size_t len = 0;
	ssize_t n;

	assert_non_null(in);
	n = getdelim(&text, &len, '\0', in);
	fclose(in);
	if (n < 0) {
		/* An empty log: getdelim may still have allocated the buffer.
		 */
		free(text);
		return strdup("");
	}
	return text;
}

/* Wait up to 30 s (300 s under valgrind) for the log to hold one of two
 * needles (b may be NULL). 1 when it does. */
static int wait_log(const fixture_t *f, const char *a, const char *b)
{
	int64_t deadline = rs_clock_mono_ms() +
	                   (getenv("RS_VALGRIND") != NULL ? 300000 : 30000);

	while (rs_clock_mono_ms() < deadline) {
		char *text = read_log(f);
		int found = strstr(text, a) != NULL ||
		            (b != NULL && strstr(text, b) != NULL);

		free(text);
		if (found) {
			return 1;
		}
		usleep(50000);
	}
	return 0;
}

/* What the helper thread does while the stage runs. */
typedef struct helper {
	const fixture_t *f;
	int budget; /* scratches allowed after the SIGHUP; -1: no limit */
	int more;   /* replay the input again after the reload */
	int ok;
} helper_t;

static void *helper_main(void *arg)
{
	helper_t *h = arg;
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	if (!wait_log(h->f, "partitions assigned", NULL)) {
		return NULL;
	}
	atomic_store(&scratch_budget, h->budget);
	kill(getpid(), SIGHUP);
	if (!wait_log(h->f, "msg=\"rules reloaded\"", "reload refused")) {
		return NULL;
	}
	if (h->more) {
		replay(h->f);
	}
	h->ok = 1;
	return NULL;
}

/* Run the stage with the helper; the stage's totals. */
static void run_with_helper(const fixture_t *f, helper_t *h,
                            rs_counts_t *totals)
{
	rs_stage_conf_t sc;
	pthread_t t;
	char err[256] = "";

	h->f = f;
	stage_conf(f, &sc);
	assert_int_equal(pthread_create(&t, NULL, helper_main, h), 0);
	assert_int_equal(rs_stage_run(&sc, totals, err, sizeof(err)),
	                 RS_STAGE_OK);
	pthread_join(t, NULL);
	assert_true(h->ok);
}

/* ------------------------------------------------------------------ */
/* Tests                                                              */
/* ------------------------------------------------------------------ */

/* The reloader cannot make a scratch: refused, old rules in force. */
static void test_reload_refused_without_scratch(void **state)
{
	fixture_t *f = *state;
	helper_t h = {.budget = 0, .more = 1};
	rs_counts_t totals;
	char *log;

	replay(f);
	run_with_helper(f, &h, &totals);
	/* Both replays went through with the old rules. */
	assert_int_equal(totals.lines, 400);
	assert_int_equal(totals.malformed, 0);
	log = read_log(f);
	if (strstr(log, "level=error component=rules msg=\"reload refused; "
	                "the old rules stay\"") == NULL ||
	    strstr(log, "error=\"injected: no Hyperscan scratch\"") == NULL ||
	    strstr(log, "rules reloaded") != NULL) {
		fail_msg("log:\n%s", log);
	}
	free(log);
}

/*
 * The reloader makes its scratch, the worker then cannot: the new rules
 * are in the set, the worker keeps the old ones and says so once.
 */
static void test_worker_keeps_old_rules(void **state)
{
	fixture_t *f = *state;
	helper_t h = {.budget = 1, .more = 1};
	rs_counts_t totals;
	char *log, *p;

	replay(f);
	run_with_helper(f, &h, &totals);
	assert_int_equal(totals.lines, 400);
	assert_int_equal(totals.malformed, 0);
	log = read_log(f);
	p = strstr(log, "msg=\"a worker cannot take the reloaded rules; it "
	                "keeps the previous ones\" error=\"injected: no "
	                "Hyperscan scratch\"");
	if (strstr(log, "msg=\"rules reloaded\"") == NULL || p == NULL ||
	    strstr(p + strlen("msg=\"a worker"), "a worker cannot take") !=
	        NULL) {
		fail_msg("log:\n%s", log);
	}
	free(log);
}

/* A good reload is taken; the stage drains and stops when idle. */
static void test_reload_taken(void **state)
{
	fixture_t *f = *state;
	helper_t h = {.budget = -1, .more = 1};
	rs_counts_t totals;
	char *log;

	replay(f);
	run_with_helper(f, &h, &totals);
	assert_int_equal(totals.lines, 400);
	log = read_log(f);
	if (strstr(log, "msg=\"rules reloaded\"") == NULL ||
	    strstr(log, "reload refused") != NULL ||
	    strstr(log, "a worker cannot take") != NULL ||
	    strstr(log, "msg=\"stage stopped\" lines=400 ") == NULL) {
		fail_msg("log:\n%s", log);
	}
	free(log);
}

int main(void)
{
	sigset_t set;
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_reload_taken, setup, teardown),
	    cmocka_unit_test_setup_teardown(test_reload_refused_without_scratch,
	                                    setup, teardown),
	    cmocka_unit_test_setup_teardown(test_worker_keeps_old_rules, setup,
	                                    teardown),
	};

	/* Every thread blocks the stage's signals, the mock cluster's
	 * too: only the stage's signal thread may take them. */
	sigemptyset(&set);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGUSR1);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
