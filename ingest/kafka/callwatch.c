/* SPDX-License-Identifier: Apache-2.0 */
/*
 * callwatch.c - a watchdog for blocking librdkafka calls; see callwatch.h.
 */
#include "kafka/callwatch.h"

#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

#include "observe/log.h"
#include "util/clock.h"

struct rs_callwatch {
	int64_t limit_ms;
	int64_t check_ms;
	rs_callwatch_fire_fn fire;
	void *opaque;
	atomic_int_fast64_t entered_ms; /* mono ms; 0: no call inside */
	_Atomic(const char *) call;
	int fired; /* for the call inside now; the thread's own */
	pthread_mutex_t lock;
	pthread_cond_t cond;
	int stop;
	pthread_t thread;
};

/*
 * The time a call has been inside is what the thread saw pass between its
 * own wake-ups, each counted as check_ms twice at most: a process stopped
 * (SIGSTOP, a suspended machine) does not age its calls, so the call it
 * was in is not taken for stuck when it goes on.
 */
static void *watch_main(void *arg)
{
	rs_callwatch_t *w = arg;
	int64_t seen = 0, inside = 0, last = rs_clock_mono_ms();

	pthread_mutex_lock(&w->lock);
	while (!w->stop) {
		struct timespec until;
		int64_t entered, now, step;

		clock_gettime(CLOCK_REALTIME, &until);
		until.tv_sec += (time_t)(w->check_ms / 1000);
		until.tv_nsec += (long)(w->check_ms % 1000) * 1000000L;
		if (until.tv_nsec >= 1000000000L) {
			until.tv_sec++;
			until.tv_nsec -= 1000000000L;
		}
		pthread_cond_timedwait(&w->cond, &w->lock, &until);
		if (w->stop) {
			break;
		}
		now = rs_clock_mono_ms();
		step = now - last;
		if (step > 2 * w->check_ms) {
			step = 2 * w->check_ms;
		}
		last = now;
		entered = atomic_load(&w->entered_ms);
		if (entered != seen) {
			/* A new call (or none): counted from its start, by
			 * this wake-up's step at most. */
			seen = entered;
			w->fired = 0;
			inside = 0;
			if (entered != 0) {
				inside =
				    now - entered < step ? now - entered : step;
			}
		} else if (entered != 0) {
			inside += step;
		}
		if (entered != 0 && !w->fired && inside > w->limit_ms) {
			w->fired = 1;
			pthread_mutex_unlock(&w->lock);
			w->fire(atomic_load(&w->call), inside, w->opaque);
			pthread_mutex_lock(&w->lock);
		}
	}
	pthread_mutex_unlock(&w->lock);
	return NULL;
}

rs_callwatch_t *rs_callwatch_new(int64_t limit_ms, int64_t check_ms,
                                 rs_callwatch_fire_fn fire, void *opaque)
{
	rs_callwatch_t *w = calloc(1, sizeof(*w));

	if (w == NULL) {
		return NULL;
	}
	w->limit_ms = limit_ms;
	w->check_ms = check_ms > 0 ? check_ms : 1000;
	w->fire = fire;
	w->opaque = opaque;
	atomic_init(&w->entered_ms, 0);
	atomic_init(&w->call, NULL);
	pthread_mutex_init(&w->lock, NULL);
	pthread_cond_init(&w->cond, NULL);
	if (pthread_create(&w->thread, NULL, watch_main, w) != 0) {
		pthread_cond_destroy(&w->cond);
		pthread_mutex_destroy(&w->lock);
		free(w);
		return NULL;
	}
	return w;
}

void rs_callwatch_enter(rs_callwatch_t *w, const char *call)
{
	int64_t now;

	if (w == NULL) {
		return;
	}
	now = rs_clock_mono_ms();
	atomic_store(&w->call, call);
	/* 0 means no call: a (theoretical) clock at 0 is taken as 1 ms. */
	atomic_store(&w->entered_ms, now > 0 ? now : 1);
}

void rs_callwatch_leave(rs_callwatch_t *w)
{
	if (w != NULL) {
		atomic_store(&w->entered_ms, 0);
	}
}

void rs_callwatch_destroy(rs_callwatch_t *w)
{
	if (w == NULL) {
		return;
	}
	pthread_mutex_lock(&w->lock);
	w->stop = 1;
	pthread_cond_signal(&w->cond);
	pthread_mutex_unlock(&w->lock);
	pthread_join(w->thread, NULL);
	pthread_cond_destroy(&w->cond);
	pthread_mutex_destroy(&w->lock);
	free(w);
}

void rs_callwatch_exit(const char *call, int64_t waited_ms, void *opaque)
{
	(void)opaque;
	rs_log(RS_LOG_ERROR, "kafka",
	       "stage stopped: a transactional call did not return; nothing "
	       "more is committed",
	       "call=%s waited_s=%lld librdkafka=%s error=\"%s has waited "
	       "%lld s, past its own timeout: this librdkafka can wait for "
	       "ever for a coordinator after a broker restart (librdkafka "
	       "issues 5456 and 5511; 2.0.2 does not); start the stage "
	       "again: the open transaction is aborted and its lines read "
	       "again\"",
	       call, (long long)(waited_ms / 1000), rd_kafka_version_str(),
	       call, (long long)(waited_ms / 1000));
	fflush(NULL);
	_exit(1);
}
