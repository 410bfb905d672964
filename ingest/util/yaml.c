/* SPDX-License-Identifier: Apache-2.0 */
/*
 * yaml.c - YAML files into a read-only tree with one error wording; see
 * yaml.h.
 *
 * The tree is built from libyaml's events with an explicit stack of open
 * containers (at most RS_YAML_MAX_DEPTH), never by recursion, so a hostile
 * file cannot exhaust the C stack. Nodes and strings come from an arena
 * owned by the document; the child arrays of a container are gathered in
 * a growable vector while it is open and copied into the arena when it
 * closes.
 *
 * Hazards: libyaml marks are 0-based (lines here are 1-based); a scalar
 * may hold NUL bytes ("\0" in a double-quoted string), so its length is
 * kept next to its text and the helpers refuse such strings.
 */
#include "util/yaml.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#define ARENA_CHUNK (16 * 1024)

/* One block of the arena; data is aligned for any node. */
typedef struct chunk {
	struct chunk *next;
	size_t used, cap;
	max_align_t data[];
} chunk_t;

struct rs_yaml_doc {
	char *name;
	chunk_t *chunks;
	const rs_yaml_node_t *root;
};

/* A container being read, and the children gathered so far. */
typedef struct frame {
	rs_yaml_node_t *node;
	const rs_yaml_node_t **keys;  /* mappings only */
	const rs_yaml_node_t **items; /* values of a mapping, or items */
	size_t n, cap;
	const rs_yaml_node_t *key;  /* mapping: key waiting for its value */
	const rs_yaml_node_t *name; /* the key this container is the value of */
} frame_t;

typedef struct builder {
	rs_yaml_doc_t *doc;
	yaml_parser_t parser;
	frame_t frames[RS_YAML_MAX_DEPTH];
	size_t depth;
	int docs;
	char *errstr;
	size_t errstr_size;
} builder_t;

/* ------------------------------------------------------------------ */
/* Arena                                                              */
/* ------------------------------------------------------------------ */

/* n bytes from the document's arena, aligned for any type; NULL: OOM. */
static void *arena_alloc(rs_yaml_doc_t *doc, size_t n)
{
	chunk_t *c = doc->chunks;
	size_t align = sizeof(max_align_t);
	void *p;

	n = (n + align - 1) / align * align;
	if (c == NULL || c->cap - c->used < n) {
		size_t cap = n > ARENA_CHUNK ? n : ARENA_CHUNK;

		if (cap > SIZE_MAX - sizeof(chunk_t)) {
			return NULL;
		}
		c = malloc(sizeof(chunk_t) + cap);
		if (c == NULL) {
			return NULL;
		}
		c->next = doc->chunks;
		c->used = 0;
		c->cap = cap;
		doc->chunks = c;
	}
	p = (char *)c->data + c->used;
	c->used += n;
	return p;
}

/* ------------------------------------------------------------------ */
/* Errors                                                             */
/* ------------------------------------------------------------------ */

/* "name:line: sentence" into errstr; returns -1. */
static int vfail(const char *name, unsigned line, char *errstr,
                 size_t errstr_size, const char *fmt, va_list ap)
{
	int n;

	if (errstr == NULL || errstr_size == 0) {
		return -1;
	}
	n = snprintf(errstr, errstr_size, "%s:%u: ", name, line);
	if (n < 0 || (size_t)n >= errstr_size) {
		return -1;
	}
	vsnprintf(errstr + n, errstr_size - (size_t)n, fmt, ap);
	return -1;
}

int rs_yaml_fail(const rs_yaml_doc_t *doc, unsigned line, char *errstr,
                 size_t errstr_size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(doc->name, line, errstr, errstr_size, fmt, ap);
	va_end(ap);
	return -1;
}

/* A load error at line; returns -1. */
static int build_fail(builder_t *b, unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int build_fail(builder_t *b, unsigned line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vfail(b->doc->name, line, b->errstr, b->errstr_size, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * The dotted keys leading to the node being read, then extra (NULL: none),
 * into buf; "(top)" when there is no key at all.
 */
static const char *path_of(const builder_t *b, const rs_yaml_node_t *extra,
                           char *buf, size_t size)
{
	const rs_yaml_node_t *parts[RS_YAML_MAX_DEPTH + 2];
	size_t nparts = 0, used = 0;

	for (size_t i = 0; i < b->depth; i++) {
		if (b->frames[i].name != NULL) {
			parts[nparts++] = b->frames[i].name;
		}
	}
	if (b->depth > 0 && b->frames[b->depth - 1].key != NULL) {
		parts[nparts++] = b->frames[b->depth - 1].key;
	}
	if (extra != NULL) {
		parts[nparts++] = extra;
	}
	buf[0] = '\0';
	for (size_t i = 0; i < nparts && used < size; i++) {
		const rs_yaml_node_t *k = parts[i];
		int w = snprintf(buf + used, size - used, "%s%.*s",
		                 used > 0 ? "." : "",
		                 (int)strnlen(k->text, k->len), k->text);

		if (w < 0) {
			break;
		}
		used += (size_t)w;
	}
	if (buf[0] == '\0') {
		snprintf(buf, size, "(top)");
	}
	return buf;
}

/* libyaml's complaint, with the line where the construct started. */
static int syntax_error(builder_t *b)
{
	const yaml_parser_t *p = &b->parser;
	char start[64] = "";

	if (p->context != NULL &&
	    p->context_mark.line != p->problem_mark.line) {
		snprintf(start, sizeof(start), " that starts at line %zu",
		         p->context_mark.line + 1);
	}
	return build_fail(b, (unsigned)p->problem_mark.line + 1,
	                  "YAML syntax: %s%s%s%s",
	                  p->problem != NULL ? p->problem : "error",
	                  p->context != NULL ? " " : "",
	                  p->context != NULL ? p->context : "", start);
}

/* ------------------------------------------------------------------ */
/* Building the tree                                                  */
/* ------------------------------------------------------------------ */

/* Append a child to an open container's vectors. -1 out of memory. */
static int frame_push(frame_t *f, const rs_yaml_node_t *key,
                      const rs_yaml_node_t *value)
{
	if (f->n == f->cap) {
		size_t cap = f->cap ? f->cap * 2 : 8;
		const rs_yaml_node_t **items, **keys;

		items = realloc(f->items, cap * sizeof(*items));
		if (items == NULL) {
			return -1;
		}
		f->items = items;
		if (f->node->kind == RS_YAML_MAPPING) {
			keys = realloc(f->keys, cap * sizeof(*keys));
			if (keys == NULL) {
				return -1;
			}
			f->keys = keys;
		}
		f->cap = cap;
	}
	if (f->keys != NULL) {
		f->keys[f->n] = key;
	}
	f->items[f->n++] = value;
	return 0;
}

/*
 * Hang a new node under the open container (or make it the root). In a
 * mapping, a node with no key waiting is the next key: it must be a
 * scalar not seen before in that mapping.
 */
static int attach(builder_t *b, const rs_yaml_node_t *node)
{
	frame_t *f;
	char path[512];

	if (b->depth == 0) {
		b->doc->root = node;
		return 0;
	}
	f = &b->frames[b->depth - 1];
	if (f->node->kind == RS_YAML_SEQUENCE) {
		return frame_push(f, NULL, node) == 0
		           ? 0
		           : build_fail(b, node->line, "out of memory");
	}
	if (f->key == NULL) {
		if (node->kind != RS_YAML_SCALAR) {
			return build_fail(b, node->line,
			                  "%s: keys must be plain names",
			                  path_of(b, NULL, path, sizeof(path)));
		}
		for (size_t i = 0; i < f->n; i++) {
			const rs_yaml_node_t *k = f->keys[i];

			if (k->len == node->len &&
			    memcmp(k->text, node->text, k->len) == 0) {
				return build_fail(
				    b, node->line,
				    "%s: duplicate key (first set at line %u)",
				    path_of(b, node, path, sizeof(path)),
				    k->line);
			}
		}
		f->key = node;
		return 0;
	}
	if (frame_push(f, f->key, node) != 0) {
		return build_fail(b, node->line, "out of memory");
	}
	f->key = NULL;
	return 0;
}

/* A new node of kind at the event's line. */
static rs_yaml_node_t *new_node(builder_t *b, rs_yaml_kind_t kind,
                                const yaml_event_t *ev)
{
	rs_yaml_node_t *n = arena_alloc(b->doc, sizeof(*n));

	if (n == NULL) {
		build_fail(b, (unsigned)ev->start_mark.line + 1,
		           "out of memory");
		return NULL;
	}
	memset(n, 0, sizeof(*n));
	n->kind = kind;
	n->line = (unsigned)ev->start_mark.line + 1;
	return n;
}

static int on_scalar(builder_t *b, const yaml_event_t *ev)
{
	rs_yaml_node_t *n = new_node(b, RS_YAML_SCALAR, ev);
	size_t len = ev->data.scalar.length;
	char *text;

	if (n == NULL) {
		return -1;
	}
	text = len < SIZE_MAX ? arena_alloc(b->doc, len + 1) : NULL;
	if (text == NULL) {
		return build_fail(b, n->line, "out of memory");
	}
	if (len > 0) {
		memcpy(text, ev->data.scalar.value, len);
	}
	text[len] = '\0';
	n->text = text;
	n->len = len;
	n->plain = ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE;
	return attach(b, n);
}

/* SEQUENCE-START or MAPPING-START: attach the node, open its frame. */
static int on_open(builder_t *b, rs_yaml_kind_t kind, const yaml_event_t *ev)
{
	const rs_yaml_node_t *name;
	rs_yaml_node_t *n;
	char path[512];

	if (b->depth == RS_YAML_MAX_DEPTH) {
		return build_fail(b, (unsigned)ev->start_mark.line + 1,
		                  "%s: nested too deep (more than %d levels)",
		                  path_of(b, NULL, path, sizeof(path)),
		                  RS_YAML_MAX_DEPTH);
	}
	/* The key this container hangs under, before attach() takes it. */
	name = b->depth > 0 ? b->frames[b->depth - 1].key : NULL;
	n = new_node(b, kind, ev);
	if (n == NULL || attach(b, n) != 0) {
		return -1;
	}
	memset(&b->frames[b->depth], 0, sizeof(b->frames[0]));
	b->frames[b->depth].node = n;
	b->frames[b->depth++].name = name;
	return 0;
}

/* SEQUENCE-END or MAPPING-END: move the children into the arena. */
static int on_close(builder_t *b)
{
	frame_t *f = &b->frames[b->depth - 1];
	rs_yaml_node_t *n = f->node;
	const rs_yaml_node_t **items = NULL, **keys = NULL;
	size_t bytes = f->n * sizeof(*items);

	if (f->n > 0) {
		items = arena_alloc(b->doc, bytes);
		keys = f->keys != NULL ? arena_alloc(b->doc, bytes) : NULL;
		if (items == NULL || (f->keys != NULL && keys == NULL)) {
			return build_fail(b, n->line, "out of memory");
		}
		memcpy(items, f->items, bytes);
		if (keys != NULL) {
			memcpy(keys, f->keys, bytes);
		}
	}
	n->items = items;
	n->keys = keys;
	n->n = f->n;
	free(f->items);
	free(f->keys);
	b->depth--;
	return 0;
}

/* One event into the tree. 1: end of stream, 0: go on, -1: error. */
static int on_event(builder_t *b, const yaml_event_t *ev)
{
	unsigned line = (unsigned)ev->start_mark.line + 1;
	char path[512];

	switch (ev->type) {
	case YAML_STREAM_END_EVENT:
		return 1;
	case YAML_DOCUMENT_START_EVENT:
		if (++b->docs > 1) {
			return build_fail(b, line,
			                  "only one YAML document is allowed");
		}
		return 0;
	case YAML_SCALAR_EVENT:
		return on_scalar(b, ev);
	case YAML_SEQUENCE_START_EVENT:
		return on_open(b, RS_YAML_SEQUENCE, ev);
	case YAML_MAPPING_START_EVENT:
		return on_open(b, RS_YAML_MAPPING, ev);
	case YAML_SEQUENCE_END_EVENT:
	case YAML_MAPPING_END_EVENT:
		return on_close(b);
	case YAML_ALIAS_EVENT:
		return build_fail(b, line,
		                  "%s: YAML aliases (*name) are not supported",
		                  path_of(b, NULL, path, sizeof(path)));
	default:
		return 0; /* STREAM-START, DOCUMENT-END, NO-EVENT */
	}
}

/* Run the parser (its input set) to the end of the stream. 0 or -1. */
static int build(builder_t *b)
{
	for (;;) {
		yaml_event_t ev;
		int rc;

		if (!yaml_parser_parse(&b->parser, &ev)) {
			return syntax_error(b);
		}
		rc = on_event(b, &ev);
		yaml_event_delete(&ev);
		if (rc != 0) {
			return rc > 0 ? 0 : -1;
		}
	}
}

/* A document named name, or NULL with errstr. */
static rs_yaml_doc_t *doc_new(const char *name, char *errstr,
                              size_t errstr_size)
{
	rs_yaml_doc_t *doc = calloc(1, sizeof(*doc));

	if (doc != NULL) {
		doc->name = strdup(name);
		if (doc->name != NULL) {
			return doc;
		}
		free(doc);
	}
	snprintf(errstr, errstr_size, "%s: out of memory", name);
	return NULL;
}

/* Build doc from the parser's input; frees doc on failure. */
static rs_yaml_doc_t *load(rs_yaml_doc_t *doc, builder_t *b)
{
	int rc = build(b);

	/* After an error, containers may still be open. */
	while (b->depth > 0) {
		frame_t *f = &b->frames[--b->depth];

		free(f->items);
		free(f->keys);
	}
	if (rc != 0) {
		rs_yaml_free(doc);
		return NULL;
	}
	return doc;
}

rs_yaml_doc_t *rs_yaml_load_file(const char *path, char *errstr,
                                 size_t errstr_size)
{
	builder_t b;
	rs_yaml_doc_t *doc;
	FILE *f;

	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(errstr, errstr_size, "cannot open %s: %s", path,
		         strerror(errno));
		return NULL;
	}
	doc = doc_new(path, errstr, errstr_size);
	memset(&b, 0, sizeof(b));
	if (doc == NULL || !yaml_parser_initialize(&b.parser)) {
		if (doc != NULL) {
			snprintf(errstr, errstr_size, "%s: out of memory",
			         path);
		}
		rs_yaml_free(doc);
		fclose(f);
		return NULL;
	}
	yaml_parser_set_input_file(&b.parser, f);
	b.doc = doc;
	b.errstr = errstr;
	b.errstr_size = errstr_size;
	doc = load(doc, &b);
	if (doc != NULL && ferror(f)) {
		snprintf(errstr, errstr_size, "cannot read %s: %s", path,
		         strerror(errno));
		rs_yaml_free(doc);
		doc = NULL;
	}
	yaml_parser_delete(&b.parser);
	fclose(f);
	return doc;
}

rs_yaml_doc_t *rs_yaml_load_buffer(const char *name, const void *data,
                                   size_t len, char *errstr, size_t errstr_size)
{
	builder_t b;
	rs_yaml_doc_t *doc = doc_new(name, errstr, errstr_size);

	memset(&b, 0, sizeof(b));
	if (doc == NULL || !yaml_parser_initialize(&b.parser)) {
		if (doc != NULL) {
			snprintf(errstr, errstr_size, "%s: out of memory",
			         name);
		}
		rs_yaml_free(doc);
		return NULL;
	}
	yaml_parser_set_input_string(&b.parser, data, len);
	b.doc = doc;
	b.errstr = errstr;
	b.errstr_size = errstr_size;
	doc = load(doc, &b);
	yaml_parser_delete(&b.parser);
	return doc;
}

void rs_yaml_free(rs_yaml_doc_t *doc)
{
	if (doc == NULL) {
		return;
	}
	while (doc->chunks != NULL) {
		chunk_t *c = doc->chunks;

		doc->chunks = c->next;
		free(c);
	}
	free(doc->name);
	free(doc);
}

const rs_yaml_node_t *rs_yaml_root(const rs_yaml_doc_t *doc)
{
	return doc->root;
}

const char *rs_yaml_name(const rs_yaml_doc_t *doc)
{
	return doc->name;
}

/* ------------------------------------------------------------------ */
/* Reading helpers                                                    */
/* ------------------------------------------------------------------ */

int rs_yaml_is_null(const rs_yaml_node_t *node)
{
	static const char *const nulls[] = {"", "~", "null", "Null", "NULL"};

	if (node->kind != RS_YAML_SCALAR || !node->plain) {
		return 0;
	}
	for (size_t i = 0; i < sizeof(nulls) / sizeof(nulls[0]); i++) {
		if (rs_yaml_scalar_is(node, nulls[i])) {
			return 1;
		}
	}
	return 0;
}

int rs_yaml_scalar_is(const rs_yaml_node_t *node, const char *s)
{
	size_t n = strlen(s);

	return node->kind == RS_YAML_SCALAR && node->len == n &&
	       memcmp(node->text, s, n) == 0;
}

const char *rs_yaml_string(const rs_yaml_doc_t *doc, const rs_yaml_node_t *node,
                           const char *what, char *errstr, size_t errstr_size)
{
	if (node->kind != RS_YAML_SCALAR) {
		rs_yaml_fail(doc, node->line, errstr, errstr_size,
		             "%s must be a string", what);
		return NULL;
	}
	if (node->len == 0) {
		rs_yaml_fail(doc, node->line, errstr, errstr_size,
		             "%s must not be empty", what);
		return NULL;
	}
	if (strlen(node->text) != node->len) {
		rs_yaml_fail(doc, node->line, errstr, errstr_size,
		             "%s holds a NUL byte", what);
		return NULL;
	}
	return node->text;
}

long rs_yaml_strings(const rs_yaml_doc_t *doc, const rs_yaml_node_t *node,
                     const char *what, char *errstr, size_t errstr_size)
{
	if (node->kind == RS_YAML_SCALAR) {
		return 1;
	}
	if (node->kind == RS_YAML_SEQUENCE) {
		for (size_t i = 0; i < node->n; i++) {
			if (node->items[i]->kind != RS_YAML_SCALAR) {
				return rs_yaml_fail(
				    doc, node->items[i]->line, errstr,
				    errstr_size,
				    "%s must be a string or a list of strings",
				    what);
			}
		}
		return (long)node->n;
	}
	return rs_yaml_fail(doc, node->line, errstr, errstr_size,
	                    "%s must be a string or a list of strings", what);
}

const rs_yaml_node_t *rs_yaml_strings_at(const rs_yaml_node_t *node, size_t i)
{
	return node->kind == RS_YAML_SCALAR ? node : node->items[i];
}

int rs_yaml_fields(const rs_yaml_doc_t *doc, const rs_yaml_node_t *map,
                   rs_yaml_field_t *fields, size_t nfields, const char *what,
                   char *errstr, size_t errstr_size)
{
	for (size_t j = 0; j < nfields; j++) {
		fields[j].value = NULL;
		fields[j].line = 0;
	}
	if (map->kind != RS_YAML_MAPPING) {
		return rs_yaml_fail(doc, map->line, errstr, errstr_size,
		                    "%s must be a mapping", what);
	}
	for (size_t i = 0; i < map->n; i++) {
		const rs_yaml_node_t *k = map->keys[i];
		size_t j;

		for (j = 0; j < nfields; j++) {
			if (rs_yaml_scalar_is(k, fields[j].name)) {
				break;
			}
		}
		if (j == nfields) {
			char valid[256];
			size_t off = 0;

			valid[0] = '\0';
			for (size_t v = 0; v < nfields && off < sizeof(valid);
			     v++) {
				int w = snprintf(valid + off,
				                 sizeof(valid) - off, "%s%s",
				                 v ? ", " : "", fields[v].name);
				if (w < 0) {
					break;
				}
				off += (size_t)w;
			}
			return rs_yaml_fail(
			    doc, k->line, errstr, errstr_size,
			    "unknown key '%.*s' in %s (valid keys: %s)",
			    (int)strnlen(k->text, k->len), k->text, what,
			    valid);
		}
		/* The loader refuses duplicates; two fields of one name
		 * would be the caller's mistake. */
		fields[j].value = map->items[i];
		fields[j].line = k->line;
	}
	return 0;
}

const rs_yaml_node_t *rs_yaml_field(const rs_yaml_field_t *fields,
                                    size_t nfields, const char *name)
{
	for (size_t i = 0; i < nfields; i++) {
		if (strcmp(fields[i].name, name) == 0) {
			return fields[i].value;
		}
	}
	return NULL;
}
