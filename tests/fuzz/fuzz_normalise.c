/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_normalise.c - the reply normaliser. Byte 0 picks the room given
 * (the whole n + 1 the classifier gives, or less); the rest is the
 * reply. The output buffer is exactly that room, so ASan catches a write
 * past it; the input is exactly the reply, so it catches a read past it.
 */
#include "fuzz.h"

#include <string.h>

#include "classify/normalise.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	rs_normalised_t res;
	size_t n, cap;
	char *in, *out;

	if (size < 1) {
		return 0;
	}
	n = size - 1;
	cap = data[0] < 128 ? n + 1 : (size_t)(data[0] - 128) % (n + 2);
	in = malloc(n > 0 ? n : 1);
	out = malloc(cap > 0 ? cap : 1);
	RS_FUZZ_CHECK(in != NULL && out != NULL);
	if (n > 0) {
		memcpy(in, data + 1, n);
	}
	memset(&res, 0, sizeof(res));
	rs_normalise_reply(in, n, out, cap, &res);
	RS_FUZZ_CHECK(res.len <= cap);
	RS_FUZZ_CHECK(res.code < 1000);
	RS_FUZZ_CHECK(res.enhanced.p == NULL ||
	              (res.enhanced.p >= in &&
	               res.enhanced.p + res.enhanced.n <= in + n) ||
	              (res.enhanced.p >= out &&
	               res.enhanced.p + res.enhanced.n <= out + cap));
	free(in);
	free(out);
	return 0;
}
