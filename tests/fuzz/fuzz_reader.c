/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_reader.c - the file source: reader (plain, gzip, zstd by magic
 * bytes) and line splitter, oversized lines included.
 *
 * Input: byte 0 picks max_line (1..1009), byte 1 the batch size
 * (1..4081); the rest is the file. Every line handed over lies inside
 * its batch, holds no newline, is no longer than max_line (a longer one
 * comes as an empty line flagged oversized), and lines are numbered
 * 1, 2, 3, ... For a plain file with no oversized line, the lines joined
 * by newlines give the file back.
 */
#include "fuzz.h"

#include <string.h>

#include "files/filesource.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

/* Is the file compressed (the reader's magic bytes)? */
static int compressed(const uint8_t *p, size_t n)
{
	static const uint8_t gz[] = {0x1f, 0x8b};
	static const uint8_t zst[] = {0x28, 0xb5, 0x2f, 0xfd};

	return (n >= sizeof(gz) && memcmp(p, gz, sizeof(gz)) == 0) ||
	       (n >= sizeof(zst) && memcmp(p, zst, sizeof(zst)) == 0);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	size_t max_line, batch_bytes, pos = 0;
	char *paths[1];
	rs_filesource_t *fs;
	rs_source_t *src;
	rs_batch_t batch;
	char err[512];
	uint64_t line_no = 0;
	int plain, oversized = 0, rc;
	const uint8_t *file;
	size_t file_n;

	if (size < 2) {
		return 0;
	}
	max_line = 1 + (size_t)(data[0] % 64) * 16;
	batch_bytes = 1 + (size_t)data[1] * 16;
	file = data + 2;
	file_n = size - 2;
	plain = !compressed(file, file_n);
	paths[0] = (char *)rs_fuzz_file("input", file, file_n);
	fs = rs_filesource_new(paths, 1, batch_bytes, max_line);
	RS_FUZZ_CHECK(fs != NULL);
	src = rs_filesource_source(fs);
	memset(&batch, 0, sizeof(batch));
	while ((rc = src->next(src, &batch, err, sizeof(err))) == 1) {
		for (size_t i = 0; i < batch.nlines; i++) {
			const rs_line_t *l = &batch.lines[i];

			RS_FUZZ_CHECK(l->line_no == ++line_no);
			RS_FUZZ_CHECK(l->p >= batch.data &&
			              l->p + l->len <= batch.data + batch.len);
			RS_FUZZ_CHECK(memchr(l->p, '\n', l->len) == NULL);
			if (l->flags & RS_LINE_OVERSIZED) {
				RS_FUZZ_CHECK(l->len == 0);
				oversized = 1;
				continue;
			}
			RS_FUZZ_CHECK(l->len <= max_line);
			if (plain && !oversized) {
				/* The line is the file's next bytes. */
				RS_FUZZ_CHECK(pos + l->len <= file_n);
				RS_FUZZ_CHECK(
				    l->len == 0 ||
				    memcmp(l->p, file + pos, l->len) == 0);
				pos += l->len;
				RS_FUZZ_CHECK(pos == file_n ||
				              file[pos] == '\n');
				pos += pos < file_n;
			}
		}
		if (src->release != NULL) {
			src->release(src, &batch);
		}
		rs_batch_reset(&batch);
	}
	RS_FUZZ_CHECK(rc == 0);
	if (plain && !oversized) {
		RS_FUZZ_CHECK(pos == file_n);
	}
	rs_batch_free(&batch);
	rs_filesource_destroy(fs);
	return 0;
}
