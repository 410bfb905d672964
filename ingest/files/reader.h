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

/* Close and free; NULL is allowed. */
void rs_reader_close(rs_reader_t *r);

#endif
