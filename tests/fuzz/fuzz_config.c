/* SPDX-License-Identifier: Apache-2.0 */
/*
 * fuzz_config.c - the configuration loader and --set.
 *
 * Input: a YAML file, then (after the first NUL byte) KEY=VALUE pairs
 * separated by NUL bytes, applied as --set does. A file or value that is
 * refused gives a sentence (naming file:line for a file); whatever is
 * accepted prints as a file that loads back to the same configuration
 * (config_roundtrip.h).
 */
#include "fuzz.h"

#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config_roundtrip.h"

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *end = data + size;
	const uint8_t *z = memchr(data, '\0', size);
	size_t file_n = z ? (size_t)(z - data) : size;
	const char *path;
	rs_config_t cfg;
	char err[1024];
	const uint8_t *p;

	path = rs_fuzz_file("config.yaml", data, file_n);
	rs_config_init(&cfg);
	err[0] = '\0';
	if (rs_config_load_file(&cfg, path, err, sizeof(err)) != 0) {
		RS_FUZZ_CHECK(strncmp(err, path, strlen(path)) == 0);
	}
	for (p = z ? z + 1 : end; p < end;) {
		const uint8_t *nz = memchr(p, '\0', (size_t)(end - p));
		size_t len = nz ? (size_t)(nz - p) : (size_t)(end - p);
		char *kv = rs_fuzz_strndup(p, len);
		char *eq = strchr(kv, '=');

		p += len + 1;
		if (eq == NULL) {
			free(kv);
			continue;
		}
		*eq = '\0';
		err[0] = '\0';
		if (rs_config_set(&cfg, kv, eq + 1, "--set", err,
		                  sizeof(err)) != 0) {
			RS_FUZZ_CHECK(err[0] != '\0');
		}
		free(kv);
	}
	config_roundtrip(&cfg);
	rs_config_free(&cfg);
	return 0;
}
