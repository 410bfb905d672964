/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz.h - what the fuzz harnesses (tests/fuzz/fuzz_<surface>.c) share.
 *
 * Each harness defines LLVMFuzzerInitialize and LLVMFuzzerTestOneInput.
 * It is linked twice: with libFuzzer into fuzz_<surface> (RS_FUZZ=ON), and
 * with replay.c into replay_<surface>, the ctest that feeds the seed
 * corpus and the regression inputs to the same entry point, so a bug the
 * fuzzer once found stays fixed in builds without a fuzzing engine.
 *
 * A harness checks what must hold for every input with RS_FUZZ_CHECK,
 * which aborts: the fuzzer records the input, the replay test fails.
 */
#ifndef RS_FUZZ_H
#define RS_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define RS_FUZZ_CHECK(cond)                                                    \
	do {                                                                   \
		if (!(cond)) {                                                 \
			fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, \
			        __LINE__, #cond);                              \
			abort();                                               \
		}                                                              \
	} while (0)

/*
 * Write n bytes to the file name in the process's private temporary
 * directory (made on first use, removed at exit) and return its path
 * (valid until the next call with the same name). Aborts on an I/O error:
 * that is the machine's fault, not the input's.
 */
const char *rs_fuzz_file(const char *name, const void *data, size_t n);

/* The private temporary directory (made on first use). */
const char *rs_fuzz_dir(void);

/* Remove the file name from the private directory, if it is there. */
void rs_fuzz_unlink(const char *name);

/* A NUL-terminated copy of [p, p+n) that the caller frees. */
char *rs_fuzz_strndup(const uint8_t *p, size_t n);

#endif
