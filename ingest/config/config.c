/*
 * config.c - `replyscan run` configuration: one table of keys, a YAML
 * loader that flattens nested maps to dotted names, and a setter shared
 * by the file and the command line; see config.h.
 *
 * Ownership: string fields point either at the table's default (a string
 * literal, never freed) or at a copy the config owns; set_string frees
 * the old copy. Hazards: enum fields are written through int pointers, so
 * every enum stored here must have the size of an int (checked below);
 * YAML nesting is bounded so that a hostile file cannot exhaust the stack.
 */
#include "config/config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <yaml.h>

#define KIB ((double)1024)
#define MIB (KIB * 1024)
#define GIB (MIB * 1024)

#define CONFIG_MAX_DEPTH 16
#define CONFIG_SHOW_MAX 64 /* longest value quoted back in an error */

_Static_assert(sizeof(rs_key_t) == sizeof(int), "enum size");
_Static_assert(sizeof(rs_log_level_t) == sizeof(int), "enum size");
_Static_assert(sizeof(rs_log_format_t) == sizeof(int), "enum size");
_Static_assert(sizeof(rs_config_compression_t) == sizeof(int), "enum size");
_Static_assert(sizeof(rs_config_malformed_t) == sizeof(int), "enum size");

typedef enum config_type {
	CONFIG_STRING,
	CONFIG_LIST,    /* list of strings: a YAML sequence or "a,b" */
	CONFIG_INT,     /* int */
	CONFIG_SIZE,    /* size_t, bytes with an optional unit */
	CONFIG_SECONDS, /* double, seconds with an optional unit */
	CONFIG_BOOL,    /* int 0/1 */
	CONFIG_ENUM,    /* int, one of a list of names */
	CONFIG_PROPS,   /* librdkafka properties under this key */
	CONFIG_FORMAT,  /* const rs_format_t *, a name of formats/registry.c */
} config_type_t;

static const char *const type_names[] = {
    "string", "list of strings", "integer", "size", "seconds", "boolean",
    "enum",   "properties",      "format",
};

typedef struct config_enum {
	const char *name;
	int value;
} config_enum_t;

/* Checks a string value beyond its length; fills why on failure. */
typedef int (*config_check_fn)(const char *value, char *why, size_t why_size);

typedef struct config_opt {
	const char *name;
	config_type_t type;
	size_t offset;
	double min, max; /* numbers: range; strings: minimum length */
	const char *def; /* default as written in a file; NULL: none */
	const config_enum_t *enums; /* ENUM: {NULL, 0}-terminated */
	config_check_fn check;      /* STRING, LIST: each value */
	const char *zero;           /* INT, SECONDS: what 0 means (allowed) */
	const char *desc;
} config_opt_t;

/* ------------------------------------------------------------------ */
/* Value checks                                                       */
/* ------------------------------------------------------------------ */

/* Print value into buf for an error: quoted when empty, cut when long. */
static const char *show(const char *value, char *buf, size_t size)
{
	size_t n = strlen(value);

	if (n == 0) {
		snprintf(buf, size, "\"\"");
	} else if (n > CONFIG_SHOW_MAX) {
		snprintf(buf, size, "%.*s...", CONFIG_SHOW_MAX - 3, value);
	} else {
		snprintf(buf, size, "%s", value);
	}
	return buf;
}

/* A Kafka topic name: [A-Za-z0-9._-]{1,249}. */
static int check_topic(const char *value, char *why, size_t why_size)
{
	size_t n = strlen(value);
	char tmp[CONFIG_SHOW_MAX + 4];

	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)value[i];

		if (!isalnum(c) && c != '.' && c != '_' && c != '-') {
			n = 0;
			break;
		}
	}
	if (n == 0 || n > 249 || strcmp(value, ".") == 0 ||
	    strcmp(value, "..") == 0) {
		snprintf(why, why_size,
		         "%s is not a topic name (letters, digits, '.', '_' "
		         "and '-', at most 249)",
		         show(value, tmp, sizeof(tmp)));
		return -1;
	}
	return 0;
}

/* Like check_topic, but "" (no topic) is fine. */
static int check_topic_or_empty(const char *value, char *why, size_t why_size)
{
	return value[0] == '\0' ? 0 : check_topic(value, why, why_size);
}

/* "", or HOST:PORT / :PORT / [V6]:PORT with a port from 0 to 65535. */
static int check_listen(const char *value, char *why, size_t why_size)
{
	const char *colon = strrchr(value, ':');
	char tmp[CONFIG_SHOW_MAX + 4];
	char *end;
	long port;

	if (value[0] == '\0') {
		return 0;
	}
	if (colon != NULL && colon[1] != '\0' &&
	    isdigit((unsigned char)colon[1])) {
		errno = 0;
		port = strtol(colon + 1, &end, 10);
		if (errno == 0 && *end == '\0' && port >= 0 && port <= 65535 &&
		    strchr(value, ' ') == NULL) {
			return 0;
		}
	}
	snprintf(why, why_size,
	         "%s is not ADDR:PORT (e.g. 127.0.0.1:9464, or :9464 for "
	         "every address)",
	         show(value, tmp, sizeof(tmp)));
	return -1;
}

/* ------------------------------------------------------------------ */
/* The table                                                          */
/* ------------------------------------------------------------------ */

static const config_enum_t key_enums[] = {
    {"recipient_domain", RS_KEY_RECIPIENT_DOMAIN},
    {"log_host", RS_KEY_LOG_HOST},
    {"remote_host", RS_KEY_REMOTE_HOST},
    {"none", RS_KEY_NONE},
    {NULL, 0},
};

static const config_enum_t compression_enums[] = {
    {"none", RS_CONFIG_COMPRESSION_NONE},
    {"gzip", RS_CONFIG_COMPRESSION_GZIP},
    {"snappy", RS_CONFIG_COMPRESSION_SNAPPY},
    {"lz4", RS_CONFIG_COMPRESSION_LZ4},
    {"zstd", RS_CONFIG_COMPRESSION_ZSTD},
    {NULL, 0},
};

static const config_enum_t malformed_enums[] = {
    {"skip", RS_CONFIG_MALFORMED_SKIP},
    {"dead_letter", RS_CONFIG_MALFORMED_DEAD_LETTER},
    {NULL, 0},
};

static const config_enum_t level_enums[] = {
    {"debug", RS_LOG_DEBUG},
    {"info", RS_LOG_INFO},
    {"warn", RS_LOG_WARN},
    {"error", RS_LOG_ERROR},
    {NULL, 0},
};

static const config_enum_t log_format_enums[] = {
    {"logfmt", RS_LOG_LOGFMT},
    {"json", RS_LOG_JSON},
    {NULL, 0},
};

#define OFF(field) offsetof(rs_config_t, field)

/* {name, type, offset, min, max, default, enums, check, zero, meaning} */
static const config_opt_t config_opts[] = {
    {"kafka.brokers", CONFIG_STRING, OFF(kafka.brokers), 1, 0, "127.0.0.1:9092",
     NULL, NULL, NULL, "Bootstrap brokers, comma-separated HOST:PORT."},
    {"kafka.group", CONFIG_STRING, OFF(kafka.group), 1, 0, "replyscan", NULL,
     NULL, NULL,
     "Consumer group; the instances of one group share the input "
     "partitions."},
    {"kafka.input", CONFIG_LIST, OFF(kafka.input), 0, 0, NULL, NULL,
     check_topic, NULL,
     "Topics of MTA log lines to read (required): a list, or one name."},
    {"kafka.output", CONFIG_STRING, OFF(kafka.output), 1, 0, "deferral-events",
     NULL, check_topic, NULL, "Topic the deferral events are produced to."},
    {"kafka.dead_letter", CONFIG_STRING, OFF(kafka.dead_letter), 0, 0, "", NULL,
     check_topic_or_empty, NULL,
     "Topic for lines that cannot be read (see pipeline.on_malformed); "
     "empty: none."},
    {"kafka.key", CONFIG_ENUM, OFF(kafka.key), 0, 0, "recipient_domain",
     key_enums, NULL, NULL,
     "Field that keys each event, so that one domain's events stay in "
     "order in one partition."},
    {"kafka.compression", CONFIG_ENUM, OFF(kafka.compression), 0, 0, "lz4",
     compression_enums, NULL, NULL, "Compression of the produced batches."},
    {"kafka.consumer", CONFIG_PROPS, OFF(kafka.consumer), 0, 0, NULL, NULL,
     NULL, NULL,
     "librdkafka consumer properties, passed as they are "
     "(kafka.consumer.session.timeout.ms: 45000)."},
    {"kafka.producer", CONFIG_PROPS, OFF(kafka.producer), 0, 0, NULL, NULL,
     NULL, NULL,
     "librdkafka producer properties, passed as they are "
     "(kafka.producer.linger.ms: 50)."},
    {"pipeline.threads", CONFIG_INT, OFF(pipeline.threads), 1, 256, "0", NULL,
     NULL, "one per online CPU", "Worker threads that parse and classify."},
    {"pipeline.rules", CONFIG_STRING, OFF(pipeline.rules), 0, 0, "", NULL, NULL,
     NULL,
     "Directory of rule files; empty: the bundled rules. Reloaded on "
     "SIGHUP."},
    {"pipeline.input_format", CONFIG_FORMAT, OFF(pipeline.input_format), 0, 0,
     "auto", NULL, NULL, NULL,
     "Log format of the input lines; auto decides line by line."},
    {"pipeline.include_sent", CONFIG_BOOL, OFF(pipeline.include_sent), 0, 0,
     "false", NULL, NULL, NULL,
     "Also emit events for delivered (sent) messages."},
    {"pipeline.batch_bytes", CONFIG_SIZE, OFF(pipeline.batch_bytes), 4 * KIB,
     64 * MIB, "1MiB", NULL, NULL, NULL,
     "Input bytes gathered into one batch of work."},
    {"pipeline.queue_batches", CONFIG_INT, OFF(pipeline.queue_batches), 2, 1024,
     "0", NULL, NULL, "2 * threads + 2",
     "Batches in flight between reading and producing; bounds memory."},
    {"pipeline.max_line", CONFIG_SIZE, OFF(pipeline.max_line), KIB, 256 * MIB,
     "4MiB", NULL, NULL, NULL,
     "Longest line; longer ones are cut and counted malformed."},
    {"pipeline.on_malformed", CONFIG_ENUM, OFF(pipeline.on_malformed), 0, 0,
     "skip", malformed_enums, NULL, NULL,
     "What to do with a line that claims a format but cannot be read: "
     "count it (skip) or also produce it to kafka.dead_letter."},
    {"pipeline.exit_when_idle", CONFIG_SECONDS, OFF(pipeline.exit_when_idle), 0,
     604800, "0", NULL, NULL, "never",
     "End after this long without input (30, 1.5s, 500ms, 2m, 1h)."},
    {"metrics.listen", CONFIG_STRING, OFF(metrics.listen), 0, 0, "", NULL,
     check_listen, NULL,
     "ADDR:PORT of the Prometheus endpoint (/metrics, /healthz, /readyz); "
     ":PORT listens on every address; empty: off."},
    {"log.level", CONFIG_ENUM, OFF(log.level), 0, 0, "info", level_enums, NULL,
     NULL, "Lowest level of the daemon log."},
    {"log.format", CONFIG_ENUM, OFF(log.format), 0, 0, "logfmt",
     log_format_enums, NULL, NULL,
     "Daemon log lines as logfmt or as JSON objects."},
};

#define CONFIG_NOPTS (sizeof(config_opts) / sizeof(config_opts[0]))

_Static_assert(CONFIG_NOPTS <= RS_CONFIG_MAX_KEYS, "raise RS_CONFIG_MAX_KEYS");

/*
 * librdkafka properties that a key of ours sets, or that would break the
 * commit-after-write contract. section NULL: both sections.
 */
static const struct {
	const char *section;
	const char *name;
	const char *why;
} config_reserved[] = {
    {NULL, "bootstrap.servers", "set kafka.brokers instead"},
    {NULL, "metadata.broker.list", "set kafka.brokers instead"},
    {"kafka.consumer", "group.id", "set kafka.group instead"},
    {"kafka.consumer", "enable.auto.commit",
     "cannot be changed: replyscan commits offsets itself, once the "
     "events are written"},
    {"kafka.consumer", "enable.auto.offset.store",
     "cannot be changed: replyscan commits offsets itself, once the "
     "events are written"},
    {"kafka.producer", "compression.type", "set kafka.compression instead"},
    {"kafka.producer", "compression.codec", "set kafka.compression instead"},
};

/* ------------------------------------------------------------------ */
/* Parsing one value                                                  */
/* ------------------------------------------------------------------ */

/* Case-insensitive ASCII equality. */
static int eq_nocase(const char *a, const char *b)
{
	return strcasecmp(a, b) == 0;
}

/* A plain decimal integer, sign allowed, nothing around it. */
static int parse_int(const char *s, long long *out)
{
	const char *p = s;
	char *end;

	if (*p == '+' || *p == '-') {
		p++;
	}
	if (!isdigit((unsigned char)*p)) {
		return -1;
	}
	errno = 0;
	*out = strtoll(s, &end, 10);
	return errno == 0 && *end == '\0' ? 0 : -1;
}

/*
 * "123" or "12.5" at s; the length of the number, 0 if none. Stricter
 * than strtod: no sign, exponent, hex, inf or nan.
 */
static size_t scan_number(const char *s, double *out)
{
	size_t n = 0;
	char tmp[64];

	while (isdigit((unsigned char)s[n])) {
		n++;
	}
	if (n == 0) {
		return 0;
	}
	if (s[n] == '.' && isdigit((unsigned char)s[n + 1])) {
		n++;
		while (isdigit((unsigned char)s[n])) {
			n++;
		}
	}
	if (n >= sizeof(tmp)) {
		return 0;
	}
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	*out = strtod(tmp, NULL);
	return n;
}

/* Bytes: a number and an optional unit (B, KiB/K, MiB/M, GiB/G, KB...). */
static int parse_size(const char *s, double *out)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {
	    {"", 1},      {"b", 1},     {"k", KIB},   {"kib", KIB},
	    {"kb", 1000}, {"m", MIB},   {"mib", MIB}, {"mb", 1e6},
	    {"g", GIB},   {"gib", GIB}, {"gb", 1e9},
	};
	double v;
	size_t n = scan_number(s, &v);

	if (n == 0) {
		return -1;
	}
	s += n;
	while (*s == ' ') {
		s++;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (eq_nocase(s, units[i].unit)) {
			*out = floor(v * units[i].mult);
			return 0;
		}
	}
	return -1;
}

/* Seconds: a number and an optional unit (s, ms, m or min, h). */
static int parse_seconds(const char *s, double *out)
{
	static const struct {
		const char *unit;
		double mult;
	} units[] = {
	    {"", 1},   {"s", 1},    {"ms", 0.001},
	    {"m", 60}, {"min", 60}, {"h", 3600},
	};
	double v;
	size_t n = scan_number(s, &v);

	if (n == 0) {
		return -1;
	}
	s += n;
	while (*s == ' ') {
		s++;
	}
	for (size_t i = 0; i < sizeof(units) / sizeof(units[0]); i++) {
		if (strcmp(s, units[i].unit) == 0) {
			*out = v * units[i].mult;
			return 0;
		}
	}
	return -1;
}

/* YAML 1.1 booleans. */
static int parse_bool(const char *s, int *out)
{
	static const char *const yes[] = {"true", "yes", "on", "1"};
	static const char *const no[] = {"false", "no", "off", "0"};

	for (size_t i = 0; i < 4; i++) {
		if (eq_nocase(s, yes[i])) {
			*out = 1;
			return 0;
		}
		if (eq_nocase(s, no[i])) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

/* "1MiB", "4KiB", or plain bytes: the shortest exact form. */
static void format_size(double v, char *buf, size_t size)
{
	unsigned long long b = (unsigned long long)v;

	if (b != 0 && b % (1ULL << 30) == 0) {
		snprintf(buf, size, "%lluGiB", b >> 30);
	} else if (b != 0 && b % (1ULL << 20) == 0) {
		snprintf(buf, size, "%lluMiB", b >> 20);
	} else if (b != 0 && b % (1ULL << 10) == 0) {
		snprintf(buf, size, "%lluKiB", b >> 10);
	} else {
		snprintf(buf, size, "%llu", b);
	}
}

/* The allowed names of an enum, comma-separated, into buf. */
static void format_enum_names(const config_enum_t *e, char *buf, size_t size)
{
	size_t len = 0;

	buf[0] = '\0';
	for (; e->name != NULL && len < size; e++) {
		int r = snprintf(buf + len, size - len, "%s%s",
		                 len > 0 ? ", " : "", e->name);

		if (r < 0) {
			break;
		}
		len += (size_t)r;
	}
}

/* The name of an enum value, "?" when it has none. */
static const char *enum_name(const config_enum_t *e, int value)
{
	for (; e->name != NULL; e++) {
		if (e->value == value) {
			return e->name;
		}
	}
	return "?";
}

/* ------------------------------------------------------------------ */
/* Setting fields                                                     */
/* ------------------------------------------------------------------ */

/* The field of an option inside cfg. */
static void *field(rs_config_t *cfg, const config_opt_t *opt)
{
	return (char *)cfg + opt->offset;
}

/* The field of an option inside cfg (read-only). */
static const void *cfield(const rs_config_t *cfg, const config_opt_t *opt)
{
	return (const char *)cfg + opt->offset;
}

/* Position of an option in the table (index into cfg->origins). */
static size_t opt_index(const config_opt_t *opt)
{
	return (size_t)(opt - config_opts);
}

/* Free a string field unless it points at the table's default. */
static void free_string(const config_opt_t *opt, const char **p)
{
	if (*p != NULL && *p != opt->def) {
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

/* Remember where a key was set; failure only loses the note. */
static void note_origin(rs_config_t *cfg, const config_opt_t *opt,
                        const char *origin)
{
	size_t i = opt_index(opt);

	free(cfg->origins[i]);
	cfg->origins[i] = origin != NULL ? strdup(origin) : NULL;
}

/*
 * Set a scalar option from text. 0, or -1 with the reason (no key, no
 * origin) in why.
 */
static int opt_set_scalar(rs_config_t *cfg, const config_opt_t *opt,
                          const char *value, char *why, size_t why_size)
{
	char tmp[CONFIG_SHOW_MAX + 4];
	char lo[32], hi[32];
	long long iv;
	double dv;
	int bv;

	switch (opt->type) {
	case CONFIG_STRING: {
		const char **p = field(cfg, opt);
		char *copy;

		if (strlen(value) < (size_t)opt->min) {
			snprintf(why, why_size, "must not be empty");
			return -1;
		}
		if (opt->check != NULL &&
		    opt->check(value, why, why_size) != 0) {
			return -1;
		}
		if (opt->def != NULL && strcmp(value, opt->def) == 0) {
			free_string(opt, p);
			*p = opt->def;
			return 0;
		}
		copy = strdup(value);
		if (copy == NULL) {
			snprintf(why, why_size, "out of memory");
			return -1;
		}
		free_string(opt, p);
		*p = copy;
		return 0;
	}
	case CONFIG_INT:
		if (parse_int(value, &iv) == 0 &&
		    ((iv >= (long long)opt->min && iv <= (long long)opt->max) ||
		     (iv == 0 && opt->zero != NULL))) {
			*(int *)field(cfg, opt) = (int)iv;
			return 0;
		}
		if (opt->zero != NULL) {
			snprintf(
			    why, why_size,
			    "%s is not an integer from %.0f to %.0f (or 0: "
			    "%s)",
			    show(value, tmp, sizeof(tmp)), opt->min, opt->max,
			    opt->zero);
		} else {
			snprintf(why, why_size,
			         "%s is not an integer from %.0f to %.0f",
			         show(value, tmp, sizeof(tmp)), opt->min,
			         opt->max);
		}
		return -1;
	case CONFIG_SIZE:
		if (parse_size(value, &dv) == 0 && dv >= opt->min &&
		    dv <= opt->max) {
			*(size_t *)field(cfg, opt) = (size_t)dv;
			return 0;
		}
		format_size(opt->min, lo, sizeof(lo));
		format_size(opt->max, hi, sizeof(hi));
		snprintf(why, why_size,
		         "%s is not a size from %s to %s (bytes, or a number "
		         "with KiB, MiB or GiB)",
		         show(value, tmp, sizeof(tmp)), lo, hi);
		return -1;
	case CONFIG_SECONDS:
		if (parse_seconds(value, &dv) == 0 && dv >= opt->min &&
		    dv <= opt->max) {
			*(double *)field(cfg, opt) = dv;
			return 0;
		}
		snprintf(why, why_size,
		         "%s is not a duration from %g to %g seconds (e.g. 30, "
		         "1.5s, 500ms, 2m, 1h)",
		         show(value, tmp, sizeof(tmp)), opt->min, opt->max);
		return -1;
	case CONFIG_BOOL:
		if (parse_bool(value, &bv) == 0) {
			*(int *)field(cfg, opt) = bv;
			return 0;
		}
		snprintf(why, why_size, "%s is not a boolean (true or false)",
		         show(value, tmp, sizeof(tmp)));
		return -1;
	case CONFIG_ENUM: {
		char names[256];

		for (const config_enum_t *e = opt->enums; e->name != NULL;
		     e++) {
			if (eq_nocase(value, e->name)) {
				*(int *)field(cfg, opt) = e->value;
				return 0;
			}
		}
		format_enum_names(opt->enums, names, sizeof(names));
		snprintf(why, why_size, "%s is not one of %s",
		         show(value, tmp, sizeof(tmp)), names);
		return -1;
	}
	case CONFIG_FORMAT: {
		const rs_format_t *fmt = rs_format_find(value, strlen(value));
		char names[256];

		if (fmt != NULL) {
			*(const rs_format_t **)field(cfg, opt) = fmt;
			return 0;
		}
		snprintf(why, why_size, "%s is not one of %s",
		         show(value, tmp, sizeof(tmp)),
		         rs_format_names(names, sizeof(names), ", "));
		return -1;
	}
	case CONFIG_LIST:
	case CONFIG_PROPS:
		break;
	}
	snprintf(why, why_size, "is not a single value");
	return -1;
}

/* Replace a list option with n values (checked first). 0 or -1 + why. */
static int opt_set_list(rs_config_t *cfg, const config_opt_t *opt,
                        char *const *values, size_t n, char *why,
                        size_t why_size)
{
	rs_config_list_t *l = field(cfg, opt);
	rs_config_list_t nl = {NULL, 0};

	for (size_t i = 0; i < n; i++) {
		if (opt->check != NULL &&
		    opt->check(values[i], why, why_size) != 0) {
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

/* Set (or replace, keeping its place) a librdkafka property. */
static int opt_set_prop(rs_config_t *cfg, const config_opt_t *opt,
                        const char *name, const char *value, const char *origin,
                        char *why, size_t why_size)
{
	rs_config_props_t *p = field(cfg, opt);
	rs_kafka_prop_t *nv;
	char **no;
	char *n = NULL, *v = NULL, *o = NULL;

	for (size_t i = 0;
	     i < sizeof(config_reserved) / sizeof(config_reserved[0]); i++) {
		if ((config_reserved[i].section == NULL ||
		     strcmp(config_reserved[i].section, opt->name) == 0) &&
		    strcmp(config_reserved[i].name, name) == 0) {
			snprintf(why, why_size, "%s", config_reserved[i].why);
			return -1;
		}
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
/* Key lookup and hints                                               */
/* ------------------------------------------------------------------ */

/*
 * The option named key, or the PROPS option whose "name." starts key
 * (*prop then points at the property name; NULL for an exact match).
 */
static const config_opt_t *find_opt(const char *key, const char **prop)
{
	*prop = NULL;
	for (size_t i = 0; i < CONFIG_NOPTS; i++) {
		const config_opt_t *opt = &config_opts[i];
		size_t n = strlen(opt->name);

		if (strcmp(key, opt->name) == 0) {
			return opt;
		}
		if (opt->type == CONFIG_PROPS &&
		    strncmp(key, opt->name, n) == 0 && key[n] == '.' &&
		    key[n + 1] != '\0') {
			*prop = key + n + 1;
			return opt;
		}
	}
	return NULL;
}

/* Is key a section: "kafka", "pipeline", ... (a prefix of some key)? */
static int is_section(const char *key)
{
	size_t n = strlen(key);

	for (size_t i = 0; i < CONFIG_NOPTS; i++) {
		if (strncmp(config_opts[i].name, key, n) == 0 &&
		    config_opts[i].name[n] == '.') {
			return 1;
		}
	}
	return 0;
}

/* Levenshtein distance, ASCII case-insensitive, of short strings. */
static size_t edit_distance(const char *a, size_t an, const char *b, size_t bn)
{
	size_t row[96];

	if (bn >= sizeof(row) / sizeof(row[0])) {
		return SIZE_MAX;
	}
	for (size_t j = 0; j <= bn; j++) {
		row[j] = j;
	}
	for (size_t i = 1; i <= an; i++) {
		size_t diag = row[0];

		row[0] = i;
		for (size_t j = 1; j <= bn; j++) {
			size_t up = row[j];
			size_t cost = tolower((unsigned char)a[i - 1]) ==
			                      tolower((unsigned char)b[j - 1])
			                  ? 0
			                  : 1;
			size_t best = diag + cost;

			if (up + 1 < best) {
				best = up + 1;
			}
			if (row[j - 1] + 1 < best) {
				best = row[j - 1] + 1;
			}
			row[j] = best;
			diag = up;
		}
	}
	return row[bn];
}

/* The part after the last dot. */
static const char *last_part(const char *s)
{
	const char *dot = strrchr(s, '.');

	return dot != NULL ? dot + 1 : s;
}

/* Candidate c for a mistyped key: keep it in hint if it scores best. */
static void consider(const char *c, const char *rest, size_t score,
                     size_t *best, char *hint, size_t size)
{
	if (score < *best) {
		*best = score;
		snprintf(hint, size, "%s%s", c, rest);
	}
}

/*
 * The valid key closest to a mistyped one, into hint ("" when nothing is
 * close): by edit distance of the whole name, of its last part ("threads"
 * for pipeline.threads), or of a property section ("kafka.consumers.x").
 */
static void closest_key(const char *key, char *hint, size_t size)
{
	size_t kn = strlen(key);
	size_t best = SIZE_MAX;

	hint[0] = '\0';
	for (size_t i = 0; i < CONFIG_NOPTS; i++) {
		const config_opt_t *opt = &config_opts[i];
		const char *c = opt->name;
		size_t cn = strlen(c);
		const char *kl = last_part(key);
		const char *cl = last_part(c);
		size_t d;

		d = edit_distance(key, kn, c, cn);
		consider(c, "", d, &best, hint, size);
		d = edit_distance(kl, strlen(kl), cl, strlen(cl));
		if (d != SIZE_MAX) {
			consider(c, "", d + 1, &best, hint, size);
		}
		if (opt->type == CONFIG_PROPS) {
			/* Compare key's first parts with the section name. */
			const char *dot = key;

			for (size_t parts = 0; parts < 2 && dot != NULL;
			     parts++) {
				dot = strchr(dot + (parts > 0), '.');
			}
			if (dot != NULL && dot[1] != '\0') {
				d = edit_distance(key, (size_t)(dot - key), c,
				                  cn);
				consider(c, dot, d, &best, hint, size);
			}
		}
	}
	/* Sections as hints for a mistyped section with a map under it. */
	if (best > 0) {
		static const char *const sections[] = {"kafka", "pipeline",
		                                       "metrics", "log"};

		for (size_t i = 0; i < 4; i++) {
			consider(sections[i], "",
			         edit_distance(key, kn, sections[i],
			                       strlen(sections[i])),
			         &best, hint, size);
		}
	}
	if (best == SIZE_MAX || (best > 2 && best * 3 > kn)) {
		hint[0] = '\0';
	}
}

/* "unknown key (did you mean X?)" into why. */
static void unknown_key(const char *key, char *why, size_t why_size)
{
	char hint[128];

	closest_key(key, hint, sizeof(hint));
	if (hint[0] != '\0') {
		snprintf(why, why_size, "unknown key (did you mean %s?)", hint);
	} else {
		snprintf(why, why_size,
		         "unknown key (the sections are kafka, pipeline, "
		         "metrics and log)");
	}
}

/* "origin: key: why" into errstr. */
static void key_error(char *errstr, size_t errstr_size, const char *origin,
                      const char *key, const char *why)
{
	if (origin != NULL && origin[0] != '\0') {
		snprintf(errstr, errstr_size, "%s: %s: %s", origin, key, why);
	} else {
		snprintf(errstr, errstr_size, "%s: %s", key, why);
	}
}

/* ------------------------------------------------------------------ */
/* Public setters                                                     */
/* ------------------------------------------------------------------ */

void rs_config_init(rs_config_t *cfg)
{
	char why[256];

	memset(cfg, 0, sizeof(*cfg));
	for (size_t i = 0; i < CONFIG_NOPTS; i++) {
		const config_opt_t *opt = &config_opts[i];

		if (opt->type == CONFIG_STRING) {
			*(const char **)field(cfg, opt) = opt->def;
		} else if (opt->def != NULL) {
			/* The table's defaults parse; test_config checks. */
			if (opt_set_scalar(cfg, opt, opt->def, why,
			                   sizeof(why)) != 0) {
				fprintf(stderr,
				        "replyscan: bug: %s default: %s\n",
				        opt->name, why);
				abort();
			}
		}
	}
}

/* Split "a, b,c" on commas into a list option. */
static int set_list_text(rs_config_t *cfg, const config_opt_t *opt,
                         const char *value, char *why, size_t why_size)
{
	char *copy = strdup(value);
	char **items = NULL;
	size_t n = 0;
	int rc = -1;

	if (copy == NULL) {
		snprintf(why, why_size, "out of memory");
		return -1;
	}
	if (copy[0] != '\0') {
		size_t commas = 0;
		char *save = copy;

		for (const char *p = copy; *p != '\0'; p++) {
			commas += *p == ',';
		}
		items = calloc(commas + 1, sizeof(*items));
		if (items == NULL) {
			snprintf(why, why_size, "out of memory");
			goto out;
		}
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
	rc = opt_set_list(cfg, opt, items, n, why, why_size);
out:
	free(items);
	free(copy);
	return rc;
}

/* One key from text: the command line's way in (see config.h). */
int rs_config_set(rs_config_t *cfg, const char *key, const char *value,
                  const char *origin, char *errstr, size_t errstr_size)
{
	const config_opt_t *opt;
	const char *prop;
	char why[512];
	int rc;

	if (value == NULL) {
		value = "";
	}
	opt = find_opt(key, &prop);
	if (opt == NULL) {
		unknown_key(key, why, sizeof(why));
		key_error(errstr, errstr_size, origin, key, why);
		return -1;
	}
	switch (opt->type) {
	case CONFIG_PROPS:
		if (prop == NULL) {
			snprintf(why, sizeof(why),
			         "name a librdkafka property: %s.<property>",
			         opt->name);
			rc = -1;
		} else {
			rc = opt_set_prop(cfg, opt, prop, value, origin, why,
			                  sizeof(why));
		}
		break;
	case CONFIG_LIST:
		rc = set_list_text(cfg, opt, value, why, sizeof(why));
		break;
	default:
		rc = opt_set_scalar(cfg, opt, value, why, sizeof(why));
		break;
	}
	if (rc != 0) {
		key_error(errstr, errstr_size, origin, key, why);
		return -1;
	}
	if (opt->type != CONFIG_PROPS) {
		note_origin(cfg, opt, origin);
	}
	return 0;
}

const char *rs_config_origin(const rs_config_t *cfg, const char *key)
{
	const char *prop;
	const config_opt_t *opt = find_opt(key, &prop);

	if (opt == NULL) {
		return NULL;
	}
	if (prop != NULL) {
		const rs_config_props_t *p = cfield(cfg, opt);

		for (size_t i = 0; i < p->n; i++) {
			if (strcmp(p->v[i].name, prop) == 0) {
				return p->origin[i];
			}
		}
		return NULL;
	}
	return cfg->origins[opt_index(opt)];
}

/* ------------------------------------------------------------------ */
/* YAML loading                                                       */
/* ------------------------------------------------------------------ */

typedef struct seen_key {
	char *name;
	size_t line;
} seen_key_t;

typedef struct loader {
	yaml_parser_t parser;
	const char *path;
	rs_config_t *cfg;
	char *errstr;
	size_t errstr_size;
	seen_key_t *seen; /* every key of this file, to refuse duplicates */
	size_t nseen, seen_cap;
} loader_t;

/* 1-based line of an event. */
static size_t ev_line(const yaml_event_t *ev)
{
	return ev->start_mark.line + 1;
}

/* "path:line: key: why" into the loader's errstr; returns -1. */
static int load_error(loader_t *ld, size_t line, const char *key,
                      const char *why)
{
	char origin[4096];

	snprintf(origin, sizeof(origin), "%s:%zu", ld->path, line);
	key_error(ld->errstr, ld->errstr_size, origin, key, why);
	return -1;
}

/* Next event, or -1 with the parser's complaint. */
static int next_event(loader_t *ld, yaml_event_t *ev)
{
	const yaml_parser_t *p = &ld->parser;
	char start[64] = "";

	if (yaml_parser_parse(&ld->parser, ev)) {
		return 0;
	}
	if (p->context != NULL &&
	    p->context_mark.line != p->problem_mark.line) {
		snprintf(start, sizeof(start), " that starts at line %zu",
		         p->context_mark.line + 1);
	}
	snprintf(ld->errstr, ld->errstr_size, "%s:%zu: YAML syntax: %s%s%s%s",
	         ld->path, p->problem_mark.line + 1,
	         p->problem != NULL ? p->problem : "error",
	         p->context != NULL ? " " : "",
	         p->context != NULL ? p->context : "", start);
	return -1;
}

/* A scalar the YAML way null: empty or ~ or null, unquoted. */
static int is_null(const yaml_event_t *ev)
{
	const char *v = (const char *)ev->data.scalar.value;

	return ev->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (v[0] == '\0' || strcmp(v, "~") == 0 || strcmp(v, "null") == 0 ||
	        strcmp(v, "Null") == 0 || strcmp(v, "NULL") == 0);
}

/* A scalar's text; -1 (error set) when it holds a NUL byte. */
static int scalar_text(loader_t *ld, const yaml_event_t *ev, const char *key,
                       const char **text)
{
	*text = (const char *)ev->data.scalar.value;
	if (strlen(*text) != ev->data.scalar.length) {
		return load_error(ld, ev_line(ev), key,
		                  "the value holds a NUL byte");
	}
	return 0;
}

/* Record key as seen at line; -1 (error set) when seen before. */
static int see_key(loader_t *ld, const char *name, size_t line)
{
	char why[64];

	for (size_t i = 0; i < ld->nseen; i++) {
		if (strcmp(ld->seen[i].name, name) == 0) {
			snprintf(why, sizeof(why),
			         "duplicate key (first set at line %zu)",
			         ld->seen[i].line);
			return load_error(ld, line, name, why);
		}
	}
	if (ld->nseen == ld->seen_cap) {
		size_t cap = ld->seen_cap ? ld->seen_cap * 2 : 32;
		seen_key_t *s = realloc(ld->seen, cap * sizeof(*s));

		if (s == NULL) {
			return load_error(ld, line, name, "out of memory");
		}
		ld->seen = s;
		ld->seen_cap = cap;
	}
	ld->seen[ld->nseen].name = strdup(name);
	if (ld->seen[ld->nseen].name == NULL) {
		return load_error(ld, line, name, "out of memory");
	}
	ld->seen[ld->nseen++].line = line;
	return 0;
}

/* What a key expects, for "expected ..., found ..." errors. */
static const char *expects(const config_opt_t *opt, const char *prop)
{
	if (opt == NULL) {
		return "a mapping of keys";
	}
	if (opt->type == CONFIG_PROPS && prop == NULL) {
		return "a mapping of librdkafka properties";
	}
	if (opt->type == CONFIG_PROPS) {
		return "a single value";
	}
	if (opt->type == CONFIG_LIST) {
		return "a list of names, or one name";
	}
	return "a single value";
}

/* Load the items of a sequence into a list option. */
static int load_sequence(loader_t *ld, const config_opt_t *opt,
                         const char *name, size_t line)
{
	char **items = NULL;
	size_t n = 0, cap = 0;
	char why[512];
	char origin[4096];
	int rc = -1;

	for (;;) {
		yaml_event_t ev;
		const char *text;

		if (next_event(ld, &ev) != 0) {
			goto out;
		}
		if (ev.type == YAML_SEQUENCE_END_EVENT) {
			yaml_event_delete(&ev);
			break;
		}
		if (ev.type != YAML_SCALAR_EVENT) {
			load_error(ld, ev_line(&ev), name,
			           "expected a list of names, found a nested "
			           "structure");
			yaml_event_delete(&ev);
			goto out;
		}
		if (scalar_text(ld, &ev, name, &text) != 0) {
			yaml_event_delete(&ev);
			goto out;
		}
		if (opt->check != NULL && opt->check(text, why, sizeof(why))) {
			load_error(ld, ev_line(&ev), name, why);
			yaml_event_delete(&ev);
			goto out;
		}
		if (n == cap) {
			size_t ncap = cap ? cap * 2 : 8;
			char **ni = realloc(items, ncap * sizeof(*ni));

			if (ni == NULL) {
				yaml_event_delete(&ev);
				load_error(ld, line, name, "out of memory");
				goto out;
			}
			items = ni;
			cap = ncap;
		}
		items[n] = strdup(text);
		yaml_event_delete(&ev);
		if (items[n] == NULL) {
			load_error(ld, line, name, "out of memory");
			goto out;
		}
		n++;
	}
	if (opt_set_list(ld->cfg, opt, items, n, why, sizeof(why)) != 0) {
		load_error(ld, line, name, why);
		goto out;
	}
	snprintf(origin, sizeof(origin), "%s:%zu", ld->path, line);
	note_origin(ld->cfg, opt, origin);
	rc = 0;
out:
	for (size_t i = 0; i < n; i++) {
		free(items[i]);
	}
	free(items);
	return rc;
}

/* Apply one scalar value to name. */
static int load_scalar(loader_t *ld, const char *name, const yaml_event_t *ev)
{
	const config_opt_t *opt;
	const char *prop;
	const char *text;
	char why[512];
	char origin[4096];
	size_t line = ev_line(ev);
	int rc;

	if (scalar_text(ld, ev, name, &text) != 0) {
		return -1;
	}
	opt = find_opt(name, &prop);
	if (opt == NULL) {
		if (is_section(name)) {
			if (is_null(ev)) {
				return 0; /* "kafka:" with nothing under it */
			}
			return load_error(ld, line, name,
			                  "expected a mapping of keys, found a "
			                  "single value");
		}
		unknown_key(name, why, sizeof(why));
		return load_error(ld, line, name, why);
	}
	snprintf(origin, sizeof(origin), "%s:%zu", ld->path, line);
	switch (opt->type) {
	case CONFIG_PROPS:
		if (prop == NULL) {
			if (is_null(ev)) {
				return 0;
			}
			return load_error(ld, line, name,
			                  "expected a mapping of librdkafka "
			                  "properties, found a single value");
		}
		if (is_null(ev)) {
			return load_error(
			    ld, line, name,
			    "a librdkafka property needs a value");
		}
		rc = opt_set_prop(ld->cfg, opt, prop, text, origin, why,
		                  sizeof(why));
		break;
	case CONFIG_LIST:
		if (is_null(ev)) {
			rc = opt_set_list(ld->cfg, opt, NULL, 0, why,
			                  sizeof(why));
		} else {
			rc =
			    set_list_text(ld->cfg, opt, text, why, sizeof(why));
		}
		break;
	case CONFIG_STRING:
		rc = opt_set_scalar(ld->cfg, opt, is_null(ev) ? "" : text, why,
		                    sizeof(why));
		break;
	default:
		rc = opt_set_scalar(ld->cfg, opt, text, why, sizeof(why));
		break;
	}
	if (rc != 0) {
		return load_error(ld, line, name, why);
	}
	if (opt->type != CONFIG_PROPS) {
		note_origin(ld->cfg, opt, origin);
	}
	return 0;
}

static int load_mapping(loader_t *ld, const char *prefix, int depth);

/* Apply the value node of key name, whose first event is ev. */
static int load_value(loader_t *ld, const char *name, size_t key_line,
                      yaml_event_t *ev, int depth)
{
	const char *prop;
	const config_opt_t *opt = find_opt(name, &prop);
	int known = opt != NULL || is_section(name);
	char why[512];

	if (!known && ev->type != YAML_ALIAS_EVENT) {
		unknown_key(name, why, sizeof(why));
		return load_error(ld, key_line, name, why);
	}
	switch (ev->type) {
	case YAML_SCALAR_EVENT:
		return load_scalar(ld, name, ev);
	case YAML_MAPPING_START_EVENT:
		if (opt != NULL && opt->type != CONFIG_PROPS) {
			snprintf(why, sizeof(why),
			         "expected %s (%s), found a mapping",
			         expects(opt, prop), type_names[opt->type]);
			return load_error(ld, ev_line(ev), name, why);
		}
		if (depth >= CONFIG_MAX_DEPTH) {
			return load_error(ld, ev_line(ev), name,
			                  "nested too deep");
		}
		return load_mapping(ld, name, depth + 1);
	case YAML_SEQUENCE_START_EVENT:
		if (opt != NULL && opt->type == CONFIG_LIST) {
			return load_sequence(ld, opt, name, key_line);
		}
		if (opt != NULL && opt->type != CONFIG_PROPS) {
			snprintf(why, sizeof(why),
			         "expected %s (%s), found a list",
			         expects(opt, prop), type_names[opt->type]);
		} else {
			snprintf(why, sizeof(why), "expected %s, found a list",
			         expects(opt, prop));
		}
		return load_error(ld, ev_line(ev), name, why);
	case YAML_ALIAS_EVENT:
		return load_error(ld, ev_line(ev), name,
		                  "YAML aliases (*name) are not supported");
	default:
		return load_error(ld, ev_line(ev), name,
		                  "unexpected YAML node");
	}
}

/* Load a mapping whose start event has been read; keys get prefix. */
static int load_mapping(loader_t *ld, const char *prefix, int depth)
{
	for (;;) {
		yaml_event_t kev, vev;
		char name[512];
		const char *key;
		size_t line;
		int rc;

		if (next_event(ld, &kev) != 0) {
			return -1;
		}
		if (kev.type == YAML_MAPPING_END_EVENT) {
			yaml_event_delete(&kev);
			return 0;
		}
		line = ev_line(&kev);
		if (kev.type != YAML_SCALAR_EVENT) {
			yaml_event_delete(&kev);
			return load_error(ld, line,
			                  prefix[0] != '\0' ? prefix : "(top)",
			                  "keys must be plain names");
		}
		key = (const char *)kev.data.scalar.value;
		if (key[0] == '\0' || strlen(key) != kev.data.scalar.length) {
			yaml_event_delete(&kev);
			return load_error(ld, line,
			                  prefix[0] != '\0' ? prefix : "(top)",
			                  "empty key");
		}
		if ((size_t)snprintf(name, sizeof(name), "%s%s%s", prefix,
		                     prefix[0] != '\0' ? "." : "",
		                     key) >= sizeof(name)) {
			yaml_event_delete(&kev);
			return load_error(ld, line, prefix, "key too long");
		}
		yaml_event_delete(&kev);
		if (see_key(ld, name, line) != 0) {
			return -1;
		}
		if (next_event(ld, &vev) != 0) {
			return -1;
		}
		rc = load_value(ld, name, line, &vev, depth);
		yaml_event_delete(&vev);
		if (rc != 0) {
			return -1;
		}
	}
}

/* The whole stream: nothing, or one document holding a mapping. */
static int load_stream(loader_t *ld)
{
	yaml_event_t ev;
	int docs = 0;

	if (next_event(ld, &ev) != 0) {
		return -1;
	}
	yaml_event_delete(&ev); /* STREAM-START */
	for (;;) {
		int rc = 0;

		if (next_event(ld, &ev) != 0) {
			return -1;
		}
		if (ev.type == YAML_STREAM_END_EVENT) {
			yaml_event_delete(&ev);
			return 0;
		}
		if (ev.type != YAML_DOCUMENT_START_EVENT) {
			size_t line = ev_line(&ev);

			yaml_event_delete(&ev);
			return load_error(ld, line, "(top)",
			                  "unexpected YAML node");
		}
		if (++docs > 1) {
			size_t line = ev_line(&ev);

			yaml_event_delete(&ev);
			snprintf(ld->errstr, ld->errstr_size,
			         "%s:%zu: only one YAML document is allowed",
			         ld->path, line);
			return -1;
		}
		yaml_event_delete(&ev);
		if (next_event(ld, &ev) != 0) {
			return -1;
		}
		if (ev.type == YAML_MAPPING_START_EVENT) {
			rc = load_mapping(ld, "", 0);
		} else if (!(ev.type == YAML_SCALAR_EVENT && is_null(&ev))) {
			snprintf(ld->errstr, ld->errstr_size,
			         "%s:%zu: the file must be a mapping of keys "
			         "(kafka:, pipeline:, metrics:, log:)",
			         ld->path, ev_line(&ev));
			rc = -1;
		}
		yaml_event_delete(&ev);
		if (rc != 0) {
			return -1;
		}
		if (next_event(ld, &ev) != 0) {
			return -1;
		}
		yaml_event_delete(&ev); /* DOCUMENT-END */
	}
}

/* Parse path with libyaml's event API and apply each key in order. */
int rs_config_load_file(rs_config_t *cfg, const char *path, char *errstr,
                        size_t errstr_size)
{
	loader_t ld;
	FILE *f;
	int rc;

	f = fopen(path, "rb");
	if (f == NULL) {
		snprintf(errstr, errstr_size, "cannot open %s: %s", path,
		         strerror(errno));
		return -1;
	}
	memset(&ld, 0, sizeof(ld));
	if (!yaml_parser_initialize(&ld.parser)) {
		fclose(f);
		snprintf(errstr, errstr_size, "%s: out of memory", path);
		return -1;
	}
	yaml_parser_set_input_file(&ld.parser, f);
	ld.path = path;
	ld.cfg = cfg;
	ld.errstr = errstr;
	ld.errstr_size = errstr_size;
	rc = load_stream(&ld);
	if (rc == 0 && ferror(f)) {
		snprintf(errstr, errstr_size, "cannot read %s: %s", path,
		         strerror(errno));
		rc = -1;
	}
	for (size_t i = 0; i < ld.nseen; i++) {
		free(ld.seen[i].name);
	}
	free(ld.seen);
	yaml_parser_delete(&ld.parser);
	fclose(f);
	return rc;
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
	key_error(errstr, errstr_size, rs_config_origin(cfg, key), key, why);
	return -1;
}

/* Rules across keys; errors carry the origin of the key they name. */
int rs_config_validate(const rs_config_t *cfg, char *errstr, size_t errstr_size)
{
	const rs_config_list_t *in = &cfg->kafka.input;
	const char *dl = cfg->kafka.dead_letter;

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
	return 0;
}

unsigned rs_config_threads(const rs_config_t *cfg)
{
	long n;

	if (cfg->pipeline.threads > 0) {
		return (unsigned)cfg->pipeline.threads;
	}
	n = sysconf(_SC_NPROCESSORS_ONLN);
	if (n < 1) {
		return 1;
	}
	return n > 256 ? 256 : (unsigned)n;
}

unsigned rs_config_queue_batches(const rs_config_t *cfg)
{
	unsigned n;

	if (cfg->pipeline.queue_batches > 0) {
		return (unsigned)cfg->pipeline.queue_batches;
	}
	n = 2 * rs_config_threads(cfg) + 2;
	return n > 1024 ? 1024 : n;
}

const char *rs_config_compression_name(rs_config_compression_t c)
{
	const char *name = enum_name(compression_enums, (int)c);

	return strcmp(name, "?") == 0 ? "none" : name;
}

void rs_config_free(rs_config_t *cfg)
{
	for (size_t i = 0; i < CONFIG_NOPTS; i++) {
		const config_opt_t *opt = &config_opts[i];

		switch (opt->type) {
		case CONFIG_STRING:
			free_string(opt, field(cfg, opt));
			*(const char **)field(cfg, opt) = opt->def;
			break;
		case CONFIG_LIST:
			free_list(field(cfg, opt));
			break;
		case CONFIG_PROPS:
			free_props(field(cfg, opt));
			break;
		default:
			break;
		}
		free(cfg->origins[i]);
		cfg->origins[i] = NULL;
	}
}

/* ------------------------------------------------------------------ */
/* Printing                                                           */
/* ------------------------------------------------------------------ */

/* s as a YAML double-quoted scalar. */
static void print_quoted(FILE *out, const char *s)
{
	fputc('"', out);
	for (; *s != '\0'; s++) {
		unsigned char c = (unsigned char)*s;

		if (c == '"' || c == '\\') {
			fprintf(out, "\\%c", c);
		} else if (c < 0x20 || c == 0x7f) {
			fprintf(out, "\\x%02x", c);
		} else {
			fputc(c, out);
		}
	}
	fputc('"', out);
}

/* Does a librdkafka property hold a secret? */
static int is_secret(const char *name)
{
	return strstr(name, "password") != NULL ||
	       strstr(name, "secret") != NULL ||
	       strcmp(name, "ssl.key.pem") == 0 ||
	       strcmp(name, "sasl.oauthbearer.config") == 0;
}

/* The value of a scalar option as it is written in a file. */
static void format_value(const rs_config_t *cfg, const config_opt_t *opt,
                         char *buf, size_t size)
{
	const void *f = cfield(cfg, opt);

	switch (opt->type) {
	case CONFIG_INT:
		snprintf(buf, size, "%d", *(const int *)f);
		break;
	case CONFIG_SIZE:
		format_size((double)*(const size_t *)f, buf, size);
		break;
	case CONFIG_SECONDS:
		snprintf(buf, size, "%g", *(const double *)f);
		break;
	case CONFIG_BOOL:
		snprintf(buf, size, "%s", *(const int *)f ? "true" : "false");
		break;
	case CONFIG_ENUM:
		snprintf(buf, size, "%s",
		         enum_name(opt->enums, *(const int *)f));
		break;
	case CONFIG_FORMAT:
		snprintf(buf, size, "%s",
		         (*(const rs_format_t *const *)f)->name);
		break;
	default:
		buf[0] = '\0';
		break;
	}
}

/* Is a numeric option 0 (which may have a meaning of its own)? */
static int is_zero(const rs_config_t *cfg, const config_opt_t *opt)
{
	if (opt->type == CONFIG_SECONDS) {
		return *(const double *)cfield(cfg, opt) == 0;
	}
	return *(const int *)cfield(cfg, opt) == 0;
}

void rs_config_print(const rs_config_t *cfg, FILE *out)
{
	char buf[64];

	for (size_t i = 0; i < CONFIG_NOPTS; i++) {
		const config_opt_t *opt = &config_opts[i];

		switch (opt->type) {
		case CONFIG_STRING:
			fprintf(out, "%s: ", opt->name);
			print_quoted(out,
			             *(const char *const *)cfield(cfg, opt));
			fputc('\n', out);
			break;
		case CONFIG_LIST: {
			const rs_config_list_t *l = cfield(cfg, opt);

			fprintf(out, "%s: [", opt->name);
			for (size_t j = 0; j < l->n; j++) {
				fputs(j > 0 ? ", " : "", out);
				print_quoted(out, l->v[j]);
			}
			fputs("]\n", out);
			break;
		}
		case CONFIG_PROPS: {
			const rs_config_props_t *p = cfield(cfg, opt);

			for (size_t j = 0; j < p->n; j++) {
				fprintf(out, "%s.%s: ", opt->name,
				        p->v[j].name);
				print_quoted(out, is_secret(p->v[j].name)
				                      ? "***"
				                      : p->v[j].value);
				fputc('\n', out);
			}
			break;
		}
		default:
			format_value(cfg, opt, buf, sizeof(buf));
			fprintf(out, "%s: %s", opt->name, buf);
			if (opt->zero != NULL && is_zero(cfg, opt)) {
				fprintf(out, "  # %s", opt->zero);
			}
			fputc('\n', out);
			break;
		}
	}
}

/* Text for a Markdown table cell: '|' escaped. */
static void print_cell(FILE *out, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '|') {
			fputs("\\|", out);
		} else {
			fputc(*s, out);
		}
	}
}

void rs_config_print_reference(FILE *out)
{
	fputs("| Key | Type | Default | Allowed | Description |\n", out);
	fputs("|---|---|---|---|---|\n", out);
	for (size_t i = 0; i < CONFIG_NOPTS; i++) {
		const config_opt_t *opt = &config_opts[i];
		char lo[32], hi[32];

		fprintf(out, "| `%s%s` | %s | ", opt->name,
		        opt->type == CONFIG_PROPS ? ".*" : "",
		        type_names[opt->type]);
		/* Default */
		if (opt->type == CONFIG_LIST) {
			fputs("(required)", out);
		} else if (opt->type == CONFIG_PROPS) {
			fputs("(none)", out);
		} else if (opt->def[0] == '\0') {
			fputs("(empty)", out);
		} else {
			fputc('`', out);
			print_cell(out, opt->def);
			fputc('`', out);
			if (opt->zero != NULL && strcmp(opt->def, "0") == 0) {
				fprintf(out, " (%s)", opt->zero);
			}
		}
		fputs(" | ", out);
		/* Allowed */
		switch (opt->type) {
		case CONFIG_INT:
			fprintf(out, "%.0f to %.0f", opt->min, opt->max);
			if (opt->zero != NULL && opt->min > 0) {
				fputs(", or 0", out);
			}
			break;
		case CONFIG_SIZE:
			format_size(opt->min, lo, sizeof(lo));
			format_size(opt->max, hi, sizeof(hi));
			fprintf(out, "%s to %s", lo, hi);
			break;
		case CONFIG_SECONDS:
			fprintf(out, "%g to %g", opt->min, opt->max);
			break;
		case CONFIG_BOOL:
			fputs("`true`, `false`", out);
			break;
		case CONFIG_ENUM:
			for (const config_enum_t *e = opt->enums;
			     e->name != NULL; e++) {
				fprintf(out, "%s`%s`",
				        e == opt->enums ? "" : ", ", e->name);
			}
			break;
		case CONFIG_FORMAT:
			for (size_t f = 0; f < rs_format_count(); f++) {
				fprintf(out, "%s`%s`", f == 0 ? "" : ", ",
				        rs_format_at(f)->name);
			}
			break;
		case CONFIG_PROPS:
			fputs("librdkafka properties", out);
			break;
		case CONFIG_LIST:
		case CONFIG_STRING:
			if (opt->check == check_topic ||
			    opt->check == check_topic_or_empty) {
				fputs("topic names", out);
			} else if (opt->check == check_listen) {
				fputs("`ADDR:PORT`", out);
			}
			break;
		}
		fputs(" | ", out);
		print_cell(out, opt->desc);
		fputs(" |\n", out);
	}
}
