/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_log.c - the structured daemon log: exact logfmt and JSON records
 * under a fixed clock, quoting and escaping of field values, level
 * filtering, cut records and whole lines from concurrent threads.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <pthread.h>

#include "observe/log.h"

/* 2026-11-27T19:00:00.123Z */
static void fixed_clock(struct timespec *now)
{
	now->tv_sec = 1795806000;
	now->tv_nsec = 123456789;
}

typedef struct capture {
	char *data;
	size_t len;
	FILE *f;
} capture_t;

/* Log into memory at min_level in fmt, with the fixed clock. */
static int setup_capture(void **state)
{
	capture_t *c = calloc(1, sizeof(*c));

	assert_non_null(c);
	c->f = open_memstream(&c->data, &c->len);
	assert_non_null(c->f);
	rs_log_set_clock(fixed_clock);
	*state = c;
	return 0;
}

static int teardown_capture(void **state)
{
	capture_t *c = *state;

	rs_log_init(RS_LOG_INFO, RS_LOG_LOGFMT, NULL);
	rs_log_set_clock(NULL);
	fclose(c->f);
	free(c->data);
	free(c);
	return 0;
}

/* Everything written so far, NUL-terminated. */
static const char *captured(capture_t *c)
{
	fflush(c->f);
	return c->data;
}

static void test_logfmt_record(void **state)
{
	capture_t *c = *state;

	rs_log_init(RS_LOG_INFO, RS_LOG_LOGFMT, c->f);
	rs_log(RS_LOG_INFO, "kafka", "partitions assigned", "topic=%s count=%d",
	       "mta-logs", 3);
	rs_log(RS_LOG_ERROR, "main", "stopping", NULL);
	assert_string_equal(captured(c),
	                    "ts=2026-11-27T19:00:00.123Z level=info "
	                    "component=kafka msg=\"partitions assigned\" "
	                    "topic=mta-logs count=3\n"
	                    "ts=2026-11-27T19:00:00.123Z level=error "
	                    "component=main msg=stopping\n");
}

static void test_json_record(void **state)
{
	capture_t *c = *state;

	rs_log_init(RS_LOG_DEBUG, RS_LOG_JSON, c->f);
	rs_log(RS_LOG_INFO, "kafka", "partitions assigned", "topic=%s count=%d",
	       "mta-logs", 3);
	rs_log(RS_LOG_DEBUG, "kafka", "input paused", NULL);
	assert_string_equal(
	    captured(c),
	    "{\"ts\":\"2026-11-27T19:00:00.123Z\",\"level\":\"info\","
	    "\"component\":\"kafka\",\"msg\":\"partitions assigned\","
	    "\"topic\":\"mta-logs\",\"count\":\"3\"}\n"
	    "{\"ts\":\"2026-11-27T19:00:00.123Z\",\"level\":\"debug\","
	    "\"component\":\"kafka\",\"msg\":\"input paused\"}\n");
}

static void test_logfmt_quoting(void **state)
{
	capture_t *c = *state;

	rs_log_init(RS_LOG_INFO, RS_LOG_LOGFMT, c->f);
	/* The caller quotes a value; quotes inside it survive. */
	rs_log(RS_LOG_WARN, "kafka", "client error", "error=\"%s\" n=%d",
	       "broker \"b1\" down", 2);
	/* '=' and backslash force quotes; a bare %s with spaces is kept. */
	rs_log(RS_LOG_WARN, "x", "m", "expr=%s path=%s topic=%s count=%d",
	       "a=b", "C:\\dir", "my topic", 7);
	/* Control bytes, tabs, newlines, bad UTF-8, empty values. */
	rs_log(RS_LOG_WARN, "x", "two\nlines", "v=%s e= u=%s", "a\tb\x01",
	       "caf\xc3\xa9 \xff");
	assert_string_equal(
	    captured(c),
	    "ts=2026-11-27T19:00:00.123Z level=warn component=kafka "
	    "msg=\"client error\" error=\"broker \\\"b1\\\" down\" n=2\n"
	    "ts=2026-11-27T19:00:00.123Z level=warn component=x msg=m "
	    "expr=\"a=b\" path=\"C:\\\\dir\" topic=\"my topic\" count=7\n"
	    "ts=2026-11-27T19:00:00.123Z level=warn component=x "
	    "msg=\"two\\nlines\" v=\"a\\tb\\u0001\" e=\"\" "
	    "u=\"caf\xc3\xa9 \\ufffd\"\n");
}

static void test_json_escaping(void **state)
{
	capture_t *c = *state;
	json_error_t err;
	json_t *obj;

	rs_log_init(RS_LOG_INFO, RS_LOG_JSON, c->f);
	rs_log(RS_LOG_ERROR, "kafka", "say \"hi\"",
	       "error=\"%s\" path=%s bad=%s", "quote \" and \\", "a\nb",
	       "x\xc0y");
	assert_string_equal(captured(c),
	                    "{\"ts\":\"2026-11-27T19:00:00.123Z\","
	                    "\"level\":\"error\",\"component\":\"kafka\","
	                    "\"msg\":\"say \\\"hi\\\"\","
	                    "\"error\":\"quote \\\" and \\\\\","
	                    "\"path\":\"a\\nb\",\"bad\":\"x\\ufffdy\"}\n");
	obj = json_loads(captured(c), 0, &err);
	assert_non_null(obj);
	assert_string_equal(json_string_value(json_object_get(obj, "path")),
	                    "a\nb");
	json_decref(obj);
}

static void test_level_filter(void **state)
{
	capture_t *c = *state;

	rs_log_init(RS_LOG_WARN, RS_LOG_LOGFMT, c->f);
	assert_false(rs_log_enabled(RS_LOG_INFO));
	assert_true(rs_log_enabled(RS_LOG_WARN));
	assert_true(rs_log_enabled(RS_LOG_ERROR));
	rs_log(RS_LOG_DEBUG, "a", "debug", NULL);
	rs_log(RS_LOG_INFO, "a", "info", NULL);
	rs_log(RS_LOG_WARN, "a", "warn", NULL);
	rs_log(RS_LOG_ERROR, "a", "error", NULL);
	assert_string_equal(captured(c),
	                    "ts=2026-11-27T19:00:00.123Z level=warn "
	                    "component=a msg=warn\n"
	                    "ts=2026-11-27T19:00:00.123Z level=error "
	                    "component=a msg=error\n");
}

static void test_names(void **state)
{
	(void)state;
	assert_int_equal(rs_log_level_from_name("debug"), RS_LOG_DEBUG);
	assert_int_equal(rs_log_level_from_name("info"), RS_LOG_INFO);
	assert_int_equal(rs_log_level_from_name("warn"), RS_LOG_WARN);
	assert_int_equal(rs_log_level_from_name("error"), RS_LOG_ERROR);
	assert_int_equal(rs_log_level_from_name("INFO"), -1);
	assert_int_equal(rs_log_level_from_name("warning"), -1);
	assert_string_equal(rs_log_level_name(RS_LOG_WARN), "warn");
	assert_int_equal(rs_log_format_from_name("json"), RS_LOG_JSON);
	assert_int_equal(rs_log_format_from_name("logfmt"), RS_LOG_LOGFMT);
	assert_int_equal(rs_log_format_from_name("text"), -1);
	assert_string_equal(rs_log_format_name(RS_LOG_JSON), "json");
}

/* A value too long for one record is cut, the record stays readable. */
static void test_truncated(void **state)
{
	capture_t *c = *state;
	size_t n = 3 * RS_LOG_LINE_MAX;
	char *big = malloc(n + 1);
	const char *out;
	size_t len;
	json_error_t err;
	json_t *obj;

	assert_non_null(big);
	memset(big, 'x', n);
	big[n] = '\0';

	rs_log_init(RS_LOG_INFO, RS_LOG_LOGFMT, c->f);
	rs_log(RS_LOG_INFO, "a", "big", "v=\"%s\" after=1", big);
	out = captured(c);
	len = strlen(out);
	assert_true(len <= RS_LOG_LINE_MAX);
	assert_memory_equal(out, "ts=", 3);
	assert_true(len > 21);
	assert_string_equal(out + len - 21, "xxxx\" truncated=true\n");
	assert_ptr_equal(strchr(out, '\n'), out + len - 1);

	/* JSON: still one valid object, with the cut marked. */
	fclose(c->f);
	free(c->data);
	c->data = NULL;
	c->f = open_memstream(&c->data, &c->len);
	rs_log_init(RS_LOG_INFO, RS_LOG_JSON, c->f);
	rs_log(RS_LOG_INFO, "a", "big", "v=\"%s\" after=1", big);
	out = captured(c);
	assert_true(strlen(out) <= RS_LOG_LINE_MAX);
	obj = json_loads(out, 0, &err);
	assert_non_null(obj);
	assert_string_equal(
	    json_string_value(json_object_get(obj, "truncated")), "true");
	assert_true(strlen(json_string_value(json_object_get(obj, "v"))) >
	            RS_LOG_LINE_MAX / 2);
	assert_null(json_object_get(obj, "after"));
	json_decref(obj);
	free(big);
}

#define THREADS 8
#define PER_THREAD 500

static void *log_many(void *arg)
{
	long id = (long)arg;

	for (int i = 0; i < PER_THREAD; i++) {
		rs_log(RS_LOG_INFO, "t", "concurrent record",
		       "thread=%ld i=%d pad=\"%s\"", id, i,
		       "................................................");
	}
	return NULL;
}

/* Records from many threads never interleave. */
static void test_threads(void **state)
{
	FILE *f = tmpfile();
	pthread_t th[THREADS];
	static const char prefix[] = "ts=2026-11-27T19:00:00.123Z level=info "
				     "component=t msg=\"concurrent record\" "
				     "thread=";
	char line[1024];
	int lines = 0;

	(void)state;
	assert_non_null(f);
	rs_log_init(RS_LOG_INFO, RS_LOG_LOGFMT, f);
	for (long i = 0; i < THREADS; i++) {
		assert_int_equal(
		    pthread_create(&th[i], NULL, log_many, (void *)i), 0);
	}
	for (int i = 0; i < THREADS; i++) {
		pthread_join(th[i], NULL);
	}
	rewind(f);
	while (fgets(line, sizeof(line), f) != NULL) {
		assert_memory_equal(line, prefix, sizeof(prefix) - 1);
		assert_non_null(strstr(line, " pad=......"));
		assert_string_equal(line + strlen(line) - 3, "..\n");
		lines++;
	}
	assert_int_equal(lines, THREADS * PER_THREAD);
	fclose(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test_setup_teardown(test_logfmt_record, setup_capture,
	                                    teardown_capture),
	    cmocka_unit_test_setup_teardown(test_json_record, setup_capture,
	                                    teardown_capture),
	    cmocka_unit_test_setup_teardown(test_logfmt_quoting, setup_capture,
	                                    teardown_capture),
	    cmocka_unit_test_setup_teardown(test_json_escaping, setup_capture,
	                                    teardown_capture),
	    cmocka_unit_test_setup_teardown(test_level_filter, setup_capture,
	                                    teardown_capture),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test_setup_teardown(test_truncated, setup_capture,
	                                    teardown_capture),
	    cmocka_unit_test_setup_teardown(test_threads, setup_capture,
	                                    teardown_capture),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
