/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_classify.c - the classifier over the project's rules/ set
 * (compiled once, at start).
 *
 * Input: bytes 0-1 the reply code (0 or 100..999), byte 2 the logged
 * stage, then "enhanced\0mx-host\0reply text" (missing parts are empty).
 * The classifier must answer (0), with a cause, stages and counts in
 * range, a rule for a rule verdict, and readable ids and tags.
 */
#include "fuzz.h"

#include <string.h>

#include "classify/classify.h"
#include "classify/rules.h"

static rs_rules_t *rules;
static rs_rules_scratch_t *scratch;

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char err[1024];

	(void)argc;
	(void)argv;
	rules = rs_rules_load(RS_RULES_DIR, err, sizeof(err));
	if (rules == NULL) {
		fprintf(stderr, "fuzz_classify: %s\n", err);
		abort();
	}
	scratch = rs_rules_scratch_new(rules, err, sizeof(err));
	if (scratch == NULL) {
		fprintf(stderr, "fuzz_classify: %s\n", err);
		abort();
	}
	return 0;
}

/* The next NUL-separated part of [*p, end) as an exact-size copy. */
static char *part(const uint8_t **p, const uint8_t *end, size_t *n)
{
	const uint8_t *z = memchr(*p, '\0', (size_t)(end - *p));
	size_t len = z ? (size_t)(z - *p) : (size_t)(end - *p);
	char *s = malloc(len > 0 ? len : 1);

	RS_FUZZ_CHECK(s != NULL);
	if (len > 0) {
		memcpy(s, *p, len);
	}
	*p += len + (z != NULL);
	*n = len;
	return s;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p, *end = data + size;
	rs_classify_in_t in;
	rs_verdict_t v;
	char *enh, *mx, *text;
	size_t enh_n, mx_n, text_n;
	unsigned code;

	if (size < 3) {
		return 0;
	}
	code = (unsigned)data[0] << 8 | data[1];
	code = code < 0x8000 ? code % 1000 : 0;
	p = data + 3;
	enh = part(&p, end, &enh_n);
	mx = part(&p, end, &mx_n);
	text = part(&p, end, &text_n);
	memset(&in, 0, sizeof(in));
	in.text = text;
	in.text_len = text_n;
	in.reply_code = code;
	in.enhanced_code = enh_n > 0 ? enh : NULL;
	in.enhanced_len = enh_n;
	in.stage = (rs_stage_t)(data[2] % RS_STAGE__COUNT);
	in.mx_host = mx_n > 0 ? mx : NULL;
	in.mx_host_len = mx_n;
	RS_FUZZ_CHECK(rs_classify(rules, scratch, &in, &v) == 0);
	RS_FUZZ_CHECK((unsigned)v.cause < RS_CAUSE__COUNT);
	RS_FUZZ_CHECK((unsigned)v.stage_inferred < RS_STAGE__COUNT);
	RS_FUZZ_CHECK(v.ntags <= RS_CLASSIFY_MAX_TAGS);
	RS_FUZZ_CHECK(v.nmatches <= RS_CLASSIFY_MAX_MATCHES);
	RS_FUZZ_CHECK(v.rule_id != NULL && strlen(v.rule_id) < 256);
	RS_FUZZ_CHECK(v.basis != RS_BASIS_RULE ||
	              (v.rule != NULL && v.nmatches > 0));
	for (size_t i = 0; i < v.ntags; i++) {
		RS_FUZZ_CHECK(v.tags[i] != NULL && strlen(v.tags[i]) < 256);
	}
	(void)rs_classify_provider(rules, mx, mx_n);
	(void)rs_classify_enhanced(enh, enh_n);
	(void)rs_classify_permanence(code, enh, enh_n);
	free(enh);
	free(mx);
	free(text);
	return 0;
}
