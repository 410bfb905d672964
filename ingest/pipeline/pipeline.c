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
	return 0;
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
	rs_rollup_t *rollup; /* include_sent: rollup */
};

/* Decoded strings of one record never exceed the line; cap at 64 KiB. */
#define WORKER_ARENA (64 * 1024)

rs_worker_t *rs_worker_new(const rs_pipeline_conf_t *conf, char *errstr,
                           size_t errstr_size)
{
	rs_worker_t *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		snprintf(errstr, errstr_size, "out of memory");
		return NULL;
	}
	w->conf = conf;
	w->arena = malloc(WORKER_ARENA);
	w->enc = rs_event_encoder_new();
	if (conf->include_sent == RS_SENT_ROLLUP) {
		w->rollup = rs_rollup_new();
	}
	if (w->arena == NULL || w->enc == NULL ||
	    (conf->include_sent == RS_SENT_ROLLUP && w->rollup == NULL)) {
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
	w->rec.arena_cap = WORKER_ARENA;
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
	rs_rollup_destroy(w->rollup);
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

/*
 * The rollup events of the batch's delivered lines, after its other
 * events: in the batch's own output, so they are produced, acknowledged
 * and committed with it (rollup.h).
 */
static void emit_rollups(rs_worker_t *w, rs_batch_t *batch, int64_t ingest)
{
	for (size_t e = 0; e < rs_rollup_count(w->rollup); e++) {
		rs_verdict_t verdict;
		uint32_t i;

		rs_rollup_record(w->rollup, e, &w->rec, &i);
		rs_verdict_init(&verdict, w->rec.stage);
		verdict.cause = RS_CAUSE_UNSPECIFIED;
		if (emit(w, batch, i, &w->rec, &verdict, ingest) != 0) {
			return;
		}
	}
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
	if (w->rollup != NULL) {
		rs_rollup_reset(w->rollup);
	}
	for (size_t i = 0; i < batch->nlines; i++) {
		const rs_line_t *line = &batch->lines[i];
		rs_logline_t ll;
		rs_classify_in_t in;
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
		rs_logline_init(&ll, line->p, line->len);
		ll.opts = conf->format_opts;
		ll.drop_sent = !conf->include_sent && !per_line;
		if (line->aux_len > 0) {
			ll.aux = batch->aux.data + line->aux_off;
			ll.aux_len = line->aux_len;
			ll.aux_format = line->aux_format;
		}
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
		if (rec->status == RS_STATUS_SENT && w->rollup != NULL &&
		    !per_line) {
			if (rs_rollup_add(w->rollup, rec, (uint32_t)i) != 0) {
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
			rs_classify_in_from_record(&in, rec);
			if (rs_classify(w->rules, w->scratch, &in, &verdict) <
			    0) {
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
	if (w->rollup != NULL) {
		emit_rollups(w, batch, ingest);
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

	memset(&r, 0, sizeof(r));
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
			if (sink->tick == NULL) {
				pthread_cond_wait(&r.can_drain, &r.lock);
				continue;
			}
			tick_wait(&r.can_drain, &r.lock);
			pthread_mutex_unlock(&r.lock);
			if (sink->tick(sink, err, sizeof(err)) < 0) {
				ring_abort(&r, err);
			}
			pthread_mutex_lock(&r.lock);
		}
		if (r.aborted || (r.ended && drain_seq >= r.end_seq)) {
			pthread_mutex_unlock(&r.lock);
			break;
		}
		pthread_mutex_unlock(&r.lock);

		if (b->failed) {
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
	if (sink->flush != NULL && sink->flush(sink, err, sizeof(err)) < 0) {
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
	free(r.slots);
	free(r.state);
	free(threads);
	free(wargs);
	return rc;
}
