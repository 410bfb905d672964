/* SPDX-License-Identifier: Apache-2.0 */
/*
 * engine.c - counting events into scope windows and deciding postures
 * (engine.h).
 */
#include "posture/engine.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "event/taxonomy.h"
#include "posture/scopes.h"
#include "posture/site.h"
#include "util/hash.h"

/* A receiver host's site, cached per host name. */
typedef struct hostsite {
	uint32_t *site; /* [host id] -> site name id */
	size_t cap;
} hostsite_t;

struct rs_posture {
	const rs_policy_t *pol;
	rs_posture_emit_fn emit;
	void *ctx;
	rs_pnames_t *names; /* sending IPs/pools and sites */
	rs_pnames_t *hosts; /* receiver hosts and domains seen */
	hostsite_t hs;
	rs_pscopes_t *scopes;
	int64_t now;
	int64_t swept; /* bucket number of the last sweep */
	int64_t span_ms;
	rs_posture_stats_t st;
	pthread_mutex_t mu;
	char keybuf[600];
};

rs_posture_t *rs_posture_new(const rs_policy_t *policy, rs_posture_emit_fn emit,
                             void *ctx)
{
	rs_posture_t *e = calloc(1, sizeof(*e));

	if (e == NULL) {
		return NULL;
	}
	e->pol = policy;
	e->emit = emit;
	e->ctx = ctx;
	e->swept = -1;
	/* Any scope's ring still counts an event this far behind the
	 * clock (window.h: the coarse ring reaches back 51 to 60 widths). */
	e->span_ms = (RS_PW_SPAN - RS_PW_FOLD) * policy->bucket_ms;
	e->names = rs_pnames_new();
	e->hosts = rs_pnames_new();
	e->scopes = rs_pscopes_new(policy->max_scopes);
	pthread_mutex_init(&e->mu, NULL);
	if (e->names == NULL || e->hosts == NULL || e->scopes == NULL) {
		rs_posture_free(e);
		return NULL;
	}
	return e;
}

void rs_posture_free(rs_posture_t *e)
{
	if (e == NULL) {
		return;
	}
	rs_pnames_free(e->names);
	rs_pnames_free(e->hosts);
	rs_pscopes_free(e->scopes);
	free(e->hs.site);
	pthread_mutex_destroy(&e->mu);
	free(e);
}

void rs_posture_lock(rs_posture_t *e)
{
	pthread_mutex_lock(&e->mu);
}

void rs_posture_unlock(rs_posture_t *e)
{
	pthread_mutex_unlock(&e->mu);
}

int64_t rs_posture_now(const rs_posture_t *e)
{
	return e->now;
}

void rs_posture_stats(const rs_posture_t *e, rs_posture_stats_t *st)
{
	*st = e->st;
	st->scopes = rs_pscopes_count(e->scopes);
}

/* ---- matching ---- */

static int str_is(rs_str_t s, const char *lit)
{
	size_t n = strlen(lit);

	return s.n == n && (n == 0 || memcmp(s.p, lit, n) == 0);
}

static int rule_matches(const rs_prule_t *r, const rs_pevent_t *ev)
{
	if (r->classes != 0 && (ev->cause <= 0 || ev->cause >= 32 ||
	                        (r->classes & (1u << ev->cause)) == 0)) {
		return 0;
	}
	if (r->statuses != 0 && (ev->status <= 0 || ev->status >= 32 ||
	                         (r->statuses & (1u << ev->status)) == 0)) {
		return 0;
	}
	if (r->ntags > 0) {
		int any = 0;

		for (size_t i = 0; i < r->ntags && !any; i++) {
			for (size_t j = 0; j < ev->ntags && !any; j++) {
				any = str_is(ev->tags[j], r->tags[i]);
			}
		}
		if (!any) {
			return 0;
		}
	}
	if (r->ncodes > 0) {
		char basic[8];
		int any = 0;

		snprintf(basic, sizeof(basic), "%u", ev->reply_code);
		for (size_t i = 0; i < r->ncodes && !any; i++) {
			any = str_is(ev->enhanced_code, r->codes[i]) ||
			      (ev->reply_code != 0 &&
			       strcmp(basic, r->codes[i]) == 0);
		}
		if (!any) {
			return 0;
		}
	}
	return 1;
}

/* ---- names ---- */

static uint32_t site_of(rs_posture_t *e, rs_str_t host)
{
	uint32_t hid;
	char site[256];
	size_t n;

	if (host.n == 0) {
		host.p = "-";
		host.n = 1;
	}
	hid = rs_pnames_id(e->hosts, host.p, host.n);
	if (hid == 0) {
		return 0;
	}
	if (hid < e->hs.cap && e->hs.site[hid] != 0) {
		return e->hs.site[hid];
	}
	if (hid >= e->hs.cap) {
		size_t cap = 2 * hid + 64;
		uint32_t *s = realloc(e->hs.site, cap * sizeof(*s));

		if (s == NULL) {
			return 0;
		}
		memset(s + e->hs.cap, 0, (cap - e->hs.cap) * sizeof(*s));
		e->hs.site = s;
		e->hs.cap = cap;
	}
	n = rs_psites_rollup(e->pol->sites, host.p, host.n, site, sizeof(site));
	e->hs.site[hid] = rs_pnames_id(e->names, site, n);
	return e->hs.site[hid];
}

/* ---- decisions ---- */

static int level_of(uint64_t key)
{
	uint32_t snd = (uint32_t)(key >> 32), site = (uint32_t)key;

	if (snd == RS_PNAME_ANY) {
		return site == RS_PNAME_ANY ? RS_PLEVEL_FLEET : RS_PLEVEL_SITE;
	}
	return site == RS_PNAME_ANY ? RS_PLEVEL_IP : RS_PLEVEL_IP_SITE;
}

/* The decision for scope s as of bucket n, into *d (strings in e). */
static void describe(rs_posture_t *e, const rs_pscope_t *s, int64_t n,
                     Replyscan__V1__PostureDecision *d)
{
	uint32_t snd = (uint32_t)(s->key >> 32), site = (uint32_t)s->key;
	int level = level_of(s->key);
	const char *sn = rs_pnames_get(e->names, snd);
	const char *tn = rs_pnames_get(e->names, site);
	const rs_prule_t *r = s->rule ? &e->pol->rules[s->rule - 1] : NULL;
	rs_pw_bucket_t sum;

	replyscan__v1__posture_decision__init(d);
	switch (level) {
	case RS_PLEVEL_IP_SITE:
		snprintf(e->keybuf, sizeof(e->keybuf), "ip_site:%s@%s", sn, tn);
		break;
	case RS_PLEVEL_SITE:
		snprintf(e->keybuf, sizeof(e->keybuf), "site:%s", tn);
		break;
	case RS_PLEVEL_IP:
		snprintf(e->keybuf, sizeof(e->keybuf), "ip:%s", sn);
		break;
	default:
		snprintf(e->keybuf, sizeof(e->keybuf), "fleet");
		break;
	}
	d->scope = e->keybuf;
	d->level = (Replyscan__V1__ScopeLevel)level;
	d->sending = (char *)(snd == RS_PNAME_ANY ? "" : sn);
	d->site = (char *)(site == RS_PNAME_ANY ? "" : tn);
	d->posture = (Replyscan__V1__Posture)s->posture;
	d->rule_id = (char *)(r ? r->id : "");
	d->cause = (Replyscan__V1__Cause)s->cause;
	rs_pw_sum(&s->w, n, r ? r->window_buckets : 2, &sum);
	d->attempts = sum.attempts;
	d->failures = sum.failures;
	d->hits = r ? sum.hits[r->slot] : 0;
	d->rate = sum.attempts ? (double)d->hits / sum.attempts : 0;
	d->receivers = rs_pw_receivers(sum.sites);
	d->window_s =
	    (uint32_t)((r ? r->window_buckets : 2) * e->pol->bucket_ms / 1000);
	d->since_unix_ms = s->since_ms;
	d->until_unix_ms = s->rule ? s->until_ms : 0;
	d->suggested_rate_per_min = s->suggested;
	d->reply_text = s->reply ? s->reply : (char *)"";
	d->advice = (char *)(r && r->advice ? r->advice : "");
	d->decided_unix_ms = e->now;
}

static void publish(rs_posture_t *e, rs_pscope_t *s, int64_t n, int refresh)
{
	Replyscan__V1__PostureDecision d;

	if (refresh) {
		e->st.refreshes++;
	} else {
		e->st.decisions++;
	}
	s->published_until_ms = s->rule ? s->until_ms : 0;
	if (e->emit == NULL) {
		return;
	}
	describe(e, s, n, &d);
	d.refresh = refresh ? 1 : 0;
	e->emit(e->ctx, &d);
}

static void set_state(rs_posture_t *e, rs_pscope_t *s, int posture, int rule)
{
	if (s->posture < 4) {
		e->st.by_posture[s->posture]--;
	}
	s->posture = (uint8_t)posture;
	s->rule = (uint8_t)rule;
	e->st.by_posture[posture]++;
}

static void set_reply(rs_pscope_t *s, rs_str_t text)
{
	size_t n = text.n > 1024 ? 1024 : text.n;
	char *p;

	if (s->reply != NULL && strlen(s->reply) == n &&
	    (n == 0 || memcmp(s->reply, text.p, n) == 0)) {
		return;
	}
	p = realloc(s->reply, n + 1);
	if (p == NULL) {
		return; /* the old text stays: evidence, not state */
	}
	if (n > 0) {
		memcpy(p, text.p, n);
	}
	p[n] = '\0';
	s->reply = p;
}

/*
 * The shape of a reply text: a hash of its words where a word holding a
 * digit (an IP, a queue id, a counter) counts as one '#', so that one
 * receiver's replies that differ only in those are one text.
 */
static uint64_t reply_shape(rs_str_t t)
{
	uint64_t h = RS_HASH_SEED;
	size_t i = 0;

	while (i < t.n) {
		size_t j = i;
		int digit = 0;

		while (j < t.n && t.p[j] != ' ') {
			digit |= t.p[j] >= '0' && t.p[j] <= '9';
			j++;
		}
		h = digit ? rs_hash_bytes(h, "#", 1)
		          : rs_hash_bytes(h, t.p + i, j - i);
		h = rs_hash_bytes(h, " ", 1);
		i = j + 1;
	}
	return h;
}

/*
 * The reply text a decision shows: the most frequent shape among the
 * deciding rule's events since the posture began, by Misra-Gries with one
 * counter (exact whenever one shape is more than half of them), its
 * latest text. reset starts over (a new posture).
 */
static void vote_reply(rs_pscope_t *s, const rs_pevent_t *ev, int reset)
{
	uint64_t h = reply_shape(ev->reply_text);

	if (reset || s->reply_votes == 0) {
		s->reply_shape = h;
		s->reply_votes = 1;
	} else if (h == s->reply_shape) {
		s->reply_votes++;
	} else {
		s->reply_votes--;
		return;
	}
	s->cause = (uint8_t)ev->cause;
	set_reply(s, ev->reply_text);
}

/*
 * Messages per minute the scope had accepted over the rule's window, of
 * which the sum covered `widths` buckets (a long window's oldest coarse
 * bucket may be left out: window.h).
 */
static float accepted_rate(const rs_posture_t *e, const rs_prule_t *r,
                           const rs_pw_bucket_t *sum, int widths)
{
	double minutes = (double)widths * e->pol->bucket_ms / 60000;
	uint32_t ok = sum->attempts - sum->failures;

	if (ok == 0 || minutes <= 0) {
		return 0;
	}
	return (float)(ok / minutes * r->throttle_factor);
}

static void release(rs_posture_t *e, rs_pscope_t *s, int64_t n)
{
	set_state(e, s, RS_POSTURE_OBSERVE, 0);
	s->since_ms = e->now;
	s->until_ms = 0;
	s->suggested = 0;
	s->cause = 0;
	publish(e, s, n, 0);
	free(s->reply);
	s->reply = NULL;
	s->reply_votes = 0;
}

/*
 * Scope s enters rule `best`'s posture now (it fired with the window sum
 * *sum over `widths` buckets), and the decision is published.
 */
static void hand_over(rs_posture_t *e, rs_pscope_t *s, int64_t n, int best,
                      const rs_pw_bucket_t *sum, int widths)
{
	const rs_prule_t *r = &e->pol->rules[best];

	set_state(e, s, r->posture, best + 1);
	s->since_ms = e->now;
	s->until_ms = e->now + r->hold_ms;
	s->refresh_ms = e->now + e->pol->refresh_ms;
	s->suggested = r->posture == RS_POSTURE_THROTTLE
	                   ? accepted_rate(e, r, sum, widths)
	                   : 0;
	publish(e, s, n, 0);
}

/*
 * Evaluate the rules of scope s's level as of bucket n. ev (may be NULL in
 * a sweep) is the event just counted, mask the rules it matched.
 */
static void evaluate(rs_posture_t *e, rs_pscope_t *s, int64_t n,
                     const rs_pevent_t *ev, unsigned mask)
{
	int level = level_of(s->key), best = -1, best_widths = 0;
	const rs_policy_t *p = e->pol;
	rs_pw_bucket_t best_sum, sum;

	for (size_t i = 0; i < p->nrules; i++) {
		const rs_prule_t *r = &p->rules[i];
		double rate;
		int widths;

		if (r->level != level || r->slot < 0) {
			continue;
		}
		widths = rs_pw_sum(&s->w, n, r->window_buckets, &sum);
		rate =
		    sum.attempts ? (double)sum.hits[r->slot] / sum.attempts : 0;
		if (sum.hits[r->slot] >= r->min_hits && rate >= r->min_rate &&
		    rs_pw_receivers(sum.sites) >= r->min_receivers &&
		    (best < 0 || r->posture > p->rules[best].posture)) {
			best = (int)i;
			best_sum = sum;
			best_widths = widths;
		}
	}
	if (best >= 0) {
		const rs_prule_t *r = &p->rules[best];

		if (r->posture > s->posture ||
		    (s->rule == 0 && r->posture == s->posture)) {
			/* Enter, or escalate. */
			if (ev != NULL && (mask & (1u << best))) {
				vote_reply(s, ev, 1);
			}
			hand_over(e, s, n, best, &best_sum, best_widths);
			return;
		}
		if (s->rule == best + 1 && ev != NULL &&
		    (mask & (1u << best)) != 0) {
			/* Fired again by a new matching event: the hold runs
			 * from the last one (a sweep that finds the same old
			 * events in the window does not extend it). */
			s->until_ms = e->now + r->hold_ms;
			/* A restarted instance re-reads one window of events
			 * and takes the rest of a hold from the last published
			 * decision: publish again once the hold has moved on by
			 * more than a window, so that it is never short by more
			 * than one. */
			if (s->until_ms - s->published_until_ms >
			    r->window_buckets * p->bucket_ms) {
				s->refresh_ms = e->now + p->refresh_ms;
				publish(e, s, n, 1);
			}
		}
	}
	if (s->rule != 0 && ev != NULL && (mask & (1u << (s->rule - 1)))) {
		vote_reply(s, ev, 0);
	}
	if (s->rule != 0 && e->now >= s->until_ms) {
		const rs_prule_t *r = &p->rules[s->rule - 1];
		double rate;

		rs_pw_sum(&s->w, n, r->window_buckets, &sum);
		rate =
		    sum.attempts ? (double)sum.hits[r->slot] / sum.attempts : 0;
		if (sum.hits[r->slot] == 0 || rate < r->release_rate) {
			if (best >= 0) {
				/* Another rule of this level fires now (a
				 * 10-minute rule outlasting a 1-minute
				 * burst's): it takes over instead of a
				 * release and a re-entry at its next event;
				 * its next matching event votes the reply
				 * text anew. */
				s->reply_votes = 0;
				hand_over(e, s, n, best, &best_sum,
				          best_widths);
				return;
			}
			release(e, s, n);
		}
	}
}

static void sweep(rs_posture_t *e, int64_t n)
{
	size_t i = rs_pscopes_count(e->scopes);

	while (i-- > 0) {
		rs_pscope_t *s = rs_pscopes_at(e->scopes, i);

		if (s->rule != 0) {
			evaluate(e, s, n, NULL, 0);
		}
		if (s->rule != 0 && e->now >= s->refresh_ms) {
			s->refresh_ms = e->now + e->pol->refresh_ms;
			publish(e, s, n, 1);
		}
		if (s->rule == 0 && e->now - s->last_ms > e->pol->idle_ms) {
			e->st.by_posture[s->posture]--;
			rs_pscopes_remove_at(e->scopes, i);
			e->st.expired++;
		}
	}
	e->swept = n;
}

void rs_posture_tick(rs_posture_t *e, int64_t now_ms)
{
	int64_t n;

	if (now_ms > e->now) {
		e->now = now_ms;
	}
	n = e->now / e->pol->bucket_ms;
	if (n > e->swept) {
		sweep(e, n);
	}
}

static rs_pscope_t *scope_get(rs_posture_t *e, uint64_t key)
{
	int created;
	rs_pscope_t *s = rs_pscopes_get(e->scopes, key, &created);

	if (s == NULL) {
		e->st.table_full++;
	} else if (created) {
		e->st.by_posture[RS_POSTURE_OBSERVE]++;
	}
	return s;
}

void rs_posture_add(rs_posture_t *e, const rs_pevent_t *ev)
{
	int failure;
	unsigned mask = 0, slots = 0, levels = 0;
	uint32_t snd, site;
	uint64_t keys[4], site_bit = 0;
	int64_t n;
	rs_str_t sending = ev->sending;
	uint32_t weight = ev->count > 0 ? ev->count : 1;

	if (ev->status == RS_STATUS_FEEDBACK) {
		e->st.feedback++;
		return;
	}
	if (ev->t_ms <= 0) {
		e->st.no_time++;
		return;
	}
	if (ev->t_ms + e->span_ms <= e->now) {
		e->st.too_old++;
		return;
	}
	rs_posture_tick(e, ev->t_ms);
	n = ev->t_ms / e->pol->bucket_ms;
	failure = ev->status == RS_STATUS_DEFERRED ||
	          ev->status == RS_STATUS_BOUNCED ||
	          ev->status == RS_STATUS_EXPIRED;
	if (sending.n == 0) {
		sending.p = "-";
		sending.n = 1;
	}
	snd = rs_pnames_id(e->names, sending.p, sending.n);
	site = site_of(e, ev->remote_host.n ? ev->remote_host
	                                    : ev->recipient_domain);
	if (snd == 0 || site == 0) {
		e->st.table_full++;
		return;
	}
	if (failure) {
		for (size_t i = 0; i < e->pol->nrules; i++) {
			const rs_prule_t *r = &e->pol->rules[i];

			if (rule_matches(r, ev)) {
				mask |= 1u << i;
				e->st.rule_hits[i] += weight;
				if (r->slot >= 0) {
					slots |= 1u << r->slot;
					levels |= 1u << r->level;
				} else {
					e->st.hygiene++;
				}
			}
		}
		site_bit = 1ull << (rs_pnames_hash(e->names, site) & 63);
	}
	keys[0] = rs_pscope_key(snd, site);
	keys[1] = rs_pscope_key(RS_PNAME_ANY, site);
	keys[2] = rs_pscope_key(snd, RS_PNAME_ANY);
	keys[3] = rs_pscope_key(RS_PNAME_ANY, RS_PNAME_ANY);
	for (int k = 0; k < 4; k++) {
		rs_pscope_t *s = scope_get(e, keys[k]);
		rs_pw_bucket_t *b;

		if (s == NULL) {
			continue;
		}
		b = rs_pw_at(&s->w, n);
		if (b == NULL) {
			continue;
		}
		b->attempts += weight;
		if (failure) {
			b->failures += weight;
			b->sites |= mask ? site_bit : 0;
			for (unsigned m = slots, i = 0; m; m >>= 1, i++) {
				if (m & 1) {
					b->hits[i] += weight;
				}
			}
		}
		if (ev->t_ms > s->last_ms) {
			s->last_ms = ev->t_ms;
		}
		if ((levels & (1u << level_of(s->key))) != 0 ||
		    (s->rule != 0 && e->now >= s->until_ms)) {
			evaluate(e, s, n, ev, mask);
		}
	}
	e->st.events++;
}

int rs_posture_restore(rs_posture_t *e, const Replyscan__V1__PostureDecision *d)
{
	uint32_t snd = RS_PNAME_ANY, site = RS_PNAME_ANY;
	rs_pscope_t *s;
	int rule = 0, posture = (int)d->posture;

	for (size_t i = 0; i < e->pol->nrules; i++) {
		if (d->rule_id &&
		    strcmp(e->pol->rules[i].id, d->rule_id) == 0) {
			rule = (int)i + 1;
		}
	}
	if (posture < RS_POSTURE_OBSERVE || posture > RS_POSTURE_PAUSE ||
	    (rule == 0 && posture != RS_POSTURE_OBSERVE) ||
	    (rule == 0 && d->rule_id && d->rule_id[0])) {
		return -1;
	}
	if (d->sending && d->sending[0]) {
		snd = rs_pnames_id(e->names, d->sending, strlen(d->sending));
	}
	if (d->site && d->site[0]) {
		site = rs_pnames_id(e->names, d->site, strlen(d->site));
	}
	if (snd == 0 || site == 0) {
		return -1;
	}
	if (rule == 0) {
		/* A release: the scope is plain observe again. */
		s = rs_pscopes_find(e->scopes, rs_pscope_key(snd, site));
		if (s != NULL && s->rule != 0) {
			set_state(e, s, RS_POSTURE_OBSERVE, 0);
			free(s->reply);
			s->reply = NULL;
			s->reply_votes = 0;
		}
		return 0;
	}
	if ((s = scope_get(e, rs_pscope_key(snd, site))) == NULL) {
		return -1;
	}
	set_state(e, s, posture, rule);
	s->since_ms = d->since_unix_ms;
	s->until_ms = d->until_unix_ms;
	s->refresh_ms = d->decided_unix_ms + e->pol->refresh_ms;
	s->suggested = (float)d->suggested_rate_per_min;
	s->cause = (uint8_t)d->cause;
	s->last_ms = d->decided_unix_ms;
	if (d->reply_text && d->reply_text[0]) {
		rs_str_t t = {d->reply_text, strlen(d->reply_text)};

		set_reply(s, t);
		s->reply_shape = reply_shape(t);
		s->reply_votes = 1;
	}
	return 0;
}

void rs_posture_foreach(rs_posture_t *e, rs_posture_emit_fn fn, void *ctx)
{
	int64_t n = e->now / e->pol->bucket_ms;

	for (size_t i = 0; i < rs_pscopes_count(e->scopes); i++) {
		rs_pscope_t *s = rs_pscopes_at(e->scopes, i);
		Replyscan__V1__PostureDecision d;

		if (s->rule == 0) {
			continue;
		}
		describe(e, s, n, &d);
		fn(ctx, &d);
	}
}
