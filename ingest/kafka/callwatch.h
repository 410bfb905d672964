/* SPDX-License-Identifier: Apache-2.0 */
/*
 * callwatch.h - a watchdog for blocking librdkafka calls that take a
 * timeout but may not keep it. librdkafka 2.16.0 was seen to wait for
 * ever in rd_kafka_send_offsets_to_transaction after a broker
 * restart (its group coordinator request waits for a broker connection
 * that librdkafka no longer serves: librdkafka issues 5456 and 5511), so
 * the stage stalled with its partitions assigned and nothing logged. No
 * call can be interrupted from outside; the watchdog tells, and the stage
 * stops (a supervisor starts it again, and exactly-once holds: nothing
 * was committed, and the new instance aborts the open transaction).
 *
 * The owner brackets each call with rs_callwatch_enter and _leave; a
 * thread of the watchdog calls fire once when a call has been inside for
 * longer than limit_ms, as the thread saw the time pass (a stopped
 * process, SIGSTOP, does not age the call it is in).
 *
 * @locality enter and leave on the calling thread (one call at a time);
 * fire on the watchdog's own thread.
 */
#ifndef RS_KAFKA_CALLWATCH_H
#define RS_KAFKA_CALLWATCH_H

#include <stdint.h>

typedef struct rs_callwatch rs_callwatch_t;

/* A call named call has been inside for waited_ms (past the limit). */
typedef void (*rs_callwatch_fire_fn)(const char *call, int64_t waited_ms,
                                     void *opaque);

/*
 * A watchdog that fires when a call stays longer than limit_ms, looking
 * every check_ms. NULL when its thread cannot start.
 */
rs_callwatch_t *rs_callwatch_new(int64_t limit_ms, int64_t check_ms,
                                 rs_callwatch_fire_fn fire, void *opaque);

/* A call (a static string: its name) begins; w may be NULL. */
void rs_callwatch_enter(rs_callwatch_t *w, const char *call);

/* The call returned; w may be NULL. */
void rs_callwatch_leave(rs_callwatch_t *w);

/* Stop the thread and free; NULL is fine. */
void rs_callwatch_destroy(rs_callwatch_t *w);

/*
 * The stage's fire: log the call that did not return, with the
 * librdkafka version, and end the process with exit status 1 (the stage
 * failed) without committing anything more.
 */
void rs_callwatch_exit(const char *call, int64_t waited_ms, void *opaque);

#endif
