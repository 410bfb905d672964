/*
 * reply.h - bare SMTP reply text, one per line, as a user would paste it.
 *
 * Every non-empty line is an event (status deferred for 4xx, bounced for
 * 5xx, deferred when no code); the stage comes from the text or is unknown.
 */
#ifndef RS_REPLY_H
#define RS_REPLY_H

#include <stddef.h>

#include "record.h"

rs_parse_result_t rs_reply_parse(const char *line, size_t len, rs_record_t *rec,
                                 const char **why);

#endif
