/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reader.h - read a log file or stdin, plain, gzip or zstd, as bytes.
 *
 * The compression is recognised by the file's magic bytes, not by its
 * name, so "-" (stdin) can carry compressed data too. A reader owns its
 * file descriptor and decompression state; rs_reader_close releases them.
 *
 * @locality one thread at a time.
 */
#ifndef RS_READER_H
#define RS_READER_H

#include <stddef.h>
#include <sys/types.h>

typedef struct rs_reader rs_reader_t;

/* Open path ("-" = stdin). NULL with a sentence in errstr on failure. */
rs_reader_t *rs_reader_open(const char *path, char *errstr, size_t errstr_size);

/*
 * Read up to cap decompressed bytes into buf. Returns the count, 0 at the
 * end of input, -1 on error with a sentence in errstr (naming the file).
 */
ssize_t rs_reader_read(rs_reader_t *r, char *buf, size_t cap, char *errstr,
                       size_t errstr_size);

/*
 * Would the next rs_reader_read wait for input? 1 when nothing is buffered
 * and the descriptor (a pipe, a terminal, a socket) has no bytes ready;
 * 0 when a read returns at once (data buffered, bytes ready, end of input,
 * or a regular file). Lets a caller hand over what it has instead of
 * waiting for a full buffer: a live feed stays live.
 */
int rs_reader_would_block(const rs_reader_t *r);

/*
 * Is the input at its end, so that the next read would return 0? Reads
 * ahead into the reader's own buffer when that cannot wait (it never
 * blocks: 0 when the input would block). 0, 1, or -1 on a read error
 * (the error itself is reported by the next rs_reader_read).
 */
int rs_reader_at_eof(rs_reader_t *r);

/* Close and free; NULL is allowed. */
void rs_reader_close(rs_reader_t *r);

#endif
