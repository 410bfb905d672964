/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config.c - the one setter of the configuration, and init, validation,
 * accessors and free; see config.h. The YAML loader (load.c) and the
 * command line reach the fields only through the steps here, so every
 * value is checked the same way wherever it comes from.
 *
 * Length (a little over 800 lines): the per-key checks that span several
 * keys (Kafka delivery guarantee, transaction timeouts) sit with the setter
 * they guard.
 *
 * Ownership: string fields point either at the table's default (a string
 * literal, never freed) or at a copy the config owns; a string is freed
 * only when it is not its key's default.
 */
#include "config/config_private.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "formats/format_opts.h"
#include "util/utf8.h"

/* ------------------------------------------------------------------ */
/* Fields                                                             */
/* ------------------------------------------------------------------ */

void *rs_config_field(rs_config_t *cfg, const rs_config_key_t *key)
{
	return (char *)cfg + key->offset;
}

const void *rs_config_cfield(const rs_config_t *cfg, const rs_config_key_t *key)
{
	return (const char *)cfg + key->offset;
}

/* Position of a key in the table (index into cfg->origins). */
static size_t key_index(const rs_config_key_t *key)
{
	return (size_t)(key - rs_config_keys);
}

/* Free a string field unless it points at the table's default. */
static void free_string(const rs_config_key_t *key, const char **p)
{
	if (*p != NULL && *p != key->def) {
		free((void *)*p);
	}
	*p = NULL;
}

/* Free a list and leave it empty. */
static void free_list(rs_config_list_t *l)
{
	for (size_t i = 0; i < l->n; i++) {
		free(l->v[i]);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/* Free a property list and leave it empty. */
static void free_props(rs_config_props_t *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free((void *)p->v[i].name);
		free((void *)p->v[i].value);
		free(p->origin[i]);
	}
	free(p->v);
	free(p->origin);
	p->v = NULL;
	p->origin = NULL;
	p->n = 0;
}

void rs_config_note_origin(rs_config_t *cfg, const rs_config_key_t *key,
                           const char *origin)
{
	size_t i = key_index(key);

	free(cfg->origins[i]);
	cfg->origins[i] = origin != NULL ? strdup(origin) : NULL;
}

void rs_config_key_error(char *errstr, size_t errstr_size, const char *origin,
                         const char *key, const char *why)
{
	if (origin != NULL && origin[0] != '\0') {
		snprintf(errstr, errstr_size, "%s: %s: %s", origin, key, why);
	} else {
		snprintf(errstr, errstr_size, "%s: %s", key, why);
	}
}

/* ------------------------------------------------------------------ */
/* Setting one key                                                    */
/* ------------------------------------------------------------------ */

/* A string key: length and check, then a copy (or the default again). */
static int set_string(rs_config_t *cfg, const rs_config_key_t *key,
                      const char *value, char *why, size_t why_size)
{
	const char **p = rs_config_field(cfg, key);
	char *copy;

	if (strlen(value) < (size_t)key->min) {
		snprintf(why, why_size, "must not be empty");
		return -1;
	}
	if (key->check != NULL && key->check->fn(value, why, why_size) != 0) {
		return -1;
	}
	if (key->def != NULL && strcmp(value, key->def) == 0) {
		free_string(key, p);
		*p = key->def;
		return 0;
	}
	copy = strdup(value);
	if (copy == NULL) {
		snprintf(why, why_size, "out of memory");
		return -1;
	}
	free_string(key, p);
	*p = copy;
	return 0;
}

int rs_config_set_scalar(rs_config_t *cfg, const rs_config_key_t *key,
                         const char *value, char *why, size_t why_size)
{
	char tmp[RS_CONFIG_SHOW_MAX + 4];
	char lo[32], hi[32], names[256];
	long long iv;
	double dv;
	int bv;

	switch (key->type) {
	case RS_CONFIG_STRING:
		return set_string(cfg, key, value, why, why_size);
	case RS_CONFIG_INT:
		if (rs_config_parse_int(value, &iv) == 0 &&
		    ((iv >= (long long)key->min && iv <= (long long)key->max) ||
		     (iv == 0 && key->zero != NULL))) {
			*(int *)rs_config_field(cfg, key) = (int)iv;
			return 0;
		}
		if (key->zero != NULL) {
			snprintf(why, why_size,
			         "%s is not an integer from %.0f to %.0f (or "
			         "0: %s)",
			         rs_config_show(value, tmp, sizeof(tmp)),
			         key->min, key->max, key->zero);
		} else {
			snprintf(why, why_size,
			         "%s is not an integer from %.0f to %.0f",
			         rs_config_show(value, tmp, sizeof(tmp)),
			         key->min, key->max);
		}
		return -1;
	case RS_CONFIG_SIZE:
		if (rs_config_parse_size(value, &dv) == 0 && dv >= key->min &&
		    dv <= key->max) {
			*(size_t *)rs_config_field(cfg, key) = (size_t)dv;
			return 0;
		}
		rs_config_format_size(key->min, lo, sizeof(lo));
		rs_config_format_size(key->max, hi, sizeof(hi));
		snprintf(why, why_size,
		         "%s is not a size from %s to %s (bytes, or a number "
		         "with KiB, MiB or GiB)",
		         rs_config_show(value, tmp, sizeof(tmp)), lo, hi);
		return -1;
	case RS_CONFIG_SECONDS:
		if (rs_config_parse_seconds(value, &dv) == 0 &&
		    ((dv >= key->min && dv <= key->max) ||
		     (dv == 0 && key->zero != NULL))) {
			*(double *)rs_config_field(cfg, key) = dv;
			return 0;
		}
		if (key->zero != NULL && key->min > 0) {
			snprintf(why, why_size,
			         "%s is not a duration from %g to %g seconds, "
			         "or 0: %s (e.g. 30, 1.5s, 500ms, 2m, 1h)",
			         rs_config_show(value, tmp, sizeof(tmp)),
			         key->min, key->max, key->zero);
		} else {
			snprintf(why, why_size,
			         "%s is not a duration from %g to %g seconds "
			         "(e.g. 30, 1.5s, 500ms, 2m, 1h)",
			         rs_config_show(value, tmp, sizeof(tmp)),
			         key->min, key->max);
		}
		return -1;
	case RS_CONFIG_BOOL:
		if (rs_config_parse_bool(value, &bv) == 0) {
			*(int *)rs_config_field(cfg, key) = bv;
			return 0;
		}
		/* A boolean with named values besides (include_sent:
		 * rollup). */
		for (const rs_config_enum_t *e = key->enums;
		     e != NULL && e->name != NULL; e++) {
			if (strcasecmp(value, e->name) == 0) {
				*(int *)rs_config_field(cfg, key) = e->value;
				return 0;
			}
		}
		if (key->enums != NULL) {
			rs_config_enum_names(key->enums, ", ", names,
			                     sizeof(names));
			snprintf(why, why_size,
			         "%s is not a boolean (true or false) nor %s",
			         rs_config_show(value, tmp, sizeof(tmp)),
			         names);
			return -1;
		}
		snprintf(why, why_size, "%s is not a boolean (true or false)",
		         rs_config_show(value, tmp, sizeof(tmp)));
		return -1;
	case RS_CONFIG_ENUM:
		for (const rs_config_enum_t *e = key->enums; e->name != NULL;
		     e++) {
			if (strcasecmp(value, e->name) == 0) {
				*(int *)rs_config_field(cfg, key) = e->value;
				return 0;
			}
		}
		rs_config_enum_names(key->enums, ", ", names, sizeof(names));
		snprintf(why, why_size, "%s is not one of %s",
		         rs_config_show(value, tmp, sizeof(tmp)), names);
		return -1;
	case RS_CONFIG_FORMAT: {
		const rs_format_t *fmt = rs_format_find(value, strlen(value));

		if (fmt != NULL) {
			*(const rs_format_t **)rs_config_field(cfg, key) = fmt;
			return 0;
		}
		snprintf(why, why_size, "%s is not one of %s",
		         rs_config_show(value, tmp, sizeof(tmp)),
		         rs_format_names(names, sizeof(names), ", "));
		return -1;
	}
	case RS_CONFIG_LIST:
	case RS_CONFIG_PROPS:
		break;
	}
	snprintf(why, why_size, "is not a single value");
	return -1;
}

int rs_config_set_list(rs_config_t *cfg, const rs_config_key_t *key,
                       char *const *values, size_t n, char *why,
                       size_t why_size)
{
	rs_config_list_t *l = rs_config_field(cfg, key);
	rs_config_list_t nl = {NULL, 0};

	for (size_t i = 0; i < n; i++) {
		if (key->check != NULL &&
		    key->check->fn(values[i], why, why_size) != 0) {
			return -1;
		}
	}
	if (n > 0) {
		nl.v = calloc(n, sizeof(*nl.v));
		if (nl.v == NULL) {
			goto oom;
		}
		for (; nl.n < n; nl.n++) {
			nl.v[nl.n] = strdup(values[nl.n]);
			if (nl.v[nl.n] == NULL) {
				goto oom;
			}
		}
	}
	free_list(l);
	*l = nl;
	return 0;
oom:
	free_list(&nl);
	snprintf(why, why_size, "out of memory");
	return -1;
}

int rs_config_set_list_text(rs_config_t *cfg, const rs_config_key_t *key,
                            const char *value, int append, char *why,
                            size_t why_size)
{
	const rs_config_list_t *have = rs_config_cfield(cfg, key);
	size_t keep = append ? have->n : 0;
	char *copy = strdup(value);
	char **items = NULL;
	size_t n = 0, commas = 0;
	int rc = -1;

	if (copy == NULL) {
		snprintf(why, why_size, "out of memory");
		return -1;
	}
	for (const char *p = copy; *p != '\0'; p++) {
		commas += *p == ',';
	}
	items = calloc(keep + commas + 1, sizeof(*items));
	if (items == NULL) {
		snprintf(why, why_size, "out of memory");
		goto out;
	}
	/* The names kept are copied again by rs_config_set_list before the
	 * old list is freed. */
	for (; n < keep; n++) {
		items[n] = have->v[n];
	}
	if (copy[0] != '\0') {
		char *save = copy;

		for (;;) {
			char *comma = strchr(save, ',');
			char *end;

			if (comma != NULL) {
				*comma = '\0';
			}
			while (*save == ' ') {
				save++;
			}
			end = save + strlen(save);
			while (end > save && end[-1] == ' ') {
				*--end = '\0';
			}
			items[n++] = save;
			if (comma == NULL) {
				break;
			}
			save = comma + 1;
		}
	}
	rc = rs_config_set_list(cfg, key, items, n, why, why_size);
out:
	free(items);
	free(copy);
	return rc;
}

int rs_config_set_prop(rs_config_t *cfg, const rs_config_key_t *key,
                       const char *name, const char *value, const char *origin,
                       char *why, size_t why_size)
{
	rs_config_props_t *p = rs_config_field(cfg, key);
	const char *reserved = rs_config_reserved(key->name, name);
	rs_kafka_prop_t *nv;
	char **no;
	char *n = NULL, *v = NULL, *o = NULL;

	if (reserved != NULL) {
		snprintf(why, why_size, "%s", reserved);
		return -1;
	}
	if (key->check != NULL && key->check->fn(name, why, why_size) != 0) {
		return -1;
	}
	v = strdup(value);
	o = origin != NULL ? strdup(origin) : NULL;
	if (v == NULL || (origin != NULL && o == NULL)) {
		goto oom;
	}
	for (size_t i = 0; i < p->n; i++) {
		if (strcmp(p->v[i].name, name) == 0) {
			free((void *)p->v[i].value);
			free(p->origin[i]);
			p->v[i].value = v;
			p->origin[i] = o;
			return 0;
		}
	}
	n = strdup(name);
	if (n == NULL) {
		goto oom;
	}
	/* One property at a time: files name a handful. */
	nv = realloc(p->v, (p->n + 1) * sizeof(*p->v));
	if (nv == NULL) {
		goto oom;
	}
	p->v = nv;
	no = realloc(p->origin, (p->n + 1) * sizeof(*p->origin));
	if (no == NULL) {
		goto oom;
	}
	p->origin = no;
	p->v[p->n].name = n;
	p->v[p->n].value = v;
	p->origin[p->n] = o;
	p->n++;
	return 0;
oom:
	free(n);
	free(v);
	free(o);
	snprintf(why, why_size, "out of memory");
	return -1;
}

/* ------------------------------------------------------------------ */
/* Public setters                                                     */
/* ------------------------------------------------------------------ */

void rs_config_init(rs_config_t *cfg)
{
	char why[256];

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < rs_config_nkeys; i++) {
		const rs_config_key_t *key = &rs_config_keys[i];

		if (key->type == RS_CONFIG_STRING) {
			*(const char **)rs_config_field(cfg, key) = key->def;
		} else if (key->def != NULL) {
			/* The table's defaults parse; test_config checks. */
			if (rs_config_set_scalar(cfg, key, key->def, why,
			                         sizeof(why)) != 0) {
				fprintf(stderr,
				        "replyscan: bug: %s default: %s\n",
				        key->name, why);
				abort();
			}
		}
	}
}

/* Is s valid UTF-8? A file holds only that (YAML is UTF-8 text), so a
 * value from the command line that is not could be used but never
 * printed back by --print-config as a file that loads. */
static int valid_utf8(const char *s)
{
	size_t n = strlen(s);

	for (size_t i = 0, l; i < n; i += l) {
		l = rs_utf8_seq_len((const unsigned char *)s + i, n - i);
		if (l == 0) {
			return 0;
		}
	}
	return 1;
}

/* rs_config_set and rs_config_append. */
static int set_key(rs_config_t *cfg, const char *name, const char *value,
                   int append, const char *origin, char *errstr,
                   size_t errstr_size)
{
	const rs_config_key_t *key;
	const char *prop;
	char why[512];
	int rc;

	if (value == NULL) {
		value = "";
	}
	if (!valid_utf8(name) || !valid_utf8(value)) {
		rs_config_key_error(errstr, errstr_size, origin,
		                    valid_utf8(name) ? name : "(key)",
		                    valid_utf8(name)
		                        ? "the value is not valid UTF-8 text"
		                        : "the key is not valid UTF-8 text");
		return -1;
	}
	/* A longer name could be set but not loaded from the file that
	 * --print-config writes. */
	if (strlen(name) >= RS_CONFIG_NAME_MAX) {
		snprintf(why, sizeof(why), "key too long (at most %d bytes)",
		         RS_CONFIG_NAME_MAX - 1);
		rs_config_key_error(errstr, errstr_size, origin, "(key)", why);
		return -1;
	}
	key = rs_config_key_find(name, &prop);
	if (key == NULL) {
		rs_config_unknown_key(name, why, sizeof(why));
		rs_config_key_error(errstr, errstr_size, origin, name, why);
		return -1;
	}
	switch (key->type) {
	case RS_CONFIG_PROPS:
		if (prop == NULL) {
			snprintf(why, sizeof(why), "expected %s.<name> (%s)",
			         key->name,
			         key->check != NULL ? key->check->allowed
			                            : "a librdkafka property");
			rc = -1;
		} else {
			rc = rs_config_set_prop(cfg, key, prop, value, origin,
			                        why, sizeof(why));
		}
		break;
	case RS_CONFIG_LIST:
		rc = rs_config_set_list_text(cfg, key, value, append, why,
		                             sizeof(why));
		break;
	default:
		rc = rs_config_set_scalar(cfg, key, value, why, sizeof(why));
		break;
	}
	if (rc != 0) {
		rs_config_key_error(errstr, errstr_size, origin, name, why);
		return -1;
	}
	if (key->type != RS_CONFIG_PROPS) {
		rs_config_note_origin(cfg, key, origin);
	}
	return 0;
}

int rs_config_set(rs_config_t *cfg, const char *name, const char *value,
                  const char *origin, char *errstr, size_t errstr_size)
{
	return set_key(cfg, name, value, 0, origin, errstr, errstr_size);
}

int rs_config_append(rs_config_t *cfg, const char *name, const char *value,
                     const char *origin, char *errstr, size_t errstr_size)
{
	return set_key(cfg, name, value, 1, origin, errstr, errstr_size);
}

unsigned rs_config_key_cmds(const char *name)
{
	const char *prop;
	const rs_config_key_t *key = rs_config_key_find(name, &prop);

	return key != NULL ? key->cmds : 0;
}

const char *rs_config_cmd_name(unsigned cmd)
{
	switch (cmd) {
	case RS_CONFIG_RUN:
		return "run";
	case RS_CONFIG_CLASSIFY:
		return "classify";
	default:
		return "?";
	}
}

const char *rs_config_origin(const rs_config_t *cfg, const char *name)
{
	const char *prop;
	const rs_config_key_t *key = rs_config_key_find(name, &prop);

	if (key == NULL) {
		return NULL;
	}
	if (prop != NULL) {
		const rs_config_props_t *p = rs_config_cfield(cfg, key);

		for (size_t i = 0; i < p->n; i++) {
			if (strcmp(p->v[i].name, prop) == 0) {
				return p->origin[i];
			}
		}
		return NULL;
	}
	return cfg->origins[key_index(key)];
}

/* ------------------------------------------------------------------ */
/* Validation and accessors                                           */
/* ------------------------------------------------------------------ */

/* "origin: key: why" with key's own origin. */
static int validate_error(const rs_config_t *cfg, char *errstr,
                          size_t errstr_size, const char *key, const char *fmt,
                          ...) __attribute__((format(printf, 5, 6)));

static int validate_error(const rs_config_t *cfg, char *errstr,
                          size_t errstr_size, const char *key, const char *fmt,
                          ...)
{
	char why[512];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, sizeof(why), fmt, ap);
	va_end(ap);
	rs_config_key_error(errstr, errstr_size, rs_config_origin(cfg, key),
	                    key, why);
	return -1;
}

/* A librdkafka property's value as set in props, or def. */
static const char *prop_value(const rs_config_props_t *props, const char *name,
                              const char *def)
{
	for (size_t i = 0; i < props->n; i++) {
		if (strcmp(props->v[i].name, name) == 0) {
			return props->v[i].value;
		}
	}
	return def;
}

/*
 * exactly_once: the transaction must outlive a message's delivery
 * timeout (librdkafka refuses otherwise) and the time it is kept open.
 */
static int validate_exactly_once(const rs_config_t *cfg, char *errstr,
                                 size_t errstr_size)
{
	const char *txn =
	    prop_value(&cfg->kafka.producer, "transaction.timeout.ms", "60000");
	const char *msg =
	    prop_value(&cfg->kafka.producer, "message.timeout.ms", "30000");
	char *end;
	long txn_ms = strtol(txn, &end, 10);

	if (*end != '\0' || txn_ms <= 0) {
		return validate_error(cfg, errstr, errstr_size,
		                      "kafka.delivery_guarantee",
		                      "kafka.producer.transaction.timeout.ms "
		                      "'%s' is not a number of milliseconds",
		                      txn);
	}
	if (strtol(msg, &end, 10) > txn_ms) {
		return validate_error(
		    cfg, errstr, errstr_size, "kafka.delivery_guarantee",
		    "exactly_once needs kafka.producer.message.timeout.ms "
		    "(%s) <= kafka.producer.transaction.timeout.ms (%ld)",
		    msg, txn_ms);
	}
	if (cfg->kafka.transaction_interval * 1000.0 * 2 > (double)txn_ms) {
		return validate_error(
		    cfg, errstr, errstr_size, "kafka.transaction_interval",
		    "%g s is more than half of "
		    "kafka.producer.transaction.timeout.ms (%ld ms): a "
		    "transaction could time out before it commits",
		    cfg->kafka.transaction_interval, txn_ms);
	}
	if (strcmp(
		prop_value(&cfg->kafka.producer, "enable.idempotence", "true"),
		"true") != 0) {
		return validate_error(cfg, errstr, errstr_size,
		                      "kafka.delivery_guarantee",
		                      "exactly_once needs "
		                      "kafka.producer.enable.idempotence true");
	}
	if (strcmp(prop_value(&cfg->kafka.consumer, "isolation.level",
	                      "read_committed"),
	           "read_committed") != 0) {
		return validate_error(
		    cfg, errstr, errstr_size, "kafka.delivery_guarantee",
		    "exactly_once needs kafka.consumer.isolation.level "
		    "read_committed (offsets committed in transactions are "
		    "read back stable only then)");
	}
	return 0;
}

/* Rules across keys; errors carry the origin of the key they name. */
int rs_config_validate(const rs_config_t *cfg, unsigned cmds, char *errstr,
                       size_t errstr_size)
{
	const rs_config_list_t *in = &cfg->kafka.input;
	const char *dl = cfg->kafka.dead_letter;

	/* Only run reads more than one key together. */
	if ((cmds & RS_CONFIG_RUN) == 0) {
		return 0;
	}
	if (in->n == 0) {
		return validate_error(cfg, errstr, errstr_size, "kafka.input",
		                      "required: name the topics of log lines "
		                      "to read");
	}
	for (size_t i = 0; i < in->n; i++) {
		if (strcmp(in->v[i], cfg->kafka.output) == 0) {
			return validate_error(
			    cfg, errstr, errstr_size, "kafka.output",
			    "%s is also an input topic; "
			    "replyscan would read its own events",
			    cfg->kafka.output);
		}
		if (strcmp(in->v[i], dl) == 0) {
			return validate_error(
			    cfg, errstr, errstr_size, "kafka.dead_letter",
			    "%s is also an input topic; "
			    "unreadable lines would come back "
			    "forever",
			    dl);
		}
	}
	if (cfg->pipeline.on_malformed == RS_CONFIG_MALFORMED_DEAD_LETTER &&
	    dl[0] == '\0') {
		return validate_error(cfg, errstr, errstr_size,
		                      "kafka.dead_letter",
		                      "required when pipeline.on_malformed is "
		                      "dead_letter");
	}
	if (dl[0] != '\0' && strcmp(dl, cfg->kafka.output) == 0) {
		return validate_error(
		    cfg, errstr, errstr_size, "kafka.dead_letter",
		    "%s is also kafka.output; raw lines would "
		    "mix with the events",
		    dl);
	}
	if (cfg->kafka.delivery_guarantee == RS_CONFIG_EXACTLY_ONCE) {
		return validate_exactly_once(cfg, errstr, errstr_size);
	}
	return 0;
}

/* A key the table has (the caller names one of its own). */
static const rs_config_key_t *key_of(const char *name)
{
	const char *prop;

	return rs_config_key_find(name, &prop);
}

unsigned rs_config_threads(const rs_config_t *cfg)
{
	/* One per online CPU, capped by the key's own range. */
	unsigned max = (unsigned)key_of("pipeline.threads")->max;
	long n;

	if (cfg->pipeline.threads > 0) {
		return (unsigned)cfg->pipeline.threads;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1) {
		return 1;
	}
	return (unsigned long)n > max ? max : (unsigned)n;
}

unsigned rs_config_queue_batches(const rs_config_t *cfg)
{
	unsigned max = (unsigned)key_of("pipeline.queue_batches")->max;
	unsigned n;

	if (cfg->pipeline.queue_batches > 0) {
		return (unsigned)cfg->pipeline.queue_batches;
	}
	n = rs_pipeline_default_slots(rs_config_threads(cfg));
	return n > max ? max : n;
}

const char *rs_config_compression_name(rs_config_compression_t c)
{
	const char *name =
	    rs_config_enum_name(key_of("kafka.compression")->enums, (int)c);
	return strcmp(name, "?") == 0 ? "none" : name;
}

void rs_config_free(rs_config_t *cfg)
{
	for (size_t i = 0; i < rs_config_nkeys; i++) {
		const rs_config_key_t *key = &rs_config_keys[i];

		switch (key->type) {
		case RS_CONFIG_STRING:
			free_string(key, rs_config_field(cfg, key));
			*(const char **)rs_config_field(cfg, key) = key->def;
			break;
		case RS_CONFIG_LIST:
			free_list(rs_config_field(cfg, key));
			break;
		case RS_CONFIG_PROPS:
			free_props(rs_config_field(cfg, key));
			break;
		default:
			break;
		}
		free(cfg->origins[i]);
		cfg->origins[i] = NULL;
	}
}

rs_format_opts_t *rs_config_format_opts(const rs_config_t *cfg, char *errstr,
                                        size_t errstr_size)
{
	rs_format_opts_t *opts = rs_format_opts_new();
	char why[512];

	if (opts == NULL) {
		snprintf(errstr, errstr_size, "out of memory");
		return NULL;
	}
	if (cfg->formats.pmta_fields[0] != '\0' &&
	    rs_format_opts_set_pmta_fields(opts, cfg->formats.pmta_fields, why,
	                                   sizeof(why)) != 0) {
		const char *o = rs_config_origin(cfg, "formats.pmta.fields");
		snprintf(errstr, errstr_size, "%s: %s", o ? o : "default", why);
		goto fail;
	}
	if (cfg->formats.json_message_field[0] != '\0' &&
	    rs_format_opts_set_json_message_field(
		opts, cfg->formats.json_message_field, why, sizeof(why)) != 0) {
		const char *o =
		    rs_config_origin(cfg, "formats.json.message_field");
		snprintf(errstr, errstr_size, "%s: %s", o ? o : "default", why);
		goto fail;
	}
	for (size_t i = 0; i < cfg->sources.n; i++) {
		const char *name = cfg->sources.v[i].name; /* format.key */
		const char *dot = strchr(name, '.');
		char format[64], ip[128], pool[256];
		const char *v = cfg->sources.v[i].value;
		int n;

		ip[0] = pool[0] = '\0';
		n = sscanf(v, "%127s %255s", ip, pool);
		if (dot == NULL || dot == name || dot[1] == '\0' ||
		    (size_t)(dot - name) >= sizeof(format) || n < 1) {
			snprintf(errstr, errstr_size,
			         "%s: sources.%s: expected "
			         "sources.<format>.<key>: \"IP [POOL]\"",
			         cfg->sources.origin[i], name);
			goto fail;
		}
		memcpy(format, name, (size_t)(dot - name));
		format[dot - name] = '\0';
		if (rs_format_opts_add_source(
			opts, format, dot + 1, strcmp(ip, "-") == 0 ? NULL : ip,
			n > 1 ? pool : NULL, why, sizeof(why)) != 0) {
			snprintf(errstr, errstr_size, "%s: %s",
			         cfg->sources.origin[i], why);
			goto fail;
		}
	}
	return opts;
fail:
	rs_format_opts_destroy(opts);
	return NULL;
}
