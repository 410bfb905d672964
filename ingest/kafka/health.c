/* SPDX-License-Identifier: Apache-2.0 */
/*
 * health.c - is the Kafka stage healthy; see health.h.
 */
#include "kafka/health.h"

#include <stdio.h>

#include "util/clock.h"

int rs_kafkahealth_check_at(const rs_kafkahealth_t *h, int64_t now_ms,
                            char *why, size_t why_size)
{
	static const char *const role[] = {"consumer", "producer"};
	int64_t limit_ms = (int64_t)(h->unhealthy_after * 1000.0);
	int64_t since;

	if (h->unhealthy_after <= 0) {
		return 0;
	}
	for (size_t i = 0; i < 2; i++) {
		if (h->clients[i] == NULL) {
			continue;
		}
		since = rs_kafkaclient_down_since(h->clients[i]);
		if (since != 0 && now_ms - since >= limit_ms) {
			snprintf(why, why_size,
			         "no broker reachable by the %s for %lld s",
			         role[i], (long long)((now_ms - since) / 1000));
			return -1;
		}
	}
	since = h->sink != NULL ? rs_kafkasink_oldest_unacked_ms(h->sink) : 0;
	if (since != 0 && now_ms - since >= limit_ms) {
		snprintf(why, why_size,
		         "output stalled: events unacknowledged for %lld s",
		         (long long)((now_ms - since) / 1000));
		return -1;
	}
	return 0;
}

int rs_kafkahealth_check(void *ctx, char *why, size_t why_size)
{
	return rs_kafkahealth_check_at(ctx, rs_clock_mono_ms(), why, why_size);
}
