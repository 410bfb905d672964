/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline.h - one pipeline with pluggable ends: a source yields batches of
 * lines with their provenance, N workers parse, classify and encode them,
 * and a sink writes the events in input order and reports what is safely
 * written through the source's ack callback, so that the source can
 * commit. Source and sink know each other only through these two
 * interfaces.
 *
 * Threads: the source runs on its own thread (rs_source_t.next), the
 * workers on N threads (rs_pipeline_process), the sink on the thread that
 * called rs_pipeline_run (rs_sink_t.write, then rs_source_t.release).
 * Batches travel through a fixed ring of slots guarded by one mutex that
 * is taken once per batch, never per line; memory is bounded by the ring
 * size times the batch size.
 *
 * Stateful formats (formats/format.h: a PowerMTA header read before its
 * rows, a qmail "starting delivery" line before its result): workers take
 * batches in any order, so what one line tells about later lines cannot
 * be learnt there. The source thread therefore runs the format's prescan
 * over each batch right after rs_source_t.next filled it and before the
 * batch is published to the workers (pipeline/prescan.h): sequentially,
 * in input order, with one run state per stateful format (made when the
 * run starts, freed when it ends). The prescan attaches side data to a
 * line (rs_line_t.aux_*, bytes in rs_batch_t.aux, which the batch owns
 * and frees with its lines) or marks it absorbed into a record a later
 * line carries. With an explicit stateless format nothing runs; under
 * "auto" a stateful format's prescan sees only lines its scan_wants()
 * accepts by their first bytes (or every line while it holds an open
 * record).
 */
#ifndef RS_PIPELINE_H
#define RS_PIPELINE_H

#include <stddef.h>
#include <stdint.h>

#include "util/buf.h"
#include "classify/classify.h"
#include "event/event.h"
#include "formats/format.h"
#include "classify/rules.h"
#include "event/taxonomy.h"

#define RS_LINE_OVERSIZED 1 /* the line was longer than max_line; cut */
#define RS_LINE_ABSORBED 2  /* part of a record a later line carries */

/* A record's arena, a worker's and the prescan's alike (an envelope's line
 * unwrapped in the one fits the other): decoded strings of one record
 * never exceed the line; capped at 64 KiB. */
#define RS_PIPELINE_ARENA (64 * 1024)

typedef struct rs_line {
	const char *p;
	size_t len;
	uint64_t line_no;  /* 1-based line of a file; 0 for Kafka */
	int64_t offset;    /* Kafka offset; -1 for files */
	int32_t partition; /* Kafka partition; -1 for files */
	int flags;
	const char *topic; /* Kafka topic, owned by the source; NULL: file */
	int64_t ts_ms;     /* Kafka message timestamp; 0 for files */
	/* Side data of a stateful format's prescan: bytes [aux_off, aux_off
	 * + aux_len) of the batch's aux, read only by aux_format's parse. */
	size_t aux_off;
	size_t aux_len;
	const rs_format_t *aux_format;
	/* The prescan's unwrap of a log shipper's JSON object, bytes
	 * [unwrap_off, unwrap_off + unwrap_len) of the batch's aux, handed
	 * to the parse as they are (rs_logline_t.unwrapped); len 0: none. */
	size_t unwrap_off;
	size_t unwrap_len;
} rs_line_t;

/* Which field keys an event (Kafka message key, summary grouping). */
typedef enum rs_key {
	RS_KEY_NONE = 0,
	RS_KEY_RECIPIENT_DOMAIN,
	RS_KEY_LOG_HOST,
	RS_KEY_REMOTE_HOST,
} rs_key_t;

/* One event written into a batch's output. */
typedef struct rs_event_meta {
	size_t off, len;         /* bytes in batch->out */
	size_t key_off, key_len; /* bytes in batch->keys */
	uint32_t line_idx;
	uint8_t cause, stage, status;
} rs_event_meta_t;

/* A line that could not be read, with a static reason. */
typedef struct rs_bad_line {
	uint32_t line_idx;
	const char *why;
} rs_bad_line_t;

/* Delivered lines: skipped, one event each, or rolled up (rollup.h).
 * The values of pipeline.include_sent (rs_config_sent_t). */
typedef enum rs_sent {
	RS_SENT_SKIP = 0,
	RS_SENT_EACH = 1,
	RS_SENT_ROLLUP = 2,
} rs_sent_t;

typedef struct rs_counts {
	uint64_t lines;
	uint64_t bytes;
	uint64_t events;
	uint64_t skipped;   /* not delivery outcomes (and sent, unless --all) */
	uint64_t rolled_up; /* delivered lines counted in rollup events */
	uint64_t malformed; /* claimed a format but could not be read */
	uint64_t feedback;  /* events of feedback-loop complaints (in events) */
	uint64_t by_cause_stage[RS_CAUSE__COUNT][RS_STAGE__COUNT];
} rs_counts_t;

/* Where the input of one partition may be committed up to. */
typedef struct rs_position {
	const char *topic; /* the source's own name */
	int32_t partition;
	int64_t next_offset;
} rs_position_t;

struct rs_rollup;

typedef struct rs_batch {
	uint64_t seq;
	const char
	    *source; /* file path, "-", or NULL when lines carry topics */
	/* input, filled by the source */
	char *data;
	size_t len, cap;
	rs_line_t *lines;
	size_t nlines, lines_cap;
	void *source_ref; /* the source's own handle (Kafka messages) */
	int input_ends;   /* the last line ends its input (end of a file) */
	/* The source's rewind generation (Kafka exactly-once, kafka/txnsync.h):
	 * a sink drops a batch read before its last abort. 0 elsewhere. */
	uint64_t epoch;
	rs_buf_t aux; /* side data of the lines (prescan, source thread) */
	/* output, filled by a worker */
	rs_buf_t out;
	rs_buf_t keys;
	rs_event_meta_t *events;
	size_t nevents, events_cap;
	rs_bad_line_t *bad;
	size_t nbad, bad_cap;
	rs_counts_t counts;
	int failed; /* out of memory while processing */
	/* include_sent: rollup. The batch's delivered lines, counted by its
	 * worker (rollup.h; made on first use, owned by the batch). */
	struct rs_rollup *rollup;
	/* Set by the pipeline when rollups stay open across batches: the
	 * input positions the sink may acknowledge after writing this
	 * batch, in place of its lines' own (a partition's position stops
	 * at the first line still counted in an open rollup). */
	int has_positions;
	rs_position_t *positions;
	size_t npositions, positions_cap;
} rs_batch_t;

typedef struct rs_source rs_source_t;
struct rs_source {
	/* Fill an empty batch. 1 = filled, 0 = end of input, -1 = error. */
	int (*next)(rs_source_t *src, rs_batch_t *batch, char *errstr,
	            size_t errstr_size);
	/* After the sink wrote the batch: drop references (optional). */
	void (*release)(rs_source_t *src, rs_batch_t *batch);
	/* Ask a blocking next() to return 0 soon (optional; any thread). */
	void (*stop)(rs_source_t *src);
	/* Called about every RS_PIPELINE_TICK_MS while the ring is full and
	 * the source waits for a free slot (optional; source thread): time to
	 * pause input and serve the consumer's callbacks. */
	void (*tick)(rs_source_t *src);
	/* Every line of topic/partition before next_offset is written, with
	 * the events made from it, and so is every earlier line: the source
	 * may commit it (optional; a source without offsets leaves it NULL).
	 * Called by a sink that knows when its writes are durable, in input
	 * order per partition, on the sink thread while the source thread
	 * runs: the source guards what it shares. */
	void (*ack)(rs_source_t *src, const char *topic, int32_t partition,
	            int64_t next_offset);
	void *ctx;
};

typedef struct rs_sink rs_sink_t;
struct rs_sink {
	/* Write one processed batch; batches arrive in seq order. 0 or -1. */
	int (*write)(rs_sink_t *sink, rs_batch_t *batch, char *errstr,
	             size_t errstr_size);
	/* Make everything written durable (optional). 0 or -1. */
	int (*flush)(rs_sink_t *sink, char *errstr, size_t errstr_size);
	/* Called about every RS_PIPELINE_TICK_MS while no batch is ready
	 * (optional; sink thread): time to serve delivery reports. 0 or -1. */
	int (*tick)(rs_sink_t *sink, char *errstr, size_t errstr_size);
	void *ctx;
	/* Rollups (include_sent: rollup) may stay open across batches only
	 * when the sink acknowledges input positions no further than
	 * rs_batch_t.positions says (or acknowledges none). A sink that
	 * commits by itself (an exactly-once transaction) sets this: every
	 * rollup is then written with the batch its lines end in. */
	int rollup_flush_each;
};

#define RS_PIPELINE_TICK_MS 50

typedef struct rs_ruleset rs_ruleset_t;

typedef struct rs_pipeline_conf {
	const rs_rules_t *rules; /* fixed rules, used when ruleset is NULL */
	rs_ruleset_t *ruleset;   /* replaceable rules (SIGHUP), or NULL */
	const rs_format_t *input_format; /* NULL: auto */
	/* Options of the parsers (formats/format_opts.h), borrowed for the
	 * run; NULL: the defaults. */
	const rs_format_opts_t *format_opts;
	rs_event_format_t event_format;
	int encode;       /* 0: classify and count only (summary) */
	int include_sent; /* rs_sent_t: --all, --rollup */
	/* include_sent: rollup: the log-time interval of one rollup (0: a
	 * minute); an open one is written when a later interval is seen,
	 * after as long again without input, and at the end. */
	int64_t rollup_interval_ms;
	rs_key_t key;
	unsigned threads;   /* worker threads, >= 1 */
	unsigned slots;     /* batches in flight; 0: the default below */
	size_t batch_bytes; /* target input bytes per batch */
	size_t max_line;    /* longer lines are cut and counted malformed */
	/* A worker could not take a replaced rule set (no scratch for it)
	 * and keeps classifying with the one it has: told once per worker
	 * and set, on the worker's thread (optional). */
	void (*rules_stale)(void *ctx, const char *why);
	void *rules_stale_ctx;
} rs_pipeline_conf_t;

/* Per-worker state: record arena, classifier scratch, event encoder. */
typedef struct rs_worker rs_worker_t;

rs_worker_t *rs_worker_new(const rs_pipeline_conf_t *conf, char *errstr,
                           size_t errstr_size);
void rs_worker_destroy(rs_worker_t *w);

/*
 * Parse, classify and encode every line of batch (whose output part must
 * be reset). A feedback record (status feedback) is an event but is not
 * classified: it is a complaint, not a reply. @locality worker thread;
 * allocates only to grow the batch.
 */
void rs_pipeline_process(rs_worker_t *w, rs_batch_t *batch);

/* Reset a batch's input and output for reuse, keeping its memory. */
void rs_batch_reset(rs_batch_t *batch);
void rs_batch_free(rs_batch_t *batch);

/* Add a line to a batch (the source's helper); partition -1, topic NULL.
 * 0, or -1 out of memory. */
int rs_batch_add_line(rs_batch_t *batch, const char *p, size_t len,
                      uint64_t line_no, int64_t offset, int flags);

/*
 * Line i of a filled batch as its parse reads it (the workers'): the
 * bytes, the prescan's side data and its unwrap of an envelope; the
 * options and drop_sent are the caller's to set.
 */
void rs_batch_logline(const rs_batch_t *batch, size_t i, rs_logline_t *ll);

/* Add src's counters into dst. */
void rs_counts_add(rs_counts_t *dst, const rs_counts_t *src);

/*
 * Batches in flight when none are configured: two per worker and two
 * more, so that each worker has one while the source fills one and the
 * sink drains one. The one place this number is made.
 */
unsigned rs_pipeline_default_slots(unsigned threads);

/*
 * Run source -> workers -> sink until the source ends, a stage fails or
 * the source is stopped. Totals go to *total. 0, or -1 with errstr.
 */
int rs_pipeline_run(const rs_pipeline_conf_t *conf, rs_source_t *src,
                    rs_sink_t *sink, rs_counts_t *total, char *errstr,
                    size_t errstr_size);

#endif
