/* SPDX-License-Identifier: Apache-2.0 */
/*
 * writesink.c - events to a file descriptor, malformed lines to stderr.
 *
 * Output is written with write(2) straight from the batch buffer: one
 * system call per batch, not per event.
 */
#include "files/writesink.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct rs_writesink {
	rs_sink_t sink;
	int fd;
	rs_summary_t *summary;
	size_t max_reports;
	size_t reported;
};

/* Write all of p, retrying short writes. */
static int write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w < 0 && errno == EINTR) {
			continue;
		}
		if (w < 0) {
			return -1;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Show the batch's malformed lines, up to the report limit. */
static void report_bad(rs_writesink_t *ws, const rs_batch_t *b)
{
	for (size_t i = 0; i < b->nbad; i++) {
		const rs_line_t *l = &b->lines[b->bad[i].line_idx];

		if (ws->reported == ws->max_reports) {
			fprintf(stderr,
			        "replyscan: more malformed lines follow; "
			        "they are counted, not shown\n");
			ws->reported++;
		}
		if (ws->reported > ws->max_reports) {
			return;
		}
		if (l->offset >= 0) {
			fprintf(stderr,
			        "replyscan: %s/%d/%lld: malformed line: %s\n",
			        l->topic ? l->topic : "?", l->partition,
			        (long long)l->offset, b->bad[i].why);
		} else {
			fprintf(stderr,
			        "replyscan: %s:%llu: malformed line: %s\n",
			        b->source, (unsigned long long)l->line_no,
			        b->bad[i].why);
		}
		ws->reported++;
	}
}

/* rs_sink_t.write */
static int ws_write(rs_sink_t *sink, rs_batch_t *b, char *errstr,
                    size_t errstr_size)
{
	rs_writesink_t *ws = sink->ctx;

	report_bad(ws, b);
	if (ws->summary != NULL && rs_summary_add_batch(ws->summary, b) < 0) {
		snprintf(errstr, errstr_size, "out of memory in the summary");
		return -1;
	}
	if (ws->fd >= 0 && b->out.len > 0 &&
	    write_all(ws->fd, b->out.data, b->out.len) < 0) {
		snprintf(errstr, errstr_size, "cannot write the output: %s",
		         strerror(errno));
		return -1;
	}
	return 0;
}

rs_writesink_t *rs_writesink_new(int fd, rs_summary_t *summary,
                                 size_t max_reports)
{
	rs_writesink_t *ws = calloc(1, sizeof(*ws));

	if (ws == NULL) {
		return NULL;
	}
	ws->fd = fd;
	ws->summary = summary;
	ws->max_reports = max_reports;
	ws->sink.write = ws_write;
	ws->sink.ctx = ws;
	return ws;
}

void rs_writesink_destroy(rs_writesink_t *ws)
{
	free(ws);
}

rs_sink_t *rs_writesink_sink(rs_writesink_t *ws)
{
	return &ws->sink;
}
