/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_cli.c - the replyscan binary end to end: classify (JSON, pb,
 * summary, reply input), explain, rules check, exit statuses, bad input.
 *
 * Each case runs the real program (RS_BINARY) through /bin/sh with its
 * input in a temporary file and compares what it wrote.
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

#include "replyscan/v1/event.pb-c.h"

typedef struct run {
	int status;
	char *out;
	size_t out_len;
	char *err;
} run_t;

/* Read a whole file into a NUL-terminated buffer. */
static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t n = 0, cap = 0;

	assert_non_null(f);
	for (;;) {
		if (n + 65536 + 1 > cap) {
			cap = (n + 65536 + 1) * 2;
			buf = realloc(buf, cap);
		}
		size_t got = fread(buf + n, 1, 65536, f);
		n += got;
		if (got == 0) {
			break;
		}
	}
	fclose(f);
	buf[n] = '\0';
	if (len != NULL) {
		*len = n;
	}
	return buf;
}

/* Run "replyscan ARGS" with input on stdin; capture stdout and stderr. */
static run_t run(const char *args, const void *input, size_t input_len)
{
	char in[] = "/tmp/rs_cli_inXXXXXX";
	char out[] = "/tmp/rs_cli_outXXXXXX";
	char err[] = "/tmp/rs_cli_errXXXXXX";
	char cmd[8192];
	int fd;
	run_t r;

	fd = mkstemp(in);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, input, input_len), (ssize_t)input_len);
	close(fd);
	close(mkstemp(out));
	close(mkstemp(err));
	snprintf(cmd, sizeof(cmd), "%s %s <%s >%s 2>%s", RS_BINARY, args, in,
	         out, err);
	r.status = system(cmd);
	assert_true(WIFEXITED(r.status));
	r.status = WEXITSTATUS(r.status);
	r.out = slurp(out, &r.out_len);
	r.err = slurp(err, NULL);
	unlink(in);
	unlink(out);
	unlink(err);
	return r;
}

static void run_free(run_t *r)
{
	free(r->out);
	free(r->err);
}

static const char seed_greeting[] =
    "Nov 27 10:00:00 mta1 postfix/smtp[123]: 4F2A81C0B2: "
    "to=<user@receiver.example>, relay=mx.receiver.example[203.0.113.25]:25, "
    "delay=1.2, delays=0.1/0/1.1/0, dsn=4.7.0, status=deferred (host "
    "mx.receiver.example[203.0.113.25] refused to talk to me: 421 4.7.0 "
    "Not allowed)\n";

static const char seed_rcpt[] =
    "Nov 27 10:00:01 mta1 postfix/smtp[123]: 4F2A81C0B3: "
    "to=<user@receiver.example>, relay=mx.receiver.example[203.0.113.25]:25, "
    "delay=1.2, delays=0.1/0/1.1/0, dsn=4.7.0, status=deferred (host "
    "mx.receiver.example[203.0.113.25] said: 421 4.7.0 Not allowed (in "
    "reply to RCPT TO command))\n";

static size_t count_lines(const char *s)
{
	size_t n = 0;

	for (; *s != '\0'; s++) {
		n += *s == '\n';
	}
	return n;
}

static void test_seed_case_json(void **state)
{
	char input[2048];
	run_t r;
	char *second;

	(void)state;
	snprintf(input, sizeof(input), "%s%s", seed_greeting, seed_rcpt);
	r = run("classify --rules " RS_RULES_DIR, input, strlen(input));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "{\"status\":\"deferred\",\"cause\":"
	                              "\"ip_policy_block\",\"stage\":"
	                              "\"greeting\",\"stage_inferred\":"
	                              "\"greeting\",\"stage_source\":"
	                              "\"log\",\"reply_code\":421,"
	                              "\"enhanced_code\":\"4.7.0\","));
	assert_non_null(strstr(r.out, "\"remote_host\":\"mx.receiver.example\","
	                              "\"remote_ip\":\"203.0.113.25\","));
	assert_non_null(strstr(r.out, "\"source\":\"-\",\"line\":1}\n"));
	second = strchr(r.out, '\n') + 1;
	assert_non_null(strstr(second, "\"cause\":\"ip_policy_block\","
	                               "\"stage\":\"rcpt_to\""));
	assert_non_null(strstr(second, "\"line\":2}\n"));
	assert_non_null(strstr(r.err, "2 lines read, 2 events, 0 skipped, "
	                              "0 malformed"));
	run_free(&r);
}

static void test_pb_output_decodes(void **state)
{
	char input[2048];
	run_t r;
	size_t pos = 0, n = 0;

	(void)state;
	snprintf(input, sizeof(input), "%s%s", seed_greeting, seed_rcpt);
	r = run("classify --format pb --rules " RS_RULES_DIR, input,
	        strlen(input));
	assert_int_equal(r.status, 0);
	while (pos < r.out_len) {
		uint64_t len = 0;
		int shift = 0;
		Replyscan__V1__DeferralEvent *ev;

		do {
			len |= (uint64_t)(r.out[pos] & 0x7f) << shift;
			shift += 7;
		} while ((unsigned char)r.out[pos++] & 0x80);
		assert_true(pos + len <= r.out_len);
		ev = replyscan__v1__deferral_event__unpack(
		    NULL, len, (uint8_t *)r.out + pos);
		assert_non_null(ev);
		assert_int_equal(ev->cause,
		                 REPLYSCAN__V1__CAUSE__CAUSE_IP_POLICY_BLOCK);
		assert_int_equal(ev->stage,
		                 n == 0 ? REPLYSCAN__V1__STAGE__STAGE_GREETING
		                        : REPLYSCAN__V1__STAGE__STAGE_RCPT_TO);
		assert_int_equal(ev->line, n + 1);
		replyscan__v1__deferral_event__free_unpacked(ev, NULL);
		pos += len;
		n++;
	}
	assert_int_equal(n, 2);
	run_free(&r);
}

static void test_reply_one_object_per_line(void **state)
{
	/* Every line gives exactly one object, also empty and junk lines. */
	static const char input[] =
	    "421 4.7.0 Not allowed\n"
	    "\n"
	    "completely unrelated words\n"
	    "\x01\x02\xff\xfe binary\n"
	    "550 5.1.1 <a@b.example>: Recipient address "
	    "rejected: User unknown\n";
	run_t r;
	size_t lines = 0;

	(void)state;
	r = run("classify --input-format reply --rules " RS_RULES_DIR, input,
	        sizeof(input) - 1);
	assert_int_equal(r.status, 0);
	for (char *p = r.out; *p; p++) {
		lines += *p == '\n';
	}
	assert_int_equal(lines, 5);
	assert_non_null(strstr(r.out, "\"cause\":\"uncategorized\""));
	assert_non_null(strstr(r.out, "\"cause\":\"user_unknown\""));
	assert_non_null(strstr(r.err, "5 lines read, 5 events"));
	run_free(&r);
}

static void test_bad_input_counted(void **state)
{
	/* A 2 MiB line, NUL bytes, a line cut mid-field, junk: none fatal. */
	size_t big = 2 * 1024 * 1024;
	size_t n = 0;
	char *input = malloc(big + 4096);
	run_t r;

	(void)state;
	memcpy(input + n, seed_greeting, sizeof(seed_greeting) - 1);
	n += sizeof(seed_greeting) - 1;
	memset(input + n, 'A', big);
	n += big;
	input[n++] = '\n';
	memcpy(input + n,
	       "Nov 27 10:00:00 mta1 postfix/smtp[1]: ABC: to=<x@y>,"
	       " status=\0deferred\n",
	       70);
	n += 70;
	memcpy(input + n, seed_rcpt, 60); /* truncated line */
	n += 60;
	input[n++] = '\n';
	memcpy(input + n, seed_rcpt, sizeof(seed_rcpt) - 1);
	n += sizeof(seed_rcpt) - 1;
	r = run("classify --max-line 1048576 --rules " RS_RULES_DIR, input, n);
	assert_int_equal(r.status, 0);
	/* The oversized line is named with its line number. */
	assert_non_null(strstr(r.err, "-:2: malformed line: line longer than"));
	assert_non_null(strstr(r.err, "5 lines read, 2 events"));
	assert_non_null(strstr(r.out, "\"line\":5}"));
	run_free(&r);
	free(input);
}

/* Log shippers' JSON envelopes through classify: events with their line
 * numbers, a malformed object named by file:line with its reason, and
 * --json-message-field naming the field. */
static void test_envelopes(void **state)
{
	static const char input[] =
	    "{\"@timestamp\":\"2026-12-06T23:30:01.123Z\",\"message\":\"Dec  "
	    "6 23:30:01 mail postfix/smtp[2803]: 4F9D2C0A1B: "
	    "to=<user@example.net>, relay=mx.example.net[192.0.2.25]:25, "
	    "delay=1.2, dsn=4.7.1, status=deferred (host mx.example.net"
	    "[192.0.2.25] said: 451 4.7.1 Greylisted, try again later (in "
	    "reply to RCPT TO command))\",\"host\":{\"name\":\"mail\"}}\n"
	    "{\"@timestamp\":\"2026-12-06T23:30:02Z\",\"host\":{\"name\":"
	    "\"mail\"}}\n"
	    "{\"ident\":\"postfix/smtp\",\"pid\":\"7\",\"host\":\"mx2\","
	    "\"line\":\"4F9D2C0A1C: to=<b@example.org>, relay=none, delay=3, "
	    "dsn=4.4.1, status=deferred (connect to mx.example.org[192.0.2.9]"
	    ":25: Connection timed out)\"}\n";
	run_t r;

	(void)state;
	r = run("classify --rules " RS_RULES_DIR, input, sizeof(input) - 1);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"queue_id\":\"4F9D2C0A1B\""));
	assert_non_null(strstr(r.out, "\"line\":1}"));
	assert_non_null(strstr(
	    r.err, "-:2: malformed line: JSON line without a message field"));
	assert_non_null(strstr(
	    r.err, "-:3: malformed line: JSON line without a message field"));
	assert_non_null(strstr(r.err, "3 lines read, 1 events"));
	run_free(&r);
	r = run("classify --json-message-field line --rules " RS_RULES_DIR,
	        input, sizeof(input) - 1);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"queue_id\":\"4F9D2C0A1C\""));
	assert_non_null(strstr(r.out, "\"log_host\":\"mx2\""));
	assert_non_null(strstr(r.out, "\"line\":3}"));
	assert_non_null(strstr(r.err, "3 lines read, 2 events"));
	run_free(&r);
}

static void test_explain_seed(void **state)
{
	run_t r;

	(void)state;
	r = run("explain --rules " RS_RULES_DIR " '421 4.7.0 Not allowed'", "",
	        0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "class:       ip_policy_block\n"));
	assert_non_null(strstr(r.out, "temporary:   yes"));
	assert_non_null(strstr(r.out, "advice:"));
	assert_non_null(strstr(r.out, "PTR"));
	run_free(&r);

	r = run("explain --json --rules " RS_RULES_DIR
	        " 'host mx.receiver.example[203.0.113.25] refused to talk to "
	        "me: 421 4.7.0 Not allowed'",
	        "", 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"cause\":\"ip_policy_block\""));
	assert_non_null(strstr(r.out, "\"stage\":\"greeting\""));
	assert_non_null(strstr(r.out, "\"permanence\":\"temporary\""));
	run_free(&r);
}

/* The learned word step: explain shows it and says it is learned. */
static void test_explain_words(void **state)
{
#define REPLY "'550 5.7.1 Your mailbox quota has been used up, sorry'"
	run_t r;

	(void)state;
	r = run("explain --rules " RS_RULES_DIR " " REPLY, "", 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "class:       mailbox_full\n"));
	assert_non_null(strstr(r.out, "decided by:  learned word evidence"));
	assert_non_null(strstr(r.out, "rule:        words:mailbox_full\n"));
	assert_non_null(strstr(r.out, "words:       learned evidence (not a "
	                              "rule): mailbox_full with posterior"));
	assert_non_null(strstr(r.out, "top words:   "));
	run_free(&r);

	r = run("explain --json --rules " RS_RULES_DIR " " REPLY, "", 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"rule_id\":\"words:mailbox_full\""));
	assert_non_null(strstr(r.out, "\"words\":{\"model\":true,\"text\":"
	                              "\"550 5.7.1 Your mailbox quota has been "
	                              "used up, sorry\",\"known\":"));
	assert_non_null(strstr(r.out, "\"class\":\"mailbox_full\""));
	assert_non_null(strstr(r.out, "\"decided\":true,\"top\":[{\"word\":"));
	/* the codes the word step read, after its evidence (variants34) */
	assert_non_null(strstr(r.out, "],\"reply_code\":550,"
	                              "\"enhanced_code\":\"5.7.1\"}"));
	run_free(&r);

	/* sendmail's dsn=4.0.0 gives way to the reply's own "#4.3.0" for the
	 * word step, as in the classifier; the top level keeps the parser's. */
	r = run("explain --json --rules " RS_RULES_DIR
	        " 'Mar 17 13:47:09 mta1 sendmail[12566]: 2BHDl9Qd012566: "
	        "to=<a@example.org>, delay=00:00:15, xdelay=00:00:15, "
	        "mailer=esmtp, pri=34527, relay=mx.example.org. [192.0.2.61], "
	        "dsn=4.0.0, stat=Deferred: 451 unable to read controls "
	        "(#4.3.0)'",
	        "", 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"enhanced_code\":\"4.0.0\""));
	assert_non_null(strstr(r.out, "],\"reply_code\":451,"
	                              "\"enhanced_code\":\"4.3.0\"}"));
	run_free(&r);

	/* A wording rule decides: the model is not consulted. */
	r = run("explain --json --rules " RS_RULES_DIR
	        " '550 5.1.1 User unknown'",
	        "", 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "\"decided\":false"));
	run_free(&r);
#undef REPLY
}

/* rules check names the model, or says there is none; a broken model
 * refuses the directory with file:line; rules examples lists examples. */
static void test_rules_words(void **state)
{
	char dir[] = "/tmp/test_cli_words.XXXXXX";
	char path[256], cmd[512], want[512];
	FILE *fp;
	run_t r;

	(void)state;
	r = run("rules check " RS_RULES_DIR, "", 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "/words.model: "));
	assert_non_null(strstr(r.out, " features, "));
	run_free(&r);

	r = run("rules examples " RS_RULES_DIR, "", 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(strncmp(r.out, "text\tclass\trule\n", 16), 0);
	assert_non_null(
	    strstr(r.out, "\tuser_unknown\tgeneric.user_unknown\n"));
	run_free(&r);

	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/10-one.yaml", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("rules:\n"
	      "  - id: one.full\n"
	      "    class: mailbox_full\n"
	      "    patterns: ['mailbox full']\n"
	      "    description: Full.\n"
	      "    advice: Wait.\n"
	      "    source: test.\n"
	      "    examples:\n"
	      "      match: ['452 mailbox full']\n",
	      fp);
	fclose(fp);
	snprintf(cmd, sizeof(cmd), "rules check %s", dir);
	r = run(cmd, "", 0);
	assert_int_equal(r.status, 0);
	snprintf(want, sizeof(want), "%s/words.model: none, no word step", dir);
	assert_non_null(strstr(r.out, want));
	run_free(&r);

	snprintf(path, sizeof(path), "%s/words.model", dir);
	fp = fopen(path, "w");
	assert_non_null(fp);
	fputs("replyscan-words 1\nalpha 1\nthreshold 2\n", fp);
	fclose(fp);
	r = run(cmd, "", 0);
	assert_int_equal(r.status, 2);
	snprintf(want, sizeof(want),
	         "%s/words.model:3: threshold must be a number above 0 and at "
	         "most 1.",
	         dir);
	assert_non_null(strstr(r.err, want));
	run_free(&r);
	unlink(path);
	snprintf(path, sizeof(path), "%s/10-one.yaml", dir);
	unlink(path);
	rmdir(dir);
}

static void test_exit_statuses(void **state)
{
	run_t r;

	(void)state;
	r = run("classify --format nonsense", "", 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "replyscan: --format: output.format: "
	                              "nonsense is not one of json, pb, "
	                              "summary\n"));
	run_free(&r);

	r = run("classify --rules /nonexistent-rules-dir", "", 0);
	assert_int_equal(r.status, 2);
	assert_non_null(strstr(r.err, "/nonexistent-rules-dir"));
	run_free(&r);

	r = run("classify --rules " RS_RULES_DIR " /nonexistent/file.log", "",
	        0);
	assert_int_equal(r.status, 1);
	assert_non_null(strstr(r.err, "/nonexistent/file.log: cannot open"));
	run_free(&r);

	/* Once a heap overflow of run's option handling (ASan in CI): now
	 * the last topic wins and the missing input stops it, status 2. */
	r = run("run --dead-letter=a --dead-letter=b --dead-letter=c "
	        "--dead-letter=d",
	        "", 0);
	assert_int_equal(r.status, 2);
	assert_string_equal(r.err, "replyscan: kafka.input: required: name the "
	                           "topics of log lines to read\n");
	run_free(&r);

	r = run("no-such-command", "", 0);
	assert_int_equal(r.status, 2);
	run_free(&r);

	r = run("rules check " RS_RULES_DIR, "", 0);
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "rules compiled into one database"));
	run_free(&r);

	/* One row per rule in load order, scope and tags spelled out. */
	r = run("rules list " RS_FIXTURES "/rules-precedence", "", 0);
	assert_int_equal(r.status, 0);
	assert_int_equal(count_lines(r.out), 13);
	assert_true(strncmp(r.out, "id\tclass\tpriority\tscope\t", 24) == 0);
	assert_non_null(strstr(r.out, "\nt.generic.blocked\tip_policy_block\t"
	                              "100\t-\t-\t1\t-\t"));
	assert_non_null(strstr(r.out, "\nt.scope.rcpt\tuser_unknown\t0\t"
	                              "stage:rcpt_to code:5xx\t-\t1\t-\t"));
	assert_non_null(strstr(r.out, "\nt.tag.code\t-\t0\t-\t-\t1\t"
	                              "code:X1,code:X2\t"));
	assert_non_null(strstr(r.out, "\nt.acme.blocked\tsender_reputation\t0\t"
	                              "provider:acme\t"));
	assert_non_null(strstr(r.out, "\nt.stage.wrapper\t-\t0\t-\trcpt_to\t"));
	assert_non_null(
	    strstr(r.out, "\nt.stage.hint\t-\t0\t-\thint:mail_from\t1\t-\t"));
	assert_non_null(strstr(r.out, "10-first.yaml:63\n"));
	run_free(&r);
}

static void test_summary(void **state)
{
	char input[2048];
	run_t r;

	(void)state;
	snprintf(input, sizeof(input), "%s%s", seed_greeting, seed_rcpt);
	r = run("classify --format summary --rules " RS_RULES_DIR, input,
	        strlen(input));
	assert_int_equal(r.status, 0);
	assert_non_null(strstr(r.out, "events by class and stage (2 events)"));
	assert_non_null(strstr(r.out, "ip_policy_block               2"));
	assert_non_null(strstr(r.out, "receiver.example"));
	run_free(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_seed_case_json),
	    cmocka_unit_test(test_pb_output_decodes),
	    cmocka_unit_test(test_reply_one_object_per_line),
	    cmocka_unit_test(test_bad_input_counted),
	    cmocka_unit_test(test_envelopes),
	    cmocka_unit_test(test_explain_seed),
	    cmocka_unit_test(test_explain_words),
	    cmocka_unit_test(test_rules_words),
	    cmocka_unit_test(test_exit_statuses),
	    cmocka_unit_test(test_summary),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
