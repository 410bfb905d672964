/* SPDX-License-Identifier: Apache-2.0 */
/*
 * filesource.c - files and stdin as a pipeline source.
 *
 * The batch's data buffer holds whole lines only. Bytes after the last
 * newline of a read are kept in `carry` and start the next batch. A line
 * that outgrows max_line switches the source to discard mode until the
 * next newline.
 *
 * A batch is filled by reads until it holds batch_bytes, the input ends,
 * or the input has no more bytes ready (rs_reader_would_block: a pipe or
 * terminal that would make the next read wait). Then the lines read so
 * far are handed over at once: `acct-file | replyscan classify -` gives
 * its events as records arrive, not when a full batch has gathered, and
 * a fast pipe still fills whole batches. A batch that reaches the end of
 * its file says so (rs_batch_t.input_ends) for the stateful formats.
 */
#include "files/filesource.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "files/reader.h"

struct rs_filesource {
	rs_source_t src;
	char *const *paths;
	size_t npaths;
	size_t next_path;
	size_t batch_bytes;
	size_t max_line;
	rs_reader_t *reader;
	const char *cur_path;
	uint64_t line_no;
	char *carry;
	size_t carry_len, carry_cap;
	int discarding; /* inside an oversized line */
	size_t failed_files;
};

/* Ensure the batch buffer holds at least cap bytes. */
static int reserve(rs_batch_t *b, size_t cap)
{
	char *p;

	if (b->cap >= cap) {
		return 0;
	}
	p = realloc(b->data, cap);
	if (p == NULL) {
		return -1;
	}
	b->data = p;
	b->cap = cap;
	return 0;
}

/* Open the next path; 0 when none is left, 1 when open. */
static int open_next(rs_filesource_t *fs)
{
	char err[512];

	while (fs->next_path < fs->npaths) {
		const char *path = fs->paths[fs->next_path++];

		fs->reader = rs_reader_open(path, err, sizeof(err));
		if (fs->reader == NULL) {
			fprintf(stderr, "replyscan: %s\n", err);
			fs->failed_files++;
			continue;
		}
		fs->cur_path = path;
		fs->line_no = 0;
		fs->carry_len = 0;
		fs->discarding = 0;
		return 1;
	}
	return 0;
}

/* Add one whole line, or an empty one flagged oversized when it is
 * longer than max_line (the pipeline counts it malformed). The common
 * case, room in the line array and a line of normal length, is written
 * here without a call: the source thread splits every line of the input
 * while the workers wait for it (a million lines per second and more). */
static inline int add_line(rs_batch_t *b, const char *p, size_t len,
                           uint64_t line_no, size_t max_line)
{
	rs_line_t *l;

	if (len > max_line) {
		return rs_batch_add_line(b, p, 0, line_no, -1,
		                         RS_LINE_OVERSIZED);
	}
	if (b->nlines == b->lines_cap) {
		return rs_batch_add_line(b, p, len, line_no, -1, 0);
	}
	l = &b->lines[b->nlines++];
	*l = (rs_line_t){.p = p,
	                 .len = len,
	                 .line_no = line_no,
	                 .offset = -1,
	                 .partition = -1};
	return 0;
}

/*
 * Split b->data[0..len) into lines; whatever follows the last newline goes
 * to carry (or, at end of file, becomes the last line). -1 out of memory.
 */
static int split(rs_filesource_t *fs, rs_batch_t *b, int at_eof)
{
	const char *p = b->data;
	const char *end = b->data + b->len;

	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		size_t len;

		if (nl == NULL) {
			break;
		}
		len = (size_t)(nl - p);
		if (fs->discarding) {
			fs->discarding = 0;
		} else {
			/* A whole line can outgrow max_line too: the carry
			 * and a read share one batch. */
			fs->line_no++;
			if (add_line(b, p, len, fs->line_no, fs->max_line) <
			    0) {
				return -1;
			}
		}
		p = nl + 1;
	}
	if (p < end) {
		size_t rest = (size_t)(end - p);

		if (at_eof) {
			if (!fs->discarding) {
				fs->line_no++;
				if (add_line(b, p, rest, fs->line_no,
				             fs->max_line) < 0) {
					return -1;
				}
			}
		} else if (fs->discarding) {
			/* Still inside the oversized line: drop its bytes. */
		} else if (rest > fs->max_line) {
			fs->line_no++;
			if (rs_batch_add_line(b, p, 0, fs->line_no, -1,
			                      RS_LINE_OVERSIZED) < 0) {
				return -1;
			}
			fs->discarding = 1;
		} else {
			if (rest > fs->carry_cap) {
				char *c = realloc(fs->carry, rest);
				if (c == NULL) {
					return -1;
				}
				fs->carry = c;
				fs->carry_cap = rest;
			}
			memcpy(fs->carry, p, rest);
			fs->carry_len = rest;
		}
	}
	return 0;
}

/* Room left in a batch below which a read is not worth making. */
#define MIN_READ 4096

/* rs_source_t.next: fill one batch from the current file. */
static int fs_next(rs_source_t *src, rs_batch_t *b, char *errstr,
                   size_t errstr_size)
{
	rs_filesource_t *fs = src->ctx;
	char err[512];

	for (;;) {
		ssize_t got = 0;
		size_t want;
		int at_end = 0;

		if (fs->reader == NULL && !open_next(fs)) {
			return 0;
		}
		/* Room for the carried partial line plus a full read. */
		want = fs->carry_len + fs->batch_bytes;
		if (reserve(b, want) < 0) {
			snprintf(errstr, errstr_size, "out of memory");
			return -1;
		}
		if (fs->carry_len > 0) {
			memcpy(b->data, fs->carry, fs->carry_len);
		}
		b->len = fs->carry_len;
		fs->carry_len = 0;
		b->source = fs->cur_path;
		b->input_ends = 0;

		/* Read while bytes are ready and the batch has room. */
		do {
			got = rs_reader_read(fs->reader, b->data + b->len,
			                     b->cap - b->len, err, sizeof(err));
			if (got < 0) {
				/* Keep what was read; report and move on. */
				fprintf(stderr, "replyscan: %s\n", err);
				fs->failed_files++;
			} else {
				b->len += (size_t)got;
			}
			at_end = got <= 0;
		} while (!at_end && b->cap - b->len >= MIN_READ &&
		         b->len < want && !rs_reader_would_block(fs->reader));
		/* A full batch may end the file: say so on this batch, not
		 * on an empty next one (a prescan needs a line to mark). */
		if (!at_end && rs_reader_at_eof(fs->reader) == 1) {
			at_end = 1;
		}
		if (split(fs, b, at_end) < 0) {
			snprintf(errstr, errstr_size, "out of memory");
			return -1;
		}
		if (at_end) {
			rs_reader_close(fs->reader);
			fs->reader = NULL;
			b->input_ends = 1;
		}
		if (b->nlines > 0) {
			return 1;
		}
		/* A read inside one long line: keep going. */
	}
}

rs_filesource_t *rs_filesource_new(char *const *paths, size_t npaths,
                                   size_t batch_bytes, size_t max_line)
{
	rs_filesource_t *fs = calloc(1, sizeof(*fs));

	if (fs == NULL) {
		return NULL;
	}
	fs->paths = paths;
	fs->npaths = npaths;
	fs->batch_bytes = batch_bytes;
	fs->max_line = max_line;
	fs->src.next = fs_next;
	fs->src.ctx = fs;
	return fs;
}

void rs_filesource_destroy(rs_filesource_t *fs)
{
	if (fs == NULL) {
		return;
	}
	rs_reader_close(fs->reader);
	free(fs->carry);
	free(fs);
}

rs_source_t *rs_filesource_source(rs_filesource_t *fs)
{
	return &fs->src;
}

size_t rs_filesource_failed_files(const rs_filesource_t *fs)
{
	return fs->failed_files;
}
