/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_pipeline.c - the batch ring between source, workers and sink, with
 * stand-in ends: batches reach the sink in order whatever the number of
 * workers and slots; every filled batch is released exactly once, also
 * when the sink or the source fails; the first error is the one reported;
 * the source is asked to stop on failure; idle ticks reach both ends; the
 * workers follow a rule set swapped while they run; the source thread's
 * prescan carries a stateful format's header and split records across
 * batches whatever worker takes them; feedback records are events that
 * are counted and not classified.
 *
 * The rules are the bundled ones (RS_RULES_DIR), loaded once per group.
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

#include "classify/rules.h"
#include "classify/ruleset.h"
#include "formats/pmta.h"
#include "pipeline/pipeline.h"
#include "replyscan/v1/event.pb-c.h"

/* A deferral the Postfix parser reads, and a line it skips. */
#define DEFER                                                                  \
	"Jul  5 10:00:00 mx postfix/smtp[2]: 3F1A2B4C5D: to=<u@example.com>, " \
	"relay=mx.example.com[192.0.2.1]:25, delay=1, "                        \
	"delays=0.1/0/0.5/0.4, dsn=4.7.0, status=deferred (host "              \
	"mx.example.com[192.0.2.1] said: 421 4.7.0 Not allowed (in reply to "  \
	"RCPT TO command))"
#define SKIP "Jul  5 10:00:00 mx postfix/smtpd[2]: connect from x[1.2.3.4]"

static rs_rules_t *rules;

static int group_setup(void **state)
{
	char err[1024];

	(void)state;
	rules = rs_rules_load(RS_RULES_DIR, err, sizeof(err));
	if (rules == NULL) {
		fprintf(stderr, "%s\n", err);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	rs_rules_destroy(rules);
	return 0;
}

/* ---------------------------------------------------------------- ends */

/* A source of nbatches batches; batch b holds (b % 7) + 1 lines, every
 * third one (lines 1, 4, 7, ...) a deferral. Line numbers run on across
 * batches. */
typedef struct fake_source {
	rs_source_t src;
	uint64_t nbatches;
	uint64_t filled;
	uint64_t fail_at; /* next() fails at this batch; 0: never */
	uint64_t released;
	uint64_t line_no;
	int stopped;
	unsigned ticks;
	uint64_t *released_seq; /* how often each seq was released */
	rs_ruleset_t *swap_set; /* swap to swap_rules at swap_at */
	rs_rules_t *swap_rules;
	uint64_t swap_at;
} fake_source_t;

static int fake_next(rs_source_t *s, rs_batch_t *b, char *err, size_t n)
{
	fake_source_t *fs = s->ctx;
	size_t lines;

	if (fs->fail_at != 0 && fs->filled == fs->fail_at) {
		snprintf(err, n, "source failed at batch %llu",
		         (unsigned long long)fs->filled);
		return -1;
	}
	if (fs->filled == fs->nbatches) {
		return 0;
	}
	if (fs->swap_set != NULL && fs->filled == fs->swap_at) {
		rs_ruleset_swap(fs->swap_set, fs->swap_rules);
		fs->swap_set = NULL;
	}
	lines = (size_t)(fs->filled % 7) + 1;
	b->source = "fake";
	b->len = 0;
	for (size_t i = 0; i < lines; i++) {
		const char *text = (fs->line_no % 3 == 0) ? DEFER : SKIP;
		size_t tl = strlen(text);
		if (b->len + tl > b->cap) {
			size_t cap = (b->len + tl) * 2 + 1024;
			char *p = realloc(b->data, cap);
			assert_non_null(p);
			b->data = p;
			b->cap = cap;
			/* Lines point into data: re-point them. */
			for (size_t k = 0, off = 0; k < b->nlines; k++) {
				b->lines[k].p = b->data + off;
				off += b->lines[k].len;
			}
		}
		memcpy(b->data + b->len, text, tl);
		assert_int_equal(rs_batch_add_line(b, b->data + b->len, tl,
		                                   ++fs->line_no, -1, 0),
		                 0);
		b->len += tl;
	}
	fs->filled++;
	return 1;
}

static void fake_release(rs_source_t *s, rs_batch_t *b)
{
	fake_source_t *fs = s->ctx;

	fs->released++;
	fs->released_seq[b->seq]++;
}

static void fake_stop(rs_source_t *s)
{
	((fake_source_t *)s->ctx)->stopped = 1;
}

static void fake_tick(rs_source_t *s)
{
	((fake_source_t *)s->ctx)->ticks++;
}

static void fake_source_init(fake_source_t *fs, uint64_t nbatches)
{
	memset(fs, 0, sizeof(*fs));
	fs->nbatches = nbatches;
	fs->released_seq = calloc(nbatches + 1, sizeof(uint64_t));
	assert_non_null(fs->released_seq);
	fs->src.next = fake_next;
	fs->src.release = fake_release;
	fs->src.stop = fake_stop;
	fs->src.tick = fake_tick;
	fs->src.ctx = fs;
}

/* A sink that checks the order and may fail or dawdle. */
typedef struct fake_sink {
	rs_sink_t sink;
	uint64_t next_seq;
	uint64_t last_line;
	uint64_t events;
	uint64_t fail_at; /* write() fails at this batch; 0: never */
	unsigned delay_us;
	unsigned ticks;
	int flushed;
	const rs_rules_t *expect_rules_after; /* see test_ruleset_swap */
	uint64_t swapped_events;
} fake_sink_t;

static int fake_write(rs_sink_t *s, rs_batch_t *b, char *err, size_t n)
{
	fake_sink_t *fk = s->ctx;

	if (b->seq != fk->next_seq) {
		snprintf(err, n, "batch %llu arrived, %llu expected",
		         (unsigned long long)b->seq,
		         (unsigned long long)fk->next_seq);
		return -1;
	}
	if (fk->fail_at != 0 && b->seq == fk->fail_at) {
		snprintf(err, n, "sink failed at batch %llu",
		         (unsigned long long)b->seq);
		return -1;
	}
	for (size_t i = 0; i < b->nlines; i++) {
		if (b->lines[i].line_no != fk->last_line + 1) {
			snprintf(err, n, "line %llu after %llu",
			         (unsigned long long)b->lines[i].line_no,
			         (unsigned long long)fk->last_line);
			return -1;
		}
		fk->last_line = b->lines[i].line_no;
	}
	for (size_t i = 0; i < b->nevents; i++) {
		/* Events come in line order within the batch. */
		if (i > 0 &&
		    b->events[i].line_idx <= b->events[i - 1].line_idx) {
			snprintf(err, n, "events out of line order");
			return -1;
		}
		if (b->events[i].cause == RS_CAUSE_UNCATEGORIZED) {
			fk->swapped_events++;
		}
	}
	fk->events += b->nevents;
	fk->next_seq++;
	if (fk->delay_us > 0) {
		usleep(fk->delay_us);
	}
	return 0;
}

static int fake_flush(rs_sink_t *s, char *err, size_t n)
{
	(void)err;
	(void)n;
	((fake_sink_t *)s->ctx)->flushed = 1;
	return 0;
}

static int fake_sink_tick(rs_sink_t *s, char *err, size_t n)
{
	(void)err;
	(void)n;
	((fake_sink_t *)s->ctx)->ticks++;
	return 0;
}

static void fake_sink_init(fake_sink_t *fk)
{
	memset(fk, 0, sizeof(*fk));
	fk->sink.write = fake_write;
	fk->sink.flush = fake_flush;
	fk->sink.tick = fake_sink_tick;
	fk->sink.ctx = fk;
}

static void conf_init(rs_pipeline_conf_t *conf, unsigned threads,
                      unsigned slots)
{
	memset(conf, 0, sizeof(*conf));
	conf->rules = rules;
	conf->encode = 1;
	conf->event_format = RS_EVENT_PB;
	conf->threads = threads;
	conf->slots = slots;
	conf->batch_bytes = 4096;
	conf->max_line = 1 << 20;
}

/* Deferral lines among the first n lines (lines 1, 4, 7, ...). */
static uint64_t deferrals(uint64_t n)
{
	return (n + 2) / 3;
}

/* --------------------------------------------------------------- tests */

static void test_order_and_release(void **state)
{
	static const unsigned shapes[][2] = {{1, 2}, {2, 2}, {4, 3}, {3, 16}};

	(void)state;
	for (size_t s = 0; s < sizeof(shapes) / sizeof(shapes[0]); s++) {
		fake_source_t fs;
		fake_sink_t fk;
		rs_pipeline_conf_t conf;
		rs_counts_t total;
		char err[512];

		fake_source_init(&fs, 500);
		fake_sink_init(&fk);
		conf_init(&conf, shapes[s][0], shapes[s][1]);
		assert_int_equal(rs_pipeline_run(&conf, &fs.src, &fk.sink,
		                                 &total, err, sizeof(err)),
		                 0);
		assert_int_equal(fk.next_seq, 500);
		assert_int_equal(fs.released, 500);
		for (uint64_t i = 0; i < 500; i++) {
			assert_int_equal(fs.released_seq[i], 1);
		}
		assert_int_equal(total.lines, fs.line_no);
		assert_int_equal(fk.last_line, fs.line_no);
		assert_int_equal(total.events, deferrals(fs.line_no));
		assert_int_equal(fk.events, total.events);
		assert_int_equal(total.skipped, total.lines - total.events);
		assert_int_equal(total.malformed, 0);
		assert_int_equal(total.by_cause_stage[RS_CAUSE_IP_POLICY_BLOCK]
		                                     [RS_STAGE_RCPT_TO],
		                 total.events);
		assert_true(fk.flushed);
		assert_false(fs.stopped);
		free(fs.released_seq);
	}
}

static void test_sink_failure(void **state)
{
	fake_source_t fs;
	fake_sink_t fk;
	rs_pipeline_conf_t conf;
	rs_counts_t total;
	char err[512];

	(void)state;
	fake_source_init(&fs, 1000);
	fake_sink_init(&fk);
	fk.fail_at = 10;
	conf_init(&conf, 3, 4);
	assert_int_equal(
	    rs_pipeline_run(&conf, &fs.src, &fk.sink, &total, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "sink failed at batch 10");
	assert_true(fs.stopped);
	assert_false(fk.flushed);
	/* Batches before the failure were written; none after. */
	assert_int_equal(fk.next_seq, 10);
	/* Every batch the source filled went back to it, once. */
	assert_int_equal(fs.released, fs.filled);
	for (uint64_t i = 0; i < fs.filled; i++) {
		assert_int_equal(fs.released_seq[i], 1);
	}
	free(fs.released_seq);
}

static void test_source_failure(void **state)
{
	fake_source_t fs;
	fake_sink_t fk;
	rs_pipeline_conf_t conf;
	rs_counts_t total;
	char err[512];

	(void)state;
	fake_source_init(&fs, 1000);
	fs.fail_at = 25;
	fake_sink_init(&fk);
	conf_init(&conf, 2, 6);
	assert_int_equal(
	    rs_pipeline_run(&conf, &fs.src, &fk.sink, &total, err, sizeof(err)),
	    -1);
	assert_string_equal(err, "source failed at batch 25");
	assert_int_equal(fs.filled, 25);
	assert_true(fk.next_seq <= 25);
	assert_int_equal(fs.released, fs.filled);
	for (uint64_t i = 0; i < fs.filled; i++) {
		assert_int_equal(fs.released_seq[i], 1);
	}
	free(fs.released_seq);
}

/* A slow sink: the source waits on a full ring and ticks; an empty
 * source (no batch at all) still flushes the sink. */
static void test_ticks_and_empty(void **state)
{
	fake_source_t fs;
	fake_sink_t fk;
	rs_pipeline_conf_t conf;
	rs_counts_t total;
	char err[512];

	(void)state;
	fake_source_init(&fs, 12);
	fake_sink_init(&fk);
	fk.delay_us = 80 * 1000; /* longer than RS_PIPELINE_TICK_MS */
	conf_init(&conf, 1, 2);
	assert_int_equal(
	    rs_pipeline_run(&conf, &fs.src, &fk.sink, &total, err, sizeof(err)),
	    0);
	assert_int_equal(fk.next_seq, 12);
	assert_true(fs.ticks > 0);
	free(fs.released_seq);

	fake_source_init(&fs, 0);
	fake_sink_init(&fk);
	assert_int_equal(
	    rs_pipeline_run(&conf, &fs.src, &fk.sink, &total, err, sizeof(err)),
	    0);
	assert_int_equal(total.lines, 0);
	assert_true(fk.flushed);
	free(fs.released_seq);
}

/*
 * The workers follow a swapped rule set: after the swap the Postfix
 * deferral meets a set with no rule for it (tests/fixtures/
 * rules-precedence), so its class comes from its codes, not the
 * bundled "Not allowed" rule.
 */
static void test_ruleset_swap(void **state)
{
	fake_source_t fs;
	fake_sink_t fk;
	rs_pipeline_conf_t conf;
	rs_counts_t total;
	rs_ruleset_t *set;
	rs_rules_t *first, *second;
	char err[1024];

	(void)state;
	first = rs_rules_load(RS_RULES_DIR, err, sizeof(err));
	second =
	    rs_rules_load(RS_FIXTURES "/rules-precedence", err, sizeof(err));
	assert_non_null(first);
	assert_non_null(second);
	set = rs_ruleset_new(first);
	assert_non_null(set);
	fake_source_init(&fs, 400);
	fs.swap_set = set;
	fs.swap_rules = second;
	fs.swap_at = 200;
	fake_sink_init(&fk);
	conf_init(&conf, 3, 4);
	conf.rules = NULL;
	conf.ruleset = set;
	assert_int_equal(
	    rs_pipeline_run(&conf, &fs.src, &fk.sink, &total, err, sizeof(err)),
	    0);
	assert_int_equal(rs_ruleset_generation(set), 2);
	/* Before the swap every deferral was ip_policy_block; after it
	 * (from batches filled once the swap was seen) none is. */
	assert_true(
	    total.by_cause_stage[RS_CAUSE_IP_POLICY_BLOCK][RS_STAGE_RCPT_TO] >
	    0);
	assert_true(
	    total.by_cause_stage[RS_CAUSE_IP_POLICY_BLOCK][RS_STAGE_RCPT_TO] <
	    total.events);
	rs_ruleset_destroy(set);
	free(fs.released_seq);
}

/* ------------------------------------------------ stateful formats */

/* A source of fixed batches of text lines (one file, lines numbered). */
typedef struct text_source {
	rs_source_t src;
	const char *const *const *batches; /* NULL-terminated line lists */
	size_t next;
	uint64_t line_no;
} text_source_t;

static int text_next(rs_source_t *s, rs_batch_t *b, char *err, size_t n)
{
	text_source_t *ts = s->ctx;
	const char *const *lines = ts->batches[ts->next];

	(void)err;
	(void)n;
	if (lines == NULL) {
		return 0;
	}
	ts->next++;
	b->source = "acct.csv";
	for (size_t i = 0; lines[i] != NULL; i++) {
		assert_int_equal(rs_batch_add_line(b, lines[i],
		                                   strlen(lines[i]),
		                                   ++ts->line_no, -1, 0),
		                 0);
	}
	b->input_ends = ts->batches[ts->next] == NULL;
	return 1;
}

/* A sink that keeps each event's line, cause and status, and of encoded
 * protobuf events the aggregated_count, domain and minute. */
typedef struct keep_sink {
	rs_sink_t sink;
	uint64_t line[64];
	uint8_t cause[64], status[64];
	uint32_t count[64];
	int64_t minute[64];
	char domain[64][32];
	size_t n;
	size_t handed; /* lines with the prescan's unwrap (unwrap_len) */
} keep_sink_t;

static int keep_write(rs_sink_t *s, rs_batch_t *b, char *err, size_t n)
{
	keep_sink_t *ks = s->ctx;

	(void)err;
	(void)n;
	for (size_t i = 0; i < b->nlines; i++) {
		ks->handed += b->lines[i].unwrap_len > 0;
	}
	for (size_t i = 0; i < b->nevents && ks->n < 64; i++) {
		const rs_event_meta_t *m = &b->events[i];

		/* A rollup names no line of the batch: its provenance
		 * (the last line it counts) is read from the event. */
		ks->line[ks->n] =
		    m->line_idx < b->nlines ? b->lines[m->line_idx].line_no : 0;
		ks->cause[ks->n] = m->cause;
		ks->status[ks->n] = m->status;
		if (m->len > 0) {
			Replyscan__V1__DeferralEvent *ev =
			    replyscan__v1__deferral_event__unpack(
				NULL, m->len,
				(const uint8_t *)b->out.data + m->off);

			assert_non_null(ev);
			ks->count[ks->n] = ev->aggregated_count;
			if (m->line_idx >= b->nlines) {
				ks->line[ks->n] = ev->line;
			}
			ks->minute[ks->n] = ev->log_time_unix_ms / 60000;
			snprintf(ks->domain[ks->n], sizeof(ks->domain[0]), "%s",
			         ev->recipient_domain);
			replyscan__v1__deferral_event__free_unpacked(ev, NULL);
		}
		ks->n++;
	}
	return 0;
}

#define SENT(time, id, rcpt, relay)                                            \
	"Jul  5 " time " mx postfix/smtp[2]: " id ": to=<" rcpt                \
	">, relay=" relay                                                      \
	"[192.0.2.9]:25, delay=1, delays=0.1/0/0.5/0.4, dsn=2.0.0, "           \
	"status=sent (250 2.0.0 OK)"

/* line as the message of a log shipper's JSON object ('"' and '\\'
 * escaped, so such a line is handed to the worker as a copy); a heap
 * string. */
static char *wrap_json(const char *line)
{
	static const char head[] = "{\"@timestamp\":\"2026-12-07T05:00:00Z\","
				   "\"message\":\"";
	size_t n = strlen(line), k = sizeof(head) - 1;
	char *w = malloc(k + 2 * n + 3);

	assert_non_null(w);
	memcpy(w, head, k);
	for (size_t i = 0; i < n; i++) {
		if (line[i] == '"' || line[i] == '\\') {
			w[k++] = '\\';
		}
		w[k++] = line[i];
	}
	memcpy(w + k, "\"}", 3);
	return w;
}

/*
 * include_sent: rollup: the delivered lines become one event per
 * (sending side, domain, MX, minute) with aggregated_count, across
 * batches: a minute is written once a later one is seen (with the batch
 * that shows it), and what is open at the end in a batch of its own. A
 * line of a minute already written (late) gives that minute a second
 * rollup. With a sink that flushes each batch (an exactly-once
 * transaction), each batch writes what it counted.
 */
static void test_rollup_sent(void **state)
{
	static const char *const b1[] = {
	    SENT("10:00:01", "3F1A2B4CA1", "a@gmail.com",
	         "gmail-smtp-in.l.google.com"),
	    DEFER,
	    SENT("10:00:02", "3F1A2B4CA2", "b@gmail.com",
	         "gmail-smtp-in.l.google.com"),
	    SENT("10:00:30", "3F1A2B4CA5", "e@example.org", "mx.example.org"),
	    SKIP,
	    NULL};
	static const char *const b2[] = {
	    SENT("10:00:40", "3F1A2B4CB1", "g@gmail.com",
	         "gmail-smtp-in.l.google.com"),
	    SENT("10:00:41", "3F1A2B4CB2", "f@example.org", "mx.example.org"),
	    NULL};
	static const char *const b3[] = {
	    SENT("10:01:00", "3F1A2B4CA4", "d@gmail.com",
	         "gmail-smtp-in.l.google.com"),
	    SENT("10:00:59", "3F1A2B4CA3", "c@gmail.com",
	         "gmail-smtp-in.l.google.com"),
	    NULL};
	static const char *const b4[] = {
	    SENT("10:00:58", "3F1A2B4CC1", "h@gmail.com",
	         "gmail-smtp-in.l.google.com"),
	    SENT("10:01:30", "3F1A2B4CC2", "i@gmail.com",
	         "gmail-smtp-in.l.google.com"),
	    NULL};
	static const char *const *const batches[] = {b1, b2, b3, b4, NULL};
	text_source_t ts;
	keep_sink_t ks;
	rs_pipeline_conf_t conf;
	rs_counts_t total;
	char err[256];
	uint32_t sum = 0;

	(void)state;
	memset(&ts, 0, sizeof(ts));
	ts.src.next = text_next;
	ts.src.ctx = &ts;
	ts.batches = batches;
	memset(&ks, 0, sizeof(ks));
	ks.sink.write = keep_write;
	ks.sink.ctx = &ks;
	memset(&conf, 0, sizeof(conf));
	conf.rules = rules;
	conf.threads = 1;
	conf.slots = 2;
	conf.encode = 1;
	conf.event_format = RS_EVENT_PB;
	conf.include_sent = RS_SENT_ROLLUP;
	assert_int_equal(
	    rs_pipeline_run(&conf, &ts.src, &ks.sink, &total, err, sizeof(err)),
	    0);
	assert_int_equal(total.lines, 11);
	assert_int_equal(total.rolled_up, 9);
	assert_int_equal(total.skipped, 1);
	/* the deferral; with batch 3 (10:01 seen) gmail@10:00 and
	 * example.org@10:00; with batch 4 the late gmail@10:00; at the end
	 * gmail@10:01 */
	assert_int_equal(total.events, 5);
	assert_int_equal(ks.n, 5);
	assert_int_equal(ks.status[0], RS_STATUS_DEFERRED);
	assert_int_equal(ks.count[0], 0);
	for (size_t i = 1; i < 5; i++) {
		assert_int_equal(ks.status[i], RS_STATUS_SENT);
		sum += ks.count[i];
	}
	assert_int_equal(sum, 9);
	/* In first-seen order, each with the last line it counts. */
	assert_string_equal(ks.domain[1], "gmail.com");
	assert_int_equal(ks.count[1], 4); /* of batches 1, 2 and 3 */
	assert_int_equal(ks.line[1], 9);
	assert_string_equal(ks.domain[2], "example.org");
	assert_int_equal(ks.count[2], 2);
	assert_int_equal(ks.line[2], 7);
	assert_int_equal(ks.minute[2], ks.minute[1]);
	assert_string_equal(ks.domain[3], "gmail.com"); /* late */
	assert_int_equal(ks.count[3], 1);
	assert_int_equal(ks.minute[3], ks.minute[1]);
	assert_int_equal(ks.line[3], 10);
	assert_string_equal(ks.domain[4], "gmail.com");
	assert_int_equal(ks.count[4], 2);
	assert_int_equal(ks.minute[4], ks.minute[1] + 1);
	assert_int_equal(ks.line[4], 11);

	/* A sink that flushes each batch: what each batch counted. */
	memset(&ts, 0, sizeof(ts));
	ts.src.next = text_next;
	ts.src.ctx = &ts;
	ts.batches = batches;
	memset(&ks, 0, sizeof(ks));
	ks.sink.write = keep_write;
	ks.sink.ctx = &ks;
	ks.sink.rollup_flush_each = 1;
	assert_int_equal(
	    rs_pipeline_run(&conf, &ts.src, &ks.sink, &total, err, sizeof(err)),
	    0);
	/* the deferral, 2 + 2 + 2 + 2 rollups */
	assert_int_equal(total.events, 9);
	sum = 0;
	for (size_t i = 1; i < ks.n; i++) {
		sum += ks.count[i];
	}
	assert_int_equal(sum, 9);
}

/* A Kafka-like source: each batch's lines on partition 0 of topic "t",
 * offsets counting from 100; the acknowledgements the sink would make. */
static const char *const topic_t = "t";

static int offsets_next(rs_source_t *s, rs_batch_t *b, char *err, size_t n)
{
	int rc = text_next(s, b, err, n);

	for (size_t i = 0; rc > 0 && i < b->nlines; i++) {
		b->lines[i].topic = topic_t;
		b->lines[i].partition = 0;
		b->lines[i].offset = 99 + (int64_t)b->lines[i].line_no;
		b->lines[i].line_no = 0;
	}
	b->source = NULL;
	return rc;
}

typedef struct pos_sink {
	rs_sink_t sink;
	int64_t acked[8];    /* per write: the position of t/0, -1 none */
	uint32_t counted[8]; /* per write: lines in its rollups */
	size_t n;
} pos_sink_t;

static int pos_write(rs_sink_t *s, rs_batch_t *b, char *err, size_t n)
{
	pos_sink_t *ps = s->ctx;

	(void)err;
	(void)n;
	assert_true(ps->n < 8);
	assert_true(b->has_positions);
	ps->acked[ps->n] = -1;
	for (size_t i = 0; i < b->npositions; i++) {
		assert_ptr_equal(b->positions[i].topic, topic_t);
		assert_int_equal(b->positions[i].partition, 0);
		ps->acked[ps->n] = b->positions[i].next_offset;
	}
	ps->counted[ps->n] = 0;
	for (size_t i = 0; i < b->nevents; i++) {
		const rs_event_meta_t *m = &b->events[i];
		Replyscan__V1__DeferralEvent *ev;

		if (m->status != RS_STATUS_SENT) {
			continue;
		}
		ev = replyscan__v1__deferral_event__unpack(
		    NULL, m->len, (const uint8_t *)b->out.data + m->off);
		assert_non_null(ev);
		ps->counted[ps->n] += ev->aggregated_count;
		replyscan__v1__deferral_event__free_unpacked(ev, NULL);
	}
	ps->n++;
	return 0;
}

/*
 * Input with offsets: a partition's position stops at the first line
 * still counted in an open rollup, so that no delivered line is
 * committed before its rollup is written, and reaches the end once it
 * is.
 */
static void test_rollup_positions(void **state)
{
	static const char *const b1[] = {
	    DEFER, /* offset 100 */
	    SENT("10:00:01", "3F1A2B4CA1", "a@gmail.com",
	         "gmail-smtp-in.l.google.com"), /* 101 */
	    NULL};
	static const char *const b2[] = {
	    SENT("10:00:40", "3F1A2B4CB1", "g@gmail.com",
	         "gmail-smtp-in.l.google.com"), /* 102 */
	    SKIP,                               /* 103 */
	    NULL};
	static const char *const b3[] = {
	    SENT("10:01:00", "3F1A2B4CA4", "d@gmail.com",
	         "gmail-smtp-in.l.google.com"), /* 104 */
	    DEFER,                              /* 105 */
	    NULL};
	static const char *const *const batches[] = {b1, b2, b3, NULL};
	text_source_t ts;
	pos_sink_t ps;
	rs_pipeline_conf_t conf;
	rs_counts_t total;
	char err[256];

	(void)state;
	memset(&ts, 0, sizeof(ts));
	ts.src.next = offsets_next;
	ts.src.ctx = &ts;
	ts.batches = batches;
	memset(&ps, 0, sizeof(ps));
	ps.sink.write = pos_write;
	ps.sink.ctx = &ps;
	memset(&conf, 0, sizeof(conf));
	conf.rules = rules;
	conf.threads = 2;
	conf.slots = 3;
	conf.encode = 1;
	conf.event_format = RS_EVENT_PB;
	conf.include_sent = RS_SENT_ROLLUP;
	assert_int_equal(
	    rs_pipeline_run(&conf, &ts.src, &ps.sink, &total, err, sizeof(err)),
	    0);
	assert_int_equal(ps.n, 4);          /* three batches and the end */
	assert_int_equal(ps.acked[0], 101); /* 101 is open */
	assert_int_equal(ps.counted[0], 0);
	assert_int_equal(ps.acked[1], 101); /* 101, 102 open */
	assert_int_equal(ps.counted[1], 0);
	assert_int_equal(ps.acked[2], 104); /* 10:00 written, 104 open */
	assert_int_equal(ps.counted[2], 2);
	assert_int_equal(ps.acked[3], 106); /* the end: all written */
	assert_int_equal(ps.counted[3], 1);
}

/*
 * A PowerMTA file whose header (reordered columns) is in the first batch
 * and whose rows, one split over a batch boundary, follow in later
 * batches: every row is read by the header, under pmta and under auto,
 * with 1 and 3 workers, and so is the same file line by line in a log
 * shipper's JSON object, whose unwrap the source thread's prescan hands to
 * the workers in the batch (through reused slots).
 */
static void test_stateful_across_batches(void **state)
{
	static const char *const b0[] = {"type,bounceCat,dsnDiag,rcpt", NULL};
	static const char *const b1[] = {
	    "b,bad-mailbox,smtp;550 5.1.1 No such user,a@x.example",
	    "t,policy-related,\"smtp;421-4.7.0 first", NULL};
	static const char *const b2[] = {
	    "421 4.7.0 [TSS04] Messages temporarily deferred\",b@x.example",
	    "f,,,c@x.example", NULL};
	static const char *const b3[] = {
	    "b,bad-mailbox,smtp;550 5.1.1 No such user,d@x.example", NULL};
	static const char *const *const batches[] = {b0, b1, b2, b3, NULL};
	/* The same lines in log shippers' JSON objects: the prescan unwraps
	 * each and hands it to the worker with the batch, whose slots (2)
	 * are reused by later batches. */
	char *w[6];
	const char *w0[] = {NULL, NULL}, *w1[] = {NULL, NULL, NULL},
		   *w2[] = {NULL, NULL, NULL}, *w3[] = {NULL, NULL};
	const char *const *const wrapped[] = {w0, w1, w2, w3, NULL};
	size_t k = 0;

	(void)state;
	for (size_t bi = 0; batches[bi] != NULL; bi++) {
		const char **out = (const char **)wrapped[bi];

		for (size_t i = 0; batches[bi][i] != NULL; i++) {
			w[k] = wrap_json(batches[bi][i]);
			out[i] = w[k++];
		}
	}
	assert_int_equal(k, 6);
	for (int mode = 0; mode < 8; mode++) {
		text_source_t ts;
		keep_sink_t ks;
		rs_pipeline_conf_t conf;
		rs_counts_t total;
		char err[256];

		memset(&ts, 0, sizeof(ts));
		ts.src.next = text_next;
		ts.src.ctx = &ts;
		ts.batches = (mode & 4) ? wrapped : batches;
		memset(&ks, 0, sizeof(ks));
		ks.sink.write = keep_write;
		ks.sink.ctx = &ks;
		memset(&conf, 0, sizeof(conf));
		conf.rules = rules;
		conf.input_format = (mode & 1) ? &rs_pmta_format : NULL;
		conf.threads = (mode & 2) ? 3 : 1;
		conf.slots = 2;
		assert_int_equal(rs_pipeline_run(&conf, &ts.src, &ks.sink,
		                                 &total, err, sizeof(err)),
		                 0);
		assert_int_equal(total.lines, 6);
		assert_int_equal(total.malformed, 0);
		assert_int_equal(total.events, 4);
		assert_int_equal(total.feedback, 1);
		/* Header and the absorbed first half of the split row. */
		assert_int_equal(total.skipped, 2);
		assert_int_equal(ks.n, 4);
		assert_int_equal(ks.line[0], 2);
		assert_int_equal(ks.cause[0], RS_CAUSE_USER_UNKNOWN);
		/* The split record is the event of its last line. */
		assert_int_equal(ks.line[1], 4);
		assert_int_equal(ks.status[1], RS_STATUS_DEFERRED);
		assert_int_equal(ks.cause[1], RS_CAUSE_SENDER_REPUTATION);
		/* Feedback: an event, never classified. */
		assert_int_equal(ks.line[2], 5);
		assert_int_equal(ks.status[2], RS_STATUS_FEEDBACK);
		assert_int_equal(ks.cause[2], RS_CAUSE_UNSPECIFIED);
		assert_int_equal(ks.line[3], 6);
		assert_int_equal(ks.handed, (mode & 4) ? 6 : 0);
	}
	for (size_t i = 0; i < k; i++) {
		free(w[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_order_and_release),
	    cmocka_unit_test(test_sink_failure),
	    cmocka_unit_test(test_source_failure),
	    cmocka_unit_test(test_ticks_and_empty),
	    cmocka_unit_test(test_ruleset_swap),
	    cmocka_unit_test(test_stateful_across_batches),
	    cmocka_unit_test(test_rollup_sent),
	    cmocka_unit_test(test_rollup_positions),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
