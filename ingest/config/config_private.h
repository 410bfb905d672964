/* SPDX-License-Identifier: Apache-2.0 */
/*
 * config_private.h - what the files of config/ share and nothing else
 * includes: the shape of a row of the key table (keys.c), the value
 * parsers (value.c), the suggester (suggest.c) and the setter's inner
 * steps (config.c) that the YAML loader (load.c) and the printers
 * (print.c) call.
 *
 * One row per key: its name, type, where it lives in rs_config_t, its
 * range, default and description, the commands that read it, and the
 * command-line flags that set it. Every reader of keys - the setter, the
 * loader, validation, the printers, the suggester, the command line's
 * option table and --help (cmdline.c) - walks this one table.
 */
#ifndef RS_CONFIG_PRIVATE_H
#define RS_CONFIG_PRIVATE_H

#include <stddef.h>

#include "config/config.h"

#define RS_CONFIG_SHOW_MAX 64 /* longest value quoted back in an error */
/* Longest dotted key name + 1, as a file (load.c) can spell it. */
#define RS_CONFIG_NAME_MAX 512
#define RS_CONFIG_MAX_SECTIONS 16

typedef enum rs_config_type {
	RS_CONFIG_STRING,
	RS_CONFIG_LIST,    /* list of strings: a YAML sequence or "a,b" */
	RS_CONFIG_INT,     /* int */
	RS_CONFIG_SIZE,    /* size_t, bytes with an optional unit */
	RS_CONFIG_SECONDS, /* double, seconds with an optional unit */
	RS_CONFIG_BOOL,    /* int 0/1 */
	RS_CONFIG_ENUM,    /* int, one of a list of names */
	RS_CONFIG_PROPS,   /* librdkafka properties under this key */
	RS_CONFIG_FORMAT,  /* const rs_format_t *, a name of formats/ */
} rs_config_type_t;

/* A name of an enum key and the int stored for it. */
typedef struct rs_config_enum {
	const char *name;
	int value;
} rs_config_enum_t;

/* Checks a string value beyond its length; fills why on failure. */
typedef int (*rs_config_check_fn)(const char *value, char *why,
                                  size_t why_size);

/* What a check accepts, for the reference's "Allowed" column. */
typedef struct rs_config_check {
	rs_config_check_fn fn;
	const char *allowed; /* e.g. "topic names" */
} rs_config_check_t;

/* A repeated flag adds to its list key instead of replacing it. */
#define RS_CONFIG_FLAG_APPEND 0x1u

/*
 * One spelling of a flag. A key has up to RS_CONFIG_MAX_FLAGS of them,
 * e.g. the same long name with a short letter in one command and none in
 * another where the letter means something else.
 */
typedef struct rs_config_flag {
	const char *name;  /* long option without "--"; NULL: unused slot */
	int letter;        /* short option; 0: none */
	unsigned cmds;     /* RS_CONFIG_* commands that accept this spelling */
	const char *arg;   /* metavar for --help; NULL: takes no argument */
	const char *value; /* the value a flag without argument sets */
	const char *also_key, *also_value; /* a second key the flag sets */
	const char *help; /* the --help text; "{values}" lists enum names */
	unsigned opts;    /* RS_CONFIG_FLAG_* */
} rs_config_flag_t;

#define RS_CONFIG_MAX_FLAGS 2

typedef struct rs_config_key {
	const char *name;
	rs_config_type_t type;
	size_t offset;   /* of the field in rs_config_t */
	double min, max; /* numbers: range; strings: minimum length */
	const char *def; /* default as written in a file; NULL: none */
	const rs_config_enum_t *enums;  /* ENUM: {NULL, 0}-terminated;
	                                   BOOL: values besides true, false */
	const rs_config_check_t *check; /* STRING, LIST: each value;
	                                   PROPS: each name */
	const char *zero;               /* INT, SECONDS: what 0 means (allowed);
	                                   STRING: what empty means */
	const char *desc;
	unsigned cmds; /* RS_CONFIG_* commands that read the key */
	rs_config_flag_t flags[RS_CONFIG_MAX_FLAGS];
} rs_config_key_t;

/* ------------------------------------------------------------------ */
/* keys.c: the table                                                  */
/* ------------------------------------------------------------------ */

extern const rs_config_key_t rs_config_keys[];
extern const size_t rs_config_nkeys;

/* The name of each type, as the reference prints it. */
const char *rs_config_type_name(rs_config_type_t type);

/*
 * The key named name, or the PROPS key whose "name." starts name (*prop
 * then points at the property name; NULL for an exact match). NULL when
 * there is none.
 */
const rs_config_key_t *rs_config_key_find(const char *name, const char **prop);

/* Is name a section ("kafka", "pipeline", ...): a prefix of some key? */
int rs_config_is_section(const char *name);

/*
 * The sections of the table in the order they first appear ("kafka",
 * "pipeline", ...), as pointers into key names and their lengths; at most
 * max. Returns how many.
 */
size_t rs_config_sections(const char **name, size_t *len, size_t max);

/* Why the property name may not be set under section; NULL if it may. */
const char *rs_config_reserved(const char *section, const char *name);

/* ------------------------------------------------------------------ */
/* value.c: parsing and writing values                                */
/* ------------------------------------------------------------------ */

/* value for an error: quoted when empty, cut when long. Returns buf. */
const char *rs_config_show(const char *value, char *buf, size_t size);

/* A plain decimal integer, sign allowed. 0 or -1. */
int rs_config_parse_int(const char *s, long long *out);

/* Bytes: a number and an optional unit (B, KiB/K, MiB/M, KB ...). */
int rs_config_parse_size(const char *s, double *out);

/* Seconds: a number and an optional unit (ms, s, m or min, h). */
int rs_config_parse_seconds(const char *s, double *out);

/* YAML 1.1 booleans: true/false, yes/no, on/off, 1/0, any case. */
int rs_config_parse_bool(const char *s, int *out);

/* "1MiB", "4KiB", or plain bytes: the shortest exact form. */
void rs_config_format_size(double v, char *buf, size_t size);

/* The names of an enum key, joined by sep, into buf. */
void rs_config_enum_names(const rs_config_enum_t *e, const char *sep, char *buf,
                          size_t size);

/* The name of an enum value, "?" when it has none. */
const char *rs_config_enum_name(const rs_config_enum_t *e, int value);

/* ------------------------------------------------------------------ */
/* suggest.c: did you mean                                            */
/* ------------------------------------------------------------------ */

/* "unknown key (did you mean X?)", or the list of sections, into why. */
void rs_config_unknown_key(const char *key, char *why, size_t why_size);

/* ------------------------------------------------------------------ */
/* config.c: the setter's steps                                       */
/* ------------------------------------------------------------------ */

/* The field of a key inside cfg. */
void *rs_config_field(rs_config_t *cfg, const rs_config_key_t *key);
const void *rs_config_cfield(const rs_config_t *cfg,
                             const rs_config_key_t *key);

/* Set a scalar key from text. 0, or -1 with the reason alone in why. */
int rs_config_set_scalar(rs_config_t *cfg, const rs_config_key_t *key,
                         const char *value, char *why, size_t why_size);

/* Replace a list key with n values, each checked. 0 or -1 + why. */
int rs_config_set_list(rs_config_t *cfg, const rs_config_key_t *key,
                       char *const *values, size_t n, char *why,
                       size_t why_size);

/*
 * A list key from comma-separated text ("a, b,c"); append: after the
 * names it has. 0 or -1 + why.
 */
int rs_config_set_list_text(rs_config_t *cfg, const rs_config_key_t *key,
                            const char *value, int append, char *why,
                            size_t why_size);

/* Set or replace (keeping its place) a librdkafka property. 0 or -1. */
int rs_config_set_prop(rs_config_t *cfg, const rs_config_key_t *key,
                       const char *name, const char *value, const char *origin,
                       char *why, size_t why_size);

/* Remember where a key was set; failure only loses the note. */
void rs_config_note_origin(rs_config_t *cfg, const rs_config_key_t *key,
                           const char *origin);

/* "origin: key: why" (or "key: why") into errstr. */
void rs_config_key_error(char *errstr, size_t errstr_size, const char *origin,
                         const char *key, const char *why);

#endif
