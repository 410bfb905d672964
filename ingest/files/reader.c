/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reader.c - plain, gzip and zstd input with magic-byte detection.
 *
 * The first bytes are read into the reader's own buffer to look at the
 * magic; they are then fed to the decompressor (or handed out as plain
 * data) so nothing is read twice and pipes work. zlib's inflate with
 * windowBits 15+32 accepts gzip and concatenated gzip members; zstd frames
 * are decoded with the streaming API, also across concatenated frames.
 */
#include "files/reader.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include <zstd.h>

#define IN_SIZE (256 * 1024)

/* Bytes read ahead to learn whether the input ends (rs_reader_at_eof). */
#define PEEK_SIZE 4096

typedef enum { KIND_PLAIN, KIND_GZIP, KIND_ZSTD } kind_t;

struct rs_reader {
	int fd;
	int own_fd;
	char *path;
	kind_t kind;
	unsigned char *in; /* compressed input buffer (or plain lookahead) */
	size_t in_len;
	size_t in_pos;
	int eof;
	z_stream z;
	int z_ready;
	ZSTD_DCtx *zs;
	int out_full; /* the last decompressing read filled the caller's
	                 buffer: the decoder may hold more */
};

/* Fill r->in with up to want bytes from the fd when it has been
 * consumed; -1 on error. */
static int fill_n(rs_reader_t *r, size_t want, char *errstr, size_t errstr_size)
{
	ssize_t n;

	if (r->in_pos < r->in_len || r->eof) {
		return 0;
	}
	do {
		n = read(r->fd, r->in, want);
	} while (n < 0 && errno == EINTR);
	if (n < 0) {
		snprintf(errstr, errstr_size, "%s: read failed: %s", r->path,
		         strerror(errno));
		return -1;
	}
	r->in_len = (size_t)n;
	r->in_pos = 0;
	if (n == 0) {
		r->eof = 1;
	}
	return 0;
}

/* Fill r->in with up to IN_SIZE bytes when it has been consumed. */
static int fill(rs_reader_t *r, char *errstr, size_t errstr_size)
{
	return fill_n(r, IN_SIZE, errstr, errstr_size);
}

rs_reader_t *rs_reader_open(const char *path, char *errstr, size_t errstr_size)
{
	rs_reader_t *r = calloc(1, sizeof(*r));

	if (r == NULL) {
		snprintf(errstr, errstr_size, "%s: out of memory", path);
		return NULL;
	}
	r->fd = -1;
	r->path = strdup(path);
	r->in = malloc(IN_SIZE);
	if (r->path == NULL || r->in == NULL) {
		snprintf(errstr, errstr_size, "%s: out of memory", path);
		goto fail;
	}
	if (strcmp(path, "-") == 0) {
		r->fd = STDIN_FILENO;
	} else {
		r->fd = open(path, O_RDONLY | O_CLOEXEC);
		if (r->fd < 0) {
			snprintf(errstr, errstr_size, "%s: cannot open: %s",
			         path, strerror(errno));
			goto fail;
		}
		r->own_fd = 1;
	}
	if (fill(r, errstr, errstr_size) < 0) {
		goto fail;
	}
	if (r->in_len >= 2 && r->in[0] == 0x1f && r->in[1] == 0x8b) {
		r->kind = KIND_GZIP;
		if (inflateInit2(&r->z, 15 + 32) != Z_OK) {
			snprintf(errstr, errstr_size,
			         "%s: cannot start gzip decoder", path);
			goto fail;
		}
		r->z_ready = 1;
	} else if (r->in_len >= 4 && r->in[0] == 0x28 && r->in[1] == 0xb5 &&
	           r->in[2] == 0x2f && r->in[3] == 0xfd) {
		r->kind = KIND_ZSTD;
		r->zs = ZSTD_createDCtx();
		if (r->zs == NULL) {
			snprintf(errstr, errstr_size,
			         "%s: cannot start zstd decoder", path);
			goto fail;
		}
	}
	return r;
fail:
	rs_reader_close(r);
	return NULL;
}

/* Inflate gzip data into buf. */
static ssize_t read_gzip(rs_reader_t *r, char *buf, size_t cap, char *errstr,
                         size_t errstr_size)
{
	for (;;) {
		int rc;

		if (fill(r, errstr, errstr_size) < 0) {
			return -1;
		}
		if (r->eof && r->in_pos >= r->in_len) {
			return 0;
		}
		r->z.next_in = r->in + r->in_pos;
		r->z.avail_in = (uInt)(r->in_len - r->in_pos);
		r->z.next_out = (unsigned char *)buf;
		r->z.avail_out = (uInt)(cap > UINT32_MAX ? UINT32_MAX : cap);
		rc = inflate(&r->z, Z_NO_FLUSH);
		r->in_pos = r->in_len - r->z.avail_in;
		if (rc == Z_STREAM_END) {
			/* Another gzip member may follow. */
			inflateReset(&r->z);
		} else if (rc != Z_OK && rc != Z_BUF_ERROR) {
			snprintf(errstr, errstr_size,
			         "%s: corrupt gzip data: %s", r->path,
			         r->z.msg ? r->z.msg : "inflate failed");
			return -1;
		}
		if ((size_t)(r->z.next_out - (unsigned char *)buf) > 0) {
			r->out_full = r->z.avail_out == 0;
			return (ssize_t)(r->z.next_out - (unsigned char *)buf);
		}
		if (rc == Z_BUF_ERROR && r->eof) {
			snprintf(errstr, errstr_size,
			         "%s: gzip data ends early (truncated file)",
			         r->path);
			return -1;
		}
	}
}

/* Decode zstd data into buf. */
static ssize_t read_zstd(rs_reader_t *r, char *buf, size_t cap, char *errstr,
                         size_t errstr_size)
{
	for (;;) {
		ZSTD_inBuffer in;
		ZSTD_outBuffer out = {buf, cap, 0};
		size_t rc;

		if (fill(r, errstr, errstr_size) < 0) {
			return -1;
		}
		if (r->eof && r->in_pos >= r->in_len) {
			return 0;
		}
		in.src = r->in;
		in.size = r->in_len;
		in.pos = r->in_pos;
		rc = ZSTD_decompressStream(r->zs, &out, &in);
		r->in_pos = in.pos;
		if (ZSTD_isError(rc)) {
			snprintf(errstr, errstr_size,
			         "%s: corrupt zstd data: %s", r->path,
			         ZSTD_getErrorName(rc));
			return -1;
		}
		if (out.pos > 0) {
			r->out_full = out.pos == out.size;
			return (ssize_t)out.pos;
		}
	}
}

ssize_t rs_reader_read(rs_reader_t *r, char *buf, size_t cap, char *errstr,
                       size_t errstr_size)
{
	size_t n;

	switch (r->kind) {
	case KIND_GZIP:
		return read_gzip(r, buf, cap, errstr, errstr_size);
	case KIND_ZSTD:
		return read_zstd(r, buf, cap, errstr, errstr_size);
	case KIND_PLAIN:
		break;
	}
	/* Hand out the lookahead first, then read straight into buf. */
	if (r->in_pos < r->in_len) {
		n = r->in_len - r->in_pos;
		if (n > cap) {
			n = cap;
		}
		memcpy(buf, r->in + r->in_pos, n);
		r->in_pos += n;
		return (ssize_t)n;
	}
	if (r->eof) {
		return 0;
	}
	for (;;) {
		ssize_t got = read(r->fd, buf, cap);
		if (got < 0 && errno == EINTR) {
			continue;
		}
		if (got < 0) {
			snprintf(errstr, errstr_size, "%s: read failed: %s",
			         r->path, strerror(errno));
			return -1;
		}
		if (got == 0) {
			r->eof = 1;
		}
		return got;
	}
}

int rs_reader_would_block(const rs_reader_t *r)
{
	struct pollfd pfd;
	int rc;

	if (r->eof || r->in_pos < r->in_len || r->out_full) {
		return 0;
	}
	pfd.fd = r->fd;
	pfd.events = POLLIN;
	pfd.revents = 0;
	do {
		rc = poll(&pfd, 1, 0);
	} while (rc < 0 && errno == EINTR);
	/* An error or hang-up is for read() to report, at once. */
	return rc == 0;
}

int rs_reader_at_eof(rs_reader_t *r)
{
	char err[256];

	if (r->in_pos < r->in_len || r->out_full) {
		return 0;
	}
	if (!r->eof) {
		if (rs_reader_would_block(r)) {
			return 0;
		}
		/* Read a little into the lookahead (used up, as checked):
		 * plain data is handed out from there next, so a short peek
		 * keeps the copy small. */
		if (fill_n(r, PEEK_SIZE, err, sizeof(err)) < 0) {
			return -1;
		}
	}
	return r->eof && r->in_pos >= r->in_len;
}

void rs_reader_close(rs_reader_t *r)
{
	if (r == NULL) {
		return;
	}
	if (r->z_ready) {
		inflateEnd(&r->z);
	}
	ZSTD_freeDCtx(r->zs);
	if (r->own_fd && r->fd >= 0) {
		close(r->fd);
	}
	free(r->in);
	free(r->path);
	free(r);
}
