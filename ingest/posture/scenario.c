/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scenario.c - parse and run posture scenarios (scenario.h): compact
 * events lines merged into one stream by time, fed to a fresh engine, its
 * decisions compared with the expected ones as they come.
 */
#include "posture/scenario.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/taxonomy.h"

void rs_pscenario_init(rs_pscenario_t *sc)
{
	memset(sc, 0, sizeof(*sc));
}

static void free_events(rs_pscen_events_t *s)
{
	free(s->ip);
	free(s->mx);
	free(s->domain);
	free(s->code);
	free(s->text);
	for (size_t i = 0; i < s->ntags; i++) {
		free(s->tags[i]);
	}
}

void rs_pscenario_free(rs_pscenario_t *sc)
{
	if (sc == NULL) {
		return;
	}
	for (size_t i = 0; i < sc->nev; i++) {
		free_events(&sc->ev[i]);
	}
	for (size_t i = 0; i < sc->nexp; i++) {
		free(sc->exp[i].scope);
		free(sc->exp[i].rule);
	}
	free(sc->ev);
	free(sc->exp);
	rs_pscenario_init(sc);
}

/* Grow an array of n elements of size sz to hold one more; -1 on ENOMEM. */
static int grow(void **arr, size_t n, size_t *cap, size_t sz)
{
	void *p;
	size_t c;

	if (n < *cap) {
		return 0;
	}
	c = *cap ? 2 * *cap : 4;
	p = realloc(*arr, c * sz);
	if (p == NULL) {
		return -1;
	}
	*arr = p;
	*cap = c;
	return 0;
}

/* A number that must fill [p, p+n); -1 when it does not. */
static int number(const char *p, size_t n, double lo, double hi, double *out)
{
	char buf[32], *end;

	if (n == 0 || n >= sizeof(buf)) {
		return -1;
	}
	memcpy(buf, p, n);
	buf[n] = '\0';
	errno = 0;
	*out = strtod(buf, &end);
	if (*end != '\0' || errno != 0 || !(*out >= lo && *out <= hi)) {
		return -1;
	}
	return 0;
}

/* The next space-separated word of *p: its start and length; *p past it. */
static size_t word(const char **p, const char **start)
{
	const char *s = *p + strspn(*p, " \t");
	size_t n = strcspn(s, " \t");

	*start = s;
	*p = s + n;
	return n;
}

static int status_of(const char *v, size_t n)
{
	if (rs_str_eq(v, n, "sent")) {
		return RS_STATUS_SENT;
	}
	if (rs_str_eq(v, n, "deferred")) {
		return RS_STATUS_DEFERRED;
	}
	if (rs_str_eq(v, n, "bounced")) {
		return RS_STATUS_BOUNCED;
	}
	if (rs_str_eq(v, n, "expired")) {
		return RS_STATUS_EXPIRED;
	}
	return -1;
}

/* One key=value of an events line into s; -1 with a sentence in errstr. */
static int events_key(rs_pscen_events_t *s, const char *k, size_t kn,
                      const char *v, size_t vn, char *errstr,
                      size_t errstr_size)
{
	char **str = NULL;
	double d;

	if (rs_str_eq(k, kn, "ip")) {
		str = &s->ip;
	} else if (rs_str_eq(k, kn, "mx")) {
		str = &s->mx;
	} else if (rs_str_eq(k, kn, "domain")) {
		str = &s->domain;
	} else if (rs_str_eq(k, kn, "code")) {
		str = &s->code;
	} else if (rs_str_eq(k, kn, "text")) {
		str = &s->text;
	} else if (rs_str_eq(k, kn, "status")) {
		if ((s->status = status_of(v, vn)) < 0) {
			snprintf(errstr, errstr_size,
			         "status '%.*s' is not sent, deferred, bounced "
			         "or expired",
			         (int)vn, v);
			return -1;
		}
		return 0;
	} else if (rs_str_eq(k, kn, "class")) {
		if ((s->cause = rs_taxonomy_cause_parse(v, vn)) <= 0) {
			snprintf(errstr, errstr_size,
			         "unknown class '%.*s' (see TAXONOMY.md)",
			         (int)vn, v);
			return -1;
		}
		return 0;
	} else if (rs_str_eq(k, kn, "reply")) {
		if (number(v, vn, 200, 599, &d) != 0 || d != floor(d)) {
			snprintf(errstr, errstr_size,
			         "reply '%.*s' must be a basic reply code such "
			         "as 421",
			         (int)vn, v);
			return -1;
		}
		s->reply_code = (unsigned)d;
		return 0;
	} else if (rs_str_eq(k, kn, "count")) {
		if (number(v, vn, 1, 1e6, &d) != 0 || d != floor(d)) {
			snprintf(errstr, errstr_size,
			         "count '%.*s' must be a whole number from 1 "
			         "to 1000000",
			         (int)vn, v);
			return -1;
		}
		s->weight = (uint32_t)d;
		return 0;
	} else if (rs_str_eq(k, kn, "tags")) {
		const char *t = v, *end = v + vn;

		while (t < end) {
			const char *c = memchr(t, ',', (size_t)(end - t));
			const char *te = c ? c : end;

			if (s->ntags == RS_PSCENARIO_TAGS) {
				snprintf(errstr, errstr_size, "at most %d tags",
				         RS_PSCENARIO_TAGS);
				return -1;
			}
			s->tags[s->ntags] = strndup(t, (size_t)(te - t));
			if (s->tags[s->ntags] == NULL) {
				snprintf(errstr, errstr_size, "out of memory");
				return -1;
			}
			s->ntags++;
			t = te + 1;
		}
		return 0;
	} else {
		snprintf(errstr, errstr_size,
		         "unknown key '%.*s' (valid keys: ip, mx, domain, "
		         "status, class, code, reply, tags, count, text)",
		         (int)kn, k);
		return -1;
	}
	if (*str != NULL) {
		snprintf(errstr, errstr_size, "%.*s is given twice", (int)kn,
		         k);
		return -1;
	}
	if ((*str = strndup(v, vn)) == NULL) {
		snprintf(errstr, errstr_size, "out of memory");
		return -1;
	}
	return 0;
}

int rs_pscenario_add_events(rs_pscenario_t *sc, const char *line, char *errstr,
                            size_t errstr_size)
{
	rs_pscen_events_t *s;
	const char *p = line, *w;
	size_t n;
	double d;

	if (grow((void **)&sc->ev, sc->nev, &sc->cap_ev, sizeof(*sc->ev)) !=
	    0) {
		snprintf(errstr, errstr_size, "out of memory");
		return -1;
	}
	s = &sc->ev[sc->nev++];
	memset(s, 0, sizeof(*s));
	s->status = RS_STATUS_SENT;
	n = word(&p, &w);
	if (number(w, n, 0, 864000, &s->at) != 0) {
		snprintf(errstr, errstr_size,
		         "'%s': the events must start with AT xCOUNT every "
		         "SECS (AT seconds from 0 to 864000)",
		         line);
		return -1;
	}
	n = word(&p, &w);
	if (n < 2 || w[0] != 'x' || number(w + 1, n - 1, 1, 1e6, &d) != 0 ||
	    d != floor(d)) {
		snprintf(errstr, errstr_size,
		         "'%s': the events must start with AT xCOUNT every "
		         "SECS (COUNT a whole number from 1 to 1000000)",
		         line);
		return -1;
	}
	s->count = (uint32_t)d;
	n = word(&p, &w);
	if (!rs_str_eq(w, n, "every") ||
	    (n = word(&p, &w), number(w, n, 0, 86400, &s->every) != 0)) {
		snprintf(errstr, errstr_size,
		         "'%s': the events must start with AT xCOUNT every "
		         "SECS (SECS from 0 to 86400)",
		         line);
		return -1;
	}
	sc->total += s->count;
	if (sc->total > RS_PSCENARIO_MAX_EVENTS) {
		snprintf(errstr, errstr_size,
		         "'%s': more than %d events in the scenario", line,
		         RS_PSCENARIO_MAX_EVENTS);
		return -1;
	}
	for (;;) {
		const char *eq;

		p += strspn(p, " \t");
		if (*p == '\0') {
			break;
		}
		eq = strchr(p, '=');
		if (eq == NULL || eq == p || memchr(p, ' ', (size_t)(eq - p))) {
			snprintf(errstr, errstr_size,
			         "'%s': '%.*s' is not key=value", line,
			         (int)strcspn(p, " \t"), p);
			return -1;
		}
		if (rs_str_eq(p, (size_t)(eq - p), "text")) {
			n = strlen(eq + 1);
		} else {
			n = strcspn(eq + 1, " \t");
		}
		if (events_key(s, p, (size_t)(eq - p), eq + 1, n, errstr,
		               errstr_size) != 0) {
			return -1;
		}
		p = eq + 1 + n;
	}
	if (s->ip == NULL || (s->mx == NULL && s->domain == NULL)) {
		snprintf(errstr, errstr_size,
		         "'%s': the events need ip= and mx= or domain=", line);
		return -1;
	}
	return 0;
}

int rs_pscenario_add_expect(rs_pscenario_t *sc, const char *line,
                            unsigned lineno, char *errstr, size_t errstr_size)
{
	rs_pscen_expect_t *x;
	const char *p = line, *w;
	size_t n;
	double d;

	if (grow((void **)&sc->exp, sc->nexp, &sc->cap_exp, sizeof(*sc->exp)) !=
	    0) {
		snprintf(errstr, errstr_size, "out of memory");
		return -1;
	}
	x = &sc->exp[sc->nexp++];
	memset(x, 0, sizeof(*x));
	x->line = lineno;
	x->cause = -1;
	n = word(&p, &w);
	if (rs_str_eq(w, n, "*")) {
		x->at = -1;
	} else if (number(w, n, 0, 864000, &d) == 0 && d == floor(d)) {
		x->at = (long)d;
	} else {
		snprintf(errstr, errstr_size,
		         "'%s': a decision is AT SCOPE POSTURE RULE (AT whole "
		         "seconds, or *)",
		         line);
		return -1;
	}
	n = word(&p, &w);
	if (n == 0 || (x->scope = strndup(w, n)) == NULL) {
		goto shape;
	}
	n = word(&p, &w);
	x->posture = rs_str_eq(w, n, "observe")    ? RS_POSTURE_OBSERVE
	             : rs_str_eq(w, n, "throttle") ? RS_POSTURE_THROTTLE
	             : rs_str_eq(w, n, "pause")    ? RS_POSTURE_PAUSE
	                                           : RS_POSTURE_NONE;
	if (x->posture == RS_POSTURE_NONE) {
		snprintf(errstr, errstr_size,
		         "'%s': the posture must be observe, throttle or "
		         "pause",
		         line);
		return -1;
	}
	n = word(&p, &w);
	if (n == 0 || (x->rule = strndup(w, n)) == NULL) {
		goto shape;
	}
	while ((n = word(&p, &w)) > 0) {
		if (rs_str_starts(w, n, "class=")) {
			x->cause = rs_taxonomy_cause_parse(w + 6, n - 6);
			if (x->cause <= 0) {
				snprintf(errstr, errstr_size,
				         "'%s': unknown class '%.*s' (see "
				         "TAXONOMY.md)",
				         line, (int)n - 6, w + 6);
				return -1;
			}
		} else if (rs_str_starts(w, n, "rate=") &&
		           number(w + 5, n - 5, 0, 1e9, &x->rate) == 0) {
			x->has_rate = 1;
		} else {
			snprintf(errstr, errstr_size,
			         "'%s': '%.*s' is neither class=CLASS nor "
			         "rate=MESSAGES_PER_MINUTE",
			         line, (int)n, w);
			return -1;
		}
	}
	return 0;
shape:
	snprintf(errstr, errstr_size,
	         "'%s': a decision is AT SCOPE POSTURE RULE [class=C] "
	         "[rate=R]",
	         line);
	return -1;
}

int rs_pscenario_load_file(rs_pscenario_t *sc, const char *path, char *errstr,
                           size_t errstr_size)
{
	FILE *f = fopen(path, "r");
	char line[2048], err[512];
	unsigned lineno = 0;
	int rc = 0;

	if (f == NULL) {
		snprintf(errstr, errstr_size, "cannot open %s: %s", path,
		         strerror(errno));
		return -1;
	}
	while (rc == 0 && fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "events ", 7) == 0) {
			rc = rs_pscenario_add_events(sc, line + 7, err,
			                             sizeof(err));
		} else if (strncmp(line, "expect ", 7) == 0) {
			rc = rs_pscenario_add_expect(sc, line + 7, lineno, err,
			                             sizeof(err));
		} else if (line[strspn(line, " \t")] != '\0' &&
		           line[strspn(line, " \t")] != '#') {
			snprintf(err, sizeof(err),
			         "a line must start with 'events ', 'expect ' "
			         "or '#'");
			rc = -1;
		}
	}
	fclose(f);
	if (rc != 0) {
		snprintf(errstr, errstr_size, "%s:%u: %s", path, lineno, err);
	}
	return rc;
}

/* ---- running ---- */

typedef struct run {
	const rs_pscenario_t *sc;
	size_t k; /* decisions seen */
	int failed;
	size_t bad;
	char *msg;
	size_t msg_size;
} run_t;

/* A decision as the scenarios write it: "AT SCOPE POSTURE RULE". */
static void decision_line(const Replyscan__V1__PostureDecision *d, char *buf,
                          size_t size)
{
	snprintf(
	    buf, size, "%lld %s %s %s",
	    (long long)((d->decided_unix_ms - RS_PSCENARIO_BASE_MS) / 1000),
	    d->scope, rs_posture_name(d->posture),
	    d->rule_id[0] ? d->rule_id : "-");
}

static void expect_line(const rs_pscen_expect_t *x, char *buf, size_t size)
{
	char at[24];

	if (x->at < 0) {
		snprintf(at, sizeof(at), "*");
	} else {
		snprintf(at, sizeof(at), "%ld", x->at);
	}
	snprintf(buf, size, "%s %s %s %s", at, x->scope,
	         rs_posture_name(x->posture), x->rule);
}

static void on_decision(void *ctx, const Replyscan__V1__PostureDecision *d)
{
	run_t *r = ctx;
	const rs_pscen_expect_t *x;
	char got[400], want[400];
	size_t k;

	if (d->refresh) {
		return;
	}
	k = r->k++;
	if (r->failed) {
		return;
	}
	decision_line(d, got, sizeof(got));
	if (k >= r->sc->nexp) {
		snprintf(r->msg, r->msg_size,
		         "decision %zu is '%s', want nothing more", k + 1, got);
		r->failed = 1;
		r->bad = r->sc->nexp;
		return;
	}
	x = &r->sc->exp[k];
	expect_line(x, want, sizeof(want));
	if ((x->at >= 0 &&
	     (d->decided_unix_ms - RS_PSCENARIO_BASE_MS) / 1000 != x->at) ||
	    strcmp(d->scope, x->scope) != 0 || (int)d->posture != x->posture ||
	    strcmp(d->rule_id[0] ? d->rule_id : "-", x->rule) != 0) {
		snprintf(r->msg, r->msg_size, "decision %zu is '%s', want '%s'",
		         k + 1, got, want);
	} else if (x->cause >= 0 && (int)d->cause != x->cause) {
		snprintf(r->msg, r->msg_size,
		         "decision %zu '%s' is for class %s, want class %s",
		         k + 1, got,
		         rs_taxonomy_cause_name((rs_cause_t)d->cause),
		         rs_taxonomy_cause_name((rs_cause_t)x->cause));
	} else if (x->has_rate &&
	           fabs(d->suggested_rate_per_min - x->rate) > 0.05) {
		snprintf(r->msg, r->msg_size,
		         "decision %zu '%s' suggests %.2f messages a minute, "
		         "want %g",
		         k + 1, got, d->suggested_rate_per_min, x->rate);
	} else {
		return;
	}
	r->failed = 1;
	r->bad = k;
}

/* Fill ev with event i of line s at time t. */
static void make_event(const rs_pscen_events_t *s, double t, rs_pevent_t *ev)
{
	memset(ev, 0, sizeof(*ev));
	ev->t_ms = RS_PSCENARIO_BASE_MS + (int64_t)llround(t * 1000);
	ev->status = s->status;
	ev->cause = s->cause;
	ev->reply_code = s->reply_code;
	ev->count = s->weight;
	ev->sending = rs_str(s->ip, strlen(s->ip));
	if (s->mx != NULL) {
		ev->remote_host = rs_str(s->mx, strlen(s->mx));
	}
	if (s->domain != NULL) {
		ev->recipient_domain = rs_str(s->domain, strlen(s->domain));
	}
	if (s->code != NULL) {
		ev->enhanced_code = rs_str(s->code, strlen(s->code));
	}
	if (s->text != NULL) {
		ev->reply_text = rs_str(s->text, strlen(s->text));
	}
	for (size_t i = 0; i < s->ntags; i++) {
		ev->tags[i] = rs_str(s->tags[i], strlen(s->tags[i]));
	}
	ev->ntags = s->ntags;
}

int rs_pscenario_run(const rs_policy_t *p, const rs_pscenario_t *sc,
                     rs_pscen_result_t *res, char *msg, size_t msg_size)
{
	run_t r = {.sc = sc, .msg = msg, .msg_size = msg_size};
	uint32_t *next = calloc(sc->nev ? sc->nev : 1, sizeof(*next));
	rs_posture_t *e = rs_posture_new(p, on_decision, &r);

	if (next == NULL || e == NULL) {
		free(next);
		rs_posture_free(e);
		snprintf(msg, msg_size, "out of memory");
		return -1;
	}
	/* Merge the lines by time: the earliest next event, the first line
	 * among equal times. */
	for (;;) {
		size_t best = sc->nev;
		double bt = 0;
		rs_pevent_t ev;

		for (size_t i = 0; i < sc->nev; i++) {
			const rs_pscen_events_t *s = &sc->ev[i];
			double t = s->at + next[i] * s->every;

			if (next[i] < s->count && (best == sc->nev || t < bt)) {
				best = i;
				bt = t;
			}
		}
		if (best == sc->nev) {
			break;
		}
		make_event(&sc->ev[best], bt, &ev);
		next[best]++;
		rs_posture_add(e, &ev);
	}
	if (!r.failed && r.k < sc->nexp) {
		char want[400];

		expect_line(&sc->exp[r.k], want, sizeof(want));
		snprintf(msg, msg_size, "decision %zu is missing, want '%s'",
		         r.k + 1, want);
		r.failed = 1;
		r.bad = r.k;
	}
	if (res != NULL) {
		res->decisions = r.k;
		res->bad = r.failed ? r.bad : sc->nexp;
		rs_posture_stats(e, &res->st);
	}
	rs_posture_free(e);
	free(next);
	return r.failed ? 1 : 0;
}
