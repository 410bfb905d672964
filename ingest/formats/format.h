/* SPDX-License-Identifier: Apache-2.0 */
/*
 * format.h - the format interface: one descriptor per MTA log format, all
 * of them in one table (formats/registry.c) that auto-detection,
 * --input-format, the configuration and the help texts read.
 *
 * Adding a format is one new file formats/<name>.c that defines a
 * descriptor, one row in the registry table, and fixtures.
 *
 * A parser sees the line through an rs_logline_t: the bytes of the line
 * (without the newline and a trailing CR) and, split on first use and
 * then shared by every parser that asks, its syslog prefix. So a line
 * that several formats look at during auto-detection is split once. The
 * logline also carries the run's format options (formats/format_opts.h:
 * PowerMTA's default column list, the sending-source map) and the side
 * data a stateful format's prescan attached to the line (below).
 *
 * Stateful formats. Most formats read each line alone. Two need what an
 * earlier line said: a PowerMTA accounting row is read by the header
 * line at the top of its file, and a qmail "delivery N: deferral:" line
 * learns its recipient from the "starting delivery N: msg M to remote R"
 * line before it. Lines are parsed by N worker threads in batches, in no
 * order across batches, so such state cannot live in the parser. Instead
 * a stateful format supplies a prescan: the pipeline runs it on its
 * source thread, sequentially over every line of every batch in input
 * order, after the source filled the batch and before any worker sees it.
 * The prescan keeps the state (in an rs_format_state_t owned by the run)
 * and attaches to each line the side data its parse needs (the header's
 * column map, the recipient), as bytes appended to the batch's aux
 * buffer; the batch owns them, so they live exactly as long as the line.
 * The parse then stays a pure function of (line, side data, options) on
 * any worker. State is scoped per input: a header applies to the rest of
 * its file, or to the later lines of its Kafka topic partition; it is
 * bounded (each format says how, and what happens at the bound).
 * Stateless formats cost the source thread nothing: the pipeline calls
 * prescan only for the chosen format, or under "auto" only on lines whose
 * first bytes scan_wants() accepts.
 *
 * Ownership: descriptors are static; a logline points into the caller's
 * batch and owns nothing. @locality detect/parse: any thread; parsers are
 * stateless and allocate nothing (decoded text goes to the record's
 * arena). state_new/prescan/state_destroy: the pipeline's source thread.
 */
#ifndef RS_FORMAT_H
#define RS_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "event/record.h"
#include "event/taxonomy.h"
#include "formats/syslog.h"
#include "util/buf.h"

typedef struct rs_format rs_format_t;

/* The options of the formats (formats/format_opts.h); read-only while a
 * run uses them. */
typedef struct rs_format_opts rs_format_opts_t;

/* The run state of a stateful format; private to that format. */
typedef struct rs_format_state rs_format_state_t;

/* One input line as the parsers see it. */
typedef struct rs_logline {
	const char *p; /* the line, without '\n' and a trailing '\r' */
	size_t n;
	const rs_format_opts_t *opts; /* NULL: every option at its default */
	/* Side data the prescan of aux_format attached (NULL/0: none); only
	 * that format reads it (rs_logline_aux). */
	const char *aux;
	size_t aux_len;
	const rs_format_t *aux_format;
	/* The run drops events of status sent (no --all): a skips() hook
	 * may drop such a line without building its record. */
	int drop_sent;
	/* The prescan's unwrap of the line's envelope (formats/envelope.h,
	 * rs_envelope_pack; NULL: none): the parse takes the line inside
	 * from it instead of walking the JSON object again. */
	const char *unwrapped;
	size_t unwrapped_len;
	int syslog_state;  /* private: 0 not split yet, 1 split, -1 no prefix */
	rs_syslog_t sl;    /* private: valid when syslog_state == 1 */
	int keys_state;    /* private: 1 when to_eq and status_val are found */
	const char *to_eq; /* private: see rs_logline_keys */
	const char *status_val; /* private: see rs_logline_keys */
} rs_logline_t;

/* One line as a prescan sees it: the bytes and which input they are of. */
typedef struct rs_scan_line {
	const char *p; /* the line, without '\n' and a trailing '\r' */
	size_t n;
	/* The input: a file path or a Kafka topic, the same pointer for all
	 * lines of one input; with partition it names the state's scope. */
	const char *input;
	int32_t partition; /* Kafka partition; -1 for files */
	uint64_t line_no;  /* line of a file, 1 = a file starts; 0 for Kafka */
	int input_ends;    /* the last line of the batch ends its file */
} rs_scan_line_t;

/* What a prescan made of one line. */
typedef struct rs_scan_out {
	size_t aux_off; /* side data: bytes [aux_off, aux_off + aux_len) of */
	size_t aux_len; /* the batch's aux buffer; aux_len 0: none */
	/* The line is part of a record that a later line carries (a CSV
	 * field with a line break in it): counted skipped, never parsed. */
	int absorbed;
	/* Under "auto": pass every following line to this prescan, whatever
	 * its first bytes, until a call returns hold 0 (a record is open). */
	int hold;
} rs_scan_out_t;

/* What a format's skips() tells auto-detection about a line. */
typedef enum rs_skip {
	RS_SKIP_UNSURE = 0, /* detect and parse as usual */
	RS_SKIP_NOT_MINE,   /* detect() fails or parse() skips: next format */
	RS_SKIP_DROP,       /* parse() gives a sent event the run drops */
} rs_skip_t;

/* Each line is one SMTP reply: every line, also an empty one, is an event,
 * and successful (2xx) replies are events without --all. */
#define RS_FORMAT_REPLY_PER_LINE 0x1u
/* Not tried by auto-detection (it would claim every line). */
#define RS_FORMAT_EXPLICIT_ONLY 0x2u
/* skips() answers only for a line this format's prescan claimed (its
 * side data attached): auto-detection asks it for no other line. */
#define RS_FORMAT_SKIPS_CLAIMED 0x4u
/* The format reads JSON lines itself (KumoMTA, Haraka): no log shipper's
 * object is taken off a line before it sees it (formats/envelope.h). */
#define RS_FORMAT_READS_JSON 0x8u

struct rs_format {
	const char *name;    /* as --input-format and the config spell it */
	const char *summary; /* one line for --help and the reference */
	unsigned flags;      /* RS_FORMAT_* */
	rs_mta_t mta;        /* the MTA whose records it reads */
	/*
	 * Auto-detection: could this line be of this format? A few byte
	 * comparisons, no full parse. NULL: never detected.
	 */
	int (*detect)(rs_logline_t *ll);
	/*
	 * Parse one line into rec (already reset). RS_PARSE_SKIP for a line
	 * of this format that is not a delivery outcome; RS_PARSE_MALFORMED
	 * with a static sentence in *why (never NULL) for a line that claims
	 * the format but cannot be read.
	 */
	rs_parse_result_t (*parse)(rs_logline_t *ll, rs_record_t *rec,
	                           const char **why);
	/*
	 * The skip path of auto-detection, asked before detect(): most lines
	 * of a mail log are not delivery outcomes, and this answers for them
	 * with a substring test or two instead of a record build. Exact, not
	 * a guess: RS_SKIP_NOT_MINE only for a line that detect() refuses or
	 * parse() skips; RS_SKIP_DROP (only when ll->drop_sent) only for a
	 * line parse() turns into an event of status sent, never for a
	 * malformed one (a caller that sets drop_sent gives the record an
	 * arena of some kilobytes, reset for the line). Anything else is
	 * RS_SKIP_UNSURE. NULL: always unsure. A chosen format (not "auto")
	 * asks it too, before parse(), and acts only on RS_SKIP_DROP.
	 */
	rs_skip_t (*skips)(rs_logline_t *ll);

	/* Stateful formats only (NULL for the others); see the top of this
	 * file. @locality the pipeline's source thread. */
	/* A new run state; NULL with a sentence in errstr. */
	rs_format_state_t *(*state_new)(const rs_format_opts_t *opts,
	                                char *errstr, size_t errstr_size);
	void (*state_destroy)(rs_format_state_t *st);
	/* Under "auto": could the line matter to prescan? First bytes only. */
	int (*scan_wants)(const char *p, size_t n);
	/* Read one line in input order: update the state, append side data
	 * for the line's parse to aux (out->aux_*), or mark it absorbed.
	 * Out of memory in aux is left to the caller (aux->failed). */
	void (*prescan)(rs_format_state_t *st, const rs_scan_line_t *line,
	                rs_buf_t *aux, rs_scan_out_t *out);
};

/* Point ll at a line (no options, no side data); a trailing '\r' is
 * dropped. */
void rs_logline_init(rs_logline_t *ll, const char *p, size_t n);

/* The side data fmt's prescan attached to the line; absent (NULL) when
 * there is none or another format's prescan wrote it. */
rs_str_t rs_logline_aux(const rs_logline_t *ll, const rs_format_t *fmt);

/* The line's syslog prefix, split on first use; NULL when it has none. */
const rs_syslog_t *rs_logline_syslog(rs_logline_t *ll);

/*
 * The '=' of the line's first " to=" key and the value after its first
 * "status=" (NULL: none), found on first use by one walk over the line's
 * '=' bytes and then shared: Postfix's and Sendmail's skip paths both
 * turn away a line without " to=", and every syslog line that earlier
 * formats do not take reaches both.
 */
void rs_logline_keys(rs_logline_t *ll, const char **to_eq,
                     const char **status_val);

/* A zeroed run state of size bytes for a stateful format's state_new;
 * NULL with "out of memory" in errstr. */
void *rs_format_state_alloc(size_t size, char *errstr, size_t errstr_size);

/* The "auto" format: each line goes to the first format that detects it
 * and does not skip it. */
const rs_format_t *rs_format_auto(void);

/* The format named name (n bytes, any case), "auto" included; NULL when
 * unknown. */
const rs_format_t *rs_format_find(const char *name, size_t n);

/* The format whose parser writes records of mta (rec->mta); NULL for
 * none. */
const rs_format_t *rs_format_of_mta(rs_mta_t mta);

/* Formats in table order; index 0 is "auto". */
size_t rs_format_count(void);
const rs_format_t *rs_format_at(size_t i);

/*
 * Every format name joined by sep ("auto, postfix, exim, ..."), for help
 * texts and error messages; cut to fit size. Returns buf.
 */
const char *rs_format_names(char *buf, size_t size, const char *sep);

/*
 * Parse one line in the given format, then fill the sending side (IP,
 * pool) from ll->opts's source map when the line did not give it. rec
 * must have been reset; *why (never NULL) gets a static sentence on
 * RS_PARSE_MALFORMED. This is what the pipeline's workers call.
 */
rs_parse_result_t rs_format_parse_logline(const rs_format_t *fmt,
                                          rs_logline_t *ll, rs_record_t *rec,
                                          const char **why);

/*
 * Parse one line (without its newline) in the given format, with default
 * options and no side data. rec must have been reset. On
 * RS_PARSE_MALFORMED, *why (if why is not NULL) gets a static sentence.
 */
rs_parse_result_t rs_format_parse(const rs_format_t *fmt, const char *line,
                                  size_t len, rs_record_t *rec,
                                  const char **why);

#endif
