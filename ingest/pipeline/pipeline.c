/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pipeline.c - the batch ring between source, workers and sink.
 *
 * The ring has conf->slots (default rs_pipeline_default_slots) slots. Each slot
 * moves FREE -> FILLED (source) -> BUSY (a worker) -> DONE (worker) -> FREE
 * (sink, in seq order). One mutex and three condition variables guard the slot
 * states; the work itself happens outside the lock. A failure anywhere sets
 * `abort`, wakes everyone, and the first error's text is kept. The source
 * thread runs the stateful formats' prescans (pipeline/prescan.c) on each
 * batch it filled, before marking it FILLED.
 *
 * Length (about 950 lines): the ring, the workers and the in-order sink
 * share the slot states and their one lock; split apart, each piece would
 * need the others' invariants. The rollup tables the workers fill and the
 * sinks merge live in pipeline/rollup.c.
 */
#include "pipeline/pipeline.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "event/record.h"
#include "classify/ruleset.h"
#include "pipeline/prescan.h"
#include "pipeline/rollup.h"

/* ------------------------------------------------------------------ */
/* Batches                                                             */
/* ------------------------------------------------------------------ */

void rs_batch_reset(rs_batch_t *batch)
{
	batch->len = 0;
	batch->nlines = 0;
	batch->source = NULL;
	batch->source_ref = NULL;
	batch->input_ends = 0;
	batch->epoch = 0;
	rs_buf_reset(&batch->aux);
	rs_buf_reset(&batch->out);
	rs_buf_reset(&batch->keys);
	batch->nevents = 0;
	batch->nbad = 0;
	batch->failed = 0;
	memset(&batch->counts, 0, sizeof(batch->counts));
	if (batch->rollup != NULL) {
		rs_rollup_reset(batch->rollup);
	}
	batch->has_positions = 0;
	batch->npositions = 0;
}

void rs_batch_free(rs_batch_t *batch)
{
	free(batch->data);
	free(batch->lines);
	rs_buf_free(&batch->aux);
	rs_buf_free(&batch->out);
	rs_buf_free(&batch->keys);
	free(batch->events);
	free(batch->bad);
	rs_rollup_destroy(batch->rollup);
	free(batch->positions);
	memset(batch, 0, sizeof(*batch));
}

/* Grow an array of elem-sized items to hold one more; -1 when out of memory. */
static int grow(void **arr, size_t *cap, size_t n, size_t elem)
{
	void *p;
	size_t ncap;

	if (n < *cap) {
		return 0;
	}
	ncap = *cap ? *cap * 2 : 256;
	p = realloc(*arr, ncap * elem);
	if (p == NULL) {
		return -1;
	}
	*arr = p;
	*cap = ncap;
	return 0;
}

int rs_batch_add_line(rs_batch_t *batch, const char *p, size_t len,
                      uint64_t line_no, int64_t offset, int flags)
{
	rs_line_t *l;

	if (grow((void **)&batch->lines, &batch->lines_cap, batch->nlines,
	         sizeof(rs_line_t)) < 0) {
		return -1;
	}
	l = &batch->lines[batch->nlines++];
	l->p = p;
	l->len = len;
	l->line_no = line_no;
	l->offset = offset;
	l->partition = -1;
	l->topic = NULL;
	l->ts_ms = 0;
	l->flags = flags;
	l->aux_off = 0;
	l->aux_len = 0;
	l->aux_format = NULL;
	l->unwrap_off = 0;
	l->unwrap_len = 0;
	return 0;
}

void rs_batch_logline(const rs_batch_t *batch, size_t i, rs_logline_t *ll)
{
	const rs_line_t *line = &batch->lines[i];

	rs_logline_init(ll, line->p, line->len);
	if (line->aux_len > 0) {
		ll->aux = batch->aux.data + line->aux_off;
		ll->aux_len = line->aux_len;
		ll->aux_format = line->aux_format;
	}
	if (line->unwrap_len > 0) {
		ll->unwrapped = batch->aux.data + line->unwrap_off;
		ll->unwrapped_len = line->unwrap_len;
	}
}

void rs_counts_add(rs_counts_t *dst, const rs_counts_t *src)
{
	dst->lines += src->lines;
	dst->bytes += src->bytes;
	dst->events += src->events;
	dst->skipped += src->skipped;
	dst->rolled_up += src->rolled_up;
	dst->malformed += src->malformed;
	dst->feedback += src->feedback;
	for (int c = 0; c < RS_CAUSE__COUNT; c++) {
		for (int s = 0; s < RS_STAGE__COUNT; s++) {
			dst->by_cause_stage[c][s] += src->by_cause_stage[c][s];
		}
	}
}

/* ------------------------------------------------------------------ */
/* Workers                                                             */
/* ------------------------------------------------------------------ */

struct rs_worker {
	const rs_pipeline_conf_t *conf;
	const rs_rules_t *rules; /* referenced from conf->ruleset, or fixed */
	uint64_t generation;
	uint64_t stale_generation; /* a set it could not take; 0: none */
	rs_rules_scratch_t *scratch;
	rs_event_encoder_t *enc;
	rs_record_t rec;
	char *arena;
};

rs_worker_t *rs_worker_new(const rs_pipeline_conf_t *conf, char *errstr,
                           size_t errstr_size)
{
	rs_worker_t *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		snprintf(errstr, errstr_size, "out of memory");
		return NULL;
	}
	w->conf = conf;
	w->arena = malloc(RS_PIPELINE_ARENA);
	w->enc = rs_event_encoder_new();
	if (w->arena == NULL || w->enc == NULL) {
		snprintf(errstr, errstr_size, "out of memory");
		goto fail;
	}
	if (conf->ruleset != NULL) {
		w->rules = rs_ruleset_acquire(conf->ruleset, &w->generation);
	} else {
		w->rules = conf->rules;
	}
	w->scratch = rs_rules_scratch_new(w->rules, errstr, errstr_size);
	if (w->scratch == NULL) {
		goto fail;
	}
	w->rec.arena = w->arena;
	w->rec.arena_cap = RS_PIPELINE_ARENA;
	return w;
fail:
	rs_worker_destroy(w);
	return NULL;
}

void rs_worker_destroy(rs_worker_t *w)
{
	if (w == NULL) {
		return;
	}
	rs_rules_scratch_destroy(w->scratch);
	if (w->conf->ruleset != NULL && w->rules != NULL) {
		rs_ruleset_release(w->conf->ruleset, w->rules);
	}
	rs_event_encoder_destroy(w->enc);
	free(w->arena);
	free(w);
}

/* Wall clock in Unix ms. */
static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Record a bad line; out of memory only loses the detail, not the count. */
static void add_bad(rs_batch_t *batch, size_t idx, const char *why)
{
	batch->counts.malformed++;
	if (grow((void **)&batch->bad, &batch->bad_cap, batch->nbad,
	         sizeof(rs_bad_line_t)) == 0) {
		batch->bad[batch->nbad].line_idx = (uint32_t)idx;
		batch->bad[batch->nbad].why = why ? why : "unreadable line";
		batch->nbad++;
	}
}

/* The slice that keys an event. */
static rs_str_t event_key(rs_key_t key, const rs_record_t *rec)
{
	switch (key) {
	case RS_KEY_RECIPIENT_DOMAIN:
		return rec->recipient_domain;
	case RS_KEY_LOG_HOST:
		return rec->log_host;
	case RS_KEY_REMOTE_HOST:
		return rec->remote_host;
	case RS_KEY_NONE:
		break;
	}
	return RS_STR_NULL;
}

/*
 * Move to the current rule set if it was replaced since the last batch.
 * A set whose scratch cannot be made is not taken; the old one stays,
 * and conf->rules_stale hears of it once per set.
 */
static void follow_ruleset(rs_worker_t *w)
{
	rs_ruleset_t *set = w->conf->ruleset;
	const rs_rules_t *rules;
	rs_rules_scratch_t *scratch;
	uint64_t gen;
	char err[256];

	if (set == NULL || rs_ruleset_generation(set) == w->generation) {
		return;
	}
	rules = rs_ruleset_acquire(set, &gen);
	scratch = rs_rules_scratch_new(rules, err, sizeof(err));
	if (scratch == NULL) {
		rs_ruleset_release(set, rules);
		if (gen != w->stale_generation) {
			w->stale_generation = gen;
			if (w->conf->rules_stale != NULL) {
				w->conf->rules_stale(w->conf->rules_stale_ctx,
				                     err);
			}
		}
		return;
	}
	rs_rules_scratch_destroy(w->scratch);
	rs_ruleset_release(set, w->rules);
	w->rules = rules;
	w->scratch = scratch;
	w->generation = gen;
}

/* Append one event for batch->events (meta of line i, record rec). 0, or
 * -1 when out of memory (batch failed). */
static int emit(rs_worker_t *w, rs_batch_t *batch, size_t i,
                const rs_record_t *rec, const rs_verdict_t *verdict,
                int64_t ingest)
{
	const rs_pipeline_conf_t *conf = w->conf;
	const rs_line_t *line = &batch->lines[i];
	rs_event_meta_t *m;
	rs_provenance_t prov;
	size_t before;

	if (grow((void **)&batch->events, &batch->events_cap, batch->nevents,
	         sizeof(rs_event_meta_t)) < 0) {
		batch->failed = 1;
		return -1;
	}
	m = &batch->events[batch->nevents++];
	m->line_idx = (uint32_t)i;
	m->cause = (uint8_t)verdict->cause;
	m->stage = (uint8_t)rec->stage;
	m->status = (uint8_t)rec->status;
	m->key_off = batch->keys.len;
	{
		rs_str_t k = event_key(conf->key, rec);
		rs_buf_append(&batch->keys, k.p, k.p ? k.n : 0);
		m->key_len = batch->keys.len - m->key_off;
	}
	before = batch->out.len;
	if (conf->encode) {
		prov.source = line->topic     ? line->topic
		              : batch->source ? batch->source
		                              : "";
		prov.line = line->line_no;
		prov.partition = line->partition;
		prov.offset = line->offset;
		rs_event_encode(w->enc, conf->event_format, rec, verdict, &prov,
		                ingest, &batch->out);
	}
	m->off = before;
	m->len = batch->out.len - before;
	batch->counts.events++;
	batch->counts.by_cause_stage[verdict->cause][rec->stage]++;
	return 0;
}

void rs_pipeline_process(rs_worker_t *w, rs_batch_t *batch)
{
	const rs_pipeline_conf_t *conf = w->conf;
	rs_record_t *rec = &w->rec;
	int64_t ingest = now_ms();
	const rs_format_t *format =
	    conf->input_format ? conf->input_format : rs_format_auto();
	/* Reply input promises one event per line, 2xx included. */
	int per_line = (format->flags & RS_FORMAT_REPLY_PER_LINE) != 0;

	follow_ruleset(w);
	if (conf->include_sent == RS_SENT_ROLLUP && !per_line) {
		if (batch->rollup == NULL) {
			batch->rollup = rs_rollup_new(conf->rollup_interval_ms);
		}
		if (batch->rollup == NULL) {
			batch->failed = 1;
			return;
		}
		rs_rollup_reset(batch->rollup);
	}
	for (size_t i = 0; i < batch->nlines; i++) {
		const rs_line_t *line = &batch->lines[i];
		rs_logline_t ll;
		rs_verdict_t verdict;
		const char *why = NULL;
		rs_parse_result_t res;

		batch->counts.lines++;
		batch->counts.bytes += line->len + 1;
		if (line->flags & RS_LINE_OVERSIZED) {
			add_bad(batch, i,
			        "line longer than the maximum line "
			        "length; cut and not parsed");
			continue;
		}
		if (line->flags & RS_LINE_ABSORBED) {
			batch->counts.skipped++;
			continue;
		}
		rs_record_reset(rec);
		rs_batch_logline(batch, i, &ll);
		ll.opts = conf->format_opts;
		ll.drop_sent = !conf->include_sent && !per_line;
		res = rs_format_parse_logline(format, &ll, rec, &why);
		if (res == RS_PARSE_SKIP) {
			batch->counts.skipped++;
			continue;
		}
		if (res == RS_PARSE_MALFORMED) {
			add_bad(batch, i, why);
			continue;
		}
		if (rec->status == RS_STATUS_SENT && !conf->include_sent &&
		    !per_line) {
			batch->counts.skipped++;
			continue;
		}
		if (rec->status == RS_STATUS_SENT && batch->rollup != NULL &&
		    !per_line) {
			rs_provenance_t prov;

			prov.source = line->topic     ? line->topic
			              : batch->source ? batch->source
			                              : "";
			prov.line = line->line_no;
			prov.partition = line->partition;
			prov.offset = line->offset;
			if (rs_rollup_add(batch->rollup, rec, &prov) != 0) {
				batch->failed = 1;
				return;
			}
			batch->counts.rolled_up++;
			continue;
		}
		rs_verdict_init(&verdict, rec->stage);
		verdict.cause = RS_CAUSE_UNSPECIFIED;
		/* A sent message has no failure to explain, and a feedback
		 * complaint is no SMTP reply: neither is classified. */
		if ((rec->status != RS_STATUS_SENT || per_line) &&
		    rec->status != RS_STATUS_FEEDBACK) {
			if (rs_classify_record(w->rules, w->scratch, rec,
			                       &verdict) < 0) {
				add_bad(batch, i, "classifier failed");
				continue;
			}
		}
		if (rec->status == RS_STATUS_FEEDBACK) {
			batch->counts.feedback++;
		}
		if (emit(w, batch, i, rec, &verdict, ingest) != 0) {
			return;
		}
	}
	if (batch->out.failed || batch->keys.failed) {
		batch->failed = 1;
	}
}

/* ------------------------------------------------------------------ */
/* The ring                                                            */
/* ------------------------------------------------------------------ */

enum { SLOT_FREE, SLOT_FILLED, SLOT_BUSY, SLOT_DONE };

typedef struct ring {
	const rs_pipeline_conf_t *conf;
	rs_source_t *src;
	rs_prescan_t *prescan; /* used by the source thread only */
	size_t nslots;
	rs_batch_t *slots;
	int *state;
	pthread_mutex_t lock;
	pthread_cond_t can_fill;  /* a slot became FREE */
	pthread_cond_t can_work;  /* a slot became FILLED, or end */
	pthread_cond_t can_drain; /* a slot became DONE, or end */
	uint64_t fill_seq;        /* next seq the source fills */
	uint64_t work_seq;        /* next seq a worker takes */
	uint64_t end_seq;         /* number of batches, once known */
	int ended;
	int aborted;
	char err[512];
} ring_t;

/* Stop everything and keep the first error. @locks takes ring->lock. */
static void ring_abort(ring_t *r, const char *err)
{
	pthread_mutex_lock(&r->lock);
	if (!r->aborted && err != NULL && err[0] != '\0') {
		snprintf(r->err, sizeof(r->err), "%s", err);
	}
	r->aborted = 1;
	pthread_cond_broadcast(&r->can_fill);
	pthread_cond_broadcast(&r->can_work);
	pthread_cond_broadcast(&r->can_drain);
	pthread_mutex_unlock(&r->lock);
	if (r->src->stop != NULL) {
		r->src->stop(r->src);
	}
}

/* Wait on cond for at most RS_PIPELINE_TICK_MS. @locks r->lock held. */
static void tick_wait(pthread_cond_t *cond, pthread_mutex_t *lock)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += RS_PIPELINE_TICK_MS * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	pthread_cond_timedwait(cond, lock, &ts);
}

/* The source thread: fill free slots in seq order. */
static void *source_main(void *arg)
{
	ring_t *r = arg;
	char err[512] = "";

	for (;;) {
		rs_batch_t *b;
		size_t i;
		int rc;

		pthread_mutex_lock(&r->lock);
		i = r->fill_seq % r->nslots;
		while (!r->aborted && r->state[i] != SLOT_FREE) {
			if (r->src->tick == NULL) {
				pthread_cond_wait(&r->can_fill, &r->lock);
				continue;
			}
			tick_wait(&r->can_fill, &r->lock);
			if (!r->aborted && r->state[i] != SLOT_FREE) {
				pthread_mutex_unlock(&r->lock);
				r->src->tick(r->src);
				pthread_mutex_lock(&r->lock);
			}
		}
		if (r->aborted) {
			pthread_mutex_unlock(&r->lock);
			return NULL;
		}
		pthread_mutex_unlock(&r->lock);

		b = &r->slots[i];
		rs_batch_reset(b);
		b->seq = r->fill_seq;
		rc = r->src->next(r->src, b, err, sizeof(err));
		if (rc < 0) {
			ring_abort(r, err);
			return NULL;
		}
		if (rc > 0 && rs_prescan_batch(r->prescan, b) < 0) {
			ring_abort(r,
			           "out of memory while prescanning a batch");
			return NULL;
		}
		pthread_mutex_lock(&r->lock);
		if (rc == 0) {
			r->end_seq = r->fill_seq;
			r->ended = 1;
			pthread_cond_broadcast(&r->can_work);
			pthread_cond_broadcast(&r->can_drain);
			pthread_mutex_unlock(&r->lock);
			return NULL;
		}
		r->state[i] = SLOT_FILLED;
		r->fill_seq++;
		pthread_cond_signal(&r->can_work);
		pthread_mutex_unlock(&r->lock);
	}
}

typedef struct worker_arg {
	ring_t *ring;
	rs_worker_t *worker;
} worker_arg_t;

/* A worker thread: take filled slots in seq order, process, mark done. */
static void *worker_main(void *arg)
{
	worker_arg_t *wa = arg;
	ring_t *r = wa->ring;

	for (;;) {
		size_t i;
		rs_batch_t *b;

		pthread_mutex_lock(&r->lock);
		for (;;) {
			if (r->aborted ||
			    (r->ended && r->work_seq >= r->end_seq)) {
				pthread_mutex_unlock(&r->lock);
				return NULL;
			}
			i = r->work_seq % r->nslots;
			if (r->work_seq < r->fill_seq &&
			    r->state[i] == SLOT_FILLED) {
				break;
			}
			pthread_cond_wait(&r->can_work, &r->lock);
		}
		r->state[i] = SLOT_BUSY;
		r->work_seq++;
		pthread_mutex_unlock(&r->lock);

		b = &r->slots[i];
		rs_pipeline_process(wa->worker, b);

		pthread_mutex_lock(&r->lock);
		r->state[i] = SLOT_DONE;
		pthread_cond_broadcast(&r->can_drain);
		pthread_mutex_unlock(&r->lock);
	}
}

/* ------------------------------------------------------------------ */
/* Open rollups (include_sent: rollup)                                 */
/* ------------------------------------------------------------------ */

/*
 * The sink thread's side of the rollups: each batch's table is merged,
 * in input order, into one open table; an interval is written when a
 * later one has been seen, when no input came for one interval of wall
 * time, and at the end, each entry as one event in the output of the
 * batch then being written (or of a batch of its own when idle or at the
 * end). So that no delivered line is lost, a partition's input is
 * acknowledged only up to its first line still in an open entry
 * (rs_batch_t.positions); a sink that cannot hold acknowledgements back
 * (rollup_flush_each) has every entry written with each batch.
 *
 * @locality the sink thread.
 */
typedef struct carry {
	const rs_pipeline_conf_t *conf;
	rs_sink_t *sink;
	rs_rollup_t *open;
	rs_event_encoder_t *enc;
	rs_batch_t *into;    /* the batch taking the events now */
	int64_t ingest;      /* its ingest time */
	rs_position_t *seen; /* per input partition: after its last line */
	size_t nseen, seen_cap;
	uint64_t epoch;  /* of the batches merged */
	int64_t last_ms; /* monotonic time input last came */
	rs_batch_t own;  /* for a flush with no batch to ride in */
} carry_t;

static int64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Encode one closed rollup into c->into (rs_rollup_take's callback). */
static void carry_emit(void *ctx, const rs_record_t *rec,
                       const rs_provenance_t *prov)
{
	carry_t *c = ctx;
	rs_batch_t *b = c->into;
	rs_event_meta_t *m;
	rs_verdict_t verdict;
	rs_str_t k = event_key(c->conf->key, rec);

	if (grow((void **)&b->events, &b->events_cap, b->nevents,
	         sizeof(rs_event_meta_t)) < 0) {
		b->failed = 1;
		return;
	}
	rs_verdict_init(&verdict, rec->stage);
	verdict.cause = RS_CAUSE_UNSPECIFIED;
	m = &b->events[b->nevents++];
	m->line_idx = UINT32_MAX; /* of no line of this batch */
	m->cause = (uint8_t)verdict.cause;
	m->stage = (uint8_t)rec->stage;
	m->status = (uint8_t)rec->status;
	m->key_off = b->keys.len;
	rs_buf_append(&b->keys, k.p, k.p ? k.n : 0);
	m->key_len = b->keys.len - m->key_off;
	m->off = b->out.len;
	if (c->conf->encode) {
		rs_event_encode(c->enc, c->conf->event_format, rec, &verdict,
		                prov, c->ingest, &b->out);
	}
	m->len = b->out.len - m->off;
	b->counts.events++;
	b->counts.by_cause_stage[verdict.cause][rec->stage]++;
}

/* Write the entries of intervals below before into b; then, unless the
 * sink flushes each batch, the positions b may acknowledge. 0 or -1. */
static int carry_take(carry_t *c, rs_batch_t *b, int64_t before)
{
	c->into = b;
	c->ingest = now_ms();
	if (rs_rollup_take(c->open, before, carry_emit, c) < 0) {
		return -1;
	}
	if (c->sink->rollup_flush_each || c->nseen == 0) {
		return b->failed || b->out.failed || b->keys.failed ? -1 : 0;
	}
	b->npositions = 0;
	for (size_t i = 0; i < c->nseen; i++) {
		rs_position_t *p = &c->seen[i];
		int64_t hold = rs_rollup_hold(c->open, p->topic, p->partition);

		if (grow((void **)&b->positions, &b->positions_cap,
		         b->npositions, sizeof(*b->positions)) < 0) {
			return -1;
		}
		b->positions[b->npositions] = *p;
		if (hold >= 0 && hold < p->next_offset) {
			b->positions[b->npositions].next_offset = hold;
		}
		b->npositions++;
	}
	b->has_positions = 1;
	return b->failed || b->out.failed || b->keys.failed ? -1 : 0;
}

/* Remember the partitions b read and how far. 0 or -1. */
static int carry_see(carry_t *c, const rs_batch_t *b)
{
	for (size_t i = 0; i < b->nlines; i++) {
		const rs_line_t *l = &b->lines[i];
		size_t k;

		if (l->topic == NULL || l->offset < 0) {
			continue;
		}
		for (k = 0; k < c->nseen; k++) {
			if (c->seen[k].partition == l->partition &&
			    c->seen[k].topic == l->topic) {
				break;
			}
		}
		if (k == c->nseen) {
			if (grow((void **)&c->seen, &c->seen_cap, c->nseen,
			         sizeof(*c->seen)) < 0) {
				return -1;
			}
			c->seen[k].topic = l->topic;
			c->seen[k].partition = l->partition;
			c->seen[k].next_offset = -1;
			c->nseen++;
		}
		if (l->offset + 1 > c->seen[k].next_offset) {
			c->seen[k].next_offset = l->offset + 1;
		}
	}
	return 0;
}

/* Before the sink writes b: merge its rollups and write the closed
 * intervals with it. 0, or -1 out of memory. */
static int carry_batch(carry_t *c, rs_batch_t *b)
{
	int64_t newest;

	if (b->epoch != c->epoch) {
		/* Exactly-once rewound (kafka/txnsync.h): what is open was
		 * read before, and is read again. */
		rs_rollup_reset(c->open);
		c->nseen = 0;
		c->epoch = b->epoch;
	}
	if (carry_see(c, b) < 0 ||
	    (b->rollup != NULL && rs_rollup_merge(c->open, b->rollup) < 0)) {
		return -1;
	}
	c->last_ms = mono_ms();
	newest = rs_rollup_newest(c->open);
	return carry_take(c, b,
	                  c->sink->rollup_flush_each ? INT64_MAX
	                  : newest > 0               ? newest
	                                             : 0);
}

/* Write every open rollup in a batch of their own (idle, or the end).
 * 0, or -1 with err. */
static int carry_flush(carry_t *c, rs_counts_t *total, char *err,
                       size_t err_size)
{
	if (rs_rollup_count(c->open) == 0) {
		return 0;
	}
	rs_batch_reset(&c->own);
	c->own.epoch = c->epoch;
	if (carry_take(c, &c->own, INT64_MAX) < 0) {
		snprintf(err, err_size, "out of memory while writing rollups");
		return -1;
	}
	if (c->sink->write(c->sink, &c->own, err, err_size) < 0) {
		return -1;
	}
	rs_counts_add(total, &c->own.counts);
	c->last_ms = mono_ms();
	return 0;
}

/* Due for an idle flush: entries open and no input for an interval. */
static int carry_idle(const carry_t *c)
{
	int64_t interval = c->conf->rollup_interval_ms > 0
	                       ? c->conf->rollup_interval_ms
	                       : RS_ROLLUP_INTERVAL_MS;

	return c->open != NULL && rs_rollup_count(c->open) > 0 &&
	       mono_ms() - c->last_ms >= interval;
}

unsigned rs_pipeline_default_slots(unsigned threads)
{
	return 2 * threads + 2;
}

int rs_pipeline_run(const rs_pipeline_conf_t *conf, rs_source_t *src,
                    rs_sink_t *sink, rs_counts_t *total, char *errstr,
                    size_t errstr_size)
{
	ring_t r;
	pthread_t src_thread;
	pthread_t *threads = NULL;
	worker_arg_t *wargs = NULL;
	unsigned nthreads = conf->threads ? conf->threads : 1;
	unsigned started = 0;
	int src_started = 0;
	uint64_t drain_seq = 0;
	int rc = -1;
	char err[512] = "";
	carry_t carry;

	memset(&r, 0, sizeof(r));
	memset(&carry, 0, sizeof(carry));
	carry.conf = conf;
	carry.sink = sink;
	memset(total, 0, sizeof(*total));
	r.conf = conf;
	r.src = src;
	r.nslots = conf->slots >= 2 ? conf->slots
	                            : rs_pipeline_default_slots(nthreads);
	r.slots = calloc(r.nslots, sizeof(rs_batch_t));
	r.state = calloc(r.nslots, sizeof(int));
	threads = calloc(nthreads, sizeof(pthread_t));
	wargs = calloc(nthreads, sizeof(worker_arg_t));
	if (r.slots == NULL || r.state == NULL || threads == NULL ||
	    wargs == NULL) {
		snprintf(errstr, errstr_size, "out of memory");
		goto out;
	}
	pthread_mutex_init(&r.lock, NULL);
	pthread_cond_init(&r.can_fill, NULL);
	pthread_cond_init(&r.can_work, NULL);
	pthread_cond_init(&r.can_drain, NULL);

	r.prescan = rs_prescan_new(conf->input_format, conf->format_opts,
	                           errstr, errstr_size);
	if (r.prescan == NULL) {
		goto out;
	}
	if (conf->include_sent == RS_SENT_ROLLUP) {
		carry.open = rs_rollup_new(conf->rollup_interval_ms);
		carry.enc = rs_event_encoder_new();
		if (carry.open == NULL || carry.enc == NULL) {
			snprintf(errstr, errstr_size, "out of memory");
			goto out;
		}
		carry.last_ms = mono_ms();
	}
	for (unsigned t = 0; t < nthreads; t++) {
		wargs[t].ring = &r;
		wargs[t].worker = rs_worker_new(conf, errstr, errstr_size);
		if (wargs[t].worker == NULL) {
			goto out;
		}
	}
	if (pthread_create(&src_thread, NULL, source_main, &r) != 0) {
		snprintf(errstr, errstr_size, "cannot start the source thread");
		goto out;
	}
	src_started = 1;
	for (; started < nthreads; started++) {
		if (pthread_create(&threads[started], NULL, worker_main,
		                   &wargs[started]) != 0) {
			ring_abort(&r, "cannot start a worker thread");
			break;
		}
	}

	/* The sink: this thread, in seq order. */
	for (;;) {
		size_t i = drain_seq % r.nslots;
		rs_batch_t *b = &r.slots[i];

		pthread_mutex_lock(&r.lock);
		while (!r.aborted && r.state[i] != SLOT_DONE &&
		       !(r.ended && drain_seq >= r.end_seq)) {
			if (sink->tick == NULL && carry.open == NULL) {
				pthread_cond_wait(&r.can_drain, &r.lock);
				continue;
			}
			tick_wait(&r.can_drain, &r.lock);
			pthread_mutex_unlock(&r.lock);
			if (sink->tick != NULL &&
			    sink->tick(sink, err, sizeof(err)) < 0) {
				ring_abort(&r, err);
			} else if (carry_idle(&carry) &&
			           carry_flush(&carry, total, err,
			                       sizeof(err)) < 0) {
				ring_abort(&r, err);
			}
			pthread_mutex_lock(&r.lock);
		}
		if (r.aborted || (r.ended && drain_seq >= r.end_seq)) {
			pthread_mutex_unlock(&r.lock);
			break;
		}
		pthread_mutex_unlock(&r.lock);

		if (b->failed ||
		    (carry.open != NULL && carry_batch(&carry, b) < 0)) {
			ring_abort(&r,
			           "out of memory while processing a batch");
			break;
		}
		if (sink->write(sink, b, err, sizeof(err)) < 0) {
			ring_abort(&r, err);
			break;
		}
		rs_counts_add(total, &b->counts);
		if (src->release != NULL) {
			src->release(src, b);
		}
		pthread_mutex_lock(&r.lock);
		r.state[i] = SLOT_FREE;
		drain_seq++;
		pthread_cond_signal(&r.can_fill);
		pthread_mutex_unlock(&r.lock);
	}

	for (unsigned t = 0; t < started; t++) {
		pthread_join(threads[t], NULL);
	}
	if (src_started) {
		pthread_join(src_thread, NULL);
	}
	if (r.aborted) {
		snprintf(errstr, errstr_size, "%s",
		         r.err[0] ? r.err : "pipeline stopped");
		/* Give back what the source still holds. */
		for (size_t i = 0; i < r.nslots && src->release != NULL; i++) {
			if (r.state[i] != SLOT_FREE) {
				src->release(src, &r.slots[i]);
			}
		}
		goto out;
	}
	/* The end of the input closes every rollup still open. */
	if ((carry.open != NULL &&
	     carry_flush(&carry, total, err, sizeof(err)) < 0) ||
	    (sink->flush != NULL && sink->flush(sink, err, sizeof(err)) < 0)) {
		snprintf(errstr, errstr_size, "%s", err);
		goto out;
	}
	rc = 0;
out:
	for (unsigned t = 0; wargs != NULL && t < nthreads; t++) {
		rs_worker_destroy(wargs[t].worker);
	}
	for (size_t i = 0; r.slots != NULL && i < r.nslots; i++) {
		rs_batch_free(&r.slots[i]);
	}
	if (r.slots != NULL && r.state != NULL && threads != NULL &&
	    wargs != NULL) {
		pthread_mutex_destroy(&r.lock);
		pthread_cond_destroy(&r.can_fill);
		pthread_cond_destroy(&r.can_work);
		pthread_cond_destroy(&r.can_drain);
	}
	rs_prescan_destroy(r.prescan);
	rs_rollup_destroy(carry.open);
	rs_event_encoder_destroy(carry.enc);
	rs_batch_free(&carry.own);
	free(carry.seen);
	free(r.slots);
	free(r.state);
	free(threads);
	free(wargs);
	return rc;
}
