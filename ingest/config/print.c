/* SPDX-License-Identifier: Apache-2.0 */
/*
 * print.c - the configuration written out: the effective values as a
 * file that loads back (--print-config), and every key as a Markdown
 * table (--config-reference, the generated part of
 * docs/configuration.md). Both walk the key table, so neither can miss a
 * key.
 *
 * Hazards: --print-config output ends up in terminals and tickets, so
 * librdkafka properties that hold secrets print as "***".
 */
#include "config/config_private.h"

#include <stdio.h>
#include <string.h>

/* s (valid UTF-8: the setters refuse anything else) as the inside of a
 * YAML double-quoted scalar. What YAML does not allow in a stream even inside
 * quotes is escaped: C0 and C1 controls, DEL, U+FEFF, U+FFFE, U+FFFF. */
static void print_escaped(FILE *out, const char *s)
{
	const unsigned char *p = (const unsigned char *)s;

	while (*p != '\0') {
		unsigned char c = *p;

		if (c == '"' || c == '\\') {
			fprintf(out, "\\%c", c);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\x%02x", c);
		} else if (c == 0xc2 && p[1] >= 0x80 && p[1] <= 0x9f &&
		           p[1] != 0x85) {
			fprintf(out, "\\x%02x", p[1]);
			p += 2;
			continue;
		} else if (c == 0xef && ((p[1] == 0xbb && p[2] == 0xbf) ||
		                         (p[1] == 0xbf && p[2] >= 0xbe))) {
			fprintf(out, "\\u%s",
			        p[1] == 0xbb   ? "FEFF"
			        : p[2] == 0xbe ? "FFFE"
			                       : "FFFF");
			p += 3;
			continue;
		} else {
			fputc(c, out);
		}
		p++;
	}
}

static void print_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	print_escaped(out, s);
	fputc('"', out);
}

/* Can a property name follow its key unquoted ("kafka.consumer.NAME:")?
 * Plain YAML takes these bytes without a second meaning. */
static int plain_name(const char *s)
{
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' ||
		      c == '-' || c == '/' || c == '@' || c == '+')) {
			return 0;
		}
	}
	return 1;
}

/* Does a librdkafka property hold a secret? */
static int is_secret(const char *name)
{
	return strstr(name, "password") != NULL ||
	       strstr(name, "secret") != NULL ||
	       strcmp(name, "ssl.key.pem") == 0 ||
	       strcmp(name, "sasl.oauthbearer.config") == 0;
}

/* The value of a scalar key as it is written in a file. */
static void format_value(const rs_config_t *cfg, const rs_config_key_t *key,
                         char *buf, size_t size)
{
	const void *f = rs_config_cfield(cfg, key);

	switch (key->type) {
	case RS_CONFIG_INT:
		snprintf(buf, size, "%d", *(const int *)f);
		break;
	case RS_CONFIG_SIZE:
		rs_config_format_size((double)*(const size_t *)f, buf, size);
		break;
	case RS_CONFIG_SECONDS:
		snprintf(buf, size, "%g", *(const double *)f);
		break;
	case RS_CONFIG_BOOL:
		snprintf(buf, size, "%s",
		         *(const int *)f > 1 && key->enums != NULL
		             ? rs_config_enum_name(key->enums, *(const int *)f)
		         : *(const int *)f ? "true"
		                           : "false");
		break;
	case RS_CONFIG_ENUM:
		snprintf(buf, size, "%s",
		         rs_config_enum_name(key->enums, *(const int *)f));
		break;
	case RS_CONFIG_FORMAT:
		snprintf(buf, size, "%s",
		         (*(const rs_format_t *const *)f)->name);
		break;
	default:
		buf[0] = '\0';
		break;
	}
}

/* Is a numeric key 0 (which may have a meaning of its own)? */
static int is_zero(const rs_config_t *cfg, const rs_config_key_t *key)
{
	if (key->type == RS_CONFIG_SECONDS) {
		return *(const double *)rs_config_cfield(cfg, key) == 0;
	}
	return *(const int *)rs_config_cfield(cfg, key) == 0;
}

void rs_config_print(const rs_config_t *cfg, unsigned cmds, FILE *out)
{
	char buf[64];

	for (size_t i = 0; i < rs_config_nkeys; i++) {
		const rs_config_key_t *key = &rs_config_keys[i];

		if ((key->cmds & cmds) == 0) {
			continue;
		}

		switch (key->type) {
		case RS_CONFIG_STRING:
			fprintf(out, "%s: ", key->name);
			print_quoted(
			    out,
			    *(const char *const *)rs_config_cfield(cfg, key));
			fputc('\n', out);
			break;
		case RS_CONFIG_LIST: {
			const rs_config_list_t *l = rs_config_cfield(cfg, key);

			fprintf(out, "%s: [", key->name);
			for (size_t j = 0; j < l->n; j++) {
				fputs(j > 0 ? ", " : "", out);
				print_quoted(out, l->v[j]);
			}
			fputs("]\n", out);
			break;
		}
		case RS_CONFIG_PROPS: {
			const rs_config_props_t *p = rs_config_cfield(cfg, key);

			for (size_t j = 0; j < p->n; j++) {
				if (plain_name(p->v[j].name)) {
					fprintf(out, "%s.%s: ", key->name,
					        p->v[j].name);
				} else {
					fprintf(out, "\"%s.", key->name);
					print_escaped(out, p->v[j].name);
					fputs("\": ", out);
				}
				print_quoted(out, is_secret(p->v[j].name)
				                      ? "***"
				                      : p->v[j].value);
				fputc('\n', out);
			}
			break;
		}
		default:
			format_value(cfg, key, buf, sizeof(buf));
			fprintf(out, "%s: %s", key->name, buf);
			if (key->zero != NULL && is_zero(cfg, key)) {
				fprintf(out, "  # %s", key->zero);
			}
			fputc('\n', out);
			break;
		}
	}
}

/* Text for a Markdown table cell: '|' escaped. */
static void print_cell(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|') {
			fputs("\\|", out);
		} else {
			fputc(*s, out);
		}
	}
}

/* The "Default" cell of a key. */
static void print_default(FILE *out, const rs_config_key_t *key)
{
	if (key->type == RS_CONFIG_LIST) {
		fputs("(required)", out);
	} else if (key->type == RS_CONFIG_PROPS) {
		fputs("(none)", out);
	} else if (key->def[0] == '\0') {
		fputs("(empty)", out);
	} else {
		fputc('`', out);
		print_cell(out, key->def);
		fputc('`', out);
		if (key->zero != NULL && strcmp(key->def, "0") == 0) {
			fprintf(out, " (%s)", key->zero);
		}
	}
}

/* The "Allowed" cell of a key. */
static void print_allowed(FILE *out, const rs_config_key_t *key)
{
	char lo[32], hi[32];

	switch (key->type) {
	case RS_CONFIG_INT:
		fprintf(out, "%.0f to %.0f", key->min, key->max);
		if (key->zero != NULL && key->min > 0) {
			fputs(", or 0", out);
		}
		break;
	case RS_CONFIG_SIZE:
		rs_config_format_size(key->min, lo, sizeof(lo));
		rs_config_format_size(key->max, hi, sizeof(hi));
		fprintf(out, "%s to %s", lo, hi);
		break;
	case RS_CONFIG_SECONDS:
		fprintf(out, "%g to %g", key->min, key->max);
		if (key->zero != NULL && key->min > 0) {
			fputs(", or 0", out);
		}
		break;
	case RS_CONFIG_BOOL:
		fputs("`true`, `false`", out);
		for (const rs_config_enum_t *e = key->enums;
		     e != NULL && e->name != NULL; e++) {
			fprintf(out, ", `%s`", e->name);
		}
		break;
	case RS_CONFIG_ENUM:
		for (const rs_config_enum_t *e = key->enums; e->name != NULL;
		     e++) {
			fprintf(out, "%s`%s`", e == key->enums ? "" : ", ",
			        e->name);
		}
		break;
	case RS_CONFIG_FORMAT:
		for (size_t f = 0; f < rs_format_count(); f++) {
			fprintf(out, "%s`%s`", f == 0 ? "" : ", ",
			        rs_format_at(f)->name);
		}
		break;
	case RS_CONFIG_PROPS:
		fputs(key->check != NULL ? key->check->allowed
		                         : "librdkafka properties",
		      out);
		break;
	case RS_CONFIG_LIST:
	case RS_CONFIG_STRING:
		if (key->check != NULL) {
			fputs(key->check->allowed, out);
		}
		break;
	}
}

void rs_config_print_reference(unsigned cmds, FILE *out)
{
	fputs("| Key | Type | Default | Allowed | Description |\n", out);
	fputs("|---|---|---|---|---|\n", out);
	for (size_t i = 0; i < rs_config_nkeys; i++) {
		const rs_config_key_t *key = &rs_config_keys[i];

		if ((key->cmds & cmds) == 0) {
			continue;
		}

		fprintf(out, "| `%s%s` | %s | ", key->name,
		        key->type == RS_CONFIG_PROPS ? ".*" : "",
		        rs_config_type_name(key->type));
		print_default(out, key);
		fputs(" | ", out);
		print_allowed(out, key);
		fputs(" | ", out);
		print_cell(out, key->desc);
		fputs(" |\n", out);
	}
}
