/* SPDX-License-Identifier: Apache-2.0 */
/*
 * reply.h - bare SMTP reply text, one per line, as a user would paste it.
 *
 * Every line is an event, also an empty or binary one (status sent for 2xx,
 * bounced for 5xx, deferred for 4xx, 3xx and no code); the stage comes from
 * the text or is unknown. A pasted Postfix wrapper ("host X[ip] said: ")
 * gives the remote host, and reply_text is then the reply after it.
 */
#ifndef RS_REPLY_H
#define RS_REPLY_H

#include "formats/format.h"

/* The reply format (never chosen by auto-detection). */
extern const rs_format_t rs_reply_format;

#endif
