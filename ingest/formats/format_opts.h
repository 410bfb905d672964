/* SPDX-License-Identifier: Apache-2.0 */
/*
 * format_opts.h - the options of the format parsers, set once before a run
 * and read-only while it runs: PowerMTA's column list for rows that arrive
 * without their header (config key formats.pmta.fields), and the map of
 * sending sources for MTAs that do not log their bind address per
 * delivery (config key sources.<format>, e.g. sources.postfix).
 *
 * The configuration loader builds one rs_format_opts_t with the functions
 * below and hands it to the pipeline (rs_pipeline_conf_t.format_opts),
 * which puts it into every rs_logline_t. NULL anywhere means "all
 * defaults": no column list (the built-in modern default is used) and an
 * empty map.
 *
 * The source map. A key names where a line comes from, in one of three
 * forms, tried most specific first:
 *   "TAG@HOST"  the syslog tag (program) on one log host:
 * "postfix-out1/smtp@mta3" "TAG"       the syslog tag on any host:
 * "postfix-out1/smtp" "HOST"      every line of one log host: "mta3" The value
 * is a sending IP address, a pool name, or both. It fills sending_ip /
 * sending_pool of an event of that format only where the log line left them
 * empty: what an MTA logs itself (PowerMTA dlvSourceIp, Exim I=, OpenSMTPD
 * source=, KumoMTA source_address) always wins.
 *
 * Ownership: the options own copies of every string given to them;
 * records point into them, so the options must outlive the run.
 * @locality build on one thread; afterwards read-only, any thread.
 */
#ifndef RS_FORMAT_OPTS_H
#define RS_FORMAT_OPTS_H

#include <stddef.h>

#include "event/record.h"
#include "formats/format.h"
#include "formats/pmta.h"

/* Most source map entries accepted (a fleet's hosts times their tags). */
#define RS_FORMAT_OPTS_MAX_SOURCES 65536

/* New empty options (every default); NULL when out of memory. */
rs_format_opts_t *rs_format_opts_new(void);

/* Free the options and every string they own; NULL is allowed. */
void rs_format_opts_destroy(rs_format_opts_t *opts);

/*
 * formats.pmta.fields: the column names of PowerMTA rows that arrive
 * without a header line, comma-separated as a PowerMTA header writes them
 * ("type,timeLogged,timeQueued,orig,rcpt,..."). 0, or -1 with a sentence
 * in errstr naming the offending column: an empty list or name, more than
 * RS_PMTA_MAX_COLUMNS columns, no "type" column, a column the parser reads
 * given twice, or a name that differs from one the parser reads only in
 * case ("dsndiag": did you mean "dsnDiag"?). Names the parser does not
 * read (header_*, envId, ...) are accepted and their columns skipped.
 */
int rs_format_opts_set_pmta_fields(rs_format_opts_t *opts, const char *list,
                                   char *errstr, size_t errstr_size);

/* The configured PowerMTA column list; NULL when none was set. */
const rs_pmta_columns_t *
rs_format_opts_pmta_fields(const rs_format_opts_t *opts);

/*
 * sources.<format>: lines of format (a registered format name such as
 * "postfix"; not "auto" or "reply") whose tag and host match key were
 * sent from ip (an IPv4 or IPv6 address) in pool. ip or pool may be NULL
 * or empty, not both. 0, or -1 with a sentence in errstr: unknown format,
 * empty key or one with a space, an address that is not an IP address, a
 * key given twice for the same format, more than
 * RS_FORMAT_OPTS_MAX_SOURCES entries, out of memory.
 */
int rs_format_opts_add_source(rs_format_opts_t *opts, const char *format,
                              const char *key, const char *ip, const char *pool,
                              char *errstr, size_t errstr_size);

/* Longest formats.json.message_field accepted. */
#define RS_FORMAT_OPTS_MAX_FIELD 128

/*
 * formats.json.message_field: the top-level key of a log shipper's JSON
 * object that holds the log line, tried before the built-in names
 * (formats/envelope.h). 0, or -1 with a sentence in errstr: an empty
 * name, one longer than RS_FORMAT_OPTS_MAX_FIELD, one with a quote or a
 * backslash (keys are compared as written, undecoded), out of memory.
 */
int rs_format_opts_set_json_message_field(rs_format_opts_t *opts,
                                          const char *name, char *errstr,
                                          size_t errstr_size);

/* The configured message field; NULL when none was set (opts may be
 * NULL). */
const char *rs_format_opts_json_message_field(const rs_format_opts_t *opts);

/* Entries in the source map. */
size_t rs_format_opts_source_count(const rs_format_opts_t *opts);

/*
 * Fill rec->sending_ip and rec->sending_pool, where they are empty, from
 * the map entry for rec's MTA that matches rec->program and rec->log_host
 * ("TAG@HOST", then "TAG", then "HOST"). Returns 1 when an entry matched.
 * A linear scan over the entries of the MTA, done once per event (not per
 * line); opts may be NULL.
 */
int rs_format_opts_apply_source(const rs_format_opts_t *opts, rs_record_t *rec);

#endif
