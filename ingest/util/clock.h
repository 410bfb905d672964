/* SPDX-License-Identifier: Apache-2.0 */
/*
 * clock.h - the two clocks the program reads: a monotonic one for
 * intervals, timeouts and ages (never jumps with the wall clock), and the
 * wall clock for timestamps that leave the process (event times, the
 * latency of a Kafka message's own timestamp).
 *
 * @locality any thread; nothing here keeps state.
 */
#ifndef RS_CLOCK_H
#define RS_CLOCK_H

#include <stdint.h>
#include <time.h>

/* Monotonic milliseconds, for intervals only (the origin is arbitrary). */
static inline int64_t rs_clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Monotonic seconds with nanosecond resolution, for rates and durations. */
static inline double rs_clock_mono_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Wall clock in Unix milliseconds. */
static inline int64_t rs_clock_wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

#endif
