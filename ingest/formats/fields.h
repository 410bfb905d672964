/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fields.h - the field readers that several log formats share: queue ids,
 * "key=value" lists, angle-bracketed addresses, "host[ip]:port" and
 * "[ip]" forms, ports, and the syslog gate of a format that logs through
 * syslog. Each format parser keeps only what is its own.
 *
 * Everything reads byte slices of the input line, bounded by their length;
 * nothing is copied or allocated. @locality any thread; pure functions.
 */
#ifndef RS_FIELDS_H
#define RS_FIELDS_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "event/record.h"
#include "formats/format.h"

/*
 * A queue or message id at p: a run of 1-32 ASCII letters and digits
 * followed by ':'. Returns its length, 0 when there is none or it is
 * "NOQUEUE" (Postfix and Sendmail rejections before queueing).
 */
size_t rs_fields_qid(const char *p, size_t n);

/*
 * p[0] == '<': the index just past the closing '>', or 0 when it does not
 * close (a line cut short). A '>' inside a quoted local part
 * ("<\"a>b\"@x>") does not close it; an unquoted ", " ends the search.
 */
size_t rs_fields_angle_end(const char *p, size_t n);

/* "<a@b>" -> "a@b", "<>" -> ""; anything else unchanged. */
rs_str_t rs_fields_strip_angle(rs_str_t s);

/*
 * The value after the first "key=" (key includes the '=') in [p, p+n)
 * that starts the text or follows a space or a comma; NULL when absent.
 */
const char *rs_fields_key_n(const char *p, size_t n, const char *key,
                            size_t key_len);

/* rs_fields_key_n with a literal key (its length folds at compile time). */
static inline const char *rs_fields_key(const char *p, size_t n,
                                        const char *key)
{
	return rs_fields_key_n(p, n, key, strlen(key));
}

/* The value at v up to the next ", " or end. */
rs_str_t rs_fields_comma_value(const char *v, const char *end);

/*
 * The first "name[addr]" with an optional ":port" in [p, p+n) (Postfix
 * relay= and host texts). Fills host, ip (absent when addr is not an IP
 * address, e.g. a socket path "private/dovecot-lmtp"; an "IPv6:" prefix
 * is dropped) and port (0 when none). A bracket with no name before it is
 * not a host. Returns 1, or 0 when there is none.
 */
int rs_fields_host_addr(const char *p, size_t n, rs_str_t *host, rs_str_t *ip,
                        uint32_t *port);

/* The address inside "[ip]" / "[IPv6:ip]" at p[0] == '['; absent when
 * what is inside is not an IP address. */
rs_str_t rs_fields_bracket_ip(const char *p, size_t n);

/* All of [p, p+n) is a port: 1-5 digits, at most 65535; else 0. */
uint32_t rs_fields_port(const char *p, size_t n);

/* The port whose digits start at p and run to the first non-digit (or
 * the end), as rs_fields_port; 0 when there are none or too many. */
uint32_t rs_fields_port_prefix(const char *p, size_t n);

/*
 * The syslog gate of a format that logs through syslog: the line's syslog
 * parts when its program passes is_program. Otherwise NULL with *res set:
 * RS_PARSE_MALFORMED (with *why) when the line has no syslog prefix,
 * RS_PARSE_SKIP when another program wrote it or it has no message.
 */
const rs_syslog_t *rs_fields_syslog_of(rs_logline_t *ll,
                                       int (*is_program)(rs_str_t program),
                                       rs_parse_result_t *res,
                                       const char **why);

/* What a record takes from the syslog prefix: time, host, program. */
static inline void rs_fields_from_syslog(rs_record_t *rec,
                                         const rs_syslog_t *sl)
{
	rec->log_time = sl->time;
	rec->log_time_ms = sl->time_ms;
	rec->log_host = sl->host;
	rec->program = sl->program;
}

/* One pair of a logfmt list (Haraka's logfmt lines and the key=value
 * objects of its default format). */
typedef struct rs_fields_kv {
	rs_str_t key;
	rs_str_t val; /* between the quotes when quoted, escapes kept */
	int quoted;
	int escaped; /* val holds a backslash escape (\" or \\) */
} rs_fields_kv_t;

/*
 * The next "key=value" pair at or after *p: spaces are skipped, and so is
 * a word without '='. A value is quoted ("...", to the next '"' that no
 * backslash escapes; to the end when cut short) or runs to the next
 * space. 1 with *kv and *p past the pair, or 0 at the end.
 */
int rs_fields_kv_next(const char **p, const char *e, rs_fields_kv_t *kv);

/* Copy val without its backslash escapes into dst (val.n bytes at
 * most); the length copied. */
size_t rs_fields_kv_unescape(rs_str_t val, char *dst);

/* The last part of a syslog tag ("postfix-out/smtp" -> "smtp", "exim4"
 * -> "exim4"); absent when program is. Inline: every detect() of a
 * syslog format asks it for every line another format skipped. */
static inline rs_str_t rs_fields_program_base(rs_str_t program)
{
	const char *end = program.p + program.n;
	const char *base = end;

	if (program.p == NULL) {
		return RS_STR_NULL;
	}
	while (base > program.p && base[-1] != '/') {
		base--;
	}
	return rs_str(base, (size_t)(end - base));
}

/*
 * Is ll a syslog line ("Mmm dd ..." first) that another program wrote?
 * The cheap first question of a detect(): most lines that reach a format
 * late in auto-detection are other MTAs' syslog lines, and their syslog
 * split is already made and shared. Inline, so that is_program is too.
 */
static inline int rs_fields_foreign_syslog(rs_logline_t *ll,
                                           int (*is_program)(rs_str_t program))
{
	const rs_syslog_t *sl;

	if (ll->n == 0 || ll->p[0] < 'A' || ll->p[0] > 'Z') {
		return 0;
	}
	sl = rs_logline_syslog(ll);
	return sl == NULL || !is_program(sl->program);
}

/* Is c a byte of a host name as MTAs log it (letters, digits . - _)? */
int rs_fields_is_host_char(char c);

#endif
