/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmdline.c - the command line of run and classify, made from the key
 * table; see cmdline.h.
 *
 * Each command's options are gathered once into a list of specs: the
 * front end's own flags (--config, --set, ...) and every flag spelling
 * of every key that the command accepts. The getopt_long option table,
 * its short-option string and the --help lines are all written from that
 * list. Parsing first collects the flags in a growable vector (no slot
 * count is assumed from argc), then loads the file, then applies the
 * collected values in order.
 *
 * Hazards: getopt_long keeps global state; optind = 0 makes glibc start
 * afresh, so the front end can run more than once in a process (tests).
 * argv is permuted (operands last) but never written into.
 */
#include "config/cmdline.h"

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

#include "config/config_private.h"

#define BOTH (RS_CONFIG_RUN | RS_CONFIG_CLASSIFY)
#define HELP_COLUMN 29 /* where the text of an option line starts */
#define HELP_WIDTH 79

/* What a spec does when it is given. */
typedef enum action {
	ACT_KEY = 0, /* set the key's value */
	ACT_CONFIG,
	ACT_SET,
	ACT_PRINT_CONFIG,
	ACT_REFERENCE,
	ACT_DEMO,
	ACT_HELP,
} action_t;

/* The flags of the front end itself, which set no key. */
static const struct {
	rs_config_flag_t flag;
	action_t action;
} actions[] = {
    {{.name = "config",
      .letter = 'c',
      .cmds = BOTH,
      .arg = "FILE",
      .help = "YAML configuration file (keys: --config-reference)"},
     ACT_CONFIG},
    {{.name = "set",
      .letter = 's',
      .cmds = BOTH,
      .arg = "KEY=VALUE",
      .help = "set any configuration key (see --config-reference); "
              "repeatable"},
     ACT_SET},
    {{.name = "print-config",
      .cmds = BOTH,
      .help = "print the effective configuration and exit"},
     ACT_PRINT_CONFIG},
    {{.name = "config-reference",
      .cmds = BOTH,
      .help = "print every configuration key and exit"},
     ACT_REFERENCE},
    {{.name = "demo",
      .cmds = RS_CONFIG_RUN,
      .help = "run on librdkafka's in-process mock cluster with the "
              "bundled sample corpus"},
     ACT_DEMO},
    {{.name = "help", .letter = 'h', .cmds = BOTH, .help = "this text"},
     ACT_HELP},
};

#define NACTIONS (sizeof(actions) / sizeof(actions[0]))
#define MAX_SPECS (RS_CONFIG_MAX_KEYS * RS_CONFIG_MAX_FLAGS + NACTIONS)

/* One option of a command. */
typedef struct spec {
	const rs_config_flag_t *flag;
	const rs_config_key_t *key; /* NULL: one of actions[] */
	action_t action;
} spec_t;

/* A flag given on the command line, applied after the file. */
typedef struct given {
	size_t spec;
	const char *arg;
} given_t;

/* ------------------------------------------------------------------ */
/* The options of a command                                           */
/* ------------------------------------------------------------------ */

/*
 * The options of cmd in --help order: --config, the keys' flags in table
 * order, then the other flags of the front end.
 */
static size_t command_specs(unsigned cmd, spec_t *specs)
{
	size_t n = 0;

	for (size_t a = 0; a < NACTIONS; a++) {
		if (actions[a].action == ACT_CONFIG &&
		    (actions[a].flag.cmds & cmd) != 0) {
			specs[n++] =
			    (spec_t){&actions[a].flag, NULL, actions[a].action};
		}
	}
	for (size_t k = 0; k < rs_config_nkeys; k++) {
		const rs_config_key_t *key = &rs_config_keys[k];

		for (size_t f = 0; f < RS_CONFIG_MAX_FLAGS; f++) {
			const rs_config_flag_t *flag = &key->flags[f];

			if (flag->name != NULL && (flag->cmds & cmd) != 0) {
				specs[n++] = (spec_t){flag, key, ACT_KEY};
			}
		}
	}
	for (size_t a = 0; a < NACTIONS; a++) {
		if (actions[a].action != ACT_CONFIG &&
		    (actions[a].flag.cmds & cmd) != 0) {
			specs[n++] =
			    (spec_t){&actions[a].flag, NULL, actions[a].action};
		}
	}
	return n;
}

/* ------------------------------------------------------------------ */
/* --help                                                             */
/* ------------------------------------------------------------------ */

/* The help text of a spec: "{values}" expanded, the key named after. */
static void spec_help(const spec_t *s, char *buf, size_t size)
{
	const rs_config_key_t *key = s->key;
	const rs_config_flag_t *flag = s->flag;
	const char *mark = strstr(flag->help, "{values}");
	char values[256] = "";
	int used;

	if (mark != NULL && key != NULL) {
		if (key->type == RS_CONFIG_FORMAT) {
			rs_format_names(values, sizeof(values), ", ");
		} else if (key->type == RS_CONFIG_ENUM) {
			rs_config_enum_names(key->enums, ", ", values,
			                     sizeof(values));
		}
		used = snprintf(buf, size, "%.*s%s%s", (int)(mark - flag->help),
		                flag->help, values, mark + strlen("{values}"));
	} else {
		used = snprintf(buf, size, "%s", flag->help);
	}
	if (key == NULL || used < 0 || (size_t)used >= size) {
		return;
	}
	buf += used;
	size -= (size_t)used;
	if (flag->arg == NULL) {
		snprintf(buf, size, " (%s=%s)", key->name, flag->value);
	} else if (flag->also_key != NULL) {
		snprintf(buf, size, " (%s, and %s=%s)", key->name,
		         flag->also_key, flag->also_value);
	} else if ((key->def == NULL || key->def[0] == '\0') &&
	           key->zero != NULL) {
		snprintf(buf, size, " (%s; default: %s)", key->name, key->zero);
	} else if (key->def == NULL || key->def[0] == '\0') {
		snprintf(buf, size, " (%s)", key->name);
	} else if (key->zero != NULL && strcmp(key->def, "0") == 0) {
		snprintf(buf, size, " (%s; default: %s)", key->name, key->zero);
	} else {
		snprintf(buf, size, " (%s; default %s)", key->name, key->def);
	}
}

/* Words of text from column col, wrapped at HELP_WIDTH. */
static void print_wrapped(FILE *out, const char *text, size_t col)
{
	const char *p = text;

	while (*p != '\0') {
		const char *end = p;
		const char *brk = NULL;

		/* The longest run of words that fits; one word at least. */
		while (*end != '\0' &&
		       (col + (size_t)(end - p) < HELP_WIDTH || brk == NULL)) {
			if (*end == ' ') {
				brk = end;
			}
			end++;
		}
		if (*end == '\0' || brk == NULL) {
			brk = end;
		}
		fprintf(out, "%.*s\n", (int)(brk - p), p);
		p = *brk == ' ' ? brk + 1 : brk;
		if (*p != '\0') {
			fprintf(out, "%*s", HELP_COLUMN, "");
			col = HELP_COLUMN;
		}
	}
}

void rs_cmdline_usage(unsigned cmd, FILE *out)
{
	spec_t specs[MAX_SPECS];
	size_t n = command_specs(cmd, specs);

	for (size_t i = 0; i < n; i++) {
		const rs_config_flag_t *f = specs[i].flag;
		char left[64], help[512];
		int w;

		if (f->letter != 0) {
			w = snprintf(left, sizeof(left), "  -%c, --%s%s%s",
			             f->letter, f->name, f->arg ? " " : "",
			             f->arg ? f->arg : "");
		} else {
			w = snprintf(left, sizeof(left), "      --%s%s%s",
			             f->name, f->arg ? " " : "",
			             f->arg ? f->arg : "");
		}
		if (w < 0) {
			continue;
		}
		fputs(left, out);
		if ((size_t)w + 1 >= HELP_COLUMN) {
			fprintf(out, "\n%*s", HELP_COLUMN, "");
		} else {
			fprintf(out, "%*s", HELP_COLUMN - w, "");
		}
		spec_help(&specs[i], help, sizeof(help));
		print_wrapped(out, help, HELP_COLUMN);
	}
}

/* ------------------------------------------------------------------ */
/* Parsing                                                            */
/* ------------------------------------------------------------------ */

/* A flag's value into cfg; seen marks the list keys a flag replaced. */
static int apply_flag(rs_config_t *cfg, const spec_t *s, const char *arg,
                      unsigned char *seen, char *errstr, size_t errstr_size)
{
	const rs_config_flag_t *flag = s->flag;
	size_t k = (size_t)(s->key - rs_config_keys);
	const char *value = flag->arg != NULL ? arg : flag->value;
	char origin[64];
	int rc;

	snprintf(origin, sizeof(origin), "--%s", flag->name);
	if ((flag->opts & RS_CONFIG_FLAG_APPEND) != 0 && seen[k]) {
		rc = rs_config_append(cfg, s->key->name, value, origin, errstr,
		                      errstr_size);
	} else {
		rc = rs_config_set(cfg, s->key->name, value, origin, errstr,
		                   errstr_size);
	}
	seen[k] = 1;
	if (rc == 0 && flag->also_key != NULL) {
		rc = rs_config_set(cfg, flag->also_key, flag->also_value,
		                   origin, errstr, errstr_size);
	}
	return rc;
}

/* --set KEY=VALUE, for a key that cmd reads. */
static int apply_set(unsigned cmd, rs_config_t *cfg, const char *arg,
                     char *errstr, size_t errstr_size)
{
	const char *eq = strchr(arg, '=');
	char *name;
	unsigned cmds;
	int rc;

	if (eq == NULL || eq == arg) {
		snprintf(errstr, errstr_size, "--set %s: expected KEY=VALUE",
		         arg);
		return -1;
	}
	name = strndup(arg, (size_t)(eq - arg));
	if (name == NULL) {
		snprintf(errstr, errstr_size, "out of memory");
		return -1;
	}
	cmds = rs_config_key_cmds(name);
	if (cmds != 0 && (cmds & cmd) == 0) {
		char why[128];

		snprintf(why, sizeof(why),
		         "replyscan %s does not read this key",
		         rs_config_cmd_name(cmd));
		rs_config_key_error(errstr, errstr_size, "--set", name, why);
		rc = -1;
	} else {
		rc = rs_config_set(cfg, name, eq + 1, "--set", errstr,
		                   errstr_size);
	}
	free(name);
	return rc;
}

/* Keep a flag for after the file; -1 out of memory. */
static int keep(given_t **v, size_t *n, size_t *cap, size_t spec,
                const char *arg)
{
	if (*n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		given_t *nv = realloc(*v, ncap * sizeof(*nv));

		if (nv == NULL) {
			return -1;
		}
		*v = nv;
		*cap = ncap;
	}
	(*v)[*n].spec = spec;
	(*v)[(*n)++].arg = arg;
	return 0;
}

int rs_cmdline_parse(unsigned cmd, int argc, char **argv, rs_config_t *cfg,
                     rs_cmdline_t *out, char *errstr, size_t errstr_size)
{
	spec_t specs[MAX_SPECS];
	struct option longopts[MAX_SPECS + 1];
	char shortopts[2 * MAX_SPECS + 2];
	unsigned char seen[RS_CONFIG_MAX_KEYS] = {0};
	size_t n = command_specs(cmd, specs), ns = 0;
	given_t *given = NULL;
	size_t ngiven = 0, cap = 0;
	int c, rc = RS_CMDLINE_ERROR;

	memset(out, 0, sizeof(*out));
	memset(longopts, 0, sizeof(longopts));
	/* ':' first: a missing argument is told apart from an unknown
	 * option. */
	shortopts[ns++] = ':';
	for (size_t i = 0; i < n; i++) {
		const rs_config_flag_t *f = specs[i].flag;

		longopts[i].name = f->name;
		longopts[i].has_arg =
		    f->arg != NULL ? required_argument : no_argument;
		longopts[i].val = 256 + (int)i;
		if (f->letter != 0) {
			shortopts[ns++] = (char)f->letter;
			if (f->arg != NULL) {
				shortopts[ns++] = ':';
			}
		}
	}
	shortopts[ns] = '\0';

	optind = 0;
	opterr = 0;
	while ((c = getopt_long(argc, argv, shortopts, longopts, NULL)) != -1) {
		size_t i = n;

		if (c == '?' || c == ':') {
			char opt[64];

			if (optopt >= 256 && (size_t)(optopt - 256) < n) {
				snprintf(opt, sizeof(opt), "--%s",
				         specs[optopt - 256].flag->name);
			} else if (optopt > 0 && optopt < 256) {
				snprintf(opt, sizeof(opt), "-%c", optopt);
			} else {
				snprintf(opt, sizeof(opt), "%s",
				         argv[optind - 1]);
			}
			snprintf(errstr, errstr_size,
			         c == '?' ? "%s: unknown option '%s'"
			                  : "%s: option '%s' needs a value",
			         rs_config_cmd_name(cmd), opt);
			rc = RS_CMDLINE_USAGE;
			goto out;
		}
		if (c >= 256) {
			i = (size_t)(c - 256);
		} else {
			for (i = 0; i < n; i++) {
				if (specs[i].flag->letter == c) {
					break;
				}
			}
		}
		if (i >= n) {
			snprintf(errstr, errstr_size, "bug: option %d", c);
			goto out;
		}
		switch (specs[i].action) {
		case ACT_HELP:
			out->help = 1;
			rc = 0;
			goto out;
		case ACT_REFERENCE:
			out->config_reference = 1;
			rc = 0;
			goto out;
		case ACT_CONFIG:
			out->config = optarg;
			break;
		case ACT_PRINT_CONFIG:
			out->print_config = 1;
			break;
		case ACT_DEMO:
			out->demo = 1;
			break;
		case ACT_KEY:
		case ACT_SET:
			if (keep(&given, &ngiven, &cap, i, optarg) != 0) {
				snprintf(errstr, errstr_size, "out of memory");
				goto out;
			}
			break;
		}
	}
	out->args = argv + optind;
	out->nargs = (size_t)(argc - optind);
	if (out->config != NULL &&
	    rs_config_load_file(cfg, out->config, errstr, errstr_size) != 0) {
		goto out;
	}
	for (size_t g = 0; g < ngiven; g++) {
		const spec_t *s = &specs[given[g].spec];
		int r =
		    s->action == ACT_SET
			? apply_set(cmd, cfg, given[g].arg, errstr, errstr_size)
			: apply_flag(cfg, s, given[g].arg, seen, errstr,
		                     errstr_size);

		if (r != 0) {
			goto out;
		}
	}
	rc = 0;
out:
	free(given);
	return rc;
}
