/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_rules.c - the rules directory loader: YAML in, a compiled rule set
 * or an error sentence out.
 *
 * Input: a rule file (10-fuzz.yaml); after the first NUL byte, if there
 * is one, a providers.yaml. The directory is loaded as `--rules DIR`
 * does (examples checked, Hyperscan compile; the on-disk compile cache
 * is off). A directory that is refused gives a sentence that names one
 * of its files; a loaded set answers `rules test` and classifies.
 */
#include "fuzz.h"

#include <string.h>

#include "classify/classify.h"
#include "classify/rules.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	setenv("REPLYSCAN_CACHE_DIR", "", 1);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *z = memchr(data, '\0', size);
	size_t rules_n = z ? (size_t)(z - data) : size;
	rs_rules_t *rules;
	char err[2048];

	rs_fuzz_file("10-fuzz.yaml", data, rules_n);
	if (z != NULL) {
		rs_fuzz_file("providers.yaml", z + 1,
		             (size_t)(data + size - (z + 1)));
	} else {
		rs_fuzz_unlink("providers.yaml");
	}
	err[0] = '\0';
	rules = rs_rules_load(rs_fuzz_dir(), err, sizeof(err));
	if (rules == NULL) {
		if (strstr(err, "10-fuzz.yaml") == NULL &&
		    strstr(err, "providers.yaml") == NULL) {
			fprintf(stderr, "error names no file: %s\n", err);
			abort();
		}
		if (getenv("RS_FUZZ_VERBOSE") != NULL) {
			fprintf(stderr, "%s\n", err);
		}
		return 0;
	}
	{
		rs_rules_scratch_t *scratch =
		    rs_rules_scratch_new(rules, err, sizeof(err));
		rs_classify_in_t in;
		rs_verdict_t v;
		size_t passed = 0;
		FILE *devnull = fopen("/dev/null", "w");

		RS_FUZZ_CHECK(scratch != NULL && devnull != NULL);
		(void)rs_rules_test(rules, devnull, &passed);
		rs_rules_list(rules, devnull);
		fclose(devnull);
		memset(&in, 0, sizeof(in));
		in.text = "550 5.1.1 user unknown";
		in.text_len = strlen(in.text);
		in.reply_code = 550;
		RS_FUZZ_CHECK(rs_classify(rules, scratch, &in, &v) == 0);
		rs_rules_scratch_destroy(scratch);
		rs_rules_destroy(rules);
	}
	return 0;
}
