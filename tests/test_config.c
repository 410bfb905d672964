/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_config.c - the configuration of run and classify: defaults, good
 * files in nested and dotted form, a table of bad files with their exact
 * errors (tests/fixtures/config), overrides through the setter, value
 * parsing, the librdkafka property lists, validation, printing, the
 * reference and its copy in docs/configuration.md. The command line is
 * tests/test_cmdline.c.
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

#include "config/config.h"
#include "formats/format_opts.h"

#define CONFIG_DIR RS_FIXTURES "/config/"

/* Every key the reference must list (the table's names). */
static const char *const all_keys[] = {
    "kafka.brokers",
    "kafka.group",
    "kafka.input",
    "kafka.output",
    "kafka.dead_letter",
    "kafka.key",
    "kafka.compression",
    "kafka.output_format",
    "kafka.delivery_guarantee",
    "kafka.transactional_id",
    "kafka.transaction_interval",
    "kafka.transaction_events",
    "kafka.consumer.*",
    "kafka.producer.*",
    "pipeline.threads",
    "pipeline.rules",
    "pipeline.input_format",
    "pipeline.include_sent",
    "pipeline.rollup_interval",
    "pipeline.batch_bytes",
    "pipeline.queue_batches",
    "pipeline.max_line",
    "pipeline.on_malformed",
    "pipeline.exit_when_idle",
    "formats.pmta.fields",
    "formats.json.message_field",
    "sources.*",
    "metrics.listen",
    "metrics.unhealthy_after",
    "log.level",
    "log.format",
};

/* The whole of what fn printed. Caller frees. */
static char *print_to_string(void (*fn)(const rs_config_t *, FILE *),
                             const rs_config_t *cfg)
{
	char *data = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&data, &len);

	assert_non_null(f);
	fn(cfg, f);
	fclose(f);
	return data;
}

static void print_reference(const rs_config_t *cfg, FILE *out)
{
	(void)cfg;
	rs_config_print_reference(RS_CONFIG_RUN, out);
}

static void print_run(const rs_config_t *cfg, FILE *out)
{
	rs_config_print(cfg, RS_CONFIG_RUN, out);
}

static void print_classify(const rs_config_t *cfg, FILE *out)
{
	rs_config_print(cfg, RS_CONFIG_CLASSIFY, out);
}

static void test_defaults(void **state)
{
	rs_config_t cfg;
	char err[512];
	unsigned threads;

	(void)state;
	rs_config_init(&cfg);
	assert_string_equal(cfg.kafka.brokers, "127.0.0.1:9092");
	assert_string_equal(cfg.kafka.group, "replyscan");
	assert_int_equal(cfg.kafka.input.n, 0);
	assert_string_equal(cfg.kafka.output, "deferral-events");
	assert_string_equal(cfg.kafka.dead_letter, "");
	assert_int_equal(cfg.kafka.key, RS_KEY_RECIPIENT_DOMAIN);
	assert_int_equal(cfg.kafka.compression, RS_CONFIG_COMPRESSION_LZ4);
	assert_int_equal(cfg.kafka.consumer.n, 0);
	assert_int_equal(cfg.kafka.producer.n, 0);
	assert_int_equal(cfg.pipeline.threads, 0);
	assert_string_equal(cfg.pipeline.rules, "");
	assert_ptr_equal(cfg.pipeline.input_format, rs_format_auto());
	assert_int_equal(cfg.pipeline.include_sent, 0);
	assert_int_equal(cfg.pipeline.batch_bytes, 1024 * 1024);
	assert_int_equal(cfg.pipeline.queue_batches, 0);
	assert_int_equal(cfg.pipeline.max_line, 4 * 1024 * 1024);
	assert_int_equal(cfg.pipeline.on_malformed, RS_CONFIG_MALFORMED_SKIP);
	assert_true(cfg.pipeline.exit_when_idle == 0.0);
	assert_string_equal(cfg.metrics.listen, "");
	assert_true(cfg.metrics.unhealthy_after == 60.0);
	assert_int_equal(cfg.log.level, RS_LOG_INFO);
	assert_int_equal(cfg.log.format, RS_LOG_LOGFMT);
	assert_int_equal(cfg.output.format, RS_CONFIG_OUTPUT_JSON);
	assert_int_equal(cfg.output.top, 20);
	assert_int_equal(cfg.output.quiet, 0);
	assert_null(rs_config_origin(&cfg, "pipeline.threads"));

	threads = rs_config_threads(&cfg);
	assert_true(threads >= 1 && threads <= 256);
	assert_int_equal(threads,
	                 (unsigned)sysconf(_SC_NPROCESSORS_ONLN) > 256
	                     ? 256
	                     : (unsigned)sysconf(_SC_NPROCESSORS_ONLN));
	assert_int_equal(rs_config_queue_batches(&cfg), 2 * threads + 2);
	assert_string_equal(rs_config_compression_name(cfg.kafka.compression),
	                    "lz4");

	/* Defaults alone lack the input topics. */
	assert_int_equal(
	    rs_config_validate(&cfg, RS_CONFIG_RUN, err, sizeof(err)), -1);
	assert_string_equal(err, "kafka.input: required: name the topics of "
	                         "log lines to read");
	rs_config_free(&cfg);
}

static void test_good_full(void **state)
{
	rs_config_t cfg;
	char err[512] = "";

	(void)state;
	rs_config_init(&cfg);
	assert_int_equal(rs_config_load_file(&cfg, CONFIG_DIR "good_full.yaml",
	                                     err, sizeof(err)),
	                 0);
	assert_string_equal(cfg.kafka.brokers, "kafka-1:9092,kafka-2:9092");
	assert_string_equal(cfg.kafka.group, "replyscan-eu");
	assert_int_equal(cfg.kafka.input.n, 2);
	assert_string_equal(cfg.kafka.input.v[0], "mta-logs");
	assert_string_equal(cfg.kafka.input.v[1], "mta-logs.exim");
	assert_string_equal(cfg.kafka.output, "deferral-events-v1");
	assert_string_equal(cfg.kafka.dead_letter, "mta-logs-unreadable");
	assert_int_equal(cfg.kafka.key, RS_KEY_REMOTE_HOST);
	assert_int_equal(cfg.kafka.compression, RS_CONFIG_COMPRESSION_ZSTD);

	/* Properties in file order, values as written. */
	assert_int_equal(cfg.kafka.consumer.n, 3);
	assert_string_equal(cfg.kafka.consumer.v[0].name, "session.timeout.ms");
	assert_string_equal(cfg.kafka.consumer.v[0].value, "45000");
	assert_string_equal(cfg.kafka.consumer.v[1].name, "fetch.max.bytes");
	assert_string_equal(cfg.kafka.consumer.v[1].value, "52428800");
	assert_string_equal(cfg.kafka.consumer.v[2].name, "sasl.password");
	assert_string_equal(cfg.kafka.consumer.v[2].value, "hunter2");
	assert_string_equal(cfg.kafka.consumer.origin[0],
	                    CONFIG_DIR "good_full.yaml:13");
	assert_int_equal(cfg.kafka.producer.n, 2);
	assert_string_equal(cfg.kafka.producer.v[0].name, "linger.ms");
	assert_string_equal(cfg.kafka.producer.v[0].value, "50");
	/* A nested map under a property section flattens with dots. */
	assert_string_equal(cfg.kafka.producer.v[1].name,
	                    "queue.buffering.max.kbytes");
	assert_string_equal(cfg.kafka.producer.v[1].value, "65536");

	assert_int_equal(cfg.pipeline.threads, 8);
	assert_string_equal(cfg.pipeline.rules, "/etc/replyscan/rules");
	assert_string_equal(cfg.pipeline.input_format->name, "postfix");
	assert_int_equal(cfg.pipeline.include_sent, 1);
	assert_int_equal(cfg.pipeline.batch_bytes, 512 * 1024);
	assert_int_equal(cfg.pipeline.queue_batches, 20);
	assert_int_equal(cfg.pipeline.max_line, 1024 * 1024);
	assert_int_equal(cfg.pipeline.on_malformed,
	                 RS_CONFIG_MALFORMED_DEAD_LETTER);
	assert_true(cfg.pipeline.exit_when_idle == 1.5);
	assert_string_equal(cfg.metrics.listen, "127.0.0.1:9464");
	assert_int_equal(cfg.log.level, RS_LOG_DEBUG);
	assert_int_equal(cfg.log.format, RS_LOG_JSON);

	assert_string_equal(rs_config_origin(&cfg, "pipeline.threads"),
	                    CONFIG_DIR "good_full.yaml:21");
	assert_string_equal(rs_config_origin(&cfg, "kafka.input"),
	                    CONFIG_DIR "good_full.yaml:5");
	assert_string_equal(
	    rs_config_origin(&cfg, "kafka.consumer.fetch.max.bytes"),
	    CONFIG_DIR "good_full.yaml:14");
	assert_null(rs_config_origin(&cfg, "kafka.consumer.nothing"));
	assert_null(rs_config_origin(&cfg, "no.such.key"));
	assert_int_equal(rs_config_threads(&cfg), 8);
	assert_int_equal(rs_config_queue_batches(&cfg), 20);
	assert_int_equal(
	    rs_config_validate(&cfg, RS_CONFIG_RUN, err, sizeof(err)), 0);
	rs_config_free(&cfg);
}

static void test_good_flat_and_empty(void **state)
{
	rs_config_t cfg;
	char err[512] = "";

	(void)state;
	rs_config_init(&cfg);
	assert_int_equal(rs_config_load_file(&cfg, CONFIG_DIR "good_flat.yaml",
	                                     err, sizeof(err)),
	                 0);
	assert_int_equal(cfg.kafka.input.n, 1);
	assert_string_equal(cfg.kafka.input.v[0], "mta-logs");
	assert_int_equal(cfg.kafka.consumer.n, 1);
	assert_string_equal(cfg.kafka.consumer.v[0].name, "session.timeout.ms");
	assert_string_equal(cfg.kafka.consumer.v[0].value, "6000");
	assert_int_equal(cfg.pipeline.threads, 2);
	assert_int_equal(cfg.pipeline.batch_bytes, 4096);
	assert_true(cfg.pipeline.exit_when_idle == 0.5);
	assert_string_equal(cfg.metrics.listen, ":9464");
	assert_int_equal(rs_config_queue_batches(&cfg), 6);
	assert_int_equal(
	    rs_config_validate(&cfg, RS_CONFIG_RUN, err, sizeof(err)), 0);

	/* A second file applies over the first; an empty one changes
	 * nothing. */
	assert_int_equal(rs_config_load_file(&cfg, CONFIG_DIR "good_empty.yaml",
	                                     err, sizeof(err)),
	                 0);
	assert_int_equal(cfg.pipeline.threads, 2);
	rs_config_free(&cfg);
}

/* A bad file and the error after "<path>:". */
typedef struct bad_case {
	const char *file;
	const char *error;
} bad_case_t;

static const bad_case_t bad_cases[] = {
    {"bad_threads_float.yaml",
     "4: pipeline.threads: 0.5 is not an integer from 1 to 256 (or 0: one "
     "per online CPU)"},
    {"bad_unknown_key.yaml",
     "5: pipeline.thread: unknown key (did you mean pipeline.threads?)"},
    {"bad_unknown_section.yaml", "1: kafak: unknown key (did you mean kafka?)"},
    {"bad_unknown_top.yaml",
     "1: threads: unknown key (did you mean pipeline.threads?)"},
    {"bad_duplicate.yaml",
     "4: pipeline.threads: duplicate key (first set at line 2)"},
    {"bad_duplicate_flat.yaml",
     "3: kafka.brokers: duplicate key (first set at line 2)"},
    {"bad_map_for_scalar.yaml",
     "3: pipeline.threads: expected a single value (integer), found a "
     "mapping"},
    {"bad_list_for_scalar.yaml",
     "2: kafka.output: expected a single value (string), found a list"},
    {"bad_scalar_for_section.yaml",
     "1: kafka: expected a mapping of keys, found a single value"},
    {"bad_enum.yaml",
     "2: kafka.compression: brotli is not one of none, gzip, snappy, lz4, "
     "zstd"},
    {"bad_size.yaml",
     "2: pipeline.batch_bytes: 128MiB is not a size from 4KiB to 64MiB "
     "(bytes, or a number with KiB, MiB or GiB)"},
    {"bad_size_unit.yaml",
     "2: pipeline.max_line: 4 megabytes is not a size from 1KiB to 256MiB "
     "(bytes, or a number with KiB, MiB or GiB)"},
    {"bad_bool.yaml",
     "2: pipeline.include_sent: maybe is not a boolean (true or false) nor "
     "rollup"},
    {"bad_seconds.yaml",
     "2: pipeline.exit_when_idle: -5 is not a duration from 0 to 604800 "
     "seconds (e.g. 30, 1.5s, 500ms, 2m, 1h)"},
    {"bad_topic.yaml",
     "4: kafka.input: mta logs is not a topic name (letters, digits, '.', "
     "'_' and '-', at most 249)"},
    {"bad_list_nested.yaml",
     "3: kafka.input: expected a list of names, found a nested structure"},
    {"bad_syntax.yaml",
     "3: YAML syntax: mapping values are not allowed in this context"},
    {"bad_syntax_quote.yaml",
     "5: YAML syntax: found unexpected end of stream while scanning a "
     "quoted scalar that starts at line 2"},
    {"bad_reserved.yaml",
     "3: kafka.consumer.enable.auto.commit: cannot be changed: replyscan "
     "commits offsets itself, once the events are written"},
    {"bad_props_list.yaml",
     "2: kafka.producer: expected a mapping of librdkafka properties, found "
     "a list"},
    {"bad_props_typo.yaml",
     "2: kafka.consumers: unknown key (did you mean kafka.consumer?)"},
    {"bad_top_list.yaml",
     "1: the file must be a mapping of keys (kafka:, pipeline:, formats:, "
     "sources:, metrics:, log:, output:)"},
    {"bad_two_docs.yaml", "3: only one YAML document is allowed"},
    {"bad_alias.yaml",
     "3: kafka.dead_letter: YAML aliases (*name) are not supported"},
    {"bad_empty_string.yaml", "2: kafka.brokers: must not be empty"},
    {"bad_listen.yaml",
     "2: metrics.listen: localhost is not ADDR:PORT (e.g. 127.0.0.1:9464, "
     "or :9464 for every address)"},
};

static void test_bad_files(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_cases) / sizeof(bad_cases[0]); i++) {
		rs_config_t cfg;
		char path[1024], want[2048], err[1024] = "";

		snprintf(path, sizeof(path), CONFIG_DIR "%s",
		         bad_cases[i].file);
		snprintf(want, sizeof(want), "%s:%s", path, bad_cases[i].error);
		rs_config_init(&cfg);
		if (rs_config_load_file(&cfg, path, err, sizeof(err)) != -1) {
			fail_msg("%s loaded without error", bad_cases[i].file);
		}
		if (strcmp(err, want) != 0) {
			fail_msg("%s:\n got: %s\nwant: %s", bad_cases[i].file,
			         err, want);
		}
		rs_config_free(&cfg);
	}
}

static void test_missing_file(void **state)
{
	rs_config_t cfg;
	char err[512];

	(void)state;
	rs_config_init(&cfg);
	assert_int_equal(
	    rs_config_load_file(&cfg, CONFIG_DIR "nope.yaml", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "cannot open " CONFIG_DIR
	                         "nope.yaml: No such file or directory");
	rs_config_free(&cfg);
}

/* Command-line overrides go through the same checks, named by flag. */
static void test_set_overrides(void **state)
{
	rs_config_t cfg;
	char err[512];

	(void)state;
	rs_config_init(&cfg);
	assert_int_equal(rs_config_load_file(&cfg, CONFIG_DIR "good_flat.yaml",
	                                     err, sizeof(err)),
	                 0);
	assert_int_equal(rs_config_set(&cfg, "pipeline.threads", "12",
	                               "--threads", err, sizeof(err)),
	                 0);
	assert_int_equal(cfg.pipeline.threads, 12);
	assert_string_equal(rs_config_origin(&cfg, "pipeline.threads"),
	                    "--threads");

	assert_int_equal(rs_config_set(&cfg, "pipeline.threads", "0.5",
	                               "--threads", err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "--threads: pipeline.threads: 0.5 is not an "
	                         "integer from 1 to 256 (or 0: one per online "
	                         "CPU)");
	assert_int_equal(cfg.pipeline.threads, 12); /* unchanged */
	assert_int_equal(rs_config_set(&cfg, "pipeline.threads", "257", NULL,
	                               err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "pipeline.threads: 257 is not an integer "
	                         "from 1 to 256 (or 0: one per online CPU)");
	/* 0 brings back the automatic choice. */
	assert_int_equal(rs_config_set(&cfg, "pipeline.threads", "0", "--set",
	                               err, sizeof(err)),
	                 0);
	assert_int_equal(cfg.pipeline.threads, 0);
	assert_int_equal(rs_config_set(&cfg, "pipeline.queue_batches", "1",
	                               "--set", err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "--set: pipeline.queue_batches: 1 is not an "
	                         "integer from 2 to 1024 (or 0: 2 * threads + "
	                         "2)");

	/* Lists from the command line are comma-separated. */
	assert_int_equal(rs_config_set(&cfg, "kafka.input", "a, b,c", "--input",
	                               err, sizeof(err)),
	                 0);
	assert_int_equal(cfg.kafka.input.n, 3);
	assert_string_equal(cfg.kafka.input.v[0], "a");
	assert_string_equal(cfg.kafka.input.v[1], "b");
	assert_string_equal(cfg.kafka.input.v[2], "c");
	assert_int_equal(rs_config_set(&cfg, "kafka.input", "a,,b", "--input",
	                               err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "--input: kafka.input: \"\" is not a topic "
	                         "name (letters, digits, '.', '_' and '-', at "
	                         "most 249)");
	assert_int_equal(cfg.kafka.input.n, 3);

	/* Strings: replaced, then back to the default text. */
	assert_int_equal(rs_config_set(&cfg, "kafka.brokers", "k:9092", "-b",
	                               err, sizeof(err)),
	                 0);
	assert_string_equal(cfg.kafka.brokers, "k:9092");
	assert_int_equal(rs_config_set(&cfg, "kafka.brokers", "127.0.0.1:9092",
	                               "-b", err, sizeof(err)),
	                 0);
	assert_string_equal(cfg.kafka.brokers, "127.0.0.1:9092");

	/* Enums accept any case; values are checked. */
	assert_int_equal(rs_config_set(&cfg, "pipeline.input_format", "Exim",
	                               "--format", err, sizeof(err)),
	                 0);
	assert_string_equal(cfg.pipeline.input_format->name, "exim");
	assert_int_equal(rs_config_set(&cfg, "pipeline.input_format", "nosuch",
	                               "--format", err, sizeof(err)),
	                 -1);
	{
		/* The list is the format registry's, every format named. */
		char names[256], want[512];
		snprintf(want, sizeof(want),
		         "--format: pipeline.input_format: nosuch is not one "
		         "of %s",
		         rs_format_names(names, sizeof(names), ", "));
		assert_string_equal(err, want);
		assert_non_null(strstr(want, "auto, kumomta, exim, postfix, "
		                             "sendmail, "));
	}
	assert_int_equal(
	    rs_config_set(&cfg, "kafka.key", "none", NULL, err, sizeof(err)),
	    0);
	assert_int_equal(cfg.kafka.key, RS_KEY_NONE);
	assert_int_equal(
	    rs_config_set(&cfg, "log.level", "warn", NULL, err, sizeof(err)),
	    0);
	assert_int_equal(cfg.log.level, RS_LOG_WARN);

	/* Unknown keys, with a hint when one is close. */
	assert_int_equal(rs_config_set(&cfg, "pipeline.thread", "4", "--set",
	                               err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "--set: pipeline.thread: unknown key (did you "
	                         "mean pipeline.threads?)");
	assert_int_equal(
	    rs_config_set(&cfg, "kafka.brokres", "x:1", NULL, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "kafka.brokres: unknown key (did you mean "
	                         "kafka.brokers?)");
	assert_int_equal(rs_config_set(&cfg,
	                               "kafka.consumers.session.timeout.ms",
	                               "1", NULL, err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "kafka.consumers.session.timeout.ms: unknown "
	                         "key (did you mean "
	                         "kafka.consumer.session.timeout.ms?)");
	assert_int_equal(
	    rs_config_set(&cfg, "zzzzzz", "1", NULL, err, sizeof(err)), -1);
	assert_string_equal(err, "zzzzzz: unknown key (the sections are kafka, "
	                         "pipeline, formats, sources, metrics, log "
	                         "and output)");
	assert_int_equal(
	    rs_config_set(&cfg, "kafka.consumer", "1", NULL, err, sizeof(err)),
	    -1);
	assert_string_equal(err,
	                    "kafka.consumer: expected "
	                    "kafka.consumer.<name> (a librdkafka property)");
	rs_config_free(&cfg);
}

/* Properties keep the order they were first set; a later set replaces. */
static void test_props_order(void **state)
{
	rs_config_t cfg;
	char err[512];

	(void)state;
	rs_config_init(&cfg);
	assert_int_equal(rs_config_set(&cfg, "kafka.producer.linger.ms", "5",
	                               "-X", err, sizeof(err)),
	                 0);
	assert_int_equal(rs_config_set(&cfg, "kafka.producer.acks", "all", "-X",
	                               err, sizeof(err)),
	                 0);
	assert_int_equal(rs_config_set(&cfg, "kafka.producer.linger.ms", "100",
	                               "-Y", err, sizeof(err)),
	                 0);
	assert_int_equal(cfg.kafka.producer.n, 2);
	assert_string_equal(cfg.kafka.producer.v[0].name, "linger.ms");
	assert_string_equal(cfg.kafka.producer.v[0].value, "100");
	assert_string_equal(cfg.kafka.producer.origin[0], "-Y");
	assert_string_equal(cfg.kafka.producer.v[1].name, "acks");
	assert_string_equal(cfg.kafka.producer.v[1].value, "all");
	assert_int_equal(cfg.kafka.consumer.n, 0);

	assert_int_equal(rs_config_set(&cfg, "kafka.producer.bootstrap.servers",
	                               "x", "-X", err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "-X: kafka.producer.bootstrap.servers: set "
	                         "kafka.brokers instead");
	assert_int_equal(rs_config_set(&cfg, "kafka.consumer.group.id", "g",
	                               "-X", err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "-X: kafka.consumer.group.id: set kafka.group "
	                         "instead");
	/* group.id means nothing to a producer: passed through. */
	assert_int_equal(rs_config_set(&cfg, "kafka.producer.group.id", "g",
	                               "-X", err, sizeof(err)),
	                 0);
	assert_int_equal(cfg.kafka.producer.n, 3);
	rs_config_free(&cfg);
}

/* Sizes, durations and booleans through the setter. */
static void test_value_parsing(void **state)
{
	static const struct {
		const char *text;
		size_t bytes; /* 0: refused */
	} sizes[] = {
	    {"1MiB", 1048576},
	    {"512KiB", 524288},
	    {"4096", 4096},
	    {"4 KiB", 4096},
	    {"1.5MiB", 1572864},
	    {"64MiB", 67108864},
	    {"1M", 1048576},
	    {"8k", 8192},
	    {"8KB", 8000},
	    {"2mb", 2000000},
	    {"10000B", 10000},
	    {"67108865", 0},
	    {"4095", 0},
	    {"1kb", 0},
	    {"-4096", 0},
	    {"0x1000", 0},
	    {"", 0},
	    {"1 TiB", 0},
	    {"1e6", 0},
	    {"MiB", 0},
	    {"1.MiB", 0},
	};
	static const struct {
		const char *text;
		double seconds; /* -1: refused */
	} durations[] = {
	    {"30", 30},   {"1.5s", 1.5}, {"500ms", 0.5}, {"2m", 120},
	    {"1h", 3600}, {"0", 0},      {"2 min", 120}, {"-1", -1},
	    {"8d", -1},   {"inf", -1},   {"nan", -1},    {"169h", -1},
	};
	static const struct {
		const char *text;
		int value; /* -1: refused */
	} bools[] = {
	    {"true", 1}, {"yes", 1}, {"On", 1},     {"1", 1},  {"FALSE", 0},
	    {"no", 0},   {"off", 0}, {"0", 0},      {"y", -1}, {"maybe", -1},
	    {"", -1},    {"2", -1},  {"truee", -1},
	};
	rs_config_t cfg;
	char err[512];

	(void)state;
	rs_config_init(&cfg);
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		int rc = rs_config_set(&cfg, "pipeline.batch_bytes",
		                       sizes[i].text, NULL, err, sizeof(err));

		if (sizes[i].bytes == 0) {
			if (rc != -1) {
				fail_msg("size %s accepted", sizes[i].text);
			}
		} else if (rc != 0 ||
		           cfg.pipeline.batch_bytes != sizes[i].bytes) {
			fail_msg("size %s: rc %d, %zu", sizes[i].text, rc,
			         cfg.pipeline.batch_bytes);
		}
	}
	for (size_t i = 0; i < sizeof(durations) / sizeof(durations[0]); i++) {
		int rc =
		    rs_config_set(&cfg, "pipeline.exit_when_idle",
		                  durations[i].text, NULL, err, sizeof(err));

		if (durations[i].seconds < 0) {
			if (rc != -1) {
				fail_msg("duration %s accepted",
				         durations[i].text);
			}
		} else if (rc != 0 || cfg.pipeline.exit_when_idle !=
		                          durations[i].seconds) {
			fail_msg("duration %s: rc %d, %g", durations[i].text,
			         rc, cfg.pipeline.exit_when_idle);
		}
	}
	for (size_t i = 0; i < sizeof(bools) / sizeof(bools[0]); i++) {
		int rc = rs_config_set(&cfg, "pipeline.include_sent",
		                       bools[i].text, NULL, err, sizeof(err));

		if (bools[i].value < 0) {
			if (rc != -1) {
				fail_msg("boolean %s accepted", bools[i].text);
			}
		} else if (rc != 0 ||
		           cfg.pipeline.include_sent != bools[i].value) {
			fail_msg("boolean %s: rc %d", bools[i].text, rc);
		}
	}
	/* include_sent is a boolean with one more value. */
	assert_int_equal(rs_config_set(&cfg, "pipeline.include_sent", "Rollup",
	                               NULL, err, sizeof(err)),
	                 0);
	assert_int_equal(cfg.pipeline.include_sent, RS_CONFIG_SENT_ROLLUP);
	/* A long bad value is cut to 64 characters in the message. */
	{
		char big[200], want[512];

		memset(big, '9', sizeof(big) - 1);
		big[sizeof(big) - 1] = '\0';
		assert_int_equal(rs_config_set(&cfg, "pipeline.threads", big,
		                               NULL, err, sizeof(err)),
		                 -1);
		snprintf(want, sizeof(want),
		         "pipeline.threads: %.61s... is not an integer from 1 "
		         "to 256 (or 0: one per online CPU)",
		         big);
		assert_string_equal(err, want);
	}
	rs_config_free(&cfg);
}

static void test_validate(void **state)
{
	rs_config_t cfg;
	char err[512];

	(void)state;
	rs_config_init(&cfg);
	assert_int_equal(rs_config_set(&cfg, "kafka.input", "mta", "--input",
	                               err, sizeof(err)),
	                 0);
	assert_int_equal(
	    rs_config_validate(&cfg, RS_CONFIG_RUN, err, sizeof(err)), 0);

	assert_int_equal(rs_config_set(&cfg, "pipeline.on_malformed",
	                               "dead_letter", "--on-malformed", err,
	                               sizeof(err)),
	                 0);
	assert_int_equal(
	    rs_config_validate(&cfg, RS_CONFIG_RUN, err, sizeof(err)), -1);
	assert_string_equal(err, "kafka.dead_letter: required when "
	                         "pipeline.on_malformed is dead_letter");

	assert_int_equal(rs_config_set(&cfg, "kafka.dead_letter", "mta",
	                               "x.yaml:3", err, sizeof(err)),
	                 0);
	assert_int_equal(
	    rs_config_validate(&cfg, RS_CONFIG_RUN, err, sizeof(err)), -1);
	assert_string_equal(err,
	                    "x.yaml:3: kafka.dead_letter: mta is also an "
	                    "input topic; unreadable lines would come back "
	                    "forever");

	assert_int_equal(rs_config_set(&cfg, "kafka.dead_letter",
	                               "deferral-events", "x.yaml:3", err,
	                               sizeof(err)),
	                 0);
	assert_int_equal(
	    rs_config_validate(&cfg, RS_CONFIG_RUN, err, sizeof(err)), -1);
	assert_string_equal(err, "x.yaml:3: kafka.dead_letter: deferral-events "
	                         "is also kafka.output; raw lines would mix "
	                         "with the events");

	assert_int_equal(rs_config_set(&cfg, "kafka.dead_letter", "dlq",
	                               "x.yaml:3", err, sizeof(err)),
	                 0);
	assert_int_equal(
	    rs_config_validate(&cfg, RS_CONFIG_RUN, err, sizeof(err)), 0);

	assert_int_equal(rs_config_set(&cfg, "kafka.output", "mta", "--output",
	                               err, sizeof(err)),
	                 0);
	assert_int_equal(
	    rs_config_validate(&cfg, RS_CONFIG_RUN, err, sizeof(err)), -1);
	assert_string_equal(err, "--output: kafka.output: mta is also an input "
	                         "topic; replyscan would read its own events");
	rs_config_free(&cfg);
}

/* A key set from text (origin "--set"); the test fails if it is refused. */
static void set_ok(rs_config_t *cfg, const char *key, const char *value)
{
	char err[512];

	assert_int_equal(
	    rs_config_set(cfg, key, value, "--set", err, sizeof(err)), 0);
}

/* exactly_once: the checks across the transactional keys. */
static void test_validate_exactly_once(void **state)
{
	static const struct {
		const char *key, *value, *err;
	} bad[] = {
	    {"kafka.producer.message.timeout.ms", "90000",
	     "--set: kafka.delivery_guarantee: exactly_once needs "
	     "kafka.producer.message.timeout.ms (90000) <= "
	     "kafka.producer.transaction.timeout.ms (60000)"},
	    {"kafka.producer.transaction.timeout.ms", "10s",
	     "--set: kafka.delivery_guarantee: "
	     "kafka.producer.transaction.timeout.ms '10s' is not a number of "
	     "milliseconds"},
	    {"kafka.transaction_interval", "31",
	     "--set: kafka.transaction_interval: 31 s is more than half of "
	     "kafka.producer.transaction.timeout.ms (60000 ms): a transaction "
	     "could time out before it commits"},
	    {"kafka.producer.enable.idempotence", "false",
	     "--set: kafka.delivery_guarantee: exactly_once needs "
	     "kafka.producer.enable.idempotence true"},
	    {"kafka.consumer.isolation.level", "read_uncommitted",
	     "--set: kafka.delivery_guarantee: exactly_once needs "
	     "kafka.consumer.isolation.level read_committed (offsets "
	     "committed in transactions are read back stable only then)"},
	};
	char err[512];

	(void)state;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		rs_config_t cfg;

		rs_config_init(&cfg);
		set_ok(&cfg, "kafka.input", "mta");
		set_ok(&cfg, bad[i].key, bad[i].value);
		/* at_least_once does not read these together */
		assert_int_equal(
		    rs_config_validate(&cfg, RS_CONFIG_RUN, err, sizeof(err)),
		    0);
		set_ok(&cfg, "kafka.delivery_guarantee", "exactly_once");
		assert_int_equal(
		    rs_config_validate(&cfg, RS_CONFIG_RUN, err, sizeof(err)),
		    -1);
		assert_string_equal(err, bad[i].err);
		rs_config_free(&cfg);
	}

	/* A longer transaction timeout makes room for both. */
	{
		rs_config_t cfg;

		rs_config_init(&cfg);
		set_ok(&cfg, "kafka.input", "mta");
		set_ok(&cfg, "kafka.delivery_guarantee", "exactly_once");
		set_ok(&cfg, "kafka.producer.message.timeout.ms", "90000");
		set_ok(&cfg, "kafka.producer.transaction.timeout.ms", "120000");
		set_ok(&cfg, "kafka.transaction_interval", "31");
		assert_int_equal(
		    rs_config_validate(&cfg, RS_CONFIG_RUN, err, sizeof(err)),
		    0);
		rs_config_free(&cfg);
	}
}

static void test_print(void **state)
{
	rs_config_t cfg, again;
	char err[512];
	char *text, *text2;
	char path[] = "/tmp/test_config_XXXXXX";
	int fd;
	FILE *f;

	(void)state;
	rs_config_init(&cfg);
	assert_int_equal(rs_config_load_file(&cfg, CONFIG_DIR "good_full.yaml",
	                                     err, sizeof(err)),
	                 0);
	text = print_to_string(print_run, &cfg);
	assert_string_equal(
	    text, "kafka.brokers: \"kafka-1:9092,kafka-2:9092\"\n"
		  "kafka.group: \"replyscan-eu\"\n"
		  "kafka.input: [\"mta-logs\", \"mta-logs.exim\"]\n"
		  "kafka.output: \"deferral-events-v1\"\n"
		  "kafka.dead_letter: \"mta-logs-unreadable\"\n"
		  "kafka.key: remote_host\n"
		  "kafka.compression: zstd\n"
		  "kafka.output_format: protobuf\n"
		  "kafka.delivery_guarantee: at_least_once\n"
		  "kafka.transactional_id: \"\"\n"
		  "kafka.transaction_interval: 1\n"
		  "kafka.transaction_events: 100000\n"
		  "kafka.consumer.session.timeout.ms: \"45000\"\n"
		  "kafka.consumer.fetch.max.bytes: \"52428800\"\n"
		  "kafka.consumer.sasl.password: \"***\"\n"
		  "kafka.producer.linger.ms: \"50\"\n"
		  "kafka.producer.queue.buffering.max.kbytes: \"65536\"\n"
		  "pipeline.threads: 8\n"
		  "pipeline.rules: \"/etc/replyscan/rules\"\n"
		  "pipeline.input_format: postfix\n"
		  "pipeline.include_sent: true\n"
		  "pipeline.rollup_interval: 60\n"
		  "pipeline.batch_bytes: 512KiB\n"
		  "pipeline.queue_batches: 20\n"
		  "pipeline.max_line: 1MiB\n"
		  "pipeline.on_malformed: dead_letter\n"
		  "pipeline.exit_when_idle: 1.5\n"
		  "formats.pmta.fields: \"\"\n"
		  "formats.json.message_field: \"\"\n"
		  "metrics.listen: \"127.0.0.1:9464\"\n"
		  "metrics.unhealthy_after: 60\n"
		  "log.level: debug\n"
		  "log.format: json\n");
	free(text);
	rs_config_free(&cfg);

	/* classify prints the keys it reads, and only those. */
	rs_config_init(&cfg);
	text = print_to_string(print_classify, &cfg);
	assert_string_equal(text, "pipeline.threads: 0  # one per online CPU\n"
	                          "pipeline.rules: \"\"\n"
	                          "pipeline.input_format: auto\n"
	                          "pipeline.include_sent: false\n"
	                          "pipeline.rollup_interval: 60\n"
	                          "pipeline.batch_bytes: 1MiB\n"
	                          "pipeline.queue_batches: 0  # 2 * threads "
	                          "+ 2\n"
	                          "pipeline.max_line: 4MiB\n"
	                          "formats.pmta.fields: \"\"\n"
	                          "formats.json.message_field: \"\"\n"
	                          "output.format: json\n"
	                          "output.top: 20\n"
	                          "output.quiet: false\n");
	free(text);
	rs_config_free(&cfg);

	/* Defaults print as a file that loads back to the same values. */
	rs_config_init(&cfg);
	assert_int_equal(
	    rs_config_set(&cfg, "kafka.input", "a,b", NULL, err, sizeof(err)),
	    0);
	assert_int_equal(rs_config_set(&cfg, "kafka.brokers", "we\"ird\\", NULL,
	                               err, sizeof(err)),
	                 0);
	assert_int_equal(rs_config_set(&cfg, "kafka.consumer.client.id",
	                               "x y: z", NULL, err, sizeof(err)),
	                 0);
	text = print_to_string(print_run, &cfg);
	assert_non_null(strstr(text, "pipeline.threads: 0  # one per online "
	                             "CPU\n"));
	assert_non_null(strstr(text, "pipeline.queue_batches: 0  # 2 * "
	                             "threads + 2\n"));
	assert_non_null(strstr(text, "kafka.brokers: \"we\\\"ird\\\\\"\n"));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	assert_non_null(f);
	fputs(text, f);
	fclose(f);
	rs_config_init(&again);
	if (rs_config_load_file(&again, path, err, sizeof(err)) != 0) {
		fail_msg("reloading the printed config: %s", err);
	}
	text2 = print_to_string(print_run, &again);
	assert_string_equal(text, text2);
	assert_string_equal(again.kafka.brokers, "we\"ird\\");
	unlink(path);
	free(text);
	free(text2);
	rs_config_free(&again);
	rs_config_free(&cfg);
}

static void test_reference(void **state)
{
	char *text;
	size_t rows = 0;
	char needle[128];

	(void)state;
	text = print_to_string(print_reference, NULL);
	assert_memory_equal(text,
	                    "| Key | Type | Default | Allowed | Description |\n"
	                    "|---|---|---|---|---|\n",
	                    64);
	for (const char *p = text; (p = strchr(p, '\n')) != NULL; p++) {
		rows++;
	}
	assert_int_equal(rows, 2 + sizeof(all_keys) / sizeof(all_keys[0]));
	for (size_t i = 0; i < sizeof(all_keys) / sizeof(all_keys[0]); i++) {
		snprintf(needle, sizeof(needle), "\n| `%s` | ", all_keys[i]);
		if (strstr(text, needle) == NULL) {
			fail_msg("reference lacks %s", all_keys[i]);
		}
	}
	assert_non_null(strstr(
	    text, "\n| `pipeline.threads` | integer | `0` (one per online "
		  "CPU) | 1 to 256, or 0 | Worker threads that parse and "
		  "classify. |\n"));
	assert_non_null(strstr(text, "\n| `pipeline.batch_bytes` | size | "
	                             "`1MiB` | 4KiB to 64MiB | "));
	assert_non_null(strstr(text,
	                       "\n| `kafka.compression` | enum | `lz4` | "
	                       "`none`, `gzip`, `snappy`, `lz4`, `zstd` | "));
	assert_non_null(strstr(text, "\n| `kafka.input` | list of strings | "
	                             "(required) | topic names | "));
	free(text);
}

/*
 * docs/configuration.md carries both references verbatim between their
 * markers (tests/deploy/check.sh --regen-docs rewrites the run one).
 */
static void test_reference_in_docs(void **state)
{
	static const struct {
		unsigned cmd;
		const char *begin;
	} blocks[] = {
	    {RS_CONFIG_RUN,
	     "<!-- BEGIN GENERATED: replyscan run --config-reference -->\n"},
	    {RS_CONFIG_CLASSIFY, "<!-- BEGIN GENERATED: replyscan classify "
	                         "--config-reference -->\n"},
	};
	FILE *f = fopen(RS_FIXTURES "/../../docs/configuration.md", "rb");
	char *doc = NULL;
	size_t len = 0;

	(void)state;
	assert_non_null(f);
	assert_int_equal(getdelim(&doc, &len, '\0', f) > 0, 1);
	fclose(f);
	for (size_t i = 0; i < sizeof(blocks) / sizeof(blocks[0]); i++) {
		char *ref = NULL;
		size_t reflen = 0;
		FILE *m = open_memstream(&ref, &reflen);
		const char *a = strstr(doc, blocks[i].begin), *b;

		assert_non_null(m);
		rs_config_print_reference(blocks[i].cmd, m);
		fclose(m);
		if (a == NULL) {
			fail_msg("docs/configuration.md lacks %s",
			         blocks[i].begin);
		}
		a += strlen(blocks[i].begin);
		b = strstr(a, "<!-- END GENERATED -->\n");
		assert_non_null(b);
		if ((size_t)(b - a) != reflen || memcmp(a, ref, reflen) != 0) {
			fail_msg("docs/configuration.md: the %s reference is "
			         "out of date; paste `replyscan %s "
			         "--config-reference` between its markers",
			         rs_config_cmd_name(blocks[i].cmd),
			         rs_config_cmd_name(blocks[i].cmd));
		}
		free(ref);
	}
	free(doc);
}

/* formats.pmta.fields and sources.* become the parsers' options; bad
 * values are refused naming where they were set. */
static void test_format_opts(void **state)
{
	rs_config_t cfg;
	rs_format_opts_t *opts;
	char err[512];

	(void)state;
	rs_config_init(&cfg);
	opts = rs_config_format_opts(&cfg, err, sizeof(err));
	assert_non_null(opts);
	assert_int_equal(rs_format_opts_source_count(opts), 0);
	assert_null(rs_format_opts_pmta_fields(opts));
	rs_format_opts_destroy(opts);

	assert_int_equal(rs_config_set(&cfg, "sources.postfix.mta3",
	                               "198.51.100.11 pool-b", "--set", err,
	                               sizeof(err)),
	                 0);
	assert_int_equal(rs_config_set(&cfg, "sources.postfix.out1/smtp",
	                               "- pool-c", "--set", err, sizeof(err)),
	                 0);
	assert_int_equal(rs_config_set(&cfg, "formats.pmta.fields",
	                               "type,timeLogged,rcpt,dsnDiag", "--set",
	                               err, sizeof(err)),
	                 0);
	opts = rs_config_format_opts(&cfg, err, sizeof(err));
	assert_non_null(opts);
	assert_int_equal(rs_format_opts_source_count(opts), 2);
	assert_non_null(rs_format_opts_pmta_fields(opts));
	rs_format_opts_destroy(opts);

	assert_int_equal(rs_config_set(&cfg, "sources.nosuch.x", "192.0.2.1",
	                               "--set", err, sizeof(err)),
	                 0);
	assert_null(rs_config_format_opts(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "--set: "));
	rs_config_free(&cfg);

	rs_config_init(&cfg);
	assert_int_equal(rs_config_set(&cfg, "sources.postfix", "192.0.2.1",
	                               "--set", err, sizeof(err)),
	                 -1);
	assert_non_null(strstr(err, "is not <format>.<key>"));
	assert_int_equal(rs_config_set(&cfg, "formats.pmta.fields",
	                               "timeLogged,rcpt", "--set", err,
	                               sizeof(err)),
	                 0);
	assert_null(rs_config_format_opts(&cfg, err, sizeof(err)));
	assert_non_null(strstr(err, "--set: "));
	assert_non_null(strstr(err, "type"));
	rs_config_free(&cfg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_defaults),
	    cmocka_unit_test(test_good_full),
	    cmocka_unit_test(test_good_flat_and_empty),
	    cmocka_unit_test(test_bad_files),
	    cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_set_overrides),
	    cmocka_unit_test(test_props_order),
	    cmocka_unit_test(test_value_parsing),
	    cmocka_unit_test(test_validate),
	    cmocka_unit_test(test_validate_exactly_once),
	    cmocka_unit_test(test_print),
	    cmocka_unit_test(test_reference),
	    cmocka_unit_test(test_format_opts),
	    cmocka_unit_test(test_reference_in_docs),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
