/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config_roundtrip.h - the check fuzz_config and fuzz_cmdline share: a
 * configuration, however it was set, prints (--print-config) as a file
 * that loads back to the same configuration, which prints the same.
 */
#ifndef RS_FUZZ_CONFIG_ROUNDTRIP_H
#define RS_FUZZ_CONFIG_ROUNDTRIP_H

#include <string.h>

#include "config/config.h"
#include "formats/format_opts.h"
#include "fuzz.h"

static void config_roundtrip(const rs_config_t *cfg)
{
	unsigned cmds = RS_CONFIG_RUN | RS_CONFIG_CLASSIFY;
	char *text = NULL, *again = NULL, err[1024];
	size_t n = 0, n2 = 0;
	rs_config_t back;
	rs_format_opts_t *opts;
	FILE *f;

	f = open_memstream(&text, &n);
	RS_FUZZ_CHECK(f != NULL);
	rs_config_print(cfg, cmds, f);
	RS_FUZZ_CHECK(fclose(f) == 0);

	rs_config_init(&back);
	if (rs_config_load_file(&back, rs_fuzz_file("printed.yaml", text, n),
	                        err, sizeof(err)) != 0) {
		fprintf(stderr, "printed configuration does not load: %s\n%s",
		        err, text);
		abort();
	}
	f = open_memstream(&again, &n2);
	RS_FUZZ_CHECK(f != NULL);
	rs_config_print(&back, cmds, f);
	RS_FUZZ_CHECK(fclose(f) == 0);
	if (n != n2 || memcmp(text, again, n) != 0) {
		fprintf(stderr, "printed twice, differs:\n%s---\n%s", text,
		        again);
		abort();
	}
	/* What a command does next with a configuration. */
	(void)rs_config_validate(cfg, RS_CONFIG_RUN, err, sizeof(err));
	(void)rs_config_validate(cfg, RS_CONFIG_CLASSIFY, err, sizeof(err));
	opts = rs_config_format_opts(cfg, err, sizeof(err));
	if (opts == NULL) {
		RS_FUZZ_CHECK(err[0] != '\0');
	}
	rs_format_opts_destroy(opts);
	rs_config_free(&back);
	free(text);
	free(again);
}

#endif
