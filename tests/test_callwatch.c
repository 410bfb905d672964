/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_callwatch.c - the watchdog over blocking librdkafka calls
 * (kafka/callwatch.c), on the real clock with short limits:
 *
 * - a call inside past the limit fires once, with its name and how long
 *   it waited, while the call still has not returned;
 * - calls that return within the limit never fire, however many;
 * - a second call after a fired one can fire again;
 * - a process stopped (SIGSTOP) for longer than the limit inside a call
 *   does not fire when it goes on and the call returns soon after;
 * - NULL is accepted everywhere (a watchdog that could not start).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdatomic.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "kafka/callwatch.h"

typedef struct fired {
	atomic_int n;
	_Atomic(const char *) call;
	atomic_llong waited_ms;
} fired_t;

static void on_fire(const char *call, int64_t waited_ms, void *opaque)
{
	fired_t *f = opaque;

	atomic_store(&f->call, call);
	atomic_store(&f->waited_ms, (long long)waited_ms);
	atomic_fetch_add(&f->n, 1);
}

/* Wait up to 5 s (a loaded machine) for f->n to reach n. */
static void wait_fired(fired_t *f, int n)
{
	for (int i = 0; i < 500 && atomic_load(&f->n) < n; i++) {
		usleep(10 * 1000);
	}
	assert_int_equal(atomic_load(&f->n), n);
}

static void test_stuck_call_fires_once(void **state)
{
	fired_t f = {0};
	rs_callwatch_t *w = rs_callwatch_new(200, 20, on_fire, &f);

	(void)state;
	assert_non_null(w);
	rs_callwatch_enter(w, "send_offsets_to_transaction");
	usleep(120 * 1000);
	assert_int_equal(atomic_load(&f.n), 0); /* not yet */
	wait_fired(&f, 1);
	assert_string_equal(atomic_load(&f.call),
	                    "send_offsets_to_transaction");
	assert_true(atomic_load(&f.waited_ms) > 200);
	usleep(200 * 1000);
	assert_int_equal(atomic_load(&f.n), 1); /* once per call */
	rs_callwatch_leave(w);
	/* The next call may fire again. */
	rs_callwatch_enter(w, "commit_transaction");
	wait_fired(&f, 2);
	assert_string_equal(atomic_load(&f.call), "commit_transaction");
	rs_callwatch_leave(w);
	rs_callwatch_destroy(w);
}

static void test_returning_calls_never_fire(void **state)
{
	fired_t f = {0};
	rs_callwatch_t *w = rs_callwatch_new(600, 20, on_fire, &f);

	(void)state;
	assert_non_null(w);
	/* 12 calls of 100 ms each: 1.2 s in calls, none over 600 ms. */
	for (int i = 0; i < 12; i++) {
		rs_callwatch_enter(w, "commit_transaction");
		usleep(100 * 1000);
		rs_callwatch_leave(w);
	}
	usleep(800 * 1000); /* idle: nothing inside */
	assert_int_equal(atomic_load(&f.n), 0);
	rs_callwatch_destroy(w);
}

static void test_stopped_process(void **state)
{
	pid_t pid;
	int status;

	(void)state;
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		fired_t f = {0};
		rs_callwatch_t *w = rs_callwatch_new(300, 20, on_fire, &f);

		if (w == NULL) {
			_exit(99);
		}
		rs_callwatch_enter(w, "commit_transaction");
		usleep(50 * 1000);
		raise(SIGSTOP); /* every thread, until the parent's SIGCONT */
		usleep(100 * 1000);
		rs_callwatch_leave(w);
		usleep(100 * 1000);
		rs_callwatch_destroy(w);
		_exit(atomic_load(&f.n));
	}
	assert_int_equal(waitpid(pid, &status, WUNTRACED), pid);
	assert_true(WIFSTOPPED(status));
	usleep(1000 * 1000); /* stopped 1 s: over the 300 ms limit */
	kill(pid, SIGCONT);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 0); /* never fired */
}

static void test_null(void **state)
{
	(void)state;
	rs_callwatch_enter(NULL, "x");
	rs_callwatch_leave(NULL);
	rs_callwatch_destroy(NULL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_stuck_call_fires_once),
	    cmocka_unit_test(test_returning_calls_never_fire),
	    cmocka_unit_test(test_stopped_process),
	    cmocka_unit_test(test_null),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
