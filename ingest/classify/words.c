/* SPDX-License-Identifier: Apache-2.0 */
/*
 * words.c - the learned word model: load rules/words.model, score a
 * reply's normal form. See words.h; the file format is documented in
 * rules/README.md ("Learned word evidence").
 *
 * Two kinds of file, told apart by the first line's version:
 *
 * 1, naive Bayes: counts, not probabilities: per class the number of
 * training replies, per feature how often each class's replies used it.
 * Loading turns them into log probabilities with the file's additive
 * smoothing (alpha): log P(f|c) = log((n_fc + alpha) / (N_c + alpha V)),
 * N_c the class's feature total over the V features kept. A reply's score
 * for c is log P(c) plus log P(f|c) for each known feature occurrence.
 * Most counts are 0, so P(f|c) is kept as the class's "absent" value plus
 * a per-feature correction for the few classes with a count (memory and
 * time go with the counts, not features x classes).
 *
 * 2, multinomial logistic regression: per class a bias, per feature a
 * weight for the classes where it is not 0. A reply's score for c is the
 * bias plus the weight of c for each known feature occurrence: the same
 * sparse sum with "absent" 0, bias for log P(c) and the weight for the
 * correction.
 *
 * Either way unknown features are skipped; posteriors by softmax.
 *
 * Ownership: one malloc'd block per array, freed by rs_words_destroy.
 * Hazards: the text may hold any bytes; words longer than the limit are
 * skipped, never cut, so the scorer and the trainer agree byte for byte.
 */
#include "classify/words.h"

#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/hash.h"
#include "util/str.h"

#define MAX_CLASSES ((size_t)RS_CAUSE__COUNT)

struct rs_words {
	int version;            /* 1 naive Bayes, 2 logistic regression */
	double alpha;           /* version 1 only */
	double threshold;       /* decides before the weaker code fallbacks */
	double threshold_alone; /* decides when nothing else would */
	unsigned norm;          /* 1 << NORM_* of the spans replaced */
	size_t nclasses;
	rs_cause_t cause[MAX_CLASSES];
	char rule_id[MAX_CLASSES][40]; /* "words:<class>" */
	double prior[MAX_CLASSES];     /* log P(c); the bias in version 2 */
	double absent[MAX_CLASSES];    /* log P(f|c) of a count of 0; 0 */
	size_t nfeatures;
	char *names;      /* every feature, NUL-terminated, one after another */
	uint32_t *offset; /* feature i starts at names + offset[i] */
	uint8_t *len;     /* and has len[i] bytes */
	/* Sparse: feature i's classes with a count are entries
	 * first[i] .. first[i+1]; each adds log((n + alpha) / alpha) to
	 * absent[c], which every known feature adds for every class. */
	uint32_t *first; /* nfeatures + 1 */
	uint8_t *eclass; /* class index of each entry */
	float *edelta;   /* log((n + alpha) / alpha); the weight */
	size_t nentries;
	uint32_t *slots; /* hash table: feature index + 1, 0 = empty */
	size_t nslots;   /* a power of two, at least twice nfeatures */
	size_t bytes;    /* memory held, for rules check */
};

/* ------------------------------------------------------------------ */
/* Lookup                                                              */
/* ------------------------------------------------------------------ */

/* Index of the feature [p, p+n), or -1. */
static long find(const rs_words_t *m, const char *p, size_t n)
{
	size_t mask = m->nslots - 1;
	size_t i = (size_t)rs_hash_bytes(RS_HASH_SEED, p, n) & mask;

	while (m->slots[i] != 0) {
		size_t f = m->slots[i] - 1;
		if (m->len[f] == n &&
		    memcmp(m->names + m->offset[f], p, n) == 0) {
			return (long)f;
		}
		i = (i + 1) & mask;
	}
	return -1;
}

/* ------------------------------------------------------------------ */
/* Words of a text                                                      */
/* ------------------------------------------------------------------ */

/* Is byte c part of a word (after lower-casing)? */
static int word_byte(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c >= 0x80;
}

/*
 * Normalisation (a "normalise" line names the kinds): a span that names
 * something only its source names (an address, a host, a URL) is one
 * placeholder word, so the model learns "blocked using <a host>" and not
 * the host. A span is a run of bytes between span_end() bytes; a leading
 * ':' and trailing '.', ':', '!' and '?' are not part of it.
 * rules/tools/train_words.py forms the same words (span_kind there).
 */
enum { NORM_URL, NORM_EMAIL, NORM_IP, NORM_HOST, NORM_ID, NORM_COUNT };

static const char *const norm_name[NORM_COUNT] = {"url", "email", "ip", "host",
                                                  "id"};
static const char *const placeholder[NORM_COUNT] = {"xxurl", "xxemail", "xxip",
                                                    "xxhost", "xxid"};

/* The last labels that make a name of two labels a host name. */
static const char *const tlds[] = {
    "com", "net", "org", "edu", "gov", "mil", "int", "info", "biz", "io", "co",
    "me",  "us",  "uk",  "de",  "fr",  "nl",  "be",  "ch",   "at",  "it", "es",
    "pt",  "pl",  "ru",  "ua",  "cz",  "se",  "no",  "dk",   "fi",  "jp", "cn",
    "kr",  "tw",  "hk",  "in",  "au",  "nz",  "ca",  "br",   "mx",  "ar", "eu"};

/* Does c end a span (a blank, a bracket, a quote, ',', ';', '=')? */
static int span_end(unsigned char c)
{
	return c == ' ' || (c >= '\t' && c <= '\r') ||
	       (c != 0 && strchr("<>[]()\"',;=`", c) != NULL);
}

/* Is c an ASCII letter of either case? */
static int is_letter(unsigned char c)
{
	c = rs_str_lower(c);
	return c >= 'a' && c <= 'z';
}

/* Labels of letters, digits and '-', the last of two letters or more,
 * and three labels or more or a last label in tlds[]. */
static int is_host(const unsigned char *s, size_t n)
{
	size_t labels = 1, start = 0;

	for (size_t i = 0; i <= n; i++) {
		if (i < n && s[i] != '.') {
			if (!is_letter(s[i]) && !rs_str_isdigit((char)s[i]) &&
			    s[i] != '-') {
				return 0;
			}
			continue;
		}
		if (i == start) {
			return 0; /* an empty label */
		}
		if (i < n) {
			labels++;
			start = i + 1;
		}
	}
	if (labels < 2 || n - start < 2) {
		return 0;
	}
	for (size_t i = start; i < n; i++) {
		if (!is_letter(s[i])) {
			return 0;
		}
	}
	if (labels >= 3) {
		return 1;
	}
	for (size_t t = 0; t < sizeof(tlds) / sizeof(tlds[0]); t++) {
		size_t tl = strlen(tlds[t]);
		size_t k;

		if (tl != n - start) {
			continue;
		}
		for (k = 0; k < tl && rs_str_lower(s[start + k]) ==
		                          (unsigned char)tlds[t][k];
		     k++) {
		}
		if (k == tl) {
			return 1;
		}
	}
	return 0;
}

/* Four dot-separated runs of one to three digits, maybe ":port". */
static int is_ipv4(const unsigned char *s, size_t n)
{
	const unsigned char *colon = memchr(s, ':', n);
	size_t hn = colon != NULL ? (size_t)(colon - s) : n;
	size_t parts = 0, run = 0;

	for (size_t i = hn + 1; colon != NULL && i < n; i++) {
		if (!rs_str_isdigit((char)s[i])) {
			return 0;
		}
	}
	for (size_t i = 0; i <= hn; i++) {
		if (i < hn && rs_str_isdigit((char)s[i])) {
			run++;
			continue;
		}
		if (i < hn && s[i] != '.') {
			return 0;
		}
		if (run < 1 || run > 3) {
			return 0;
		}
		parts++;
		run = 0;
	}
	return parts == 4;
}

/* The NORM_* kind of the span [p, p+n) (no span_end() byte in it), or -1. */
static int span_kind(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	const unsigned char *at, *slash;

	while (n > 0 && s[0] == ':') {
		s++;
		n--;
	}
	/* s[n - 1] != 0: strchr() would match the literal's terminator. */
	while (n > 0 && s[n - 1] != 0 && strchr(".:!?", s[n - 1]) != NULL) {
		n--;
	}
	if (n == 0) {
		return -1;
	}
	for (size_t i = 0; i + 3 <= n; i++) {
		if (memcmp(s + i, "://", 3) == 0) {
			return NORM_URL;
		}
	}
	at = memchr(s, '@', n);
	if (at != NULL && at > s && at < s + n - 1) {
		return NORM_EMAIL;
	}
	if (is_ipv4(s, n)) {
		return NORM_IP;
	}
	slash = memchr(s, '/', n);
	if (slash != NULL && slash > s && is_host(s, (size_t)(slash - s))) {
		return NORM_URL;
	}
	return is_host(s, n) ? NORM_HOST : -1;
}

/* Called for each feature occurrence: unigram or pair. */
typedef void (*feature_fn)(const rs_words_t *m, long f, void *ctx);

/* fn for the feature name[0..n) when the model knows it. */
static void visit(const rs_words_t *m, const char *name, size_t n,
                  feature_fn fn, void *ctx)
{
	long f = find(m, name, n);

	if (f >= 0) {
		fn(m, f, ctx);
	}
}

/* The words walked so far: the last one, for pairs. */
typedef struct walk_state {
	char prev[RS_WORDS_MAX_WORD + 1];
	size_t pl;
} walk_state_t;

/* A word kept: fn for it and for the pair it ends, if known. */
static void emit(const rs_words_t *m, walk_state_t *w, const char *word,
                 size_t wl, feature_fn fn, void *ctx)
{
	char pair[2 * RS_WORDS_MAX_WORD + 2];

	if ((m->norm & (1u << NORM_ID)) != 0) {
		size_t zeros = 0; /* digit runs, folded */

		for (size_t i = 0; i < wl; i++) {
			zeros += word[i] == '0';
		}
		if (zeros >= 2) {
			word = placeholder[NORM_ID];
			wl = strlen(word);
		}
	}
	visit(m, word, wl, fn, ctx);
	if (w->pl > 0) {
		memcpy(pair, w->prev, w->pl);
		pair[w->pl] = '+';
		memcpy(pair + w->pl + 1, word, wl);
		visit(m, pair, w->pl + 1 + wl, fn, ctx);
	}
	memcpy(w->prev, word, wl);
	w->pl = wl;
}

/*
 * Walk the words of [p, p+n) and call fn for every known feature. Words
 * are built in a stack buffer; nothing is allocated.
 */
static void walk(const rs_words_t *m, const char *p, size_t n, feature_fn fn,
                 void *ctx)
{
	char word[RS_WORDS_MAX_WORD + 1];
	walk_state_t w = {.pl = 0};
	size_t wl = 0;
	int letter = 0, over = 0, digit = 0;

	for (size_t i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)p[i] : ' ';

		if (m->norm != 0 && i < n && !span_end(c) &&
		    (i == 0 || span_end((unsigned char)p[i - 1]))) {
			size_t j = i;
			int kind;

			while (j < n && !span_end((unsigned char)p[j])) {
				j++;
			}
			kind = span_kind(p + i, j - i);
			if (kind >= 0 && (m->norm & (1u << kind)) != 0) {
				emit(m, &w, placeholder[kind],
				     strlen(placeholder[kind]), fn, ctx);
				i = j - 1; /* p[j] ends the span: no word */
				continue;
			}
		}
		if (c >= 'A' && c <= 'Z') {
			c = (unsigned char)(c - 'A' + 'a');
		}
		if (word_byte(c)) {
			if (c >= '0' && c <= '9') {
				if (digit) {
					continue; /* a digit run is one '0' */
				}
				digit = 1;
				c = '0';
			} else {
				digit = 0;
				letter = 1;
			}
			if (wl < RS_WORDS_MAX_WORD) {
				word[wl++] = (char)c;
			} else {
				over = 1;
			}
			continue;
		}
		if (wl > 0 && letter && !over) {
			emit(m, &w, word, wl, fn, ctx);
		}
		wl = 0;
		letter = over = digit = 0;
	}
}

/* Is [p, p+n) digits and dots only? */
static int digits_dots(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if ((p[i] < '0' || p[i] > '9') && p[i] != '.') {
			return 0;
		}
	}
	return 1;
}

/*
 * The reply's codes as features: "code:x.Y.Z" for an enhanced code (its
 * class digit left out: the words say more than 4 or 5), "code:NNN" for
 * the basic code, "code:none" when there is neither (the sending MTA's own
 * words). A text feature never holds ':', so they cannot meet.
 */
static void walk_codes(const rs_words_t *m, uint32_t code, const char *enh,
                       size_t enh_len, feature_fn fn, void *ctx)
{
	char name[RS_WORDS_MAX_WORD + 1];
	int any = 0;

	if (enh != NULL && enh_len >= 3 && enh_len <= 11 && enh[1] == '.' &&
	    digits_dots(enh, enh_len)) {
		int n = snprintf(name, sizeof(name), "code:x%.*s",
		                 (int)(enh_len - 1), enh + 1);
		visit(m, name, (size_t)n, fn, ctx);
		any = 1;
	}
	if (code >= 100 && code <= 999) {
		int n = snprintf(name, sizeof(name), "code:%u", (unsigned)code);
		visit(m, name, (size_t)n, fn, ctx);
		any = 1;
	}
	if (!any) {
		visit(m, "code:none", 9, fn, ctx);
	}
}

/* ------------------------------------------------------------------ */
/* Scoring                                                             */
/* ------------------------------------------------------------------ */

typedef struct score_ctx {
	double score[MAX_CLASSES];
	size_t known;
} score_ctx_t;

/* A code feature: it weighs like any other, but a reply whose words the
 * model does not know gets no word evidence, whatever its codes. */
static void add_code(const rs_words_t *m, long f, void *ctx)
{
	score_ctx_t *s = ctx;

	for (uint32_t e = m->first[f]; e < m->first[f + 1]; e++) {
		s->score[m->eclass[e]] += m->edelta[e];
	}
}

static void add_feature(const rs_words_t *m, long f, void *ctx)
{
	add_code(m, f, ctx);
	((score_ctx_t *)ctx)->known++;
}

/* log P(f|c) of feature f (version 2: its weight for c), for explain. */
static double logp(const rs_words_t *m, long f, size_t c)
{
	for (uint32_t e = m->first[f]; e < m->first[f + 1]; e++) {
		if (m->eclass[e] == c) {
			return m->absent[c] + m->edelta[e];
		}
	}
	return m->absent[c];
}

typedef struct top_ctx {
	size_t best, second;
	rs_words_result_t *res;
} top_ctx_t;

/* Keep the features that favour the best class most, summed per
 * feature; a feature pushed out of the list starts again from zero. */
static void add_top(const rs_words_t *m, long f, void *ctx)
{
	top_ctx_t *t = ctx;
	rs_words_result_t *r = t->res;
	double w = logp(m, f, t->best) - logp(m, f, t->second);
	const char *name = m->names + m->offset[f];
	size_t k;

	for (k = 0; k < r->ntop; k++) {
		if (strcmp(r->top[k].feature, name) == 0) {
			r->top[k].weight += w;
			break;
		}
	}
	if (k == r->ntop) {
		if (r->ntop < RS_WORDS_TOP) {
			k = r->ntop++;
		} else {
			k = RS_WORDS_TOP - 1;
			if (r->top[k].weight >= w) {
				return;
			}
		}
		snprintf(r->top[k].feature, sizeof(r->top[k].feature), "%s",
		         name);
		r->top[k].weight = w;
	}
	/* Bubble into place, largest weight first. */
	while (k > 0 && r->top[k].weight > r->top[k - 1].weight) {
		rs_words_hit_t tmp = r->top[k];
		r->top[k] = r->top[k - 1];
		r->top[k - 1] = tmp;
		k--;
	}
}

void rs_words_score(const rs_words_t *m, const char *text, size_t len,
                    uint32_t code, const char *enh, size_t enh_len, int top,
                    rs_words_result_t *res)
{
	score_ctx_t s;
	size_t best = 0, second = 0;
	double sum = 0;

	memset(res, 0, sizeof(*res));
	res->cause = RS_CAUSE_UNSPECIFIED;
	res->second = RS_CAUSE_UNSPECIFIED;
	res->rule_id = "";
	if (m == NULL || text == NULL) {
		return;
	}
	memcpy(s.score, m->prior, sizeof(s.score));
	s.known = 0;
	walk(m, text, len, add_feature, &s);
	res->known = s.known;
	if (s.known == 0) {
		return;
	}
	walk_codes(m, code, enh, enh_len, add_code, &s);
	for (size_t c = 0; c < m->nclasses; c++) {
		s.score[c] += (double)s.known * m->absent[c];
	}
	for (size_t c = 1; c < m->nclasses; c++) {
		if (s.score[c] > s.score[best]) {
			best = c;
		}
	}
	second = best == 0 ? 1 : 0;
	for (size_t c = 0; c < m->nclasses; c++) {
		if (c != best && s.score[c] > s.score[second]) {
			second = c;
		}
		sum += exp(s.score[c] - s.score[best]);
	}
	res->cause = m->cause[best];
	res->second = m->cause[second];
	res->posterior = 1.0 / sum;
	res->rule_id = m->rule_id[best];
	res->decides = res->posterior >= m->threshold;
	res->decides_alone = res->posterior >= m->threshold_alone;
	if (top) {
		top_ctx_t t = {best, second, res};
		walk(m, text, len, add_top, &t);
		walk_codes(m, code, enh, enh_len, add_top, &t);
	}
}

double rs_words_threshold(const rs_words_t *m)
{
	return m != NULL ? m->threshold : 1.0;
}

double rs_words_threshold_alone(const rs_words_t *m)
{
	return m != NULL ? m->threshold_alone : 1.0;
}

size_t rs_words_nfeatures(const rs_words_t *m)
{
	return m != NULL ? m->nfeatures : 0;
}

size_t rs_words_nclasses(const rs_words_t *m)
{
	return m != NULL ? m->nclasses : 0;
}

size_t rs_words_memory(const rs_words_t *m)
{
	return m != NULL ? m->bytes : 0;
}

void rs_words_destroy(rs_words_t *m)
{
	if (m == NULL) {
		return;
	}
	free(m->names);
	free(m->offset);
	free(m->len);
	free(m->first);
	free(m->eclass);
	free(m->edelta);
	free(m->slots);
	free(m);
}

/* ------------------------------------------------------------------ */
/* Loading                                                             */
/* ------------------------------------------------------------------ */

/* What the parser gathers before the arrays are sized. */
typedef struct load_state {
	const char *path;
	unsigned line;
	char *errstr;
	size_t errstr_size;
	int have_header, have_alpha, have_threshold, have_alone, have_norm;
	double docs[MAX_CLASSES];
	double bias[MAX_CLASSES]; /* version 2 */
	/* Growing arrays. */
	char *names;
	size_t names_len, names_cap;
	uint32_t *offset;
	uint8_t *len;
	unsigned *lines; /* each feature's line, for a duplicate */
	size_t nfeat, feat_cap;
	double *counts; /* nfeat x MAX_CLASSES while loading (weights in 2) */
} load_state_t;

/* Is [p, p+n) one word as the scorer forms it? */
static int valid_word(const char *p, size_t n)
{
	int letter = 0;

	if (n == 0 || n > RS_WORDS_MAX_WORD) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)p[i];
		if (!word_byte(c)) {
			return 0;
		}
		if (c >= '1' && c <= '9') {
			return 0; /* digit runs are folded to '0' */
		}
		if (c == '0' && i > 0 && p[i - 1] == '0') {
			return 0;
		}
		if (c != '0') {
			letter = 1;
		}
	}
	return letter;
}

/* A word, or two joined by '+', or a code ("code:none", "code:550",
 * "code:x.7.1"). */
static int valid_feature(const char *p, size_t n)
{
	const char *plus = memchr(p, '+', n);

	if (n > 5 && memcmp(p, "code:", 5) == 0) {
		p += 5;
		n -= 5;
		if (n == 4 && memcmp(p, "none", 4) == 0) {
			return 1;
		}
		if (n == 3) {
			return strspn(p, "0123456789") >= 3 && p[0] != '0';
		}
		return n >= 3 && n <= 11 && p[0] == 'x' && p[1] == '.' &&
		       digits_dots(p + 1, n - 1);
	}

	if (plus == NULL) {
		return valid_word(p, n);
	}
	return valid_word(p, (size_t)(plus - p)) &&
	       valid_word(plus + 1, n - (size_t)(plus - p) - 1);
}

/* Parse a number in (lo, hi]; 0, or -1 when it is not one. */
static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !(v > lo) || v > hi) {
		return -1;
	}
	*out = v;
	return 0;
}

/* Parse a count of at least 1 (at most 2^31); 0 or -1. */
static int parse_count(const char *s, uint32_t *out)
{
	char *end;
	unsigned long v;

	if (*s < '0' || *s > '9') {
		return -1;
	}
	errno = 0;
	v = strtoul(s, &end, 10);
	if (*end != '\0' || errno != 0 || v < 1 || v > 0x7fffffffUL) {
		return -1;
	}
	*out = (uint32_t)v;
	return 0;
}

/* Parse a finite number, 0 or -1. */
static int parse_weight(const char *s, double *out)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno != 0 || !isfinite(v)) {
		return -1;
	}
	*out = v;
	return 0;
}

#define FAIL(...)                                                              \
	do {                                                                   \
		snprintf(st->errstr, st->errstr_size, __VA_ARGS__);            \
		return -1;                                                     \
	} while (0)

/* "class NAME DOCS", version 2 "class NAME DOCS BIAS" */
static int parse_class(load_state_t *st, rs_words_t *m, char **tok, int ntok)
{
	int c;
	double docs;

	if (ntok != (m->version == 1 ? 3 : 4)) {
		FAIL("%s:%u: expected 'class NAME DOCUMENTS%s'.", st->path,
		     st->line, m->version == 1 ? "" : " BIAS");
	}
	if (st->nfeat > 0) {
		FAIL("%s:%u: class lines must come before the word lines.",
		     st->path, st->line);
	}
	c = rs_taxonomy_cause_parse(tok[1], strlen(tok[1]));
	if (c <= 0 || c == RS_CAUSE_UNCATEGORIZED) {
		FAIL("%s:%u: unknown class '%s' (TAXONOMY.md names the "
		     "classes).",
		     st->path, st->line, tok[1]);
	}
	for (size_t i = 0; i < m->nclasses; i++) {
		if (m->cause[i] == (rs_cause_t)c) {
			FAIL("%s:%u: class '%s' is listed twice.", st->path,
			     st->line, tok[1]);
		}
	}
	if (parse_double(tok[2], 0, 1e9, &docs) != 0 || docs != floor(docs)) {
		FAIL("%s:%u: class '%s' needs a whole number of training "
		     "replies of at least 1, not '%s'.",
		     st->path, st->line, tok[1], tok[2]);
	}
	if (m->version == 2 &&
	    parse_weight(tok[3], &st->bias[m->nclasses]) != 0) {
		FAIL("%s:%u: class '%s' needs a bias (a finite number), not "
		     "'%s'.",
		     st->path, st->line, tok[1], tok[3]);
	}
	st->docs[m->nclasses] = docs;
	m->cause[m->nclasses] = (rs_cause_t)c;
	snprintf(m->rule_id[m->nclasses], sizeof(m->rule_id[0]), "words:%s",
	         tok[1]);
	m->nclasses++;
	return 0;
}

/* Make room for one more feature. */
static int grow(load_state_t *st, size_t name_len)
{
	if (st->nfeat == st->feat_cap) {
		size_t cap = st->feat_cap ? st->feat_cap * 2 : 1024;
		uint32_t *o;
		uint8_t *l;
		unsigned *ln;
		double *cn;

		if (cap > UINT32_MAX / 2) {
			return -1;
		}
		o = realloc(st->offset, cap * sizeof(*o));
		if (o == NULL) {
			return -1;
		}
		st->offset = o;
		ln = realloc(st->lines, cap * sizeof(*ln));
		if (ln == NULL) {
			return -1;
		}
		st->lines = ln;
		l = realloc(st->len, cap * sizeof(*l));
		if (l == NULL) {
			return -1;
		}
		st->len = l;
		cn = realloc(st->counts, cap * MAX_CLASSES * sizeof(*cn));
		if (cn == NULL) {
			return -1;
		}
		st->counts = cn;
		st->feat_cap = cap;
	}
	if (st->names_len + name_len + 1 > UINT32_MAX) {
		return -1;
	}
	if (st->names_len + name_len + 1 > st->names_cap) {
		size_t cap = st->names_cap ? st->names_cap * 2 : 16384;
		char *p;

		while (cap < st->names_len + name_len + 1) {
			cap *= 2;
		}
		p = realloc(st->names, cap);
		if (p == NULL) {
			return -1;
		}
		st->names = p;
		st->names_cap = cap;
	}
	return 0;
}

/* "word FEATURE CLASS:COUNT...", version 2 "word FEATURE CLASS:WEIGHT..." */
static int parse_word(load_state_t *st, rs_words_t *m, char **tok, int ntok)
{
	const char *what = m->version == 1 ? "COUNT" : "WEIGHT";
	size_t n;
	double *row;

	if (m->nclasses < 2) {
		FAIL("%s:%u: word lines need at least two class lines before "
		     "them.",
		     st->path, st->line);
	}
	if (ntok < 3) {
		FAIL("%s:%u: expected 'word FEATURE CLASS:%s...'.", st->path,
		     st->line, what);
	}
	n = strlen(tok[1]);
	if (!valid_feature(tok[1], n)) {
		FAIL("%s:%u: '%s' is not a feature (a word of lower-case "
		     "letters, digit runs as one 0, at most %d bytes, or two "
		     "joined by '+').",
		     st->path, st->line, tok[1], RS_WORDS_MAX_WORD);
	}
	if (grow(st, n) != 0) {
		FAIL("%s:%u: out of memory.", st->path, st->line);
	}
	/* Duplicates: a linear check would be quadratic; the table built
	 * at the end finds them (see build_table). */
	row = st->counts + st->nfeat * MAX_CLASSES;
	memset(row, 0, MAX_CLASSES * sizeof(*row));
	for (int i = 2; i < ntok; i++) {
		char *colon = strchr(tok[i], ':');
		char *end;
		unsigned long c;
		uint32_t count;
		double v;

		if (colon == NULL || colon == tok[i]) {
			FAIL("%s:%u: '%s' is not CLASS:%s.", st->path, st->line,
			     tok[i], what);
		}
		*colon = '\0';
		errno = 0;
		c = strtoul(tok[i], &end, 10);
		if (*end != '\0' || errno != 0 || tok[i][0] < '0' ||
		    tok[i][0] > '9' || c >= m->nclasses) {
			FAIL("%s:%u: '%s' is not a class index (0 to %zu, "
			     "in the order of the class lines).",
			     st->path, st->line, tok[i], m->nclasses - 1);
		}
		if (m->version == 1) {
			if (parse_count(colon + 1, &count) != 0) {
				FAIL(
				    "%s:%u: '%s' is not a count of at least 1.",
				    st->path, st->line, colon + 1);
			}
			v = count;
		} else if (parse_weight(colon + 1, &v) != 0 || v == 0) {
			FAIL("%s:%u: '%s' is not a weight (a finite number, "
			     "not 0).",
			     st->path, st->line, colon + 1);
		}
		if (row[c] != 0) {
			FAIL("%s:%u: class %lu is given twice.", st->path,
			     st->line, c);
		}
		row[c] = v;
	}
	st->offset[st->nfeat] = (uint32_t)st->names_len;
	st->len[st->nfeat] = (uint8_t)n;
	st->lines[st->nfeat] = st->line;
	memcpy(st->names + st->names_len, tok[1], n + 1);
	st->names_len += n + 1;
	st->nfeat++;
	return 0;
}

/* "normalise KIND..." (url, email, ip, host, id), before the classes. */
static int parse_normalise(load_state_t *st, rs_words_t *m, char **tok,
                           int ntok)
{
	if (st->have_norm) {
		FAIL("%s:%u: normalise is given twice.", st->path, st->line);
	}
	if (st->nfeat > 0 || m->nclasses > 0) {
		FAIL("%s:%u: normalise must come before the class lines.",
		     st->path, st->line);
	}
	if (ntok < 2) {
		FAIL("%s:%u: expected 'normalise KIND...' (url, email, ip, "
		     "host, id).",
		     st->path, st->line);
	}
	for (int i = 1; i < ntok; i++) {
		int k = 0;

		while (k < NORM_COUNT && strcmp(tok[i], norm_name[k]) != 0) {
			k++;
		}
		if (k == NORM_COUNT) {
			FAIL("%s:%u: unknown kind '%s' to normalise (url, "
			     "email, ip, host, id).",
			     st->path, st->line, tok[i]);
		}
		if ((m->norm & (1u << k)) != 0) {
			FAIL("%s:%u: '%s' is given twice.", st->path, st->line,
			     tok[i]);
		}
		m->norm |= 1u << k;
	}
	st->have_norm = 1;
	return 0;
}

/* One line: header, alpha, threshold, normalise, class or word. */
static int parse_line(load_state_t *st, rs_words_t *m, char *line)
{
	char *tok[MAX_CLASSES + 3];
	int ntok = 0;
	char *save = NULL;
	const char *first = line + strspn(line, " \t\r\n");

	/* A comment is skipped before it is split: its words are no fields
	 * (the generated header lists every training part). */
	if (*first == '#' || *first == '\0') {
		return 0;
	}
	for (char *t = strtok_r(line, " \t\r\n", &save); t != NULL;
	     t = strtok_r(NULL, " \t\r\n", &save)) {
		if (ntok == (int)(sizeof(tok) / sizeof(tok[0]))) {
			FAIL("%s:%u: too many fields (at most one count per "
			     "class).",
			     st->path, st->line);
		}
		tok[ntok++] = t;
	}
	if (ntok == 0) {
		return 0;
	}
	if (!st->have_header) {
		if (ntok != 2 || strcmp(tok[0], "replyscan-words") != 0 ||
		    (strcmp(tok[1], "1") != 0 && strcmp(tok[1], "2") != 0)) {
			FAIL("%s:%u: the first line must be 'replyscan-words "
			     "1' or 'replyscan-words 2'.",
			     st->path, st->line);
		}
		m->version = tok[1][0] - '0';
		st->have_header = 1;
		return 0;
	}
	if (strcmp(tok[0], "alpha") == 0 && m->version != 1) {
		FAIL("%s:%u: alpha belongs to version 1 (naive Bayes) only.",
		     st->path, st->line);
	}
	if (strcmp(tok[0], "alpha") == 0 || strcmp(tok[0], "threshold") == 0 ||
	    strcmp(tok[0], "threshold_alone") == 0) {
		int is_alpha = tok[0][0] == 'a';
		int *have = is_alpha ? &st->have_alpha
		            : strcmp(tok[0], "threshold") == 0
		                ? &st->have_threshold
		                : &st->have_alone;
		double *v = is_alpha ? &m->alpha
		            : strcmp(tok[0], "threshold") == 0
		                ? &m->threshold
		                : &m->threshold_alone;

		if (*have) {
			FAIL("%s:%u: %s is given twice.", st->path, st->line,
			     tok[0]);
		}
		if (st->nfeat > 0 || m->nclasses > 0) {
			FAIL("%s:%u: %s must come before the class lines.",
			     st->path, st->line, tok[0]);
		}
		if (ntok != 2 ||
		    parse_double(tok[1], 0, is_alpha ? 10 : 1, v) != 0) {
			FAIL("%s:%u: %s must be a number above 0 and at most "
			     "%s.",
			     st->path, st->line, tok[0], is_alpha ? "10" : "1");
		}
		*have = 1;
		if (!is_alpha && st->have_threshold && st->have_alone &&
		    m->threshold_alone > m->threshold) {
			FAIL("%s:%u: threshold_alone (%g) must not be above "
			     "threshold (%g).",
			     st->path, st->line, m->threshold_alone,
			     m->threshold);
		}
		return 0;
	}
	if (strcmp(tok[0], "normalise") == 0) {
		return parse_normalise(st, m, tok, ntok);
	}
	if (strcmp(tok[0], "class") == 0) {
		return parse_class(st, m, tok, ntok);
	}
	if (strcmp(tok[0], "word") == 0) {
		return parse_word(st, m, tok, ntok);
	}
	FAIL("%s:%u: unknown key '%s' (expected alpha, threshold, "
	     "threshold_alone, normalise, class or word).",
	     st->path, st->line, tok[0]);
}

/* Hash every feature; -1 on a duplicate (named in errstr) or no memory. */
static int build_table(load_state_t *st, rs_words_t *m)
{
	m->nslots = 16;
	while (m->nslots < 2 * m->nfeatures) {
		m->nslots *= 2;
	}
	m->slots = calloc(m->nslots, sizeof(*m->slots));
	if (m->slots == NULL) {
		FAIL("%s: out of memory.", st->path);
	}
	for (size_t f = 0; f < m->nfeatures; f++) {
		const char *name = m->names + m->offset[f];
		size_t i;

		if (find(m, name, m->len[f]) >= 0) {
			FAIL("%s:%u: word '%s' is listed twice.", st->path,
			     st->lines[f], name);
		}
		i = (size_t)rs_hash_bytes(RS_HASH_SEED, name, m->len[f]) &
		    (m->nslots - 1);
		while (m->slots[i] != 0) {
			i = (i + 1) & (m->nslots - 1);
		}
		m->slots[i] = (uint32_t)(f + 1);
	}
	return 0;
}

/* Counts to log probabilities, with the file's smoothing, sparse; or
 * version 2's biases and weights as they are. */
static int build_probabilities(load_state_t *st, rs_words_t *m)
{
	double total[MAX_CLASSES] = {0};
	double docs = 0;
	size_t C = m->nclasses, e = 0;

	for (size_t f = 0; f < m->nfeatures; f++) {
		for (size_t c = 0; c < C; c++) {
			total[c] += st->counts[f * MAX_CLASSES + c];
			m->nentries += st->counts[f * MAX_CLASSES + c] != 0;
		}
	}
	m->first = malloc((m->nfeatures + 1) * sizeof(*m->first));
	if (m->nentries >= UINT32_MAX) {
		FAIL("%s: too many counts.", st->path);
	}
	m->eclass = malloc((m->nentries ? m->nentries : 1) * sizeof(uint8_t));
	m->edelta = malloc((m->nentries ? m->nentries : 1) * sizeof(float));
	if (m->first == NULL || m->eclass == NULL || m->edelta == NULL) {
		FAIL("%s: out of memory.", st->path);
	}
	for (size_t c = 0; c < C; c++) {
		docs += st->docs[c];
	}
	for (size_t c = 0; c < C && m->version == 1; c++) {
		m->prior[c] = log(st->docs[c] / docs);
		m->absent[c] = log(
		    m->alpha / (total[c] + m->alpha * (double)m->nfeatures));
	}
	for (size_t c = 0; c < C && m->version == 2; c++) {
		m->prior[c] = st->bias[c];
		m->absent[c] = 0;
	}
	for (size_t f = 0; f < m->nfeatures; f++) {
		m->first[f] = (uint32_t)e;
		for (size_t c = 0; c < C; c++) {
			double n = st->counts[f * MAX_CLASSES + c];
			if (n != 0) {
				m->eclass[e] = (uint8_t)c;
				m->edelta[e] =
				    m->version == 1
					? (float)log((n + m->alpha) / m->alpha)
					: (float)n;
				e++;
			}
		}
	}
	m->first[m->nfeatures] = (uint32_t)e;
	return 0;
}

#undef FAIL

int rs_words_load(const char *path, rs_words_t **out, char *errstr,
                  size_t errstr_size)
{
	load_state_t st;
	rs_words_t *m = NULL;
	FILE *fp;
	char *line = NULL;
	size_t cap = 0;
	int rc = -1;

	*out = NULL;
	memset(&st, 0, sizeof(st));
	st.path = path;
	st.errstr = errstr;
	st.errstr_size = errstr_size;
	fp = fopen(path, "r");
	if (fp == NULL) {
		if (errno == ENOENT) {
			return 0;
		}
		snprintf(errstr, errstr_size, "%s: %s.", path, strerror(errno));
		return -1;
	}
	m = calloc(1, sizeof(*m));
	if (m == NULL) {
		snprintf(errstr, errstr_size, "%s: out of memory.", path);
		goto done;
	}
	while (getline(&line, &cap, fp) >= 0) {
		st.line++;
		if (parse_line(&st, m, line) != 0) {
			goto done;
		}
	}
	if (ferror(fp)) {
		snprintf(errstr, errstr_size, "%s: read error.", path);
		goto done;
	}
	if (!st.have_header) {
		snprintf(errstr, errstr_size,
		         "%s:%u: the first line must be 'replyscan-words 1' or "
		         "'replyscan-words 2'.",
		         path, st.line + 1);
		goto done;
	}
	if ((m->version == 1 && !st.have_alpha) || !st.have_threshold ||
	    !st.have_alone || st.nfeat == 0) {
		snprintf(errstr, errstr_size,
		         "%s:%u: the file ends without %s.", path, st.line + 1,
		         m->version == 1 && !st.have_alpha ? "an alpha line"
		         : !st.have_threshold              ? "a threshold line"
		         : !st.have_alone ? "a threshold_alone line"
		                          : "word lines");
		goto done;
	}
	{
		/* Give back the growth slack. */
		char *p = realloc(st.names, st.names_len ? st.names_len : 1);
		if (p != NULL) {
			st.names = p;
		}
	}
	m->names = st.names;
	m->offset = st.offset;
	m->len = st.len;
	m->nfeatures = st.nfeat;
	st.names = NULL;
	st.offset = NULL;
	st.len = NULL;
	if (build_table(&st, m) != 0 || build_probabilities(&st, m) != 0) {
		goto done;
	}
	m->bytes = sizeof(*m) + st.names_len +
	           (2 * m->nfeatures + 1) * sizeof(uint32_t) + m->nfeatures +
	           m->nentries * (sizeof(uint8_t) + sizeof(float)) +
	           m->nslots * sizeof(uint32_t);
	*out = m;
	m = NULL;
	rc = 0;
done:
	free(line);
	fclose(fp);
	free(st.names);
	free(st.offset);
	free(st.len);
	free(st.lines);
	free(st.counts);
	rs_words_destroy(m);
	return rc;
}
