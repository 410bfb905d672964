/* SPDX-License-Identifier: Apache-2.0 */
/*
 * scopes.h - the posture engine's tables: names (sending IPs and pools,
 * receiver sites) interned to 32-bit ids, and the scope table, an
 * open-addressing hash (linear probing, load at most 1/2) from a scope key
 * to a dense array of scope records.
 *
 * A scope key is (sending id << 32 | site id); id 1 is "*", so the four
 * levels are (ip, site), (*, site), (ip, *) and (*, *). A record holds
 * the scope's window ring (window.h) and its posture; its size is
 * RS_PSCOPE_BYTES (record plus its share of the index), the bound that
 * the README states. Removing a record moves the last one into its place,
 * so the array stays dense and a sweep touches only live scopes.
 *
 * Names are never freed: they are sending IPs/pools and receiver sites,
 * a few thousand in a fleet; each costs its length plus 24 bytes.
 *
 * @locality one thread (the posture engine's).
 */
#ifndef RS_POSTURE_SCOPES_H
#define RS_POSTURE_SCOPES_H

#include <stddef.h>
#include <stdint.h>

#include "posture/window.h"

#define RS_PNAME_ANY 1u /* the id of "*" */

typedef struct rs_pnames rs_pnames_t;

rs_pnames_t *rs_pnames_new(void);
void rs_pnames_free(rs_pnames_t *t);
/* The id of name (interned on first sight); 0 on allocation failure. */
uint32_t rs_pnames_id(rs_pnames_t *t, const char *name, size_t len);
/* The id of name if interned, else 0 (nothing is added). */
uint32_t rs_pnames_lookup(const rs_pnames_t *t, const char *name, size_t len);
/* The name of id, NUL-terminated. */
const char *rs_pnames_get(const rs_pnames_t *t, uint32_t id);
/* The hash of id's name (for the receiver bitmap). */
uint64_t rs_pnames_hash(const rs_pnames_t *t, uint32_t id);
size_t rs_pnames_count(const rs_pnames_t *t);

typedef struct rs_pscope {
	uint64_t key;
	int64_t last_ms;    /* log time of the last event */
	int64_t since_ms;   /* posture entered */
	int64_t until_ms;   /* posture holds at least until */
	int64_t refresh_ms; /* next slow refresh of a non-observe posture */
	int64_t published_until_ms; /* until of the last decision published */
	char *reply;          /* a reply text of the deciding rule's majority */
	uint64_t reply_shape; /* ... shape (engine.c vote_reply) */
	uint32_t reply_votes; /* its Misra-Gries counter */
	float suggested;      /* throttle: messages per minute */
	uint8_t posture;      /* rs_pposture_t */
	uint8_t rule;         /* deciding rule index + 1; 0 none */
	uint8_t cause;        /* rs_cause_t of the latest hit of the rule */
	uint8_t pad;
	rs_pw_t w;
} rs_pscope_t;

/* Bytes per active scope: the record and two index slots (load <= 1/2). */
#define RS_PSCOPE_BYTES (sizeof(rs_pscope_t) + 2 * (sizeof(uint64_t) + 4))

typedef struct rs_pscopes rs_pscopes_t;

/* A table for at most max scopes. NULL on allocation failure. */
rs_pscopes_t *rs_pscopes_new(size_t max);
void rs_pscopes_free(rs_pscopes_t *t);

static inline uint64_t rs_pscope_key(uint32_t sending, uint32_t site)
{
	return ((uint64_t)sending << 32) | site;
}

/*
 * The scope of key, created (empty ring, observe) when absent. NULL when
 * the table holds max scopes already or memory ran out. *created tells.
 * The pointer stays valid until the next get or remove.
 */
rs_pscope_t *rs_pscopes_get(rs_pscopes_t *t, uint64_t key, int *created);

/* The scope of key, or NULL. */
rs_pscope_t *rs_pscopes_find(const rs_pscopes_t *t, uint64_t key);

/* Remove the scope at dense index i (the last one moves into i). */
void rs_pscopes_remove_at(rs_pscopes_t *t, size_t i);

size_t rs_pscopes_count(const rs_pscopes_t *t);
rs_pscope_t *rs_pscopes_at(rs_pscopes_t *t, size_t i);

#endif
