/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_syslog.c - the syslog prefix splitter and the ISO 8601 timestamp
 * reader. Every part of a split line lies inside the line; the timestamp
 * reader uses no more bytes than it was given.
 */
#include "fuzz.h"

#include "formats/syslog.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* Is the slice s inside [p, p+n) (or absent)? */
static int inside(rs_str_t s, const char *p, size_t n)
{
	return s.p == NULL || (s.p >= p && s.n <= n && s.p + s.n <= p + n);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data;
	rs_syslog_t sl;
	int64_t ms = 0;
	size_t used;

	if (rs_syslog_split(p, size, &sl) == 0) {
		RS_FUZZ_CHECK(inside(sl.time, p, size));
		RS_FUZZ_CHECK(inside(sl.host, p, size));
		RS_FUZZ_CHECK(inside(sl.program, p, size));
		RS_FUZZ_CHECK(inside(sl.pid, p, size));
		RS_FUZZ_CHECK(inside(sl.msg, p, size));
	}
	used = rs_syslog_parse_iso(p, size, &ms);
	RS_FUZZ_CHECK(used <= size);
	return 0;
}
