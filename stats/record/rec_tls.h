/* rec_tls.h — the "tls" object of a connection record (docs/schema.md, docs/tls.md). */
#ifndef SMTPTLS_REC_TLS_H
#define SMTPTLS_REC_TLS_H

#include <jansson.h>

#include "dissectors/proto/tls.h"

/* The record's "tls" object for f as the record writer writes it
 * (rec_json.h), parsed back by jansson: for tests and tools. Returns a new
 * reference (the caller owns it), or NULL when memory runs out. The fields
 * themselves are listed by rec_tls_fields() (rec_fields.h). */
json_t *rec_tls_json(const struct tls_facts *f);

/* The name of a TLS alert description (RFC 8446 §6, RFC 5246 §7.2 and older
 * ones), or NULL when the value is not assigned. */
const char *rec_tls_alert_name(uint8_t desc);

#endif
