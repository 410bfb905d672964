/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_posture.c - the posture engine: window arithmetic, the scope table
 * (growth, removal, the max bound), the MX rollup, policy errors with
 * file:line, hysteresis, refresh and expiry, the event wire decoder, and
 * the scenario fixtures (the .scenario files of tests/fixtures/posture:
 * event streams and the decision timeline the shipped posture/policy.yaml must
 * give).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "event/taxonomy.h"
#include "posture/engine.h"
#include "posture/evread.h"
#include "posture/output.h"
#include "posture/page.h"
#include "posture/policy.h"
#include "testutil.h"
#include "posture/scenario.h"
#include "posture/scopes.h"
#include "posture/site.h"
#include "posture/window.h"
#include "replyscan/v1/event.pb-c.h"

#define POLICY RS_RULES_DIR "/../posture/policy.yaml"
#define BASE_MS 1795759200000LL /* 2026-11-27 06:00:00 UTC */

/* ---- windows ---- */

static void test_window_sum_and_age(void **state)
{
	rs_pw_t w;
	rs_pw_bucket_t s;

	(void)state;
	rs_pw_init(&w);
	assert_int_equal(rs_pw_sum(&w, 10, 3, &s), 3);
	assert_int_equal(s.attempts, 0);
	rs_pw_at(&w, 10)->attempts = 1;
	rs_pw_at(&w, 11)->attempts = 2;
	rs_pw_at(&w, 12)->attempts = 4;
	rs_pw_sum(&w, 12, 1, &s);
	assert_int_equal(s.attempts, 4);
	rs_pw_sum(&w, 12, 2, &s);
	assert_int_equal(s.attempts, 6);
	rs_pw_sum(&w, 12, 10, &s);
	assert_int_equal(s.attempts, 7);
	/* A late event inside the fine ring lands in its own bucket. */
	rs_pw_at(&w, 11)->attempts += 8;
	rs_pw_sum(&w, 12, 2, &s);
	assert_int_equal(s.attempts, 14);
	/* Boundary: at 21 the fine ring holds 12..21; bucket 10 and 11 have
	 * been folded into coarse bucket 1 (numbers 10..19). */
	rs_pw_at(&w, 21)->attempts = 16;
	assert_int_equal(rs_pw_sum(&w, 21, 10, &s), 10);
	assert_int_equal(s.attempts, 4 + 16);
	/* A 20-wide window as of 21 starts at 2: coarse 0 (0..9) straddles
	 * that start and is left out, coarse 1 (its folded 10..11) lies
	 * inside: the sum covers 10..21. */
	assert_int_equal(rs_pw_sum(&w, 21, 20, &s), 12);
	assert_int_equal(s.attempts, 1 + 10 + 4 + 16);
	/* As of 30 the 20-wide window starts at 11: coarse 1 straddles it
	 * and is left out (12..30). */
	assert_int_equal(rs_pw_sum(&w, 30, 20, &s), 19);
	assert_int_equal(s.attempts, 4 + 16);
	/* A late event older than the fine ring goes to its coarse bucket. */
	rs_pw_at(&w, 10)->attempts += 32;
	rs_pw_sum(&w, 21, 20, &s);
	assert_int_equal(s.attempts, 1 + 10 + 32 + 4 + 16);
	/* Expiry: at 70 the coarse ring holds 2..6 (20..60); 1 hour as of
	 * 70 starts at 11, rounded up to 20: bucket 21 and 61..70 count. */
	rs_pw_at(&w, 70)->attempts = 64;
	assert_int_equal(rs_pw_sum(&w, 70, 60, &s), 51);
	assert_int_equal(s.attempts, 16 + 64);
	assert_null(rs_pw_at(&w, 19));
	assert_non_null(rs_pw_at(&w, 20));
	/* At 80 coarse 2 (20..29) has left the ring with bucket 21; 1 hour
	 * starts at 21, rounded up to 30. */
	rs_pw_at(&w, 80);
	assert_null(rs_pw_at(&w, 29));
	assert_non_null(rs_pw_at(&w, 30));
	assert_int_equal(rs_pw_sum(&w, 80, 60, &s), 51);
	assert_int_equal(s.attempts, 64);
	/* A jump past the whole span clears everything. */
	rs_pw_at(&w, 1000)->attempts = 1;
	rs_pw_sum(&w, 1000, 60, &s);
	assert_int_equal(s.attempts, 1);
	/* A sum as of a later bucket leaves out what is older than k. */
	rs_pw_sum(&w, 1002, 2, &s);
	assert_int_equal(s.attempts, 0);
	rs_pw_sum(&w, 1002, 3, &s);
	assert_int_equal(s.attempts, 1);
	/* The window widths counted as stated. */
	assert_true(rs_pw_window_ok(1) && rs_pw_window_ok(10));
	assert_true(rs_pw_window_ok(20) && rs_pw_window_ok(60));
	assert_false(rs_pw_window_ok(0) || rs_pw_window_ok(11));
	assert_false(rs_pw_window_ok(15) || rs_pw_window_ok(70));
}

/*
 * The two-resolution ring against a plain list of every event: random
 * streams (mostly forward, some late, some jumps) and every window width;
 * a window of k as of the head counts exactly the events in [L, head],
 * where L is its start when that is inside the fine ring, else its start
 * rounded up to a coarse boundary (or the fine ring's start, whichever is
 * lower); events the ring refuses are exactly those older than its
 * coarse ring.
 */
static void test_window_against_list(void **state)
{
	enum { N = 4000 };
	static uint32_t ref[N];
	unsigned seed = 12345;

	(void)state;
	for (int round = 0; round < 40; round++) {
		rs_pw_t w;
		int64_t head = -1, t = 0;

		memset(ref, 0, sizeof(ref));
		rs_pw_init(&w);
		for (int i = 0; i < 3000; i++) {
			int64_t n;
			rs_pw_bucket_t *b;

			seed = seed * 1103515245u + 12345u;
			switch ((seed >> 16) % 16) {
			case 0:
				t += 30 + (seed >> 8) % 40; /* a jump */
				break;
			case 1:
			case 2:
				t += 1;
				break;
			default:
				break;
			}
			if (t >= N - 100) {
				break;
			}
			n = t;
			if (((seed >> 12) & 7) == 0) {
				n = t - (int64_t)((seed >> 4) % 70); /* late */
			}
			if (n < 0) {
				n = 0;
			}
			b = rs_pw_at(&w, n);
			if (head < 0 || n > head) {
				head = n;
			}
			{
				int64_t ch =
				    head >= RS_PW_FINE
					? (head - RS_PW_FINE) / RS_PW_FOLD
					: -1;
				int ok = n > head - RS_PW_FINE ||
				         n / RS_PW_FOLD > ch - RS_PW_COARSE;

				if ((b != NULL) != ok) {
					fail_msg("round %d: fine %lld at head "
					         "%lld: %s",
					         round, (long long)n,
					         (long long)head,
					         b ? "taken" : "refused");
				}
			}
			if (b == NULL) {
				continue;
			}
			b->attempts++;
			ref[n]++;
			for (int k = 1; k <= RS_PW_MAX_WINDOW; k++) {
				rs_pw_bucket_t s;
				int64_t lo = head - k + 1, L = lo, want = 0;
				int got;

				if (!rs_pw_window_ok(k)) {
					continue;
				}
				if (lo <= head - RS_PW_FINE) {
					int64_t up =
					    lo <= 0
						? 0
						: (lo + RS_PW_FOLD - 1) /
						      RS_PW_FOLD * RS_PW_FOLD;

					L = up < head - RS_PW_FINE + 1
					        ? up
					        : head - RS_PW_FINE + 1;
				}
				for (int64_t f = L < 0 ? 0 : L; f <= head;
				     f++) {
					want += ref[f];
				}
				got = rs_pw_sum(&w, head, k, &s);
				if ((int64_t)s.attempts != want ||
				    got != (int)(head - (L < 0 ? 0 : L) + 1)) {
					fail_msg("round %d: window %d at %lld: "
					         "%u events over %d, want %lld "
					         "over %lld",
					         round, k, (long long)head,
					         s.attempts, got,
					         (long long)want,
					         (long long)(head - L + 1));
				}
			}
		}
	}
}

static void test_window_receivers(void **state)
{
	(void)state;
	assert_int_equal(rs_pw_receivers(0), 0);
	assert_int_equal(rs_pw_receivers(1), 1);
	/* linear counting: 8 of 64 bits set stands for 8.5 sites */
	assert_int_equal(rs_pw_receivers(0xff), 9);
	assert_true(rs_pw_receivers(~0ull) >= 200);
}

/* ---- scope table ---- */

static void test_scopes_table(void **state)
{
	rs_pscopes_t *t = rs_pscopes_new(5000);
	int created;

	(void)state;
	for (uint32_t i = 2; i < 4002; i++) {
		rs_pscope_t *s =
		    rs_pscopes_get(t, rs_pscope_key(i, 7), &created);

		assert_non_null(s);
		assert_true(created);
		s->last_ms = i;
	}
	assert_int_equal(rs_pscopes_count(t), 4000);
	/* Remove every third; the rest keep their records. */
	for (size_t i = rs_pscopes_count(t); i-- > 0;) {
		if (rs_pscopes_at(t, i)->last_ms % 3 == 0) {
			rs_pscopes_remove_at(t, i);
		}
	}
	for (uint32_t i = 2; i < 4002; i++) {
		rs_pscope_t *s = rs_pscopes_find(t, rs_pscope_key(i, 7));

		if (i % 3 == 0) {
			assert_null(s);
		} else {
			assert_non_null(s);
			assert_int_equal(s->last_ms, i);
		}
	}
	/* Found again, not created again. */
	assert_non_null(rs_pscopes_get(t, rs_pscope_key(2, 7), &created));
	assert_false(created);
	rs_pscopes_free(t);
	/* The bound. */
	t = rs_pscopes_new(4);
	for (uint32_t i = 2; i < 6; i++) {
		assert_non_null(
		    rs_pscopes_get(t, rs_pscope_key(i, 1), &created));
	}
	assert_null(rs_pscopes_get(t, rs_pscope_key(9, 1), &created));
	rs_pscopes_free(t);
	/* What the README states per scope. */
	assert_true(RS_PSCOPE_BYTES <= 832);
}

static void test_names(void **state)
{
	rs_pnames_t *n = rs_pnames_new();
	uint32_t a, b;

	(void)state;
	assert_int_equal(rs_pnames_id(n, "*", 1), RS_PNAME_ANY);
	a = rs_pnames_id(n, "10.0.0.1", 8);
	b = rs_pnames_id(n, "10.0.0.10", 9);
	assert_true(a != b);
	assert_int_equal(rs_pnames_id(n, "10.0.0.1x", 8), a);
	assert_string_equal(rs_pnames_get(n, b), "10.0.0.10");
	assert_int_equal(rs_pnames_lookup(n, "nope", 4), 0);
	for (int i = 0; i < 5000; i++) {
		char tmp[32];

		snprintf(tmp, sizeof(tmp), "h%d", i);
		assert_true(rs_pnames_id(n, tmp, strlen(tmp)) > 1);
	}
	assert_int_equal(rs_pnames_id(n, "10.0.0.10", 9), b);
	rs_pnames_free(n);
}

/* ---- MX rollup ---- */

static void rollup(const rs_psites_t *t, const char *host, const char *want)
{
	char out[128];

	rs_psites_rollup(t, host, strlen(host), out, sizeof(out));
	if (strcmp(out, want) != 0) {
		fail_msg("%s rolled up to '%s', want '%s'", host, out, want);
	}
}

static void test_site_rollup(void **state)
{
	rs_psites_t *t = rs_psites_new();

	(void)state;
	assert_int_equal(rs_psites_add(t, "l.google.com", "google"), 0);
	assert_int_equal(rs_psites_add(t, "gmail.com", "google"), 0);
	assert_int_equal(
	    rs_psites_add(t, "mail.protection.outlook.com", "microsoft"), 0);
	assert_int_equal(rs_psites_add(t, "yahoodns.net", "yahoo"), 0);
	rollup(t, "alt4.gmail-smtp-in.l.google.com", "google");
	rollup(t, "ASPMX.L.GOOGLE.COM.", "google");
	rollup(t, "gmail.com", "google");
	rollup(t, "contoso-com.mail.protection.outlook.com", "microsoft");
	rollup(t, "mta7.am0.yahoodns.net", "yahoo");
	/* not listed: the registered domain */
	rollup(t, "mx1.mail.example.org", "example.org");
	rollup(t, "mx.smtp.example.co.uk", "example.co.uk");
	rollup(t, "example.org", "example.org");
	rollup(t, "localhost", "localhost");
	rollup(t, "", "");
	/* a look-up never adds a suffix */
	assert_int_equal(rs_psites_count(t), 4);
	rs_psites_free(t);
}

/* ---- policy ---- */

static void test_policy_errors(void **state)
{
	(void)state;
	rs_test_policy_refused(
	    "", "p.yaml:1: the policy is empty (it needs rules)");
	rs_test_policy_refused("bucket: 5m\nrules: []\n",
	                       "p.yaml:2: rules must be a non-empty list");
	rs_test_policy_refused(
	    "bucket: 5x\nrules: []\n",
	    "p.yaml:1: bucket must be a positive duration such as "
	    "90s, 10m, 1h or 2d");
	rs_test_policy_refused(
	    "rules:\n  - id: a\n    match: {classes: [rate_limitt]}\n"
	    "    posture: pause\n",
	    "p.yaml:3: match.classes: unknown class 'rate_limitt' "
	    "(see TAXONOMY.md)");
	rs_test_policy_refused(
	    "rules:\n  - id: a\n    match: {classes: [rate_limit]}\n"
	    "    posture: slow\n",
	    "p.yaml:4: posture must be observe, throttle, pause or "
	    "none");
	rs_test_policy_refused(
	    "rules:\n  - id: a\n    match: {classes: [rate_limit]}\n"
	    "    window: 15m\n    posture: pause\n",
	    "p.yaml:4: window must be 1 to 10 buckets (bucket 60 s), "
	    "or a multiple of 10 buckets up to 60");
	rs_test_policy_refused(
	    "bucket: 30s\nrules:\n  - id: a\n"
	    "    match: {classes: [rate_limit]}\n"
	    "    window: 90m\n    posture: pause\n",
	    "p.yaml:5: window must be 1 to 10 buckets (bucket 30 s), "
	    "or a multiple of 10 buckets up to 60");
	{
		/* Nine rules with a posture: one more than the slots; a
		 * posture-none rule among them takes none. */
		char text[2048] = "rules:\n";

		for (int i = 0; i < 10; i++) {
			snprintf(text + strlen(text),
			         sizeof(text) - strlen(text),
			         "  - id: r%d\n    match: {classes: "
			         "[rate_limit]}\n    posture: %s\n",
			         i, i == 3 ? "none" : "pause");
		}
		rs_test_policy_refused(
		    text, "p.yaml:29: rule r9: at most 8 rules with a "
			  "posture (each counts in its own window "
			  "slot; posture none rules count none)");
	}
	rs_test_policy_refused(
	    "rules:\n  - id: a\n    match: {classes: [rate_limit]}\n"
	    "    min_rate: 0.1\n    release_rate: 0.2\n"
	    "    posture: pause\n",
	    "p.yaml:5: release_rate must not exceed min_rate (the "
	    "hysteresis needs release <= enter)");
	rs_test_policy_refused(
	    "rules:\n  - id: a\n    match: {classes: [rate_limit]}\n"
	    "    posture: pause\n"
	    "  - id: a\n    match: {classes: [greylisting]}\n"
	    "    posture: observe\n",
	    "p.yaml:5: rule id 'a' is used twice (first at line 2)");
	rs_test_policy_refused(
	    "rules:\n  - id: a\n    match: {klasses: [x]}\n"
	    "    posture: pause\n",
	    "p.yaml:3: unknown key 'klasses' in match (valid keys: "
	    "classes, tags, codes, status)");
	rs_test_policy_refused(
	    "sites:\n  google: ['*.l.google.com']\nrules:\n"
	    "  - id: a\n    match: {classes: [rate_limit]}\n"
	    "    posture: pause\n",
	    "p.yaml:2: sites.google: '*.l.google.com' must be a "
	    "host suffix without a leading dot or '*' "
	    "(l.google.com)");
	rs_test_policy_refused("rules:\n  - id: a\n    posture: pause\n",
	                       "p.yaml:2: rule a has no match");
}

static void test_policy_shipped(void **state)
{
	char err[512] = "";
	rs_policy_t *p = rs_policy_load(POLICY, err, sizeof(err));

	(void)state;
	if (p == NULL) {
		fail_msg("%s", err);
	}
	assert_int_equal(p->bucket_ms, 60000);
	assert_int_equal(rs_policy_window_ms(p), 3600000);
	assert_true(p->nrules >= 6);
	{
		/* 1-minute, 10-minute and 1-hour windows side by side */
		int seen = 0;

		for (size_t i = 0; i < p->nrules; i++) {
			int k = p->rules[i].window_buckets;

			seen |= (k == 1) | (k == 10) << 1 | (k == 60) << 2;
		}
		assert_int_equal(seen, 7);
	}
	rs_policy_free(p);
	assert_int_equal(rs_policy_duration("90s"), 90000);
	assert_int_equal(rs_policy_duration("1.5h"), 5400000);
	assert_int_equal(rs_policy_duration("10"), 10000);
	assert_int_equal(rs_policy_duration("10mm"), -1);
	assert_int_equal(rs_policy_duration("-1s"), -1);
}

/* ---- engine: decisions collected as "T scope posture rule" lines ---- */

typedef struct collect {
	char lines[64][160];
	int n;
	int refreshes;
	Replyscan__V1__PostureDecision last;
	char last_reply[256];
	double last_suggested;
} collect_t;

static void on_decision(void *ctx, const Replyscan__V1__PostureDecision *d)
{
	collect_t *c = ctx;

	if (d->refresh) {
		c->refreshes++;
		return;
	}
	if (c->n < 64) {
		snprintf(c->lines[c->n], sizeof(c->lines[0]), "%lld %s %s %s",
		         (long long)((d->decided_unix_ms - BASE_MS) / 1000),
		         d->scope, rs_posture_name(d->posture),
		         d->rule_id[0] ? d->rule_id : "-");
	}
	c->n++;
	snprintf(c->last_reply, sizeof(c->last_reply), "%s", d->reply_text);
	c->last_suggested = d->suggested_rate_per_min;
}

static rs_pevent_t ev_at(double secs, const char *ip, const char *mx,
                         int status, int cause)
{
	rs_pevent_t ev;

	memset(&ev, 0, sizeof(ev));
	ev.t_ms = BASE_MS + (int64_t)(secs * 1000);
	ev.status = status;
	ev.cause = cause;
	ev.sending.p = ip;
	ev.sending.n = strlen(ip);
	ev.remote_host.p = mx;
	ev.remote_host.n = strlen(mx);
	return ev;
}

static const char small_policy[] =
    "bucket: 1m\nrefresh: 5m\nidle: 3m\n"
    "rules:\n"
    "  - id: rl\n    match: {classes: [rate_limit]}\n    window: 2m\n"
    "    min_hits: 2\n    min_rate: 0.5\n    release_rate: 0.2\n"
    "    posture: throttle\n    hold: 1m\n";

static void test_hysteresis_refresh_expiry(void **state)
{
	char err[256];
	rs_policy_t *p = rs_policy_load_buffer(
	    "p.yaml", small_policy, strlen(small_policy), err, sizeof(err));
	collect_t c = {0};
	rs_posture_t *e;
	rs_posture_stats_t st;
	rs_pevent_t ev;

	(void)state;
	assert_non_null(p);
	e = rs_posture_new(p, on_decision, &c);
	assert_non_null(e);
	/* 2 of 3 attempts rate-limited: throttle at t=2. */
	ev = ev_at(0, "a", "mx.x.org", RS_STATUS_SENT, 0);
	rs_posture_add(e, &ev);
	ev = ev_at(1, "a", "mx.x.org", RS_STATUS_DEFERRED, RS_CAUSE_RATE_LIMIT);
	rs_posture_add(e, &ev);
	assert_int_equal(c.n, 0);
	ev = ev_at(2, "a", "mx.x.org", RS_STATUS_DEFERRED, RS_CAUSE_RATE_LIMIT);
	rs_posture_add(e, &ev);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.lines[0], "2 ip_site:a@x.org throttle rl");
	/* Another deferral at t=100 fires again (3 of 4 in the window):
	 * the 1 m hold now runs to t=160. */
	ev = ev_at(100, "a", "mx.x.org", RS_STATUS_DEFERRED,
	           RS_CAUSE_RATE_LIMIT);
	rs_posture_add(e, &ev);
	for (int i = 0; i < 2; i++) {
		ev = ev_at(101 + i, "a", "mx.x.org", RS_STATUS_SENT, 0);
		rs_posture_add(e, &ev);
	}
	assert_int_equal(c.n, 1);
	/* Past the hold, the window [60 s, 180 s) holds 1 hit in 4, then 5
	 * attempts: below the enter rate (50%) but not below the release
	 * rate (20%), so the posture stays (hysteresis) ... */
	ev = ev_at(170, "a", "mx.x.org", RS_STATUS_SENT, 0);
	rs_posture_add(e, &ev);
	ev = ev_at(175, "a", "mx.x.org", RS_STATUS_SENT, 0);
	rs_posture_add(e, &ev);
	assert_int_equal(c.n, 1);
	/* ... until 1 in 6 is below it. */
	ev = ev_at(178, "a", "mx.x.org", RS_STATUS_SENT, 0);
	rs_posture_add(e, &ev);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.lines[1], "178 ip_site:a@x.org observe -");
	rs_posture_stats(e, &st);
	assert_int_equal(st.by_posture[RS_POSTURE_THROTTLE], 0);
	assert_int_equal(st.scopes, 4);
	/* Idle scopes expire (3 m) at the first sweep after. */
	rs_posture_tick(e, BASE_MS + 400 * 1000);
	rs_posture_stats(e, &st);
	assert_int_equal(st.scopes, 0);
	assert_int_equal(st.expired, 4);
	/* Throttled at t=601 (until 661); deferrals every 10 s keep firing
	 * and move the 1 m hold on; each time it has moved more than the
	 * 2 m window past the last published until, it is published again
	 * (t=730, 860, 990), so that a restart that re-reads one window is
	 * never short of it by more than a window. */
	for (int i = 0; i < 4; i++) {
		ev = ev_at(600 + i, "b", "mx.y.org", RS_STATUS_DEFERRED,
		           RS_CAUSE_RATE_LIMIT);
		rs_posture_add(e, &ev);
	}
	assert_int_equal(c.n, 3);
	for (int t = 610; t < 1000; t += 10) {
		ev = ev_at(t, "b", "mx.y.org", RS_STATUS_DEFERRED,
		           RS_CAUSE_RATE_LIMIT);
		rs_posture_add(e, &ev);
	}
	assert_int_equal(c.n, 3);
	assert_int_equal(c.refreshes, 3);
	/* 50 buckets of 1 m behind the clock (990 s) or more: older than a
	 * scope's coarse ring may hold, not counted. */
	ev = ev_at(990 - 3000, "a", "mx.x.org", RS_STATUS_SENT, 0);
	rs_posture_add(e, &ev);
	rs_posture_stats(e, &st);
	assert_int_equal(st.too_old, 1);
	ev = ev_at(990 - 2990, "a", "mx.x.org", RS_STATUS_SENT, 0);
	rs_posture_add(e, &ev);
	rs_posture_stats(e, &st);
	assert_int_equal(st.too_old, 1);
	rs_posture_free(e);
	rs_policy_free(p);
}

/* A held posture without new events is published again every refresh. */
static void test_slow_refresh(void **state)
{
	static const char pol[] = "bucket: 1m\nrefresh: 5m\nrules:\n"
				  "  - id: rl\n"
				  "    match: {classes: [rate_limit]}\n"
				  "    min_hits: 2\n    posture: throttle\n"
				  "    hold: 30m\n";
	char err[256];
	rs_policy_t *p =
	    rs_policy_load_buffer("p.yaml", pol, strlen(pol), err, sizeof(err));
	collect_t c = {0};
	rs_posture_t *e;
	rs_pevent_t ev;

	(void)state;
	assert_non_null(p);
	e = rs_posture_new(p, on_decision, &c);
	ev = ev_at(0, "a", "mx.x.org", RS_STATUS_DEFERRED, RS_CAUSE_RATE_LIMIT);
	rs_posture_add(e, &ev);
	ev = ev_at(1, "a", "mx.x.org", RS_STATUS_DEFERRED, RS_CAUSE_RATE_LIMIT);
	rs_posture_add(e, &ev);
	assert_int_equal(c.n, 1);
	/* refresh due at 301: published by the sweeps at 360, 660, 960,
	 * 1260; still held (until 1801) */
	for (int t = 60; t <= 1260; t += 60) {
		rs_posture_tick(e, BASE_MS + (int64_t)t * 1000);
	}
	assert_int_equal(c.refreshes, 4);
	assert_int_equal(c.n, 1);
	rs_posture_tick(e, BASE_MS + 1860 * 1000);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.lines[1], "1860 ip_site:a@x.org observe -");
	rs_posture_free(e);
	rs_policy_free(p);
}

/*
 * Two windows in one policy: a 1-minute burst rule throttles first; when
 * its hold ends with a clean minute, the 10-minute rule that still fires
 * takes over (one decision) instead of a release and nothing.
 */
static void test_hand_over(void **state)
{
	static const char pol[] =
	    "bucket: 1m\nrefresh: 1h\nrules:\n"
	    "  - id: burst\n    match: {classes: [rate_limit]}\n"
	    "    window: 1m\n    min_hits: 2\n    posture: throttle\n"
	    "    hold: 1m\n"
	    "  - id: slow\n    match: {classes: [rate_limit]}\n"
	    "    window: 10m\n    min_hits: 4\n    posture: throttle\n"
	    "    hold: 5m\n";
	char err[256];
	rs_policy_t *p =
	    rs_policy_load_buffer("p.yaml", pol, strlen(pol), err, sizeof(err));
	collect_t c = {0};
	rs_posture_t *e;
	rs_pevent_t ev;
	static const int defer_at[] = {0, 1, 30, 40};

	(void)state;
	if (p == NULL) {
		fail_msg("%s", err);
	}
	e = rs_posture_new(p, on_decision, &c);
	for (int i = 0; i < 4; i++) {
		ev = ev_at(defer_at[i], "a", "mx.x.org", RS_STATUS_DEFERRED,
		           RS_CAUSE_RATE_LIMIT);
		rs_posture_add(e, &ev);
	}
	/* burst at t=1 (until 100); slow fires at t=40 but holds the same
	 * posture: no decision. */
	assert_int_equal(c.n, 1);
	assert_string_equal(c.lines[0], "1 ip_site:a@x.org throttle burst");
	ev = ev_at(200, "a", "mx.x.org", RS_STATUS_SENT, 0);
	rs_posture_add(e, &ev);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.lines[1], "200 ip_site:a@x.org throttle slow");
	/* slow's hold (to 500) and its window (the deferrals leave it at
	 * minute 10) end: released at the first event after both. */
	ev = ev_at(590, "a", "mx.x.org", RS_STATUS_SENT, 0);
	rs_posture_add(e, &ev);
	assert_int_equal(c.n, 2);
	ev = ev_at(600, "a", "mx.x.org", RS_STATUS_SENT, 0);
	rs_posture_add(e, &ev);
	assert_int_equal(c.n, 3);
	assert_string_equal(c.lines[2], "600 ip_site:a@x.org observe -");
	rs_posture_free(e);
	rs_policy_free(p);
}

/* A rollup event (count > 1) weighs as that many attempts. */
static void test_rollup_weight(void **state)
{
	char err[256];
	rs_policy_t *p = rs_policy_load_buffer(
	    "p.yaml", small_policy, strlen(small_policy), err, sizeof(err));
	collect_t c = {0};
	rs_posture_t *e = rs_posture_new(p, on_decision, &c);
	rs_posture_stats_t st;
	rs_pevent_t ev;

	(void)state;
	ev = ev_at(0, "a", "mx.x.org", RS_STATUS_SENT, 0);
	ev.count = 10;
	rs_posture_add(e, &ev);
	/* 2 of 12 attempts: below 50% (2 of 3 would throttle). */
	for (int i = 1; i <= 2; i++) {
		ev = ev_at(i, "a", "mx.x.org", RS_STATUS_DEFERRED,
		           RS_CAUSE_RATE_LIMIT);
		rs_posture_add(e, &ev);
	}
	assert_int_equal(c.n, 0);
	/* 10 more in one rollup-like event of failures: 12 of 22. */
	ev = ev_at(3, "a", "mx.x.org", RS_STATUS_DEFERRED, RS_CAUSE_RATE_LIMIT);
	ev.count = 10;
	rs_posture_add(e, &ev);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.lines[0], "3 ip_site:a@x.org throttle rl");
	rs_posture_stats(e, &st);
	assert_int_equal(st.events, 4);
	rs_posture_free(e);
	rs_policy_free(p);
}

static void test_restore(void **state)
{
	char err[256];
	rs_policy_t *p = rs_policy_load_buffer(
	    "p.yaml", small_policy, strlen(small_policy), err, sizeof(err));
	collect_t c = {0};
	rs_posture_t *e = rs_posture_new(p, on_decision, &c);
	Replyscan__V1__PostureDecision d =
	    REPLYSCAN__V1__POSTURE_DECISION__INIT;
	rs_posture_stats_t st;
	rs_pevent_t ev;

	(void)state;
	d.scope = "ip_site:a@x.org";
	d.sending = "a";
	d.site = "x.org";
	d.rule_id = "rl";
	d.posture = REPLYSCAN__V1__POSTURE__POSTURE_THROTTLE;
	d.since_unix_ms = BASE_MS;
	d.until_unix_ms = BASE_MS + 3600 * 1000;
	d.decided_unix_ms = BASE_MS;
	assert_int_equal(rs_posture_restore(e, &d), 0);
	rs_posture_stats(e, &st);
	assert_int_equal(st.by_posture[RS_POSTURE_THROTTLE], 1);
	/* The hold outlasts a clean window: still throttled at 30 min. */
	ev = ev_at(1800, "a", "mx.x.org", RS_STATUS_SENT, 0);
	rs_posture_add(e, &ev);
	assert_int_equal(c.n, 0);
	/* and released after it. */
	ev = ev_at(3700, "a", "mx.x.org", RS_STATUS_SENT, 0);
	rs_posture_add(e, &ev);
	assert_int_equal(c.n, 1);
	assert_string_equal(c.lines[0], "3700 ip_site:a@x.org observe -");
	/* An unknown rule is refused. */
	d.rule_id = "gone";
	assert_int_equal(rs_posture_restore(e, &d), -1);
	rs_posture_free(e);
	rs_policy_free(p);
}

typedef struct reply_seen {
	char text[128];
} reply_seen_t;

static void read_reply(void *ctx, const Replyscan__V1__PostureDecision *d)
{
	reply_seen_t *r = ctx;

	snprintf(r->text, sizeof(r->text), "%s", d->reply_text);
}

static rs_pevent_t deferral(double secs, const char *text)
{
	rs_pevent_t ev = ev_at(secs, "a", "mx.x.org", RS_STATUS_DEFERRED,
	                       RS_CAUSE_RATE_LIMIT);

	ev.reply_text.p = text;
	ev.reply_text.n = strlen(text);
	return ev;
}

/* The reply shown is the majority shape's (ids and IPs blanked), not
 * merely the latest. */
static void test_reply_majority(void **state)
{
	static const char *const texts[] = {
	    "421 first 1",
	    "421 first 2",
	    "421 4.7.0 try later [10.0.0.1] id 123",
	    "421 4.7.0 try later [10.0.0.2] id 456",
	    "421 4.7.0 try later [10.0.0.3] id 789",
	    "421 something else",
	};
	char err[256];
	rs_policy_t *p = rs_policy_load_buffer(
	    "p.yaml", small_policy, strlen(small_policy), err, sizeof(err));
	collect_t c = {0};
	rs_posture_t *e = rs_posture_new(p, on_decision, &c);
	reply_seen_t r = {""};

	(void)state;
	for (int i = 0; i < 6; i++) {
		rs_pevent_t ev = deferral(1 + i, texts[i]);

		rs_posture_add(e, &ev);
	}
	assert_int_equal(c.n, 1); /* throttle at the 2nd */
	assert_string_equal(c.last_reply, "421 first 2");
	rs_posture_foreach(e, read_reply, &r);
	assert_string_equal(r.text, "421 4.7.0 try later [10.0.0.3] id 789");
	rs_posture_free(e);
	rs_policy_free(p);
}

/* ---- wire decoding: a packed DeferralEvent gives the same fields ---- */

static void test_decode(void **state)
{
	Replyscan__V1__DeferralEvent m = REPLYSCAN__V1__DEFERRAL_EVENT__INIT;
	char *tags[] = {"provider:google", "code:gmail-x.7.28"};
	uint8_t buf[512];
	size_t n;
	rs_pevent_t ev;

	(void)state;
	m.log_time_unix_ms = BASE_MS + 5;
	m.status = REPLYSCAN__V1__STATUS__STATUS_DEFERRED;
	m.cause = REPLYSCAN__V1__CAUSE__CAUSE_RATE_LIMIT;
	m.reply_code = 421;
	m.enhanced_code = "4.7.28";
	m.reply_text = "421 4.7.28 slow down";
	m.remote_host = "gmail-smtp-in.l.google.com";
	m.recipient_domain = "gmail.com";
	m.log_host = "mta1";
	m.vmta = "vmta-a";
	m.n_tags = 2;
	m.tags = tags;
	n = replyscan__v1__deferral_event__pack(&m, buf);
	assert_int_equal(rs_pevent_decode(buf, n, &ev), 0);
	assert_int_equal(ev.t_ms, BASE_MS + 5);
	assert_int_equal(ev.status, RS_STATUS_DEFERRED);
	assert_int_equal(ev.cause, RS_CAUSE_RATE_LIMIT);
	assert_int_equal(ev.reply_code, 421);
	assert_int_equal(ev.ntags, 2);
	assert_memory_equal(ev.tags[1].p, "code:gmail-x.7.28", 17);
	/* vmta before log_host as the sending side */
	assert_int_equal(ev.sending.n, 6);
	assert_memory_equal(ev.sending.p, "vmta-a", 6);
	/* sending_ip first of all */
	m.sending_ip = "192.0.2.7";
	n = replyscan__v1__deferral_event__pack(&m, buf);
	assert_int_equal(rs_pevent_decode(buf, n, &ev), 0);
	assert_memory_equal(ev.sending.p, "192.0.2.7", 9);
	assert_int_equal(ev.count, 1);
	/* cut short */
	assert_int_equal(rs_pevent_decode(buf, n - 3, &ev), -1);
	/* a rollup of delivered lines stands for its aggregated_count */
	m.aggregated_count = 7;
	n = replyscan__v1__deferral_event__pack(&m, buf);
	assert_int_equal(rs_pevent_decode(buf, n, &ev), 0);
	assert_int_equal(ev.count, 7);
}

/* ---- output ---- */

static void test_output(void **state)
{
	Replyscan__V1__PostureDecision d =
	    REPLYSCAN__V1__POSTURE_DECISION__INIT;
	rs_buf_t out = {0};

	(void)state;
	d.scope = "ip_site:192.0.2.7@google";
	d.level = REPLYSCAN__V1__SCOPE_LEVEL__SCOPE_LEVEL_IP_SITE;
	d.sending = "192.0.2.7";
	d.site = "google";
	d.rule_id = "gmail-4.7.28";
	d.posture = REPLYSCAN__V1__POSTURE__POSTURE_THROTTLE;
	d.suggested_rate_per_min = 40;
	d.decided_unix_ms = BASE_MS;
	d.until_unix_ms = BASE_MS + 3600 * 1000;
	d.reply_text = "421 \"x\"";
	d.advice = "";
	rs_poutput_write(&d, RS_POUTPUT_PMTA, &out);
	rs_buf_putc(&out, '\0');
	assert_non_null(strstr(out.data, "\npmta set queue --mode=backoff "
	                                 "google/192.0.2.7\n"));
	rs_buf_reset(&out);
	rs_poutput_write(&d, RS_POUTPUT_KUMOMTA, &out);
	rs_buf_putc(&out, '\0');
	/* google is a site of the policy: a KumoMTA provider table */
	assert_non_null(strstr(out.data,
	                       "\n[provider.\"google\".sources.\"192.0.2.7\"]\n"
	                       "max_message_rate = \"40/min\"\n"));
	rs_buf_reset(&out);
	/* a registered domain: a domain table */
	d.site = "example.org";
	rs_poutput_write(&d, RS_POUTPUT_KUMOMTA, &out);
	rs_buf_putc(&out, '\0');
	assert_non_null(strstr(out.data, "\n[\"example.org\".sources."
	                                 "\"192.0.2.7\"]\n"));
	rs_buf_reset(&out);
	d.site = "google";
	d.posture = REPLYSCAN__V1__POSTURE__POSTURE_PAUSE;
	rs_poutput_write(&d, RS_POUTPUT_KUMOMTA, &out);
	rs_buf_putc(&out, '\0');
	assert_non_null(strstr(out.data, "\nkcli suspend-ready-q --name "
	                                 "'192.0.2.7->google@smtp_client' "
	                                 "--reason 'replyscan gmail-4.7.28' "
	                                 "--duration 1h\n"));
	assert_non_null(
	    strstr(out.data, "{\"ready_q\":[{\"rule_hash\":\"gmail-4.7.28\","
	                     "\"site_name\":\"google\",\"reason\":\"replyscan "
	                     "pause\",\"source\":\"192.0.2.7\",\"expires\":"
	                     "\"2026-11-27T07:00:00Z\"}]}\n"));
	rs_buf_reset(&out);
	rs_poutput_write(&d, RS_POUTPUT_PMTA, &out);
	rs_buf_putc(&out, '\0');
	assert_non_null(
	    strstr(out.data, "\npmta pause queue google/192.0.2.7\n"));
	rs_buf_reset(&out);
	/* IP-wide: disable source takes the IP and a queue; a sending side
	 * that is no IP pauses its queues instead */
	d.level = REPLYSCAN__V1__SCOPE_LEVEL__SCOPE_LEVEL_IP;
	d.site = "";
	rs_poutput_write(&d, RS_POUTPUT_PMTA, &out);
	rs_buf_putc(&out, '\0');
	assert_non_null(
	    strstr(out.data, "\npmta disable source 192.0.2.7 */*\n"));
	rs_buf_reset(&out);
	d.sending = "pool-a";
	rs_poutput_write(&d, RS_POUTPUT_PMTA, &out);
	rs_buf_putc(&out, '\0');
	assert_non_null(strstr(out.data, "\npmta pause queue */pool-a\n"));
	rs_buf_reset(&out);
	d.sending = "2001:db8::7";
	d.posture = REPLYSCAN__V1__POSTURE__POSTURE_OBSERVE;
	rs_poutput_write(&d, RS_POUTPUT_PMTA, &out);
	rs_buf_putc(&out, '\0');
	assert_non_null(strstr(out.data,
	                       "\npmta enable source 2001:db8::7 */*\n"
	                       "pmta set queue --mode=normal "
	                       "*/2001:db8::7\n"));
	rs_buf_reset(&out);
	d.posture = REPLYSCAN__V1__POSTURE__POSTURE_PAUSE;
	rs_poutput_write(&d, RS_POUTPUT_JSON, &out);
	rs_buf_putc(&out, '\0');
	assert_non_null(strstr(out.data, "\"reply_text\":\"421 \\\"x\\\"\""));
	assert_non_null(strstr(out.data, "\"posture\":\"pause\""));
	rs_buf_free(&out);
	assert_int_equal(rs_poutput_parse("kumomta"), RS_POUTPUT_KUMOMTA);
	assert_int_equal(rs_poutput_parse("csv"), -1);
}

/* ---- scenarios ---- */

static void run_scenario(const char *path)
{
	char err[1024];
	rs_policy_t *p = rs_policy_load(POLICY, err, sizeof(err));
	rs_pscenario_t sc;
	rs_pscen_result_t res;

	if (p == NULL) {
		fail_msg("%s", err);
	}
	rs_pscenario_init(&sc);
	if (rs_pscenario_load_file(&sc, path, err, sizeof(err)) != 0) {
		fail_msg("%s", err);
	}
	if (rs_pscenario_run(p, &sc, &res, err, sizeof(err)) != 0) {
		fail_msg("%s: %s", path, err);
	}
	assert_int_equal(res.decisions, sc.nexp);
	rs_pscenario_free(&sc);
	rs_policy_free(p);
}

static void test_scenarios(void **state)
{
	DIR *d = opendir(RS_FIXTURES "/posture");
	struct dirent *de;
	int n = 0;

	(void)state;
	assert_non_null(d);
	while ((de = readdir(d)) != NULL) {
		char path[1024];
		size_t len = strlen(de->d_name);

		if (len < 9 || strcmp(de->d_name + len - 9, ".scenario") != 0) {
			continue;
		}
		snprintf(path, sizeof(path), "%s/posture/%s", RS_FIXTURES,
		         de->d_name);
		run_scenario(path);
		n++;
	}
	closedir(d);
	assert_true(n >= 6);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_window_sum_and_age),
	    cmocka_unit_test(test_window_against_list),
	    cmocka_unit_test(test_window_receivers),
	    cmocka_unit_test(test_scopes_table),
	    cmocka_unit_test(test_names),
	    cmocka_unit_test(test_site_rollup),
	    cmocka_unit_test(test_policy_errors),
	    cmocka_unit_test(test_policy_shipped),
	    cmocka_unit_test(test_hysteresis_refresh_expiry),
	    cmocka_unit_test(test_slow_refresh),
	    cmocka_unit_test(test_hand_over),
	    cmocka_unit_test(test_rollup_weight),
	    cmocka_unit_test(test_restore),
	    cmocka_unit_test(test_reply_majority),
	    cmocka_unit_test(test_decode),
	    cmocka_unit_test(test_output),
	    cmocka_unit_test(test_scenarios),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
