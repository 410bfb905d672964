/* SPDX-License-Identifier: Apache-2.0 */
/*
 * policy.h - the posture policy (posture/policy.yaml, format in
 * posture/README.md): the bucket width of the windows, the refresh and
 * idle times, the MX sites, and the rules that turn counts of matching
 * events into a posture for a scope.
 *
 * A rule matches an event when every condition it gives holds (classes,
 * tags, codes, statuses; each a list of alternatives). Each rule that
 * gives a posture counts its matches in its own slot of the scope windows
 * (at most RS_PW_SLOTS such rules; `posture: none` rules count no slot, so
 * a policy holds up to RS_PRULES_MAX rules). A rule fires for a scope of its
 * level when, over its window, hits >= min_hits, hits / attempts >= min_rate
 * and the failing receivers
 * >= min_receivers; the scope then holds the rule's posture at least
 * `hold` after the last firing, and leaves it only once the rate is below
 * release_rate (hysteresis: no flapping around one threshold). A rule may
 * carry examples, which loading runs through the engine (policy_examples.h).
 *
 * Ownership: rs_policy_free frees the policy and everything in it.
 */
#ifndef RS_POSTURE_POLICY_H
#define RS_POSTURE_POLICY_H

#include <stddef.h>
#include <stdint.h>

#include "posture/site.h"
#include "posture/window.h"

/* The proto's Posture values; NONE marks a rule that gives no sending
 * posture (recipient-level classes: a list-hygiene signal). */
typedef enum rs_pposture {
	RS_POSTURE_NONE = 0,
	RS_POSTURE_OBSERVE = 1,
	RS_POSTURE_THROTTLE = 2,
	RS_POSTURE_PAUSE = 3,
} rs_pposture_t;

/* The proto's ScopeLevel values. */
typedef enum rs_plevel {
	RS_PLEVEL_IP_SITE = 1,
	RS_PLEVEL_SITE = 2,
	RS_PLEVEL_IP = 3,
	RS_PLEVEL_FLEET = 4,
} rs_plevel_t;

#define RS_PRULES_MAX 16

/* A rule's example: an event stream and the decisions it must give
 * (policy_examples.h). */
typedef struct rs_pexample rs_pexample_t;

const char *rs_posture_name(int posture);
const char *rs_plevel_name(int level);

typedef struct rs_prule {
	char *id;
	unsigned line;
	uint32_t classes;  /* bit per rs_cause_t; 0: any */
	uint32_t statuses; /* bit per rs_status_t; 0: any failure */
	char **tags;       /* any of; none: no condition */
	size_t ntags;
	char **codes; /* enhanced ("4.7.28") or basic ("421") code */
	size_t ncodes;
	int level;          /* rs_plevel_t */
	int slot;           /* window slot; -1 for posture none */
	int window_buckets; /* window / bucket (rs_pw_window_ok) */
	uint32_t min_hits;
	double min_rate;
	double release_rate;
	unsigned min_receivers;
	int posture; /* rs_pposture_t */
	int64_t hold_ms;
	double throttle_factor;
	char *advice;
	rs_pexample_t *examples; /* none: NULL */
	size_t nexamples;
	unsigned examples_line; /* line of the examples key, 0 without */
} rs_prule_t;

typedef struct rs_policy {
	char *path;
	int64_t bucket_ms; /* fine width; coarse is RS_PW_FOLD of them */
	int64_t refresh_ms;
	int64_t idle_ms;
	size_t max_scopes;
	rs_prule_t rules[RS_PRULES_MAX];
	size_t nrules;
	rs_psites_t *sites;
} rs_policy_t;

/*
 * Read a policy file and run its rules' examples (policy_examples.h): NULL
 * with "file:line: sentence" in errstr when the file is malformed or an
 * example fails (the first failure).
 */
rs_policy_t *rs_policy_load(const char *path, char *errstr, size_t errstr_size);
/* The same from memory; name stands for the file in errors. */
rs_policy_t *rs_policy_load_buffer(const char *name, const char *data,
                                   size_t len, char *errstr,
                                   size_t errstr_size);
/*
 * Read a policy file without running the examples, so that a caller can
 * run them all and list every failure (`posture --check-policy`).
 */
rs_policy_t *rs_policy_read(const char *path, char *errstr, size_t errstr_size);
void rs_policy_free(rs_policy_t *p);

/* The longest rule window, in milliseconds. */
int64_t rs_policy_window_ms(const rs_policy_t *p);

/*
 * Parse a duration ("90s", "10m", "1h", "2d"; a bare number is seconds)
 * into milliseconds; -1 when malformed.
 */
int64_t rs_policy_duration(const char *s);

#endif
