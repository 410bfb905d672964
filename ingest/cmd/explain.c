/* SPDX-License-Identifier: Apache-2.0 */
/*
 * cmd/explain.c - `replyscan explain "TEXT"`: what one SMTP reply (bare,
 * or in a whole MTA log line, read by its format's parser) means,
 * whether it is temporary, at which stage, which rule said so and what to
 * do about it; --json for scripts.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/buf.h"
#include "classify/paste.h"
#include "classify/words.h"
#include "formats/reply.h"
#include "cmd/cli.h"
#include "cmd/cmd.h"
#include "event/event.h"
#include "util/utf8.h"
#include "util/str.h"

static void usage(FILE *out)
{
	fprintf(
	    out,
	    "usage: replyscan explain [--json] [--rules DIR] [--mx HOST] "
	    "TEXT...\n"
	    "\n"
	    "Explain an SMTP reply as a user would paste it, e.g.\n"
	    "  replyscan explain \"421 4.7.0 Not allowed\"\n"
	    "  replyscan explain \"host mx.example[203.0.113.25] refused to "
	    "talk to me: 421 4.7.0 Not allowed\"\n"
	    "A whole MTA log line (Postfix, Exim, Sendmail, qmail, OpenSMTPD, "
	    "KumoMTA,\n"
	    "Haraka ...) is read by that format's parser, as `classify` reads "
	    "it: the\n"
	    "reply it extracts, its codes, the stage the log names and the MX "
	    "host are\n"
	    "classified, and the format and the extracted reply are shown "
	    "(JSON:\n"
	    "\"format\", \"extracted_reply\"). Any other text is read as a "
	    "bare reply.\n"
	    "Several TEXT arguments are explained one after the other; '-' "
	    "reads one\n"
	    "reply per line from stdin. The learned word evidence (the word "
	    "model of the\n"
	    "rules directory, words.model) is shown too: it is learned, not a "
	    "rule, and\n"
	    "decides only when no wording rule matched (JSON: the \"words\" "
	    "object,\n"
	    "with the normal form and the codes the classifier gave the word "
	    "step in its\n"
	    "\"text\", \"reply_code\" and \"enhanced_code\").\n"
	    "\n"
	    "  --json        one JSON object per reply\n"
	    "  --rules DIR   rules directory (default: the bundled rules)\n"
	    "  --mx HOST     the receiving MX host, to pick provider rules\n");
}

/* Why the verdict is what it is, in words. */
static const char *basis_words(rs_verdict_basis_t basis)
{
	switch (basis) {
	case RS_BASIS_RULE:
		return "the reply's wording";
	case RS_BASIS_ENHANCED:
		return "the enhanced status code";
	case RS_BASIS_STAGE:
		return "the reply code's class and the SMTP stage (no wording "
		       "or status code decided)";
	case RS_BASIS_BASIC:
		return "the basic reply code";
	case RS_BASIS_WORDS:
		return "learned word evidence (no wording rule matched; a "
		       "word model trained on labelled replies)";
	case RS_BASIS_NONE:
		break;
	}
	return "nothing: no rule and no status code explained it";
}

/* The word model's evidence in plain words: learned, not a rule. */
static void explain_words_text(const rs_verdict_t *v,
                               const rs_words_result_t *w, int have_model)
{
	const char *why;

	if (!have_model) {
		printf("words:       no word model in the rules directory\n");
		return;
	}
	if (w->known == 0) {
		printf("words:       no word the model knows\n");
		return;
	}
	if (v->basis == RS_BASIS_WORDS) {
		why = "which decided the class";
	} else if (v->basis == RS_BASIS_RULE) {
		why = "not consulted: a wording rule decided";
	} else if (v->words_known == 0) {
		why = "not consulted: a precise status code decided";
	} else {
		why = "below the thresholds: not used";
	}
	printf("words:       learned evidence (not a rule): %s with "
	       "posterior %.3f, %s\n",
	       rs_taxonomy_cause_name(w->cause), w->posterior, why);
	printf("top words:   ");
	for (size_t i = 0; i < w->ntop; i++) {
		printf("%s%s (%+.2f)", i ? ", " : "", w->top[i].feature,
		       w->top[i].weight);
	}
	printf("%s\n", w->ntop ? "" : "-");
}

/* Print one explanation in plain words. */
static void explain_text(const rs_record_t *rec, const rs_verdict_t *v,
                         const rs_words_result_t *w, int have_model,
                         const rs_format_t *fmt, const char *text, size_t len)
{
	int from_log = fmt != &rs_reply_format;
	const char *perm = rs_classify_permanence(
	    rec->reply_code, rec->enhanced_code.p, rec->enhanced_code.n);

	printf("reply:       %.*s\n", (int)len, text);
	if (from_log) {
		printf("format:      %s (a log line: its parser's reply is "
		       "what was classified, as the pipeline does)\n",
		       fmt->name);
		printf("extracted:   %.*s\n", (int)rec->reply_text.n,
		       rec->reply_text.p ? rec->reply_text.p : "");
	}
	printf("class:       %s\n", rs_taxonomy_cause_name(v->cause));
	printf("meaning:     %s\n", rs_taxonomy_cause_meaning(v->cause));
	if (strcmp(perm, "temporary") == 0) {
		printf("temporary:   yes - a 4xx reply; the sender should "
		       "retry later\n");
	} else if (strcmp(perm, "permanent") == 0) {
		printf("temporary:   no - a 5xx reply; retrying the same "
		       "message will fail again\n");
	} else {
		printf("temporary:   unknown - no SMTP reply code\n");
	}
	if (rec->stage != RS_STAGE_UNKNOWN) {
		printf("stage:       %s (%s)\n",
		       rs_taxonomy_stage_name(rec->stage),
		       from_log ? "from the log: the line names the command"
		                : "the text says so");
	} else if (v->stage_source == RS_STAGE_SOURCE_REPLY_WORDING) {
		printf("stage:       %s (inferred from the reply's wording; "
		       "the text does not name the command)\n",
		       rs_taxonomy_stage_name(v->stage_inferred));
	} else if (v->stage_source == RS_STAGE_SOURCE_ENHANCED_CODE) {
		printf("stage:       %s (inferred from the enhanced status "
		       "code; the text does not name the command)\n",
		       rs_taxonomy_stage_name(v->stage_inferred));
	} else if (v->stage_source == RS_STAGE_SOURCE_CLASS) {
		printf("stage:       %s (inferred from the class: %s is "
		       "refused there; neither the text nor the codes name the "
		       "command)\n",
		       rs_taxonomy_stage_name(v->stage_inferred),
		       rs_taxonomy_cause_name(v->cause));
	} else if (v->stage_source == RS_STAGE_SOURCE_REPLY_CODE) {
		printf("stage:       %s (inferred from the basic reply code, "
		       "given there in practice; neither the text nor the "
		       "class names the command)\n",
		       rs_taxonomy_stage_name(v->stage_inferred));
	} else {
		printf("stage:       unknown (the text does not say)\n");
	}
	if (rec->reply_code != 0) {
		printf("codes:       %u%s%.*s\n", rec->reply_code,
		       rec->enhanced_code.n ? " " : "",
		       (int)rec->enhanced_code.n,
		       rec->enhanced_code.p ? rec->enhanced_code.p : "");
	}
	printf("decided by:  %s\n", basis_words(v->basis));
	if (v->rule != NULL) {
		printf("rule:        %s (%s:%u)\n", rs_rule_id(v->rule),
		       rs_rule_file(v->rule), rs_rule_line(v->rule));
		if (rs_rule_description(v->rule)[0] != '\0') {
			printf("description: %s\n",
			       rs_rule_description(v->rule));
		}
	} else if (v->rule_id[0] != '\0') {
		printf("rule:        %s\n", v->rule_id);
	}
	for (size_t i = 0; i < v->nmatches; i++) {
		if (v->matches[i] == v->rule) {
			continue;
		}
		printf("also matched: %s (%s)\n", rs_rule_id(v->matches[i]),
		       rs_taxonomy_cause_name(rs_rule_cause(v->matches[i])));
	}
	if (v->ntags > 0) {
		printf("tags:        ");
		for (size_t i = 0; i < v->ntags; i++) {
			printf("%s%s", i ? ", " : "", v->tags[i]);
		}
		printf("\n");
	}
	explain_words_text(v, w, have_model);
	if (v->rule != NULL && rs_rule_advice(v->rule)[0] != '\0') {
		printf("advice:      %s\n", rs_rule_advice(v->rule));
	}
}

/* ,"key":"value" with the value cleaned to UTF-8. */
static void json_field(rs_buf_t *b, const char *key, const char *v, size_t n)
{
	char tmp[RS_EVENT_REPLY_MAX];
	int trunc;
	size_t m =
	    rs_utf8_clean(v ? v : "", v ? n : 0, tmp, sizeof(tmp), &trunc);

	rs_buf_puts(b, key);
	rs_utf8_json_string(b, tmp, m);
}

/* The codes the classifier gave the word step with the normal form. */
struct word_codes {
	uint32_t code;
	const char *enhanced; /* NULL: none */
	size_t enhanced_len;
};

/*
 * ,"words":{...}: the text the model read, the codes it read with it
 * (the classifier's: the parser's, completed by the normaliser's) and
 * its evidence.
 */
static void json_words(rs_buf_t *b, const rs_verdict_t *v,
                       const rs_words_result_t *w, int have_model,
                       const char *norm, size_t norm_len,
                       const struct word_codes *wc)
{
	const char *s;
	char num[32];

	rs_buf_puts(b, ",\"words\":{\"model\":");
	rs_buf_puts(b, have_model ? "true" : "false");
	json_field(b, ",\"text\":", norm, norm_len);
	rs_buf_puts(b, ",\"known\":");
	rs_buf_put_u64(b, w->known);
	s = w->known ? rs_taxonomy_cause_name(w->cause) : "";
	json_field(b, ",\"class\":", s, strlen(s));
	snprintf(num, sizeof(num), "%.4f", w->posterior);
	rs_buf_puts(b, ",\"posterior\":");
	rs_buf_puts(b, num);
	rs_buf_puts(b, ",\"decided\":");
	rs_buf_puts(b, v->basis == RS_BASIS_WORDS ? "true" : "false");
	rs_buf_puts(b, ",\"top\":[");
	for (size_t i = 0; i < w->ntop; i++) {
		rs_buf_puts(b, i ? ",{\"word\":" : "{\"word\":");
		rs_utf8_json_string(b, w->top[i].feature,
		                    strlen(w->top[i].feature));
		snprintf(num, sizeof(num), "%.3f", w->top[i].weight);
		rs_buf_puts(b, ",\"weight\":");
		rs_buf_puts(b, num);
		rs_buf_putc(b, '}');
	}
	rs_buf_putc(b, ']');
	rs_buf_puts(b, ",\"reply_code\":");
	rs_buf_put_u64(b, wc->code);
	json_field(b, ",\"enhanced_code\":", wc->enhanced,
	           wc->enhanced != NULL ? wc->enhanced_len : 0);
	rs_buf_putc(b, '}');
}

/* Print one explanation as a JSON object. */
static void explain_json(const rs_record_t *rec, const rs_verdict_t *v,
                         const rs_words_result_t *w, int have_model,
                         const char *norm, size_t norm_len,
                         const struct word_codes *wc, const rs_format_t *fmt,
                         const char *text, size_t len)
{
	rs_buf_t b = {0};
	const char *perm = rs_classify_permanence(
	    rec->reply_code, rec->enhanced_code.p, rec->enhanced_code.n);
	const char *s;

	json_field(&b, "{\"reply\":", text, len);
	json_field(&b, ",\"format\":", fmt->name, strlen(fmt->name));
	json_field(&b, ",\"extracted_reply\":", rec->reply_text.p,
	           rec->reply_text.n);
	s = rs_taxonomy_cause_name(v->cause);
	json_field(&b, ",\"cause\":", s, strlen(s));
	s = rs_taxonomy_cause_meaning(v->cause);
	json_field(&b, ",\"meaning\":", s, strlen(s));
	json_field(&b, ",\"permanence\":", perm, strlen(perm));
	s = rs_taxonomy_stage_name(rec->stage);
	json_field(&b, ",\"stage\":", s, strlen(s));
	s = rs_taxonomy_stage_name(v->stage_inferred);
	json_field(&b, ",\"stage_inferred\":", s, strlen(s));
	s = rs_taxonomy_stage_source_name(v->stage_source);
	json_field(&b, ",\"stage_source\":", s, strlen(s));
	rs_buf_puts(&b, ",\"reply_code\":");
	rs_buf_put_u64(&b, rec->reply_code);
	json_field(&b, ",\"enhanced_code\":", rec->enhanced_code.p,
	           rec->enhanced_code.n);
	json_field(&b, ",\"rule_id\":", v->rule_id, strlen(v->rule_id));
	s = basis_words(v->basis);
	json_field(&b, ",\"decided_by\":", s, strlen(s));
	s = v->rule ? rs_rule_description(v->rule) : "";
	json_field(&b, ",\"description\":", s, strlen(s));
	s = v->rule ? rs_rule_advice(v->rule) : "";
	json_field(&b, ",\"advice\":", s, strlen(s));
	rs_buf_puts(&b, ",\"also_matched\":[");
	for (size_t i = 0, k = 0; i < v->nmatches; i++) {
		if (v->matches[i] == v->rule) {
			continue;
		}
		if (k++ > 0) {
			rs_buf_putc(&b, ',');
		}
		s = rs_rule_id(v->matches[i]);
		rs_utf8_json_string(&b, s, strlen(s));
	}
	rs_buf_puts(&b, "],\"tags\":[");
	for (size_t i = 0; i < v->ntags; i++) {
		if (i > 0) {
			rs_buf_putc(&b, ',');
		}
		rs_utf8_json_string(&b, v->tags[i], strlen(v->tags[i]));
	}
	rs_buf_puts(&b, "]");
	json_words(&b, v, w, have_model, norm, norm_len, wc);
	rs_buf_puts(&b, "}\n");
	fwrite(b.data, 1, b.len, stdout);
	rs_buf_free(&b);
}

int rs_cmd_explain(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"json", no_argument, NULL, 'j'},
	    {"rules", required_argument, NULL, 'r'},
	    {"mx", required_argument, NULL, 'm'},
	    RS_CLI_OPTS_END,
	};
	const char *rules_dir = NULL;
	const char *mx = NULL;
	int json = 0, c, rc = RS_EXIT_OK, status, have_model;
	size_t shown = 0;
	rs_rules_t *rules;
	rs_rules_scratch_t *scratch;
	char err[512];
	static char arena[64 * 1024];
	rs_record_t rec = {0};

	optind = 1;
	while ((c = rs_cli_getopt(argc, argv, "jr:m:h", opts, usage, &status)) >
	       0) {
		switch (c) {
		case 'j':
			json = 1;
			break;
		case 'r':
			rules_dir = optarg;
			break;
		case 'm':
			mx = optarg;
			break;
		}
	}
	if (c == RS_CLI_STOP) {
		return status;
	}
	if (optind >= argc) {
		usage(stderr);
		return RS_EXIT_USAGE;
	}
	rules = rs_cli_load_rules(rules_dir);
	if (rules == NULL) {
		return RS_EXIT_USAGE;
	}
	scratch = rs_rules_scratch_new(rules, err, sizeof(err));
	if (scratch == NULL) {
		fprintf(stderr, "replyscan: %s\n", err);
		rs_rules_destroy(rules);
		return RS_EXIT_FAILURE;
	}
	rec.arena = arena;
	rec.arena_cap = sizeof(arena);
	have_model = rs_rules_words(rules) != NULL;
	for (int i = optind; i < argc && rc == RS_EXIT_OK; i++) {
		char *line = NULL;
		size_t cap = 0;
		ssize_t n;
		int from_stdin = strcmp(argv[i], "-") == 0;

		do {
			const char *text = argv[i];
			size_t len = strlen(argv[i]);
			rs_verdict_t v;
			rs_words_result_t w;
			const rs_format_t *fmt;
			const char *norm;
			size_t norm_len;
			struct word_codes wc;

			if (from_stdin) {
				n = getline(&line, &cap, stdin);
				if (n < 0) {
					break;
				}
				while (n > 0 && (line[n - 1] == '\n' ||
				                 line[n - 1] == '\r')) {
					n--;
				}
				text = line;
				len = (size_t)n;
			}
			if (rs_paste_classify(rules, scratch, text, len,
			                      RS_STAGE_UNSPECIFIED, mx, &rec,
			                      &v, &fmt) < 0) {
				fprintf(stderr,
				        "replyscan: classifier failed\n");
				rc = RS_EXIT_FAILURE;
				break;
			}
			norm = rs_rules_scratch_normal(scratch, &norm_len);
			/* The word step's evidence as the classifier had it:
			 * the codes it used, not only the parser's. */
			rs_rules_scratch_codes(scratch, &wc.code, &wc.enhanced,
			                       &wc.enhanced_len);
			rs_words_score(rs_rules_words(rules), norm, norm_len,
			               wc.code, wc.enhanced, wc.enhanced_len, 1,
			               &w);
			if (json) {
				explain_json(&rec, &v, &w, have_model, norm,
				             norm_len, &wc, fmt, text, len);
				shown++;
			} else {
				if (shown > 0) {
					printf("\n");
				}
				explain_text(&rec, &v, &w, have_model, fmt,
				             text, len);
				shown++;
			}
		} while (from_stdin);
		free(line);
	}
	rs_rules_scratch_destroy(scratch);
	rs_rules_destroy(rules);
	return rc;
}
