/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pcre2loop.c - the "ordered PCRE2 regex list" peer of bench/run: what a C
 * engineer writes when asked to classify delivery failures without a
 * multi-pattern engine.
 *
 * For every line of the log: a literal prefilter (prefilter.txt, memmem),
 * then the failure regexes (failure.regex), then the ordered cause-class
 * list (classes.regex: first match wins, "uncategorized" when none does)
 * and the ordered stage list (stages.regex: "unknown" when none does).
 * Every regex is compiled once with PCRE2 and its JIT and matched with
 * pcre2_jit_match; class and stage regexes are caseless. Output: one TSV
 * row per failure line, `LINE<TAB>CLASS<TAB>STAGE` (1-based line number).
 *
 * A class rule may name a condition in a third column (CLASS<TAB>REGEX<TAB>
 * COND, the rule lists of bench/peers/mkpeers.py: a provider's MX or
 * wording, a reply code): the rule applies only to lines that match the
 * condition's regex (conditions.regex, NAME<TAB>REGEX). A condition is
 * matched at most once per line, when a rule first needs it.
 *
 * The log is read with getline() into one reused buffer; the regexes get
 * the line's length, so no NUL terminator or strlen is needed. Not part of
 * replyscan: built by bench/run with `cc -O2 ... -lpcre2-8`. Exits 1 on any
 * error.
 *
 * usage: pcre2loop RULES_DIR LOG [OUT]
 */
#define _GNU_SOURCE
#define PCRE2_CODE_UNIT_WIDTH 8

#include <pcre2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#define MAX_RULES 4096

/* One compiled rule: its name (class or stage), its regex and the index
 * of its condition in the condition list (-1: none). */
struct rule {
	char *name;
	pcre2_code *re;
	int cond;
};

/* An ordered rule list, as read from one file. */
struct list {
	struct rule r[MAX_RULES];
	size_t n;
};

/* Print a message and exit 1: a peer has no error to recover from. */
static void die(const char *fmt, const char *arg)
{
	fprintf(stderr, "pcre2loop: ");
	fprintf(stderr, fmt, arg);
	fputc('\n', stderr);
	exit(1);
}

/* Compile one regex with the JIT; exits naming the file on an error. */
static pcre2_code *compile(const char *path, const char *rx, uint32_t flags)
{
	PCRE2_UCHAR msg[256];
	PCRE2_SIZE off;
	int err;
	pcre2_code *re;

	re = pcre2_compile((PCRE2_SPTR)rx, PCRE2_ZERO_TERMINATED, flags, &err,
	                   &off, NULL);
	if (re == NULL) {
		pcre2_get_error_message(err, msg, sizeof(msg));
		fprintf(stderr, "pcre2loop: %s: %s at offset %zu in: %s\n",
		        path, (char *)msg, (size_t)off, rx);
		exit(1);
	}
	if (pcre2_jit_compile(re, PCRE2_JIT_COMPLETE) != 0) {
		die("%s: PCRE2 JIT compilation failed", path);
	}
	return re;
}

/* The conditions (conditions.regex), when the class list names any. */
static struct list conds;

/* Index of a condition by name; exits when there is none of that name. */
static int cond_index(const char *path, const char *name)
{
	for (size_t i = 0; i < conds.n; i++) {
		if (strcmp(conds.r[i].name, name) == 0) {
			return (int)i;
		}
	}
	die("%s: unknown condition", path);
	return -1;
}

/*
 * Read a rule file: '#' and blank lines skipped; with `named`, each line is
 * NAME<TAB>REGEX[<TAB>COND], else it is a bare regex (or a literal when
 * `literal`).
 */
static void load(struct list *l, const char *dir, const char *file, int named,
                 int literal, uint32_t flags)
{
	char path[4096], *line = NULL;
	size_t cap = 0;
	ssize_t len;
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	if (f == NULL) {
		die("cannot open %s", path);
	}
	while ((len = getline(&line, &cap, f)) >= 0) {
		char *rx = line, *tab;

		while (len > 0 &&
		       (line[len - 1] == '\n' || line[len - 1] == '\r')) {
			line[--len] = '\0';
		}
		if (len == 0 || line[0] == '#') {
			continue;
		}
		if (l->n == MAX_RULES) {
			die("%s: too many rules", path);
		}
		l->r[l->n].name = NULL;
		l->r[l->n].cond = -1;
		if (named) {
			char *ctab;

			tab = strchr(line, '\t');
			if (tab == NULL) {
				die("%s: a line without a TAB", path);
			}
			*tab = '\0';
			rx = tab + 1;
			l->r[l->n].name = strdup(line);
			ctab = strchr(rx, '\t');
			if (ctab != NULL) {
				*ctab = '\0';
				l->r[l->n].cond = cond_index(path, ctab + 1);
			}
		}
		if (literal) {
			l->r[l->n].name = strdup(rx);
			l->r[l->n].re = NULL;
		} else {
			l->r[l->n].re = compile(path, rx, flags);
		}
		l->n++;
	}
	free(line);
	fclose(f);
}

/*
 * Name of the first rule of `l` whose condition (if any) and regex match,
 * or NULL. `seen` caches each condition's answer for this line (0 not yet
 * matched, 1 no, 2 yes); the caller clears it per line.
 */
static const char *first_match(const struct list *l, const char *p, size_t n,
                               pcre2_match_data *md, unsigned char *seen)
{
	for (size_t i = 0; i < l->n; i++) {
		int c = l->r[i].cond;

		if (c >= 0) {
			if (seen[c] == 0) {
				seen[c] = pcre2_jit_match(conds.r[c].re,
				                          (PCRE2_SPTR)p, n, 0,
				                          0, md, NULL) >= 0
				              ? 2
				              : 1;
			}
			if (seen[c] == 1) {
				continue;
			}
		}
		if (pcre2_jit_match(l->r[i].re, (PCRE2_SPTR)p, n, 0, 0, md,
		                    NULL) >= 0) {
			return l->r[i].name != NULL ? l->r[i].name : "";
		}
	}
	return NULL;
}

/* 1 when the line contains one of the prefilter literals. */
static int prefilter(const struct list *lit, const char *p, size_t n)
{
	for (size_t i = 0; i < lit->n; i++) {
		if (memmem(p, n, lit->r[i].name, strlen(lit->r[i].name)) !=
		    NULL) {
			return 1;
		}
	}
	return 0;
}

int main(int argc, char **argv)
{
	static struct list lit, fail, cls, stg;
	static unsigned char seen[MAX_RULES];
	char cpath[4096];
	pcre2_match_data *md;
	unsigned long long lineno = 0;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	FILE *in, *out = stdout;

	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: pcre2loop RULES_DIR LOG [OUT]\n");
		return 2;
	}
	load(&lit, argv[1], "prefilter.txt", 0, 1, 0);
	load(&fail, argv[1], "failure.regex", 0, 0, 0);
	snprintf(cpath, sizeof(cpath), "%s/conditions.regex", argv[1]);
	if (access(cpath, R_OK) == 0) {
		load(&conds, argv[1], "conditions.regex", 1, 0, PCRE2_CASELESS);
	}
	load(&cls, argv[1], "classes.regex", 1, 0, PCRE2_CASELESS);
	load(&stg, argv[1], "stages.regex", 1, 0, PCRE2_CASELESS);
	md = pcre2_match_data_create(1, NULL);
	if (md == NULL) {
		die("%s", "out of memory");
	}
	in = fopen(argv[2], "r");
	if (in == NULL) {
		die("cannot open %s", argv[2]);
	}
	if (argc == 4 && (out = fopen(argv[3], "w")) == NULL) {
		die("cannot create %s", argv[3]);
	}

	while ((n = getline(&line, &cap, in)) >= 0) {
		size_t len = (size_t)n;
		const char *c, *s;

		lineno++;
		if (len > 0 && line[len - 1] == '\n') {
			len--;
		}
		if (prefilter(&lit, line, len) &&
		    first_match(&fail, line, len, md, seen)) {
			memset(seen, 0, conds.n);
			c = first_match(&cls, line, len, md, seen);
			s = first_match(&stg, line, len, md, seen);
			fprintf(out, "%llu\t%s\t%s\n", lineno,
			        c != NULL ? c : "uncategorized",
			        s != NULL ? s : "unknown");
		}
	}
	if (ferror(in)) {
		die("cannot read %s", argv[2]);
	}
	if (fflush(out) != 0 || (out != stdout && fclose(out) != 0)) {
		die("%s", "write error");
	}
	free(line);
	fclose(in);
	return 0;
}
