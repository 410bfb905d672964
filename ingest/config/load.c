/* SPDX-License-Identifier: Apache-2.0 */
/*
 * load.c - a configuration file applied over a configuration: the file
 * is read by util/yaml (which refuses syntax errors, aliases, duplicate
 * keys within a mapping, deep nesting), nested mappings flatten to dotted
 * names, and every value goes through the setter in file order.
 *
 * The same key may be written nested and dotted ("kafka: {group: x}" and
 * "kafka.group: x"); the loader keeps every flattened name of the file to
 * refuse such a key given twice, which util/yaml cannot see. The walk
 * recurses once per mapping level, bounded by RS_YAML_MAX_DEPTH.
 */
#include "config/config_private.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/yaml.h"

typedef struct seen_key {
	char *name;
	unsigned line;
} seen_key_t;

typedef struct loader {
	const rs_yaml_doc_t *doc;
	rs_config_t *cfg;
	char *errstr;
	size_t errstr_size;
	seen_key_t *seen; /* every flattened key of this file */
	size_t nseen, seen_cap;
} loader_t;

/* "path:line: key: why" into the loader's errstr; returns -1. */
static int load_error(loader_t *ld, unsigned line, const char *key,
                      const char *why)
{
	return rs_yaml_fail(ld->doc, line, ld->errstr, ld->errstr_size,
	                    "%s: %s", key, why);
}

/* "path:line" of a value, for origins. */
static void origin_of(const loader_t *ld, unsigned line, char *buf, size_t size)
{
	snprintf(buf, size, "%s:%u", rs_yaml_name(ld->doc), line);
}

/* A scalar's text; -1 (error set) when it holds a NUL byte. */
static int scalar_text(loader_t *ld, const rs_yaml_node_t *node,
                       const char *key, const char **text)
{
	*text = node->text;
	if (strlen(node->text) != node->len) {
		return load_error(ld, node->line, key,
		                  "the value holds a NUL byte");
	}
	return 0;
}

/* Record a flattened key as seen at line; -1 when seen before. */
static int see_key(loader_t *ld, const char *name, unsigned line)
{
	char why[64];

	for (size_t i = 0; i < ld->nseen; i++) {
		if (strcmp(ld->seen[i].name, name) == 0) {
			snprintf(why, sizeof(why),
			         "duplicate key (first set at line %u)",
			         ld->seen[i].line);
			return load_error(ld, line, name, why);
		}
	}
	if (ld->nseen == ld->seen_cap) {
		size_t cap = ld->seen_cap ? ld->seen_cap * 2 : 32;
		seen_key_t *s = realloc(ld->seen, cap * sizeof(*s));

		if (s == NULL) {
			return load_error(ld, line, name, "out of memory");
		}
		ld->seen = s;
		ld->seen_cap = cap;
	}
	ld->seen[ld->nseen].name = strdup(name);
	if (ld->seen[ld->nseen].name == NULL) {
		return load_error(ld, line, name, "out of memory");
	}
	ld->seen[ld->nseen++].line = line;
	return 0;
}

/* What a key expects, for "expected ..., found ..." errors. */
static const char *expects(const rs_config_key_t *key, const char *prop)
{
	if (key == NULL) {
		return "a mapping of keys";
	}
	if (key->type == RS_CONFIG_PROPS && prop == NULL) {
		return key->check != NULL
		           ? "a mapping of names"
		           : "a mapping of librdkafka properties";
	}
	if (key->type == RS_CONFIG_LIST) {
		return "a list of names, or one name";
	}
	return "a single value";
}

/* The items of a sequence into a list key; key_line is its origin. */
static int load_sequence(loader_t *ld, const rs_config_key_t *key,
                         const char *name, unsigned key_line,
                         const rs_yaml_node_t *seq)
{
	char **items = NULL;
	char why[512], origin[4096];
	int rc = -1;

	if (seq->n > 0) {
		items = calloc(seq->n, sizeof(*items));
		if (items == NULL) {
			return load_error(ld, key_line, name, "out of memory");
		}
	}
	for (size_t i = 0; i < seq->n; i++) {
		const rs_yaml_node_t *item = seq->items[i];
		const char *text;

		if (item->kind != RS_YAML_SCALAR) {
			load_error(ld, item->line, name,
			           "expected a list of names, found a nested "
			           "structure");
			goto out;
		}
		if (scalar_text(ld, item, name, &text) != 0) {
			goto out;
		}
		if (key->check != NULL &&
		    key->check->fn(text, why, sizeof(why)) != 0) {
			load_error(ld, item->line, name, why);
			goto out;
		}
		items[i] = (char *)text;
	}
	if (rs_config_set_list(ld->cfg, key, items, seq->n, why, sizeof(why)) !=
	    0) {
		load_error(ld, key_line, name, why);
		goto out;
	}
	origin_of(ld, key_line, origin, sizeof(origin));
	rs_config_note_origin(ld->cfg, key, origin);
	rc = 0;
out:
	free(items);
	return rc;
}

/* One scalar value applied to name. */
static int load_scalar(loader_t *ld, const char *name,
                       const rs_yaml_node_t *node)
{
	const rs_config_key_t *key;
	const char *prop, *text;
	char why[512], origin[4096];
	int null = rs_yaml_is_null(node);
	int rc;

	if (scalar_text(ld, node, name, &text) != 0) {
		return -1;
	}
	key = rs_config_key_find(name, &prop);
	if (key == NULL) {
		if (rs_config_is_section(name)) {
			if (null) {
				return 0; /* "kafka:" with nothing under it */
			}
			return load_error(ld, node->line, name,
			                  "expected a mapping of keys, found a "
			                  "single value");
		}
		rs_config_unknown_key(name, why, sizeof(why));
		return load_error(ld, node->line, name, why);
	}
	origin_of(ld, node->line, origin, sizeof(origin));
	switch (key->type) {
	case RS_CONFIG_PROPS:
		if (prop == NULL) {
			if (null) {
				return 0;
			}
			snprintf(why, sizeof(why),
			         "expected %s, found a single value",
			         expects(key, prop));
			return load_error(ld, node->line, name, why);
		}
		if (null) {
			return load_error(ld, node->line, name,
			                  "needs a value");
		}
		rc = rs_config_set_prop(ld->cfg, key, prop, text, origin, why,
		                        sizeof(why));
		break;
	case RS_CONFIG_LIST:
		if (null) {
			rc = rs_config_set_list(ld->cfg, key, NULL, 0, why,
			                        sizeof(why));
		} else {
			rc = rs_config_set_list_text(ld->cfg, key, text, 0, why,
			                             sizeof(why));
		}
		break;
	case RS_CONFIG_STRING:
		rc = rs_config_set_scalar(ld->cfg, key, null ? "" : text, why,
		                          sizeof(why));
		break;
	default:
		rc = rs_config_set_scalar(ld->cfg, key, text, why, sizeof(why));
		break;
	}
	if (rc != 0) {
		return load_error(ld, node->line, name, why);
	}
	if (key->type != RS_CONFIG_PROPS) {
		rs_config_note_origin(ld->cfg, key, origin);
	}
	return 0;
}

static int load_mapping(loader_t *ld, const char *prefix,
                        const rs_yaml_node_t *map);

/* The value of key name (written at key_line). */
static int load_value(loader_t *ld, const char *name, unsigned key_line,
                      const rs_yaml_node_t *value)
{
	const char *prop;
	const rs_config_key_t *key = rs_config_key_find(name, &prop);
	char why[512];

	if (key == NULL && !rs_config_is_section(name)) {
		rs_config_unknown_key(name, why, sizeof(why));
		return load_error(ld, key_line, name, why);
	}
	switch (value->kind) {
	case RS_YAML_SCALAR:
		return load_scalar(ld, name, value);
	case RS_YAML_MAPPING:
		if (key != NULL && key->type != RS_CONFIG_PROPS) {
			snprintf(why, sizeof(why),
			         "expected %s (%s), found a mapping",
			         expects(key, prop),
			         rs_config_type_name(key->type));
			return load_error(ld, value->line, name, why);
		}
		return load_mapping(ld, name, value);
	case RS_YAML_SEQUENCE:
		if (key != NULL && key->type == RS_CONFIG_LIST) {
			return load_sequence(ld, key, name, key_line, value);
		}
		if (key != NULL && key->type != RS_CONFIG_PROPS) {
			snprintf(
			    why, sizeof(why), "expected %s (%s), found a list",
			    expects(key, prop), rs_config_type_name(key->type));
		} else {
			snprintf(why, sizeof(why), "expected %s, found a list",
			         expects(key, prop));
		}
		return load_error(ld, value->line, name, why);
	}
	return load_error(ld, value->line, name, "unexpected YAML node");
}

/* Every pair of a mapping, its keys prefixed with "prefix.". */
static int load_mapping(loader_t *ld, const char *prefix,
                        const rs_yaml_node_t *map)
{
	for (size_t i = 0; i < map->n; i++) {
		const rs_yaml_node_t *k = map->keys[i];
		char name[RS_CONFIG_NAME_MAX];

		if (k->len == 0 || strlen(k->text) != k->len) {
			return load_error(ld, k->line,
			                  prefix[0] != '\0' ? prefix : "(top)",
			                  "empty key");
		}
		if ((size_t)snprintf(name, sizeof(name), "%s%s%s", prefix,
		                     prefix[0] != '\0' ? "." : "",
		                     k->text) >= sizeof(name)) {
			return load_error(ld, k->line, prefix, "key too long");
		}
		if (see_key(ld, name, k->line) != 0 ||
		    load_value(ld, name, k->line, map->items[i]) != 0) {
			return -1;
		}
	}
	return 0;
}

/* The sections as "kafka:, pipeline:, ..." for the top-level error. */
static void section_list(char *buf, size_t size)
{
	const char *name[RS_CONFIG_MAX_SECTIONS];
	size_t len[RS_CONFIG_MAX_SECTIONS];
	size_t n = rs_config_sections(name, len, RS_CONFIG_MAX_SECTIONS);
	size_t used = 0;

	buf[0] = '\0';
	for (size_t i = 0; i < n && used < size; i++) {
		int w = snprintf(buf + used, size - used,
		                 "%s%.*s:", i > 0 ? ", " : "", (int)len[i],
		                 name[i]);

		if (w < 0) {
			break;
		}
		used += (size_t)w;
	}
}

int rs_config_load_file(rs_config_t *cfg, const char *path, char *errstr,
                        size_t errstr_size)
{
	rs_yaml_doc_t *doc = rs_yaml_load_file(path, errstr, errstr_size);
	const rs_yaml_node_t *root;
	loader_t ld;
	int rc = 0;

	if (doc == NULL) {
		return -1;
	}
	memset(&ld, 0, sizeof(ld));
	ld.doc = doc;
	ld.cfg = cfg;
	ld.errstr = errstr;
	ld.errstr_size = errstr_size;
	root = rs_yaml_root(doc);
	if (root != NULL && root->kind == RS_YAML_MAPPING) {
		rc = load_mapping(&ld, "", root);
	} else if (root != NULL && !rs_yaml_is_null(root)) {
		char sections[256];

		section_list(sections, sizeof(sections));
		rc = rs_yaml_fail(doc, root->line, errstr, errstr_size,
		                  "the file must be a mapping of keys (%s)",
		                  sections);
	}
	for (size_t i = 0; i < ld.nseen; i++) {
		free(ld.seen[i].name);
	}
	free(ld.seen);
	rs_yaml_free(doc);
	return rc;
}
