/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_load.h - what the two halves of the rule file reader share
 * (rules_yaml.c: files, directory, providers; rules_rule.c: one rule):
 * the load context and the error and YAML helpers. Private to classify/.
 *
 * Every error is "file:line: sentence." in the load's errstr; the helpers
 * return -1 (or NULL) after writing it.
 */
#ifndef RS_RULES_LOAD_H
#define RS_RULES_LOAD_H

#include <stddef.h>

#include "classify/rules_private.h"
#include "util/yaml.h"

#define RS_RULES_PROVIDERS_FILE "providers.yaml"
#define RULE_ID_MAX 100

/* Is s made only of bytes accepted by ok()? */
static inline int all_bytes(const char *s, int (*ok)(int c))
{
	for (; *s != '\0'; s++) {
		if (!ok((unsigned char)*s)) {
			return 0;
		}
	}
	return 1;
}

/* Rule and provider ids: [a-z0-9_.-]. */
static inline int id_byte(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' ||
	       c == '.' || c == '-';
}

/* Tags: printable, no spaces or quotes. */
static inline int tag_byte(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	       (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-' ||
	       c == ':' || c == '/' || c == '+';
}

/* MX host suffixes: lower-case host name bytes. */
static inline int host_byte(int c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
	       c == '-';
}

/* The file being read and where its errors go. */
struct load {
	rs_rules_t *rules;
	size_t caprules;
	const char *path; /* file being read (arena copy) */
	const rs_yaml_doc_t *doc;
	char *errstr;
	size_t errstr_size;
};

/* One allowed key of a mapping and where its value was seen. */
typedef rs_yaml_field_t key_slot_t;

/* Write "path:line: message" into the load's errstr; returns -1. */
int rs_ruleload_fail_at(struct load *ld, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Write a message without a line into errstr; returns -1. */
int rs_ruleload_fail_plain(char *errstr, size_t errstr_size, const char *fmt,
                           ...) __attribute__((format(printf, 3, 4)));

/* End errstr with a full stop (util/yaml's errors carry none); -1. */
int rs_ruleload_sentence(struct load *ld);

/* A non-empty string copied into the set's arena; NULL after failing. */
const char *rs_ruleload_string(struct load *ld, const rs_yaml_node_t *node,
                               const char *what);

/* A "string or list of strings" field: its count, or -1 after failing. */
long rs_ruleload_strings(struct load *ld, const rs_yaml_node_t *node,
                         const char *what);

/* Sort a mapping's pairs into declared keys; unknown keys fail. 0/-1. */
int rs_ruleload_fields(struct load *ld, const rs_yaml_node_t *map,
                       key_slot_t *slots, size_t nslots, const char *what);

/* Parse one rule mapping and append it to the set (rules_rule.c). 0/-1. */
int rs_ruleload_rule(struct load *ld, const rs_yaml_node_t *node);

/* Read a "string or list" of patterns (non-empty) into the arena, with
 * the line of each; owner names the rule or provider. 0 or -1. */
int rs_ruleload_patterns(struct load *ld, const rs_yaml_node_t *node,
                         const char ***out, unsigned **lines, size_t *n,
                         const char *owner);

/* Index of a provider by id, or -1 (rules_yaml.c). */
int rs_ruleload_provider_find(const rs_rules_t *rules, const char *id);

#endif
