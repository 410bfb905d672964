/* SPDX-License-Identifier: Apache-2.0 */
/*
 * test_yaml.c - util/yaml: the tree of a good file with its lines, the
 * documents the loader refuses (a table of texts and their exact errors),
 * and the reading helpers a rule or configuration loader uses.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "util/yaml.h"

/* Load text as "t.yaml"; fails the test when it does not load. */
static rs_yaml_doc_t *load_ok(const char *text)
{
	char err[512] = "";
	rs_yaml_doc_t *doc =
	    rs_yaml_load_buffer("t.yaml", text, strlen(text), err, sizeof(err));

	if (doc == NULL) {
		fail_msg("did not load: %s", err);
	}
	return doc;
}

static void test_tree(void **state)
{
	static const char text[] = "# a comment\n"
				   "kafka:\n"
				   "  brokers: \"a:1\"\n"
				   "  input: [x, y]\n"
				   "pipeline.threads: 4\n"
				   "empty:\n"
				   "quoted: ''\n";
	rs_yaml_doc_t *doc = load_ok(text);
	const rs_yaml_node_t *root = rs_yaml_root(doc), *kafka, *input;

	(void)state;
	assert_non_null(root);
	assert_int_equal(root->kind, RS_YAML_MAPPING);
	assert_int_equal(root->line, 2);
	assert_int_equal(root->n, 4);
	assert_true(rs_yaml_scalar_is(root->keys[0], "kafka"));
	assert_true(rs_yaml_scalar_is(root->keys[1], "pipeline.threads"));
	assert_int_equal(root->keys[1]->line, 5);
	assert_true(rs_yaml_scalar_is(root->items[1], "4"));
	assert_true(root->items[1]->plain);
	assert_true(rs_yaml_is_null(root->items[2]));
	assert_false(rs_yaml_is_null(root->items[3])); /* '' is a string */

	kafka = root->items[0];
	assert_int_equal(kafka->kind, RS_YAML_MAPPING);
	assert_int_equal(kafka->n, 2);
	assert_string_equal(kafka->items[0]->text, "a:1");
	assert_false(kafka->items[0]->plain);
	input = kafka->items[1];
	assert_int_equal(input->kind, RS_YAML_SEQUENCE);
	assert_int_equal(input->line, 4);
	assert_int_equal(input->n, 2);
	assert_null(input->keys);
	assert_string_equal(input->items[1]->text, "y");
	assert_string_equal(rs_yaml_name(doc), "t.yaml");
	rs_yaml_free(doc);

	/* Nothing, or only comments: no root. */
	doc = load_ok("# nothing here\n");
	assert_null(rs_yaml_root(doc));
	rs_yaml_free(doc);
	doc = load_ok("");
	assert_null(rs_yaml_root(doc));
	rs_yaml_free(doc);
}

/* A text the loader refuses, and the whole error. */
typedef struct bad_doc {
	const char *text;
	const char *error;
} bad_doc_t;

static const bad_doc_t bad_docs[] = {
    {"a:\n  b: 1\n   c: 2\n",
     "t.yaml:3: YAML syntax: mapping values are not allowed in this context"},
    {"a: \"open\nb: 1\n",
     "t.yaml:3: YAML syntax: found unexpected end of stream while scanning "
     "a quoted scalar that starts at line 1"},
    {"a: 1\n---\nb: 2\n", "t.yaml:2: only one YAML document is allowed"},
    {"a:\n  b: &x 1\n  c: *x\n",
     "t.yaml:3: a.c: YAML aliases (*name) are not supported"},
    {"a:\n  b: 1\n  c: 2\n  b: 3\n",
     "t.yaml:4: a.b: duplicate key (first set at line 2)"},
    {"[a, b]: 1\n", "t.yaml:1: (top): keys must be plain names"},
    {"a:\n  {b: 1}: 2\n", "t.yaml:2: a: keys must be plain names"},
    {"list:\n  - {x: 1, x: 2}\n",
     "t.yaml:2: list.x: duplicate key (first set at line 2)"},
};

static void test_refused(void **state)
{
	(void)state;
	for (size_t i = 0; i < sizeof(bad_docs) / sizeof(bad_docs[0]); i++) {
		char err[512] = "";
		rs_yaml_doc_t *doc = rs_yaml_load_buffer(
		    "t.yaml", bad_docs[i].text, strlen(bad_docs[i].text), err,
		    sizeof(err));

		if (doc != NULL) {
			fail_msg("case %zu loaded", i);
		}
		if (strcmp(err, bad_docs[i].error) != 0) {
			fail_msg("case %zu:\n got: %s\nwant: %s", i, err,
			         bad_docs[i].error);
		}
	}
}

/* Nesting is bounded: one level more than allowed is refused. */
static void test_depth(void **state)
{
	char text[4 * RS_YAML_MAX_DEPTH + 16];
	char err[512] = "";
	rs_yaml_doc_t *doc;
	size_t n = 0;

	(void)state;
	for (int i = 0; i < RS_YAML_MAX_DEPTH; i++) {
		text[n++] = '[';
	}
	for (int i = 0; i < RS_YAML_MAX_DEPTH; i++) {
		text[n++] = ']';
	}
	text[n] = '\0';
	doc = rs_yaml_load_buffer("t.yaml", text, n, err, sizeof(err));
	assert_non_null(doc);
	rs_yaml_free(doc);

	n = 0;
	for (int i = 0; i <= RS_YAML_MAX_DEPTH; i++) {
		text[n++] = '[';
	}
	for (int i = 0; i <= RS_YAML_MAX_DEPTH; i++) {
		text[n++] = ']';
	}
	text[n] = '\0';
	doc = rs_yaml_load_buffer("t.yaml", text, n, err, sizeof(err));
	assert_null(doc);
	assert_string_equal(err, "t.yaml:1: (top): nested too deep (more "
	                         "than 32 levels)");
}

static void test_missing_file(void **state)
{
	char err[512];

	(void)state;
	assert_null(rs_yaml_load_file("/nonexistent/x.yaml", err, sizeof(err)));
	assert_string_equal(err, "cannot open /nonexistent/x.yaml: No such "
	                         "file or directory");
}

/* What a rule loader reads: strings, string lists, declared fields. */
static void test_helpers(void **state)
{
	static const char text[] = "id: r1\n"
				   "patterns: one\n"
				   "more: [a, b, c]\n"
				   "bad: [a, [b]]\n"
				   "map: {k: v}\n"
				   "nul: \"a\\0b\"\n"
				   "empty: \"\"\n";
	rs_yaml_doc_t *doc = load_ok(text);
	const rs_yaml_node_t *root = rs_yaml_root(doc);
	rs_yaml_field_t fields[] = {
	    {"id", NULL, 0},    {"patterns", NULL, 0}, {"more", NULL, 0},
	    {"bad", NULL, 0},   {"map", NULL, 0},      {"nul", NULL, 0},
	    {"empty", NULL, 0}, {"absent", NULL, 0},
	};
	const size_t nf = sizeof(fields) / sizeof(fields[0]);
	char err[512];

	(void)state;
	assert_int_equal(
	    rs_yaml_fields(doc, root, fields, nf, "a rule", err, sizeof(err)),
	    0);
	assert_null(rs_yaml_field(fields, nf, "absent"));
	assert_int_equal(fields[2].line, 3);
	assert_string_equal(rs_yaml_string(doc, rs_yaml_field(fields, nf, "id"),
	                                   "id", err, sizeof(err)),
	                    "r1");

	assert_int_equal(
	    rs_yaml_strings(doc, fields[1].value, "patterns", err, sizeof(err)),
	    1);
	assert_string_equal(rs_yaml_strings_at(fields[1].value, 0)->text,
	                    "one");
	assert_int_equal(
	    rs_yaml_strings(doc, fields[2].value, "more", err, sizeof(err)), 3);
	assert_string_equal(rs_yaml_strings_at(fields[2].value, 2)->text, "c");
	assert_int_equal(
	    rs_yaml_strings(doc, fields[3].value, "bad", err, sizeof(err)), -1);
	assert_string_equal(
	    err, "t.yaml:4: bad must be a string or a list of strings");
	assert_int_equal(
	    rs_yaml_strings(doc, fields[4].value, "map", err, sizeof(err)), -1);
	assert_string_equal(
	    err, "t.yaml:5: map must be a string or a list of strings");

	assert_null(
	    rs_yaml_string(doc, fields[4].value, "map", err, sizeof(err)));
	assert_string_equal(err, "t.yaml:5: map must be a string");
	assert_null(
	    rs_yaml_string(doc, fields[5].value, "nul", err, sizeof(err)));
	assert_string_equal(err, "t.yaml:6: nul holds a NUL byte");
	assert_int_equal(fields[5].value->len, 3);
	assert_null(
	    rs_yaml_string(doc, fields[6].value, "empty", err, sizeof(err)));
	assert_string_equal(err, "t.yaml:7: empty must not be empty");

	/* Unknown keys name the valid ones. */
	assert_int_equal(
	    rs_yaml_fields(doc, root, fields, 2, "a rule", err, sizeof(err)),
	    -1);
	assert_string_equal(err, "t.yaml:3: unknown key 'more' in a rule "
	                         "(valid keys: id, patterns)");
	assert_int_equal(rs_yaml_fields(doc, fields[2].value, fields, 2,
	                                "a rule", err, sizeof(err)),
	                 -1);
	assert_string_equal(err, "t.yaml:3: a rule must be a mapping");
	assert_int_equal(
	    rs_yaml_fail(doc, 9, err, sizeof(err), "rule %s: %d", "x", 7), -1);
	assert_string_equal(err, "t.yaml:9: rule x: 7");
	rs_yaml_free(doc);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_tree),    cmocka_unit_test(test_refused),
	    cmocka_unit_test(test_depth),   cmocka_unit_test(test_missing_file),
	    cmocka_unit_test(test_helpers),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
