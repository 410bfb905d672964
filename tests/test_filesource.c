/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_filesource.c - files to batches of lines: splitting, line numbers,
 * oversized lines, gzip and zstd input, unreadable files, the end of each
 * file marked on its last batch, and a pipe read as a live feed (events of
 * records written into a pipe that stays open arrive within a second).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#include <cmocka.h>

#include "classify/rules.h"
#include "files/filesource.h"
#include "formats/pmta.h"

/* Collected lines of a whole run. */
typedef struct lines {
	char **text;
	size_t *len;
	uint64_t *no;
	int *flags;
	const char **source;
	int *ends; /* the line ends its batch and the batch its file */
	size_t n;
} lines_t;

static void lines_free(lines_t *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->text[i]);
	}
	free(l->text);
	free(l->len);
	free(l->no);
	free(l->flags);
	free(l->source);
	free(l->ends);
	memset(l, 0, sizeof(*l));
}

/* Drain a file source into l; returns the number of batches. */
static size_t drain(char **paths, size_t npaths, size_t batch, size_t max_line,
                    lines_t *l, size_t *failed)
{
	rs_filesource_t *fs = rs_filesource_new(paths, npaths, batch, max_line);
	rs_source_t *src = rs_filesource_source(fs);
	rs_batch_t b;
	char err[256];
	size_t nb = 0;

	memset(&b, 0, sizeof(b));
	memset(l, 0, sizeof(*l));
	for (;;) {
		int rc;

		rs_batch_reset(&b);
		rc = src->next(src, &b, err, sizeof(err));
		assert_true(rc >= 0);
		if (rc == 0) {
			break;
		}
		nb++;
		assert_true(b.nlines > 0);
		for (size_t i = 0; i < b.nlines; i++) {
			size_t k = l->n++;
			l->text = realloc(l->text, l->n * sizeof(char *));
			l->len = realloc(l->len, l->n * sizeof(size_t));
			l->no = realloc(l->no, l->n * sizeof(uint64_t));
			l->flags = realloc(l->flags, l->n * sizeof(int));
			l->source = realloc(l->source, l->n * sizeof(char *));
			l->ends = realloc(l->ends, l->n * sizeof(int));
			l->ends[k] = b.input_ends && i + 1 == b.nlines;
			l->text[k] = malloc(b.lines[i].len + 1);
			memcpy(l->text[k], b.lines[i].p, b.lines[i].len);
			l->text[k][b.lines[i].len] = '\0';
			l->len[k] = b.lines[i].len;
			l->no[k] = b.lines[i].line_no;
			l->flags[k] = b.lines[i].flags;
			l->source[k] = b.source;
		}
	}
	*failed = rs_filesource_failed_files(fs);
	rs_batch_free(&b);
	rs_filesource_destroy(fs);
	return nb;
}

/* Write n bytes to a new temporary file; returns its malloc'd path. */
static char *temp_file(const void *data, size_t n)
{
	char *path = strdup("/tmp/rs_test_fsXXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, n), (ssize_t)n);
	close(fd);
	return path;
}

static void test_split_and_number(void **state)
{
	static const char text[] = "one\r\ntwo\n\nfour\nlast-without-newline";
	char *path = temp_file(text, sizeof(text) - 1);
	lines_t l;
	size_t failed;

	(void)state;
	/* A tiny batch size forces lines to straddle reads. */
	drain(&path, 1, 3, 1024, &l, &failed);
	assert_int_equal(failed, 0);
	assert_int_equal(l.n, 5);
	/* The source keeps '\r'; the parser front strips it. */
	assert_string_equal(l.text[0], "one\r");
	assert_string_equal(l.text[1], "two");
	assert_string_equal(l.text[2], "");
	assert_string_equal(l.text[3], "four");
	assert_string_equal(l.text[4], "last-without-newline");
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(l.no[i], i + 1);
		assert_int_equal(l.flags[i], 0);
	}
	lines_free(&l);
	unlink(path);
	free(path);
}

static void test_oversized_line(void **state)
{
	size_t big = 3 * 1024 * 1024;
	char *data = malloc(big + 64);
	size_t n = 0;
	lines_t l;
	size_t failed;
	char *path;

	(void)state;
	n += (size_t)sprintf(data + n, "first\n");
	memset(data + n, 'x', 1024 * 1024); /* exactly 1 MiB: kept */
	n += 1024 * 1024;
	data[n++] = '\n';
	memset(data + n, 'y', big - 1024 * 1024 - 16); /* ~2 MiB: cut */
	n += big - 1024 * 1024 - 16;
	n += (size_t)sprintf(data + n, "\nafter\n");
	path = temp_file(data, n);
	drain(&path, 1, 64 * 1024, 1024 * 1024, &l, &failed);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.text[0], "first");
	assert_int_equal(l.len[1], 1024 * 1024);
	assert_int_equal(l.flags[1], 0);
	assert_int_equal(l.flags[2], RS_LINE_OVERSIZED);
	assert_int_equal(l.no[2], 3);
	assert_string_equal(l.text[3], "after");
	assert_int_equal(l.no[3], 4);
	lines_free(&l);
	unlink(path);
	free(path);
	free(data);
}

static void test_gzip_members_and_zstd(void **state)
{
	static const char a[] = "alpha\nbeta\n";
	static const char b[] = "gamma\n";
	unsigned char gz[512];
	size_t gzn = 0;
	unsigned char zs[512];
	size_t zsn;
	char *paths[3];
	lines_t l;
	size_t failed;

	(void)state;
	/* Two concatenated gzip members, as `cat a.gz b.gz` makes. */
	for (int m = 0; m < 2; m++) {
		const char *src = m ? b : a;
		z_stream z;
		memset(&z, 0, sizeof(z));
		assert_int_equal(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8,
		                              Z_DEFAULT_STRATEGY),
		                 Z_OK);
		z.next_in = (unsigned char *)src;
		z.avail_in = (uInt)strlen(src);
		z.next_out = gz + gzn;
		z.avail_out = (uInt)(sizeof(gz) - gzn);
		assert_int_equal(deflate(&z, Z_FINISH), Z_STREAM_END);
		gzn = sizeof(gz) - z.avail_out;
		deflateEnd(&z);
	}
	zsn = ZSTD_compress(zs, sizeof(zs), "delta\nepsilon", 13, 3);
	assert_false(ZSTD_isError(zsn));
	paths[0] = temp_file(gz, gzn);
	paths[1] = strdup("/nonexistent/replyscan-test.log");
	paths[2] = temp_file(zs, zsn);
	drain(paths, 3, 1 << 16, 1 << 20, &l, &failed);
	assert_int_equal(failed, 1);
	assert_int_equal(l.n, 5);
	assert_string_equal(l.text[0], "alpha");
	assert_string_equal(l.text[2], "gamma");
	assert_int_equal(l.no[2], 3);
	assert_string_equal(l.source[2], paths[0]);
	assert_string_equal(l.text[3], "delta");
	assert_int_equal(l.no[3], 1); /* numbering restarts per file */
	assert_string_equal(l.text[4], "epsilon");
	assert_string_equal(l.source[4], paths[2]);
	lines_free(&l);
	for (int i = 0; i < 3; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
}

static void test_corrupt_gzip(void **state)
{
	/* A gzip header followed by garbage: reported, not fatal. */
	static const unsigned char bad[] = {
	    0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff, 0x00};
	char *path = temp_file(bad, sizeof(bad));
	lines_t l;
	size_t failed;

	(void)state;
	drain(&path, 1, 4096, 4096, &l, &failed);
	assert_int_equal(failed, 1);
	assert_int_equal(l.n, 0);
	lines_free(&l);
	unlink(path);
	free(path);
}

/* The last batch of each file says the file ends there; no other. */
static void test_input_ends(void **state)
{
	static const char a[] = "a1\na2\na3\na4\n";
	static const char b[] = "b1\nb2";
	char *paths[2];
	lines_t l;
	size_t failed;

	(void)state;
	paths[0] = temp_file(a, sizeof(a) - 1);
	paths[1] = temp_file(b, sizeof(b) - 1);
	drain(paths, 2, 6, 1024, &l, &failed);
	assert_int_equal(l.n, 6);
	for (size_t i = 0; i < l.n; i++) {
		assert_int_equal(l.ends[i], i == 3 || i == 5);
	}
	lines_free(&l);
	for (int i = 0; i < 2; i++) {
		unlink(paths[i]);
		free(paths[i]);
	}
}

/* ------------------------------------------------------- live feed */

/* A sink that counts events; the count is read by another thread. */
typedef struct live_sink {
	rs_sink_t sink;
	pthread_mutex_t lock;
	uint64_t events;
} live_sink_t;

static int live_write(rs_sink_t *sink, rs_batch_t *b, char *err, size_t n)
{
	live_sink_t *ls = sink->ctx;

	(void)err;
	(void)n;
	pthread_mutex_lock(&ls->lock);
	ls->events += b->nevents;
	pthread_mutex_unlock(&ls->lock);
	return 0;
}

typedef struct live_run {
	rs_pipeline_conf_t conf;
	rs_filesource_t *fs;
	live_sink_t *ls;
	rs_counts_t totals;
	int rc;
	char err[256];
} live_run_t;

static void *live_main(void *arg)
{
	live_run_t *lr = arg;

	lr->rc = rs_pipeline_run(&lr->conf, rs_filesource_source(lr->fs),
	                         &lr->ls->sink, &lr->totals, lr->err,
	                         sizeof(lr->err));
	return NULL;
}

/* Wait up to ms for the sink to have want events; the count seen. */
static uint64_t wait_events(live_sink_t *ls, uint64_t want, int ms)
{
	uint64_t got = 0;

	for (int waited = 0; waited <= ms; waited += 10) {
		pthread_mutex_lock(&ls->lock);
		got = ls->events;
		pthread_mutex_unlock(&ls->lock);
		if (got >= want) {
			break;
		}
		usleep(10 * 1000);
	}
	return got;
}

/*
 * `acct-file | replyscan classify --input-format pmta -`: records written
 * into a pipe that stays open give their events within a second, batch
 * size 1 MiB notwithstanding; more records later give theirs too.
 */
static void test_live_pipe(void **state)
{
	static const char first[] =
	    "type,timeLogged,rcpt,dsnStatus,dsnDiag,bounceCat\n"
	    "t,1691595584,a@x.example,4.7.0 (x),smtp;421 4.7.0 Try later,"
	    "policy-related\n"
	    "b,1691595585,b@x.example,5.1.1 (x),smtp;550 5.1.1 No such user,"
	    "bad-mailbox\n";
	static const char second[] =
	    "b,1691595586,c@x.example,5.1.1 (x),smtp;550 5.1.1 No such user,"
	    "bad-mailbox\n";
	live_sink_t ls;
	live_run_t lr;
	pthread_t t;
	char path[64];
	char err[1024];
	char *paths[1];
	int fds[2];
	rs_rules_t *rules;

	(void)state;
	rules = rs_rules_load(RS_RULES_DIR, err, sizeof(err));
	assert_non_null(rules);
	assert_int_equal(pipe(fds), 0);
	snprintf(path, sizeof(path), "/dev/fd/%d", fds[0]);
	paths[0] = path;
	memset(&ls, 0, sizeof(ls));
	pthread_mutex_init(&ls.lock, NULL);
	ls.sink.write = live_write;
	ls.sink.ctx = &ls;
	memset(&lr, 0, sizeof(lr));
	lr.conf.rules = rules;
	lr.conf.input_format = &rs_pmta_format;
	lr.conf.encode = 1;
	lr.conf.threads = 2;
	lr.conf.batch_bytes = 1024 * 1024;
	lr.conf.max_line = 1024 * 1024;
	lr.fs =
	    rs_filesource_new(paths, 1, lr.conf.batch_bytes, lr.conf.max_line);
	lr.ls = &ls;
	assert_non_null(lr.fs);
	assert_int_equal(pthread_create(&t, NULL, live_main, &lr), 0);

	assert_int_equal(write(fds[1], first, sizeof(first) - 1),
	                 (ssize_t)(sizeof(first) - 1));
	assert_int_equal(wait_events(&ls, 2, 1000), 2);
	assert_int_equal(write(fds[1], second, sizeof(second) - 1),
	                 (ssize_t)(sizeof(second) - 1));
	assert_int_equal(wait_events(&ls, 3, 1000), 3);

	close(fds[1]);
	assert_int_equal(pthread_join(t, NULL), 0);
	assert_int_equal(lr.rc, 0);
	assert_int_equal(lr.totals.lines, 4);
	assert_int_equal(lr.totals.events, 3);
	close(fds[0]);
	rs_filesource_destroy(lr.fs);
	pthread_mutex_destroy(&ls.lock);
	rs_rules_destroy(rules);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_split_and_number),
	    cmocka_unit_test(test_oversized_line),
	    cmocka_unit_test(test_gzip_members_and_zstd),
	    cmocka_unit_test(test_corrupt_gzip),
	    cmocka_unit_test(test_input_ends),
	    cmocka_unit_test(test_live_pipe),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
