/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_cmdline.c - the command-line front end of `run` and `classify`.
 *
 * Input: byte 0 picks the command; the rest is the argument vector,
 * arguments separated by NUL bytes (argv[0] is the command). Each
 * argument is its own exact-size allocation, so ASan catches a read past
 * one; a vector is parsed, then the configuration it made is printed and
 * loaded back (config_roundtrip.h). Arguments with '/' or "-" alone are
 * dropped: --config could name /dev/stdin and wait for ever; relative
 * names resolve in the harness's private directory, which holds no
 * configuration.
 */
#include "fuzz.h"

#include <string.h>
#include <unistd.h>

#include "config/cmdline.h"
#include "config_roundtrip.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	RS_FUZZ_CHECK(chdir(rs_fuzz_dir()) == 0);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned cmd;
	char **argv, **owned;
	int argc = 0, rc;
	size_t nowned = 0;
	const uint8_t *p, *end = data + size;
	rs_config_t cfg;
	rs_cmdline_t cl;
	char err[1024];

	if (size < 1) {
		return 0;
	}
	cmd = data[0] & 1 ? RS_CONFIG_RUN : RS_CONFIG_CLASSIFY;
	argv = calloc(size + 2, sizeof(*argv));
	owned = calloc(size + 2, sizeof(*owned));
	RS_FUZZ_CHECK(argv != NULL && owned != NULL);
	argv[argc++] = owned[nowned++] =
	    rs_fuzz_strndup((const uint8_t *)"replyscan", strlen("replyscan"));
	for (p = data + 1; p < end;) {
		const uint8_t *z = memchr(p, '\0', (size_t)(end - p));
		size_t len = z ? (size_t)(z - p) : (size_t)(end - p);
		char *arg = rs_fuzz_strndup(p, len);

		p += len + 1;
		owned[nowned++] = arg;
		if (strchr(arg, '/') != NULL || strcmp(arg, "-") == 0) {
			continue;
		}
		argv[argc++] = arg;
	}
	rs_config_init(&cfg);
	memset(&cl, 0, sizeof(cl));
	err[0] = '\0';
	rc = rs_cmdline_parse(cmd, argc, argv, &cfg, &cl, err, sizeof(err));
	RS_FUZZ_CHECK(rc == 0 || rc == RS_CMDLINE_ERROR ||
	              rc == RS_CMDLINE_USAGE);
	if (rc != 0) {
		RS_FUZZ_CHECK(err[0] != '\0');
	} else {
		RS_FUZZ_CHECK(cl.nargs <= (size_t)argc);
		for (size_t i = 0; i < cl.nargs; i++) {
			RS_FUZZ_CHECK(cl.args[i] != NULL);
		}
		config_roundtrip(&cfg);
	}
	rs_config_free(&cfg);
	for (size_t i = 0; i < nowned; i++) {
		free(owned[i]);
	}
	free(owned);
	free(argv);
	return 0;
}
