/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_policy_examples.c - the posture policy rules' examples
 * (posture/policy_examples.c, the scenario format of posture/scenario.c):
 * every shipped rule has one and all pass; a failing example, an example
 * that does not show its rule at work and malformed examples are refused
 * with file:line and the rule named; `posture --check-policy` lists every
 * failure and exits 2.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

#include "event/taxonomy.h"
#include "posture/policy.h"
#include "testutil.h"
#include "posture/policy_examples.h"
#include "posture/scenario.h"

#define POLICY RS_RULES_DIR "/../posture/policy.yaml"

/* ---- the shipped policy ---- */

static void test_shipped(void **state)
{
	char err[1024] = "";
	rs_policy_t *p = rs_policy_read(POLICY, err, sizeof(err));
	size_t passed = 0, failed;

	(void)state;
	if (p == NULL) {
		fail_msg("%s", err);
	}
	for (size_t i = 0; i < p->nrules; i++) {
		if (p->rules[i].nexamples == 0) {
			fail_msg("rule %s has no example", p->rules[i].id);
		}
	}
	failed = rs_policy_examples_run(p, stderr, 0, &passed, NULL, 0);
	assert_int_equal(failed, 0);
	assert_int_equal(passed, rs_policy_examples_count(p));
	assert_true(passed >= p->nrules);
	rs_policy_free(p);
	/* and loading runs them and accepts the policy */
	p = rs_policy_load(POLICY, err, sizeof(err));
	if (p == NULL) {
		fail_msg("%s", err);
	}
	rs_policy_free(p);
}

/* ---- refusals ---- */

/* A policy with one throttle rule; EXAMPLES is put under it. */
#define HEAD                                                                   \
	"bucket: 1m\n"                                                         \
	"rules:\n"                                                             \
	"  - id: rl\n"                                                         \
	"    match: {classes: [rate_limit]}\n"                                 \
	"    window: 2m\n"                                                     \
	"    min_hits: 2\n"                                                    \
	"    min_rate: 0.5\n"                                                  \
	"    posture: throttle\n"                                              \
	"    hold: 1m\n"                                                       \
	"    throttle_factor: 0.5\n"
/* Lines 11 to 15: 2 sent, then 2 rate-limited: rl fires at t=40 (2 of 4
 * attempts), suggesting 0.5 a minute (2 accepted in its 2 minutes, x 0.5). */
#define EXAMPLE_EVENTS                                                         \
	"    examples:\n"                                                      \
	"      - name: two refusals\n"                                         \
	"        events:\n"                                                    \
	"          - 0 x2 every 10 ip=192.0.2.1 mx=mx.example.org\n"           \
	"          - 30 x2 every 10 ip=192.0.2.1 mx=mx.example.org "           \
	"status=deferred class=rate_limit text=421 slow down\n"

static void test_passing(void **state)
{
	static const char text[] = HEAD EXAMPLE_EVENTS
	    "        expect:\n"
	    "          - 40 ip_site:192.0.2.1@example.org throttle rl "
	    "class=rate_limit rate=0.5\n"
	    "      - events: ['0 x1 every 1 ip=192.0.2.1 mx=mx.example.org',"
	    " '100 x1 every 1 ip=192.0.2.1 domain=example.org "
	    "status=deferred class=rate_limit']\n"
	    "        expect: []\n";
	char err[1024] = "";
	rs_policy_t *p = rs_policy_load_buffer("p.yaml", text, sizeof(text) - 1,
	                                       err, sizeof(err));
	const rs_pexample_t *ex;

	(void)state;
	if (p == NULL) {
		fail_msg("%s", err);
	}
	assert_int_equal(p->rules[0].nexamples, 2);
	ex = &p->rules[0].examples[0];
	assert_string_equal(ex->name, "two refusals");
	assert_int_equal(ex->line, 12);
	assert_int_equal(ex->sc.nev, 2);
	assert_int_equal(ex->sc.total, 4);
	assert_int_equal(ex->sc.nexp, 1);
	assert_int_equal(ex->sc.exp[0].line, 17);
	assert_null(p->rules[0].examples[1].name);
	rs_policy_free(p);
}

static void test_failing(void **state)
{
	(void)state;
	/* the wrong time: named by the rule, the example and the expect
	 * line, expected and got */
	rs_test_policy_refused(
	    HEAD EXAMPLE_EVENTS
	    "        expect:\n"
	    "          - 30 ip_site:192.0.2.1@example.org throttle rl\n",
	    "p.yaml:17: rule 'rl', example 1 (two refusals): decision 1 "
	    "is '40 ip_site:192.0.2.1@example.org throttle rl', want "
	    "'30 ip_site:192.0.2.1@example.org throttle rl'.");
	/* the wrong posture */
	rs_test_policy_refused(
	    HEAD EXAMPLE_EVENTS
	    "        expect:\n"
	    "          - 40 ip_site:192.0.2.1@example.org pause rl\n",
	    "p.yaml:17: rule 'rl', example 1 (two refusals): decision 1 "
	    "is '40 ip_site:192.0.2.1@example.org throttle rl', want "
	    "'40 ip_site:192.0.2.1@example.org pause rl'.");
	/* the wrong class, the wrong suggested rate */
	rs_test_policy_refused(
	    HEAD EXAMPLE_EVENTS
	    "        expect:\n"
	    "          - 40 ip_site:192.0.2.1@example.org throttle rl "
	    "class=greylisting\n",
	    "p.yaml:17: rule 'rl', example 1 (two refusals): decision 1 "
	    "'40 ip_site:192.0.2.1@example.org throttle rl' is for class "
	    "rate_limit, want class greylisting.");
	rs_test_policy_refused(
	    HEAD EXAMPLE_EVENTS
	    "        expect:\n"
	    "          - '* ip_site:192.0.2.1@example.org throttle rl "
	    "rate=3'\n",
	    "p.yaml:17: rule 'rl', example 1 (two refusals): decision 1 "
	    "'40 ip_site:192.0.2.1@example.org throttle rl' suggests 0.50 "
	    "messages a minute, want 3.");
	/* a decision not expected (at the expect key's line) */
	rs_test_policy_refused(
	    HEAD EXAMPLE_EVENTS "        expect: []\n",
	    "p.yaml:16: rule 'rl', example 1 (two refusals): decision 1 "
	    "is '40 ip_site:192.0.2.1@example.org throttle rl', want "
	    "nothing more.");
	/* one expected and not given */
	rs_test_policy_refused(
	    HEAD EXAMPLE_EVENTS
	    "        expect:\n"
	    "          - 40 ip_site:192.0.2.1@example.org throttle rl\n"
	    "          - 200 ip_site:192.0.2.1@example.org observe -\n",
	    "p.yaml:18: rule 'rl', example 1 (two refusals): decision 2 "
	    "is missing, want '200 ip_site:192.0.2.1@example.org observe "
	    "-'.");
}

static void test_at_work(void **state)
{
	(void)state;
	/* Passing examples that never show the rule deciding. */
	rs_test_policy_refused(
	    HEAD "    examples:\n"
		 "      - events: ['0 x5 every 1 ip=192.0.2.1 "
		 "mx=mx.example.org']\n"
		 "        expect: []\n",
	    "p.yaml:11: rule 'rl': no example shows the rule at work (one "
	    "must expect a decision of the rule).");
	/* A posture-none rule whose example matches none of its events. */
	rs_test_policy_refused(
	    "rules:\n"
	    "  - id: hygiene\n"
	    "    match: {classes: [user_unknown]}\n"
	    "    posture: none\n"
	    "    examples:\n"
	    "      - events: ['0 x5 every 1 ip=192.0.2.1 "
	    "mx=mx.example.org status=bounced class=mailbox_full']\n"
	    "        expect: []\n",
	    "p.yaml:5: rule 'hygiene': no example shows the rule at work "
	    "(one must expect a decision of the rule; for posture none, "
	    "an event it matches).");
}

static void test_malformed(void **state)
{
	(void)state;
	rs_test_policy_refused(
	    HEAD "    examples: {events: []}\n",
	    "p.yaml:11: rule 'rl': examples must be a non-empty list of "
	    "{name, events, expect}");
	rs_test_policy_refused(
	    HEAD "    examples:\n      - name: x\n        expect: []\n",
	    "p.yaml:12: rule 'rl', example 1 (x) has no events (a list of "
	    "lines AT xCOUNT every SECS key=value...)");
	rs_test_policy_refused(
	    HEAD EXAMPLE_EVENTS,
	    "p.yaml:12: rule 'rl', example 1 (two refusals) has no expect "
	    "(a list of decisions AT SCOPE POSTURE RULE, [] for none)");
	rs_test_policy_refused(
	    HEAD "    examples:\n"
		 "      - events: ['0 x5 every 1 ip=192.0.2.1 "
		 "mx=mx.example.org']\n"
		 "        expected: []\n",
	    "p.yaml:13: unknown key 'expected' in rule 'rl', example 1 "
	    "(valid keys: name, events, expect)");
	rs_test_policy_refused(
	    HEAD "    examples:\n"
		 "      - events:\n"
		 "          - 0 x5 every 1 ip=192.0.2.1 mx=mx.example.org "
		 "colour=red\n"
		 "        expect: []\n",
	    "p.yaml:13: rule 'rl', example 1: events: unknown key "
	    "'colour' (valid keys: ip, mx, domain, status, class, code, "
	    "reply, tags, count, text)");
	rs_test_policy_refused(
	    HEAD "    examples:\n"
		 "      - events:\n"
		 "          - 0 x5 ip=192.0.2.1 mx=mx.example.org\n"
		 "        expect: []\n",
	    "p.yaml:13: rule 'rl', example 1: events: '0 x5 ip=192.0.2.1 "
	    "mx=mx.example.org': the events must start with AT xCOUNT "
	    "every SECS (SECS from 0 to 86400)");
	rs_test_policy_refused(
	    HEAD "    examples:\n"
		 "      - events:\n"
		 "          - 0 x5 every 1 ip=192.0.2.1 mx=mx.example.org "
		 "class=rate_limitt\n"
		 "        expect: []\n",
	    "p.yaml:13: rule 'rl', example 1: events: unknown class "
	    "'rate_limitt' (see TAXONOMY.md)");
	rs_test_policy_refused(
	    HEAD "    examples:\n"
		 "      - events: ['0 x5 every 1 ip=192.0.2.1']\n"
		 "        expect: []\n",
	    "p.yaml:12: rule 'rl', example 1: events: '0 x5 every 1 "
	    "ip=192.0.2.1': the events need ip= and mx= or domain=");
	rs_test_policy_refused(
	    HEAD "    examples:\n"
		 "      - events: ['0 x5 every 1 ip=192.0.2.1 "
		 "mx=mx.example.org']\n"
		 "        expect:\n"
		 "          - 40 ip_site:192.0.2.1@example.org slow rl\n",
	    "p.yaml:14: rule 'rl', example 1: expect: '40 "
	    "ip_site:192.0.2.1@example.org slow rl': the posture must be "
	    "observe, throttle or pause");
	rs_test_policy_refused(
	    HEAD "    examples:\n"
		 "      - events: ['0 x5 every 1 ip=192.0.2.1 "
		 "mx=mx.example.org']\n"
		 "        expect: ['40 ip_site:192.0.2.1@example.org']\n",
	    "p.yaml:13: rule 'rl', example 1: expect: '40 "
	    "ip_site:192.0.2.1@example.org': the posture must be "
	    "observe, throttle or pause");
	rs_test_policy_refused(
	    HEAD "    examples:\n"
		 "      - events: ['0 x5 every 1 ip=192.0.2.1 "
		 "mx=mx.example.org']\n"
		 "        expect: ['soon fleet pause rl']\n",
	    "p.yaml:13: rule 'rl', example 1: expect: 'soon fleet pause "
	    "rl': a decision is AT SCOPE POSTURE RULE (AT whole seconds, "
	    "or *)");
	rs_test_policy_refused(
	    HEAD "    examples:\n"
		 "      - events: ['0 x5 every 1 ip=192.0.2.1 "
		 "mx=mx.example.org']\n"
		 "        expect: ['40 fleet pause rl rate=fast']\n",
	    "p.yaml:13: rule 'rl', example 1: expect: '40 fleet pause rl "
	    "rate=fast': 'rate=fast' is neither class=CLASS nor "
	    "rate=MESSAGES_PER_MINUTE");
	rs_test_policy_refused(
	    HEAD "    examples:\n"
		 "      - events: ['0 x2000000 every 1 ip=192.0.2.1 "
		 "mx=mx.example.org']\n"
		 "        expect: []\n",
	    "p.yaml:12: rule 'rl', example 1: events: '0 x2000000 every 1 "
	    "ip=192.0.2.1 mx=mx.example.org': the events must start with "
	    "AT xCOUNT every SECS (COUNT a whole number from 1 to "
	    "1000000)");
}

/* ---- check-policy: every failure listed, exit 2 ---- */

static void test_run_all(void **state)
{
	static const char text[] = HEAD EXAMPLE_EVENTS
	    "        expect: []\n"
	    "      - events: ['0 x1 every 1 ip=192.0.2.1 mx=mx.example.org']\n"
	    "        expect: ['5 fleet pause rl']\n"
	    "      - events: ['0 x1 every 1 ip=192.0.2.1 mx=mx.example.org']\n"
	    "        expect: []\n";
	char err[1024] = "", path[] = "/tmp/rs-policy-XXXXXX", cmd[1200],
	     out[4096] = "";
	rs_policy_t *p = rs_policy_load_buffer("p.yaml", text, sizeof(text) - 1,
	                                       err, sizeof(err));
	size_t passed = 99, n;
	FILE *f;
	int fd, status;

	(void)state;
	assert_null(p);
	p = rs_policy_read("x", err, sizeof(err)); /* no such file */
	assert_null(p);
	/* rs_policy_read leaves the examples to the caller, which sees both
	 * failures and the one example that passed */
	fd = mkstemp(path);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, text, sizeof(text) - 1),
	                 (ssize_t)(sizeof(text) - 1));
	close(fd);
	p = rs_policy_read(path, err, sizeof(err));
	if (p == NULL) {
		fail_msg("%s", err);
	}
	assert_int_equal(rs_policy_examples_run(p, NULL, 0, &passed, NULL, 0),
	                 2);
	assert_int_equal(passed, 1);
	assert_int_equal(rs_policy_examples_count(p), 3);
	assert_int_equal(
	    rs_policy_examples_run(p, NULL, 1, &passed, err, sizeof(err)), 1);
	assert_non_null(strstr(err, ":16: rule 'rl', example 1 (two "
	                            "refusals): decision 1 is "));
	rs_policy_free(p);
	snprintf(cmd, sizeof(cmd), "%s posture --check-policy --policy %s 2>&1",
	         RS_BINARY, path);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	status = pclose(f);
	unlink(path);
	assert_true(WIFEXITED(status));
	assert_int_equal(WEXITSTATUS(status), 2);
	assert_non_null(strstr(out, ":16: rule 'rl', example 1 (two "
	                            "refusals): decision 1 is '40 "));
	assert_non_null(strstr(out, ":18: rule 'rl', example 2: decision 1 "
	                            "is missing, want '5 fleet pause rl'."));
	assert_non_null(strstr(out, ": 1 rules, 1 of 3 examples passed, 2 "
	                            "failures\n"));
	/* the shipped policy passes, and says how many examples */
	snprintf(cmd, sizeof(cmd), "%s posture --check-policy --policy %s 2>&1",
	         RS_BINARY, POLICY);
	f = popen(cmd, "r");
	assert_non_null(f);
	n = fread(out, 1, sizeof(out) - 1, f);
	out[n] = '\0';
	status = pclose(f);
	assert_int_equal(WEXITSTATUS(status), 0);
	assert_non_null(strstr(out, " examples passed, "));
	assert_null(strstr(out, "note:"));
}

/* ---- the scenario format itself ---- */

static void test_scenario_lines(void **state)
{
	rs_pscenario_t sc;
	char err[512];
	const rs_pscen_events_t *e;

	(void)state;
	rs_pscenario_init(&sc);
	assert_int_equal(
	    rs_pscenario_add_events(&sc,
	                            "5 x3 every 0.5 ip=192.0.2.1 "
	                            "domain=example.org status=expired "
	                            "reply=421 count=40 tags=a:b,c text=421 "
	                            "x=y z",
	                            err, sizeof(err)),
	    0);
	e = &sc.ev[0];
	assert_true(e->at == 5 && e->every == 0.5 && e->count == 3);
	assert_int_equal(e->status, RS_STATUS_EXPIRED);
	assert_int_equal(e->reply_code, 421);
	assert_int_equal(e->weight, 40);
	assert_int_equal(e->ntags, 2);
	assert_string_equal(e->tags[1], "c");
	assert_string_equal(e->text, "421 x=y z");
	assert_null(e->mx);
	assert_int_equal(rs_pscenario_add_expect(&sc, "* fleet observe -", 3,
	                                         err, sizeof(err)),
	                 0);
	assert_int_equal(sc.exp[0].at, -1);
	assert_int_equal(sc.exp[0].cause, -1);
	assert_int_equal(rs_pscenario_add_events(&sc,
	                                         "0 x1 every 1 ip=a ip=b "
	                                         "mx=m",
	                                         err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "ip is given twice");
	assert_int_equal(rs_pscenario_add_events(&sc,
	                                         "0 x1 every 1 ip=a mx=m "
	                                         "status=sent count=0",
	                                         err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "count '0' must be a whole number from 1 to "
	                         "1000000");
	rs_pscenario_free(&sc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_shipped),
	    cmocka_unit_test(test_passing),
	    cmocka_unit_test(test_failing),
	    cmocka_unit_test(test_at_work),
	    cmocka_unit_test(test_malformed),
	    cmocka_unit_test(test_run_all),
	    cmocka_unit_test(test_scenario_lines),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
