/* rec_tls.h — the "tls" object of a connection record (docs/schema.md, docs/tls.md). */
#ifndef SMTPTLS_REC_TLS_H
#define SMTPTLS_REC_TLS_H

#include <jansson.h>

#include "dissectors/proto/tls.h"
#include "dissectors/base/jsonw.h"

/* Builds the record's "tls" object from the dissector's facts. Returns a new
 * reference (the caller owns it), or NULL when jansson cannot allocate. */
json_t *rec_tls_json(const struct tls_facts *f);

/* Appends the same object to w, byte for byte what jsonw_dump() writes for
 * rec_tls_json(f), without building it (a key whose value jansson would
 * refuse is left out, as json_object_set_new() leaves it out). */
void rec_tls_write(struct jsonw *w, const struct tls_facts *f);

/* The name of a TLS alert description (RFC 8446 §6, RFC 5246 §7.2 and older
 * ones), or NULL when the value is not assigned. */
const char *rec_tls_alert_name(uint8_t desc);

#endif
