/* SPDX-License-Identifier: Apache-2.0 */
/*
 * rules_yaml.c - read the YAML rule files of a directory into a rule set:
 * providers.yaml first, then every other *.yaml file in strcmp order
 * (a rule's load order, file then position, is the classifier's last tie
 * breaker); the providers here, each rule in rules_rule.c. The format is
 * documented in rules/README.md.
 *
 * Ownership: strings and arrays go to the set's arena; the YAML documents
 * of all files are read first (on two threads, preload_docs) and each is
 * freed as soon as its rules are made. Every error names "file:line".
 */
#include <dirent.h>
#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "classify/rules_load.h"
#include "util/arena.h"
#include "util/str.h"

/* ------------------------------------------------------------------ */
/* Load context and error reporting                                    */
/* ------------------------------------------------------------------ */

/* Write "path:line: message" into the load's errstr; returns -1. */
int rs_ruleload_fail_at(struct load *ld, unsigned line, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (ld->errstr == NULL || ld->errstr_size == 0) {
		return -1;
	}
	n = snprintf(ld->errstr, ld->errstr_size, "%s:%u: ", ld->path, line);
	if (n < 0 || (size_t)n >= ld->errstr_size) {
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(ld->errstr + n, ld->errstr_size - (size_t)n, fmt, ap);
	va_end(ap);
	return -1;
}

/* Write a message without a line into errstr; returns -1. */
int rs_ruleload_fail_plain(char *errstr, size_t errstr_size, const char *fmt,
                           ...)
{
	va_list ap;

	if (errstr == NULL || errstr_size == 0) {
		return -1;
	}
	va_start(ap, fmt);
	vsnprintf(errstr, errstr_size, fmt, ap);
	va_end(ap);
	return -1;
}

/* ------------------------------------------------------------------ */
/* YAML node helpers                                                   */
/* ------------------------------------------------------------------ */

/* End errstr as a sentence (util/yaml's errors carry no full stop). */
int rs_ruleload_sentence(struct load *ld)
{
	size_t n = ld->errstr != NULL ? strlen(ld->errstr) : 0;

	if (n > 0 && ld->errstr[n - 1] != '.' && n + 1 < ld->errstr_size) {
		ld->errstr[n] = '.';
		ld->errstr[n + 1] = '\0';
	}
	return -1;
}

/* A non-empty string copied into the set's arena; NULL on error. */
const char *rs_ruleload_string(struct load *ld, const rs_yaml_node_t *node,
                               const char *what)
{
	const char *s =
	    rs_yaml_string(ld->doc, node, what, ld->errstr, ld->errstr_size);

	if (s == NULL) {
		rs_ruleload_sentence(ld);
		return NULL;
	}
	s = rs_arena_strndup(&ld->rules->arena, s, node->len);
	if (s == NULL) {
		rs_ruleload_fail_at(ld, node->line, "out of memory.");
	}
	return s;
}

/* A "string or list of strings" field: its count, or -1 after failing. */
long rs_ruleload_strings(struct load *ld, const rs_yaml_node_t *node,
                         const char *what)
{
	long n =
	    rs_yaml_strings(ld->doc, node, what, ld->errstr, ld->errstr_size);

	return n < 0 ? rs_ruleload_sentence(ld) : n;
}

/* Sort a mapping's pairs into declared keys; unknown keys are errors. */
int rs_ruleload_fields(struct load *ld, const rs_yaml_node_t *map,
                       key_slot_t *slots, size_t nslots, const char *what)
{
	if (rs_yaml_fields(ld->doc, map, slots, nslots, what, ld->errstr,
	                   ld->errstr_size) != 0) {
		return rs_ruleload_sentence(ld);
	}
	return 0;
}

/* Index of a provider by id, or -1. */
int rs_ruleload_provider_find(const rs_rules_t *rules, const char *id)
{
	for (size_t i = 0; i < rules->nproviders; i++) {
		if (strcmp(rules->providers[i].id, id) == 0) {
			return (int)i;
		}
	}
	return -1;
}

/* Parse one provider mapping of providers.yaml. */
static int parse_provider(struct load *ld, const rs_yaml_node_t *node,
                          size_t *cap)
{
	key_slot_t keys[] = {{"id", NULL, 0},
	                     {"name", NULL, 0},
	                     {"mx", NULL, 0},
	                     {"patterns", NULL, 0},
	                     {"source", NULL, 0}};
	const size_t nkeys = sizeof(keys) / sizeof(keys[0]);
	rs_rules_t *rules = ld->rules;
	rs_provider_t *p;
	const rs_yaml_node_t *v;
	size_t tag_len;
	char *tag;

	if (rs_ruleload_fields(ld, node, keys, nkeys, "a provider") != 0) {
		return -1;
	}
	if (rules->nproviders == *cap) {
		size_t ncap = *cap ? *cap * 2 : 16;
		rs_provider_t *np =
		    realloc(rules->providers, ncap * sizeof(*np));
		if (np == NULL) {
			return rs_ruleload_fail_at(ld, (node)->line,
			                           "out of memory.");
		}
		rules->providers = np;
		*cap = ncap;
	}
	p = &rules->providers[rules->nproviders];
	memset(p, 0, sizeof(*p));
	p->file = ld->path;
	p->line = (node)->line;
	if ((v = rs_yaml_field(keys, nkeys, "id")) == NULL) {
		return rs_ruleload_fail_at(ld, (node)->line,
		                           "a provider has no 'id'.");
	}
	if ((p->id = rs_ruleload_string(ld, v, "a provider id")) == NULL) {
		return -1;
	}
	if (!all_bytes(p->id, id_byte) || strlen(p->id) > RULE_ID_MAX) {
		return rs_ruleload_fail_at(
		    ld, (v)->line,
		    "invalid provider id '%s' (use a-z 0-9 _ . -).", p->id);
	}
	if (rs_ruleload_provider_find(rules, p->id) >= 0) {
		return rs_ruleload_fail_at(
		    ld, (v)->line, "duplicate provider id '%s'.", p->id);
	}
	tag_len = strlen("provider:") + strlen(p->id);
	tag = rs_arena_alloc(&rules->arena, tag_len + 1);
	if (tag == NULL) {
		return rs_ruleload_fail_at(ld, (v)->line, "out of memory.");
	}
	snprintf(tag, tag_len + 1, "provider:%s", p->id);
	p->tag = tag;
	if ((v = rs_yaml_field(keys, nkeys, "name")) != NULL &&
	    rs_ruleload_string(ld, v, "a provider name") == NULL) {
		return -1;
	}
	if ((v = rs_yaml_field(keys, nkeys, "source")) != NULL &&
	    rs_ruleload_string(ld, v, "a provider source") == NULL) {
		return -1;
	}
	if ((v = rs_yaml_field(keys, nkeys, "mx")) != NULL) {
		long n = rs_ruleload_strings(ld, v, "mx");
		if (n < 0) {
			return -1;
		}
		p->mx =
		    rs_arena_alloc(&rules->arena, sizeof(*p->mx) * (size_t)n);
		p->mx_len = rs_arena_alloc(&rules->arena,
		                           sizeof(*p->mx_len) * (size_t)n);
		if (n > 0 && (p->mx == NULL || p->mx_len == NULL)) {
			return rs_ruleload_fail_at(ld, (v)->line,
			                           "out of memory.");
		}
		for (long i = 0; i < n; i++) {
			const rs_yaml_node_t *item =
			    rs_yaml_strings_at(v, (size_t)i);
			const char *s =
			    rs_ruleload_string(ld, item, "an mx suffix");
			if (s == NULL) {
				return -1;
			}
			if (!all_bytes(s, host_byte) || s[0] == '.' ||
			    s[strlen(s) - 1] == '.') {
				return rs_ruleload_fail_at(
				    ld, (item)->line,
				    "invalid mx suffix '%s' of "
				    "provider '%s' (lower-case host "
				    "name, no leading or trailing "
				    "dot).",
				    s, p->id);
			}
			p->mx[i] = s;
			p->mx_len[i] = strlen(s);
		}
		p->nmx = (size_t)n;
	}
	if ((v = rs_yaml_field(keys, nkeys, "patterns")) != NULL) {
		char owner[160];
		snprintf(owner, sizeof(owner), "provider '%s'", p->id);
		if (rs_ruleload_patterns(ld, v, &p->patterns, &p->pattern_lines,
		                         &p->npatterns, owner) != 0) {
			return -1;
		}
	}
	if (p->nmx == 0 && p->npatterns == 0) {
		return rs_ruleload_fail_at(
		    ld, (node)->line,
		    "provider '%s' has neither 'mx' nor 'patterns'.", p->id);
	}
	rules->nproviders++;
	return 0;
}

/* Read one YAML file; providers says whether it is providers.yaml. */
static int load_file(struct load *ld, const char *path, int providers,
                     rs_yaml_doc_t *doc, const char *doc_err)
{
	const rs_yaml_node_t *root;
	int rc = -1;
	const char *top = providers ? "providers" : "rules";
	size_t pcap = ld->rules->nproviders;

	ld->path = rs_arena_strndup(&ld->rules->arena, path, strlen(path));
	if (ld->path == NULL) {
		rs_yaml_free(doc);
		return rs_ruleload_fail_plain(ld->errstr, ld->errstr_size,
		                              "%s: out of memory.", path);
	}
	/* util/yaml refuses syntax errors, a second document, aliases and
	 * duplicate keys, naming the file and line (preload_docs). */
	if (doc == NULL) {
		if (ld->errstr != NULL && ld->errstr_size > 0) {
			snprintf(ld->errstr, ld->errstr_size, "%s", doc_err);
		}
		/* Rule errors are sentences: end this one like the others. */
		size_t n = ld->errstr != NULL ? strlen(ld->errstr) : 0;
		if (n > 0 && ld->errstr[n - 1] != '.' &&
		    n + 1 < ld->errstr_size) {
			ld->errstr[n] = '.';
			ld->errstr[n + 1] = '\0';
		}
		return -1;
	}
	ld->doc = doc;
	root = rs_yaml_root(doc);
	if (root == NULL) {
		rs_ruleload_fail_at(
		    ld, 1, "the file is empty; expected a '%s:' list.", top);
		goto out;
	}
	{
		key_slot_t keys[] = {{top, NULL, 0}};
		char what[64];
		const rs_yaml_node_t *list;

		snprintf(what, sizeof(what), "the top level of a %s file",
		         providers ? "providers" : "rule");
		if (rs_ruleload_fields(ld, root, keys, 1, what) != 0) {
			goto out;
		}
		list = keys[0].value;
		if (list == NULL) {
			rs_ruleload_fail_at(ld, root->line, "no '%s:' list.",
			                    top);
			goto out;
		}
		if (list->kind != RS_YAML_SEQUENCE) {
			rs_ruleload_fail_at(ld, list->line,
			                    "'%s' must be a list.", top);
			goto out;
		}
		for (size_t it = 0; it < list->n; it++) {
			int r = providers
			            ? parse_provider(ld, list->items[it], &pcap)
			            : rs_ruleload_rule(ld, list->items[it]);
			if (r != 0) {
				goto out;
			}
		}
	}
	rc = 0;
out:
	ld->doc = NULL;
	rs_yaml_free(doc);
	return rc;
}

/* ------------------------------------------------------------------ */
/* The directory                                                       */
/* ------------------------------------------------------------------ */

/* qsort comparator for file names. */
static int name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Does name end in ".yaml" and not start with '.'? */
static int is_yaml_name(const char *name)
{
	size_t n = strlen(name);

	return name[0] != '.' && n > 5 && strcmp(name + n - 5, ".yaml") == 0;
}

/* List the *.yaml names of dir, sorted; caller frees names and array. */
static int list_dir(const char *dir, char ***out, size_t *n, char *errstr,
                    size_t errstr_size)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	char **names = NULL;
	size_t count = 0;
	size_t cap = 0;

	*out = NULL;
	*n = 0;
	if (d == NULL) {
		return rs_ruleload_fail_plain(
		    errstr, errstr_size,
		    "%s: cannot open the rule directory: %s.", dir,
		    strerror(errno));
	}
	while ((de = readdir(d)) != NULL) {
		if (!is_yaml_name(de->d_name)) {
			continue;
		}
		if (count == cap) {
			size_t ncap = cap ? cap * 2 : 16;
			char **nn = realloc(names, ncap * sizeof(*nn));
			if (nn == NULL) {
				goto oom;
			}
			names = nn;
			cap = ncap;
		}
		names[count] = strdup(de->d_name);
		if (names[count] == NULL) {
			goto oom;
		}
		count++;
	}
	closedir(d);
	if (count > 0) {
		qsort(names, count, sizeof(*names), name_cmp);
	}
	*out = names;
	*n = count;
	return 0;
oom:
	closedir(d);
	for (size_t i = 0; i < count; i++) {
		free(names[i]);
	}
	free(names);
	return rs_ruleload_fail_plain(errstr, errstr_size, "%s: out of memory.",
	                              dir);
}

/*
 * Reading the YAML of the files (libyaml's parse into util/yaml's tree) is
 * about half of loading a cached rule set, and every run waits for it
 * before its first line. The files are independent: with more than one
 * CPU a second thread reads some of them while this one reads the others,
 * each taking the next file not yet taken. The rules are then made from
 * the documents in load order, as before, so the set and the first error
 * reported are the same as when each file is read in turn.
 */
typedef struct preload {
	char **paths; /* in load order */
	size_t n;
	rs_yaml_doc_t **docs; /* NULL: see errs */
	char *errs;           /* n strings of err_size bytes */
	size_t err_size;
	size_t next; /* the next file to read; under lock */
	pthread_mutex_t lock;
} preload_t;

/* Read files until none is left (both threads). */
static void *preload_main(void *arg)
{
	preload_t *pl = arg;

	for (;;) {
		size_t i;

		pthread_mutex_lock(&pl->lock);
		i = pl->next++;
		pthread_mutex_unlock(&pl->lock);
		if (i >= pl->n) {
			return NULL;
		}
		pl->docs[i] = rs_yaml_load_file(
		    pl->paths[i], pl->errs + i * pl->err_size, pl->err_size);
	}
}

/* Read every file into pl->docs, on two threads when there are two CPUs
 * and two files. 0, or -1 when out of memory. */
static int preload_docs(preload_t *pl)
{
	pthread_t thread;
	int threaded = 0;

	pl->docs = calloc(pl->n, sizeof(*pl->docs));
	pl->errs = calloc(pl->n, pl->err_size);
	if (pl->docs == NULL || pl->errs == NULL) {
		return -1;
	}
	pthread_mutex_init(&pl->lock, NULL);
	if (pl->n >= 2 && sysconf(_SC_NPROCESSORS_ONLN) > 1) {
		threaded = pthread_create(&thread, NULL, preload_main, pl) == 0;
	}
	preload_main(pl);
	if (threaded) {
		pthread_join(thread, NULL);
	}
	pthread_mutex_destroy(&pl->lock);
	return 0;
}

int rs_rules_parse_dir(rs_rules_t *rules, char *errstr, size_t errstr_size)
{
	struct load ld;
	char **names = NULL;
	size_t nnames = 0;
	size_t path_size;
	preload_t pl;
	size_t nprov = 0;
	int rc = -1;

	memset(&ld, 0, sizeof(ld));
	memset(&pl, 0, sizeof(pl));
	ld.rules = rules;
	ld.errstr = errstr;
	ld.errstr_size = errstr_size;
	if (list_dir(rules->dir, &names, &nnames, errstr, errstr_size) != 0) {
		return -1;
	}
	if (nnames == 0) {
		rs_ruleload_fail_plain(
		    errstr, errstr_size,
		    "%s: no .yaml rule files in the directory.", rules->dir);
		goto out;
	}
	/* dir + '/' + a directory entry name (at most 255 bytes) + NUL. */
	path_size = strlen(rules->dir) + 1 + 255 + 1;
	pl.paths = calloc(nnames, sizeof(*pl.paths));
	if (pl.paths == NULL) {
		rs_ruleload_fail_plain(errstr, errstr_size,
		                       "%s: out of memory.", rules->dir);
		goto out;
	}
	/* Providers first: rule scopes name them. */
	for (int pass = 0; pass < 2; pass++) {
		for (size_t i = 0; i < nnames; i++) {
			int is_prov =
			    strcmp(names[i], RS_RULES_PROVIDERS_FILE) == 0;
			char *path;

			if (is_prov != (pass == 0)) {
				continue;
			}
			path = malloc(path_size);
			if (path == NULL) {
				rs_ruleload_fail_plain(errstr, errstr_size,
				                       "%s: out of memory.",
				                       rules->dir);
				goto out;
			}
			snprintf(path, path_size, "%s/%s", rules->dir,
			         names[i]);
			pl.paths[pl.n++] = path;
			nprov += is_prov;
		}
	}
	pl.err_size = errstr_size > 0 ? errstr_size : 1;
	if (preload_docs(&pl) != 0) {
		rs_ruleload_fail_plain(errstr, errstr_size,
		                       "%s: out of memory.", rules->dir);
		goto out;
	}
	for (size_t i = 0; i < pl.n; i++) {
		rs_yaml_doc_t *doc = pl.docs[i];

		pl.docs[i] = NULL; /* load_file frees it */
		if (load_file(&ld, pl.paths[i], i < nprov, doc,
		              pl.errs + i * pl.err_size) != 0) {
			goto out;
		}
	}
	if (rules->nrules == 0) {
		rs_ruleload_fail_plain(errstr, errstr_size,
		                       "%s: the rule files define no rules.",
		                       rules->dir);
		goto out;
	}
	rc = 0;
out:
	for (size_t i = 0; i < nnames; i++) {
		free(names[i]);
	}
	free(names);
	for (size_t i = 0; i < pl.n; i++) {
		if (pl.docs != NULL) {
			rs_yaml_free(pl.docs[i]);
		}
		free(pl.paths[i]);
	}
	free(pl.paths);
	free(pl.docs);
	free(pl.errs);
	return rc;
}
