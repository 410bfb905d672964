/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cmdline.c - the command line of run and classify (config/cmdline):
 * flags set their keys, the file comes first and flags and --set follow
 * in command-line order, a flag's implied key, repeated list flags,
 * unknown and incomplete options, --set of a key another command reads,
 * and that every option --help shows is one getopt accepts. The argument
 * vector that overflowed the hand-made override array of `run` is run
 * through the front end and through rs_cmd_run itself, so that the ASan
 * build of CI (tests/run.sh) watches it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "config/cmdline.h"
#include "config/config.h"

#define MAX_ARGS 32

/* A writable copy of a NULL-terminated argument list (getopt permutes). */
typedef struct args {
	int argc;
	char *argv[MAX_ARGS + 1];
} args_t;

static void args_make(args_t *a, const char *const *list)
{
	a->argc = 0;
	for (; *list != NULL && a->argc < MAX_ARGS; list++) {
		a->argv[a->argc] = strdup(*list);
		assert_non_null(a->argv[a->argc]);
		a->argc++;
	}
	a->argv[a->argc] = NULL;
}

static void args_free(args_t *a)
{
	for (int i = 0; i < a->argc; i++) {
		free(a->argv[i]);
	}
}

/* Parse list for cmd into a fresh cfg; the front end's result. */
static int parse(unsigned cmd, const char *const *list, rs_config_t *cfg,
                 rs_cmdline_t *cl, char *err, size_t err_size)
{
	args_t a;
	int rc;

	args_make(&a, list);
	rs_config_init(cfg);
	err[0] = '\0';
	rc = rs_cmdline_parse(cmd, a.argc, a.argv, cfg, cl, err, err_size);
	/* Operands and the file name point into the copies freed here. */
	cl->args = NULL;
	cl->config = NULL;
	args_free(&a);
	return rc;
}

/* A temporary configuration file holding text; caller unlinks. */
static void write_file(char *path, const char *text)
{
	int fd = mkstemp(path);
	FILE *f;

	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
}

static void test_run_flags(void **state)
{
	static const char *const argv[] = {
	    "run",
	    "-b",
	    "k1:9092,k2:9092",
	    "--group",
	    "g1",
	    "-o",
	    "events",
	    "--threads=3",
	    "-r",
	    "/etc/rules",
	    "-m",
	    ":9464",
	    "--exit-when-idle",
	    "1.5s",
	    "--set",
	    "kafka.consumer.session.timeout.ms=45000",
	    "--print-config",
	    NULL};
	rs_config_t cfg;
	rs_cmdline_t cl;
	char err[512];

	(void)state;
	assert_int_equal(
	    parse(RS_CONFIG_RUN, argv, &cfg, &cl, err, sizeof(err)), 0);
	assert_string_equal(cfg.kafka.brokers, "k1:9092,k2:9092");
	assert_string_equal(cfg.kafka.group, "g1");
	assert_string_equal(cfg.kafka.output, "events");
	assert_int_equal(cfg.pipeline.threads, 3);
	assert_string_equal(cfg.pipeline.rules, "/etc/rules");
	assert_string_equal(cfg.metrics.listen, ":9464");
	assert_true(cfg.pipeline.exit_when_idle == 1.5);
	assert_int_equal(cfg.kafka.consumer.n, 1);
	assert_string_equal(cfg.kafka.consumer.v[0].value, "45000");
	assert_true(cl.print_config);
	assert_false(cl.help);
	/* Origins name the long flag, also for a short one. */
	assert_string_equal(rs_config_origin(&cfg, "kafka.brokers"),
	                    "--brokers");
	assert_string_equal(rs_config_origin(&cfg, "pipeline.threads"),
	                    "--threads");
	assert_string_equal(
	    rs_config_origin(&cfg, "kafka.consumer.session.timeout.ms"),
	    "--set");
	rs_config_free(&cfg);
}

/* --dead-letter sets its key and the key it implies, from the table. */
static void test_implied_key(void **state)
{
	static const char *const argv[] = {"run", "--dead-letter", "dlq", NULL};
	rs_config_t cfg;
	rs_cmdline_t cl;
	char err[512];

	(void)state;
	assert_int_equal(
	    parse(RS_CONFIG_RUN, argv, &cfg, &cl, err, sizeof(err)), 0);
	assert_string_equal(cfg.kafka.dead_letter, "dlq");
	assert_int_equal(cfg.pipeline.on_malformed,
	                 RS_CONFIG_MALFORMED_DEAD_LETTER);
	assert_string_equal(rs_config_origin(&cfg, "pipeline.on_malformed"),
	                    "--dead-letter");
	rs_config_free(&cfg);
}

/*
 * The vector that wrote past `run`'s override array (argc + 1 slots, two
 * per --dead-letter=): the front end keeps what it needs in a growing
 * vector, the last value wins, nothing is written out of bounds (ASan).
 */
static void test_dead_letter_overflow(void **state)
{
	static const char *const argv[] = {"run",
	                                   "--dead-letter=a",
	                                   "--dead-letter=b",
	                                   "--dead-letter=c",
	                                   "--dead-letter=d",
	                                   NULL};
	rs_config_t cfg;
	rs_cmdline_t cl;
	char err[512];
	args_t a;

	(void)state;
	assert_int_equal(
	    parse(RS_CONFIG_RUN, argv, &cfg, &cl, err, sizeof(err)), 0);
	assert_string_equal(cfg.kafka.dead_letter, "d");
	assert_int_equal(cfg.pipeline.on_malformed,
	                 RS_CONFIG_MALFORMED_DEAD_LETTER);
	rs_config_free(&cfg);

	/* The whole command: it stops at validation, before any Kafka. */
	args_make(&a, argv);
	assert_int_equal(rs_cmd_run(a.argc, a.argv), RS_EXIT_USAGE);
	args_free(&a);
}

/* The file first, then flags and --set in command-line order. */
static void test_order(void **state)
{
	char path[] = "/tmp/test_cmdline_XXXXXX";
	char conf[64];
	rs_config_t cfg;
	rs_cmdline_t cl;
	char err[512];

	(void)state;
	write_file(path, "pipeline:\n  threads: 2\n  batch_bytes: 8KiB\n"
	                 "kafka:\n  input: [from-file]\n");
	snprintf(conf, sizeof(conf), "%s", path);
	{
		/* --config last on the line, still applied first. */
		const char *const argv[] = {
		    "run",      "-t", "7", "--set", "pipeline.threads=5",
		    "--config", conf, NULL};

		assert_int_equal(
		    parse(RS_CONFIG_RUN, argv, &cfg, &cl, err, sizeof(err)), 0);
		assert_int_equal(cfg.pipeline.threads, 5);
		assert_string_equal(rs_config_origin(&cfg, "pipeline.threads"),
		                    "--set");
		assert_int_equal(cfg.pipeline.batch_bytes, 8192);
		assert_string_equal(cfg.kafka.input.v[0], "from-file");
		rs_config_free(&cfg);
	}
	{
		const char *const argv[] = {
		    "run", "--config", conf, "--set", "pipeline.threads=5",
		    "-t",  "7",        NULL};

		assert_int_equal(
		    parse(RS_CONFIG_RUN, argv, &cfg, &cl, err, sizeof(err)), 0);
		assert_int_equal(cfg.pipeline.threads, 7);
		rs_config_free(&cfg);
	}
	{
		/* A repeated list flag replaces the file's list once, then
		 * adds; --set replaces it again. */
		const char *const argv[] = {"run", "-c",      conf,  "-i",
		                            "a",   "--input", "b,c", NULL};

		assert_int_equal(
		    parse(RS_CONFIG_RUN, argv, &cfg, &cl, err, sizeof(err)), 0);
		assert_int_equal(cfg.kafka.input.n, 3);
		assert_string_equal(cfg.kafka.input.v[0], "a");
		assert_string_equal(cfg.kafka.input.v[2], "c");
		rs_config_free(&cfg);
	}
	{
		const char *const argv[] = {"run",           "-i", "a", "--set",
		                            "kafka.input=x", "-i", "b", NULL};

		assert_int_equal(
		    parse(RS_CONFIG_RUN, argv, &cfg, &cl, err, sizeof(err)), 0);
		assert_int_equal(cfg.kafka.input.n, 2);
		assert_string_equal(cfg.kafka.input.v[0], "x");
		assert_string_equal(cfg.kafka.input.v[1], "b");
		rs_config_free(&cfg);
	}
	unlink(path);
}

/* A bad command line and the whole sentence it gives. */
typedef struct bad_line {
	unsigned cmd;
	const char *argv[8];
	int rc;
	const char *error;
} bad_line_t;

static const bad_line_t bad_lines[] = {
    {RS_CONFIG_RUN,
     {"run", "--nope", NULL},
     RS_CMDLINE_USAGE,
     "run: unknown option '--nope'"},
    {RS_CONFIG_RUN,
     {"run", "-z", NULL},
     RS_CMDLINE_USAGE,
     "run: unknown option '-z'"},
    {RS_CONFIG_RUN,
     {"run", "--brokers", NULL},
     RS_CMDLINE_USAGE,
     "run: option '--brokers' needs a value"},
    {RS_CONFIG_RUN,
     {"run", "-b", NULL},
     RS_CMDLINE_USAGE,
     "run: option '-b' needs a value"},
    /* A flag of the other command is unknown here. */
    {RS_CONFIG_CLASSIFY,
     {"classify", "--brokers", "x:1", NULL},
     RS_CMDLINE_USAGE,
     "classify: unknown option '--brokers'"},
    {RS_CONFIG_RUN,
     {"run", "--demo", "--format", "pb", NULL},
     RS_CMDLINE_USAGE,
     "run: unknown option '--format'"},
    {RS_CONFIG_RUN,
     {"run", "--threads", "0.5", NULL},
     RS_CMDLINE_ERROR,
     "--threads: pipeline.threads: 0.5 is not an integer from 1 to 256 "
     "(or 0: one per online CPU)"},
    {RS_CONFIG_RUN,
     {"run", "--set", "pipeline.threads", NULL},
     RS_CMDLINE_ERROR,
     "--set pipeline.threads: expected KEY=VALUE"},
    {RS_CONFIG_RUN,
     {"run", "--set", "pipeline.thread=4", NULL},
     RS_CMDLINE_ERROR,
     "--set: pipeline.thread: unknown key (did you mean "
     "pipeline.threads?)"},
    {RS_CONFIG_CLASSIFY,
     {"classify", "--set", "kafka.brokers=x:1", NULL},
     RS_CMDLINE_ERROR,
     "--set: kafka.brokers: replyscan classify does not read this key"},
    {RS_CONFIG_CLASSIFY,
     {"classify", "-f", "xml", NULL},
     RS_CMDLINE_ERROR,
     "--format: output.format: xml is not one of json, pb, summary"},
    {RS_CONFIG_CLASSIFY,
     {"classify", "--max-line", "12", NULL},
     RS_CMDLINE_ERROR,
     "--max-line: pipeline.max_line: 12 is not a size from 1KiB to 256MiB "
     "(bytes, or a number with KiB, MiB or GiB)"},
    {RS_CONFIG_CLASSIFY,
     {"classify", "--config", "/nonexistent/c.yaml", NULL},
     RS_CMDLINE_ERROR,
     "cannot open /nonexistent/c.yaml: No such file or directory"},
};

static void test_bad_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_lines) / sizeof(bad_lines[0]); i++) {
		const bad_line_t *b = &bad_lines[i];
		rs_config_t cfg;
		rs_cmdline_t cl;
		char err[512];
		int rc = parse(b->cmd, b->argv, &cfg, &cl, err, sizeof(err));

		if (rc != b->rc || strcmp(err, b->error) != 0) {
			fail_msg(
			    "case %zu: rc %d (want %d)\n got: %s\nwant: %s", i,
			    rc, b->rc, err, b->error);
		}
		rs_config_free(&cfg);
	}
}

/* classify reads the pipeline keys run reads, and its output keys. */
static void test_classify_flags(void **state)
{
	static const char *const argv[] = {
	    "classify", "-a",         "-q",    "--format",
	    "pb",       "--top",      "5",     "-i",
	    "reply",    "--max-line", "64KiB", "file.log",
	    "-t",       "2",          "--set", "pipeline.batch_bytes=16KiB",
	    NULL};
	rs_config_t cfg;
	rs_cmdline_t cl;
	char err[512];
	args_t a;

	(void)state;
	args_make(&a, argv);
	rs_config_init(&cfg);
	assert_int_equal(rs_cmdline_parse(RS_CONFIG_CLASSIFY, a.argc, a.argv,
	                                  &cfg, &cl, err, sizeof(err)),
	                 0);
	assert_int_equal(cfg.pipeline.include_sent, 1);
	assert_int_equal(cfg.output.quiet, 1);
	assert_int_equal(cfg.output.format, RS_CONFIG_OUTPUT_PB);
	assert_int_equal(cfg.output.top, 5);
	assert_string_equal(cfg.pipeline.input_format->name, "reply");
	assert_int_equal(cfg.pipeline.max_line, 64 * 1024);
	assert_int_equal(cfg.pipeline.threads, 2);
	assert_int_equal(cfg.pipeline.batch_bytes, 16 * 1024);
	/* Operands stay, in order, after the options. */
	assert_int_equal(cl.nargs, 1);
	assert_string_equal(cl.args[0], "file.log");
	assert_string_equal(rs_config_origin(&cfg, "pipeline.include_sent"),
	                    "--all");
	rs_config_free(&cfg);
	args_free(&a);
	{
		/* --rollup: the same key, its third value */
		static const char *const argv2[] = {"classify", "--rollup",
		                                    "file.log", NULL};

		args_make(&a, argv2);
		rs_config_init(&cfg);
		assert_int_equal(rs_cmdline_parse(RS_CONFIG_CLASSIFY, a.argc,
		                                  a.argv, &cfg, &cl, err,
		                                  sizeof(err)),
		                 0);
		assert_int_equal(cfg.pipeline.include_sent,
		                 RS_CONFIG_SENT_ROLLUP);
		assert_string_equal(
		    rs_config_origin(&cfg, "pipeline.include_sent"),
		    "--rollup");
		rs_config_free(&cfg);
		args_free(&a);
	}
}

/* --help and --config-reference end parsing where they stand. */
static void test_help_and_reference(void **state)
{
	static const char *const help[] = {"run", "--help", "--nope", NULL};
	static const char *const ref[] = {"classify", "--config-reference",
	                                  "--threads", "x", NULL};
	rs_config_t cfg;
	rs_cmdline_t cl;
	char err[512];

	(void)state;
	assert_int_equal(
	    parse(RS_CONFIG_RUN, help, &cfg, &cl, err, sizeof(err)), 0);
	assert_true(cl.help);
	rs_config_free(&cfg);
	assert_int_equal(
	    parse(RS_CONFIG_CLASSIFY, ref, &cfg, &cl, err, sizeof(err)), 0);
	assert_true(cl.config_reference);
	rs_config_free(&cfg);
}

/*
 * Every option line of --help names an option getopt accepts, each long
 * name and short letter once: both come from the same list.
 */
static void check_usage(unsigned cmd, const char *name, size_t want)
{
	char *text = NULL;
	size_t len = 0, n = 0;
	FILE *f = open_memstream(&text, &len);
	char longs[64][40];
	char shorts[64];
	size_t nshort = 0;

	assert_non_null(f);
	rs_cmdline_usage(cmd, f);
	fclose(f);
	for (char *line = strtok(text, "\n"); line != NULL;
	     line = strtok(NULL, "\n")) {
		char opt[40], arg[40];
		const char *argv[5];
		rs_config_t cfg;
		rs_cmdline_t cl;
		char err[512];
		int fields;

		if (strncmp(line, "  -", 3) != 0 &&
		    strncmp(line, "      --", 8) != 0) {
			continue; /* a continuation of the text */
		}
		if (line[2] == '-' && line[3] != '-') {
			shorts[nshort++] = line[3];
			line += 6;
		} else {
			line += 6;
		}
		fields = sscanf(line, "%39s %39s", opt, arg);
		assert_true(fields >= 1);
		assert_true(n < 64);
		for (size_t i = 0; i < n; i++) {
			if (strcmp(longs[i], opt) == 0) {
				fail_msg("%s: %s twice in --help", name, opt);
			}
		}
		snprintf(longs[n++], sizeof(longs[0]), "%s", opt);
		/* An uppercase word after the name is its argument. */
		argv[0] = name;
		argv[1] = opt;
		argv[2] =
		    fields == 2 && arg[0] >= 'A' && arg[0] <= 'Z'
			? (strcmp(opt, "--set") == 0 ? "pipeline.rules=x" : "2")
			: NULL;
		argv[3] = NULL;
		if (strcmp(opt, "--config") == 0 ||
		    strcmp(opt, "--brokers") == 0 ||
		    strcmp(opt, "--metrics-listen") == 0) {
			argv[2] =
			    strcmp(opt, "--config") == 0 ? "/dev/null" : "h:1";
		} else if (strcmp(opt, "--input-format") == 0) {
			argv[2] = "postfix";
		} else if (strcmp(opt, "--format") == 0) {
			argv[2] = "json";
		} else if (argv[2] != NULL &&
		           (strcmp(opt, "--group") == 0 ||
		            strcmp(opt, "--input") == 0 ||
		            strcmp(opt, "--output") == 0 ||
		            strcmp(opt, "--dead-letter") == 0 ||
		            strcmp(opt, "--rules") == 0)) {
			argv[2] = "t";
		} else if (strcmp(opt, "--max-line") == 0) {
			argv[2] = "2KiB";
		}
		if (parse(cmd, argv, &cfg, &cl, err, sizeof(err)) != 0) {
			fail_msg("%s %s %s: %s", name, opt,
			         argv[2] ? argv[2] : "", err);
		}
		rs_config_free(&cfg);
	}
	for (size_t i = 0; i < nshort; i++) {
		for (size_t j = i + 1; j < nshort; j++) {
			if (shorts[i] == shorts[j]) {
				fail_msg("%s: -%c twice", name, shorts[i]);
			}
		}
	}
	assert_int_equal(n, want);
	free(text);
}

static void test_usage_matches_options(void **state)
{
	(void)state;
	check_usage(RS_CONFIG_RUN, "run", 16);
	check_usage(RS_CONFIG_CLASSIFY, "classify", 15);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_run_flags),
	    cmocka_unit_test(test_implied_key),
	    cmocka_unit_test(test_dead_letter_overflow),
	    cmocka_unit_test(test_order),
	    cmocka_unit_test(test_bad_lines),
	    cmocka_unit_test(test_classify_flags),
	    cmocka_unit_test(test_help_and_reference),
	    cmocka_unit_test(test_usage_matches_options),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
