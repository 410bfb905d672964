/* SPDX-License-Identifier: Apache-2.0 */
/*
 * txnsync.c - the exactly-once source's and sink's shared state; see
 * txnsync.h. One mutex guards everything; the epoch is also kept in an
 * atomic so that the source's per-poll check takes no lock.
 */
#include "kafka/txnsync.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct rs_txnsync {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	atomic_uint_fast64_t epoch;
	void *group; /* serialized group metadata */
	size_t group_len;
	uint64_t close_asked, close_done;
	int sink_gone;
};

rs_txnsync_t *rs_txnsync_new(void)
{
	rs_txnsync_t *ts = calloc(1, sizeof(*ts));

	if (ts == NULL) {
		return NULL;
	}
	pthread_mutex_init(&ts->lock, NULL);
	pthread_cond_init(&ts->cond, NULL);
	atomic_init(&ts->epoch, 1);
	return ts;
}

void rs_txnsync_destroy(rs_txnsync_t *ts)
{
	if (ts == NULL) {
		return;
	}
	pthread_mutex_destroy(&ts->lock);
	pthread_cond_destroy(&ts->cond);
	free(ts->group);
	free(ts);
}

uint64_t rs_txnsync_epoch(rs_txnsync_t *ts)
{
	return atomic_load(&ts->epoch);
}

uint64_t rs_txnsync_advance(rs_txnsync_t *ts)
{
	return atomic_fetch_add(&ts->epoch, 1) + 1;
}

int rs_txnsync_set_group(rs_txnsync_t *ts,
                         const rd_kafka_consumer_group_metadata_t *cgmd)
{
	void *buf = NULL;
	size_t len = 0;
	rd_kafka_error_t *error =
	    rd_kafka_consumer_group_metadata_write(cgmd, &buf, &len);

	if (error != NULL) {
		rd_kafka_error_destroy(error);
		return -1;
	}
	pthread_mutex_lock(&ts->lock);
	free(ts->group);
	ts->group = buf;
	ts->group_len = len;
	pthread_mutex_unlock(&ts->lock);
	return 0;
}

rd_kafka_consumer_group_metadata_t *rs_txnsync_group(rs_txnsync_t *ts)
{
	rd_kafka_consumer_group_metadata_t *cgmd = NULL;
	rd_kafka_error_t *error = NULL;

	pthread_mutex_lock(&ts->lock);
	if (ts->group != NULL) {
		error = rd_kafka_consumer_group_metadata_read(&cgmd, ts->group,
		                                              ts->group_len);
	}
	pthread_mutex_unlock(&ts->lock);
	if (error != NULL) {
		rd_kafka_error_destroy(error);
		return NULL;
	}
	return cgmd;
}

int rs_txnsync_close_request(rs_txnsync_t *ts, int timeout_ms)
{
	struct timespec until;
	uint64_t mine;
	int rc = 0;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += timeout_ms / 1000;
	until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&ts->lock);
	mine = ++ts->close_asked;
	while (!ts->sink_gone && ts->close_done < mine) {
		if (pthread_cond_timedwait(&ts->cond, &ts->lock, &until) ==
		    ETIMEDOUT) {
			rc = ts->close_done < mine && !ts->sink_gone ? -1 : 0;
			break;
		}
	}
	pthread_mutex_unlock(&ts->lock);
	return rc;
}

int rs_txnsync_close_pending(rs_txnsync_t *ts)
{
	int pending;

	pthread_mutex_lock(&ts->lock);
	pending = ts->close_done < ts->close_asked;
	pthread_mutex_unlock(&ts->lock);
	return pending;
}

void rs_txnsync_close_done(rs_txnsync_t *ts)
{
	pthread_mutex_lock(&ts->lock);
	ts->close_done = ts->close_asked;
	pthread_cond_broadcast(&ts->cond);
	pthread_mutex_unlock(&ts->lock);
}

void rs_txnsync_sink_gone(rs_txnsync_t *ts)
{
	pthread_mutex_lock(&ts->lock);
	ts->sink_gone = 1;
	pthread_cond_broadcast(&ts->cond);
	pthread_mutex_unlock(&ts->lock);
}
