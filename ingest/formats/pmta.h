/* SPDX-License-Identifier: Apache-2.0 */
/*
 * pmta.h - PowerMTA accounting files (acct-file, RFC 4180 CSV) and the
 * column map a header line (or formats.pmta.fields) gives.
 *
 * @locality any thread for the parser and the column functions; the
 * format's prescan runs on the pipeline's source thread (format.h).
 */
#ifndef RS_PMTA_H
#define RS_PMTA_H

#include <stddef.h>
#include <stdint.h>

#include "formats/format.h"

/* Most columns a header may name (PowerMTA has about 60 fields). */
#define RS_PMTA_MAX_COLUMNS 256

/* The accounting fields the parser reads; every other column is skipped. */
typedef enum rs_pmta_field {
	RS_PMTA_F_NONE = 0, /* a column the parser does not read */
	RS_PMTA_F_TYPE,
	RS_PMTA_F_TIME_LOGGED,
	RS_PMTA_F_TIME_QUEUED,
	RS_PMTA_F_ORIG,
	RS_PMTA_F_RCPT,
	RS_PMTA_F_DSN_ACTION,
	RS_PMTA_F_DSN_STATUS,
	RS_PMTA_F_DSN_DIAG,
	RS_PMTA_F_DSN_MTA,
	RS_PMTA_F_BOUNCE_CAT,
	RS_PMTA_F_DLV_SOURCE_IP,
	RS_PMTA_F_DLV_DESTINATION_IP,
	RS_PMTA_F_VMTA,
	RS_PMTA_F_VMTA_POOL,
	RS_PMTA_F_JOB_ID,
	RS_PMTA_F_QUEUE,
	RS_PMTA_F_FEEDBACK_TYPE,
	RS_PMTA_F_REP_SOURCE_IP,
	RS_PMTA_F__COUNT
} rs_pmta_field_t;

/* Which field each column of a row holds. */
typedef struct rs_pmta_columns {
	uint16_t ncols;
	uint8_t field[RS_PMTA_MAX_COLUMNS]; /* rs_pmta_field_t per column */
} rs_pmta_columns_t;

/*
 * The column map of a header line or a configured list ("type,rcpt,...",
 * [p, p+n), RFC 4180 quoting allowed). strict (a configured list): a
 * field the parser reads named twice, or named in another case, is an
 * error; not strict (a file's header): the first column of a field wins
 * and other spellings are columns it does not read. 0, or -1 with a
 * sentence in errstr naming the column.
 */
int rs_pmta_columns_parse(const char *p, size_t n, int strict,
                          rs_pmta_columns_t *out, char *errstr,
                          size_t errstr_size);

/* The modern default header (PowerMTA 5.x): type,timeLogged,timeQueued,
 * orig,rcpt,orcpt,dsnAction,dsnStatus,dsnDiag,dsnMta,bounceCat,srcType,
 * srcMta,dlvType,dlvSourceIp,dlvDestinationIp,dlvEsmtpAvailable,dlvSize,
 * vmta,jobId,envId,queue,vmtaPool (23 columns). */
const rs_pmta_columns_t *rs_pmta_columns_default(void);

/* The 4.x default header: as above with timeImprinted after timeQueued
 * and without queue,vmtaPool (22 columns). */
const rs_pmta_columns_t *rs_pmta_columns_v4(void);

/*
 * The PowerMTA accounting format. Rows are read by their header (the
 * last header line seen earlier in the same file or Kafka partition),
 * else by formats.pmta.fields, else by the default headers above. Header
 * lines and r/rs records are skipped; d is sent, b/rb bounced, t/tq
 * deferred, f feedback. See pmta.c for every decision.
 */
extern const rs_format_t rs_pmta_format;

#endif
