/* SPDX-License-Identifier: Apache-2.0 */
/*
 * replay.c - the ctest driver of a fuzz harness without libFuzzer: feeds
 * every file named on the command line, or found in a directory named
 * there (sorted, not recursive), to LLVMFuzzerTestOneInput once. The
 * harness's checks abort on a bad result, which fails the test.
 */
#include "fuzz.h"

#include <dirent.h>
#include <string.h>
#include <sys/stat.h>

static size_t replayed;

static void replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	uint8_t *data = NULL;
	size_t n = 0, cap = 0;

	if (f == NULL) {
		perror(path);
		exit(1);
	}
	for (;;) {
		size_t got;

		if (n == cap) {
			cap = cap ? cap * 2 : 4096;
			data = realloc(data, cap);
			RS_FUZZ_CHECK(data != NULL);
		}
		got = fread(data + n, 1, cap - n, f);
		if (got == 0) {
			break;
		}
		n += got;
	}
	fclose(f);
	/* An exact-size copy, so that ASan sees a read past the input. */
	{
		uint8_t *exact = malloc(n > 0 ? n : 1);

		RS_FUZZ_CHECK(exact != NULL);
		if (n > 0) {
			memcpy(exact, data, n);
		}
		free(data);
		LLVMFuzzerTestOneInput(exact, n);
		free(exact);
	}
	replayed++;
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

int main(int argc, char **argv)
{
	LLVMFuzzerInitialize(&argc, &argv);
	for (int i = 1; i < argc; i++) {
		struct stat st;
		struct dirent **ents;
		int n;

		if (stat(argv[i], &st) != 0) {
			/* A surface with no regression input yet. */
			continue;
		}
		if (!S_ISDIR(st.st_mode)) {
			replay_file(argv[i]);
			continue;
		}
		n = scandir(argv[i], &ents, NULL, by_name);
		RS_FUZZ_CHECK(n >= 0);
		for (int k = 0; k < n; k++) {
			char p[4096];

			if (ents[k]->d_name[0] != '.') {
				snprintf(p, sizeof(p), "%s/%s", argv[i],
				         ents[k]->d_name);
				replay_file(p);
			}
			free(ents[k]);
		}
		free(ents);
	}
	printf("%zu inputs replayed\n", replayed);
	return 0;
}
