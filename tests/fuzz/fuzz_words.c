/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_words.c - the word model loader and scorer (classify/words.c).
 *
 * Input: a model file (words.model); after the first NUL byte, if there
 * is one, a reply text. A refused file gives a sentence that starts with
 * its path; a loaded model scores the text and a fixed reply: the known
 * count, posterior in [0, 1] with a class exactly when a feature was
 * known, the thresholds' verdicts agree with the posterior, at most
 * RS_WORDS_TOP top words, each NUL-terminated. The text is also scored by
 * the bundled rules/words.model (loaded once).
 */
#include "fuzz.h"

#include <string.h>

#include "classify/words.h"

static rs_words_t *bundled;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[512];

	(void)argc;
	(void)argv;
	if (rs_words_load(RS_RULES_DIR "/words.model", &bundled, err,
	                  sizeof(err)) != 0) {
		fprintf(stderr, "%s\n", err);
		abort();
	}
	return 0;
}

/* What must hold for any scored text. */
static void check_score(const rs_words_t *m, const char *text, size_t len)
{
	rs_words_result_t r;

	rs_words_score(m, text, len,
	               len > 0 ? 500 + (uint32_t)(unsigned char)text[0] % 100
	                       : 0,
	               len > 6 ? text + 1 : NULL, len > 6 ? 5 : 0, 1, &r);
	RS_FUZZ_CHECK(r.posterior >= 0 && r.posterior <= 1.0 + 1e-9);
	RS_FUZZ_CHECK((r.known == 0) == (r.cause == RS_CAUSE_UNSPECIFIED));
	RS_FUZZ_CHECK(r.known > 0 || (!r.decides && !r.decides_alone));
	RS_FUZZ_CHECK(!r.decides || r.posterior >= rs_words_threshold(m));
	RS_FUZZ_CHECK(!r.decides || r.decides_alone);
	RS_FUZZ_CHECK(r.ntop <= RS_WORDS_TOP);
	RS_FUZZ_CHECK(r.rule_id != NULL);
	for (size_t i = 0; i < r.ntop; i++) {
		RS_FUZZ_CHECK(memchr(r.top[i].feature, '\0',
		                     sizeof(r.top[i].feature)) != NULL);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *z = memchr(data, '\0', size);
	size_t model_n = z ? (size_t)(z - data) : size;
	const char *text = z ? (const char *)z + 1 : "";
	size_t text_n = z ? (size_t)(data + size - (z + 1)) : 0;
	const char *path = rs_fuzz_file("words.model", data, model_n);
	rs_words_t *m = NULL;
	char err[2048];
	char *copy = malloc(text_n ? text_n : 1);

	RS_FUZZ_CHECK(copy != NULL);
	/* An exact-size copy: ASan sees a read past the text. */
	memcpy(copy, text, text_n);
	check_score(bundled, copy, text_n);
	err[0] = '\0';
	if (rs_words_load(path, &m, err, sizeof(err)) != 0) {
		RS_FUZZ_CHECK(m == NULL);
		if (strncmp(err, path, strlen(path)) != 0) {
			fprintf(stderr, "error names no file: %s\n", err);
			abort();
		}
		free(copy);
		return 0;
	}
	RS_FUZZ_CHECK(m != NULL);
	RS_FUZZ_CHECK(rs_words_nclasses(m) >= 2 && rs_words_nfeatures(m) >= 1);
	RS_FUZZ_CHECK(rs_words_threshold_alone(m) <= rs_words_threshold(m));
	check_score(m, copy, text_n);
	check_score(m, "452 4.2.2 Mailbox full, over quota", 34);
	rs_words_destroy(m);
	free(copy);
	return 0;
}
