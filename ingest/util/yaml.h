/* SPDX-License-Identifier: Apache-2.0 */
/*
 * yaml.h - the one YAML layer of replyscan: a file (the configuration, a
 * rule file) is read with libyaml's event parser into a small read-only
 * tree of scalars, sequences and mappings, each node with its line, and
 * every error is one sentence of the form "file:line: sentence".
 *
 * What the loader refuses, so that no reader has to: YAML syntax errors;
 * a second document in the file; aliases (*name), which no replyscan file
 * needs and which would let a short file expand into a huge one; keys that
 * are not scalars; a key given twice in one mapping; nesting deeper than
 * RS_YAML_MAX_DEPTH (the tree is built without recursion, and the readers
 * that recurse over it are bounded by this too). Errors inside the tree
 * name the dotted path of keys that leads to the node, e.g.
 * "replyscan.yaml:4: pipeline.threads: duplicate key (first set at line
 * 2)".
 *
 * The helpers below are what a reader of such files needs: scalars as
 * strings, "a string or a list of strings", a mapping sorted into declared
 * fields with unknown keys refused (naming the valid ones). A reader walks
 * the tree directly too: the node structure is public and read-only.
 *
 * Ownership: rs_yaml_doc_t owns every node and every string; they live
 * until rs_yaml_free. @locality any thread; a document is not shared.
 */
#ifndef RS_YAML_H
#define RS_YAML_H

#include <stddef.h>

/* Deepest nesting of sequences and mappings a file may have. */
#define RS_YAML_MAX_DEPTH 32

typedef enum rs_yaml_kind {
	RS_YAML_SCALAR = 1,
	RS_YAML_SEQUENCE,
	RS_YAML_MAPPING,
} rs_yaml_kind_t;

typedef struct rs_yaml_node rs_yaml_node_t;

struct rs_yaml_node {
	rs_yaml_kind_t kind;
	unsigned line; /* 1-based line where the node starts */
	/* RS_YAML_SCALAR: the text, NUL-terminated; len counts every byte,
	 * so strlen(text) < len when the scalar holds a NUL byte. plain:
	 * written without quotes (only a plain scalar can be null). */
	const char *text;
	size_t len;
	int plain;
	/* RS_YAML_SEQUENCE: items[0..n). RS_YAML_MAPPING: n pairs, keys[i]
	 * (always scalars, no two equal) and items[i] their values, in the
	 * order of the file. */
	const rs_yaml_node_t *const *keys;
	const rs_yaml_node_t *const *items;
	size_t n;
};

typedef struct rs_yaml_doc rs_yaml_doc_t;

/*
 * Read the file at path. NULL with "path:line: sentence" (or "cannot open
 * path: reason") in errstr.
 */
rs_yaml_doc_t *rs_yaml_load_file(const char *path, char *errstr,
                                 size_t errstr_size);

/* The same from len bytes of memory; name stands for the file in errors. */
rs_yaml_doc_t *rs_yaml_load_buffer(const char *name, const void *data,
                                   size_t len, char *errstr,
                                   size_t errstr_size);

/* Free doc and every node in it (NULL is fine). */
void rs_yaml_free(rs_yaml_doc_t *doc);

/* The root node; NULL when the file holds no document or only comments. */
const rs_yaml_node_t *rs_yaml_root(const rs_yaml_doc_t *doc);

/* The file name errors start with. */
const char *rs_yaml_name(const rs_yaml_doc_t *doc);

/*
 * Write "file:line: " and the formatted sentence into errstr; returns -1
 * so that a reader can `return rs_yaml_fail(...)`.
 */
int rs_yaml_fail(const rs_yaml_doc_t *doc, unsigned line, char *errstr,
                 size_t errstr_size, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* Is node a YAML null: a plain "", "~", "null", "Null" or "NULL"? */
int rs_yaml_is_null(const rs_yaml_node_t *node);

/* Is node a scalar equal to s (every byte)? */
int rs_yaml_scalar_is(const rs_yaml_node_t *node, const char *s);

/*
 * node as a non-empty string without NUL bytes; NULL with "file:line:
 * WHAT must be a string" (or "must not be empty", "holds a NUL byte") in
 * errstr. The text belongs to doc.
 */
const char *rs_yaml_string(const rs_yaml_doc_t *doc, const rs_yaml_node_t *node,
                           const char *what, char *errstr, size_t errstr_size);

/*
 * A field that may be one string or a list of strings: the number of
 * strings (a scalar is a list of one), each then read with
 * rs_yaml_strings_at. -1 with "file:line: WHAT must be a string or a list
 * of strings" when node is a mapping or a list holds anything but scalars.
 */
long rs_yaml_strings(const rs_yaml_doc_t *doc, const rs_yaml_node_t *node,
                     const char *what, char *errstr, size_t errstr_size);

/* String i of a node counted by rs_yaml_strings. */
const rs_yaml_node_t *rs_yaml_strings_at(const rs_yaml_node_t *node, size_t i);

/* One key a mapping may have, and what rs_yaml_fields found for it. */
typedef struct rs_yaml_field {
	const char *name;            /* the key, set by the caller */
	const rs_yaml_node_t *value; /* NULL when the mapping lacks it */
	unsigned line;               /* line of the key, 0 when absent */
} rs_yaml_field_t;

/*
 * Sort the pairs of map into fields by key name (each field's value and
 * line are reset first). -1 with "file:line: WHAT must be a mapping" or
 * "file:line: unknown key 'k' in WHAT (valid keys: a, b, c)".
 */
int rs_yaml_fields(const rs_yaml_doc_t *doc, const rs_yaml_node_t *map,
                   rs_yaml_field_t *fields, size_t nfields, const char *what,
                   char *errstr, size_t errstr_size);

/* The value of the field called name (which the caller declared). */
const rs_yaml_node_t *rs_yaml_field(const rs_yaml_field_t *fields,
                                    size_t nfields, const char *name);

#endif
