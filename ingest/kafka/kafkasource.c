/* SPDX-License-Identifier: Apache-2.0 */
/*
 * kafkasource.c - consumer group source; see kafkasource.h.
 *
 * Lines are copied out of the Kafka messages into the batch's buffer, so
 * a message is destroyed as soon as it is read and no librdkafka memory
 * is held across the pipeline. While a batch fills, line pointers are
 * kept as offsets into the buffer (it may move when it grows) and turned
 * into pointers just before the batch is handed over.
 *
 * The commit table maps (topic, partition) to the next offset to commit;
 * the sink writes it under `lock` (through rs_source_t.ack), the source
 * thread reads and commits.
 */
#include "kafka/kafkasource.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "kafka/client.h"
#include "observe/log.h"

/* How long an idle exit waits for lines an assigned partition has left. */
#define RS_KAFKASOURCE_LEFT_WAIT_MS 60000
#include "util/clock.h"

typedef struct commit_entry {
	const char *topic; /* interned: one of conf->topics */
	int32_t partition;
	int64_t next_offset; /* -1: nothing done yet */
	int64_t committed;   /* last committed, -1 none */
	int assigned;
} commit_entry_t;

struct rs_kafkasource {
	rs_source_t src;
	rs_kafkasource_conf_t conf;
	rs_kafkaclient_t *client;
	rd_kafka_t *rk; /* the client's handle */
	atomic_int stopping;
	int paused;
	int assigned_ever; /* the idle clock waits for the first assignment */
	int64_t last_input_ms;
	int64_t left_since_ms; /* idle with lines left since; 0: not */
	int64_t last_commit_ms;
	uint64_t commits;
	uint64_t rewinds; /* exactly-once: seeks back to committed offsets */
	uint64_t epoch;   /* exactly-once: the epoch batches are read in */
	pthread_mutex_t lock; /* guards the commit table */
	commit_entry_t *tab;
	size_t ntab, tabcap;
};

/* Our own copy of a topic name, so that lines can point at it. */
static const char *intern_topic(rs_kafkasource_t *ks, const char *name)
{
	for (size_t i = 0; i < ks->conf.ntopics; i++) {
		if (strcmp(ks->conf.topics[i], name) == 0) {
			return ks->conf.topics[i];
		}
	}
	return NULL;
}

/* Find or add a commit entry. @locks ks->lock held. */
static commit_entry_t *entry(rs_kafkasource_t *ks, const char *topic,
                             int32_t partition)
{
	for (size_t i = 0; i < ks->ntab; i++) {
		if (ks->tab[i].partition == partition &&
		    ks->tab[i].topic == topic) {
			return &ks->tab[i];
		}
	}
	if (ks->ntab == ks->tabcap) {
		size_t ncap = ks->tabcap ? ks->tabcap * 2 : 64;
		commit_entry_t *t = realloc(ks->tab, ncap * sizeof(*t));
		if (t == NULL) {
			return NULL;
		}
		ks->tab = t;
		ks->tabcap = ncap;
	}
	ks->tab[ks->ntab].topic = topic;
	ks->tab[ks->ntab].partition = partition;
	ks->tab[ks->ntab].next_offset = -1;
	ks->tab[ks->ntab].committed = -1;
	ks->tab[ks->ntab].assigned = 0;
	return &ks->tab[ks->ntab++];
}

/* rs_source_t.ack: a sink reports what is written. @locality sink thread. */
static void ks_ack(rs_source_t *src, const char *topic, int32_t partition,
                   int64_t next_offset)
{
	rs_kafkasource_t *ks = src->ctx;
	commit_entry_t *e;

	pthread_mutex_lock(&ks->lock);
	e = entry(ks, topic, partition);
	if (e != NULL && next_offset > e->next_offset) {
		e->next_offset = next_offset;
	}
	pthread_mutex_unlock(&ks->lock);
}

/*
 * Commit every assigned partition whose done offset moved. only_revoked:
 * restrict to the partitions in that list. @locality source thread.
 */
static int commit_done(rs_kafkasource_t *ks,
                       const rd_kafka_topic_partition_list_t *only, int async)
{
	rd_kafka_topic_partition_list_t *list;
	rd_kafka_resp_err_t err;
	int n = 0;

	if (ks->conf.txn != NULL) {
		return 0; /* the sink commits inside its transactions */
	}
	list = rd_kafka_topic_partition_list_new(16);
	pthread_mutex_lock(&ks->lock);
	for (size_t i = 0; i < ks->ntab; i++) {
		commit_entry_t *e = &ks->tab[i];

		if (!e->assigned || e->next_offset <= e->committed) {
			continue;
		}
		if (only != NULL && rd_kafka_topic_partition_list_find(
					only, e->topic, e->partition) == NULL) {
			continue;
		}
		rd_kafka_topic_partition_list_add(list, e->topic, e->partition)
		    ->offset = e->next_offset;
		e->committed = e->next_offset;
		n++;
	}
	pthread_mutex_unlock(&ks->lock);
	if (n > 0) {
		err = rd_kafka_commit(ks->rk, list, async);
		if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			rs_log(RS_LOG_WARN, "kafka", "offset commit failed",
			       "error=\"%s\" partitions=%d",
			       rd_kafka_err2str(err), n);
			/* Let the next round try again. */
			pthread_mutex_lock(&ks->lock);
			for (int i = 0; i < list->cnt; i++) {
				commit_entry_t *e = entry(
				    ks, intern_topic(ks, list->elems[i].topic),
				    list->elems[i].partition);
				if (e != NULL) {
					e->committed = -1;
				}
			}
			pthread_mutex_unlock(&ks->lock);
		} else {
			ks->commits++;
		}
	}
	rd_kafka_topic_partition_list_destroy(list);
	return n;
}

/* Mark the partitions of a list assigned or not. */
static void set_assigned(rs_kafkasource_t *ks,
                         const rd_kafka_topic_partition_list_t *parts, int on)
{
	pthread_mutex_lock(&ks->lock);
	for (int i = 0; i < parts->cnt; i++) {
		const char *t = intern_topic(ks, parts->elems[i].topic);
		commit_entry_t *e;

		if (t == NULL) {
			continue;
		}
		e = entry(ks, t, parts->elems[i].partition);
		if (e != NULL) {
			e->assigned = on;
			if (on) {
				/* Fresh start for a (re)assigned partition. */
				e->next_offset = -1;
				e->committed = -1;
			}
		}
	}
	pthread_mutex_unlock(&ks->lock);
}

/* Exactly-once: hand the current generation's metadata to the sink. */
static void share_group(rs_kafkasource_t *ks)
{
	rd_kafka_consumer_group_metadata_t *cgmd =
	    rd_kafka_consumer_group_metadata(ks->rk);

	if (cgmd == NULL || rs_txnsync_set_group(ks->conf.txn, cgmd) < 0) {
		rs_log(RS_LOG_ERROR, "kafka",
		       "cannot read the consumer group's metadata; offsets "
		       "cannot be committed in transactions",
		       NULL);
	}
	if (cgmd != NULL) {
		rd_kafka_consumer_group_metadata_destroy(cgmd);
	}
}

/*
 * Exactly-once, before partitions are given up: the sink commits (or
 * aborts) its open transaction, and what is in flight is dropped, so the
 * next owner starts where this member's committed work ends.
 */
static void close_transaction(rs_kafkasource_t *ks)
{
	if (rs_txnsync_close_request(ks->conf.txn, 60000) < 0) {
		rs_log(RS_LOG_ERROR, "kafka",
		       "the producer did not close its transaction within "
		       "60 s of a rebalance; the broker fences its late "
		       "offsets (the group generation has moved on)",
		       NULL);
	}
	/* The sink moved the epoch on: ks_next drops the lines it holds. */
}

/*
 * Rebalance callback. @locality source thread, inside consumer_poll.
 * Before partitions are given up, whatever is done is committed, so the
 * next owner starts where this member's finished work ends.
 */
static void on_rebalance(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
	rs_kafkasource_t *ks = opaque;

	if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
		set_assigned(ks, parts, 1);
		rd_kafka_assign(rk, parts);
		if (ks->conf.txn != NULL) {
			share_group(ks);
		}
		/* Joining the group is not idleness. */
		ks->assigned_ever = 1;
		ks->last_input_ms = rs_clock_mono_ms();
		/* The new partitions take the source's pause state, both
		 * ways: librdkafka 2.0.2 keeps a partition's pause across an
		 * unassign and a new assign, so a partition paused by
		 * back-pressure when it was revoked (a lost session while
		 * the sink is blocked) came back paused after set_paused(0)
		 * had found no assignment to resume, and was never read. */
		if (ks->paused) {
			rd_kafka_pause_partitions(rk, parts);
		} else {
			rd_kafka_resume_partitions(rk, parts);
		}
		rs_log(RS_LOG_INFO, "kafka", "partitions assigned", "count=%d",
		       parts->cnt);
	} else {
		if (ks->conf.txn != NULL) {
			close_transaction(ks);
		}
		commit_done(ks, parts, 0);
		set_assigned(ks, parts, 0);
		rd_kafka_assign(rk, NULL);
		/* Until the next assignment the group is rebalancing, not
		 * idle: the same grace as before the first one. */
		ks->assigned_ever = 0;
		ks->last_input_ms = rs_clock_mono_ms();
		/* paused=1: revoked while back-pressure held the input (the
		 * case the assign branch above must undo). */
		rs_log(RS_LOG_INFO, "kafka", "partitions revoked",
		       "count=%d paused=%d", parts->cnt, ks->paused);
	}
}

/* librdkafka statistics, to the stage. @locality source thread. */
static void on_stats(void *opaque, const char *json, size_t len)
{
	rs_kafkasource_t *ks = opaque;

	if (ks->conf.stats_cb != NULL) {
		ks->conf.stats_cb(ks->conf.stats_opaque, json, len);
	}
}

/* Pause or resume every assigned partition. @locality source thread. */
static void set_paused(rs_kafkasource_t *ks, int pause)
{
	rd_kafka_topic_partition_list_t *parts = NULL;

	if (ks->paused == pause) {
		return;
	}
	if (rd_kafka_assignment(ks->rk, &parts) == RD_KAFKA_RESP_ERR_NO_ERROR &&
	    parts != NULL) {
		if (pause) {
			rd_kafka_pause_partitions(ks->rk, parts);
		} else {
			rd_kafka_resume_partitions(ks->rk, parts);
		}
		rd_kafka_topic_partition_list_destroy(parts);
	}
	ks->paused = pause;
	rs_log(RS_LOG_DEBUG, "kafka", pause ? "input paused" : "input resumed",
	       NULL);
}

/*
 * Exactly-once: the sink aborted a transaction (the epoch moved on). Seek
 * every assigned partition back to its committed offset (the beginning
 * when none is) so that the aborted lines are read again. 0 when done or
 * nothing to do, -1 to try again later (logged). @locality source thread.
 */
static int rewind_to_committed(rs_kafkasource_t *ks)
{
	uint64_t want = rs_txnsync_epoch(ks->conf.txn);
	rd_kafka_topic_partition_list_t *parts = NULL;
	rd_kafka_resp_err_t err;
	rd_kafka_error_t *error;

	if (want == ks->epoch) {
		return 0;
	}
	err = rd_kafka_assignment(ks->rk, &parts);
	if (err == RD_KAFKA_RESP_ERR_NO_ERROR && parts->cnt > 0) {
		err = rd_kafka_committed(ks->rk, parts, 10000);
	}
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		rs_log(RS_LOG_WARN, "kafka",
		       "cannot read the committed offsets to rewind to; "
		       "trying again",
		       "error=\"%s\"", rd_kafka_err2str(err));
		if (parts != NULL) {
			rd_kafka_topic_partition_list_destroy(parts);
		}
		return -1;
	}
	for (int i = 0; i < parts->cnt; i++) {
		if (parts->elems[i].offset < 0) {
			parts->elems[i].offset = RD_KAFKA_OFFSET_BEGINNING;
		}
	}
	error = parts->cnt > 0 ? rd_kafka_seek_partitions(ks->rk, parts, 10000)
	                       : NULL;
	if (error != NULL) {
		rs_log(RS_LOG_WARN, "kafka",
		       "cannot seek back to the committed offsets; trying "
		       "again",
		       "error=\"%s\"", rd_kafka_error_string(error));
		rd_kafka_error_destroy(error);
		rd_kafka_topic_partition_list_destroy(parts);
		return -1;
	}
	for (int i = 0; i < parts->cnt; i++) {
		if (parts->elems[i].err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			rs_log(RS_LOG_WARN, "kafka",
			       "cannot seek a partition back; trying again",
			       "topic=%s partition=%d error=\"%s\"",
			       parts->elems[i].topic,
			       (int)parts->elems[i].partition,
			       rd_kafka_err2str(parts->elems[i].err));
			rd_kafka_topic_partition_list_destroy(parts);
			return -1;
		}
	}
	rs_log(RS_LOG_INFO, "kafka",
	       "input rewound to the committed offsets (a transaction "
	       "was aborted or partitions were revoked)",
	       "partitions=%d epoch=%llu", parts->cnt,
	       (unsigned long long)want);
	if (parts->cnt > 0) {
		ks->rewinds++;
	}
	rd_kafka_topic_partition_list_destroy(parts);
	ks->epoch = want;
	return 0;
}

/*
 * Does an assigned partition have lines left to read, as far as the
 * consumer knows without asking the broker: no fetch position yet (its
 * committed offset is still being fetched, e.g. while a transaction that
 * committed offsets for it is being completed after an outage), or a
 * position below the last high watermark seen? @locality source thread.
 */
static int input_left(rs_kafkasource_t *ks)
{
	rd_kafka_topic_partition_list_t *parts = NULL;
	int left = 0;

	if (ks->paused ||
	    rd_kafka_assignment(ks->rk, &parts) != RD_KAFKA_RESP_ERR_NO_ERROR ||
	    parts == NULL) {
		return 0;
	}
	if (parts->cnt > 0 &&
	    rd_kafka_position(ks->rk, parts) == RD_KAFKA_RESP_ERR_NO_ERROR) {
		for (int i = 0; i < parts->cnt && !left; i++) {
			int64_t lo = -1, hi = -1;

			if (parts->elems[i].offset < 0) {
				left = 1; /* no position yet */
			} else if (rd_kafka_get_watermark_offsets(
				       ks->rk, parts->elems[i].topic,
				       parts->elems[i].partition, &lo,
				       &hi) == RD_KAFKA_RESP_ERR_NO_ERROR &&
			           hi >= 0 && parts->elems[i].offset < hi) {
				left = 1;
			}
		}
	}
	rd_kafka_topic_partition_list_destroy(parts);
	return left;
}

/* Commit when the interval has passed. */
static void maybe_commit(rs_kafkasource_t *ks, int64_t now)
{
	if (now - ks->last_commit_ms >= ks->conf.commit_interval_ms) {
		commit_done(ks, NULL, 1);
		ks->last_commit_ms = now;
	}
}

/* rs_source_t.tick: the ring is full; pause and keep the group alive. */
static void ks_tick(rs_source_t *src)
{
	rs_kafkasource_t *ks = src->ctx;
	rd_kafka_message_t *rkm;

	set_paused(ks, 1);
	if (ks->conf.txn != NULL) {
		rewind_to_committed(ks);
	}
	/* Serves rebalances; a paused consumer returns no messages, and pause
	 * purged what was prefetched, so a message here is an error event. */
	rkm = rd_kafka_consumer_poll(ks->rk, 0);
	if (rkm != NULL) {
		if (rkm->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			/* Not expected; seek back so that it is read again. */
			rd_kafka_seek(rkm->rkt, rkm->partition, rkm->offset,
			              1000);
		} else if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
			/* Said, as in ks_next: a committed offset that could
			 * not be fetched leaves its partition unread. */
			rs_log(RS_LOG_WARN, "kafka", "consumer error",
			       "error=\"%s\"", rd_kafka_message_errstr(rkm));
		}
		rd_kafka_message_destroy(rkm);
	}
	maybe_commit(ks, rs_clock_mono_ms());
	/* Input paused by back-pressure is not "idle". */
	ks->last_input_ms = rs_clock_mono_ms();
}

/* Append one message (one or more lines) to the batch. -1 out of memory. */
static int add_message(rs_kafkasource_t *ks, rs_batch_t *b,
                       const rd_kafka_message_t *rkm, const char *topic)
{
	const char *p = rkm->payload ? rkm->payload : "";
	size_t n = rkm->payload ? rkm->len : 0;
	int64_t ts = rd_kafka_message_timestamp(rkm, NULL);
	size_t start = 0;

	/* A message is one log line; a trailing newline is not another. */
	if (n > 0 && p[n - 1] == '\n') {
		n--;
	}
	for (;;) {
		const char *nl = memchr(p + start, '\n', n - start);
		size_t end = nl ? (size_t)(nl - p) : n;
		size_t len = end - start;
		int flags = 0;
		rs_line_t *l;

		if (len > ks->conf.max_line) {
			len = 0;
			flags = RS_LINE_OVERSIZED;
		}
		if (b->len + len > b->cap) {
			size_t ncap = b->cap ? b->cap : 64 * 1024;
			char *d;
			while (ncap < b->len + len) {
				ncap *= 2;
			}
			d = realloc(b->data, ncap);
			if (d == NULL) {
				return -1;
			}
			b->data = d;
			b->cap = ncap;
		}
		if (len > 0) {
			memcpy(b->data + b->len, p + start, len);
		}
		/* p holds the buffer offset until the batch is handed over. */
		if (rs_batch_add_line(b, (const char *)(uintptr_t)b->len, len,
		                      0, rkm->offset, flags) < 0) {
			return -1;
		}
		l = &b->lines[b->nlines - 1];
		l->partition = rkm->partition;
		l->topic = topic;
		l->ts_ms = ts > 0 ? ts : 0;
		b->len += len;
		if (nl == NULL) {
			break;
		}
		start = end + 1;
	}
	return 0;
}

/* Turn the offsets stored in line pointers into pointers. */
static void fix_pointers(rs_batch_t *b)
{
	for (size_t i = 0; i < b->nlines; i++) {
		b->lines[i].p = b->data + (uintptr_t)b->lines[i].p;
	}
}

/* rs_source_t.next */
static int ks_next(rs_source_t *src, rs_batch_t *b, char *errstr,
                   size_t errstr_size)
{
	rs_kafkasource_t *ks = src->ctx;
	int64_t first_ms = 0;

	set_paused(ks, 0);
	for (;;) {
		rd_kafka_message_t *rkm;
		int64_t now = rs_clock_mono_ms();
		const char *topic;
		int timeout = 100;

		maybe_commit(ks, now);
		if (atomic_load(&ks->stopping)) {
			break;
		}
		if (ks->conf.txn != NULL &&
		    rs_txnsync_epoch(ks->conf.txn) != ks->epoch) {
			/* Lines read before an abort or a revocation are
			 * dropped here; the sink drops whole batches. */
			b->nlines = 0;
			b->len = 0;
			if (rewind_to_committed(ks) < 0) {
				continue;
			}
		}
		if (b->nlines > 0) {
			int64_t left = first_ms + ks->conf.linger_ms - now;
			if (left <= 0) {
				break;
			}
			timeout = left < timeout ? (int)left : timeout;
		}
		rkm = rd_kafka_consumer_poll(ks->rk, timeout);
		if (rkm == NULL) {
			if (rs_kafkaclient_failure(ks->client) != NULL) {
				snprintf(errstr, errstr_size,
				         "the consumer cannot connect to the "
				         "brokers: %s",
				         rs_kafkaclient_failure(ks->client));
				return -1;
			}
			/* No broker is not "no input": wait it out. Nor is
			 * a sink still waiting for acknowledgements, holding
			 * messages to produce again, or aborting: it may yet
			 * need these lines read again. */
			if (rs_kafkaclient_down_since(ks->client) != 0 ||
			    (ks->conf.busy != NULL &&
			     ks->conf.busy(ks->conf.busy_opaque))) {
				ks->last_input_ms = rs_clock_mono_ms();
			}
			/* Nor are partitions with lines left (checked only
			 * when the idle time is up: it walks the assignment),
			 * for RS_KAFKASOURCE_LEFT_WAIT_MS at the most: a
			 * consumer that never gets them must not hold the
			 * stage silently for ever.
			 */
			if (ks->conf.exit_when_idle > 0 &&
			    (double)(rs_clock_mono_ms() - ks->last_input_ms) >=
			        ks->conf.exit_when_idle * 1000.0 +
			            (ks->assigned_ever ? 0 : 60000) &&
			    input_left(ks)) {
				int64_t t = rs_clock_mono_ms();

				if (ks->left_since_ms == 0) {
					ks->left_since_ms = t;
					rs_log(
					    RS_LOG_WARN, "kafka",
					    "idle, but an assigned partition "
					    "has lines left; waiting for them",
					    "max_seconds=%d",
					    RS_KAFKASOURCE_LEFT_WAIT_MS / 1000);
				}
				if (t - ks->left_since_ms <
				    RS_KAFKASOURCE_LEFT_WAIT_MS) {
					ks->last_input_ms = t;
				} else {
					rs_log(
					    RS_LOG_WARN, "kafka",
					    "lines left unread; their offsets "
					    "stay uncommitted",
					    "waited_s=%d",
					    RS_KAFKASOURCE_LEFT_WAIT_MS / 1000);
				}
			}
			/* Before the first assignment allow 60 s more: the
			 * group may wait for a dead member's session to end. */
			if (ks->conf.exit_when_idle > 0 &&
			    (double)(rs_clock_mono_ms() - ks->last_input_ms) >=
			        ks->conf.exit_when_idle * 1000.0 +
			            (ks->assigned_ever ? 0 : 60000)) {
				atomic_store(&ks->stopping, 1);
				rs_log(RS_LOG_INFO, "kafka",
				       "no input; ending (exit-when-idle)",
				       "seconds=%g", ks->conf.exit_when_idle);
			}
			continue;
		}
		if (rkm->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			if (rkm->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
				rs_log(RS_LOG_WARN, "kafka", "consumer error",
				       "error=\"%s\"",
				       rd_kafka_message_errstr(rkm));
			}
			rd_kafka_message_destroy(rkm);
			if (rd_kafka_fatal_error(ks->rk, errstr, errstr_size) !=
			    RD_KAFKA_RESP_ERR_NO_ERROR) {
				return -1;
			}
			continue;
		}
		topic = intern_topic(ks, rd_kafka_topic_name(rkm->rkt));
		if (topic == NULL) {
			rd_kafka_message_destroy(rkm);
			continue;
		}
		if (b->nlines == 0) {
			first_ms = now;
		}
		ks->last_input_ms = now;
		ks->left_since_ms = 0;
		rs_kafkaclient_reachable(ks->client);
		if (add_message(ks, b, rkm, topic) < 0) {
			rd_kafka_message_destroy(rkm);
			snprintf(errstr, errstr_size, "out of memory");
			return -1;
		}
		rd_kafka_message_destroy(rkm);
		if (b->len >= ks->conf.batch_bytes) {
			break;
		}
	}
	if (b->nlines == 0) {
		return 0;
	}
	fix_pointers(b);
	b->epoch = ks->epoch;
	return 1;
}

/* rs_source_t.stop */
static void ks_stop(rs_source_t *src)
{
	rs_kafkasource_stop(src->ctx);
}

void rs_kafkasource_stop(rs_kafkasource_t *ks)
{
	atomic_store(&ks->stopping, 1);
}

uint64_t rs_kafkasource_commits(const rs_kafkasource_t *ks)
{
	return ks->commits;
}

uint64_t rs_kafkasource_rewinds(const rs_kafkasource_t *ks)
{
	return ks->rewinds;
}

rs_kafkasource_t *rs_kafkasource_new(const rs_kafkasource_conf_t *conf,
                                     char *errstr, size_t errstr_size)
{
	/* Ours first; the user's properties may override them. */
	const rs_kafka_prop_t defaults[] = {
	    {"group.id", conf->group},
	    {"enable.auto.commit", "false"},
	    {"enable.auto.offset.store", "false"},
	    {"auto.offset.reset", "earliest"},
	    {"queued.max.messages.kbytes", "16384"},
	    {"client.id", "replyscan"},
	};
	rs_kafkaclient_conf_t cc;
	rs_kafkasource_t *ks = calloc(1, sizeof(*ks));
	rd_kafka_topic_partition_list_t *subs = NULL;
	rd_kafka_resp_err_t err;

	if (ks == NULL) {
		snprintf(errstr, errstr_size, "out of memory");
		return NULL;
	}
	ks->conf = *conf;
	if (ks->conf.linger_ms <= 0) {
		ks->conf.linger_ms = 20;
	}
	if (ks->conf.commit_interval_ms <= 0) {
		ks->conf.commit_interval_ms = 1000;
	}
	pthread_mutex_init(&ks->lock, NULL);
	atomic_init(&ks->stopping, 0);
	ks->epoch = conf->txn != NULL ? rs_txnsync_epoch(conf->txn) : 0;
	cc = rs_kafkaclient_conf(RD_KAFKA_CONSUMER, "consumer", conf->brokers,
	                         defaults, RS_KAFKA_NPROPS(defaults));
	rs_kafkaclient_conf_user(&cc, conf->props, conf->nprops,
	                         conf->stats_interval_ms);
	cc.on_stats = on_stats;
	cc.on_rebalance = on_rebalance;
	cc.opaque = ks;
	ks->client = rs_kafkaclient_new(&cc, errstr, errstr_size);
	if (ks->client == NULL) {
		goto fail;
	}
	ks->rk = rs_kafkaclient_handle(ks->client);
	rd_kafka_poll_set_consumer(ks->rk);
	subs = rd_kafka_topic_partition_list_new((int)conf->ntopics);
	for (size_t i = 0; i < conf->ntopics; i++) {
		rd_kafka_topic_partition_list_add(subs, conf->topics[i],
		                                  RD_KAFKA_PARTITION_UA);
	}
	err = rd_kafka_subscribe(ks->rk, subs);
	rd_kafka_topic_partition_list_destroy(subs);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(errstr, errstr_size, "cannot subscribe: %s",
		         rd_kafka_err2str(err));
		goto fail;
	}
	ks->last_input_ms = rs_clock_mono_ms();
	ks->last_commit_ms = ks->last_input_ms;
	ks->src.next = ks_next;
	ks->src.stop = ks_stop;
	ks->src.tick = ks_tick;
	ks->src.ack = ks_ack;
	ks->src.ctx = ks;
	return ks;
fail:
	rs_kafkaclient_destroy(ks->client);
	pthread_mutex_destroy(&ks->lock);
	free(ks);
	return NULL;
}

const rs_kafkaclient_t *rs_kafkasource_client(const rs_kafkasource_t *ks)
{
	return ks->client;
}

rs_source_t *rs_kafkasource_source(rs_kafkasource_t *ks)
{
	return &ks->src;
}

int rs_kafkasource_close(rs_kafkasource_t *ks, char *errstr, size_t errstr_size)
{
	int rc = 0;
	rd_kafka_resp_err_t err;
	size_t pending = 0;

	/* The pipeline has ended: this thread is the only user now. */
	commit_done(ks, NULL, 0);
	pthread_mutex_lock(&ks->lock);
	for (size_t i = 0; i < ks->ntab; i++) {
		if (ks->tab[i].assigned &&
		    ks->tab[i].next_offset > ks->tab[i].committed) {
			pending++;
		}
	}
	pthread_mutex_unlock(&ks->lock);
	if (pending > 0) {
		snprintf(errstr, errstr_size,
		         "%zu partitions could not commit their final offset",
		         pending);
		rc = -1;
	}
	/* Leaves the group; the revoke callback commits nothing new. */
	err = rd_kafka_consumer_close(ks->rk);
	if (err != RD_KAFKA_RESP_ERR_NO_ERROR && rc == 0) {
		snprintf(errstr, errstr_size, "leaving the group failed: %s",
		         rd_kafka_err2str(err));
		rc = -1;
	}
	rs_kafkaclient_destroy(ks->client);
	pthread_mutex_destroy(&ks->lock);
	free(ks->tab);
	free(ks);
	return rc;
}
