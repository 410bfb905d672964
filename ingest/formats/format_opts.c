/* SPDX-License-Identifier: Apache-2.0 */
/*
 * format_opts.c - the options of the format parsers; see format_opts.h.
 *
 * The source map is an array of entries in insertion order, each with its
 * MTA and the kind of key ("TAG@HOST", "TAG", "HOST"). A lookup scans the
 * entries of one MTA three times at most; maps are tens of entries, and
 * the lookup runs once per event, so a hash table would buy nothing
 * measurable.
 */
#include "formats/format_opts.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/str.h"

/* Longest IP address text accepted (IPv6 with an embedded IPv4). */
#define IP_TEXT_MAX 45

/* "TAG@HOST", or a bare key that names a tag or a host. */
enum key_kind { KEY_TAG_HOST, KEY_BARE };

typedef struct source {
	rs_mta_t mta;
	enum key_kind kind;
	char *key; /* "TAG@HOST", "TAG" or "HOST" */
	size_t key_len;
	size_t at; /* KEY_TAG_HOST: offset of '@' */
	char *ip;  /* NULL when not given */
	char *pool;
} source_t;

struct rs_format_opts {
	rs_pmta_columns_t pmta_fields;
	int pmta_fields_set;
	char *json_message_field; /* NULL: the built-in names only */
	source_t *sources;
	size_t nsources, sources_cap;
};

rs_format_opts_t *rs_format_opts_new(void)
{
	return calloc(1, sizeof(rs_format_opts_t));
}

void rs_format_opts_destroy(rs_format_opts_t *opts)
{
	if (opts == NULL) {
		return;
	}
	for (size_t i = 0; i < opts->nsources; i++) {
		free(opts->sources[i].key);
		free(opts->sources[i].ip);
		free(opts->sources[i].pool);
	}
	free(opts->sources);
	free(opts->json_message_field);
	free(opts);
}

int rs_format_opts_set_json_message_field(rs_format_opts_t *opts,
                                          const char *name, char *errstr,
                                          size_t errstr_size)
{
	char *copy;

	if (name == NULL || name[0] == '\0') {
		snprintf(errstr, errstr_size,
		         "formats.json.message_field: the field name is empty");
		return -1;
	}
	if (strlen(name) > RS_FORMAT_OPTS_MAX_FIELD ||
	    strpbrk(name, "\"\\") != NULL) {
		snprintf(errstr, errstr_size,
		         "formats.json.message_field: \"%s\" is not a JSON "
		         "key as a log shipper writes it (at most %d bytes, "
		         "no quote or backslash)",
		         name, RS_FORMAT_OPTS_MAX_FIELD);
		return -1;
	}
	copy = strdup(name);
	if (copy == NULL) {
		snprintf(errstr, errstr_size, "out of memory");
		return -1;
	}
	free(opts->json_message_field);
	opts->json_message_field = copy;
	return 0;
}

const char *rs_format_opts_json_message_field(const rs_format_opts_t *opts)
{
	return opts != NULL ? opts->json_message_field : NULL;
}

int rs_format_opts_set_pmta_fields(rs_format_opts_t *opts, const char *list,
                                   char *errstr, size_t errstr_size)
{
	rs_pmta_columns_t cols;
	char err[256];

	if (list == NULL || list[0] == '\0') {
		snprintf(errstr, errstr_size,
		         "formats.pmta.fields: the column list is empty; give "
		         "the header of the accounting file, e.g. "
		         "\"type,timeLogged,orig,rcpt,dsnStatus,dsnDiag\"");
		return -1;
	}
	if (rs_pmta_columns_parse(list, strlen(list), 1, &cols, err,
	                          sizeof(err)) != 0) {
		snprintf(errstr, errstr_size, "formats.pmta.fields: %s", err);
		return -1;
	}
	opts->pmta_fields = cols;
	opts->pmta_fields_set = 1;
	return 0;
}

const rs_pmta_columns_t *
rs_format_opts_pmta_fields(const rs_format_opts_t *opts)
{
	return opts != NULL && opts->pmta_fields_set ? &opts->pmta_fields
	                                             : NULL;
}

/* Is s an IPv4 or IPv6 address? */
static int is_ip_text(const char *s)
{
	unsigned char addr[16];

	if (strlen(s) > IP_TEXT_MAX) {
		return 0;
	}
	return inet_pton(AF_INET, s, addr) == 1 ||
	       inet_pton(AF_INET6, s, addr) == 1;
}

/* A copy of s, or NULL for NULL / empty; *oom set when out of memory. */
static char *dup_opt(const char *s, int *oom)
{
	char *d;

	if (s == NULL || s[0] == '\0') {
		return NULL;
	}
	d = strdup(s);
	if (d == NULL) {
		*oom = 1;
	}
	return d;
}

int rs_format_opts_add_source(rs_format_opts_t *opts, const char *format,
                              const char *key, const char *ip, const char *pool,
                              char *errstr, size_t errstr_size)
{
	const rs_format_t *fmt =
	    format ? rs_format_find(format, strlen(format)) : NULL;
	int has_ip = ip != NULL && ip[0] != '\0';
	int has_pool = pool != NULL && pool[0] != '\0';
	const char *at;
	source_t *s;
	int oom = 0;

	if (fmt == NULL || fmt->mta == RS_MTA_UNSPECIFIED ||
	    fmt->mta == RS_MTA_REPLY) {
		char names[256];
		snprintf(errstr, errstr_size,
		         "sources.%s: unknown log format '%s' (%s)",
		         format ? format : "", format ? format : "",
		         rs_format_names(names, sizeof(names), ", "));
		return -1;
	}
	if (key == NULL || key[0] == '\0' || strchr(key, ' ') != NULL ||
	    strchr(key, '\t') != NULL) {
		snprintf(errstr, errstr_size,
		         "sources.%s: the key '%s' is not a syslog tag, a log "
		         "host or TAG@HOST (empty, or it has a space)",
		         fmt->name, key ? key : "");
		return -1;
	}
	at = strchr(key, '@');
	if (at != NULL &&
	    (at == key || at[1] == '\0' || strchr(at + 1, '@') != NULL)) {
		snprintf(errstr, errstr_size,
		         "sources.%s: the key '%s' is not TAG@HOST (one '@' "
		         "between a syslog tag and a log host)",
		         fmt->name, key);
		return -1;
	}
	if (!has_ip && !has_pool) {
		snprintf(errstr, errstr_size,
		         "sources.%s.%s: give a sending IP address, a pool or "
		         "both",
		         fmt->name, key);
		return -1;
	}
	if (has_ip && !is_ip_text(ip)) {
		snprintf(errstr, errstr_size,
		         "sources.%s.%s: '%s' is not an IPv4 or IPv6 address",
		         fmt->name, key, ip);
		return -1;
	}
	for (size_t i = 0; i < opts->nsources; i++) {
		if (opts->sources[i].mta == fmt->mta &&
		    strcmp(opts->sources[i].key, key) == 0) {
			snprintf(errstr, errstr_size,
			         "sources.%s: '%s' is given twice", fmt->name,
			         key);
			return -1;
		}
	}
	if (opts->nsources >= RS_FORMAT_OPTS_MAX_SOURCES) {
		snprintf(errstr, errstr_size,
		         "sources.%s: more than %d entries", fmt->name,
		         RS_FORMAT_OPTS_MAX_SOURCES);
		return -1;
	}
	if (opts->nsources == opts->sources_cap) {
		size_t ncap = opts->sources_cap ? opts->sources_cap * 2 : 16;
		source_t *n = realloc(opts->sources, ncap * sizeof(*n));
		if (n == NULL) {
			snprintf(errstr, errstr_size, "out of memory");
			return -1;
		}
		opts->sources = n;
		opts->sources_cap = ncap;
	}
	s = &opts->sources[opts->nsources];
	memset(s, 0, sizeof(*s));
	s->mta = fmt->mta;
	s->key = dup_opt(key, &oom);
	s->ip = dup_opt(ip, &oom);
	s->pool = dup_opt(pool, &oom);
	if (oom) {
		free(s->key);
		free(s->ip);
		free(s->pool);
		snprintf(errstr, errstr_size, "out of memory");
		return -1;
	}
	s->key_len = strlen(key);
	s->kind = at != NULL ? KEY_TAG_HOST : KEY_BARE;
	s->at = at != NULL ? (size_t)(at - key) : 0;
	opts->nsources++;
	return 0;
}

size_t rs_format_opts_source_count(const rs_format_opts_t *opts)
{
	return opts != NULL ? opts->nsources : 0;
}

/* Does entry s (of the right MTA) match tag/host in lookup round r? */
static int source_matches(const source_t *s, int round, rs_str_t tag,
                          rs_str_t host)
{
	switch (round) {
	case 0:
		return s->kind == KEY_TAG_HOST && tag.p != NULL &&
		       host.p != NULL && s->at == tag.n &&
		       memcmp(s->key, tag.p, tag.n) == 0 &&
		       s->key_len - s->at - 1 == host.n &&
		       memcmp(s->key + s->at + 1, host.p, host.n) == 0;
	case 1:
		return s->kind == KEY_BARE && tag.p != NULL &&
		       s->key_len == tag.n && memcmp(s->key, tag.p, tag.n) == 0;
	default:
		return s->kind == KEY_BARE && host.p != NULL &&
		       s->key_len == host.n &&
		       memcmp(s->key, host.p, host.n) == 0;
	}
}

int rs_format_opts_apply_source(const rs_format_opts_t *opts, rs_record_t *rec)
{
	if (opts == NULL || opts->nsources == 0 ||
	    (rec->sending_ip.n > 0 && rec->sending_pool.n > 0)) {
		return 0;
	}
	for (int round = 0; round < 3; round++) {
		for (size_t i = 0; i < opts->nsources; i++) {
			const source_t *s = &opts->sources[i];

			if (s->mta != rec->mta ||
			    !source_matches(s, round, rec->program,
			                    rec->log_host)) {
				continue;
			}
			if (rec->sending_ip.n == 0 && s->ip != NULL) {
				rec->sending_ip = rs_str(s->ip, strlen(s->ip));
			}
			if (rec->sending_pool.n == 0 && s->pool != NULL) {
				rec->sending_pool =
				    rs_str(s->pool, strlen(s->pool));
			}
			return 1;
		}
	}
	return 0;
}
